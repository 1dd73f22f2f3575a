"""The rules for an answer: citation integrity, resolvable markers, and the one refusal form."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from assistant.types import Answer, CheckReport, Finding, Passage

from .citations import check_citation
from .rules import REFUSAL, finding

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
