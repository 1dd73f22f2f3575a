"""Splitting real documents into passages: right sections, exact spans, anchors kept apart, stable ids."""

from __future__ import annotations

import hashlib
import re

import pytest

from assistant.config import DEFAULT_CORPUS_DIR, ChunkSettings
from assistant.corpus.readers import read_document
from assistant.corpus.splitter import CHUNKER_VERSION, split_document
from assistant.types import Block, ParsedDocument

from . import docgen

FORMATS = ["md", "txt", "pdf", "docx", "html"]
SETTINGS = ChunkSettings()
CORPUS = DEFAULT_CORPUS_DIR


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    """The parking memo in every format: {fmt: (doc, passages, expected)}."""
    folder = tmp_path_factory.mktemp("split")
    out = {}
    for fmt in FORMATS:
        path = folder / f"parking.{fmt}"
        expected = getattr(docgen, f"make_memo_{fmt}")(path)
        doc = read_document(path)
        out[fmt] = (doc, split_document(doc, SETTINGS), expected)
    return out


def _doc(*specs: tuple[str, str] | tuple[str, str, dict]) -> ParsedDocument:
    """A document from (kind, text[, Block fields]) specs, with exact offsets."""
    blocks, pos = [], 0
    for spec in specs:
        kind, text, extra = spec if len(spec) == 3 else (*spec, {})
        blocks.append(Block(text=text, kind=kind, start=pos, end=pos + len(text), **extra))
        pos += len(text) + 2
    return ParsedDocument(doc_id="t", source="t", format="txt", text="\n\n".join(b.text for b in blocks), blocks=blocks)


def _containing(passages, sentence: str):
    found = [p for p in passages if sentence in p.text]
    assert len(found) == 1, f"{len(found)} passages contain {sentence!r}"
    return found[0]


def _check_spans(doc, passages, settings=SETTINGS):
    assert [p.order for p in passages] == list(range(len(passages)))
    for p in passages:
        assert doc.text[p.start : p.end] == p.text and p.text == p.text.strip()
        assert len(p.text) <= settings.max_chars
    for a, b in zip(passages, passages[1:]):
        assert a.end < b.start
    headings = {h for p in passages for h in p.section_path}
    for block in doc.blocks:  # every body block is covered once; headings (and bold lines acting as one) never
        covering = [p for p in passages if p.start <= block.start < p.end]
        heading = block.kind == "heading" or (block.bold_lead == len(block.text) and block.text in headings)
        assert len(covering) == (0 if heading else 1), block.text


@pytest.mark.parametrize("fmt", FORMATS)
def test_sentences_land_in_the_right_sections(split, fmt):
    doc, passages, expected = split[fmt]
    _check_spans(doc, passages)
    for section, sentence in expected["sentences"]:
        passage = _containing(passages, sentence)
        assert passage.section == section, sentence
        if section:
            assert passage.section_path[-1] == expected["section_paths"][section]
    ii_b = _containing(passages, "Before citing a vehicle parked in an accessible space")
    assert ii_b.section_path == ["II. Enforcement Priorities", "B. Access for Persons with Disabilities"]
    notes = _containing(passages, expected["footnotes"][-1])
    assert notes.section == "Footnotes" and notes.section_path == ["Footnotes"]
    assert not any(p.label for p in passages)


@pytest.mark.parametrize("fmt", ["md", "pdf", "docx", "html"])
def test_bold_run_in_headings_become_passage_headings(split, fmt):
    doc, passages, expected = split[fmt]
    for lead, sentence in expected["leads"].items():
        passage = _containing(passages, sentence)
        assert passage.heading == lead and passage.text.startswith(lead)
    assert _containing(passages, "Training. Every officer").section == "III"
    assert _containing(passages, "Loading zones exist").heading == "C. Commercial Loading Zones"


def test_pdf_passages_carry_no_page_furniture_or_footnote_markers(split):
    doc, passages, expected = split["pdf"]
    texts = [p.text for p in passages]
    for text in texts:
        for furniture in expected["furniture"]:
            assert furniture not in text
        assert not re.search(r"Page \d|\b- ?\d+ ?-", text)
        for glued in expected["footnote_markers"]:
            assert glued not in text
    assert not any(re.fullmatch(r"\d+", t) for t in texts)
    body = [p for p in passages if p.section != "Footnotes"]
    for footnote in expected["footnotes"]:  # footnote texts are not interleaved into the body
        assert not any(footnote in p.text for p in body)
    assert "discretion. That discretion" in _containing(passages, "officers hold broad discretion").text


def test_pdf_paragraph_across_a_page_break_is_one_passage(split):
    doc, passages, expected = split["pdf"]
    (crossing,) = expected["cross_page"]
    passage = _containing(passages, crossing[:80])
    assert crossing in passage.text and passage.section == "II.C"


@pytest.mark.parametrize("fmt", ["pdf", "txt", "md"])
def test_memo_header_is_its_own_passage_before_any_section(split, fmt):
    doc, passages, expected = split[fmt]
    header = _containing(passages, "MEMORANDUM FOR:")
    assert header.order == 0 and header.section == "" and header.heading == ""
    assert all(field in header.text for field in expected["header"])
    assert "This memorandum provides guidance" not in header.text


def test_markdown_anchors_are_kept_and_never_mixed(split):
    doc, passages, expected = split["md"]
    for anchor, sentences in expected["anchors"].items():
        for sentence in sentences:
            assert _containing(passages, sentence).anchor == anchor
    for p in passages:  # every block inside a passage has the passage's anchor
        inside = [b for b in doc.blocks if p.start <= b.start < p.end]
        assert {b.anchor for b in inside} == {p.anchor}
    items = [_containing(passages, item) for item in expected["list_items"]]
    assert [p.anchor for p in items] == ["hazard.fire_lane", "hazard.crosswalk", "hazard.travel_lane"]
    intro = _containing(passages, "A vehicle that creates a safety hazard")
    assert intro.anchor is None and "fire lane" not in intro.text


def test_headings_titles_and_unnumbered_sections(tmp_path):
    path = tmp_path / "impl.md"
    path.write_text(
        "# Title of the memo\n\nOpening words.\n\n## Implementation\n\nIntro to implementation.\n\n### Training\n\n"
        "Officers are trained.\n\n## IV. Review\n\n### Case review\n\nCases are reviewed.\n\n**Appeals**\n\n"
        "Appeals go to a judge.\n\n**Nothing in this part is legal advice.**\n\n"
        "### II.B Threat to public safety\n\nComposite numeral.\n",
        encoding="utf-8",
    )
    doc = read_document(path)
    got = [(p.section, p.heading, p.section_path, p.text) for p in split_document(doc, SETTINGS)]
    assert got == [
        ("", "", [], "Opening words."),
        ("Implementation", "Implementation", ["Implementation"], "Intro to implementation."),
        ("Implementation / Training", "Training", ["Implementation", "Training"], "Officers are trained."),
        ("IV / Case review", "Case review", ["IV. Review", "Case review"], "Cases are reviewed."),
        ("IV / Case review / Appeals", "Appeals", ["IV. Review", "Case review", "Appeals"], "Appeals go to a judge."),
        # an emphasized sentence stays text: a passage of its own, with itself as run-in heading
        ("IV / Case review / Appeals", "Nothing in this part is legal advice.", ["IV. Review", "Case review", "Appeals"],
         "Nothing in this part is legal advice."),
        ("II.B", "II.B Threat to public safety", ["IV. Review", "II.B Threat to public safety"], "Composite numeral."),
    ]


def test_hierarchy_is_inferred_when_the_format_has_no_heading_levels():
    heads = ["I. One", "A. Alpha", "B. Beta", "C. Gamma", "1. Numbered", "D. Delta", "II. Two", "A. First of II",
             "III. Three", "IV. Four", "V. Five", "Background"]
    specs = []
    for head in heads:
        specs += [("heading", head), ("paragraph", f"Text under {head}.")]
    passages = split_document(_doc(*specs), SETTINGS)
    sections = {p.text.removeprefix("Text under ").rstrip("."): p.section for p in passages}
    assert sections == {
        "I. One": "I", "A. Alpha": "I.A", "B. Beta": "I.B", "C. Gamma": "I.C", "1. Numbered": "I.C.1",
        "D. Delta": "I.D", "II. Two": "II", "A. First of II": "II.A", "III. Three": "III", "IV. Four": "IV",
        "V. Five": "V", "Background": "Background",
    }
    numbered = _containing(passages, "Text under 1. Numbered")
    assert numbered.section_path == ["I. One", "C. Gamma", "1. Numbered"] and numbered.heading == "1. Numbered"


def test_a_long_section_is_split_under_max_chars_at_sentence_ends(tmp_path):
    sentences = [f"Sentence number {i} explains one more rule about meters and zones in plain words." for i in range(40)]
    items = [f"{i}. Short item {i} about curb space." for i in range(1, 9)]
    words = " ".join(f"word{i}" for i in range(120))  # no sentence or clause boundary at all
    path = tmp_path / "long.md"
    path.write_text("## I. Rules\n\n" + " ".join(sentences) + "\n\n" + "\n".join(items) + f"\n\n{words}\n", encoding="utf-8")
    doc = read_document(path)
    settings = ChunkSettings(max_chars=300, min_chars=80)
    passages = split_document(doc, settings)
    _check_spans(doc, passages, settings)
    assert all(p.section == "I" for p in passages)
    prose = [p for p in passages if p.text.startswith("Sentence")]
    assert len(prose) >= 10 and all(p.text.endswith(".") for p in prose)
    assert " ".join(p.text for p in prose) == " ".join(sentences)
    for item in items:  # short list items are never cut
        _containing(passages, item)
    pieces = [p for p in passages if re.search(r"\bword\d", p.text)]
    assert " ".join(p.text for p in pieces) == words and all(len(p.text) >= settings.min_chars for p in pieces)


def test_a_short_tail_is_rebalanced_not_left_alone():
    text = " ".join(["Alpha beta gamma delta epsilon zeta eta theta."] * 6) + " Tail."
    passages = split_document(_doc(("paragraph", text)), ChunkSettings(max_chars=200, min_chars=80))
    assert [len(p.text) <= 200 and len(p.text) >= 80 for p in passages] == [True] * len(passages)
    assert " ".join(p.text for p in passages) == text


def test_ids_are_stable_and_follow_the_content(tmp_path, split):
    _, passages, _ = split["md"]
    path = tmp_path / "parking.md"
    docgen.make_memo_md(path)
    again = split_document(read_document(path), SETTINGS)
    assert [p.id for p in again] == [p.id for p in passages]
    assert len({p.id for p in passages}) == len(passages)
    for p in passages:
        key = f"{p.doc_id}\x1f{p.section}\x1f{p.anchor or ''}\x1f{p.text}"
        assert p.id == hashlib.sha256(key.encode()).hexdigest()[:16] and re.fullmatch(r"[0-9a-f]{16}", p.id)
    path.write_text(path.read_text(encoding="utf-8").replace("four-hour course", "six-hour course"), encoding="utf-8")
    changed = split_document(read_document(path), SETTINGS)
    differing = [(a.text[:30], b.text[:30]) for a, b in zip(passages, changed) if a.id != b.id]
    assert differing == [("Training. Every officer will c", "Training. Every officer will c")]
    assert isinstance(CHUNKER_VERSION, str) and CHUNKER_VERSION


def test_identical_text_in_one_section_still_gets_distinct_ids():
    doc = _doc(("heading", "I. One"), ("paragraph", "Same words.", {"anchor": "a"}), ("paragraph", "Other.", {"anchor": "b"}),
               ("paragraph", "Same words.", {"anchor": "a"}))
    ids = [p.id for p in split_document(doc, SETTINGS)]
    assert len(ids) == len(set(ids)) == 3


@pytest.mark.skipif(not (CORPUS / "dhs-2021-guidelines.md").exists(), reason="the bundled corpus is not written yet")
def test_the_bundled_corpus_keeps_its_anchors_and_sections():
    doc = read_document(CORPUS / "dhs-2021-guidelines.md", doc_id="dhs-2021-guidelines")
    passages = split_document(doc, SETTINGS)
    _check_spans(doc, passages)
    by_anchor = {}
    for p in passages:
        inside = {b.anchor for b in doc.blocks if p.start <= b.start < p.end}
        assert inside == {p.anchor}
        by_anchor.setdefault(p.anchor, []).append(p)
    contract = ["scope", "principle.discretion", "priority.national_security", "priority.public_safety",
                "priority.border_security", "agg.offense_gravity", "agg.harm", "agg.sophistication", "agg.weapon",
                "agg.prior_record", "mit.age", "mit.lengthy_presence", "mit.condition", "mit.victim_witness",
                "mit.family_impact", "mit.relief_eligibility", "mit.service", "mit.rehabilitation",
                "mit.vacated_expunged", "mit.labor_tenant_rights", "civil_rights", "impl.training", "impl.quality",
                "impl.data", "impl.case_review", "effective_date", "no_private_right"]
    assert set(contract) <= set(by_anchor)
    assert {p.section for p in by_anchor["priority.public_safety"]} == {"II.B"}
    assert {p.section for a in ("mit.age", "agg.weapon") for p in by_anchor[a]} == {"II.B"}
    assert {p.section for p in by_anchor["priority.border_security"]} == {"II.C"}
    assert {p.section for p in by_anchor["impl.training"]} == {"Implementation / Training"}
