"""``guidance status``: the index, its build, model, chunker and documents."""

from __future__ import annotations

import click

from .common import echo_json, load_settings


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Show the index: documents, passages, location, embedding model, last ingest."""
    from assistant.api import Assistant

    report = Assistant(load_settings(ctx)).status()
    if as_json:
        echo_json(report.model_dump())
        return
    click.echo(f"Index location:   {report.index_dir}")
    if report.chroma_server:
        click.echo(f"Chroma server:    {report.chroma_server}")
    if not report.exists:
        click.echo(f"Index:            none yet ({report.problem or 'run `guidance ingest`'})")
        return
    click.echo(f"Last ingest:      {report.created} (build {report.build_id}, {report.store} store)")
    click.echo(f"Embedding model:  {report.embedding_model}")
    click.echo(f"Chunker version:  {report.chunker_version}")
    click.echo(f"Passages:         {report.passages}")
    click.echo("Documents:")
    for d in report.documents:
        origin = "bundled" if d["bundled"] else "ingested"
        click.echo(f"  {d['doc_id']:<32} {d['passages']:>4} passages  {origin:<8}  {d['title']}")
