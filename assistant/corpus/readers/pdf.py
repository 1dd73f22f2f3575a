"""PDF through pypdf's text visitor: body text, headings and lists told from page furniture and footnotes."""

from __future__ import annotations

import logging
import math
import re
import statistics
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import DocumentError, DocumentTooLargeError

from .common import DATE_LINE_RE, ITEM_RE, MEMO_FIELD_RE, WS, Draft, heading_line, join_lines, numeral_heading, over_limit

if TYPE_CHECKING:
    from assistant.config import IngestLimits


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


def read_pdf(path: Path, limits: IngestLimits) -> tuple[str | None, list[Draft]]:
    """The title and draft blocks of a PDF: memo header fields, body blocks, then its footnotes.

    Bounded before each page is read: the page count, the decoded size of the pages' content
    streams (and the form XObjects they draw) together, and the characters of text extracted.
    """
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, LimitReachedError, PyPdfError

    # pypdf logs its repairs ("EOF marker not found") as warnings; our error says it once, clearly.
    pypdf_logger = logging.getLogger("pypdf")
    previous_level = pypdf_logger.level
    pypdf_logger.setLevel(logging.ERROR)
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError(f"{path} is an encrypted PDF; save an unencrypted copy (without a password) and add that.")
        if len(reader.pages) > limits.max_pages:
            raise over_limit(path, "its number of pages", len(reader.pages), limits.max_pages, "max_pages")
        budget = _Budget(path, limits)
        pages = []
        for number, page in enumerate(reader.pages):
            budget.unpack(page)
            pages.append(_pdf_page_lines(page, number, budget))
        meta_title = reader.metadata.title if reader.metadata else ""
    except DependencyError:
        raise DocumentError(f"{path} is an encrypted PDF; save an unencrypted copy (without a password) and add that.") from None
    except LimitReachedError as exc:
        raise DocumentTooLargeError(
            f"{path} is refused: it is over a limit of the PDF reader pypdf ({exc}); split the document."
        ) from None
    except (PyPdfError, ValueError, KeyError, TypeError, IndexError, AttributeError, zlib.error, RecursionError,
            NotImplementedError) as exc:  # pypdf: "unsupported filter" and the like, on a damaged file
        raise DocumentError(
            f"{path} is not a readable PDF ({type(exc).__name__}); it may be truncated or damaged: download or export it again."
        ) from None
    finally:
        pypdf_logger.setLevel(previous_level)
    if not any(line.text.strip() for lines in pages for line in lines):
        raise DocumentError(f"{path} has no text layer (it looks like a scan); run OCR on it first and add the OCRed PDF.")
    header, title, body, notes = _pdf_layout(pages)
    drafts = [Draft("paragraph", text) for text in header] + body
    if notes:
        drafts.append(Draft("heading", "Footnotes", level=1))
        drafts += [Draft("list_item", f"{number} {text}") for number, text in notes]
    first_heading = next((d.text for d in drafts if d.kind == "heading" and d.level == 1), None)
    meta_title = str(meta_title or "").strip()
    if re.match(r"^(untitled|microsoft word\b|document\d*$)", meta_title, re.I):
        meta_title = ""
    return title or first_heading or meta_title or None, drafts


class _Budget:
    """What a PDF's pages may still unpack to and yield as text (``IngestLimits``)."""

    def __init__(self, path: Path, limits: IngestLimits):
        self.path, self.limits, self.unpacked, self.chars = path, limits, 0, 0

    def unpack(self, page) -> None:
        """Count the decoded size of a page's content and of the form XObjects it may draw; refuse past the limit."""
        from pypdf.generic import ArrayObject, DictionaryObject

        contents = page.get("/Contents")
        contents = contents.get_object() if contents is not None else None
        streams = list(contents) if isinstance(contents, ArrayObject) else [contents]
        seen: set[int] = set()
        todo = [page.get("/Resources")]
        while todo:  # form XObjects, nested ones included
            resources = todo.pop()
            resources = resources.get_object() if resources is not None else None
            if not isinstance(resources, DictionaryObject) or id(resources) in seen:
                continue
            seen.add(id(resources))
            xobjects = resources.get("/XObject")
            xobjects = xobjects.get_object() if xobjects is not None else None
            for ref in (xobjects or {}).values() if isinstance(xobjects, DictionaryObject) else ():
                form = ref.get_object()
                if getattr(form, "get", None) and form.get("/Subtype") == "/Form" and id(form) not in seen:
                    seen.add(id(form))
                    streams.append(form)
                    todo.append(form.get("/Resources"))
        for stream in streams:
            stream = stream.get_object() if stream is not None else None
            if stream is None or not hasattr(stream, "get_data"):
                continue
            self.unpacked += len(stream.get_data())
            if self.unpacked > self.limits.max_unpacked_bytes:
                raise over_limit(self.path, "what its pages' content streams decode to, in bytes", self.unpacked,
                                 self.limits.max_unpacked_bytes, "max_unpacked_bytes")

    def text(self, chars: int) -> None:
        """Count extracted characters; refuse past the limit."""
        self.chars += chars
        if self.chars > self.limits.max_text_chars:
            raise over_limit(self.path, "its text in characters (at least)", self.chars, self.limits.max_text_chars,
                             "max_text_chars")


def _pdf_page_lines(page, number: int, budget: _Budget) -> list[_Line]:
    """Text chunks of one page (position, size, boldness) grouped into lines, top to bottom."""
    chunks: list[_Chunk] = []
    widths: dict[int, object] = {}

    def visit(text, cm, tm, font, size) -> None:
        text = text.rstrip("\n").replace("\n", " ")
        if not text:
            return
        budget.text(len(text) + 1)
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
    line.text = WS.sub(" ", text).strip()
    line.x = min((c.x for c in line.chunks if c.text.strip()), default=0.0)
    line.bold = bool(line.text) and lead_open
    line.lead = "" if lead_open else WS.sub(" ", text[:lead_end]).strip()


def _pdf_layout(pages: list[list[_Line]]) -> tuple[list[str], str | None, list[Draft], list[tuple[str, str]]]:
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
                notes[-1][1] = join_lines(notes[-1][1], line.text)
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
            fields[-1] = join_lines(fields[-1], line.text)
        else:
            break
    else:
        end = len(lines)
    del lines[:end]
    subject = next((f.split(":", 1)[1].strip() for f in fields if f.startswith(("SUBJECT", "SUBJ"))), None)
    return fields, subject


def _pdf_blocks(lines: list[_Line], body_size: float, memo: bool) -> list[Draft]:
    """Group body lines into paragraphs, list items and headings by spacing, indentation and font."""
    gaps = [a.y - b.y for a, b in zip(lines[1:], lines) if a.page == b.page and a.size == b.size == body_size]
    spacing = statistics.median([g for g in gaps if g > 0]) if any(g > 0 for g in gaps) else 0.02
    margin = Counter(round(ln.x) for ln in lines).most_common(1)[0][0] if lines else 0
    full = sorted(len(ln.text) for ln in lines)[int(len(lines) * 0.8)] if lines else 0
    groups: list[list[_Line]] = []
    for line in lines:
        cur = groups[-1] if groups else None
        last = cur[-1] if cur else None
        item = bool(ITEM_RE.match(line.text))
        if last is None or item or line.bold != last.bold or line.size != last.size:
            new = True
        elif line.page != last.page:
            new = numeral_heading(line.text) or not (
                line.x <= margin + 2 or ITEM_RE.match(cur[0].text)
            ) or not (
                last.text[-1] not in ".!?:;\"\u201d)" or line.text[0].islower() or len(last.text) >= 0.85 * full
            )
        else:
            indented = line.x > last.x + 0.8 * body_size and not ITEM_RE.match(cur[0].text)
            outdented = bool(ITEM_RE.match(cur[0].text)) and line.x < cur[0].x - 2
            new = line.y - last.y > spacing * 1.3 or indented or outdented
        if new:
            groups.append([line])
        else:
            cur.append(line)
    drafts: list[Draft] = []
    for group in groups:
        text = group[0].text
        for line in group[1:]:
            text = join_lines(text, line.text)
        numbered = numeral_heading(text)
        larger = len(group) == 1 and group[0].size > body_size * 1.05
        if (all(ln.bold for ln in group) or larger) and len(text) <= 150:
            if (numbered or not (drafts or memo)) and (numbered or text[-1] not in ".,;"):
                title = not (drafts or memo or numbered)  # a bold first line of a non-memo is its title
                drafts.append(Draft("heading", text, level=1 if title else 0))
            else:  # a bold line: the splitter decides whether it acts as a heading
                drafts.append(Draft("paragraph", text, lead=text))
        elif len(group) == 1 and numbered and heading_line(text, standalone=False):
            drafts.append(Draft("heading", text))
        else:
            drafts.append(Draft("list_item" if ITEM_RE.match(text) else "paragraph", text, lead=group[0].lead))
    return drafts
