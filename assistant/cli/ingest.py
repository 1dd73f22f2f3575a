"""``guidance ingest``: index the bundled corpus and the documents a user adds."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .common import echo_json, load_settings


@click.command("ingest")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--rebuild", is_flag=True, help="Re-split and re-embed everything (after a model or chunker change).")
@click.option("--json", "as_json", is_flag=True, help="Print the ingest report as JSON.")
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[Path, ...], rebuild: bool, as_json: bool) -> None:
    """Index the bundled corpus, plus any PATHS (.md .txt .pdf .docx .html files or folders).

    Example: guidance ingest ~/Downloads/guidelines-civilimmigrationlaw.pdf
    """
    from assistant.api import Assistant

    report = Assistant(load_settings(ctx)).ingest(list(paths), rebuild=rebuild, progress=sys.stderr.isatty())
    if as_json:
        echo_json(report.model_dump())
        return
    if not report.changed:
        click.echo(f"Index is up to date: {report.passages} passages from {len(report.documents)} documents ({report.index_dir}).")
        return
    click.echo(
        f"Indexed {report.passages} passages from {len(report.documents)} documents in {report.seconds:.1f} s "
        f"({report.embedded} embedded, {report.reused} unchanged and reused).\nIndex: {report.index_dir} (build {report.build_id})"
    )
