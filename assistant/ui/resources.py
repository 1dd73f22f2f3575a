"""Shared, read-only resources of the app and the one place where library errors become messages.

``st.cache_resource`` holds only what every session may share: the loaded ``Assistant`` (its
embedder and index are read-only after loading) and the passages of the current index build. Both
are keyed by the settings and the build id, so a new ingest is picked up on the next rerun.
Per-person state (chat history, case facts) lives in ``st.session_state`` and nowhere else.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import streamlit as st

from assistant.config import Settings
from assistant.errors import GuidanceError

if TYPE_CHECKING:
    from assistant.api import Assistant
    from assistant.corpus.passages import PassageSet


AUDIT_SESSION = "audit_session"  # this person's session id in the audit log


def new_session_id() -> str:
    """A fresh id for one person's app session (``ui:`` and 12 random hex digits)."""
    import uuid

    return f"ui:{uuid.uuid4().hex[:12]}"


@contextlib.contextmanager
def audited() -> Iterator[None]:
    """Record under this person's session id (for callbacks, which run outside the page's own block)."""
    from assistant import audit

    with audit.session(st.session_state.get(AUDIT_SESSION) or new_session_id()):
        yield


def settings() -> Settings:
    """The effective settings (read from the environment on every run: cheap, and never stale)."""
    return Settings.load()


def _key(s: Settings) -> str:
    return s.model_dump_json()


def build_id(s: Settings) -> str | None:
    """The id of the current index build, or None when there is no index yet."""
    from assistant.api import current_build_id

    return current_build_id(s)


@dataclass
class _Shared:
    assistant: Assistant
    ready: threading.Event  # set once the model and the index are loaded (or failed to load)
    started: threading.Event  # set once the loading has started


@st.cache_resource(show_spinner=False, max_entries=4)
def _assistant(key: str, build: str | None, _settings: Settings) -> _Shared:
    from assistant.api import Assistant

    return _Shared(Assistant(_settings), threading.Event(), threading.Event())


_START_LOCK = threading.Lock()
WARM_UP_DELAY_S = 1.0
"""How long after a page ran the warming up starts: the browser is still drawing that page, loading its widgets'
scripts from this server, and the warming up holds the interpreter the server needs to send them."""


def warm_up(s: Settings) -> None:
    """Warm the shared assistant up in the background, once, a moment after a page ran (the app calls it then).

    Warming up (``Assistant.warm_up``: the model, the index, and what the first question would load) takes
    about two seconds of CPU and holds the interpreter while it runs; started while the first page was
    drawn, it slowed the drawing. A question asked before it finishes waits only for the index (``Assistant.index``
    is locked), and loads it itself if the warming up has not started yet.
    """
    try:
        shared = _assistant(_key(s), build_id(s), s)
    except GuidanceError:
        return  # an unreadable index: the page that needs it says so
    with _START_LOCK:
        if shared.started.is_set():
            return
        shared.started.set()
    timer = threading.Timer(WARM_UP_DELAY_S, _load_quietly, args=(shared,))
    timer.name, timer.daemon = "guidance-warmup", True
    timer.start()


def warm_up_now(s: Settings) -> None:
    """Warm the shared assistant up in this thread before a question, unless that is done; called by the Ask page.

    A question asked before the background warming up started does it here (the background one then finds
    it done); one asked while it runs waits for it, instead of loading the same things beside it.
    """
    try:
        shared = _assistant(_key(s), build_id(s), s)
    except GuidanceError:
        return  # the question's own call raises it again, and the page shows it
    shared.started.set()
    _load_quietly(shared)


def _load_quietly(shared: _Shared) -> None:
    try:
        shared.assistant.warm_up()
    except GuidanceError:
        pass  # the same error is raised again, and shown, when a question needs the index
    finally:
        shared.ready.set()


def assistant(s: Settings) -> Assistant:
    """The shared assistant of the current index build (warmed up by ``warm_up``, or loaded by the first question)."""
    return _assistant(_key(s), build_id(s), s).assistant


def assistant_ready(s: Settings) -> bool:
    """Whether the assistant is warmed up (so a question is answered without a wait)."""
    return _assistant(_key(s), build_id(s), s).ready.is_set()


@st.cache_resource(show_spinner=False, max_entries=4)
def _passages(key: str, build: str | None, _settings: Settings) -> PassageSet:
    from assistant.api import Assistant

    return Assistant(_settings).passages()


def passages(s: Settings) -> PassageSet:
    """The passages and canonical texts of the current build (no model needed)."""
    return _passages(_key(s), build_id(s), s)


@contextlib.contextmanager
def shown_errors() -> Iterator[None]:
    """Turn a library error into one clear message on the page (the edge of the app)."""
    try:
        yield
    except GuidanceError as exc:
        from .render import md_escape

        st.error(md_escape(str(exc)), icon=":material/error:")
