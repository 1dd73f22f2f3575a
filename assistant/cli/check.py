"""``guidance check``: check the JSON of an answer or an analysis; exit 1 on any error finding."""

from __future__ import annotations

from pathlib import Path

import click

from .common import echo_json, load_settings


@click.command("check")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--case", "case_file", type=click.Path(path_type=Path), metavar="CASE_FILE", help="Also check the analysis against the facts of CASE_FILE.")
@click.option("--json", "as_json", is_flag=True, help="Print the check report as JSON.")
@click.pass_context
def check_command(ctx: click.Context, file: Path, case_file: Path | None, as_json: bool) -> None:
    """Check the JSON of an answer or a factor analysis (edited or not); exit 1 on any error.

    Example: guidance check analysis.json --case case.yaml
    """
    from assistant.api import Assistant

    report = Assistant(load_settings(ctx)).check_file(file, case_file)
    if as_json:
        echo_json(report.model_dump(mode="json"))
    else:
        for f in report.findings:
            message = f.message.removeprefix(f"{f.path}: ") if f.path else f.message
            where = f" {f.path}" if f.path else ""
            rule = f" (rule: {f.anchor})" if f.anchor else ""
            click.echo(f"{f.severity.upper()} {f.code}{where}: {message}{rule}")
        errors = sum(f.severity == "error" for f in report.findings)
        warnings = len(report.findings) - errors
        verdict = "passed" if report.passed else "failed"
        click.echo(f"{verdict}: {errors} error(s), {warnings} other finding(s)")
    ctx.exit(0 if report.passed else 1)
