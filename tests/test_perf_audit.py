"""The audit write of an answer, made cheap without writing less (issue 14: warm answers near the floor).

Redaction skips libphonenumber's matcher where it cannot find a valid number (the answer's dates and
offsets no longer send every string through it), and commits are not fsynced (``synchronous=NORMAL``):
a record written is still there after the process is killed, which is what docs/AUDIT.md promises.
"""

from __future__ import annotations

import importlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from assistant import audit
from assistant.audit import runlog

from .conftest import REPO, make_settings

redact = importlib.import_module("assistant.audit.redact")  # the module (``audit.redact`` is its function)


def _matcher_spans(text: str) -> list[tuple[int, int]]:
    import phonenumbers

    return [(m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(text, redact.PHONE_REGION,
                                                                      leniency=phonenumbers.Leniency.VALID)]


def test_the_phone_prefilter_is_built_on_the_installed_phonenumbers_tables():
    from phonenumbers import PhoneMetadata, phonenumberutil as util

    assert redact.PHONE_PUNCTUATION == util._VALID_PUNCTUATION and redact.PHONE_PLUS == util._PLUS_CHARS
    us = PhoneMetadata.metadata_for_region(redact.PHONE_REGION)

    def shortest(md) -> int:  # a country code and the shortest valid national number
        return len(str(md.country_code)) + min(n for n in md.general_desc.possible_length if n > 0)

    regions = [PhoneMetadata.metadata_for_region(r) for r in util.SUPPORTED_REGIONS]
    regions += [PhoneMetadata.metadata_for_nongeo_region(c) for c in util.COUNTRY_CODES_FOR_NON_GEO_REGIONS]
    with_plus = min(shortest(md) for md in regions)
    assert redact.PHONE_MIN_DIGITS_PLUS <= with_plus
    # Without a plus sign: a national number of any region of the default region's country code (US and Canada share
    # 1), after at most that country code and the national prefix; or the international prefix and any number.
    same_code = [PhoneMetadata.metadata_for_region(r) for r in util.COUNTRY_CODE_TO_REGION_CODE[us.country_code]]
    assert redact.PHONE_NATIONAL_LENGTHS == {n for md in same_code for n in md.general_desc.possible_length if n > 0}
    assert redact.PHONE_COUNTRY_CODE == str(us.country_code) and redact.PHONE_NATIONAL_PREFIX == us.national_prefix_for_parsing
    assert redact.PHONE_INTERNATIONAL_PREFIX == us.international_prefix
    assert redact.PHONE_MIN_DIGITS_INTERNATIONAL <= len(us.international_prefix) + with_plus


def _numbers(rng: random.Random) -> str:
    """A string of digit groups joined by phone punctuation, letters and words, sometimes with a plus sign."""
    seps = [" ", "-", ".", "/", "(", ")", " - ", "x", "xx", ", ", "  ", "\u2013", "\u00a0", "~", " ext. ", "#", ", x ", "\t",
            ";ext=", "[", "]"]
    if rng.random() < 0.3:  # a US number, its groups joined in some way
        area, exchange = f"{rng.randint(2, 9)}{rng.randint(0, 8)}{rng.randint(0, 9)}", str(rng.randint(200, 999))
        return rng.choice(["", "+1 ", "1-", "(", "tel "]) + area + rng.choice(seps) + exchange + rng.choice(seps) + \
            f"{rng.randint(0, 9999):04d}"
    parts = []
    for _ in range(rng.randint(1, 5)):
        if rng.random() < 0.2:
            parts.append(rng.choice(["+", "(+", "011 ", "＋", "tel: ", "on ", "call ", "1-", "1 ", "01", "x"]))
        parts.append("".join(rng.choice("0123456789") for _ in range(rng.randint(1, 6))))
        parts.append(rng.choice(seps))
    return "".join(parts)


def test_the_prefilter_never_hides_a_number_libphonenumber_finds(corpus_index, dev_set):
    rng = random.Random(14)
    texts = [p.text for p in corpus_index.passages] + [i["question"] for i in dev_set["items"]]
    texts += [_numbers(rng) for _ in range(3000)]
    texts += ["Call me at (212) 555-0199 after five", "his number is +1 212 555 0199", "+49 30 1234", "+683 4002",
              "011 683 4002", "2125550199", "212xxx0199", "1 (800) 275-2273", "+44 20 7946 0958", "(+1) 212.555.0199"]
    found = 0
    for text in texts:
        spans = _matcher_spans(text)
        found += bool(spans)
        if not redact.may_hold_phone(text):
            assert spans == [], text
    assert found > 100  # the random strings did hold numbers libphonenumber takes for valid ones


@pytest.fixture
def answers(corpus_index, corpus_settings):
    from assistant.answer.pipeline import ask

    questions = ["When did the guidelines take effect?", "Were the guidelines in force at the end of 2022?",
                 "What are the mitigating factors?", "How do I apply for a U visa?"]
    return [ask(corpus_index, corpus_settings, q) for q in questions]


def test_recording_an_answer_runs_no_phone_matcher_where_no_number_can_be(answers, tmp_path, monkeypatch):
    import phonenumbers

    calls = []
    real = phonenumbers.PhoneNumberMatcher

    def counting(text, *args, **kwargs):
        calls.append(text)
        return real(text, *args, **kwargs)

    monkeypatch.setattr(phonenumbers, "PhoneNumberMatcher", counting)
    settings = make_settings(tmp_path / "data")
    for answer in answers:
        assert audit.record_answer(settings, answer, "build") is not None
    assert calls == []  # dates, offsets and section numbers are no phone numbers: nothing was sent to the matcher
    records = audit.list_records(settings, limit=None)
    assert [r.payload["answer"] for r in reversed(records)] == [a.answer for a in answers]  # nothing lost in redaction

    phoned = answers[0].model_copy(update={"question": "My client's cell is (212) 555-0199: did they take effect?"})
    audit.record_answer(settings, phoned, "build")
    assert calls  # a question that may hold a number still goes through the matcher, and is redacted
    assert audit.list_records(settings, limit=1)[0].subject == "My client's cell is [phone redacted]: did they take effect?"


def test_the_log_commits_without_an_fsync_per_record(tmp_path):
    settings = make_settings(tmp_path / "data")
    audit.record(settings, "ask", "a question", {"answer": "x"})
    with runlog.connect(runlog.log_path(settings.paths.data_dir), write=True) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL: synced at checkpoints, not per commit


ONE_WRITER = """
import os, sys, time
from pathlib import Path
from assistant import audit
from assistant.config import Settings
settings = Settings.load()
settings.paths.data_dir = Path(sys.argv[1])
for i in range(int(sys.argv[2])):
    print(audit.record(settings, "ask", f"question {i}", {"answer": "y" * 5000, "i": i}, passed=True), flush=True)
time.sleep(60)
"""


@pytest.mark.slow
def test_a_record_is_kept_when_the_process_is_killed_right_after_writing_it(tmp_path):
    """What the log promises without an fsync per commit: a record written survives the process being killed."""
    settings = make_settings(tmp_path / "data")
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(ONE_WRITER), str(settings.paths.data_dir), "25"],
                            stdout=subprocess.PIPE, text=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.stdout is not None
    written = [int(proc.stdout.readline()) for _ in range(25)]
    proc.send_signal(signal.SIGKILL)  # no exit handler, no checkpoint: the records are in the WAL only
    proc.wait()
    with sqlite3.connect(runlog.log_path(settings.paths.data_dir)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert {r.id for r in audit.list_records(settings, limit=None)} == set(written)


def test_a_log_deleted_or_replaced_between_writes_gets_the_next_record(tmp_path):
    """Each thread keeps its connection between writes; a log deleted or swapped meanwhile is never written through it."""
    settings = make_settings(tmp_path / "data")
    path = runlog.log_path(settings.paths.data_dir)
    first = audit.record(settings, "ask", "first question", {"answer": "x"})
    assert first is not None
    for suffix in ("", "-wal", "-shm"):  # as a person clearing the log by hand would
        if os.path.exists(f"{path}{suffix}"):
            os.remove(f"{path}{suffix}")
    audit.record(settings, "ask", "after the log was deleted", {"answer": "y"})
    assert [r.subject for r in audit.list_records(settings, limit=None)] == ["after the log was deleted"]
    assert oct(path.stat().st_mode & 0o777) == "0o600"

    other = tmp_path / "other"
    audit.record(make_settings(other), "ask", "a record in another log", {"answer": "z"})
    os.replace(runlog.log_path(other), path)  # a restored backup put in its place
    for suffix in ("-wal", "-shm"):
        if os.path.exists(f"{runlog.log_path(other)}{suffix}"):
            os.replace(f"{runlog.log_path(other)}{suffix}", f"{path}{suffix}")
    audit.record(settings, "ask", "after the log was replaced", {"answer": "w"})
    assert [r.subject for r in audit.list_records(settings, limit=None)] == ["after the log was replaced", "a record in another log"]


def test_threads_writing_at_once_lose_no_record(tmp_path):
    import threading

    settings = make_settings(tmp_path / "data")
    ids: list[int | None] = []

    def write(n: int) -> None:
        for i in range(15):
            ids.append(audit.record(settings, "ask", f"thread {n} question {i}", {"answer": "x" * 200}))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert None not in ids and len(set(ids)) == 60
    assert {r.subject for r in audit.list_records(settings, limit=None)} == {f"thread {n} question {i}" for n in range(4) for i in range(15)}
