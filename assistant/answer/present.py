"""How an answer is presented: its lead, its list items shown short, its sources as a person cites them, its status.

One presentation for every reader of an answer: the app lays out the typed blocks of ``present``,
the terminal and the app's Copy button print ``text_lines``, and the conversation export is
``transcript_markdown``. Everything shown is the answer's verified text, a unit's own label from
the corpus (a list item shown short), or a fixed sentence of this module that carries no citation.
Nothing here decides what to cite: a list's lead-in is shown only before its list, never alone.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field

from assistant.corpus.manifest import USER_LABEL
from assistant.corpus.status import status_sentence
from assistant.types import Answer, Citation, Understood

from .extractive import LEAD_INS
from .lists import LIST_GROUPS

_ITEM_PREFIXES = tuple(p for g in LIST_GROUPS for p in g.prefixes)
"""Anchors of the items of the guidelines' enumerated lists: only these are shown short, by their unit's label."""

GUIDELINES_ONLY = "This status is the 2021 guidelines' own: it does not apply to what your own documents say."
"""Said with the status when an answer quotes a document the user ingested (template prose: no citation)."""

NOT_ADDRESSED = "**Not addressed by the guidelines.** The assistant found no passage that answers this question."
NOT_RESOLVED = "**Not understood as a follow-up.** The assistant could not tell what this question refers to."
"""The notice shown above a refusal: the guidelines are silent, or a follow-up could not be read (template prose)."""

_MARKERS = re.compile(r"((?:\s\[\d+\])+)\s*$")
_USER = re.compile("^" + re.escape(USER_LABEL).replace(re.escape("{title}"), "(?P<title>.*)"))
_PART = re.compile(r"^[IVXLC]+(?:\.[A-Z0-9]+)*$")


class Source(BaseModel):
    """A cited passage as the reader sees it: its marker, how a person cites it, and the details for a closer look."""

    key: str = Field(description="The marker without brackets: '2', or 'R1' for a related quote.")
    caption: str = Field(description="As a person cites it, e.g. 'Guidelines 2021, part II.B, mitigating factor: lengthy presence'.")
    details: str = Field(description="Where exactly: document, characters and anchor (the JSON has the same).")
    user_document: str | None = Field(None, description="The title of the user's document it quotes; None for the bundled corpus.")
    citation: Citation


class ListItem(BaseModel):
    """One item of a list shown short: the unit's own label from the corpus, its citation number and full quote."""

    label: str
    number: int
    quote: str
    kind: str = Field("", description="The unit's kind ('favorable consideration') when it differs from the list's.")
    user_document: str | None = Field(None, description="An item quoting a user's document: that document's label.")


class Block(BaseModel):
    """A piece of the answer shown: a lead or quote paragraph, a list, a part header or a fixed sentence."""

    kind: Literal["lead", "quote", "list", "part", "constant"]
    text: str = ""
    numbers: list[int] = Field(default_factory=list)
    items: list[ListItem] = Field(default_factory=list)
    user_document: str | None = Field(None, description="A quote of a user's document: that document's label.")


class Presentation(BaseModel):
    """An answer laid out for reading."""

    blocks: list[Block]
    sources: list[Source]
    related: list[Source]
    guidelines_only: str | None = Field(None, description="GUIDELINES_ONLY when a user's document is quoted.")
    notice: str | None = Field(None, description="On a refusal: NOT_ADDRESSED, or NOT_RESOLVED for a follow-up not understood.")


def user_document(citation: Citation) -> str | None:
    """The title of the user's document a citation quotes (its label says so), else None."""
    m = _USER.match(citation.label or "")
    return m["title"] if m else None


def caption(citation: Citation) -> str:
    """A citation as a person would cite it: 'Guidelines 2021, part II.B, mitigating factor: lengthy presence'."""
    label = citation.label or citation.anchor or citation.doc_id
    if citation.section and _PART.match(citation.section) and f", {citation.section}" in label:
        head, _, tail = label.partition(f", {citation.section}")
        label = f"{head}, part {citation.section}{tail}"
    return label


def details(citation: Citation) -> str:
    """Where a citation points, exactly: document, characters and anchor."""
    where = f"{citation.doc_id}, characters {citation.start}-{citation.end}"
    return where + (f", anchor {citation.anchor}" if citation.anchor else "")


def source(key: str, citation: Citation) -> Source:
    """A citation as a ``Source``."""
    return Source(key=key, caption=caption(citation), details=details(citation), user_document=user_document(citation),
                  citation=citation)


def unit_label(citation: Citation) -> tuple[str, str] | None:
    """The unit's kind and name from its corpus label ('mitigating factor', 'advanced or tender age'), if it has both."""
    label = citation.label or ""
    unit = label.rsplit(f", {citation.section}, ", 1)[-1] if citation.section else label.rsplit(", ", 1)[-1]
    kind, sep, name = unit.partition(": ")
    return (kind, name) if sep and name else None


def _lines(answer: Answer) -> list[tuple[bool, str, list[int]]]:
    out = []
    for line in answer.answer.splitlines():
        if not line.strip():
            continue
        bullet = line.startswith("- ")
        body = line[2:] if bullet else line
        m = _MARKERS.search(body)
        numbers = [int(n) for n in re.findall(r"\d+", m.group(1))] if m else []
        out.append((bullet, body[: m.start()] if m else body, numbers))
    return out


def _short(items: list[ListItem], cited: list[Citation]) -> list[ListItem]:
    """The items by their units' own labels, when every item is an item of one of the guidelines' lists; else as
    they are (full quotes): a bullet that quotes anything else keeps its words."""
    units = [unit_label(c) for c in cited]
    if (len(items) < 2 or len(cited) != len(items) or any(u is None for u in units) or any(user_document(c) for c in cited)
            or not all((c.anchor or "").startswith(_ITEM_PREFIXES) and c.anchor not in LEAD_INS for c in cited)):
        return items
    kinds = Counter(u[0] for u in units if u)
    main = kinds.most_common(1)[0][0]
    return [item.model_copy(update={"label": u[1][:1].upper() + u[1][1:], "kind": "" if u[0] == main else u[0]})
            for item, u in zip(items, units, strict=True) if u]


def present(answer: Answer) -> Presentation:
    """The answer laid out: a list's lead-in only before its list, the list's items short, each quote's source."""
    cites = answer.citations

    def cited(numbers: list[int]) -> list[Citation]:
        return [cites[n - 1] for n in numbers if 0 < n <= len(cites)]

    raw: list[Block] = []
    for bullet, text, numbers in _lines(answer):
        refs = cited(numbers)
        lead_in = bool(refs) and all(c.anchor in LEAD_INS for c in refs)
        users = sorted({t for c in refs if (t := user_document(c))})
        label = USER_LABEL.format(title=users[0]) if users else None
        if bullet and not lead_in:
            item = ListItem(label=text, number=numbers[0] if numbers else 0, quote=text, user_document=label)
            if raw and raw[-1].kind == "list":
                raw[-1].items.append(item)
                raw[-1].numbers += numbers
            else:
                raw.append(Block(kind="list", items=[item], numbers=list(numbers)))
        elif lead_in:
            raw.append(Block(kind="lead", text=text, numbers=numbers))
        elif not numbers:
            raw.append(Block(kind="part" if re.match(r"^Part \d+ of \d+: ", text) else "constant", text=text))
        else:
            raw.append(Block(kind="quote", text=text, numbers=numbers, user_document=label))
    blocks: list[Block] = []
    for i, block in enumerate(raw):
        if block.kind == "lead" and not (i + 1 < len(raw) and raw[i + 1].kind == "list"):
            continue  # a lead-in whose list is not shown is left out, never left dangling
        if block.kind == "list":
            block.items = _short(block.items, [cites[item.number - 1] for item in block.items
                                               if 0 < item.number <= len(cites)])
        blocks.append(block)
    sources = [source(str(i), c) for i, c in enumerate(cites, 1)]
    related = [source(f"R{i}", c) for i, c in enumerate(answer.related, 1)]
    quoted_user = any(s.user_document for s in sources + related)
    notice = None if not answer.refused else NOT_RESOLVED if answer.outcome.refusal == "unresolved" else NOT_ADDRESSED
    return Presentation(blocks=blocks, sources=sources, related=related, guidelines_only=GUIDELINES_ONLY if quoted_user else None,
                        notice=notice)


# --- plain text: the terminal and the app's Copy button ---------------------------------------------------


def searched_for(answer: Answer) -> str | None:
    """'searched for: ...' when spelling was corrected before searching."""
    u = answer.understood
    if u is None or not u.corrections:
        return None
    return f"(searched for: {u.searched_for})"


def explain_lines(u: Understood) -> list[str]:
    """The question frame, one fact per line (``--explain``)."""
    ask = u.ask + (f" ({u.fact.replace('_', ' ')})" if u.fact else "")
    lines = [f"Frame: {ask}"]
    if u.ask_clause and u.ask_clause.strip() != u.searched_for.strip():
        lines.append(f"  the ask: {u.ask_clause}")
    if u.asked_for:
        lines.append(f"  asks for: {u.asked_for}")
    if u.topic:
        lines.append(f"  topic words: {', '.join(u.topic)}")
    if u.focus:
        lines.append(f"  focus words: {', '.join(u.focus)}")
    for d in u.dates:
        lines.append(f"  date named: \"{d.text}\" = {d.start.isoformat()} to {d.end.isoformat()}; status given for {d.on.isoformat()}")
    if u.corrections:
        lines.append("  spelling: " + ", ".join(f"{c.original} -> {c.corrected}" for c in u.corrections))
    if u.premise:
        lines.append(f"  premise the guidelines do not support: {u.premise_text} ({u.premise})")
    if u.premise_asked:
        lines.append(f"  asks whether a claim holds that the guidelines settle ({u.premise_asked})")
    if u.ask_model is not None:
        lines.append(f"  ask model: {u.ask_model.probability:.2f} that it asks for a procedure, an amount or another law's rule"
                     f" (likeliest: {u.ask_model.kind})")
    if u.parts:
        lines += [f"  part {i}: {p}" for i, p in enumerate(u.parts, 1)]
    if u.case_question:
        lines.append("  a case typed as a question: the answer points to the case memo")
    if u.number_ask:
        lines.append("  asks for a number the guidelines do not set")
    if u.unfamiliar:
        lines.append(f"  words the guidelines never use: {', '.join(u.unfamiliar)}")
    lines.append(f"  answerable: {'yes' if u.answerable else 'no'}" + (f" ({u.unanswerable_reason})" if u.unanswerable_reason else ""))
    return lines


def text_lines(answer: Answer, explain: bool = False, streamed: bool = False) -> list[str]:
    """The answer as plain text: corrections, the answer (unless already streamed), related quotes, sources, status."""
    shown = present(answer)
    out = []
    if answer.resolved_question and answer.resolved_question != answer.question:  # a follow-up, read in its conversation
        out.append(f"Understood as: {answer.resolved_question}")
    note = searched_for(answer)
    if note and not streamed:
        out.append(note)
    if not streamed:
        out.append(answer.answer)
    if shown.related:
        out.append("\nRelated (not an answer): what the guidelines say nearby")
        out += [f"  [{s.key}] {s.citation.quote}" for s in shown.related]
    if shown.sources or shown.related:
        out.append("\nSources:")
        out += [f"  [{s.key}] {s.citation.label}  ({s.citation.doc_id} {s.citation.start}-{s.citation.end})"
                for s in shown.sources + shown.related]
    if answer.status:
        out.append(f"\n{status_sentence(answer.status)} {answer.status.note}")
        if shown.guidelines_only:
            out.append(shown.guidelines_only)
    if explain and answer.understood is not None:
        out.append("")
        out += explain_lines(answer.understood)
    return out


# --- Markdown: the conversation export ----------------------------------------------------------------------


def _md_text(value: str) -> str:
    """The user's and the corpus's words, shown as text, never as Markdown."""
    return re.sub(r"([\\`*_{}\[\]()#+!|<>~])", r"\\\1", value)


def transcript_markdown(turns: Sequence[Answer], title: str = "Conversation about the 2021 guidelines") -> str:
    """The whole conversation as Markdown: each question, how a follow-up was understood, the answer with its
    numbered sources (label, document and offsets) and the status it was given with."""
    text = _md_text
    out = [f"# {title}", "", "Unofficial restatement; not legal advice.", ""]
    for n, answer in enumerate(turns, 1):
        shown = present(answer)
        out += [f"## {n}. {text(answer.question)}", ""]
        if answer.resolved_question and answer.resolved_question != answer.question:
            out += [f"*Understood as:* {text(answer.resolved_question)}", ""]
        out += [f"{text(line)}  " for line in answer.answer.splitlines()] + [""]
        if shown.related:
            out += ["Related, not the answer:", ""] + [f"- [{s.key}] {text(s.citation.quote)}" for s in shown.related] + [""]
        sources = shown.sources + shown.related
        if sources:
            out += ["Sources:", ""] + [f"- \\[{s.key}\\] {text(s.citation.label or s.citation.anchor or s.citation.doc_id)} "
                                       f"({s.citation.doc_id}, {s.citation.start}-{s.citation.end})" for s in sources] + [""]
        if answer.status is not None:
            out += [text(status_sentence(answer.status)), ""]
            if shown.guidelines_only:
                out += [text(shown.guidelines_only), ""]
    return "\n".join(out).rstrip() + "\n"


__all__ = ["GUIDELINES_ONLY", "Block", "ListItem", "Presentation", "Source", "caption", "details", "explain_lines", "present",
           "searched_for", "text_lines", "transcript_markdown", "unit_label", "user_document"]
