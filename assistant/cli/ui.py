"""``guidance ui``: start the Streamlit app (``assistant/ui/app.py``, package data) on the loopback interface.

The index is built from the bundled corpus first if there is none, so the first page a person
sees can answer at once. Streamlit then runs in this process, headless, with usage statistics off
and no file watcher; the settings travel to the app in the environment (``GUIDANCE_*``). What delays
the first page is kept out of its way: Streamlit's scan for packaged components is skipped, and the
library parts the page runs are imported while the browser loads Streamlit's scripts.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import socket
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from assistant.errors import ConfigError, GuidanceError, InputError

from .common import load_settings

if TYPE_CHECKING:
    from assistant.api import Assistant

HOST = "127.0.0.1"
DEFAULT_PORT = 8501


def app_path() -> Path:
    """The app's entry script inside the installed package."""
    from importlib.resources import files

    return Path(str(files("assistant").joinpath("ui", "app.py")))


APP = app_path()
STREAMLIT_FLAGS = {
    "server.address": HOST,
    "server.headless": "true",
    "browser.gatherUsageStats": "false",
    "server.fileWatcherType": "none",
    "server.runOnSave": "false",
    "client.toolbarMode": "minimal",
    "runner.magicEnabled": "false",  # no page writes a bare expression (a test checks): nothing to rewrite
}


def streamlit_argv(port: int, app: Path = APP) -> list[str]:
    """The ``streamlit run`` arguments that start the app on ``HOST:port``."""
    argv = ["run", str(app), "--server.port", str(port)]
    for name, value in STREAMLIT_FLAGS.items():
        argv += [f"--{name}", value]
    return argv


def skip_component_discovery() -> None:
    """Spare Streamlit's start its search of every installed distribution for packaged custom components.

    Before its server listens, Streamlit reads the metadata of every installed distribution (about 160 in
    this project's environment) looking for packaged components: 0.15-0.25 s of each start on a 2-core
    machine. The app uses none: its one component (the memo page's store) is declared inline and registers
    itself when its page runs, which this does not change.
    """
    from streamlit.components.v2.component_manager import BidiComponentManager

    def discover_nothing(self: BidiComponentManager, *, start_file_watching: bool = True) -> None:
        return None

    BidiComponentManager.discover_and_register_components = discover_nothing


def prepare_first_page(front: Assistant) -> None:
    """Import the parts of the library the app's first page (Ask) runs, and read the manifest it shows the status from.

    Called once Streamlit serves: the browser then spends about half a second loading and parsing
    Streamlit's scripts before it asks for the page, and the server has nothing to do; the page's first
    run spent 0.2-0.5 s on this (0.1 s left after it). The model and the index are not loaded here:
    that would hold the interpreter while the page is drawn (the app warms them up after).
    """
    import assistant.answer.conversation  # noqa: F401
    import assistant.answer.present  # noqa: F401
    import assistant.audit.feedback  # noqa: F401
    import assistant.cases.memo.markdown  # noqa: F401  (the app's escaper of shown text)
    import assistant.check.rules  # noqa: F401
    from assistant.api import current_build_id

    try:
        current_build_id(front.settings)
        front.framework_status(dt.date.today())
    except GuidanceError:
        pass  # the page says what is wrong


def _once_serving(work: threading.Thread, timeout_s: float = 120) -> None:
    """Start ``work`` once Streamlit's runtime is up (the server listens at the same moment)."""
    from streamlit import runtime

    deadline = time.monotonic() + timeout_s
    while not (runtime.exists() and runtime.get_instance().state is not runtime.RuntimeState.INITIAL):
        if time.monotonic() > deadline:
            return
        time.sleep(0.01)
    work.start()


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does: TIME_WAIT is no conflict
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


@click.command("ui")
@click.option("--port", type=click.IntRange(1, 65535), default=DEFAULT_PORT, show_default=True,
              help="Port of the app on 127.0.0.1.")
@click.pass_context
def ui_command(ctx: click.Context, port: int) -> None:
    """Start the app in your browser: ask questions, draft case memos, run evaluations.

    The app listens on http://127.0.0.1:PORT only (this machine). Stop it with Ctrl+C.

    Example: guidance ui --port 8502
    """
    from assistant.api import Assistant

    assistant = Assistant(load_settings(ctx))
    if not APP.is_file():
        raise ConfigError(f"the app is missing ({APP}); reinstall the package (pip install guidance-assistant)")
    if not _port_free(port):
        raise InputError(f"port {port} on {HOST} is in use (another app?); choose another with `guidance ui --port N`")
    if not assistant.status().exists:
        click.echo("No index yet: building it from the bundled corpus first (one time).", err=True)
        report = assistant.ingest(progress=sys.stderr.isatty())
        click.echo(f"Indexed {report.passages} passages in {report.seconds:.1f} s.", err=True)

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    os.environ["STREAMLIT_SERVER_HEADLESS"] = "true"
    click.echo(f"The app is starting at http://{HOST}:{port}  (Ctrl+C to stop)", err=True)
    from streamlit.web import cli as streamlit_cli

    skip_component_discovery()
    first_page = threading.Thread(target=prepare_first_page, args=(assistant,), name="guidance-first-page", daemon=True)
    threading.Thread(target=_once_serving, args=(first_page,), name="guidance-wait-serving", daemon=True).start()
    gc.freeze()  # what is loaded by now lives as long as the server: Streamlit's collection after each run skips it
    streamlit_cli.main.main(args=streamlit_argv(port), prog_name="streamlit", standalone_mode=True)
