"""Presentation helpers shared by the pages: escaping, highlighting a quote, citations, the status banner.

Everything here only lays out what the library returned; nothing decides what to cite or whether
to answer. Citations arrive verified, and a quote is highlighted only where the passage's text at
the citation's offsets is exactly the quote.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import TYPE_CHECKING

import streamlit as st

from assistant.corpus.status import HEADLINES, confidence_words, headline

if TYPE_CHECKING:
    from assistant.answer.present import Source
    from assistant.corpus.passages import PassageSet
    from assistant.types import Citation, Passage, Status

STATE_TEXT = {state: words.upper() for state, words in HEADLINES.items()}

MARK = '<mark style="background:#ffe58a;padding:0 2px">'


def md_escape(text: str) -> str:
    """Text shown literally by st.markdown: no emphasis, links, LaTeX or HTML (the memo's own escaper, one for all)."""
    from assistant.cases.memo.markdown import escape_markdown

    return escape_markdown(text)


_MARKER = re.compile(r"\s\[(\d+)\]$")


def answer_markdown_lines(answer_text: str) -> list[str]:
    """The answer's lines as Markdown, each citation marker ``[n]`` shown as a bold number."""
    out = []
    for line in answer_text.splitlines():
        bullet = line.startswith("- ")
        body = line[2:] if bullet else line
        m = _MARKER.search(body)
        marker = f" **[{m.group(1)}]**" if m else ""
        body = body[: m.start()] if m else body
        out.append(("- " if bullet else "") + md_escape(body) + marker)
    return out


def highlight_html(text: str, start: int, end: int) -> str:
    """``text`` as HTML with ``text[start:end]`` inside ``<mark>``; line breaks kept, nothing else interpreted."""
    start, end = max(0, start), min(len(text), end)

    def esc(part: str) -> str:
        return html.escape(part).replace("\n", "<br>")

    if end <= start:
        body = esc(text)
    else:
        body = f"{esc(text[:start])}{MARK}{esc(text[start:end])}</mark>{esc(text[end:])}"
    return f'<div class="guidance-passage" style="line-height:1.55">{body}</div>'


def fitting_table(rows: list[dict], wrap: tuple[str, ...] = (), height: int | str = "content") -> None:
    """A static table whose cells wrap, so it fits a narrow window; text of the ``wrap`` columns may break anywhere.

    Cells are Markdown: pass text a person wrote through ``md_escape``. Long ids and words of the ``wrap``
    columns break inside the word rather than widen the table past the page.
    """
    import pandas as pd

    frame = pd.DataFrame(rows)
    cols = [f"td.col{list(frame.columns).index(c)} p" for c in wrap if c in frame.columns]
    styler = frame.style.set_table_styles([{"selector": ", ".join(cols), "props": "overflow-wrap: anywhere"}] if cols else [])
    st.table(styler, hide_index=True, height=height)


def cited_passage(source: PassageSet, citation: Citation) -> Passage | None:
    """The passage a verified citation points into (by id, else by containing offsets)."""
    by_id = getattr(source, "by_id", None) or {p.id: p for p in source.passages}
    passage = by_id.get(citation.passage_id) if citation.passage_id else None
    if passage is None:
        passage = next(
            (p for p in source.passages if p.doc_id == citation.doc_id and p.start <= citation.start and citation.end <= p.end),
            None,
        )
    return passage


def citation_title(number: int | str, citation: Citation) -> str:
    """The marker and human label of a citation, as an expander title."""
    return f"[{number}] {md_escape(citation.label or citation.anchor or citation.doc_id)}"


def show_citation(source: PassageSet, number: int | str, citation: Citation, expanded: bool = False) -> None:
    """A numbered marker (``R1`` for a related quote) that opens the cited passage, the quoted words highlighted."""
    with st.expander(citation_title(number, citation), expanded=expanded):
        where = md_escape(f"{citation.doc_id}, characters {citation.start}-{citation.end}")
        if citation.anchor:
            where += f", anchor {md_escape(citation.anchor)}"
        st.caption(md_escape(citation.label) + f" ({where})" if citation.label else where)
        passage = cited_passage(source, citation)
        if passage is not None and passage.text[citation.start - passage.start : citation.end - passage.start] == citation.quote:
            st.markdown(
                highlight_html(passage.text, citation.start - passage.start, citation.end - passage.start),
                unsafe_allow_html=True,
            )
        else:  # the quote alone: it was verified against the document, whatever its passage
            st.markdown(f'<div class="guidance-passage">{MARK}{html.escape(citation.quote)}</mark></div>', unsafe_allow_html=True)


def show_passage(passage: Passage, title: str | None = None, expanded: bool = False) -> None:
    """A passage in an expander titled by its label (no highlight)."""
    with st.expander(title or md_escape(passage.label or passage.id), expanded=expanded):
        st.caption(md_escape(f"{passage.doc_id}, section {passage.section or '(none)'}, characters {passage.start}-{passage.end}"
                             + (f", anchor {passage.anchor}" if passage.anchor else "")))
        st.markdown(highlight_html(passage.text, 0, 0), unsafe_allow_html=True)


def status_sentence(status: Status, subject: str = "the 2021 guidelines", note: bool = True) -> str:
    """One plain sentence: the status on a date as the corpus labels it, its confidence and source, and the event."""
    words, rest = headline(status.label, status.state)
    since = f" (since {status.since.isoformat()})" if status.since and status.state != "in_effect" and "since" not in rest else ""
    extra = [f"confidence: {confidence_words(status.confidence)}"] if status.confidence else []
    if status.source_label:
        extra.append(f"source: {status.source_label}")
    tail = f" ({'; '.join(extra)})" if extra else ""
    note = f" {status.note}" if note and status.note else ""
    return f"Status of {subject} on {status.as_of.isoformat()}: **{words}**{md_escape(rest + since + tail)}.{md_escape(note)}"


def status_banner(status: Status | None, subject: str = "the 2021 guidelines", note: bool = True) -> None:
    """The guidelines' status on a date, coloured by whether they governed then (``note``: with the event's note)."""
    if status is None:
        st.info("The corpus records no status for the 2021 guidelines.")
        return
    text = status_sentence(status, subject, note=note)
    if status.state == "in_effect" and status.confidence != "UNCONFIRMED":
        st.success(text, icon=":material/gavel:")
    else:
        st.warning(text, icon=":material/warning:")


def today() -> dt.date:
    """Today's date (one place, so a page never mixes two 'todays' across midnight within a run)."""
    return dt.date.today()


def marker_link(key: int | str, target: str) -> str:
    """A citation marker ``[n]`` as a link that opens its passage (the element with id ``target`` inside its expander)."""
    return f"[**\\[{key}\\]**](#{target})"


def show_source(source: PassageSet, shown: Source, target: str) -> None:
    """A source titled as a person cites it; opened (by its marker link too), the quoted words in their passage.

    The document, offsets and anchor are in a details view; the JSON carries them as well.
    """
    citation = shown.citation
    with st.expander(f"[{shown.key}] {md_escape(shown.caption)}"):
        st.markdown(f'<span id="{html.escape(target)}"></span>', unsafe_allow_html=True)  # what the marker link points at: it opens this expander
        if shown.user_document is not None:
            st.caption(md_escape(f'From a document you added, "{shown.user_document}": not part of the guidelines.'))
        passage = cited_passage(source, citation)
        if passage is not None and passage.text[citation.start - passage.start : citation.end - passage.start] == citation.quote:
            st.markdown(highlight_html(passage.text, citation.start - passage.start, citation.end - passage.start),
                        unsafe_allow_html=True)
        else:  # the quote alone: it was verified against the document, whatever its passage
            st.markdown(f'<div class="guidance-passage">{MARK}{html.escape(citation.quote)}</mark></div>', unsafe_allow_html=True)
        with st.popover("Details", icon=":material/info:"):
            st.caption(md_escape(f"{shown.caption} ({shown.details})"))
