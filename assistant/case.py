"""Case files (CONTRACTS section 3): YAML or JSON validated into typed, immutable case facts.

Every problem with a case file becomes one ``CaseError`` whose message names the field path and
the problem (``case file hx.yaml: criminal_history[0].weapon: must be one of ...``). A field left
out or set to null is *unknown* (``None``), which stays distinct from ``false`` wherever the
analysis can tell the two apart (entry, apprehension, national security, offense details).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, ValidationError
from pydantic import model_validator
from pydantic_core import PydanticCustomError

from .errors import InputError

EntryManner = Literal["unlawful", "lawful", "unknown"]
Location = Literal["border", "port_of_entry", "interior"]
Harm = Literal["none", "minor", "serious"]
Weapon = Literal["none", "firearm", "dangerous_weapon"]
Sophistication = Literal["low", "moderate", "high"]


class CaseError(InputError):
    """A case file cannot be used: missing, unreadable, or with a field that fails validation."""


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
    raise PydanticCustomError("case_value", "must be a date YYYY-MM-DD (got {got})", {"got": _show(value)})


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
    convicted: StrictBool | None = Field(None, description="Convicted of the offense; unknown when absent.")
    sentence_months: StrictInt | None = Field(None, ge=0, description="Sentence imposed, in months.")
    serious: StrictBool | None = Field(None, description="The staff member's assessment that the offense is serious.")
    harm: Harm | None = None
    weapon: Weapon | None = Field(None, description="Firearm or dangerous weapon used or threatened.")
    sophistication: Sophistication | None = None
    vacated_or_expunged: StrictBool = False

    @property
    def standing(self) -> bool:
        """A conviction that stands: convicted, and neither vacated nor expunged."""
        return self.convicted is True and not self.vacated_or_expunged


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
    """A case file: the facts a factor analysis is drawn from (CONTRACTS section 3)."""

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
    last = _anniversary(start, start.year + whole)
    following = _anniversary(start, start.year + whole + 1)
    return whole + (end - last).days / (following - last).days


# --- loading and messages -----------------------------------------------------------------------


def _show(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value) if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class that holds the field at ``loc`` (to list its allowed fields)."""
    model: Any = Case
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if field is None:
            return None
        annotation = field.annotation
        while get_origin(annotation) is not None and not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            annotation = next((a for a in get_args(annotation) if a is not type(None)), None)
        model = annotation
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


_TYPE_WORDS = {
    "int_type": "a whole number", "float_type": "a number", "bool_type": "true or false", "string_type": "text",
    "list_type": "a list", "model_type": "a mapping of fields", "dict_type": "a mapping of fields",
    "model_attributes_type": "a mapping of fields", "int_from_float": "a whole number",
}


def _bound(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _problem(error: dict[str, Any]) -> str:
    kind, loc, got = error["type"], tuple(error["loc"]), error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        model = _model_at(loc)
        allowed = ", ".join(model.model_fields) if model else "see CONTRACTS section 3"
        return f"unknown field; allowed fields here are {allowed}"
    if kind == "missing":
        return "is required but missing"
    if kind == "literal_error":
        options = ", ".join(re.findall(r"'([^']*)'", str(ctx.get("expected", ""))))
        return f"must be one of {options} (got {_show(got)})"
    if kind in ("greater_than_equal", "greater_than"):
        return f"must be {_bound(ctx.get('ge', ctx.get('gt')))} or more (got {_show(got)})"
    if kind in ("less_than_equal", "less_than"):
        return f"must be at most {_bound(ctx.get('le', ctx.get('lt')))} (got {_show(got)})"
    if kind in ("string_too_short", "too_short"):
        return "must not be empty"
    if kind in _TYPE_WORDS:
        return f"must be {_TYPE_WORDS[kind]} (got {_show(got)})"
    return str(error["msg"])


def _raise(source: str, problems: list[tuple[str, str]]) -> None:
    if not problems:
        return
    head = "; ".join(f"{path}: {what}" for path, what in problems[:3])
    more = f"; and {len(problems) - 3} more problem(s)" if len(problems) > 3 else ""
    raise CaseError(f"{source}: {head}{more}")


def _consistency(case: Case) -> list[tuple[str, str]]:
    """Impossible combinations of facts: dates out of order, dates after the assessment, contradictions."""
    problems: list[tuple[str, str]] = []
    on = case.assessed_on
    born = case.person.birth_date

    def not_after_assessment(path: str, when: dt.date | None) -> None:
        if when is not None and when > on:
            problems.append((path, f"{when.isoformat()} is after assessed_on {on.isoformat()}"))

    def not_before_birth(path: str, when: dt.date | None) -> None:
        if when is not None and born is not None and when < born:
            problems.append((path, f"{when.isoformat()} is before person.birth_date {born.isoformat()}"))

    not_after_assessment("person.birth_date", born)
    if born is not None and born <= on and case.person.age is not None:
        derived = completed_years(born, on)
        if derived != case.person.age:
            problems.append(("person.age", f"{case.person.age} disagrees with person.birth_date {born.isoformat()} "
                             f"(age {derived} on assessed_on {on.isoformat()}); give one, or make them agree"))
    age = case.age() if born is None or born <= on else None
    if age is not None and case.person.years_in_us is not None and case.person.years_in_us > age + 1:
        problems.append(("person.years_in_us", f"{case.person.years_in_us:g} is more than the person's age ({age})"))
    not_after_assessment("entry.date", case.entry.date)
    not_before_birth("entry.date", case.entry.date)
    appr = case.apprehension
    not_after_assessment("apprehension.date", appr.date)
    if appr.date is not None and case.entry.date is not None and appr.date < case.entry.date:
        problems.append(("apprehension.date", f"{appr.date.isoformat()} is before entry.date {case.entry.date.isoformat()}"))
    if appr.attempting_unlawful_entry is True and appr.location == "interior":
        problems.append(("apprehension.attempting_unlawful_entry",
                         "is true, but an attempted unlawful entry happens at the border or a port of entry, "
                         "not at location interior"))
    for i, offense in enumerate(case.criminal_history):
        not_after_assessment(f"criminal_history[{i}].date", offense.date)
        not_before_birth(f"criminal_history[{i}].date", offense.date)
    return problems


def parse_case(data: Any, source: str = "case") -> Case:
    """Validate already-parsed case data; every problem is a ``CaseError`` naming the field."""
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "empty" if data is None else f"a single value ({_show(data)})"
        raise CaseError(f"{source}: a case file must be a mapping of fields (case_id, assessed_on, person, ...), "
                        f"but this one is {kind}")
    try:
        case = Case.model_validate(data)
    except ValidationError as exc:
        seen: dict[str, str] = {}
        for error in exc.errors():
            seen.setdefault(_loc(tuple(error["loc"])), _problem(error))
        _raise(source, list(seen.items()))
        raise  # unreachable: a ValidationError always has errors
    _raise(source, _consistency(case))
    return case


class _UniqueKeyLoader:  # built lazily so that importing this module does not import yaml
    cls: Any = None

    @classmethod
    def get(cls) -> Any:
        if cls.cls is None:
            import yaml

            class Loader(yaml.SafeLoader):
                pass

            def construct_mapping(loader: Any, node: Any, deep: bool = False) -> dict[Any, Any]:
                keys = [loader.construct_object(k, deep=deep) for k, _ in node.value]
                for key in keys:
                    if keys.count(key) > 1:
                        raise yaml.constructor.ConstructorError(
                            None, None, f"the field '{key}' appears twice in one mapping", node.start_mark)
                return loader.construct_mapping(node, deep=deep)

            def construct_timestamp(loader: Any, node: Any) -> Any:
                try:
                    return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
                except ValueError:  # e.g. 2022-13-01: left as text, so the field's validator names it
                    return loader.construct_scalar(node)

            Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
            Loader.add_constructor("tag:yaml.org,2002:timestamp", construct_timestamp)
            cls.cls = Loader
        return cls.cls


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    duplicate = next((k for k in keys if keys.count(k) > 1), None)
    if duplicate is not None:
        raise ValueError(f"the field '{duplicate}' appears twice in one object")
    return dict(pairs)


def load_case(path: Path) -> Case:
    """Read a case file (YAML or JSON, told apart by content) and validate it."""
    import yaml

    path = Path(path)
    source = f"case file {path}"
    if not path.exists():
        raise CaseError(f"{source}: no such file; check the path")
    if path.is_dir():
        raise CaseError(f"{source}: is a folder, not a case file")
    try:
        raw = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CaseError(f"{source}: is not a YAML or JSON text file (it is not UTF-8 text)") from None
    except OSError as exc:
        raise CaseError(f"{source}: cannot be read ({exc.strerror})") from None
    if not raw.strip():
        raise CaseError(f"{source}: the file is empty; see CONTRACTS section 3 for the fields of a case file")
    if "\x00" in raw:
        raise CaseError(f"{source}: is not a YAML or JSON text file (it holds binary data)")
    data: Any
    if raw.lstrip().startswith(("{", "[")):
        try:
            data = json.loads(raw, object_pairs_hook=_unique_pairs)
        except json.JSONDecodeError as exc:
            raise CaseError(f"{source}: is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
        except ValueError as exc:  # a duplicate key
            raise CaseError(f"{source}: is not valid JSON: {exc}") from None
    else:
        try:
            data = yaml.load(raw, Loader=_UniqueKeyLoader.get())  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
            what = getattr(exc, "problem", None) or str(exc)
            raise CaseError(f"{source}: is not valid YAML or JSON: {what}{where}") from None
    if data is None:
        raise CaseError(f"{source}: the file holds no fields (only comments or blank lines)")
    return parse_case(data, source)
