"""The case factor analysis: every rule triggered and not, the border cutoff, status dates, the dev cases.

Passages come from the bundled corpus split in memory (``load_passages`` with an empty data
folder), so no model is needed; every citation is checked by slicing the canonical text.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil

import pytest
import yaml

from assistant.cases.analysis import BORDER_CUTOFF, analyze, load_rules
from assistant.cases.facts import CaseError, parse_case
from assistant.cases.rules import AGGRAVATING, MITIGATING, PRIORITIES
from assistant.check.citations import check_citation
from assistant.citations.cite import cite_anchor
from assistant.config import DEFAULT_CORPUS_DIR
from assistant.errors import ConfigError
from assistant.evals import data_dir
from assistant.index.load import load_passages

from .conftest import make_settings

SETS = data_dir("sets")
CASES = data_dir("cases")

DEV_CASES = yaml.safe_load((SETS / "dev-cases.yaml").read_text(encoding="utf-8"))["items"]
FACTORS = AGGRAVATING + MITIGATING


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return make_settings(tmp_path_factory.mktemp("analysis-data"))


@pytest.fixture(scope="module")
def source(settings):
    return load_passages(settings)


def _case(**fields):
    """A case assessed on 2022-03-01 with neutral facts (no priority, no factor), plus ``fields``."""
    data = {
        "case_id": "T", "assessed_on": "2022-03-01", "person": {"age": 40},
        "entry": {"date": "2019-05-01", "manner": "lawful"},
        "apprehension": {"date": "2022-02-15", "location": "interior", "attempting_unlawful_entry": False},
        "national_security": {"terrorism_or_espionage": False, "other_danger": False},
    }
    data.update(fields)
    return parse_case(data)


def _conviction(**fields):
    base = {"offense": "theft", "date": "2020-01-01", "convicted": True, "sentence_months": 3, "serious": False,
            "harm": "none", "weapon": "none", "sophistication": "low", "vacated_or_expunged": False}
    return {**base, **fields}


def _ids(analysis):
    return [f.id for f in analysis.aggravating], [f.id for f in analysis.mitigating]


def _finding(analysis, priority):
    return next(p for p in analysis.priorities if p.id == priority)


# --- the rule table -------------------------------------------------------------------------------


def test_rule_table_has_one_rule_per_priority_and_factor_in_memo_order(settings):
    rules = load_rules(settings.paths.corpus_dir)
    assert [r.id for r in rules] == list(PRIORITIES + AGGRAVATING + MITIGATING)
    for rule in rules:
        assert rule.passage == rule.id and rule.description
        assert rule.kind == ("priority" if rule.id in PRIORITIES else "aggravating" if rule.id in AGGRAVATING else "mitigating")
        if rule.kind == "priority":
            assert rule.outcomes and rule.condition is None
        else:
            assert rule.condition is not None and rule.fact


@pytest.mark.parametrize("anchor", PRIORITIES + FACTORS)
def test_each_rule_passage_exists_and_its_citation_is_exact(settings, source, anchor):
    rule = next(r for r in load_rules(settings.paths.corpus_dir) if r.id == anchor)
    assert source.with_anchor(rule.passage, rule.doc_id), f"no passage carries {rule.passage}"
    citation = cite_anchor(source, rule.passage, rule.doc_id, rule.quote_sentences)
    assert source.texts[citation.doc_id][citation.start : citation.end] == citation.quote
    assert citation.anchor == anchor and check_citation(citation, source.texts, source.passages) == []


def test_thresholds_name_settings_and_notes_say_the_guidelines_set_no_number(settings):
    rules = {r.id: r for r in load_rules(settings.paths.corpus_dir)}
    assert rules["mit.age"].threshold == ["advanced_age", "tender_age"]
    assert rules["mit.lengthy_presence"].threshold == ["lengthy_presence_years"]
    assert rules["mit.rehabilitation"].threshold == ["rehabilitation_years"]
    assert rules["agg.prior_record"].threshold == ["serious_prior_record_min"]
    for rule in rules.values():
        assert ("set no number" in rule.note) == bool(rule.threshold), rule.id


def _broken_corpus(tmp_path, edit):
    corpus = tmp_path / "corpus"
    shutil.copytree(DEFAULT_CORPUS_DIR, corpus)
    path = corpus / "rules" / "dhs-2021-guidelines.yaml"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return corpus


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        pytest.param(lambda t: t.replace("- id: agg.weapon", "- id: agg.knife", 1), "unknown rule id 'agg.knife'", id="unknown-id"),
        pytest.param(lambda t: t.replace("passage: agg.weapon", "passage: agg.knife", 1), "passage 'agg.knife' is not an anchor",
                     id="unknown-passage"),
        pytest.param(lambda t: t.replace("setting: lengthy_presence_years}", "setting: long_stay}", 1), "unknown setting 'long_stay'",
                     id="unknown-setting"),
        pytest.param(lambda t: t.replace("threshold: lengthy_presence_years", "threshold: long_stay", 1), "unknown setting(s) long_stay",
                     id="unknown-threshold"),
        pytest.param(lambda t: t.replace("circumstances.service}", "circumstances.services}", 1), "unknown path 'circumstances.services'",
                     id="unknown-path"),
        pytest.param(lambda t: t.replace('op: ">=", setting: lengthy', 'op: "=>", setting: lengthy', 1), "unknown operator '=>'",
                     id="unknown-operator"),
        pytest.param(lambda t: t.replace("value: [firearm, dangerous_weapon]", "value: [firearm, knife]", 1),
                     "'knife' is not a value of offense.weapon", id="unknown-enum-value"),
        pytest.param(lambda t: t.replace("{weapon_text} used", "{weapon_kind} used", 1), "unknown placeholder(s) weapon_kind",
                     id="unknown-placeholder"),
        pytest.param(lambda t: t.replace("- id: mit.service", "- id: mit.age", 1), "a second rule for mit.age", id="duplicate"),
        pytest.param(lambda t: t.replace("kind: aggravating\n    passage: agg.weapon", "kind: mitigating\n    passage: agg.weapon", 1),
                     "kind must be aggravating for agg.weapon", id="wrong-kind"),
        pytest.param(lambda t: t.replace("    threshold: rehabilitation_years\n", "", 1), "threshold must name exactly",
                     id="threshold-mismatch"),
        pytest.param(lambda t: t.replace("rules:\n", "rules:\n  - [\n", 1), "is not valid YAML", id="bad-yaml"),
        pytest.param(lambda t: t.replace("kind: priority", "kind: priority\n    bogus: 1", 1), "bogus", id="unknown-key"),
    ],
)
def test_bad_rule_table_is_a_config_error(tmp_path, edit, expected):
    corpus = _broken_corpus(tmp_path, edit)
    with pytest.raises(ConfigError) as info:
        load_rules(corpus)
    assert expected in str(info.value), str(info.value)


def test_missing_rule_is_a_config_error(tmp_path):
    def drop_service(text):
        start = text.index("  - id: mit.service")
        return text[:start] + text[text.index("  - id: mit.rehabilitation"):]

    with pytest.raises(ConfigError, match="no rule for mit.service"):
        load_rules(_broken_corpus(tmp_path, drop_service))


# --- each factor: a case that triggers it and one that must not ------------------------------------

TRIGGERS = {
    "agg.offense_gravity": ({"criminal_history": [_conviction(serious=True, sentence_months=24)]},
                            {"criminal_history": [_conviction(serious=False, sentence_months=24)]}),
    "agg.harm": ({"criminal_history": [_conviction(harm="serious")]}, {"criminal_history": [_conviction(harm="serious", convicted=False)]}),
    "agg.sophistication": ({"criminal_history": [_conviction(sophistication="high")]},
                           {"criminal_history": [_conviction(sophistication="low")]}),
    "agg.weapon": ({"criminal_history": [_conviction(weapon="firearm")]},
                   {"criminal_history": [_conviction(weapon="firearm", vacated_or_expunged=True)]}),
    "agg.prior_record": (
        {"criminal_history": [_conviction(serious=True, date="2015-01-01"), _conviction(date="2021-01-01")]},
        {"criminal_history": [_conviction(serious=True, date="2021-01-01"), _conviction(date="2015-01-01")]},
    ),
    "mit.age": ({"person": {"age": 80}}, {"person": {"age": 50}}),
    "mit.lengthy_presence": ({"entry": {"date": "2001-01-01", "manner": "lawful"}}, {"entry": {"date": "2019-01-01", "manner": "lawful"}}),
    "mit.condition": ({"circumstances": {"condition_requiring_care": True}}, {"circumstances": {"mental_condition_contributed": True}}),
    "mit.victim_witness": ({"circumstances": {"crime_victim": True}}, {"circumstances": {"crime_victim": False}}),
    "mit.family_impact": ({"circumstances": {"family_in_us": ["U.S. citizen son, age 4"]}}, {"circumstances": {"family_in_us": []}}),
    "mit.relief_eligibility": ({"circumstances": {"relief_eligibility": ["asylum"]}}, {"circumstances": {"relief_eligibility": []}}),
    "mit.service": ({"circumstances": {"service": ["self: U.S. Navy, 2001-2005"]}}, {"circumstances": {"service": []}}),
    "mit.rehabilitation": (
        {"criminal_history": [_conviction(date="2010-01-01")], "circumstances": {"rehabilitation": ["sober since 2011"]}},
        {"criminal_history": [_conviction(date="2021-01-01")], "circumstances": {"rehabilitation": ["sober since 2021"]}},
    ),
    "mit.vacated_expunged": ({"criminal_history": [_conviction(vacated_or_expunged=True)]}, {"criminal_history": [_conviction()]}),
    "mit.labor_tenant_rights": ({"circumstances": {"workplace_or_tenant_rights": True}}, {"circumstances": {"workplace_or_tenant_rights": False}}),
}


def test_every_factor_has_trigger_cases():
    assert sorted(TRIGGERS) == sorted(FACTORS)


@pytest.mark.parametrize("factor", FACTORS)
def test_factor_is_triggered_by_its_fact_and_not_without_it(source, settings, factor):
    triggering, quiet = TRIGGERS[factor]
    found = analyze(_case(**triggering), source, settings)
    listed = {f.id: f for f in found.aggravating + found.mitigating}
    assert factor in listed
    finding = listed[factor]
    assert finding.facts and all(f.strip() for f in finding.facts)
    assert [c.anchor for c in finding.citations] == [factor]
    assert (finding in found.aggravating) == factor.startswith("agg.")  # polarity
    not_found = analyze(_case(**quiet), source, settings)
    assert factor not in [f.id for f in not_found.aggravating + not_found.mitigating]


def test_neutral_case_triggers_nothing(source, settings):
    analysis = analyze(_case(), source, settings)
    assert _ids(analysis) == ([], [])
    # Public safety is the officer's assessment even with an empty record: no category decides it (issue 11).
    assert [(p.id, p.finding) for p in analysis.priorities] == [
        ("national_security", "does_not_meet"), ("public_safety", "officer_assessment"), ("border_security", "does_not_meet")]


def test_facts_name_the_concrete_facts_and_notes_the_setting(source, settings):
    analysis = analyze(_case(person={"age": 72, "years_in_us": 30}), source, settings)
    age = next(f for f in analysis.mitigating if f.id == "mit.age")
    assert age.facts == ["Age 72 on the assessment date 2022-03-01 (as given): advanced age "
                         "(threshold: 65 or older; the guidelines set no number)"]
    assert "The guidelines set no number" in age.note and "65" in age.note and "18" in age.note
    presence = next(f for f in analysis.mitigating if f.id == "mit.lengthy_presence")
    assert presence.facts[0].startswith("30 years in the United States") and "10 years or more" in presence.note
    assert analysis.thresholds == {"advanced_age": 65, "tender_age": 18, "lengthy_presence_years": 10,
                                   "rehabilitation_years": 5, "serious_prior_record_min": 1}


def test_offense_facts_name_each_offense(source, settings):
    history = [_conviction(offense="robbery", date="2016-01-01", serious=True, weapon="dangerous_weapon", sentence_months=30),
               _conviction(offense="assault", date="2021-01-01", serious=True, weapon="firearm")]
    analysis = analyze(_case(criminal_history=history), source, settings)
    weapon = next(f for f in analysis.aggravating if f.id == "agg.weapon")
    assert weapon.facts == ["robbery, 2016-01-01 (offense 1): a dangerous weapon used or threatened",
                            "assault, 2021-01-01 (offense 2): a firearm used or threatened"]
    prior = next(f for f in analysis.aggravating if f.id == "agg.prior_record")
    assert "robbery, 2016-01-01 (offense 1)" in prior.facts[0] and "2021-01-01" in prior.facts[0]
    assert weapon.note == "" and "serious_prior_record_min" in prior.note


def test_settings_change_the_thresholds(source, settings):
    custom = settings.model_copy(deep=True)
    custom.analysis.advanced_age = 75
    analysis = analyze(_case(person={"age": 72}), source, custom)
    assert "mit.age" not in _ids(analysis)[1] and analysis.thresholds["advanced_age"] == 75
    older = analyze(_case(person={"age": 75}), source, custom)
    age = next(f for f in older.mitigating if f.id == "mit.age")
    assert "75 or older" in age.facts[0] and "75 or older" in age.note


def test_vacated_conviction_mitigates_and_aggravates_nothing(source, settings):
    history = [_conviction(offense="assault", serious=True, harm="serious", weapon="firearm", sophistication="high",
                           vacated_or_expunged=True)]
    analysis = analyze(_case(criminal_history=history), source, settings)
    assert _ids(analysis) == ([], ["mit.vacated_expunged"])
    assert analysis.mitigating[0].facts == ["assault, 2020-01-01 (offense 1): conviction vacated or expunged"]
    public = _finding(analysis, "public_safety")
    assert public.finding == "officer_assessment"
    assert any("conviction vacated or expunged" in r for r in public.reasons)
    assert any("no aggravating factor" in r for r in public.reasons)


# --- priorities -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry_date", "expected"),
    [("2020-10-31", "does_not_meet"), ("2020-11-01", "does_not_meet"), ("2020-11-02", "meets")],
)
def test_border_cutoff_is_strictly_after_november_1_2020(source, settings, entry_date, expected):
    assert BORDER_CUTOFF == dt.date(2020, 11, 1)
    analysis = analyze(_case(entry={"date": entry_date, "manner": "unlawful"}), source, settings)
    border = _finding(analysis, "border_security")
    assert border.finding == expected
    assert any(entry_date in r and "entry.manner: unlawful" in r for r in border.reasons), border.reasons
    assert [c.anchor for c in border.citations] == ["priority.border_security"]
    assert "November 1, 2020" in border.citations[0].quote


def test_entry_on_the_cutoff_day_says_that_day_does_not_count(source, settings):
    border = _finding(analyze(_case(entry={"date": "2020-11-01", "manner": "unlawful"}), source, settings), "border_security")
    assert any("an entry on that day does not count" in r for r in border.reasons)


@pytest.mark.parametrize(
    ("apprehension", "entry", "expected"),
    [
        ({"location": "border", "attempting_unlawful_entry": True}, {}, "meets"),
        ({"location": "port_of_entry", "attempting_unlawful_entry": True}, {}, "meets"),
        # The second prong is "apprehended in the United States": not limited to the interior (issue 11).
        ({"location": "port_of_entry", "attempting_unlawful_entry": False}, {"date": "2021-06-01", "manner": "unlawful"}, "meets"),
        ({"location": "border", "attempting_unlawful_entry": False}, {"date": "2021-06-01", "manner": "unlawful"}, "meets"),
        ({"location": "border"}, {"date": "2021-06-01", "manner": "unlawful"}, "meets"),
        ({"location": "interior"}, {"date": "2021-06-01", "manner": "unlawful"}, "meets"),
        ({"location": "border", "attempting_unlawful_entry": False}, {"date": "2019-06-01", "manner": "unlawful"}, "does_not_meet"),
        ({"location": "port_of_entry", "attempting_unlawful_entry": False}, {}, "insufficient_facts"),
        ({"location": "border"}, {}, "insufficient_facts"),
        ({"location": "interior"}, {"date": "2021-06-01"}, "insufficient_facts"),
        ({"location": "interior"}, {"manner": "unlawful"}, "insufficient_facts"),
        ({"location": "interior"}, {}, "insufficient_facts"),
        ({"location": "interior"}, {"date": "2019-06-01"}, "does_not_meet"),
        ({"location": "interior"}, {"date": "2021-06-01", "manner": "lawful"}, "does_not_meet"),
        ({}, {"date": "2021-06-01", "manner": "unlawful"}, "insufficient_facts"),
        ({"attempting_unlawful_entry": False}, {"date": "2010-06-01", "manner": "unlawful"}, "does_not_meet"),
        ({"attempting_unlawful_entry": True}, {"date": "2010-06-01", "manner": "unlawful"}, "insufficient_facts"),
    ],
)
def test_border_security_outcomes(source, settings, apprehension, entry, expected):
    border = _finding(analyze(_case(apprehension=apprehension, entry=entry), source, settings), "border_security")
    assert border.finding == expected, border.reasons
    assert border.reasons and all(re.search(r"(apprehension|entry)\.\w+", r) for r in border.reasons[:2])


def test_border_meets_reminds_that_mitigating_facts_may_weigh_against_enforcement(source, settings):
    analysis = analyze(_case(person={"age": 80}, entry={"date": "2021-06-01", "manner": "unlawful"}), source, settings)
    border = _finding(analysis, "border_security")
    assert border.finding == "meets" and any("mit.age" in r and "mitigating" in r for r in border.reasons)


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({"terrorism_or_espionage": True, "other_danger": False}, "meets"),
        ({"terrorism_or_espionage": True}, "meets"),
        ({"terrorism_or_espionage": False, "other_danger": True}, "officer_assessment"),
        ({"other_danger": True}, "officer_assessment"),
        ({"terrorism_or_espionage": False, "other_danger": False}, "does_not_meet"),
        ({}, "does_not_meet"),
    ],
)
def test_national_security_outcomes(source, settings, flags, expected):
    finding = _finding(analyze(_case(national_security=flags), source, settings), "national_security")
    assert finding.finding == expected
    assert all("national_security." in r for r in finding.reasons)
    assert [c.anchor for c in finding.citations] == ["priority.national_security"]


@pytest.mark.parametrize(
    "history",
    [[_conviction(serious=True, harm="serious", weapon="firearm")], [_conviction()], [{"offense": "arrest", "convicted": False}]],
)
def test_public_safety_with_criminal_conduct_is_always_the_officers_assessment(source, settings, history):
    finding = _finding(analyze(_case(criminal_history=history), source, settings), "public_safety")
    assert finding.finding == "officer_assessment"
    assert any("totality" in r for r in finding.reasons) and any(history[0]["offense"] in r for r in finding.reasons)


def test_public_safety_without_criminal_conduct_is_still_the_officers_assessment(source, settings):
    # Issue 11: the threat is "typically" because of serious criminal conduct, and no category decides it;
    # the reason says what the file records (no offense) and what it does not (the rest of the record).
    finding = _finding(analyze(_case(), source, settings), "public_safety")
    assert finding.finding == "officer_assessment" and "criminal_history is empty" in finding.reasons[0]
    assert "typically" in finding.reasons[0] and any("bright lines" in r for r in finding.reasons)
    assert any("does not hold the rest of the criminal and administrative record" in r for r in finding.reasons)


# --- framework status -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("assessed_on", "state"),
    [
        ("2021-09-29", "not_yet_effective"), ("2021-11-28", "not_yet_effective"), ("2021-11-29", "in_effect"),
        ("2022-06-23", "in_effect"), ("2022-06-24", "vacated"), ("2023-06-22", "vacated"), ("2023-06-23", "in_effect"),
        ("2025-01-19", "in_effect"), ("2025-01-20", "rescinded"),
    ],
)
def test_framework_status_on_each_boundary_date(source, settings, assessed_on, state):
    data = {"case_id": "T", "assessed_on": assessed_on, "person": {"age": 40}}
    framework = analyze(parse_case(data), source, settings).framework
    assert framework.doc_id == "dhs-2021-guidelines" and framework.status_on_assessed_date == state
    assert ("did not govern" in framework.note) == (state != "in_effect")


def test_as_of_replaces_the_assessment_date(source, settings):
    case = _case(person={"birth_date": "1957-06-01"})
    analysis = analyze(case, source, settings, as_of=dt.date(2022, 7, 1))
    assert analysis.assessed_on == dt.date(2022, 7, 1) and analysis.framework.status_on_assessed_date == "vacated"
    assert "mit.age" in _ids(analysis)[1] and "mit.age" not in _ids(analyze(case, source, settings))[1]
    with pytest.raises(CaseError, match="apprehension.date: 2022-02-15 is after assessed_on 2022-01-01"):
        analyze(case, source, settings, as_of=dt.date(2022, 1, 1))


# --- whole analyses -------------------------------------------------------------------------------


@pytest.mark.parametrize("item", DEV_CASES, ids=[i["id"] for i in DEV_CASES])
def test_dev_case_expectations(source, settings, item):
    analysis = analyze(parse_case(item["case"], f"dev case {item['id']}"), source, settings)
    expect = item["expect"]
    assert {p.id: p.finding for p in analysis.priorities} == expect["priorities"]
    assert _ids(analysis) == (expect["aggravating"], expect["mitigating"])
    assert analysis.framework.status_on_assessed_date == expect["framework_status"]


def test_dev_cases_exercise_every_rule_and_outcome():
    factors = {f for i in DEV_CASES for f in i["expect"]["aggravating"] + i["expect"]["mitigating"]}
    assert factors == set(FACTORS)
    outcomes = {(p, o) for i in DEV_CASES for p, o in i["expect"]["priorities"].items()}
    assert {("national_security", o) for o in ("meets", "officer_assessment", "does_not_meet")} <= outcomes
    assert {("border_security", o) for o in ("meets", "does_not_meet", "insufficient_facts")} <= outcomes
    assert ("public_safety", "officer_assessment") in outcomes
    assert not {("public_safety", "meets"), ("public_safety", "does_not_meet")} & outcomes
    assert {i["expect"]["framework_status"] for i in DEV_CASES} == {"not_yet_effective", "in_effect", "enjoined", "vacated",
                                                                   "rescinded"}
    assert len(DEV_CASES) >= 40


@pytest.mark.parametrize("item", DEV_CASES[::6], ids=[i["id"] for i in DEV_CASES[::6]])
def test_every_citation_is_exact_and_every_reason_avoids_removability(source, settings, item):
    analysis = analyze(parse_case(item["case"]), source, settings)
    for finding in [*analysis.priorities, *analysis.aggravating, *analysis.mitigating]:
        expected = f"priority.{finding.id}" if finding.id in ("national_security", "public_safety", "border_security") else finding.id
        assert [c.anchor for c in finding.citations] == [expected]
        for citation in finding.citations:
            assert source.texts[citation.doc_id][citation.start : citation.end] == citation.quote
    for priority in analysis.priorities:
        assert priority.reasons and not any("removab" in r.lower() for r in priority.reasons)
    assert analysis == analyze(parse_case(item["case"]), source, settings)  # deterministic


def test_json_form_follows_contracts_section_4(source, settings):
    from assistant.cases.facts import load_case

    data = analyze(load_case(CASES / "hx-001.yaml"), source, settings).model_dump(mode="json")
    assert {"case_id", "assessed_on", "framework", "priorities", "aggravating", "mitigating", "check"} <= set(data)
    assert data["case_id"] == "HX-001" and data["assessed_on"] == "2022-03-01"
    assert data["framework"]["status_on_assessed_date"] == "in_effect"
    assert [p["id"] for p in data["priorities"]] == ["national_security", "public_safety", "border_security"]
    assert [f["id"] for f in data["aggravating"]] == ["agg.offense_gravity"]
    assert [f["id"] for f in data["mitigating"]] == ["mit.age", "mit.lengthy_presence"]
    citation = data["mitigating"][0]["citations"][0]
    assert {"doc_id", "anchor", "section", "heading", "quote", "start", "end"} <= set(citation)
