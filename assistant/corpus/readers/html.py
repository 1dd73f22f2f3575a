"""HTML through BeautifulSoup: headings, paragraphs, list items and table rows in document order."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import DocumentError

from .common import ANCHOR_RE, Draft, decode, over_limit, subject

if TYPE_CHECKING:
    from assistant.config import IngestLimits

_TAG = re.compile(r"<[A-Za-z]")  # an opening tag: each becomes an element of the parse tree

_HTML_DROP = {"script", "style", "nav", "header", "footer", "noscript", "template", "svg", "form", "button"}
_HTML_BLOCKS = {"div", "section", "article", "main", "body", "html", "ul", "ol", "dl", "table", "tbody", "thead",
                "tfoot", "blockquote", "figure", "aside", "center", "details", "fieldset"}
_HTML_PARAS = {"p", "dt", "dd", "pre", "address", "figcaption", "summary", "caption"}
MAX_DEPTH = 256  # elements nested deeper than this are no real page (browsers stop at 512); the walk recurses


def read_html(path: Path, limits: IngestLimits) -> tuple[str | None, list[Draft]]:
    """The title (<title>, first <h1> or SUBJECT line) and draft blocks of an HTML page.

    The tags are counted before parsing (the parse tree costs far more memory than the file).
    """
    from bs4 import BeautifulSoup
    from bs4.builder import ParserRejectedMarkup

    source = decode(path)
    tags = sum(1 for _ in _TAG.finditer(source))
    if tags > limits.max_html_tags:
        raise over_limit(path, "its number of tags", tags, limits.max_html_tags, "max_html_tags")
    try:
        soup = BeautifulSoup(source, "html.parser")
    except ParserRejectedMarkup:
        raise DocumentError(f"{path} is not well-formed HTML; save the page again from a browser.") from None
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    for tag in soup.find_all(["head", *_HTML_DROP]):
        if not tag.decomposed:
            tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    drafts: list[Draft] = []
    try:
        _html_walk(soup, drafts, [None], [])
    except (_TooDeep, RecursionError):  # RecursionError: the stack ran out before MAX_DEPTH (a small recursion limit)
        raise DocumentError(
            f"{path} nests its elements more than {MAX_DEPTH} deep, which no real page does; save it again from a browser."
        ) from None
    first_h1 = next((d.text for d in drafts if d.kind == "heading" and d.level == 1), None)
    return title or first_h1 or subject(drafts), drafts


class _TooDeep(Exception):
    """The walk went deeper than MAX_DEPTH (turned into a DocumentError naming the file)."""


def _html_walk(node, drafts: list[Draft], anchor: list[str | None], loose: list[str], depth: int = 0) -> None:
    """Walk the tree in order; text outside p/li/h* is gathered into anonymous paragraphs."""
    from bs4 import Comment, NavigableString, Tag

    if depth > MAX_DEPTH:
        raise _TooDeep

    def flush() -> None:
        if "".join(loose).strip():
            drafts.append(Draft("paragraph", "".join(loose), anchor=anchor[0]))
        loose.clear()

    for child in node.children:
        if isinstance(child, Comment):
            match = ANCHOR_RE.match(f"<!--{child}-->")
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
            drafts.append(Draft("heading", child.get_text(), level=int(child.name[1])))
        elif child.name in _HTML_PARAS or child.name == "li":
            flush()
            kind = "list_item" if child.name == "li" else "paragraph"
            nested = [t for t in child.find_all(["ul", "ol", "table"]) if t.find_parent("li") is child]
            for sub in nested:
                sub.extract()
            drafts.append(Draft(kind, child.get_text(), lead=_html_lead(child), anchor=anchor[0]))
            for sub in nested:
                _html_walk(sub, drafts, anchor, loose, depth + 1)
        elif child.name == "tr":
            flush()
            cells = [c.get_text(" ", strip=True) for c in child.find_all(["td", "th"])]
            if any(cells):
                drafts.append(Draft("paragraph", " | ".join(c for c in cells if c), anchor=anchor[0]))
        elif child.name in _HTML_BLOCKS:
            flush()
            _html_walk(child, drafts, anchor, loose, depth + 1)
            flush()
        else:
            _html_walk(child, drafts, anchor, loose, depth + 1)
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
