"""Ollama's built-in renderers: a model whose config names `renderer` gets its prompt from code, not a template.

A renderer turns (messages, tools, think) into the prompt string, byte for byte as Ollama's
`model/renderers` does. Data comes as the API carries it: messages and tools are the request's dicts
(`tool_calls[].function.arguments` is a dict in the order the client sent it), `think` is None, a bool
or a level string ("low", "medium", "high", "max").

Each family lives in its own module and registers its names with `register`; `renderer_for(name)` builds
a fresh renderer (None for an unknown name), `RENDERERS` lists every known name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from pollama.prompt._registry import Registry

__all__ = ["Renderer", "RenderError", "register", "renderer_for", "render", "renderer_names", "Think"]

Think = bool | str | None
Message = Mapping[str, Any]
Tool = Mapping[str, Any]


class RenderError(ValueError):
    """A request the renderer cannot turn into a prompt (Ollama answers 400 with the text)."""


class Renderer(Protocol):
    def render(self, messages: Sequence[Message], tools: Sequence[Tool] | None, think: Think) -> str: ...

    @property
    def leading_bos(self) -> str:
        """Text the renderer expects the tokenizer to add in front (Ollama's LeadingBOS); usually ""."""
        ...


_REGISTRY: Registry[Renderer] = Registry(__name__, __path__)


def register(name: str, factory: Callable[[], Renderer]) -> None:
    _REGISTRY.register(name, factory)


def renderer_for(name: str) -> Renderer | None:
    return _REGISTRY.build(name)


def renderer_names() -> list[str]:
    return _REGISTRY.names()


def render(name: str, messages: Sequence[Message], tools: Sequence[Tool] | None, think: Think) -> str:
    renderer = renderer_for(name)
    if renderer is None:
        raise RenderError(f"unknown renderer {name!r}")
    return renderer.render(messages, tools, think)
