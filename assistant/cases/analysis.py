"""Case factor analysis: the rule table applied to a case's facts (docs/CONTRACTS.md section 4).

The factors come from the rule table (``rules.py``, ``corpus/rules/dhs-2021-guidelines.yaml``):
each triggered rule gives a factor with the facts that trigger it, a citation of the passage it
encodes and, where the guidelines set no number, a note naming the setting used. The three
priorities have several outcomes each and are decided here in code, with reasons that name the
facts they rest on. The tool lays the factors out and never makes the officer's totality judgment:
public safety is never ``meets``.

Decisions where the guidelines are silent: the gravity of the offense of conviction comes only
from standing convictions (convicted, neither vacated nor expunged); harm, sophistication, a weapon
and a serious prior record also come from conduct in the record without a conviction (charged,
pending, dismissed), each fact saying so and the factor carrying a note, because the memo asks
personnel to review the whole record rather than rely on the fact of conviction alone. An
acquittal, or an offense whose disposition is not recorded, aggravates nothing; a vacated or
expunged conviction triggers ``mit.vacated_expunged`` instead. Public safety is never decided by
the tool, not even for an empty record: no category decides it. Border security reads the two
prongs literally with three-valued logic (true, false, unknown), so a missing fact gives
``insufficient_facts`` only when it could change the outcome; the second prong is not limited to
the interior.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assistant.check.analyses import Leniency, check_analysis
from assistant.citations.cite import cite_anchor
from assistant.config import AnalysisSettings
from assistant.corpus.manifest import GUIDELINES_ID, load_manifest
from assistant.corpus.status import headline, status_on
from assistant.errors import ConfigError
from assistant.types import FactorAnalysis, FactorFinding, FrameworkStatus, PriorityFinding

from .facts import Case, Offense, items_text, parse_case, years_between
from .rules import Rule, load_rules

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.corpus.passages import PassageSet

__all__ = ["BORDER_CUTOFF", "Rule", "analyze", "load_rules"]

BORDER_CUTOFF = dt.date(2020, 11, 1)
"""Second prong of border security: an unlawful entry strictly after this date."""


def _num(value: float | None) -> str:
    if value is None:
        return "unknown"
    return f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.1f}"


def _day(value: dt.date | None) -> str:
    return value.isoformat() if value else "date unknown"


def _ref(index: int, offense: Offense) -> str:
    # Numbered from 1, as a person counts the rows of the criminal history (the file's path is zero-based).
    return f"{offense.offense}, {_day(offense.date)} (offense {index + 1})"


@dataclass
class _OffenseScope:
    """An offense as the condition language sees it (paths ``offense.*``)."""

    index: int
    offense: Offense
    settings: AnalysisSettings
    offenses: list[Any] = field(default_factory=list)

    def get(self, path: str) -> Any:
        return getattr(self.offense, path.removeprefix("offense."))

    def context(self) -> dict[str, str]:
        o = self.offense
        return {
            "ref": _ref(self.index, o), "index": str(self.index), "offense": o.offense, "date": _day(o.date),
            "sentence": f"{o.sentence_months} months" if o.sentence_months is not None else "not recorded",
            "harm": o.harm or "unknown", "sophistication": o.sophistication or "unknown",
            "weapon_text": {"firearm": "a firearm", "dangerous_weapon": "a dangerous weapon"}.get(o.weapon or "", "no weapon"),
            "disposition": o.disposition or ("not convicted" if o.convicted is False else "not recorded"),
        }


@dataclass
class _CaseScope:
    """The case as the condition language sees it, with the derived record values."""

    case: Case
    settings: AnalysisSettings
    offenses: list[_OffenseScope] = field(init=False)
    latest_known: dt.date | None = field(init=False)
    prior_serious: list[tuple[int, Offense]] = field(init=False)
    prior_serious_record: list[tuple[int, Offense]] = field(init=False)

    def __post_init__(self) -> None:
        history = self.case.criminal_history
        self.offenses = [_OffenseScope(i, o, self.settings) for i, o in enumerate(history)]
        dated = [o.date for o in history if o.date is not None]
        self.latest_known = max(dated, default=None)
        latest = self.latest_known
        prior = [(i, o) for i, o in enumerate(history)
                 if latest and o.serious is True and o.date is not None and o.date < latest]
        self.prior_serious = [(i, o) for i, o in prior if o.standing]
        self.prior_serious_record = [(i, o) for i, o in prior if o.standing or o.conduct_without_conviction]

    @property
    def latest_offense_date(self) -> dt.date | None:
        """The most recent offense's date; unknown when any offense is undated."""
        history = self.case.criminal_history
        return self.latest_known if history and all(o.date for o in history) else None

    def get(self, path: str) -> Any:
        if path == "person.age":
            return self.case.age()
        if path == "person.years_in_us":
            return self.case.years_in_us()
        if path == "criminal_history":
            return self.case.criminal_history
        if path == "record.latest_offense_date":
            return self.latest_offense_date
        if path == "record.years_since_last_offense":
            latest = self.latest_offense_date
            return years_between(latest, self.case.assessed_on) if latest else None
        if path in ("record.prior_serious_convictions", "record.prior_serious_offenses"):
            if not self.case.criminal_history:
                return 0
            found = self.prior_serious if path.endswith("convictions") else self.prior_serious_record
            return len(found) if self.latest_known else None
        section, _, name = path.partition(".")
        return getattr(getattr(self.case, section), name)

    def context(self) -> dict[str, str]:
        c, person = self.case, self.case.person
        age_basis = "as given" if person.age is not None else f"from the birth date {_day(person.birth_date)}"
        years_basis = "as given" if person.years_in_us is not None else f"since entry on {_day(c.entry.date)}"
        listed = lambda items: items_text(items) or "none recorded"  # noqa: E731
        return {
            "case_id": c.case_id, "assessed_on": c.assessed_on.isoformat(),
            "age": _num(c.age()), "age_basis": age_basis,
            "years_in_us": _num(c.years_in_us()), "years_in_us_basis": years_basis,
            "family_in_us": listed(c.circumstances.family_in_us),
            "relief_eligibility": listed(c.circumstances.relief_eligibility),
            "service": listed(c.circumstances.service), "rehabilitation": listed(c.circumstances.rehabilitation),
            "latest_offense_date": _day(self.latest_known),
            "years_since_last_offense": _num(self.get("record.years_since_last_offense")),
            "prior_serious_convictions": str(len(self.prior_serious)),
            "prior_serious_offenses": str(len(self.prior_serious_record)),
            "prior_serious_counted": _counted(len(self.prior_serious_record), "serious earlier offense",
                                              "serious earlier offenses"),
            "prior_serious_list": "; ".join([_ref(i, o) + ("" if o.standing else f", no conviction: {o.disposition}")
                                          for i, o in self.prior_serious_record]),
            **{name: _num(float(value)) for name, value in self.settings.model_dump().items()},
        }


# --- factors --------------------------------------------------------------------------------------


def _facts(rule: Rule, scope: _CaseScope) -> tuple[list[str], list[Offense]]:
    """The fact texts of a triggered rule (per matching offense, or per template whose condition holds),
    and the offenses without a conviction that gave a fact."""
    base = scope.context()
    targets: list[tuple[Any, dict[str, str]]]
    if rule.per_offense:
        inner = rule.condition.items[0]  # type: ignore[union-attr]
        targets = [(o, {**base, **o.context()}) for o in scope.offenses if inner.holds(o)]
    else:
        targets = [(scope, base)]
    facts, conduct = [], []
    for target, context in targets:
        for template, condition in zip(rule.fact, rule.fact_conditions()):
            if condition is None or condition.holds(target):
                # The template's own whitespace is folded before the case's words go in, so those stay as written.
                facts.append(" ".join(template.text.split()).format(**context))
                if isinstance(target, _OffenseScope) and target.offense.conduct_without_conviction:
                    conduct.append((target.index, target.offense))
    if not rule.per_offense and rule.conduct_note:
        conduct = [(i, o) for i, o in scope.prior_serious_record if o.conduct_without_conviction]
    if not facts:
        raise ConfigError(f"rule {rule.id} was triggered but none of its fact templates applies; fix the rule table")
    return facts, list(dict.fromkeys(conduct))


def _factor(rule: Rule, scope: _CaseScope, source: PassageSet, labels: dict[str, str]) -> FactorFinding:
    note = " ".join(rule.note.split()).format(**scope.context()) if rule.note else ""
    if rule.threshold and not note:
        used = ", ".join(f"{s} = {_num(float(getattr(scope.settings, s)))}" for s in rule.threshold)
        note = f"The guidelines set no number; this analysis uses {used}, a setting."
    facts, conduct = _facts(rule, scope)
    if conduct and rule.conduct_note:
        listed = "; ".join(f"{_ref(i, o)}: {o.disposition}" for i, o in conduct)
        note = f"{note} {' '.join(rule.conduct_note.split()).format(conduct=listed)}".strip()
    return FactorFinding(
        id=rule.id, label=labels.get(rule.id, rule.description), facts=facts,
        citations=[cite_anchor(source, rule.passage, rule.doc_id, rule.quote_sentences)], note=note,
    )


# --- priorities -----------------------------------------------------------------------------------


def _flag(value: bool | None) -> str:
    return "not recorded" if value is None else str(value).lower()


def _national_security(case: Case) -> tuple[str, list[str]]:
    ns = case.national_security
    terror = f"national_security.terrorism_or_espionage: {_flag(ns.terrorism_or_espionage)}"
    other = f"national_security.other_danger: {_flag(ns.other_danger)}"
    if ns.terrorism_or_espionage is True:
        return "meets", [f"The case file records that the person engaged in, or is suspected of, terrorism or "
                         f"espionage or related activities ({terror})."]
    if ns.other_danger is True:
        return "officer_assessment", [
            f"The case file records another danger to national security ({other}) but no terrorism or espionage "
            f"({terror}); the guidelines leave this catch-all ground undefined, so whether it applies is the "
            "officer's assessment."]
    return "does_not_meet", [f"The case file records no terrorism or espionage, engaged in or suspected ({terror}), "
                             f"and no other danger to national security ({other})."]


def _offense_summary(offense: Offense) -> str:
    if offense.convicted is True:
        status = "conviction vacated or expunged" if offense.vacated_or_expunged else "convicted"
    elif offense.disposition is not None:
        status = f"no conviction: {offense.disposition}"
    else:
        status = "not convicted" if offense.convicted is False else "conviction not recorded"
    parts = [status]
    if offense.sentence_months is not None:
        parts.append(f"sentence {offense.sentence_months} month{'' if offense.sentence_months == 1 else 's'}")
    if offense.serious is not None:
        parts.append("marked serious" if offense.serious else "not marked serious")
    return f"{offense.offense}, {_day(offense.date)} ({'; '.join(parts)})"


def _counted(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _public_safety(case: Case, aggravating: list[FactorFinding], mitigating: list[FactorFinding]) -> tuple[str, list[str]]:
    history = case.criminal_history
    totality = ("Whether the person is a current threat to public safety is the officer's judgment on the totality of "
                "the facts and circumstances: the guidelines set no bright lines or categories, and a conviction or a "
                "database result alone does not decide it.")
    if not history:
        return "officer_assessment", [
            "The case file records no criminal conduct (criminal_history is empty). A threat to public safety is "
            "typically, though not necessarily, based on serious criminal conduct.",
            totality,
            "This file records no offense; it does not hold the rest of the criminal and administrative record or "
            "other investigative information, which the guidelines ask personnel to review.",
        ]
    reasons = [
        f"The criminal history lists {_counted(len(history), 'offense', 'offenses')}: "
        + "; ".join(map(_offense_summary, history)) + ".",
        totality,
    ]

    def ids(found: list[FactorFinding]) -> str:
        return f" ({', '.join(f.id for f in found)})" if found else ""

    reasons.append(f"The recorded facts trigger {_counted(len(aggravating), 'aggravating factor', 'aggravating factors')}"
                   f"{ids(aggravating)} and {_counted(len(mitigating), 'mitigating factor', 'mitigating factors')}"
                   f"{ids(mitigating)}, laid out below for that judgment.")
    if not any(o.standing for o in history):
        relied = [o for o in history if o.conduct_without_conviction]
        reasons.append("No offense in the record is a standing conviction (convicted, neither vacated nor expunged), so "
                       "this analysis derives no aggravating factor from a conviction"
                       + ("; conduct without a conviction is laid out, with a note, where it bears on a factor."
                          if relied else "."))
    return "officer_assessment", reasons


def _and(*values: bool | None) -> bool | None:
    """Three-valued AND: false if any is false, true if all are true, else unknown."""
    return False if any(v is False for v in values) else (True if all(v is True for v in values) else None)


def _border_security(case: Case, mitigating: list[FactorFinding]) -> tuple[str, list[str]]:
    appr, entry = case.apprehension, case.entry
    place = {"border": "the border", "port_of_entry": "a port of entry", "interior": "the interior"}
    loc = f"apprehension.location: {appr.location or 'not recorded'}"
    at_border = None if appr.location is None else appr.location in ("border", "port_of_entry")
    in_us = None if appr.location is None else True  # the border and ports of entry are in the United States too
    unlawful = {"unlawful": True, "lawful": False}.get(entry.manner)
    after = None if entry.date is None else entry.date > BORDER_CUTOFF
    prong_a = _and(at_border, appr.attempting_unlawful_entry)
    prong_b = _and(in_us, unlawful, after)
    attempting = f"apprehension.attempting_unlawful_entry: {_flag(appr.attempting_unlawful_entry)}"
    entry_facts = f"entry.manner: {entry.manner}, entry.date: {_day(entry.date)}"

    if prong_a is True:
        a = (f"Apprehended at {place[appr.location]} ({loc}) while attempting unlawful entry ({attempting}): "  # type: ignore[index]
             "the first prong applies.")
    elif at_border is False:
        a = f"Apprehended in the interior ({loc}), not at the border or a port of entry: the first prong does not apply."
    elif at_border is True and appr.attempting_unlawful_entry is False:
        a = (f"Apprehended at {place[appr.location]} ({loc}) but not while attempting unlawful entry ({attempting}): "  # type: ignore[index]
             "the first prong does not apply.")
    elif at_border is True:
        a = (f"Apprehended at {place[appr.location]} ({loc}), but the case file does not record whether the person "  # type: ignore[index]
             f"was attempting unlawful entry ({attempting}): the first prong cannot be assessed.")
    elif appr.attempting_unlawful_entry is False:
        a = f"The person was not attempting unlawful entry ({attempting}): the first prong does not apply."
    else:
        a = f"Where the person was apprehended is not recorded ({loc}): the first prong cannot be assessed."

    cutoff = "after November 1, 2020" + (" (an entry on that day does not count)" if entry.date == BORDER_CUTOFF else "")
    if prong_b is True:
        where = "in the interior" if appr.location == "interior" else f"at {place[appr.location]}, in the United States"  # type: ignore[index]
        b = (f"Apprehended {where} ({loc}) after an unlawful entry on {_day(entry.date)} ({entry_facts}), {cutoff}: "
             "the second prong applies (it is not limited to the interior).")
    elif unlawful is False:
        b = f"The person entered lawfully ({entry_facts}): the second prong, an unlawful entry {cutoff}, does not apply."
    elif after is False:
        b = f"The entry on {_day(entry.date)} ({entry_facts}) was not {cutoff}: the second prong does not apply."
    else:
        unknown = [name for name, v in (("where the person was apprehended", in_us), ("whether the entry was unlawful",
                   unlawful), ("whether the entry was after November 1, 2020", after)) if v is None]
        b = f"The case file does not record {' or '.join(unknown)} ({loc}; {entry_facts}): the second prong cannot be assessed."

    result = True if True in (prong_a, prong_b) else (False if prong_a is False and prong_b is False else None)
    if result is True:
        reasons = [a if prong_a is True else b]
        if mitigating:
            reasons.append("Even when this priority is met, mitigating or extenuating facts may weigh in favor of "
                           f"declining enforcement action; the officer weighs them: {', '.join(f.id for f in mitigating)}.")
        return "meets", reasons
    return ("does_not_meet" if result is False else "insufficient_facts"), [a, b]


# --- the analysis ---------------------------------------------------------------------------------


def _framework(source: PassageSet, settings: Settings, on: dt.date) -> FrameworkStatus:
    meta = source.metas.get(GUIDELINES_ID) or load_manifest(settings.paths.corpus_dir).get(GUIDELINES_ID)
    if meta is None or not meta.status_history:
        raise ConfigError(f"the corpus holds no status history for {GUIDELINES_ID}; the analysis cannot state its status")
    status = status_on(meta, on, source.metas or load_manifest(settings.paths.corpus_dir).documents)
    if status.state == "unknown":
        raise ConfigError(f"the status of {GUIDELINES_ID} on {on.isoformat()} is unknown")
    note = status.note
    if status.state != "in_effect":
        words, rest = headline(status.label, status.state)
        note = (f"On {on.isoformat()} the guidelines were {words.lower()}{rest}. They did not govern enforcement decisions "
                f"on that date, and this analysis shows only what they would say. {note}").strip()
    return FrameworkStatus(
        doc_id=GUIDELINES_ID, status_on_assessed_date=status.state, note=note, since=status.since, label=status.label,
        confidence=status.confidence, source=status.source, source_label=status.source_label, later=status.later,
    )


def on_date(case: Case, as_of: dt.date | None, source: str | None = None) -> Case:
    """The case assessed on ``as_of`` instead of its ``assessed_on`` (validated again: a date may now be in its future)."""
    if as_of is None or as_of == case.assessed_on:
        return case
    return parse_case({**case.model_dump(mode="python"), "assessed_on": as_of}, source or f"case {case.case_id} as of {as_of}")


def analyze(case: Case, source: PassageSet, settings: Settings, as_of: dt.date | None = None) -> FactorAnalysis:
    """The factor analysis of ``case``; ``as_of``, when given, replaces the case's assessment date."""
    case = on_date(case, as_of)
    rules = load_rules(settings.paths.corpus_dir)
    scope = _CaseScope(case, settings.analysis)
    meta = source.metas.get(GUIDELINES_ID)
    labels = dict(meta.anchors) if meta else {}
    factors = {"aggravating": [], "mitigating": []}  # type: dict[str, list[FactorFinding]]
    for rule in rules:
        if rule.kind != "priority" and rule.condition is not None and rule.condition.holds(scope):
            factors[rule.kind].append(_factor(rule, scope, source, labels))
    aggravating, mitigating = factors["aggravating"], factors["mitigating"]
    decided = {
        "priority.national_security": _national_security(case),
        "priority.public_safety": _public_safety(case, aggravating, mitigating),
        "priority.border_security": _border_security(case, mitigating),
    }
    priorities = [
        PriorityFinding(
            id=rule.id.removeprefix("priority."), finding=decided[rule.id][0], reasons=decided[rule.id][1],  # type: ignore[arg-type]
            citations=[cite_anchor(source, rule.passage, rule.doc_id, rule.quote_sentences)],
        )
        for rule in rules if rule.kind == "priority"
    ]
    return FactorAnalysis(
        case_id=case.case_id, assessed_on=case.assessed_on, framework=_framework(source, settings, case.assessed_on),
        priorities=priorities, aggravating=aggravating, mitigating=mitigating,
        thresholds={name: float(value) for name, value in settings.analysis.model_dump().items()},
    )


def assess_case(case: Case, source: PassageSet, settings: Settings) -> FactorAnalysis:
    """The analysis of ``case`` with the checker's report attached: the one "analyze, then check"."""
    analysis = analyze(case, source, settings)
    # The rules' reading of the facts is this very analysis: the checker compares against it.
    analysis.check = check_analysis(analysis, source, case=case, settings=settings, derived=analysis)
    return analysis


def check_against_case(
    analysis: FactorAnalysis, case: Case, source: PassageSet, settings: Settings, leniency: Leniency | None = None
):
    """Check an analysis (perhaps edited by a person) against what the rules derive from ``case``'s facts."""
    derived = analyze(case, source, settings)
    return check_analysis(analysis, source, case=case, settings=settings, derived=derived, leniency=leniency)
