"""The Corpus page driven by AppTest: ingest and removal ask first, user documents can be removed,
bundled ones cannot, and the status history shows only the states that occur.

Each test works on its own copy of the session's index (real Chroma, the real model).
"""

from __future__ import annotations

import shutil

import pytest

pytest.importorskip("streamlit")

from assistant.index import store  # noqa: E402

from .conftest import make_settings  # noqa: E402
from .test_ui_apptest import frame, loopback_server, new_app, texts  # noqa: E402, F401 - loopback_server is a fixture

EVERY_USER = "This changes the answers for every user of this index"
NOTE = b"# Snow note\n\n## I. Closures\n\nThe Duluth field office closes on days of heavy snow. Staff then work from home.\n"
QUESTION = "When does the Duluth field office close?"


@pytest.fixture
def data(corpus_settings, tmp_path, monkeypatch):
    """A copy of the session index that the app reads (GUIDANCE_PATHS__DATA_DIR)."""
    target = tmp_path / "data"
    shutil.copytree(corpus_settings.paths.data_dir, target)
    monkeypatch.setenv("GUIDANCE_PATHS__DATA_DIR", str(target))
    return target


def build(data) -> str:
    return store.current_build_id(data / "index")


def documents(at) -> dict[str, str]:
    return dict(frame(at, "Origin")[0][["Document", "Origin"]].itertuples(index=False))


@pytest.mark.slow
def test_ingest_asks_first_and_says_it_changes_every_users_answers(data, loopback_server):
    at = new_app("views/corpus.py")
    before = build(data)
    at.file_uploader(key="corpus_upload").upload("snow-note.md", NOTE, "text/markdown").run()
    at.button(key="corpus_ingest").click().run()
    warning = " ".join(texts(at.warning))
    assert "Ingest 'snow-note.md'?" in warning and EVERY_USER in warning
    assert build(data) == before and not (data / "uploads").exists()  # nothing happens before the answer

    at.button(key="corpus_ingest_cancel").click().run()
    assert not any(EVERY_USER in w for w in texts(at.warning))
    assert build(data) == before and "snow-note" not in documents(at)

    at.button(key="corpus_ingest").click().run()
    at.button(key="corpus_ingest_confirm").click().run()
    assert not at.exception and not at.error, texts(at.error)
    assert documents(at)["snow-note"] == "ingested" and build(data) != before


@pytest.mark.slow
def test_a_user_document_can_be_removed_after_confirming_and_bundled_ones_cannot(data):
    from assistant.api import Assistant

    (data.parent / "snow-note.md").write_bytes(NOTE)
    assistant = Assistant(make_settings(data))
    assistant.ingest([data.parent / "snow-note.md"])
    assert "snow-note" in {c.doc_id for c in assistant.ask(QUESTION).citations}

    at = new_app("views/corpus.py")
    assert documents(at) == {"dhs-2021-guidelines": "bundled", "guidelines-status-history": "bundled", "snow-note": "ingested"}
    remove_buttons = [b.key for b in at.button if b.key and b.key.startswith("corpus_remove_")]
    assert remove_buttons == ["corpus_remove_snow-note"]  # none for a bundled document

    before = build(data)
    at.button(key="corpus_remove_snow-note").click().run()
    warning = " ".join(texts(at.warning))
    assert "Remove 'snow-note' (Snow note)?" in warning and EVERY_USER in warning
    assert build(data) == before
    at.button(key="corpus_remove_confirm").click().run()
    assert not at.exception and not at.error, texts(at.error)
    assert "snow-note" not in documents(at) and build(data) != before
    assert any(s.startswith("Removed in this session: snow-note.") for s in texts(at.success))
    assert not [b.key for b in at.button if b.key and b.key.startswith("corpus_remove_")]
    assert "snow-note" not in {c.doc_id for c in Assistant(make_settings(data)).ask(QUESTION).citations}


def test_the_status_history_legend_and_events_list_only_states_that_occur(data):
    at = new_app("views/corpus.py")
    legend = [m for m in texts(at.markdown) if "&#9632;" in m]
    assert len(legend) == 1
    shown = legend[0]
    for state in ("NOT YET EFFECTIVE", "IN EFFECT", "ENJOINED", "VACATED", "NO LONGER APPLIED"):
        assert state in shown
    assert "UNKNOWN" not in shown  # no event of the history is in that state
    events = frame(at, "Confidence")[0]
    assert list(events.columns) == ["Date", "Status", "What happened", "Confidence"]
    assert set(events["Status"]) == {"NOT YET EFFECTIVE", "IN EFFECT", "ENJOINED", "VACATED", "NO LONGER APPLIED"}


def test_no_remove_button_where_uploads_are_off(data, monkeypatch):
    from assistant.api import Assistant

    (data.parent / "snow-note.md").write_bytes(NOTE)
    Assistant(make_settings(data)).ingest([data.parent / "snow-note.md"])
    monkeypatch.setenv("GUIDANCE_UI__ALLOW_UPLOAD", "false")
    at = new_app("views/corpus.py")
    assert documents(at)["snow-note"] == "ingested"
    assert not [b.key for b in at.button if b.key and b.key.startswith("corpus_remove_")]
    assert any("guidance remove DOC_ID" in c for c in texts(at.caption))
