"""Typed, immutable representation of HJ 212 packets (HJ 212-2017 Tables 3 and 4).

Values are kept as the exact strings received (so that a parsed packet encodes back byte for
byte, field order included) and are offered as parsed numbers on demand.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Final

#: Header field names in the order of HJ 212-2017 Table 3.
HEADER_FIELDS: Final[tuple[str, ...]] = ("QN", "ST", "CN", "PW", "MN", "Flag", "PNUM", "PNO")

# Numeric values of the CP area: N14.2-style, optional sign, optional decimals (Table 4 formats).
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
#: The same pattern for the codec: a value is a number exactly when it matches in full.
NUMBER_PATTERN: Final = _NUMBER


def parse_number(text: str | None) -> Decimal | None:
    """``Decimal`` of a CP value written as a plain decimal number, else ``None``.

    Exponents, ``NaN`` and ``Infinity`` are not HJ 212 number formats and give ``None``.
    """
    if text is None or _NUMBER.fullmatch(text) is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid literals
        return None


class ProtocolVersion(StrEnum):
    """Protocol edition, from the version bits V5..V0 of ``Flag`` (HJ 212-2017 Table 3 note)."""

    HJ212_2017 = "HJ 212-2017"
    HJT212_2005 = "HJ/T 212-2005"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class PacketFlags:
    """Decoded ``Flag`` byte: bits ``V5 V4 V3 V2 V1 V0 D A`` (HJ 212-2017 Table 3).

    ``version_bits`` 0 = HJ/T 212-2005, 1 = HJ 212-2017; ``split`` (D) = packet carries
    PNUM/PNO; ``ack_required`` (A) = the receiver must acknowledge.
    """

    value: int

    @property
    def version_bits(self) -> int:
        return self.value >> 2

    @property
    def split(self) -> bool:
        return bool(self.value & 0b10)

    @property
    def ack_required(self) -> bool:
        return bool(self.value & 0b01)

    @property
    def version(self) -> ProtocolVersion:
        if self.version_bits == 1:
            return ProtocolVersion.HJ212_2017
        if self.version_bits == 0:
            return ProtocolVersion.HJT212_2005
        return ProtocolVersion.UNKNOWN

    @staticmethod
    def compose(*, version_bits: int = 1, split: bool = False, ack_required: bool = False) -> str:
        """The ``Flag`` text for the given bits, e.g. ``compose(ack_required=True) == "5"``."""
        return str((version_bits << 2) | (int(split) << 1) | int(ack_required))


class DeviationKind(StrEnum):
    """Kinds of departures from the standard that the parser can accept and record."""

    LENGTH_PLUS_6 = "length_plus_6"
    CRC_LOWERCASE = "crc_lowercase"
    SEGMENT_TOO_LONG = "segment_too_long"
    INVALID_UTF8 = "invalid_utf8"
    HEADER_ORDER = "header_order"
    UNKNOWN_HEADER_FIELD = "unknown_header_field"
    MISSING_FIELD = "missing_field"
    FIELD_FORMAT = "field_format"
    UNKNOWN_VERSION = "unknown_version"
    UNKNOWN_SYSTEM_CODE = "unknown_system_code"
    UNKNOWN_COMMAND_CODE = "unknown_command_code"
    SPLIT_FIELDS = "split_fields"
    CP_SYNTAX = "cp_syntax"
    NON_NUMERIC_VALUE = "non_numeric_value"
    DATA_FLAG = "data_flag"
    TIME_FORMAT = "time_format"
    CODE_2005_MAPPED = "code_2005_mapped"
    CODE_ALIAS_MAPPED = "code_alias_mapped"
    UNIT_OVERRIDE = "unit_override"


@dataclass(frozen=True, slots=True)
class Deviation:
    """One recorded departure from HJ 212-2017: what, where (byte offset / field) and why."""

    kind: DeviationKind
    message_zh: str
    message_en: str
    field: str | None = None
    position: int | None = None

    @property
    def message(self) -> str:
        return f"{self.message_zh} / {self.message_en}"

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "field": self.field,
            "position": self.position,
        }


@dataclass(frozen=True, slots=True)
class UnitOverride:
    """Per-device unit configuration: values of ``code`` arrive in ``received_unit``.

    ``factor`` converts a received value into ``unit`` (e.g. PM sent in ng/m³ → µg/m³: 0.001).
    ``mn=None`` applies to every device.  Spec §5.8 "unit trap".
    """

    code: str
    factor: Decimal
    unit: str
    received_unit: str
    mn: str | None = None

    @classmethod
    def ng_to_ug(cls, code: str, *, mn: str | None = None) -> UnitOverride:
        """A device that sends ``code`` in ng/m³ (as Table B.2 prints it) instead of µg/m³."""
        return cls(code=code, factor=Decimal("0.001"), unit="µg/m³", received_unit="ng/m³", mn=mn)

    def applies_to(self, mn: str | None, code: str) -> bool:
        return self.code == code and (self.mn is None or self.mn == mn)


@dataclass(frozen=True, slots=True)
class CpItem:
    """One ``key=value`` item of the CP data area (HJ 212-2017 data area rules, Table 4).

    ``value`` is ``None`` only for a malformed item without ``=`` accepted in tolerant mode.
    """

    key: str
    value: str | None

    @property
    def code(self) -> str | None:
        """Pollutant / facility code of ``code-Field`` keys (``a21026`` of ``a21026-Rtd``)."""
        code, dash, _ = self.key.partition("-")
        return code if dash else None

    @property
    def field(self) -> str | None:
        """Field suffix of ``code-Field`` keys (``Rtd`` of ``a21026-Rtd``)."""
        _, dash, suffix = self.key.partition("-")
        return suffix if dash else None

    @property
    def number(self) -> Decimal | None:
        """The value as ``Decimal`` when it is a plain decimal number."""
        return parse_number(self.value)

    def encode(self) -> str:
        return self.key if self.value is None else f"{self.key}={self.value}"


@dataclass(frozen=True, slots=True)
class Pollutant:
    """All fields received for one pollutant / parameter code (first occurrence of each field).

    ``code`` is the HJ 212-2017 code (after 2005-code or alias mapping), ``received_code`` the
    code as sent.  ``fields`` maps ``Rtd``/``Avg``/``Flag``/... to the exact received text.
    """

    code: str
    received_code: str
    fields: Mapping[str, str]

    def number(self, name: str) -> Decimal | None:
        return parse_number(self.fields.get(name))

    @property
    def flag(self) -> str | None:
        return self.fields.get("Flag")


@dataclass(frozen=True, slots=True)
class CpArea:
    """The CP data area: ``;``-separated groups of ``,``-separated items, order preserved."""

    groups: tuple[tuple[CpItem, ...], ...] = ()

    @classmethod
    def from_groups(cls, groups: Iterable[Iterable[tuple[str, str]]]) -> CpArea:
        """Build from ``[[("DataTime", "20171115080000")], [("a21026-Avg", "15"), ...]]``."""
        return cls(tuple(tuple(CpItem(k, v) for k, v in group) for group in groups))

    def items(self) -> Iterator[CpItem]:
        for group in self.groups:
            yield from group

    def get(self, key: str) -> str | None:
        """Value of the first item named ``key`` (e.g. ``"DataTime"``, ``"QnRtn"``)."""
        for item in self.items():
            if item.key == key:
                return item.value
        return None

    @property
    def data_time(self) -> str | None:
        return self.get("DataTime")

    def top_level(self) -> dict[str, str]:
        """Items without a code (``DataTime``, ``QnRtn``, ``RtdInterval``…), first occurrence."""
        found: dict[str, str] = {}
        for item in self.items():
            if item.value is not None and item.code is None:
                found.setdefault(item.key, item.value)
        return found

    def encode(self) -> str:
        return ";".join(",".join(item.encode() for item in group) for group in self.groups)


@dataclass(frozen=True, slots=True)
class Packet:
    """A decoded HJ 212 packet.  Header values are the exact received strings.

    ``crc`` is the check value as received (``None`` for packets built from scratch).
    ``header_order`` is set only when the received field order differs from Table 3's.
    ``code_map`` lists received pollutant codes that were translated to 2017 codes;
    ``unit_overrides`` the configured unit conversions that apply to this packet.
    """

    st: str
    cn: str
    cp: CpArea = field(default_factory=CpArea)
    qn: str | None = None
    pw: str | None = None
    mn: str | None = None
    flag: str | None = None
    pnum: str | None = None
    pno: str | None = None
    crc: str | None = None
    extra_header: tuple[tuple[str, str], ...] = ()
    header_order: tuple[str, ...] | None = None
    code_map: tuple[tuple[str, str], ...] = ()
    unit_overrides: tuple[UnitOverride, ...] = ()
    deviations: tuple[Deviation, ...] = ()

    @property
    def flags(self) -> PacketFlags | None:
        """Decoded ``Flag``; ``None`` when absent or not a number 0-255."""
        if self.flag is None or not self.flag.isascii() or not self.flag.isdigit():
            return None
        value = int(self.flag)
        return PacketFlags(value) if value <= 255 else None

    @property
    def version(self) -> ProtocolVersion:
        """HJ 212-2017 if the Flag version bits say so; packets without Flag are 2005 style."""
        if self.flag is None:
            return ProtocolVersion.HJT212_2005
        flags = self.flags
        return flags.version if flags is not None else ProtocolVersion.UNKNOWN

    @property
    def data_time(self) -> str | None:
        return self.cp.data_time

    def header_items(self) -> list[tuple[str, str]]:
        """Present header fields as ``(name, value)`` in encoding order."""
        values: dict[str, str | None] = {
            "QN": self.qn,
            "ST": self.st,
            "CN": self.cn,
            "PW": self.pw,
            "MN": self.mn,
            "Flag": self.flag,
            "PNUM": self.pnum,
            "PNO": self.pno,
        }
        values.update(self.extra_header)
        order = list(self.header_order or HEADER_FIELDS)
        order += [name for name in (*HEADER_FIELDS, *dict(self.extra_header)) if name not in order]
        return [(name, value) for name in order if (value := values.get(name)) is not None]

    def standard_code(self, received_code: str) -> str:
        """HJ 212-2017 code for a code as received (identity unless it was mapped)."""
        for received, standard in self.code_map:
            if received == received_code:
                return standard
        return received_code

    def pollutants(self) -> dict[str, Pollutant]:
        """CP items grouped per (2017) pollutant code, in order of first appearance."""
        fields_by_code: dict[str, dict[str, str]] = {}
        received_by_code: dict[str, str] = {}
        for item in self.cp.items():
            code, suffix = item.code, item.field
            if code is None or suffix is None or item.value is None:
                continue
            standard = self.standard_code(code)
            received_by_code.setdefault(standard, code)
            fields_by_code.setdefault(standard, {}).setdefault(suffix, item.value)
        return {
            code: Pollutant(code=code, received_code=received_by_code[code], fields=fields)
            for code, fields in fields_by_code.items()
        }

    def unit_override_for(self, code: str) -> UnitOverride | None:
        for override in self.unit_overrides:
            if override.applies_to(self.mn, code):
                return override
        return None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready view: header, version, CP items (ordered) and per-pollutant fields."""
        flags = self.flags
        return {
            "qn": self.qn,
            "st": self.st,
            "cn": self.cn,
            "pw": self.pw,
            "mn": self.mn,
            "flag": self.flag,
            "flag_bits": None
            if flags is None
            else {
                "version_bits": flags.version_bits,
                "split": flags.split,
                "ack_required": flags.ack_required,
            },
            "pnum": self.pnum,
            "pno": self.pno,
            "version": self.version.value,
            "crc": self.crc,
            "extra_header": dict(self.extra_header),
            "data_time": self.data_time,
            "cp": [[item.key, item.value] for item in self.cp.items()],
            "top_level": self.cp.top_level(),
            "pollutants": {
                code: {"received_code": p.received_code, **p.fields}
                for code, p in self.pollutants().items()
            },
            "deviations": [d.to_dict() for d in self.deviations],
        }
