"""Typed objects passed between the pipeline stages.

Every seam of the pipeline (read -> split -> embed/store -> retrieve -> compose -> check) passes
one of these pydantic models, never a raw dict or a LangChain ``Document``. Their JSON forms are
the public contracts of ``docs/CONTRACTS.md`` (sections 2 and 5), so fields are only added,
never renamed.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

BlockKind = Literal["heading", "paragraph", "list_item"]
StatusState = Literal["not_yet_effective", "in_effect", "enjoined", "vacated", "rescinded", "unknown"]
Confidence = Literal["C2", "C1", "R", "UNCONFIRMED"]
Severity = Literal["error", "warning", "info"]


class Block(BaseModel):
    """One structural unit of a read document: a heading, a paragraph or a list item.

    ``start``/``end`` are offsets into the document's canonical text, which is the blocks' texts
    joined by blank lines. Readers fill ``level`` for headings they can see as headings (Markdown
    ``#``, DOCX heading styles, HTML ``<h1>``..``<h6>``) and ``bold_lead`` for a bold run-in
    heading at the start of a paragraph (its length in characters).
    """

    model_config = ConfigDict(extra="forbid")

    text: str
    kind: BlockKind = "paragraph"
    level: int = Field(0, description="Heading level 1-6 when the format marks it; 0 otherwise.")
    bold_lead: int = Field(0, description="Length of a bold run-in heading at the start, if any.")
    anchor: str | None = Field(None, description="Anchor given by the source (bundled corpus).")
    start: int = 0
    end: int = 0


class ParsedDocument(BaseModel):
    """A document read into canonical text plus the blocks that tile it."""

    model_config = ConfigDict(extra="forbid")

    doc_id: str
    source: str = Field(description="Where the document was read from (a path).")
    format: str = Field(description="md, txt, pdf, docx or html.")
    title: str | None = None
    text: str = Field(description="Canonical text: the blocks joined by blank lines.")
    blocks: list[Block]


class Passage(BaseModel):
    """A retrievable unit: an exact span of a document's canonical text, with its section."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Derived from doc_id, section, anchor and text.")
    doc_id: str
    anchor: str | None = None
    section: str = Field("", description="Section path such as 'II.B', or a heading when unnumbered.")
    heading: str = ""
    section_path: list[str] = Field(default_factory=list, description="Headings from the top down.")
    text: str
    start: int
    end: int
    order: int = Field(0, description="Position of the passage within its document.")
    label: str = Field("", description="Human-readable label, e.g. 'Guidelines 2021, II.B, ...'.")
    keywords: list[str] = Field(default_factory=list, description="Aliases of the passage's anchor (search only).")


class StatusEvent(BaseModel):
    """A dated change in a document's legal status, from the corpus manifest."""

    model_config = ConfigDict(extra="forbid")

    date: dt.date
    state: StatusState
    event: str
    note: str = ""
    label: str = Field("", description="What a person reads, e.g. 'no longer applied since 2025-01-20; form of rescission unconfirmed'.")
    anchor: str | None = Field(None, description="The anchor of the passage that tells of this event (e.g. guidelines-status-history.vacatur).")
    confidence: Confidence = Field("C2", description="Confidence tag carried over from the fact sheet: C2, C1, R or UNCONFIRMED.")


class LaterEvent(BaseModel):
    """A status event after the date a status is given for: later history, kept apart from the status."""

    date: dt.date
    state: StatusState
    label: str = ""
    event: str = ""
    confidence: Confidence = "C2"


FactKind = Literal["date", "name", "document", "court", "number", "place"]


class UnitAnswers(BaseModel):
    """What one unit of the corpus can answer: the kinds of ask, and the facts it carries (manifest ``answers``)."""

    model_config = ConfigDict(extra="forbid")

    asks: list[str] = Field(default_factory=list, description="Kinds of ask the unit answers (see AskKind).")
    facts: list[FactKind] = Field(default_factory=list, description="Facts the unit states: dates, names, documents, ...")


class DocumentMeta(BaseModel):
    """Metadata of one corpus document, read from ``corpus/manifest.yaml``."""

    model_config = ConfigDict(extra="forbid")

    id: str
    title: str
    short_title: str = Field(description="Used in citation labels, e.g. 'Guidelines 2021'.")
    path: str = Field(description="File of the restatement, relative to the corpus folder.")
    issuer: str = ""
    signed: dt.date | None = None
    effective: dt.date | None = None
    official_source: str = Field("", description="Address of the official text.")
    sources: list[str] = Field(default_factory=list, description="Further public sources of the facts.")
    restatement: bool = True
    kind: str = "guidelines"
    description: str = ""
    status_history: list[StatusEvent] = Field(default_factory=list)
    anchors: dict[str, str] = Field(default_factory=dict, description="anchor -> human label")
    aliases: dict[str, list[str]] = Field(
        default_factory=dict, description="anchor -> plain words for the unit; indexed and embedded, never quoted"
    )
    answers: dict[str, UnitAnswers] = Field(
        default_factory=dict, description="anchor -> the kinds of ask the unit answers and the facts it carries; "
        "'default' applies to an anchor not listed. An ask no retrieved unit answers is refused.",
    )


class Status(BaseModel):
    """A document's legal status on a given date (docs/CONTRACTS.md section 2, ``status``)."""

    doc_id: str
    as_of: dt.date
    state: StatusState
    note: str = Field("", description="The event that set the state and what is known of it, as of that date (no later event).")
    since: dt.date | None = None
    label: str = Field("", description="What a person reads, e.g. 'enjoined: a nationwide preliminary injunction barred relying on them'.")
    confidence: Confidence | None = Field(None, description="The confidence tag of the event that set the state.")
    source: str | None = Field(None, description="The anchor of the passage that tells of that event.")
    source_label: str | None = Field(None, description="That passage as a person would cite it, e.g. 'Status history, 2022 vacatur'.")
    later: list[LaterEvent] = Field(default_factory=list, description="Events after as_of: later history, not known on that date.")


class Citation(BaseModel):
    """A verified pointer from a claim to an exact span of a document (docs/CONTRACTS.md section 2)."""

    doc_id: str
    anchor: str | None = None
    section: str = ""
    heading: str = ""
    quote: str
    start: int
    end: int
    label: str = ""
    passage_id: str = ""


class Retrieved(BaseModel):
    """One ranked passage that the answer was built from."""

    doc_id: str
    anchor: str | None = None
    section: str = ""
    score: float
    passage_id: str = ""
    label: str = ""
    dense: float | None = Field(None, description="Cosine similarity of the dense retriever.")
    lexical: float | None = Field(None, description="BM25 score of the lexical retriever.")


class Finding(BaseModel):
    """One problem the checker found; ``anchor`` names the passage the rule encodes."""

    code: str
    severity: Severity = "error"
    message: str
    anchor: str | None = Field(None, description="Provenance: the passage the rule encodes.")
    path: str | None = Field(None, description="Where in the checked object, e.g. 'citations[2]'.")


class CheckReport(BaseModel):
    """The checker's verdict: passed when no finding has severity 'error'."""

    passed: bool = True
    findings: list[Finding] = Field(default_factory=list)

    @classmethod
    def of(cls, findings: list[Finding]) -> CheckReport:
        """Build a report whose ``passed`` follows from the findings."""
        return cls(passed=not any(f.severity == "error" for f in findings), findings=findings)


class Outcome(BaseModel):
    """What happened while answering, as typed fields (``Answer.backend`` says the same in one string)."""

    backend: str = Field("extractive", description="The backend asked for: extractive, openai or ollama.")
    composer: Literal["extractive", "chat_model"] = Field("extractive", description="Who composed the answer shown.")
    model: str | None = Field(None, description="The chat model asked for, e.g. 'openai:qwen2.5-7b-instruct'.")
    refusal: str | None = Field(
        None, description="Why the answer is a refusal: relevance, out_of_scope_topic, model (the model declined), "
        "unverified (no claim survived verification); None when answered.",
    )
    fallback: bool = Field(False, description="The model's answer could not be verified; the extractive answer is shown.")
    fallback_reason: str | None = Field(None, description="Why it fell back (e.g. 'timeout after 60 s', 'no verified claim').")
    drafting: Literal["verified", "repaired", "dropped", "incomplete"] | None = Field(
        None, description="A chat model's draft: every claim verified; verified after a repair round; unverified claims "
        "dropped; or cut off (a stream broke) after some claims verified.",
    )
    drafting_failure: str | None = Field(None, description="For 'incomplete': what broke the draft off.")

    def label(self) -> str:
        """The ``backend`` string of an answer with this outcome (kept as it always was)."""
        if self.composer == "extractive" and self.backend == "extractive":
            return "extractive"
        if self.fallback:
            return f"extractive (fallback: {self.fallback_reason or 'no verified claim'})"
        model = self.model or self.backend
        if self.refusal in ("relevance", "out_of_scope_topic"):
            return f"{model} (refused by the relevance gate)"
        if self.drafting == "repaired":
            return f"{model} (repaired)"
        if self.drafting == "dropped":
            return f"{model} (unverified claims dropped)"
        if self.drafting == "incomplete":
            return f"{model} (incomplete: {self.drafting_failure})"
        return model


class MemoLine(BaseModel):
    """One text of a memo as the memo checker sees it: a verified quote with its citation number, or prose."""

    kind: Literal["quote", "prose"]
    text: str
    ref: int | None = Field(None, description="A quote: the number of the citation it quotes.")


AskKind = Literal[
    "counts", "says", "list", "fact", "assessment", "procedure", "amount", "definition", "status", "comparison",
]
"""What a question asks: whether something counts or matters; what the guidelines say about something; a list;
a fact (who, when, which, how many); how an assessment is made; a procedure or how-to; an amount, fee, duration,
penalty or form; a definition from other law; the status on a date; a comparison with the 2021 interim guidance."""


class Correction(BaseModel):
    """A word of the question corrected against the corpus's vocabulary before searching."""

    original: str
    corrected: str


class AskReading(BaseModel):
    """What the ask model read a question as: the likeliest refused kind and the probability of a refused kind."""

    kind: Literal["procedure", "amount", "definition"]
    probability: float = Field(description="The probability that the ask is a procedure, an amount or another law's rule.")


class DateNamed(BaseModel):
    """A date or period the question names, and the day whose status answers it."""

    text: str = Field(description="The words of the question that name it.")
    start: dt.date
    end: dt.date
    on: dt.date = Field(description="The day the status is reported for.")
    event: bool = Field(False, description="Dated by an event of the history ('right after the Supreme Court ruled').")
    now: bool = Field(False, description="'now', 'today', 'currently': the day the question is asked.")


class Understood(BaseModel):
    """The question frame: what is asked, about what, when, on which premise (docs/CONTRACTS.md section 8)."""

    question: str = Field(description="The question as asked.")
    searched_for: str = Field(description="The question after spelling corrections: what was searched for.")
    ask_clause: str = Field("", description="The clause that asks (the last question of a setup and a question); "
                            "empty in frames written before it was recorded, read as the whole question.")
    asked_for: str | None = Field(None, description="The noun a what/which question asks for by name ('What reasoning "
                                  "did the court give?': reasoning), which the passages nearest it must hold.")
    ask: AskKind
    fact: Literal["who", "when", "which", "how_many", "where", "duration"] | None = Field(
        None, description="For a fact ask: which kind of fact."
    )
    topic: list[str] = Field(default_factory=list, description="Words naming what the question is about.")
    focus: list[str] = Field(default_factory=list, description="Words of the ask itself (what a sentence must speak to).")
    dates: list[DateNamed] = Field(default_factory=list)
    premise: str | None = Field(None, description="The id of a premise the question takes for granted that the guidelines contradict.")
    premise_text: str | None = Field(None, description="That premise in words.")
    premise_asked: str | None = Field(
        None, description="The id of a premise a yes/no question asks about without taking it for granted (answered by "
        "its correcting passages, with no correction).",
    )
    corrections: list[Correction] = Field(default_factory=list)
    parts: list[str] = Field(default_factory=list, description="A multi-part question's parts, each answered on its own.")
    case_question: bool = Field(False, description="A case's facts typed as a question (is he a priority?).")
    number_ask: bool = Field(False, description="It asks for a number (an age, years, a count) the guidelines do not set.")
    unfamiliar: list[str] = Field(default_factory=list, description="Words of the ask the corpus never uses (any form).")
    ask_model: AskReading | None = Field(
        None, description="The ask model's reading of the question (assistant.answer.askmodel), when it was consulted."
    )
    answerable: bool = Field(True, description="Whether a unit of the corpus answers this kind of ask.")
    unanswerable_reason: str | None = Field(None, description="Why not, when not.")


class PartAnswer(BaseModel):
    """One part of a multi-part question: its text, whether it was refused, and its citations (numbers in the answer)."""

    question: str
    refused: bool
    citations: list[int] = Field(default_factory=list, description="1-based numbers of the answer's citations.")


class Answer(BaseModel):
    """The answer to a question (docs/CONTRACTS.md section 2)."""

    question: str
    answer: str
    refused: bool
    citations: list[Citation] = Field(default_factory=list)
    retrieved: list[Retrieved] = Field(default_factory=list)
    status: Status | None = None
    check: CheckReport = Field(default_factory=CheckReport)
    backend: str = Field("extractive", description="Who composed the answer, in one string; see ``outcome`` for the typed fields.")
    outcome: Outcome = Field(default_factory=Outcome)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    understood: Understood | None = Field(None, description="The question frame the answer was built from.")
    related: list[Citation] = Field(
        default_factory=list, description="On a refusal: verified quotes of the closest units, related, not the answer."
    )
    parts: list[PartAnswer] = Field(default_factory=list, description="A multi-part question's parts, each answered on its own.")
    premise_corrected: bool = Field(False, description="The answer opens with the premise correction.")
    memo_hint: bool = Field(False, description="A case typed as a question: the answer points to the case memo.")
    resolved_question: str | None = Field(
        None, description="The standalone question actually answered: the question itself, or a follow-up resolved "
        "against the earlier turns of its conversation.",
    )
    context_turn: int | None = Field(
        None, description="The earlier turn (1-based) a follow-up drew on; None for a question that needs no context.",
    )


# --- case factor analysis (docs/CONTRACTS.md section 4) ----------------------------------------------------

PriorityId = Literal["national_security", "public_safety", "border_security"]
PriorityOutcome = Literal["meets", "does_not_meet", "officer_assessment", "insufficient_facts"]
FrameworkState = Literal["not_yet_effective", "in_effect", "enjoined", "vacated", "rescinded"]


class PriorityFinding(BaseModel):
    """The analysis of one enforcement priority."""

    id: PriorityId
    finding: PriorityOutcome
    reasons: list[str] = Field(default_factory=list, description="Each reason names the fact it rests on.")
    citations: list[Citation] = Field(default_factory=list)


class FactorFinding(BaseModel):
    """An aggravating or mitigating factor that the case facts trigger."""

    id: str = Field(description="The factor's anchor, e.g. 'mit.age'.")
    label: str = ""
    facts: list[str] = Field(default_factory=list, description="The case facts that trigger the factor.")
    citations: list[Citation] = Field(default_factory=list)
    note: str = Field("", description="E.g. that the guidelines set no number for this threshold.")


class FrameworkStatus(BaseModel):
    """The guidelines' legal status on the assessment date."""

    doc_id: str
    status_on_assessed_date: FrameworkState
    note: str = ""
    since: dt.date | None = None
    label: str = Field("", description="What a person reads about the status on the assessment date.")
    confidence: Confidence | None = Field(None, description="The confidence tag of the event that set the status.")
    source: str | None = Field(None, description="The anchor of the passage that tells of that event.")
    source_label: str | None = Field(None, description="That passage as a person would cite it.")
    later: list[LaterEvent] = Field(default_factory=list, description="Events after the assessment date (later history).")


class FactorAnalysis(BaseModel):
    """The factor analysis of a case (docs/CONTRACTS.md section 4). The decision stays the officer's."""

    case_id: str
    assessed_on: dt.date
    framework: FrameworkStatus
    priorities: list[PriorityFinding]
    aggravating: list[FactorFinding] = Field(default_factory=list)
    mitigating: list[FactorFinding] = Field(default_factory=list)
    check: CheckReport = Field(default_factory=CheckReport)
    thresholds: dict[str, float] = Field(default_factory=dict, description="Thresholds the tool applied (no number in the guidelines).")
