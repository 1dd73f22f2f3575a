"""Ingestion: read -> split -> embed (reusing unchanged vectors) -> store, as one atomic build.

Every ingest writes a new build next to the current one and switches the CURRENT pointer only when
the build is complete, under a lock. Vectors of passages whose embedded text is unchanged are
carried over from the current build, so re-ingesting an unchanged corpus embeds nothing. Documents
a user ingested earlier are carried over (from their stored canonical form) until replaced, or
until removed (``remove``: the same build without them; bundled documents cannot be removed).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from assistant import datafolder
from assistant.corpus.manifest import USER_KIND
from assistant.corpus.passages import bundled_documents, decoy_topics, prepare_passages
from assistant.corpus.readers.common import over_limit
from assistant.errors import (
    DocumentError,
    IndexCorruptError,
    IndexMismatchError,
    IndexMissingError,
    InputError,
    StoreUnavailableError,
)
from assistant.types import DocumentMeta, ParsedDocument, Passage

from . import store
from .text import embed_text

if TYPE_CHECKING:
    from assistant.config import IngestLimits, Settings

    from .embed import Embedder

ADD_BATCH = 256


class IngestReport(BaseModel):
    """What an ingest did."""

    index_dir: str
    build_id: str
    changed: bool
    documents: list[str]
    passages: int
    embedded: int
    reused: int
    seconds: float
    added: list[str] = Field([], description="Ids of the documents read from the paths of this ingest.")
    removed: list[str] = Field([], description="Ids of the user documents this build left out (``remove``).")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _expand(paths: list[Path]) -> list[Path]:
    """Files named, and supported files inside folders named; a missing path is an error.

    Inside a folder, every entry with a supported suffix that is not a folder is taken (the reader
    refuses one that is not a regular file), and a symbolic link that leads out of the folder is
    refused: naming a folder never reads a file elsewhere on the machine.
    """
    from assistant.corpus.readers import SUPPORTED_SUFFIXES

    files: list[Path] = []
    for path in paths:
        if not path.exists():
            raise DocumentError(f"{path} does not exist; check the path and try again")
        if path.is_dir():
            root = path.resolve()
            found = []
            for entry in sorted(path.rglob("*")):
                if entry.suffix.lower() not in SUPPORTED_SUFFIXES or entry.is_dir():
                    continue
                target = entry.resolve()
                if not target.is_relative_to(root):
                    raise DocumentError(
                        f"{entry} is a link to {target}, outside the folder {path}; links out of an ingested folder are "
                        "not followed: ingest that file by its own path if you mean to"
                    )
                found.append(entry)
            if not found:
                raise DocumentError(f"{path} holds no .md, .txt, .pdf, .docx or .html file to ingest")
            files.extend(found)
        else:
            files.append(path)
    return files


def _user_doc_id(path: Path, taken: set[str]) -> str:
    from assistant.corpus.readers import slugify

    stem = slugify(path.stem) or "document"
    return stem if stem not in taken else f"{stem}-{_sha(str(path.resolve()))[:6]}"


def _user_meta(doc: ParsedDocument, path: Path) -> DocumentMeta:
    title = doc.title or path.stem
    return DocumentMeta(
        id=doc.doc_id,
        title=title,
        short_title=title if len(title) <= 60 else title[:57] + "...",
        path=str(path.resolve()),
        restatement=False,
        kind=USER_KIND,
        description=f"Ingested by a user from {path.name}.",
    )


def _read_user_documents(
    paths: list[Path], bundled_ids: set[str], limits: IngestLimits
) -> list[tuple[ParsedDocument, DocumentMeta]]:
    from assistant.corpus.readers import read_document

    out = []
    taken = set(bundled_ids)
    for path in _expand(paths):
        doc = read_document(path, doc_id=_user_doc_id(path, taken), limits=limits)
        taken.add(doc.doc_id)
        out.append((doc, _user_meta(doc, path)))
    return out


def _check_removable(doc_ids: list[str], bundled_ids: set[str], info: store.BuildInfo | None) -> None:
    """Refuse to remove a bundled document or one the index does not hold (InputError, exit code 2)."""
    held = {e.doc_id: e for e in info.documents} if info is not None else {}
    for doc_id in doc_ids:
        if info is None and doc_id not in bundled_ids:
            raise InputError(f"there is no index yet, so no document '{doc_id}' to remove")
        if doc_id in bundled_ids or (doc_id in held and held[doc_id].bundled):
            raise InputError(f"'{doc_id}' is part of the bundled corpus and cannot be removed; only documents a user "
                             "ingested can be")
        if doc_id not in held:
            users = sorted(e.doc_id for e in held.values() if not e.bundled)
            raise InputError(f"the index holds no document '{doc_id}'; "
                             + (f"documents you can remove: {', '.join(users)}" if users else
                                "it holds no user document, only the bundled corpus")
                             + " (`guidance status` lists them)")


def _current_info(root: Path) -> store.BuildInfo | None:
    """The current build's ``build.json`` without loading the model, or None when there is no index."""
    build_id = store.current_build_id(root)
    return store.read_build_info(root / store.BUILDS / build_id) if build_id else None


def remove(
    settings: Settings,
    doc_ids: list[str],
    embedder: Embedder | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> IngestReport:
    """A new build without the user documents ``doc_ids``, swapped in atomically under the ingest lock.

    Nothing is embedded again (every vector is carried over). The copy an upload left in the data
    folder's ``uploads/`` is deleted too; a file elsewhere (named to ``guidance ingest``) is not touched.
    """
    if not doc_ids:
        raise InputError("name the id of a document to remove (`guidance status` lists them)")
    return ingest(settings, embedder=embedder, on_progress=on_progress, drop=list(doc_ids))


def _delete_upload(settings: Settings, source: str) -> None:
    """Delete an uploaded copy of a removed document, if it lies in the data folder's uploads."""
    uploads = (Path(settings.paths.data_dir) / "uploads").resolve()
    path = Path(source)
    if path.is_file() and path.resolve().parent == uploads:
        path.unlink(missing_ok=True)


def ingest(
    settings: Settings,
    paths: list[Path] | None = None,
    rebuild: bool = False,
    progress: bool = False,
    embedder: Embedder | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
    drop: list[str] | None = None,
) -> IngestReport:
    """Index the bundled corpus plus earlier and new user documents; atomic, locked, incremental.

    ``on_progress(stage, done, total)`` reports the long steps: stage "embedding" after each batch
    of new passages, "storing" after each batch written to Chroma. ``drop``: ids of user documents
    to leave out of the new build (see ``remove``).
    """
    from assistant.corpus.splitter import CHUNKER_VERSION

    from .embed import ReusingEmbeddings, load_embedder

    started = time.perf_counter()
    root = store.index_dir(settings)
    store.check_ownership(root)
    # Read everything first: a bad document fails before any lock or write.
    docs = bundled_documents(settings.paths.corpus_dir)
    bundled_ids = {d.doc_id for d, _ in docs}
    new_user = _read_user_documents(paths or [], bundled_ids, settings.ingest)
    dropped = list(dict.fromkeys(drop or []))
    if dropped:  # told at once, before the lock and the model
        _check_removable(dropped, bundled_ids, _current_info(root))

    # The lock before the model: a second ingest is told at once, not after seconds of loading.
    with store.ingest_lock(root):
        embedder = embedder or load_embedder(settings)
        store.remove_unfinished(settings, root)  # what an interrupted ingest left; we hold the lock, none is running
        previous_dir, previous = _previous_build(settings, root, embedder.model_id, CHUNKER_VERSION, rebuild)
        if dropped:  # again under the lock: another ingest may have changed the index meanwhile
            _check_removable(dropped, bundled_ids, previous)
        known: dict[str, list[float]] = {}
        replaced_sources = {m.path for _, m in new_user}
        if previous is not None and previous_dir is not None:
            for entry in previous.documents:
                if entry.bundled or entry.meta.path in replaced_sources or entry.doc_id in {d.doc_id for d, _ in new_user}:
                    continue
                if entry.doc_id in dropped:
                    continue
                docs.append((store.read_document(previous_dir, entry.doc_id), entry.meta))
        docs.extend(new_user)

        per_doc = [(doc, meta, prepare_passages(doc, meta, settings.chunking)) for doc, meta in docs]
        for doc, meta, ps in per_doc:  # before anything is written: a refused document leaves the index as it was
            if meta.kind == USER_KIND and len(ps) > settings.ingest.max_passages:
                raise over_limit(doc.source, "its number of passages", len(ps), settings.ingest.max_passages, "max_passages")
        passages = [p for _, _, ps in per_doc for p in ps]
        sentence_owners, sentences = sentence_phrases(settings, per_doc)
        if previous is not None and previous_dir is not None and not rebuild:
            old = [(p.id, embed_text(p)) for p in store.read_passages(previous_dir)]
            same_decoys = store.read_phrases(previous_dir, "decoys").texts == decoy_topics(settings.paths.corpus_dir)
            same_store = previous.store == store.store_kind(settings)
            same_meta = [(e.doc_id, e.meta) for e in previous.documents] == [(d.doc_id, m) for d, m, _ in per_doc]
            same_sentences = store.read_phrases(previous_dir, "sentences").texts == sentences
            if (old == [(p.id, embed_text(p)) for p in passages] and same_decoys and same_store and same_meta
                    and same_sentences):
                datafolder.seal(settings.paths.data_dir)  # uploads, and files of older versions
                return IngestReport(
                    index_dir=str(root), build_id=previous.build_id, changed=False,
                    documents=[d.doc_id for d, _, _ in per_doc], passages=len(passages), embedded=0,
                    reused=len(passages), seconds=time.perf_counter() - started, added=[d.doc_id for d, _ in new_user],
                )
            known = _previous_vectors(settings, previous_dir, previous)

        build_id = store.new_build_id()
        build_dir = root / store.BUILDS / build_id
        (build_dir / "documents").mkdir(parents=True)
        for doc, _, _ in per_doc:
            (build_dir / "documents" / f"{doc.doc_id}.json").write_text(doc.model_dump_json(), encoding="utf-8")
        with open(build_dir / "passages.jsonl", "w", encoding="utf-8") as handle:
            for p in passages:
                handle.write(p.model_dump_json() + "\n")

        on_batch = (lambda done, total: on_progress("embedding", done, total)) if on_progress else None
        reuse = ReusingEmbeddings(embedder, known, progress=progress, on_batch=on_batch)
        texts = [embed_text(p) for p in passages]
        reuse.embed_documents(texts)  # computes what is new, with a progress bar; add_texts reuses it
        embedded = reuse.computed
        topics = decoy_topics(settings.paths.corpus_dir)
        decoys = store.Phrases(owners=[""] * len(topics), texts=topics, vectors=reuse.embed_documents(topics))
        store.write_phrases(build_dir, "decoys", decoys)
        owners = [p.id for p in passages for _ in p.keywords]
        phrases = [k for p in passages for k in p.keywords]
        aliases = store.Phrases(owners=owners, texts=phrases, vectors=reuse.embed_documents(phrases))
        store.write_phrases(build_dir, "aliases", aliases)
        store.write_phrases(build_dir, "sentences", store.Phrases(owners=sentence_owners, texts=sentences,
                                                                 vectors=reuse.embed_documents(sentences)))
        name = store.collection_name(settings, build_id)
        vs = store.vectorstore(settings, build_dir, name, reuse, create=True)
        for lo in range(0, len(passages), ADD_BATCH):
            batch = passages[lo : lo + ADD_BATCH]
            with store.chroma_guard(settings, build_dir / "chroma"):
                vs.add_texts(
                    texts=texts[lo : lo + ADD_BATCH],
                    metadatas=[_metadata(p) for p in batch],
                    ids=[p.id for p in batch],
                )
            if on_progress is not None:
                on_progress("storing", lo + len(batch), len(passages))
        info = store.BuildInfo(
            build_id=build_id,
            created=dt.datetime.now(dt.timezone.utc),
            embedding_model=embedder.model_id,
            embedder=embedder.backend,
            onnx_export=embedder.export,
            chunker_version=CHUNKER_VERSION,
            store=store.store_kind(settings),
            collection=name,
            documents=[
                store.IndexedDocument(
                    doc_id=doc.doc_id, source=doc.source, format=doc.format, sha256=_sha(doc.text),
                    passages=len(ps), bundled=doc.doc_id in bundled_ids, meta=meta,
                )
                for doc, meta, ps in per_doc
            ],
            passages=len(passages),
            embedded=embedded,
            reused=len(passages) - embedded,
        )
        store.write_json_atomic(build_dir / "build.json", info.model_dump(mode="json"))
        store.publish(root, build_id)
        store.prune(settings, root, keep={build_id} | ({previous.build_id} if previous else set()))
        if previous is not None:
            for entry in previous.documents:
                if entry.doc_id in dropped:
                    _delete_upload(settings, entry.meta.path)
        datafolder.seal(settings.paths.data_dir)  # what Chroma, SQLite and an upload wrote with the umask's modes
    return IngestReport(
        index_dir=str(root), build_id=build_id, changed=True, documents=[d.doc_id for d, _, _ in per_doc],
        passages=len(passages), embedded=embedded, reused=len(passages) - embedded,
        seconds=time.perf_counter() - started,
        added=[d.doc_id for d, _ in new_user], removed=dropped,
    )


def _metadata(p: Passage) -> dict[str, str | int]:
    from .embed import text_hash

    return {
        "doc_id": p.doc_id,
        "anchor": p.anchor or "",
        "section": p.section,
        "heading": p.heading,
        "start": p.start,
        "end": p.end,
        "text_hash": text_hash(embed_text(p)),
    }


def _previous_build(
    settings: Settings, root: Path, model_id: str, chunker_version: str, rebuild: bool
) -> tuple[Path | None, store.BuildInfo | None]:
    """The current build, if any and usable; with ``rebuild`` a broken one is simply ignored."""
    try:
        build_dir, info = store.open_current(settings, model_id, chunker_version, check_store=False)  # a move is an ingest
    except IndexMismatchError:
        if not rebuild:
            raise
        # Carry over user documents' canonical text, but no vectors.
        build_id = store.current_build_id(root)
        build_dir = root / store.BUILDS / str(build_id)
        return build_dir, store.read_build_info(build_dir)
    except IndexCorruptError:
        if not rebuild:
            raise
        return None, None
    except IndexMissingError:
        return None, None
    return build_dir, info


SENTENCE_MIN_WORDS = 4
"""Shorter sentences (a heading's remnant, "See below.") say too little to stand for their passage."""


def sentence_phrases(settings: Settings, per_doc: list[tuple[Any, DocumentMeta, list[Passage]]]) -> tuple[list[str], list[str]]:
    """The sentences embedded one by one (``retrieval.sentence_vectors``), with the passage id of each."""
    from assistant.corpus.splitter import sentence_spans

    which = settings.retrieval.sentence_vectors
    owners, texts = [], []
    for _, meta, ps in per_doc:
        if which == "off" or which == "bundled" and meta.kind == USER_KIND:
            continue
        for p in ps:
            for a, b in sentence_spans(p.text):
                if len(p.text[a:b].split()) >= SENTENCE_MIN_WORDS:
                    owners.append(p.id)
                    texts.append(p.text[a:b])
    return owners, texts


def _previous_vectors(settings: Settings, build_dir: Path, info: store.BuildInfo) -> dict[str, list[float]]:
    """text hash -> vector of the previous build, to avoid embedding unchanged text again."""
    try:
        client = store.chroma_client(settings, build_dir, info.store)  # where that build's vectors are
        got = client.get_collection(info.collection).get(include=["embeddings", "metadatas"])
    except (*store.chroma_errors(), IndexCorruptError, StoreUnavailableError) as exc:  # costs only re-embedding
        print(f"note: vectors of the previous build could not be reused ({exc}); embedding all passages", file=sys.stderr)
        return {}
    from .embed import text_hash

    vectors = got.get("embeddings")
    metas = got.get("metadatas") or []
    known = {}
    if vectors is not None:
        known = {m["text_hash"]: list(map(float, v)) for m, v in zip(metas, vectors) if m and m.get("text_hash")}
    for name in ("aliases", "decoys", "sentences"):
        phrases = store.read_phrases(build_dir, name)
        known.update({text_hash(t): v for t, v in zip(phrases.texts, phrases.vectors)})
    return known
