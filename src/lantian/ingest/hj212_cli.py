"""``lantian hj212 …``: look at HJ 212 traffic from a file or stdin.

``decode`` cuts the bytes into frames with the same splitter the receiver uses, decodes each frame
and prints one JSON object per line: ``ok``, ``error`` (type, message, byte position, field),
the header fields, the CP items and the recorded deviations.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from lantian.errors import InputError
from lantian.standards.hj212 import (
    FrameSplitter,
    GarbageChunk,
    Hj212Error,
    ParseOptions,
    parse,
)
from lantian.standards.hj212.crc import CRC_MODES

hj212_app = typer.Typer(
    name="hj212",
    help="HJ 212 报文工具 / HJ 212 packet tools (HJ 212-2017, HJ/T 212-2005).",
    no_args_is_help=True,
)


def _read_source(source: str) -> bytes:
    if source == "-":
        return sys.stdin.buffer.read()
    path = Path(source)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(
            f"无法读取文件 {source}：{exc.strerror} / cannot read {source}: {exc.strerror}"
        ) from None


def _frames(data: bytes) -> list[tuple[int, bytes | GarbageChunk]]:
    """Frames and garbage with their byte offsets.  Files saved with bare LF line ends (no CR LF
    anywhere) are read as if each LF were CR LF, since editors often strip the CR."""
    if b"\r\n" not in data and b"\n" in data:
        data = data.replace(b"\n", b"\r\n")
    splitter = FrameSplitter()
    chunks = splitter.feed(data) + splitter.flush()
    located: list[tuple[int, bytes | GarbageChunk]] = []
    offset = 0
    for chunk in chunks:
        located.append((offset, chunk))
        offset += len(chunk) if isinstance(chunk, bytes) else len(chunk.data)
    return located


def _raw_text(frame: bytes) -> str:
    return frame.removesuffix(b"\r\n").decode("utf-8", "backslashreplace")


def _dump(obj: dict[str, Any]) -> str:
    text = json.dumps(obj, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes kept as surrogates in tolerant mode
        text = json.dumps(obj, ensure_ascii=True)
    return text


def decode_records(data: bytes, options: ParseOptions) -> list[dict[str, Any]]:
    """One JSON-ready object per frame (and per chunk of non-whitespace garbage)."""
    results: list[dict[str, Any]] = []
    for offset, chunk in _frames(data):
        if isinstance(chunk, GarbageChunk):
            if not chunk.data.strip():
                continue  # blank lines between frames
            results.append(
                {
                    "ok": False,
                    "offset": offset,
                    "raw": _raw_text(chunk.data),
                    "error": {
                        "type": "Garbage",
                        "code": chunk.reason,
                        "message_zh": "不是 HJ 212 报文的字节",
                        "message_en": f"bytes that are not an HJ 212 frame ({chunk.reason})",
                        "position": offset,
                        "field": None,
                    },
                }
            )
            continue
        result: dict[str, Any] = {"ok": True, "offset": offset, "raw": _raw_text(chunk)}
        try:
            packet = parse(chunk, options)
        except Hj212Error as error:
            result.update(ok=False, error=error.to_dict())
        else:
            result["error"] = None
            result.update(packet.to_dict())
        results.append(result)
    return results


@hj212_app.command()
def decode(
    source: str = typer.Argument("-", metavar="[FILE|-]", help="file of packets; - = stdin"),
    tolerant: bool = typer.Option(
        True,
        "--tolerant/--strict",
        help="tolerant: accept and record known real-world deviations; strict: standard only",
    ),
    crc_mode: str = typer.Option("hj212", "--crc-mode", help="hj212 | modbus | none"),
) -> None:
    """解码 HJ 212 报文 / Decode HJ 212 packets: one JSON object per packet and line."""
    if crc_mode not in CRC_MODES:
        raise typer.BadParameter(
            f"CRC 模式应为 {'/'.join(CRC_MODES)} / must be one of {', '.join(CRC_MODES)}",
            param_hint="--crc-mode",
        )
    options = ParseOptions(mode="tolerant" if tolerant else "strict", crc_mode=crc_mode)
    for result in decode_records(_read_source(source), options):
        typer.echo(_dump(result))
