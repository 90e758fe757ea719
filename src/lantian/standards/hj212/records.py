"""Turn decoded data packets into measurement records.

Times in HJ 212 are local Beijing time without zone; records carry timezone-aware datetimes at
UTC+8.  ``DataTime`` of minute, hour and day data (CN 2051, 2061, 2031, 2041) is the *start* of
the period (spec §5.2 on ``DataTime``; e.g. hour data ``DataTime=20160801080000`` covers
08:00-09:00).  The platform labels hourly values by the hour *end* (09:00 here);
:func:`hour_end_label` does that conversion explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Final

from lantian.standards.hj212.codes import (
    AMBIENT_UNITS,
    PERIOD_COMMANDS,
    POLLUTANT_CODES,
    VALUE_FIELDS,
    PeriodKind,
)
from lantian.standards.hj212.errors import FieldError
from lantian.standards.hj212.model import Packet, parse_number

#: China Standard Time, the clock of every HJ 212 timestamp.
CHINA_STANDARD_TIME: Final = timezone(timedelta(hours=8), "UTC+08:00")

_ONE_HOUR: Final = timedelta(hours=1)


def parse_data_time(text: str, *, field: str = "DataTime") -> datetime:
    """``YYYYMMDDhhmmss`` (or with ``zzz`` milliseconds, as 2005-era devices send) at UTC+8.

    Raises:
        FieldError: not 14/17 digits or not a real date/time.
    """
    if len(text) not in (14, 17) or not text.isascii() or not text.isdigit():
        raise FieldError(
            f"{field}={text!r} 不是 YYYYMMDDhhmmss 格式",
            f"{field}={text!r} is not a time YYYYMMDDhhmmss[zzz]",
            field=field,
        )
    try:
        return datetime(
            int(text[0:4]),
            int(text[4:6]),
            int(text[6:8]),
            int(text[8:10]),
            int(text[10:12]),
            int(text[12:14]),
            int(text[14:17] or 0) * 1000,
            tzinfo=CHINA_STANDARD_TIME,
        )
    except ValueError as exc:
        raise FieldError(
            f"{field}={text!r} 不是有效的日期时间",
            f"{field}={text!r} is not a valid date/time ({exc})",
            field=field,
        ) from None


def hour_end_label(period_start: datetime) -> datetime:
    """Platform label (hour END) of an hourly value whose ``DataTime`` is the hour start."""
    return period_start + _ONE_HOUR


def hour_start_from_end_label(end_label: datetime) -> datetime:
    """``DataTime`` (hour START) of an hourly value labelled by its hour end."""
    return end_label - _ONE_HOUR


@dataclass(frozen=True, slots=True)
class MeasurementRecord:
    """One measured value of one packet.

    ``data_time`` is ``DataTime`` as sent, at UTC+8: for ``period`` ``"minute"``, ``"hour"`` or
    ``"day"`` it is the START of the period (use :attr:`hour_end` for the platform's hourly
    label).  ``code`` is the HJ 212-2017 code, ``received_code`` the code as sent.  ``value``
    is in ``unit`` after any configured unit override; ``raw_value`` is the text received.
    """

    mn: str | None
    st: str
    cn: str
    data_time: datetime
    period: PeriodKind
    code: str
    received_code: str
    field: str
    value: Decimal | None
    raw_value: str
    flag: str | None
    unit: str | None

    @property
    def data_time_is_period_start(self) -> bool:
        return self.period in ("minute", "hour", "day")

    @property
    def hour_end(self) -> datetime | None:
        """Hour-end label of hourly data (CN 2061); ``None`` for other periods."""
        return hour_end_label(self.data_time) if self.period == "hour" else None


def _unit_for(packet: Packet, code: str, field: str) -> str | None:
    override = packet.unit_override_for(code)
    if override is not None:
        return override.unit
    if field in ("RS", "RT"):
        return "h" if field == "RT" else None
    if packet.st == "22" and code in AMBIENT_UNITS:
        return AMBIENT_UNITS[code]
    row = POLLUTANT_CODES.get(code)
    if row is None:
        return None
    return row.amount_unit if field.endswith("Cou") else row.concentration_unit


def records_from_packet(packet: Packet) -> list[MeasurementRecord]:
    """Measurement records of a data packet, in CP order.

    The flag of a value is the ``code-Flag`` of the same ``;`` group (2005 devices send one
    flag per group, e.g. ``01-Rtd=…,01-Flag=N;01-ZsRtd=…,01-Flag=N``), else the first
    ``code-Flag`` of the packet.

    Raises:
        FieldError: the packet has no valid ``DataTime``.
    """
    text = packet.cp.data_time
    if text is None:
        raise FieldError(
            "数据包缺少 DataTime", "data packet has no DataTime in its CP area", field="DataTime"
        )
    data_time = parse_data_time(text)
    period: PeriodKind = PERIOD_COMMANDS.get(packet.cn, "unknown")
    first_flag: dict[str, str] = {}
    for item in packet.cp.items():
        if item.field == "Flag" and item.code is not None and item.value is not None:
            first_flag.setdefault(item.code, item.value)
    records: list[MeasurementRecord] = []
    for group in packet.cp.groups:
        group_flag: dict[str, str] = {}
        for item in group:
            if item.field == "Flag" and item.code is not None and item.value is not None:
                group_flag.setdefault(item.code, item.value)
        for item in group:
            received, field = item.code, item.field
            if received is None or field not in VALUE_FIELDS or item.value is None:
                continue
            code = packet.standard_code(received)
            value = parse_number(item.value)
            override = packet.unit_override_for(code)
            if value is not None and override is not None:
                value = value * override.factor
            records.append(
                MeasurementRecord(
                    mn=packet.mn,
                    st=packet.st,
                    cn=packet.cn,
                    data_time=data_time,
                    period=period,
                    code=code,
                    received_code=received,
                    field=field,
                    value=value,
                    raw_value=item.value,
                    flag=group_flag.get(received, first_flag.get(received)),
                    unit=_unit_for(packet, code, field),
                )
            )
    return records
