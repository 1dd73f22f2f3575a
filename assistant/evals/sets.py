"""Evaluation sets (docs/CONTRACTS.md section 6): YAML or JSONL files of question and case items, validated.

Every item is validated on its own with pydantic, so a malformed set fails at once with an
``InputError`` (exit code 2) that names the item id and the field; nothing is run. Case items are
parsed with ``case.parse_case`` (inline ``case``) or ``case.load_case`` (``case_file``, relative to
the set file), and expected anchors must be anchors the corpus manifest knows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from assistant.errors import InputError
from assistant.types import FrameworkState, PriorityId, PriorityOutcome

QuestionKind = Literal[
    "in_scope", "paraphrase", "list", "out_of_scope", "false_premise", "near_miss", "date", "multi_part", "typo",
    "case_question", "dialog",
]
REFUSED_KINDS = ("out_of_scope", "near_miss")
"""Kinds whose items must be refused unless ``expect.refused`` says otherwise."""
StatusValue = Literal["not_yet_effective", "in_effect", "enjoined", "vacated", "rescinded"]
QUESTION_EXPECT = (
    "anchors_any", "anchors_all", "anchors_ok", "refused", "related_any", "premise_corrected", "status", "parts", "memo_hint",
)
CASE_EXPECT = ("priorities", "aggravating", "mitigating", "framework_status")


class PartExpect(BaseModel):
    """What one part of a multi-part question expects: cited anchors, or a refusal of that part."""

    model_config = ConfigDict(extra="forbid")

    anchors_any: list[str] = Field(default_factory=list, description="The part's answer cites at least one of these.")
    refused: bool | None = Field(None, description="The guidelines do not address this part: it must be refused.")

    @model_validator(mode="after")
    def _consistent(self) -> PartExpect:
        if bool(self.anchors_any) == bool(self.refused):
            raise ValueError("a part expects either anchors_any or refused: true")
        return self


class Expect(BaseModel):
    """What an item expects. Question items use the fields up to ``memo_hint``, case items the last four."""

    model_config = ConfigDict(extra="forbid")

    anchors_any: list[str] = Field(default_factory=list, description="The answer cites at least one of these.")
    anchors_all: list[str] = Field(default_factory=list, description="The answer cites every one of these.")
    anchors_ok: list[str] = Field(
        default_factory=list, description="Further anchors that are correct to cite (not required, not scored as relevant)."
    )
    refused: bool | None = Field(None, description="Whether the assistant must refuse; default true for out_of_scope and near_miss.")
    related_any: list[str] = Field(
        default_factory=list, description="With a refusal: the related passages shown under it include one of these."
    )
    premise_corrected: bool | None = Field(
        None, description="The question presupposes what the guidelines contradict: the answer opens with the correction."
    )
    status: StatusValue | None = Field(None, description="The guidelines' status the answer reports for the date the question names.")
    parts: list[PartExpect] | None = Field(None, description="A multi-part question: one expectation per part, in order.")
    memo_hint: bool | None = Field(None, description="A case typed as a question: the answer points to the case memo.")
    priorities: dict[PriorityId, PriorityOutcome] | None = Field(None, description="Expected finding per priority.")
    aggravating: list[str] | None = Field(None, description="Exactly the aggravating factors the facts trigger.")
    mitigating: list[str] | None = Field(None, description="Exactly the mitigating factors the facts trigger.")
    framework_status: FrameworkState | None = Field(None, description="The guidelines' status on the assessed date.")

    def given(self) -> set[str]:
        """The names of the expectations the item sets (an empty anchor list sets nothing; ``aggravating: []`` does)."""
        anchors = {"anchors_any", "anchors_all", "anchors_ok", "related_any"}
        return {
            n for n in self.model_fields_set
            if getattr(self, n) is not None and not (n in anchors and not getattr(self, n))
        }


class QuestionItem(BaseModel):
    """A question to ask the assistant."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    turns: list[str] = Field(
        default_factory=list, description="Earlier questions of the same conversation, asked in order before the scored one."
    )
    question: str = Field(min_length=1)
    kind: QuestionKind = "in_scope"
    as_of: dt.date | None = Field(None, description="Date for the guidelines' status in the answer; default today.")
    k: int | None = Field(None, ge=1, le=50, description="Passages to retrieve; default the setting.")
    notes: str = ""
    expect: Expect

    @model_validator(mode="after")
    def _consistent(self) -> QuestionItem:
        wrong = sorted(self.expect.given() & set(CASE_EXPECT))
        if wrong:
            raise ValueError(f"a question item cannot expect {', '.join(wrong)} (those are for case items)")
        if self.kind in REFUSED_KINDS and self.expect.refused is False:
            raise ValueError(f"an {self.kind} item must expect a refusal (refused: true) or leave refused out")
        if any(not t.strip() for t in self.turns):
            raise ValueError("turns: every earlier question must be text")
        if self.expect.refused is True and (self.expect.anchors_any or self.expect.anchors_all):
            raise ValueError("an item that expects a refusal cannot also expect cited anchors")
        if self.kind == "list" and not (self.expect.anchors_all or self.expect.anchors_any):
            raise ValueError("a list item needs expect.anchors_all (the anchors of the list's items) or anchors_any")
        e = self.expect
        if e.refused is None and self.kind not in REFUSED_KINDS and not (
            e.anchors_any or e.anchors_all or e.parts or e.status or e.premise_corrected or e.memo_hint
        ):
            raise ValueError("expect needs refused, or the anchors a question that must be answered should cite")
        return self

    @property
    def should_refuse(self) -> bool:
        """expect.refused when given; else true for out_of_scope and near_miss items, false otherwise."""
        return self.expect.refused if self.expect.refused is not None else self.kind in REFUSED_KINDS


class CaseItem(BaseModel):
    """A case to analyze: inline facts (``case``) or a case file (``case_file``, relative to the set file)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    kind: Literal["case"] = "case"
    case: dict[str, Any] | None = None
    case_file: str | None = None
    as_of: dt.date | None = Field(None, description="Assess on this date instead of the case's assessed_on.")
    notes: str = ""
    expect: Expect

    @model_validator(mode="after")
    def _consistent(self) -> CaseItem:
        if (self.case is None) == (self.case_file is None):
            raise ValueError("a case item needs exactly one of case (inline facts) or case_file (a path)")
        wrong = sorted(self.expect.given() & set(QUESTION_EXPECT))
        if wrong:
            raise ValueError(f"a case item cannot expect {', '.join(wrong)} (those are for question items)")
        if not self.expect.given():
            raise ValueError("expect names nothing; give priorities, aggravating, mitigating or framework_status")
        for group, prefix in (("aggravating", "agg."), ("mitigating", "mit.")):
            bad = [f for f in getattr(self.expect, group) or [] if not f.startswith(prefix)]
            if bad:
                raise ValueError(f"expect.{group}: {', '.join(bad)} do not start with '{prefix}'")
        return self


Item = QuestionItem | CaseItem


class EvalSet(BaseModel):
    """A validated set, its items in file order, and the parsed case of each case item."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str
    description: str = ""
    path: str
    sha256: str = Field(description="sha256 of the set file's bytes followed by those of each case_file, in order.")
    items: list[QuestionItem | CaseItem]
    cases: dict[str, Any] = Field(default_factory=dict, description="item id -> assistant.case.Case")

    @property
    def questions(self) -> list[QuestionItem]:
        """The question items."""
        return [i for i in self.items if isinstance(i, QuestionItem)]


def _problems(exc: ValidationError) -> str:
    out = []
    for e in exc.errors()[:4]:
        where = ".".join(str(p) for p in e["loc"])
        msg = e["msg"].removeprefix("Value error, ")
        out.append(f"{where}: {msg}" if where else msg)
    return "; ".join(out)


def _read(path: Path) -> tuple[dict[str, Any], bytes]:
    import yaml

    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"set {path}: no such file; check the path") from None
    except OSError as exc:
        raise InputError(f"set {path}: cannot be read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"set {path}: is not UTF-8 text") from None
    if path.suffix.lower() == ".jsonl":
        header: dict[str, Any] = {"name": path.stem, "items": []}
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"set {path}: line {n} is not JSON ({exc.msg})") from None
            if isinstance(row, dict) and "id" not in row and "items" not in row and ("name" in row or "description" in row):
                header.update(row)  # an optional header line: {"name": ..., "description": ...}
            else:
                header["items"].append(row)
        return header, raw
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"set {path}: is not valid YAML{where}: {getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise InputError(f"set {path}: must be a mapping with a list of items (name: ..., items: [...]); see docs/CONTRACTS.md section 6")
    return data, raw


def _check_anchors(item: Item, known: set[str] | None, where: str) -> None:
    if known is None:
        return
    e = item.expect
    fields = [(f"expect.{f}", getattr(e, f) or []) for f in ("anchors_any", "anchors_all", "anchors_ok", "related_any",
                                                              "aggravating", "mitigating")]
    fields += [(f"expect.parts[{i}].anchors_any", p.anchors_any) for i, p in enumerate(e.parts or [])]
    for field, anchors in fields:
        unknown = [a for a in anchors if a not in known]
        if unknown:
            raise InputError(f"{where}: {field}: unknown anchor(s) {', '.join(unknown)}; see docs/CONTRACTS.md (anchors)")


def load_set(path: Path | str, known_anchors: set[str] | None = None) -> EvalSet:
    """Read and validate a set; any problem is an InputError naming the item id and the field."""
    from assistant.cases.facts import CaseError, load_case, parse_case

    path = Path(path)
    data, raw = _read(path)
    digest = hashlib.sha256(raw)
    extra = sorted(str(k) for k in set(data) - {"name", "description", "items"})
    if extra:
        raise InputError(f"set {path}: unknown top-level field(s) {', '.join(extra)}; allowed: name, description, items")
    items: list[Item] = []
    cases: dict[str, Any] = {}
    seen: set[str] = set()
    for n, row in enumerate(data["items"], 1):
        item_id = row.get("id") if isinstance(row, dict) else None
        where = f"set {path}: item '{item_id}'" if item_id else f"set {path}: item {n} (no id)"
        if not isinstance(row, dict):
            raise InputError(f"{where}: must be a mapping with id, question or case, and expect")
        model = CaseItem if ("case" in row or "case_file" in row) else QuestionItem
        try:
            item = model.model_validate(row)
        except ValidationError as exc:
            raise InputError(f"{where}: {_problems(exc)}") from None
        if item.id in seen:
            raise InputError(f"{where}: the id is used twice; ids must be unique")
        seen.add(item.id)
        _check_anchors(item, known_anchors, where)
        if isinstance(item, CaseItem):
            try:
                if item.case is not None:
                    case = parse_case(item.case, f"{where}: case")
                else:
                    case_path = (path.parent / str(item.case_file)).resolve()
                    case = load_case(case_path)
                    digest.update(case_path.read_bytes())
            except CaseError as exc:
                raise InputError(f"{where}: {exc}" if where not in str(exc) else str(exc)) from None
            cases[item.id] = case
        items.append(item)
    if not items:
        raise InputError(f"set {path}: has no items")
    return EvalSet(
        name=str(data.get("name") or path.stem), description=str(data.get("description") or "").strip(),
        path=str(path), sha256=digest.hexdigest(), items=items, cases=cases,
    )


def manifest_anchors(corpus_dir: Path) -> set[str]:
    """Every anchor the corpus manifest names (the 2021 guidelines bare, other documents as doc_id.unit)."""
    from assistant.corpus.manifest import load_manifest

    return {a for doc in load_manifest(corpus_dir).documents for a in doc.anchors}


def shipped_sets() -> list[Path]:
    """The question and case sets that ship with the package (``assistant/evals/data/sets``)."""
    from . import data_dir

    folder = data_dir("sets")
    return sorted(p for p in folder.glob("*") if p.suffix.lower() in (".yaml", ".yml", ".jsonl")) if folder.is_dir() else []


def resolve_set(name_or_path: Path | str) -> Path:
    """A set file: the path if it exists, else the shipped set of that name (``core``, ``dev-questions``, ...)."""
    path = Path(name_or_path)
    if path.exists() or path.suffix:
        return path
    return next((p for p in shipped_sets() if p.stem == str(name_or_path)), path)


def describe(path: Path | str) -> tuple[str, str, int]:
    """A set's name, one-line description and number of items (for listings)."""
    evalset = load_set(path)
    first = evalset.description.strip().splitlines()[0] if evalset.description.strip() else ""
    return evalset.name, first, len(evalset.items)
