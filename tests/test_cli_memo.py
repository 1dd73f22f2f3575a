"""`guidance memo` and `guidance check` through click's runner: exit codes, messages, the JSON
contracts (docs/CONTRACTS.md sections 4 and 5), the written files, and nothing written on bad input.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from assistant.cli import cli

CASE = """\
case_id: CLI-1
assessed_on: 2022-03-01
person: {age: 72, name: Jane Roe}
entry: {date: 1992-05-01, manner: unlawful}
apprehension: {date: 2022-02-20, location: interior, attempting_unlawful_entry: false}
criminal_history:
  - {offense: burglary, date: 2010-04-03, convicted: true, sentence_months: 24, serious: true, weapon: firearm}
circumstances:
  family_in_us: [U.S. citizen daughter, age 9]
"""


@pytest.fixture
def run(tmp_path, monkeypatch):
    """Invoke the CLI with a fresh data folder (no index: passages come from the bundled corpus)."""
    monkeypatch.setenv("GUIDANCE_PATHS__DATA_DIR", str(tmp_path / "data"))

    def _run(*args: str):
        return CliRunner().invoke(cli, list(args), prog_name="guidance")

    return _run


@pytest.fixture
def case_file(tmp_path):
    path = tmp_path / "case.yaml"
    path.write_text(CASE, encoding="utf-8")
    return path


@pytest.fixture
def analysis_file(run, case_file, tmp_path):
    result = run("memo", str(case_file), "--json")
    assert result.exit_code == 0, result.output
    path = tmp_path / "analysis.json"
    path.write_text(result.stdout, encoding="utf-8")
    return path


def test_memo_json_follows_the_contract(run, case_file):
    result = run("memo", str(case_file), "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) >= {"case_id", "assessed_on", "framework", "priorities", "aggravating", "mitigating", "check"}
    assert data["case_id"] == "CLI-1" and data["assessed_on"] == "2022-03-01"
    assert data["framework"]["status_on_assessed_date"] == "in_effect"
    assert {p["id"]: p["finding"] for p in data["priorities"]} == {
        "national_security": "does_not_meet", "public_safety": "officer_assessment", "border_security": "does_not_meet"}
    assert [f["id"] for f in data["aggravating"]] == ["agg.offense_gravity", "agg.weapon"]
    assert {"mit.age", "mit.lengthy_presence", "mit.family_impact"} <= {f["id"] for f in data["mitigating"]}
    cite = data["aggravating"][0]["citations"][0]
    assert set(cite) >= {"doc_id", "anchor", "section", "heading", "quote", "start", "end"}
    assert data["check"] == {"passed": True, "findings": []}


def test_memo_prints_markdown_by_default(run, case_file):
    result = run("memo", str(case_file))
    assert result.exit_code == 0
    assert result.stdout.startswith("# Factor analysis memo: case CLI-1")
    assert "## 10. Check report" in result.stdout and "Jane Roe" in result.stdout


@pytest.mark.parametrize("suffix", [".md", ".docx", ".pdf"])
def test_memo_writes_each_format_and_says_where(run, case_file, tmp_path, suffix):
    out = tmp_path / f"memo{suffix}"
    result = run("memo", str(case_file), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert out.is_file() and out.stat().st_size > 1000
    assert f"Wrote the memo of case CLI-1 to {out}" in result.stdout


def test_memo_json_and_output_together_keep_stdout_json(run, case_file, tmp_path):
    out = tmp_path / "memo.md"
    result = run("memo", str(case_file), "--json", "-o", str(out))
    assert result.exit_code == 0
    assert json.loads(result.stdout)["case_id"] == "CLI-1"
    assert out.is_file() and "Wrote the memo" in result.stderr


def test_memo_as_of_a_vacated_date_warns(run, case_file):
    result = run("memo", str(case_file), "--as-of", "2022-08-01", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["assessed_on"] == "2022-08-01" and data["framework"]["status_on_assessed_date"] == "vacated"
    assert "VACATED" in result.stderr


@pytest.mark.parametrize(("content", "message"), [
    ("case_id: X\nassessed_on: 2022-03-01\nperson: {age: -3}\n", "person.age"),
    ("case_id: X\nassessed_on: 2022-03-01\nhair: brown\n", "hair: unknown field"),
    ("assessed_on: 2022-03-01\n", "case_id: is required"),
    ("just some words, not a case\n", "must be a mapping"),
])
def test_invalid_case_file_exit_2_and_nothing_written(run, tmp_path, content, message):
    bad = tmp_path / "bad.yaml"
    bad.write_text(content, encoding="utf-8")
    out = tmp_path / "memo.docx"
    result = run("memo", str(bad), "-o", str(out))
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output
    assert not out.exists()
    assert list(tmp_path.glob("*.docx*")) == [] and list(tmp_path.glob(".memo*")) == []


def test_bad_memo_suffix_or_date_is_exit_2(run, case_file, tmp_path):
    result = run("memo", str(case_file), "-o", str(tmp_path / "memo.txt"))
    assert result.exit_code == 2 and ".md, .docx, .pdf" in result.stderr
    assert not (tmp_path / "memo.txt").exists()
    result = run("memo", str(case_file), "--as-of", "yesterday")
    assert result.exit_code == 2 and "is not a date" in result.stderr
    result = run("memo", str(tmp_path / "missing.yaml"))
    assert result.exit_code == 2 and "no such file" in result.stderr


def test_check_passes_a_correct_analysis(run, analysis_file, case_file):
    result = run("check", str(analysis_file), "--case", str(case_file))
    assert result.exit_code == 0, result.output
    assert "passed: 0 error(s)" in result.stdout


def test_check_fails_an_edited_analysis_with_exit_1(run, analysis_file, case_file):
    data = json.loads(analysis_file.read_text(encoding="utf-8"))
    data["priorities"][2]["finding"] = "meets"  # border security, which the facts do not support
    data["mitigating"].append({**data["aggravating"][0]})  # an aggravating factor listed as mitigating
    data["framework"]["status_on_assessed_date"] = "vacated"
    analysis_file.write_text(json.dumps(data), encoding="utf-8")
    result = run("check", str(analysis_file), "--case", str(case_file))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert any(line.startswith("ERROR FINDING_UNSUPPORTED priorities[2].finding: border_security:")
               and line.endswith("(rule: priority.border_security)") for line in lines)
    assert any(line.startswith("ERROR FACTOR_POLARITY mitigating[") and "(rule: agg.overview)" in line for line in lines)
    assert any(line.startswith("ERROR STATUS_MISMATCH framework:") and "(rule: guidelines-status-history.signed_and_effective)" in line for line in lines)
    assert lines[-1].startswith("failed: ")


def test_check_json_report(run, analysis_file):
    data = json.loads(analysis_file.read_text(encoding="utf-8"))
    data["priorities"][0]["reasons"].append("The person is Muslim.")
    analysis_file.write_text(json.dumps(data), encoding="utf-8")
    result = run("check", str(analysis_file), "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["passed"] is False
    found = report["findings"][0]
    assert found == {**found, "code": "PROTECTED_GROUND", "severity": "error", "anchor": "civil_rights",
                     "path": "priorities[0].reasons[1]"}


def test_check_without_case_ignores_fact_rules(run, analysis_file):
    data = json.loads(analysis_file.read_text(encoding="utf-8"))
    data["priorities"][2]["finding"] = "meets"
    analysis_file.write_text(json.dumps(data), encoding="utf-8")
    assert run("check", str(analysis_file)).exit_code == 0
    # only the facts can refute this claim


@pytest.mark.parametrize("content", ["{oops", "[]", '{"something": "else"}', ""])
def test_check_unreadable_input_is_exit_2(run, tmp_path, content):
    path = tmp_path / "x.json"
    path.write_text(content, encoding="utf-8")
    result = run("check", str(path))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and "Traceback" not in result.output


def test_check_with_an_invalid_case_file_is_exit_2(run, analysis_file, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("case_id: X\n", encoding="utf-8")
    result = run("check", str(analysis_file), "--case", str(bad))
    assert result.exit_code == 2 and "assessed_on" in result.stderr


def test_check_an_answer(run, tmp_path):
    from assistant.citations.cite import cite_anchor
    from assistant.config import Settings
    from assistant.index.load import load_passages
    from assistant.types import Answer

    c = cite_anchor(load_passages(Settings()), "mit.age")
    answer = Answer(question="Does age matter?", answer=f"{c.quote} [1] [2]", refused=False, citations=[c])
    path = tmp_path / "answer.json"
    path.write_text(answer.model_dump_json(), encoding="utf-8")
    result = run("check", str(path))
    assert result.exit_code == 1
    assert "ERROR ANSWER_MARKER_UNRESOLVED answer: marker [2] has no citation" in result.stdout
