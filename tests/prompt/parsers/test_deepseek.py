"""deepseek3 parser: every case of Ollama's model/parsers/deepseek3_test.go, plus each non-streaming case
fed in pieces (DeepSeek's tool tags are single tokens, so pieces never cut inside one of them)."""

from __future__ import annotations

import re

import pytest

from pollama.prompt.parsers import parser_for
from pollama.prompt.parsers.deepseek import DeepSeek3Parser, State, parse_tool_call

from .streaming import calls, feed

PARSE_CASES = [
    {
        "name": "simple_content",
        "input": "Hello, how are you?",
        "expected_content": "Hello, how are you?",
        "has_thinking": False,
    },
    {
        "name": "thinking_content",
        "input": "I need to think about this...</think>The answer is 42.",
        "expected_thinking": "I need to think about this...",
        "expected_content": "The answer is 42.",
        "has_thinking": True,
    },
    {
        "name": "no_thinking_simple",
        "input": "Just a regular response.",
        "expected_content": "Just a regular response.",
        "has_thinking": False,
    },
    {
        "name": "thinking_with_newlines",
        "input": "Let me think:\n- Point 1\n- Point 2</think>\n\nHere's my answer.",
        "expected_thinking": "Let me think:\n- Point 1\n- Point 2",
        "expected_content": "Here's my answer.",
        "has_thinking": True,
    },
    {
        "name": "tool_call_simple",
        "input": "I'll check the "
        'weather.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{"location":"Paris"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>',
        "expected_content": "I'll check the weather.",
        "expected_calls": [
            {"function": {"index": 0, "name": "get_weather", "arguments": {"location": "Paris"}}}
        ],
        "has_thinking": False,
    },
    {
        "name": "multiple_tool_calls",
        "input": "Getting weather for both "
        'cities.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{"location":"Paris"}<｜tool▁call▁end｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{"location":"London"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>',
        "expected_content": "Getting weather for both cities.",
        "expected_calls": [
            {"function": {"name": "get_weather", "arguments": {"location": "Paris"}}},
            {"function": {"index": 1, "name": "get_weather", "arguments": {"location": "London"}}},
        ],
        "has_thinking": False,
    },
    {
        "name": "tool_output",
        "input": "Here's the weather: <｜tool▁output▁begin｜>Temperature: 22°C, Sunny<｜tool▁output▁end｜> Hope that "
        "helps!",
        "expected_content": "Here's the weather: Temperature: 22°C, Sunny Hope that helps!",
        "has_thinking": False,
    },
    {
        "name": "complex_tool_arguments",
        "input": "Processing "
        'data.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>process_data<｜tool▁sep｜>{"items":["item1","item2"],"config":{"enabled":true,"threshold":0.95}}<｜tool▁call▁end｜><｜tool▁calls▁end｜>',
        "expected_content": "Processing data.",
        "expected_calls": [
            {
                "function": {
                    "name": "process_data",
                    "arguments": {
                        "items": ["item1", "item2"],
                        "config": {"enabled": True, "threshold": 0.95},
                    },
                }
            }
        ],
        "has_thinking": False,
    },
    {
        "name": "thinking_with_tool_call",
        "input": "Let me check the weather...</think>I'll get that for "
        'you.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{"location":"Paris"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>',
        "expected_thinking": "Let me check the weather...",
        "expected_content": "I'll get that for you.",
        "expected_calls": [{"function": {"name": "get_weather", "arguments": {"location": "Paris"}}}],
        "has_thinking": True,
    },
    {"name": "empty_content", "input": "", "expected_content": "", "has_thinking": False},
    {
        "name": "only_thinking",
        "input": "Just thinking content</think>",
        "expected_thinking": "Just thinking content",
        "expected_content": "",
        "has_thinking": True,
    },
    {
        "name": "multiple_tool_outputs",
        "input": "Results: <｜tool▁output▁begin｜>Paris: 22°C<｜tool▁output▁end｜> and <｜tool▁output▁begin｜>London: "
        "18°C<｜tool▁output▁end｜>",
        "expected_content": "Results: Paris: 22°C and London: 18°C",
        "has_thinking": False,
    },
    {
        "name": "unicode_content",
        "input": "مرحبا بالعالم! 你好世界! 🌍",
        "expected_content": "مرحبا بالعالم! 你好世界! 🌍",
        "has_thinking": False,
    },
    {
        "name": "emoji_passthrough",
        "input": "Task completed ✅ 🎉",
        "expected_content": "Task completed ✅ 🎉",
        "has_thinking": False,
    },
    {
        "name": "emoji_after_tool_call",
        "input": "I'll help "
        'you.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{"location":"Tokyo"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>完成 '
        "✅",
        "expected_content": "I'll help you.完成 ✅",
        "expected_calls": [{"function": {"name": "get_weather", "arguments": {"location": "Tokyo"}}}],
        "has_thinking": False,
    },
    {
        "name": "newlines_and_whitespace",
        "input": "Line 1\n\nLine 3\t\tTabbed content",
        "expected_content": "Line 1\n\nLine 3\t\tTabbed content",
        "has_thinking": False,
    },
    {
        "name": "thinking_with_unicode",
        "input": "我在思考这个问题...</think>答案是42。",
        "expected_thinking": "我在思考这个问题...",
        "expected_content": "答案是42。",
        "has_thinking": True,
    },
    {
        "name": "tool_call_with_unicode_args",
        "input": "Searching for "
        'information.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>search<｜tool▁sep｜>{"query":"北京天气","language":"中文"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>',
        "expected_content": "Searching for information.",
        "expected_calls": [
            {"function": {"name": "search", "arguments": {"query": "北京天气", "language": "中文"}}}
        ],
        "has_thinking": False,
    },
    {
        "name": "tool_output_with_unicode",
        "input": "天气信息: <｜tool▁output▁begin｜>北京: 25°C, 晴天<｜tool▁output▁end｜> 希望对您有帮助!",
        "expected_content": "天气信息: 北京: 25°C, 晴天 希望对您有帮助!",
        "has_thinking": False,
    },
    {
        "name": "mixed_content_with_special_chars",
        "input": "Price: $100 & tax @ 10% = $110 <｜tool▁output▁begin｜>Total: $110<｜tool▁output▁end｜> (final)",
        "expected_content": "Price: $100 & tax @ 10% = $110 Total: $110 (final)",
        "has_thinking": False,
    },
    {
        "name": "tool_call_with_special_chars",
        "input": "Processing "
        'data.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>execute_command<｜tool▁sep｜>{"command":"ls && echo '
        '\\"done\\"","path":"/home/user"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>',
        "expected_content": "Processing data.",
        "expected_calls": [
            {
                "function": {
                    "name": "execute_command",
                    "arguments": {"command": 'ls && echo "done"', "path": "/home/user"},
                }
            }
        ],
        "has_thinking": False,
    },
    {
        "name": "thinking_with_special_chars",
        "input": "Let me calculate: 2+2=4 & 3*3=9...</think>The results are correct!",
        "expected_thinking": "Let me calculate: 2+2=4 & 3*3=9...",
        "expected_content": "The results are correct!",
        "has_thinking": True,
    },
    {
        "name": "empty_tool_call_args",
        "input": "Pinging "
        "server.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>ping<｜tool▁sep｜>{}<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
        "expected_content": "Pinging server.",
        "expected_calls": [{"function": {"name": "ping", "arguments": {}}}],
        "has_thinking": False,
    },
    {
        "name": "empty_tool_output",
        "input": "Checking status: <｜tool▁output▁begin｜><｜tool▁output▁end｜> No output received.",
        "expected_content": "Checking status:  No output received.",
        "has_thinking": False,
    },
]


STREAM_CASES = [
    {
        "name": "streaming_simple_content",
        "chunks": ["Hello, ", "how are ", "you?"],
        "expected_content": "Hello, how are you?",
        "has_thinking": False,
    },
    {
        "name": "streaming_thinking",
        "chunks": ["I need to ", "think about this", "...</think>", "The answer is 42."],
        "expected_thinking": "I need to think about this...",
        "expected_content": "The answer is 42.",
        "has_thinking": True,
    },
    {
        "name": "streaming_tool_call",
        "chunks": [
            "I'll check weather.",
            "<｜tool▁calls▁begin｜>",
            "<｜tool▁call▁begin｜>get_weather",
            '<｜tool▁sep｜>{"location":"Paris"}',
            "<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
        ],
        "expected_content": "I'll check weather.",
        "expected_calls": [{"function": {"name": "get_weather", "arguments": {"location": "Paris"}}}],
        "has_thinking": False,
    },
    {
        "name": "streaming_thinking_with_partial_tag",
        "chunks": ["Thinking about this", "...</", "think>", "Done thinking."],
        "expected_thinking": "Thinking about this...",
        "expected_content": "Done thinking.",
        "has_thinking": True,
    },
    {
        "name": "streaming_tool_output",
        "chunks": [
            "Weather info: ",
            "<｜tool▁output▁begin｜>",
            "25°C, Sunny",
            "<｜tool▁output▁end｜>",
            " Enjoy!",
        ],
        "expected_content": "Weather info: 25°C, Sunny Enjoy!",
        "has_thinking": False,
    },
    {
        "name": "streaming_with_split_tags",
        "chunks": [
            "Content before ",
            "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>test",
            "<｜tool▁sep｜>{}",
            "<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
            " after",
        ],
        "expected_content": "Content before  after",
        "expected_calls": [{"function": {"name": "test", "arguments": {}}}],
        "has_thinking": False,
    },
    {
        "name": "streaming_thinking_with_split_end_tag",
        "chunks": ["Thinking content", "</th", "ink>", "Regular content"],
        "expected_thinking": "Thinking content",
        "expected_content": "Regular content",
        "has_thinking": True,
    },
    {
        "name": "streaming_unicode_content",
        "chunks": ["مرحبا ", "بالعالم! ", "你好", "世界!"],
        "expected_content": "مرحبا بالعالم! 你好世界!",
        "has_thinking": False,
    },
    {
        "name": "streaming_multiple_tool_outputs",
        "chunks": [
            "Results: ",
            "<｜tool▁output▁begin｜>",
            "Paris: 22°C",
            "<｜tool▁output▁end｜>",
            " and ",
            "<｜tool▁output▁begin｜>",
            "London: 18°C",
            "<｜tool▁output▁end｜>",
        ],
        "expected_content": "Results: Paris: 22°C and London: 18°C",
        "has_thinking": False,
    },
    {
        "name": "streaming_tool_call_with_split_json",
        "chunks": [
            "Processing.",
            '<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>calc<｜tool▁sep｜>{"x":',
            '42,"y":',
            "24}<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
        ],
        "expected_content": "Processing.",
        "expected_calls": [{"function": {"name": "calc", "arguments": {"x": 42, "y": 24}}}],
        "has_thinking": False,
    },
]


TOOL_CALL_CASES = [
    {
        "name": "valid_tool_call",
        "content": 'get_weather<｜tool▁sep｜>{"location":"Paris"}',
        "expected": {"function": {"name": "get_weather", "arguments": {"location": "Paris"}}},
    },
    {
        "name": "complex_arguments",
        "content": 'process_data<｜tool▁sep｜>{"items":["a","b"],"config":{"enabled":true}}',
        "expected": {
            "function": {
                "name": "process_data",
                "arguments": {"items": ["a", "b"], "config": {"enabled": True}},
            }
        },
    },
    {
        "name": "empty_arguments",
        "content": "ping<｜tool▁sep｜>{}",
        "expected": {"function": {"name": "ping", "arguments": {}}},
    },
    {
        "name": "unicode_in_tool_name",
        "content": '获取天气<｜tool▁sep｜>{"城市":"北京"}',
        "expected": {"function": {"name": "获取天气", "arguments": {"城市": "北京"}}},
    },
    {
        "name": "special_chars_in_arguments",
        "content": 'execute<｜tool▁sep｜>{"command":"ls && echo \\"done\\"","path":"/home/user"}',
        "expected": {
            "function": {
                "name": "execute",
                "arguments": {"command": 'ls && echo "done"', "path": "/home/user"},
            }
        },
    },
    {
        "name": "numeric_arguments",
        "content": 'calculate<｜tool▁sep｜>{"x":3.14,"y":42,"enabled":true}',
        "expected": {"function": {"name": "calculate", "arguments": {"x": 3.14, "y": 42, "enabled": True}}},
    },
    {
        "name": "invalid_format_no_separator",
        "content": 'get_weather{"location":"Paris"}',
        "expect_error": True,
    },
    {"name": "invalid_json", "content": "get_weather<｜tool▁sep｜>{invalid json}", "expect_error": True},
    {
        "name": "empty_tool_name",
        "content": '<｜tool▁sep｜>{"arg":"value"}',
        "expect_error": False,
        "expected": {"function": {"name": "", "arguments": {"arg": "value"}}},
    },
    {"name": "missing_json_part", "content": "tool_name<｜tool▁sep｜>", "expect_error": True},
]


EDGE_CASES = [
    {
        "name": "nested_think_tags_in_thinking",
        "input": "Outer thinking <think>inner</think> content</think>Final content",
        "expected_thinking": "Outer thinking <think>inner",
        "expected_content": "content</think>Final content",
        "has_thinking": True,
    },
    {
        "name": "multiple_think_close_tags",
        "input": "First thought</think>Second thought</think>Final content",
        "expected_thinking": "First thought",
        "expected_content": "Second thought</think>Final content",
        "has_thinking": True,
    },
    {
        "name": "empty_thinking_content",
        "input": "</think>Just content",
        "expected_thinking": "",
        "expected_content": "Just content",
        "has_thinking": True,
    },
    {
        "name": "thinking_disabled_with_think_tags",
        "input": "Some content</think>More content",
        "expected_content": "Some content</think>More content",
        "has_thinking": False,
    },
    {
        "name": "malformed_tool_call_missing_sep",
        "input": 'Testing.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>bad_tool{"arg":"value"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>',
        "expected_content": "Testing.",
        "has_thinking": False,
    },
    {
        "name": "malformed_tool_call_invalid_json",
        "input": "Testing.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>bad_tool<｜tool▁sep｜>{invalid "
        "json}<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
        "expected_content": "Testing.",
        "has_thinking": False,
    },
    {
        "name": "partial_tool_tag_at_end",
        "input": "Content with partial <｜tool▁calls▁",
        "expected_content": "Content with partial <｜tool▁calls▁",
        "has_thinking": False,
    },
    {
        "name": "partial_think_tag_at_end",
        "input": "Thinking content</th",
        "expected_content": "Thinking content</th",
        "has_thinking": False,
    },
    {
        "name": "partial_think_tag_at_end_with_thinking",
        "input": "Thinking content</th",
        "expected_thinking": "Thinking content",
        "expected_content": "",
        "has_thinking": True,
    },
    {
        "name": "whitespace_only_content",
        "input": "   \n\t   ",
        "expected_content": "   \n\t   ",
        "has_thinking": False,
    },
    {
        "name": "tool_output_with_newlines",
        "input": "Output:\n<｜tool▁output▁begin｜>Line 1\nLine 2\nLine 3<｜tool▁output▁end｜>\nDone.",
        "expected_content": "Output:\nLine 1\nLine 2\nLine 3\nDone.",
        "has_thinking": False,
    },
    {
        "name": "consecutive_tool_calls",
        "input": "First.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>tool1<｜tool▁sep｜>{}<｜tool▁call▁end｜><｜tool▁calls▁end｜>Second.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>tool2<｜tool▁sep｜>{}<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
        "expected_content": "First.",
        "has_thinking": False,
    },
]


SPECIAL_TOKEN = re.compile(r"<｜[^｜]*｜>")


def token_splits(text: str):
    """`splits(text)` keeping every <｜...｜> token whole."""
    inside = {i for m in SPECIAL_TOKEN.finditer(text) for i in range(m.start() + 1, m.end())}
    for i in range(1, len(text)):
        if i not in inside:
            yield [text[:i], text[i:]]
    pieces = SPECIAL_TOKEN.split(text)
    tokens = SPECIAL_TOKEN.findall(text)
    chars = [c for piece, tok in zip(pieces, tokens + [""], strict=True) for c in [*piece, tok] if c]
    yield chars or [""]


def run(case, chunks):
    parser = DeepSeek3Parser(has_thinking_support=case.get("has_thinking", False))
    parser.init([], None, case.get("has_thinking", False))
    return feed(parser, chunks)


def check(case, got, with_calls=True):
    content, thinking, got_calls = got
    assert content == case.get("expected_content", "")
    assert thinking == case.get("expected_thinking", "")
    if with_calls:
        assert got_calls == calls(case.get("expected_calls"))


def check_pieces(case, got, with_calls=True):
    """As `check`, but blind to whitespace at the ends: Ollama trims the spaces beside a tag only when they
    arrive in the same chunk as the tag."""
    content, thinking, got_calls = got
    assert content.strip() == case.get("expected_content", "").strip()
    assert thinking.strip() == case.get("expected_thinking", "").strip()
    if with_calls:
        assert got_calls == calls(case.get("expected_calls"))


@pytest.mark.parametrize("case", PARSE_CASES, ids=lambda c: c["name"])
def test_deepseek3_parser(case):
    check(case, run(case, [case["input"]]))


@pytest.mark.parametrize("case", EDGE_CASES, ids=lambda c: c["name"])
def test_deepseek3_parser_edge_cases(case):
    check(case, run(case, [case["input"]]), with_calls=False)


@pytest.mark.parametrize("case", STREAM_CASES, ids=lambda c: c["name"])
def test_deepseek3_parser_streaming(case):
    check(case, run(case, case["chunks"]))


# Whole, "consecutive_tool_calls" loses "Second." because Ollama looks for the next <｜tool▁call▁begin｜>
# anywhere in the buffer, past <｜tool▁calls▁end｜>; in pieces "Second." is content before that tag arrives.
SPLIT_CASES = [c for c in PARSE_CASES + EDGE_CASES if c["name"] != "consecutive_tool_calls"]


@pytest.mark.parametrize("case", SPLIT_CASES, ids=lambda c: c["name"])
def test_deepseek3_parser_split_input(case):
    for chunks in token_splits(case["input"]):
        check_pieces(case, run(case, chunks), with_calls=case in PARSE_CASES)


@pytest.mark.parametrize("case", TOOL_CALL_CASES, ids=lambda c: c["name"])
def test_deepseek3_parse_tool_call(case):
    if case.get("expect_error"):
        with pytest.raises(ValueError):
            parse_tool_call(case["content"])
    else:
        expected = case["expected"]["function"]
        assert parse_tool_call(case["content"]) == {
            "function": {"name": expected["name"], "arguments": expected.get("arguments") or {}}
        }


@pytest.mark.parametrize("has_thinking", [True, False])
def test_deepseek3_has_thinking_support(has_thinking):
    assert DeepSeek3Parser(has_thinking_support=has_thinking).has_thinking_support is has_thinking


def test_deepseek3_registered_with_tools_and_thinking():
    parser = parser_for("deepseek3")
    assert parser.has_tool_support and parser.has_thinking_support


def test_deepseek3_init_returns_tools_and_starts_thinking():
    parser = DeepSeek3Parser(has_thinking_support=True)
    tools = [{"type": "function", "function": {"name": "test_tool"}}]
    assert parser.init(tools, None, True) == tools
    assert parser._state is State.THINKING
