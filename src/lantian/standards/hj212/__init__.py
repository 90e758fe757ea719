"""HJ 212 codec: HJ 212-2017 and HJ/T 212-2005 packets of online pollution monitoring.

Pure functions, no I/O, no clock.  Entry points:

* :func:`parse` / :func:`build` — frames ⇄ :class:`Packet` (strict or tolerant mode);
* :func:`check_frame` — raw length/CRC verdicts under both CRC variants;
* :mod:`~lantian.standards.hj212.replies` — 9011/9012/9013/9014 replies;
* :func:`records_from_packet` — measurement records with UTC+8 timestamps;
* :class:`FrameSplitter` — cut a TCP byte stream into frames.

See ``docs/hj212.md`` for modes, deviations and errors.
"""

from lantian.standards.hj212.codec import (
    MAX_SEGMENT_LENGTH,
    STRICT,
    TOLERANT,
    FrameCheck,
    ParseMode,
    ParseOptions,
    build,
    check_frame,
    encode_segment,
    parse,
)
from lantian.standards.hj212.crc import CrcMode, crc16_hj212, crc16_modbus, format_crc
from lantian.standards.hj212.errors import (
    BuildError,
    CpError,
    CrcMismatch,
    FieldError,
    FramingError,
    Hj212Error,
    LengthMismatch,
)
from lantian.standards.hj212.framing import FrameSplitter, GarbageChunk
from lantian.standards.hj212.model import (
    CpArea,
    CpItem,
    Deviation,
    DeviationKind,
    Packet,
    PacketFlags,
    Pollutant,
    ProtocolVersion,
    UnitOverride,
)
from lantian.standards.hj212.records import (
    CHINA_STANDARD_TIME,
    MeasurementRecord,
    hour_end_label,
    hour_start_from_end_label,
    parse_data_time,
    records_from_packet,
)
from lantian.standards.hj212.replies import (
    data_ack,
    execution_result,
    notification_ack,
    request_ack,
)

__all__ = [
    "CHINA_STANDARD_TIME",
    "MAX_SEGMENT_LENGTH",
    "STRICT",
    "TOLERANT",
    "BuildError",
    "CpArea",
    "CpError",
    "CpItem",
    "CrcMismatch",
    "CrcMode",
    "Deviation",
    "DeviationKind",
    "FieldError",
    "FrameCheck",
    "FrameSplitter",
    "FramingError",
    "GarbageChunk",
    "Hj212Error",
    "LengthMismatch",
    "MeasurementRecord",
    "Packet",
    "PacketFlags",
    "ParseMode",
    "ParseOptions",
    "Pollutant",
    "ProtocolVersion",
    "UnitOverride",
    "build",
    "check_frame",
    "crc16_hj212",
    "crc16_modbus",
    "data_ack",
    "encode_segment",
    "execution_result",
    "format_crc",
    "hour_end_label",
    "hour_start_from_end_label",
    "notification_ack",
    "parse",
    "parse_data_time",
    "records_from_packet",
    "request_ack",
]
