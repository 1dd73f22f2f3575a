"""The memo's wording as a reader meets it, the same in Markdown, Word and PDF (issue 15, point 10).

No "(s)" plurals or "(none)" placeholders, offenses counted from 1 (never a zero-based ``[0]``), and
a case's free text (with its own " | ", " - ", ";" and "/") coming through exactly as written:
escaped in a Markdown table so the table holds, and its list items told apart from each other.
Each format is read back as a person would: the Markdown rendered to HTML, the .docx with
python-docx, the PDF's text with pypdf.
"""

from __future__ import annotations

import html
import io
import re

import pytest

from assistant.cases.analysis import analyze
from assistant.cases.facts import parse_case
from assistant.cases.memo import memo_bytes
from assistant.cases.memo.markdown import escape_markdown, render_markdown
from assistant.check.rules import finding
from assistant.index.load import load_passages
from assistant.types import CheckReport

from .conftest import make_settings

OFFENSE = "theft | fraud - 2nd degree; w/ priors"
FAMILY = ["U.S. citizen daughter | age 9; son - age 12", "wife/partner"]
NOTES = "seen by A. Smith | B. Jones - 2021/22; file 7"
FACTS = {
    "case_id": "SEP-1", "assessed_on": "2022-03-01",
    "person": {"age": 70, "years_in_us": 30.0},
    "entry": {"date": "1992-05-01", "manner": "unlawful"},
    "apprehension": {"date": "2022-02-20", "location": "interior", "attempting_unlawful_entry": False},
    "criminal_history": [
        {"offense": OFFENSE, "date": "2010-04-03", "convicted": True, "sentence_months": 24, "serious": True,
         "harm": "serious", "weapon": "firearm", "sophistication": "high"},
        {"offense": "DUI", "date": "2012-04-03", "convicted": True, "serious": True},
    ],
    "circumstances": {"family_in_us": FAMILY, "relief_eligibility": ["U visa"]},
    "notes": NOTES,
}
NOT_WORDING = re.compile(r"\w\(s\)|\(none\)|\[0\]|criminal_history\[")


@pytest.fixture(scope="module")
def memo(tmp_path_factory):
    """The memo of a case with separators in its free text, and a check report with exactly one error."""
    settings = make_settings(tmp_path_factory.mktemp("wording"))
    source = load_passages(settings)
    case = parse_case(FACTS, "wording")
    analysis = analyze(case, source, settings)
    one_error = finding("MEMO_PROSE_CITED", "memo.texts[0]: an invented error for the test", "memo.texts[0]")
    analysis = analysis.model_copy(update={"check": CheckReport.of([*analysis.check.findings, one_error])})
    return {fmt: memo_bytes(analysis, case, source, fmt) for fmt in ("md", "docx", "pdf")}, analysis, case, source


def _markdown_text(data: bytes) -> tuple[str, list[list[str]]]:
    """What a Markdown viewer shows: the rendered text, and each table's rows of cell texts."""
    markdown_it = pytest.importorskip("markdown_it")
    rendered = markdown_it.MarkdownIt("commonmark").enable("table").render(data.decode("utf-8"))
    rows = [[html.unescape(re.sub(r"<[^>]+>", "\n", c)).strip() for c in re.findall(r"<t[dh]>(.*?)</t[dh]>", r, re.S)]
            for r in re.findall(r"<tr>(.*?)</tr>", rendered, re.S)]
    return html.unescape(re.sub(r"<br\s*/?>", "\n", re.sub(r"<(?!br)[^>]+>", "", rendered))), rows


def _word_text(data: bytes) -> str:
    import docx

    document = docx.Document(io.BytesIO(data))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def _pdf_text(data: bytes) -> str:
    import pypdf

    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def _texts(memo) -> dict[str, str]:
    files = memo[0]
    return {"md": _markdown_text(files["md"])[0], "docx": _word_text(files["docx"]), "pdf": _pdf_text(files["pdf"])}


def _prose(text: str) -> str:
    """The memo up to its check report (whose "Where" column holds the JSON paths of docs/CONTRACTS.md section 5)."""
    return text.split("Check report")[0]


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text)  # a PDF wraps long lines; the words and their separators stay


def test_no_placeholder_plurals_or_zero_based_indices_in_any_format(memo):
    for fmt, text in _texts(memo).items():
        assert not NOT_WORDING.findall(_prose(text)), (fmt, NOT_WORDING.findall(_prose(text)))
        flat = _one_line(text)
        assert "FAILED: the checker found 1 error;" in flat, fmt
        assert f"Offense 1: {OFFENSE} (date 2010-04-03" in flat, fmt
        assert f"Offense 2: DUI (date 2012-04-03" in flat, fmt
        assert f"{OFFENSE}, 2010-04-03 (offense 1): a firearm used or threatened" in flat, fmt


def test_separators_in_the_case_text_come_through_unchanged_and_list_items_stay_apart(memo):
    family = f"(1) {FAMILY[0]}; (2) {FAMILY[1]}"
    for fmt, text in _texts(memo).items():
        flat = _one_line(text)
        assert f"Family in the United States: {family}" in flat, fmt
        assert f"The case file records family in the United States: {family}" in flat, fmt
        assert f"Notes: {NOTES}" in flat, fmt


def test_a_markdown_table_holds_with_a_pipe_in_a_fact(memo):
    _, rows = _markdown_text(memo[0]["md"])
    factor_rows = [r for r in rows if len(r) == 3 and r[1].endswith("(agg.weapon)")]
    assert factor_rows == [[f"{OFFENSE}, 2010-04-03 (offense 1): a firearm used or threatened",
                            "aggravating factor: use or threatened use of a firearm or dangerous weapon (agg.weapon)",
                            factor_rows[0][2]]]
    assert all(len(r) == len(rows[0]) or len(r) in (2, 3, 5) for r in rows)


def test_the_preview_shows_every_text_literally_with_one_escaper(memo):
    from assistant.ui.render import md_escape

    _, analysis, case, source = memo
    markdown_it = pytest.importorskip("markdown_it")
    for hostile in ("- a list?", "1. a number", "2) another", "+ plus", "a | b", "*stars* and _under_", "# heading"):
        assert md_escape(hostile) == escape_markdown(hostile)  # the app and the memo share one escaper
        shown = html.unescape(re.sub(r"<[^>]+>", "", markdown_it.MarkdownIt("commonmark").enable("table")
                                     .render(escape_markdown(hostile)))).strip()
        assert shown == hostile
    preview = render_markdown(analysis, case, source, literal=True)
    text, rows = _markdown_text(preview.encode())
    two_facts = next(r for r in rows if len(r) == 3 and r[1].endswith("(agg.offense_gravity)"))
    assert two_facts[0].startswith(f"(1) {OFFENSE}, 2010-04-03 (offense 1): ") and "; (2) DUI, 2012-04-03 (offense 2): " in two_facts[0]
    assert not NOT_WORDING.findall(_prose(text))


def test_the_case_text_keeps_its_own_spacing_in_the_facts(tmp_path):
    settings = make_settings(tmp_path)
    source = load_passages(settings)
    spaced = {**FACTS, "circumstances": {"family_in_us": ["daughter  |  age 9"]}}
    analysis = analyze(parse_case(spaced, "spacing"), source, settings)
    family = next(f for f in analysis.mitigating if f.id == "mit.family_impact")
    assert family.facts == ["The case file records family in the United States: daughter  |  age 9"]
