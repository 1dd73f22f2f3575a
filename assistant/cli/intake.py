"""``guidance intake``: draft a case file from a free-text narrative through the configured chat model.

The draft is written with ``draft_unconfirmed: true``, which ``guidance memo`` refuses until a
person has reviewed it and deleted that line.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click


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
    from assistant.cases.intake import draft_case, intake_problems, render_draft, ungrounded
    from assistant.errors import InputError

    from .common import load_settings, parse_date

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
    date = parse_date(assessed_on)
    data = draft_case(text, load_settings(ctx), case_id=case_id, assessed_on=date if isinstance(date, dt.date) else None)
    problems = intake_problems(data)
    unchecked = ungrounded(data, text)
    output.write_text(render_draft(data, narrative_file.name, problems, unchecked), encoding="utf-8")
    click.echo(f"Wrote a DRAFT case file to {output}. Review and correct every field, then delete the line "
               "`draft_unconfirmed: true`; until then `guidance memo` refuses it.")
    for p in problems:
        click.echo(f"problem: {p}")
    for u in unchecked:
        click.echo(f"check: not found in the narrative: {u}")
