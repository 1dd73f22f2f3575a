"""``guidance remove``: take a document a user ingested out of the index (a new build, as ingest makes)."""

from __future__ import annotations

import click

from .common import echo_json, load_settings


@click.command("remove")
@click.argument("doc_id")
@click.option("--json", "as_json", is_flag=True, help="Print the report of the new build as JSON.")
@click.pass_context
def remove(ctx: click.Context, doc_id: str, as_json: bool) -> None:
    """Remove the document DOC_ID that a user ingested; the bundled corpus cannot be removed.

    Answers no longer cite it. `guidance status` lists the documents and their ids.

    Example: guidance remove field-note
    """
    from assistant.api import Assistant

    report = Assistant(load_settings(ctx)).remove(doc_id)
    if as_json:
        echo_json(report.model_dump())
        return
    click.echo(
        f"Removed {doc_id}: {report.passages} passages from {len(report.documents)} documents remain "
        f"(nothing embedded again) in {report.seconds:.1f} s.\nIndex: {report.index_dir} (build {report.build_id})"
    )
