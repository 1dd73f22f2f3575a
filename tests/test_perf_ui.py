"""The app's first page is drawn before the model and the index start loading, and Streamlit starts without
scanning every installed package (issue 14: first page usable <= 2 s).

Loading (mostly importing Chroma) holds the interpreter for about a second; started while the first
page was being drawn, it slowed the drawing. ``bench/ui_timing.py`` measures the effect in a browser;
this test holds the order, with AppTest, on the real app, model and index.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("streamlit")

import streamlit as st  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from assistant.cli.ui import APP  # noqa: E402
from assistant.ui import resources  # noqa: E402


@pytest.fixture
def app_env(monkeypatch, corpus_settings, tmp_path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(corpus_settings.paths.data_dir, target)
    monkeypatch.setenv("GUIDANCE_PATHS__DATA_DIR", str(target))
    return target


def test_the_model_starts_loading_only_once_the_first_page_is_drawn(app_env, monkeypatch):
    resources._assistant.clear()  # a fresh process as far as the app's shared resources go
    seen: list[str] = []
    loading = threading.Event()
    real_load, real_chat_input = resources._load_quietly, st.chat_input

    def load(shared):
        loading.set()
        real_load(shared)

    def chat_input(*args, **kwargs):
        # Started, whether the loading thread is still running or already through its first line.
        started = loading.is_set() or any(t.name == "guidance-warmup" for t in threading.enumerate())
        seen.append("chat box drawn while loading" if started else "chat box drawn")
        return real_chat_input(*args, **kwargs)

    monkeypatch.setattr(resources, "_load_quietly", load)
    monkeypatch.setattr(st, "chat_input", chat_input)
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Ask the 2021 guidelines" and len(at.chat_input) == 1
    assert len(at.warning) + len(at.success) + len(at.info) + len(at.error) >= 1  # the status banner
    assert seen == ["chat box drawn"]  # the page was drawn before anything started loading
    assert loading.wait(30)  # and then the loading started, without a question asked
    deadline = time.monotonic() + 120
    settings = resources.settings()
    while not resources.assistant_ready(settings) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert resources.assistant(settings).loaded  # loaded before any question: the first one is answered at once

    at.chat_input[0].set_value("Does the person's age matter?").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("mitigating factor" in m.value for m in at.markdown)


SCANS = """
import sys
from streamlit.components.v2 import manifest_scanner
from streamlit.web.server.server import Server
from assistant.cli.ui import APP, skip_component_discovery

scans = []
real = manifest_scanner.scan_component_manifests
manifest_scanner.scan_component_manifests = lambda *a, **k: scans.append(1) or real(*a, **k)
if sys.argv[1] == "skip":
    skip_component_discovery()
Server(str(APP), is_hello=False)  # what `streamlit run` builds before it listens
print(len(scans))
"""


@pytest.mark.parametrize("how, scans", [("as streamlit run does", "1"), ("skip", "0")])
def test_guidance_ui_spares_streamlit_its_scan_of_every_installed_package(how, scans):
    # The scan read ~160 distributions' metadata before the server listened (0.15-0.25 s of each start). If a
    # Streamlit release moves it, the first case still finds it and the second fails: the skip must follow.
    out = subprocess.run([sys.executable, "-c", SCANS, how], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == scans


def test_no_page_relies_on_streamlit_magic():
    # `guidance ui` turns magic off (runner.magicEnabled): rewriting each page's syntax tree cost its first run
    # about 20 ms. Magic writes any bare expression but a call or a docstring; a page with one would lose it.
    import ast

    for page in [APP, *sorted(APP.parent.glob("views/*.py"))]:
        for parent in ast.walk(ast.parse(page.read_text(encoding="utf-8"))):
            for i, node in enumerate(getattr(parent, "body", []) if isinstance(getattr(parent, "body", None), list) else []):
                if not isinstance(node, ast.Expr) or isinstance(node.value, ast.Call | ast.Await | ast.Yield | ast.YieldFrom):
                    continue
                docstring = i == 0 and isinstance(parent, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef) and isinstance(
                    node.value, ast.Constant) and isinstance(node.value.value, str)
                assert docstring, f"{page.name}:{node.lineno} is shown only by magic"


FIRST_PAGE = """
import json, sys
from streamlit.testing.v1 import AppTest
from assistant.api import Assistant
from assistant.cli.ui import APP, prepare_first_page
from assistant.ui import resources

resources.WARM_UP_DELAY_S = 3600  # the warming up (model, index) comes after the page, and is not counted here
prepare_first_page(Assistant())
before = set(sys.modules)
at = AppTest.from_file(str(APP), default_timeout=120).run()
assert not at.exception, [e.value for e in at.exception]
assert at.title[0].value == "Ask the 2021 guidelines" and len(at.chat_input) == 1
print("IMPORTED", json.dumps(sorted(m for m in set(sys.modules) - before if m.startswith("assistant."))))
"""


def test_the_first_page_finds_the_library_parts_it_runs_already_imported(app_env):
    # `guidance ui` imports them while the browser loads Streamlit's scripts (prepare_first_page); a page that
    # starts using another part of the library makes this fail, so the list is kept with the page.
    env = {**os.environ, "GUIDANCE_PATHS__DATA_DIR": str(app_env)}
    out = subprocess.run([sys.executable, "-c", FIRST_PAGE], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    imported = json.loads(out.stdout.rsplit("IMPORTED", 1)[1])
    assert [m for m in imported if not m.startswith("assistant.ui")] == []
