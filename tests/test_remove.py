"""`guidance remove DOC_ID`: a user's document leaves the index (a new build, atomic, locked, logged).

Real ingest, real Chroma, the real model: a document is ingested, answered from, removed, and then
no answer cites it; bundled documents and unknown ids are refused with exit code 2 and change nothing.
"""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from assistant.index import store

from .conftest import make_settings

NOTE = ("# Snow note\n\n## I. Closures\n\nThe Duluth field office closes on days of heavy snow. "
        "Staff then work from home.\n")
QUESTION = "When does the Duluth field office close?"


@pytest.fixture
def data(corpus_settings, tmp_path):
    """A copy of the session's index of the bundled corpus, and a user note next to it."""
    target = tmp_path / "data"
    shutil.copytree(corpus_settings.paths.data_dir, target)
    (tmp_path / "snow-note.md").write_text(NOTE, encoding="utf-8")
    return target


def guidance(data, *args):
    from assistant.cli import cli

    return CliRunner().invoke(cli, list(args), env={"GUIDANCE_PATHS__DATA_DIR": str(data)}, catch_exceptions=False)


def cited(data, question: str = QUESTION) -> set[str]:
    result = guidance(data, "ask", question, "--json")
    assert result.exit_code == 0, result.output
    return {c["doc_id"] for c in json.loads(result.stdout)["citations"]}


def current(data) -> str:
    return store.current_build_id(data / "index")


def test_remove_takes_an_ingested_document_out_of_the_answers(data, tmp_path):
    assert guidance(data, "ingest", str(tmp_path / "snow-note.md")).exit_code == 0
    assert cited(data) == {"snow-note"}
    before = current(data)

    result = guidance(data, "remove", "snow-note")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Removed snow-note: ")
    assert current(data) != before  # a new build, swapped in
    assert "snow-note" not in cited(data)
    status = json.loads(guidance(data, "status", "--json").stdout)
    assert "snow-note" not in {d["doc_id"] for d in status["documents"]}
    assert {d["doc_id"] for d in status["documents"]} == {"dhs-2021-guidelines", "guidelines-status-history"}

    logged = json.loads(guidance(data, "log", "list", "--kind", "remove", "--json").stdout)
    assert [r["subject"] for r in logged] == ["snow-note"]
    ingests = json.loads(guidance(data, "log", "list", "--kind", "ingest", "--json").stdout)
    assert [r["subject"] for r in ingests] == ["snow-note"]


def test_remove_json_reports_the_new_build(data, tmp_path):
    assert guidance(data, "ingest", str(tmp_path / "snow-note.md")).exit_code == 0
    result = guidance(data, "remove", "snow-note", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["removed"] == ["snow-note"] and report["embedded"] == 0 and report["changed"]
    assert "snow-note" not in report["documents"] and report["build_id"] == current(data)


REFUSED = {
    "dhs-2021-guidelines": "'dhs-2021-guidelines' is part of the bundled corpus and cannot be removed",
    "guidelines-status-history": "'guidelines-status-history' is part of the bundled corpus and cannot be removed",
    "no-such-doc": "the index holds no document 'no-such-doc'; documents you can remove: snow-note",
}


def test_bundled_and_unknown_documents_are_refused_and_nothing_changes(data, tmp_path):
    assert guidance(data, "ingest", str(tmp_path / "snow-note.md")).exit_code == 0
    before = current(data)
    for doc_id, message in REFUSED.items():
        result = guidance(data, "remove", doc_id)
        assert result.exit_code == 2, (doc_id, result.output)
        assert result.stderr.startswith("error: ") and message in result.stderr and "Traceback" not in result.output
        assert current(data) == before
    assert cited(data) == {"snow-note"}


def test_a_crash_mid_way_leaves_the_old_index_and_the_next_remove_finishes(data, tmp_path, monkeypatch):
    from assistant.api import Assistant
    from assistant.errors import IndexBusyError

    settings = make_settings(data)
    assistant = Assistant(settings)
    assistant.ingest([tmp_path / "snow-note.md"])
    before = current(data)
    builds = data / "index" / store.BUILDS

    with store.ingest_lock(data / "index"):  # an ingest is running: told at once
        with pytest.raises(IndexBusyError, match="another ingest is running"):
            assistant.remove("snow-note")

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # the process dies after writing the new build, before switching to it

    made = {b.name for b in builds.iterdir()}
    monkeypatch.setattr(store, "publish", crash)
    with pytest.raises(KeyboardInterrupt):
        assistant.remove("snow-note")
    monkeypatch.undo()
    assert current(data) == before
    assert len({b.name for b in builds.iterdir()} - made) == 1  # the build that was never switched to
    assert "snow-note" in {c.doc_id for c in assistant.ask(QUESTION).citations}

    report = assistant.remove("snow-note")
    assert report.removed == ["snow-note"] and current(data) == report.build_id
    assert {b.name for b in builds.iterdir()} == {before, report.build_id}  # the abandoned build is gone
    assert "snow-note" not in {c.doc_id for c in assistant.ask(QUESTION).citations}


def test_removing_an_uploaded_document_deletes_its_uploaded_copy(data, tmp_path):
    from assistant.api import Assistant

    uploads = data / "uploads"
    uploads.mkdir()
    shutil.copy(tmp_path / "snow-note.md", uploads / "snow-note.md")
    assistant = Assistant(make_settings(data))
    assistant.ingest([uploads / "snow-note.md"])
    assistant.remove("snow-note")
    assert not (uploads / "snow-note.md").exists()
    assert (tmp_path / "snow-note.md").exists()  # a file named to `guidance ingest` elsewhere is never touched
