"""The thinking step most reasoning parsers share: text up to a closing tag is thinking."""

from __future__ import annotations

from pollama.prompt.parsers._text import overlap, trailing_whitespace_len

__all__ = ["take_thinking"]


def take_thinking(buf: str, close_tag: str) -> tuple[str, str, bool]:
    """(thinking to emit now, the text that stays buffered or follows the tag, whether the tag was seen).

    Once the tag is seen, the thinking loses its trailing and the rest its leading whitespace; before that,
    trailing whitespace and a tag that may be arriving stay buffered (Ollama's thinking state)."""
    before, found, after = buf.partition(close_tag)
    if found:
        return before.rstrip(), after.lstrip(), True
    keep = len(buf) - overlap(buf, close_tag)
    keep -= trailing_whitespace_len(buf[:keep])
    return buf[:keep], buf[keep:], False
