"""The one exception hierarchy of the HJ 212 codec.

Every failure of :func:`~lantian.standards.hj212.parse` or :func:`~lantian.standards.hj212.build`
is an :class:`Hj212Error` (a :class:`ValueError`); no other exception escapes the codec.  Each
error says *what* is wrong, *where* (byte offset in the frame and/or field name) and *why*, in
Chinese first and English second.

Hierarchy::

    Hj212Error
    ├── FramingError        frame layout: "##", length digits, CRC digits, CR LF (HJ 212-2017 通讯包结构组成)
    │   └── LengthMismatch  declared data length != actual data segment length
    ├── CrcMismatch         check value does not match (Appendix A)
    ├── FieldError          a data-segment field is missing or malformed (HJ 212-2017 Table 3 数据段结构组成表)
    │   └── CpError         the CP data area is malformed (Table 4)
    └── BuildError          a packet cannot be encoded (too long, inconsistent layout)
"""

from __future__ import annotations


class Hj212Error(ValueError):
    """Base class: a packet could not be parsed or built.

    Attributes:
        code: short machine-readable reason, e.g. ``"length_mismatch"``.
        message_zh: Chinese description.
        message_en: English description.
        position: byte offset in the frame (0 = first ``#``) where the problem is, if known.
        field: name of the field concerned (``"CN"``, ``"a21026-Rtd"``...), if any.
    """

    code: str = "hj212_error"

    def __init__(
        self,
        message_zh: str,
        message_en: str,
        *,
        position: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message_zh = message_zh
        self.message_en = message_en
        self.position = position
        self.field = field
        super().__init__(self._render())

    def _render(self) -> str:
        where: list[str] = []
        if self.field is not None:
            where.append(f"field {self.field}")
        if self.position is not None:
            where.append(f"byte {self.position}")
        suffix = f" [{', '.join(where)}]" if where else ""
        return f"{self.message_zh} / {self.message_en}{suffix}"

    def to_dict(self) -> dict[str, object]:
        """JSON-ready description, used by the CLI and (later) the receiver's logs."""
        return {
            "type": type(self).__name__,
            "code": self.code,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "position": self.position,
            "field": self.field,
        }


class FramingError(Hj212Error):
    """The frame layout is broken: header, length digits, CRC digits or CR LF tail."""

    code = "framing"


class LengthMismatch(FramingError):
    """The 4-digit data length differs from the number of bytes of the data segment."""

    code = "length_mismatch"

    def __init__(self, declared: int, actual: int, *, position: int | None = 2) -> None:
        self.declared = declared
        self.actual = actual
        super().__init__(
            f"数据段长度不符：声明 {declared}，实际 {actual}",
            f"data length mismatch: declared {declared}, actual data segment is {actual} bytes",
            position=position,
            field="length",
        )


class CrcMismatch(Hj212Error):
    """The received check value does not match the one computed over the data segment."""

    code = "crc_mismatch"

    def __init__(
        self, declared: str, computed: str, mode: str, *, position: int | None = None
    ) -> None:
        self.declared = declared
        self.computed = computed
        self.mode = mode
        super().__init__(
            f"CRC 校验错误：报文为 {declared}，计算得 {computed}（{mode}）",
            f"CRC mismatch: packet says {declared}, computed {computed} ({mode} variant)",
            position=position,
            field="CRC",
        )


class FieldError(Hj212Error):
    """A field of the data segment is missing, duplicated or malformed."""

    code = "field"


class CpError(FieldError):
    """The CP data area (``CP=&&...&&``) is malformed."""

    code = "cp"


class BuildError(Hj212Error):
    """A packet object cannot be encoded into a frame."""

    code = "build"
