"""olmo3 and olmo3-think parsers: every case of Ollama's model/parsers/olmo3_test.go and
olmo3_think_test.go, plus each non-streaming case fed in pieces (every split, then one character at a
time)."""

from __future__ import annotations

import pytest

from pollama.prompt.parsers import parser_for
from pollama.prompt.parsers.olmo3 import Olmo3Parser, parse_function_calls, parse_value
from pollama.prompt.parsers.olmo3_think import Olmo3ThinkParser

from .streaming import calls, feed, splits

PARSE_CASES = [
    {
        "name": "simple content",
        "input": "Hello, how can I help you?",
        "expected_content": "Hello, how can I help you?",
    },
    {
        "name": "simple tool call",
        "input": '<function_calls>get_weather(location="San Francisco")</function_calls>',
        "expected_calls": [{"function": {"name": "get_weather", "arguments": {"location": "San Francisco"}}}],
    },
    {
        "name": "content then tool call",
        "input": 'Let me check the weather.<function_calls>get_weather(location="NYC")</function_calls>',
        "expected_content": "Let me check the weather.",
        "expected_calls": [{"function": {"name": "get_weather", "arguments": {"location": "NYC"}}}],
    },
    {
        "name": "tool call with multiple arguments",
        "input": '<function_calls>book_flight(from="SFO", to="NYC", date="2024-01-15")</function_calls>',
        "expected_calls": [
            {
                "function": {
                    "name": "book_flight",
                    "arguments": {"from": "SFO", "to": "NYC", "date": "2024-01-15"},
                }
            }
        ],
    },
    {
        "name": "multiple tool calls",
        "input": '<function_calls>get_weather(location="San Francisco")\n'
        'get_weather(location="New York")</function_calls>',
        "expected_calls": [
            {"function": {"index": 0, "name": "get_weather", "arguments": {"location": "San Francisco"}}},
            {"function": {"index": 1, "name": "get_weather", "arguments": {"location": "New York"}}},
        ],
    },
    {
        "name": "tool call with numeric argument",
        "input": "<function_calls>set_temperature(value=72)</function_calls>",
        "expected_calls": [{"function": {"name": "set_temperature", "arguments": {"value": 72}}}],
    },
    {
        "name": "tool call with float argument",
        "input": "<function_calls>set_price(amount=19.99)</function_calls>",
        "expected_calls": [{"function": {"name": "set_price", "arguments": {"amount": 19.99}}}],
    },
    {
        "name": "tool call with boolean argument",
        "input": "<function_calls>toggle_setting(enabled=true)</function_calls>",
        "expected_calls": [{"function": {"name": "toggle_setting", "arguments": {"enabled": True}}}],
    },
    {
        "name": "tool call with null argument",
        "input": "<function_calls>clear_value(field=null)</function_calls>",
        "expected_calls": [{"function": {"name": "clear_value", "arguments": {"field": None}}}],
    },
    {
        "name": "tool call with array argument",
        "input": '<function_calls>process_items(items=["apple", "banana", "cherry"])</function_calls>',
        "expected_calls": [
            {"function": {"name": "process_items", "arguments": {"items": ["apple", "banana", "cherry"]}}}
        ],
    },
    {
        "name": "tool call with dict argument",
        "input": '<function_calls>update_config(settings={"theme": "dark", "fontSize": 14})</function_calls>',
        "expected_calls": [
            {
                "function": {
                    "name": "update_config",
                    "arguments": {"settings": {"theme": "dark", "fontSize": 14}},
                }
            }
        ],
    },
    {
        "name": "tool call with nested dict",
        "input": '<function_calls>create_request(data={"user": {"name": "John", "age": 30}, "active": '
        "true})</function_calls>",
        "expected_calls": [
            {
                "function": {
                    "name": "create_request",
                    "arguments": {"data": {"user": {"name": "John", "age": 30}, "active": True}},
                }
            }
        ],
    },
    {
        "name": "tool call with no arguments",
        "input": "<function_calls>get_current_time()</function_calls>",
        "expected_calls": [{"function": {"name": "get_current_time", "arguments": {}}}],
    },
    {
        "name": "tool call with single quotes",
        "input": "<function_calls>search(query='hello world')</function_calls>",
        "expected_calls": [{"function": {"name": "search", "arguments": {"query": "hello world"}}}],
    },
    {
        "name": "tool call with escaped quotes",
        "input": '<function_calls>search(query="say \\"hello\\"")</function_calls>',
        "expected_calls": [{"function": {"name": "search", "arguments": {"query": 'say "hello"'}}}],
    },
    {
        "name": "tool call with mixed argument types",
        "input": '<function_calls>create_user(name="John", age=30, active=true)</function_calls>',
        "expected_calls": [
            {"function": {"name": "create_user", "arguments": {"name": "John", "age": 30, "active": True}}}
        ],
    },
]

STREAM_CASES = [
    {
        "name": "streaming content",
        "chunks": ["Hello, ", "how ", "can I help?"],
        "expected_content": "Hello, how can I help?",
    },
    {
        "name": "streaming tool call",
        "chunks": ["<function_", "calls>get_weather", '(location="SF")', "</function_calls>"],
        "expected_calls": [{"function": {"name": "get_weather", "arguments": {"location": "SF"}}}],
    },
    {
        "name": "streaming content then tool call",
        "chunks": ["Let me check.", "<function_calls>", 'get_weather(location="NYC")', "</function_calls>"],
        "expected_content": "Let me check.",
        "expected_calls": [{"function": {"name": "get_weather", "arguments": {"location": "NYC"}}}],
    },
    {
        "name": "tool call tag split across chunks",
        "chunks": ["<func", "tion_calls>test()</function_calls>"],
        "expected_calls": [{"function": {"name": "test", "arguments": {}}}],
    },
]

FUNCTION_CALL_CASES = [
    {
        "name": "simple call",
        "input": 'get_weather(location="SF")',
        "expected": [{"function": {"name": "get_weather", "arguments": {"location": "SF"}}}],
    },
    {
        "name": "multiple args",
        "input": 'send_email(to="user@example.com", subject="Hello", body="Test message")',
        "expected": [
            {
                "function": {
                    "name": "send_email",
                    "arguments": {"to": "user@example.com", "subject": "Hello", "body": "Test message"},
                }
            }
        ],
    },
    {
        "name": "multiple calls with newlines",
        "input": 'get_weather(location="SF")\nget_time(timezone="PST")',
        "expected": [
            {"function": {"name": "get_weather", "arguments": {"location": "SF"}}},
            {"function": {"name": "get_time", "arguments": {"timezone": "PST"}}},
        ],
    },
    {"name": "empty input", "input": "", "expected": None},
    {"name": "whitespace only", "input": "   \n   ", "expected": None},
]

VALUE_CASES = [
    ["string double quotes", '"hello"', "hello"],
    ["string single quotes", "'hello'", "hello"],
    ["integer", "42", 42],
    ["negative integer", "-10", -10],
    ["float", "3.14", 3.14],
    ["boolean true", "true", True],
    ["boolean True", "True", True],
    ["boolean false", "false", False],
    ["null", "null", None],
    ["None", "None", None],
    ["empty array", "[]", []],
    ["array with strings", '["a", "b"]', ["a", "b"]],
    ["array with numbers", "[1, 2, 3]", [1, 2, 3]],
    ["empty object", "{}", {}],
    ["simple object", '{"name": "John"}', {"name": "John"}],
    ["object with number", '{"age": 30}', {"age": 30}],
    ["object with multiple keys", '{"a": 1, "b": 2}', {"a": 1, "b": 2}],
]

THINK_PARSE_CASES = [
    {
        "name": "thinking_only",
        "input": "I need to think about this.</think>Here is my response.",
        "expected_content": "Here is my response.",
        "expected_thinking": "I need to think about this.",
    },
    {
        "name": "thinking_with_newlines",
        "input": "Let me think step by step.\n\n1. First point\n2. Second point</think>The answer is 42.",
        "expected_content": "The answer is 42.",
        "expected_thinking": "Let me think step by step.\n\n1. First point\n2. Second point",
    },
    {
        "name": "thinking_then_content",
        "input": "Deep thinking here.</think>Here is my detailed response with multiple sentences. I have "
        "thought carefully.",
        "expected_content": "Here is my detailed response with multiple sentences. I have thought carefully.",
        "expected_thinking": "Deep thinking here.",
    },
    {
        "name": "empty_thinking",
        "input": "</think>Just content here.",
        "expected_content": "Just content here.",
        "expected_thinking": "",
    },
    {
        "name": "prefill_skips_thinking",
        "input": "Continuing from previous content.",
        "expected_content": "Continuing from previous content.",
        "last_message": {"role": "assistant", "content": "Previous content"},
    },
    {
        "name": "thinking_with_whitespace",
        "input": "  Some thinking  </think>  Content here  ",
        "expected_content": "Content here  ",
        "expected_thinking": "  Some thinking",
    },
    {
        "name": "real_model_output_with_newlines",
        "input": "Yes, that should work. Let me go with that response.\n"
        "\n"
        "</think>\n"
        "\n"
        "Hi! I'm all set and ready to assist. How about you? How are you today? 😊",
        "expected_thinking": "Yes, that should work. Let me go with that response.",
        "expected_content": "Hi! I'm all set and ready to assist. How about you? How are you today? 😊",
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
]

THINK_STREAM_EDGE_CASES = [
    {
        "name": "thinking_tag_split_across_chunks",
        "chunks": ["This is thinking content", "</think>", "This is content."],
        "expected_content": "This is content.",
        "expected_thinking": "This is thinking content",
    },
    {
        "name": "thinking_tag_split_mid_token",
        "chunks": ["Thinking?</", "think>", "Content here."],
        "expected_content": "Content here.",
        "expected_thinking": "Thinking?",
    },
    {
        "name": "thinking_tag_split_at_angle_bracket",
        "chunks": ["Thinking<", "/think>", "Content."],
        "expected_content": "Content.",
        "expected_thinking": "Thinking",
    },
]

THINK_BOUNDARY_CASES = [
    {
        "name": "multiple_thinking_chunks",
        "chunks": [
            "First part of thinking. ",
            "Second part of thinking. ",
            "Third part.</think>",
            "Content here.",
        ],
        "expected_thinking": "First part of thinking. Second part of thinking. Third part.",
        "expected_content": "Content here.",
    },
    {
        "name": "thinking_chunks_with_newlines",
        "chunks": [
            "Step 1: Analyze the problem.\n",
            "Step 2: Consider options.\n",
            "Step 3: Make decision.</think>",
            "Here is my answer.",
        ],
        "expected_thinking": "Step 1: Analyze the problem.\nStep 2: Consider options.\nStep 3: Make decision.",
        "expected_content": "Here is my answer.",
    },
    {
        "name": "single_char_thinking_chunks",
        "chunks": ["H", "e", "l", "l", "o", "</think>", "World"],
        "expected_thinking": "Hello",
        "expected_content": "World",
    },
    {
        "name": "thinking_with_special_chars",
        "chunks": ["Let me think... ", "Option A: $100 ", "Option B: €200</think>", "I recommend Option A."],
        "expected_thinking": "Let me think... Option A: $100 Option B: €200",
        "expected_content": "I recommend Option A.",
    },
    {
        "name": "long_thinking_multiple_chunks",
        "chunks": [
            "This is a very long thinking process. ",
            "I need to consider many factors. ",
            "First, let me look at the data. ",
            "The numbers show interesting patterns. ",
            "Based on my analysis, ",
            "I can conclude that...</think>",
            "The answer is 42.",
        ],
        "expected_thinking": "This is a very long thinking process. I need to consider many factors. First, let "
        "me look at the data. The numbers show interesting patterns. Based on my analysis, "
        "I can conclude that...",
        "expected_content": "The answer is 42.",
    },
    {
        "name": "thinking_ends_exactly_at_chunk_boundary",
        "chunks": ["Thinking content", "</think>", "Content"],
        "expected_thinking": "Thinking content",
        "expected_content": "Content",
    },
    {
        "name": "empty_chunks_between_thinking",
        "chunks": ["Start thinking", "", " middle ", "", "end</think>", "Content"],
        "expected_thinking": "Start thinking middle end",
        "expected_content": "Content",
    },
]


def run_olmo3(chunks):
    """As Ollama's tests: every chunk with done=False, then an empty chunk with done=True."""
    parser = Olmo3Parser()
    parser.init(None, None, None)
    content, thinking, got_calls = feed(parser, [*chunks, ""])
    assert thinking == ""
    return content, got_calls


@pytest.mark.parametrize("case", PARSE_CASES, ids=lambda c: c["name"])
def test_olmo3_parser(case):
    assert run_olmo3([case["input"]]) == (case.get("expected_content", ""), calls(case.get("expected_calls")))


@pytest.mark.parametrize("case", PARSE_CASES, ids=lambda c: c["name"])
def test_olmo3_parser_split_input(case):
    for chunks in splits(case["input"]):
        assert run_olmo3(chunks) == (case.get("expected_content", ""), calls(case.get("expected_calls")))


@pytest.mark.parametrize("case", STREAM_CASES, ids=lambda c: c["name"])
def test_olmo3_parser_streaming(case):
    assert run_olmo3(case["chunks"]) == (case.get("expected_content", ""), calls(case.get("expected_calls")))


def test_olmo3_parser_supports_tools_not_thinking():
    parser = parser_for("olmo3")
    assert parser.has_tool_support and not parser.has_thinking_support


@pytest.mark.parametrize("case", FUNCTION_CALL_CASES, ids=lambda c: c["name"])
def test_parse_olmo3_function_calls(case):
    if case.get("want_err"):
        with pytest.raises(ValueError):
            parse_function_calls(case["input"])
    else:
        expected = calls(case.get("expected"))
        for call in expected:
            del call["function"]["index"]
        assert parse_function_calls(case["input"]) == expected


@pytest.mark.parametrize(("name", "text", "expected"), VALUE_CASES, ids=[c[0] for c in VALUE_CASES])
def test_parse_olmo3_value(name, text, expected):
    got = parse_value(text)
    assert got == expected and type(got) is type(expected)


def run_think(chunks, last_message=None):
    parser = Olmo3ThinkParser()
    parser.init(None, last_message, None)
    content, thinking, got_calls = feed(parser, chunks)
    assert got_calls == []
    return content, thinking


@pytest.mark.parametrize("case", THINK_PARSE_CASES, ids=lambda c: c["name"])
def test_olmo3_think_parser(case):
    expected = case.get("expected_content", ""), case.get("expected_thinking", "")
    assert run_think([case["input"]], case.get("last_message")) == expected


@pytest.mark.parametrize("case", THINK_PARSE_CASES, ids=lambda c: c["name"])
def test_olmo3_think_parser_split_input(case):
    """Blind to whitespace at the ends: Ollama trims the spaces after </think> only when they arrive with it."""
    for chunks in splits(case["input"]):
        content, thinking = run_think(chunks, case.get("last_message"))
        assert content.strip() == case.get("expected_content", "").strip()
        assert thinking == case.get("expected_thinking", "")


def test_olmo3_think_parser_streaming():
    chunks = ["I am ", "thinking about", " this.</think>Here ", "is the response."]
    assert run_think(chunks) == ("Here is the response.", "I am thinking about this.")


@pytest.mark.parametrize("case", THINK_STREAM_EDGE_CASES + THINK_BOUNDARY_CASES, ids=lambda c: c["name"])
def test_olmo3_think_parser_streaming_edge_cases(case):
    assert run_think(case["chunks"]) == (case.get("expected_content", ""), case.get("expected_thinking", ""))


def test_olmo3_think_parser_thinking_to_content():
    parser = Olmo3ThinkParser()
    parser.init(None, None, None)
    assert parser._thinking
    parser.add("thinking</think>content", True)
    assert not parser._thinking


def test_olmo3_think_parser_supports_thinking_not_tools():
    parser = parser_for("olmo3-think")
    assert parser.has_thinking_support and not parser.has_tool_support


def test_olmo3_think_parser_init_with_prefill_starts_in_content():
    parser = Olmo3ThinkParser()
    tools = [{"function": {"name": "test_tool"}}]
    assert parser.init(tools, {"role": "assistant", "content": "previous"}, None) == tools
    assert not parser._thinking


def test_olmo3_think_parser_init_without_prefill_thinks():
    parser = Olmo3ThinkParser()
    parser.init(None, None, None)
    assert parser._thinking
