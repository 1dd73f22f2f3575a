"""The ``guidance`` command: parse, call one library function, render.

One module per command (``ask``, ``chat``, ``ingest``, ``remove``, ``memo``, ``check``, ``status``, ``config``,
``eval``, ``log``, ``ui``, ``intake``) and one helper module (``common``: the error edge, the
settings, dates, JSON). Nothing heavy is imported at module level, so ``--help`` answers at once.
"""

from __future__ import annotations

import click

from .ask import ask
from .chat import chat
from .check import check_command
from .common import GuidanceGroup
from .config import config_group
from .eval import eval_group
from .ingest import ingest
from .intake import intake_command
from .log import log_group
from .memo import memo
from .remove import remove
from .status import status
from .ui import ui_command


@click.group(cls=GuidanceGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="guidance-assistant")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Cited answers about the 2021 DHS civil immigration enforcement guidelines.

    The bundled corpus is an unofficial restatement; nothing here is legal advice.
    """
    ctx.obj = None


for command in (ingest, remove, ask, chat, status, memo, check_command, config_group, eval_group, ui_command, log_group,
                intake_command):
    cli.add_command(command)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="guidance")
