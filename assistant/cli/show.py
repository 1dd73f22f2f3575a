"""How an answer reads in the terminal: the spelling it searched for, the answer, related quotes, sources, status.

Shared by ``guidance ask`` and ``guidance chat``. The lines come from the one presentation of an
answer (``assistant.answer.present``), which the app's Copy button prints too: every line is the
answer's own verified text, one of its citations, or a label of this tool (``Sources:``,
``Related (not an answer):``, ``Understood as:``); nothing here composes a claim about the guidelines.
"""

from __future__ import annotations

from assistant.answer.present import explain_lines, searched_for, text_lines

answer_lines = text_lines  # the name the commands have always used

__all__ = ["answer_lines", "explain_lines", "searched_for"]
