"""What every command shares: the error edge (messages and exit codes), the settings, dates and JSON output.

Errors the user can act on (``GuidanceError``) become one line on stderr and their exit code
(2 for unusable input); anything else is a bug, reported in one line with the path of a file that
holds the details, and exit code 3.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import traceback
from pathlib import Path

import click

from assistant import datafolder
from assistant.config import Settings
from assistant.errors import GuidanceError

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
                path = datafolder.private_dir(data_dir_for_crash(ctx)) / "crash.log"
                with datafolder.open_private(path) as handle:  # a traceback can hold a question or a case fact
                    handle.write(traceback.format_exc())
                where = f"details are in {path}"
            except OSError:
                where = "details could not be saved"
            click.echo(f"internal error: {sys.exc_info()[1]!r}; {where}. Please report it.", err=True)
            ctx.exit(EXIT_INTERNAL)


def data_dir_for_crash(ctx: click.Context) -> Path:
    """The data folder (where crash details go), even if the settings cannot be read."""
    if isinstance(ctx.obj, Settings):
        return Path(ctx.obj.paths.data_dir)
    try:
        return Path(Settings.load().paths.data_dir)
    except GuidanceError:
        return Path.cwd()


def load_settings(ctx: click.Context) -> Settings:
    """The settings of this invocation, read from the environment once (kept on the root context)."""
    root = ctx.find_root()
    if root.obj is None:
        root.obj = Settings.load()
    return root.obj


def echo_json(data: object) -> None:
    """Print ``data`` as indented JSON."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def parse_date(value: str | None) -> dt.date | None:
    """A YYYY-MM-DD option value as a date (None stays None); anything else is a usage error."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date; use YYYY-MM-DD, e.g. 2022-03-01") from None
