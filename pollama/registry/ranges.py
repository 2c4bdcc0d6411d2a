"""A set of half-open byte ranges `[start, end)`, kept sorted and merged.

Records which bytes of a partial blob are already on disk, so a resumed pull fetches only the rest.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator

__all__ = ["RangeSet", "split"]


class RangeSet:
    """Sorted, disjoint, non-adjacent `[start, end)` intervals."""

    def __init__(self, spans: Iterable[tuple[int, int]] = ()) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []
        for start, end in spans:
            self.add(start, end)

    def add(self, start: int, end: int) -> None:
        if end <= start:
            return
        # every interval that overlaps or touches [start, end) is merged into it
        lo = bisect.bisect_left(self._ends, start)
        hi = bisect.bisect_right(self._starts, end)
        if lo < hi:
            start = min(start, self._starts[lo])
            end = max(end, self._ends[hi - 1])
        self._starts[lo:hi] = [start]
        self._ends[lo:hi] = [end]

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return iter(zip(self._starts, self._ends, strict=True))

    def __len__(self) -> int:
        return len(self._starts)

    def spans(self) -> list[tuple[int, int]]:
        return list(self)

    def total(self) -> int:
        return sum(e - s for s, e in self)

    def prefix(self) -> int:
        """Length of the run of bytes present from offset 0."""
        return self._ends[0] if self._starts and self._starts[0] == 0 else 0

    def missing(self, size: int) -> list[tuple[int, int]]:
        """The gaps in `[0, size)`."""
        out: list[tuple[int, int]] = []
        pos = 0
        for start, end in self:
            if start >= size:
                break
            if start > pos:
                out.append((pos, start))
            pos = max(pos, end)
        if pos < size:
            out.append((pos, size))
        return out


def split(spans: Iterable[tuple[int, int]], chunk: int) -> list[tuple[int, int]]:
    """Cut each span into pieces of at most `chunk` bytes, in order."""
    if chunk <= 0:
        raise ValueError("chunk must be positive")
    out: list[tuple[int, int]] = []
    for start, end in spans:
        for pos in range(start, end, chunk):
            out.append((pos, min(pos + chunk, end)))
    return out
