"""Cut a byte stream (TCP) into HJ 212 frames.

A frame starts with ``##`` followed by four length digits and ends with CR LF (HJ 212-2017
通讯包结构组成, spec §5.1).  Bytes that cannot belong to a frame are handed back as :class:`GarbageChunk`
and the splitter resynchronises on the next ``##``.  The frame size is bounded so a peer that
never sends CR LF cannot make the buffer grow without limit.  Nothing is lost: the frames and
garbage chunks, concatenated, are exactly the bytes fed.

The data length field is deliberately not used to find the end of a frame: 2005-era devices
declare +6 (spec §5.1) and corrupt packets declare anything; CR LF is the reliable delimiter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

#: Standard maximum frame: 2 + 4 + 1024 + 4 + 2 bytes (HJ 212-2017 通讯包结构组成).
STANDARD_MAX_FRAME: Final = 1036
#: Default bound: generous, because some devices send over-long segments (spec §5.1).
DEFAULT_MAX_FRAME: Final = 4096

_DIGITS: Final = frozenset(b"0123456789")

GarbageReason = Literal["no_header", "bad_header", "oversize", "end_of_stream"]


@dataclass(frozen=True, slots=True)
class GarbageChunk:
    """Bytes that are not part of any frame, and why they were dropped."""

    data: bytes
    reason: GarbageReason


class FrameSplitter:
    """Incremental splitter: ``feed(bytes) -> [frame | GarbageChunk, ...]``.

    Each frame is returned as ``bytes`` including its CR LF, ready for
    :func:`~lantian.standards.hj212.parse`.  Usable from an asyncio protocol's
    ``data_received``; call :meth:`flush` when the connection closes.
    """

    def __init__(self, max_frame_size: int = DEFAULT_MAX_FRAME) -> None:
        if max_frame_size < 12:
            raise ValueError("max_frame_size must allow at least '##LLLLCCCC\\r\\n' (12 bytes)")
        self.max_frame_size = max_frame_size
        self._buffer = bytearray()
        # Offset from which to continue looking for CR LF in the current candidate frame, so
        # feeding a long frame byte by byte stays linear.
        self._scan_from = 0

    @property
    def buffered(self) -> int:
        """Number of bytes held back waiting for the rest of a frame."""
        return len(self._buffer)

    def feed(self, data: bytes | bytearray | memoryview) -> list[bytes | GarbageChunk]:
        self._buffer += data
        out: list[bytes | GarbageChunk] = []
        buffer = self._buffer
        while buffer:
            start = buffer.find(b"##")
            if start < 0:
                # Keep a trailing '#': it may be the first half of the next header.
                keep = 1 if buffer.endswith(b"#") else 0
                if len(buffer) > keep:
                    out.append(GarbageChunk(bytes(buffer[: len(buffer) - keep]), "no_header"))
                    del buffer[: len(buffer) - keep]
                    self._scan_from = 0
                break
            if start > 0:
                out.append(GarbageChunk(bytes(buffer[:start]), "no_header"))
                del buffer[:start]
                self._scan_from = 0
                continue
            if any(byte not in _DIGITS for byte in buffer[2:6]):
                self._drop_candidate(out, "bad_header")
                continue
            if len(buffer) < 6:
                break
            end = buffer.find(b"\r\n", max(6, self._scan_from))
            if end < 0:
                if len(buffer) >= self.max_frame_size:
                    self._drop_candidate(out, "oversize")
                    continue
                self._scan_from = max(6, len(buffer) - 1)
                break
            if end + 2 > self.max_frame_size:
                self._drop_candidate(out, "oversize")
                continue
            out.append(bytes(buffer[: end + 2]))
            del buffer[: end + 2]
            self._scan_from = 0
        return out

    def flush(self) -> list[bytes | GarbageChunk]:
        """End of stream: whatever is buffered can no longer become a frame."""
        if not self._buffer:
            return []
        chunk = GarbageChunk(bytes(self._buffer), "end_of_stream")
        self._buffer.clear()
        self._scan_from = 0
        return [chunk]

    def _drop_candidate(self, out: list[bytes | GarbageChunk], reason: GarbageReason) -> None:
        """Discard the candidate at the buffer start up to the next ``##`` (resynchronise)."""
        buffer = self._buffer
        limit = min(len(buffer), self.max_frame_size)
        next_header = buffer.find(b"##", 1, limit + 1)
        if next_header < 0:
            next_header = limit
            if buffer[limit - 1 : limit] == b"#":
                next_header = limit - 1  # may start the next header
            next_header = max(next_header, 1)
        out.append(GarbageChunk(bytes(buffer[:next_header]), reason))
        del buffer[:next_header]
        self._scan_from = 0
