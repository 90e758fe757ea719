"""Opening an uploaded table safely: CSV in the encodings offices use, and .xlsx with limits.

A CSV file is UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030 (GBK's superset, what
Excel on a Chinese Windows writes); ``.csv.gz`` is decompressed first. An .xlsx file is a zip of
XML parts: before openpyxl sees it the archive is checked (size of the file, member count,
uncompressed size, compression ratio) and every XML part is refused if it declares a DTD or an
entity, so a zip bomb or a "billion laughs" file is refused with a message instead of eating the
memory of the server; openpyxl then parses with defusedxml. The content decides, not only the name:
a CSV saved as ``.xlsx`` or a workbook renamed ``.csv`` is refused clearly.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Final, Literal

import defusedxml.ElementTree
from defusedxml import DefusedXmlException

from lantian.config import get_settings
from lantian.errors import InputError, NotFound
from lantian.files import check_file_name, is_utf8_or_gb18030_text, looks_like_markup
from lantian.tabular.cells import Cell

CSV_SUFFIXES: Final = frozenset({".csv", ".txt"})
XLSX_SUFFIXES: Final = frozenset({".xlsx", ".xlsm"})

# The limits are settings (lantian.config: upload_max_bytes, xlsx_max_uncompressed_bytes,
# xlsx_max_compression_ratio); these are their defaults.
#: Largest file accepted (as uploaded, or decompressed for ``.csv.gz``).
MAX_FILE_BYTES: Final = 100 * 1024 * 1024
#: Largest total of the uncompressed parts of an .xlsx archive.
MAX_UNCOMPRESSED_BYTES: Final = 1024 * 1024 * 1024
#: Largest compression ratio of one part (real sheets compress 5–50×; zip bombs 1,000× and more).
MAX_COMPRESSION_RATIO: Final = 250
#: Parts smaller than this are not held to the ratio (a tiny part of zeros compresses well).
RATIO_EXEMPT_BYTES: Final = 1024 * 1024
#: Most parts an .xlsx archive may hold (a workbook of a few sheets has a few dozen).
MAX_ARCHIVE_MEMBERS: Final = 10_000

_ZIP_MAGIC: Final = b"PK\x03\x04"
_OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 .xls, also old .doc
_GZIP_MAGIC: Final = b"\x1f\x8b"
#: An XML part of an .xlsx never declares a DTD; one that does is an entity trick.
_FORBIDDEN_XML: Final = tuple(
    marker.encode(encoding)
    for marker in ("<!DOCTYPE", "<!ENTITY")
    for encoding in ("utf-8", "utf-16-le", "utf-16-be")
)

Rows = Iterator[tuple[int, tuple[Cell, ...]]]
"""(row number as the spreadsheet shows it, cells) of every row, blank ones included."""


@dataclass
class OpenedSheet:
    """One sheet of a file, open for reading; use it as a context manager (closes the workbook)."""

    file: str
    """The file's name, as problems name it."""
    sheet: str | None
    """The worksheet's name; None for CSV."""
    kind: Literal["csv", "xlsx"]
    rows: Rows
    sheet_names: tuple[str, ...] = ()
    _close: list[object] = field(default_factory=list, repr=False)

    def close(self) -> None:
        for closer in self._close:
            closer.close()  # type: ignore[attr-defined]
        self._close.clear()

    def __enter__(self) -> OpenedSheet:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


Source = Path | bytes
"""A file on disk, or the bytes of an upload (then ``name`` gives its file name)."""


def open_sheet(
    source: Source,
    *,
    name: str | None = None,
    sheet: str | None = None,
    kind: Literal["csv", "xlsx"] | None = None,
    max_bytes: int | None = None,
) -> OpenedSheet:
    """Open one sheet of a CSV or .xlsx file (its first sheet unless ``sheet`` names one).

    The file name's suffix says which format, unless ``kind`` says it (text already known to be
    CSV, an upload whose name says nothing).

    Raises :class:`~lantian.errors.NotFound` for a missing file, :class:`~lantian.errors.InputError`
    for one too large, of another format than its name says, undecodable, or an unsafe archive,
    and for an upload's (bytes') name that holds a path or a device (:func:`lantian.files.check_file_name`).
    The size limit is ``max_bytes`` or else the installation's ``upload_max_bytes``.
    """
    if max_bytes is None:
        max_bytes = get_settings().upload_max_bytes
    if name is not None and not isinstance(source, Path):
        check_file_name(name)  # an upload's name as sent (a file on disk may be named by path)
    if isinstance(source, Path):
        file = name or source.name
        if not source.is_file():
            raise NotFound(f"{source}: 文件不存在 / no such file")
        size = source.stat().st_size
        _check_size(file, size, max_bytes)
        with source.open("rb") as handle:
            head = handle.read(8)
    else:
        file = name or "upload"
        _check_size(file, len(source), max_bytes)
        head = source[:8]
    suffixes = [suffix.lower() for suffix in Path(file).suffixes]
    suffix = suffixes[-1] if suffixes else ""
    compressed = suffix == ".gz"
    if compressed:
        suffix = suffixes[-2] if len(suffixes) > 1 else ""
    if kind is not None:
        suffix = f".{kind}"
    if suffix not in XLSX_SUFFIXES | CSV_SUFFIXES | {".xls"}:
        raise InputError(
            f"{file}: 只接受 .csv 与 .xlsx 文件 / only .csv and .xlsx files are accepted"
        )
    if suffix == ".xls" or head.startswith(_OLE_MAGIC):
        raise InputError(
            f"{file}: 旧版 Excel 97-2003 (.xls) 格式不受支持，请另存为 .xlsx / "
            "the old .xls format is not read; save the file as .xlsx"
        )
    if suffix in XLSX_SUFFIXES and not compressed:
        if not head.startswith(_ZIP_MAGIC):
            hint_zh = hint_en = ""
            if _looks_like_text(source):
                hint_zh = "；内容是文本（像是 CSV），请在 Excel 中另存为 .xlsx，或改名为 .csv"
                hint_en = "; it holds text (CSV?): save it as .xlsx from Excel, or name it .csv"
            # Chinese, then English, once each: the pages show the half of the page's language.
            raise InputError(
                f"{file}: 文件名为 {suffix} 但不是 Excel 工作簿{hint_zh} / named {suffix} but not a "
                f"readable .xlsx workbook{hint_en}"
            )
        return _open_xlsx(source, file, sheet)
    if suffix in CSV_SUFFIXES:
        if sheet is not None:
            raise InputError(f"{file}: CSV 文件没有工作表 / a CSV file has no sheets")
        raw = source.read_bytes() if isinstance(source, Path) else source
        if compressed:
            raw = _gunzip(file, raw, max_bytes)
        if raw.startswith(_ZIP_MAGIC):
            raise InputError(
                f"{file}: 文件名为 .csv 但内容是 Excel 工作簿（.xlsx）/ the file is named .csv but "
                "is an Excel workbook (.xlsx); name it .xlsx, or save it from Excel as CSV"
            )
        _refuse_non_text(file, raw)
        text = decode_csv_bytes(raw, file)
        if "\0" in text:
            raise InputError(
                f"{file}: 文件名为 .csv 但内容是二进制数据（含 NUL 字节）/ the file is named .csv "
                "but holds binary data (NUL bytes), not text"
            )
        return OpenedSheet(file, None, "csv", iter(csv_rows(text)))
    raise InputError(f"{file}: .gz 只用于 CSV 文件 / only CSV files may be gzip-compressed")


#: How other kinds of file begin, to name what a ".csv" really is.
_OTHER_FORMATS: Final = (
    (b"%PDF-", "PDF"),
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"MZ", "Windows executable"),
    (b"\x7fELF", "ELF executable"),
    (b"Rar!", "RAR"),
    (b"7z\xbc\xaf", "7z"),
)


def _refuse_non_text(file: str, raw: bytes) -> None:
    """A ".csv" that is a PDF, an image, a program or a web page is refused by what it is."""
    for magic, label in _OTHER_FORMATS:
        if raw.startswith(magic):
            raise InputError(
                f"{file}: 文件名为 .csv 但内容是 {label} 文件 / the file is named .csv but is a "
                f"{label} file"
            )
    if looks_like_markup(raw[:4096]):
        raise InputError(
            f"{file}: 文件名为 .csv 但内容是网页或 XML 文档 / the file is named .csv but is a web "
            "page or an XML document"
        )


def _looks_like_text(source: Source) -> bool:
    if isinstance(source, Path):
        with source.open("rb") as handle:
            head = handle.read(4096)
    else:
        head = source[:4096]
    return is_utf8_or_gb18030_text(head)


def _check_size(file: str, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise InputError(
            f"{file}: 文件过大（{size / 2**20:.1f} MB，上限 {max_bytes / 2**20:.0f} MB）/ the file "
            f"is too large ({size / 2**20:.1f} MB; the limit is {max_bytes / 2**20:.0f} MB)"
        )


def _gunzip(file: str, raw: bytes, max_bytes: int) -> bytes:
    if not raw.startswith(_GZIP_MAGIC):
        raise InputError(f"{file}: 不是 gzip 压缩文件 / not a gzip-compressed file")
    with gzip.GzipFile(fileobj=io.BytesIO(raw)) as stream:
        data = stream.read(max_bytes + 1)
    _check_size(file, len(data), max_bytes)
    return data


def decode_csv_bytes(raw: bytes, file: str) -> str:
    """Text of a CSV file: UTF-8 (BOM or not), UTF-16 with BOM, else GB18030 (GBK's superset).

    Excel on a Chinese Windows saves "CSV" in the ANSI code page, i.e. GBK; GBK text is almost
    never valid UTF-8, so strict UTF-8 first and GB18030 second tells them apart reliably.
    """
    if raw.startswith(codecs.BOM_UTF16_LE) or raw.startswith(codecs.BOM_UTF16_BE):
        encodings: tuple[str, ...] = ("utf-16",)
    elif raw.startswith(codecs.BOM_UTF8):
        encodings = ("utf-8-sig",)
    else:
        encodings = ("utf-8", "gb18030")
    failure: UnicodeDecodeError | None = None
    for encoding in encodings:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError as error:
            failure = error
    assert failure is not None
    raise InputError(
        f"{file}: 无法识别文件编码（应为 UTF-8 或 GBK/GB18030），第 {failure.start} 字节有误 / "
        f"cannot decode the file as UTF-8 or GBK/GB18030 (bad byte at offset {failure.start})"
    )


def csv_rows(text: str) -> list[tuple[int, tuple[Cell, ...]]]:
    """Rows of CSV text; the delimiter (comma, tab or semicolon) is the commonest in line 1."""
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    # Rows are numbered by record, as Excel numbers them when it opens the CSV.
    return [(number, tuple(record)) for number, record in enumerate(reader, start=1)]


def check_xlsx_archive(archive: zipfile.ZipFile, file: str) -> None:
    """Refuse an archive that would take more memory or time than a real workbook needs."""
    settings = get_settings()
    max_uncompressed = settings.xlsx_max_uncompressed_bytes
    max_ratio = settings.xlsx_max_compression_ratio
    members = archive.infolist()
    if len(members) > MAX_ARCHIVE_MEMBERS:
        raise InputError(
            f"{file}: 工作簿包含 {len(members)} 个部件，超过上限 {MAX_ARCHIVE_MEMBERS} / the "
            f"workbook holds {len(members)} parts, more than {MAX_ARCHIVE_MEMBERS}"
        )
    # zipfile stops reading each part at its declared size, so the declared sizes bound the work.
    total = sum(member.file_size for member in members)
    if total > max_uncompressed:
        raise InputError(
            f"{file}: 解压后 {total / 2**20:.0f} MB，超过上限 {max_uncompressed / 2**20:.0f} "
            f"MB（疑似压缩炸弹）/ {total / 2**20:.0f} MB uncompressed, more than "
            f"{max_uncompressed / 2**20:.0f} MB (a zip bomb?)"
        )
    for member in members:
        if member.file_size < RATIO_EXEMPT_BYTES:
            continue
        ratio = member.file_size / max(member.compress_size, 1)
        if ratio > max_ratio:
            raise InputError(
                f"{file}: 部件 {member.filename} 压缩比 {ratio:.0f}:1，超过上限 "
                f"{max_ratio}:1（疑似压缩炸弹）/ part {member.filename} is compressed "
                f"{ratio:.0f}:1, more than {max_ratio}:1 (a zip bomb?)"
            )
    for member in members:
        if member.filename.endswith((".xml", ".rels", ".vml")):
            with archive.open(member) as part:
                _refuse_dtd(part, file, member.filename)
    # The parts openpyxl reads first, parsed once with defusedxml to be sure of the check above.
    for name in ("[Content_Types].xml", "xl/workbook.xml"):
        if name in archive.namelist():
            try:
                defusedxml.ElementTree.fromstring(archive.read(name))
            except (DefusedXmlException, defusedxml.ElementTree.ParseError) as error:
                raise InputError(
                    f"{file}: 部件 {name} 无法安全解析 / part {name} cannot be parsed safely "
                    f"({error})"
                ) from None


def _refuse_dtd(part: IO[bytes], file: str, member: str) -> None:
    overlap = max(len(marker) for marker in _FORBIDDEN_XML)
    tail = b""
    for block in iter(lambda: part.read(1 << 20), b""):
        window = tail + block
        if any(marker in window for marker in _FORBIDDEN_XML):
            raise InputError(
                f"{file}: 部件 {member} 声明了 DTD 或实体（XML 实体攻击），拒绝读取 / part {member} "
                "declares a DTD or an entity (an XML entity attack); the file is refused"
            )
        tail = window[-overlap:]


def _open_xlsx(source: Source, file: str, sheet: str | None) -> OpenedSheet:
    from openpyxl import load_workbook

    stream: IO[bytes] = source.open("rb") if isinstance(source, Path) else io.BytesIO(source)
    try:
        try:
            with zipfile.ZipFile(stream) as archive:
                check_xlsx_archive(archive, file)
        except zipfile.BadZipFile as error:
            raise InputError(
                f"{file}: 不是有效的 .xlsx 工作簿 / not a readable .xlsx workbook ({error})"
            ) from None
        stream.seek(0)
        try:
            # read_only streams the sheet; data_only gives formulas' cached results, not formulas.
            workbook = load_workbook(stream, read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises zipfile, KeyError and XML errors alike
            raise InputError(
                f"{file}: 不是有效的 .xlsx 工作簿 / not a readable .xlsx workbook ({error})"
            ) from None
    except BaseException:
        stream.close()
        raise
    names = tuple(workbook.sheetnames)
    if sheet is not None and sheet not in names:
        workbook.close()
        stream.close()
        raise InputError(
            f"{file}: 没有名为 {sheet!r} 的工作表 / no sheet named {sheet!r}; "
            f"sheets: {', '.join(names)}"
        )
    chosen = sheet if sheet is not None else names[0]
    worksheet = workbook[chosen]

    def rows() -> Rows:
        try:
            # Read-only sheets yield every row from 1, empty ones included, so numbers match Excel.
            for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
                yield number, tuple(values)
        except DefusedXmlException as error:
            raise InputError(
                f"{file}: 工作表无法安全解析 / the sheet cannot be parsed safely ({error})"
            ) from None

    return OpenedSheet(file, chosen, "xlsx", rows(), names, [workbook, stream])
