"""Train the ask model from its generated questions (assistant/answer/asks/examples.yaml).

Every template of a kind is crossed with every topic of its pool; the questions are embedded with
the assistant's own embedding model (the vectors questions are retrieved with), and a multinomial
logistic regression is fitted on them. The weights, the classes and the SHA-256 of the examples
file are written to assistant/answer/asks/model.json (a test checks that the model was trained
from the examples file as it is). Deterministic: no sampling, a fixed solver.

    .venv/bin/python bench/train_ask_model.py            # about 30 s on 2 CPUs
    .venv/bin/python bench/train_ask_model.py --cv       # also: 5-fold accuracy by template (held-out templates)
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "assistant/answer/asks/examples.yaml"
MODEL = ROOT / "assistant/answer/asks/model.json"


def questions(data: dict) -> tuple[list[str], list[str], list[int]]:
    texts, labels, groups = [], [], []
    template_id = 0
    for kind, pools in data["kinds"].items():
        for pool, templates in pools.items():
            for template in templates:
                for topic in data["topics"][pool]:
                    text = template.format(t=topic)
                    texts.append(text[0].upper() + text[1:] if template[0].isupper() else text)
                    labels.append(kind)
                    groups.append(template_id)
                template_id += 1
    return texts, labels, groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cv", action="store_true", help="report held-out-template accuracy too")
    parser.add_argument("--c", type=float, default=1.0, help="inverse regularisation strength")
    args = parser.parse_args()
    from sklearn.linear_model import LogisticRegression

    from assistant.api import Assistant

    raw = EXAMPLES.read_bytes()
    data = yaml.safe_load(raw)
    texts, labels, groups = questions(data)
    embedder = Assistant().index.embedder
    x = np.asarray(embedder.embed_documents(texts), dtype=np.float32)
    y = np.asarray(labels)
    print(f"{len(texts)} questions, {len(set(groups))} templates, kinds: " +
          ", ".join(f"{k} {int((y == k).sum())}" for k in sorted(set(labels))))
    if args.cv:
        from sklearn.model_selection import GroupKFold

        right = 0
        for train, test in GroupKFold(n_splits=5).split(x, y, groups):
            model = LogisticRegression(C=args.c, max_iter=2000, class_weight="balanced").fit(x[train], y[train])
            right += int((model.predict(x[test]) == y[test]).sum())
        print(f"held-out-template accuracy: {right / len(y):.3f}")
    model = LogisticRegression(C=args.c, max_iter=2000, class_weight="balanced").fit(x, y)
    out = {
        "about": "The ask model: multinomial logistic regression over the question's normalised embedding. "
                 "Trained by bench/train_ask_model.py from examples.yaml; do not edit by hand.",
        "embedding_model": embedder.model_id,
        "examples_sha256": hashlib.sha256(raw).hexdigest(),
        "questions": len(texts),
        "c": args.c,
        "classes": [str(c) for c in model.classes_],
        "intercept": [round(float(v), 6) for v in model.intercept_],
        "coef": [[round(float(v), 6) for v in row] for row in model.coef_],
    }
    MODEL.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {MODEL.relative_to(ROOT)} (training accuracy {model.score(x, y):.3f})")


if __name__ == "__main__":
    main()
