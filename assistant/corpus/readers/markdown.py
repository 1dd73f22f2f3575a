"""Markdown: headings, paragraphs, list items, table rows and the corpus's anchor comments."""

from __future__ import annotations

import re
from pathlib import Path

from .common import ANCHOR_RE, ITEM_RE, NUMBERED, Draft, decode, subject

_MD_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_HR = re.compile(r"^ {0,3}([-*_])(?:\s*\1){2,}\s*$")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EM_STAR = re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])")
_EM_UNDER = re.compile(r"(?<![\w_])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![\w_])")
_MD_LEAD = re.compile(rf"^((?:{NUMBERED})\s+)?(\*\*|__)(?=\S)(.+?)(?<=\S)\2")


def read_markdown(path: Path) -> tuple[str | None, list[Draft]]:
    """The title (first level-1 heading, else the SUBJECT line) and draft blocks of a Markdown file."""
    drafts = _parse_markdown(decode(path))
    title = next((d.text for d in drafts if d.kind == "heading" and d.level == 1), None)
    return title or subject(drafts), drafts


def _parse_markdown(source: str) -> list[Draft]:
    """Headings, paragraphs, list items, table rows and anchor comments of a Markdown text."""
    lines = source.splitlines()
    if lines and lines[0].strip() == "---":  # YAML front matter
        ends = [i for i, line in enumerate(lines[1:], 1) if line.strip() in ("---", "...")]
        lines = lines[ends[0] + 1:] if ends else lines
    drafts: list[Draft] = []
    buf: list[str] = []
    kind, anchor, fence, in_comment = "paragraph", None, "", False

    def flush(raw: bool = False) -> None:
        nonlocal buf, kind
        if buf:
            text, lead = (" ".join(buf), "") if raw else _md_inline(" ".join(buf))
            drafts.append(Draft(kind, text, lead=lead, anchor=anchor))
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
        if match := ANCHOR_RE.match(line):
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
            drafts.append(Draft("heading", _md_inline(match.group(2))[0], level=len(match.group(1))))
        elif stripped.startswith("|"):
            flush()
            cells = [c.strip() for c in stripped.strip("|").split("|")]
            if not all(re.fullmatch(r":?-{3,}:?", c) for c in cells):
                drafts.append(Draft("paragraph", " | ".join(_md_inline(c)[0] for c in cells), anchor=anchor))
        elif match := ITEM_RE.match(line):
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
