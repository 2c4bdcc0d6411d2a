"""Turning generated token pieces into emitted text: UTF-8 completion and stop-string hold-back."""

from __future__ import annotations

__all__ = ["split_utf8", "TextStream"]


def split_utf8(buf: bytes) -> tuple[str, bytes]:
    """Decode `buf`, keeping back a trailing incomplete UTF-8 sequence; invalid bytes become U+FFFD."""
    if not buf or buf[-1] < 0x80:
        return buf.decode("utf-8", "replace"), b""
    n = len(buf)
    for back in range(1, min(4, n) + 1):
        b = buf[n - back]
        if b & 0xC0 == 0x80:  # continuation byte: keep looking for the lead byte
            continue
        need = 2 if 0xC0 <= b < 0xE0 else 3 if 0xE0 <= b < 0xF0 else 4 if 0xF0 <= b < 0xF8 else 1
        if need > back:
            return buf[: n - back].decode("utf-8", "replace"), buf[n - back:]
        break
    return buf.decode("utf-8", "replace"), b""


class TextStream:
    """Accumulates token pieces and releases text that can no longer turn into a stop string.

    `push` returns (text to emit, stopped). When a stop string appears, the text before it is returned,
    `stopped` is True and `matched` names it; text that could still be the start of a stop string is
    held back.
    """

    __slots__ = ("stops", "matched", "_tail", "_held", "_max_stop")

    def __init__(self, stops: list[str] | None = None) -> None:
        self.stops = [s for s in (stops or []) if s]
        self._max_stop = max((len(s) for s in self.stops), default=0)
        self._tail = b""
        self._held = ""
        self.matched: str | None = None

    def push(self, piece: bytes) -> tuple[str, bool]:
        text, self._tail = split_utf8(self._tail + piece) if self._tail or piece[-1:] >= b"\x80" \
            else (piece.decode("utf-8", "replace"), b"")
        if not self.stops:
            return text, False
        held = self._held + text
        cut = -1
        for s in self.stops:
            i = held.find(s)
            if i >= 0 and (cut < 0 or i < cut):
                cut, self.matched = i, s
        if cut >= 0:
            self._held = ""
            return held[:cut], True
        keep = 0
        for s in self.stops:
            for k in range(min(len(s) - 1, len(held)), keep, -1):
                if held.endswith(s[:k]):
                    keep = k
                    break
        self._held = held[len(held) - keep:] if keep else ""
        return held[: len(held) - keep], False

    def flush(self) -> str:
        """Everything still held (generation ended without a stop string)."""
        out = self._held + (self._tail.decode("utf-8", "replace") if self._tail else "")
        self._held, self._tail = "", b""
        return out
