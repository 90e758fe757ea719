"""The one file store: every file lantian keeps (evidence, original uploads), by its content.

A file is kept once, at ``<data dir>/files/<sha[:2]>/<sha>`` where ``sha`` is the hex SHA-256 of
its bytes, and rows refer to it by that path *relative to the data folder* (so the folder can be
moved or restored elsewhere) together with the hash. The same bytes stored twice are one file; a
stored file is never rewritten. Every read recomputes the hash: a file changed on disk is refused
(:class:`TamperedFile`), never served or re-imported as if it were the original.

Rows written before the store existed keep working: their path may be absolute or relative to the
data folder (``evidence/ab/abcd…``, ``uploads/cnemc/…``), and :meth:`FileStore.read` resolves both.

What may be kept is decided here too, before a face keeps anything: :func:`check_upload` (the
name, the size, the type and whether the bytes are what the name says) and
:func:`upload_read_limit` (how much of an upload a web face reads); docs/security.md, "Hostile
files".
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import io
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from lantian.errors import Conflict, InputError

#: Folder under the data folder that holds the content-addressed files.
FILES_DIR = "files"

_BLOCK = 1 << 20


class StoredFileError(Conflict):
    """A kept file cannot be given back as it was stored (the faces answer 409 Conflict)."""


class MissingFile(StoredFileError):
    """The file a row refers to is not in the store."""


class TamperedFile(StoredFileError):
    """The kept file's bytes no longer have the SHA-256 recorded when it was stored."""


@dataclass(frozen=True)
class StoredFile:
    """Where a file is kept (``path``, relative to the data folder, POSIX) and what it is."""

    sha256: str
    path: str
    size: int


# --- what an upload may be -----------------------------------------------------------------------
#
# Every face that takes a file from a person (evidence, photos, attachments, imported tables)
# checks its name and its bytes here before anything is read or kept (OWASP File Upload Cheat
# Sheet): the name may not carry a path or a device, the type must be one people send as evidence,
# and the bytes must be what the name says: a ".jpg" that is an HTML page or an SVG with a script,
# or a ".pdf" that is not a PDF, is refused, never kept and later served to a browser.

#: Names Windows keeps for devices (``CON.txt`` opens the console there, whatever the suffix).
_WINDOWS_DEVICES: Final = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"COM{n}" for n in range(10)} | {f"LPT{n}" for n in range(10)}
)
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")
#: Longest name kept (bytes of UTF-8, the limit of most file systems).
MAX_NAME_BYTES: Final = 255


def _name_error(shown: str, why_zh: str, why_en: str) -> InputError:
    return InputError(
        f"文件名 {shown} 不可接受：{why_zh} / the file name {shown} is refused: {why_en}",
        field="files",
    )


def check_file_name(filename: str) -> str:
    """The name of an uploaded file, refused when it could name a place other than itself.

    Refused: a path (``/`` or ``\\``, ``..``, an absolute or drive name ``C:``), a NUL or another
    control character, a Windows device name (``CON``, ``NUL.csv``, ``COM1``), a name ending in a
    dot or a space (Windows drops them), and a name longer than 255 bytes. The name is only ever
    shown (files are kept under their hash), but a name like these is an attack, not a mistake.
    """
    shown = repr(filename[:80])
    if _CONTROL.search(filename):
        raise _name_error(shown, "含有控制字符（如 NUL）", "it holds a control character (NUL?)")
    if "/" in filename or "\\" in filename or filename.strip() in {".", ".."}:
        raise _name_error(shown, "含有路径（/、\\ 或 ..）", "it holds a path (/, \\ or ..)")
    if ":" in filename:
        raise _name_error(shown, "含有盘符或数据流（:）", "it holds a drive or a stream (:)")
    if filename.split(".", 1)[0].strip().upper() in _WINDOWS_DEVICES:
        raise _name_error(shown, "是 Windows 设备名", "it is a Windows device name")
    if filename != filename.rstrip(". "):
        raise _name_error(shown, "以点或空格结尾", "it ends in a dot or a space")
    if len(filename.encode("utf-8")) > MAX_NAME_BYTES:
        raise _name_error(shown, "超过 255 字节", "it is longer than 255 bytes")
    return filename.strip()


def _is_jpeg(head: bytes) -> bool:
    return head.startswith(b"\xff\xd8")


def _is_zip(head: bytes) -> bool:
    return head.startswith((b"PK\x03\x04", b"PK\x05\x06"))


def _is_ole(head: bytes) -> bool:
    return head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")


def _is_iso_media(head: bytes) -> bool:
    return head[4:8] == b"ftyp"


def _is_pdf(head: bytes) -> bool:
    # PDF readers accept the header anywhere in the first kilobyte (ISO 32000-1, 7.5.2 note).
    return b"%PDF-" in head[:1024]


def _is_text(head: bytes) -> bool:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    return is_utf8_or_gb18030_text(head)


def is_utf8_or_gb18030_text(head: bytes) -> bool:
    """Whether the first bytes of a file read as text in UTF-8 (with or without its BOM) or
    GB18030, the encodings the platform's tables come in: no NUL byte, and nothing undecodable
    before the last few bytes (a character cut at the end of the sample is fine)."""
    if b"\0" in head:
        return False
    sample = head[3:] if head.startswith(codecs.BOM_UTF8) else head
    for encoding in ("utf-8", "gb18030"):
        try:
            sample.decode(encoding)
        except UnicodeDecodeError as error:
            if error.start < len(sample) - 4:  # a character cut at the end of the sample is fine
                continue
        return True
    return False


#: The types of evidence people send, and how the bytes of each begin.
UPLOAD_TYPES: Final[dict[str, tuple[str, Callable[[bytes], bool]]]] = {
    ".jpg": ("JPEG", _is_jpeg),
    ".jpeg": ("JPEG", _is_jpeg),
    ".png": ("PNG", lambda h: h.startswith(b"\x89PNG\r\n\x1a\n")),
    ".gif": ("GIF", lambda h: h.startswith((b"GIF87a", b"GIF89a"))),
    ".webp": ("WebP", lambda h: h.startswith(b"RIFF") and h[8:12] == b"WEBP"),
    ".bmp": ("BMP", lambda h: h.startswith(b"BM")),
    ".tif": ("TIFF", lambda h: h.startswith((b"II*\0", b"MM\0*"))),
    ".tiff": ("TIFF", lambda h: h.startswith((b"II*\0", b"MM\0*"))),
    ".heic": ("HEIC", _is_iso_media),
    ".heif": ("HEIF", _is_iso_media),
    ".pdf": ("PDF", _is_pdf),
    ".ofd": ("OFD", _is_zip),
    ".docx": ("Word", _is_zip),
    ".xlsx": ("Excel", _is_zip),
    ".xlsm": ("Excel", _is_zip),
    ".pptx": ("PowerPoint", _is_zip),
    ".odt": ("OpenDocument", _is_zip),
    ".ods": ("OpenDocument", _is_zip),
    ".doc": ("Word 97-2003", lambda h: _is_ole(h) or _is_zip(h)),
    ".xls": ("Excel 97-2003", lambda h: _is_ole(h) or _is_zip(h)),
    ".ppt": ("PowerPoint 97-2003", lambda h: _is_ole(h) or _is_zip(h)),
    ".wps": ("WPS", lambda h: _is_ole(h) or _is_zip(h)),
    ".et": ("WPS", lambda h: _is_ole(h) or _is_zip(h)),
    ".zip": ("zip", _is_zip),
    ".rar": ("RAR", lambda h: h.startswith(b"Rar!\x1a\x07")),
    ".7z": ("7z", lambda h: h.startswith(b"7z\xbc\xaf\x27\x1c")),
    ".mp4": ("MP4", _is_iso_media),
    ".mov": ("QuickTime", _is_iso_media),
    ".3gp": ("3GP", _is_iso_media),
    ".m4a": ("M4A", _is_iso_media),
    ".mp3": ("MP3", lambda h: h.startswith(b"ID3") or h[:2] in (b"\xff\xfb", b"\xff\xf3")),
    ".amr": ("AMR", lambda h: h.startswith(b"#!AMR")),
    ".wav": ("WAV", lambda h: h.startswith(b"RIFF") and h[8:12] == b"WAVE"),
    ".txt": ("text", _is_text),
    ".csv": ("CSV", _is_text),
}

#: How a page a browser would run begins (the WHATWG MIME sniffing "HTML" and "XML" patterns).
_MARKUP: Final = re.compile(
    rb"<(?:!doctype\s+html|html|head|body|script|iframe|svg|\?xml|style|title|a\s|img|div|"
    rb"table|p[\s>]|br|b[\s>]|h1|font|!--|object|embed|meta|link|form|math)",
    re.IGNORECASE,
)


def looks_like_markup(head: bytes) -> bool:
    for bom, encoding in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if head.startswith(bom):
            head = head[len(bom) :].decode(encoding, "ignore").encode("utf-8")
    head = head.removeprefix(codecs.BOM_UTF8).lstrip(b" \t\r\n\x0c")
    return bool(_MARKUP.match(head))


def upload_read_limit() -> int:
    """How many bytes a face reads of one upload: the installation's ``upload_max_bytes`` plus one,
    so that an oversized file is refused by :func:`check_upload` or the table reader with its
    message, and never read whole into the server's memory."""
    from lantian.config import get_settings

    return get_settings().upload_max_bytes + 1


def check_upload(
    filename: str,
    content: bytes,
    *,
    max_bytes: int | None = None,
    default_name: str = "file",
    field: str = "files",
) -> str:
    """The checked name of an upload, or :class:`~lantian.errors.InputError` saying why not.

    In order: the name (:func:`check_file_name`), empty, size (``max_bytes``, at most the
    installation's ``upload_max_bytes``), a type in :data:`UPLOAD_TYPES`, bytes that are not a web
    page or an SVG/XML document (whatever the name), and bytes that begin as the named type does.
    """
    from lantian.config import get_settings

    name = check_file_name(filename) or default_name
    limit = get_settings().upload_max_bytes
    if max_bytes is not None:
        limit = min(limit, max_bytes)
    if not content:
        raise InputError(f"文件 {name} 为空 / the file {name} is empty", field=field)
    if len(content) > limit:
        raise InputError(
            f"文件 {name} 过大（{len(content) / 2**20:.1f} MiB，上限 {limit / 2**20:.1f} MiB）/ "
            f"the file {name} is too large: it exceeds {limit / 2**20:.1f} MiB "
            f"({len(content) / 2**20:.1f} MiB)",
            field=field,
        )
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_TYPES:
        accepted = " ".join(sorted(UPLOAD_TYPES))
        raise InputError(
            f"文件 {name} 的类型 {suffix or '（无扩展名）'} 不接受 / the type of {name} "
            f"({suffix or 'no suffix'}) is not accepted; accepted: {accepted}",
            field=field,
        )
    head = content[:4096]
    if looks_like_markup(head):
        raise InputError(
            f"文件 {name} 的内容是网页或 SVG/XML 文档（可含脚本），拒绝保存 / the file {name} "
            "holds a web page or an SVG/XML document (which can carry a script); it is refused",
            field=field,
        )
    label, begins_as = UPLOAD_TYPES[suffix]
    if not begins_as(head):
        raise InputError(
            f"文件 {name} 名为 {suffix}，但内容不是 {label} 文件 / the file {name} is named "
            f"{suffix} but its content is not of that type ({label})",
            field=field,
        )
    if suffix in {".docx", ".xlsx", ".xlsm", ".pptx"} and not _holds_part(
        content, "[Content_Types].xml"
    ):
        raise InputError(
            f"文件 {name} 名为 {suffix}，但只是一个普通 zip 压缩包 / the file {name} is named "
            f"{suffix} but is a plain zip archive, not a {label} document",
            field=field,
        )
    return name


def _holds_part(content: bytes, part: str) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return part in archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return False


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read a block at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


class FileStore:
    """The content-addressed store under one data folder."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)

    def relative_path(self, sha256: str) -> str:
        return f"{FILES_DIR}/{sha256[:2]}/{sha256}"

    def locate(self, stored_path: str) -> Path:
        """The file a row's path names: relative to the data folder, or absolute (older rows)."""
        path = Path(stored_path)
        return path if path.is_absolute() else self.data_dir / path

    def put_bytes(self, content: bytes) -> StoredFile:
        """Keep ``content``; an existing copy of the same bytes is left as it is."""
        return self._store([content])

    def put_file(self, source: Path) -> StoredFile:
        """Keep a copy of the file at ``source`` (read in blocks: uploads can be large).

        The name is the hash of the bytes actually copied, so a file that changes while it is
        read is still kept under the name of what was kept.
        """
        with source.open("rb") as handle:
            return self._store(iter(lambda: handle.read(_BLOCK), b""))

    def read(self, stored_path: str, sha256: str) -> bytes:
        """The kept bytes, after checking them against ``sha256``.

        Raises :class:`MissingFile` when the file is gone and :class:`TamperedFile` when its
        bytes changed since they were stored.
        """
        path = self.locate(stored_path)
        if not path.is_file():
            raise MissingFile(f"文件缺失 / the kept file is missing: {stored_path}")
        content = path.read_bytes()
        if hashlib.sha256(content).hexdigest() != sha256:
            raise TamperedFile(
                f"文件已被改动（校验和不符）/ the kept file was altered (checksum): {stored_path}"
            )
        return content

    def _store(self, blocks: Iterable[bytes]) -> StoredFile:
        """Write ``blocks`` to a temporary file beside the store while hashing them, then give it
        its content's name; a file already there (same bytes) is never touched."""
        staging = self.data_dir / FILES_DIR
        staging.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        handle, temporary = tempfile.mkstemp(dir=staging, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as out:
                for block in blocks:
                    digest.update(block)
                    size += len(block)
                    out.write(block)
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            target = self.data_dir / self.relative_path(sha)
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                # Fails if another writer got there first: theirs is kept (same bytes, same name).
                with contextlib.suppress(FileExistsError):
                    os.link(temporary, target)
        finally:
            os.unlink(temporary)
        return StoredFile(sha, self.relative_path(sha), size)
