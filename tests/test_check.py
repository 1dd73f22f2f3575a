"""The checker on factor analyses and answers: every rule with cases that trigger it and cases that
must not, the status boundary dates, the file loader, and the mutation suite over the dev cases.

The analyses are the real ones of ``analysis.analyze`` on real case files, checked against the
bundled corpus split in memory (``load_passages``; no model needed).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from assistant.cases.analysis import analyze, check_against_case
from assistant.cases.facts import parse_case
from assistant.check.analyses import check_analysis, protected_use, rests_on_removability
from assistant.check.files import check_file, read_analysis
from assistant.check.rules import RULES
from assistant.citations.cite import cite_anchor
from assistant.errors import InputError
from assistant.index.load import load_passages
from assistant.types import Answer, Status

from .conftest import make_settings
from .mutations import MUTATIONS, format_result, run_suite

BASE = {
    "case_id": "T-1", "assessed_on": "2022-03-01", "person": {"age": 72},
    "entry": {"date": "1992-05-01", "manner": "unlawful"},
    "apprehension": {"date": "2022-02-20", "location": "interior", "attempting_unlawful_entry": False},
    "criminal_history": [{"offense": "burglary", "date": "2010-04-03", "convicted": True, "sentence_months": 24,
                          "serious": True, "weapon": "firearm"}],
    "circumstances": {"family_in_us": ["U.S. citizen daughter, age 9"]},
}


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return make_settings(tmp_path_factory.mktemp("check"))


@pytest.fixture(scope="module")
def source(settings):
    return load_passages(settings)


@pytest.fixture(scope="module")
def case():
    return parse_case(BASE, "test")


@pytest.fixture
def good(case, source, settings):
    return analyze(case, source, settings)


def codes(report, severity="error"):
    return {f.code for f in report.findings if f.severity == severity}


def test_every_rule_has_a_description_and_analysis_rules_name_their_passage(source):
    anchors = {p.anchor for p in source.passages if p.anchor}
    for rule in RULES.values():
        assert rule.description
        if rule.anchor is not None:
            assert rule.anchor in anchors, rule.code
    for code in ("PROTECTED_GROUND", "REMOVABILITY_ALONE", "STATUS_MISMATCH", "FACTOR_POLARITY", "PUBLIC_SAFETY_DECIDED"):
        assert RULES[code].anchor, code


def test_the_tools_own_analysis_passes(good, case, source, settings):
    report = check_against_case(good, case, source, settings)
    assert report.passed and report.findings == []


# --- citations and the passage of each claim -----------------------------------------------------


def test_a_factor_cited_to_another_units_passage_is_an_error(good, source):
    good.mitigating[0].citations = [cite_anchor(source, "mit.lengthy_presence")]
    report = check_analysis(good, source)
    wrong = [f for f in report.findings if f.code == "CLAIM_WRONG_PASSAGE"]
    assert len(wrong) == 1 and wrong[0].path == "mitigating[0].citations[0]" and wrong[0].anchor == "mit.age"
    assert "mit.lengthy_presence" in wrong[0].message


def test_a_priority_cited_to_another_priority_is_an_error_but_its_support_is_not(good, source):
    border = next(p for p in good.priorities if p.id == "border_security")
    border.citations.append(cite_anchor(source, "priorities"))  # the list of priorities supports any priority
    assert check_analysis(good, source).passed
    border.citations = [cite_anchor(source, "priority.public_safety")]
    assert "CLAIM_WRONG_PASSAGE" in codes(check_analysis(good, source))


def test_a_claim_without_its_own_citation_is_an_error(good, source):
    good.aggravating[0].citations = []
    report = check_analysis(good, source)
    assert [f.path for f in report.findings if f.code == "CLAIM_UNCITED"] == ["aggravating[0].citations"]


def test_citation_integrity_rules_apply_to_every_claim(good, source):
    c = good.priorities[0].citations[0]
    c.quote = c.quote.replace("first", "only")
    good.mitigating[1].citations[0].start += 4
    good.mitigating[1].citations[0].end += 4
    report = check_analysis(good, source)
    assert {"CITE_QUOTE_NOT_FOUND", "CITE_QUOTE_SHIFTED"} <= codes(report)


# --- structure, polarity and findings ------------------------------------------------------------


def test_flipped_polarity_is_an_error_both_ways(good, source):
    agg, mit = good.aggravating.pop(0), good.mitigating.pop(0)
    good.mitigating.append(agg)
    good.aggravating.append(mit)
    found = [f for f in check_analysis(good, source).findings if f.code == "FACTOR_POLARITY"]
    assert {f.path for f in found} == {f"mitigating[{len(good.mitigating) - 1}].id", f"aggravating[{len(good.aggravating) - 1}].id"}
    assert {f.anchor for f in found} == {"agg.overview", "mit.overview"}


def test_unknown_factor_missing_and_duplicate_priorities(good, source):
    extra = good.mitigating[0].model_copy(update={"id": "mit.charm"})
    good.mitigating.append(extra)
    good.priorities.append(good.priorities[0].model_copy())
    del good.priorities[1]
    report = check_analysis(good, source)
    assert {"FACTOR_UNKNOWN", "PRIORITY_DUPLICATE", "PRIORITY_MISSING"} <= codes(report)


def test_public_safety_is_never_decided_by_the_tool(good, source):
    ps = next(p for p in good.priorities if p.id == "public_safety")
    ps.finding = "meets"
    assert "PUBLIC_SAFETY_DECIDED" in codes(check_analysis(good, source))
    ps.finding = "does_not_meet"  # aggravating factors show criminal conduct in the record
    assert "PUBLIC_SAFETY_DECIDED" in codes(check_analysis(good, source))


def test_a_met_priority_without_reasons_is_an_error(good, source):
    ps = next(p for p in good.priorities if p.id == "public_safety")
    ps.reasons = []
    assert "PRIORITY_UNREASONED" in codes(check_analysis(good, source))


def test_a_factor_without_facts_is_an_error(good, source):
    good.mitigating[0].facts = ["  "]
    assert "FACTOR_NO_FACTS" in codes(check_analysis(good, source))


# --- against the case facts ----------------------------------------------------------------------


def test_meets_without_supporting_facts_is_an_error(good, case, source, settings):
    border = next(p for p in good.priorities if p.id == "border_security")
    border.finding = "meets"
    report = check_against_case(good, case, source, settings)
    found = next(f for f in report.findings if f.code == "FINDING_UNSUPPORTED")
    assert found.anchor == "priority.border_security" and "does_not_meet" in found.message


def test_other_disagreements_with_the_facts_are_errors(good, case, source, settings):
    border = next(p for p in good.priorities if p.id == "border_security")
    border.finding = "insufficient_facts"
    assert "FINDING_MISMATCH" in codes(check_against_case(good, case, source, settings))


def test_a_factor_without_its_fact_is_an_error_and_an_omitted_one_a_warning(good, case, source, settings):
    good.mitigating.append(good.mitigating[0].model_copy(update={
        "id": "mit.service", "facts": ["Served in the Army"], "citations": [cite_anchor(source, "mit.service")],
    }))
    omitted = good.aggravating.pop()
    report = check_against_case(good, case, source, settings)
    assert "FACTOR_NOT_TRIGGERED" in codes(report)
    assert "FACTOR_OMITTED" in codes(report, "warning") and "FACTOR_OMITTED" not in codes(report)
    assert any(f.anchor == omitted.id for f in report.findings if f.code == "FACTOR_OMITTED")


def test_an_analysis_of_another_case_is_an_error(good, source, settings):
    other = parse_case({**BASE, "case_id": "T-2"}, "test")
    assert codes(check_against_case(good, other, source, settings)) == {"CASE_MISMATCH"}


# --- civil rights and removability ---------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "The person is Muslim.", "He attends a mosque every week.", "The person is a Mexican national.",
    "She is transgender.", "The person's sexual orientation.", "Political associations with a union party.",
    "Took part in a protest outside the courthouse.", "A journalist for the free press.", "Because of his race.",
    "She is of Guatemalan descent.", "Posted social media posts criticizing the government.", "Her gender.",
    "Spoke at a rally.", "Because of his national origin and ethnicity.", "Assembled peacefully outside city hall.",
    "Is Haitian.",
])
def test_protected_characteristics_and_first_amendment_activity_are_found(text):
    assert protected_use(text) is not None


@pytest.mark.parametrize("text", [
    "Convicted of a sex offense in 2015.", "Works on an assembly line.", "Demonstrated rehabilitation since 2012.",
    "Apprehended at the Mexican border while attempting unlawful entry.", "U.S. citizen daughter, age 9.",
    "Race, religion, gender, national origin and political associations must never be a factor.",
    "The person's religion was not considered.", "Filed a petition for a U visa.", "Pressed charges against an employer.",
    "Sentenced to 24 months in March 2019.", "Works as a cook at a Mexican restaurant.",
    "Reported the assault to the police and assembled evidence for the prosecutor.",
])
def test_no_false_alarm_on_ordinary_facts_or_the_civil_rights_reminder(text):
    assert protected_use(text) is None


def test_a_protected_reason_is_an_error_and_a_protected_mitigating_fact_a_warning(good, source):
    good.priorities[1].reasons.append("The person is Muslim.")
    good.aggravating[0].facts.append("Attended a protest against ICE.")
    good.mitigating[0].facts.append("Volunteers at church.")
    report = check_analysis(good, source)
    errors = [f.path for f in report.findings if f.code == "PROTECTED_GROUND"]
    assert errors == ["priorities[1].reasons[3]", "aggravating[0].facts[1]"]
    assert [f.path for f in report.findings if f.code == "PROTECTED_GROUND_NOTED"] == ["mitigating[0].facts[1]"]
    assert all(f.anchor == "civil_rights" for f in report.findings if f.code.startswith("PROTECTED"))


def test_relief_grounds_are_not_protected_ground_findings(source, settings):
    case = parse_case({**BASE, "circumstances": {"relief_eligibility": ["asylum on account of religion and political opinion"]}}, "t")
    assert check_against_case(analyze(case, source, settings), case, source, settings).findings == []


@pytest.mark.parametrize(("reasons", "alone"), [
    (["The person is removable."], True),
    (["The person is deportable and lacks lawful status."], True),
    (["Undocumented.", "No lawful status; a threat."], True),
    (["The person is removable.", "Convicted of armed robbery in 2019."], False),
    (["Apprehended at the border while attempting unlawful entry; removable."], False),
    (["Entered unlawfully on 2021-03-01, after November 1, 2020, and is removable."], False),
    (["Suspected of espionage."], False),
])
def test_removability_alone(reasons, alone):
    assert rests_on_removability(reasons) is alone


def test_a_priority_resting_on_removability_alone_is_an_error(good, source):
    ns = good.priorities[0]
    ns.finding, ns.reasons = "meets", ["The person is removable."]
    found = next(f for f in check_analysis(good, source).findings if f.code == "REMOVABILITY_ALONE")
    assert found.anchor == "principle.discretion" and found.path == "priorities[0].reasons"
    ns.finding = "does_not_meet"  # saying that removability is not enough is fine
    assert "REMOVABILITY_ALONE" not in codes(check_analysis(good, source))


# --- the framework's status ----------------------------------------------------------------------


@pytest.mark.parametrize(("day", "state"), [
    ("2021-09-29", "not_yet_effective"), ("2021-09-30", "not_yet_effective"), ("2021-11-28", "not_yet_effective"),
    ("2021-11-29", "in_effect"), ("2022-06-23", "in_effect"), ("2022-06-24", "vacated"), ("2023-06-22", "vacated"),
    ("2023-06-23", "in_effect"), ("2025-01-19", "in_effect"), ("2025-01-20", "rescinded"),
])
def test_status_on_each_boundary_date(good, source, day, state):
    good.assessed_on = dt.date.fromisoformat(day)
    good.framework.status_on_assessed_date = state
    assert "STATUS_MISMATCH" not in codes(check_analysis(good, source))
    for wrong in {"not_yet_effective", "in_effect", "vacated", "rescinded"} - {state}:
        good.framework.status_on_assessed_date = wrong
        found = [f for f in check_analysis(good, source).findings if f.code == "STATUS_MISMATCH"]
        assert len(found) == 1 and state in found[0].message


def test_status_mismatch_names_the_passage_that_states_the_status(good, source):
    good.assessed_on = dt.date(2022, 7, 1)
    good.framework.status_on_assessed_date = "in_effect"
    found = next(f for f in check_analysis(good, source).findings if f.code == "STATUS_MISMATCH")
    assert found.anchor == "guidelines-status-history.vacatur"


# --- files ---------------------------------------------------------------------------------------


def test_check_file_tells_analyses_and_answers_apart(tmp_path, good, case, source, settings):
    path = tmp_path / "analysis.json"
    path.write_text(json.dumps(good.model_dump(mode="json")), encoding="utf-8")
    assert check_file(path, source, case=case, settings=settings, derived=analyze(case, source, settings)).passed
    c = cite_anchor(source, "mit.age")
    answer = Answer(question="Does age matter?", answer=f"{c.quote} [1]", refused=False, citations=[c],
                    status=Status(doc_id="dhs-2021-guidelines", as_of=dt.date(2022, 8, 1), state="in_effect"))
    path.write_text(answer.model_dump_json(), encoding="utf-8")
    report = check_file(path, source, settings=settings)
    assert codes(report) == {"STATUS_MISMATCH"}
    answer.status.state = "vacated"
    path.write_text(answer.model_dump_json(), encoding="utf-8")
    assert check_file(path, source, settings=settings).findings == []


def test_values_outside_the_allowed_sets_are_findings_not_crashes(good, source):
    data = good.model_dump(mode="json")
    data["priorities"][2]["finding"] = "likely"
    data["framework"]["status_on_assessed_date"] = "active"
    data["check"] = {"passed": True, "findings": []}
    analysis, leniency = read_analysis(data)
    report = check_analysis(analysis, source, leniency=leniency)
    assert codes(report) == {"FINDING_INVALID", "STATUS_INVALID"}
    assert next(f for f in report.findings if f.code == "FINDING_INVALID").path == "priorities[2].finding"


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "is not JSON"),
    ("[1, 2]", "not an object"),
    ('{"hello": 1}', "is neither an answer"),
    ('{"case_id": "x", "priorities": [], "framework": {}}', "is not an analysis"),
    ('{"question": "q", "answer": "a", "refused": "perhaps"}', "is not an answer"),
])
def test_unreadable_input_is_an_input_error(tmp_path, source, content, message):
    path = tmp_path / "x.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        check_file(path, source)
    with pytest.raises(InputError, match="does not exist"):
        check_file(tmp_path / "missing.json", source)


# --- the mutation suite --------------------------------------------------------------------------


@pytest.mark.slow
def test_mutation_suite_catches_every_mutation_with_no_false_alarm(source, settings, capsys):
    result = run_suite(source, settings)
    with capsys.disabled():
        print("\n" + format_result(result))
    assert result.cases >= 4
    assert set(result.tried) == {m.name for m in MUTATIONS}, "every mutation applies to some case"
    assert result.missed == []
    assert result.false_alarms == []
    assert result.total_caught == result.total
