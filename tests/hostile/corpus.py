"""The hostile-file corpus, generated here (no binary file in the repository).

Each :class:`Hostile` is a file a person could send to a face that accepts files, and the part of
the English half of the refusal that says why it is refused. ``named`` files are hostile by their
*name* (a path, a device): only faces that take a name from the sender (service, page, API) get
them; the command line opens a path its operator chose.
"""

from __future__ import annotations

import gzip
import io
import zipfile
from dataclasses import dataclass

from lantian.sources.demo import png_photo

#: The upload limit the corpus runs under (set as LANTIAN_UPLOAD_MAX_BYTES), so that "oversized"
#: costs 100 KiB per face rather than the 100 MiB of the default.
SMALL_LIMIT = 64 * 1024


@dataclass(frozen=True)
class Hostile:
    key: str
    name: str
    content: bytes
    refusal: str
    """A fragment of the English half of the refusal (whitespace-normalised)."""
    named: bool = False


def _zip(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _workbook_parts(sheet_xml: bytes, shared: bytes | None = None) -> dict[str, bytes]:
    """The parts of a minimal .xlsx whose first sheet is ``sheet_xml``."""
    content_types = (
        b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        b'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
        b'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
        b'"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.'
        b'openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/'
        b'worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        b'spreadsheetml.worksheet+xml"/></Types>'
    )
    rels = (
        b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxml'
        b'formats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
        b'openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target='
        b'"xl/workbook.xml"/></Relationships>'
    )
    workbook = (
        b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.'
        b'org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets>'
        b"</workbook>"
    )
    workbook_rels = (
        b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxml'
        b'formats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
        b'openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/'
        b'sheet1.xml"/></Relationships>'
    )
    parts = {
        "[Content_Types].xml": content_types,
        "_rels/.rels": rels,
        "xl/workbook.xml": workbook,
        "xl/_rels/workbook.xml.rels": workbook_rels,
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    if shared is not None:
        parts["xl/sharedStrings.xml"] = shared
    return parts


_SHEET_OPEN = (
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_CLOSE = b"</sheetData></worksheet>"

BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">'.encode()
        for n in range(1, 10)
    )
    + b"]>"
    + _SHEET_OPEN
    + b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
    + _SHEET_CLOSE
)
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
    + _SHEET_OPEN
    + b'<row r="1"><c r="A1" t="inlineStr"><is><t>&secret;</t></is></c></row>'
    + _SHEET_CLOSE
)
#: 4 MiB of one repeated row: a part compressed about 1,000:1 (a real sheet: 5-50:1).
ZIP_BOMB_SHEET = (
    _SHEET_OPEN
    + b'<row><c t="inlineStr"><is><t>0</t></is></c></row>' * (4 * 2**20 // 48)
    + _SHEET_CLOSE
)

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64 + b"\xff\xd9"
SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
    b"<script>fetch('/api/v1/users')</script></svg>"
)
HTML_PAGE = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"

#: Names that could place a file elsewhere, or a device, on the server or a reader's computer.
TRAVERSAL_NAMES = (
    ("parent", "../../etc/{}", "holds a path"),
    ("absolute", "/etc/{}", "holds a path"),
    ("backslash", "..\\..\\windows\\{}", "holds a path"),
    ("nul", "{}\x00.png", "control character"),
    ("device", "CON.{}", "Windows device name"),
    ("drive", "C:{}", "a drive or a stream"),
    ("trailing-dot", "{}.", "ends in a dot or a space"),
)


def table_corpus(header: str) -> list[Hostile]:
    """Hostile files for a face that imports a table whose CSV header line is ``header``."""
    good_csv = (header + "\n").encode()
    files = [
        Hostile(
            "oversized-csv", "台账.csv", good_csv + b"x," * (SMALL_LIMIT // 2 + 10), "too large"
        ),
        Hostile(
            "gzip-bomb",
            "台账.csv.gz",
            gzip.compress(good_csv + b"0" * (20 * 2**20), compresslevel=9),
            "too large",
        ),
        Hostile("xlsx-zip-bomb", "台账.xlsx", _zip(_workbook_parts(ZIP_BOMB_SHEET)), "a zip bomb"),
        Hostile(
            "xlsx-billion-laughs",
            "台账.xlsx",
            _zip(_workbook_parts(BILLION_LAUGHS)),
            "XML entity attack",
        ),
        Hostile(
            "xlsx-external-entity",
            "台账.xlsx",
            _zip(_workbook_parts(EXTERNAL_ENTITY)),
            "XML entity attack",
        ),
        Hostile(
            "xlsx-entity-in-shared-strings",
            "台账.xlsx",
            _zip(_workbook_parts(_SHEET_OPEN + _SHEET_CLOSE, shared=EXTERNAL_ENTITY)),
            "XML entity attack",
        ),
        Hostile(
            "xlsx-zip-of-something-else",
            "台账.xlsx",
            _zip({"payload.exe": b"MZ\x90\x00" + b"\x00" * 200, "readme.txt": b"hello"}),
            "not a readable .xlsx workbook",
        ),
        Hostile(
            "xlsx-that-is-pdf", "台账.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "not a readable"
        ),
        Hostile("xls-ole", "台账.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500, ".xls"),
        Hostile("csv-that-is-png", "台账.csv", png_photo(4, 4, (1, 2, 3), 0), "is a PNG file"),
        Hostile("csv-that-is-html", "台账.csv", HTML_PAGE, "is a web page"),
        Hostile("csv-that-is-svg", "台账.csv", SVG_WITH_SCRIPT, "is a web page"),
        Hostile("csv-that-is-exe", "台账.csv", b"MZ\x90\x00\x03" + b"\0" * 60, "executable"),
        Hostile(
            "csv-undecodable",
            "台账.csv",
            good_csv + "B1,Café".encode("latin-1") + b"\x80\xff\x80\n",
            "cannot decode",
        ),
        Hostile(
            "csv-utf16-without-bom",
            "台账.csv",
            (header + "\n").encode("utf-16-le"),
            # Chinese in UTF-16 is not UTF-8; ASCII in UTF-16 is ASCII with NUL bytes between.
            "cannot decode" if not header.isascii() else "binary data",
        ),
        Hostile("csv-binary-nul", "台账.csv", good_csv + b"\x00\x01\x02" * 10, "binary data"),
        Hostile("xlsx-that-is-csv", "台账.xlsx", good_csv, "not a readable .xlsx workbook"),
        Hostile("csv-that-is-xlsx-of-other", "台账.csv", _zip({"a.txt": b"a"}), "is an Excel"),
        Hostile("executable-name", "台账.exe", good_csv, "only .csv and .xlsx"),
        Hostile("html-name", "台账.html", HTML_PAGE, "only .csv and .xlsx"),
    ]
    for key, pattern, refusal in TRAVERSAL_NAMES:
        name = pattern.format("台账.csv") if key != "nul" else "台账\x00.csv"
        files.append(Hostile(f"name-{key}", name, good_csv, refusal, named=True))
    return files


def evidence_corpus() -> list[Hostile]:
    """Hostile evidence: photos, documents and attachments of a step, a check or a case."""
    files = [
        Hostile("oversized", "现场.jpg", JPEG + b"\0" * SMALL_LIMIT, "too large"),
        Hostile("empty", "现场.jpg", b"", "is empty"),
        Hostile("photo-that-is-html", "现场.jpg", HTML_PAGE, "web page"),
        Hostile("photo-that-is-svg", "现场.png", SVG_WITH_SCRIPT, "SVG"),
        Hostile("svg", "现场.svg", SVG_WITH_SCRIPT, "is not accepted"),
        Hostile("html", "现场.html", HTML_PAGE, "is not accepted"),
        Hostile("no-suffix", "现场", JPEG, "is not accepted"),
        Hostile("pdf-that-is-not", "通知书.pdf", b"this is not a PDF at all", "(PDF)"),
        Hostile("photo-that-is-exe", "现场.jpg", b"MZ\x90\x00\x03" + b"\0" * 60, "(JPEG)"),
        Hostile("photo-that-is-pdf", "现场.png", b"%PDF-1.4 not a png", "(PNG)"),
        Hostile("xlsx-plain-zip", "清单.xlsx", _zip({"a.exe": b"MZ"}), "plain zip archive"),
        Hostile("text-that-is-html", "说明.txt", b"\n  <script>alert(1)</script>", "web page"),
        Hostile(
            "utf16-html-as-text",
            "说明.txt",
            b"\xff\xfe" + "<html><script>alert(1)</script>".encode("utf-16-le"),
            "web page",
        ),
    ]
    for key, pattern, refusal in TRAVERSAL_NAMES:
        name = pattern.format("现场.jpg") if key != "nul" else "现场\x00.jpg"
        files.append(Hostile(f"name-{key}", name, JPEG, refusal, named=True))
    return files
