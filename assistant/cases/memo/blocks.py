"""The memo as format-neutral blocks: headings, paragraphs, a warning box, bullet lists and tables.

``memo_blocks`` turns an analysis (and its case) into one list of blocks; each writer
(``markdown``, ``docx``, ``pdf``) only renders blocks, so the three formats always say the same
thing. The memo lays out the considerations on both sides and never states a verdict: the
totality judgment is the officer's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from assistant.cases.models import items_text
from assistant.check.memos import check_memo_lines
from assistant.citations.cite import citation, passage_sentences
from assistant.citations.numbering import Numbering
from assistant.corpus.status import HEADLINES, confidence_words, headline
from assistant.types import CheckReport, Citation, FactorAnalysis, FactorFinding, Finding, MemoLine

if TYPE_CHECKING:
    from assistant.cases.facts import Case
    from assistant.corpus.passages import PassageSet

Narrative = list[tuple[str, Citation]]  # verified model-drafted sentences, each with its citation

FINDING_TEXT = {
    "meets": "MEETS the priority",
    "does_not_meet": "DOES NOT MEET the priority",
    "officer_assessment": "OFFICER'S ASSESSMENT (the guidelines leave it to the officer's totality judgment)",
    "insufficient_facts": "INSUFFICIENT FACTS to tell",
}
PRIORITY_TITLES = {
    "national_security": "Threat to national security",
    "public_safety": "Threat to public safety",
    "border_security": "Threat to border security",
}
STATUS_TEXT = {state: words.upper() for state, words in HEADLINES.items()}
UNNUMBERED_THRESHOLDS = (
    "advanced or tender age (mit.age)",
    "lengthy presence in the United States (mit.lengthy_presence)",
    "a serious prior criminal record (agg.prior_record)",
    "the time since the offense (mit.rehabilitation)",
)
THRESHOLD_LABELS = {
    "advanced_age": "advanced age: this age or older",
    "tender_age": "tender age: younger than this age",
    "lengthy_presence_years": "lengthy presence: at least this many years in the United States",
    "rehabilitation_years": "time since the most recent offense: at least this many years",
    "serious_prior_record_min": "serious prior record: at least this many earlier serious convictions",
}
NO_VERDICT = (
    "This section lists the considerations on each side as the facts present them. It does not weigh "
    "them and states no conclusion: whether to take enforcement action is the officer's decision, made "
    "on the totality of the facts and circumstances."
)


@dataclass
class Block:
    """One format-neutral unit of the memo."""

    kind: Literal["title", "heading", "para", "warning", "bullets", "table", "quote"]
    text: str = ""  # a quote block's text is exactly its citation's quote
    level: int = 1
    lead: str = ""  # a bold run-in lead of a paragraph
    items: list[str] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    ref: int | None = None  # a quote block: the number of its citation


def _quote(refs: Numbering, citation: Citation) -> Block:
    """A verified quote of a passage with its citation number (the only kind of block that cites a text)."""
    return Block("quote", citation.quote, ref=refs.number(citation))


def _quotes(refs: Numbering, source: PassageSet, anchor: str) -> list[Block]:
    """Every sentence of the passage that states ``anchor``, each as a cited quote."""
    passage = source.with_anchor(anchor)[0]
    return [_quote(refs, citation(source, passage, s, e)) for s, e in passage_sentences(passage)]


def _h(text: str, level: int = 1) -> Block:
    return Block("heading", text, level=level)


def _p(text: str, lead: str = "") -> Block:
    return Block("para", text, lead=lead)


def _bullets(items: list[str]) -> Block:
    return Block("bullets", items=items)


def memo_blocks(
    analysis: FactorAnalysis, case: Case | None, source: PassageSet, narrative: Narrative | None = None
) -> list[Block]:
    """The memo as blocks; ``source`` provides the civil-rights and no-private-right citations.

    ``narrative``: verified sentences a language model drafted (``generate.draft_narrative``), shown
    in their own section; None leaves the section out.
    """
    refs = Numbering()
    meta = source.metas.get(analysis.framework.doc_id)
    blocks = [Block("title", f"Factor analysis memo: case {analysis.case_id}")]
    blocks += _header(analysis, case, meta, source)
    blocks += [_h("1. Facts of the case"), _bullets(facts_summary(case)) if case else _p("No case file was given.")]
    blocks.append(_h("2. Enforcement priorities"))
    for p in sorted(analysis.priorities, key=lambda p: list(PRIORITY_TITLES).index(p.id)):
        blocks.append(_h(f"{PRIORITY_TITLES[p.id]}: {FINDING_TEXT[p.finding]}", 2))
        blocks.append(_bullets(p.reasons or ["(no reason stated)"]))
        blocks.append(_p(refs.refs(p.citations), lead="Cited: "))
    blocks += _factor_section("3. Aggravating factors", analysis.aggravating, refs, "aggravating")
    blocks += _factor_section("4. Mitigating factors", analysis.mitigating, refs, "mitigating")
    blocks += [_h("5. What must never be a factor"),
               _p("What the guidelines say on this, quoted from the restatement:")]
    blocks += _quotes(refs, source, "civil_rights")
    blocks += _totality(analysis)
    blocks += _thresholds(analysis)
    if narrative is not None:
        blocks += _narrative(narrative, refs)
    blocks += _later_history(analysis)
    official = f" The official text is at {meta.official_source}." if meta and meta.official_source else ""
    disclaimer = [
        _h("9. Disclaimer"),
        _p("This memo is not legal advice. It is drafted by software from an unofficial restatement of the "
           f"guidelines written in this project's own words, not from the official text.{official} Every finding here "
           "must be verified by the officer against the record and the official text. On rights and obligations, the "
           "guidelines say:"),
        *_quotes(refs, source, "no_private_right"),
    ]
    blocks.append(_h("8. Citations"))
    blocks.append(_bullets([
        f"[{i}] {c.label or c.anchor} ({c.doc_id}, characters {c.start}-{c.end}): \u201c{c.quote}\u201d"
        for i, c in enumerate(refs.cited, 1)
    ]))
    blocks += disclaimer
    blocks += _check_section(analysis, check_memo_lines(memo_lines(blocks), refs.cited, source))
    return blocks


def memo_lines(blocks: list[Block]) -> list[MemoLine]:
    """Every text of the memo as the memo checker sees it: quotes with their citation number, and prose."""
    lines: list[MemoLine] = []
    for b in blocks:
        if b.kind == "quote":
            lines.append(MemoLine(kind="quote", text=b.text, ref=b.ref))
            continue
        texts = [b.lead + b.text] + b.items + b.header + [cell for row in b.rows for cell in row]
        lines += [MemoLine(kind="prose", text=t) for t in texts if t]
    return lines


def _header(analysis: FactorAnalysis, case: Case | None, meta, source: PassageSet) -> list[Block]:
    fw = analysis.framework
    words, rest = headline(fw.label, fw.status_on_assessed_date)
    title = meta.title if meta else fw.doc_id
    rows = [["Case", analysis.case_id], ["Assessment date", analysis.assessed_on.isoformat()]]
    person = getattr(case, "person", None)
    if person is not None and getattr(person, "name", None):
        rows.append(["Name", person.name])
    if person is not None and getattr(person, "a_number", None):
        rows.append(["A-number", person.a_number])
    on = analysis.assessed_on.isoformat()
    rows += [["Framework", f"{title} ({fw.doc_id})"], [f"Status on {on}", f"{words}{rest}."]]
    if fw.note:
        rows.append(["About the status", fw.note])
    if fw.confidence:
        rows.append(["Confidence of the status", f"{confidence_words(fw.confidence)} ({fw.confidence})"])
    if fw.source_label:
        rows.append(["Source of the status", f"{fw.source_label} ({fw.source})"])
    blocks = [Block("table", header=["", ""], rows=rows)]
    if fw.status_on_assessed_date != "in_effect":
        blocks.append(Block("warning", (
            f"WARNING: on the assessment date {on} the 2021 guidelines were {words}{rest}, not in effect. This memo "
            "applies them as written; it does not state the policy that governed on that date."
        )))
    elif fw.confidence == "UNCONFIRMED":
        blocks.append(Block("warning", (
            f"CAUTION: the guidelines' status on the assessment date {on} is uncertain: {words}{rest}. Check what "
            "governed on that date before relying on this memo."
        )))
    return blocks


def _later_history(analysis: FactorAnalysis) -> list[Block]:
    later = analysis.framework.later
    if not later:
        return []
    return [
        _h("Later history (events after the assessment date, not known on it)"),
        _bullets([f"{e.date.isoformat()}: {headline(e.label, e.state)[0]}{headline(e.label, e.state)[1]}. {e.event}"
                  for e in later]),
    ]


def counted(n: int, one: str, many: str | None = None) -> str:
    """``n`` and the noun in the number it takes ("1 error", "2 errors"): never "error(s)"."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _fmt(value: object) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def facts_summary(case: Case) -> list[str]:
    """The case facts as short lines, unknown facts marked as unknown."""
    lines = []
    age, years = case.age(), case.years_in_us()
    lines.append(f"Age on the assessment date: {_fmt(age)}; years in the United States: {_fmt(years)}")
    e, a, ns = case.entry, case.apprehension, case.national_security
    lines.append(f"Entry: {_fmt(e.date)}, manner {e.manner}")
    lines.append(
        f"Apprehension: {_fmt(a.date)}, location {_fmt(a.location)}, attempting unlawful entry {_fmt(a.attempting_unlawful_entry)}"
    )
    lines.append(
        f"National security: terrorism or espionage (engaged in or suspected) {_fmt(ns.terrorism_or_espionage)}; "
        f"other danger {_fmt(ns.other_danger)}"
    )
    if not case.criminal_history:
        lines.append("Criminal history: none recorded")
    for i, o in enumerate(case.criminal_history):
        details = [
            f"date {_fmt(o.date)}", f"convicted {_fmt(o.convicted)}",
            f"sentence {o.sentence_months} month{'' if o.sentence_months == 1 else 's'}" if o.sentence_months is not None
            else "sentence unknown",
            f"serious {_fmt(o.serious)}", f"harm {_fmt(o.harm)}", f"weapon {_fmt(o.weapon)}",
            f"sophistication {_fmt(o.sophistication)}",
        ]
        if o.vacated_or_expunged:
            details.append("vacated or expunged")
        lines.append(f"Offense {i + 1}: {o.offense} ({', '.join(details)})")
    c = case.circumstances
    flags = [
        ("mental condition contributed to the conduct", c.mental_condition_contributed),
        ("condition requiring care or treatment", c.condition_requiring_care),
        ("victim of crime", c.crime_victim),
        ("witness or party in legal proceedings", c.witness_or_party_in_proceedings),
        ("provider or caregiver", c.provider_or_caregiver),
        ("asserted workplace or tenant rights", c.workplace_or_tenant_rights),
    ]
    shown = [name for name, on in flags if on]
    lines.append("Circumstances: " + ("; ".join(shown) if shown else "none of the listed circumstances recorded"))
    for name, items in (
        ("Family in the United States", c.family_in_us), ("Possible relief", c.relief_eligibility),
        ("Service", c.service), ("Evidence of rehabilitation", c.rehabilitation),
    ):
        if items:
            lines.append(f"{name}: {items_text(items)}")
    if case.notes.strip():
        lines.append(f"Notes: {case.notes.strip()}")
    return lines


def _factor_label(f: FactorFinding) -> str:
    return f"{f.label or f.id} ({f.id})" if f.label and f.label != f.id else f.id


def _factor_section(title: str, factors: list[FactorFinding], refs: Numbering, kind: str) -> list[Block]:
    blocks = [_h(title)]
    if not factors:
        return blocks + [_p(f"The facts in the case file trigger none of the {kind} factors listed in the guidelines.")]
    rows = [["\n".join(f.facts) or "(no fact stated)", _factor_label(f), refs.refs(f.citations)] for f in factors]
    blocks.append(Block("table", header=["Fact", "Factor", "Citation"], rows=rows))
    notes = [f"{f.id}: {f.note}" for f in factors if f.note]
    if notes:
        blocks.append(_bullets(notes))
    return blocks


def _totality(analysis: FactorAnalysis) -> list[Block]:
    for_action = [f"{PRIORITY_TITLES[p.id]}: the facts meet this priority ({' '.join(p.reasons)})"
                  for p in analysis.priorities if p.finding == "meets"]
    for_action += [f"{_factor_label(f)}: {x}" for f in analysis.aggravating for x in f.facts]
    declining = [f"{_factor_label(f)}: {x}" for f in analysis.mitigating for x in f.facts]
    if any(p.id == "border_security" and p.finding == "meets" for p in analysis.priorities):
        declining.append("Even when the border security priority is met, mitigating or extenuating facts may weigh "
                         "in favor of declining enforcement action.")
    open_questions = [f"{PRIORITY_TITLES[p.id]}: {FINDING_TEXT[p.finding]} (see section 2)"
                      for p in analysis.priorities if p.finding in ("officer_assessment", "insufficient_facts")]
    return [
        _h("6. The officer's totality judgment"),
        _p(NO_VERDICT),
        _h("Considerations weighing in favor of enforcement action", 2),
        _bullets(for_action or ["None identified from the facts in the case file."]),
        _h("Considerations weighing in favor of declining enforcement action", 2),
        _bullets(declining or ["None identified from the facts in the case file."]),
        _h("Left to the officer", 2),
        _bullets(open_questions + [
            "The factors above are examples, not an exhaustive list; the officer weighs any other relevant fact "
            "and the whole record, not a conviction or a database result alone.",
        ]),
        _p("Determination and reasons (to be completed by the officer):"),
        _p("_" * 60),
    ]


def _thresholds(analysis: FactorAnalysis) -> list[Block]:
    items = [f"{THRESHOLD_LABELS.get(k, k)}: {v:g} (setting analysis.{k})" for k, v in sorted(analysis.thresholds.items())]
    items += [f"{f.id}: {f.note}" for f in analysis.aggravating + analysis.mitigating if f.note]
    return [
        _h("7. Thresholds the guidelines do not number"),
        _p("The guidelines set no number for " + ", ".join(UNNUMBERED_THRESHOLDS) + ". Where this analysis needs one, "
           "it uses a named setting; the officer may weigh the facts differently."),
        _bullets(items or ["No threshold was applied in this analysis."]),
    ]


def _narrative(sentences: Narrative, refs: Numbering) -> list[Block]:
    head = _h("Narrative summary (drafted by a language model)")
    if not sentences:
        return [head, _p("No sentence of the language model's draft passed verification, so there is no narrative. "
                         "The analysis above is complete without it.")]
    blocks = [
        head,
        _p("Drafted by a language model from the analysis above, which it received read-only and could not change. "
           "Each sentence was checked against the exact passage it rests on, quoted under it; sentences that failed "
           "were left out. The sentences are the model's words; only the quotes are the guidelines'. The findings and "
           "factors are those of sections 2 to 4."),
    ]
    for text, cited in sentences:
        blocks += [_p(text, lead="Drafted: "), _quote(refs, cited)]
    return blocks


def _check_section(analysis: FactorAnalysis, memo_findings: list[Finding]) -> list[Block]:
    report = CheckReport.of(analysis.check.findings + memo_findings)
    errors = sum(f.severity == "error" for f in report.findings)
    verdict = (
        "PASSED: the checker found no error." if report.passed else f"FAILED: the checker found {counted(errors, 'error')}; "
        "do not rely on the findings it names until they are corrected."
    )
    blocks = [_h("10. Check report"), _p(verdict)]
    if report.findings:
        blocks.append(Block("table", header=["Severity", "Code", "Where", "Message", "Rule (anchor)"], rows=[
            [f.severity.upper(), f.code, f.path or "", f.message, f.anchor or ""] for f in report.findings
        ]))
    return blocks
