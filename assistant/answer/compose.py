"""The composer protocol: what the pipeline gives a composer and what it gets back.

A composer turns the ranked passages of a question the pipeline decided to answer into a draft
answer. It may stream: it yields ``line`` events for claims it has already verified (a chat
model's), then one ``done`` event with its ``Composition``. The pipeline verifies the draft,
handles a fallback, and attaches the status; composers never do.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

from pydantic import BaseModel, ConfigDict

from assistant.types import Answer, Understood

from .request import AskRequest
from .retrieve import ScoredPassage

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.index.load import Index


@dataclass
class ComposeContext:
    """Everything a composer may use: the index, the settings, the request and its ranked passages."""

    index: Index
    settings: Settings
    request: AskRequest
    results: list[ScoredPassage]
    vector: list[float]
    frame: Understood | None = None  # the question frame (None: a caller without one; the words decide)


class Composition(BaseModel):
    """A composer's result: the draft answer, or the reason it has none (then the pipeline falls back)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    answer: Answer | None = None
    streamed: bool = False  # its lines were yielded already, each verified as it came
    failure: str | None = None  # set when there is no usable draft: the extractive answer replaces it
    refused: bool = False  # the model itself said the passages do not answer the question
    drafting: Literal["verified", "repaired", "dropped", "incomplete"] | None = None
    drafting_failure: str | None = None
    rounds: list[dict] = []  # what each round of a chat model returned and what failed (for the audit log)
    run_outcome: str | None = None  # a chat model's drafting: verified, repaired, dropped, refused or fallback


class ComposeEvent(BaseModel):
    """A ``line`` already verified, or the composer's ``done`` result."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    kind: Literal["line", "done"]
    text: str = ""
    composition: Composition | None = None


class Composer(Protocol):
    """Anything that drafts an answer from the ranked passages."""

    name: str

    def compose(self, ctx: ComposeContext) -> Iterator[ComposeEvent]:
        """Yield verified lines as they come (if any), then one ``done`` event."""
