"""``guidance memo``: analyze a case file and print or write its memo (Markdown, Word, PDF) or the JSON."""

from __future__ import annotations

from pathlib import Path

import click

from assistant.corpus.status import headline

from .common import echo_json, load_settings, parse_date


@click.command("memo")
@click.argument("case_file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the factor analysis as JSON (docs/CONTRACTS.md section 4).")
@click.option("-o", "--output", "output", type=click.Path(path_type=Path), metavar="FILE", help="Write the memo to FILE: .md, .docx or .pdf.")
@click.option("--as-of", "as_of", metavar="DATE", help="Assess the case on DATE (YYYY-MM-DD) instead of its assessed_on.")
@click.option("--narrative", is_flag=True, help="Add a narrative drafted by the configured language model, every sentence verified.")
@click.pass_context
def memo(ctx: click.Context, case_file: Path, as_json: bool, output: Path | None, as_of: str | None, narrative: bool) -> None:
    """Analyze CASE_FILE (YAML or JSON) and draft a cited memo; the decision stays the officer's.

    Without --json or -o, prints the memo as Markdown.

    Example: guidance memo case.yaml -o memo.docx
    """
    from assistant.api import Assistant

    assistant = Assistant(load_settings(ctx))
    date = parse_date(as_of)
    if narrative and as_json and output is None:
        raise click.UsageError("--narrative belongs to the memo; use it with -o FILE or without --json")
    if output is not None:
        _, analysis, written = assistant.write_memo(case_file, output, as_of=date, narrative=narrative)
        click.echo(f"Wrote the memo of case {analysis.case_id} to {written}", err=as_json)
    elif not as_json:
        analysis, text = assistant.memo_markdown(case_file, as_of=date, narrative=narrative)
        click.echo(text, nl=False)
    else:
        _, analysis = assistant.analyze_file(case_file, as_of=date)
    if as_json:
        echo_json(analysis.model_dump(mode="json"))
    fw = analysis.framework
    if fw.status_on_assessed_date != "in_effect" or fw.confidence == "UNCONFIRMED":
        words, rest = headline(fw.label, fw.status_on_assessed_date)
        click.echo(f"warning: on {analysis.assessed_on.isoformat()} the 2021 guidelines were {words}{rest}", err=True)
    if not analysis.check.passed:
        click.echo("warning: the checker reported errors in this analysis; see its check report", err=True)
