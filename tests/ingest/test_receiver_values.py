"""The receiver's decisions without a network: per-code values, verdicts and replies."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from lantian.ingest.hj212_session import (
    _ack_reply,
    _encode_reply,
    _unit_of,
    code_values,
    examine_frame,
)
from lantian.monitoring.devices import DeviceConfig
from lantian.monitoring.hj212_store import CodeValues
from lantian.standards.hj212 import (
    TOLERANT,
    CpArea,
    CrcMode,
    Hj212Error,
    MeasurementRecord,
    Packet,
    ParseOptions,
    Pollutant,
    UnitOverride,
    data_ack,
    notification_ack,
    parse,
    records_from_packet,
)
from lantian.standards.hj212.codes import PERIOD_COMMANDS, VALUE_FIELDS
from tests.ingest.hj212_support import (
    CAPTURED,
    captured_frames,
    catalogue_packets,
    is_data_upload,
)


def _float(record: MeasurementRecord | None) -> float | None:
    return None if record is None or record.value is None else float(record.value)


def reference_values(packet: Packet) -> list[CodeValues]:
    """Group the codec's records per code, field by field (the slow, obvious way)."""
    grouped: dict[str, list[MeasurementRecord]] = {}
    for record in records_from_packet(packet):
        grouped.setdefault(record.code, []).append(record)
    out = []
    for code, records in grouped.items():
        first = {}
        for record in records:
            first.setdefault(record.field, record)
        instant = records[0].period == "instant"
        main = first.get("Rtd" if instant else "Avg") or first.get("Avg" if instant else "Rtd")
        if main is None:
            others = [r for r in records if r.field not in ("Min", "Max", "Cou")]
            main = next((r for r in others if "Zs" not in r.field), records[0])
        converted = first.get("ZsRtd" if instant else "ZsAvg") or first.get(
            "ZsAvg" if instant else "ZsRtd"
        )
        out.append(
            CodeValues(
                code=code,
                period=records[0].period,
                value=_float(main),
                min=_float(first.get("Min")),
                max=_float(first.get("Max")),
                cou=_float(first.get("Cou")),
                zs_value=_float(converted),
                flag=next((r.flag for r in records if r.flag is not None), None),
                unit=main.unit,
            )
        )
    return out


def _pollutant_number(
    pollutant: Pollutant, name: str | None, factor: Decimal | None
) -> float | None:
    value = pollutant.number(name) if name is not None else None
    if value is None:
        return None
    return float(value * factor) if factor is not None else float(value)


def previous_code_values(packet: Packet) -> list[CodeValues]:
    """``code_values`` as it was before its one-pass rewrite: through ``Packet.pollutants()``
    and ``Decimal``; the rewrite must give exactly the same values, floats included."""
    period = PERIOD_COMMANDS.get(packet.cn, "unknown")
    main_first, main_second = ("Rtd", "Avg") if period == "instant" else ("Avg", "Rtd")
    zs_first, zs_second = ("ZsRtd", "ZsAvg") if period == "instant" else ("ZsAvg", "ZsRtd")
    out: list[CodeValues] = []
    for code, pollutant in packet.pollutants().items():
        fields = pollutant.fields
        first_value = first_plain = None
        for name in fields:
            if name in VALUE_FIELDS:
                if first_value is None:
                    first_value = name
                if first_plain is None and name not in ("Min", "Max", "Cou") and "Zs" not in name:
                    first_plain = name
        if first_value is None:
            continue
        if main_first in fields:
            main = main_first
        elif main_second in fields:
            main = main_second
        else:
            main = first_plain or first_value
        zs = zs_first if zs_first in fields else zs_second if zs_second in fields else None
        override = packet.unit_override_for(code) if packet.unit_overrides else None
        factor = override.factor if override is not None else None
        out.append(
            CodeValues(
                code=code,
                period=period,
                value=_pollutant_number(pollutant, main, factor),
                min=_pollutant_number(pollutant, "Min", factor) if "Min" in fields else None,
                max=_pollutant_number(pollutant, "Max", factor) if "Max" in fields else None,
                cou=_pollutant_number(pollutant, "Cou", factor) if "Cou" in fields else None,
                zs_value=_pollutant_number(pollutant, zs, factor),
                flag=pollutant.flag,
                unit=_unit_of(packet, code, main, override),
            )
        )
    return out


def _uploads(shared_dir: Path) -> list[Packet]:
    frames = captured_frames(shared_dir, CAPTURED[0]) + captured_frames(shared_dir, CAPTURED[1])
    frames += [str(entry["packet"]).encode() for entry in catalogue_packets(shared_dir)]
    packets = []
    for frame in frames:
        try:
            packet = parse(frame, TOLERANT)
        except Hj212Error:
            continue
        if is_data_upload(packet):
            packets.append(packet)
    return packets


def test_values_match_the_codec_records_on_all_real_uploads(shared_dir: Path) -> None:
    packets = _uploads(shared_dir)
    assert len(packets) > 15_000
    compared = 0
    for packet in packets:
        try:
            expected = reference_values(packet)
        except Hj212Error:
            continue  # no valid DataTime: the receiver rejects these
        assert code_values(packet) == expected, packet.to_dict()
        compared += 1
    assert compared > 15_000


@pytest.mark.parametrize("units", [False, True])
def test_values_are_those_of_the_previous_implementation(shared_dir: Path, units: bool) -> None:
    """Every upload (DataTime valid or not), with and without unit overrides, float for float."""
    packets = _uploads(shared_dir)
    if units:
        overrides = tuple(UnitOverride.ng_to_ug(code) for code in ("a34013", "a21026", "a01012"))
        packets = [replace(packet, unit_overrides=overrides) for packet in packets]
    for packet in packets:
        assert code_values(packet) == previous_code_values(packet), packet.to_dict()
    odd = Packet(
        st="22",
        cn="2061",
        cp=CpArea.from_groups(
            [[("a-", "1"), ("x-Avg", "+.5"), ("x-Avg", "2"), ("x-Min", "1e3"), ("y-Rtd", "-0")]]
        ),
        code_map=(("x", "a21026"), ("x", "a21004")),
    )
    assert code_values(odd) == previous_code_values(odd)


def test_unit_override_converts_ng_to_ug() -> None:
    """Spec §5.8 unit trap: a vendor sending PM in ng/m³ (P4: a34004-Rtd=75600.000).

    The segment of spec §5.10 P4 is 379 bytes (the spec's "length 0383" is off by 4; its CRC
    5440 is right).
    """
    frame = (
        "##0379QN=20180427125809000;ST=22;CN=2011;PW=123456;MN=LXHB0CS0306310;Flag=5;"
        "CP=&&DataTime=20180427125809;a34004-Rtd=75600.000,a34004-Flag=N;"
        "a34002-Rtd=140600.000,a34002-Flag=N;a34001-Rtd=178000.000,a34001-Flag=N;"
        "a01001-Rtd=24.8,a01001-Flag=N;a01002-Rtd=46.8,a01002-Flag=N;"
        "a01006-Rtd=101.380,a01006-Flag=N;a01007-Rtd=0.0,a01007-Flag=N;"
        "a01008-Rtd=25,a01008-Flag=N;LA-Rtd=57.9,LA-Flag=N&&5440"
    )
    options = ParseOptions(
        mode="tolerant",
        unit_overrides=(
            UnitOverride.ng_to_ug("a34004", mn="LXHB0CS0306310"),
            UnitOverride.ng_to_ug("a34002", mn="LXHB0CS0306310"),
        ),
    )
    values = {v.code: v for v in code_values(parse(frame, options))}
    assert values["a34004"].value == float(Decimal("75600.000") * Decimal("0.001")) == 75.6
    assert values["a34004"].unit == "µg/m³"
    assert values["a34002"].value == 140.6
    assert values["a01001"].value == 24.8 and values["a01001"].unit == "°C"
    assert code_values(parse(frame, options)) == reference_values(parse(frame, options))


def _device(**changes: object) -> DeviceConfig:
    fields: dict[str, object] = {
        "id": 1,
        "mn": "010000A8900016F000169DC0",
        "password": "123456",
        "station_id": None,
        "source_code": None,
        "protocol": "auto",
        "crc_mode": "hj212",
        "parse_mode": "tolerant",
        "active": True,
        "options": TOLERANT,
    }
    fields.update(changes)
    return DeviceConfig(**fields)  # type: ignore[arg-type]


# Spec §5.10 P12: HJ 212-2017 flue-gas real-time upload, Flag=5 (acknowledgement required).
P12 = (
    b"##0311QN=20171115083000123;ST=31;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=5;"
    b"CP=&&DataTime=20171115083000;a21026-Rtd=28.5,a21026-ZsRtd=31.2,a21026-Flag=N;"
    b"a21002-Rtd=40.1,a21002-ZsRtd=43.9,a21002-Flag=N;a34013-Rtd=4.2,a34013-ZsRtd=4.6,"
    b"a34013-Flag=N;a19001-Rtd=7.3,a19001-Flag=N;a00000-Rtd=52.6,a00000-Flag=N&&F141\r\n"
)


@pytest.mark.parametrize(
    ("device", "verdict", "reply_cn", "qn_rtn"),
    [
        (_device(), "accepted", "9014", None),
        (_device(active=False), "rejected", "9011", "2"),
        (_device(password="654321"), "rejected", "9011", "3"),
        (_device(protocol="2005"), "rejected", "9011", "6"),
        (
            _device(crc_mode="modbus", options=ParseOptions("tolerant", "modbus")),
            "rejected",
            "9011",
            "9",
        ),
        (_device(password=None), "accepted", "9014", None),
    ],
)
def test_examine_frame_verdicts_and_replies(
    device: DeviceConfig, verdict: str, reply_cn: str, qn_rtn: str | None
) -> None:
    outcome = examine_frame(P12, {device.mn: device}, "127.0.0.1:5000", datetime.now(UTC))
    assert outcome.store.verdict == verdict
    assert outcome.reply is not None
    # Strict: our replies follow the standard exactly, with the device's own CRC variant.
    reply = parse(outcome.reply, ParseOptions(crc_mode=device.reply_crc_mode))
    assert (reply.cn, reply.cp.get("QnRtn"), reply.qn) == (reply_cn, qn_rtn, "20171115083000123")
    if verdict == "accepted":
        assert outcome.store.upload is not None
        values = {v.code: v for v in outcome.store.upload.values}
        assert (values["a21026"].value, values["a21026"].zs_value) == (28.5, 31.2)
        assert values["a21026"].period == "instant" and values["a21026"].flag == "N"


@pytest.mark.parametrize("crc_mode", ["hj212", "modbus", "none"])
def test_acknowledgements_are_those_of_the_builder(shared_dir: Path, crc_mode: CrcMode) -> None:
    """The receiver writes 9013/9014 directly; byte for byte what build(data_ack(...)) gives."""
    packets = _uploads(shared_dir)[:4000]
    odd_values = ["", "a;b", "a,b", "x\r\ny", "空", "\udcff", "9" * 1100, None]
    for number, packet in enumerate(packets):
        variants = [packet, replace(packet, flag=None), replace(packet, flag="1")]
        odd = odd_values[number % len(odd_values)]
        variants.append(replace(packet, **{("qn", "pw", "mn")[number % 3]: odd}))
        for request in variants:
            for cn, reply in (("9014", data_ack), ("9013", notification_ack)):
                assert _ack_reply(request, cn, crc_mode) == _encode_reply(
                    reply(request), crc_mode
                ), request


def test_receiver_process_garbage_collector_setting() -> None:
    """The receiver process collects cycles less often (its young threshold); restored here."""
    import gc

    from lantian.ingest.receiver_cli import RECEIVER_GC_THRESHOLD, _tune_garbage_collector

    before = gc.get_threshold()
    try:
        _tune_garbage_collector()
        assert gc.get_threshold()[0] == RECEIVER_GC_THRESHOLD
        assert gc.get_freeze_count() > 0
        assert gc.isenabled()
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
