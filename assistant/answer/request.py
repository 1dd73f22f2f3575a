"""What the pipeline is asked: the cleaned question, the date its status is given for, and the search options."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

from pydantic import BaseModel

from assistant.errors import InputError

from .retrieve import Filters

if TYPE_CHECKING:
    from assistant.config import Settings


class AskRequest(BaseModel):
    """The input of the answer pipeline."""

    question: str
    as_of: dt.date
    as_of_given: bool = False  # the caller chose the date (it wins over a date named in the question)
    k: int | None = None
    filters: Filters | None = None


def validate_question(question: str, settings: Settings) -> str:
    """The question, cleaned; an empty or oversized one is an InputError."""
    if not isinstance(question, str):
        raise InputError("the question must be text")
    cleaned = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in question)
    cleaned = re.sub(r"\s+", " ", cleaned).strip()
    if not cleaned:
        raise InputError('the question is empty; ask a question, e.g. guidance ask "Does age matter?"')
    limit = settings.answer.max_question_chars
    if len(cleaned) > limit:
        raise InputError(
            f"the question is {len(cleaned):,} characters long; the limit is {limit:,} "
            "(GUIDANCE_ANSWER__MAX_QUESTION_CHARS). Ask a shorter question"
        )
    return cleaned
