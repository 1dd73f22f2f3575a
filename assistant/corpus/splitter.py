"""Splitter: cut a ``ParsedDocument`` into section-aware passages with exact offsets.

Headings give every passage its section ("II.B", "Implementation / Training") and its path of
heading texts. Consecutive blocks under one heading, with one anchor and one bold run-in heading,
are packed up to ``max_chars``; a block longer than that is cut at sentence, then clause, then
word boundaries. A passage is always the exact span ``doc.text[start:end]``, and its id derives
from its content, so unchanged text keeps its id (and its vectors) across runs.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from assistant.config import ChunkSettings
from assistant.types import Block, ParsedDocument, Passage

from .readers import DATE_LINE_RE, MEMO_FIELD_RE

CHUNKER_VERSION = "2"  # 2: a user document's anchors are namespaced (doc-id:anchor) and its labels name it

_ROMAN = re.compile(r"^M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})$")
_COMPOSITE = re.compile(r"^([IVXLCDM]+)\.([A-Z])(?:\.(\d{1,2}))?\.?(?:\s+|$)")
_SIMPLE = re.compile(r"^(?P<prefix>(?:Section|Part|Article)\s+)?([IVXLCDM]+|[A-Z]|\d{1,2}(?:\.\d{1,2})*|[a-z]|\([a-z]{1,4}\)|\(\d{1,2}\))([.):]?)(?:\s+|$)")
_MARKER_PREFIX = re.compile(r"^(?:\d{1,3}[.)]|\([a-zA-Z0-9]{1,4}\)|[a-z][.)])\s+")
_SENTENCE_END = re.compile(r"[.!?][\"\u201d\u2019)\]]*(\s+)(?=[\"\u201c\u2018(\[]?[A-Z0-9])")
_CLAUSE_END = re.compile(r"[;:,](\s+)")
_SPACE = re.compile(r"(\s+)")
_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "no", "nos", "v", "vs", "e.g", "i.e", "etc", "inc", "st", "sec", "art", "cf", "id", "fig", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "gen", "gov", "jr", "sr", "ch", "para", "pp", "p"}


@dataclass
class _Heading:
    level: int
    parts: list[tuple[str, bool]]  # (numeral or heading text, is_numeral), from the top
    text: str
    pseudo: bool = False


@dataclass
class _Group:
    key: tuple
    heading: str
    stack: list[_Heading]
    anchor: str | None
    blocks: list[Block] = field(default_factory=list)


def split_document(doc: ParsedDocument, settings: ChunkSettings) -> list[Passage]:
    """Split a document into passages: exact spans of its text, each with its section and anchor."""
    passages: list[Passage] = []
    seen_ids: dict[str, int] = {}
    for group in _groups(doc.blocks):
        section = _render(group.stack[-1].parts) if group.stack else ""
        path = [h.text for h in group.stack]
        for start, end in _pack(group.blocks, doc.text, settings.max_chars, settings.min_chars):
            text = doc.text[start:end]
            passage_id = _passage_id(doc.doc_id, section, group.anchor, text, seen_ids)
            passages.append(
                Passage(id=passage_id, doc_id=doc.doc_id, anchor=group.anchor, section=section, heading=group.heading,
                        section_path=path, text=text, start=start, end=end, order=len(passages))
            )
    return passages


def passage_id(doc_id: str, section: str, anchor: str | None, text: str) -> str:
    """The content-derived id of a passage: 16 hex characters of a SHA-256."""
    return hashlib.sha256(f"{doc_id}\x1f{section}\x1f{anchor or ''}\x1f{text}".encode()).hexdigest()[:16]


def _passage_id(doc_id: str, section: str, anchor: str | None, text: str, seen: dict[str, int]) -> str:
    base = passage_id(doc_id, section, anchor, text)
    seen[base] = seen.get(base, 0) + 1
    if seen[base] == 1:
        return base
    # The same text twice in one section: later copies get the occurrence number mixed in.
    return passage_id(doc_id, section, anchor, f"{text}\x1f{seen[base]}")


def _groups(blocks: list[Block]) -> list[_Group]:
    """Runs of body blocks that share heading, bold run-in heading, anchor and memo-header status."""
    groups: list[_Group] = []
    stack: list[_Heading] = []
    lead = ""
    pushed = 0  # headings seen so far: identifies the heading a block is under
    for index, block in enumerate(blocks):
        if block.kind == "heading" or _bold_line_heading(blocks, index):
            if index == 0 and block.kind == "heading" and block.level == 1:
                continue  # the document title
            _push_heading(stack, block, pseudo=block.kind != "heading")
            lead, pushed = "", pushed + 1
            continue
        header = not pushed and bool(MEMO_FIELD_RE.match(block.text) or DATE_LINE_RE.match(block.text))
        new_lead = block.bold_lead > 0 and not header
        last = groups[-1] if groups else None
        if last is not None and last.anchor != block.anchor:
            lead = ""
        if new_lead:
            lead = _MARKER_PREFIX.sub("", block.text[: block.bold_lead]).strip()
        key = (pushed, lead, block.anchor, header)
        if new_lead or last is None or last.key != key:
            heading = lead or (stack[-1].text if stack and not header else "")
            last = _Group(key, heading, list(stack), block.anchor)
            groups.append(last)
        last.blocks.append(block)
    return groups


def _bold_line_heading(blocks: list[Block], index: int) -> bool:
    """A paragraph that is all bold acts as a heading if it reads like one and has text under it."""
    block = blocks[index]
    if block.kind == "heading" or block.bold_lead < len(block.text) or len(block.text) > 100:
        return False
    following = blocks[index + 1] if index + 1 < len(blocks) else None
    if following is None or following.kind == "heading":
        return False
    return block.text[-1] not in ".!?" or len(block.text.split()) <= 4  # not an emphasized sentence


def _push_heading(stack: list[_Heading], block: Block, pseudo: bool) -> None:
    """Put a heading on the stack of open headings, closing those at its level or below."""
    while stack and stack[-1].pseudo:
        stack.pop()
    text = block.text
    numeral = _numeral(text)
    if pseudo:
        level = stack[-1].level + 1 if stack else 1
    elif block.level:
        level = block.level
    else:
        level = _infer_level(numeral, stack)
    while stack and stack[-1].level >= level:
        stack.pop()
    parent = stack[-1].parts if stack else []
    if numeral and len(numeral) > 1 and _ROMAN.match(numeral[0]):
        parts = [(p, True) for p in numeral]  # "II.B": the numeral names its full path
    elif numeral and len(numeral) > 1:  # "1.2" under "II.A": counts from the last lettered level
        parent = next((h.parts for h in reversed(stack) if h.level < 3), [])
        parts = [*parent, *((p, True) for p in numeral)]
    elif numeral:
        parts = [*parent, *((p, True) for p in numeral)]
    else:
        parts = [*parent, (text.rstrip(".: "), False)]
    stack.append(_Heading(level, parts, text, pseudo))


def _numeral(text: str) -> list[str]:
    """The numeral that leads a heading, as its parts: "II.B Scope" -> ["II", "B"]; none -> []."""
    match = _COMPOSITE.match(text)
    if match and _ROMAN.match(match.group(1)):
        return [p for p in match.groups() if p]
    match = _SIMPLE.match(text)
    if not match:
        return []
    token, punct = match.group(2), match.group(3) or match.group("prefix")
    rest = text[match.end():]
    if token.isdigit() and not punct:
        return []  # "2021 Guidelines" is a title, not section 2021
    if len(token) == 1 and token.isupper() and not punct and not _ROMAN.match(token):
        return []  # "A New Approach"
    if token.isupper() and not punct and (not _ROMAN.match(token) or (rest and not rest[0].isupper())):
        return []
    if token.isalpha() and token.islower() and not punct:
        return []
    return [token.strip("()")] if "." not in token else token.split(".")


def _infer_level(numeral: list[str], stack: list[_Heading]) -> int:
    """Heading level for formats without levels: Roman 1, capital letter 2, number 3, lower-case 4."""
    if not numeral:
        return 1
    if len(numeral) > 1:
        return len(numeral) if _ROMAN.match(numeral[0]) else 4
    token = numeral[0]
    if token.isdigit():
        return 3
    if token.islower():
        return 4
    if not _ROMAN.match(token):
        return 2
    if len(token) > 1:
        return 1
    # "C." after "B." is a letter, "V." after "IV." a Roman numeral.
    letters = [h.parts[-1][0] for h in stack if h.level == 2 and h.parts[-1][1] and h.parts[-1][0].isalpha()]
    romans = [h.parts[-1][0] for h in stack if h.level == 1 and h.parts[-1][1] and _ROMAN.match(h.parts[-1][0])]
    if token == (chr(ord(letters[-1][-1]) + 1) if letters else "A"):
        return 2
    if token == (_to_roman(_from_roman(romans[-1]) + 1) if romans else "I"):
        return 1
    return 1 if token in "IVX" else 2


def _from_roman(token: str) -> int:
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
    total = 0
    for char, following in zip(token, [*token[1:], ""]):
        value = values[char]
        total += -value if following and values[following] > value else value
    return total


def _to_roman(number: int) -> str:
    out = ""
    for value, symbol in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"),
                          (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while number >= value:
            out += symbol
            number -= value
    return out


def _render(parts: list[tuple[str, bool]]) -> str:
    """Section string: numerals joined by ".", text headings by " / " ("II.B", "IV / Training")."""
    out = ""
    for i, (value, numeric) in enumerate(parts):
        if i == 0:
            out = value
        elif numeric and parts[i - 1][1]:
            out += f".{value}"
        else:
            out += f" / {value}"
    return out


def _pack(blocks: list[Block], text: str, max_chars: int, min_chars: int) -> list[tuple[int, int]]:
    """Spans that cover the blocks in order: whole blocks up to max_chars, long blocks cut."""
    spans: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    for block in blocks:
        if block.end - block.start > max_chars:
            if current:
                spans.append(current)
                current = None
            spans += _split_long(text, block.start, block.end, max_chars, min_chars)
        elif current and block.end - current[0] <= max_chars:
            current = (current[0], block.end)
        else:
            if current:
                spans.append(current)
            current = (block.start, block.end)
    if current:
        spans.append(current)
    return spans


def _split_long(text: str, start: int, end: int, max_chars: int, min_chars: int) -> list[tuple[int, int]]:
    """Cut one long block into pieces of at most max_chars; a short tail is rebalanced or joined."""
    pieces: list[tuple[int, int]] = []
    while end - start > max_chars:
        piece_end, next_start = _cut(text, start, start + max_chars // 3, start + max_chars)
        pieces.append((start, piece_end))
        start = next_start
    pieces.append((start, end))
    if len(pieces) > 1 and pieces[-1][1] - pieces[-1][0] < min_chars:
        (a, _), (_, z) = pieces[-2], pieces[-1]
        if z - a <= max_chars:
            pieces[-2:] = [(a, z)]
        else:  # move the last cut back so that the tail reaches min_chars
            piece_end, next_start = _cut(text, a, max(a + 1, z - max_chars), z - min_chars)
            pieces[-2:] = [(a, piece_end), (next_start, z)]
    return pieces


def _cut(text: str, start: int, lowest: int, highest: int) -> tuple[int, int]:
    """Where to end a piece that starts at ``start``: an end in [lowest, highest], as late as possible.

    Returns (end of this piece, start of the next). Sentence ends are preferred, then clause
    ends, then any space; with none of them in range the piece is cut at ``highest``.
    """
    window = text[start:highest + 1]
    for pattern in (_SENTENCE_END, _CLAUSE_END, _SPACE):
        best = None
        for match in pattern.finditer(window):
            piece_end = start + match.start(1)
            if not lowest <= piece_end <= highest:
                continue
            if pattern is _SENTENCE_END and _abbreviation(window[: match.start(1)]):
                continue
            best = (piece_end, start + match.end(1))
        if best:
            return best
    return highest, highest


def sentence_spans(text: str, begin: int = 0) -> list[tuple[int, int]]:
    """Spans of the sentences of ``text[begin:]`` (closing quotes stay with their sentence)."""
    spans: list[tuple[int, int]] = []
    start = begin
    for match in _SENTENCE_END.finditer(text, begin):
        if _abbreviation(text[start : match.start(1)]):
            continue
        spans.append((start, match.start(1)))
        start = match.end(1)
    end = len(text.rstrip())
    if start < end:
        spans.append((start, end))
    return spans


def _abbreviation(before: str) -> bool:
    """Whether the period that ends ``before`` closes an abbreviation ("U.S.", "e.g.", "No.")."""
    token = before.split()[-1] if before.split() else ""
    token = token.rstrip("\"\u201d\u2019)]").lower()
    if not token.endswith("."):
        return False
    return token[:-1] in _ABBREVIATIONS or bool(re.fullmatch(r"(?:[a-z]\.)+", token))
