"""The rule table of the case factor analysis (``corpus/rules/<doc_id>.yaml``) and its condition language.

Rules are data with provenance: each row binds a priority or factor anchor to the passage it
encodes, to the case-fact condition that triggers it and to the fact text the memo shows. This
module parses and validates the table (an unknown anchor, setting, path, operator or placeholder
is a ``ConfigError`` at load time) and evaluates conditions; ``analysis.py`` applies the rules to a
case. The language itself is documented at the top of the rules file.
"""

from __future__ import annotations

import operator
import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, ValidationError

from assistant.config import AnalysisSettings
from assistant.corpus.manifest import GUIDELINES_ID, load_manifest
from assistant.errors import ConfigError

from .models import Apprehension, Circumstances, Entry, NationalSecurity, Offense, Person

RULES_DIR = "rules"
PRIORITIES = ("priority.national_security", "priority.public_safety", "priority.border_security")
AGGRAVATING = ("agg.offense_gravity", "agg.harm", "agg.sophistication", "agg.weapon", "agg.prior_record")
MITIGATING = (
    "mit.age", "mit.lengthy_presence", "mit.condition", "mit.victim_witness", "mit.family_impact",
    "mit.relief_eligibility", "mit.service", "mit.rehabilitation", "mit.vacated_expunged", "mit.labor_tenant_rights",
)
"""The rule ids in the memo's order (docs/CONTRACTS.md section 1)."""
KINDS = {**{a: "priority" for a in PRIORITIES}, **{a: "aggravating" for a in AGGRAVATING},
         **{a: "mitigating" for a in MITIGATING}}
OUTCOMES = ("meets", "does_not_meet", "officer_assessment", "insufficient_facts")

_SECTIONS = {"person": Person, "entry": Entry, "apprehension": Apprehension,
             "national_security": NationalSecurity, "circumstances": Circumstances}
CASE_PATHS = frozenset(
    {f"{name}.{field}" for name, model in _SECTIONS.items() for field in model.model_fields}
    | {"criminal_history", "record.latest_offense_date", "record.years_since_last_offense",
       "record.prior_serious_convictions", "record.prior_serious_offenses"}
)
OFFENSE_PATHS = frozenset(
    {f"offense.{field}" for field in Offense.model_fields} | {"offense.standing", "offense.conduct_without_conviction"}
)
SETTINGS = frozenset(AnalysisSettings.model_fields)
CASE_PLACEHOLDERS = frozenset({
    "case_id", "assessed_on", "age", "age_basis", "years_in_us", "years_in_us_basis", "family_in_us",
    "relief_eligibility", "service", "rehabilitation", "latest_offense_date", "years_since_last_offense",
    "prior_serious_convictions", "prior_serious_list", "prior_serious_offenses", "prior_serious_counted",
}) | SETTINGS
OFFENSE_PLACEHOLDERS = frozenset(
    {"ref", "index", "offense", "date", "sentence", "harm", "weapon_text", "sophistication", "disposition"}
)

OPS = {"==": operator.eq, "!=": operator.ne, ">=": operator.ge, ">": operator.gt, "<=": operator.le,
       "<": operator.lt, "in": lambda a, b: a in b}


# --- conditions -----------------------------------------------------------------------------------


class Scope(Protocol):
    """What a condition is evaluated against: facts by path, the settings, and the offenses."""

    settings: AnalysisSettings

    def get(self, path: str) -> Any:
        """The fact at ``path``; None when unknown."""

    @property
    def offenses(self) -> list[Scope]:
        """One scope per offense of the criminal history (paths ``offense.*``)."""


@dataclass(frozen=True)
class Condition:
    """A node of the condition language: ``kind`` is all, any, not, is_true, nonempty, compare or any_offense."""

    kind: str
    items: tuple[Condition, ...] = ()
    path: str = ""
    op: str = ""
    value: Any = None
    setting: str | None = None

    def holds(self, scope: Scope) -> bool:
        """Whether the condition holds; an unknown fact satisfies no comparison."""
        if self.kind == "all":
            return all(c.holds(scope) for c in self.items)
        if self.kind == "any":
            return any(c.holds(scope) for c in self.items)
        if self.kind == "not":
            return not self.items[0].holds(scope)
        if self.kind == "any_offense":
            return any(self.items[0].holds(o) for o in scope.offenses)
        actual = scope.get(self.path)
        if self.kind == "is_true":
            return actual is True
        if self.kind == "nonempty":
            return bool(actual)
        expected = getattr(scope.settings, self.setting) if self.setting else self.value
        return actual is not None and bool(OPS[self.op](actual, expected))

    def settings_used(self) -> set[str]:
        """The settings this condition compares against."""
        own = {self.setting} if self.setting else set()
        return own.union(*(c.settings_used() for c in self.items))


def _choices(path: str) -> tuple[Any, ...] | None:
    """The allowed values of an enumerated case field, e.g. offense.weapon; None if not enumerated."""
    head, _, field = path.partition(".")
    model = Offense if head == "offense" else _SECTIONS.get(head)
    info = model.model_fields.get(field) if model else None
    if info is None:
        return None
    out: list[Any] = []
    stack = [info.annotation]
    while stack:
        annotation = stack.pop()
        if get_origin(annotation) is Literal:
            out.extend(get_args(annotation))
        else:
            stack.extend(get_args(annotation))
    return tuple(out) or None


def parse_condition(raw: Any, where: str, offense_scope: bool = False) -> Condition:
    """Parse one condition of the rules file; ``where`` names it in error messages."""
    paths = OFFENSE_PATHS if offense_scope else CASE_PATHS

    def path_of(value: Any, key: str) -> str:
        if value not in paths:
            scope = "inside any_offense, paths start with 'offense.'" if offense_scope else "see the rules file header"
            raise ConfigError(f"{where}: {key}: unknown path {value!r} ({scope})")
        return value

    if not isinstance(raw, dict) or not raw:
        raise ConfigError(f"{where}: a condition must be a mapping such as {{is_true: PATH}} (got {raw!r})")
    keys = set(raw)
    if keys in ({"all"}, {"any"}):
        (key,) = keys
        items = raw[key]
        if not isinstance(items, list) or not items:
            raise ConfigError(f"{where}.{key}: must be a non-empty list of conditions")
        return Condition(key, tuple(parse_condition(c, f"{where}.{key}[{i}]", offense_scope) for i, c in enumerate(items)))
    if keys == {"not"}:
        return Condition("not", (parse_condition(raw["not"], f"{where}.not", offense_scope),))
    if keys == {"any_offense"}:
        if offense_scope:
            raise ConfigError(f"{where}: any_offense cannot be nested inside any_offense")
        return Condition("any_offense", (parse_condition(raw["any_offense"], f"{where}.any_offense", True),))
    if keys in ({"is_true"}, {"nonempty"}):
        (key,) = keys
        return Condition(key, path=path_of(raw[key], key))
    if "field" in keys and "op" in keys and keys <= {"field", "op", "value", "setting"}:
        path, op = path_of(raw["field"], "field"), raw["op"]
        if op not in OPS:
            raise ConfigError(f"{where}: unknown operator {op!r}; use one of {' '.join(OPS)}")
        if ("value" in keys) == ("setting" in keys):
            raise ConfigError(f"{where}: a comparison needs exactly one of value and setting")
        setting = raw.get("setting")
        if setting is not None and setting not in SETTINGS:
            raise ConfigError(f"{where}: unknown setting {setting!r}; the settings are {', '.join(sorted(SETTINGS))}")
        value = raw.get("value")
        choices = _choices(path)
        if choices is not None and setting is None:
            for v in value if op == "in" and isinstance(value, list) else [value]:
                if v not in choices:
                    raise ConfigError(f"{where}: {v!r} is not a value of {path} ({', '.join(map(str, choices))})")
        if op == "in" and setting is None and not isinstance(value, list):
            raise ConfigError(f"{where}: with op 'in', value must be a list")
        return Condition("compare", path=path, op=op, value=value, setting=setting)
    raise ConfigError(f"{where}: unknown condition with keys {sorted(keys)}; see the rules file header")


# --- rules ----------------------------------------------------------------------------------------


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, (str, dict)) else value


class FactTemplate(BaseModel):
    """One fact text of a rule, shown when its optional condition holds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str
    when: dict[str, Any] | None = None

    @classmethod
    def of(cls, value: Any) -> Any:
        """A plain string is a template without a condition."""
        return {"text": value} if isinstance(value, str) else value


class Rule(BaseModel):
    """One row of the rule table: an anchor, its passage, its trigger and its fact text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="The anchor of the priority or factor.")
    kind: Literal["priority", "aggravating", "mitigating"]
    passage: str = Field(description="The anchor of the passage the rule encodes (in doc_id).")
    doc_id: str = GUIDELINES_ID
    description: str
    when: dict[str, Any] | None = Field(None, description="The triggering condition, as written.")
    fact: Annotated[list[Annotated[FactTemplate, BeforeValidator(FactTemplate.of)]], BeforeValidator(_as_list)] = []
    threshold: Annotated[list[str], BeforeValidator(_as_list)] = Field(default_factory=list)
    note: str = ""
    conduct_note: str = Field(
        "", description="Shown with the factor when a fact comes from conduct in the record without a conviction "
        "(charged, pending, dismissed); {conduct} lists those offenses.",
    )
    quote_sentences: int = Field(1, ge=1, le=5, description="Sentences of the passage the citation quotes.")
    outcomes: dict[str, str] = Field(default_factory=dict, description="Priorities: outcome -> what leads to it.")
    _condition: Condition | None = PrivateAttr(None)
    _fact_conditions: tuple[Condition | None, ...] = PrivateAttr(())

    @property
    def condition(self) -> Condition | None:
        """The parsed triggering condition (None for priorities)."""
        return self._condition

    @property
    def per_offense(self) -> bool:
        """Whether the rule gives one fact per matching offense (its condition is an any_offense)."""
        return self._condition is not None and self._condition.kind == "any_offense"

    def fact_conditions(self) -> tuple[Condition | None, ...]:
        """The parsed conditions of the fact templates, in order."""
        return self._fact_conditions


def _placeholders(template: str, where: str, allowed: frozenset[str]) -> None:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise ConfigError(f"{where}: malformed template: {exc}") from None
    unknown = sorted(n for n in names if n not in allowed)
    if unknown:
        raise ConfigError(f"{where}: unknown placeholder(s) {', '.join(unknown)}; see the rules file header")


def _validate(rule: Rule, where: str, anchors: set[str]) -> None:
    if rule.id not in KINDS:
        raise ConfigError(f"{where}: unknown rule id {rule.id!r}; the ids are the anchors of docs/CONTRACTS.md section 1")
    if rule.kind != KINDS[rule.id]:
        raise ConfigError(f"{where}: kind must be {KINDS[rule.id]} for {rule.id} (got {rule.kind})")
    if rule.doc_id != GUIDELINES_ID or rule.passage not in anchors:
        raise ConfigError(f"{where}: passage {rule.passage!r} is not an anchor of {rule.doc_id}")
    unknown_settings = [s for s in rule.threshold if s not in SETTINGS]
    if unknown_settings:
        raise ConfigError(f"{where}: unknown setting(s) {', '.join(unknown_settings)} in threshold")
    if rule.kind == "priority":
        if rule.when is not None or rule.fact or not rule.outcomes or set(rule.outcomes) - set(OUTCOMES):
            raise ConfigError(f"{where}: a priority has outcomes (keys among {', '.join(OUTCOMES)}) and no when or fact")
        return
    if rule.when is None or not rule.fact:
        raise ConfigError(f"{where}: a factor needs a when condition and a fact template")
    condition = parse_condition(rule.when, f"{where}: when")
    per_offense = condition.kind == "any_offense"
    allowed = CASE_PLACEHOLDERS | (OFFENSE_PLACEHOLDERS if per_offense else frozenset())
    fact_conditions = []
    for i, template in enumerate(rule.fact):
        _placeholders(template.text, f"{where}: fact[{i}]", allowed)
        fact_conditions.append(
            None if template.when is None else parse_condition(template.when, f"{where}: fact[{i}].when", per_offense)
        )
    _placeholders(rule.note, f"{where}: note", CASE_PLACEHOLDERS)
    _placeholders(rule.conduct_note, f"{where}: conduct_note", frozenset({"conduct"}))
    used = condition.settings_used()
    if used != set(rule.threshold):
        raise ConfigError(f"{where}: threshold must name exactly the settings the condition uses ({', '.join(sorted(used)) or 'none'})")
    rule._condition = condition
    rule._fact_conditions = tuple(fact_conditions)


def rules_path(corpus_dir: Path, doc_id: str = GUIDELINES_ID) -> Path:
    """Where the rule table of ``doc_id`` lives."""
    return Path(corpus_dir) / RULES_DIR / f"{doc_id}.yaml"


def load_rules(corpus_dir: Path) -> list[Rule]:
    """The validated rule table of the 2021 guidelines: priorities, aggravating, mitigating, in the memo's order."""
    path = rules_path(corpus_dir).resolve()
    if not path.is_file():
        raise ConfigError(f"no rule table at {path}; the corpus folder must hold rules/{GUIDELINES_ID}.yaml")
    return list(_load_rules_cached(path, path.stat().st_mtime_ns, Path(corpus_dir).resolve()))


@lru_cache(maxsize=8)
def _load_rules_cached(path: Path, _mtime: int, corpus_dir: Path) -> tuple[Rule, ...]:
    import yaml

    meta = load_manifest(corpus_dir).get(GUIDELINES_ID)
    anchors = set(meta.anchors) if meta else set()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"the rule table {path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise ConfigError(f"the rule table {path} must be a mapping with a list 'rules'")
    rules: dict[str, Rule] = {}
    for i, raw in enumerate(data["rules"]):
        where = f"rule table {path.name}: rules[{i}]" + (f" ({raw.get('id')})" if isinstance(raw, dict) else "")
        try:
            rule = Rule.model_validate(raw)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise ConfigError(f"{where}: {problems}") from None
        _validate(rule, where, anchors)
        if rule.id in rules:
            raise ConfigError(f"{where}: a second rule for {rule.id}")
        rules[rule.id] = rule
    missing = [a for a in KINDS if a not in rules]
    if missing:
        raise ConfigError(f"the rule table {path} has no rule for {', '.join(missing)}")
    return tuple(rules[a] for a in (*PRIORITIES, *AGGRAVATING, *MITIGATING))
