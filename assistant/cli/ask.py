"""``guidance ask``: one question, answered with verified citations or refused, as text, a stream or JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from assistant.config import BACKENDS

from .common import echo_json, load_settings, parse_date

if TYPE_CHECKING:
    from assistant.api import Assistant
    from assistant.types import Answer


def backend_notice(answer: Answer) -> str:
    """One line on stderr saying who composed the answer, and why when it is the fallback."""
    if answer.outcome.fallback:
        return (f"note: the language model's answer could not be verified ({answer.outcome.fallback_reason}); this is "
                "the deterministic answer instead (the failure is in the run log)")
    return f"(answer backend: {answer.backend})"


def echo_stream(assistant: Assistant, question: str, **options: Any) -> Answer:
    """Print each line of the answer as soon as it is verified; return the final answer."""
    answer = None
    for event in assistant.stream(question, **options):
        if event.kind == "line":
            click.echo(event.text)
        elif event.kind == "notice":
            click.echo(f"note: {event.text}", err=True)
        else:
            answer = event.answer
    assert answer is not None  # stream_answer always ends with the answer
    if answer.backend != "extractive" and not answer.outcome.fallback:
        click.echo(backend_notice(answer), err=True)
    return answer


@click.command("ask")
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON (docs/CONTRACTS.md section 2).")
@click.option("--as-of", "as_of", metavar="DATE", help="Report the guidelines' status on this date (YYYY-MM-DD); default today.")
@click.option("-k", "k", type=click.IntRange(1, 50), help="How many passages to retrieve (default 5).")
@click.option("--doc", "doc_ids", multiple=True, help="Only search this document id (repeatable).")
@click.option("--anchor", "anchors", multiple=True, help="Only search passages with this anchor; 'mit.*' is a prefix (repeatable).")
@click.option("--backend", type=click.Choice(BACKENDS), help="Who composes: extractive (default), openai or ollama (see GUIDANCE_LLM__*).")
@click.option("--stream", is_flag=True, help="Print each line as soon as its claim is verified.")
@click.option("--explain", is_flag=True, help="Also print how the question was understood (what is asked, dates, premise, spelling).")
@click.pass_context
def ask(ctx: click.Context, question: str, as_json: bool, as_of: str | None, k: int | None, doc_ids: tuple[str, ...], anchors: tuple[str, ...],
        backend: str | None, stream: bool, explain: bool) -> None:
    """Answer QUESTION from the guidelines, every sentence cited, or say they do not address it.

    A date in the question ("in force at the end of 2022?") sets the status reported, unless
    --as-of is given.

    Example: guidance ask "Does the person's age matter?" --as-of 2022-03-01
    """
    from assistant.answer.request import validate_question
    from assistant.answer.retrieve import Filters
    from assistant.api import Assistant

    from .show import answer_lines

    settings = load_settings(ctx)
    validate_question(question, settings)  # fail fast, before loading the model
    filters = Filters(doc_ids=list(doc_ids) or None, anchors=list(anchors) or None) if (doc_ids or anchors) else None
    if stream and as_json:
        raise click.UsageError("--stream prints text as it is verified; it cannot be combined with --json")
    if stream:
        answer = echo_stream(Assistant(settings), question, as_of=parse_date(as_of), k=k, filters=filters, backend=backend)
    else:
        answer = Assistant(settings).ask(question, as_of=parse_date(as_of), k=k, filters=filters, backend=backend)
    if as_json:
        echo_json(answer.model_dump(mode="json"))
        return
    for line in answer_lines(answer, explain=explain, streamed=stream):
        click.echo(line)
    if not stream and answer.backend != "extractive":
        click.echo(backend_notice(answer), err=True)
    if not answer.check.passed:
        click.echo("\nwarning: the checker reported problems: " + "; ".join(f.message for f in answer.check.findings), err=True)
    click.echo("\nUnofficial restatement; not legal advice.", err=True)
