"""What every reader shares: draft blocks, the one assembler of canonical text, and line heuristics.

Each format module yields ``Draft`` blocks (kind, raw text, heading level, bold lead, anchor);
``assemble`` normalizes them (NFC, collapsed whitespace) and lays them end to end, joined by blank
lines, so every block knows its exact span of the canonical text. The memo-style line heuristics
(headings, list items, hyphenation) are shared by the plain-text and PDF readers.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import DocumentError, DocumentTooLargeError
from assistant.types import Block

# A field of a memo's header block ("MEMORANDUM FOR:", "FROM:", "SUBJECT:" ...), or its date line.
MEMO_FIELD_RE = re.compile(r"^(?:MEMORANDUM(?: FOR| TO)?|TO|FOR|FROM|THROUGH|THRU|CC|cc|DATE|SUBJECT|SUBJ|RE)\s*:")
DATE_LINE_RE = re.compile(
    r"^(?:January|February|March|April|May|June|July|August|September|October|November|December)"
    r"\s+\d{1,2},\s+\d{4}$"
)
# List markers that stay in the canonical text ("1.", "(a)", "a.", "iv)") and bullets that do not.
NUMBERED = r"(?:\d{1,3}[.)]|\([a-zA-Z]\)|\([ivxlc]{1,5}\)|\(\d{1,3}\)|[a-z][.)]|[ivx]{1,4}\))"
ITEM_RE = re.compile(rf"^\s*(?:(?P<bullet>[-*+\u2022\u25aa\u25e6\u2013])|(?P<num>{NUMBERED}))\s+(?P<rest>\S.*)$")
ROMAN_HEAD = re.compile(r"^(?:[IVXLC]+\.[A-Z](?:\.\d+)?\.?|[IVXLC]+\.|[A-Z]\.)\s+\S")
WS = re.compile(r"\s+")
DROP_CHARS = dict.fromkeys(map(ord, "\u00ad\u200b\ufeff"), None) | {
    ord("\ufb00"): "ff", ord("\ufb01"): "fi", ord("\ufb02"): "fl", ord("\ufb03"): "ffi", ord("\ufb04"): "ffl"
}
ANCHOR_RE = re.compile(r"^\s*<!--\s*anchor:\s*([\w.:-]+)\s*-->\s*$")


@dataclass
class Draft:
    """A block before normalization: ``lead`` is the raw text of a bold run-in heading."""

    kind: str
    text: str
    level: int = 0
    lead: str = ""
    anchor: str | None = None


def normalize(text: str) -> str:
    return unicodedata.normalize("NFC", WS.sub(" ", text.translate(DROP_CHARS))).strip()


def assemble(drafts: list[Draft]) -> tuple[list[Block], str]:
    """Normalize drafts and lay them end to end, joined by blank lines, with exact offsets."""
    blocks: list[Block] = []
    pos = 0
    for draft in drafts:
        text = normalize(draft.text)
        if not text:
            continue
        lead = normalize(draft.lead) if draft.kind != "heading" else ""
        bold = len(lead) if lead and text.startswith(lead) and is_run_in(lead, text) else 0
        start = pos + 2 if blocks else 0
        level = draft.level if draft.kind == "heading" else 0
        blocks.append(Block(text=text, kind=draft.kind, level=level, bold_lead=bold, anchor=draft.anchor, start=start, end=start + len(text)))
        pos = start + len(text)
    return blocks, "\n\n".join(b.text for b in blocks)


def is_run_in(lead: str, text: str) -> bool:
    """A leading bold span is a run-in heading if it is punctuated like one (or is a short line)."""
    if lead == text:
        return len(text) <= 150
    return lead[-1] in ".:?!)\u2014\u2013-" or text[len(lead):].lstrip()[:1] in (":", ".", "\u2014", "\u2013", "-")


def over_limit(path: Path | str, what: str, value: float, limit: float, setting: str) -> DocumentTooLargeError:
    """The error of a document over an ingest limit: what it measures, the limit, and the setting that sets it."""
    return DocumentTooLargeError(
        f"{path} is refused: {what} is {value:,.0f}, over the limit of {limit:,.0f} (GUIDANCE_INGEST__{setting.upper()}); "
        "split the document, or raise the setting if you trust the file."
    )


def decode(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            f"{path} is not UTF-8 text (byte {exc.start} cannot be decoded); save it again with UTF-8 encoding."
        ) from None


def subject(drafts: list[Draft]) -> str | None:
    for draft in drafts[:12]:
        match = re.match(r"^\s*(?:\*\*|__)?SUBJ(?:ECT)?\s*:(?:\*\*|__)?\s*(.+)", draft.text)
        if match:
            return match.group(1)
    return None


def numeral_heading(line: str) -> bool:
    return bool(ROMAN_HEAD.match(line))


def heading_line(line: str, standalone: bool) -> bool:
    """Memo-style heading: "II. Heading", "A. Heading", or (standalone) a short title-like line."""
    if len(line) > 100 or line[-1] in ".,;:!?" or MEMO_FIELD_RE.match(line) or DATE_LINE_RE.match(line):
        return False
    if numeral_heading(line):
        return True
    words = line.split()
    capitalized = [w for w in words if len(w) > 3]
    return (
        standalone
        and len(words) <= 10
        and line[0].isupper()
        and not ITEM_RE.match(line)
        and sum(w[0].isupper() for w in capitalized) * 2 >= len(capitalized)
    )


def join_lines(text: str, line: str) -> str:
    """Join a wrapped line, undoing a line-end hyphenation like "enforce-" + "ment"."""
    match = re.search(r"(\w+)[-\u2010]$", text)
    if match and line[:1].islower() and match.group(1).lower() not in KEEP_HYPHEN:
        return text[:-1] + line
    return f"{text} {line}"


KEEP_HYPHEN = {"self", "non", "well", "cross", "co", "ex", "anti", "multi", "pre", "post", "long", "short", "so", "case", "full", "part", "two", "three", "first"}
