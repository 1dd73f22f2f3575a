"""Inputs built to exhaust a resource: nesting thousands deep, dates at the end of the calendar, tens
of thousands of keys, a second ingest, an interrupted one. Each is refused in one line with exit 2,
or simply works; none is an internal error (exit 3) or a traceback.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from assistant.cases import facts
from assistant.cases.facts import CaseError, read_case_bytes
from assistant.cli import cli
from assistant.corpus.readers import read_document
from assistant.errors import DocumentError, IndexBusyError
from assistant.evals import data_dir
from assistant.index import store
from assistant.index.ingest import ingest

from .conftest import make_settings

CASE = (data_dir("cases") / "hx-001.yaml").read_text(encoding="utf-8")


def _cli(settings, *args: str):
    env = {"GUIDANCE_PATHS__DATA_DIR": str(settings.paths.data_dir)}
    return CliRunner(env=env).invoke(cli, list(args), prog_name="guidance")


def _one_line_input_error(result) -> str:
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


# --- item 7: depth and dates ----------------------------------------------------------------------


def test_html_nested_thousands_deep_is_a_document_error_naming_the_limit(tmp_path):
    path = tmp_path / "deep.html"
    path.write_text("<html><body>" + "<div>" * 5000 + "deep text" + "</div>" * 5000 + "</body></html>", encoding="utf-8")
    with pytest.raises(DocumentError, match=r"nests its elements more than 256 deep"):
        read_document(path)
    # a page nested as deep as real ones are is still read
    path.write_text("<html><body>" + "<div>" * 100 + "<p>shallow enough text</p>" + "</div>" * 100 + "</body></html>",
                    encoding="utf-8")
    assert "shallow enough text" in read_document(path).text


DEEP_CASES = {
    "flow.json": '{"case_id": "x", "assessed_on": "2022-03-01", "notes": ' + "[" * 10000 + "]" * 10000 + "}",
    "flow.yaml": "case_id: x\nassessed_on: 2022-03-01\nnotes: " + "[" * 10000 + "]" * 10000 + "\n",
    "block.yaml": "case_id: x\nnotes:\n" + "".join("  " * i + "a:\n" for i in range(1, 3000)),
    "moderate.json": '{"case_id": "x", "notes": ' + '{"a": ' * 200 + "1" + "}" * 200 + "}",
}


@pytest.mark.slow  # parses inputs thousands of levels deep
@pytest.mark.parametrize("name", sorted(DEEP_CASES))
def test_a_case_nested_thousands_deep_is_a_case_error(name):
    with pytest.raises(CaseError, match=r"nests its fields more than 32 deep"):
        read_case_bytes(DEEP_CASES[name].encode(), f"case file {name}")


@pytest.mark.slow  # the command line on the session index
def test_the_memo_command_refuses_a_deep_case_in_one_line(corpus_settings, tmp_path):
    path = tmp_path / "deep.json"
    path.write_text(DEEP_CASES["flow.json"], encoding="utf-8")
    line = _one_line_input_error(_cli(corpus_settings, "memo", str(path)))
    assert "nests its fields more than 32 deep" in line


@pytest.mark.slow
def test_a_case_assessed_on_the_last_day_of_the_calendar_is_analyzed(corpus_settings, tmp_path):
    path = tmp_path / "case.yaml"
    path.write_text(CASE, encoding="utf-8")
    result = _cli(corpus_settings, "memo", str(path), "--as-of", "9999-12-31", "--json")
    assert result.exit_code == 0, (result.output, result.exception)
    analysis = json.loads(result.stdout)
    assert analysis["assessed_on"] == "9999-12-31"
    presence = next(f for f in analysis["mitigating"] if f["id"] == "mit.lengthy_presence")
    assert any("30" in fact for fact in presence["facts"])  # years_in_us is given as 30 in hx-001
    # a leap-day entry date counted to the last day: 9999-12-31 is 7,999.84 years after 2000-02-29
    path.write_text(CASE.replace("years_in_us: 30", "").replace("date: 1992-05-01", "date: 2000-02-29"), encoding="utf-8")
    result = _cli(corpus_settings, "memo", str(path), "--as-of", "9999-12-31", "--json")
    assert result.exit_code == 0, (result.output, result.exception)


def test_years_between_reaches_the_last_day_of_the_calendar():
    import datetime as dt

    from assistant.cases.models import years_between

    assert years_between(dt.date(2000, 1, 1), dt.date(9999, 12, 31)) == pytest.approx(7999 + 364 / 365, abs=1e-9)  # 9999 has 365 days
    assert years_between(dt.date(9999, 12, 30), dt.date(9999, 12, 31)) == pytest.approx(1 / 366)  # 10000 is a leap year
    assert years_between(dt.date(2010, 4, 3), dt.date(2022, 3, 1)) == pytest.approx(11 + 332 / 365)


# --- item 8: the duplicate-key check, the lock, half-builds ---------------------------------------


class _Key(str):
    """A key that counts how often it is compared (the cost of a duplicate check)."""

    comparisons = 0

    def __eq__(self, other):
        type(self).comparisons += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


def test_the_duplicate_key_check_compares_each_key_a_few_times_not_with_every_other():
    n = 2000
    _Key.comparisons = 0
    assert facts._unique_pairs([(_Key(f"k{i}"), i) for i in range(n)]) == {f"k{i}": i for i in range(n)}
    assert _Key.comparisons <= 2 * n  # the check used to compare every pair: n * n = 4,000,000


@pytest.mark.parametrize("text", [
    '{"case_id": "a", "assessed_on": "2022-03-01", "case_id": "b"}',
    "case_id: a\nassessed_on: 2022-03-01\nperson: {age: 40, age: 41}\n",
])
def test_a_duplicate_field_is_still_named(text):
    with pytest.raises(CaseError, match=r"the field '(case_id|age)' appears twice"):
        read_case_bytes(text.encode())


@pytest.mark.slow  # a 40,000-key file
def test_forty_thousand_distinct_keys_are_checked_and_refused_as_unknown_fields():
    text = "case_id: x\nassessed_on: 2022-03-01\n" + "".join(f"k{i}: {i}\n" for i in range(40000))
    with pytest.raises(CaseError, match=r"k0: unknown field.*and \d+ more problem"):
        read_case_bytes(text.encode())


@pytest.fixture
def fresh(tmp_path, embedder):
    settings = make_settings(tmp_path / "data")
    return settings, ingest(settings, embedder=embedder)


@pytest.mark.slow
def test_a_second_ingest_is_refused_before_the_model_is_loaded(fresh, monkeypatch):
    settings, _ = fresh
    from assistant.index import embed

    loaded = []
    real = embed.load_embedder
    monkeypatch.setattr(embed, "load_embedder", lambda *a, **k: loaded.append(1) or real(*a, **k))
    with store.ingest_lock(settings.paths.index_dir):
        with pytest.raises(IndexBusyError, match="another ingest is running"):
            ingest(settings)
    assert loaded == []  # told at once, not after the seconds a model takes to load


@pytest.mark.slow
def test_an_ingest_that_finds_the_index_up_to_date_removes_a_half_build(fresh, embedder):
    settings, first = fresh
    builds = settings.paths.index_dir / store.BUILDS
    half = builds / store.new_build_id()  # what an ingest killed before build.json leaves behind
    (half / "documents").mkdir(parents=True)
    (half / "passages.jsonl").write_text('{"id": "x"}\n', encoding="utf-8")
    (half / "chroma").mkdir()
    report = ingest(settings, embedder=embedder)
    assert not report.changed and report.build_id == first.build_id
    assert not half.exists()
    assert sorted(p.name for p in builds.iterdir()) == [first.build_id]
