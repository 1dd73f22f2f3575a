"""The ask model: a second reader of what a question asks, from the embedding it is retrieved with.

The closed-class cues of ``understand`` recognise "how do I", "what form", "how much", "under the
INA"; people also write "is there a form I have to fill out", "who do I call", "what's the legal
test courts use". The ask model is a multinomial logistic regression over the question's
normalised embedding (no other model, nothing more to compute: the vector is the one retrieval
uses), trained by ``bench/train_ask_model.py`` on generated questions (``asks/examples.yaml``):
every template of a kind crossed with topics inside and far outside the guidelines, so that what a
kind's questions share is the ask, not the topic. It reads four kinds: ``procedure``, ``amount``,
``definition`` (another law's rule) and ``answerable`` (anything the guidelines can answer).

It only ever adds a refusal: when it reads a refused kind with at least ``answer.ask_model_min``
probability and no retrieved unit declares that kind (``answerability``). It never makes a
refused question answerable, and it is not used when the index was built by another embedding
model than the one it was trained on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

MODEL_PATH = Path(__file__).parent / "asks" / "model.json"
EXAMPLES_PATH = Path(__file__).parent / "asks" / "examples.yaml"
ANSWERABLE = "answerable"


@dataclass(frozen=True)
class AskModel:
    """The trained weights: one row of ``coef`` and one ``intercept`` per class."""

    embedding_model: str
    examples_sha256: str
    classes: tuple[str, ...]
    coef: Any  # numpy array, classes x dimensions
    intercept: Any  # numpy array, one per class

    def probabilities(self, vector: list[float]) -> dict[str, float]:
        """The probability of each kind of ask for a question's (normalised) embedding."""
        import numpy as np

        z = self.coef @ np.asarray(vector, dtype=np.float32) + self.intercept
        p = np.exp(z - z.max())
        p /= p.sum()
        return {c: float(v) for c, v in zip(self.classes, p)}

    def read(self, vector: list[float]) -> tuple[str, float]:
        """The most probable refused kind and the probability that the ask is of a refused kind at all."""
        probs = self.probabilities(vector)
        refused = {k: v for k, v in probs.items() if k != ANSWERABLE}
        kind = max(refused, key=refused.__getitem__)
        return kind, 1.0 - probs.get(ANSWERABLE, 0.0)


@lru_cache(maxsize=1)
def load_ask_model(path: Path = MODEL_PATH) -> AskModel | None:
    """The shipped ask model (None when its file is missing)."""
    import numpy as np

    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    return AskModel(embedding_model=raw["embedding_model"], examples_sha256=raw["examples_sha256"],
                    classes=tuple(raw["classes"]), coef=np.asarray(raw["coef"], dtype=np.float32),
                    intercept=np.asarray(raw["intercept"], dtype=np.float32))


def ask_model_for(model_id: str) -> AskModel | None:
    """The ask model, if it was trained on the embeddings of ``model_id`` (the index's embedding model)."""
    model = load_ask_model()
    return model if model is not None and model.embedding_model == model_id else None
