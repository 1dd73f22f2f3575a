"""``guidance chat``: a conversation in the terminal, or one JSON answer per line of standard input.

Every question is answered in the context of the earlier ones (``Assistant.conversation``); the
model and the index load once per chat. A follow-up's answer opens with "Understood as: ...", the
standalone question that was answered, so a wrong reading can be seen and corrected.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

from assistant.config import BACKENDS
from assistant.errors import InputError

from .common import load_settings, parse_date

if TYPE_CHECKING:
    import datetime as dt

    from assistant.answer.conversation import Conversation
    from assistant.api import Assistant

HELP = """Type a question and press Enter; a follow-up ("say more about the second one") is read against the earlier answers.
  /new           start a new conversation
  /as-of DATE    report the guidelines' status on DATE (YYYY-MM-DD); /as-of alone goes back to today
  /help          this help
  Ctrl-D         leave"""


@click.command("chat")
@click.option("--json", "as_json", is_flag=True,
              help="Read one question per line from standard input and write one JSON answer per line (docs/CONTRACTS.md).")
@click.option("--as-of", "as_of", metavar="DATE", help="Report the guidelines' status on this date (YYYY-MM-DD); default today.")
@click.option("--backend", type=click.Choice(BACKENDS), help="Who composes: extractive (default), openai or ollama.")
@click.pass_context
def chat(ctx: click.Context, as_json: bool, as_of: str | None, backend: str | None) -> None:
    """A conversation about the guidelines: follow-up questions are answered in context.

    Example: printf 'What are the enforcement priorities?\\nSay more about the second one.\\n' | guidance chat --json
    """
    from assistant.api import Assistant

    settings = load_settings(ctx)
    assistant = Assistant(settings)
    on = parse_date(as_of)
    if as_json:
        _json_lines(assistant, on, backend)
    else:
        _interactive(assistant, on, backend)


def _json_lines(assistant: Assistant, on: dt.date | None, backend: str | None) -> None:
    """One JSON answer per non-empty input line, each in the context of the lines before it."""
    conversation = assistant.conversation()
    for line in sys.stdin:
        question = line.strip()
        if not question:
            continue
        try:
            answer = assistant.ask(question, as_of=on, backend=backend, conversation=conversation)
        except InputError as exc:  # one bad line (too long, say) is reported in its place; the chat goes on
            click.echo(json.dumps({"question": question[:200], "error": str(exc)}, ensure_ascii=False))
            continue
        click.echo(json.dumps(answer.model_dump(mode="json"), ensure_ascii=False, default=str))


def _interactive(assistant: Assistant, on: dt.date | None, backend: str | None) -> None:
    """The prompt: line editing and history (readline), commands, Ctrl-D to leave."""
    from .show import answer_lines

    try:
        import readline  # noqa: F401  (input() gains line editing and history)
    except ImportError:  # not on every platform; the chat still works without it
        pass
    conversation = assistant.conversation()
    click.echo("Ask about the 2021 guidelines; /help for commands, Ctrl-D to leave.")
    while True:
        try:
            line = input("guidance> ").strip()
        except EOFError:
            click.echo()
            return
        except KeyboardInterrupt:
            click.echo()
            continue
        if not line:
            continue
        if line.startswith("/"):
            on = _command(line, conversation, on)
            continue
        try:
            answer = assistant.ask(line, as_of=on, backend=backend, conversation=conversation)
        except InputError as exc:
            click.echo(f"error: {exc}", err=True)
            continue
        for text in answer_lines(answer):
            click.echo(text)
        click.echo()


def _command(line: str, conversation: Conversation, on: dt.date | None) -> dt.date | None:
    """Run one slash command; return the as-of date in force after it."""
    name, _, arg = line.partition(" ")
    if name == "/new":
        conversation.clear()
        click.echo("A new conversation.")
    elif name == "/as-of":
        if not arg.strip():
            click.echo("Status given for today.")
            return None
        try:
            on = parse_date(arg.strip())
        except click.BadParameter as exc:
            click.echo(f"error: {exc.message}", err=True)
            return on
        click.echo(f"Status given for {on.isoformat() if on else 'today'}.")
    elif name in ("/help", "/?"):
        click.echo(HELP)
    elif name in ("/quit", "/exit"):
        raise SystemExit(0)
    else:
        click.echo(f"unknown command {name}; /help lists them", err=True)
    return on
