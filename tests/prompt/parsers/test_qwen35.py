"""Ollama's model/parsers/qwen35_test.go and qwen38_test.go (both drive the `qwen3.5` parser, which
`ornith` shares): every case, same chunks and expected results, each also fed at every split."""

from __future__ import annotations

import pytest

from pollama.prompt.parsers import parser_for
from tests.prompt.parsers.streaming import calls, feed, splits

WEATHER = [{"function": {"name": "get_weather", "parameters": {"properties": {"location": {"type": "string"}}}}}]
WEATHER_DAYS = [{"function": {"name": "get_weather", "parameters": {"properties": {
    "location": {"type": "string"}, "days": {"type": "integer"}}}}}]
SF_CALL = [{"function": {"name": "get_weather", "arguments": {"location": "SF"}}}]
SF_TOOL_CALL = "<tool_call><function=get_weather><parameter=location>\nSF\n</parameter></function></tool_call>"

# Each step: (chunk, done, content, thinking, tool calls) as Go's test checks them after that Add.
CASES = [
    {"name": "XML tool call", "tools": WEATHER_DAYS, "think": False, "steps": [(
        "<tool_call><function=get_weather><parameter=location>\nSan Francisco\n</parameter><parameter=days>\n3\n"
        "</parameter></function></tool_call>", True, "", "",
        [{"function": {"name": "get_weather", "arguments": {"location": "San Francisco", "days": 3}}}])]},
    {"name": "thinking with explicit opening tag", "think": True, "steps": [
        ("<think>\nLet me think...</think>Answer.", True, "Answer.", "Let me think...", [])]},
    {"name": "assistant prefill starts in content", "last": {"role": "assistant", "content": "Prefilled response start"},
     "steps": [(" and continued", True, " and continued", "", [])]},
    {"name": "tool call emitted in thinking is parsed", "tools": WEATHER, "think": True, "steps": [
        ("Need weather lookup" + SF_TOOL_CALL, True, "", "Need weather lookup", SF_CALL)]},
    {"name": "tool call emitted in thinking, tag split across chunks", "tools": WEATHER, "think": True, "steps": [
        ("Need weather lookup<tool_c", False, "", "Need weather lookup", []),
        (SF_TOOL_CALL.removeprefix("<tool_c"), True, "", "", SF_CALL)]},
    {"name": "fakeout partial tool call then think close across chunks", "tools": WEATHER, "think": True, "steps": [
        ("Need weather lookup<tool_c", False, "", "Need weather lookup", []),
        ("</thi", False, "", "<tool_c", []),
        ("nk>", True, "", "", [])]},
    {"name": "tool call after thinking close is parsed", "tools": WEATHER, "think": True, "steps": [
        ("Need weather lookup</think>" + SF_TOOL_CALL, True, "", "Need weather lookup", SF_CALL)]},
    {"name": "thinking disabled passes content through", "think": False, "steps": [
        ("Plain answer without think close tag.", True, "Plain answer without think close tag.", "", [])]},
    {"name": "thinking disabled with close tag treats as content", "think": False, "steps": [
        ("</think>Some content after spurious tag.", True, "</think>Some content after spurious tag.", "", [])]},
    {"name": "leading think close produces content", "think": True, "steps": [
        ("</think>The final answer.", True, "The final answer.", "", [])]},
    {"name": "streaming split think close tag", "think": True, "steps": [
        ("Reasoning text</thi", False, "", "Reasoning text", []),
        ("nk>The final answer.", True, "The final answer.", "", [])]},
    {"name": "streaming eats whitespace after think close", "think": True, "steps": [
        ("Reasoning</think>", False, "", "Reasoning", []),
        ("\n \t", False, "", "", []),
        ("The final answer.", True, "The final answer.", "", [])]},
    {"name": "thinking truncated without close tag", "think": True, "steps": [
        ("Reasoning that never closes", True, "", "Reasoning that never closes", [])]},
    # qwen38_test.go: TestQwen38ParserMalformedAndControlLikeContent
    {"name": "ordinary control-like text", "think": True, "steps": [
        ("Plan</think>ordinary <tool_calling> marker.", True, "ordinary <tool_calling> marker.", "Plan", [])]},
    {"name": "truncated tool call", "think": True, "steps": [
        ("Plan</think>Before<tool_call><function=get_weather>", True, "Before", "Plan", [])]},
]


def new_parser(case, name="qwen3.5"):
    parser = parser_for(name)
    parser.init(case.get("tools"), case.get("last"), case.get("think"))
    return parser


@pytest.mark.parametrize("name", ["qwen3.5", "ornith"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_steps(case, name):
    parser = new_parser(case, name)
    for chunk, done, content, thinking, want_calls in case["steps"]:
        assert parser.add(chunk, done) == (content, thinking, calls(want_calls)), chunk


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_at_every_split(case):
    text = "".join(step[0] for step in case["steps"])
    want = tuple("".join(step[i] for step in case["steps"]) for i in (2, 3)) + (
        calls([c for step in case["steps"] for c in step[4]]),)
    for chunks in splits(text):
        assert feed(new_parser(case), chunks) == want, chunks


QWEN38_TOOLS = [
    {"type": "function", "function": {"name": "get_weather", "parameters": {
        "type": "object", "properties": {"city": {"type": ["string"]}}}}},
    {"type": "function", "function": {"name": "set_uv_threshold", "parameters": {
        "type": "object", "properties": {"index": {"type": ["integer"]}}}}},
]
QWEN38_CONTINUATION = (
    "<think>\nNeed weather and UV for Montréal.\n</think>\n\nI'll check both.\n\n"
    "<tool_call>\n<function=get_weather>\n<parameter=city>\nMontréal\n</parameter>\n</function>\n</tool_call>\n"
    "<tool_call>\n<function=set_uv_threshold>\n<parameter=index>\n5\n</parameter>\n</function>\n</tool_call>"
)


def test_qwen38_reference_continuation_at_every_split():
    want = ("I'll check both.", "Need weather and UV for Montréal.", calls([
        {"function": {"index": 0, "name": "get_weather", "arguments": {"city": "Montréal"}}},
        {"function": {"index": 1, "name": "set_uv_threshold", "arguments": {"index": 5}}},
    ]))
    for chunks in [["", QWEN38_CONTINUATION], [QWEN38_CONTINUATION, ""], *splits(QWEN38_CONTINUATION)]:
        assert feed(new_parser({"tools": QWEN38_TOOLS, "think": True}), chunks) == want, chunks


def test_tool_call_in_thinking_with_chunk_ending_in_partial_tag():
    """Not a Go case: Ollama puts the call into the thinking when a chunk ends in "<" after <tool_call>."""
    parser = new_parser({"tools": WEATHER, "think": True})
    chunks = ["Need weather lookup<tool_call><", SF_TOOL_CALL.removeprefix("<tool_call><")]
    assert feed(parser, chunks) == ("", "Need weather lookup", calls(SF_CALL))
