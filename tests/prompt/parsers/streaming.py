"""Helpers for parser tests: feed chunks, split text every possible way, normalise expected tool calls."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any


def feed(parser: Any, chunks: Sequence[str], done_last: bool = True) -> tuple[str, str, list[dict]]:
    """Add `chunks` in turn (done on the last one when `done_last`); the concatenated results."""
    content, thinking, calls = [], [], []
    for i, chunk in enumerate(chunks):
        c, t, tc = parser.add(chunk, done_last and i == len(chunks) - 1)
        content.append(c)
        thinking.append(t)
        calls.extend(tc)
    return "".join(content), "".join(thinking), calls


def splits(text: str) -> Iterator[list[str]]:
    """`text` cut in two at every position, then one character at a time."""
    for i in range(1, len(text)):
        yield [text[:i], text[i:]]
    yield list(text) or [""]


def calls(expected: Sequence[Mapping[str, Any]] | None) -> list[dict]:
    """Go's zero values filled in: index 0 and empty arguments unless given."""
    out = []
    for call in expected or []:
        fn = call.get("function", {})
        norm = {"function": {"index": fn.get("index", 0), "name": fn.get("name", ""),
                             "arguments": fn.get("arguments") or {}}}
        if call.get("id"):
            norm["id"] = call["id"]
        out.append(norm)
    return out
