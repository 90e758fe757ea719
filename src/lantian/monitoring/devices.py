"""Device registry of the HJ 212 receiver: which data loggers (MN) may send, and how to read them.

Each device carries what HJ 212 leaves to the deployment: its password (PW, HJ 212-2017 Table 3),
the station or stack it belongs to, the protocol edition, the CRC variant it really computes
(spec §5.4: some legacy loggers send CRC-16/MODBUS), vendor code aliases and per-code unit
overrides (spec §5.8 "unit trap").  The receiver reads a snapshot (:class:`DeviceConfig`) so that
the hot path never touches the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.errors import Conflict, InputError, NotFound
from lantian.monitoring.hj212_models import CRC_MODES, PROTOCOLS, Device
from lantian.monitoring.models import Station
from lantian.standards.hj212 import CrcMode, ParseMode, ParseOptions, UnitOverride

ProtocolChoice = Literal["auto", "2017", "2005"]


@dataclass(frozen=True, slots=True)
class DeviceConfig:
    """What the receiver needs to know about one device, detached from the database."""

    id: int
    mn: str
    password: str | None
    station_id: int | None
    source_code: str | None
    protocol: ProtocolChoice
    crc_mode: CrcMode
    parse_mode: ParseMode
    active: bool
    options: ParseOptions = field(compare=False)

    @property
    def reply_crc_mode(self) -> CrcMode:
        """CRC variant of our replies: the device's own, the standard one if it checks none."""
        return "hj212" if self.crc_mode == "none" else self.crc_mode


def _unit_overrides(mn: str, raw: Mapping[str, Any] | None) -> tuple[UnitOverride, ...]:
    overrides: list[UnitOverride] = []
    for code, spec in (raw or {}).items():
        overrides.append(
            UnitOverride(
                code=code,
                factor=Decimal(str(spec["factor"])),
                unit=str(spec["unit"]),
                received_unit=str(spec.get("received_unit", "")),
                mn=mn,
            )
        )
    return tuple(overrides)


def config_of(device: Device) -> DeviceConfig:
    """The receiver's snapshot of ``device``, with its parse options built once."""
    crc_mode = cast(CrcMode, device.crc_mode)
    parse_mode = cast(ParseMode, device.parse_mode)
    options = ParseOptions(
        mode=parse_mode,
        crc_mode=crc_mode,
        code_aliases=dict(device.code_aliases) if device.code_aliases else None,
        unit_overrides=_unit_overrides(device.mn, device.unit_overrides),
    )
    return DeviceConfig(
        id=device.id,
        mn=device.mn,
        password=device.password or None,
        station_id=device.station_id,
        source_code=device.source_code,
        protocol=cast(ProtocolChoice, device.protocol),
        crc_mode=crc_mode,
        parse_mode=parse_mode,
        active=device.active,
        options=options,
    )


def load_device_configs(session: Session) -> dict[str, DeviceConfig]:
    """Every registered device by MN (inactive ones too: they are refused, not unknown)."""
    return {device.mn: config_of(device) for device in session.scalars(select(Device))}


def _check_unit_overrides(raw: Mapping[str, Any]) -> dict[str, Any]:
    checked: dict[str, Any] = {}
    for code, spec in raw.items():
        try:
            factor = Decimal(str(spec["factor"]))
            unit = str(spec["unit"])
        except (KeyError, TypeError, InvalidOperation):
            raise InputError(
                f"单位换算配置错误：{code} 需要 factor 与 unit / "
                f"unit override of {code} needs a numeric factor and a unit"
            ) from None
        checked[code] = {
            "factor": str(factor),
            "unit": unit,
            "received_unit": str(spec.get("received_unit", "")),
        }
    return checked


def add_device(
    session: Session,
    mn: str,
    *,
    password: str | None,
    station_code: str | None = None,
    source_code: str | None = None,
    name: str | None = None,
    protocol: str = "auto",
    crc_mode: str = "hj212",
    parse_mode: str = "tolerant",
    code_aliases: Mapping[str, str] | None = None,
    unit_overrides: Mapping[str, Any] | None = None,
) -> Device:
    """Register a device; bad or conflicting input raises :class:`InputError`, writes nothing."""
    mn = mn.strip()
    if not mn or len(mn) > 32 or not mn.isascii() or not mn.isprintable() or ";" in mn:
        raise InputError(
            f"MN {mn!r} 无效（1–32 个可打印 ASCII 字符）/ "
            f"MN {mn!r} is invalid (1-32 printable ASCII characters)"
        )
    if crc_mode not in CRC_MODES:
        raise InputError(
            f"CRC 模式 {crc_mode!r} 未知，可选 {', '.join(CRC_MODES)} / unknown CRC mode {crc_mode!r}"
        )
    if protocol not in PROTOCOLS:
        raise InputError(
            f"协议 {protocol!r} 未知，可选 {', '.join(PROTOCOLS)} / unknown protocol {protocol!r}"
        )
    if parse_mode not in ("strict", "tolerant"):
        raise InputError(
            f"解析模式 {parse_mode!r} 未知，可选 strict, tolerant / unknown parse mode {parse_mode!r}"
        )
    if password is not None and (len(password) > 16 or ";" in password or "&" in password):
        raise InputError("密码过长或含 ; & / password too long or contains ';' or '&'")
    if session.scalar(select(Device.id).where(Device.mn == mn)) is not None:
        raise Conflict(f"设备 {mn} 已登记 / device {mn} is already registered", field="mn")
    station_id = None
    if station_code is not None:
        station_id = session.scalar(select(Station.id).where(Station.code == station_code))
        if station_id is None:
            raise NotFound(f"监测点 {station_code} 不存在 / no station with code {station_code}")
    device = Device(
        mn=mn,
        password=password or None,
        station_id=station_id,
        source_code=source_code,
        name=name,
        protocol=protocol,
        crc_mode=crc_mode,
        parse_mode=parse_mode,
        code_aliases=dict(code_aliases) if code_aliases else None,
        unit_overrides=_check_unit_overrides(unit_overrides) if unit_overrides else None,
        active=True,
    )
    session.add(device)
    session.flush()
    return device


def update_device(
    session: Session,
    mn: str,
    *,
    password: str | None = None,
    clear_password: bool = False,
    active: bool | None = None,
    crc_mode: str | None = None,
) -> Device:
    """Change a registered device (password, active, CRC variant); unknown MN → InputError.

    A running receiver applies the change within its registry refresh (10 s by default).
    """
    device = session.scalar(select(Device).where(Device.mn == mn.strip()))
    if device is None:
        raise NotFound(f"设备 {mn} 未登记 / device {mn} is not registered")
    if password is not None:
        if len(password) > 16 or ";" in password or "&" in password:
            raise InputError("密码过长或含 ; & / password too long or contains ';' or '&'")
        device.password = password
    if clear_password:
        device.password = None
    if crc_mode is not None:
        if crc_mode not in CRC_MODES:
            raise InputError(
                f"CRC 模式 {crc_mode!r} 未知，可选 {', '.join(CRC_MODES)} / "
                f"unknown CRC mode {crc_mode!r}"
            )
        device.crc_mode = crc_mode
    if active is not None:
        device.active = active
    session.flush()
    return device


@dataclass(frozen=True)
class DeviceRow:
    """A registered device as listed to a person (password hidden)."""

    mn: str
    name: str | None
    station_code: str | None
    source_code: str | None
    protocol: str
    crc_mode: str
    parse_mode: str
    has_password: bool
    active: bool


def list_devices(session: Session) -> list[DeviceRow]:
    """Every registered device, by MN, with the station code it reports for."""
    rows = session.execute(
        select(Device, Station.code)
        .outerjoin(Station, Station.id == Device.station_id)
        .order_by(Device.mn)
    )
    return [
        DeviceRow(
            mn=device.mn,
            name=device.name,
            station_code=station_code,
            source_code=device.source_code,
            protocol=device.protocol,
            crc_mode=device.crc_mode,
            parse_mode=device.parse_mode,
            has_password=bool(device.password),
            active=device.active,
        )
        for device, station_code in rows
    ]
