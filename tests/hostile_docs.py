"""Hostile documents for the reader limits (issue 16, item 2), written in a streaming way so making
them costs little memory: a .docx whose document.xml inflates to ~1 GB, PDFs whose content stream
or form XObject decodes to ~70 MB of text operators, a PDF of many pages, and large text and HTML.

``python -m tests.hostile_docs FOLDER`` writes them all (used by the memory measurement in
tests/test_trust.py and by hand: see docs/AUDIT.md).
"""

from __future__ import annotations

import sys
import zipfile
import zlib
from pathlib import Path

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="word/document.xml"/></Relationships>'
)
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def docx_bomb(path: Path, unpacked: int = 1_000_000_000) -> Path:
    """A .docx whose word/document.xml is ``unpacked`` bytes of short paragraphs (about 1 MB on disk for 1 GB)."""
    para = b"<w:p><w:r><w:t>The enforcement priorities are five and apply to everyone.</w:t></w:r></w:p>"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", RELS)
        with z.open("word/document.xml", "w", force_zip64=True) as out:
            out.write(f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{W}"><w:body>'.encode())
            block = para * (1_000_000 // len(para))
            written = 0
            while written < unpacked:
                out.write(block)
                written += len(block)
            out.write(b"</w:body></w:document>")
    return path


def docx_wide(path: Path, paragraphs: int = 115_000) -> Path:
    """A .docx within the ratio and size limits (varied text), as many short paragraphs as they allow."""
    import random

    rng = random.Random(16)
    words = [f"w{rng.randrange(10**9):09d}" for _ in range(5000)]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", RELS)
        with z.open("word/document.xml", "w", force_zip64=True) as out:
            out.write(f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{W}"><w:body>'.encode())
            for i in range(paragraphs):
                text = " ".join(rng.choice(words) for _ in range(12))
                out.write(f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>".encode())
            out.write(b"</w:body></w:document>")
    return path


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF file from its numbered objects (1-based), with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    packed = zlib.compress(data, 9)
    return b"<< /Length %d /Filter /FlateDecode %s >>\nstream\n" % (len(packed), extra) + packed + b"\nendstream"


FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def pdf_bomb(path: Path, unpacked: int = 70_000_000, form: bool = False) -> Path:
    """A one-page PDF whose content stream (or, with ``form``, a form XObject it draws) decodes to ``unpacked`` bytes."""
    line = b"BT /F1 12 Tf 72 700 Td (The priorities are five.) Tj ET\n"
    content = line * (unpacked // len(line))
    if form:
        objects = [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> /XObject << /X1 6 0 R >> >> >>",
            _stream(b"q /X1 Do Q\n"),
            FONT,
            _stream(content, b"/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >>"),
        ]
    else:
        objects = [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            _stream(content),
            FONT,
        ]
    path.write_bytes(_pdf(objects))
    return path


def pdf_pages(path: Path, pages: int = 5000) -> Path:
    """A PDF of ``pages`` pages that all share one small content stream."""
    kids = b" ".join(b"%d 0 R" % (5 + i) for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
        _stream(b"BT /F1 12 Tf 72 700 Td (One line of the page.) Tj ET\n"),
        FONT,
    ]
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R /Resources << /Font << /F1 4 0 R >> >> >>"
    objects += [page] * pages
    path.write_bytes(_pdf(objects))
    return path


def big_text(path: Path, size: int = 19_000_000) -> Path:
    """A plain-text or Markdown file just under the default file-size limit, paragraphs of words."""
    para = "The field office closes on days of heavy snow, and staff then work from home.\n\n"
    path.write_text(para * (size // len(para)), encoding="utf-8")
    return path


def big_html(path: Path, size: int = 19_000_000) -> Path:
    """An HTML page just under the default file-size limit made of tiny elements (the parser's worst case)."""
    cell = "<p><b>a</b><i>b</i></p>"
    path.write_text("<html><body>" + cell * (size // len(cell)) + "</body></html>", encoding="utf-8")
    return path


MAKERS = {
    "bomb.docx": docx_bomb,
    "wide.docx": docx_wide,
    "bomb.pdf": pdf_bomb,
    "form-bomb.pdf": lambda p: pdf_bomb(p, form=True),
    "pages.pdf": pdf_pages,
    "dense.pdf": lambda p: pdf_bomb(p, unpacked=19_000_000),
    "big.txt": big_text,
    "big.md": big_text,
    "big.html": big_html,
    "tags.html": lambda p: big_html(p, size=190_000 // 3 * 23),  # 190,000 tags
}


AS_CAP = 4 * 2**30  # address space of the measuring child
READ_ONE = """
import sys

def peak():  # this process's own high-water mark since exec (ru_maxrss would carry the forking parent's)
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                print("peak-kb:", line.split()[1], flush=True)

from assistant.corpus.readers import read_document
from assistant.errors import GuidanceError
try:
    doc = read_document(sys.argv[1])
except GuidanceError as exc:
    print("refused:", exc)
    peak()
    sys.exit(2)
print("read:", len(doc.text), "characters")
peak()
"""


def peak_memory(path: Path, env: dict[str, str] | None = None) -> tuple[int, str, int]:
    """Read ``path`` in a fresh subprocess: its exit code, its output, and its peak resident memory in bytes.

    The peak is the child's own high-water mark (``VmHWM`` in /proc/self/status, reset at exec). The
    child's ``ru_maxrss`` is not used: Linux carries into it the resident size of the process that
    forked it, so a test run late in a large pytest process read the parent's 1.6 GB as the child's.
    ``ru_maxrss`` remains the fallback when the child died before reporting (the cap below killed it).
    """
    import os
    import subprocess

    def cap() -> None:  # a reader without bounds must fail here, not take the machine (the check is the peak below)
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (AS_CAP, AS_CAP))

    child = subprocess.Popen([sys.executable, "-c", READ_ONE, str(path)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             env=env, preexec_fn=cap)
    assert child.stdout is not None
    output = child.stdout.read().decode()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    lines = output.strip().splitlines()
    reported = [int(line.split()[1]) * 1024 for line in lines if line.startswith("peak-kb:")]
    text = "\n".join(line for line in lines if not line.startswith("peak-kb:"))
    return child.returncode, text, reported[-1] if reported else usage.ru_maxrss * 1024


def make_all(folder: Path) -> list[Path]:
    """Write every hostile document into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    return [make(folder / name) for name, make in MAKERS.items()]


if __name__ == "__main__":
    for made in make_all(Path(sys.argv[1])):
        code, output, peak = peak_memory(made)
        print(f"{made.name:14} {made.stat().st_size:>12,} bytes  exit {code}  peak {peak / 2**20:7.0f} MiB  {output[:150]}")
