"""Concurrency and crash safety: threads sharing one Assistant, processes sharing a Chroma server
while an ingest publishes a new build, a second ingest refused by the lock, and an ingest killed
mid-write on the server.

The server is a real ``chroma run`` on a free loopback port in a temporary folder, started by the
module fixture and stopped at the end. Worker processes load the model first and then wait for a
"go" file, so the work itself overlaps instead of the model loading.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from assistant import audit
from assistant.api import Assistant
from assistant.audit import runlog
from assistant.cli import cli
from assistant.index import store

from . import docgen
from .conftest import DEV_SET, REPO, make_settings

pytestmark = pytest.mark.slow  # several processes and a Chroma server

AS_OF = dt.date(2022, 3, 1)


def _questions(n: int) -> list[str]:
    """Every kind of question of the dev set: in scope, paraphrases, lists, refusals."""
    items = yaml.safe_load(DEV_SET.read_text(encoding="utf-8"))["items"]
    return [i["question"] for i in items[:: max(1, len(items) // n)]][:n]


def _same(answer) -> dict:
    """An answer without its timings (the only part that may differ between identical runs)."""
    return answer.model_dump(mode="json", exclude={"timings_ms"})


# --- threads --------------------------------------------------------------------------------------


def test_eight_threads_through_one_assistant_answer_as_one_thread_does(corpus_settings, tmp_path):
    shutil.copytree(corpus_settings.paths.data_dir, tmp_path / "data", ignore=shutil.ignore_patterns("runs.sqlite*"))
    settings = make_settings(tmp_path / "data")
    questions = _questions(16)
    single = Assistant(settings)
    expected = {q: _same(single.ask(q, as_of=AS_OF)) for q in questions}
    assert any(a["refused"] for a in expected.values()) and any(not a["refused"] for a in expected.values())

    shared = Assistant(settings)  # not loaded yet: the eight threads race to load it
    start = threading.Barrier(8)
    loaded: set[int] = set()

    def worker(n: int) -> list[tuple[str, dict]]:
        start.wait()
        order = questions[n:] + questions[:n]
        out = []
        for q in order * 2:
            out.append((q, _same(shared.ask(q, as_of=AS_OF))))
            loaded.add(id(shared.index))
        return out

    with ThreadPoolExecutor(8) as pool:
        results = [f.result(timeout=300) for f in [pool.submit(worker, n) for n in range(8)]]
    assert len(loaded) == 1  # one index, loaded once, shared by all
    for out in results:
        assert len(out) == 2 * len(questions)
        for q, answer in out:
            assert answer == expected[q], q
    asks = audit.list_records(settings, kinds=["ask"], limit=None)
    assert len(asks) == len(questions) * (1 + 8 * 2) and len({r.id for r in asks}) == len(asks)


# --- a Chroma server on loopback ------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _heartbeat(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    """A ``chroma run`` server on a free loopback port; yields the port, stops the server at the end."""
    chroma = Path(sys.executable).with_name("chroma")
    if not chroma.exists():
        pytest.skip("the chroma command (installed with chromadb) is not in this environment")
    folder = tmp_path_factory.mktemp("chroma-server")
    port = _free_port()
    log = open(folder / "server.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([str(chroma), "run", "--path", str(folder / "db"), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})
    try:
        deadline = time.monotonic() + 90
        while not _heartbeat(port):
            assert proc.poll() is None, (folder / "server.log").read_text(errors="replace")[-2000:]
            assert time.monotonic() < deadline, "the Chroma server did not answer within 90 s"
            time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="module")
def server_settings(chroma_server, embedder, tmp_path_factory):
    """An index of the bundled corpus whose vectors live on the server."""
    from assistant.index.ingest import ingest

    settings = make_settings(tmp_path_factory.mktemp("server-index") / "data", store__chroma_host="127.0.0.1",
                             store__chroma_port=chroma_server)
    report = ingest(settings, embedder=embedder)
    assert report.changed
    return settings


def _server_env(settings) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "GUIDANCE_PATHS__DATA_DIR": str(settings.paths.data_dir),
            "GUIDANCE_STORE__CHROMA_HOST": settings.store.chroma_host, "GUIDANCE_STORE__CHROMA_PORT": str(settings.store.chroma_port)}


def _collections(settings) -> set[str]:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.HttpClient(host="127.0.0.1", port=settings.store.chroma_port, settings=ChromaSettings(anonymized_telemetry=False))
    return {c.name for c in client.list_collections()}


# A worker process: loads the model, says it is ready, waits for its start file, then either asks
# questions in a loop (reloading the index every fifth question) until the stop file appears and one
# more round is done, or runs one `guidance` command.
WORKER = r"""
import datetime as dt, json, sys, time
from pathlib import Path
mode, control, name = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
from assistant.config import Settings
from assistant.index.embed import load_embedder
settings = Settings.load()
load_embedder(settings)

def wait(flag):
    while not (control / flag).exists():
        time.sleep(0.02)

if mode == "ask":
    from assistant.api import Assistant
    questions = json.loads(sys.argv[4])
    assistant = Assistant(settings)
    assistant.index
    (control / f"ready-{name}").touch()
    wait("go")
    out, n = [], 0
    while True:
        stopping = (control / "stop").exists()
        for q in questions:
            if n % 5 == 0:
                assistant = Assistant(settings)
            answer = assistant.ask(q, as_of=dt.date(2022, 3, 1))
            out.append({"q": q, "build": assistant.index.info.build_id,
                        "answer": answer.model_dump(mode="json", exclude={"timings_ms"})})
            n += 1
        if stopping:
            break
    print(json.dumps(out))
else:
    from assistant.cli import cli
    (control / f"ready-{name}").touch()
    wait(sys.argv[4])
    cli.main(args=sys.argv[5:], prog_name="guidance")
"""


def _start(settings, control: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WORKER, *args[:1], str(control), *args[1:]], env=_server_env(settings),
                            cwd=control, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_ready(control: Path, names: list[str], procs: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + 240
    while not all((control / f"ready-{n}").exists() for n in names):
        for p in procs:
            assert p.poll() is None, p.communicate()[1][-3000:]
        assert time.monotonic() < deadline, "the workers did not load within 240 s"
        time.sleep(0.1)


def test_four_processes_ask_while_one_ingests_on_the_server(server_settings, tmp_path):
    settings = server_settings
    first = store.current_build_id(settings.paths.index_dir)
    questions = _questions(8)
    reference = {q: _same(Assistant(settings).ask(q, as_of=AS_OF)) for q in questions}
    control = tmp_path / "control"
    control.mkdir()
    docgen.make_memo_md(tmp_path / "parking.md")
    askers = [_start(settings, control, "ask", f"a{i}", json.dumps(questions)) for i in range(4)]
    ingester = _start(settings, control, "cli", "ingest", "go", "ingest", str(tmp_path / "parking.md"), "--json")
    procs = [*askers, ingester]
    try:
        _wait_ready(control, ["a0", "a1", "a2", "a3", "ingest"], procs)
        (control / "go").touch()
        out, err = ingester.communicate(timeout=300)
        assert ingester.returncode == 0, err[-3000:]
        report = json.loads(out)
        assert report["changed"] and "parking" in report["documents"]
        (control / "stop").touch()
        answered = []
        for p in askers:
            out, err = p.communicate(timeout=300)
            assert p.returncode == 0 and "Traceback" not in err, err[-3000:]
            answered.append(json.loads(out))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    second = report["build_id"]
    assert store.current_build_id(settings.paths.index_dir) == second != first
    for rows in answered:
        assert {r["build"] for r in rows} == {first, second}  # each asker worked before, during and after the ingest
        for r in rows:
            assert r["answer"]["check"]["passed"], r["q"]
            if r["build"] == first:
                assert r["answer"] == reference[r["q"]], r["q"]
            else:
                assert r["answer"]["refused"] == reference[r["q"]]["refused"], r["q"]
    asks = runlog.select(settings.paths.data_dir, kinds=["ask"])
    assert len(asks) == len(questions) + sum(len(rows) for rows in answered)
    with sqlite3.connect(runlog.log_path(settings.paths.data_dir)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    result = CliRunner(env=_server_env(settings)).invoke(cli, ["ask", "Which district boundaries does the parking authority use?", "--json"])
    assert result.exit_code == 0 and "parking" in {c["doc_id"] for c in json.loads(result.output)["citations"]}


def test_a_second_ingest_process_is_refused_and_a_killed_one_leaves_the_server_index_usable(server_settings, embedder, tmp_path):
    """Ingest A holds the lock; ingest B (another process) is refused with a clear message. A is then
    killed (SIGKILL) while it writes vectors to the server: the previous build still answers, and the
    next ingest runs and removes what A left behind, folder and server collection."""
    from assistant.index.ingest import ingest

    settings = server_settings
    before = store.current_build_id(settings.paths.index_dir)
    many = tmp_path / "many"
    many.mkdir()
    for i in range(60):
        (many / f"note{i}.md").write_text(
            "\n\n".join(f"## Part {j}\n\nMemo {i} paragraph {j} about parking meters, zone {i * 7 + j}." for j in range(30)),
            encoding="utf-8",
        )
    control = tmp_path / "control"
    control.mkdir()
    builds = {p.name for p in (settings.paths.index_dir / store.BUILDS).iterdir()}
    first = _start(settings, control, "cli", "A", "go-a", "ingest", str(many))
    second = _start(settings, control, "cli", "B", "go-b", "ingest")
    try:
        _wait_ready(control, ["A", "B"], [first, second])
        (control / "go-a").touch()
        lock = settings.paths.index_dir / store.LOCK
        deadline = time.monotonic() + 60
        while lock.read_text(encoding="utf-8").strip() != f"pid {first.pid}":
            assert first.poll() is None and time.monotonic() < deadline, "ingest A never took the lock"
            time.sleep(0.02)
        (control / "go-b").touch()
        _, err = second.communicate(timeout=120)
        assert second.returncode == 2, err
        assert err.strip() == f"error: another ingest is running on {settings.paths.index_dir} (pid {first.pid}); wait for it to finish and try again"

        deadline = time.monotonic() + 180
        while True:  # kill A once its collection exists on the server, i.e. while it adds vectors
            new = {p.name for p in (settings.paths.index_dir / store.BUILDS).iterdir()} - builds
            if new and store.collection_name(settings, next(iter(new))) in _collections(settings):
                break
            assert first.poll() is None, "ingest A finished before it could be interrupted"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait()
    finally:
        for p in (first, second):
            if p.poll() is None:
                p.kill()
                p.wait()
    killed = next(iter(new))
    assert store.current_build_id(settings.paths.index_dir) == before
    result = CliRunner(env=_server_env(settings)).invoke(cli, ["ask", "Is a serious prior criminal record aggravating?"])
    assert result.exit_code == 0 and "prior criminal record" in result.output
    small = tmp_path / "small.md"
    small.write_text("## Meters\n\nParking meters in zone 5 take coins only.", encoding="utf-8")
    report = ingest(settings, [small], embedder=embedder)
    assert report.changed and store.current_build_id(settings.paths.index_dir) == report.build_id
    assert not (settings.paths.index_dir / store.BUILDS / killed).exists()
    assert _collections(settings) == {store.collection_name(settings, b) for b in (before, report.build_id)}


def test_an_embedded_index_moves_to_the_server_without_embedding_again_and_back(chroma_server, corpus_settings, embedder, tmp_path):
    from assistant.errors import IndexMismatchError
    from assistant.index.ingest import ingest
    from assistant.index.load import load_index

    shutil.copytree(corpus_settings.paths.data_dir, tmp_path / "data", ignore=shutil.ignore_patterns("runs.sqlite*"))
    local = make_settings(tmp_path / "data")
    remote = make_settings(tmp_path / "data", store__chroma_host="127.0.0.1", store__chroma_port=chroma_server)
    question = "Is use of a firearm an aggravating factor?"
    before = _same(Assistant(local).ask(question, as_of=AS_OF))

    with pytest.raises(IndexMismatchError, match=r"keeps its vectors in a Chroma store on disk.*run `guidance ingest` to move it"):
        load_index(remote, embedder=embedder)
    result = CliRunner(env=_server_env(remote)).invoke(cli, ["ask", question])
    assert result.exit_code == 2 and "run `guidance ingest` to move it there" in result.stderr
    moved = ingest(remote, embedder=embedder)
    assert moved.changed and moved.embedded == 0 and moved.reused == moved.passages
    assert store.read_build_info(local.paths.index_dir / store.BUILDS / moved.build_id).store == "server"
    assert store.collection_name(remote, moved.build_id) in _collections(remote)
    after = _same(Assistant(remote).ask(question, as_of=AS_OF))
    assert after == before
    assert not ingest(remote, embedder=embedder).changed  # moved once, then up to date

    # back to disk: the settings no longer name the server, so the vectors are embedded again
    back = ingest(local, embedder=embedder)
    assert back.changed and store.read_build_info(local.paths.index_dir / store.BUILDS / back.build_id).store == "persistent"
    assert _same(Assistant(local).ask(question, as_of=AS_OF)) == before
