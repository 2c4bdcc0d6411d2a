"""String helpers the streaming parsers share (Ollama's parsers.go helpers)."""

from __future__ import annotations

__all__ = ["overlap", "trailing_whitespace_len", "split_at_tag"]


def overlap(s: str, delim: str) -> int:
    """Length of the longest suffix of `s` that is a prefix of `delim` (a tag that may be arriving)."""
    for i in range(min(len(delim), len(s)), 0, -1):
        if s.endswith(delim[:i]):
            return i
    return 0


def trailing_whitespace_len(s: str) -> int:
    return len(s) - len(s.rstrip())


def split_at_tag(buf: str, tag: str, trim_after: bool) -> tuple[str, str]:
    """(text before `tag` with trailing space trimmed, the rest); the rest is what stays buffered.

    Without the tag: (buf, "") and nothing stays buffered."""
    before, found, after = buf.partition(tag)
    if not found:
        return buf, ""
    return before.rstrip(), after.lstrip() if trim_after else after
