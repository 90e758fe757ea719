"""Parse and build HJ 212-2017 / HJ/T 212-2005 packets.

Frame (HJ 212-2017 通讯包结构组成, spec §5.1)::

    "##" + 4-digit data length + data segment (0..1024 bytes) + 4-hex CRC + "\\r\\n"

Data segment (HJ 212-2017 Table 3 数据段结构组成表)::

    QN=…;ST=…;CN=…;PW=…;MN=…;Flag=…;[PNUM=…;PNO=…;]CP=&&data area&&

Two modes.  *strict* accepts only what the standard allows (HJ/T 212-2005 packets are allowed
when their Flag says 2005 or they carry no Flag).  *tolerant* also accepts the known real-world
deviations and records each as a :class:`~lantian.standards.hj212.model.Deviation`.  A few
translations are always recorded but never rejected: lower-case CRC digits (the issue asks to
accept either case), 2005 pollutant codes inside a 2005 packet, explicitly configured aliases and
unit overrides.  The CRC check itself is never relaxed (use ``crc_mode="none"`` for that).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final, Literal, TypeVar

from lantian.standards.hj212.codes import (
    CODES_2005_TO_2017,
    COMMAND_CODES,
    COMMAND_CODES_2005_ONLY,
    DEFAULT_CODE_ALIASES,
    NUMERIC_FIELDS,
    SYSTEM_CODE_RANGES,
    SYSTEM_CODES,
    TIME_KEYS,
)
from lantian.standards.hj212.crc import (
    CRC_MODES,
    CrcMode,
    compute_crc,
    crc16_hj212,
    crc16_modbus,
    format_crc,
)
from lantian.standards.hj212.errors import (
    BuildError,
    CpError,
    CrcMismatch,
    FieldError,
    FramingError,
    Hj212Error,
    LengthMismatch,
)
from lantian.standards.hj212.model import (
    HEADER_FIELDS,
    NUMBER_PATTERN,
    CpArea,
    CpItem,
    Deviation,
    DeviationKind,
    Packet,
    ProtocolVersion,
    UnitOverride,
    parse_number,
)

ParseMode = Literal["strict", "tolerant"]

#: Largest data segment allowed by HJ 212-2017 通讯包结构组成 (0 ≤ n ≤ 1024).
MAX_SEGMENT_LENGTH: Final = 1024
#: Some 2005-era devices count CRC + CR LF in the data length (spec §5.1).
LENGTH_DEVIATION_CRC_CRLF: Final = 6

_HEX = frozenset(b"0123456789abcdefABCDEF")
_DIGITS = frozenset(b"0123456789")
_ST_PATTERN = re.compile(r"[0-9]{2}|[A-Z][0-9]")
_CODE_PATTERN = re.compile(r"[A-Za-z0-9_.]+")
_PRINTABLE = re.compile(r"[\x21-\x7e]+")

# Maximum value widths, excluding "name=" (HJ 212-2017 Table 3 lengths minus the name;
# HJ/T 212-2005 widths from spec §5.9).  QN is YYYYMMDDhhmmsszzz in both editions.
_WIDTHS: Final[Mapping[ProtocolVersion, Mapping[str, int]]] = {
    ProtocolVersion.HJ212_2017: {"PW": 6, "MN": 24, "Flag": 3, "PNUM": 4, "PNO": 4},
    ProtocolVersion.HJT212_2005: {"PW": 6, "MN": 14, "Flag": 3, "PNUM": 4, "PNO": 4},
    ProtocolVersion.UNKNOWN: {"PW": 6, "MN": 24, "Flag": 3, "PNUM": 4, "PNO": 4},
}


@dataclass(frozen=True, slots=True)
class ParseOptions:
    """How to parse.

    Attributes:
        mode: ``"strict"`` (standard only) or ``"tolerant"`` (known deviations, recorded).
        crc_mode: ``"hj212"`` (Appendix A, default), ``"modbus"`` or ``"none"`` — per device.
        code_aliases: vendor code → 2017 code.  ``None`` = :data:`DEFAULT_CODE_ALIASES` in
            tolerant mode and no aliases in strict mode.  An explicit table applies in both.
        unit_overrides: per-device unit conversions (e.g. PM in ng/m³), recorded when they apply.
        max_segment_length: data segments longer than this are a framing error (strict) or a
            recorded deviation (tolerant).
    """

    mode: ParseMode = "strict"
    crc_mode: CrcMode = "hj212"
    code_aliases: Mapping[str, str] | None = None
    unit_overrides: tuple[UnitOverride, ...] = ()
    max_segment_length: int = MAX_SEGMENT_LENGTH

    def __post_init__(self) -> None:
        # A typo here would silently switch the CRC check off: refuse it.
        if self.mode not in ("strict", "tolerant"):
            raise ValueError(f"mode must be 'strict' or 'tolerant', not {self.mode!r}")
        if self.crc_mode not in CRC_MODES:
            raise ValueError(f"crc_mode must be one of {CRC_MODES}, not {self.crc_mode!r}")

    @property
    def tolerant(self) -> bool:
        return self.mode == "tolerant"


STRICT: Final = ParseOptions(mode="strict")
TOLERANT: Final = ParseOptions(mode="tolerant")


@dataclass(frozen=True, slots=True)
class FrameCheck:
    """Length and CRC verdicts of a frame under every CRC variant, without interpretation."""

    declared_length: int
    actual_length: int
    declared_crc: str
    crc_hj212: str
    crc_modbus: str

    @property
    def length_ok(self) -> bool:
        return self.declared_length == self.actual_length

    @property
    def crc_ok_hj212(self) -> bool:
        return self.declared_crc.upper() == self.crc_hj212

    @property
    def crc_ok_modbus(self) -> bool:
        return self.declared_crc.upper() == self.crc_modbus


@dataclass(frozen=True, slots=True)
class _Frame:
    segment: bytes
    declared_length: int
    declared_crc: str


def _to_bytes(frame: bytes | bytearray | memoryview | str) -> bytes:
    if isinstance(frame, str):
        # surrogateescape: a str produced by our own decoding of odd bytes round-trips exactly.
        try:
            return frame.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError as exc:
            raise FramingError(
                "报文含无法编码的字符",
                f"frame text contains a character that cannot be encoded: {exc.reason}",
                position=exc.start,
            ) from None
    return bytes(frame)


def _split_frame(data: bytes) -> _Frame:
    """Check the fixed layout of a frame (HJ 212-2017 通讯包结构组成, spec §5.1) and cut it up."""
    if data.endswith(b"\r\n"):
        data = data[:-2]
    if len(data) < 10:
        raise FramingError(
            f"报文过短（{len(data)} 字节），至少需要 包头2+长度4+CRC4",
            f"frame too short ({len(data)} bytes): needs '##', 4 length digits and 4 CRC digits",
            position=0,
        )
    if data[:2] != b"##":
        raise FramingError(
            "包头不是 ##", f"frame does not start with '##' (got {data[:2]!r})", position=0
        )
    if not all(b in _DIGITS for b in data[2:6]):
        raise FramingError(
            "数据段长度不是 4 位十进制数字",
            f"data length must be 4 decimal digits, got {data[2:6]!r}",
            position=2,
            field="length",
        )
    tail = len(data) - 4
    if not all(b in _HEX for b in data[tail:]):
        raise FramingError(
            "CRC 不是 4 位十六进制数字（或缺少包尾 CR LF）",
            f"CRC must be 4 hex digits before CR LF, got {data[tail:]!r}",
            position=tail,
            field="CRC",
        )
    return _Frame(data[6:tail], int(data[2:6]), data[tail:].decode("ascii"))


def check_frame(frame: bytes | bytearray | memoryview | str) -> FrameCheck:
    """Length and CRC verdicts of one frame under both CRC variants (diagnostics, catalogues).

    Raises:
        FramingError: the frame does not even have the ``##LLLL…CCCC`` layout.
    """
    parts = _split_frame(_to_bytes(frame))
    return FrameCheck(
        declared_length=parts.declared_length,
        actual_length=len(parts.segment),
        declared_crc=parts.declared_crc,
        crc_hj212=format_crc(crc16_hj212(parts.segment)),
        crc_modbus=format_crc(crc16_modbus(parts.segment)),
    )


class _Parser:
    """One parse run: keeps the mode, the decoded text and the deviations found so far."""

    def __init__(self, options: ParseOptions) -> None:
        self.options = options
        self.deviations: list[Deviation] = []
        self.text = ""

    # --- deviations -------------------------------------------------------------------------

    def byte_position(self, index: int) -> int:
        """Byte offset in the frame of character ``index`` of the data segment text."""
        return 6 + len(self.text[:index].encode("utf-8", "surrogateescape"))

    def deviate(
        self,
        kind: DeviationKind,
        message_zh: str,
        message_en: str,
        *,
        field: str | None = None,
        index: int | None = None,
        position: int | None = None,
        error: type[Hj212Error] = FieldError,
        allowed_in_strict: bool = False,
    ) -> None:
        """Record a deviation, or raise ``error`` when the mode does not allow it.

        ``index`` is a character index in the data segment text; ``position`` a byte offset in
        the frame (for checks made before the segment is decoded).
        """
        if index is not None:
            position = self.byte_position(index)
        if not (self.options.tolerant or allowed_in_strict):
            raise error(message_zh, message_en, position=position, field=field)
        self.deviations.append(Deviation(kind, message_zh, message_en, field, position))

    # --- frame ------------------------------------------------------------------------------

    def run(self, raw: bytes) -> Packet:
        options = self.options
        frame = _split_frame(raw)
        segment = frame.segment
        actual = len(segment)
        if frame.declared_length != actual:
            if options.tolerant and frame.declared_length == actual + LENGTH_DEVIATION_CRC_CRLF:
                self.deviate(
                    DeviationKind.LENGTH_PLUS_6,
                    f"声明长度 {frame.declared_length} = 数据段 {actual} + 6（计入了 CRC 和包尾）",
                    f"declared length {frame.declared_length} = data segment {actual} + 6 "
                    "(CRC and CR LF counted, 2005-era device)",
                    field="length",
                    position=2,
                    allowed_in_strict=True,  # this branch is only reached in tolerant mode
                )
            else:
                raise LengthMismatch(frame.declared_length, actual)
        if actual > options.max_segment_length:
            self.deviate(
                DeviationKind.SEGMENT_TOO_LONG,
                f"数据段 {actual} 字节，超过上限 {options.max_segment_length}",
                f"data segment of {actual} bytes exceeds the limit of "
                f"{options.max_segment_length} (HJ 212-2017 packet structure)",
                field="length",
                position=2,
                error=FramingError,
            )
        terminator = segment.find(b"\r\n")
        if terminator >= 0:
            raise FramingError(
                "数据段中出现包尾 CR LF（报文被截断或粘连）",
                "CR LF inside the data segment: a truncated frame or two frames run together",
                position=6 + terminator,
            )
        crc_position = 6 + actual
        computed = compute_crc(segment, options.crc_mode)
        if computed is not None:
            expected = format_crc(computed)
            if frame.declared_crc.upper() != expected:
                raise CrcMismatch(
                    frame.declared_crc, expected, options.crc_mode, position=crc_position
                )
            if frame.declared_crc != expected:
                self.deviate(
                    DeviationKind.CRC_LOWERCASE,
                    f"CRC 为小写十六进制（{frame.declared_crc}）",
                    f"CRC written in lower case ({frame.declared_crc})",
                    field="CRC",
                    position=crc_position,
                    allowed_in_strict=True,
                )
        try:
            self.text = segment.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.text = segment.decode("utf-8", "surrogateescape")
            self.deviate(
                DeviationKind.INVALID_UTF8,
                "数据段不是有效的 UTF-8 文本（原字节已保留）",
                f"data segment is not valid UTF-8 ({exc.reason}); bytes kept as escapes",
                position=6 + exc.start,
            )
        return self.segment(frame.declared_crc)

    # --- data segment -----------------------------------------------------------------------

    def segment(self, crc: str) -> Packet:
        text = self.text
        cp_index = self.find_cp(text)
        packet, header_order = self.header_packet(text[:cp_index], crc)
        area_text = text[cp_index + 5 : -2]
        cp, code_map, overrides = self.cp_area(area_text, cp_index + 5, packet)
        return Packet(
            st=packet.st,
            cn=packet.cn,
            cp=cp,
            qn=packet.qn,
            pw=packet.pw,
            mn=packet.mn,
            flag=packet.flag,
            pnum=packet.pnum,
            pno=packet.pno,
            crc=crc,
            extra_header=packet.extra_header,
            header_order=header_order,
            code_map=code_map,
            unit_overrides=overrides,
            deviations=tuple(self.deviations),
        )

    def header_packet(
        self, header_text: str, crc: str | None
    ) -> tuple[Packet, tuple[str, ...] | None]:
        """The header fields as a packet without CP, checked (Table 3), and the received order.

        The order is ``None`` when it is Table 3's.  Shared by the careful and the fast path.
        """
        header = self.header(header_text)
        values = {name: value for name, value, _ in header}
        st, cn = values.get("ST"), values.get("CN")
        if st is None or cn is None:
            missing = "ST" if st is None else "CN"
            raise FieldError(
                f"缺少必需字段 {missing}",
                f"required field {missing} is missing from the data segment",
                field=missing,
                position=6,
            )
        packet = Packet(
            st=st,
            cn=cn,
            qn=values.get("QN"),
            pw=values.get("PW"),
            mn=values.get("MN"),
            flag=values.get("Flag"),
            pnum=values.get("PNUM"),
            pno=values.get("PNO"),
            crc=crc,
            extra_header=tuple(
                (name, value) for name, value, _ in header if name not in HEADER_FIELDS
            ),
        )
        self.check_header(packet, {name: index for name, _, index in header})
        names = tuple(name for name, _, _ in header)
        canonical = tuple(name for name in HEADER_FIELDS if name in values) + tuple(
            name for name in names if name not in HEADER_FIELDS
        )
        return packet, None if names == canonical else names

    def find_cp(self, text: str) -> int:
        """Index of ``CP=&&`` starting a field; the segment must end with ``&&`` (Table 3)."""
        index = text.find("CP=&&")
        while index > 0 and text[index - 1] != ";":
            index = text.find("CP=&&", index + 1)
        if index < 0:
            raise FieldError(
                "数据段缺少 CP=&&…&& 数据区",
                "data segment has no 'CP=&&' field",
                field="CP",
                position=6,
            )
        if len(text) < index + 7 or not text.endswith("&&"):
            raise CpError(
                "CP 数据区未以 && 结束",
                "CP data area is not closed by '&&' at the end of the data segment",
                field="CP",
                position=self.byte_position(len(text)),
            )
        return index

    def header(self, header_text: str) -> list[tuple[str, str, int]]:
        """``name=value;`` fields before CP, as ``(name, value, index)`` in received order."""
        if not header_text:
            return []
        if not header_text.endswith(";"):  # pragma: no cover - find_cp guarantees the ';'
            raise FieldError("字段分隔符错误", "header fields must end with ';'", position=6)
        fields: list[tuple[str, str, int]] = []
        seen: set[str] = set()
        index = 0
        for part in header_text[:-1].split(";"):
            name, equals, value = part.partition("=")
            if not equals or not name:
                raise FieldError(
                    f"字段格式错误：{part!r} 不是 名称=值",
                    f"malformed field {part!r}: expected name=value",
                    position=self.byte_position(index),
                )
            if name in seen:
                raise FieldError(
                    f"字段 {name} 重复",
                    f"field {name} appears twice",
                    field=name,
                    position=self.byte_position(index),
                )
            seen.add(name)
            fields.append((name, value, index))
            index += len(part) + 1
        return fields

    def check_header(self, packet: Packet, index_of: Mapping[str, int]) -> None:
        """Validate header fields against Table 3 (2017) or the 2005 widths."""
        order = [name for name in index_of if name in HEADER_FIELDS]
        if order != sorted(order, key=HEADER_FIELDS.index):
            self.deviate(
                DeviationKind.HEADER_ORDER,
                f"字段顺序与标准表3不同：{';'.join(order)}",
                f"header fields not in Table 3 order: {';'.join(order)}",
                index=0,
            )
        for name, _ in packet.extra_header:
            self.deviate(
                DeviationKind.UNKNOWN_HEADER_FIELD,
                f"未定义的字段 {name}",
                f"unknown header field {name}",
                field=name,
                index=index_of[name],
            )
        version = packet.version
        if packet.flag is not None:
            flags = packet.flags
            if flags is None:
                self.deviate(
                    DeviationKind.FIELD_FORMAT,
                    f"Flag={packet.flag!r} 不是 0-255 的整数",
                    f"Flag={packet.flag!r} is not an integer 0-255",
                    field="Flag",
                    index=index_of["Flag"],
                )
            elif version is ProtocolVersion.UNKNOWN:
                self.deviate(
                    DeviationKind.UNKNOWN_VERSION,
                    f"Flag={packet.flag} 的版本位 {flags.version_bits} 未定义（0=2005，1=2017）",
                    f"Flag={packet.flag} has undefined version bits {flags.version_bits} "
                    "(0 = HJ/T 212-2005, 1 = HJ 212-2017)",
                    field="Flag",
                    index=index_of["Flag"],
                )
        widths = _WIDTHS[version]
        for name, value in (
            ("PW", packet.pw),
            ("MN", packet.mn),
            ("Flag", packet.flag),
            ("PNUM", packet.pnum),
            ("PNO", packet.pno),
        ):
            if value is None:
                if name in ("PW", "MN"):
                    self.deviate(
                        DeviationKind.MISSING_FIELD,
                        f"缺少字段 {name}",
                        f"required field {name} is missing",
                        field=name,
                        index=0,
                    )
                continue
            if len(value) > widths[name] or _PRINTABLE.fullmatch(value) is None:
                self.deviate(
                    DeviationKind.FIELD_FORMAT,
                    f"{name}={value!r} 超出长度 {widths[name]} 或含非法字符",
                    f"{name}={value!r} is longer than {widths[name]} characters or contains "
                    f"non-printable characters ({version.value} Table 3)",
                    field=name,
                    index=index_of[name],
                )
            elif name in ("PNUM", "PNO") and not value.isdigit():
                self.deviate(
                    DeviationKind.FIELD_FORMAT,
                    f"{name}={value!r} 不是数字",
                    f"{name}={value!r} is not a number",
                    field=name,
                    index=index_of[name],
                )
        if packet.qn is None:
            if version is ProtocolVersion.HJ212_2017:
                self.deviate(
                    DeviationKind.MISSING_FIELD,
                    "HJ 212-2017 报文缺少 QN",
                    "HJ 212-2017 packet without QN (request id, Table 3)",
                    field="QN",
                    index=0,
                )
        elif not _is_timestamp(packet.qn, with_millis=True):
            self.qn_format(packet.qn, index_of["QN"])
        self.check_system_code(packet.st, index_of["ST"])
        self.check_command_code(packet.cn, version, index_of["CN"])
        flags = packet.flags
        if flags is not None:
            has_split_fields = packet.pnum is not None or packet.pno is not None
            if flags.split != has_split_fields or (
                flags.split and (packet.pnum is None or packet.pno is None)
            ):
                self.deviate(
                    DeviationKind.SPLIT_FIELDS,
                    f"Flag 的拆分位 D={int(flags.split)} 与 PNUM/PNO 是否出现不一致",
                    f"Flag bit D={int(flags.split)} disagrees with the presence of PNUM/PNO",
                    field="Flag",
                    index=index_of["Flag"],
                )

    def qn_format(self, qn: str, index: int) -> None:
        """QN is not a YYYYMMDDhhmmsszzz time (HJ 212-2017 Table 3)."""
        self.deviate(
            DeviationKind.FIELD_FORMAT,
            f"QN={qn!r} 不是 YYYYMMDDhhmmsszzz 格式的时间",
            f"QN={qn!r} is not a timestamp YYYYMMDDhhmmsszzz (17 digits)",
            field="QN",
            index=index,
        )

    def check_system_code(self, st: str, index: int) -> None:
        if _ST_PATTERN.fullmatch(st) is None:
            self.deviate(
                DeviationKind.FIELD_FORMAT,
                f"ST={st!r} 不是两位系统编码",
                f"ST={st!r} is not a 2-character system code (Table 5)",
                field="ST",
                index=index,
            )
        elif st not in SYSTEM_CODES and not (
            not st.isdigit() or any(low <= int(st) <= high for low, high in SYSTEM_CODE_RANGES)
        ):
            self.deviate(
                DeviationKind.UNKNOWN_SYSTEM_CODE,
                f"ST={st} 不在标准表5的编码范围内",
                f"ST={st} is outside the ranges of Table 5",
                field="ST",
                index=index,
            )

    def check_command_code(self, cn: str, version: ProtocolVersion, index: int) -> None:
        if len(cn) != 4 or not cn.isascii() or not cn.isdigit():
            self.deviate(
                DeviationKind.FIELD_FORMAT,
                f"CN={cn!r} 不是四位命令编码",
                f"CN={cn!r} is not a 4-digit command code (Table 9)",
                field="CN",
                index=index,
            )
        elif cn not in COMMAND_CODES and not (
            version is ProtocolVersion.HJT212_2005 and cn in COMMAND_CODES_2005_ONLY
        ):
            self.deviate(
                DeviationKind.UNKNOWN_COMMAND_CODE,
                f"CN={cn} 不是 {version.value} 定义的命令",
                f"CN={cn} is not a command of {version.value} (Table 9)",
                field="CN",
                index=index,
            )

    # --- CP data area -----------------------------------------------------------------------

    def cp_area(
        self, area: str, start: int, packet: Packet
    ) -> tuple[CpArea, tuple[tuple[str, str], ...], tuple[UnitOverride, ...]]:
        """Parse the data area (HJ 212-2017 data area rules, Table 4): items ``key=value``, ``,`` within, ``;`` between."""
        options = self.options
        aliases = options.code_aliases
        explicit_aliases = aliases is not None
        if aliases is None:
            aliases = DEFAULT_CODE_ALIASES if options.tolerant else {}
        is_2005 = packet.version is ProtocolVersion.HJT212_2005
        groups: list[tuple[CpItem, ...]] = []
        code_map: dict[str, str] = {}
        standard_codes: list[str] = []
        index = start
        if area:
            for group_text in area.split(";"):
                items: list[CpItem] = []
                for item_text in group_text.split(","):
                    item = self.cp_item(item_text, index)
                    items.append(item)
                    code = item.code
                    if code is not None:
                        standard = code_map.get(code)
                        if standard is None:
                            standard = self.map_code(
                                code, aliases, explicit_aliases, is_2005, index
                            )
                            code_map[code] = standard
                        if standard not in standard_codes:
                            standard_codes.append(standard)
                    index += len(item_text) + 1
                groups.append(tuple(items))
        overrides = self.unit_overrides(standard_codes, packet) if options.unit_overrides else ()
        mapped = tuple((code, std) for code, std in code_map.items() if code != std)
        return CpArea(tuple(groups)), mapped, overrides

    def unit_overrides(self, standard_codes: list[str], packet: Packet) -> tuple[UnitOverride, ...]:
        """The configured unit overrides that apply to the packet's codes, each recorded."""
        overrides: list[UnitOverride] = []
        for standard in standard_codes:
            for override in self.options.unit_overrides:
                if override.applies_to(packet.mn, standard):
                    overrides.append(override)
                    self.deviate(
                        DeviationKind.UNIT_OVERRIDE,
                        f"{standard} 按配置以 {override.received_unit} 接收，"
                        f"乘以 {override.factor} 换算为 {override.unit}",
                        f"{standard} configured as {override.received_unit} for this "
                        f"device; values x{override.factor} give {override.unit}",
                        field=standard,
                        allowed_in_strict=True,  # configuration, not a protocol deviation
                    )
                    break
        return tuple(overrides)

    def map_code(
        self,
        code: str,
        aliases: Mapping[str, str],
        explicit_aliases: bool,
        is_2005: bool,
        index: int,
    ) -> str:
        """2017 code of a received code; records 2005-code and alias translations."""
        standard_2005 = CODES_2005_TO_2017.get(code)
        if standard_2005 is not None:
            self.deviate(
                DeviationKind.CODE_2005_MAPPED,
                f"HJ/T 212-2005 编码 {code} 对应 2017 编码 {standard_2005}",
                f"HJ/T 212-2005 pollutant code {code} mapped to {standard_2005}",
                field=code,
                index=index,
                error=CpError,
                allowed_in_strict=is_2005,
            )
            return standard_2005
        standard_alias = aliases.get(code)
        if standard_alias is not None:
            self.deviate(
                DeviationKind.CODE_ALIAS_MAPPED,
                f"厂商自定义编码 {code} 对应 {standard_alias}",
                f"vendor alias {code} mapped to {standard_alias}",
                field=code,
                index=index,
                error=CpError,
                allowed_in_strict=explicit_aliases,
            )
            return standard_alias
        return code

    def cp_item(self, text: str, index: int) -> CpItem:
        key, equals, value = text.partition("=")
        if not equals or not key:
            self.deviate(
                DeviationKind.CP_SYNTAX,
                f"数据区条目 {text!r} 不是 名称=值",
                f"CP item {text!r} is not key=value",
                index=index,
                error=CpError,
            )
            return CpItem(key, value) if equals else CpItem(text, None)
        code, dash, suffix = key.partition("-")
        if dash:
            if _CODE_PATTERN.fullmatch(code) is None or not suffix:
                self.deviate(
                    DeviationKind.CP_SYNTAX,
                    f"数据区字段名 {key!r} 格式错误",
                    f"CP key {key!r} is not code-Field",
                    field=key,
                    index=index,
                    error=CpError,
                )
            elif suffix in NUMERIC_FIELDS and parse_number(value) is None:
                self.deviate(
                    DeviationKind.NON_NUMERIC_VALUE,
                    f"{key}={value!r} 不是数值",
                    f"{key}={value!r} is not a number",
                    field=key,
                    index=index,
                    error=CpError,
                )
            elif suffix == "Flag" and (len(value) != 1 or not value.isalpha()):
                self.deviate(
                    DeviationKind.DATA_FLAG,
                    f"数据标记 {key}={value!r} 不是单个字母（表8）",
                    f"data flag {key}={value!r} is not a single letter (Table 8)",
                    field=key,
                    index=index,
                    error=CpError,
                )
        elif key in TIME_KEYS and not _is_timestamp(value, with_millis=False):
            self.deviate(
                DeviationKind.TIME_FORMAT,
                f"{key}={value!r} 不是 YYYYMMDDhhmmss 格式",
                f"{key}={value!r} is not a time YYYYMMDDhhmmss (N14)",
                field=key,
                index=index,
                error=CpError,
            )
        return CpItem(key, value)


def _is_timestamp(text: str, *, with_millis: bool) -> bool:
    """``YYYYMMDDhhmmss`` (or with ``zzz`` milliseconds when ``with_millis``) and a real date."""
    if len(text) != (17 if with_millis else 14) or not text.isascii() or not text.isdigit():
        return False
    try:
        datetime(
            int(text[0:4]),
            int(text[4:6]),
            int(text[6:8]),
            int(text[8:10]),
            int(text[10:12]),
            int(text[12:14]),
        )
    except ValueError:
        return False
    return True


# --- fast path ------------------------------------------------------------------------------
#
# A receiver mostly sees well-formed frames that repeat the same header fields, CP keys and flag
# items frame after frame.  The fast path decodes such a frame in one pass and memoises what
# depends only on repeated text: header verdicts (Table 3 checks), CP key analysis, code
# mapping and deviation-free items.  Every deviation it records is produced by the careful
# parser's own methods.  Anything unusual -- a length or CRC problem, non-ASCII text, a field the
# careful parser would reject -- makes it give up (``None``) and the careful parser runs from
# scratch, so the result (Packet, deviations, or the exception) is always the careful parser's.
# tests/standards/test_hj212_fast_path.py holds the two together over every captured frame.

# Memory stays bounded whatever peers send: a full memo is emptied, only short texts are memoised
# as items, keys, codes and times, and header texts (at most one data segment each) have a
# smaller memo.
_CACHE_LIMIT: Final = 1 << 16
_HEADER_CACHE_LIMIT: Final = 1 << 14
_MEMO_TEXT: Final = 64

_K = TypeVar("_K")
_V = TypeVar("_V")

# What a CP key asks of its value (the checks of ``_Parser.cp_item``).
_KEY_PLAIN, _KEY_NUMERIC, _KEY_FLAG, _KEY_TIME, _KEY_CAREFUL = range(5)

_HeaderEntry = tuple[Packet, tuple[str, ...] | None, tuple[Deviation, ...]]

_key_memo: dict[str, tuple[str | None, int]] = {}
# Value text of a numeric field -> whether it is a plain decimal (NUMBER_PATTERN): readings
# repeat across devices and hours ("35", "0.02"), the check is a regular expression.
_number_memo: dict[str, bool] = {}
_item_memo: dict[str, tuple[CpItem, str | None]] = {}
_time_memo: dict[str, bool] = {}
_header_memo: dict[tuple[bool, bool, bool, str], _HeaderEntry] = {}
# Per received code: its 2017 code, the deviation recorded for it, that deviation per position.
_Mapping = tuple[str, Deviation | None, dict[int, Deviation]]
_map_memo: dict[tuple[str, bool, bool], _Mapping] = {}


def _remember(memo: dict[_K, _V], key: _K, value: _V, limit: int = _CACHE_LIMIT) -> _V:
    if len(memo) >= limit:
        memo.clear()
    memo[key] = value
    return value


def _key_kind(key: str) -> tuple[str | None, int]:
    """``(code, check)`` of a CP key, mirroring the branches of ``_Parser.cp_item``."""
    code, dash, suffix = key.partition("-")
    if dash:
        if _CODE_PATTERN.fullmatch(code) is None or not suffix:
            return code, _KEY_CAREFUL
        if suffix in NUMERIC_FIELDS:
            return code, _KEY_NUMERIC
        if suffix == "Flag":
            return code, _KEY_FLAG
        return code, _KEY_PLAIN
    return None, _KEY_TIME if key in TIME_KEYS else _KEY_PLAIN


def _number_ok(value: str) -> bool:
    known = _number_memo.get(value)
    if known is None:
        known = NUMBER_PATTERN.fullmatch(value) is not None
        if len(value) <= _MEMO_TEXT:
            _remember(_number_memo, value, known)
    return known


# CpItem is a frozen dataclass: its __init__ sets each slot through object.__setattr__.  The
# fast path makes one per CP item, so it sets the slots directly (same object, same fields).
_new_item = object.__new__
_set_item_key = CpItem.__dict__["key"].__set__
_set_item_value = CpItem.__dict__["value"].__set__


def _cp_item(key: str, value: str) -> CpItem:
    """``CpItem(key, value)``, built without the frozen dataclass's ``__init__``."""
    item: CpItem = _new_item(CpItem)
    _set_item_key(item, key)
    _set_item_value(item, value)
    return item


def _time_ok(value: str) -> bool:
    known = _time_memo.get(value)
    if known is None:
        known = _is_timestamp(value, with_millis=False)
        if len(value) <= _MEMO_TEXT:
            _remember(_time_memo, value, known)
    return known


class _FastParser(_Parser):
    """The careful parser's checks, memoised for the common well-formed frame (see above)."""

    def byte_position(self, index: int) -> int:
        # The fast path only takes ASCII text, where characters and bytes coincide.
        return 6 + index

    def fast_run(self, raw: bytes, computed_crc: int | None) -> Packet | None:
        """The packet of ``raw``, or ``None`` when the careful parser must decide."""
        options = self.options
        data = raw[:-2] if raw.endswith(b"\r\n") else raw
        if len(data) < 10 or data[:2] != b"##":
            return None
        length_text = data[2:6]
        segment = data[6:-4]
        actual = len(segment)
        if not length_text.isdigit() or int(length_text) != actual:
            return None
        if actual > options.max_segment_length or b"\r\n" in segment:
            return None
        crc_bytes = data[-4:]
        if options.crc_mode == "none":
            if not all(byte in _HEX for byte in crc_bytes):
                return None
        else:
            if computed_crc is None:
                mode = options.crc_mode
                computed_crc = crc16_hj212(segment) if mode == "hj212" else crc16_modbus(segment)
            # Equal to the upper-case hex text: a lower-case CRC goes the careful way.
            if crc_bytes != b"%04X" % computed_crc:
                return None
        if not segment.isascii():
            return None
        self.text = text = segment.decode("ascii")
        crc = crc_bytes.decode("ascii")
        try:
            return self.fast_segment(text, crc)
        except Hj212Error:
            return None  # the careful parser raises it again, with the same message

    def fast_segment(self, text: str, crc: str) -> Packet | None:
        cp_index = text.find("CP=&&")
        if cp_index <= 0 or text[cp_index - 1] != ";":
            return None
        if len(text) < cp_index + 7 or not text.endswith("&&"):
            return None
        header_text = text[:cp_index]
        tolerant = self.options.tolerant
        qn: str | None = None
        qn_valid = False
        rest = header_text
        # A 17-character QN in front (as Table 3 orders it) fixes every later position, and
        # the header's verdicts depend on its value only through the QN check itself: one memo
        # entry serves every frame of a device, whatever QN each frame carries.
        if header_text[20:21] == ";" and header_text.startswith("QN="):
            qn = header_text[3:20]
            if ";" in qn:
                qn = None
            else:
                qn_valid = _is_timestamp(qn, with_millis=True)
                rest = header_text[21:]
        memo_key = (tolerant, qn is not None, qn_valid, rest)
        entry = _header_memo.get(memo_key)
        if entry is None:
            scratch = _FastParser(self.options)
            scratch.text = header_text
            header, order = scratch.header_packet(header_text, None)
            entry = _remember(
                _header_memo,
                memo_key,
                (header, order, tuple(scratch.deviations)),
                _HEADER_CACHE_LIMIT,
            )
        header, order, header_deviations = entry
        if qn is None:
            qn = header.qn
        elif not qn_valid and qn != header.qn:
            # The entry's QN deviation names another QN: the same check, with this one.
            scratch = _FastParser(self.options)
            scratch.qn_format(qn, 0)
            header_deviations = tuple(
                scratch.deviations[0] if d.field == "QN" and d.position == 6 else d
                for d in header_deviations
            )
        self.deviations = list(header_deviations)
        cp, code_map, overrides = self.fast_cp_area(text[cp_index + 5 : -2], cp_index + 5, header)
        return Packet(
            st=header.st,
            cn=header.cn,
            cp=cp,
            qn=qn,
            pw=header.pw,
            mn=header.mn,
            flag=header.flag,
            pnum=header.pnum,
            pno=header.pno,
            crc=crc,
            extra_header=header.extra_header,
            header_order=order,
            code_map=code_map,
            unit_overrides=overrides,
            deviations=tuple(self.deviations),
        )

    def fast_cp_area(
        self, area: str, start: int, packet: Packet
    ) -> tuple[CpArea, tuple[tuple[str, str], ...], tuple[UnitOverride, ...]]:
        """``_Parser.cp_area`` with memoised item checks and code mapping."""
        options = self.options
        memoise_mapping = options.code_aliases is None  # the aliases follow from the mode
        aliases = options.code_aliases
        if aliases is None:
            aliases = DEFAULT_CODE_ALIASES if options.tolerant else {}
        is_2005 = packet.version is ProtocolVersion.HJT212_2005
        tolerant = options.tolerant
        deviations = self.deviations
        item_memo = _item_memo
        key_memo = _key_memo
        number_memo = _number_memo
        groups: list[tuple[CpItem, ...]] = []
        code_map: dict[str, str] = {}
        standard_codes: list[str] = []
        index = start
        if area:
            for group_text in area.split(";"):
                items: list[CpItem] = []
                for item_text in group_text.split(","):
                    entry = item_memo.get(item_text)
                    if entry is None:
                        # The commonest item, a reading whose key and value text were seen
                        # before, inline; anything else through fast_item's checks.
                        key, equals, value = item_text.partition("=")
                        kind = key_memo.get(key) if equals else None
                        if (
                            kind is not None
                            and kind[1] == _KEY_NUMERIC
                            and number_memo.get(value, False)
                        ):
                            entry = (_cp_item(key, value), kind[0])
                        else:
                            entry = self.fast_item(item_text, index)
                    item, code = entry
                    items.append(item)
                    if code is not None and code not in code_map:
                        if memoise_mapping:
                            mapping = _map_memo.get((code, is_2005, tolerant))
                            if mapping is None:
                                mapping = self.mapping(code, aliases, is_2005, index)
                                if len(code) <= _MEMO_TEXT:
                                    _remember(_map_memo, (code, is_2005, tolerant), mapping)
                            standard, template, placed = mapping
                            if template is not None:
                                deviation = placed.get(index)
                                if deviation is None:
                                    deviation = _remember(
                                        placed, index, replace(template, position=6 + index)
                                    )
                                deviations.append(deviation)
                        else:
                            standard = self.map_code(code, aliases, True, is_2005, index)
                        code_map[code] = standard
                        if standard not in standard_codes:
                            standard_codes.append(standard)
                    index += len(item_text) + 1
                groups.append(tuple(items))
        overrides = self.unit_overrides(standard_codes, packet) if options.unit_overrides else ()
        mapped = tuple((code, std) for code, std in code_map.items() if code != std)
        return CpArea(tuple(groups)), mapped, overrides

    def fast_item(self, text: str, index: int) -> tuple[CpItem, str | None]:
        """An item not seen before: checked as ``cp_item`` does; memoised when it is clean."""
        key, equals, value = text.partition("=")
        if equals and key:
            kind = _key_memo.get(key)
            if kind is None:
                kind = _key_kind(key)
                if len(key) <= _MEMO_TEXT:
                    _remember(_key_memo, key, kind)
            code, check = kind
            if check == _KEY_NUMERIC:
                # Measured values rarely repeat: checked each time, not memoised.
                value_memo = _number_memo.get(value)
                if value_memo is None:
                    value_memo = _number_ok(value)
                if value_memo:
                    return _cp_item(key, value), code
            elif check == _KEY_FLAG:
                if len(value) == 1 and value.isalpha():
                    return self.memoised(text, CpItem(key, value), code)
            elif check == _KEY_TIME:
                if _time_ok(value):
                    return CpItem(key, value), code
            elif check == _KEY_PLAIN:
                return self.memoised(text, CpItem(key, value), code)
        item = self.cp_item(text, index)  # records the deviation (or raises)
        return item, item.code

    @staticmethod
    def memoised(text: str, item: CpItem, code: str | None) -> tuple[CpItem, str | None]:
        """A clean item, kept for the next frame when its text is short (flags, states)."""
        entry = (item, code)
        if len(text) <= _MEMO_TEXT:
            _remember(_item_memo, text, entry)
        return entry

    def mapping(self, code: str, aliases: Mapping[str, str], is_2005: bool, index: int) -> _Mapping:
        """``map_code`` (default aliases) once per code: the standard code and its deviation."""
        scratch = _FastParser(self.options)
        standard = scratch.map_code(code, aliases, False, is_2005, index)
        return standard, scratch.deviations[0] if scratch.deviations else None, {}


def parse_careful(
    frame: bytes | bytearray | memoryview | str, options: ParseOptions = STRICT
) -> Packet:
    """:func:`parse` without the fast path: the reference the fast path is tested against."""
    return _Parser(options).run(_to_bytes(frame))


def _parse_bytes(raw: bytes, options: ParseOptions, computed_crc: int | None = None) -> Packet:
    packet = _FastParser(options).fast_run(raw, computed_crc)
    if packet is None:
        packet = _Parser(options).run(raw)
    return packet


def parse(frame: bytes | bytearray | memoryview | str, options: ParseOptions = STRICT) -> Packet:
    """Decode one frame (with or without the trailing CR LF) into a :class:`Packet`.

    Raises:
        Hj212Error: (only this family) — :class:`FramingError`, :class:`LengthMismatch`,
            :class:`CrcMismatch`, :class:`FieldError`, :class:`CpError` — with position, field
            and a Chinese/English message.
    """
    return _parse_bytes(_to_bytes(frame), options)


def _check_text(value: str, forbidden: tuple[str, ...], what: str) -> None:
    for token in forbidden:
        if token in value:
            raise BuildError(
                f"{what} 含有保留字符 {token!r}",
                f"{what} {value!r} contains the reserved sequence {token!r}",
                field=what,
            )


def encode_segment(packet: Packet) -> str:
    """The data segment text ``QN=…;…;CP=&&…&&`` of ``packet`` (no length, no CRC)."""
    # Exactly the separators the parser splits on are reserved, so that everything the parser
    # accepts encodes back unchanged and everything built parses back to the same fields.
    header_parts = []
    for name, value in packet.header_items():
        if not name:
            raise BuildError("字段名为空", "empty header field name", field=name)
        _check_text(name, (";", "="), "header field name")
        _check_text(value, (";",), name)
        header_parts.append(f"{name}={value};")
    for item in packet.cp.items():
        _check_text(item.key, (";", ",", "="), "CP key")
        if item.value is not None:
            _check_text(item.value, (";", ","), item.key)
    segment = "".join(header_parts) + "CP=&&" + packet.cp.encode() + "&&"
    _check_text(segment, ("\r\n",), "data segment")
    return segment


def build(
    packet: Packet,
    *,
    crc_mode: CrcMode = "hj212",
    crlf: bool = True,
    max_segment_length: int = MAX_SEGMENT_LENGTH,
) -> bytes:
    """Encode ``packet`` into a frame ``##LLLL…CCCC\\r\\n`` (HJ 212-2017 通讯包结构组成).

    The length is always the standard count of data-segment bytes.  The CRC is computed
    (upper-case hex); if the packet's received ``crc`` equals it apart from letter case, the
    received text is kept so that ``build(parse(p)) == p`` byte for byte.  With
    ``crc_mode="none"`` the received CRC is reused, or the HJ 212 one computed if there is none.

    Raises:
        BuildError: reserved characters in a value, or a data segment longer than
            ``max_segment_length``.
    """
    if crc_mode not in CRC_MODES:
        raise BuildError(
            f"未知的 CRC 模式 {crc_mode!r}", f"unknown crc_mode {crc_mode!r}", field="CRC"
        )
    try:
        segment = encode_segment(packet).encode("utf-8", "surrogateescape")
    except UnicodeEncodeError as exc:
        raise BuildError(
            "报文含无法编码的字符", f"packet text cannot be encoded: {exc.reason}"
        ) from None
    if len(segment) > min(max_segment_length, 9999):
        raise BuildError(
            f"数据段 {len(segment)} 字节，超过上限 {max_segment_length}，需拆分（PNUM/PNO）",
            f"data segment of {len(segment)} bytes exceeds {max_segment_length}; split it "
            "into several packets (PNUM/PNO, Flag bit D)",
            field="length",
        )
    if packet.crc is not None and (
        len(packet.crc) != 4 or not all(c in "0123456789abcdefABCDEF" for c in packet.crc)
    ):
        raise BuildError(
            f"CRC {packet.crc!r} 不是 4 位十六进制数字",
            f"CRC {packet.crc!r} is not 4 hex digits",
            field="CRC",
        )
    computed = compute_crc(segment, crc_mode)
    if computed is None:
        crc = packet.crc if packet.crc is not None else format_crc(crc16_hj212(segment))
    else:
        crc = format_crc(computed)
        if packet.crc is not None and packet.crc.upper() == crc:
            crc = packet.crc
    tail = b"\r\n" if crlf else b""
    return b"##" + f"{len(segment):04d}".encode() + segment + crc.encode("ascii") + tail
