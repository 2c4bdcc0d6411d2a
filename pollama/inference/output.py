"""Output parsing: the model's raw text, as the runner streams it, split into thinking, answer text and
tool calls, across any chunk boundary.

`output_parser` is the one place a model's parser is chosen: its built-in parser (pollama.prompt.parsers,
named by its config's `parser`, or `harmony` for a gpt-oss model as Ollama's shouldUseHarmony decides),
else the one its template implies (thinking tags, the template's tool-call format).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from pollama.api.errors import APIError
from pollama.api.types import Think
from pollama.inference.events import Delta
from pollama.prompt.parsers import ParseError, Parser, parser_for
from pollama.prompt.thinking import ThinkingParser, thinking_tags
from pollama.prompt.tools import ToolCallParser
from pollama.store import Model

__all__ = ["OutputParser", "TemplateParser", "BuiltinParser", "uses_harmony", "parser_name", "output_parser"]

Tools = list[dict[str, Any]] | None

# Where a parser family's thinking ends, for a `format` grammar to start after it ("</think>" elsewhere).
_THINKING_END = {"cohere": "<|END_THINKING|>", "gemma4": "<channel|>"}
# Families whose answer always comes in a message of its own: the grammar starts after that header.
_ANSWER_HEADER = {"harmony": "<|channel|>final<|message|>", "glimmer": " to=user<|message|>"}


class OutputParser(Protocol):
    """Splits one generation's text. `grammar_trigger`: where a `format` grammar starts to apply (after
    the thinking block), None when from the start. `tools`: the tools to render the prompt with."""

    grammar_trigger: str | None

    @property
    def tools(self) -> Sequence[Mapping[str, Any]] | None: ...

    def begin(self, prompt: str) -> None:
        """The prompt the generation continues, rendered with `tools` (the parser's own names for them)."""
        ...

    def add(self, text: str) -> Delta:
        """What can be told apart so far; text that may be part of a tag is held back."""
        ...

    def finish(self) -> Delta:
        """Everything held back, at the end of the generation."""
        ...


class TemplateParser:
    """Thinking between the tags the template uses, tool calls in the form the template writes them."""

    def __init__(self, model: Model, thinking: bool, tools: Tools) -> None:
        template = model.template or model.chat_template or ""
        self.tools = tools
        self.thinking: ThinkingParser | None = None
        self.calls = ToolCallParser(template, tools) if tools else None
        self.grammar_trigger: str | None = None
        self.tags = (thinking_tags(template) or ("<think>", "</think>")) if thinking else None
        if self.tags:
            self.thinking = ThinkingParser(*self.tags)
            self.grammar_trigger = self.tags[1]

    def begin(self, prompt: str) -> None:
        if self.thinking and self.tags and prompt.rstrip().endswith(self.tags[0]):
            self.thinking.add(self.tags[0])  # the template opened the thinking block already

    def add(self, text: str) -> Delta:
        thinking, content = self.thinking.add(text) if self.thinking else ("", text)
        calls: list[dict[str, Any]] = []
        if self.calls and content:
            content, calls = self.calls.add(content)
        return Delta(content, thinking, calls)

    def finish(self) -> Delta:
        thinking, content = self.thinking.finish() if self.thinking else ("", "")
        calls: list[dict[str, Any]] = []
        if self.calls:
            if content:
                content, calls = self.calls.add(content)
            more, more_calls = self.calls.finish()
            content += more
            calls += more_calls
        return Delta(content, thinking, calls)


class BuiltinParser:
    """A model's built-in parser (pollama.prompt.parsers): thinking, content and tool calls in the model's
    own format, as Ollama splits them. Output it cannot make sense of is an error (500; in the stream once
    it has begun)."""

    def __init__(self, name: str, parser: Parser, thinking: bool, think: Think, tools: Tools,
                 last_message: Mapping[str, Any] | None) -> None:
        self.parser = parser
        self.tools = parser.init(tools, last_message, think)
        self.grammar_trigger = _ANSWER_HEADER.get(name) or (
            _THINKING_END.get(name, "</think>") if thinking and parser.has_thinking_support else None)

    def begin(self, prompt: str) -> None:
        pass  # init told the parser where the prompt leaves it

    def _split(self, text: str, done: bool) -> Delta:
        try:
            content, thinking, calls = self.parser.add(text, done)
        except ParseError as e:
            raise APIError(str(e)) from None
        return Delta(content, thinking, list(calls))

    def add(self, text: str) -> Delta:
        return self._split(text, False)

    def finish(self) -> Delta:
        return self._split("", True)


def uses_harmony(model: Model) -> bool:
    """A gpt-oss model whose template speaks Harmony (Ollama's shouldUseHarmony)."""
    template = model.template or ""
    return (model.config.get("model_family") in ("gptoss", "gpt-oss") and "<|start|>" in template
            and "<|end|>" in template)


def parser_name(model: Model) -> str:
    """The built-in parser that splits `model`'s output ("" for none): its config's, else `harmony` for a
    gpt-oss model."""
    return model.parser or ("harmony" if uses_harmony(model) else "")


def output_parser(model: Model, thinking: bool, think: Think, tools: Tools,
                  last_message: Mapping[str, Any] | None) -> OutputParser:
    """The parser for one generation of `model`: thinking enabled or not (`think`: the value the prompt is
    rendered with), with `tools`, after `last_message` (the prompt's last; None on /api/generate). Render
    the prompt with its `tools`, then call its `begin`."""
    name = parser_name(model)
    parser = parser_for(name) if name else None
    if parser is None:  # none, or a name the store accepted once but this version does not know
        return TemplateParser(model, thinking, tools)
    return BuiltinParser(name, parser, thinking, think, tools, last_message)
