"""Ollama's built-in output parsers: a model whose config names `parser` has its output split by code.

A parser turns the streamed model output into Ollama's message fields, chunk by chunk, as Ollama's
`model/parsers` (and `harmony`) do: `add(text, done)` returns `(content, thinking, tool_calls)` for what
can be decided so far; a tag split across chunks is held back until it is complete; `done=True` drains.
Tool calls are the API's dicts: `{"function": {"index": i, "name": ..., "arguments": {...}}}` (plus
`"id"` where the format carries one).

`init(tools, last_message, think)` is called once before the first `add`; it returns the tools the request
should be rendered with (most parsers return them unchanged). Each family lives in its own module and
registers its names with `register`; `parser_for(name)` builds a fresh parser (None for an unknown name).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from pollama.prompt._registry import Registry

__all__ = ["Parser", "ParseError", "register", "parser_for", "parser_names", "ToolCall", "Think"]

Think = bool | str | None
ToolCall = dict[str, Any]


class ParseError(ValueError):
    """Output the parser cannot make sense of (Ollama ends the stream with the error text)."""


class Parser(Protocol):
    has_tool_support: bool
    has_thinking_support: bool

    def init(self, tools: Sequence[Mapping[str, Any]] | None, last_message: Mapping[str, Any] | None,
             think: Think) -> Sequence[Mapping[str, Any]] | None: ...

    def add(self, text: str, done: bool) -> tuple[str, str, list[ToolCall]]: ...


_REGISTRY: Registry[Parser] = Registry(__name__, __path__)


def register(name: str, factory: Callable[[], Parser]) -> None:
    _REGISTRY.register(name, factory)


def parser_for(name: str) -> Parser | None:
    return _REGISTRY.build(name)


def parser_names() -> list[str]:
    return _REGISTRY.names()
