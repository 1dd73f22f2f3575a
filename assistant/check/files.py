"""Checking a file: the JSON of an answer or an analysis, possibly edited by a person, read leniently.

Values outside the allowed sets become findings rather than read errors, so a person who edited
an analysis learns exactly what is wrong; a file that is not JSON, or neither kind, is an
``InputError``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import InputError
from assistant.types import Answer, CheckReport, FactorAnalysis

from .analyses import FINDING_VALUES, PRIORITY_IDS, STATUS_VALUES, Leniency, check_analysis
from .answers import check_answer
from .rules import finding
from .status import check_status

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.corpus.passages import PassageSet

ANSWER_KEYS = frozenset({"question", "answer", "refused"})
ANALYSIS_KEYS = frozenset({"case_id", "priorities", "framework"})


def check_file(
    path: Path | str, source: PassageSet, case: object | None = None, settings: Settings | None = None,
    derived: FactorAnalysis | None = None,
) -> CheckReport:
    """Check the JSON of an answer (docs/CONTRACTS.md section 2) or an analysis (section 4) read from ``path``.

    The two are told apart by their keys. A file that cannot be read, is not JSON, or is neither
    raises ``InputError``. ``case`` (with ``derived``, the analysis the rules give for it) applies
    to analyses only.
    """
    path = Path(path)
    data = read_json(path)
    if ANSWER_KEYS <= data.keys():
        answer = _validate(Answer, data, path, "an answer (docs/CONTRACTS.md section 2)")
        report = check_answer(answer, source.texts, source.passages, source.metas)
        if answer.status is not None and answer.status.state != "unknown":
            s = answer.status
            extra = check_status(s.doc_id, s.as_of, s.state, source, settings, "status")
            report = CheckReport.of(report.findings + extra)
        return report
    if ANALYSIS_KEYS <= data.keys():
        analysis, leniency = read_analysis(data, path)
        return check_analysis(analysis, source, case=case, settings=settings, derived=derived, leniency=leniency)
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
    return _validate(FactorAnalysis, data, path, "an analysis (docs/CONTRACTS.md section 4)"), leniency


def _validate(model: Any, data: dict[str, Any], path: Path | str, what: str) -> Any:
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise InputError(f"{path} is not {what}: {problems}") from None
