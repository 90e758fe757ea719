"""What the receiving centre makes of one frame: verdict, what to store, what to reply.

Pure of I/O: the asyncio server (:mod:`lantian.ingest.hj212_server`) calls :func:`examine_frame`
for each frame cut from a connection, queues the result for the group-commit writer, and sends
the reply only after the commit.  The order of checks, and the replies (HJ 212-2017 §6.6,
Appendix C; spec §5.3):

1. the MN is read from the header to find the device (its CRC variant and options);
2. the frame is decoded with the device's options — a CRC mismatch gives 9011 ``QnRtn=9``;
3. an unknown MN gives 9011 ``QnRtn=4``; a malformed header field 9011 with the code of that
   field (5 ST, 6 Flag, 7 QN, 8 CN) or 100;
4. a wrong password gives 9011 ``QnRtn=3``; an inactive device 9011 ``QnRtn=2`` (refused);
5. an accepted upload whose Flag has bit A set gets 9014 (data acknowledgement), a 1013
   time-calibration notification gets 9013 (notification acknowledgement).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Final

from lantian.monitoring.devices import DeviceConfig
from lantian.monitoring.hj212_store import (
    AIR_QUALITY_ST,
    CodeValues,
    FrameToStore,
    UploadData,
)
from lantian.standards.hj212 import (
    MAX_SEGMENT_LENGTH,
    TOLERANT,
    BuildError,
    CrcMismatch,
    CrcMode,
    FieldError,
    GarbageChunk,
    Hj212Error,
    Packet,
    ProtocolVersion,
    UnitOverride,
    build,
    crc16_hj212,
    crc16_modbus,
    data_ack,
    notification_ack,
    parse,
    parse_data_time,
    request_ack,
)
from lantian.standards.hj212.codes import (
    AMBIENT_UNITS,
    PERIOD_COMMANDS,
    POLLUTANT_CODES,
    VALUE_FIELDS,
)
from lantian.standards.hj212.model import NUMBER_PATTERN

#: Uploads that carry measured data with a ``DataTime`` (HJ 212-2017 Table 9).
DATA_UPLOAD_COMMANDS: Final = frozenset({"2011", "2021", "2031", "2041", "2051", "2061"})
#: Notifications a site sends, answered by 9013 whatever the Flag (spec §5.3, 2-step exchange).
NOTIFICATION_COMMANDS: Final = frozenset({"1013"})
#: Replies a site sends to the centre's requests; they are never answered.
REPLY_COMMANDS: Final = frozenset({"9011", "9012", "9013", "9014"})

#: QnRtn codes (HJ 212-2017 §6.6.4 / spec §5.3).
QN_RTN_REFUSED: Final = 2
QN_RTN_PASSWORD: Final = 3
QN_RTN_MN: Final = 4
QN_RTN_CRC: Final = 9
QN_RTN_UNKNOWN: Final = 100
_QN_RTN_OF_FIELD: Final[Mapping[str, int]] = {"ST": 5, "Flag": 6, "QN": 7, "CN": 8, "MN": 4}

_MAX_GARBAGE_KEPT: Final = 4096
#: Memo bounds: the texts memoised come from peers, so each memo is emptied when full.
_MEMO_LIMIT: Final = 1 << 14


@dataclass(frozen=True, slots=True)
class FrameOutcome:
    """What to store for a frame and the reply to send once it is committed (if any)."""

    store: FrameToStore
    reply: bytes | None
    reply_kind: str | None  # "9011", "9013", "9014" — for logs and tests


def _peek_header(frame: bytes) -> dict[str, str]:
    """Header fields before ``CP=&&`` (no CRC check): enough to find the device and to reply.

    Cheap on purpose — a bytes search, not a parse — because it runs before we know the
    device's CRC variant and options.
    """
    end = frame.find(b"CP=&&")
    if end < 6:
        return {}
    fields: dict[str, str] = {}
    for part in frame[6:end].split(b";"):
        name, equals, value = part.partition(b"=")
        if equals:
            fields.setdefault(
                name.decode("ascii", "replace"), value.decode("utf-8", "backslashreplace")
            )
    return fields


def _peek_field(frame: bytes, end: int, name: bytes) -> str | None:
    """``_peek_header(frame).get(name)`` for one field (``name`` with its ``=``), by search.

    The header is split on ``;`` and the first part named ``name`` wins; a part named so is
    either the first one (at byte 6) or follows a ``;`` -- so the first match of ``;name=``
    is that part.
    """
    if frame.startswith(name, 6):
        start = 6 + len(name)
    else:
        found = frame.find(b";" + name, 6, end)
        if found < 0:
            return None
        start = found + 1 + len(name)
    stop = frame.find(b";", start, end)
    return frame[start : end if stop < 0 else stop].decode("utf-8", "backslashreplace")


def _packet_from_header(header: Mapping[str, str]) -> Packet | None:
    """A stand-in request to address a 9011 to, when the frame itself could not be decoded."""
    st, cn = header.get("ST"), header.get("CN")
    if st is None or cn is None:
        return None
    return Packet(
        st=st,
        cn=cn,
        qn=header.get("QN"),
        pw=header.get("PW"),
        mn=header.get("MN"),
        flag=header.get("Flag"),
    )


def _encode_reply(reply: Packet, crc_mode: CrcMode) -> bytes | None:
    try:
        return build(reply, crc_mode=crc_mode)
    except BuildError:
        # The peer sent header values we cannot echo (reserved characters): no reply at all
        # rather than a malformed one.
        return None


def _ack_reply(request: Packet, cn: str, crc_mode: CrcMode) -> bytes | None:
    """``build(data_ack(request))`` (``cn="9014"``) or of ``notification_ack`` (``"9013"``).

    Sent for nearly every upload, so the frame is written directly (HJ 212-2017 Table C.17:
    ``ST=91``, the request's QN, PW and MN, ``Flag=4`` for 2017 peers, the QN inside CP for
    2005 peers).  Values the builder would check (separators, CR LF, non-ASCII) take the builder;
    a test holds the two together over the real traffic.
    """
    qn, pw, mn = request.qn, request.pw, request.mn
    for value in (qn, pw, mn):
        if value is not None and (
            not value.isascii() or ";" in value or "," in value or "\r" in value
        ):
            return _encode_reply(_REPLIES[cn](request), crc_mode)
    if request.version is ProtocolVersion.HJT212_2005:
        parts = [f"ST=91;CN={cn};"]
        if pw is not None:
            parts.append(f"PW={pw};")
        if mn is not None:
            parts.append(f"MN={mn};")
        parts.append("CP=&&&&" if qn is None else f"CP=&&QN={qn}&&")
    else:
        parts = [f"QN={qn};ST=91;CN={cn};" if qn is not None else f"ST=91;CN={cn};"]
        if pw is not None:
            parts.append(f"PW={pw};")
        if mn is not None:
            parts.append(f"MN={mn};")
        parts.append("Flag=4;CP=&&&&")
    segment = "".join(parts).encode("ascii")
    if len(segment) > MAX_SEGMENT_LENGTH:
        return None  # as build's BuildError: no reply rather than a malformed one
    crc = crc16_hj212(segment) if crc_mode != "modbus" else crc16_modbus(segment)
    return b"##%04d%s%04X\r\n" % (len(segment), segment, crc)


_REPLIES: Final[Mapping[str, Callable[[Packet], Packet]]] = {
    "9013": notification_ack,
    "9014": data_ack,
}
_EXPECTED_VERSION: Final[Mapping[str, ProtocolVersion]] = {
    "2017": ProtocolVersion.HJ212_2017,
    "2005": ProtocolVersion.HJT212_2005,
}


#: DataTime text -> its time (``None``: not a valid time); devices send the same hours.
_data_times: dict[str, datetime | None] = {}


def _data_time_of(header_or_packet: Packet | None) -> datetime | None:
    text = header_or_packet.data_time if header_or_packet is not None else None
    if text is None:
        return None
    known = _data_times.get(text, False)
    if known is not False:
        return known  # type: ignore[return-value]
    try:
        value: datetime | None = parse_data_time(text)
    except FieldError:
        value = None
    if len(text) <= 17:
        if len(_data_times) >= _MEMO_LIMIT:
            _data_times.clear()
        _data_times[text] = value
    return value


_SUMMARY_FIELDS: Final = frozenset({"Min", "Max", "Cou"})


def _unit_of(packet: Packet, code: str, field: str, override: UnitOverride | None) -> str | None:
    """Unit of a value, by the same rule as the codec's ``records_from_packet``.

    Per-device override first; facility running time in hours; ambient stations (ST=22) in
    µg/m³ (CO mg/m³); otherwise the default unit of HJ 212-2017 Table B.2.
    """
    if override is not None:
        return override.unit
    if field in ("RS", "RT"):
        return "h" if field == "RT" else None
    if packet.st == AIR_QUALITY_ST and code in AMBIENT_UNITS:
        return AMBIENT_UNITS[code]
    row = POLLUTANT_CODES.get(code)
    if row is None:
        return None
    return row.amount_unit if field.endswith("Cou") else row.concentration_unit


def _number(text: str | None, factor: Decimal | None) -> float | None:
    """A CP value as float, as ``float(parse_number(text) [* factor])`` gives it.

    Without a factor the Decimal is skipped: ``float`` of a plain decimal literal is correctly
    rounded, exactly as ``float(Decimal(text))`` (which converts through the same text) is.
    """
    if text is None or NUMBER_PATTERN.fullmatch(text) is None:
        return None
    if factor is None:
        return float(text)
    return float(Decimal(text) * factor)


#: CP key -> (code, field) of a ``code-field`` key, ``None`` for keys without a dash.
_key_parts: dict[str, tuple[str, str] | None] = {}
#: (instant period, field names of a code in order) -> (main field, converted field); main
#: ``None`` when the code has no value field.
_field_choice: dict[tuple[bool, tuple[str, ...]], tuple[str | None, str | None]] = {}
#: (ST, code, main field) -> unit, for codes without a unit override.
_unit_memo: dict[tuple[str | None, str, str], str | None] = {}


def _split_key(key: str) -> tuple[str, str] | None:
    parts = _key_parts.get(key, False)
    if parts is False:
        code, dash, name = key.partition("-")
        parts = (code, name) if dash else None
        if len(_key_parts) >= _MEMO_LIMIT:
            _key_parts.clear()
        _key_parts[key] = parts
    return parts  # type: ignore[return-value]


def _choose_fields(instant: bool, names: tuple[str, ...]) -> tuple[str | None, str | None]:
    """Main and converted (Zs) field of a code with these fields (see :func:`code_values`)."""
    first_value = first_plain = None
    for name in names:
        if name in VALUE_FIELDS:
            if first_value is None:
                first_value = name
            if first_plain is None and name not in _SUMMARY_FIELDS and "Zs" not in name:
                first_plain = name
    if first_value is None:
        return None, None
    main_first, main_second = ("Rtd", "Avg") if instant else ("Avg", "Rtd")
    zs_first, zs_second = ("ZsRtd", "ZsAvg") if instant else ("ZsAvg", "ZsRtd")
    if main_first in names:
        main = main_first
    elif main_second in names:
        main = main_second
    else:
        main = first_plain or first_value
    zs = zs_first if zs_first in names else zs_second if zs_second in names else None
    return main, zs


def code_values(packet: Packet) -> list[CodeValues]:
    """The values of a data upload per pollutant code (HJ 212-2017 Table 4 fields).

    Main value: ``Avg`` of minute/hour/day data, ``Rtd`` of real-time data, else the first
    other value field (``RS``, ``RT``, ``Data``…); ``zs_value`` the converted counterpart; the
    code's data flag (Table 8); unit overrides of the device applied.  Equivalent to grouping
    ``records_from_packet`` per code (a test holds the two together over the captured traffic),
    in one pass over the CP items -- the receiver's hot path, so it groups the fields itself
    the way :meth:`Packet.pollutants` does (first occurrence of each field of a 2017 code), and
    what depends only on repeated text (a key's parts, the fields chosen for a set of field
    names, a unit) is decided once and memoised.
    """
    period = PERIOD_COMMANDS.get(packet.cn, "unknown")
    instant = period == "instant"
    standard_of: dict[str, str] = {}
    for received, standard in packet.code_map:
        standard_of.setdefault(received, standard)  # Packet.standard_code: first entry wins
    fields_by_code: dict[str, dict[str, str]] = {}
    key_parts = _key_parts
    for group in packet.cp.groups:
        for item in group:
            value = item.value
            if value is None:
                continue
            key = item.key
            parts = key_parts.get(key, False)
            if parts is False:
                parts = _split_key(key)
            if parts is None:
                continue
            code, name = parts  # type: ignore[misc]
            if standard_of:
                code = standard_of.get(code, code)
            fields = fields_by_code.get(code)
            if fields is None:
                fields_by_code[code] = {name: value}
            elif name not in fields:
                fields[name] = value
    out: list[CodeValues] = []
    st = packet.st
    has_overrides = bool(packet.unit_overrides)
    choices = _field_choice
    units = _unit_memo
    number = NUMBER_PATTERN.fullmatch
    for code, fields in fields_by_code.items():
        names = tuple(fields)
        choice = choices.get((instant, names))
        if choice is None:
            choice = _choose_fields(instant, names)
            if len(choices) >= _MEMO_LIMIT:
                choices.clear()
            choices[(instant, names)] = choice
        main, zs = choice
        if main is None:
            continue
        override = packet.unit_override_for(code) if has_overrides else None
        get = fields.get
        if override is None:
            # _number without a factor: float of a checked literal (see _number).
            unit_key = (st, code, main)
            unit = units.get(unit_key, False)
            if unit is False:
                unit = _unit_of(packet, code, main, None)
                if len(units) >= _MEMO_LIMIT:
                    units.clear()
                units[unit_key] = unit
            text = fields[main]
            low, high, count = get("Min"), get("Max"), get("Cou")
            zs_text = get(zs) if zs is not None else None
            out.append(
                CodeValues(
                    code=code,
                    period=period,
                    value=float(text) if number(text) is not None else None,
                    min=float(low) if low is not None and number(low) is not None else None,
                    max=float(high) if high is not None and number(high) is not None else None,
                    cou=float(count) if count is not None and number(count) is not None else None,
                    zs_value=float(zs_text)
                    if zs_text is not None and number(zs_text) is not None
                    else None,
                    flag=get("Flag"),
                    unit=unit,  # type: ignore[arg-type]
                )
            )
            continue
        factor = override.factor
        out.append(
            CodeValues(
                code=code,
                period=period,
                value=_number(get(main), factor),
                min=_number(get("Min"), factor),
                max=_number(get("Max"), factor),
                cou=_number(get("Cou"), factor),
                zs_value=_number(get(zs), factor) if zs is not None else None,
                flag=get("Flag"),
                unit=_unit_of(packet, code, main, override),
            )
        )
    return out


def _error_text(error: Hj212Error) -> str:
    return f"{type(error).__name__}: {error}"


def examine_garbage(chunk: GarbageChunk, peer: str, received_at: datetime) -> FrameOutcome:
    """Bytes between frames are kept (bounded) as a rejected frame; they get no reply."""
    data = chunk.data[:_MAX_GARBAGE_KEPT]
    kept = "" if len(chunk.data) <= _MAX_GARBAGE_KEPT else f", first {_MAX_GARBAGE_KEPT} kept"
    store = FrameToStore(
        received_at=received_at,
        peer=peer,
        data=data,
        verdict="rejected",
        error=f"无法成帧的字节 / bytes outside any frame ({chunk.reason}, "
        f"{len(chunk.data)} bytes{kept})",
    )
    return FrameOutcome(store, None, None)


def examine_frame(
    frame: bytes,
    devices: Mapping[str, DeviceConfig],
    peer: str,
    received_at: datetime,
) -> FrameOutcome:
    """Decide about one frame (``##…\\r\\n``) from ``peer``: store what, reply what."""
    end = frame.find(b"CP=&&")
    if end < 6:
        mn = qn = cn = None
    else:
        mn = _peek_field(frame, end, b"MN=")
        qn = _peek_field(frame, end, b"QN=")
        cn = _peek_field(frame, end, b"CN=")
    device = devices.get(mn) if mn is not None else None
    crc_mode: CrcMode = device.reply_crc_mode if device is not None else "hj212"
    base = FrameToStore(
        received_at=received_at,
        peer=peer,
        data=frame,
        verdict="rejected",
        device_id=device.id if device is not None else None,
        mn=mn,
        qn=qn,
        cn=cn,
    )

    def reject(request: Packet | None, qn_rtn: int, error: str) -> FrameOutcome:
        base.error = error
        if request is None or request.cn in REPLY_COMMANDS:
            return FrameOutcome(base, None, None)
        reply = _encode_reply(request_ack(request, qn_rtn), crc_mode)
        return FrameOutcome(base, reply, "9011" if reply is not None else None)

    # An unknown device's frame is still checked with the standard CRC, so that a corrupt frame
    # is reported as a CRC error rather than as an unknown MN.
    options = device.options if device is not None else TOLERANT
    try:
        packet = parse(frame, options)
    except CrcMismatch as error:
        return reject(_packet_from_header(_peek_header(frame)), QN_RTN_CRC, _error_text(error))
    except Hj212Error as error:
        qn_rtn = _QN_RTN_OF_FIELD.get(error.field or "", QN_RTN_UNKNOWN)
        if device is None and mn is not None:
            qn_rtn = QN_RTN_MN
        return reject(_packet_from_header(_peek_header(frame)), qn_rtn, _error_text(error))

    base.data_time = _data_time_of(packet)
    if device is None:
        return reject(
            packet, QN_RTN_MN, f"未登记的设备 / unknown device MN={packet.mn!r} (QnRtn=4)"
        )
    if device.password is not None and not hmac.compare_digest(
        (packet.pw or "").encode("utf-8", "surrogateescape"), device.password.encode()
    ):
        return reject(packet, QN_RTN_PASSWORD, "密码错误 / wrong password (QnRtn=3)")
    if not device.active:
        return reject(packet, QN_RTN_REFUSED, "设备已停用 / device is deactivated (QnRtn=2)")
    expected_version = _EXPECTED_VERSION.get(device.protocol)
    if expected_version is not None and packet.version is not expected_version:
        return reject(
            packet,
            _QN_RTN_OF_FIELD["Flag"],
            f"协议版本不符 / packet is {packet.version.value}, device is registered as "
            f"{expected_version.value} (QnRtn=6)",
        )

    if packet.cn in DATA_UPLOAD_COMMANDS:
        if packet.data_time is None or base.data_time is None:
            return reject(
                packet,
                QN_RTN_UNKNOWN,
                f"数据包缺少有效的 DataTime / data upload without a valid DataTime "
                f"({packet.data_time!r})",
            )
        # PNO is at most 8 characters (HJ 212-2017 Table 3); a longer one is not a part number.
        pno = packet.pno
        part = int(pno) if pno is not None and pno.isdigit() and len(pno) <= 8 else 1
        base.upload = UploadData(
            device_id=device.id,
            station_id=device.station_id,
            st=packet.st,
            cn=packet.cn,
            data_time=base.data_time,
            part=part,
            values=code_values(packet),
        )
    base.verdict = "accepted"
    if packet.deviations:
        # DeviationKind is a StrEnum: its members are their values (no per-member lookup).
        base.error = "; ".join(sorted({str.__str__(d.kind) for d in packet.deviations}))

    flags = packet.flags
    if packet.cn in NOTIFICATION_COMMANDS:
        reply = _ack_reply(packet, "9013", crc_mode)
        return FrameOutcome(base, reply, "9013" if reply is not None else None)
    if packet.cn not in REPLY_COMMANDS and flags is not None and flags.ack_required:
        reply = _ack_reply(packet, "9014", crc_mode)
        return FrameOutcome(base, reply, "9014" if reply is not None else None)
    return FrameOutcome(base, None, None)
