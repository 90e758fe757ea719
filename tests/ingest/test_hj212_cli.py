"""``lantian hj212 decode``: one JSON object per packet, from a file or stdin."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from lantian.cli import app
from tests.support.shared_data import shared_file

P1 = (
    "##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;"
    "CP=&&RtdInterval=30&&1C80"
)
N1_MODBUS = (
    "##0077QN=20170516010101001;ST=22;CN=2011;PW=123456;MN=ABCDEFG1234567;Flag=3;CP=&&&&30A5"
)
P5_PLUS_6 = (
    "##0223ST=22;CN=2011;PW=123456;MN=C037800AM2011;CP=&&DataTime=20180328235000;"
    "SO2-Rtd=19.0,SO2-Flag=N;NO2-Rtd=25.0,NO2-Flag=N;CO-Rtd=0.687,CO-Flag=N;O3-Rtd=76.0,"
    "O3-Flag=N;PM25-Rtd=75.0,PM25-Flag=N;PM10-Rtd=374.0,PM10-Flag=N&&4380"
)


def decode(args: list[str], stdin: bytes | None = None) -> tuple[int, list[dict[str, Any]]]:
    result = CliRunner().invoke(app, ["hj212", "decode", *args], input=stdin)
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result.exit_code, lines


def test_decode_stdin_prints_header_cp_and_deviations() -> None:
    code, objects = decode(["-"], (P1 + "\r\n" + P5_PLUS_6 + "\r\n").encode())
    assert code == 0 and len(objects) == 2
    first, second = objects
    assert first["ok"] is True and first["error"] is None
    assert (first["qn"], first["st"], first["cn"], first["mn"], first["flag"]) == (
        "20160801085857223",
        "32",
        "1062",
        "010000A8900016F000169DC0",
        "5",
    )
    assert first["cp"] == [["RtdInterval", "30"]] and first["version"] == "HJ 212-2017"
    assert second["ok"] is True  # tolerant by default
    assert "length_plus_6" in {d["kind"] for d in second["deviations"]}
    assert second["pollutants"]["a34004"] == {"received_code": "PM25", "Rtd": "75.0", "Flag": "N"}
    assert second["offset"] == len(P1) + 2


def test_decode_strict_reports_typed_errors() -> None:
    code, objects = decode(["--strict", "-"], (P5_PLUS_6 + "\r\n").encode())
    assert code == 0
    [result] = objects
    assert result["ok"] is False
    assert result["error"]["type"] == "LengthMismatch"
    assert result["error"]["position"] == 2 and "declared 223" in result["error"]["message_en"]


def test_decode_crc_modes_and_bare_lf_files(tmp_path: Path) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes((N1_MODBUS + "\n").encode())  # saved by an editor without CR
    _, [hj212] = decode([str(path)])
    assert hj212["ok"] is False and hj212["error"]["type"] == "CrcMismatch"
    _, [modbus] = decode(["--crc-mode", "modbus", str(path)])
    assert modbus["ok"] is True and modbus["crc"] == "30A5"
    code, _ = decode(["--crc-mode", "crc32", str(path)])
    assert code == 2
    result = CliRunner().invoke(app, ["hj212", "decode", str(tmp_path / "missing.h212")])
    assert result.exit_code != 0


def test_decode_a_captured_file() -> None:
    path = shared_file("data/hj212/captured/AllData_2016-08-24_08.h212")
    code, objects = decode([str(path)])
    assert code == 0
    outcome = Counter("ok" if o["ok"] else o["error"]["type"] for o in objects)
    # PROVENANCE §3.1: 8,621 pass, 4 fail length and CRC, 1 garbage line with NUL bytes
    assert outcome == {"ok": 8621, "LengthMismatch": 4, "Garbage": 1}
