"""Readers: turn .md .txt .pdf .docx .html files into a ``ParsedDocument``.

Each format has a small parser that yields draft blocks (kind, raw text, heading level, bold
lead, anchor); one assembler normalizes them (NFC, collapsed whitespace) and lays them end to end,
joined by blank lines, so every block knows its exact span of the canonical text. PDFs are read
through pypdf's text visitor: font sizes and baselines tell body text from superscript footnote
markers, footnotes, running headers and page numbers, which are dropped (furniture) or moved to
a "Footnotes" section at the end (footnote texts).
"""

from __future__ import annotations

import logging
import math
import re
import statistics
import unicodedata
import zipfile
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .errors import DocumentError
from .types import Block, ParsedDocument

SUPPORTED_SUFFIXES = (".md", ".markdown", ".txt", ".pdf", ".docx", ".html", ".htm")
_FORMATS = {".md": "md", ".markdown": "md", ".txt": "txt", ".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html"}

# A field of a memo's header block ("MEMORANDUM FOR:", "FROM:", "SUBJECT:" ...), or its date line.
MEMO_FIELD_RE = re.compile(r"^(?:MEMORANDUM(?: FOR| TO)?|TO|FOR|FROM|THROUGH|THRU|CC|cc|DATE|SUBJECT|SUBJ|RE)\s*:")
DATE_LINE_RE = re.compile(
    r"^(?:January|February|March|April|May|June|July|August|September|October|November|December)"
    r"\s+\d{1,2},\s+\d{4}$"
)
# List markers that stay in the canonical text ("1.", "(a)", "a.", "iv)") and bullets that do not.
_NUMBERED = r"(?:\d{1,3}[.)]|\([a-zA-Z]\)|\([ivxlc]{1,5}\)|\(\d{1,3}\)|[a-z][.)]|[ivx]{1,4}\))"
_ITEM_RE = re.compile(rf"^\s*(?:(?P<bullet>[-*+\u2022\u25aa\u25e6\u2013])|(?P<num>{_NUMBERED}))\s+(?P<rest>\S.*)$")
_ROMAN_HEAD = re.compile(r"^(?:[IVXLC]+\.[A-Z](?:\.\d+)?\.?|[IVXLC]+\.|[A-Z]\.)\s+\S")
_WS = re.compile(r"\s+")
_DROP_CHARS = dict.fromkeys(map(ord, "\u00ad\u200b\ufeff"), None) | {
    ord("\ufb00"): "ff", ord("\ufb01"): "fi", ord("\ufb02"): "fl", ord("\ufb03"): "ffi", ord("\ufb04"): "ffl"
}


@dataclass
class _Draft:
    """A block before normalization: ``lead`` is the raw text of a bold run-in heading."""

    kind: str
    text: str
    level: int = 0
    lead: str = ""
    anchor: str | None = None


def read_document(path: Path, doc_id: str | None = None) -> ParsedDocument:
    """Read one file into canonical text and blocks; raise DocumentError when it cannot be used."""
    path = Path(path)
    if not path.exists():
        raise DocumentError(f"{path} does not exist; check the path and try again.")
    if path.is_dir():
        raise DocumentError(f"{path} is a folder, not a file; pass the path of one document.")
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise DocumentError(
            f"{path} has an unsupported format ({path.suffix or 'no suffix'}); "
            f"convert it to one of {', '.join(SUPPORTED_SUFFIXES)}."
        )
    parse = {"md": _read_markdown, "txt": _read_txt, "pdf": _read_pdf, "docx": _read_docx, "html": _read_html}[fmt]
    try:
        title, drafts = parse(path)
    except OSError as exc:
        raise DocumentError(f"{path} cannot be opened ({exc.strerror or exc}); check that it is readable.") from None
    blocks, text = _assemble(drafts)
    if not blocks:
        raise DocumentError(f"{path} contains no text; check that it is the document you meant to add.")
    title = _normalize(title) if title else None
    return ParsedDocument(
        doc_id=doc_id or slugify(path.stem), source=str(path), format=fmt, title=title or None, text=text, blocks=blocks
    )


def slugify(name: str) -> str:
    """A document id from a file stem: lowercase ASCII letters, digits and hyphens."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "document"


def _normalize(text: str) -> str:
    return unicodedata.normalize("NFC", _WS.sub(" ", text.translate(_DROP_CHARS))).strip()


def _assemble(drafts: list[_Draft]) -> tuple[list[Block], str]:
    """Normalize drafts and lay them end to end, joined by blank lines, with exact offsets."""
    blocks: list[Block] = []
    pos = 0
    for draft in drafts:
        text = _normalize(draft.text)
        if not text:
            continue
        lead = _normalize(draft.lead) if draft.kind != "heading" else ""
        bold = len(lead) if lead and text.startswith(lead) and _is_run_in(lead, text) else 0
        start = pos + 2 if blocks else 0
        level = draft.level if draft.kind == "heading" else 0
        blocks.append(Block(text=text, kind=draft.kind, level=level, bold_lead=bold, anchor=draft.anchor, start=start, end=start + len(text)))
        pos = start + len(text)
    return blocks, "\n\n".join(b.text for b in blocks)


def _is_run_in(lead: str, text: str) -> bool:
    """A leading bold span is a run-in heading if it is punctuated like one (or is a short line)."""
    if lead == text:
        return len(text) <= 150
    return lead[-1] in ".:?!)\u2014\u2013-" or text[len(lead):].lstrip()[:1] in (":", ".", "\u2014", "\u2013", "-")


def _decode(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            f"{path} is not UTF-8 text (byte {exc.start} cannot be decoded); save it again with UTF-8 encoding."
        ) from None


def _subject(drafts: list[_Draft]) -> str | None:
    for draft in drafts[:12]:
        match = re.match(r"^\s*(?:\*\*|__)?SUBJ(?:ECT)?\s*:(?:\*\*|__)?\s*(.+)", draft.text)
        if match:
            return match.group(1)
    return None


# --- Markdown ------------------------------------------------------------------------------------

_MD_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_ANCHOR = re.compile(r"^\s*<!--\s*anchor:\s*([\w.:-]+)\s*-->\s*$")
_HR = re.compile(r"^ {0,3}([-*_])(?:\s*\1){2,}\s*$")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EM_STAR = re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])")
_EM_UNDER = re.compile(r"(?<![\w_])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![\w_])")
_MD_LEAD = re.compile(rf"^((?:{_NUMBERED})\s+)?(\*\*|__)(?=\S)(.+?)(?<=\S)\2")


def _read_markdown(path: Path) -> tuple[str | None, list[_Draft]]:
    drafts = _parse_markdown(_decode(path))
    title = next((d.text for d in drafts if d.kind == "heading" and d.level == 1), None)
    return title or _subject(drafts), drafts


def _parse_markdown(source: str) -> list[_Draft]:
    """Headings, paragraphs, list items, table rows and anchor comments of a Markdown text."""
    lines = source.splitlines()
    if lines and lines[0].strip() == "---":  # YAML front matter
        ends = [i for i, line in enumerate(lines[1:], 1) if line.strip() in ("---", "...")]
        lines = lines[ends[0] + 1:] if ends else lines
    drafts: list[_Draft] = []
    buf: list[str] = []
    kind, anchor, fence, in_comment = "paragraph", None, "", False

    def flush(raw: bool = False) -> None:
        nonlocal buf, kind
        if buf:
            text, lead = (" ".join(buf), "") if raw else _md_inline(" ".join(buf))
            drafts.append(_Draft(kind, text, lead=lead, anchor=anchor))
        buf, kind = [], "paragraph"

    for line in lines:
        stripped = line.strip()
        if fence:
            if stripped.startswith(fence):
                flush(raw=True)
                fence = ""
            else:
                buf.append(stripped)
            continue
        if in_comment:
            in_comment = "-->" not in line
            continue
        if match := _ANCHOR.match(line):
            flush()
            anchor = match.group(1)
        elif stripped.startswith("<!--"):
            flush()
            in_comment = "-->" not in stripped
        elif not stripped or _HR.match(line) or re.match(r"^ {0,3}\[[^\]^]+\]:\s*\S", line):
            flush()  # blank line, rule, or a link reference definition
        elif stripped.startswith(("```", "~~~")):
            flush()
            fence = stripped[:3]
        elif match := _MD_HEADING.match(line):
            flush()
            anchor = None
            drafts.append(_Draft("heading", _md_inline(match.group(2))[0], level=len(match.group(1))))
        elif stripped.startswith("|"):
            flush()
            cells = [c.strip() for c in stripped.strip("|").split("|")]
            if not all(re.fullmatch(r":?-{3,}:?", c) for c in cells):
                drafts.append(_Draft("paragraph", " | ".join(_md_inline(c)[0] for c in cells), anchor=anchor))
        elif match := _ITEM_RE.match(line):
            flush()
            kind = "list_item"
            buf = [f"{match.group('num')} {match.group('rest')}" if match.group("num") else match.group("rest")]
        else:
            buf.append(stripped.lstrip("> ") if stripped.startswith(">") else stripped)
    flush(raw=bool(fence))
    return drafts


def _md_inline(raw: str) -> tuple[str, str]:
    """Remove inline Markdown markup; return the text and the raw-free text of a bold lead."""
    kept: list[str] = []

    def keep(value: str) -> str:
        kept.append(value)
        return f"\x00{len(kept) - 1}\x00"

    s = re.sub(r"<!--.*?-->", "", raw)
    s = re.sub(r"(`+)(.+?)\1", lambda m: keep(m.group(2).strip()), s)
    s = re.sub(r"\\([\\`*_{}\[\]()#+\-.!|<>~])", lambda m: keep(m.group(1)), s)
    s = re.sub(r"<(https?://[^>\s]+)>", lambda m: keep(m.group(1)), s)
    s = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", s)
    s = re.sub(r"\[([^\]]+)\]\((\S+?)(?:\s+\"[^\"]*\")?\)", lambda m: f"{m.group(1)} ({keep(m.group(2))})", s)
    s = re.sub(r"\[([^\]]+)\]\[[^\]]*\]", r"\1", s)
    s = re.sub(r"\[\^[^\]]+\]", "", s)
    s = re.sub(r"<br\s*/?>", " ", s)
    s = re.sub(r"</?(?:em|strong|b|i|u|span|sup|sub|small|mark)\b[^>]*>", "", s)
    match = _MD_LEAD.match(s)
    lead = f"{match.group(1) or ''}{match.group(3)}" if match else ""

    def plain(value: str) -> str:
        for pattern in (_STRONG, _STRONG, _EM_STAR, _EM_UNDER):
            value = pattern.sub(lambda m: m.group(m.lastindex), value)
        value = re.sub(r"~~(?=\S)(.+?)(?<=\S)~~", r"\1", value)
        return re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], value)

    return plain(s), plain(lead)


# --- Plain text ------------------------------------------------------------------------------------


def _read_txt(path: Path) -> tuple[str | None, list[_Draft]]:
    drafts = _parse_txt(_decode(path))
    title = _subject(drafts)
    if title is None and drafts and drafts[0].kind == "heading" and not _numeral_heading(drafts[0].text):
        drafts[0].level, title = 1, drafts[0].text
    return title, drafts


def _parse_txt(source: str) -> list[_Draft]:
    """Paragraphs split by blank lines; memo-style heading lines and list lines become their own blocks."""
    drafts: list[_Draft] = []
    for chunk in re.split(r"\n[ \t]*\n", source.replace("\r\n", "\n").replace("\r", "\n")):
        lines = [line.strip() for line in chunk.split("\n") if line.strip()]
        if len(lines) == 1 and _heading_line(lines[0], standalone=True):
            drafts.append(_Draft("heading", lines[0]))
            continue
        current: _Draft | None = None
        for i, line in enumerate(lines):
            item = _ITEM_RE.match(line)
            if i == 0 and _numeral_heading(line) and _heading_line(line, standalone=False):
                drafts.append(_Draft("heading", line))
            elif item or MEMO_FIELD_RE.match(line) or current is None:
                text = line if not item or item.group("num") else item.group("rest")
                current = _Draft("list_item" if item else "paragraph", text)
                drafts.append(current)
            else:
                current.text = _join_lines(current.text, line)
    return drafts


def _numeral_heading(line: str) -> bool:
    return bool(_ROMAN_HEAD.match(line))


def _heading_line(line: str, standalone: bool) -> bool:
    """Memo-style heading: "II. Heading", "A. Heading", or (standalone) a short title-like line."""
    if len(line) > 100 or line[-1] in ".,;:!?" or MEMO_FIELD_RE.match(line) or DATE_LINE_RE.match(line):
        return False
    if _numeral_heading(line):
        return True
    words = line.split()
    capitalized = [w for w in words if len(w) > 3]
    return (
        standalone
        and len(words) <= 10
        and line[0].isupper()
        and not _ITEM_RE.match(line)
        and sum(w[0].isupper() for w in capitalized) * 2 >= len(capitalized)
    )


def _join_lines(text: str, line: str) -> str:
    """Join a wrapped line, undoing a line-end hyphenation like "enforce-" + "ment"."""
    match = re.search(r"(\w+)[-\u2010]$", text)
    if match and line[:1].islower() and match.group(1).lower() not in _KEEP_HYPHEN:
        return text[:-1] + line
    return f"{text} {line}"


_KEEP_HYPHEN = {"self", "non", "well", "cross", "co", "ex", "anti", "multi", "pre", "post", "long", "short", "so", "case", "full", "part", "two", "three", "first"}


# --- PDF -------------------------------------------------------------------------------------------


@dataclass
class _Chunk:
    text: str
    x: float
    y: float
    size: float
    bold: bool
    width: float


@dataclass
class _Line:
    page: int
    y: float
    size: float
    chunks: list[_Chunk] = field(default_factory=list)
    text: str = ""
    x: float = 0.0
    bold: bool = False
    lead: str = ""
    marker: str = ""


_PAGE_NUMBER = re.compile(r"^(?:page\s*)?[-\u2013\u2014]?\s*\d{1,4}\s*[-\u2013\u2014]?(?:\s*(?:of|/)\s*\d{1,4})?$", re.I)
_MARKER = re.compile(r"^(?:\d{1,3}(?:,\d{1,3})*|[*\u2020\u2021\u00a7]+)$")
_LETTERHEAD = re.compile(
    r"^(?:U\.\s?S\.\s)?Department of|^Office of the\b|Washington,?\s+D\.?\s?C\.?|^Secretary$|\b\d{5}(?:-\d{4})?$", re.I
)
_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demi", re.I)


def _read_pdf(path: Path) -> tuple[str | None, list[_Draft]]:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PyPdfError

    # pypdf logs its repairs ("EOF marker not found") as warnings; our error says it once, clearly.
    pypdf_logger = logging.getLogger("pypdf")
    previous_level = pypdf_logger.level
    pypdf_logger.setLevel(logging.ERROR)
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError(f"{path} is an encrypted PDF; save an unencrypted copy (without a password) and add that.")
        pages = [_pdf_page_lines(page, number) for number, page in enumerate(reader.pages)]
        meta_title = reader.metadata.title if reader.metadata else ""
    except DependencyError:
        raise DocumentError(f"{path} is an encrypted PDF; save an unencrypted copy (without a password) and add that.") from None
    except (PyPdfError, ValueError, KeyError, TypeError, IndexError, AttributeError, zlib.error, RecursionError) as exc:
        raise DocumentError(
            f"{path} is not a readable PDF ({type(exc).__name__}); it may be truncated or damaged: download or export it again."
        ) from None
    finally:
        pypdf_logger.setLevel(previous_level)
    if not any(line.text.strip() for lines in pages for line in lines):
        raise DocumentError(f"{path} has no text layer (it looks like a scan); run OCR on it first and add the OCRed PDF.")
    header, title, body, notes = _pdf_layout(pages)
    drafts = [_Draft("paragraph", text) for text in header] + body
    if notes:
        drafts.append(_Draft("heading", "Footnotes", level=1))
        drafts += [_Draft("list_item", f"{number} {text}") for number, text in notes]
    first_heading = next((d.text for d in drafts if d.kind == "heading" and d.level == 1), None)
    meta_title = str(meta_title or "").strip()
    if re.match(r"^(untitled|microsoft word\b|document\d*$)", meta_title, re.I):
        meta_title = ""
    return title or first_heading or meta_title or None, drafts


def _pdf_page_lines(page, number: int) -> list[_Line]:
    """Text chunks of one page (position, size, boldness) grouped into lines, top to bottom."""
    chunks: list[_Chunk] = []
    widths: dict[int, object] = {}

    def visit(text, cm, tm, font, size) -> None:
        text = text.rstrip("\n").replace("\n", " ")
        if not text:
            return
        a, b, c, d, e, f = (tm[0] * cm[0] + tm[1] * cm[2], tm[0] * cm[1] + tm[1] * cm[3], tm[2] * cm[0] + tm[3] * cm[2],
                            tm[2] * cm[1] + tm[3] * cm[3], tm[4] * cm[0] + tm[5] * cm[2] + cm[4], tm[4] * cm[1] + tm[5] * cm[3] + cm[5])
        name = str(font.get("/BaseFont", "")) if font is not None else ""
        size = abs(float(size))
        # pypdf prefixes a space when it saw a gap; the chunk's position is that of its first glyph.
        width = _text_width(text.lstrip(), font, widths) * size * (math.hypot(a, b) or 1.0)
        chunks.append(_Chunk(text, e, f, size * (math.hypot(c, d) or 1.0), bool(_BOLD_FONT.search(name)), width))

    page.extract_text(visitor_text=visit, orientations=(0,))
    lines: list[_Line] = []
    for chunk in chunks:
        for line in lines:
            # a smaller chunk may be a raised superscript of this line
            near = 0.5 * max(chunk.size, line.size) if abs(chunk.size - line.size) > 0.1 * line.size else 0.3 * line.size
            if abs(chunk.y - line.y) <= near:
                line.chunks.append(chunk)
                line.size = max(line.size, chunk.size)
                if chunk.size >= line.size:
                    line.y = chunk.y
                break
        else:
            lines.append(_Line(number, chunk.y, chunk.size, [chunk]))
    for line in lines:
        _finish_line(line)
    lines = [line for line in lines if line.text]
    top, bottom = float(page.mediabox.top), float(page.mediabox.bottom)
    for line in lines:  # from here on, y is the position within the page: 0 at the top, 1 at the bottom
        line.y = (top - line.y) / ((top - bottom) or 1.0)
    return sorted(lines, key=lambda ln: ln.y)


def _text_width(text: str, font, cache: dict[int, object]) -> float:
    """Width of a text in em, from the font's widths when pypdf can read them, else an average."""
    if font is not None and id(font) not in cache:
        try:
            from pypdf.generic._font import Font  # not public API: any failure falls back to an average

            cache[id(font)] = Font.from_font_resource(font)
        except (ImportError, AttributeError, KeyError, TypeError, ValueError, IndexError):
            cache[id(font)] = None
    measured = cache.get(id(font)) if font is not None else None
    if measured is not None:
        try:
            return measured.get_text_width(text) / 1000
        except (KeyError, TypeError, ValueError):
            pass
    return 0.5 * len(text)


def _finish_line(line: _Line) -> None:
    """Join a line's chunks; drop superscript footnote markers, remember a leading one and a bold lead."""
    weights: Counter[float] = Counter()
    for chunk in line.chunks:
        weights[round(chunk.size, 1)] += len(chunk.text.strip())
    line.size = weights.most_common(1)[0][0] if weights else line.size
    text, lead_end, prev, lead_open = "", 0, None, True
    for chunk in sorted(line.chunks, key=lambda c: round(c.x)):
        small = chunk.size < 0.9 * line.size
        if small and _MARKER.match(chunk.text.strip()):
            if not text.strip():
                line.marker = chunk.text.strip()
            continue  # a superscript footnote reference
        if prev is not None and text and not text[-1].isspace() and not chunk.text[0].isspace():
            if chunk.x - (prev.x + prev.width) > 0.12 * prev.size:
                text += " "  # a gap between separately placed words, columns or tab stops
        text += chunk.text
        if lead_open and chunk.text.strip():
            if chunk.bold:
                lead_end = len(text)
            else:
                lead_open = False
        prev = chunk
    line.text = _WS.sub(" ", text).strip()
    line.x = min((c.x for c in line.chunks if c.text.strip()), default=0.0)
    line.bold = bool(line.text) and lead_open
    line.lead = "" if lead_open else _WS.sub(" ", text[:lead_end]).strip()


def _pdf_layout(pages: list[list[_Line]]) -> tuple[list[str], str | None, list[_Draft], list[tuple[str, str]]]:
    """Split the lines of all pages into memo header fields, body blocks and footnotes."""
    sizes: Counter[float] = Counter()
    for lines in pages:
        for line in lines:
            sizes[line.size] += len(line.text)
    body_size = sizes.most_common(1)[0][0]
    furniture = _furniture(pages)
    pages = [[ln for ln in lines if id(ln) not in furniture] for lines in pages]
    header, title = _memo_header(pages[0], body_size) if pages else ([], None)
    body: list[_Line] = []
    notes: list[list[str]] = []
    for lines in pages:
        cut = len(lines)
        while cut and lines[cut - 1].size < 0.9 * body_size:
            cut -= 1
        zone = lines[cut:]
        numbers = _footnote_numbers(zone)
        first = next((i for i, number in enumerate(numbers) if number), len(zone))
        keep = first if first == len(zone) or not notes else 0  # small text above the first note is body
        body += lines[: cut + keep]
        for line, number in zip(zone[keep:], numbers[keep:]):
            if number:
                notes.append([number, line.text if line.marker else line.text[len(number):].strip()])
            else:
                notes[-1][1] = _join_lines(notes[-1][1], line.text)
    return header, title, _pdf_blocks(body, body_size, bool(header)), [(n, t) for n, t in notes]


def _footnote_numbers(zone: list[_Line]) -> list[str]:
    """The number that starts each footnote line ("" for a continuation line)."""
    if any(line.marker for line in zone):
        return [line.marker for line in zone]
    return [m.group(1) if (m := re.match(r"^(\d{1,3})\s+\S", line.text)) else "" for line in zone]


def _furniture(pages: list[list[_Line]]) -> set[int]:
    """Ids of page numbers, running headers/footers (repeated at the same place) and page-1 letterhead."""
    band = [ln for lines in pages for ln in lines if ln.y < 0.13 or ln.y > 0.87]
    seen: defaultdict[str, list[_Line]] = defaultdict(list)
    for line in band:
        seen[re.sub(r"\d+", "#", line.text.lower())].append(line)
    drop = {id(ln) for ln in band if _PAGE_NUMBER.match(ln.text)}
    for lines in seen.values():
        if len({ln.page for ln in lines}) >= 2 and max(ln.y for ln in lines) - min(ln.y for ln in lines) < 0.01:
            drop |= {id(ln) for ln in lines}
    first = pages[0] if pages else []
    if not any(MEMO_FIELD_RE.match(ln.text) for ln in first):
        for line in first:
            if line.y > 0.25:
                break
            if _LETTERHEAD.search(line.text):
                drop.add(id(line))
    return drop


def _memo_header(lines: list[_Line], body_size: float) -> tuple[list[str], str | None]:
    """Take the memo header off the first page: letterhead above it goes, the date and fields stay."""
    start = next((i for i, ln in enumerate(lines[:40]) if MEMO_FIELD_RE.match(ln.text)), None)
    if start is None:
        return [], None
    fields = [ln.text for ln in lines[:start] if DATE_LINE_RE.match(ln.text)]
    value_x = 0.0
    end = start
    for end in range(start, len(lines)):
        line = lines[end]
        if MEMO_FIELD_RE.match(line.text):
            fields.append(line.text)
            values = [c.x for c in line.chunks if c.x > line.x + 1 and c.text.strip()]
            value_x = min(values) if values else line.x + 4 * body_size
        elif line.x >= value_x - 3 and not line.bold:
            fields[-1] = _join_lines(fields[-1], line.text)
        else:
            break
    else:
        end = len(lines)
    del lines[:end]
    subject = next((f.split(":", 1)[1].strip() for f in fields if f.startswith(("SUBJECT", "SUBJ"))), None)
    return fields, subject


def _pdf_blocks(lines: list[_Line], body_size: float, memo: bool) -> list[_Draft]:
    """Group body lines into paragraphs, list items and headings by spacing, indentation and font."""
    gaps = [a.y - b.y for a, b in zip(lines[1:], lines) if a.page == b.page and a.size == b.size == body_size]
    spacing = statistics.median([g for g in gaps if g > 0]) if any(g > 0 for g in gaps) else 0.02
    margin = Counter(round(ln.x) for ln in lines).most_common(1)[0][0] if lines else 0
    full = sorted(len(ln.text) for ln in lines)[int(len(lines) * 0.8)] if lines else 0
    groups: list[list[_Line]] = []
    for line in lines:
        cur = groups[-1] if groups else None
        last = cur[-1] if cur else None
        item = bool(_ITEM_RE.match(line.text))
        if last is None or item or line.bold != last.bold or line.size != last.size:
            new = True
        elif line.page != last.page:
            new = _numeral_heading(line.text) or not (
                line.x <= margin + 2 or _ITEM_RE.match(cur[0].text)
            ) or not (
                last.text[-1] not in ".!?:;\"\u201d)" or line.text[0].islower() or len(last.text) >= 0.85 * full
            )
        else:
            indented = line.x > last.x + 0.8 * body_size and not _ITEM_RE.match(cur[0].text)
            outdented = bool(_ITEM_RE.match(cur[0].text)) and line.x < cur[0].x - 2
            new = line.y - last.y > spacing * 1.3 or indented or outdented
        if new:
            groups.append([line])
        else:
            cur.append(line)
    drafts: list[_Draft] = []
    for group in groups:
        text = group[0].text
        for line in group[1:]:
            text = _join_lines(text, line.text)
        numbered = _numeral_heading(text)
        larger = len(group) == 1 and group[0].size > body_size * 1.05
        if (all(ln.bold for ln in group) or larger) and len(text) <= 150:
            if (numbered or not (drafts or memo)) and (numbered or text[-1] not in ".,;"):
                title = not (drafts or memo or numbered)  # a bold first line of a non-memo is its title
                drafts.append(_Draft("heading", text, level=1 if title else 0))
            else:  # a bold line: the splitter decides whether it acts as a heading
                drafts.append(_Draft("paragraph", text, lead=text))
        elif len(group) == 1 and numbered and _heading_line(text, standalone=False):
            drafts.append(_Draft("heading", text))
        else:
            drafts.append(_Draft("list_item" if _ITEM_RE.match(text) else "paragraph", text, lead=group[0].lead))
    return drafts


# --- DOCX ------------------------------------------------------------------------------------------


def _read_docx(path: Path) -> tuple[str | None, list[_Draft]]:
    import docx
    from docx.exceptions import PythonDocxError
    from docx.opc.exceptions import OpcError
    from lxml import etree

    try:
        document = docx.Document(str(path))
        drafts = _docx_drafts(document)
        core_title = document.core_properties.title
    except (OpcError, PythonDocxError, zipfile.BadZipFile, zlib.error, EOFError, KeyError, ValueError, etree.LxmlError) as exc:
        raise DocumentError(
            f"{path} is not a readable Word document ({type(exc).__name__}); open it in Word and save it again as .docx."
        ) from None
    first_heading = next((d.text for d in drafts if d.kind == "heading" and d.level == 1), None)
    return core_title or first_heading or _subject(drafts), drafts


def _docx_drafts(document) -> list[_Draft]:
    from docx.table import Table

    drafts: list[_Draft] = []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            for row in item.rows:
                cells, seen = [], set()
                for cell in row.cells:
                    if id(cell._tc) not in seen and cell.text.strip():
                        seen.add(id(cell._tc))
                        cells.append(_WS.sub(" ", cell.text).strip())
                if cells:
                    drafts.append(_Draft("paragraph", " | ".join(cells)))
            continue
        level = _docx_heading_level(item.style)
        if level:
            drafts.append(_Draft("heading", item.text, level=level))
            continue
        style = item.style.name if item.style is not None else ""
        ppr = item._p.pPr
        listed = style.startswith("List") or (ppr is not None and ppr.numPr is not None)
        drafts.append(_Draft("list_item" if listed else "paragraph", item.text, lead=_docx_lead(item)))
    return drafts


def _docx_heading_level(style) -> int:
    while style is not None:
        match = re.fullmatch(r"Heading (\d)", style.name or "")
        if match:
            return int(match.group(1))
        if style.name == "Title":
            return 1
        style = style.base_style
    return 0


def _docx_lead(paragraph) -> str:
    """The text of the leading bold runs; the whole text when every run is bold."""
    lead = ""
    for part in paragraph.iter_inner_content():
        for run in getattr(part, "runs", [part]):
            if not run.text:
                continue
            bold = run.bold
            if bold is None and run.style is not None:
                bold = run.style.font.bold
            if bold is None and paragraph.style is not None:
                bold = paragraph.style.font.bold
            if not bold and run.text.strip():
                return lead if lead.strip() else ""
            lead += run.text
    return lead


# --- HTML ------------------------------------------------------------------------------------------

_HTML_DROP = {"script", "style", "nav", "header", "footer", "noscript", "template", "svg", "form", "button"}
_HTML_BLOCKS = {"div", "section", "article", "main", "body", "html", "ul", "ol", "dl", "table", "tbody", "thead",
                "tfoot", "blockquote", "figure", "aside", "center", "details", "fieldset"}
_HTML_PARAS = {"p", "dt", "dd", "pre", "address", "figcaption", "summary", "caption"}


def _read_html(path: Path) -> tuple[str | None, list[_Draft]]:
    from bs4 import BeautifulSoup
    from bs4.builder import ParserRejectedMarkup

    try:
        soup = BeautifulSoup(_decode(path), "html.parser")
    except ParserRejectedMarkup:
        raise DocumentError(f"{path} is not well-formed HTML; save the page again from a browser.") from None
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    for tag in soup.find_all(["head", *_HTML_DROP]):
        if not tag.decomposed:
            tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    drafts: list[_Draft] = []
    _html_walk(soup, drafts, [None], [])
    first_h1 = next((d.text for d in drafts if d.kind == "heading" and d.level == 1), None)
    return title or first_h1 or _subject(drafts), drafts


def _html_walk(node, drafts: list[_Draft], anchor: list[str | None], loose: list[str]) -> None:
    """Walk the tree in order; text outside p/li/h* is gathered into anonymous paragraphs."""
    from bs4 import Comment, NavigableString, Tag

    def flush() -> None:
        if "".join(loose).strip():
            drafts.append(_Draft("paragraph", "".join(loose), anchor=anchor[0]))
        loose.clear()

    for child in node.children:
        if isinstance(child, Comment):
            match = _ANCHOR.match(f"<!--{child}-->")
            if match:
                flush()
                anchor[0] = match.group(1)
        elif isinstance(child, NavigableString):
            if type(child) is NavigableString:
                loose.append(str(child))
        elif not isinstance(child, Tag):
            continue
        elif re.fullmatch(r"h[1-6]", child.name):
            flush()
            anchor[0] = None
            drafts.append(_Draft("heading", child.get_text(), level=int(child.name[1])))
        elif child.name in _HTML_PARAS or child.name == "li":
            flush()
            kind = "list_item" if child.name == "li" else "paragraph"
            nested = [t for t in child.find_all(["ul", "ol", "table"]) if t.find_parent("li") is child]
            for sub in nested:
                sub.extract()
            drafts.append(_Draft(kind, child.get_text(), lead=_html_lead(child), anchor=anchor[0]))
            for sub in nested:
                _html_walk(sub, drafts, anchor, loose)
        elif child.name == "tr":
            flush()
            cells = [c.get_text(" ", strip=True) for c in child.find_all(["td", "th"])]
            if any(cells):
                drafts.append(_Draft("paragraph", " | ".join(c for c in cells if c), anchor=anchor[0]))
        elif child.name in _HTML_BLOCKS:
            flush()
            _html_walk(child, drafts, anchor, loose)
            flush()
        else:
            _html_walk(child, drafts, anchor, loose)
    if node.name in ("[document]", "body", "html"):
        flush()


def _html_lead(element) -> str:
    from bs4 import NavigableString

    first = next((c for c in element.children if not (isinstance(c, NavigableString) and not c.strip())), None)
    if first is not None and getattr(first, "name", None) == "p":
        return _html_lead(first)
    if first is not None and getattr(first, "name", None) in ("strong", "b"):
        return first.get_text()
    return ""
