"""The ONNX path: the same vectors and the same retrieval as sentence-transformers, with no torch at start.

The session's ``embedder`` runs the ONNX export under onnxruntime (the default); ``torch_embedder``
runs the same model in sentence-transformers. Both are the real model.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from assistant.answer.retrieve import search
from assistant.corpus.passages import bundled_passages
from assistant.errors import ModelLoadError
from assistant.index import store
from assistant.index.embed import load_embedder
from assistant.index.ingest import ingest
from assistant.index.load import load_index
from assistant.index.text import embed_text

from .conftest import make_settings

HEAVY = ("torch", "sentence_transformers", "transformers", "langchain_core", "langchain_chroma")


def _questions(dev_set) -> list[str]:
    return [item["question"] for item in dev_set["items"]]


@pytest.mark.slow  # loads sentence-transformers and embeds with both
def test_onnx_and_torch_embed_every_passage_and_dev_question_alike(embedder, torch_embedder, corpus_settings, dev_set):
    assert (embedder.backend, torch_embedder.backend) == ("onnxruntime", "sentence-transformers")
    assert embedder.model_id == torch_embedder.model_id
    passages = [embed_text(p) for p in bundled_passages(corpus_settings).passages]
    questions = _questions(dev_set)
    assert len(passages) > 40 and len(questions) > 100
    onnx = np.asarray(embedder.encode(passages) + [embedder.embed_query(q) for q in questions])
    torch = np.asarray(torch_embedder.encode(passages) + [torch_embedder.embed_query(q) for q in questions])
    cosines = (onnx * torch).sum(axis=1) / (np.linalg.norm(onnx, axis=1) * np.linalg.norm(torch, axis=1))
    worst = int(np.argmin(cosines))
    assert cosines.min() >= 0.9999, (cosines.min(), (passages + questions)[worst][:80])
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)  # normalized, as sentence-transformers' are


@pytest.mark.slow  # loads sentence-transformers and embeds with both
def test_the_dev_set_retrieves_the_same_passages_with_either_embedder(corpus_settings, corpus_index, torch_embedder, tmp_path, dev_set):
    torch_settings = make_settings(tmp_path / "torch", embedding__backend="torch")
    ingest(torch_settings, embedder=torch_embedder)
    torch_index = load_index(torch_settings, embedder=torch_embedder)
    assert (corpus_index.info.embedder, torch_index.info.embedder) == ("onnxruntime", "sentence-transformers")
    for question in _questions(dev_set):
        by_onnx = [(r.passage.id, round(r.score, 9)) for r in search(corpus_index, question, corpus_settings.retrieval)]
        by_torch = [(r.passage.id, round(r.score, 9)) for r in search(torch_index, question, torch_settings.retrieval)]
        assert by_onnx == by_torch, question


def test_a_build_records_the_embedder_and_the_export_it_used(corpus_settings, corpus_index, embedder):
    info = corpus_index.info
    assert info.embedder == "onnxruntime" and info.embedding_model == embedder.model_id
    export = info.onnx_export
    assert export is not None and export.model_id == info.embedding_model and export.file.endswith("model.onnx")
    raw = json.loads((corpus_index.build_dir / "build.json").read_text(encoding="utf-8"))
    assert raw["embedder"] == "onnxruntime" and raw["onnx_export"]["sha256"] == export.sha256


def test_the_export_is_made_once_in_the_data_folder_and_then_reused(tmp_path, embedder):
    settings = make_settings(tmp_path / "data")
    first = load_embedder(settings)
    onnx_file = settings.paths.data_dir / first.export.file
    assert onnx_file.is_file() and onnx_file.parent.parent == settings.paths.models_dir
    stamp = onnx_file.stat().st_mtime_ns
    again = load_embedder(settings)
    assert again.export == first.export and onnx_file.stat().st_mtime_ns == stamp
    assert again.embed_query("Does age matter?") == pytest.approx(embedder.embed_query("Does age matter?"), abs=1e-6)


@pytest.mark.slow  # loads sentence-transformers and embeds with both
def test_without_onnxruntime_the_torch_path_answers(tmp_path, monkeypatch, torch_embedder):
    from assistant.answer.pipeline import ask

    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # as if it were not installed
    settings = make_settings(tmp_path / "data")
    fallback = load_embedder(settings)
    assert fallback.backend == "sentence-transformers" and fallback.export is None
    assert not settings.paths.models_dir.exists()
    ingest(settings, embedder=fallback)
    index = load_index(settings, embedder=fallback)
    assert index.info.embedder == "sentence-transformers" and index.info.onnx_export is None
    answer = ask(index, settings, "Does the person's age matter?")
    assert not answer.refused and any(c.anchor == "mit.age" for c in answer.citations)
    with pytest.raises(ModelLoadError, match="onnxruntime"):
        load_embedder(make_settings(tmp_path / "other", embedding__backend="onnx"))


@pytest.mark.slow  # loads sentence-transformers and embeds with both
def test_an_index_built_by_torch_is_served_by_onnx(tmp_path, torch_embedder, embedder):
    settings = make_settings(tmp_path / "data")
    ingest(settings, embedder=torch_embedder)
    index = load_index(settings, embedder=embedder)  # same model: no "built by another model" refusal
    assert index.info.embedder == "sentence-transformers" and index.embedder.backend == "onnxruntime"
    assert store.read_build_info(index.build_dir).embedding_model == embedder.model_id


def test_a_cold_ask_imports_neither_torch_nor_langchain(corpus_settings, embedder, tmp_path):
    # A copy of the session index (which stays unmodified) gets its own export, as `guidance ingest` would have
    # made it; then a fresh process answers.
    settings = make_settings(tmp_path / "data")
    shutil.copytree(corpus_settings.paths.data_dir, settings.paths.data_dir)
    load_embedder(settings)
    assert (settings.paths.models_dir / embedder.model_id / "model.onnx").is_file()
    code = (
        "import runpy, sys\n"
        "sys.argv = ['guidance', 'ask', 'Does the person\\'s age matter?']\n"
        "try:\n    runpy.run_module('assistant.cli', run_name='__main__')\n"
        "except SystemExit as exc:\n    assert not exc.code, exc.code\n"
        f"print('LOADED', [m for m in {HEAVY!r} + ('onnxruntime', 'chromadb') if m in sys.modules])\n"
    )
    env = {**os.environ, "GUIDANCE_PATHS__DATA_DIR": str(settings.paths.data_dir)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "mitigating factor" in proc.stdout and "[1]" in proc.stdout
    loaded = proc.stdout.rsplit("LOADED", 1)[1]
    assert "onnxruntime" in loaded and "chromadb" in loaded
    for heavy in HEAVY:
        assert f"'{heavy}'" not in loaded, loaded
