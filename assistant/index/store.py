"""Index builds on disk and the Chroma collections that hold their vectors.

An index is a sequence of immutable *builds*. Each build is a folder ``index/builds/<id>/`` with
``build.json`` (what built it: embedding model, chunker version, documents), ``passages.jsonl``,
the canonical text of every document, and (in the default embedded mode) its own persistent
Chroma folder. With a Chroma server configured, the vectors live in a server collection named
after the build. The file ``index/CURRENT`` names the build in use and is replaced atomically
(``os.replace``) only when a new build is complete, so an interrupted ingest never damages the
index in use. A lock file serializes ingests.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, Field, ValidationError

from assistant import datafolder
from assistant.errors import IndexBusyError, IndexCorruptError, IndexMismatchError, IndexMissingError, StoreUnavailableError
from assistant.types import DocumentMeta, ParsedDocument, Passage

from .onnx_embed import OnnxExport

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from assistant.config import Settings

POINTER = "CURRENT"
BUILDS = "builds"
LOCK = ".lock"
_OURS = {POINTER, BUILDS, LOCK, POINTER + ".tmp"}


class IndexedDocument(BaseModel):
    """One document in a build."""

    doc_id: str
    source: str
    format: str
    sha256: str
    passages: int
    bundled: bool
    meta: DocumentMeta


class BuildInfo(BaseModel):
    """``build.json``: what a build holds and what made it."""

    build_id: str
    created: dt.datetime
    embedding_model: str = Field(description="The model fingerprint; a build of another model is refused.")
    embedder: str = Field(
        "sentence-transformers",
        description="What computed the vectors embedded for this build: 'onnxruntime' (the ONNX export) or "
        "'sentence-transformers' (torch). They give the same vectors, so either serves a build of the other.",
    )
    onnx_export: OnnxExport | None = Field(None, description="The ONNX export that embedded the build (onnxruntime only).")
    chunker_version: str
    store: str = Field(description="'persistent' (Chroma on disk) or 'server' (a Chroma server).")
    collection: str
    documents: list[IndexedDocument]
    passages: int
    embedded: int = Field(0, description="Passages embedded for this build.")
    reused: int = Field(0, description="Passages whose vectors were carried over unchanged.")


def index_dir(settings: Settings) -> Path:
    """The folder that holds the builds and the CURRENT pointer."""
    return settings.paths.index_dir


@contextlib.contextmanager
def ingest_lock(root: Path) -> Iterator[None]:
    """Hold the index's ingest lock, or fail at once with a clear message."""
    datafolder.private_dir(root.parent)  # the data folder first: private before anything is written in it
    datafolder.private_dir(root)
    path = root / LOCK
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise IndexBusyError(
                f"another ingest is running on {root} ({holder}); wait for it to finish and try again"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def check_ownership(root: Path) -> None:
    """Refuse a folder that holds something other than our builds (a foreign Chroma folder, say)."""
    if not root.exists():
        return
    if not root.is_dir():
        raise IndexCorruptError(f"the index location {root} is a file, not a folder; set GUIDANCE_PATHS__DATA_DIR elsewhere")
    foreign = sorted(p.name for p in root.iterdir() if p.name not in _OURS)
    if foreign:
        raise IndexCorruptError(
            f"{root} is not a guidance index (it holds {', '.join(foreign[:3])}); it was left untouched. "
            "Point GUIDANCE_PATHS__DATA_DIR at another folder, or move those files away"
        )


def current_build_id(root: Path) -> str | None:
    """The id of the build in use, or None when there is no index yet."""
    check_ownership(root)
    pointer = root / POINTER
    if not pointer.exists():
        return None
    try:
        build_id = json.loads(pointer.read_text(encoding="utf-8"))["build"]
    except (OSError, ValueError, KeyError, TypeError):
        raise IndexCorruptError(
            f"the index pointer {pointer} is unreadable; run `guidance ingest --rebuild` to make a new index"
        ) from None
    if not isinstance(build_id, str) or not (root / BUILDS / build_id / "build.json").is_file():
        raise IndexCorruptError(
            f"the index pointer {pointer} names a build that is missing; run `guidance ingest --rebuild`"
        )
    return build_id


def new_build_id() -> str:
    """A sortable, unique build id that is also a valid Chroma collection suffix."""
    return dt.datetime.now(dt.timezone.utc).strftime("b%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


def collection_name(settings: Settings, build_id: str) -> str:
    """The Chroma collection of a build (3-512 characters of [a-zA-Z0-9._-])."""
    return f"{settings.store.collection_prefix}-{build_id}"


def chroma_errors() -> tuple[type[BaseException], ...]:
    """The exceptions that mean a Chroma store is unreachable, missing or damaged.

    A Chroma server's client speaks HTTP through httpx, whose errors (a refused connection, a
    connection closed mid-reply) are none of Chroma's own: they are listed too.
    """
    import httpx
    from chromadb.errors import ChromaError

    return (ChromaError, httpx.HTTPError, sqlite3.DatabaseError, ValueError, RuntimeError, OSError)


def _server_message(settings: Settings, exc: BaseException) -> str:
    where = f"{settings.store.chroma_host}:{settings.store.chroma_port}"
    return (
        f"the Chroma server at {where} failed or cannot be reached ({type(exc).__name__}: {exc}); check that it runs "
        f"(chroma run --path DIR --host {settings.store.chroma_host} --port {settings.store.chroma_port}) and try again, "
        "or unset GUIDANCE_STORE__CHROMA_HOST to use the store on disk (then run `guidance ingest`)"
    )


@contextlib.contextmanager
def chroma_guard(settings: Settings, where: object) -> Iterator[None]:
    """Turn Chroma failures into one clear error that says what to do.

    A Chroma server that fails is a ``StoreUnavailableError``; a store on disk that fails is an
    ``IndexCorruptError`` (rebuild it).
    """
    try:
        yield
    except chroma_errors() as exc:
        if settings.store.chroma_host:
            raise StoreUnavailableError(_server_message(settings, exc)) from None
        raise IndexCorruptError(
            f"the Chroma store at {where} cannot be read ({exc}); run `guidance ingest --rebuild`"
        ) from None


T = TypeVar("T")
RETRY_PAUSE_S = 0.5


def with_retry(settings: Settings, where: object, call: Callable[[], T]) -> T:
    """``call()`` against the store; with a Chroma server, a failure is retried once after a short pause.

    One retry rides out a dropped keep-alive connection or a server that restarted between two
    questions; a second failure is a ``StoreUnavailableError`` that says what to do.
    """
    if settings.store.chroma_host:
        try:
            return call()
        except chroma_errors():
            time.sleep(RETRY_PAUSE_S)
    with chroma_guard(settings, where):
        return call()


_CLIENT_LOCK = threading.Lock()


def store_kind(settings: Settings) -> str:
    """Where these settings keep vectors: 'server' (a Chroma server) or 'persistent' (Chroma on disk)."""
    return "server" if settings.store.chroma_host else "persistent"


def chroma_client(settings: Settings, build_dir: Path, kind: str | None = None) -> Any:
    """A Chroma client for a build whose vectors are in ``kind`` (default: where the settings say)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    # Chroma's client registry is not safe when two threads open the same folder at once.
    with _CLIENT_LOCK, chroma_guard(settings, build_dir / "chroma"):
        if (kind or store_kind(settings)) == "server":
            return chromadb.HttpClient(
                host=settings.store.chroma_host, port=settings.store.chroma_port, settings=chroma_settings
            )
        return chromadb.PersistentClient(path=str(build_dir / "chroma"), settings=chroma_settings)


def collection(settings: Settings, build_dir: Path, name: str) -> Any:
    """The build's Chroma collection itself, for answering (no LangChain import on the query path)."""
    client = chroma_client(settings, build_dir)
    with chroma_guard(settings, f"{build_dir / 'chroma'} (collection {name})"):
        return client.get_collection(name)


def vectorstore(settings: Settings, build_dir: Path, name: str, embedder: Embeddings, create: bool, kind: str | None = None) -> Any:
    """The build's collection as a ``langchain_chroma.Chroma`` that uses our embedder."""
    from langchain_chroma import Chroma

    client = chroma_client(settings, build_dir, kind)
    with chroma_guard(settings, f"{build_dir / 'chroma'} (collection {name})"):
        return Chroma(
            collection_name=name,
            embedding_function=embedder,
            client=client,
            collection_metadata={"hnsw:space": "cosine", "embedding_model": getattr(embedder, "model_id", "")} if create else None,
            create_collection_if_not_exists=create,
        )


def write_json_atomic(path: Path, data: object) -> None:
    """Write JSON to a temporary file, fsync it and rename it over ``path``."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=1, default=str)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def publish(root: Path, build_id: str) -> None:
    """Make ``build_id`` the current build (atomic)."""
    write_json_atomic(root / POINTER, {"build": build_id})


def prune(settings: Settings, root: Path, keep: set[str]) -> None:
    """Delete builds (and their server collections) other than ``keep``; called under the lock."""
    builds = root / BUILDS
    if not builds.is_dir():
        return
    for build in builds.iterdir():
        if build.name in keep:
            continue
        if settings.store.chroma_host:
            with contextlib.suppress(*chroma_errors(), IndexCorruptError, StoreUnavailableError):  # it may never have been made
                chroma_client(settings, build).delete_collection(collection_name(settings, build.name))
        shutil.rmtree(build, ignore_errors=True)


def remove_unfinished(settings: Settings, root: Path) -> list[str]:
    """Delete builds an interrupted ingest left half-made (no ``build.json``); called under the lock. Returns their ids."""
    builds = root / BUILDS
    if not builds.is_dir():
        return []
    # The build in use always has its build.json (current_build_id refuses a pointer to one without).
    unfinished = [b for b in builds.iterdir() if b.is_dir() and not (b / "build.json").is_file()]
    for build in unfinished:
        if settings.store.chroma_host:
            with contextlib.suppress(*chroma_errors(), IndexCorruptError, StoreUnavailableError):  # it may never have been made
                chroma_client(settings, build).delete_collection(collection_name(settings, build.name))
        shutil.rmtree(build, ignore_errors=True)
    return sorted(b.name for b in unfinished)


class Phrases(BaseModel):
    """Short phrases embedded with a build: passage aliases (owner = passage id) or out-of-scope topics."""

    owners: list[str] = Field(default_factory=list)
    texts: list[str] = Field(default_factory=list)
    vectors: list[list[float]] = Field(default_factory=list)


def write_phrases(build_dir: Path, name: str, phrases: Phrases) -> None:
    """Store a set of phrases ('aliases' or 'decoys') with the build."""
    (build_dir / f"{name}.json").write_text(phrases.model_dump_json(), encoding="utf-8")


def read_phrases(build_dir: Path, name: str) -> Phrases:
    """A set of phrases of the build (empty for a build that has none)."""
    path = build_dir / f"{name}.json"
    if not path.exists():
        return Phrases()
    try:
        return Phrases.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValidationError, ValueError):
        raise IndexCorruptError(f"{path} is unreadable; run `guidance ingest --rebuild`") from None


def read_build_info(build_dir: Path) -> BuildInfo:
    """Read and validate ``build.json``."""
    try:
        return BuildInfo.model_validate_json((build_dir / "build.json").read_text(encoding="utf-8"))
    except (OSError, ValidationError, ValueError):
        raise IndexCorruptError(f"{build_dir / 'build.json'} is unreadable; run `guidance ingest --rebuild`") from None


def read_passages(build_dir: Path) -> list[Passage]:
    """The passages of a build, in document order."""
    try:
        with open(build_dir / "passages.jsonl", encoding="utf-8") as handle:
            return [Passage.model_validate_json(line) for line in handle if line.strip()]
    except (OSError, ValidationError, ValueError):
        raise IndexCorruptError(f"the passages of {build_dir} are unreadable; run `guidance ingest --rebuild`") from None


def read_document(build_dir: Path, doc_id: str) -> ParsedDocument:
    """The canonical text and blocks of one indexed document."""
    try:
        return ParsedDocument.model_validate_json((build_dir / "documents" / f"{doc_id}.json").read_text(encoding="utf-8"))
    except (OSError, ValidationError, ValueError):
        raise IndexCorruptError(f"document {doc_id} of {build_dir} is unreadable; run `guidance ingest --rebuild`") from None


def open_current(settings: Settings, model_id: str, chunker_version: str, check_store: bool = True) -> tuple[Path, BuildInfo]:
    """The current build's folder and info, refusing one made by another model or chunker, or kept in another store."""
    root = index_dir(settings)
    build_id = current_build_id(root)
    if build_id is None:
        raise IndexMissingError(f"there is no index at {root} yet; run `guidance ingest`")
    build_dir = root / BUILDS / build_id
    info = read_build_info(build_dir)
    if info.embedding_model != model_id or info.chunker_version != chunker_version:
        raise IndexMismatchError(
            f"the index at {root} was built with embedding model {info.embedding_model} and chunker "
            f"v{info.chunker_version}, but this assistant uses {model_id} and chunker v{chunker_version}; "
            "run `guidance ingest --rebuild`"
        )
    if check_store and info.store != store_kind(settings):
        where = {"server": "on a Chroma server", "persistent": "in a Chroma store on disk"}
        how = "its vectors are copied, nothing is embedded again" if info.store == "persistent" else "its passages are embedded again"
        raise IndexMismatchError(
            f"the index at {root} keeps its vectors {where.get(info.store, info.store)}, but the settings say "
            f"{where[store_kind(settings)]} (GUIDANCE_STORE__CHROMA_HOST); run `guidance ingest` to move it there "
            f"({how}), or change the setting back"
        )
    return build_dir, info
