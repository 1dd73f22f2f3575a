"""Checks of a case factor analysis (docs/CONTRACTS.md, the factor analysis): ``check_analysis``.

Each check returns findings of a rule row in ``rules.RULES``; the word lists that the civil-rights
and removability rules match are data at the top of this module, so a reviewer can read them
against the passages they encode (``civil_rights``, ``principle.discretion``). Comparison with the
case facts takes the analysis the rules derive from them (``derived``, computed by the caller with
``cases.analysis.analyze``) and reports every disagreement.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assistant.types import CheckReport, Citation, FactorAnalysis, Finding

from .citations import check_citation, containing_passage
from .rules import finding
from .status import check_status

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.corpus.passages import PassageSet

# Word lists are data: each pattern is matched case-insensitively on word boundaries, in the
# reasons of priority findings and the facts of factors (never in quotes of the guidelines).

PROTECTED_TERMS: dict[str, tuple[str, ...]] = {
    "race or ethnicity": (r"rac(?:e|es|ial|ially)", r"ethnic(?:ity|ities|ally)?", r"skin colou?r", r"complexion"),
    "religion": (
        r"religio(?:n|ns|us)", r"muslims?", r"islam(?:ic)?", r"christians?", r"catholics?", r"jew(?:s|ish)?",
        r"hindus?", r"sikhs?", r"buddhists?", r"mosques?", r"church(?:es)?", r"synagogues?", r"worship\w*",
        r"pray(?:s|ed|ing|er|ers)?",
    ),
    "gender": (r"gender", r"sex(?!\s*(?:offen|crime|abuse|traffick|assault|work))"),
    "sexual orientation or gender identity": (
        r"sexual orientation", r"gender identity", r"gay", r"lesbians?", r"bisexual", r"transgender", r"queer", r"lgbt\w*",
    ),
    "national origin": (
        r"national origin", r"nationality", r"country of (?:origin|birth)", r"ancestry",
        r"(?:is|are|was|were|being|as|an?)\s+(?:DEMONYM)(?!\s+(?:NOT_A_PERSON))",
        r"(?:DEMONYM)\s+(?:national|citizen|origin|descent|heritage|background)s?",
    ),
    "political associations": (r"political\w*", r"activis[mt]s?", r"(?:democrat|republican|communist|socialist)s?"),
    "exercise of First Amendment rights": (
        r"first amendment", r"protest\w*", r"demonstrations?", r"rall(?:y|ies)", r"freedom of \w+",
        r"(?:free|political|public) speech", r"speech(?:es)? (?:at|against|about|criticiz\w*)", r"(?:gave|made) (?:a )?speech(?:es)?",
        r"assembl(?:ed|ing) peacefully", r"peaceful(?:ly)? assembl\w*", r"right to assemble",
        r"journalis[mt]s?", r"reporters?", r"(?:the|free) press", r"press (?:member|pass|credential)s?",
        r"social media posts?", r"criticiz\w+ (?:the )?(?:government|officials?|ice|dhs|police|president)",
    ),
}
DEMONYMS = (
    "mexican|guatemalan|honduran|salvadoran|nicaraguan|venezuelan|cuban|haitian|dominican|colombian|ecuadorian|peruvian|"
    "brazilian|chinese|indian|filipino|vietnamese|korean|pakistani|afghan|iraqi|iranian|syrian|somali|nigerian|ghanaian|"
    "russian|ukrainian|arab|african|asian|latino|latina|hispanic"
)
NOT_A_PERSON = "border|port|consulate|passport|authorit\\w*|government|police|court|side|restaurant|food|market|store|company|employer"
"""Words after a demonym that show it describes a place or thing, not the person (a Mexican border crossing)."""
PROTECTED_EXEMPT = ("mit.relief_eligibility",)
"""Factors whose facts name protection grounds (asylum on account of religion, political opinion...)
by nature; naming the ground of possible relief is not using the characteristic as a factor."""
REMINDER_CUES = (
    r"(?:never|not) (?:be |been |being )?(?:a |used as a |treated as a )?factors?|not (?:been )?(?:considered|weighed|taken into account)|"
    r"plays? no part|played no part|no (?:part|weight|bearing)|without regard to|regardless of|disregard\w*"
)
"""A sentence with one of these cues restates the civil-rights rule rather than using a characteristic."""

REMOVABILITY_TERMS = (
    r"removab\w*", r"deportab\w*", r"subject to (?:removal|deportation)", r"inadmissib\w*", r"undocumented",
    r"(?:lacks?|lacking|without|has no|had no|no) (?:lawful |legal |valid |current |immigration )*status",
    r"unlawfully present", r"out of status", r"overst(?:ay|ayed|ays)\w*", r"illegal (?:alien|immigrant)s?",
    r"present without (?:admission|authori[sz]ation|inspection)", r"(?:final )?(?:order of removal|removal order)",
)
SUBSTANTIVE_TERMS = (
    r"terror\w*", r"espionage", r"spy\w*", r"convict\w*", r"offen[cs]es?", r"crim(?:e|es|inal)", r"arrest\w*", r"charged?",
    r"sentence[sd]?", r"weapons?", r"firearms?", r"guns?", r"harm\w*", r"violen\w*", r"border", r"port of entry",
    r"apprehen\w*", r"attempt\w*", r"gang\w*", r"national security", r"cutoff",
    r"\d{4}-\d{2}-\d{2}", r"(?:jan|febr)uary \d{1,2}, \d{4}", r"(?:march|april|may|june|july|august) \d{1,2}, \d{4}",
    r"(?:september|october|november|december) \d{1,2}, \d{4}",
)
"""A reason that names any of these rests on more than removability."""

PRIORITY_IDS = ("national_security", "public_safety", "border_security")
FINDING_VALUES = ("meets", "does_not_meet", "officer_assessment", "insufficient_facts")
STATUS_VALUES = ("not_yet_effective", "in_effect", "enjoined", "vacated", "rescinded")
CLAIM_SUPPORT: dict[str, tuple[str, ...]] = {
    "priority.national_security": ("priorities", "principle.discretion"),
    "priority.public_safety": ("priorities", "principle.discretion", "agg.", "mit."),
    "priority.border_security": ("priorities", "principle.discretion"),
    "agg.": ("agg.overview", "priority.public_safety"),
    "mit.": ("mit.overview", "priority.public_safety"),
}
"""Anchors a claim may cite besides its own (a trailing '.' is a prefix); any other unit is the wrong passage."""


def _words(patterns: tuple[str, ...]) -> re.Pattern[str]:
    joined = "|".join(p.replace("DEMONYM", DEMONYMS).replace("NOT_A_PERSON", NOT_A_PERSON) for p in patterns)
    return re.compile(r"\b(?:" + joined + r")\b", re.I)


_PROTECTED = {name: _words(pats) for name, pats in PROTECTED_TERMS.items()}
_REMINDER = re.compile(r"\b(?:" + REMINDER_CUES + r")\b", re.I)
_REMOVABLE = _words(REMOVABILITY_TERMS)
_SUBSTANTIVE = _words(SUBSTANTIVE_TERMS)
_SENTENCE = re.compile(r"(?<=[.;!?])\s+")

CLAIM_KINDS = {"aggravating": "agg.", "mitigating": "mit."}


@dataclass
class Leniency:
    """What a lenient reader of edited JSON already reported, and which checks it made moot."""

    findings: list[Finding] = field(default_factory=list)
    skip_priorities: set[str] = field(default_factory=set)
    skip_status: bool = False


def check_analysis(
    analysis: FactorAnalysis,
    source: PassageSet,
    case: object | None = None,
    settings: Settings | None = None,
    derived: FactorAnalysis | None = None,
    leniency: Leniency | None = None,
) -> CheckReport:
    """Every analysis rule; with ``case``, also agreement with ``derived``, what the rules derive from its facts.

    ``derived`` is required with ``case`` (``cases.analysis.analyze(case, ...)``): the checker
    never runs the analysis itself. ``leniency`` carries what the JSON reader already reported
    (see ``files.read_analysis``).
    """
    if case is not None and derived is None:
        raise ValueError("check_analysis: comparing with a case needs the analysis the rules derive from it (derived=...)")
    leniency = leniency or Leniency()
    known = factor_anchors(source)
    findings = list(leniency.findings)
    findings += _citations(analysis, source, known)
    findings += _priorities(analysis, leniency.skip_priorities)
    findings += _factors(analysis, known)
    findings += _protected(analysis)
    findings += _removability(analysis)
    if not leniency.skip_status:
        fw = analysis.framework
        findings += check_status(fw.doc_id, analysis.assessed_on, fw.status_on_assessed_date, source, settings, "framework")
    if case is not None:
        findings += _against_case(analysis, case, source, settings, derived, leniency.skip_priorities)
    return CheckReport.of(findings)


def factor_anchors(source: PassageSet) -> set[str]:
    """The aggravating and mitigating factor anchors that the corpus states."""
    return {
        p.anchor for p in source.passages
        if p.anchor and p.anchor.startswith(("agg.", "mit.")) and not p.anchor.endswith(".overview")
    }


def own_anchor(claim_id: str) -> str:
    """The anchor a claim must cite: 'priority.<id>' for a priority, the factor's id for a factor."""
    return claim_id if claim_id.startswith(("agg.", "mit.")) else f"priority.{claim_id}"


def _claims(analysis: FactorAnalysis) -> Iterator[tuple[str, str, list[Citation]]]:
    for i, p in enumerate(analysis.priorities):
        yield f"priorities[{i}]", own_anchor(p.id), p.citations
    for group in CLAIM_KINDS:
        for i, f in enumerate(getattr(analysis, group)):
            yield f"{group}[{i}]", f.id, f.citations


def _may_cite(own: str, anchor: str | None) -> bool:
    if anchor == own:
        return True
    support = CLAIM_SUPPORT.get(own) or CLAIM_SUPPORT.get(own.split(".")[0] + ".", ())
    return anchor is not None and any(anchor == s or (s.endswith(".") and anchor.startswith(s)) for s in support)


def _citations(analysis: FactorAnalysis, source: PassageSet, known: set[str]) -> list[Finding]:
    findings: list[Finding] = []
    for base, own, citations in _claims(analysis):
        checkable = own.startswith("priority.") or own in known
        own_count, flawed = 0, False
        for j, c in enumerate(citations):
            path = f"{base}.citations[{j}]"
            problems = check_citation(c, source.texts, source.passages, path, source.metas)
            if problems:
                findings += problems
                flawed = True
                continue
            actual = containing_passage(source.passages, c.doc_id, c.start, c.end)
            anchor = actual.anchor if actual else None
            if anchor == own:
                own_count += 1
            elif checkable and not _may_cite(own, anchor):
                label = f" ({actual.label})" if actual and actual.label else ""
                findings.append(finding(
                    "CLAIM_WRONG_PASSAGE",
                    f"'{own}' is cited to the passage of '{anchor}'{label}; it must cite its own passage, '{own}'",
                    path, anchor=own,
                ))
                flawed = True
        if checkable and own_count == 0 and not flawed:
            findings.append(finding("CLAIM_UNCITED", f"'{own}' has no citation of its own passage", f"{base}.citations", anchor=own))
    return findings


def _priorities(analysis: FactorAnalysis, skip: set[str]) -> list[Finding]:
    findings: list[Finding] = []
    counts = Counter(p.id for p in analysis.priorities)
    for pid in PRIORITY_IDS:
        if counts[pid] == 0 and pid not in skip:
            findings.append(finding("PRIORITY_MISSING", f"the priority '{pid}' is not analyzed", "priorities", anchor=own_anchor(pid)))
        elif counts[pid] > 1:
            findings.append(finding("PRIORITY_DUPLICATE", f"the priority '{pid}' is analyzed {counts[pid]} times", "priorities"))
    for i, p in enumerate(analysis.priorities):
        path = f"priorities[{i}]"
        if p.id in skip:
            continue
        if p.finding in ("meets", "officer_assessment") and not any(r.strip() for r in p.reasons):
            findings.append(finding(
                "PRIORITY_UNREASONED", f"{p.id}: the finding '{p.finding}' states no reason", f"{path}.reasons",
                anchor=own_anchor(p.id),
            ))
        if p.id == "public_safety" and p.finding == "meets":
            findings.append(finding(
                "PUBLIC_SAFETY_DECIDED",
                "public_safety: 'meets' decides the officer's totality judgment; the guidelines set no bright "
                "lines, so the finding with criminal conduct in the record is 'officer_assessment'",
                f"{path}.finding",
            ))
        elif p.id == "public_safety" and p.finding == "does_not_meet" and analysis.aggravating:
            findings.append(finding(
                "PUBLIC_SAFETY_DECIDED",
                "public_safety: 'does_not_meet' although aggravating factors show criminal conduct in the "
                "record; that is for the officer's totality judgment ('officer_assessment')",
                f"{path}.finding",
            ))
    return findings


def _factors(analysis: FactorAnalysis, known: set[str]) -> list[Finding]:
    findings: list[Finding] = []
    seen: Counter[str] = Counter()
    for group, prefix in CLAIM_KINDS.items():
        for i, f in enumerate(getattr(analysis, group)):
            path = f"{group}[{i}]"
            seen[f.id] += 1
            if f.id not in known:
                findings.append(finding(
                    "FACTOR_UNKNOWN", f"'{f.id}' is not a factor of the guidelines", f"{path}.id",
                    anchor=f"{prefix}overview",
                ))
            elif not f.id.startswith(prefix):
                kind = "an aggravating" if f.id.startswith("agg.") else "a mitigating"
                findings.append(finding(
                    "FACTOR_POLARITY", f"'{f.id}' is {kind} factor, listed under {group}", f"{path}.id",
                    anchor=f"{f.id.split('.')[0]}.overview",
                ))
            if not any(x.strip() for x in f.facts):
                findings.append(finding("FACTOR_NO_FACTS", f"'{f.id}' names no fact that triggers it", f"{path}.facts", anchor=f.id))
    for fid, n in seen.items():
        if n > 1:
            findings.append(finding("FACTOR_DUPLICATE", f"the factor '{fid}' is listed {n} times", None, anchor=fid))
    return findings


def protected_use(text: str) -> tuple[str, str] | None:
    """The first protected characteristic or activity that ``text`` uses: (category, words), or None."""
    for sentence in _SENTENCE.split(text):
        if _REMINDER.search(sentence):  # the civil-rights rule restated, not applied
            continue
        for category, pattern in _PROTECTED.items():
            m = pattern.search(sentence)
            if m:
                return category, m.group(0)
    return None


def _protected(analysis: FactorAnalysis) -> list[Finding]:
    findings: list[Finding] = []
    texts = [(f"priorities[{i}].reasons[{j}]", r, "reason", "PROTECTED_GROUND")
             for i, p in enumerate(analysis.priorities) for j, r in enumerate(p.reasons)]
    for group, code in (("aggravating", "PROTECTED_GROUND"), ("mitigating", "PROTECTED_GROUND_NOTED")):
        texts += [(f"{group}[{i}].facts[{j}]", x, f"{group} fact", code)
                  for i, f in enumerate(getattr(analysis, group)) if f.id not in PROTECTED_EXEMPT
                  for j, x in enumerate(f.facts)]
    for path, text, kind, code in texts:
        hit = protected_use(text)
        if hit:
            category, words = hit
            advice = (f"{category} must never be a factor in an enforcement decision" if code == "PROTECTED_GROUND"
                      else f"weigh the conduct it describes, not the {category}")
            findings.append(finding(code, f"\"{words}\" ({category}) is used as a {kind}; {advice}", path))
    return findings


def rests_on_removability(reasons: list[str]) -> bool:
    """True when the reasons name removability (or lack of status) and no other fact."""
    joined = " ".join(reasons)
    return bool(_REMOVABLE.search(joined)) and not _SUBSTANTIVE.search(joined)


def _removability(analysis: FactorAnalysis) -> list[Finding]:
    return [
        finding(
            "REMOVABILITY_ALONE",
            f"{p.id}: the finding '{p.finding}' rests only on the person being removable, which by "
            "itself is no basis for enforcement action",
            f"priorities[{i}].reasons",
        )
        for i, p in enumerate(analysis.priorities)
        if p.finding in ("meets", "officer_assessment") and rests_on_removability(p.reasons)
    ]


def _against_case(
    analysis: FactorAnalysis, case: object, source: PassageSet, settings: Settings | None,
    derived: FactorAnalysis | None, skip: set[str],
) -> list[Finding]:
    case_id, assessed_on = getattr(case, "case_id", None), getattr(case, "assessed_on", None)
    if (case_id, assessed_on) != (analysis.case_id, analysis.assessed_on):
        return [finding(
            "CASE_MISMATCH",
            f"the analysis is of case {analysis.case_id} assessed on {analysis.assessed_on}, the case file is "
            f"{case_id} assessed on {assessed_on} (an analysis made with --as-of needs a case file with that assessed_on)",
            "case_id",
        )]
    assert derived is not None  # checked by check_analysis
    findings: list[Finding] = []
    want = {p.id: p for p in derived.priorities}
    for i, p in enumerate(analysis.priorities):
        d = want.get(p.id)
        if d is None or p.id in skip or p.finding == d.finding:
            continue
        why = "; ".join(d.reasons) or "no reason given"
        code = "FINDING_UNSUPPORTED" if p.finding == "meets" else "FINDING_MISMATCH"
        findings.append(finding(
            code, f"{p.id}: the analysis says '{p.finding}', the case facts give '{d.finding}' ({why})",
            f"priorities[{i}].finding", anchor=own_anchor(p.id),
        ))
    derived_facts = {f.id: f.facts for f in derived.aggravating + derived.mitigating}
    claimed: set[str] = set()
    for group in CLAIM_KINDS:
        for i, f in enumerate(getattr(analysis, group)):
            claimed.add(f.id)
            if f.id.startswith(("agg.", "mit.")) and f.id not in derived_facts:
                findings.append(finding(
                    "FACTOR_NOT_TRIGGERED",
                    f"'{f.id}': no fact of the case triggers this factor (claimed: {'; '.join(f.facts) or 'nothing'})",
                    f"{group}[{i}]", anchor=f.id,
                ))
    for fid, facts in derived_facts.items():
        if fid not in claimed:
            group = "aggravating" if fid.startswith("agg.") else "mitigating"
            findings.append(finding(
                "FACTOR_OMITTED", f"the case facts trigger '{fid}' ({'; '.join(facts)}), which the analysis omits",
                group, anchor=fid,
            ))
    return findings
