"""Typed evaluation results: what a run holds, from one item's result up to the whole ``results.json``.

The reports, the comparison and the app read these objects, never raw dicts. Their JSON form (by
alias: ``recall@5``, ``set``) is the ``results.json`` format ``guidance-eval/1`` that earlier runs
wrote, so a committed reference run still loads and compares.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.errors import InputError
from assistant.types import Answer

RESULTS_FORMAT = "guidance-eval/1"


@dataclass
class Observed:
    """What a system returned for one question: its answer, ranked anchors and cited anchors."""

    answer: Answer
    ranking: list[list[str]]  # anchors carried by each retrieved position, best first
    cited: list[str | None]  # the anchors the answer cites

    @classmethod
    def of(cls, answer: Answer) -> Observed:
        """The observation of one of our answers: one anchor per retrieved passage and per citation."""
        return cls(answer, [[r.anchor] if r.anchor else [] for r in answer.retrieved], [c.anchor for c in answer.citations])


class _Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="allow")


class Expectation(_Model):
    """One expectation of an item, what the system gave, and whether it passed."""

    name: str
    expected: Any = None
    actual: Any = None
    passed: bool


class CitationCounts(_Model):
    """How many citations an item's output carries and how many the checker accepts."""

    total: int = 0
    valid: int = 0
    anchors: list[str] = Field(default_factory=list)


class RetrievalScores(_Model):
    """The retrieval scores of one question item with expected anchors."""

    relevant: list[str]
    needed: int
    primary_anchor: str
    ranking: list[list[str]]
    recall_1: float = Field(alias="recall@1")
    recall_3: float = Field(alias="recall@3")
    recall_5: float = Field(alias="recall@5")
    mrr: float
    ndcg_5: float = Field(alias="ndcg@5")


class QuestionResult(_Model):
    """The result of one question item: the full answer JSON, each expectation, the label and the time."""

    id: str
    type: Literal["question"] = "question"
    kind: str
    question: str
    turns: list[str] = Field(default_factory=list, description="Earlier questions of a dialog item, asked in order.")
    expect: dict[str, Any] = Field(default_factory=dict)
    output: dict[str, Any]
    expectations: list[Expectation]
    passed: bool
    should_refuse: bool
    refused: bool
    label: str
    label_reason: str
    citations: CitationCounts
    retrieval: RetrievalScores | None = None
    focus_hits: int = Field(0, description="Quoted sentences that contain a focus word of the question.")
    focus_quoted: int = Field(0, description="Quoted sentences of the answer.")
    ms: float


class CaseResult(_Model):
    """The result of one case item: the analysis JSON, each expectation, factor counts and the time."""

    id: str
    type: Literal["case"] = "case"
    kind: Literal["case"] = "case"
    case_id: str
    source: str
    expect: dict[str, Any] = Field(default_factory=dict)
    output: dict[str, Any]
    expectations: list[Expectation]
    passed: bool
    factors: dict[str, dict[str, int]] = Field(default_factory=dict, description="group -> tp, found, expected")
    check_passed: bool
    citations: CitationCounts
    ms: float


ItemResult = Annotated[QuestionResult | CaseResult, Field(discriminator="type")]


class KindSummary(_Model):
    """The answers of one kind of question item: labels, passes, refusals, recall@5."""

    n: int
    accurate: int = 0
    incomplete: int = 0
    incorrect: int = 0
    misgrounded: int = 0
    passed: int = 0
    refused: int = 0
    recall_5: float | None = Field(None, alias="recall@5")


class LatencySummary(_Model):
    """Latency of a group of items, in milliseconds."""

    n: int
    p50: float | None = None
    p95: float | None = None
    max: float | None = None


class SystemSummary(_Model):
    """One system's run: its summary metrics, counts and breakdowns, and every item's result."""

    description: str = ""
    metrics: dict[str, float | None]
    counts: dict[str, int] = Field(default_factory=dict)
    by_kind: dict[str, KindSummary] = Field(default_factory=dict)
    by_anchor: dict[str, dict[str, float | int | None]] = Field(default_factory=dict)
    label_reasons: dict[str, int] = Field(default_factory=dict)
    latency: dict[str, LatencySummary] = Field(default_factory=dict)
    items: list[ItemResult] = Field(default_factory=list)

    def questions(self) -> list[QuestionResult]:
        """The question items' results."""
        return [r for r in self.items if isinstance(r, QuestionResult)]

    def cases(self) -> list[CaseResult]:
        """The case items' results."""
        return [r for r in self.items if isinstance(r, CaseResult)]


class SetInfo(_Model):
    """Which set a run scored."""

    name: str = ""
    description: str = ""
    path: str = ""
    sha256: str = ""
    items: int = 0
    questions: int = 0
    cases: int = 0


class RunResults(_Model):
    """A whole run: ``results.json``."""

    format: str = RESULTS_FORMAT
    created: str = ""
    set_info: SetInfo = Field(alias="set")
    settings: dict[str, Any] = Field(default_factory=dict)
    settings_hash: str = ""
    settings_sha256: str = ""
    corpus_hash: str = ""
    index: dict[str, Any] = Field(default_factory=dict)
    seconds: float = 0.0
    metrics: dict[str, float | None]
    systems: dict[str, SystemSummary] = Field(default_factory=dict)
    definitions: dict[str, str] = Field(default_factory=dict)

    def to_json(self) -> str:
        """``results.json`` as written to disk."""
        return json.dumps(self.model_dump(mode="json", by_alias=True), indent=1, ensure_ascii=False, default=str)


class RunResult(BaseModel):
    """What ``run_set`` returns: where it wrote, the summary metrics of each system, how long it took."""

    out_dir: str
    set_name: str
    items: int
    metrics: dict[str, float | None]
    baselines: dict[str, dict[str, float | None]] = Field(default_factory=dict)
    failed: list[str] = Field(default_factory=list, description="Ids of the items with a failed expectation.")
    seconds: float
    files: list[str]


class RunOutline(BaseModel):
    """What a comparison needs of a run: its metrics, what it ran on, and which items passed."""

    metrics: dict[str, float | None]
    set_sha256: str | None = None
    corpus_hash: str | None = None
    settings_sha256: str | None = None
    passed: dict[str, bool] = Field(default_factory=dict, description="item id -> passed, for the assistant")

    @classmethod
    def of(cls, data: dict[str, Any], system: str = "assistant") -> RunOutline:
        """The outline of a results.json, read leniently (older and hand-made files lack most fields)."""
        items = ((data.get("systems") or {}).get(system) or {}).get("items") or []
        return cls(
            metrics=data["metrics"], set_sha256=(data.get("set") or {}).get("sha256"), corpus_hash=data.get("corpus_hash"),
            settings_sha256=data.get("settings_sha256"),
            passed={str(r["id"]): bool(r.get("passed")) for r in items if isinstance(r, dict) and "id" in r},
        )


def read_outline(run: Path | str) -> RunOutline:
    """The outline of a run folder (or of its results.json), for comparing it with another."""
    return RunOutline.of(_read_json(run))


def read_results(run: Path | str) -> RunResults:
    """The results of a run folder (or of its results.json); anything else is an InputError."""
    data = _read_json(run)
    try:
        return RunResults.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{run} is not a complete results.json of `guidance eval run` ({where}: {first['msg']})") from None


def _read_json(run: Path | str) -> dict[str, Any]:
    path = Path(run)
    if path.is_dir():
        path = path / "results.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path} does not exist; give a run folder written by `guidance eval run`") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path} cannot be read as JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("metrics"), dict):
        raise InputError(f"{path} is not the results.json of `guidance eval run` (it has no metrics)")
    data.setdefault("set", {"name": path.parent.name})
    return data
