"""nemotron-3-nano / nemotron-3.5-nano parser: every case of Ollama's model/parsers/nemotron3nano_test.go,
plus each non-streaming case fed in pieces (every split, then one character at a time)."""

from __future__ import annotations

import pytest

from pollama.prompt.parsers import parser_for
from pollama.prompt.parsers.nemotron import Nemotron3NanoParser, State

from .streaming import calls, feed, splits

PARSE_CASES = [
    {
        "name": "thinking then content",
        "input": "Let me think about this...</think>\nHere is my answer.",
        "think_value": True,
        "expected_thinking": "Let me think about this...",
        "expected_content": "Here is my answer.",
    },
    {
        "name": "thinking with newlines",
        "input": "Step 1: Analyze\nStep 2: Process\nStep 3: Conclude</think>\nThe answer is 42.",
        "think_value": True,
        "expected_thinking": "Step 1: Analyze\nStep 2: Process\nStep 3: Conclude",
        "expected_content": "The answer is 42.",
    },
    {
        "name": "thinking then tool call",
        "input": "I should check the weather...</think>\n"
        "<tool_call>\n"
        "<function=get_weather>\n"
        "<parameter=city>\n"
        "Paris\n"
        "</parameter>\n"
        "</function>\n"
        "</tool_call>",
        "think_value": True,
        "expected_thinking": "I should check the weather...",
        "expected_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}],
    },
    {
        "name": "thinking content then tool call",
        "input": "Let me think...</think>\n"
        "I'll check for you.\n"
        "<tool_call>\n"
        "<function=search>\n"
        "<parameter=query>\n"
        "test\n"
        "</parameter>\n"
        "</function>\n"
        "</tool_call>",
        "think_value": True,
        "expected_thinking": "Let me think...",
        "expected_content": "I'll check for you.",
        "expected_calls": [{"function": {"name": "search", "arguments": {"query": "test"}}}],
    },
    {
        "name": "empty thinking block - immediate close",
        "input": "</think>\nHere is my answer.",
        "think_value": True,
        "expected_thinking": "",
        "expected_content": "Here is my answer.",
    },
    {
        "name": "thinking disabled but model outputs think close anyway",
        "input": "</think>\nSome content after spurious tag.",
        "think_value": False,
        "expected_content": "</think>\nSome content after spurious tag.",
    },
    {
        "name": "thinking with only whitespace after close tag",
        "input": "My thoughts...</think>   \n\t\n   Content here.",
        "think_value": True,
        "expected_thinking": "My thoughts...",
        "expected_content": "Content here.",
    },
    {
        "name": "leading open think tag is ignored",
        "input": "<think>\nLet me think about this...</think>\nHere is my answer.",
        "think_value": True,
        "expected_thinking": "Let me think about this...",
        "expected_content": "Here is my answer.",
    },
    {
        "name": "empty explicit think block is ignored",
        "input": "<think></think>\nHere is my answer.",
        "think_value": True,
        "expected_thinking": "",
        "expected_content": "Here is my answer.",
    },
]

STREAM_CASES = [
    {
        "name": "streaming thinking then content - granular",
        "chunks": [
            "Let",
            " me",
            " th",
            "ink",
            " about",
            " this",
            "...",
            "<",
            "/",
            "think",
            ">",
            "\n",
            "Here",
            " is",
            " my",
            " answer",
            ".",
        ],
        "think_value": True,
        "expected_thinking": "Let me think about this...",
        "expected_content": "Here is my answer.",
    },
    {
        "name": "streaming thinking with newlines - granular",
        "chunks": [
            "Step",
            " 1",
            ":",
            " Ana",
            "lyze\n",
            "Step",
            " 2",
            ":",
            " Pro",
            "cess",
            "</",
            "thi",
            "nk>",
            "\n",
            "The",
            " ans",
            "wer.",
        ],
        "think_value": True,
        "expected_thinking": "Step 1: Analyze\nStep 2: Process",
        "expected_content": "The answer.",
    },
    {
        "name": "thinking close tag split character by character",
        "chunks": [
            "I",
            "'",
            "m",
            " ",
            "t",
            "h",
            "i",
            "n",
            "k",
            "i",
            "n",
            "g",
            ".",
            ".",
            ".",
            "<",
            "/",
            "t",
            "h",
            "i",
            "n",
            "k",
            ">",
            "\n",
            "D",
            "o",
            "n",
            "e",
            "!",
        ],
        "think_value": True,
        "expected_thinking": "I'm thinking...",
        "expected_content": "Done!",
    },
    {
        "name": "multiple whitespace after think tag - separate chunks",
        "chunks": ["Thinking...", "</think>", "\n", "\n", " ", "Content here."],
        "think_value": True,
        "expected_thinking": "Thinking...",
        "expected_content": "Content here.",
    },
    {
        "name": "thinking then content then tool call - streaming",
        "chunks": [
            "Ana",
            "lyzing",
            " your",
            " request",
            "...",
            "</",
            "think",
            ">\n",
            "I'll",
            " check",
            " that",
            " for",
            " you",
            ".",
            "\n",
            "<tool",
            "_call",
            ">\n",
            "<function",
            "=search",
            ">\n",
            "<parameter",
            "=query",
            ">\n",
            "test",
            " query",
            "\n</",
            "parameter",
            ">\n",
            "</function",
            ">\n",
            "</tool",
            "_call",
            ">",
        ],
        "think_value": True,
        "expected_thinking": "Analyzing your request...",
        "expected_content": "I'll check that for you.",
        "expected_calls": [{"function": {"name": "search", "arguments": {"query": "test query"}}}],
    },
    {
        "name": "empty thinking block",
        "chunks": ["</think>", "\n", "Just content."],
        "think_value": True,
        "expected_thinking": "",
        "expected_content": "Just content.",
    },
    {
        "name": "tool call immediately after think close - no content",
        "chunks": [
            "Analyzing...",
            "</think>",
            "\n",
            "<tool_call>",
            "\n<function=test>\n</function>\n",
            "</tool_call>",
        ],
        "think_value": True,
        "expected_thinking": "Analyzing...",
        "expected_calls": [{"function": {"name": "test", "arguments": {}}}],
    },
    {
        "name": "leading open think tag split across chunks",
        "chunks": ["<th", "ink>", "\nThink first", "</think>", "\nDone."],
        "think_value": True,
        "expected_thinking": "Think first",
        "expected_content": "Done.",
    },
    {
        "name": "partial tool call tag fakeout while thinking preserves whitespace",
        "chunks": ["reasoning ending with ", "<tool_call", " fakeout", "</think>", "Done."],
        "think_value": True,
        "expected_thinking": "reasoning ending with <tool_call fakeout",
        "expected_content": "Done.",
    },
    {
        "name": "partial think close tag fakeout preserves whitespace",
        "chunks": ["reasoning ending with ", "</think", " fakeout", "</think>", "Done."],
        "think_value": True,
        "expected_thinking": "reasoning ending with </think fakeout",
        "expected_content": "Done.",
    },
    {
        "name": "leading partial think tag fakeout is thinking",
        "chunks": ["<th", "oughts are literal", "</think>", "Done."],
        "think_value": True,
        "expected_thinking": "<thoughts are literal",
        "expected_content": "Done.",
    },
]

WEATHER_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]
PARIS_CALL = [{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]


def run(chunks, think, tools=None):
    """As Ollama's tests: every chunk with done=False, then an empty chunk with done=True."""
    parser = Nemotron3NanoParser()
    parser.init(tools, None, think)
    return feed(parser, [*chunks, ""])


def expected(case):
    return (
        case.get("expected_content", ""),
        case.get("expected_thinking", ""),
        calls(case.get("expected_calls")),
    )


@pytest.mark.parametrize("case", PARSE_CASES, ids=lambda c: c["name"])
def test_nemotron_parser(case):
    assert run([case["input"]], case.get("think_value")) == expected(case)


@pytest.mark.parametrize("case", PARSE_CASES, ids=lambda c: c["name"])
def test_nemotron_parser_split_input(case):
    """Blind to whitespace at the ends of the content: Ollama trims the space after </think> only when it
    arrives with the tag."""
    content, thinking, got_calls = expected(case)
    for chunks in splits(case["input"]):
        got = run(chunks, case.get("think_value"))
        assert (got[0].strip(), got[1], got[2]) == (content.strip(), thinking, got_calls), chunks


@pytest.mark.parametrize("case", STREAM_CASES, ids=lambda c: c["name"])
def test_nemotron_parser_streaming(case):
    assert run(case["chunks"], case.get("think_value")) == expected(case)


@pytest.mark.parametrize("name", ["nemotron-3-nano", "nemotron-3.5-nano"])
def test_nemotron_parser_registered_with_tools_and_thinking(name):
    parser = parser_for(name)
    assert isinstance(parser, Nemotron3NanoParser)
    assert parser.has_tool_support and parser.has_thinking_support


@pytest.mark.parametrize(
    ("think", "last_message", "state"),
    [
        (True, None, State.THINKING),
        (False, None, State.CONTENT),
        (None, None, State.THINKING),
        (True, {"role": "assistant", "content": "Starting..."}, State.CONTENT),
    ],
)
def test_nemotron_parser_init_state(think, last_message, state):
    parser = Nemotron3NanoParser()
    parser.init(None, last_message, think)
    assert parser._state is state


def test_nemotron_parser_reinit_clears_buffered_state():
    parser = Nemotron3NanoParser()
    parser.init(None, None, True)
    parser.add("thinking in progress", False)
    parser.init(None, None, False)
    assert parser.add("content only", True) == ("content only", "", [])


def test_nemotron_parser_with_tools():
    parser = Nemotron3NanoParser()
    assert parser.init(WEATHER_TOOLS, None, None) == WEATHER_TOOLS
    text = "<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n</function>\n</tool_call>"
    assert parser.add(text, True)[2] == calls(PARIS_CALL)


def test_nemotron_parser_tool_call_without_think_close():
    chunks = [
        "Let",
        " me",
        " analyze",
        " this",
        ".",
        "\n",
        "<tool_call>",
        "\n",
        "<function=get_weather>",
        "\n",
        "<parameter=city>",
        "Paris",
        "</parameter>",
        "\n",
        "</function>",
        "\n",
        "</tool_call>",
    ]
    assert run(chunks, True) == ("", "Let me analyze this.", calls(PARIS_CALL))
