"""Output parsing: the model's raw text, as the runner streams it, split into thinking, answer text and
tool calls, across any chunk boundary.

`output_parser` is the one place a model's parser is chosen; today the one its template implies
(thinking tags, the template's tool-call format). A model's built-in parser (pollama.prompt.parsers,
named by its config) belongs there too.
"""

from __future__ import annotations

from typing import Any, Protocol

from pollama.inference.events import Delta
from pollama.prompt.thinking import ThinkingParser, thinking_tags
from pollama.prompt.tools import ToolCallParser
from pollama.store import Model

__all__ = ["OutputParser", "TemplateParser", "output_parser"]


class OutputParser(Protocol):
    """Splits one generation's text. `grammar_trigger`: where a `format` grammar starts to apply (after
    the thinking block), None when from the start."""

    grammar_trigger: str | None

    def add(self, text: str) -> Delta:
        """What can be told apart so far; text that may be part of a tag is held back."""
        ...

    def finish(self) -> Delta:
        """Everything held back, at the end of the generation."""
        ...


class TemplateParser:
    """Thinking between the tags the template uses, tool calls in the form the template writes them."""

    def __init__(self, model: Model, thinking: bool, prompt: str, tools: list[dict[str, Any]] | None) -> None:
        template = model.template or model.chat_template or ""
        self.thinking: ThinkingParser | None = None
        self.tools = ToolCallParser(template, tools) if tools else None
        self.grammar_trigger: str | None = None
        if thinking:
            tags = thinking_tags(template) or ("<think>", "</think>")
            self.thinking = ThinkingParser(*tags)
            if prompt.rstrip().endswith(tags[0]):  # the template opened the thinking block already
                self.thinking.add(tags[0])
            self.grammar_trigger = tags[1]

    def add(self, text: str) -> Delta:
        thinking, content = self.thinking.add(text) if self.thinking else ("", text)
        calls: list[dict[str, Any]] = []
        if self.tools and content:
            content, calls = self.tools.add(content)
        return Delta(content, thinking, calls)

    def finish(self) -> Delta:
        thinking, content = self.thinking.finish() if self.thinking else ("", "")
        calls: list[dict[str, Any]] = []
        if self.tools:
            if content:
                content, calls = self.tools.add(content)
            more, more_calls = self.tools.finish()
            content += more
            calls += more_calls
        return Delta(content, thinking, calls)


def output_parser(model: Model, thinking: bool, prompt: str,
                  tools: list[dict[str, Any]] | None) -> OutputParser:
    """The parser for one generation of `model` from `prompt` (thinking enabled or not, with `tools`)."""
    return TemplateParser(model, thinking, prompt, tools)
