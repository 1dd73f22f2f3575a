"""False premises: what a question takes for granted that the guidelines contradict (``premises.yaml``).

The rows are data next to the manifest; each names the passages that correct it. A premise is
recognised only when the question presupposes it (see ``presupposes``), unless its row says the
claim is asserted whatever the form of the question.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from assistant.check.rules import PREMISE
from assistant.errors import ConfigError

PREMISES_NAME = "premises.yaml"

_POLAR = re.compile(r"^\s*(do|does|did|is|are|was|were|can|could|should|would|will|has|have|had|may|might|must)\b", re.I)
_TAG = re.compile(r",?\s*(right|correct|true|isn'?t (it|that)|aren'?t (they|there)|don'?t (they|we)|doesn'?t (it|he|she)|"
                  r"didn'?t (it|they|he|she)|wasn'?t (it|that)|weren'?t they|no)\s*\?\s*$", re.I)
_SINCE = re.compile(r"\b(since|given that|now that|because|as long as|seeing that)\b", re.I)
_STATEMENT_THEN_QUESTION = re.compile(r"^[^?]{12,}[.!]\s+\S[^?]*\?\s*$")


__all__ = ["PREMISE", "DatedClaim", "Premise", "Premises", "asked_premise", "dated_premise", "find_premise", "load_premises", "polarity_premise", "presupposes"]


class DatedRow(BaseModel):
    """One row of ``premises.yaml``'s ``dated`` section: an event of the history and its dates."""

    id: str
    description: str
    corrects: list[str] = Field(min_length=1)
    dates: list[dt.date] = Field(min_length=1)
    cues: list[str] = Field(min_length=1)


class PremiseRow(BaseModel):
    """One row of ``premises.yaml``."""

    id: str
    description: str
    corrects: list[str] = Field(min_length=1)
    cues: list[str] = Field(min_length=1)
    asserted: str | None = Field(None, description="'always': recognised whatever the form of the question.")


@dataclass(frozen=True)
class Premise:
    """A compiled premise row."""

    id: str
    description: str
    corrects: tuple[str, ...]
    cues: tuple[re.Pattern[str], ...]
    always: bool


@dataclass(frozen=True)
class DatedClaim:
    """A compiled dated row: the premise it makes when a question dates its event wrongly, and the event's dates."""

    premise: Premise
    dates: tuple[dt.date, ...]


@dataclass(frozen=True)
class Premises:
    """Every premise row, the cues of a polarity premise, and the dated events."""

    rows: tuple[Premise, ...]
    against: tuple[re.Pattern[str], ...]
    in_favor: tuple[re.Pattern[str], ...]
    dated: tuple[DatedClaim, ...] = ()

    def by_id(self, premise_id: str | None) -> Premise | None:
        """The row (plain or dated) with this id, or None."""
        return next((r for r in (*self.rows, *(d.premise for d in self.dated)) if r.id == premise_id), None) if premise_id else None


def presupposes(question: str) -> bool:
    """Whether the question takes its claims for granted: not a plain yes/no question about them."""
    if _TAG.search(question) or _STATEMENT_THEN_QUESTION.match(question):
        return True
    if _SINCE.search(question):
        return True
    return not _POLAR.match(question)


def find_premise(question: str, premises: Premises) -> Premise | None:
    """The premise the question takes for granted (the most specific: the longest cue match), or None."""
    presupposed = presupposes(question)
    return _most_specific(question, [row for row in premises.rows if row.always or presupposed])


def _most_specific(question: str, rows: list[Premise] | tuple[Premise, ...]) -> Premise | None:
    """The row whose cue matches the longest stretch of the question, or None."""
    best, length = None, 0
    for row in rows:
        for cue in row.cues:
            m = cue.search(question)
            if m is not None and len(m.group(0)) > length:
                best, length = row, len(m.group(0))
    return best


_LATER_ACT = re.compile(r"\b(revers\w*|stay(ed|s)?|lift\w*|dissolv\w*|dismiss\w*|overturn\w*|affirm\w*|upheld|uphold\w*|"
                        r"set aside|threw out|refus\w*|denied|den(y|ies)|appeal\w*|challeng\w*|ended)\b", re.I)
"""An act on the event between it and the date ("in July 2022 when it reversed the Ohio injunction"): the date is the
act's, not the event's."""


def dated_premise(question: str, named: list[tuple[str, dt.date, dt.date]], premises: Premises) -> Premise | None:
    """The wrong date a question takes for granted for an event of the history (None when it takes none).

    ``named`` are the dates and periods the question names (their words, first and last day). The
    question must take the event for granted, name a date within a few words of the event's cue,
    and that date must hold none of the event's dates: "Why did Mayorkas sign the guidelines in
    January 2021?" (signed September 30, 2021), not "When were they signed?" nor "Did he sign them in 2021?".
    """
    if not named or not presupposes(question):
        return None
    lowered = question.lower()
    for claim in premises.dated:
        for cue in claim.premise.cues:
            for m in cue.finditer(question):
                for text, start, end in named:
                    at = lowered.find(text.lower())
                    near = at >= 0 and (abs(at - m.end()) <= 40 or abs(m.start() - (at + len(text))) <= 40)
                    between = question[min(at + len(text), m.end()): max(at, m.start())] if near else ""
                    if near and not any(start <= d <= end for d in claim.dates) and not _LATER_ACT.search(between):
                        return claim.premise
    return None


def asked_premise(question: str, premises: Premises) -> Premise | None:
    """The premise a yes/no question asks about without taking it for granted ("Are those factors the only
    ones officers can look at?"): its correcting passages answer the question, with no correction to make."""
    return None if presupposes(question) else _most_specific(question, premises.rows)


def polarity_premise(question: str, anchor: str | None, premises: Premises, clause: str = "") -> bool:
    """Whether the question says the unit ``anchor`` weighs the other way than it does (mitigating vs aggravating).

    A yes/no ``clause`` (the ask) only asks which way a fact weighs ("should it be held against
    him?"); only the words the question takes for granted (a statement before it, a why-question)
    can carry the premise.
    """
    if not anchor or not presupposes(question) or anchor.endswith(".overview"):
        return False
    if clause and _POLAR.match(clause):
        question = question.replace(clause, " ")
    if anchor.startswith("mit."):
        return any(c.search(question) for c in premises.against)
    if anchor.startswith("agg."):
        return any(c.search(question) for c in premises.in_favor)
    return False


_RESOLVED: dict[str, Path] = {}


def load_premises(corpus_dir: Path) -> Premises:
    """The validated, compiled premise rows of the corpus (none when the file is absent); read again when it changes.

    Called for every answer: the path is resolved once per corpus folder, and one ``stat`` tells a changed file."""
    key = str(corpus_dir)
    path = _RESOLVED.get(key)
    if path is None:
        path = _RESOLVED.setdefault(key, (Path(corpus_dir) / PREMISES_NAME).resolve())
    try:
        st = os.stat(path)
    except OSError:
        _RESOLVED.pop(key, None)  # resolved again next time: a folder swapped or linked anew
        return Premises((), (), ())
    if not stat.S_ISREG(st.st_mode):
        return Premises((), (), ())
    return _load(path, st.st_mtime_ns)


@lru_cache(maxsize=4)
def _load(path: Path, _mtime: int) -> Premises:
    import yaml

    try:
        # libyaml's loader when PyYAML has it: this file is read at every cold start.
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
        rows = [PremiseRow.model_validate(r) for r in data.get("premises", [])]
        polarity = data.get("polarity") or {}
        compiled = tuple(
            Premise(r.id, r.description, tuple(r.corrects), tuple(re.compile(c, re.I) for c in r.cues), r.asserted == "always")
            for r in rows
        )
        dated = tuple(
            DatedClaim(Premise(r.id, r.description, tuple(r.corrects), tuple(re.compile(c, re.I) for c in r.cues), False), tuple(r.dates))
            for r in (DatedRow.model_validate(d) for d in data.get("dated", []))
        )
        return Premises(compiled, tuple(re.compile(c, re.I) for c in polarity.get("against", [])),
                        tuple(re.compile(c, re.I) for c in polarity.get("in_favor", [])), dated)
    except (yaml.YAMLError, ValidationError, re.error, AttributeError, TypeError) as exc:
        raise ConfigError(f"the premise table {path} is invalid: {exc}") from None
