"""The checker's rule table: every rule has a stable code, a severity, what it checks and its provenance.

Each rule is a row of ``RULES``: the anchor of the guideline passage it encodes, or ``None`` for
integrity rules that encode no passage. ``finding`` makes a finding of a rule. The refusal
sentence is one constant here, shared by the composer, the checker and the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.types import Finding, Severity

REFUSAL = "The guidelines do not address this question."
"""The one refusal sentence, shared by the composer, the checker and the tests."""
PREMISE = "The guidelines do not support the premise of this question."
"""The fixed sentence that opens an answer to a question built on a premise the guidelines contradict."""
MEMO_HINT = ("To lay out a case's facts against the priorities and factors, use the case memo: guidance memo CASE_FILE "
             "(guidance intake drafts a case file from a narrative), or the Case memo page of the app.")
"""The fixed hint under an answer to a case typed as a question."""
PART_HEADER = "Part {n} of {total}: {question}"
"""The header of each part of a multi-part question's answer (the part is the user's own words, never a claim)."""
CLARIFY = ("This follow-up could not be matched to an earlier answer with confidence. "
           "Please ask it again as a full question.")
"""The fixed answer to a follow-up the conversation cannot resolve (the assistant never answers a guess)."""
ANSWER_CONSTANTS = (REFUSAL, PREMISE, MEMO_HINT, CLARIFY)
"""Every sentence an answer may show that is not a quote: the refusal, the premise correction, the memo hint."""


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
        Rule("CITE_NOT_GUIDELINES", "error", "A citation's label or anchor claims a bundled document (the guidelines or "
             "their status history), but the cited document is one a user ingested.", "about"),
        Rule("ANSWER_MARKER_UNRESOLVED", "error", "The answer text has a marker [n] with no citation n."),
        Rule("ANSWER_UNCITED", "error", "An answer that is not a refusal has no citation."),
        Rule("REFUSAL_WITH_CITATIONS", "warning", "A refusal carries citations; refusals cite nothing."),
        Rule("REFUSAL_WORDING", "error", "A refusal does not use the shared refusal sentence (or, for a follow-up that could not be resolved, the clarification)."),
        Rule("ANSWER_LINE_UNVERIFIED", "error", "A line of the answer is neither the quote of its citation nor one of the fixed sentences."),
        Rule("RELATED_INVALID", "error", "A related quote shown under a refusal fails the citation checks."),
        # --- factor analyses (docs/CONTRACTS.md section 4); the rules live in assistant/check_analysis.py
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
        # --- memos (assistant/check/memos.py)
        Rule("MEMO_PROSE_CITED", "error", "A memo's own prose carries a citation marker; only a quote of the passage may.", None),
        Rule("MEMO_QUOTE_ALTERED", "error", "A cited text of a memo is not the exact quote of its citation.", None),
        Rule("MEMO_QUOTE_UNCITED", "error", "A quote in a memo names no citation.", None),
    )
}


def finding(code: str, message: str, path: str | None = None, anchor: str | None = None) -> Finding:
    """A finding for rule ``code``; the provenance defaults to the rule's anchor."""
    rule = RULES[code]
    return Finding(code=code, severity=rule.severity, message=message, anchor=anchor or rule.anchor, path=path)
