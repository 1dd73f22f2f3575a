"""What the app and the command say about sets and runs: a set's one-line description, a run's name,
the two runs a comparison starts from, the targets a metric is held to, and readable metric names.

The targets are the bounds of the CI gate (``.ci/run``); a run of the core set is also compared
with the committed reference run (``evals/reference/core``).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import yaml

TARGETS: dict[str, float] = {
    "recall@5": 0.95,
    "oos_refusal_accuracy": 0.9,
    "citation_validity": 1.0,
    "case_finding_accuracy": 1.0,
}
"""Metric -> the least value the CI gate accepts (every one of these is better when higher)."""

LABELS: dict[str, str] = {
    "item_pass_rate": "Items passed", "recall@1": "Recall@1", "recall@3": "Recall@3", "recall@5": "Recall@5",
    "mrr": "Mean reciprocal rank", "ndcg@5": "nDCG@5", "accurate_rate": "Accurate answers",
    "incomplete_rate": "Incomplete answers", "incorrect_rate": "Incorrect answers", "misgrounded_rate": "Misgrounded answers",
    "hallucination_rate": "Hallucination rate", "answer_accuracy": "Answer accuracy", "answer_precision": "Answer precision",
    "refusal_accuracy": "Refusal accuracy", "refusal_precision": "Refusal precision", "refusal_recall": "Refusal recall",
    "oos_refusal_accuracy": "Out-of-scope refused", "citation_validity": "Valid citations",
    "case_finding_accuracy": "Case findings right", "factor_precision": "Factor precision", "factor_recall": "Factor recall",
    "status_accuracy": "Status right", "case_check_pass_rate": "Case checks passed", "latency_p50_ms": "Latency p50",
    "latency_p95_ms": "Latency p95", "near_miss_refusal": "Near misses refused", "in_scope_cited": "In-scope answers cited",
    "premise_correction_rate": "False premises corrected", "date_accuracy": "Dated questions right",
    "multi_part_accuracy": "Multi-part questions right", "typo_accuracy": "Questions with typos right",
    "dialog_accuracy": "Follow-ups right", "focus_share": "Quoted sentences on focus",
    "accurate": "accurate", "incomplete": "incomplete", "incorrect": "incorrect", "misgrounded": "misgrounded",
}
"""Metric -> the name a person reads (charts and cards); the metric's key stays in the help text."""

_RUN = re.compile(r"^(?P<stamp>\d{8}-\d{6})-(?P<set>.+?)(?:~\d+)?$")  # "~2": a second run in the same second


def label(metric: str) -> str:
    """The readable name of a metric."""
    return LABELS.get(metric, metric.replace("_", " "))


def set_description(path: Path) -> str:
    """A set's one-line description (its ``description:``, first sentence), or its file name."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.suffix.lower() in (".yaml", ".yml") else None
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        data = None
    text = " ".join(str((data or {}).get("description") or "").split()) if isinstance(data, dict) else ""
    first = re.split(r"(?<=[.;])\s", text, maxsplit=1)[0] if text else ""
    return first.rstrip(".;") or path.stem


def run_set_name(run: Path) -> str:
    """The set a run folder ran (from its name, ``YYYYMMDD-HHMMSS-<set>``; else the folder name)."""
    m = _RUN.match(run.name)
    return m["set"] if m else run.name


def run_label(run: Path) -> str:
    """A run as a person names it: its set and its time ("dev-questions, 2026-12-07 20:40:12")."""
    m = _RUN.match(run.name)
    if m is None:
        return run.name
    when = dt.datetime.strptime(m["stamp"], "%Y%m%d-%H%M%S")
    return f"{m['set']}, {when:%Y-%m-%d %H:%M:%S}"


def comparison_pair(runs: list[Path]) -> tuple[Path, Path] | None:
    """The two runs a comparison starts from: the newest run (B) and the newest earlier run of the same set (A).

    ``runs`` is newest first. With no earlier run of the newest run's set, the two newest runs.
    """
    if len(runs) < 2:
        return None
    newest = runs[0]
    same = next((r for r in runs[1:] if run_set_name(r) == run_set_name(newest)), None)
    return (same or runs[1], newest)


def meets(metric: str, value: float | None) -> bool | None:
    """Whether a value meets the metric's target (None when the metric has no target or no value)."""
    if metric not in TARGETS or value is None:
        return None
    return value >= TARGETS[metric]
