"""The deterministic checker: rules that every answer and analysis must pass before a user sees it.

Each rule is a row of ``RULES`` with a stable code, a severity, a description and its provenance
(the anchor of the guideline passage it encodes, or ``None`` for integrity rules that encode no
passage). The checks are pure functions over typed objects and the canonical texts of the indexed
documents; nothing here calls a model.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError
from .types import Answer, CheckReport, Citation, FactorAnalysis, Finding, Passage, Severity

if TYPE_CHECKING:
    from .check_analyses import Leniency
    from .config import Settings
    from .index import PassageSet

REFUSAL = "The guidelines do not address this question."
"""The one refusal sentence, shared by the composer, the checker and the tests."""


@dataclass(frozen=True)
class Rule:
    """A checker rule: stable code, severity, what it checks, and the passage it encodes."""

    code: str
    severity: Severity
    description: str
    anchor: str | None = None


RULES: dict[str, Rule] = {
    r.code: r
    for r in (
        Rule("CITE_UNKNOWN_DOC", "error", "A citation names a document that is not in the index."),
        Rule("CITE_BAD_OFFSETS", "error", "A citation's start/end are not a valid span of its document."),
        Rule("CITE_QUOTE_SHIFTED", "error", "The quote exists in the document, but not at the cited offsets."),
        Rule("CITE_QUOTE_NOT_FOUND", "error", "The quote is not text of the cited document (fabricated or altered)."),
        Rule("CITE_EMPTY_QUOTE", "error", "A citation quotes nothing."),
        Rule("CITE_WRONG_PASSAGE", "error", "The cited span does not lie in a passage with the cited anchor."),
        Rule("ANSWER_MARKER_UNRESOLVED", "error", "The answer text has a marker [n] with no citation n."),
        Rule("ANSWER_UNCITED", "error", "An answer that is not a refusal has no citation."),
        Rule("REFUSAL_WITH_CITATIONS", "warning", "A refusal carries citations; refusals cite nothing."),
        Rule("REFUSAL_WORDING", "error", "A refusal does not use the shared refusal sentence."),
        # --- factor analyses (CONTRACTS section 4); the rules live in assistant/check_analysis.py
        # A row without an anchor is an integrity rule, or its findings name the claim's own anchor
        # (priority.<id> or the factor's id); findings of other rows may name a more specific passage.
        Rule("CLAIM_WRONG_PASSAGE", "error", "A priority or factor is cited to the passage of another unit.", None),
        Rule("CLAIM_UNCITED", "error", "A priority or factor has no citation of the passage that states it.", None),
        Rule("FINDING_INVALID", "error", "A priority id or finding is outside the allowed values.", "priorities"),
        Rule("PRIORITY_MISSING", "error", "One of the three priorities is not analyzed.", "priorities"),
        Rule("PRIORITY_DUPLICATE", "error", "A priority is analyzed more than once.", "priorities"),
        Rule("PRIORITY_UNREASONED", "error", "A priority is found met (or left to the officer) with no reason stated.", None),
        Rule("PUBLIC_SAFETY_DECIDED", "error", "The public-safety priority is decided instead of left to the officer's totality judgment.", "priority.public_safety"),
        Rule("FACTOR_UNKNOWN", "error", "A factor id is not an aggravating or mitigating factor of the guidelines.", "priority.public_safety"),
        Rule("FACTOR_POLARITY", "error", "An aggravating factor is listed as mitigating, or the reverse.", "agg.overview"),
        Rule("FACTOR_NO_FACTS", "error", "A factor names no fact that triggers it.", None),
        Rule("FACTOR_DUPLICATE", "warning", "A factor is listed more than once.", None),
        Rule("CASE_MISMATCH", "error", "The analysis is of another case (case id or assessment date differ).", None),
        Rule("FINDING_UNSUPPORTED", "error", "A priority is found met, but the case facts do not support it.", None),
        Rule("FINDING_MISMATCH", "error", "A priority finding differs from what the rules derive from the case facts.", None),
        Rule("FACTOR_NOT_TRIGGERED", "error", "A factor is claimed, but the case facts do not trigger it.", None),
        Rule("FACTOR_OMITTED", "warning", "The case facts trigger a factor that the analysis omits.", None),
        Rule("PROTECTED_GROUND", "error", "A protected characteristic or First Amendment activity is used as a reason or an aggravating fact.", "civil_rights"),
        Rule("PROTECTED_GROUND_NOTED", "warning", "A protected characteristic or First Amendment activity appears among mitigating facts.", "civil_rights"),
        Rule("REMOVABILITY_ALONE", "error", "A priority rests on nothing but the person being removable.", "principle.discretion"),
        Rule("STATUS_MISMATCH", "error", "The framework's stated status on the date disagrees with the corpus status history.", "effective_date"),
        Rule("STATUS_INVALID", "error", "The framework's status is outside the allowed values.", "effective_date"),
        Rule("STATUS_UNKNOWN_DOC", "error", "The framework names a document that is not in the corpus.", None),
    )
}


def finding(code: str, message: str, path: str | None = None, anchor: str | None = None) -> Finding:
    """A finding for rule ``code``; the provenance defaults to the rule's anchor."""
    rule = RULES[code]
    return Finding(code=code, severity=rule.severity, message=message, anchor=anchor or rule.anchor, path=path)


def containing_passage(passages: Sequence[Passage], doc_id: str, start: int, end: int) -> Passage | None:
    """The passage of ``doc_id`` whose span contains ``start:end``."""
    for p in passages:
        if p.doc_id == doc_id and p.start <= start and end <= p.end:
            return p
    return None


def check_citation(
    citation: Citation, texts: Mapping[str, str], passages: Sequence[Passage], path: str = "citation"
) -> list[Finding]:
    """Integrity of one citation: real document, exact quote at its offsets, the anchor's passage."""
    text = texts.get(citation.doc_id)
    if text is None:
        return [finding("CITE_UNKNOWN_DOC", f"{path}: document '{citation.doc_id}' is not in the index", path)]
    if not citation.quote.strip():
        return [finding("CITE_EMPTY_QUOTE", f"{path}: the quote is empty", path)]
    if not (0 <= citation.start < citation.end <= len(text)):
        found = text.find(citation.quote)
        code = "CITE_QUOTE_SHIFTED" if found >= 0 else "CITE_BAD_OFFSETS"
        return [finding(code, f"{path}: offsets {citation.start}:{citation.end} are outside '{citation.doc_id}'", path)]
    if text[citation.start : citation.end] != citation.quote:
        found = text.find(citation.quote)
        if found >= 0:
            return [
                finding(
                    "CITE_QUOTE_SHIFTED",
                    f"{path}: the quote is in '{citation.doc_id}' at {found}:{found + len(citation.quote)}, "
                    f"not at {citation.start}:{citation.end}",
                    path,
                )
            ]
        return [finding("CITE_QUOTE_NOT_FOUND", f"{path}: the quote \"{_short(citation.quote)}\" is not in '{citation.doc_id}'", path)]
    passage = containing_passage(passages, citation.doc_id, citation.start, citation.end)
    if passage is None or (citation.anchor is not None and passage.anchor != citation.anchor):
        actual = passage.anchor if passage else None
        return [
            finding(
                "CITE_WRONG_PASSAGE",
                f"{path}: the quote lies in the passage of anchor '{actual}', not '{citation.anchor}'",
                path,
            )
        ]
    return []


_MARKER = re.compile(r"\[(\d+)\]")


def check_answer(answer: Answer, texts: Mapping[str, str], passages: Sequence[Passage]) -> CheckReport:
    """All answer rules: citation integrity, markers, refusal form."""
    findings: list[Finding] = []
    for i, citation in enumerate(answer.citations):
        findings.extend(check_citation(citation, texts, passages, path=f"citations[{i}]"))
    if answer.refused:
        if not answer.answer.startswith(REFUSAL):
            findings.append(finding("REFUSAL_WORDING", f"a refusal must begin with \"{REFUSAL}\"", "answer"))
        if answer.citations:
            findings.append(finding("REFUSAL_WITH_CITATIONS", "the refusal carries citations", "citations"))
    else:
        if not answer.citations:
            findings.append(finding("ANSWER_UNCITED", "the answer has no citation", "citations"))
        for marker in sorted({int(m) for m in _MARKER.findall(answer.answer)}):
            if not 1 <= marker <= len(answer.citations):
                findings.append(finding("ANSWER_MARKER_UNRESOLVED", f"marker [{marker}] has no citation", "answer"))
    return CheckReport.of(findings)


STATUS_PROVENANCE = {
    "2021-09-30": "effective_date",
    "2021-11-29": "effective_date",
    "2022-06-24": "guidelines-status-history.vacatur",
    "2023-06-23": "guidelines-status-history.standing_decision",
    "2025-01-20": "guidelines-status-history.executive_orders_2025",
}
"""The passage that states each status event (by its date), the provenance of a STATUS_MISMATCH."""


def check_status(
    doc_id: str, on: dt.date, claimed: str, source: PassageSet, settings: Settings | None = None, path: str = "status"
) -> list[Finding]:
    """A claimed status of ``doc_id`` on ``on`` against the corpus status history."""
    from .corpus import load_manifest, status_on

    meta = source.metas.get(doc_id)
    if meta is None and settings is not None:
        meta = load_manifest(settings.paths.corpus_dir).get(doc_id)
    if meta is None:
        return [finding("STATUS_UNKNOWN_DOC", f"document '{doc_id}' is not in the corpus", f"{path}.doc_id")]
    actual = status_on(meta, on)
    if actual.state == "unknown" or actual.state == claimed:
        return []
    since = f" since {actual.since.isoformat()}" if actual.since else ""
    anchor = STATUS_PROVENANCE.get(actual.since.isoformat() if actual.since else "", "effective_date")
    return [finding(
        "STATUS_MISMATCH",
        f"'{doc_id}' is said to be '{claimed}' on {on.isoformat()}, but it was '{actual.state}'{since}: {actual.note}",
        path, anchor=anchor,
    )]


def check_analysis(
    analysis: FactorAnalysis,
    source: PassageSet,
    case: object | None = None,
    settings: Settings | None = None,
    derived: FactorAnalysis | None = None,
    leniency: Leniency | None = None,
) -> CheckReport:
    """Every rule for a factor analysis; with ``case``, agreement with the rules' reading of its facts.

    ``derived`` is the analysis the rules give for ``case`` (computed with ``analysis.analyze`` when
    not given); ``leniency`` carries what the JSON reader already reported (see ``read_analysis``).
    """
    from . import check_analyses

    return check_analyses.check_analysis(analysis, source, case, settings, derived, leniency)


# --- checking a file ------------------------------------------------------------------------------

ANSWER_KEYS = frozenset({"question", "answer", "refused"})
ANALYSIS_KEYS = frozenset({"case_id", "priorities", "framework"})


def check_file(path: Path | str, source: PassageSet, case: object | None = None, settings: Settings | None = None) -> CheckReport:
    """Check the JSON of an answer (CONTRACTS section 2) or an analysis (section 4) read from ``path``.

    The two are told apart by their keys. A file that cannot be read, is not JSON, or is neither
    raises ``InputError``. ``case`` applies to analyses only.
    """
    path = Path(path)
    data = read_json(path)
    if ANSWER_KEYS <= data.keys():
        answer = _validate(Answer, data, path, "an answer (CONTRACTS section 2)")
        report = check_answer(answer, source.texts, source.passages)
        if answer.status is not None and answer.status.state != "unknown":
            s = answer.status
            extra = check_status(s.doc_id, s.as_of, s.state, source, settings, "status")
            report = CheckReport.of(report.findings + extra)
        return report
    if ANALYSIS_KEYS <= data.keys():
        analysis, leniency = read_analysis(data, path)
        return check_analysis(analysis, source, case=case, settings=settings, leniency=leniency)
    raise InputError(
        f"{path} is neither an answer (keys {', '.join(sorted(ANSWER_KEYS))}) nor an analysis "
        f"(keys {', '.join(sorted(ANALYSIS_KEYS))}); give the JSON of `guidance ask --json` or `guidance memo --json`"
    )


def read_json(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``; anything else is an InputError."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path} cannot be read: {exc}") from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} is not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path} holds JSON {type(data).__name__}, not an object")
    return data


def read_analysis(data: dict[str, Any], path: Path | str = "analysis") -> tuple[FactorAnalysis, Leniency]:
    """An analysis from (possibly edited) JSON: values outside the allowed sets become findings, not errors."""
    from .check_analyses import FINDING_VALUES, PRIORITY_IDS, STATUS_VALUES, Leniency

    leniency = Leniency()
    data = dict(data)
    data.pop("check", None)  # the report is recomputed, never trusted
    priorities = data.get("priorities")
    if isinstance(priorities, list):
        kept = []
        for i, p in enumerate(priorities):
            if not isinstance(p, dict):
                kept.append(p)
                continue
            where = f"priorities[{i}]"
            if p.get("id") not in PRIORITY_IDS:
                leniency.findings.append(finding(
                    "FINDING_INVALID", f"the priority id {p.get('id')!r} is not one of {', '.join(PRIORITY_IDS)}", f"{where}.id",
                ))
                continue
            if p.get("finding") not in FINDING_VALUES:
                leniency.findings.append(finding(
                    "FINDING_INVALID",
                    f"{p['id']}: the finding {p.get('finding')!r} is not one of {', '.join(FINDING_VALUES)}",
                    f"{where}.finding", anchor=f"priority.{p['id']}",
                ))
                leniency.skip_priorities.add(p["id"])
                p = {**p, "finding": "insufficient_facts"}
            kept.append(p)
        data["priorities"] = kept
    framework = data.get("framework")
    if isinstance(framework, dict) and framework.get("status_on_assessed_date") not in STATUS_VALUES:
        leniency.findings.append(finding(
            "STATUS_INVALID",
            f"the status {framework.get('status_on_assessed_date')!r} is not one of {', '.join(STATUS_VALUES)}",
            "framework.status_on_assessed_date",
        ))
        leniency.skip_status = True
        data["framework"] = {**framework, "status_on_assessed_date": "in_effect"}
    return _validate(FactorAnalysis, data, path, "an analysis (CONTRACTS section 4)"), leniency


def _validate(model: Any, data: dict[str, Any], path: Path | str, what: str) -> Any:
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise InputError(f"{path} is not {what}: {problems}") from None


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."

