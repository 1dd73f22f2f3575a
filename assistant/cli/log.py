"""The ``guidance log`` commands: list, show, export and prune the audit log.

Thin edge: each command parses its options, calls one function of ``audit`` and renders. A bad
filter or a missing record is an ``InputError`` (exit 2), turned into a message by the top-level
``guidance`` group.
"""

from __future__ import annotations

import json

import click

from .common import load_settings


def _since(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    from assistant.audit import parse_since
    from assistant.errors import InputError

    if value is None:
        return None
    try:
        return parse_since(value)
    except InputError as exc:
        raise click.BadParameter(str(exc)) from None


_KIND_HELP = "Only records of this kind: ask, memo, check, evaluation, feedback, llm_failure (repeatable)."
_SINCE_HELP = "Only records from this time on: a date (2026-11-01), a UTC date-time, or an age (30m, 12h, 7d, 2w)."


@click.group("log")
def log_group() -> None:
    """Read the audit log: every ask, memo, check and evaluation, with who, when and what was answered."""


@log_group.command("list")
@click.option("--kind", "kinds", multiple=True, metavar="KIND", help=_KIND_HELP)
@click.option("--since", callback=_since, metavar="WHEN", help=_SINCE_HELP)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1), help="Most records to list.")
@click.option("--json", "as_json", is_flag=True, help="Print the records (without their payloads) as JSON.")
@click.pass_context
def list_command(ctx: click.Context, kinds: tuple[str, ...], since: float | None, limit: int, as_json: bool) -> None:
    """List records, newest first.

    Example: guidance log list --kind memo --since 7d
    """
    from assistant.audit import list_records

    records = list_records(load_settings(ctx), list(kinds), since, limit)
    if as_json:
        click.echo(json.dumps([r.model_dump(mode="json", exclude={"payload", "check"}) for r in records], indent=2, ensure_ascii=False))
        return
    if not records:
        click.echo("No records.")
        return
    click.echo(f"{'id':>6}  {'at (UTC)':<25}  {'kind':<10}  {'user':<12}  {'check':<6}  subject")
    for r in records:
        verdict = "-" if r.passed is None else "passed" if r.passed else "FAILED"
        subject = r.subject if len(r.subject) <= 60 else r.subject[:57] + "..."
        click.echo(f"{r.id:>6}  {r.at:<25}  {r.kind:<10}  {(r.user or '-')[:12]:<12}  {verdict:<6}  {subject}")


@log_group.command("show")
@click.argument("record_id", metavar="ID", type=int)
@click.pass_context
def show_command(ctx: click.Context, record_id: int) -> None:
    """Print one record in full as JSON (its answer or analysis, and its check report).

    Example: guidance log show 42
    """
    from assistant.audit import get_record

    click.echo(json.dumps(get_record(load_settings(ctx), record_id).model_dump(mode="json"), indent=2, ensure_ascii=False))


@log_group.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True,
              help="JSON lines (one full record a line) or CSV (payload and check as JSON text).")
@click.option("-o", "--output", "output", required=True, metavar="FILE", help="Where to write; '-' for standard output.")
@click.option("--kind", "kinds", multiple=True, metavar="KIND", help=_KIND_HELP)
@click.option("--since", callback=_since, metavar="WHEN", help=_SINCE_HELP)
@click.pass_context
def export_command(ctx: click.Context, fmt: str, output: str, kinds: tuple[str, ...], since: float | None) -> None:
    """Export records, oldest first, for an auditor or another tool.

    Example: guidance log export --format csv -o audit.csv
    """
    from assistant.audit import export

    count = export(load_settings(ctx), output, fmt, list(kinds), since)
    if output != "-":
        click.echo(f"Wrote {count} record(s) to {output}", err=True)


@log_group.command("prune")
@click.option("--older-than", "days", type=click.IntRange(1), metavar="DAYS",
              help="Delete records older than DAYS (default: GUIDANCE_AUDIT__RETENTION_DAYS).")
@click.pass_context
def prune_command(ctx: click.Context, days: int | None) -> None:
    """Delete records past the retention period (records are also deleted as new ones are written).

    Example: guidance log prune --older-than 90
    """
    from assistant.audit import prune

    settings = load_settings(ctx)
    if days is None and settings.audit.retention_days == 0:
        click.echo("Retention is 0 (keep forever): nothing deleted. Use --older-than DAYS to delete old records.")
        return
    deleted = prune(settings, days)
    click.echo(f"Deleted {deleted} record(s) older than {days or settings.audit.retention_days} days.")
