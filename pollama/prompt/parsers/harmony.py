"""`harmony`: gpt-oss output in OpenAI's Harmony format (Ollama's harmony/harmonyparser.go).

Output is a run of messages `<|start|>{header}<|message|>{content}<|end|>`; the prompt already opened the
first one (`<|start|>assistant`, or a prefilled channel). The header names the channel: `analysis` is
thinking, `final` (and `commentary` without a recipient) is content, and a message with a recipient
(`to=functions.get_weather`) is a tool call whose JSON arguments are parsed when the output is done.
Tool names are turned into identifiers at `init` (and back in calls): `get weather` -> `get_weather`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum, auto
from typing import Any

from pollama.prompt.parsers import ParseError, Think, ToolCall, register
from pollama.prompt.parsers._text import overlap

log = logging.getLogger(__name__)

START, END, MESSAGE = "<|start|>", "<|end|>", "<|message|>"
CHANNEL, CONSTRAIN = "<|channel|>", "<|constrain|>"
BUILTIN_TOOLS = frozenset({"browser.open", "browser.search", "browser.find", "python"})


@dataclass(frozen=True)
class Header:
    role: str = ""
    channel: str = ""
    recipient: str = ""


@dataclass(frozen=True)
class MessageStart:
    pass


@dataclass(frozen=True)
class HeaderComplete:
    header: Header


@dataclass(frozen=True)
class ContentEmitted:
    content: str


@dataclass(frozen=True)
class MessageEnd:
    pass


Event = MessageStart | HeaderComplete | ContentEmitted | MessageEnd


def parse_header(raw: str) -> Header:
    """`assistant<|channel|>commentary to=functions.f <|constrain|>json` -> role, channel, recipient."""
    if CONSTRAIN in raw:
        raw = raw.replace(CONSTRAIN, " " + CONSTRAIN, 1).strip()
    channel = ""
    before, found, after = raw.partition(CHANNEL)
    if found:
        name_end = next((i for i, c in enumerate(after) if c.isspace()), len(after))
        channel = after[:name_end]
        raw = (before + after[name_end:]).strip()
    tokens = raw.split()
    if not tokens:
        log.error("harmony parser: missing role in header %r", raw)
        return Header(channel=channel)
    role, rest = tokens[0], tokens[1:]
    if role.startswith("to="):
        return Header(role="tool", channel=channel, recipient=role[3:])
    recipient = rest[0][3:] if rest and rest[0].startswith("to=") else ""
    return Header(role=role, channel=channel, recipient=recipient)


class State(Enum):
    MESSAGE_START = auto()
    HEADER = auto()
    CONTENT = auto()


class HarmonyParser:
    """Harmony text -> events; text is held back only while `<|end|>` may be arriving."""

    def __init__(self) -> None:
        self._state = State.MESSAGE_START
        self._acc = ""

    def add_implicit_start(self) -> None:
        self._acc += START + "assistant"

    def add_implicit_start_or_prefill(self, last_message: Mapping[str, Any] | None) -> None:
        if last_message and last_message.get("role") == "assistant":
            if last_message.get("content"):
                self._acc += START + "assistant" + CHANNEL + "final" + MESSAGE
                return
            if last_message.get("thinking"):
                self._acc += START + "assistant" + CHANNEL + "analysis" + MESSAGE
                return
        self.add_implicit_start()

    def add_content(self, text: str) -> list[Event]:
        self._acc += text
        events: list[Event] = []
        while self._eat(events):
            pass
        return events

    def _eat(self, events: list[Event]) -> bool:
        if self._state is State.MESSAGE_START:
            if START not in self._acc:
                return False
            before, _, self._acc = self._acc.partition(START)
            if before:
                log.warning("harmony parser: found message start tag in the middle of the content")
            self._state = State.HEADER
            events.append(MessageStart())
            return True
        if self._state is State.HEADER:
            if MESSAGE not in self._acc:
                return False
            header, _, self._acc = self._acc.partition(MESSAGE)
            self._state = State.CONTENT
            events.append(HeaderComplete(parse_header(header)))
            return True
        if END in self._acc:
            content, _, self._acc = self._acc.partition(END)
            self._state = State.MESSAGE_START
            events.extend([ContentEmitted(content), MessageEnd()] if content else [MessageEnd()])
            return True
        keep = len(self._acc) - overlap(self._acc, END)
        if keep:
            events.append(ContentEmitted(self._acc[:keep]))
            self._acc = self._acc[keep:]
        return False


def convert_to_valid_chars(name: str) -> str:
    """A tool name as an identifier: space, - and . become _, letters, digits, _ and $ stay, the rest goes;
    a leading digit gets a _ in front, nothing left is "unnamed"."""
    candidate = "".join("_" if c in " -." else c for c in name if c in " -._$" or c.isalpha() or c.isdecimal())
    if not candidate:
        return "unnamed"
    return "_" + candidate if "0" <= candidate[0] <= "9" else candidate


class FunctionNameMap:
    def __init__(self) -> None:
        self.user_to_harmony: dict[str, str] = {}
        self.harmony_to_user: dict[str, str] = {}

    def convert_and_add(self, user_name: str) -> str:
        harmony_name = user_name if user_name in BUILTIN_TOOLS else self._derive(user_name)
        self.user_to_harmony[user_name] = harmony_name
        self.harmony_to_user[harmony_name] = user_name
        return harmony_name

    def original_from_converted(self, harmony_name: str) -> str:
        if harmony_name not in self.harmony_to_user:
            log.warning("harmony parser: no reverse mapping found for function name %r", harmony_name)
        return self.harmony_to_user.get(harmony_name, harmony_name)

    def _derive(self, user_name: str) -> str:
        """The identifier, numbered _2, _3, ... when taken already."""
        base = candidate = convert_to_valid_chars(user_name)
        n = 2
        while candidate in self.harmony_to_user:
            candidate, n = f"{base}_{n}", n + 1
        return candidate


class Channel(Enum):
    CONTENT = auto()
    THINKING = auto()
    TOOL_CALL = auto()


class HarmonyMessageHandler:
    """The `harmony` parser: Harmony messages mapped to content, thinking and a tool call."""

    has_tool_support = True
    has_thinking_support = True

    def __init__(self) -> None:
        self.parser = HarmonyParser()
        self.names = FunctionNameMap()
        self._channel = Channel.CONTENT
        self._tool_name: str | None = None
        self._tool_args = ""

    def init(self, tools: Sequence[Mapping[str, Any]] | None, last_message: Mapping[str, Any] | None,
             think: Think) -> Sequence[Mapping[str, Any]] | None:
        self.parser.add_implicit_start_or_prefill(last_message)
        self._tool_name, self._tool_args = None, ""
        if not tools:
            return tools
        return [self._renamed(t) for t in tools]

    def _renamed(self, tool: Mapping[str, Any]) -> Mapping[str, Any]:
        fn = tool.get("function") or {}
        if not fn.get("name"):
            return tool
        return {**tool, "function": {**fn, "name": self.names.convert_and_add(fn["name"])}}

    def add(self, text: str, done: bool) -> tuple[str, str, list[ToolCall]]:
        content: list[str] = []
        thinking: list[str] = []
        for event in self.parser.add_content(text):
            if isinstance(event, HeaderComplete):
                self._on_header(event.header)
            elif isinstance(event, ContentEmitted):
                self._on_content(event.content, content, thinking)
            elif isinstance(event, MessageEnd):
                self._channel = Channel.CONTENT
        calls = [self._tool_call()] if done and self._tool_name is not None else []
        return "".join(content), "".join(thinking), calls

    def _on_content(self, text: str, content: list[str], thinking: list[str]) -> None:
        if self._channel is Channel.CONTENT:
            content.append(text)
        elif self._channel is Channel.THINKING:
            thinking.append(text)
        else:
            self._tool_args += text

    def _on_header(self, header: Header) -> None:
        if header.channel in ("analysis", "commentary") and header.recipient:
            self._channel = Channel.TOOL_CALL
            self._tool_name = header.recipient
        elif header.channel == "analysis":
            self._channel = Channel.THINKING
        elif header.channel in ("commentary", "final"):
            self._channel = Channel.CONTENT

    def _tool_call(self) -> ToolCall:
        name = self._tool_name or ""
        name = self.names.original_from_converted(name.removeprefix("functions."))
        raw, self._tool_args = self._tool_args, ""
        try:
            arguments = json.loads(raw)
        except ValueError as e:
            raise ParseError(f"error parsing tool call: raw='{raw}', err={e}") from e
        if arguments is not None and not isinstance(arguments, dict):
            raise ParseError(f"error parsing tool call: raw='{raw}', err=arguments are not a JSON object")
        return {"function": {"index": 0, "name": name, "arguments": arguments or {}}}


register("harmony", HarmonyMessageHandler)
