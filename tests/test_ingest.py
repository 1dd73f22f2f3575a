"""Ingestion on real files, real Chroma and the real model: incremental, atomic, locked, refusing."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from assistant.answer.pipeline import ask
from assistant.cli import cli
from assistant.errors import IndexBusyError, IndexCorruptError, IndexMismatchError
from assistant.index import store
from assistant.index.ingest import ingest
from assistant.index.load import load_index

from . import docgen
from .conftest import make_settings

pytestmark = pytest.mark.slow  # each test builds its own index


@pytest.fixture
def fresh(tmp_path, embedder):
    """A new index of the bundled corpus in its own folder."""
    settings = make_settings(tmp_path / "data")
    report = ingest(settings, embedder=embedder)
    return settings, report


def _current(settings) -> str:
    return store.current_build_id(settings.paths.index_dir)


def test_reingesting_an_unchanged_corpus_embeds_nothing(fresh, embedder):
    settings, first = fresh
    assert first.changed and first.embedded == first.passages > 30
    again = ingest(settings, embedder=embedder)
    assert not again.changed and again.embedded == 0
    assert _current(settings) == first.build_id


def test_a_new_document_embeds_only_its_own_passages(fresh, embedder, tmp_path):
    settings, first = fresh
    expected = docgen.make_memo_md(tmp_path / "parking.md")
    report = ingest(settings, [tmp_path / "parking.md"], embedder=embedder)
    added = report.passages - first.passages
    assert report.changed and 0 < report.embedded == added
    index = load_index(settings, embedder=embedder)
    answer = ask(index, settings, "Which district boundaries does the parking authority use?")
    assert "parking" in {c.doc_id for c in answer.citations}
    assert expected  # the generator described the memo it wrote
    # the user document is carried over by a later plain ingest
    later = ingest(settings, embedder=embedder)
    assert "parking" in later.documents and later.embedded == 0


@pytest.mark.parametrize("maker", ["make_memo_pdf", "make_memo_docx", "make_memo_html", "make_memo_txt"])
def test_each_format_is_ingested_and_cited(tmp_path, embedder, maker):
    settings = make_settings(tmp_path / "data")
    suffix = {"make_memo_pdf": ".pdf", "make_memo_docx": ".docx", "make_memo_html": ".html", "make_memo_txt": ".txt"}[maker]
    path = tmp_path / f"parking{suffix}"
    getattr(docgen, maker)(path)
    ingest(settings, [path], embedder=embedder)
    index = load_index(settings, embedder=embedder)
    answer = ask(index, settings, "Which district boundaries does the parking authority use?")
    cited = [c for c in answer.citations if c.doc_id == "parking"]
    assert cited, answer.answer
    for c in cited:
        assert index.texts["parking"][c.start : c.end] == c.quote
    assert "Page 2" not in index.texts["parking"] or maker != "make_memo_pdf"


def test_an_index_from_another_model_or_chunker_is_refused(fresh, embedder):
    settings, first = fresh
    build_dir = settings.paths.index_dir / store.BUILDS / first.build_id
    info = json.loads((build_dir / "build.json").read_text())
    info["embedding_model"] = "some-other-model@123"
    (build_dir / "build.json").write_text(json.dumps(info))
    with pytest.raises(IndexMismatchError, match="guidance ingest --rebuild"):
        load_index(settings, embedder=embedder)
    with pytest.raises(IndexMismatchError):
        ingest(settings, embedder=embedder)
    rebuilt = ingest(settings, rebuild=True, embedder=embedder)
    assert rebuilt.changed and rebuilt.embedded == rebuilt.passages
    assert load_index(settings, embedder=embedder).info.embedding_model == embedder.model_id


def test_a_second_ingest_is_refused_while_one_runs(fresh, embedder):
    settings, _ = fresh
    with store.ingest_lock(settings.paths.index_dir):
        with pytest.raises(IndexBusyError, match="another ingest is running"):
            ingest(settings, embedder=embedder)


def test_corrupt_pointer_and_foreign_folder_are_clear_errors(fresh, embedder, tmp_path):
    settings, _ = fresh
    (settings.paths.index_dir / store.POINTER).write_text("{not json")
    with pytest.raises(IndexCorruptError, match="ingest --rebuild"):
        load_index(settings, embedder=embedder)
    assert ingest(settings, rebuild=True, embedder=embedder).changed  # --rebuild recovers

    foreign = make_settings(tmp_path / "foreign")
    foreign.paths.index_dir.mkdir(parents=True)
    (foreign.paths.index_dir / "chroma.sqlite3").write_bytes(b"SQLite format 3\x00 someone else's")
    with pytest.raises(IndexCorruptError, match="not a guidance index"):
        ingest(foreign, embedder=embedder)
    assert (foreign.paths.index_dir / "chroma.sqlite3").read_bytes().startswith(b"SQLite format 3")


def _cli(settings, *args):
    env = {"GUIDANCE_PATHS__DATA_DIR": str(settings.paths.data_dir)}
    return CliRunner(env=env).invoke(cli, list(args), prog_name="guidance")


@pytest.mark.parametrize(
    ("maker", "name", "message"),
    [
        (None, "missing.pdf", "does not exist"),
        ("make_bad_pdf", "broken.pdf", "broken.pdf"),
        ("make_latin1_txt", "latin1.txt", "latin1.txt"),
        ("make_empty_md", "empty.md", "empty.md"),
        ("make_bad_docx", "broken.docx", "broken.docx"),
    ],
)
def test_bad_documents_fail_clearly_and_the_index_survives(fresh, tmp_path, maker, name, message):
    settings, first = fresh
    path = tmp_path / name
    if maker:
        getattr(docgen, maker)(path)
    result = _cli(settings, "ingest", str(path))
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert _current(settings) == first.build_id
    assert _cli(settings, "ask", "Does age matter?").exit_code == 0


def test_ask_before_any_ingest_builds_the_index_and_says_so(tmp_path):
    settings = make_settings(tmp_path / "data")
    result = _cli(settings, "ask", "Does lengthy presence in the United States matter?")
    assert result.exit_code == 0, result.stderr
    assert "No index yet: building it" in result.stderr
    assert "lengthy presence" in result.output.lower()


def test_a_killed_ingest_leaves_the_previous_index_usable(fresh, tmp_path):
    """SIGKILL an ingest mid-way; the previous build still answers, and a later ingest succeeds."""
    settings, first = fresh
    docs = tmp_path / "many"
    docs.mkdir()
    for i in range(60):
        (docs / f"note{i}.md").write_text(
            "\n\n".join(f"## Part {j}\n\nMemo {i} paragraph {j} about parking meters, zone {i * 7 + j}." for j in range(30)),
            encoding="utf-8",
        )
    env = {**os.environ, "GUIDANCE_PATHS__DATA_DIR": str(settings.paths.data_dir)}
    proc = subprocess.Popen([sys.executable, "-m", "assistant.cli", "ingest", str(docs)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    builds = settings.paths.index_dir / store.BUILDS
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(builds.iterdir())) < 2 and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "the ingest finished before it could be interrupted"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert _current(settings) == first.build_id
    result = _cli(settings, "ask", "Is a serious prior criminal record aggravating?")
    assert result.exit_code == 0 and "prior criminal record" in result.output
    # the lock died with the killed process: the next ingest runs, and it finishes the job
    small = tmp_path / "small.md"
    small.write_text("## Meters\n\nParking meters in zone 5 take coins only.", encoding="utf-8")
    report = ingest(settings, [small])
    assert report.changed and "small" in report.documents


def test_ingest_of_a_folder_reports_counts(fresh, tmp_path):
    settings, _ = fresh
    folder = tmp_path / "docs"
    folder.mkdir()
    docgen.make_memo_html(folder / "parking.html")
    result = _cli(settings, "ingest", str(folder))
    assert result.exit_code == 0, result.stderr
    assert re.search(r"Indexed \d+ passages from 3 documents", result.output)


def test_a_corrupt_chroma_store_is_a_clear_error_and_rebuild_recovers(fresh):
    settings, first = fresh
    sqlite = settings.paths.index_dir / store.BUILDS / first.build_id / "chroma" / "chroma.sqlite3"
    sqlite.write_bytes(b"this is not a database" * 100)
    result = _cli(settings, "ask", "Does age matter?")
    assert result.exit_code == 2
    assert "cannot be read" in result.stderr and "guidance ingest --rebuild" in result.stderr
    assert "Traceback" not in result.stderr
    assert _cli(settings, "ingest", "--rebuild").exit_code == 0
    assert _cli(settings, "ask", "Does age matter?").exit_code == 0


def test_ingest_reports_progress_of_embedding_and_storing(fresh, embedder, tmp_path):
    settings, first = fresh
    docgen.make_memo_md(tmp_path / "parking.md")
    events = []
    report = ingest(settings, [tmp_path / "parking.md"], embedder=embedder,
                    on_progress=lambda stage, done, total: events.append((stage, done, total)))
    embedding = [e for e in events if e[0] == "embedding"]
    storing = [e for e in events if e[0] == "storing"]
    assert embedding and embedding[-1][1] == embedding[-1][2]  # only new text is embedded, to the end
    assert storing and storing[-1][1:] == (report.passages, report.passages)


def test_the_bundled_corpus_sentences_are_embedded_once_and_a_user_document_s_only_when_asked(fresh, embedder, tmp_path):
    """retrieval.sentence_vectors: 'bundled' by default; 'all' embeds a user document's sentences too."""
    settings, first = fresh
    build = settings.paths.index_dir / store.BUILDS / first.build_id
    sentences = store.read_phrases(build, "sentences")
    assert len(sentences.texts) > 100 and len(sentences.vectors) == len(sentences.texts)
    index = load_index(settings, embedder=embedder)
    for owner, text in zip(sentences.owners, sentences.texts):
        assert text in index.by_id[owner].text  # each is a sentence of the passage it stands for

    docgen.make_memo_md(tmp_path / "parking.md")
    ingest(settings, [tmp_path / "parking.md"], embedder=embedder)
    index = load_index(settings, embedder=embedder)
    assert not {o for o in index.sentence_owners if index.by_id[o].doc_id == "parking"}

    settings.retrieval.sentence_vectors = "all"
    report = ingest(settings, embedder=embedder)
    index = load_index(settings, embedder=embedder)
    assert report.changed and {o for o in index.sentence_owners if index.by_id[o].doc_id == "parking"}


def test_a_build_without_sentence_vectors_is_answered_and_the_next_ingest_adds_them(fresh, embedder):
    settings, first = fresh
    build = settings.paths.index_dir / store.BUILDS / first.build_id
    (build / "sentences.json").unlink()  # as a build of the previous version
    index = load_index(settings, embedder=embedder)
    assert not index.sentence_owners
    assert not ask(index, settings, "Does the person's age matter?").refused
    report = ingest(settings, embedder=embedder)
    assert report.changed and report.embedded == 0  # the passages' vectors are carried over
    assert load_index(settings, embedder=embedder).sentence_owners
