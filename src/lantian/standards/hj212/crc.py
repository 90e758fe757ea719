"""CRC check values of HJ 212 packets (HJ 212-2017 Appendix A; same procedure in HJ/T 212-2005).

The standard calls its check "ANSI CRC16" but the normative steps implement a *non-standard*
variant: for each byte the register becomes ``(reg >> 8) ^ byte`` (the low byte of the register is
discarded) and is then shifted eight times with the reflected polynomial 0xA001.  That is not
CRC-16/MODBUS, which XORs the byte into the low byte and keeps the high byte.  Some legacy devices
do send CRC-16/MODBUS, so both are offered, selectable per device (``crc_mode``).
"""

from __future__ import annotations

from typing import Final, Literal

CrcMode = Literal["hj212", "modbus", "none"]
CRC_MODES: Final[tuple[CrcMode, ...]] = ("hj212", "modbus", "none")

_POLYNOMIAL: Final = 0xA001
_INITIAL: Final = 0xFFFF


def _shift_eight_times(register: int) -> int:
    """The eight shift/XOR steps shared by both variants (HJ 212-2017 Appendix A, steps 3-5)."""
    for _ in range(8):
        carry = register & 1
        register >>= 1
        if carry:
            register ^= _POLYNOMIAL
    return register


# One table serves both variants: entry i is eight shift steps applied to the 8-bit value i.
# Built from the normative procedure at import, so the table cannot drift from the algorithm.
_TABLE: Final[tuple[int, ...]] = tuple(_shift_eight_times(value) for value in range(256))


def crc16_hj212(data: bytes) -> int:
    """HJ 212 check value of ``data`` (the data segment bytes), HJ 212-2017 Appendix A.

    Per byte: ``reg = (reg >> 8) ^ byte`` then eight shift/XOR steps with 0xA001.  Because the
    XOR result is at most 8 bits wide, the eight steps are exactly one table lookup.
    """
    register = _INITIAL
    table = _TABLE
    for byte in data:
        register = table[(register >> 8) ^ byte]
    return register


def crc16_modbus(data: bytes) -> int:
    """Standard CRC-16/MODBUS (init 0xFFFF, reflected 0xA001), sent by some legacy devices."""
    register = _INITIAL
    table = _TABLE
    for byte in data:
        register = (register >> 8) ^ table[(register ^ byte) & 0xFF]
    return register


def compute_crc(data: bytes, mode: CrcMode = "hj212") -> int | None:
    """Check value of ``data`` under ``mode``; ``None`` for ``"none"`` (device sends no real CRC)."""
    if mode == "hj212":
        return crc16_hj212(data)
    if mode == "modbus":
        return crc16_modbus(data)
    return None


def format_crc(value: int) -> str:
    """Four upper-case hex digits, high byte first, as HJ 212-2017 Appendix A prints them."""
    return f"{value:04X}"
