"""Case files: valid files load into typed facts; every bad file is one clear message naming the field."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from pydantic import ValidationError

from assistant.cases.facts import Case, CaseError, load_case, parse_case
from assistant.errors import InputError
from assistant.evals import data_dir

CASES = data_dir("cases")

CASES_DIR = CASES
BASE = {"case_id": "T-1", "assessed_on": "2022-03-01"}


def _with(**fields):
    return {**BASE, **fields}


def _problem(data, source="case file t.yaml") -> str:
    with pytest.raises(CaseError) as info:
        parse_case(data, source)
    message = str(info.value)
    assert "Traceback" not in message and "\n" not in message, message
    assert message.startswith(f"{source}: ")
    return message


def test_case_error_is_an_input_error_with_exit_code_2():
    assert issubclass(CaseError, InputError)
    assert CaseError("x").exit_code == 2


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param({"assessed_on": "2022-03-01"}, "case_id: is required but missing", id="missing-case-id"),
        pytest.param({"case_id": "T-1"}, "assessed_on: is required but missing", id="missing-assessed-on"),
        pytest.param(_with(case_id=""), "case_id: must not be empty", id="empty-case-id"),
        pytest.param(_with(case_id="   "), "case_id: must not be empty", id="blank-case-id"),
        pytest.param(
            _with(nickname="x"),
            "nickname: unknown field; allowed fields here are case_id, assessed_on, person, entry, apprehension, "
            "national_security, criminal_history, circumstances, notes",
            id="unknown-top-field",
        ),
        pytest.param(
            _with(person={"agee": 30}),
            "person.agee: unknown field; allowed fields here are age, birth_date, years_in_us, name, a_number",
            id="unknown-person-field",
        ),
        pytest.param(
            _with(criminal_history=[{"offense": "theft", "knife": True}]),
            "criminal_history[0].knife: unknown field; allowed fields here are offense, date, convicted",
            id="unknown-offense-field",
        ),
        pytest.param(
            _with(criminal_history=[{"offense": "theft", "weapon": "knife"}]),
            "criminal_history[0].weapon: must be one of none, firearm, dangerous_weapon (got 'knife')",
            id="weapon-enum",
        ),
        pytest.param(_with(entry={"manner": "illegal"}), "entry.manner: must be one of unlawful, lawful, unknown (got 'illegal')",
                     id="manner-enum"),
        pytest.param(_with(apprehension={"location": "airport"}),
                     "apprehension.location: must be one of border, port_of_entry, interior (got 'airport')", id="location-enum"),
        pytest.param(_with(criminal_history=[{"offense": "x", "harm": "grave"}]),
                     "criminal_history[0].harm: must be one of none, minor, serious (got 'grave')", id="harm-enum"),
        pytest.param(_with(criminal_history=[{"offense": "x", "sophistication": "very"}]),
                     "criminal_history[0].sophistication: must be one of low, moderate, high (got 'very')", id="sophistication-enum"),
        pytest.param(_with(person={"age": -3}), "person.age: must be 0 or more (got -3)", id="negative-age"),
        pytest.param(_with(person={"age": "seventy"}), "person.age: must be a whole number (got 'seventy')", id="age-type"),
        pytest.param(_with(person={"age": True}), "person.age: must be a whole number (got true)", id="age-bool"),
        pytest.param(_with(person={"years_in_us": "ten"}), "person.years_in_us: must be a number (got 'ten')", id="years-type"),
        pytest.param(_with(person={"years_in_us": -1}), "person.years_in_us: must be 0 or more (got -1)", id="negative-years"),
        pytest.param(_with(criminal_history=[{"offense": "x", "sentence_months": -2}]),
                     "criminal_history[0].sentence_months: must be 0 or more (got -2)", id="negative-sentence"),
        pytest.param(_with(national_security={"terrorism_or_espionage": "yes"}),
                     "national_security.terrorism_or_espionage: must be true or false (got 'yes')", id="bool-type"),
        pytest.param(_with(circumstances={"family_in_us": "daughter"}),
                     "circumstances.family_in_us: must be a list (got 'daughter')", id="list-type"),
        pytest.param(_with(person="72"), "person: must be a mapping of fields (got '72')", id="section-type"),
        pytest.param(_with(criminal_history={"offense": "x"}), "criminal_history: must be a list (got a mapping)", id="history-type"),
        pytest.param(_with(criminal_history=[{"date": "2020-01-01"}]), "criminal_history[0].offense: is required but missing",
                     id="offense-name-missing"),
        pytest.param(_with(assessed_on="March 1, 2022"), "assessed_on: must be a date YYYY-MM-DD (got 'March 1, 2022')", id="date-format"),
        pytest.param(_with(assessed_on="2022-02-30"), "assessed_on: is not a real date (got '2022-02-30')", id="date-impossible"),
        pytest.param(_with(assessed_on=20220301), "assessed_on: must be a date YYYY-MM-DD (got 20220301)", id="date-number"),
        pytest.param(_with(entry={"date": "2021-06-01"}, apprehension={"date": "2021-05-31"}),
                     "apprehension.date: 2021-05-31 is before entry.date 2021-06-01", id="apprehension-before-entry"),
        pytest.param(_with(apprehension={"date": "2022-03-02"}), "apprehension.date: 2022-03-02 is after assessed_on 2022-03-01",
                     id="apprehension-after-assessment"),
        pytest.param(_with(entry={"date": "2022-03-02"}), "entry.date: 2022-03-02 is after assessed_on 2022-03-01",
                     id="entry-after-assessment"),
        pytest.param(_with(criminal_history=[{"offense": "x"}, {"offense": "y", "date": "2023-01-01"}]),
                     "criminal_history[1].date: 2023-01-01 is after assessed_on 2022-03-01", id="offense-after-assessment"),
        pytest.param(_with(person={"birth_date": "2022-03-02"}), "person.birth_date: 2022-03-02 is after assessed_on 2022-03-01",
                     id="birth-after-assessment"),
        pytest.param(_with(person={"birth_date": "1990-01-01"}, entry={"date": "1989-01-01"}),
                     "entry.date: 1989-01-01 is before person.birth_date 1990-01-01", id="entry-before-birth"),
        pytest.param(_with(person={"age": 70, "birth_date": "1950-01-01"}), "person.age: 70 disagrees with person.birth_date 1950-01-01",
                     id="age-disagrees-with-birth-date"),
        pytest.param(_with(apprehension={"location": "interior", "attempting_unlawful_entry": True}),
                     "apprehension.attempting_unlawful_entry: is true, but an attempted unlawful entry happens at the border",
                     id="attempting-in-interior"),
        pytest.param([BASE], "a case file must be a mapping of fields", id="a-list"),
        pytest.param("HX-001", "a case file must be a mapping of fields", id="a-scalar"),
    ],
)
def test_invalid_case_is_one_message_naming_the_field(data, expected):
    assert expected in _problem(data)


def test_several_problems_are_reported_in_one_message():
    message = _problem(_with(person={"age": -1}, entry={"manner": "x"}))
    assert "person.age: must be 0 or more" in message and "entry.manner: must be one of" in message


def test_valid_minimal_case_keeps_unknown_apart_from_false():
    case = parse_case(dict(BASE))
    assert case.case_id == "T-1" and case.assessed_on == dt.date(2022, 3, 1)
    assert case.entry.date is None and case.entry.manner == "unknown"
    assert case.apprehension.location is None and case.apprehension.attempting_unlawful_entry is None
    assert case.national_security.terrorism_or_espionage is None
    given = parse_case(_with(apprehension={"attempting_unlawful_entry": False}))
    assert given.apprehension.attempting_unlawful_entry is False
    assert case.age() is None and case.years_in_us() is None and not case.has_criminal_conduct()


def test_null_means_not_given():
    case = parse_case(_with(person={"age": None}, circumstances={"family_in_us": None}, entry=None, notes=None))
    assert case.person.age is None and case.circumstances.family_in_us == [] and case.entry.manner == "unknown"


def test_derived_age_years_and_criminal_conduct():
    case = parse_case(_with(person={"birth_date": "1957-03-02"}, entry={"date": "2012-03-01"},
                            criminal_history=[{"offense": "theft", "convicted": False}]))
    assert case.age() == 64  # the 65th birthday is the day after the assessment
    assert case.years_in_us() == 10.0  # exact on the anniversary
    assert case.has_criminal_conduct()
    assert parse_case(_with(person={"birth_date": "1957-03-01"})).age() == 65
    assert parse_case(_with(entry={"date": "2012-03-02"})).years_in_us() < 10
    assert parse_case(_with(person={"years_in_us": 3}, entry={"date": "1990-01-01"})).years_in_us() == 3.0
    leap = parse_case(_with(assessed_on="2024-02-28", person={"birth_date": "2004-02-29"}))
    assert leap.age() == 19


def test_identifiers_written_as_numbers_are_text_and_details_are_optional():
    case = parse_case({"case_id": 2024001, "assessed_on": "2022-03-01", "person": {"a_number": 123456789, "name": "X"}})
    assert case.case_id == "2024001" and case.person.a_number == "123456789"


def test_case_is_immutable():
    case = parse_case(dict(BASE))
    with pytest.raises(ValidationError):
        case.case_id = "other"  # type: ignore[misc]


# --- files ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["hx-001.yaml", "hx-002.json", "hx-003.yaml"])
def test_example_case_files_load(name):
    case = load_case(CASES_DIR / name)
    assert isinstance(case, Case) and case.case_id.startswith("HX-")


def test_yaml_and_json_are_told_apart_by_content(tmp_path):
    json_named_yaml = tmp_path / "case.yaml"
    json_named_yaml.write_text(json.dumps({"case_id": "J", "assessed_on": "2022-03-01", "person": {"age": 3}}))
    yaml_named_json = tmp_path / "case.json"
    yaml_named_json.write_text("case_id: Y\nassessed_on: 2022-03-01\n")
    no_suffix = tmp_path / "case"
    no_suffix.write_text("case_id: N\nassessed_on: 2022-03-01\n")
    assert load_case(json_named_yaml).person.age == 3
    assert load_case(yaml_named_json).case_id == "Y"
    assert load_case(no_suffix).case_id == "N"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(b"", "the file is empty", id="empty"),
        pytest.param(b"  \n\n", "the file is empty", id="blank"),
        pytest.param(b"# only a comment\n", "the file holds no fields", id="comment-only"),
        pytest.param(b"- case_id: X\n- assessed_on: 2022-03-01\n", "but this one is a list", id="yaml-list"),
        pytest.param(b"just some words\n", "but this one is a single value ('just some words')",
                     id="yaml-scalar"),
        pytest.param(b"case_id: X\n  assessed_on: [2022\n", "is not valid YAML or JSON", id="broken-yaml"),
        pytest.param(b'{"case_id": "X", "assessed_on": }', "is not valid JSON", id="broken-json"),
        pytest.param(b"%PDF-1.4\n\x00\x01\x02binary", "is not a YAML or JSON text file", id="binary"),
        pytest.param(b"\xff\xfe\xfa not utf-8", "is not a YAML or JSON text file", id="not-utf8"),
        pytest.param(b"case_id: X\ncase_id: Y\nassessed_on: 2022-03-01\n", "the field 'case_id' appears twice", id="duplicate-key"),
        pytest.param(b"case_id: X\nassessed_on: 2022-13-01\n", "assessed_on: is not a real date (got '2022-13-01')",
                     id="yaml-impossible-date"),
        pytest.param(b"case_id: X\nassessed_on: 2022-03-01\ncriminal_history:\n  - offense: theft\n    weapon: knife\n",
                     "criminal_history[0].weapon: must be one of none, firearm, dangerous_weapon (got 'knife')", id="field-in-file"),
    ],
)
def test_bad_files_are_rejected_with_the_file_named(tmp_path, content, expected):
    path = tmp_path / "hx.yaml"
    path.write_bytes(content)
    with pytest.raises(CaseError) as info:
        load_case(path)
    message = str(info.value)
    assert message.startswith(f"case file {path}: ") and expected in message, message
    assert "Traceback" not in message


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(CaseError, match="no such file"):
        load_case(tmp_path / "nope.yaml")
    with pytest.raises(CaseError, match="is a folder"):
        load_case(tmp_path)
