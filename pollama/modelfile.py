"""Ollama's Modelfile language: parse, render, and the text `ollama show --modelfile` prints.

The parser follows Ollama's parser/parser.go rune by rune:

- an instruction name (any case) is followed by a space or tab, then its value;
- `PARAMETER name value`, `MESSAGE role value` (role: system, user, assistant or tool);
- a value runs to the end of the line and is trimmed, unless it starts with `"` or `\"\"\"`: then it
  runs across lines until a line ends (after trimming) with the closing quote; the content between
  the quotes is kept verbatim (there are no escape sequences, as in Ollama);
- `#` starts a comment line; characters Go does not count as printable are dropped, except tabs
  and line breaks inside a value.

Two small leniencies over Ollama: extra blanks before a parameter name or message role are
skipped, and line numbers count a CRLF pair as one line. Rendering quotes a value only when it
must (as Ollama's `quote`), and also when plain text would not read back the same.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pollama.api.options import DEPRECATED_OPTIONS, OptionsError, params_from_pairs, parse_parameter
from pollama.prompt.gofmt import format_value

__all__ = [
    "COMMANDS",
    "MESSAGE_ROLES",
    "Command",
    "Modelfile",
    "ModelfileError",
    "is_semver",
    "parse",
    "quote",
    "render_show_modelfile",
]

log = logging.getLogger("pollama")

COMMANDS: frozenset[str] = frozenset({
    "from", "parameter", "template", "system", "adapter", "license", "message", "requires",
    "draft", "renderer", "parser",
})
MESSAGE_ROLES: tuple[str, ...] = ("system", "user", "assistant", "tool")
_TEXT_COMMANDS = frozenset({"template", "system", "adapter", "license", "requires", "draft", "renderer",
                            "parser"})
_BLANK = " \t"
_NEWLINE = "\r\n"
_SPACE = _BLANK + _NEWLINE
_SEMVER = re.compile(
    r"v?(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*)"
    r"(?:\.(?:0|[1-9][0-9]*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)?)?"
)


def is_semver(text: str) -> bool:
    """A version REQUIRES accepts: Go's semver with an optional `v` (`0.14.0`, `v1.2`, `1.0.0-rc1`)."""
    return _SEMVER.fullmatch(text) is not None


class ModelfileError(ValueError):
    """A Modelfile that cannot be parsed; the message names the line where it helps."""


@dataclass(frozen=True)
class Command:
    """One instruction. `name` is "model" for FROM, the parameter's name for PARAMETER, else the
    instruction in lower case; for MESSAGE, `args` is "role: content"."""

    name: str
    args: str

    def render(self) -> str:
        """This instruction as one Modelfile entry (without the final newline)."""
        if self.name == "model":
            return f"FROM {quote(self.args)}"
        if self.name in _TEXT_COMMANDS:
            return f"{self.name.upper()} {quote(self.args)}"
        if self.name == "message":
            role, _, content = self.args.partition(": ")
            return f"MESSAGE {role} {quote(content)}"
        return f"PARAMETER {self.name} {quote(self.args)}"


@dataclass
class Modelfile:
    """A parsed Modelfile: its instructions in order."""

    commands: list[Command] = field(default_factory=list)

    def render(self) -> str:
        """The Modelfile text (Ollama's `Modelfile.String()`): one instruction per line."""
        return "".join(cmd.render() + "\n" for cmd in self.commands)

    def all(self, name: str) -> list[str]:
        """The arguments of every instruction called `name` ("model" for FROM), in order."""
        return [cmd.args for cmd in self.commands if cmd.name == name]

    def get(self, name: str) -> str | None:
        """The argument that counts: the first FROM (later ones add files), else the last one."""
        values = self.all(name)
        if not values:
            return None
        return values[0] if name == "model" else values[-1]

    def parameters(self) -> dict[str, Any]:
        """Typed PARAMETER values; `stop` is a list; deprecated parameters are left out."""
        pairs = [(cmd.name, cmd.args) for cmd in self.commands if _is_parameter(cmd.name)]
        return params_from_pairs((n, a) for n, a in pairs if n not in DEPRECATED_OPTIONS)

    def messages(self) -> list[dict[str, str]]:
        """MESSAGE instructions as chat messages."""
        out = []
        for args in self.all("message"):
            role, _, content = args.partition(": ")
            out.append({"role": role, "content": content})
        return out

    def request_fields(self) -> dict[str, Any]:
        """The /api/create fields these instructions set, FROM and ADAPTER aside (they name files): template,
        system, requires, renderer, parser, draft (a model name or blob digest), license, parameters, messages;
        only those present."""
        fields: dict[str, Any] = {key: self.get(key) for key in ("template", "system", "requires", "renderer", "parser",
                                                                 "draft") if self.get(key) is not None}
        for key, value in (("license", self.all("license")), ("parameters", self.parameters()),
                           ("messages", self.messages())):
            if value:
                fields[key] = value
        return fields


def _is_parameter(name: str) -> bool:
    return name not in _TEXT_COMMANDS and name not in {"model", "message"}


def _go_strip(text: str) -> str:
    # Only these whitespace runes can reach a value buffer: others are not printable and dropped.
    return text.strip(_SPACE)


def _unquote(text: str) -> str | None:
    """Ollama's unquote: the text inside `\"\"\"...\"\"\"` or `"..."`, the text itself when
    unquoted, None while a quote is still open."""
    if text.startswith('"""'):
        return text[3:-3] if len(text) >= 6 and text.endswith('"""') else None
    if text.startswith('"'):
        return text[1:-1] if len(text) >= 2 and text.endswith('"') else None
    return text


def quote(text: str) -> str:
    """A value as a Modelfile writes it: bare when it reads back unchanged, else in `"` or `\"\"\"`.

    Like Ollama's quote, with additions so that reading it back gives the same text: values with
    edge tabs or a line break are quoted, as are values starting with `"`, and "" is written `""`.
    Text containing both a line break and a line that ends in `\"\"\"` cannot be written.
    """
    if text == "":
        return '""'
    plain = (not any(c in text for c in _NEWLINE) and _go_strip(text) == text and not text.startswith('"'))
    if plain:
        return text
    if '"' in text:
        return f'"""{text}"""'
    return f'"{text}"'


class _Reader:
    """A cursor over the text that tracks 1-based line numbers."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def next(self) -> str:
        ch = self.peek()
        if ch:
            self.pos += 1
            if ch == "\n" and not (self.pos >= 2 and self.text[self.pos - 2] == "\r"):
                self.line += 1
            elif ch == "\r":
                self.line += 1
        return ch

    def word(self, allowed: str) -> str:
        start = self.pos
        while self.peek() and self.peek() in allowed:
            self.next()
        return self.text[start:self.pos]

    def skip(self, chars: str) -> None:
        while self.peek() and self.peek() in chars:
            self.next()


_ALPHA = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_PARAM_CHARS = _ALPHA + "0123456789_"
_VISIBLE = "".join(map(chr, range(33, 127)))


def _decode(data: str | bytes) -> str:
    if isinstance(data, bytes):
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        return data.decode("utf-8-sig", errors="replace")
    return data.removeprefix("\ufeff")


def parse(text: str | bytes) -> Modelfile:
    """Parse Modelfile text (bytes may be UTF-8 or UTF-16 with a BOM). Raises ModelfileError."""
    rd = _Reader(_decode(text))
    commands: list[Command] = []
    while True:
        rd.skip(_SPACE)
        ch = rd.peek()
        if not ch:
            break
        if ch == "#":
            while rd.peek() and rd.peek() not in _NEWLINE:
                rd.next()
            continue
        commands.append(_parse_instruction(rd))
    if not any(cmd.name == "model" for cmd in commands):
        raise ModelfileError("no FROM line")
    return Modelfile(commands)


def _parse_instruction(rd: _Reader) -> Command:
    line = rd.line
    word = "".join(c for c in rd.next() + rd.word(_ALPHA) if c.isprintable())
    keyword = word.lower()
    sep = rd.peek()
    if keyword not in COMMANDS or (sep and sep not in _SPACE):
        word += rd.word(_VISIBLE)
        raise ModelfileError(f"(line {line}): unknown instruction: {word}")
    if _at_line_end(rd):
        raise ModelfileError(f"(line {line}): missing value for {word.upper()}")
    rd.next()
    if keyword == "parameter":
        rd.skip(_BLANK)
        name = rd.word(_PARAM_CHARS)
        if _at_line_end(rd):
            raise ModelfileError(f"(line {line}): missing value for " + (f"parameter '{name}'" if name else "PARAMETER"))
        if rd.peek() not in _BLANK:
            raise ModelfileError(f"(line {line}): unknown parameter '{name}{rd.word(_VISIBLE)}'")
        rd.next()
        value = _read_value(rd, line)
        _check_parameter(name, value, line)
        return Command(name, value)
    if keyword == "message":
        rd.skip(_BLANK)
        role = rd.word(_ALPHA)
        if _at_line_end(rd):
            raise ModelfileError(f"(line {line}): missing value for MESSAGE")
        if rd.peek() not in _BLANK or role not in MESSAGE_ROLES:
            roles = ", ".join(f'"{r}"' for r in MESSAGE_ROLES[:-1])
            raise ModelfileError(f'(line {line}): message role must be one of {roles}, or "{MESSAGE_ROLES[-1]}"')
        rd.next()
        return Command("message", f"{role}: {_read_value(rd, line)}")
    value = _read_value(rd, line)
    if keyword == "requires" and not is_semver(value):
        raise ModelfileError(f"(line {line}): requires must be a valid semver (e.g. 0.14.0)")
    return Command("model" if keyword == "from" else keyword, value)


def _at_line_end(rd: _Reader) -> bool:
    ch = rd.peek()
    return not ch or ch in _NEWLINE


def _read_value(rd: _Reader, line: int) -> str:
    """Characters up to a line break at which the trimmed text is no longer inside a quote."""
    buf: list[str] = []
    while True:
        ch = rd.next()
        if not ch:
            value = _unquote(_go_strip("".join(buf)))
            if value is None:
                raise ModelfileError(f"(line {line}): unexpected EOF: unterminated quoted value")
            return value
        if ch in _NEWLINE:
            value = _unquote(_go_strip("".join(buf)))
            if value is not None:
                return value
            buf.append(ch)
        elif ch in _BLANK or ch.isprintable():
            buf.append(ch)


def _check_parameter(name: str, value: str, line: int) -> None:
    try:
        parse_parameter(name, value)  # deprecated names log their warning here
    except OptionsError as e:
        raise ModelfileError(f"(line {line}): {e}") from None


def render_show_modelfile(
    name: str,
    from_: str,
    template: str | None,
    system: str | None,
    params: Mapping[str, Any] | None,
    messages: Iterable[Mapping[str, Any]] | None,
    license: Iterable[str] | str | None,
    adapters: Iterable[str] | None,
    requires: str | None = None,
    renderer: str | None = None,
    parser: str | None = None,
    draft: str | None = None,
) -> str:
    """What `ollama show --modelfile` prints: Ollama's header, then FROM, ADAPTER, (pollama's) DRAFT,
    TEMPLATE, SYSTEM, RENDERER, PARSER, PARAMETER (sorted by name), LICENSE, MESSAGE and REQUIRES lines."""
    commands = [Command("model", from_)]
    commands += [Command("adapter", a) for a in adapters or ()]
    if draft:
        commands.append(Command("draft", draft))
    if template is not None:
        commands.append(Command("template", template))
    if system:
        commands.append(Command("system", system))
    commands += [Command(kind, value) for kind, value in (("renderer", renderer), ("parser", parser)) if value]
    for key in sorted(params or {}):
        value = (params or {})[key]
        for item in value if isinstance(value, list | tuple) else [value]:
            if item is not None:
                commands.append(Command(key, format_value(item)))
    licenses = [license] if isinstance(license, str) else list(license or ())
    commands += [Command("license", text) for text in licenses]
    for msg in messages or ():
        commands.append(Command("message", f"{msg.get('role', '')}: {msg.get('content') or ''}"))
    if requires:
        commands.append(Command("requires", requires))
    header = (
        '# Modelfile generated by "ollama show"\n'
        "# To build a new Modelfile based on this, replace FROM with:\n"
        f"# FROM {name}\n\n"
    )
    return header + Modelfile(commands).render()
