"""The commands and output helpers of the language-model features: `guidance intake`, `ask --stream`.

Like the rest of the CLI they parse, call one library function and render; they are registered at
the end of ``cli.py``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from .api import Assistant
    from .types import Answer


def backend_notice(answer: Answer) -> str:
    """One line on stderr saying who composed the answer, and why when it is the fallback."""
    if answer.backend.startswith("extractive (fallback"):
        reason = answer.backend.removeprefix("extractive (fallback: ").removesuffix(")")
        return (f"note: the language model's answer could not be verified ({reason}); this is the deterministic "
                "answer instead (the failure is in the run log)")
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
    if answer.backend != "extractive" and not answer.backend.startswith("extractive (fallback"):
        click.echo(backend_notice(answer), err=True)
    return answer


@click.command("intake")
@click.argument("narrative_file", type=click.Path(path_type=Path))
@click.option("-o", "--output", "output", type=click.Path(path_type=Path), required=True, metavar="CASE_FILE",
              help="Write the DRAFT case file (YAML) here.")
@click.option("--case-id", "case_id", help="The case id to put in the draft (else the narrative's, if any).")
@click.option("--assessed-on", "assessed_on", metavar="DATE", help="The assessment date (YYYY-MM-DD) to put in the draft.")
@click.option("--force", is_flag=True, help="Overwrite CASE_FILE if it exists.")
@click.pass_context
def intake_command(ctx: click.Context, narrative_file: Path, output: Path, case_id: str | None, assessed_on: str | None,
                   force: bool) -> None:
    """Draft a case file from a free-text NARRATIVE_FILE through the configured language model.

    The draft must be reviewed and confirmed by a person: it is written with the line
    `draft_unconfirmed: true`, which `guidance memo` refuses until you delete it. Nothing is analyzed.

    Example: guidance intake narrative.txt -o case.yaml --case-id HX-101 --assessed-on 2022-03-01
    """
    from .cli import _parse_date, _settings
    from .errors import InputError
    from .intake import draft_case, intake_problems, render_draft, ungrounded

    if output.exists() and not force:
        raise InputError(f"{output} exists; choose another file or add --force to overwrite it")
    if not output.parent.is_dir():
        raise InputError(f"cannot write {output}: the folder {output.parent} does not exist")
    try:
        text = narrative_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{narrative_file} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{narrative_file} cannot be read as UTF-8 text: {exc}") from None
    date = _parse_date(assessed_on)
    data = draft_case(text, _settings(ctx), case_id=case_id, assessed_on=date if isinstance(date, dt.date) else None)
    problems = intake_problems(data)
    unchecked = ungrounded(data, text)
    output.write_text(render_draft(data, narrative_file.name, problems, unchecked), encoding="utf-8")
    click.echo(f"Wrote a DRAFT case file to {output}. Review and correct every field, then delete the line "
               "`draft_unconfirmed: true`; until then `guidance memo` refuses it.")
    for p in problems:
        click.echo(f"problem: {p}")
    for u in unchecked:
        click.echo(f"check: not found in the narrative: {u}")
