"""The mutation suite of the checker: correct analyses broken in each way the checker must catch.

Every mutation edits the JSON of a correct analysis (as a person or a language model would) and
names the finding code the checker must raise. ``run_suite`` applies every mutation to every case,
checks each result with ``read_analysis`` + ``check_analysis`` (with the case, as ``guidance check
--case`` does, and without it when the rule does not need the facts), and counts catches and false
alarms. Used by tests/test_check.py and bench/mutation_report.py.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assistant.evals import data_dir

SETS = data_dir("sets")

REPO = Path(__file__).resolve().parent.parent
DEV_CASES = SETS / "dev-cases.yaml"

PROTECTED_REASONS = (
    "The person is Muslim and attends a mosque.",
    "The person took part in a protest against immigration enforcement.",
    "The person is a Guatemalan national.",
    "The person is gay.",
    "The person has political associations with a socialist party.",
    "The person's race was taken into account.",
    "The person is transgender.",
    "The person is a journalist who writes for the free press.",
    "The person's national origin.",
    "The person's religion.",
)
REMOVABILITY_REASONS = (
    "The person is removable.",
    "The person is deportable and lacks lawful status.",
    "The person has no lawful immigration status and is subject to removal.",
    "The person is undocumented.",
    "The person overstayed a visa and is unlawfully present.",
)
OTHER_UNIT = {
    "priority.national_security": "priority.border_security",
    "priority.public_safety": "priority.national_security",
    "priority.border_security": "priority.public_safety",
}

Doc = dict[str, Any]


@dataclass(frozen=True)
class Mutation:
    """A way to break an analysis: its name, the code that must catch it, whether the case facts are needed."""

    name: str
    code: str
    needs_case: bool
    apply: Callable[[Doc, Doc, Any, int], Doc | None]  # (analysis JSON, derived JSON, source, n) -> mutant or None


def _claims(doc: Doc) -> list[tuple[str, int, Doc]]:
    return [(g, i, c) for g in ("priorities", "aggravating", "mitigating") for i, c in enumerate(doc[g])]


def _cited(doc: Doc, n: int) -> Doc | None:
    """The n-th claim's first citation (cycling), so mutations hit priorities and factors alike."""
    claims = [c for _, _, c in _claims(doc) if c["citations"]]
    return claims[n % len(claims)]["citations"][0] if claims else None


def fabricated_quote(doc: Doc, derived: Doc, source: Any, n: int) -> Doc | None:
    c = _cited(doc, n)
    if c is None:
        return None
    c["quote"] = c["quote"].replace(" is ", " is always ", 1) if " is " in c["quote"] else c["quote"] + " Always."
    return doc


def shifted_offsets(doc: Doc, derived: Doc, source: Any, n: int) -> Doc | None:
    c = _cited(doc, n)
    if c is None:
        return None
    shift = 3 + n % 11
    c["start"] += shift
    c["end"] += shift
    return doc


def _other_citation(source: Any, own: str) -> Doc:
    from assistant.citations.cite import cite_anchor

    if own in OTHER_UNIT:
        other = OTHER_UNIT[own]
    else:
        ids = sorted(a for a in {p.anchor for p in source.passages if p.anchor}
                     if a.startswith(own.split(".")[0] + ".") and a != own and not a.endswith(".overview"))
        other = ids[0]
    return cite_anchor(source, other).model_dump(mode="json")


def _own(group: str, claim: Doc) -> str:
    return f"priority.{claim['id']}" if group == "priorities" else claim["id"]


def wrong_passage(doc: Doc, derived: Doc, source: Any, n: int) -> Doc | None:
    group, _, claim = _claims(doc)[n % len(_claims(doc))]
    claim["citations"] = [_other_citation(source, _own(group, claim))]
    return doc


def relabelled_anchor(doc: Doc, derived: Doc, source: Any, n: int) -> Doc | None:
    group, _, claim = _claims(doc)[n % len(_claims(doc))]
    if not claim["citations"]:
        return None
    claim["citations"][0]["anchor"] = _other_citation(source, _own(group, claim))["anchor"]
    return doc


def flipped_polarity(doc: Doc, derived: Doc, source: Any, n: int) -> Doc | None:
    if doc["aggravating"] and (n % 2 == 0 or not doc["mitigating"]):
        doc["mitigating"].append(doc["aggravating"].pop(0))
    elif doc["mitigating"]:
        doc["aggravating"].append(doc["mitigating"].pop(0))
    else:
        return None
    return doc


def unsupported_finding(doc: Doc, derived: Doc, source: Any, n: int) -> Doc | None:
    want = {p["id"]: p["finding"] for p in derived["priorities"]}
    choices = [p for p in doc["priorities"] if p["id"] != "public_safety" and want[p["id"]] != "meets"]
    if not choices:
        return None
    choices[n % len(choices)]["finding"] = "meets"
    return doc


def factor_without_fact(doc: Doc, derived: Doc, source: Any, n: int) -> Doc | None:
    from assistant.cases.rules import AGGRAVATING, MITIGATING
    from assistant.citations.cite import cite_anchor

    present = {f["id"] for f in derived["aggravating"] + derived["mitigating"]}
    missing = [a for a in AGGRAVATING + MITIGATING if a not in present]
    if not missing:
        return None
    fid = missing[n % len(missing)]
    group = "aggravating" if fid.startswith("agg.") else "mitigating"
    doc[group].append({"id": fid, "label": fid, "facts": ["Stated by the drafter without support in the case file"],
                       "citations": [cite_anchor(source, fid).model_dump(mode="json")], "note": ""})
    return doc


def facts_removed(doc: Doc, derived: Doc, source: Any, n: int) -> Doc | None:
    factors = doc["aggravating"] + doc["mitigating"]
    if not factors:
        return None
    factors[n % len(factors)]["facts"] = []
    return doc


def protected_reason(doc: Doc, derived: Doc, source: Any, n: int) -> Doc | None:
    target = doc["priorities"][n % len(doc["priorities"])]
    target["reasons"].append(PROTECTED_REASONS[n % len(PROTECTED_REASONS)])
    return doc


def protected_fact(doc: Doc, derived: Doc, source: Any, n: int) -> Doc | None:
    if not doc["aggravating"]:
        return None
    doc["aggravating"][0]["facts"].append(PROTECTED_REASONS[(n + 3) % len(PROTECTED_REASONS)])
    return doc


def removability_alone(doc: Doc, derived: Doc, source: Any, n: int) -> Doc | None:
    candidates = [p for p in doc["priorities"] if p["id"] != "public_safety"]
    target = candidates[n % len(candidates)]
    target["finding"] = "meets"
    target["reasons"] = [REMOVABILITY_REASONS[n % len(REMOVABILITY_REASONS)]]
    return doc


def wrong_status(doc: Doc, derived: Doc, source: Any, n: int) -> Doc | None:
    fw = doc["framework"]
    fw["status_on_assessed_date"] = "in_effect" if fw["status_on_assessed_date"] != "in_effect" else ("vacated", "rescinded", "not_yet_effective")[n % 3]
    return doc


def public_safety_decided(doc: Doc, derived: Doc, source: Any, n: int) -> Doc | None:
    target = next(p for p in doc["priorities"] if p["id"] == "public_safety")
    target["finding"] = "meets"
    return doc


def invalid_finding(doc: Doc, derived: Doc, source: Any, n: int) -> Doc | None:
    doc["priorities"][n % 3]["finding"] = ("likely", "yes", "MEETS", "probable_threat")[n % 4]
    return doc


MUTATIONS = (
    Mutation("fabricated quote", "CITE_QUOTE_NOT_FOUND", False, fabricated_quote),
    Mutation("shifted offsets", "CITE_QUOTE_SHIFTED", False, shifted_offsets),
    Mutation("wrong passage (another unit's citation)", "CLAIM_WRONG_PASSAGE", False, wrong_passage),
    Mutation("wrong passage (anchor relabelled)", "CITE_WRONG_PASSAGE", False, relabelled_anchor),
    Mutation("flipped polarity", "FACTOR_POLARITY", False, flipped_polarity),
    Mutation("unsupported finding (meets without facts)", "FINDING_UNSUPPORTED", True, unsupported_finding),
    Mutation("factor without its fact", "FACTOR_NOT_TRIGGERED", True, factor_without_fact),
    Mutation("factor with its facts removed", "FACTOR_NO_FACTS", False, facts_removed),
    Mutation("protected characteristic as a reason", "PROTECTED_GROUND", False, protected_reason),
    Mutation("protected characteristic as an aggravating fact", "PROTECTED_GROUND", False, protected_fact),
    Mutation("removability alone", "REMOVABILITY_ALONE", False, removability_alone),
    Mutation("wrong status", "STATUS_MISMATCH", False, wrong_status),
    Mutation("public safety decided by the tool", "PUBLIC_SAFETY_DECIDED", False, public_safety_decided),
    Mutation("finding outside the allowed values", "FINDING_INVALID", False, invalid_finding),
)


# --- cases ----------------------------------------------------------------------------------------

HAND_CASES: list[Doc] = [
    {"case_id": "M-elderly", "assessed_on": "2022-03-01", "person": {"age": 72},
     "entry": {"date": "1992-05-01", "manner": "unlawful"},
     "apprehension": {"date": "2022-02-20", "location": "interior", "attempting_unlawful_entry": False},
     "criminal_history": [{"offense": "burglary", "date": "2010-04-03", "convicted": True, "sentence_months": 24,
                           "serious": True, "harm": "none", "weapon": "firearm", "sophistication": "low"}],
     "circumstances": {"family_in_us": ["U.S. citizen daughter, age 9"], "rehabilitation": ["steady work since 2012"]}},
    {"case_id": "M-border", "assessed_on": "2024-02-01", "person": {"age": 30},
     "apprehension": {"date": "2024-01-15", "location": "border", "attempting_unlawful_entry": True}},
    {"case_id": "M-vacated", "assessed_on": "2022-08-01", "person": {"age": 40},
     "entry": {"date": "2021-03-01", "manner": "unlawful"},
     "apprehension": {"date": "2022-07-01", "location": "interior", "attempting_unlawful_entry": False},
     "national_security": {"terrorism_or_espionage": True}},
    {"case_id": "M-rescinded", "assessed_on": "2025-03-01", "person": {"age": 16},
     "entry": {"date": "2015-01-01", "manner": "lawful"},
     "apprehension": {"date": "2025-02-01", "location": "interior", "attempting_unlawful_entry": False},
     "criminal_history": [
         {"offense": "robbery", "date": "2015-06-01", "convicted": True, "serious": True, "harm": "serious"},
         {"offense": "assault", "date": "2024-06-01", "convicted": True, "serious": True, "weapon": "dangerous_weapon",
          "sophistication": "high"},
         {"offense": "theft", "date": "2012-01-01", "convicted": True, "vacated_or_expunged": True}],
     "circumstances": {"crime_victim": True, "service": ["brother: U.S. Army, 2015-2019"],
                       "relief_eligibility": ["asylum on account of religion"], "workplace_or_tenant_rights": True}},
]


def load_cases() -> list[Doc]:
    """The dev cases (evals/sets/dev-cases.yaml, items with a case), else the hand-built ones."""
    if not DEV_CASES.is_file():
        return HAND_CASES
    data = yaml.safe_load(DEV_CASES.read_text(encoding="utf-8"))
    cases = []
    for item in data.get("items", []):
        if "case" in item:
            cases.append(item["case"])
        elif "case_file" in item:
            path = (DEV_CASES.parent / item["case_file"]).resolve()
            if not path.is_file():
                path = (REPO / item["case_file"]).resolve()
            cases.append(yaml.safe_load(path.read_text(encoding="utf-8")))
    return cases or HAND_CASES


# --- the suite ------------------------------------------------------------------------------------


@dataclass
class SuiteResult:
    """What the suite found: per mutation, tried and caught; false alarms on the correct analyses."""

    cases: int = 0
    tried: dict[str, int] = field(default_factory=dict)
    caught: dict[str, int] = field(default_factory=dict)
    missed: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)
    warnings_on_correct: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.tried.values())

    @property
    def total_caught(self) -> int:
        return sum(self.caught.values())


def run_suite(source: Any, settings: Any, cases: list[Doc] | None = None) -> SuiteResult:
    """Apply every mutation to every case's correct analysis and check each result."""
    from assistant.cases.analysis import analyze
    from assistant.cases.facts import parse_case
    from assistant.check.analyses import check_analysis
    from assistant.check.files import read_analysis

    result = SuiteResult()
    for n, raw in enumerate(cases if cases is not None else load_cases()):
        case = parse_case(raw, f"case {raw.get('case_id')}")
        correct = analyze(case, source, settings)
        result.cases += 1
        for with_case in (case, None):
            report = check_analysis(correct, source, case=with_case, settings=settings, derived=correct)
            for f in report.findings:
                line = f"{case.case_id} ({'with' if with_case else 'without'} case): {f.severity} {f.code} {f.path}: {f.message}"
                (result.false_alarms if f.severity == "error" else result.warnings_on_correct).append(line)
        good = correct.model_dump(mode="json")
        for m in MUTATIONS:
            mutant = m.apply(copy.deepcopy(good), good, source, n)
            if mutant is None:
                continue
            for with_case in ((case,) if m.needs_case else (case, None)):
                analysis, leniency = read_analysis(mutant)
                report = check_analysis(analysis, source, case=with_case, settings=settings, derived=correct, leniency=leniency)
                key = m.name
                result.tried[key] = result.tried.get(key, 0) + 1
                codes = {f.code for f in report.findings if f.severity == "error"}
                if m.code in codes:
                    result.caught[key] = result.caught.get(key, 0) + 1
                else:
                    where = "with" if with_case else "without"
                    result.missed.append(f"{case.case_id} {m.name} ({where} case): got {sorted(codes) or 'no error'}")
    return result


def format_result(result: SuiteResult) -> str:
    """A plain-text table of the suite's result."""
    lines = [f"Mutation suite over {result.cases} correct analyses", "",
             f"{'mutation':<50} {'code':<22} {'caught':>6} / tried"]
    for m in MUTATIONS:
        tried = result.tried.get(m.name, 0)
        lines.append(f"{m.name:<50} {m.code:<22} {result.caught.get(m.name, 0):>6} / {tried}")
    rate = result.total_caught / result.total if result.total else 0.0
    lines += [
        "",
        f"catch rate: {result.total_caught}/{result.total} = {rate:.1%}",
        f"false alarms (error findings on correct analyses): {len(result.false_alarms)}",
        f"warnings on correct analyses: {len(result.warnings_on_correct)}",
    ]
    lines += [f"  missed: {x}" for x in result.missed]
    lines += [f"  false alarm: {x}" for x in result.false_alarms]
    lines += [f"  warning: {x}" for x in result.warnings_on_correct]
    return "\n".join(lines)
