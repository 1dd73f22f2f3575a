"""A Chroma server that dies mid-session: library callers get the store's error, the command line
exit 2 and one line (no crash.log), and the next question after a restart is answered.

A real ``chroma run`` server on a free loopback port, killed with SIGKILL between two questions.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.answer.pipeline import ask
from assistant.cli import cli
from assistant.errors import GuidanceError
from assistant.index.ingest import ingest
from assistant.index.load import load_index

from .conftest import make_settings

pytestmark = pytest.mark.slow  # a Chroma server, started and killed

CHROMA = Path(sys.executable).with_name("chroma")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``chroma run`` on a fixed folder and port, which can be killed and started again."""

    def __init__(self, folder: Path):
        self.folder, self.port, self.proc = folder, _free_port(), None

    def start(self) -> None:
        log = open(self.folder / "server.log", "ab")  # noqa: SIM115 - the server process holds it
        self.proc = subprocess.Popen(
            [str(CHROMA), "run", "--path", str(self.folder / "db"), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})
        log.close()
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v2/heartbeat", timeout=1).close()
                return
            except OSError:
                assert self.proc.poll() is None and time.monotonic() < deadline, "the Chroma server did not start"
                time.sleep(0.2)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()


@pytest.fixture
def server(tmp_path):
    if not CHROMA.exists():
        pytest.skip("the chroma command (installed with chromadb) is not in this environment")
    srv = Server(tmp_path)
    srv.start()
    try:
        yield srv
    finally:
        srv.kill()


def test_a_server_killed_mid_session_is_the_store_error_and_a_restart_recovers(server, embedder, tmp_path):
    settings = make_settings(tmp_path / "data", store__chroma_host="127.0.0.1", store__chroma_port=server.port)
    ingest(settings, embedder=embedder)
    index = load_index(settings, embedder=embedder)
    question = "Does the person's age matter?"
    assert "mit.age" in {c.anchor for c in ask(index, settings, question).citations}

    server.kill()
    with pytest.raises(GuidanceError) as failed:  # it used to be httpx.ConnectError
        ask(index, settings, question)
    message = str(failed.value)
    assert f"127.0.0.1:{server.port}" in message and "chroma run" in message and "try again" in message
    assert type(failed.value).__name__ == "StoreUnavailableError" and failed.value.exit_code == 2

    server.start()  # the same folder and port: the next question is answered by the same loaded index
    assert "mit.age" in {c.anchor for c in ask(index, settings, question).citations}

    # the command line, with the server gone: exit 2, one line, no crash.log
    server.kill()
    env = {"GUIDANCE_PATHS__DATA_DIR": str(settings.paths.data_dir), "GUIDANCE_STORE__CHROMA_HOST": "127.0.0.1",
           "GUIDANCE_STORE__CHROMA_PORT": str(server.port)}
    result = CliRunner(env=env).invoke(cli, ["ask", question], prog_name="guidance")
    assert result.exit_code == 2, (result.output, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: the Chroma server at 127.0.0.1:"), result.stderr
    assert not (settings.paths.data_dir / "crash.log").exists()


class DroppingProxy:
    """A loopback TCP proxy to the server that can drop connections: a network blip, on the real wire protocol."""

    def __init__(self, port: int):
        self.target, self.drop, self.live = port, 0, []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def blip(self, drops: int) -> None:
        """Cut every open connection, and close the next ``drops`` new ones before they are answered."""
        self.drop = drops
        for sock in self.live:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self.live.clear()

    def _accept(self) -> None:
        while True:
            client, _ = self.listener.accept()
            if self.drop > 0:
                self.drop -= 1
                client.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target))
            self.live += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)


def test_one_dropped_connection_is_retried_and_two_are_the_store_error(server, embedder, tmp_path):
    proxy = DroppingProxy(server.port)
    settings = make_settings(tmp_path / "data", store__chroma_host="127.0.0.1", store__chroma_port=proxy.port)
    ingest(settings, embedder=embedder)
    index = load_index(settings, embedder=embedder)
    question = "Does the person's age matter?"
    assert "mit.age" in {c.anchor for c in ask(index, settings, question).citations}

    proxy.blip(drops=1)  # the first try fails, the retry gets through
    assert "mit.age" in {c.anchor for c in ask(index, settings, question).citations}

    proxy.blip(drops=2)  # the retry fails too: the store's error, not the HTTP library's
    with pytest.raises(GuidanceError, match=r"the Chroma server at 127\.0\.0\.1:\d+ failed"):
        ask(index, settings, question)
    assert "mit.age" in {c.anchor for c in ask(index, settings, question).citations}  # and the next one works
