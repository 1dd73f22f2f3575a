"""The memo in its three formats, read back as a user would: Markdown text, a Word document opened
with python-docx (heading styles, tables, factor rows, citations) and a PDF read with pypdf.
"""

from __future__ import annotations

import re

import pytest

from assistant.cases.analysis import analyze, check_against_case
from assistant.cases.facts import parse_case
from assistant.cases.memo import render_markdown, write_docx, write_memo, write_pdf
from assistant.config import Settings
from assistant.errors import InputError
from assistant.index.load import load_passages

from .conftest import make_settings

FACTS = {
    "case_id": "MEMO-1", "assessed_on": "2022-03-01",
    "person": {"age": 72, "name": "Jane Roe", "a_number": "A123456789"},
    "entry": {"date": "1992-05-01", "manner": "unlawful"},
    "apprehension": {"date": "2022-02-20", "location": "interior", "attempting_unlawful_entry": False},
    "criminal_history": [{"offense": "burglary", "date": "2010-04-03", "convicted": True, "sentence_months": 24,
                          "serious": True, "weapon": "firearm"}],
    "circumstances": {"family_in_us": ["U.S. citizen daughter, age 9"], "rehabilitation": ["steady work since 2012"]},
}
VERDICT_WORDS = re.compile(r"\b(recommend\w*|should be (removed|released|detained)|we conclude|the officer should)\b", re.I)


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return make_settings(tmp_path_factory.mktemp("memo"))


@pytest.fixture(scope="module")
def source(settings):
    return load_passages(settings)


def _analysis(source, settings, **changes):
    case = parse_case({**FACTS, **changes}, "test")
    analysis = analyze(case, source, settings)
    analysis.check = check_against_case(analysis, case, source, settings)
    return case, analysis


@pytest.fixture(scope="module")
def memo_case(source, settings):
    return _analysis(source, settings)


def test_markdown_memo_has_every_section_and_no_verdict(memo_case, source):
    case, analysis = memo_case
    md = render_markdown(analysis, case, source)
    for heading in ("# Factor analysis memo: case MEMO-1", "## 1. Facts of the case", "## 2. Enforcement priorities",
                    "## 3. Aggravating factors", "## 4. Mitigating factors", "## 5. What must never be a factor",
                    "## 6. The officer's totality judgment", "## 7. Thresholds the guidelines do not number",
                    "## 8. Citations", "## 9. Disclaimer", "## 10. Check report"):
        assert heading in md
    assert "| Fact | Factor | Citation |" in md
    assert "(agg.weapon)" in md and "(mit.age)" in md
    assert "Threat to border security: DOES NOT MEET" in md
    assert "Threat to public safety: OFFICER'S ASSESSMENT" in md
    assert "IN EFFECT" in md and "WARNING" not in md
    assert "Jane Roe" in md and "A123456789" in md
    assert "not legal advice" in md and "unofficial restatement" in md
    assert "PASSED: the checker found no error." in md
    assert "the guidelines set no number" in md.lower()
    assert not VERDICT_WORDS.search(md)


def test_every_citation_is_quoted_exactly_and_the_reminder_and_disclaimer_are_cited(memo_case, source):
    case, analysis = memo_case
    md = render_markdown(analysis, case, source)
    quotes = [c for p in analysis.priorities for c in p.citations] + [
        c for f in analysis.aggravating + analysis.mitigating for c in f.citations]
    for c in quotes:
        assert f"\u201c{c.quote}\u201d" in md
        assert source.texts[c.doc_id][c.start : c.end] == c.quote
    citations = md.split("## 8. Citations", 1)[1]
    assert "Civil rights and civil liberties" in citations and "must never be a factor" in citations
    assert "No private right of action" in citations and "confer no right or benefit" in citations


def test_name_and_a_number_are_printed_only_when_present(source, settings):
    case, analysis = _analysis(source, settings, person={"age": 40})
    md = render_markdown(analysis, case, source)
    assert "| Name |" not in md and "A-number" not in md


@pytest.mark.parametrize(("day", "state"), [
    # Since 2025-01-20 the label says what is known: no longer applied, the form of rescission unconfirmed (issue 11).
    ("2021-10-15", "NOT YET EFFECTIVE"), ("2022-04-01", "ENJOINED"), ("2022-08-01", "VACATED"),
    ("2025-03-01", "NO LONGER APPLIED since 2025-01-20; form of rescission unconfirmed"),
])
def test_a_framework_not_in_effect_is_a_prominent_warning(source, settings, day, state):
    case, analysis = _analysis(source, settings, assessed_on=day, apprehension={"date": "2021-10-01", "location": "interior"})
    md = render_markdown(analysis, case, source)
    warning = next(line for line in md.splitlines() if line.startswith("> **WARNING"))
    assert state in warning and day in warning
    assert md.index(warning) < md.index("## 1. Facts of the case")


def test_docx_memo_has_real_headings_and_tables(memo_case, source, tmp_path):
    import docx

    case, analysis = memo_case
    path = tmp_path / "memo.docx"
    write_docx(analysis, case, path, source)
    doc = docx.Document(str(path))
    headings = {(p.style.name, p.text) for p in doc.paragraphs if p.style.name.startswith(("Heading", "Title"))}
    assert ("Title", "Factor analysis memo: case MEMO-1") in headings
    assert ("Heading 1", "3. Aggravating factors") in headings and ("Heading 1", "10. Check report") in headings
    assert any(style == "Heading 2" and text.startswith("Threat to public safety") for style, text in headings)
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    factor_tables = [t for t in tables if t[0] == ["Fact", "Factor", "Citation"]]
    assert len(factor_tables) == 2
    agg_rows, mit_rows = factor_tables[0][1:], factor_tables[1][1:]
    assert [r[1].split("(")[-1].rstrip(")") for r in agg_rows] == [f.id for f in analysis.aggravating]
    assert [r[1].split("(")[-1].rstrip(")") for r in mit_rows] == [f.id for f in analysis.mitigating]
    weapon = next(r for r in agg_rows if "agg.weapon" in r[1])
    assert "firearm" in weapon[0] and "Guidelines 2021, II.B, aggravating factor" in weapon[2]
    body = "\n".join(p.text for p in doc.paragraphs)
    for c in analysis.mitigating[0].citations:
        assert c.quote in body
    assert any(p.style.name == "List Bullet" for p in doc.paragraphs)


def test_docx_warning_box_for_a_vacated_date(source, settings, tmp_path):
    import docx

    case, analysis = _analysis(source, settings, assessed_on="2022-08-01")
    path = tmp_path / "vacated.docx"
    write_memo(analysis, case, path, source)
    cells = [c.text for t in docx.Document(str(path)).tables for row in t.rows for c in row.cells]
    assert any(text.startswith("WARNING") and "VACATED" in text for text in cells)


def test_pdf_memo_reads_back_with_headings_factors_quotes_and_page_numbers(memo_case, source, tmp_path):
    from pypdf import PdfReader

    case, analysis = memo_case
    path = tmp_path / "memo.pdf"
    write_pdf(analysis, case, path, source)
    reader = PdfReader(str(path))
    text = "\n".join(page.extract_text() for page in reader.pages)
    flat = " ".join(text.split())
    for heading in ("Factor analysis memo: case MEMO-1", "2. Enforcement priorities", "3. Aggravating factors",
                    "4. Mitigating factors", "6. The officer's totality judgment", "9. Disclaimer", "10. Check report"):
        assert heading in flat
    for f in analysis.aggravating + analysis.mitigating:
        assert f.id in flat
    quote = analysis.aggravating[0].citations[0].quote
    assert " ".join(quote.split()) in flat
    assert f"Page {len(reader.pages)}" in text and len(reader.pages) >= 2


def test_pdf_warning_for_a_rescinded_date(source, settings, tmp_path):
    from pypdf import PdfReader

    case, analysis = _analysis(source, settings, assessed_on="2025-03-01")
    path = tmp_path / "rescinded.pdf"
    write_memo(analysis, case, path, source)
    first = " ".join(PdfReader(str(path)).pages[0].extract_text().split())
    assert "WARNING" in first and "NO LONGER APPLIED" in first and "rescission unconfirmed" in first  # issue 11


def test_markdown_file_and_bad_suffix(memo_case, source, tmp_path):
    case, analysis = memo_case
    written = write_memo(analysis, case, tmp_path / "memo.md", source)
    assert written.read_text(encoding="utf-8") == render_markdown(analysis, case, source)
    with pytest.raises(InputError, match=r"\.md, \.docx, \.pdf"):
        write_memo(analysis, case, tmp_path / "memo.txt", source)
    assert not (tmp_path / "memo.txt").exists()
    with pytest.raises(InputError, match="does not exist"):
        write_memo(analysis, case, tmp_path / "no" / "memo.md", source)


def test_the_check_report_appears_in_the_memo(memo_case, source):
    case, analysis = memo_case
    broken = analysis.model_copy(deep=True)
    broken.priorities[1].finding = "meets"
    broken.check = check_against_case(broken, case, source, Settings())
    md = render_markdown(broken, case, source)
    assert "FAILED: the checker found" in md and "PUBLIC_SAFETY_DECIDED" in md and "priority.public_safety" in md
