"""Reading real files of every format: structure kept, page furniture gone, offsets exact, bad files refused."""

from __future__ import annotations

import logging
import re

import pytest

from assistant.config import ChunkSettings
from assistant.corpus.readers import SUPPORTED_SUFFIXES, read_document, slugify
from assistant.corpus.splitter import split_document
from assistant.errors import DocumentError

from . import docgen

FORMATS = ["md", "txt", "pdf", "docx", "html"]
HEADINGS = list(docgen.SECTIONS)


@pytest.fixture(scope="module")
def memos(tmp_path_factory):
    """The parking memo written in every format and read back: {fmt: (doc, expected)}."""
    folder = tmp_path_factory.mktemp("memos")
    out = {}
    for fmt in FORMATS:
        path = folder / f"Parking Memo.{fmt}"
        expected = getattr(docgen, f"make_memo_{fmt}")(path)
        out[fmt] = (read_document(path), expected)
    return out


def _block_starting(doc, prefix: str):
    found = [b for b in doc.blocks if b.text.startswith(prefix)]
    assert len(found) == 1, f"{len(found)} blocks start with {prefix!r}"
    return found[0]


@pytest.mark.parametrize("fmt", FORMATS)
def test_blocks_tile_the_canonical_text_exactly(memos, fmt):
    doc, _ = memos[fmt]
    assert doc.format == fmt and doc.doc_id == "parking-memo"
    assert doc.text == "\n\n".join(b.text for b in doc.blocks)
    for block in doc.blocks:
        assert doc.text[block.start : block.end] == block.text
        assert block.text == block.text.strip() and "\n" not in block.text and "  " not in block.text
    ends = [b.end for b in doc.blocks[:-1]]
    assert [b.start for b in doc.blocks[1:]] == [e + 2 for e in ends]


@pytest.mark.parametrize("fmt", FORMATS)
def test_title_headings_and_sample_sentences_survive(memos, fmt):
    doc, expected = memos[fmt]
    assert doc.title == expected["title"]
    headings = [b.text for b in doc.blocks if b.kind == "heading"]
    assert [h for h in headings if h in HEADINGS] == HEADINGS
    assert headings[-1] == "Footnotes"
    for _, sentence in expected["sentences"]:
        assert doc.text.count(sentence) == 1, sentence
    for footnote in expected["footnotes"]:
        assert footnote in doc.text
        assert doc.text.index(footnote) > doc.text.index("\n\nFootnotes\n\n")


@pytest.mark.parametrize("fmt", FORMATS)
def test_list_items_are_their_own_blocks(memos, fmt):
    doc, expected = memos[fmt]
    items = [b.text for b in doc.blocks if b.kind == "list_item"]
    for item in expected["list_items"]:
        assert item in items
    assert "1. A vehicle parked in a fire lane" in doc.text or fmt in ("docx", "html")  # Word/HTML numbering is markup


@pytest.mark.parametrize("fmt", ["md", "pdf", "docx", "html"])
def test_bold_run_in_headings_are_recorded(memos, fmt):
    doc, expected = memos[fmt]
    assert len(expected["leads"]) == 5
    for lead in expected["leads"]:
        block = _block_starting(doc, lead)
        assert block.bold_lead == len(lead) and block.text[: block.bold_lead] == lead
    assert not any(b.bold_lead for b in doc.blocks if b.text.startswith("Loading zones exist"))


@pytest.mark.parametrize("fmt", ["md", "pdf", "txt"])
def test_memo_header_comes_first_as_plain_blocks(memos, fmt):
    doc, expected = memos[fmt]
    texts = [b.text for b in doc.blocks if b.kind != "heading"][:4]
    assert [t for t in texts if t in expected["header"]] == expected["header"]
    assert not any(b.kind == "heading" and "MEMORANDUM" in b.text for b in doc.blocks)


def test_pdf_page_furniture_is_gone(memos):
    doc, expected = memos["pdf"]
    assert expected["pages"] >= 3
    for text in expected["furniture"]:
        assert text not in doc.text, text
    assert not re.search(r"Page \d", doc.text)
    assert not any(re.fullmatch(r"[-\u2013 ]*\d+[-\u2013 ]*", b.text) for b in doc.blocks)
    assert doc.blocks[0].text == docgen.DATE  # the date line stays with the header, the letterhead above it goes


def test_pdf_footnote_markers_are_gone_and_the_notes_are_moved_to_the_end(memos):
    doc, expected = memos["pdf"]
    assert expected["footnote_markers"] == ["tow.1", "discretion.2", "alone.3", "day.4"]
    for glued in expected["footnote_markers"]:
        assert glued not in doc.text
    assert "officers hold broad discretion. That discretion must be exercised" in doc.text
    notes = doc.blocks[[b.text for b in doc.blocks].index("Footnotes") + 1 :]
    assert [b.text for b in notes] == [f"{n} {t}" for n, t in zip("1234", expected["footnotes"])]
    assert all(b.kind == "list_item" for b in notes)


def test_pdf_paragraph_across_a_page_break_is_one_block(memos):
    doc, expected = memos["pdf"]
    (crossing,) = expected["cross_page"]
    assert crossing in [b.text for b in doc.blocks]


def test_pdf_page_breaks_hyphenation_and_page_number_styles(tmp_path):
    """A full last line continues on the next page, a short one ends its paragraph; furniture goes."""
    header = (72, 740, "Draft parking policy")
    pages = [
        [
            header,
            (72, 690, "The officer keeps a record of every tow and of each enforce-"),
            (72, 676, "ment decision made during the shift, so that a supervisor can check."),
            (72, 662, "Supervisors review these records every week and discuss them with the whole team."),
            (290, 40, "- 1 -"),
        ],
        [
            header,
            (72, 690, "Each district then files a summary before the end of the month."),
            (72, 660, "A second paragraph starts here and ends on this page."),
            (280, 40, "Page 2 of 3"),
        ],
        [header, (72, 690, "A third paragraph begins on the last page."), (280, 40, "Page 3 of 3")],
    ]
    doc = read_document(docgen.make_lines_pdf(tmp_path / "policy.pdf", pages))
    assert [b.text for b in doc.blocks] == [
        "The officer keeps a record of every tow and of each enforcement decision made during the shift, so that a "
        "supervisor can check. Supervisors review these records every week and discuss them with the whole team. "
        "Each district then files a summary before the end of the month.",
        "A second paragraph starts here and ends on this page.",
        "A third paragraph begins on the last page.",
    ]


def test_pdf_with_words_placed_one_by_one_and_raised_footnote_markers(tmp_path):
    """Word-by-word placement (no spaces in the text stream), raised superscripts, a bold title and lead."""
    small = ("Times-Roman", 9)
    pages = [
        [
            (72, 740, "Guidelines for Testing, page 1", "Times-Roman", 10),
            (72, 700, "A Policy on Testing", "Times-Bold", 14),
            (72, 670, "I. First Section", "Times-Bold"),
            (72, 646, "**Bold lead.** The officer must use discretion. ^1 Then the next sentence continues on this line"),
            (72, 632, "and it ends here, after the final word of the paragraph."),
            (72, 120, "^1 A footnote about discretion that runs long enough to wrap", *small),
            (72, 109, "onto a second line of the footnote.", *small),
            (300, 40, "1", "Times-Roman", 10),
        ],
        [
            (72, 740, "Guidelines for Testing, page 2", "Times-Roman", 10),
            (72, 700, "II. Second Section", "Times-Bold"),
            (72, 676, "Text of the second section with a footnote here. ^2"),
            (72, 650, "**Training**"),
            (72, 630, "Officers are trained every year."),
            (72, 120, "^2 Second note.", *small),
            (300, 40, "2", "Times-Roman", 10),
        ],
    ]
    doc = read_document(docgen.make_lines_pdf(tmp_path / "words.pdf", pages, wordwise=True))
    assert [(b.kind, b.level, b.bold_lead, b.text) for b in doc.blocks] == [
        ("heading", 1, 0, "A Policy on Testing"),
        ("heading", 0, 0, "I. First Section"),
        ("paragraph", 0, len("Bold lead."), "Bold lead. The officer must use discretion. Then the next sentence "
         "continues on this line and it ends here, after the final word of the paragraph."),
        ("heading", 0, 0, "II. Second Section"),
        ("paragraph", 0, 0, "Text of the second section with a footnote here."),
        ("paragraph", 0, len("Training"), "Training"),
        ("paragraph", 0, 0, "Officers are trained every year."),
        ("heading", 1, 0, "Footnotes"),
        ("list_item", 0, 0, "1 A footnote about discretion that runs long enough to wrap onto a second line of the footnote."),
        ("list_item", 0, 0, "2 Second note."),
    ]
    assert doc.title == "A Policy on Testing"
    sections = {p.text: p.section for p in split_document(doc, ChunkSettings())}
    assert sections["Officers are trained every year."] == "II / Training"  # a bold line acts as a heading


def test_txt_memo_headings_are_detected(memos):
    doc, _ = memos["txt"]
    headings = [(b.text, b.level) for b in doc.blocks if b.kind == "heading"]
    assert headings == [(h, 0) for h in HEADINGS] + [("Footnotes", 0)]
    assert not any(b.kind == "heading" for b in doc.blocks if b.text == docgen.DATE)


def test_docx_headers_footers_are_not_body_and_tables_become_rows(memos):
    doc, expected = memos["docx"]
    for text in expected["furniture"]:
        assert text not in doc.text
    rows = [b.text for b in doc.blocks]
    for row in expected["table_rows"]:
        assert row in rows
    levels = {b.text: b.level for b in doc.blocks if b.kind == "heading"}
    assert levels["II. Enforcement Priorities"] == 1 and levels["A. Safety Hazards"] == 2


def test_html_drops_navigation_scripts_and_page_chrome(memos):
    doc, expected = memos["html"]
    for text in expected["furniture"]:
        assert text not in doc.text, text
    assert doc.blocks[0].kind == "heading" and doc.blocks[0].level == 1
    for row in expected["table_rows"]:
        assert row in [b.text for b in doc.blocks]


def test_markdown_inline_markup_anchors_and_comments(tmp_path):
    source = "\n".join(
        [
            "---",
            "title: front matter is skipped",
            "---",
            "# Title with *emphasis*",
            "",
            "<!-- a note for editors,",
            "     spread over two lines -->",
            "<!-- anchor: first.unit -->",
            "**Bold lead.** Text with `code_span`, _emphasis_, snake_case_name and a",
            "[link](https://example.org/a_b) wrapped over \u201ccurly\u201d lines.",
            "",
            "- a bullet item",
            "  continued here",
            "(a) a lettered item",
            "2. **Numbered lead:** item text",
            "",
            "<!-- anchor: second.unit -->",
            "Cafe\u0301 text under the second anchor.",
            "",
            "## Next heading",
            "",
            "After the heading, no anchor.",
        ]
    )
    path = tmp_path / "Notes 2021.md"
    path.write_text(source, encoding="utf-8")
    doc = read_document(path)
    got = [(b.kind, b.text, b.anchor, b.bold_lead) for b in doc.blocks]
    assert got == [
        ("heading", "Title with emphasis", None, 0),
        (
            "paragraph",
            "Bold lead. Text with code_span, emphasis, snake_case_name and a link (https://example.org/a_b) wrapped "
            "over \u201ccurly\u201d lines.",
            "first.unit",
            len("Bold lead."),
        ),
        ("list_item", "a bullet item continued here", "first.unit", 0),
        ("list_item", "(a) a lettered item", "first.unit", 0),
        ("list_item", "2. Numbered lead: item text", "first.unit", len("2. Numbered lead:")),
        ("paragraph", "Caf\u00e9 text under the second anchor.", "second.unit", 0),
        ("heading", "Next heading", None, 0),
        ("paragraph", "After the heading, no anchor.", None, 0),
    ]
    assert doc.title == "Title with emphasis" and doc.doc_id == "notes-2021"
    assert read_document(path, doc_id="custom").doc_id == "custom"


def test_txt_encoding_line_ends_and_unicode_are_normalized(tmp_path):
    source = (
        "\ufeffPolicy on Curb Use\r\n\r\nThe officer\u00a0keeps \u201cnotes\u201d at the Cafe\u0301 on each enforce-\r\n"
        "ment action.\r\n\r\n\u2022 a bullet item\r\n(a) a lettered item\r\n\r\nII. A Roman Heading\r\nText right under it.\r\n"
    )
    path = tmp_path / "curb.txt"
    path.write_bytes(source.encode("utf-8"))
    doc = read_document(path)
    assert [(b.kind, b.level, b.text) for b in doc.blocks] == [
        ("heading", 1, "Policy on Curb Use"),
        ("paragraph", 0, "The officer keeps \u201cnotes\u201d at the Caf\u00e9 on each enforcement action."),
        ("list_item", 0, "a bullet item"),
        ("list_item", 0, "(a) a lettered item"),
        ("heading", 0, "II. A Roman Heading"),
        ("paragraph", 0, "Text right under it."),
    ]
    assert doc.title == "Policy on Curb Use"


def test_slugify_makes_ascii_ids():
    assert slugify("Café Rules (2021) FINAL") == "cafe-rules-2021-final"
    assert slugify("???") == "document"
    assert set(SUPPORTED_SUFFIXES) == {".md", ".markdown", ".txt", ".pdf", ".docx", ".html", ".htm"}


BAD_FILES = [
    ("missing.md", None, "does not exist"),
    ("folder.md", "mkdir", "is a folder"),
    ("notes.rtf", "rtf", "unsupported format"),
    ("empty.md", docgen.make_empty_md, "contains no text"),
    ("latin1.txt", docgen.make_latin1_txt, "not UTF-8"),
    ("latin1.html", docgen.make_latin1_txt, "not UTF-8"),
    ("broken.pdf", docgen.make_bad_pdf, "not a readable PDF"),
    ("locked.pdf", docgen.make_encrypted_pdf, "encrypted"),
    ("scan.pdf", docgen.make_scanned_pdf, "no text layer"),
    ("broken.docx", docgen.make_bad_docx, "not a readable Word document"),
    ("garbage.docx", docgen.make_garbage_docx, "not a readable Word document"),
]


@pytest.mark.parametrize(("name", "maker", "says"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_files_raise_one_clear_document_error(tmp_path, caplog, name, maker, says):
    path = tmp_path / name
    if maker == "mkdir":
        path.mkdir()
    elif maker == "rtf":
        path.write_text("{\\rtf1 hello}", encoding="utf-8")
    elif maker is not None:
        maker(path)
    with pytest.raises(DocumentError) as info:
        read_document(path)
    message = str(info.value)
    assert name in message and says in message
    assert "\n" not in message and message.endswith(".")
    assert info.value.__cause__ is None or isinstance(info.value.__cause__, DocumentError)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]  # no library chatter on stderr
