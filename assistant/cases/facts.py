"""Case files (docs/CONTRACTS.md, case files): YAML or JSON validated into typed, immutable case facts.

Every problem with a case file becomes one ``CaseError`` whose message names the field path and
the problem (``case file hx.yaml: criminal_history[0].weapon: must be one of ...``). The models
themselves are in ``models``; their names are importable from here too.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

from assistant.errors import InputError

from .models import (
    Apprehension,
    Case,
    Circumstances,
    Entry,
    EntryManner,
    Harm,
    Location,
    NationalSecurity,
    Offense,
    Person,
    Sophistication,
    Weapon,
    completed_years,
    items_text,
    show_value,
    years_between,
)

__all__ = [
    "Apprehension", "Case", "CaseError", "Circumstances", "Entry", "EntryManner", "Harm", "Location", "NationalSecurity",
    "Offense", "Person", "Sophistication", "Weapon", "completed_years", "items_text", "load_case", "parse_case",
    "read_case_bytes", "years_between",
]


class CaseError(InputError):
    """A case file cannot be used: missing, unreadable, or with a field that fails validation.

    ``problems`` holds every (field path, problem) pair found, also those the message leaves out
    after the third, so a form can show each one next to its field."""

    def __init__(self, message: str, problems: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.problems: list[tuple[str, str]] = list(problems or [])


MAX_DEPTH = 32
"""Deepest nesting of mappings and lists a case file may have (a real one has 3: criminal_history[0].field)."""


def _too_deep(data: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether ``data`` nests mappings or lists more than ``limit`` deep (walked without recursion)."""
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth >= limit:
                return True
            stack.extend((v, depth + 1) for v in (value.values() if isinstance(value, dict) else value))
    return False


# --- loading and messages -----------------------------------------------------------------------


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
        allowed = ", ".join(model.model_fields) if model else "see docs/CONTRACTS.md section 3"
        return f"unknown field; allowed fields here are {allowed}"
    if kind == "missing":
        return "is required but missing"
    if kind == "literal_error":
        options = ", ".join(re.findall(r"'([^']*)'", str(ctx.get("expected", ""))))
        return f"must be one of {options} (got {show_value(got)})"
    if kind in ("greater_than_equal", "greater_than"):
        return f"must be {_bound(ctx.get('ge', ctx.get('gt')))} or more (got {show_value(got)})"
    if kind in ("less_than_equal", "less_than"):
        return f"must be at most {_bound(ctx.get('le', ctx.get('lt')))} (got {show_value(got)})"
    if kind in ("string_too_short", "too_short"):
        return "must not be empty"
    if kind in _TYPE_WORDS:
        return f"must be {_TYPE_WORDS[kind]} (got {show_value(got)})"
    return str(error["msg"])


def _raise(source: str, problems: list[tuple[str, str]]) -> None:
    if not problems:
        return
    head = "; ".join(f"{path}: {what}" for path, what in problems[:3])
    extra = len(problems) - 3
    more = f"; and {extra} more problem{'' if extra == 1 else 's'}" if extra > 0 else ""
    raise CaseError(f"{source}: {head}{more}", problems)


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
        kind = "a list" if isinstance(data, list) else "empty" if data is None else f"a single value ({show_value(data)})"
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
                duplicate = first_duplicate(loader.construct_object(k, deep=deep) for k, _ in node.value)
                if duplicate is not None:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"the field '{duplicate}' appears twice in one mapping", node.start_mark)
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


def first_duplicate(keys: Iterable[Any]) -> Any:
    """The first key seen twice, or None; one pass (a set), so 40,000 keys take milliseconds, not seconds."""
    seen: set[Any] = set()
    for key in keys:
        try:
            if key in seen:
                return key
            seen.add(key)
        except TypeError:  # an unhashable YAML key (a mapping as key): the YAML constructor refuses it itself
            continue
    return None


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    duplicate = first_duplicate(k for k, _ in pairs)
    if duplicate is not None:
        raise ValueError(f"the field '{duplicate}' appears twice in one object")
    return dict(pairs)


def load_case(path: Path) -> Case:
    """Read a case file (YAML or JSON, told apart by content) and validate it."""
    path = Path(path)
    source = f"case file {path}"
    if not path.exists():
        raise CaseError(f"{source}: no such file; check the path")
    if path.is_dir():
        raise CaseError(f"{source}: is a folder, not a case file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CaseError(f"{source}: cannot be read ({exc.strerror})") from None
    return read_case_bytes(raw, source)


def read_case_bytes(raw: bytes, source: str = "case file") -> Case:
    """Validate the bytes of a case file (an upload, say); ``source`` names it in every message."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CaseError(f"{source}: is not a YAML or JSON text file (it is not UTF-8 text)") from None
    if not text.strip():
        raise CaseError(f"{source}: the file is empty; see docs/CONTRACTS.md (case files) for the fields of a case file")
    if "\x00" in text:
        raise CaseError(f"{source}: is not a YAML or JSON text file (it holds binary data)")
    data: Any
    too_deep = f"{source}: nests its fields more than {MAX_DEPTH} deep; a case file has at most 3 levels (docs/CONTRACTS.md)"
    try:
        data = _parse_text(text, source)
    except RecursionError:  # the parsers recurse: thousands of nested brackets exhaust the stack before any check
        raise CaseError(too_deep) from None
    if data is None:
        raise CaseError(f"{source}: the file holds no fields (only comments or blank lines)")
    if _too_deep(data):
        raise CaseError(too_deep)
    return parse_case(data, source)


def _parse_text(text: str, source: str) -> Any:
    """The JSON or YAML value of a case file's text (duplicate fields refused)."""
    import yaml

    data: Any
    if text.lstrip().startswith(("{", "[")):
        try:
            data = json.loads(text, object_pairs_hook=_unique_pairs)
        except json.JSONDecodeError as exc:
            raise CaseError(f"{source}: is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
        except ValueError as exc:  # a duplicate key
            raise CaseError(f"{source}: is not valid JSON: {exc}") from None
    else:
        try:
            data = yaml.load(text, Loader=_UniqueKeyLoader.get())  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
            what = getattr(exc, "problem", None) or str(exc)
            raise CaseError(f"{source}: is not valid YAML or JSON: {what}{where}") from None
    return data
