"""How an answer reads in the terminal: the spelling it searched for, the answer, related quotes, sources, status.

Shared by ``guidance ask`` and ``guidance chat``. Every line printed is the answer's own
verified text, one of its citations, or a label of this tool (``Sources:``, ``Related (not an
answer):``, ``Understood as:``); nothing here composes a claim about the guidelines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.corpus.status import status_sentence

if TYPE_CHECKING:
    from assistant.types import Answer, Understood


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


def answer_lines(answer: Answer, explain: bool = False, streamed: bool = False) -> list[str]:
    """The answer as printed: corrections, the answer (unless already streamed), related quotes, sources, status."""
    out = []
    if answer.resolved_question and answer.resolved_question != answer.question:  # a follow-up, read in its conversation
        out.append(f"Understood as: {answer.resolved_question}")
    note = searched_for(answer)
    if note and not streamed:
        out.append(note)
    if not streamed:
        out.append(answer.answer)
    if answer.related:
        out.append("\nRelated (not an answer): what the guidelines say nearby")
        out += [f"  [R{i}] {c.quote}" for i, c in enumerate(answer.related, 1)]
    if answer.citations or answer.related:
        out.append("\nSources:")
        out += [f"  [{i}] {c.label}  ({c.doc_id} {c.start}-{c.end})" for i, c in enumerate(answer.citations, 1)]
        out += [f"  [R{i}] {c.label}  ({c.doc_id} {c.start}-{c.end})" for i, c in enumerate(answer.related, 1)]
    if answer.status:
        out.append(f"\n{status_sentence(answer.status)} {answer.status.note}")
    if explain and answer.understood is not None:
        out.append("")
        out += explain_lines(answer.understood)
    return out
