"""The audit log: what every ask, memo, check and evaluation records, redaction, retention, the
`guidance log` commands, old logs, and a writer killed mid-write.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import shutil
import signal
import stat
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from assistant import api, audit
from assistant.audit import runlog
from assistant.cli import cli
from assistant.index import store

from .conftest import REPO, make_settings

PERSON = {"name": "Maria Lopez", "a_number": "A012-345-678", "birth_date": "1950-03-15"}
SECRETS = ("Maria", "Lopez", "012-345-678", "012345678", "1950-03-15", "03/15/1950", "987 654 321")
CASE = f"""\
case_id: HX-AUDIT
assessed_on: 2022-03-01
person:
  name: {PERSON['name']}
  a_number: {PERSON['a_number']}
  birth_date: {PERSON['birth_date']}
entry: {{date: 1992-05-01, manner: unlawful}}
circumstances:
  family_in_us: ["Ms. Lopez's daughter, a U.S. citizen, A 987 654 321"]
notes: "Maria Lopez (A012345678), DOB 03/15/1950, says she was never arrested."
"""


@pytest.fixture
def data(corpus_settings, tmp_path):
    """Settings on a private copy of the session index (so record counts are this test's own)."""
    shutil.copytree(corpus_settings.paths.data_dir, tmp_path / "data", ignore=shutil.ignore_patterns("runs.sqlite*"))
    return make_settings(tmp_path / "data")


@pytest.fixture
def case_file(tmp_path):
    path = tmp_path / "case.yaml"
    path.write_text(CASE, encoding="utf-8")
    return path


def _raw_log(settings) -> str:
    """Everything stored in the log, as text (every row, every column)."""
    rows = runlog.select(settings.paths.data_dir, limit=None)
    return json.dumps(rows, ensure_ascii=False)


def _cli(settings, *args, **env):
    environ = {"GUIDANCE_PATHS__DATA_DIR": str(settings.paths.data_dir), **env}
    return CliRunner(env=environ).invoke(cli, list(args), prog_name="guidance")


# --- what a record holds --------------------------------------------------------------------------


def test_ask_memo_and_check_are_recorded_with_who_what_and_the_passages(data, case_file, tmp_path):
    assistant = api.Assistant(data)
    with audit.session("app-session-7"):
        answer = assistant.ask("Does the person's age matter?")
    case, analysis = api.analyze_case_file(data, case_file)
    analysis_file = tmp_path / "analysis.json"
    analysis_file.write_text(analysis.model_dump_json(), encoding="utf-8")
    report = api.check_file(data, analysis_file, case_file)

    records = audit.list_records(data, limit=None)
    assert [r.kind for r in records] == ["check", "memo", "ask"]
    check, memo, ask = records
    build = store.current_build_id(data.paths.index_dir)
    known = {p.id for p in assistant.index.passages}

    assert ask.kind == "ask" and ask.subject == "Does the person's age matter?"
    assert ask.user == data.audit.user and ask.session == "app-session-7"
    assert ask.passages == [r.passage_id for r in answer.retrieved] and set(ask.passages) <= known
    assert ask.settings_hash == data.settings_hash() and ask.build_id == build
    assert ask.payload["answer"] == answer.answer and ask.check == answer.check.model_dump(mode="json")
    assert ask.passed is True and ask.redacted is True

    assert memo.kind == "memo" and memo.subject == "HX-AUDIT" and memo.build_id == build
    assert memo.session == audit.current_session() != "app-session-7"  # the block ended
    cited = {c.passage_id for group in (analysis.priorities, analysis.aggravating, analysis.mitigating)
             for f in group for c in f.citations}
    assert set(memo.passages) == cited and cited <= known
    assert [p["finding"] for p in memo.payload["priorities"]] == [p.finding for p in analysis.priorities]
    assert memo.check == analysis.check.model_dump(mode="json")

    assert check.kind == "check" and check.subject == "HX-AUDIT" and check.passed is report.passed
    assert check.payload["file"] == str(analysis_file) and check.payload["checked"]["case_id"] == "HX-AUDIT"
    assert check.check == report.model_dump(mode="json") and set(check.passages) == cited


def test_personal_details_are_redacted_by_default_everywhere(data, case_file, tmp_path):
    _, analysis = api.analyze_case_file(data, case_file)
    path = tmp_path / "A123456789-analysis.json"  # an A-number in a file name reaches the subject
    path.write_text(analysis.model_dump_json(), encoding="utf-8")
    api.check_file(data, path, case_file)
    audit.record(data, "ask", "Is my client A-123-456-789, born on 1961-07-04, a priority?", {"q": "Alien No. 12345678"})
    text = _raw_log(data)
    for secret in (*SECRETS, "123-456-789", "123456789", "1961-07-04", "12345678"):
        assert secret not in text, secret
    assert "[name redacted]" in text and "[A-number redacted]" in text and "[birth date redacted]" in text
    # the analysis itself is intact apart from the redaction: same findings, same citations
    memo = audit.list_records(data, kinds=["memo"])[0]
    assert [f["id"] for f in memo.payload["mitigating"]] == [f.id for f in analysis.mitigating]
    for raw in (data.paths.data_dir / "runs.sqlite", data.paths.data_dir / "runs.sqlite-wal"):
        if raw.exists():
            assert b"Lopez" not in raw.read_bytes() and b"012345678" not in raw.read_bytes()


def test_redaction_can_be_turned_off(data, case_file):
    result = _cli(data, "memo", str(case_file), "--json", GUIDANCE_AUDIT__REDACT_PERSONAL="false")
    assert result.exit_code == 0, result.stderr
    record = audit.list_records(data, kinds=["memo"])[0]
    assert record.redacted is False
    assert "1950-03-15" in json.dumps(record.payload)  # the age's basis names the birth date


_PREFIXES = ["A", "A-", "A#", "A ", "A# ", "A-number: ", "A-Number ", "A-No. ", "Alien registration number ", "alien no. "]
_WORDS = st.text(st.characters(whitelist_categories=("L", "Zs", "P")), max_size=40)  # no digits


@hyp_settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(before=_WORDS, after=_WORDS, prefix=st.sampled_from(_PREFIXES), number=st.integers(10**6, 10**9 - 1),
       sep=st.sampled_from(["", "-", " "]))
def test_any_written_form_of_an_a_number_is_redacted(before, after, prefix, number, sep):
    digits = str(number)
    grouped = sep.join([digits[:-6], digits[-6:-3], digits[-3:]]) if sep and len(digits) >= 8 else digits
    out = audit.redact_text(f"{before} {prefix}{grouped} {after}")
    assert digits not in re.sub(r"[\s-]", "", out)
    assert "[A-number redacted]" in out


@hyp_settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(text=st.text(st.characters(blacklist_categories=("Nd", "No", "Nl", "Cs")), max_size=200))
def test_text_without_digits_is_never_changed(text):
    assert audit.redact_text(text) == text


# --- retention ------------------------------------------------------------------------------------


def _old_row(settings, days_ago: float, subject: str) -> int:
    ts = time.time() - days_ago * 86400
    at = dt.datetime.fromtimestamp(ts, dt.timezone.utc).isoformat(timespec="seconds")
    return runlog.insert(settings.paths.data_dir, {"kind": "ask", "subject": subject, "settings_hash": "x", "payload": {},
                                                   "ts": ts, "at": at})


def test_old_records_are_deleted_on_write_and_by_prune(data):
    data.audit.retention_days = 30
    _old_row(data, 400, "very old")
    _old_row(data, 40, "old")
    _old_row(data, 10, "recent")
    audit.record(data, "ask", "new", {})
    assert [r.subject for r in audit.list_records(data, limit=None)] == ["new", "recent"]

    data.audit.retention_days = 0  # keep forever: nothing is deleted on write
    _old_row(data, 4000, "ancient")
    audit.record(data, "ask", "newer", {})
    assert "ancient" in {r.subject for r in audit.list_records(data, limit=None)}
    result = _cli(data, "log", "prune", GUIDANCE_AUDIT__RETENTION_DAYS="0")
    assert result.exit_code == 0 and "nothing deleted" in result.output
    result = _cli(data, "log", "prune", "--older-than", "5")
    assert result.exit_code == 0 and "Deleted 2 record(s)" in result.output
    assert [r.subject for r in audit.list_records(data, limit=None)] == ["newer", "new"]


# --- guidance log ---------------------------------------------------------------------------------


@pytest.fixture
def filled(data):
    _old_row(data, 3, "three days ago")
    for i in range(3):
        audit.record(data, "ask", f"question {i}", {"answer": f"answer {i}"}, passed=True, passages=[f"p{i}"])
    audit.record(data, "memo", "HX-1", {"case_id": "HX-1"}, passed=False, check={"passed": False, "findings": []})
    return data


def test_log_list_is_newest_first_and_filters(filled):
    result = _cli(filled, "log", "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()[1:]
    assert [line.split()[2] for line in lines] == ["memo", "ask", "ask", "ask", "ask"]
    assert "FAILED" in lines[0] and "HX-1" in lines[0]
    listed = json.loads(_cli(filled, "log", "list", "--kind", "ask", "--since", "1d", "--limit", "2", "--json").output)
    assert [r["subject"] for r in listed] == ["question 2", "question 1"]
    assert json.loads(_cli(filled, "log", "list", "--since", "2000-01-01", "--json").output)[-1]["subject"] == "three days ago"
    bad = _cli(filled, "log", "list", "--since", "last tuesday")
    assert bad.exit_code == 2 and "30m, 12h, 7d" in bad.stderr
    bad = _cli(filled, "log", "list", "--kind", "asks")
    assert bad.exit_code == 2 and "unknown record kind(s) asks" in bad.stderr


def test_log_show_prints_one_record_in_full(filled):
    memo = audit.list_records(filled, kinds=["memo"])[0]
    result = _cli(filled, "log", "show", str(memo.id))
    assert result.exit_code == 0
    shown = json.loads(result.output)
    assert shown["payload"] == {"case_id": "HX-1"} and shown["check"]["passed"] is False and shown["kind"] == "memo"
    missing = _cli(filled, "log", "show", "99999")
    assert missing.exit_code == 2 and "no record 99999" in missing.stderr and "Traceback" not in missing.stderr


def test_log_export_jsonl_and_csv(filled, tmp_path):
    result = _cli(filled, "log", "export", "--format", "jsonl", "-o", str(tmp_path / "log.jsonl"))
    assert result.exit_code == 0 and "Wrote 5 record(s)" in result.stderr
    rows = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["subject"] for r in rows] == ["three days ago", "question 0", "question 1", "question 2", "HX-1"]
    assert rows[1]["passages"] == ["p0"] and rows[1]["payload"] == {"answer": "answer 0"}

    result = _cli(filled, "log", "export", "--format", "csv", "-o", str(tmp_path / "log.csv"), "--kind", "memo")
    assert result.exit_code == 0
    table = list(csv.DictReader(io.StringIO((tmp_path / "log.csv").read_text(encoding="utf-8"))))
    assert len(table) == 1 and table[0]["subject"] == "HX-1" and json.loads(table[0]["check"])["passed"] is False
    assert set(table[0]) == set(audit.CSV_COLUMNS)
    stdout = _cli(filled, "log", "export", "-o", "-", "--kind", "ask")
    assert stdout.exit_code == 0 and len(stdout.output.splitlines()) == 4
    unwritable = _cli(filled, "log", "export", "-o", str(tmp_path / "no" / "such" / "dir" / "x.jsonl"))
    assert unwritable.exit_code == 2 and "cannot write" in unwritable.stderr


def test_every_log_command_has_help():
    runner = CliRunner()
    for command in ("list", "show", "export", "prune"):
        result = runner.invoke(cli, ["log", command, "--help"], prog_name="guidance")
        assert result.exit_code == 0 and "Example: guidance log" in result.output, command


# --- old logs, failures, evaluations --------------------------------------------------------------


def test_a_log_of_the_first_version_is_migrated_and_stays_readable(data):
    from assistant.audit.feedback import recent_feedback

    path = runlog.log_path(data.paths.data_dir)
    with sqlite3.connect(path) as conn:
        conn.execute(runlog.SCHEMA)
        conn.execute("INSERT INTO runs (at, kind, subject, settings_hash, build_id, passed, payload) VALUES "
                     "('2026-01-02T03:04:05+00:00', 'ask', 'old question', 'abc', NULL, 1, '{}')")
    assert [r["subject"] for r in runlog.recent(data.paths.data_dir)] == ["old question"]
    audit.record(data, "ask", "new question", {})
    runlog.record(data.paths.data_dir, "feedback", "q", "abc", None, True,
                  {"question": "q", "helpful": True, "answer": "a"})  # the first version's call still works
    records = audit.list_records(data, limit=None)
    assert [r.subject for r in records] == ["q", "new question", "old question"]
    assert records[-1].user is None and records[1].user == data.audit.user
    assert audit.list_records(data, since=audit.parse_since("2026-01-01"), kinds=["ask"])[-1].subject == "old question"
    assert recent_feedback(data.paths.data_dir)[0].question == "q"


def test_a_log_that_cannot_be_written_warns_and_the_answer_still_comes(data, capsys):
    runlog.log_path(data.paths.data_dir).mkdir(parents=True)  # a folder where the log file should be
    answer = api.Assistant(data).ask("Does the person's age matter?")
    assert not answer.refused
    assert "could not be written to the audit log" in capsys.readouterr().err


def test_an_evaluation_record_holds_the_set_metrics_and_failures(data, tmp_path):
    from assistant.evals import runner as evaluate

    qs = tmp_path / "set.yaml"
    qs.write_text(textwrap.dedent("""\
        name: audit-set
        items:
          - id: q-age
            question: Does the person's age matter?
            expect: {anchors_any: [mit.age], refused: false}
          - id: c-1
            case: {case_id: EV-1, assessed_on: 2022-03-01, person: {age: 70}}
            expect: {mitigating: [mit.age]}
        """), encoding="utf-8")
    result = evaluate.run_set(qs, data, tmp_path / "run", progress=False)
    asks = audit.list_records(data, kinds=["evaluation_item"])
    assert asks and asks[0].subject == "Does the person's age matter?"  # the set's questions went through the log
    by_run_set = audit.list_records(data, kinds=["evaluation"])
    audit.record_evaluation(data, result, qs)
    record = audit.list_records(data, kinds=["evaluation"])[0]
    assert record.subject == "audit-set" and record.payload["items"] == 2 and record.payload["set_path"] == str(qs)
    assert record.passed is (not result.failed) and record.payload["metrics"] == result.metrics
    assert record.payload["out_dir"] == str(tmp_path / "run") and "q-age" not in record.payload["failed"]
    if not by_run_set:
        pytest.skip("evaluate.run_set does not write its own audit record yet: it needs one line at its end, "
                    "audit.record_evaluation(settings, result, path) (assistant/evaluate.py is not this test's module)")
    assert by_run_set[0].subject == "audit-set"


# --- crash safety ---------------------------------------------------------------------------------

WRITER = """
import sys
from pathlib import Path
from assistant import audit
from assistant.config import Settings
settings = Settings.load()
settings.paths.data_dir = Path(sys.argv[1])
i = 0
while True:
    rid = audit.record(settings, "ask", f"question {i} " + "x" * 2000, {"answer": "y" * 20000, "i": i}, passed=True)
    print(rid, flush=True)
    i += 1
"""


@pytest.mark.slow
def test_the_log_survives_a_writer_killed_mid_write(tmp_path):
    settings = make_settings(tmp_path / "data")
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(settings.paths.data_dir)], stdout=subprocess.PIPE,
                            text=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    written = []
    assert proc.stdout is not None
    while len(written) < 150:
        line = proc.stdout.readline()
        assert line, "the writer stopped before it was killed"
        written.append(int(line))
    proc.send_signal(signal.SIGKILL)  # almost surely inside a write: it writes in a tight loop
    proc.wait()
    path = runlog.log_path(settings.paths.data_dir)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    ids = {r.id for r in audit.list_records(settings, limit=None)}
    assert set(written) <= ids  # every write that returned is there
    assert all(isinstance(r.payload, dict) for r in audit.list_records(settings, limit=None))
    assert audit.record(settings, "ask", "after the crash", {}) == max(ids) + 1
    assert _cli(settings, "log", "list", "--limit", "1").exit_code == 0


def _written_kinds() -> set[str]:
    """Every kind the package's code passes to ``audit.record`` (string literals and *_KIND constants)."""
    import ast

    root = Path(audit.__file__).resolve().parent.parent
    kinds: set[str] = set()
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {t.id: n.value.value for n in ast.walk(tree) if isinstance(n, ast.Assign)
                     for t in n.targets if isinstance(t, ast.Name) and t.id.endswith("_KIND")
                     and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)}
        for node in ast.walk(tree):
            func = node.func if isinstance(node, ast.Call) else None
            name = getattr(func, "attr", None) or getattr(func, "id", None)
            if name != "record" or len(node.args) < 2:
                continue
            arg = node.args[1]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                kinds.add(arg.value)
            elif isinstance(arg, ast.Name) and arg.id in constants:
                kinds.add(constants[arg.id])
    return kinds


def test_every_kind_the_code_writes_can_be_listed(tmp_path):
    written = _written_kinds()
    assert {"llm_failure", "feedback"} <= written and written <= set(audit.KINDS), written - set(audit.KINDS)
    settings = make_settings(tmp_path / "data")
    for kind in audit.KINDS:
        audit.record(settings, kind, f"a {kind} record", {"kind": kind})
    env = {"GUIDANCE_PATHS__DATA_DIR": str(settings.paths.data_dir)}
    for kind in audit.KINDS:
        listed = CliRunner().invoke(cli, ["log", "list", "--kind", kind, "--json"], env=env)
        assert listed.exit_code == 0, listed.output
        assert [r["subject"] for r in json.loads(listed.output)] == [f"a {kind} record"]
    with pytest.raises(ValueError, match="unknown kind"):
        audit.record(settings, "not_a_kind", "x", {})


# --- what redaction catches (issue 16, item 5) ----------------------------------------------------

# (text, what must be gone, the marker that replaced it); the case is PERSON above (María López-García below).
CAUGHT = [
    ("My client's SSN is 123-45-6789.", "123-45-6789", "[SSN redacted]"),
    ("social security number 078 05 1120", "078 05 1120", "[SSN redacted]"),
    ("SSN: 219099999", "219099999", "[SSN redacted]"),
    ("Reach her at maria.lopez+case@example.org today", "maria.lopez+case@example.org", "[e-mail redacted]"),
    ("Call me at (212) 555-0199 after five", "555-0199", "[phone redacted]"),
    ("cell: 555-123-4567", "555-123-4567", "[phone redacted]"),
    ("his number is +1 212 555 0199", "212 555 0199", "[phone redacted]"),
    ("phone 2125550199", "2125550199", "[phone redacted]"),
    ("Is my client Jose Ramirez a priority?", "Ramirez", "[name redacted]"),
    ("The respondent, Ana Pérez, was arrested at the border", "Pérez", "[name redacted]"),
    ("Her son Pedro is a U.S. citizen", "Pedro", "[name redacted]"),
    ("Mr. Okafor has lived here for 30 years", "Okafor", "[name redacted]"),
    ("Does Ms. Nguyen's age matter?", "Nguyen", "[name redacted]"),
    ("DOB 1961/07/04, entered in 1990", "1961/07/04", "[birth date redacted]"),
    ("D.O.B. 7-4-1961", "7-4-1961", "[birth date redacted]"),
    ("born July 4th, 1961 in Oaxaca", "1961", "[birth date redacted]"),
    ("date of birth: 04.07.1961", "04.07.1961", "[birth date redacted]"),
    ("Alien #: 123-456-789", "123-456-789", "[A-number redacted]"),
    ("A-file 123456789 was requested", "123456789", "[A-number redacted]"),
    ("A-File # 12 345 678", "12 345 678", "[A-number redacted]"),
    ("his number a123456789 is on file", "123456789", "[A-number redacted]"),
]
CASE_FORMS = [
    "LOPEZ", "lopez garcia", "López", "LÓPEZ-GARCÍA", "Lopez Garcia", "María", "maria lopez-garcia", "Lopez's",
    "Mr. Lopez", "Lo\u0301pez", "Garcia-Lopez", "María López", "DOB 1950/03/15", "D.O.B. 3-15-1950", "03-15-1950",
    "March 15, 1950", "Mar. 15, 1950", "15.03.1950", "19500315", "Alien #: 012-345-678", "a012345678", "A-file 012 345 678",
]
UNTOUCHED = [
    "Does the person's age matter?",
    "She entered on 1992-05-01 and has lived here for 30 years; sentence of 24 months.",
    "cited dhs-2021-guidelines:10234-10567 and guidelines-status-history:12-345",
    "The guidelines of September 30, 2021 took effect on November 29, 2021.",
    "Is a rose garden a young person's hobby? The client I represent asks.",
    "Section II.B lists 12 factors; 2,500 people in zone 7.",
]


@pytest.mark.parametrize(("text", "secret", "marker"), CAUGHT, ids=[c[0][:30] for c in CAUGHT])
def test_free_text_loses_ssns_phones_emails_cued_names_and_any_form_of_dob_and_a_number(text, secret, marker):
    out = audit.redact_text(text)
    assert secret not in out and marker in out, out


@pytest.mark.parametrize("form", CASE_FORMS)
def test_every_written_form_of_the_cases_own_details_is_redacted(form):
    from types import SimpleNamespace

    person = SimpleNamespace(name="María López-García", a_number="A012-345-678", birth_date=dt.date(1950, 3, 15))
    out = audit.redact_text(f"Notes: {form} said so.", audit.personal_patterns(SimpleNamespace(person=person)))
    assert "redacted]" in out and out.startswith("Notes: ") and out.endswith(" said so."), out
    assert not re.search(r"(?i)l[oó]\u0301?pez|garc|mar[ií]a|1950|15\.03|345", out), out


@pytest.mark.parametrize("text", UNTOUCHED)
def test_text_without_personal_details_is_left_as_it_is(text):
    assert audit.redact_text(text) == text


# --- no free text at all, a size cap, private files ------------------------------------------------


def test_with_store_text_off_no_free_text_is_written(data, case_file):
    data.audit.store_text = False
    assistant = api.Assistant(data)
    answer = assistant.ask("Does my client's age matter? She is elderly.")
    api.analyze_case_file(data, case_file)
    audit.record(data, "feedback", "a question", {"question": "a question", "comment": "the answer was fine", "cited": ["dhs:1-2"]})
    text = _raw_log(data)
    for written in ("age matter", "elderly", "HX-AUDIT", "advanced or tender age", "fine", answer.answer[:40]):
        assert written not in text, written
    ask, memo = audit.list_records(data, kinds=["ask"])[0], audit.list_records(data, kinds=["memo"])[0]
    assert ask.subject == memo.subject == audit.NO_TEXT
    assert ask.passages == [r.passage_id for r in answer.retrieved]  # what it rests on is kept
    assert {c["anchor"] for c in ask.payload["citations"]} == {c.anchor for c in answer.citations}
    assert ask.payload["answer"] == audit.NO_TEXT and ask.passed is True
    assert memo.payload["mitigating"] and all(f["id"].startswith("mit.") for f in memo.payload["mitigating"])
    assert audit.list_records(data, kinds=["feedback"])[0].payload["cited"] == ["dhs:1-2"]


def _log_bytes(settings) -> int:
    return sum(p.stat().st_size for p in settings.paths.data_dir.glob("runs.sqlite*"))


def test_the_log_is_capped_by_size_and_the_oldest_records_go_first(tmp_path):
    settings = make_settings(tmp_path / "data", audit__max_size_mb=0.25)
    for i in range(200):  # about 1 MB of records
        audit.record(settings, "ask", f"question {i}", {"answer": f"answer {i} " + "x" * 5000})
    kept = [r.subject for r in audit.list_records(settings, limit=None)]
    assert kept[0] == "question 199" and "question 0" not in kept
    assert kept == [f"question {i}" for i in range(199, 199 - len(kept), -1)]  # newest kept, oldest gone, no gaps
    assert 30 <= len(kept) <= 50  # 0.25 MB holds about 48 of these; after a trim, 90% of that
    from assistant.audit.runlog import WAL_LIMIT_BYTES

    database = (settings.paths.data_dir / "runs.sqlite").stat().st_size
    assert database <= 0.25 * 1024 * 1024 + 64 * 1024  # the database stays at the cap (plus a few pages)
    # the write-ahead log and its index (kept while the process lives) add a bounded amount on top
    assert _log_bytes(settings) <= 0.25 * 1024 * 1024 + 64 * 1024 + WAL_LIMIT_BYTES + 32 * 1024
    # no cap: nothing is deleted for size
    unlimited = make_settings(tmp_path / "free", audit__max_size_mb=0)
    for i in range(60):
        audit.record(unlimited, "ask", f"question {i}", {"answer": "x" * 5000})
    assert len(audit.list_records(unlimited, limit=None)) == 60 and _log_bytes(unlimited) > 0.25 * 1024 * 1024


def _modes(folder):
    return {p: stat.S_IMODE(p.lstat().st_mode) for p in [folder, *folder.rglob("*")] if not p.is_symlink()}


@pytest.mark.slow  # an ingest of its own
def test_the_data_folder_is_0700_and_its_files_0600_whatever_the_umask(tmp_path, embedder, monkeypatch):
    from assistant.index.ingest import ingest

    old = os.umask(0o022)
    try:
        settings = make_settings(tmp_path / "data")
        ingest(settings, embedder=embedder)
        uploads = settings.paths.data_dir / "uploads"  # what the app does with an upload: save it, then ingest it
        uploads.mkdir()
        (uploads / "memo.md").write_text("## Parking\n\nMeters in zone 5 take coins only, says Maria Lopez.", encoding="utf-8")
        ingest(settings, [uploads / "memo.md"], embedder=embedder)
        reader = sqlite3.connect(runlog.log_path(settings.paths.data_dir))  # keeps -wal and -shm in place
        audit.record(settings, "ask", "Is my client a priority?", {"answer": "..."})
        reader.execute("SELECT count(*) FROM runs").fetchone()
        monkeypatch.setattr(api.Assistant, "status", lambda self: 1 / 0)  # a bug: crash details go to crash.log
        result = _cli(settings, "status")
        assert result.exit_code == 3 and "crash.log" in result.stderr
        modes = _modes(settings.paths.data_dir)
        reader.close()
    finally:
        os.umask(old)
    names = {p.name for p in modes}
    assert {"runs.sqlite", "runs.sqlite-wal", "runs.sqlite-shm", "crash.log", "memo.md", "passages.jsonl"} <= names, names
    wrong = {str(p): oct(m) for p, m in modes.items() if m != (0o700 if p.is_dir() else 0o600)}
    assert not wrong, wrong
