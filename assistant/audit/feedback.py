"""Feedback on answers: a person marks an answer helpful or not, and the mark joins the run log.

A mark is one more record of kind ``feedback`` in the audit log (``audit.record``, stored by
``runlog`` in ``runs.sqlite``), carrying the question, the answer text and the passages it cited,
so an audit or an evaluation can join what people found helpful to what the assistant said.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from assistant import audit
from assistant.audit import runlog

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.types import Answer

FEEDBACK_KIND = "feedback"
MAX_COMMENT_CHARS = 2000


class Feedback(BaseModel):
    """One person's mark on one answer."""

    question: str
    helpful: bool
    answer: str = Field(description="The answer text as shown.")
    refused: bool = False
    cited: list[str] = Field(default_factory=list, description="doc_id:start-end of every citation shown.")
    as_of: str | None = Field(None, description="The date the guidelines' status was given for.")
    comment: str = ""
    ask_run_id: int | None = Field(None, description="The run-log id of the ask this answer came from, when known.")


def record_feedback(
    settings: Settings,
    answer: Answer,
    helpful: bool,
    comment: str = "",
    build_id: str | None = None,
    ask_run_id: int | None = None,
) -> int | None:
    """Store a helpful / not helpful mark on ``answer`` in the audit log; returns the record's id (None if not written)."""
    mark = Feedback(
        question=answer.question,
        helpful=bool(helpful),
        answer=answer.answer,
        refused=answer.refused,
        cited=[f"{c.doc_id}:{c.start}-{c.end}" for c in answer.citations],
        as_of=answer.status.as_of.isoformat() if answer.status else None,
        comment=comment.strip()[:MAX_COMMENT_CHARS],
        ask_run_id=ask_run_id,
    )
    passages = [c.passage_id for c in answer.citations if c.passage_id] or [r.passage_id for r in answer.retrieved if r.passage_id]
    return audit.record(settings, FEEDBACK_KIND, answer.question, mark.model_dump(mode="json"), passed=bool(helpful),
                        build_id=build_id, passages=passages)


def recent_feedback(data_dir: Path, limit: int = 50) -> list[Feedback]:
    """The most recent marks, newest first."""
    rows = runlog.select(Path(data_dir), kinds=[FEEDBACK_KIND], limit=limit)
    return [Feedback.model_validate(json.loads(r["payload"]) if isinstance(r["payload"], str) else r["payload"]) for r in rows]
