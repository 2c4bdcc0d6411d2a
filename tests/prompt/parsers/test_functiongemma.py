"""functiongemma parser: every case of Ollama's model/parsers/functiongemma_test.go (fed in the test's
chunks), plus each output fed one character at a time."""

from __future__ import annotations

import math
from typing import Any

import pytest

from pollama.prompt.parsers import parser_for
from pollama.prompt.parsers.functiongemma import FunctionGemmaParser, parse_tool_call

from .streaming import calls, feed

OPEN = ["<", "start", "_", "function", "_", "call", ">"]
CLOSE = ["<", "end", "_", "function", "_", "call", ">"]


def escaped(text: str) -> list[str]:
    return ["<", "escape", ">", text, "<", "escape", ">"]


def call(name: str, args: dict[str, Any], index: int = 0) -> dict[str, Any]:
    return {"function": {"index": index, "name": name, "arguments": args}}


WEATHER_CALL = [*OPEN, "call", ":", "get", "_", "weather", "{", "city", ":", *escaped("Paris"), "}", *CLOSE]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}

CASES: list[dict[str, Any]] = [
    {"name": "plain_content", "chunks": list("Hello, world!"), "text": "Hello, world!"},
    {
        "name": "simple_tool_call",
        "chunks": WEATHER_CALL,
        "tools": [WEATHER_TOOL],
        "calls": [call("get_weather", {"city": "Paris"})],
    },
    {
        "name": "content_before_tool_call",
        "chunks": ["L", "et", " ", "me", " ", "check", ".", *WEATHER_CALL],
        "text": "Let me check.",
        "calls": [call("get_weather", {"city": "Paris"})],
    },
    {
        "name": "numeric_arguments",
        "chunks": [*OPEN, "call", ":", "add", "{", "a", ":", "1", ",", "b", ":", "2", "}", *CLOSE],
        "calls": [call("add", {"a": 1, "b": 2})],
    },
    {
        "name": "boolean_arguments",
        "chunks": [
            *OPEN,
            "call",
            ":",
            "set",
            "_",
            "flag",
            "{",
            "enabled",
            ":",
            "true",
            ",",
            "verbose",
            ":",
            "false",
            "}",
            *CLOSE,
        ],
        "calls": [call("set_flag", {"enabled": True, "verbose": False})],
    },
    {
        "name": "multiple_tool_calls",
        "chunks": [
            *WEATHER_CALL,
            *OPEN,
            "call",
            ":",
            "get",
            "_",
            "weather",
            "{",
            "city",
            ":",
            *escaped("London"),
            "}",
            *CLOSE,
        ],
        "calls": [call("get_weather", {"city": "Paris"}), call("get_weather", {"city": "London"}, 1)],
    },
    {
        "name": "array_argument",
        "chunks": [
            *OPEN,
            "call",
            ":",
            "process",
            "{",
            "items",
            ":",
            "[",
            *escaped("a"),
            ",",
            *escaped("b"),
            ",",
            *escaped("c"),
            "]",
            "}",
            *CLOSE,
        ],
        "calls": [call("process", {"items": ["a", "b", "c"]})],
    },
    {
        "name": "object_argument",
        "chunks": [
            *OPEN,
            "call",
            ":",
            "update",
            "{",
            "data",
            ":",
            "{",
            "name",
            ":",
            *escaped("test"),
            ",",
            "value",
            ":",
            "42",
            "}",
            "}",
            *CLOSE,
        ],
        "calls": [call("update", {"data": {"name": "test", "value": 42}})],
    },
    {"name": "empty_input", "chunks": []},
    {
        "name": "tool_call_with_no_arguments",
        "chunks": [*OPEN, "call", ":", "get", "_", "time", "{", "}", *CLOSE],
        "calls": [call("get_time", {})],
    },
    {
        "name": "content_with_angle_brackets",
        "chunks": ["The", " ", "result", " ", "is", " ", "a", " ", "<", "value", ">", " ", "tag"],
        "text": "The result is a <value> tag",
    },
    {
        "name": "float_argument",
        "chunks": [*OPEN, "call", ":", "set", "_", "temp", "{", "value", ":", "3", ".", "14", "}", *CLOSE],
        "calls": [call("set_temp", {"value": 3.14})],
    },
    {
        "name": "content_after_tool_call",
        "chunks": [*OPEN, "call", ":", "test", "{", "}", *CLOSE, "Done", "!"],
        "text": "Done!",
        "calls": [call("test", {})],
    },
    {
        "name": "unicode_content_and_arguments",
        "chunks": [
            "こんにちは",
            " ",
            *OPEN,
            "call",
            ":",
            "greet",
            "{",
            "name",
            ":",
            *escaped("日本語"),
            "}",
            *CLOSE,
        ],
        "text": "こんにちは ",
        "calls": [call("greet", {"name": "日本語"})],
    },
    {
        "name": "multiple_params_sorted",
        "chunks": [
            *OPEN,
            "call",
            ":",
            "search",
            "{",
            "query",
            ":",
            *escaped("test"),
            ",",
            "limit",
            ":",
            "10",
            ",",
            "offset",
            ":",
            "0",
            "}",
            *CLOSE,
        ],
        "calls": [call("search", {"query": "test", "limit": 10, "offset": 0})],
    },
    {
        "name": "nested_object_argument",
        "chunks": [
            *OPEN,
            "call",
            ":",
            "create",
            "{",
            "config",
            ":",
            "{",
            "settings",
            ":",
            "{",
            "enabled",
            ":",
            "true",
            ",",
            "name",
            ":",
            *escaped("test"),
            "}",
            "}",
            "}",
            *CLOSE,
        ],
        "calls": [call("create", {"config": {"settings": {"enabled": True, "name": "test"}}})],
    },
    {
        "name": "partial_start_tag_in_content",
        "chunks": ["Hello", " ", "<", "start", " ", "world"],
        "text": "Hello <start world",
    },
    {
        "name": "parallel_tool_calls",
        "chunks": [
            *WEATHER_CALL,
            *OPEN,
            "call",
            ":",
            "get",
            "_",
            "time",
            "{",
            "timezone",
            ":",
            *escaped("UTC"),
            "}",
            *CLOSE,
        ],
        "calls": [call("get_weather", {"city": "Paris"}), call("get_time", {"timezone": "UTC"}, 1)],
    },
    {
        "name": "content_between_tool_calls",
        "chunks": [
            *OPEN,
            "call",
            ":",
            "first",
            "{",
            "}",
            *CLOSE,
            "Some",
            " ",
            "text",
            " ",
            "here",
            *OPEN,
            "call",
            ":",
            "second",
            "{",
            "}",
            *CLOSE,
        ],
        "text": "Some text here",
        "calls": [call("first", {}), call("second", {}, 1)],
    },
]


def _run(case: dict[str, Any], chunks: list[str]) -> tuple[str, str, list[dict[str, Any]]]:
    parser = FunctionGemmaParser()
    parser.init(case.get("tools"), None, None)
    return feed(parser, chunks or [""])


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_parser(case: dict[str, Any]) -> None:
    assert _run(case, case["chunks"]) == (case.get("text", ""), "", calls(case.get("calls")))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_parser_one_character_at_a_time(case: dict[str, Any]) -> None:
    chunks = list("".join(case["chunks"]))
    assert _run(case, chunks) == (case.get("text", ""), "", calls(case.get("calls")))


def test_has_support() -> None:
    parser = parser_for("functiongemma")
    assert parser is not None and parser.has_tool_support and not parser.has_thinking_support


@pytest.mark.parametrize(
    "text,value",
    [
        ("5", 5),
        ("-7", -7),
        ("05", 5.0),
        ("+5", 5.0),
        (" 5", 5.0),
        ("12abc", 12.0),
        ("1e3", 1000.0),
        ("2.", 2.0),
        (".5", 0.5),
        ("-inf", -math.inf),
        ("1e400", "1e400"),
        ("0x10", "0x10"),
        ("1_000", "1_000"),
        ("\t5", 5.0),
        ("abc", "abc"),
        ("[]", None),
    ],
)
def test_bare_values_read_as_go_scans_them(text: str, value: Any) -> None:
    assert parse_tool_call(f"call:f{{v:{text}}}") == call("f", {"v": value})


def test_not_a_call_gives_a_nameless_call() -> None:
    assert parse_tool_call("nonsense") == call("", {})


def test_content_then_whole_calls_in_one_chunk_stay_in_call_mode() -> None:
    """After a call, text before a following call in the same chunk belongs to that call (Ollama's quirk)."""
    parser = FunctionGemmaParser()
    parser.init(None, None, None)
    got = parser.add(
        "<start_function_call>call:a{}<end_function_call>lost<start_function_call>call:b{}"
        "<end_function_call>",
        True,
    )
    assert got == ("", "", calls([call("a", {}), call("b", {}, 1)]))
