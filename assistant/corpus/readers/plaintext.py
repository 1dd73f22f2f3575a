"""Plain text: paragraphs split by blank lines; memo-style heading lines and list lines become blocks."""

from __future__ import annotations

import re
from pathlib import Path

from .common import ITEM_RE, MEMO_FIELD_RE, Draft, decode, heading_line, join_lines, numeral_heading, subject


def read_txt(path: Path) -> tuple[str | None, list[Draft]]:
    """The title (SUBJECT line, else a title-like first line) and draft blocks of a plain-text file."""
    drafts = _parse_txt(decode(path))
    title = subject(drafts)
    if title is None and drafts and drafts[0].kind == "heading" and not numeral_heading(drafts[0].text):
        drafts[0].level, title = 1, drafts[0].text
    return title, drafts


def _parse_txt(source: str) -> list[Draft]:
    """Paragraphs split by blank lines; memo-style heading lines and list lines become their own blocks."""
    drafts: list[Draft] = []
    for chunk in re.split(r"\n[ \t]*\n", source.replace("\r\n", "\n").replace("\r", "\n")):
        lines = [line.strip() for line in chunk.split("\n") if line.strip()]
        if len(lines) == 1 and heading_line(lines[0], standalone=True):
            drafts.append(Draft("heading", lines[0]))
            continue
        current: Draft | None = None
        for i, line in enumerate(lines):
            item = ITEM_RE.match(line)
            if i == 0 and numeral_heading(line) and heading_line(line, standalone=False):
                drafts.append(Draft("heading", line))
            elif item or MEMO_FIELD_RE.match(line) or current is None:
                text = line if not item or item.group("num") else item.group("rest")
                current = Draft("list_item" if item else "paragraph", text)
                drafts.append(current)
            else:
                current.text = join_lines(current.text, line)
    return drafts
