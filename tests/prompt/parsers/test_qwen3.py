"""Ollama's model/parsers/qwen3_test.go: every case, same chunks and expected results, each also fed at
every split."""

from __future__ import annotations

import pytest

from pollama.prompt.parsers import ParseError, parser_for
from pollama.prompt.parsers.qwen3 import Qwen3Parser
from tests.prompt.parsers.streaming import calls, feed, splits

WEATHER_CALL = ('<tool_call>{"name":"get_weather","arguments":{"location":"San Francisco","unit":"celsius"}}'
                "</tool_call>")
WEATHER = [{"function": {"name": "get_weather", "arguments": {"location": "San Francisco", "unit": "celsius"}}}]
FIRST = '<tool_call>{"name":"first","arguments":{"a":"1"}}</tool_call>'
SECOND = '<tool_call>{"name":"second","arguments":{"b":"2"}}</tool_call>'
THIRD = '<tool_call>{"name":"third","arguments":{"c":"3"}}</tool_call>'
INDEXED = [
    {"function": {"index": 0, "name": "first", "arguments": {"a": "1"}}},
    {"function": {"index": 1, "name": "second", "arguments": {"b": "2"}}},
    {"function": {"index": 2, "name": "third", "arguments": {"c": "3"}}},
]

# parser: "thinking" = Qwen3Parser{hasThinkingSupport: true, defaultThinking: true}, "instruct" = both false,
# or a registered name. Each step: (chunk, done, content, thinking, tool calls) as Go checks them.
CASES = [
    {"name": "thinking enabled", "parser": "thinking", "think": True, "steps": [
        ("Let me think...</think>Answer.", True, "Answer.", "Let me think...", [])]},
    {"name": "thinking enabled with explicit opening tag", "parser": "thinking", "think": True, "steps": [
        ("<think>\nLet me think...</think>Answer.", True, "Answer.", "Let me think...", [])]},
    {"name": "thinking enabled with split opening tag", "parser": "thinking", "think": True, "steps": [
        ("<thi", False, "", "", []),
        ("nk>Let me think...</think>Answer.", True, "Answer.", "Let me think...", [])]},
    {"name": "thinking disabled", "parser": "instruct", "think": False, "steps": [
        ("Direct answer", True, "Direct answer", "", [])]},
    {"name": "nil think defaults to content for instruct parser", "parser": "instruct", "think": None, "steps": [
        ("Direct answer", True, "Direct answer", "", [])]},
    {"name": "tool call", "parser": "instruct", "think": False, "steps": [(WEATHER_CALL, True, "", "", WEATHER)]},
    {"name": "thinking with tool call before thinking close", "parser": "thinking", "think": True, "steps": [
        ("Let me think" + WEATHER_CALL, True, "", "Let me think", WEATHER)]},
    {"name": "thinking with split tool open tag", "parser": "thinking", "think": True, "steps": [
        ("Let me think<tool_ca", False, "", "Let me think", []),
        ('ll>{"name":"get_weather","arguments":{"location":"SF"}}</tool_call>', True, "", "",
         [{"function": {"name": "get_weather", "arguments": {"location": "SF"}}}])]},
    {"name": "qwen3.5 respects no think", "parser": "qwen3.5", "think": False, "steps": [
        ("Hello! How can I help you today?", True, "Hello! How can I help you today?", "", [])]},
    {"name": "tool call indexing", "parser": "instruct", "think": False, "steps": [
        (f"{FIRST}\n{SECOND}\n{THIRD}", True, "", "", INDEXED)]},
    {"name": "tool call indexing streaming", "parser": "instruct", "think": False, "steps": [
        (FIRST + SECOND.removesuffix("}</tool_call>"), False, "", "", INDEXED[:1]),
        ("}</tool_call>" + THIRD, True, "", "", INDEXED[1:])]},
]


def new_parser(case):
    kind = case["parser"]
    parser = (Qwen3Parser(True, True) if kind == "thinking" else Qwen3Parser(False, False) if kind == "instruct"
              else parser_for(kind))
    parser.init(None, None, case["think"])
    return parser


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_steps(case):
    parser = new_parser(case)
    for chunk, done, content, thinking, want_calls in case["steps"]:
        assert parser.add(chunk, done) == (content, thinking, calls(want_calls)), chunk


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_at_every_split(case):
    text = "".join(step[0] for step in case["steps"])
    want = tuple("".join(step[i] for step in case["steps"]) for i in (2, 3)) + (
        calls([c for step in case["steps"] for c in step[4]]),)
    for chunks in splits(text):
        assert feed(new_parser(case), chunks) == want, chunks


def test_tool_call_index_reset_on_init():
    parser = new_parser({"parser": "instruct", "think": False})
    parser.add(FIRST, True)
    parser.init(None, None, False)
    assert parser.add(SECOND, True)[2] == calls([{"function": {"name": "second", "arguments": {"b": "2"}}}])


@pytest.mark.parametrize("name,thinking", [("qwen3", False), ("qwen3-thinking", True)])
def test_registered_names(name, thinking):
    """Not a Go case: ParserForName's flags."""
    parser = parser_for(name)
    parser.init(None, None, None)
    assert (parser.has_tool_support, parser.has_thinking_support) == (True, thinking)
    want = ("Answer", "Plan", []) if thinking else ("Plan</think>Answer", "", [])
    assert parser.add("Plan</think>Answer", True) == want


@pytest.mark.parametrize("raw", ['{"name": ""}', '{"arguments": {}}', "[1]", '{"name": 1}', "{bad json}"])
def test_bad_tool_call_is_an_error(raw):
    """Not a Go case: what parseQwen3ToolCall refuses ends the stream."""
    parser = parser_for("qwen3")
    parser.init(None, None, None)
    with pytest.raises(ParseError):
        parser.add(f"<tool_call>{raw}</tool_call>", True)


def test_whitespace_after_echoed_think_in_its_own_chunk():
    """Not a Go case: Ollama keeps the newline when "<think>" arrives alone (the one-chunk case drops it)."""
    parser = new_parser({"parser": "thinking", "think": True})
    assert feed(parser, ["<think>", "\nLet me think...</think>Answer."]) == ("Answer.", "Let me think...", [])
