"""Decode many HJ 212 frames at once into a columnar table (HJ 212-2017 §6, Tables 3 and 4).

:func:`decode_batch` gives, for a list of frames, one row per frame: the verdict (decoded or the
error :func:`~lantian.standards.hj212.parse` raises), the header fields of Table 3, the CP items
of the data area in order (with their group), the code map and the deviations (kind, field,
byte position).  Each row is exactly :func:`packet_row` of what ``parse`` gives for that frame,
with the same options; ``tests/standards/test_hj212_batch.py`` holds the two together over every
captured frame.

Why: ``parse`` builds Python objects item by item, about 25 µs a packet.  Here the work per byte
and per item is done column-wise:

* the Appendix A CRC runs over all frames together with NumPy, one table lookup per byte
  position for every frame still that long (the register is a pure function of
  ``(reg >> 8) ^ byte``, so the 256-entry table of :mod:`~lantian.standards.hj212.crc` applies);
* the data segments are split into header, groups and items by Polars;
* what depends on repeated text only — the verdicts on a header (without its QN), on a CP key,
  on a DataTime value, on a pollutant code — is decided once per distinct text by the careful
  parser's own checks and joined back.

Frames that are not plain (not ASCII, length or CRC wrong, a malformed item, an invalid QN, unit
overrides or explicit aliases configured, strict mode …) are decoded by ``parse`` one by one,
so every verdict and message stays the careful parser's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import numpy as np
import polars as pl

from lantian.standards.hj212.codec import (
    _HEADER_CACHE_LIMIT,
    _KEY_FLAG,
    _KEY_NUMERIC,
    _KEY_PLAIN,
    _KEY_TIME,
    STRICT,
    ParseOptions,
    _FastParser,
    _header_memo,
    _is_timestamp,
    _key_kind,
    _parse_bytes,
    _remember,
    _time_ok,
    _to_bytes,
)
from lantian.standards.hj212.codes import DEFAULT_CODE_ALIASES
from lantian.standards.hj212.crc import _TABLE, crc16_modbus
from lantian.standards.hj212.errors import Hj212Error
from lantian.standards.hj212.model import Deviation, DeviationKind, Packet, ProtocolVersion

_DEVIATION = pl.Struct({"kind": pl.String, "field": pl.String, "position": pl.Int64})
_ITEM = pl.Struct({"group": pl.Int32, "key": pl.String, "value": pl.String})
_MAPPED = pl.Struct({"received": pl.String, "standard": pl.String})

#: Columns of :func:`decode_batch`, in order.
_COLUMN_TYPES: Final[dict[str, pl.DataType]] = {
    "frame": pl.Int64(),
    "ok": pl.Boolean(),
    "error": pl.String(),
    "qn": pl.String(),
    "st": pl.String(),
    "cn": pl.String(),
    "pw": pl.String(),
    "mn": pl.String(),
    "flag": pl.String(),
    "pnum": pl.String(),
    "pno": pl.String(),
    "crc": pl.String(),
    "data_time": pl.String(),
    "deviations": pl.List(_DEVIATION),
    "items": pl.List(_ITEM),
    "code_map": pl.List(_MAPPED),
}
SCHEMA: Final = pl.Schema(_COLUMN_TYPES)
_HEADER_COLUMNS: Final = ("qn", "st", "cn", "pw", "mn", "flag", "pnum", "pno")
_NUMBER_REGEX: Final = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$"  # model.NUMBER_PATTERN, ASCII
_CRC_TABLE: Final = np.array(_TABLE, dtype=np.uint16)
_UPPER_HEX: Final = np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8).astype(np.int64)
_IS_HEX: Final = np.zeros(256, dtype=bool)
_IS_HEX[np.frombuffer(b"0123456789abcdefABCDEF", dtype=np.uint8)] = True


def packet_row(index: int, outcome: Packet | Hj212Error) -> dict[str, object]:
    """The row of :func:`decode_batch` for one frame's ``parse`` outcome."""
    if isinstance(outcome, Hj212Error):
        row: dict[str, object] = dict.fromkeys(SCHEMA.names())
        row.update(
            frame=index,
            ok=False,
            error=f"{type(outcome).__name__}: {outcome}",
            deviations=[],
            items=[],
            code_map=[],
        )
        return row
    packet = outcome
    return {
        "frame": index,
        "ok": True,
        "error": None,
        **{name: getattr(packet, name) for name in _HEADER_COLUMNS},
        "crc": packet.crc,
        "data_time": packet.cp.get("DataTime"),
        "deviations": [_deviation(d) for d in packet.deviations],
        "items": [
            {"group": group, "key": item.key, "value": item.value}
            for group, items in enumerate(packet.cp.groups)
            for item in items
        ],
        "code_map": [{"received": r, "standard": s} for r, s in packet.code_map],
    }


def _deviation(deviation: Deviation) -> dict[str, object]:
    return {"kind": deviation.kind.value, "field": deviation.field, "position": deviation.position}


def crc16_hj212_batch(segments: Sequence[bytes]) -> np.ndarray[tuple[int], np.dtype[np.uint16]]:
    """HJ 212-2017 Appendix A check values of many data segments at once."""
    lengths = np.fromiter((len(s) for s in segments), dtype=np.int64, count=len(segments))
    starts = np.zeros(len(segments), dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    return _crc_rows(np.frombuffer(b"".join(segments), dtype=np.uint8), starts, lengths)


def _crc_rows(
    data: np.ndarray[tuple[int], np.dtype[np.uint8]],
    starts: np.ndarray[tuple[int], np.dtype[np.int64]],
    lengths: np.ndarray[tuple[int], np.dtype[np.int64]],
) -> np.ndarray[tuple[int], np.dtype[np.uint16]]:
    """Appendix A CRC of ``data[starts[i] : starts[i] + lengths[i]]`` for every ``i``.

    Rows are taken longest first, so at byte position ``j`` the rows still running are a prefix
    of that order and one vectorised table step serves them all.
    """
    count = len(starts)
    order = np.argsort(-lengths, kind="stable")
    sorted_starts, sorted_lengths = starts[order], lengths[order]
    register = np.full(count, 0xFFFF, dtype=np.uint16)
    # Rows longer than j, for every j: how many of the (descending) lengths exceed j.
    running = np.searchsorted(-sorted_lengths, -np.arange(int(sorted_lengths.max(initial=0))))
    for position, active in enumerate(running.tolist()):
        byte = data[sorted_starts[:active] + position]
        register[:active] = _CRC_TABLE[(register[:active] >> 8) ^ byte]
    out = np.empty(count, dtype=np.uint16)
    out[order] = register
    return out


def _plain_frames(
    raw: Sequence[bytes], options: ParseOptions
) -> tuple[list[int], list[str], list[str]]:
    """Frames with the plain layout, length and CRC (HJ 212-2017 通讯包结构组成, Appendix A).

    The checks of the fast path of ``parse``, column-wise over all frames: ``##``, four length
    digits equal to the segment length, at most ``max_segment_length``, ASCII, no CR LF inside,
    the CRC in upper-case hex equal to the computed one.  Returns their indexes, segment texts
    and CRC texts; every other frame is left to ``parse``.
    """
    count = len(raw)
    joined = b"".join(raw)
    blob = np.frombuffer(joined, dtype=np.uint8)
    if count == 0 or len(blob) == 0:
        return [], [], []
    lengths = np.fromiter(map(len, raw), dtype=np.int64, count=count)
    starts = np.zeros(count, dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    last = len(blob) - 1

    def at(
        offsets: np.ndarray[tuple[int], np.dtype[np.int64]],
    ) -> np.ndarray[tuple[int], np.dtype[np.int64]]:
        # Out-of-frame offsets read some byte; the frames concerned fail a length test anyway.
        return blob[np.clip(offsets, 0, last)].astype(np.int64)

    crlf = (lengths >= 2) & (at(starts + lengths - 2) == 13) & (at(starts + lengths - 1) == 10)
    data_length = lengths - 2 * crlf
    segment_length = data_length - 10
    ok = (data_length >= 10) & (at(starts) == 35) & (at(starts + 1) == 35)
    declared = np.zeros(count, dtype=np.int64)
    for place in range(4):
        digit = at(starts + 2 + place) - 48
        ok &= (digit >= 0) & (digit <= 9)
        declared = declared * 10 + digit
    ok &= (declared == segment_length) & (segment_length <= options.max_segment_length)
    # Not ASCII: a byte >= 0x80 anywhere in the frame (outside the segment only digits, "##",
    # CRC and CR LF can be, and those are checked to be ASCII too).
    owner = np.searchsorted(starts, np.flatnonzero(blob >= 0x80), side="right") - 1
    ok[owner] = False
    # CR LF inside the data segment.
    cr = np.flatnonzero((blob[:-1] == 13) & (blob[1:] == 10))
    owner = np.searchsorted(starts, cr, side="right") - 1
    segment_start = starts + 6
    inside = (cr >= segment_start[owner]) & (cr + 2 <= segment_start[owner] + segment_length[owner])
    ok[owner[inside]] = False
    crc_start = segment_start + segment_length
    declared_crc = [at(crc_start + place) for place in range(4)]
    if options.crc_mode == "none":
        for digit in declared_crc:
            ok &= _IS_HEX[np.clip(digit, 0, 255)]
    else:
        plain = np.flatnonzero(ok)
        if options.crc_mode == "hj212":
            computed = _crc_rows(blob, segment_start[plain], segment_length[plain])
        else:
            computed = np.array(
                [crc16_modbus(joined[segment_start[i] : crc_start[i]]) for i in plain.tolist()],
                dtype=np.uint16,
            ).reshape(-1)
        expected = np.zeros(count, dtype=np.int64)
        expected[plain] = computed
        for place, digit in enumerate(declared_crc):
            ok &= _UPPER_HEX[(expected >> (12 - 4 * place)) & 15] == digit
    indexes = np.flatnonzero(ok).tolist()
    seg_starts, crc_starts = segment_start.tolist(), crc_start.tolist()
    texts = [joined[seg_starts[i] : crc_starts[i]].decode("ascii") for i in indexes]
    crcs = [joined[crc_starts[i] : crc_starts[i] + 4].decode("ascii") for i in indexes]
    return indexes, texts, crcs


def decode_batch(
    frames: Sequence[bytes | bytearray | memoryview | str], options: ParseOptions = STRICT
) -> pl.DataFrame:
    """One row per frame (:data:`SCHEMA`), each equal to ``packet_row(i, parse(frame))``."""
    raw = [frame if type(frame) is bytes else _to_bytes(frame) for frame in frames]
    done: pl.DataFrame | None = None
    taken: set[int] = set()
    if options.tolerant and not options.unit_overrides and options.code_aliases is None:
        indexes, texts, crcs = _plain_frames(raw, options)
        if indexes:
            done = _column_wise(indexes, texts, crcs, options)
            taken = set(done["frame"].to_list())
    rows: list[dict[str, object]] = []
    for index, frame in enumerate(raw):
        if index not in taken:
            try:
                outcome: Packet | Hj212Error = _parse_bytes(frame, options)
            except Hj212Error as error:
                outcome = error
            rows.append(packet_row(index, outcome))
    table = pl.DataFrame(rows, schema=SCHEMA)
    if done is not None:
        table = pl.concat([table, done.select(SCHEMA.names())]).sort("frame")
    return table


def _column_wise(
    indexes: list[int], texts: list[str], crcs: list[str], options: ParseOptions
) -> pl.DataFrame:
    """Rows of the plain frames that need no careful decision; the others are left out."""
    frames = pl.DataFrame(
        {"frame": indexes, "text": texts, "crc": crcs},
        schema={"frame": pl.Int64, "text": pl.String, "crc": pl.String},
    )
    cp = pl.col("text").str.find("CP=&&", literal=True)
    frames = frames.with_columns(cp.alias("cp")).filter(
        (pl.col("cp") > 0)
        & (pl.col("text").str.slice(pl.col("cp") - 1, 1) == ";")
        & (pl.col("text").str.len_bytes() >= pl.col("cp") + 7)
        & pl.col("text").str.ends_with("&&")
    )
    header_text = pl.col("text").str.slice(0, pl.col("cp"))
    front = (
        header_text.str.starts_with("QN=")
        & (header_text.str.slice(20, 1) == ";")
        & ~header_text.str.slice(3, 17).str.contains(";", literal=True)
    )
    frames = frames.with_columns(
        header_text.alias("header_text"),
        front.alias("front"),
        pl.when(front).then(header_text.str.slice(3, 17)).alias("front_qn"),
        pl.when(front).then(header_text.str.slice(21)).otherwise(header_text).alias("rest"),
        pl.col("text")
        .str.slice(pl.col("cp") + 5, pl.col("text").str.len_bytes() - pl.col("cp") - 7)
        .alias("area"),
    )
    # A QN in front must be a valid time: an invalid one names itself in its deviation.
    qn_valid = {
        qn: _is_timestamp(qn, with_millis=True)
        for qn in frames["front_qn"].drop_nulls().unique().to_list()
    }
    frames = frames.with_columns(
        pl.col("front_qn").replace_strict(qn_valid, default=None, return_dtype=pl.Boolean)
    ).filter(~pl.col("front") | pl.col("front_qn"))

    headers = _headers(frames.select("front", "rest", "header_text"), options)
    frames = frames.join(headers, on=["front", "rest"], how="inner")
    frames = frames.with_columns(
        pl.when(pl.col("front"))
        .then(pl.col("header_text").str.slice(3, 17))
        .otherwise(pl.col("qn_memo"))
        .alias("qn")
    )

    items = _items(frames.select("frame", "cp", "area", "is_2005"), options)
    bad_frames = set(items.filter(~pl.col("clean"))["frame"].unique().to_list())
    frames = frames.filter(~pl.col("frame").is_in(list(bad_frames)))
    items = items.filter(~pl.col("frame").is_in(list(bad_frames)))

    per_frame = (
        items.sort("item")
        .group_by("frame", maintain_order=True)
        .agg(
            pl.struct(pl.col("group").cast(pl.Int32), "key", "value").alias("items"),
            pl.col("value").filter(pl.col("key") == "DataTime").first().alias("data_time"),
            pl.struct(received=pl.col("code"), standard=pl.col("standard"))
            .filter(pl.col("first_of_code") & (pl.col("code") != pl.col("standard")))
            .alias("code_map"),
        )
    )
    # Deviations in the careful parser's order: the header's, then the items' in item order.
    # (Gathered as rows and listed once: concatenating list columns is much slower.)
    deviations = (
        pl.concat(
            [
                frames.select(
                    "frame",
                    pl.lit(-1, dtype=pl.Int64).alias("item"),
                    pl.col("header_deviations").alias("deviation"),
                )
                .explode("deviation")
                .drop_nulls("deviation"),
                items.filter(pl.col("deviation").is_not_null()).select(
                    "frame", pl.col("item").cast(pl.Int64), pl.col("deviation").cast(_DEVIATION)
                ),
            ]
        )
        .sort("frame", "item")
        .group_by("frame", maintain_order=True)
        .agg(pl.col("deviation").alias("deviations"))
    )
    table = (
        frames.join(per_frame, on="frame", how="left")
        .join(deviations, on="frame", how="left")
        .with_columns(
            pl.lit(True).alias("ok"),
            pl.lit(None, dtype=pl.String).alias("error"),
            pl.col("deviations").fill_null(pl.lit([], dtype=pl.List(_DEVIATION))),
            pl.col("items").fill_null(pl.lit([], dtype=pl.List(_ITEM))),
            pl.col("code_map").fill_null(pl.lit([], dtype=pl.List(_MAPPED))),
        )
    )
    return table.select(SCHEMA.names())


# The row of each header memo entry, for the join (bounded like the memo itself).
_header_rows: dict[tuple[bool, bool, bool, str], dict[str, object] | None] = {}


def _header_row(
    memo_key: tuple[bool, bool, bool, str], header_text: str, options: ParseOptions
) -> dict[str, object] | None:
    entry = _header_memo.get(memo_key)
    if entry is None:
        scratch = _FastParser(options)
        try:
            header, order = scratch.header_packet(header_text, None)
        except Hj212Error:
            return None
        entry = _remember(
            _header_memo,
            memo_key,
            (header, order, tuple(scratch.deviations)),
            _HEADER_CACHE_LIMIT,
        )
    header, order, deviations = entry
    row: dict[str, object] | None = None
    if order is None and not header.extra_header:  # else rare: no column for them here
        row = {
            "front": memo_key[1],
            "rest": memo_key[3],
            "qn_memo": header.qn,
            **{name: getattr(header, name) for name in _HEADER_COLUMNS if name != "qn"},
            "is_2005": header.version is ProtocolVersion.HJT212_2005,
            "header_deviations": [_deviation(d) for d in deviations],
        }
    return _remember(_header_rows, memo_key, row, _HEADER_CACHE_LIMIT)


def _headers(frames: pl.DataFrame, options: ParseOptions) -> pl.DataFrame:
    """Each distinct header (its QN cut off when in front): fields, order, deviations.

    Decided by the careful parser's header checks (HJ 212-2017 Table 3), through the memo the
    fast path of ``parse`` shares; headers it rejects or leaves in another order than Table 3's
    are left to ``parse``.
    """
    rows: list[dict[str, object]] = []
    tolerant = options.tolerant
    for front, rest, header_text in (
        frames.unique(["front", "rest"], keep="first").select("front", "rest", "header_text")
    ).iter_rows():
        memo_key = (tolerant, front, front, rest)  # a QN in front is valid here
        row = _header_rows.get(memo_key)
        if row is None:
            row = _header_row(memo_key, header_text, options)
            if row is None:
                continue
        rows.append(row)
    schema: dict[str, pl.DataType] = {
        "front": pl.Boolean(),
        "rest": pl.String(),
        "qn_memo": pl.String(),
        **{name: pl.String() for name in _HEADER_COLUMNS if name != "qn"},
        "is_2005": pl.Boolean(),
        "header_deviations": pl.List(_DEVIATION),
    }
    return pl.DataFrame(rows, schema=schema)


def _items(frames: pl.DataFrame, options: ParseOptions) -> pl.DataFrame:
    """One row per CP item (HJ 212-2017 Table 4): key, value, checks, code and deviation.

    Rows stay in frame and item order throughout (explode keeps it), so positions come from
    running sums over the whole column rather than from per-frame windows.
    """
    frames = frames.filter(pl.col("area") != "").with_columns(
        pl.col("area").str.split(";").alias("group_text")
    )
    area_span = pl.col("area").str.len_bytes() + 1  # the items and their separators
    group_count = pl.col("group_text").list.len()
    frames = frames.with_columns(
        (area_span.cum_sum() - area_span).alias("area_base"),
        (group_count.cum_sum() - group_count).alias("group_base"),
    )
    groups = frames.explode("group_text").with_columns(
        (pl.int_range(pl.len()) - pl.col("group_base")).alias("group"),
        pl.col("group_text").str.split(",").alias("item_text"),
    )
    span = pl.col("item_text").str.len_bytes() + 1
    equals = pl.col("item_text").str.find("=", literal=True)
    items = (
        groups.explode("item_text")
        .with_columns(pl.int_range(pl.len()).alias("item"), equals.alias("equals"))
        .with_columns(
            (pl.col("cp") + 5 + span.cum_sum() - span - pl.col("area_base")).alias("index"),
            pl.col("item_text").str.slice(0, pl.col("equals")).alias("key"),
            pl.col("item_text").str.slice(pl.col("equals") + 1).alias("value"),
        )
    )
    keys = [key for key in items["key"].unique().to_list() if key]
    kinds = [_key_kind(key) for key in keys]
    codes = sorted({code for code, _ in kinds if code is not None})
    code_ids = {code: number for number, code in enumerate(codes)}
    key_table = pl.DataFrame(
        {
            "key": keys,
            "code": [code for code, _ in kinds],
            "code_id": [None if code is None else code_ids[code] for code, _ in kinds],
            "check": [check for _, check in kinds],
        },
        schema={"key": pl.String, "code": pl.String, "code_id": pl.Int64, "check": pl.Int64},
    )
    # Joins do not keep row order: item order is restored before anything depends on it.
    items = items.join(key_table, on="key", how="left").sort("item")
    times = items.filter(pl.col("check") == _KEY_TIME)["value"].unique().to_list()
    time_ok = {value: _time_ok(value) for value in times}
    check = pl.col("check")
    value = pl.col("value")
    time_good = value.replace_strict(time_ok, default=False, return_dtype=pl.Boolean)
    frame_code = pl.col("frame") * (len(codes) + 1) + pl.col("code_id")
    items = items.with_columns(
        (
            pl.col("equals").is_not_null()
            & (pl.col("key") != "")
            & (
                (check == _KEY_PLAIN)
                | (check == _KEY_TIME)
                | ((check == _KEY_NUMERIC) & value.str.contains(_NUMBER_REGEX))
                | ((check == _KEY_FLAG) & value.str.contains(r"^[A-Za-z]$"))
            )
        ).alias("clean"),
        ((check == _KEY_TIME) & ~time_good).alias("time_bad"),
        (pl.col("code_id").is_not_null() & frame_code.is_first_distinct()).alias("first_of_code"),
    )
    # Code mapping (2005 codes, default aliases), once per (code, edition).
    aliases: Mapping[str, str] = DEFAULT_CODE_ALIASES if options.tolerant else {}
    pairs = items.filter(pl.col("first_of_code")).select("code", "is_2005").unique().rows()
    mapped: dict[str, list[object]] = {"code": [], "is_2005": [], "standard": [], "map_kind": []}
    for code, is_2005 in pairs:
        scratch = _FastParser(options)
        standard = scratch.map_code(code, aliases, False, is_2005, 0)
        mapped["code"].append(code)
        mapped["is_2005"].append(is_2005)
        mapped["standard"].append(standard)
        mapped["map_kind"].append(scratch.deviations[0].kind.value if scratch.deviations else None)
    mapping = pl.DataFrame(
        mapped,
        schema={
            "code": pl.String,
            "is_2005": pl.Boolean,
            "standard": pl.String,
            "map_kind": pl.String,
        },
    )
    items = items.join(mapping, on=["code", "is_2005"], how="left")
    position = pl.col("index") + 6  # ASCII text: characters are bytes
    deviation = (
        pl.when(pl.col("time_bad"))
        .then(
            pl.struct(
                kind=pl.lit(DeviationKind.TIME_FORMAT.value),
                field=pl.col("key"),
                position=position,
            )
        )
        .when(pl.col("first_of_code") & pl.col("map_kind").is_not_null())
        .then(pl.struct(kind=pl.col("map_kind"), field=pl.col("code"), position=position))
    )
    return items.with_columns(deviation.alias("deviation")).select(
        "frame",
        "item",
        "group",
        "key",
        "value",
        "code",
        "standard",
        "first_of_code",
        "clean",
        "deviation",
    )
