"""Ollama's model/parsers/cohere_test.go, case for case; the multi-chunk cases also at every split."""

from __future__ import annotations

import pytest

from pollama.prompt.parsers import parser_for
from pollama.prompt.parsers.cohere import CohereParser

from .streaming import feed, splits


def parser(last=None, think=None):
    p = CohereParser()
    p.init(None, last, think)
    return p


def names(calls):
    return [c["function"]["name"] for c in calls]


# (name, chunks, init kwargs, content, thinking): the cases that check text only.
TEXT_CASES = [
    ("thinking then text", ["Let me think", " about this.<|END_THINKING|>", "<|START_TEXT|>Hello",
                            " world!<|END_TEXT|>"], {}, "Hello world!", "Let me think about this."),
    ("split tags", ["think<|END_TH", "INKING|><|STAR", "T_TEXT|>ans", "wer<|END_", "TEXT|>"], {},
     "answer", "think"),
    ("reasoning off", ["<|START_TEXT|>direct answer<|END_TEXT|>"], {"think": False}, "direct answer", ""),
    ("bare content", ["thought<|END_THINKING|>", "Just plain text", " output"], {},
     "Just plain text output", "thought"),
    ("end of turn without end text", ["t<|END_THINKING|><|START_TEXT|>answer<|END_OF_TURN_TOKEN|>"], {},
     "answer", "t"),
    ("prefill continuation", [" continued<|END_TEXT|>"], {"last": {"role": "assistant", "content": "partial"}},
     " continued", ""),
    ("legacy response markers", ["plan<|END_THINKING|>", "<|START_RESPONSE|>Hello", " there<|END_RESPONSE|>"],
     {}, "Hello there", "plan"),
    ("end of turn between blocks", ["t<|END_THINKING|><|START_TEXT|>hi<|END_TEXT|><|END_OF_TURN_TOKEN|>"], {},
     "hi", "t"),
    ("bare content before end of turn", ["t<|END_THINKING|>plain answer<|END_OF_TURN_TOKEN|>"], {},
     "plain answer", "t"),
]


@pytest.mark.parametrize("name,chunks,init,content,thinking", TEXT_CASES, ids=[c[0] for c in TEXT_CASES])
def test_text(name, chunks, init, content, thinking):
    assert feed(parser(**init), chunks) == (content, thinking, [])


@pytest.mark.parametrize("name,chunks,init,content,thinking", TEXT_CASES, ids=[c[0] for c in TEXT_CASES])
def test_text_at_every_split(name, chunks, init, content, thinking):
    for pieces in splits("".join(chunks)):
        assert feed(parser(**init), pieces) == (content, thinking, []), pieces


TOOL_CALL_CHUNKS = [
    "plan<|END_THINKING|><|START_ACTION|>[\n",
    '    {"tool_call_id": "0", "tool_name": "get_weather", "parameters": {"city": "Paris"}},',
    '    {"tool_call_id": "1", "tool_name": "get_time", "parameters": {}}',
    "\n]<|END_ACTION|>",
]


def test_tool_call():
    for pieces in [TOOL_CALL_CHUNKS, *splits("".join(TOOL_CALL_CHUNKS))]:
        content, thinking, calls = feed(parser(), pieces)
        assert (content, thinking) == ("", "plan")
        assert calls == [
            {"id": "0", "function": {"index": 0, "name": "get_weather", "arguments": {"city": "Paris"}}},
            {"id": "1", "function": {"index": 1, "name": "get_time", "arguments": {}}},
        ]


def test_registered():
    p = parser_for("cohere")
    assert isinstance(p, CohereParser) and p.has_tool_support and p.has_thinking_support


def test_malformed_actions():
    _, _, calls = feed(parser(), [
        "plan<|END_THINKING|><|START_ACTION|>[\n",
        '    {"tool_call_id": "0", "tool_name": "set_alarm", "parameters": {"time": 15:30}},',
        '    {"tool_call_id": "1", "tool_name": "get_weather", "parameters": {"city": "Oslo"}}',
        "\n]<|END_ACTION|>",
    ])
    assert names(calls) == ["get_weather"]

    _, _, calls = feed(parser(), [
        "<|END_THINKING|><|START_ACTION|>[",
        '{"tool_call_id": "0", "tool_name": "a", "parameters": {}}',
        '{"tool_call_id": "1", "tool_name": "b", "parameters": {"x": "{not json}"}}',
        "]<|END_ACTION|>",
    ])
    assert names(calls) == ["a", "b"]
    assert calls[1]["function"]["arguments"] == {"x": "{not json}"}

    assert feed(parser(), ["x<|END_THINKING|><|START_ACTION|>[!!!]<|END_ACTION|>"])[2] == []


@pytest.mark.parametrize("chunk", ["<|START_RESPONSE|>The answer is 42.", "<|TOOL_PLAN|>I should call the tool.",
                                   "Just plain text."])
def test_streams_before_done(chunk):
    """Output after END_THINKING that opens with an unknown tag streams at once, not at the end."""
    p = parser()
    p.add("x<|END_THINKING|>", False)
    content, _, _ = p.add(chunk, False)
    assert content
