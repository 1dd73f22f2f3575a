"""Comparing two runs: metric deltas, items that flipped, and whether the second run regressed."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, Field

from assistant.errors import InputError

from . import metrics as m
from .results import read_outline

SYSTEM = "assistant"


class MetricDelta(BaseModel):
    """One metric in two runs."""

    metric: str
    a: float | None
    b: float | None
    delta: float | None
    gated: bool
    worse: bool


class Comparison(BaseModel):
    """Two runs side by side: metric deltas, items that flipped, and whether B regressed."""

    run_a: str
    run_b: str
    same_set: bool
    same_corpus: bool
    same_settings: bool
    deltas: list[MetricDelta]
    newly_failing: list[str] = Field(description="Items that passed in A and fail in B.")
    newly_passing: list[str] = Field(description="Items that failed in A and pass in B.")
    only_in_a: list[str] = Field(default_factory=list)
    only_in_b: list[str] = Field(default_factory=list)
    regression: bool = Field(description="A gated metric is worse in B (latency beyond its slack).")

    @property
    def regressions(self) -> list[MetricDelta]:
        """The gated metrics that got worse."""
        return [d for d in self.deltas if d.gated and d.worse]


def compare_runs(run_a_dir: Path | str, run_b_dir: Path | str, ignore: Iterable[str] = ()) -> Comparison:
    """Compare run B with run A: metric deltas, pass/fail flips, and whether a gated metric (not ignored) got worse."""
    a, b = read_outline(run_a_dir), read_outline(run_b_dir)
    ignored = set(ignore)
    unknown = sorted(ignored - set(m.METRIC_NAMES))
    if unknown:
        raise InputError(f"unknown metric(s) {', '.join(unknown)}; known metrics: {', '.join(m.METRIC_NAMES)}")
    names = [n for n in m.METRIC_NAMES if n in a.metrics or n in b.metrics]
    deltas = []
    for name in names:
        x, y = a.metrics.get(name), b.metrics.get(name)
        deltas.append(MetricDelta(
            metric=name, a=x, b=y, delta=None if x is None or y is None else y - x, gated=name in m.GATED and name not in ignored,
            worse=m.worse(name, x, y),
        ))

    pa, pb = a.passed, b.passed
    common = [i for i in pa if i in pb]
    return Comparison(
        run_a=str(run_a_dir), run_b=str(run_b_dir),
        same_set=a.set_sha256 == b.set_sha256,
        same_corpus=a.corpus_hash == b.corpus_hash,
        same_settings=a.settings_sha256 == b.settings_sha256,
        deltas=deltas,
        newly_failing=[i for i in common if pa[i] and not pb[i]],
        newly_passing=[i for i in common if not pa[i] and pb[i]],
        only_in_a=[i for i in pa if i not in pb], only_in_b=[i for i in pb if i not in pa],
        regression=any(d.gated and d.worse for d in deltas),
    )
