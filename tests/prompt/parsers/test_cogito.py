"""cogito parser: every case of Ollama's model/parsers/cogito_test.go, plus each non-streaming case fed in
pieces (Cogito's tool tags are single tokens, so pieces never cut inside one of them)."""

from __future__ import annotations

import pytest

from pollama.prompt.parsers import parser_for
from pollama.prompt.parsers.cogito import CogitoParser, parse_tool_call

from .streaming import calls, feed
from .test_deepseek import token_splits

PARSE_CASES = [
    {
        "name": "simple_content",
        "input": "This is a simple response.",
        "expected_content": "This is a simple response.",
        "expected_thinking": "",
    },
    {
        "name": "thinking_only",
        "input": "This is thinking content.</think>This is response content.",
        "expected_content": "This is response content.",
        "expected_thinking": "This is thinking content.",
    },
    {
        "name": "tool_call_simple",
        "input": "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n"
        "```json\n"
        '{"location":"Paris"}\n'
        "```<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
        "expected_tool_calls": [
            {"function": {"index": 0, "name": "get_weather", "arguments": {"location": "Paris"}}}
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "parameters": {"properties": {"location": {"type": "string"}}},
                },
            }
        ],
    },
    {
        "name": "thinking_with_tool_call",
        "input": "I need to check the "
        "weather.</think><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n"
        "```json\n"
        '{"location":"Paris"}\n'
        "```<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
        "expected_content": "I need to check the weather.</think>",
        "expected_thinking": "",
        "expected_tool_calls": [{"function": {"name": "get_weather", "arguments": {"location": "Paris"}}}],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "parameters": {"properties": {"location": {"type": "string"}}},
                },
            }
        ],
    },
    {
        "name": "multiple_tool_calls",
        "input": "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n"
        "```json\n"
        '{"location":"Paris"}\n'
        "```<｜tool▁call▁end｜>\n"
        "<｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n"
        "```json\n"
        '{"location":"London"}\n'
        "```<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
        "expected_tool_calls": [
            {"function": {"name": "get_weather", "arguments": {"location": "Paris"}}},
            {"function": {"index": 1, "name": "get_weather", "arguments": {"location": "London"}}},
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "parameters": {"properties": {"location": {"type": "string"}}},
                },
            }
        ],
    },
    {
        "name": "complex_tool_arguments",
        "input": "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>process_data\n"
        "```json\n"
        '{"items":["item1","item2"],"config":{"enabled":true,"threshold":0.95},"count":42}\n'
        "```<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
        "expected_tool_calls": [
            {
                "function": {
                    "name": "process_data",
                    "arguments": {
                        "items": ["item1", "item2"],
                        "config": {"enabled": True, "threshold": 0.95},
                        "count": 42.0,
                    },
                }
            }
        ],
    },
    {
        "name": "tool_output_parsing",
        "input": '<｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>{"temperature": 22, "condition": '
        '"sunny"}<｜tool▁output▁end｜><｜tool▁outputs▁end｜>',
        "expected_content": "",
        "expected_thinking": "",
    },
    {
        "name": "thinking_with_multiline_content",
        "input": "This is line 1\nThis is line 2\nThis is line 3</think>Final response here.",
        "expected_content": "Final response here.",
        "expected_thinking": "This is line 1\nThis is line 2\nThis is line 3",
    },
    {
        "name": "no_thinking_simple",
        "input": "This is content.",
        "expected_content": "This is content.",
        "expected_thinking": "",
    },
    {
        "name": "prefill_content_only",
        "input": "Continuing from previous content.",
        "expected_content": "Continuing from previous content.",
        "last_message": {"role": "assistant", "content": "Previous content"},
    },
    {
        "name": "prefill_with_thinking",
        "input": "Continuing thinking</think>Continuing content.",
        "expected_content": "Continuing content.",
        "expected_thinking": "Continuing thinking",
        "last_message": {"role": "assistant"},
    },
    {
        "name": "nested_think_tags_in_thinking",
        "input": "I'm thinking <think>nested</think> more thinking</think>Final content.",
        "expected_content": "more thinking</think>Final content.",
        "expected_thinking": "I'm thinking <think>nested",
    },
    {
        "name": "multiple_think_close_tags",
        "input": "First thinking</think>Content</think>More content.",
        "expected_content": "Content</think>More content.",
        "expected_thinking": "First thinking",
    },
    {
        "name": "empty_thinking_content",
        "input": "</think>Just content here.",
        "expected_content": "</think>Just content here.",
        "expected_thinking": "",
    },
    {
        "name": "thinking_disabled_with_think_tags",
        "input": "Content with </think> tags should be treated as content.",
        "expected_content": "Content with </think> tags should be treated as content.",
        "expected_thinking": "",
        "last_message": {"role": "assistant", "content": "existing"},
    },
]

STREAM_EDGE_CASES = [
    {
        "name": "split_thinking_tag",
        "chunks": ["This is thinking content</thi", "nk>This is content."],
        "expected_content": "This is content.",
        "expected_thinking": "This is thinking content",
        "has_thinking_support": True,
    },
    {
        "name": "split_tool_calls_begin_tag_conservative_parsing",
        "chunks": [
            "Content before<｜tool▁calls▁beg",
            "in｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>test\n"
            "```json\n"
            "{}\n"
            "```<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
        ],
        "expected_content": "Content before<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>test\n"
        "```json\n"
        "{}\n"
        "```<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
        "expected_tool_calls": None,
        "has_thinking_support": False,
    },
    {
        "name": "thinking_disabled_with_split_tags",
        "chunks": ["Content with </thi", "nk> should be treated as content."],
        "expected_content": "Content with </think> should be treated as content.",
        "expected_thinking": "",
        "has_thinking_support": False,
    },
]

TOOL_CALL_CASES = [
    {
        "name": "valid_tool_call_standard_format",
        "content": 'function<｜tool▁sep｜>get_weather\n```json\n{"location":"Paris"}\n```',
        "expected": {"function": {"name": "get_weather", "arguments": {"location": "Paris"}}},
        "expect_error": False,
    },
    {
        "name": "valid_tool_call_complex_args",
        "content": "function<｜tool▁sep｜>process_data\n"
        "```json\n"
        '{"items":["item1","item2"],"config":{"enabled":true},"count":42}\n'
        "```",
        "expected": {
            "function": {
                "name": "process_data",
                "arguments": {"items": ["item1", "item2"], "config": {"enabled": True}, "count": 42.0},
            }
        },
        "expect_error": False,
    },
    {
        "name": "valid_tool_call_empty_args",
        "content": "function<｜tool▁sep｜>no_args_tool\n```json\n{}\n```",
        "expected": {"function": {"name": "no_args_tool", "arguments": {}}},
        "expect_error": False,
    },
    {
        "name": "missing_separator",
        "content": 'functionget_weather```json\n{"location":"Paris"}\n```',
        "expected": [],
        "expect_error": True,
    },
    {
        "name": "invalid_function_type",
        "content": 'not_function<｜tool▁sep｜>get_weather```json\n{"location":"Paris"}\n```',
        "expected": [],
        "expect_error": True,
    },
    {
        "name": "missing_json_block_start",
        "content": 'function<｜tool▁sep｜>get_weather{"location":"Paris"}```',
        "expected": [],
        "expect_error": True,
    },
    {
        "name": "missing_json_block_end",
        "content": 'function<｜tool▁sep｜>get_weather```json\n{"location":"Paris"}',
        "expected": [],
        "expect_error": True,
    },
    {
        "name": "invalid_json",
        "content": "function<｜tool▁sep｜>get_weather```json\n{location:Paris}\n```",
        "expected": [],
        "expect_error": True,
    },
    {
        "name": "empty_function_type",
        "content": '<｜tool▁sep｜>get_weather```json\n{"location":"Paris"}\n```',
        "expected": [],
        "expect_error": True,
    },
    {
        "name": "tool_with_spaces_in_name",
        "content": 'function<｜tool▁sep｜>  get_weather  \n```json\n{"location":"Paris"}\n```',
        "expected": {"function": {"name": "get_weather", "arguments": {"location": "Paris"}}},
        "expect_error": False,
    },
    {
        "name": "tool_with_multiline_json",
        "content": "function<｜tool▁sep｜>get_weather\n"
        "```json\n"
        "{\n"
        '  "location": "Paris",\n'
        '  "units": "metric"\n'
        "}\n"
        "```",
        "expected": {
            "function": {"name": "get_weather", "arguments": {"location": "Paris", "units": "metric"}}
        },
        "expect_error": False,
    },
    {
        "name": "tool_with_nested_objects",
        "content": 'function<｜tool▁sep｜>complex_tool\n```json\n{"nested":{"deep":{"value":123}}}\n```',
        "expected": {
            "function": {"name": "complex_tool", "arguments": {"nested": {"deep": {"value": 123.0}}}}
        },
        "expect_error": False,
    },
]


def run(case, chunks, think):
    parser = CogitoParser()
    parser.init(case.get("tools"), case.get("last_message"), think)
    return feed(parser, chunks)


def check(case, got, strip=lambda s: s):
    content, thinking, got_calls = got
    assert strip(content) == strip(case.get("expected_content", ""))
    assert strip(thinking) == strip(case.get("expected_thinking", ""))
    assert got_calls == calls(case.get("expected_tool_calls"))


@pytest.mark.parametrize("case", PARSE_CASES, ids=lambda c: c["name"])
def test_cogito_parser(case):
    check(case, run(case, [case["input"]], bool(case.get("expected_thinking"))))


@pytest.mark.parametrize("case", PARSE_CASES, ids=lambda c: c["name"])
def test_cogito_parser_split_input(case):
    """Blind to whitespace at the ends: Ollama trims the spaces beside a tag only when they arrive with it."""
    for chunks in token_splits(case["input"]):
        check(case, run(case, chunks, bool(case.get("expected_thinking"))), strip=str.strip)


def test_cogito_parser_streaming():
    chunks = [
        "This is ",
        "thinking content",
        ".</think>This is ",
        "content.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>test_tool\n```json\n"
        '{"arg":"value"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>',
    ]
    case = {
        "expected_content": "This is content.",
        "expected_thinking": "This is thinking content.",
        "expected_tool_calls": [{"function": {"name": "test_tool", "arguments": {"arg": "value"}}}],
    }
    check(case, run({}, chunks, True))


@pytest.mark.parametrize("case", STREAM_EDGE_CASES, ids=lambda c: c["name"])
def test_cogito_parser_streaming_edge_cases(case):
    check(case, run({}, case["chunks"], case["has_thinking_support"]))


@pytest.mark.parametrize("case", TOOL_CALL_CASES, ids=lambda c: c["name"])
def test_cogito_parse_tool_call(case):
    if case.get("expect_error"):
        with pytest.raises(ValueError):
            parse_tool_call(case["content"])
    else:
        expected = case["expected"]["function"]
        assert parse_tool_call(case["content"]) == {
            "function": {"name": expected["name"], "arguments": expected.get("arguments") or {}}
        }


def test_cogito_registered_with_tools_and_thinking():
    parser = parser_for("cogito")
    assert parser.has_tool_support and parser.has_thinking_support


def test_cogito_init_returns_tools():
    tools = [{"function": {"name": "test_tool"}}]
    assert CogitoParser().init(tools, {"role": "assistant", "content": "previous"}, None) == tools
