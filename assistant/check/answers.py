"""The rules for an answer: citation integrity, resolvable markers, and the one refusal form."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from assistant.types import Answer, CheckReport, DocumentMeta, Finding, Passage

from .citations import check_citation
from .rules import ANSWER_CONSTANTS, CLARIFY, PART_HEADER, REFUSAL, finding

_MARKER = re.compile(r"\[(\d+)\]")
_QUOTED_LINE = re.compile(r"^(?:- )?(?P<text>.*?)(?P<markers>(?: \[\d+\])+)$")


def check_answer(
    answer: Answer, texts: Mapping[str, str], passages: Sequence[Passage], metas: Mapping[str, DocumentMeta] | None = None
) -> CheckReport:
    """All answer rules: citation integrity (with ``metas``: no user document passing for the guidelines), markers,
    refusal form."""
    findings: list[Finding] = []
    for i, citation in enumerate(answer.citations):
        findings.extend(check_citation(citation, texts, passages, f"citations[{i}]", metas))
    if answer.refused:
        if not answer.answer.startswith((REFUSAL, CLARIFY)):
            findings.append(finding("REFUSAL_WORDING", f"a refusal must begin with \"{REFUSAL}\"", "answer"))
        if answer.citations:
            findings.append(finding("REFUSAL_WITH_CITATIONS", "the refusal carries citations", "citations"))
    else:
        if not answer.citations:
            findings.append(finding("ANSWER_UNCITED", "the answer has no citation", "citations"))
        for marker in sorted({int(m) for m in _MARKER.findall(answer.answer)}):
            if not 1 <= marker <= len(answer.citations):
                findings.append(finding("ANSWER_MARKER_UNRESOLVED", f"marker [{marker}] has no citation", "answer"))
        findings.extend(_line_findings(answer))
    for i, citation in enumerate(answer.related):
        for f in check_citation(citation, texts, passages, f"related[{i}]", metas):
            findings.append(finding("RELATED_INVALID", f"related quote {i + 1}: {f.message}", f"related[{i}]"))
    return CheckReport.of(findings)


def _line_findings(answer: Answer) -> list[Finding]:
    """Every line is a quote followed by its marker, a fixed sentence, or a part's header (its own words).

    A chat model's line is its verified claim (checked word by word by the drafting), so only its
    markers are checked; a deterministic line must be the exact quote of the citation it names.
    """
    headers = {PART_HEADER.format(n=i, total=len(answer.parts), question=p.question) for i, p in enumerate(answer.parts, 1)}
    out = []
    for n, line in enumerate(answer.answer.splitlines(), 1):
        text = line.strip()
        if not text or text in ANSWER_CONSTANTS or text in headers:
            continue
        match = _QUOTED_LINE.match(text)
        if match is None:
            out.append(finding("ANSWER_LINE_UNVERIFIED", f"line {n} is neither a cited quote nor a fixed sentence", "answer"))
            continue
        markers = [int(m) for m in _MARKER.findall(match["markers"])]
        if answer.outcome.composer == "chat_model" or not all(1 <= m <= len(answer.citations) for m in markers):
            continue  # a model's claim, or an unresolved marker (reported above)
        if len(markers) != 1 or answer.citations[markers[0] - 1].quote != match["text"]:
            out.append(finding("ANSWER_LINE_UNVERIFIED", f"line {n} is not the exact quote of citation {markers[0]}", "answer"))
    return out
