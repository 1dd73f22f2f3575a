"""The typed facts of a case (docs/CONTRACTS.md, case files): immutable pydantic models, unknown kept apart from false.

A field left out or set to null is *unknown* (``None``), which stays distinct from ``false``
wherever the analysis can tell the two apart (entry, apprehension, national security, offense
details). Reading and validating a file is ``facts``; these are the models it fills.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, model_validator
from pydantic_core import PydanticCustomError

EntryManner = Literal["unlawful", "lawful", "unknown"]
Location = Literal["border", "port_of_entry", "interior"]
Harm = Literal["none", "minor", "serious"]
Weapon = Literal["none", "firearm", "dangerous_weapon"]
Sophistication = Literal["low", "moderate", "high"]
Disposition = Literal["convicted", "charged", "pending", "dismissed", "acquitted"]
CONDUCT_WITHOUT_CONVICTION = ("charged", "pending", "dismissed")
"""Dispositions whose conduct the analysis lays out for factors 2-5, each with a note (never an acquittal)."""


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        raise PydanticCustomError("case_value", "must be a date YYYY-MM-DD without a time (got {got})", {"got": str(value)})
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise PydanticCustomError("case_value", "is not a real date (got {got})", {"got": repr(value)}) from None
    raise PydanticCustomError("case_value", "must be a date YYYY-MM-DD (got {got})", {"got": show_value(value)})


def _as_text(value: Any) -> Any:
    # Identifiers such as a case number or an A-number may be written without quotes in YAML.
    if isinstance(value, str):
        return value.strip()
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Date = Annotated[dt.date, BeforeValidator(_as_date)]
IdText = Annotated[str, BeforeValidator(_as_text)]


class _Model(BaseModel):
    """Base of the case models: unknown fields are errors, and null means 'not given'."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _null_is_absent(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v is not None}
        return data


class Person(_Model):
    """The person: age (or birth date), time in the United States, optional identifying details."""

    age: StrictInt | None = Field(None, ge=0, le=130, description="Age in years on assessed_on.")
    birth_date: Date | None = Field(None, description="Used for the age when age is not given.")
    years_in_us: StrictFloat | None = Field(None, ge=0, le=130, description="Years in the United States; else from entry.date.")
    name: str | None = None
    a_number: IdText | None = Field(None, description="Alien registration number, as written in the file.")


class Entry(_Model):
    """The person's entry into the United States."""

    date: Date | None = Field(None, description="Date of entry; unknown when absent.")
    manner: EntryManner = Field("unknown", description="unlawful | lawful | unknown.")


class Apprehension(_Model):
    """Where and when the person was apprehended."""

    date: Date | None = None
    location: Location | None = Field(None, description="border | port_of_entry | interior; unknown when absent.")
    attempting_unlawful_entry: StrictBool | None = Field(None, description="Apprehended while attempting unlawful entry.")


class NationalSecurity(_Model):
    """Indications bearing on the national security priority."""

    terrorism_or_espionage: StrictBool | None = Field(None, description="Engaged in, or suspected of, terrorism or espionage.")
    other_danger: StrictBool | None = Field(None, description="Otherwise a danger to national security.")


class Offense(_Model):
    """One entry of the criminal history: an offense and what the record says about it."""

    offense: Annotated[IdText, Field(min_length=1)]
    date: Date | None = None
    convicted: StrictBool | None = Field(None, description="Convicted of the offense; unknown when absent (or from disposition).")
    sentence_months: StrictInt | None = Field(None, ge=0, description="Sentence imposed, in months.")
    serious: StrictBool | None = Field(None, description="The staff member's assessment that the offense is serious.")
    harm: Harm | None = None
    weapon: Weapon | None = Field(None, description="Firearm or dangerous weapon used or threatened.")
    sophistication: Sophistication | None = None
    vacated_or_expunged: StrictBool = False
    disposition: Disposition | None = Field(
        None, description="convicted | charged | pending | dismissed | acquitted; with only `convicted` given, true "
        "means convicted and false leaves the disposition unrecorded.",
    )

    @model_validator(mode="before")
    @classmethod
    def _disposition(cls, data: Any) -> Any:
        """``convicted`` and ``disposition`` map onto each other; a file that gives both must make them agree."""
        if not isinstance(data, dict):
            return data
        disposition, convicted = data.get("disposition"), data.get("convicted")
        if isinstance(disposition, str) and isinstance(convicted, bool) and convicted != (disposition == "convicted"):
            raise PydanticCustomError(
                "case_value", "convicted: {convicted} disagrees with disposition: {disposition}; give one, or make them agree",
                {"convicted": str(convicted).lower(), "disposition": disposition},
            )
        if isinstance(disposition, str) and convicted is None:
            return {**data, "convicted": disposition == "convicted"}
        if convicted is True and disposition is None:
            return {**data, "disposition": "convicted"}
        return data

    @property
    def standing(self) -> bool:
        """A conviction that stands: convicted, and neither vacated nor expunged."""
        return self.convicted is True and not self.vacated_or_expunged

    @property
    def conduct_without_conviction(self) -> bool:
        """Conduct in the record with no conviction: charged, pending or dismissed (an acquittal is not relied on)."""
        return self.convicted is not True and self.disposition in CONDUCT_WITHOUT_CONVICTION


class Circumstances(_Model):
    """Circumstances that bear on the mitigating factors."""

    mental_condition_contributed: StrictBool = False
    condition_requiring_care: StrictBool = False
    crime_victim: StrictBool = False
    witness_or_party_in_proceedings: StrictBool = False
    family_in_us: list[str] = Field(default_factory=list, description="Free text, e.g. 'U.S. citizen daughter, age 9'.")
    provider_or_caregiver: StrictBool = False
    relief_eligibility: list[str] = Field(default_factory=list, description="E.g. asylum, U visa.")
    service: list[str] = Field(default_factory=list, description="Military or other public service of the person or family.")
    rehabilitation: list[str] = Field(default_factory=list, description="Evidence of rehabilitation, free text.")
    workplace_or_tenant_rights: StrictBool = False


class Case(_Model):
    """A case file: the facts a factor analysis is drawn from (docs/CONTRACTS.md section 3)."""

    case_id: Annotated[IdText, Field(min_length=1)]
    assessed_on: Date
    person: Person = Field(default_factory=Person)
    entry: Entry = Field(default_factory=Entry)
    apprehension: Apprehension = Field(default_factory=Apprehension)
    national_security: NationalSecurity = Field(default_factory=NationalSecurity)
    criminal_history: list[Offense] = Field(default_factory=list)
    circumstances: Circumstances = Field(default_factory=Circumstances)
    notes: str = ""

    def age(self) -> int | None:
        """Age on ``assessed_on``: as given, else from the birth date; None when unknown."""
        if self.person.age is not None:
            return self.person.age
        if self.person.birth_date is not None:
            return completed_years(self.person.birth_date, self.assessed_on)
        return None

    def years_in_us(self) -> float | None:
        """Years in the United States: as given, else from entry.date to ``assessed_on``; None when unknown."""
        if self.person.years_in_us is not None:
            return float(self.person.years_in_us)
        if self.entry.date is not None:
            return years_between(self.entry.date, self.assessed_on)
        return None

    def has_criminal_conduct(self) -> bool:
        """Whether the record lists any offense (convicted or not, standing or vacated)."""
        return bool(self.criminal_history)


# --- dates --------------------------------------------------------------------------------------


def _anniversary(start: dt.date, year: int) -> dt.date:
    try:
        return start.replace(year=year)
    except ValueError:  # February 29 in a common year
        return dt.date(year, 3, 1)


def completed_years(start: dt.date, end: dt.date) -> int:
    """Whole years from ``start`` to ``end`` (as an age is counted)."""
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def years_between(start: dt.date, end: dt.date) -> float:
    """Years from ``start`` to ``end``: whole years plus the share of the current year (exact on anniversaries)."""
    whole = completed_years(start, end)
    year = start.year + whole
    last = _anniversary(start, year)
    # The anniversary after one in year 9999 lies past what a date can hold; the Gregorian calendar repeats
    # every 400 years, so the year 400 years earlier has the same length.
    shift = 400 if year >= dt.MAXYEAR else 0
    length = (_anniversary(start, year + 1 - shift) - _anniversary(start, year - shift)).days
    return whole + (end - last).days / length


def items_text(items: list[str]) -> str:
    """A list of the case's free-text items in one line, each kept as written: numbered when there are
    several, so an item's own separators ("; ", " | ", " - ", "/") never read as the boundary between two."""
    if len(items) == 1:
        return items[0]
    return "; ".join(f"({i}) {item}" for i, item in enumerate(items, 1))


def show_value(value: Any) -> str:
    """A short form of a value for a message (a date, a mapping, a list, a quoted text)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value) if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."
