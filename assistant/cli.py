"""The ``guidance`` command: parse, call one library function, render.

Errors the user can act on (``GuidanceError``) become one line on stderr and their exit code
(2 for unusable input); anything else is a bug, reported in one line with the path of a file that
holds the details, and exit code 3. Nothing heavy is imported at module level, so ``--help``
answers at once.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import traceback
from pathlib import Path

import click

from .config import BACKENDS, Settings
from .errors import GuidanceError

EXIT_INTERNAL = 3
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what shells report for a writer whose reader closed


class GuidanceGroup(click.Group):
    """A click group that turns library errors into messages and exit codes."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except GuidanceError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted; nothing was changed by the interrupted step", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            # The reader went away (`guidance ask ... | head`): stop quietly, as Unix tools do.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(EXIT_BROKEN_PIPE)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except Exception:  # noqa: BLE001 - the one place that catches everything: no traceback for users
            try:
                path = _data_dir_for_crash(ctx) / "crash.log"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(traceback.format_exc(), encoding="utf-8")
                where = f"details are in {path}"
            except OSError:
                where = "details could not be saved"
            click.echo(f"internal error: {sys.exc_info()[1]!r}; {where}. Please report it.", err=True)
            ctx.exit(EXIT_INTERNAL)


def _data_dir_for_crash(ctx: click.Context) -> Path:
    """The data folder (where crash details go), even if the settings cannot be read."""
    if isinstance(ctx.obj, Settings):
        return Path(ctx.obj.paths.data_dir)
    try:
        return Path(Settings.load().paths.data_dir)
    except GuidanceError:
        return Path.cwd()


def _settings(ctx: click.Context) -> Settings:
    if ctx.obj is None:
        ctx.obj = Settings.load()
    return ctx.obj


def _echo_json(data: object) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


@click.group(cls=GuidanceGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="guidance-assistant")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Cited answers about the 2021 DHS civil immigration enforcement guidelines.

    The bundled corpus is an unofficial restatement; nothing here is legal advice.
    """
    ctx.obj = None


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--rebuild", is_flag=True, help="Re-split and re-embed everything (after a model or chunker change).")
@click.option("--json", "as_json", is_flag=True, help="Print the ingest report as JSON.")
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[Path, ...], rebuild: bool, as_json: bool) -> None:
    """Index the bundled corpus, plus any PATHS (.md .txt .pdf .docx .html files or folders).

    Example: guidance ingest ~/Downloads/guidelines-civilimmigrationlaw.pdf
    """
    from .ingest import ingest as run_ingest

    report = run_ingest(_settings(ctx), list(paths), rebuild=rebuild, progress=sys.stderr.isatty())
    if as_json:
        _echo_json(report.model_dump())
        return
    if not report.changed:
        click.echo(f"Index is up to date: {report.passages} passages from {len(report.documents)} documents ({report.index_dir}).")
        return
    click.echo(
        f"Indexed {report.passages} passages from {len(report.documents)} documents in {report.seconds:.1f} s "
        f"({report.embedded} embedded, {report.reused} unchanged and reused).\nIndex: {report.index_dir} (build {report.build_id})"
    )


def _parse_date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date; use YYYY-MM-DD, e.g. 2022-03-01") from None


@cli.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON (CONTRACTS section 2).")
@click.option("--as-of", "as_of", metavar="DATE", help="Report the guidelines' status on this date (YYYY-MM-DD); default today.")
@click.option("-k", "k", type=click.IntRange(1, 50), help="How many passages to retrieve (default 5).")
@click.option("--doc", "doc_ids", multiple=True, help="Only search this document id (repeatable).")
@click.option("--anchor", "anchors", multiple=True, help="Only search passages with this anchor; 'mit.*' is a prefix (repeatable).")
@click.option("--backend", type=click.Choice(BACKENDS), help="Who composes: extractive (default), openai or ollama (see GUIDANCE_LLM__*).")
@click.option("--stream", is_flag=True, help="Print each line as soon as its claim is verified.")
@click.pass_context
def ask(ctx: click.Context, question: str, as_json: bool, as_of: str | None, k: int | None, doc_ids: tuple[str, ...], anchors: tuple[str, ...],
        backend: str | None, stream: bool) -> None:
    """Answer QUESTION from the guidelines, every sentence cited, or say they do not address it.

    Example: guidance ask "Does the person's age matter?" --as-of 2022-03-01
    """
    from .answer import validate_question
    from .api import Assistant
    from .retrieve import Filters

    settings = _settings(ctx)
    validate_question(question, settings)  # fail fast, before loading the model
    filters = Filters(doc_ids=list(doc_ids) or None, anchors=list(anchors) or None) if (doc_ids or anchors) else None
    if stream and as_json:
        raise click.UsageError("--stream prints text as it is verified; it cannot be combined with --json")
    if stream:
        from .cli_llm import echo_stream

        answer = echo_stream(Assistant(settings), question, as_of=_parse_date(as_of), k=k, filters=filters, backend=backend)
    else:
        answer = Assistant(settings).ask(question, as_of=_parse_date(as_of), k=k, filters=filters, backend=backend)
    if as_json:
        _echo_json(answer.model_dump(mode="json"))
        return
    if not stream:
        click.echo(answer.answer)
        if answer.backend != "extractive":
            from .cli_llm import backend_notice

            click.echo(backend_notice(answer), err=True)
    if answer.citations:
        click.echo("\nSources:")
        for i, c in enumerate(answer.citations, 1):
            click.echo(f"  [{i}] {c.label}  ({c.doc_id} {c.start}-{c.end})")
    if answer.status:
        s = answer.status
        click.echo(f"\nStatus of the 2021 guidelines on {s.as_of.isoformat()}: {s.state.replace('_', ' ').upper()}. {s.note}")
    if not answer.check.passed:
        click.echo("\nwarning: the checker reported problems: " + "; ".join(f.message for f in answer.check.findings), err=True)
    click.echo("\nUnofficial restatement; not legal advice.", err=True)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Show the index: documents, passages, location, embedding model, last ingest."""
    from .api import index_status

    report = index_status(_settings(ctx))
    if as_json:
        _echo_json(report.model_dump())
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


@cli.command()
@click.argument("case_file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the factor analysis as JSON (CONTRACTS section 4).")
@click.option("-o", "--output", "output", type=click.Path(path_type=Path), metavar="FILE", help="Write the memo to FILE: .md, .docx or .pdf.")
@click.option("--as-of", "as_of", metavar="DATE", help="Assess the case on DATE (YYYY-MM-DD) instead of its assessed_on.")
@click.option("--narrative", is_flag=True, help="Add a narrative drafted by the configured language model, every sentence verified.")
@click.pass_context
def memo(ctx: click.Context, case_file: Path, as_json: bool, output: Path | None, as_of: str | None, narrative: bool) -> None:
    """Analyze CASE_FILE (YAML or JSON) and draft a cited memo; the decision stays the officer's.

    Without --json or -o, prints the memo as Markdown.

    Example: guidance memo case.yaml -o memo.docx
    """
    from . import api

    settings = _settings(ctx)
    date = _parse_date(as_of)
    if narrative and as_json and output is None:
        raise click.UsageError("--narrative belongs to the memo; use it with -o FILE or without --json")
    if output is not None:
        _, analysis, written = api.write_case_memo(settings, case_file, output, as_of=date, narrative=narrative)
        click.echo(f"Wrote the memo of case {analysis.case_id} to {written}", err=as_json)
    elif not as_json:
        analysis, text = api.memo_markdown(settings, case_file, as_of=date, narrative=narrative)
        click.echo(text, nl=False)
    else:
        _, analysis = api.analyze_case_file(settings, case_file, as_of=date)
    if as_json:
        _echo_json(analysis.model_dump(mode="json"))
    state = analysis.framework.status_on_assessed_date
    if state != "in_effect":
        click.echo(f"warning: on {analysis.assessed_on.isoformat()} the 2021 guidelines were {state.replace('_', ' ').upper()}", err=True)
    if not analysis.check.passed:
        click.echo("warning: the checker reported errors in this analysis; see its check report", err=True)


@cli.command("check")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--case", "case_file", type=click.Path(path_type=Path), metavar="CASE_FILE", help="Also check the analysis against the facts of CASE_FILE.")
@click.option("--json", "as_json", is_flag=True, help="Print the check report as JSON.")
@click.pass_context
def check_command(ctx: click.Context, file: Path, case_file: Path | None, as_json: bool) -> None:
    """Check the JSON of an answer or a factor analysis (edited or not); exit 1 on any error.

    Example: guidance check analysis.json --case case.yaml
    """
    from .api import check_file

    report = check_file(_settings(ctx), file, case_file)
    if as_json:
        _echo_json(report.model_dump(mode="json"))
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


@cli.group()
def config() -> None:
    """Inspect settings (set them with GUIDANCE_* environment variables)."""


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print the settings as JSON.")
@click.pass_context
def config_show(ctx: click.Context, as_json: bool) -> None:
    """Print the effective settings, with the environment variable for each."""
    settings = _settings(ctx)
    data = settings.model_dump(mode="json")
    if as_json:
        _echo_json(data)
        return
    for section, fields in data.items():
        model = getattr(settings, section)
        for name, value in fields.items():
            info = type(model).model_fields[name]
            env = f"GUIDANCE_{section.upper()}__{name.upper()}"
            click.echo(f"{section}.{name} = {value!r}\n    {env}: {info.description}")
    click.echo(f"(index folder: {settings.paths.index_dir}; settings hash {settings.settings_hash()})")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="guidance")


from .cli_eval import eval_group  # noqa: E402 - registered last, after the core commands
cli.add_command(eval_group, name="eval")
from .cli_ui import ui_command  # noqa: E402 - the app (`guidance ui`), registered after the core commands
cli.add_command(ui_command, name="ui")

from .cli_log import log_group; cli.add_command(log_group, name="log")  # noqa: E402, E702 - `guidance log`, the audit log

from .cli_llm import intake_command; cli.add_command(intake_command, name="intake")  # noqa: E402, E702 - `guidance intake`


if __name__ == "__main__":
    main()
