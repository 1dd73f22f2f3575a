"""Score the answers saved in an earlier run with today's scoring: the 'before' of metrics added since.

    .venv/bin/python bench/rescore_run.py RUN_DIR SET [RUN_DIR SET ...]

RUN_DIR is a folder written by `guidance eval run` (its results.json keeps every answer); SET is the
name of a shipped set (assistant/evals/data/sets/SET.yaml). Prints the question metrics.
"""

from __future__ import annotations

import json
import sys

from assistant.api import Assistant
from assistant.evals import data_dir
from assistant.evals.results import Observed
from assistant.evals.scoring import score_question, summarize
from assistant.evals.sets import load_set
from assistant.types import Answer

KEYS = ("near_miss_refusal", "in_scope_cited", "premise_correction_rate", "date_accuracy", "multi_part_accuracy",
        "typo_accuracy", "dialog_accuracy", "focus_share", "oos_refusal_accuracy", "refusal_precision", "item_pass_rate",
        "citation_validity")


def main(args: list[str]) -> None:
    """Rescore each (run, set) pair and print one line of metrics per pair."""
    source = Assistant().passages()
    for run, name in zip(args[::2], args[1::2], strict=True):
        evalset = load_set(data_dir("sets") / f"{name}.yaml")
        saved = {r["id"]: r for r in json.loads(open(f"{run}/results.json", encoding="utf-8").read())["systems"]["assistant"]["items"]}
        records = [score_question(item, Observed.of(Answer.model_validate(saved[item.id]["output"])), source, saved[item.id]["ms"])
                   for item in evalset.questions]
        metrics = summarize(records).metrics
        print(name.ljust(20), " ".join(f"{k}={metrics[k]:.3f}" if metrics.get(k) is not None else f"{k}=-" for k in KEYS))


if __name__ == "__main__":
    main(sys.argv[1:])
