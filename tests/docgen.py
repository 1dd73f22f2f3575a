"""Generators of real document files for the reader and splitter tests (and benchmarks).

Every ``make_memo_*`` function writes the same invented memo ("Guidelines for Parking
Enforcement" of a fictional municipal parking authority) in one format and returns a dict that
describes what a correct reader must find: the title, the section of sample sentences, the list
items, the bold run-in headings and, for the PDF, the page furniture that must not survive.
The ``make_bad_*`` helpers write broken files that the readers must refuse with a clear message.
"""

from __future__ import annotations

import re
import textwrap
import zipfile
from dataclasses import dataclass
from pathlib import Path

TITLE = "Guidelines for Parking Enforcement"
DATE = "March 3, 2023"
LETTERHEAD = ["Office of the Director", "Springfield Municipal Parking Authority", "400 Main Street, Springfield, ST 01234"]
HEADER = [
    ("MEMORANDUM FOR", "Dana Whitfield, Chief of Field Operations, Parking Enforcement Division"),
    ("FROM", "Morgan Ellery, Director"),
    ("SUBJECT", TITLE),
]
RUNNING_HEADER = "Parking Enforcement Guidelines, Springfield"

FOOTNOTES = {
    "1": "The division enforces the parking chapter of the Springfield Municipal Code and the rules adopted under it.",
    "2": "See the Director's order of June 2019, which first described the discretion of field officers.",
    "3": "Hearing examiners may ask the officer for photographs taken at the scene.",
    "4": "District boundaries are those of the 2020 ward map.",
}


@dataclass(frozen=True)
class El:
    """One element of the memo: a heading, a paragraph, a list item or a table."""

    kind: str  # "h", "p", "li", "table"
    text: str = ""
    level: int = 0
    section: str = ""
    anchor: str | None = None
    lead: str = ""
    number: str = ""
    rows: tuple[tuple[str, ...], ...] = ()


def _h(level: int, text: str) -> El:
    return El("h", text, level=level)


def _p(text: str, anchor: str | None = None, lead: str = "") -> El:
    return El("p", text, anchor=anchor, lead=lead)


def _li(number: str, text: str, anchor: str | None = None) -> El:
    return El("li", text, number=number, anchor=anchor)


# Footnote markers are written "{n}" in the text; each format renders them its own way.
MEMO: list[El] = [
    _p(
        "This memorandum provides guidance to the Parking Enforcement Division on how officers decide which "
        "parking violations to cite and which vehicles to tow.{1} It reflects a year of conversations with field "
        "officers, supervisors, hearing examiners and neighborhood associations across the city.",
        anchor="purpose",
    ),
    _p(
        "I am grateful to the officers who shared their experience with me. Their advice shaped every part of "
        "this guidance, and their daily work keeps the streets of Springfield open and safe for everyone.",
        anchor="purpose",
    ),
    _h(1, "I. Foundational Principle: Officer Discretion"),
    _p(
        "The city has more than forty thousand metered spaces and only sixty officers on patrol. We cannot cite "
        "every violation, and we should not try to do so. Officers must therefore decide where their limited "
        "time does the most good for public safety and for the residents who rely on access to the curb. "
        "These decisions are made every hour of every shift, often in heavy traffic and in poor weather.",
        anchor="principle.discretion",
    ),
    _p(
        "A parking violation alone is not a sufficient reason to tow a vehicle. Towing imposes heavy costs on "
        "residents, many of whom need their vehicles to reach work, school and medical care, and the division "
        "has long recognized that officers hold broad discretion.{2} That discretion must be exercised "
        "consistently, with attention to the facts of each case and without regard to the neighborhood in "
        "which the vehicle is found. Supervisors should discuss hard cases with their officers and record the "
        "lessons learned so that practice across districts remains consistent over time.",
        anchor="principle.discretion",
    ),
    _p(
        "Nothing in this principle lessens our commitment to enforcing the parking code. It asks officers to use "
        "their judgment, not to set the code aside. An officer who explains a decision clearly in the citation "
        "record will have the support of the division when that decision is questioned.",
        anchor="principle.discretion",
    ),
    _h(1, "II. Enforcement Priorities"),
    _p(
        "Officers will give priority to violations that endanger people or that block access for those who "
        "need it most. The categories below are not exhaustive, and no single fact decides a case.",
        anchor="priorities",
    ),
    _h(2, "A. Safety Hazards"),
    _p(
        "A vehicle that creates a safety hazard should be cited promptly and, where the hazard continues, towed "
        "without delay. Safety hazards include the following situations:",
    ),
    _li("1.", "A vehicle parked in a fire lane or within fifteen feet of a hydrant.", anchor="hazard.fire_lane"),
    _li("2.", "A vehicle that blocks a crosswalk, a curb ramp or a marked bicycle lane.", anchor="hazard.crosswalk"),
    _li(
        "3.",
        "A vehicle left in a travel lane during posted rush-hour restrictions, when it forces buses and bicycles "
        "into the adjacent lane.",
        anchor="hazard.travel_lane",
    ),
    _p(
        "Officers should record the hazard in the citation narrative so that a hearing examiner can later "
        "review the decision on the basis of the record alone.{3}",
        anchor="hazard.narrative",
    ),
    _h(2, "B. Access for Persons with Disabilities"),
    _p(
        "Verification. Before citing a vehicle parked in an accessible space, the officer checks for a valid "
        "placard or license plate. A placard that expired less than thirty days earlier calls for a written "
        "warning rather than a citation.",
        anchor="access.verification",
        lead="Verification.",
    ),
    _p(
        "Repeat misuse. Where the records show that the same placard was misused three or more times in one "
        "year, the officer refers the matter to the Placard Review Unit instead of towing the vehicle.",
        anchor="access.repeat",
        lead="Repeat misuse.",
    ),
    _h(2, "C. Commercial Loading Zones"),
    _p(
        "Loading zones exist so that deliveries do not double park in travel lanes. Officers should allow a "
        "delivery vehicle that is actively loading or unloading to finish its work, even when the posted time "
        "has run out by a few minutes. A vehicle with no sign of loading activity may be cited after the posted "
        "limit. Officers should look for an open cargo door, a hand truck or a driver in sight before deciding "
        "that no loading is taking place. When a loading zone is occupied by a private car during business "
        "hours, the officer first tries to reach the owner through the plate registry and tows only when the "
        "owner cannot be reached within fifteen minutes. Officers should photograph the vehicle and the posted "
        "sign before the tow truck arrives, and they should note the time of each attempt to reach the owner "
        "in the citation record.",
        anchor="loading",
    ),
    _p(
        "Merchants on commercial corridors may apply for a temporary loading permit for special events. A valid "
        "temporary permit displayed on the dashboard exempts the vehicle from the posted limit for the hours "
        "printed on the permit, and officers should not cite a vehicle that displays one. Where the permit has "
        "been altered, the officer seizes it and refers the merchant to the Permits Office for review of the "
        "application. The Permits Office keeps a record of every permit issued, and officers may call the "
        "office during business hours to confirm that a permit is genuine before they act on it.",
        anchor="loading",
    ),
    _h(1, "III. Implementation"),
    _p(
        "Training. Every officer will complete a four-hour course on these guidelines before the effective "
        "date. Supervisors will complete an additional module on reviewing contested citations and on "
        "coaching officers whose decisions are often reversed.",
        anchor="impl.training",
        lead="Training.",
    ),
    _p(
        "Data collection. The division will publish quarterly counts of citations and tows by district, by "
        "violation type and by time of day.{4} The counts will be reviewed each quarter by the Director and "
        "shared with the City Council.",
        anchor="impl.data",
        lead="Data collection.",
    ),
    _p(
        "Case review. A resident may ask a supervisor to review a tow within ten business days. The supervisor "
        "decides within five business days and explains the decision in writing, including the facts on "
        "which it rests and the way to appeal it to a hearing examiner.",
        anchor="impl.review",
        lead="Case review.",
    ),
    _h(1, "IV. Effective Date"),
    _p(
        "These guidelines take effect on May 1, 2023. They replace the interim guidance of January 9, 2023, "
        "which is rescinded on that date.",
        anchor="effective_date",
    ),
    _p(
        "Nothing in this memorandum creates a right or benefit enforceable by any party against the city, its "
        "officers or any other person. It does not compel an officer to take any particular action in any case.",
        anchor="no_private_right",
    ),
]

TABLE = El(
    "table",
    rows=(("Violation", "First offense", "Repeat offense"), ("Fire lane", "$150", "$300"), ("Crosswalk", "$90", "$180")),
)
SECTIONS = {
    "I. Foundational Principle: Officer Discretion": "I",
    "II. Enforcement Priorities": "II",
    "A. Safety Hazards": "II.A",
    "B. Access for Persons with Disabilities": "II.B",
    "C. Commercial Loading Zones": "II.C",
    "III. Implementation": "III",
    "IV. Effective Date": "IV",
}
_MARK = re.compile(r"\{(\d+)\}")


def plain(text: str) -> str:
    """The text without footnote markers, as a reader must produce it."""
    return _MARK.sub("", text)


def _first_sentence(text: str) -> str:
    text = plain(text)
    match = re.search(r"(?<=[.:])\s+(?=[A-Z])", text)
    return text[: match.start()] if match else text


def _expected(fmt: str, with_table: bool = False) -> dict:
    """What a reader must find in the memo, whatever the format.

    Keys: ``title``; ``sentences`` as (section, first sentence of each body element);
    ``section_paths`` (section -> innermost heading text); ``leads`` (bold lead -> its sentence);
    ``anchors`` (anchor -> sentences; only the Markdown file carries them); ``list_items`` (block
    texts); ``header`` (memo header blocks); ``footnotes``; ``table_rows``; ``furniture`` (text
    that must not appear anywhere); PDF only: ``pages``, ``cross_page``, ``footnote_markers``.
    """
    sentences: list[tuple[str, str]] = []
    leads: dict[str, str] = {}
    anchors: dict[str, list[str]] = {}
    section = ""
    for el in MEMO:
        if el.kind == "h":
            section = SECTIONS[el.text]
            continue
        sentence = _first_sentence(el.text)
        sentences.append((section, sentence))
        if el.lead:
            leads[el.lead] = sentence
        if el.anchor:
            anchors.setdefault(el.anchor, []).append(sentence)
    expected = {
        "format": fmt,
        "title": TITLE,
        "sections": sorted(set(SECTIONS.values())),
        "section_paths": {v: k for k, v in SECTIONS.items()},
        "sentences": sentences,
        "leads": leads,
        "list_items": [f"{el.number} {plain(el.text)}" for el in MEMO if el.kind == "li"],
        "header": [f"{label}: {value}" for label, value in HEADER],
        "footnote_markers": [],
        "furniture": [],
        "anchors": anchors,
        "table_rows": [" | ".join(row) for row in TABLE.rows] if with_table else [],
        "footnotes": list(FOOTNOTES.values()),
    }
    return expected


# --- PDF -----------------------------------------------------------------------------------------


def make_memo_pdf(path: Path) -> dict:
    """Write the memo as a letter-size PDF laid out like a government memo; return the expectations.

    Page 1 carries a letterhead; pages 2+ a two-line running header ("<short title>" / "Page N");
    every page a centred page number; footnote markers are superscripts and the footnote texts sit
    at the bottom of the page that cites them. A body paragraph always continues across a page
    break (checked while building: the dict names it under ``cross_page``).
    """
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import BaseDocTemplate, Frame, ListFlowable, ListItem, PageTemplate, Paragraph, Spacer, Table

    path = Path(path)
    width, height = letter
    margin, foot_zone = 72, 130
    body = ParagraphStyle("body", fontName="Times-Roman", fontSize=12, leading=14, spaceAfter=10, alignment=TA_JUSTIFY)
    head = ParagraphStyle("head", parent=body, fontName="Times-Bold", spaceBefore=6, keepWithNext=1, alignment=0)
    letter_style = ParagraphStyle("lh", fontName="Times-Bold", fontSize=11, leading=13, alignment=TA_CENTER)
    cell = ParagraphStyle("cell", parent=body, spaceAfter=0, alignment=0)
    note = ParagraphStyle("note", fontName="Times-Roman", fontSize=9, leading=10.5)
    marks: list[tuple[int, str]] = []
    drawn: dict[int, set[int]] = {}  # paragraph index -> pages it was drawn on

    def pdf_text(text: str) -> str:
        return _MARK.sub(lambda m: f'<onDraw name="fnmark" label="{m.group(1)}"/><super>{m.group(1)}</super>', text)

    def para_text(index: int, text: str) -> str:
        # Callbacks at both ends of a paragraph tell on which pages it starts and ends.
        cb = f'<onDraw name="para" label="{index}"/>'
        return cb + text + cb

    def on_page(canv, doc) -> None:
        canv.setNamedCB("fnmark", lambda c, kind, label: marks.append((c.getPageNumber(), label)))
        canv.setNamedCB("para", lambda c, kind, label: drawn.setdefault(int(label), set()).add(c.getPageNumber()))
        number = canv.getPageNumber()
        canv.setFont("Times-Roman", 10)
        canv.drawCentredString(width / 2, 36, str(number))
        if number > 1:
            canv.drawString(margin, height - 40, RUNNING_HEADER)
            canv.drawString(margin, height - 52, f"Page {number}")

    def on_page_end(canv, doc) -> None:
        notes = [label for page, label in marks if page == canv.getPageNumber()]
        if not notes:
            return
        canv.setLineWidth(0.5)
        canv.line(margin, foot_zone - 10, margin + 144, foot_zone - 10)
        y = foot_zone - 14
        for label in notes:
            para = Paragraph(f"<super>{label}</super> {FOOTNOTES[label]}", note)
            _, h = para.wrap(width - 2 * margin, 200)
            para.drawOn(canv, margin, y - h)
            y -= h + 2

    frame = Frame(margin, foot_zone, width - 2 * margin, height - margin - foot_zone, id="body", leftPadding=0, rightPadding=0)
    doc = BaseDocTemplate(str(path), pagesize=letter, title=TITLE, author="Morgan Ellery")
    doc.addPageTemplates([PageTemplate("memo", [frame], onPage=on_page, onPageEnd=on_page_end)])

    story: list = [Paragraph(line, letter_style) for line in LETTERHEAD]
    story += [Spacer(1, 24), Paragraph(DATE, ParagraphStyle("date", parent=body, alignment=0)), Spacer(1, 6)]
    rows = [[Paragraph(f"<b>{label}:</b>", cell), Paragraph(value, cell)] for label, value in HEADER]
    table = Table(rows, colWidths=[150, width - 2 * margin - 150], hAlign="LEFT")
    table.setStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 8)])
    story += [table, Spacer(1, 12)]
    items: list = []
    for index, el in enumerate(MEMO):
        if el.kind != "li" and items:
            story.append(ListFlowable(items, bulletType="1", bulletFormat="%s.", leftIndent=36, bulletFontName="Times-Roman", spaceAfter=10))
            items = []
        if el.kind == "h":
            story.append(Paragraph(el.text, head))
        elif el.kind == "li":
            items.append(ListItem(Paragraph(pdf_text(el.text), ParagraphStyle("li", parent=body, spaceAfter=4))))
        else:
            text = pdf_text(el.text)
            if el.lead:
                text = f"<b>{el.lead}</b>{text[len(el.lead):]}"
            story.append(Paragraph(para_text(index, text), body))
    doc.build(story)

    crossing = [plain(MEMO[i].text) for i, seen in sorted(drawn.items()) if len(seen) > 1]
    n_pages = doc.page
    if not crossing or n_pages < 3 or len(marks) < 3:
        raise RuntimeError("memo layout changed: need 3+ pages, 3+ footnotes and a paragraph across a page break")
    expected = _expected("pdf")
    expected.update(
        pages=n_pages,
        cross_page=crossing,
        footnotes=[FOOTNOTES[label] for _, label in marks],
        # what a careless reader leaves behind: "discretion.2"
        footnote_markers=[_MARK.sub(r"\1", m.group(0)) for el in MEMO for m in re.finditer(r"\w+[.,]?\{\d+\}", el.text)],
        furniture=[*LETTERHEAD, RUNNING_HEADER, *(f"Page {n}" for n in range(2, n_pages + 1))],
    )
    return expected


def make_lines_pdf(path: Path, pages: list[list[tuple]], wordwise: bool = False) -> Path:
    """Write a PDF whose pages carry exactly the given lines: (x, y, text[, font[, size]]).

    With ``wordwise`` every word is placed on its own, as some PDF producers do; a word written
    "^3" becomes a raised superscript footnote marker, and words between "**" are set in bold.
    """
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen.canvas import Canvas

    canv = Canvas(str(path), pagesize=letter)
    for lines in pages:
        for x, y, text, *style in lines:
            font, size = (style + ["Times-Roman", 12][len(style):])[:2]
            if not wordwise:
                canv.setFont(font, size)
                canv.drawString(x, y, text)
                continue
            bold = False
            for word in text.split(" "):
                if word.startswith("^"):
                    canv.setFont(font, size * 0.65)
                    canv.drawString(x, y + size * 0.35, word[1:])
                    x += stringWidth(word[1:], font, size * 0.65)
                    continue
                bold = bold or word.startswith("**")
                face = font.replace("-Roman", "") + "-Bold" if bold and "Bold" not in font else font
                word_text = word.strip("*")
                canv.setFont(face, size)
                canv.drawString(x, y, word_text)
                x += stringWidth(word_text + " ", face, size)
                bold = bold and not word.endswith("**")
        canv.showPage()
    canv.save()
    return Path(path)


def make_scanned_pdf(path: Path) -> Path:
    """Write a PDF with drawings but no text layer, like a scan that was never OCRed."""
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen.canvas import Canvas

    canv = Canvas(str(path), pagesize=letter)
    for i in range(2):
        canv.rect(72, 72 + 40 * i, 300, 500)
        canv.showPage()
    canv.save()
    return Path(path)


def make_encrypted_pdf(path: Path, password: str = "s3cret") -> Path:
    """Write a small PDF that needs a password to open."""
    from pypdf import PdfReader, PdfWriter

    plain_path = Path(path).with_suffix(".plain.pdf")
    make_lines_pdf(plain_path, [[(72, 700, "A confidential memorandum about parking.")]])
    writer = PdfWriter()
    writer.append(PdfReader(plain_path))
    writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="RC4-128")
    with open(path, "wb") as fh:
        writer.write(fh)
    plain_path.unlink()
    return Path(path)


# --- DOCX, HTML, TXT, MD -----------------------------------------------------------------------------


def make_memo_docx(path: Path) -> dict:
    """Write the memo as a Word document (heading styles, numbered list, bold leads, a table)."""
    import docx

    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = RUNNING_HEADER
    document.sections[0].footer.paragraphs[0].text = "Page 1"
    document.core_properties.title = TITLE
    for label, value in HEADER:
        document.add_paragraph(f"{label}: {value}")
    for el in MEMO:
        if el.kind == "h":
            document.add_heading(el.text, level=el.level)
        elif el.kind == "li":
            document.add_paragraph(plain(el.text), style="List Number")
        else:
            para = document.add_paragraph()
            text = plain(el.text)
            if el.lead:
                para.add_run(el.lead).bold = True
                text = text[len(el.lead):]
            para.add_run(text)
        if el.text.startswith("Loading zones exist"):
            table = document.add_table(rows=0, cols=3)
            for row in TABLE.rows:
                cells = table.add_row().cells
                for c, value in zip(cells, row):
                    c.text = value
    document.add_heading("Footnotes", level=1)
    for text in FOOTNOTES.values():
        document.add_paragraph(text, style="List Number")
    document.save(str(path))
    expected = _expected("docx", with_table=True)
    expected["list_items"] = [plain(el.text) for el in MEMO if el.kind == "li"]  # numbering is markup
    expected["furniture"] = [RUNNING_HEADER, "Page 1"]
    return expected


def make_memo_html(path: Path) -> dict:
    """Write the memo as an HTML page with navigation, a site header and footer, and a script."""
    from html import escape

    out = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{escape(TITLE)}</title><style>body {{ font-family: serif; }}</style>",
        "<script>var tracker = 'Site navigation script';</script></head><body>",
        "<header><p>Springfield Municipal Parking Authority website</p></header>",
        "<nav><ul><li>Home</li><li>Permits</li><li>Pay a ticket</li></ul></nav>",
        f"<main><h1>{escape(TITLE)}</h1>",
    ]
    out += [f"<p>{escape(label)}: {escape(value)}</p>" for label, value in HEADER]
    in_list = False
    for el in MEMO:
        if el.kind != "li" and in_list:
            out.append("</ol>")
            in_list = False
        text = escape(plain(el.text))
        if el.kind == "h":
            out.append(f"<h{el.level + 1}>{escape(el.text)}</h{el.level + 1}>")
        elif el.kind == "li":
            if not in_list:
                out.append("<ol>")
                in_list = True
            out.append(f"<li>{text}</li>")
        elif el.lead:
            out.append(f"<p><strong>{escape(el.lead)}</strong>{text[len(escape(el.lead)):]}</p>")
        else:
            out.append(f"<p>{text}</p>")
        if el.text.startswith("Loading zones exist"):
            rows = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in TABLE.rows)
            out.append(f"<table>{rows}</table>")
    out += ["<h2>Footnotes</h2>", "<ol>", *(f"<li>{escape(t)}</li>" for t in FOOTNOTES.values()), "</ol>"]
    out += ["</main><footer><p>Copyright Springfield. Page generated nightly.</p></footer>", "</body></html>"]
    Path(path).write_text("\n".join(out), encoding="utf-8")
    expected = _expected("html", with_table=True)
    expected["list_items"] = [plain(el.text) for el in MEMO if el.kind == "li"]  # numbering is markup
    expected["furniture"] = ["Site navigation script", "Pay a ticket", "Page generated nightly", "website"]
    return expected


def make_memo_txt(path: Path) -> dict:
    """Write the memo as plain text wrapped at 72 columns, headings on their own lines."""
    out = [DATE, ""]
    for label, value in HEADER:
        out += [f"{label}: {value}", ""]
    for el in MEMO:
        text = plain(el.text)
        if el.kind == "h":
            out += [el.text, ""]
        elif el.kind == "li":
            out += [textwrap.fill(f"{el.number} {text}", 72, subsequent_indent="   "), ""]
        else:
            out += [textwrap.fill(text, 72), ""]
    out += ["Footnotes", ""] + [textwrap.fill(f"{n}. {t}", 72, subsequent_indent="   ") + "\n" for n, t in FOOTNOTES.items()]
    Path(path).write_text("\n".join(out), encoding="utf-8")
    expected = _expected("txt")
    return expected


def make_memo_md(path: Path) -> dict:
    """Write the memo in the bundled corpus's Markdown conventions (title, anchors, bold leads)."""
    out = [f"# {TITLE}", "", "<!-- restatement: invented test memo -->", ""]
    for label, value in HEADER:
        out += [f"**{label}:** {value}", ""] if label == "SUBJECT" else [f"{label}: {value}", ""]
    anchor = None
    for el in MEMO:
        text = plain(el.text)
        if el.kind == "h":
            out += ["#" * (el.level + 1) + " " + el.text, ""]
            anchor = None
            continue
        if el.anchor != anchor and el.anchor:
            out += [f"<!-- anchor: {el.anchor} -->", ""]
        anchor = el.anchor
        if el.lead:
            text = f"**{el.lead}**{text[len(el.lead):]}"
        if el.kind == "li":
            out += [textwrap.fill(f"{el.number} {text}", 72, subsequent_indent="   "), ""]
        else:
            out += [textwrap.fill(text, 72), ""]
        if el.text.startswith("Loading zones exist"):
            out += ["| " + " | ".join(TABLE.rows[0]) + " |", "|---|---|---|"]
            out += ["| " + " | ".join(row) + " |" for row in TABLE.rows[1:]] + [""]
    out += ["## Footnotes", ""] + [textwrap.fill(f"{n}. {t}", 72, subsequent_indent="   ") + "\n" for n, t in FOOTNOTES.items()]
    Path(path).write_text("\n".join(out), encoding="utf-8")
    expected = _expected("md", with_table=True)
    return expected


# --- Bad files -------------------------------------------------------------------------------------------


def make_bad_pdf(path: Path) -> Path:
    """A PDF cut off after its first 400 bytes, as by a failed download."""
    full = Path(path).with_suffix(".full.pdf")
    make_lines_pdf(full, [[(72, 700, "A memorandum that will be cut short.")]] * 3)
    Path(path).write_bytes(full.read_bytes()[:400])
    full.unlink()
    return Path(path)


def make_latin1_txt(path: Path) -> Path:
    """A text file in Latin-1, not UTF-8."""
    Path(path).write_bytes("Politique de stationnement: la r\xe9glementation s'applique \xe0 tous.\n".encode("latin-1"))
    return Path(path)


def make_empty_md(path: Path) -> Path:
    """A Markdown file with only blank lines and a comment: no text."""
    Path(path).write_text("\n\n<!-- nothing here yet -->\n\n", encoding="utf-8")
    return Path(path)


def make_bad_docx(path: Path) -> Path:
    """A .docx that is not a Word package: a zip without the document part, and garbage after."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "not a word document")
    return Path(path)


def make_garbage_docx(path: Path) -> Path:
    """A .docx that is not even a zip archive."""
    Path(path).write_bytes(b"PK\x03\x04 this is not really a zip file" * 3)
    return Path(path)
