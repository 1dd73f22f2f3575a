"""The embedding model as ONNX: exported once with torch, then run with onnxruntime and ``tokenizers``.

Importing torch and sentence-transformers costs seconds; onnxruntime and the model's own
``tokenizer.json`` cost a fraction of that. The transformer is exported once per model (torch is
imported only then) into ``<data dir>/models/<model id>/model.onnx``, next to the index; the pooling
and normalisation the model folder declares (``1_Pooling``, ``2_Normalize``) are applied here in
numpy, so the vectors match sentence-transformers' (tests/test_onnx.py holds them to cosine 0.9999).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import threading
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from assistant.errors import ModelLoadError

ONNX_FILE = "model.onnx"
EXPORT_INFO = "export.json"
OPSET = 17


class OnnxExport(BaseModel):
    """``export.json`` beside an exported model, and the build's record of the export it was embedded with."""

    model_id: str = Field(description="The model fingerprint (assistant.index.embed.model_fingerprint) exported.")
    file: str = Field(description="The ONNX file, relative to the data folder.")
    sha256: str = Field(description="SHA-256 of the ONNX file.")
    opset: int = Field(description="ONNX opset of the export.")
    exported_with: str = Field(description="The torch version that exported it.")
    created: dt.datetime


class Pooling(BaseModel):
    """What the model folder says to do with the token vectors (sentence-transformers' modules)."""

    mode: str  # "mean" or "cls"
    normalize: bool
    max_seq_length: int


def available() -> bool:
    """Whether onnxruntime and tokenizers can be imported (without importing them)."""
    from importlib.util import find_spec

    return find_spec("onnxruntime") is not None and find_spec("tokenizers") is not None


def read_pooling(model_path: Path) -> Pooling:
    """The pooling, normalisation and sequence length the model folder declares; an unsupported model is an error."""
    try:
        modules = json.loads((model_path / "modules.json").read_text(encoding="utf-8"))
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        pooling_dir = next(m["path"] for m in modules if m["type"].endswith(".Pooling"))
        config = json.loads((model_path / pooling_dir / "config.json").read_text(encoding="utf-8"))
        bert = model_path / "sentence_bert_config.json"
        max_len = json.loads(bert.read_text(encoding="utf-8")).get("max_seq_length", 256) if bert.is_file() else 256
    except (OSError, ValueError, KeyError, StopIteration) as exc:
        raise ModelLoadError(
            f"{model_path} does not declare its modules as sentence-transformers does ({exc}); "
            "set GUIDANCE_EMBEDDING__BACKEND=torch"
        ) from None
    modes = [name for name in ("mean_tokens", "cls_token", "max_tokens", "mean_sqrt_len_tokens") if config.get(f"pooling_mode_{name}")]
    if modes not in (["mean_tokens"], ["cls_token"]) or not set(kinds) <= {"Transformer", "Pooling", "Normalize"}:
        raise ModelLoadError(
            f"the model in {model_path} uses modules {kinds} and pooling {modes}; the ONNX path supports a transformer "
            "with mean or CLS pooling and optional normalisation; set GUIDANCE_EMBEDDING__BACKEND=torch"
        )
    return Pooling(mode="mean" if modes == ["mean_tokens"] else "cls", normalize="Normalize" in kinds, max_seq_length=int(max_len))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def export_dir(models_dir: Path, model_id: str) -> Path:
    """Where the export of a model lives."""
    return models_dir / model_id


def read_export(models_dir: Path, model_id: str) -> OnnxExport | None:
    """The export of this model in ``models_dir``, or None when there is none (or it is of another model)."""
    folder = export_dir(models_dir, model_id)
    try:
        info = OnnxExport.model_validate_json((folder / EXPORT_INFO).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if info.model_id != model_id or not (folder / ONNX_FILE).is_file():
        return None
    return info


_EXPORT_LOCK = threading.Lock()
_EXPORTED: dict[str, Path] = {}  # model id -> an export made (or found) by this process, copied rather than redone


def ensure_export(model_path: Path, model_id: str, models_dir: Path) -> OnnxExport:
    """The ONNX export of the model in ``models_dir``, made now (importing torch) if it is missing."""
    with _EXPORT_LOCK:
        found = read_export(models_dir, model_id)
        if found is not None:
            _EXPORTED.setdefault(model_id, export_dir(models_dir, model_id))
            return found
        folder = export_dir(models_dir, model_id)
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f"{ONNX_FILE}.{os.getpid()}.tmp"
        source = _EXPORTED.get(model_id)
        if source is not None and (source / ONNX_FILE).is_file():
            shutil.copyfile(source / ONNX_FILE, tmp)
            torch_version = json.loads((source / EXPORT_INFO).read_text(encoding="utf-8"))["exported_with"]
        else:
            torch_version = _export_with_torch(model_path, tmp)
        os.replace(tmp, folder / ONNX_FILE)
        info = OnnxExport(
            model_id=model_id, file=str((folder / ONNX_FILE).relative_to(models_dir.parent)), sha256=_sha256(folder / ONNX_FILE),
            opset=OPSET, exported_with=torch_version, created=dt.datetime.now(dt.timezone.utc),
        )
        info_tmp = folder / f"{EXPORT_INFO}.{os.getpid()}.tmp"
        info_tmp.write_text(info.model_dump_json(indent=1), encoding="utf-8")
        os.replace(info_tmp, folder / EXPORT_INFO)
        _EXPORTED.setdefault(model_id, folder)
        return info


def _export_with_torch(model_path: Path, target: Path) -> str:
    """Trace the model's transformer to ONNX at ``target`` (the one place torch is imported on the ONNX path)."""
    from .offline import offline_environment

    offline_environment()
    try:
        import onnx  # noqa: F401  (torch's exporter needs it; fail here with a clear message)
        import torch
        from transformers import AutoModel
    except ImportError as exc:
        raise ModelLoadError(
            f"exporting the embedding model to ONNX needs torch, transformers and onnx ({exc}); "
            "run: pip install onnx, or set GUIDANCE_EMBEDDING__BACKEND=torch"
        ) from None

    class _Transformer(torch.nn.Module):
        def __init__(self, model: Any):
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state

    import warnings

    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    model = AutoModel.from_pretrained(str(model_path)).eval()
    example = torch.ones(2, 8, dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer warnings about shape-dependent Python branches that do not apply here
        torch.onnx.export(
            _Transformer(model), (example, example, torch.zeros_like(example)), str(target),
            input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["token_embeddings"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes, "token_embeddings": axes},
            opset_version=OPSET, dynamo=False,
        )
    return torch.__version__


class OnnxEncoder:
    """Sentence vectors from an exported model: tokenize, run, pool, normalise (like sentence-transformers)."""

    backend = "onnxruntime"

    def __init__(self, model_path: Path, onnx_file: Path):
        from .offline import offline_environment

        offline_environment()  # before onnxruntime is imported: it reads ORT_DISABLE_TELEMETRY when it starts
        import numpy as np
        import onnxruntime as ort
        from tokenizers import Tokenizer

        ort.disable_telemetry_events()  # and, should it have been imported before, the switch for sessions
        self._np = np
        self.pooling = read_pooling(model_path)
        try:
            tokenizer = Tokenizer.from_file(str(model_path / "tokenizer.json"))
        except Exception as exc:  # tokenizers raises its own untyped Exception
            raise ModelLoadError(f"cannot read {model_path / 'tokenizer.json'}: {exc}; set GUIDANCE_EMBEDDING__BACKEND=torch") from None
        tokenizer.enable_truncation(max_length=self.pooling.max_seq_length)
        pad_id = tokenizer.token_to_id("[PAD]") or 0
        tokenizer.enable_padding(pad_id=pad_id, pad_token=tokenizer.id_to_token(pad_id) or "[PAD]")
        self._tokenizer = tokenizer
        self._ort = ort
        self._onnx_file = onnx_file
        self._sessions: dict[int, Any] = {}
        self._lock = threading.Lock()

    def _session(self, threads: int) -> Any:
        """A session that runs on ``threads`` threads (0: one per core), made on first use (an ingest needs only the
        batch one, a question only the single-thread one)."""
        with self._lock:
            if threads not in self._sessions:
                options = self._ort.SessionOptions()
                options.log_severity_level = 3
                options.intra_op_num_threads = threads
                # Idle worker threads would spin on the CPU between runs; on a shared machine that is time taken from others.
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                try:
                    self._sessions[threads] = self._ort.InferenceSession(
                        str(self._onnx_file), sess_options=options, providers=["CPUExecutionProvider"]
                    )
                except Exception as exc:  # onnxruntime raises its own untyped exceptions for a damaged file
                    raise ModelLoadError(
                        f"cannot load the ONNX export {self._onnx_file} ({exc}); delete {self._onnx_file.parent} "
                        "and it is exported again"
                    ) from None
            return self._sessions[threads]

    def encode(self, texts: list[str]) -> Any:
        """Normalized sentence vectors (float32, one row per text) for one batch."""
        np = self._np
        encodings = self._tokenizer.encode_batch([t.strip() for t in texts])
        ids = np.asarray([e.ids for e in encodings], dtype=np.int64)
        mask = np.asarray([e.attention_mask for e in encodings], dtype=np.int64)
        types = np.asarray([e.type_ids for e in encodings], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        # One question runs on one thread: a query is too small to gain from a second one, and on a busy machine
        # waiting for two cores made the slowest answers many times the median. Batches (ingest) use every core.
        session = self._session(1 if len(texts) == 1 else 0)
        inputs = {i.name for i in session.get_inputs()}
        tokens = session.run(None, {k: v for k, v in feed.items() if k in inputs})[0]
        if self.pooling.mode == "cls":
            vectors = tokens[:, 0]
        else:
            weights = mask[..., None].astype(np.float32)
            vectors = (tokens * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        if self.pooling.normalize:
            vectors = vectors / np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)
        return vectors.astype(np.float32)
