"""Ollama's model/parsers/laguna_test.go, case for case; single-Add cases also at every split."""

from __future__ import annotations

import pytest

from pollama.prompt.parsers import parser_for
from pollama.prompt.parsers.laguna import LagunaParser, LagunaV8Parser

from .streaming import feed, splits


def tool(tool_name, **props):
    return {"function": {"name": tool_name, "parameters": {"properties": {k: {"type": t} for k, t in props.items()}}}}


WEATHER = [tool("get_weather", location="string", days="integer")]
READ = [tool("read", path="string")]
BASH = [tool("bash", command="string")]
SKILL = [tool("skill", name="string")]
ASSISTANT = {"role": "assistant", "content": "prefill"}


def parser(tools=None, last=None, think=None, name="laguna"):
    p = parser_for(name)
    p.init(tools, last, think)
    return p


def call(name, args, index=0):
    return {"function": {"index": index, "name": name, "arguments": args}}


def test_registered():
    for name, cls in (("laguna", LagunaParser), ("poolside-v1", LagunaV8Parser)):
        p = parser_for(name)
        assert isinstance(p, cls) and p.has_tool_support and p.has_thinking_support


# (name, tools, last message, think, output, content, thinking, calls): one Add with done=True
WHOLE = [
    ("tool call", WEATHER, None, None,
     "<tool_call>get_weather\n<arg_key>location</arg_key>\n<arg_value>Paris</arg_value>\n<arg_key>days</arg_key>\n"
     "<arg_value>3</arg_value>\n</tool_call>", "", "", [call("get_weather", {"location": "Paris", "days": 3})]),
    ("JSON tool call", WEATHER, None, None,
     '<tool_call>\n{"name":"get_weather","arguments":{"location":"Paris","days":3}}\n</tool_call>', "", "",
     [call("get_weather", {"location": "Paris", "days": 3.0})]),
    ("standalone JSON tool call", WEATHER, None, None,
     '{"name":"get_weather","arguments":{"location":"Paris","days":3}}', "", "",
     [call("get_weather", {"location": "Paris", "days": 3})]),
    ("standalone JSON tool call after leading content", WEATHER, None, None,
     'Let me call the weather tool.\n{"name":"get_weather","arguments":{"location":"Paris"}}',
     "Let me call the weather tool.", "", [call("get_weather", {"location": "Paris"})]),
    ("name line JSON tool call", WEATHER, None, None,
     '<tool_call>get_weather\n{"location":"San Francisco"}</tool_call>', "", "",
     [call("get_weather", {"location": "San Francisco"})]),
    ("normalizes common tool aliases", READ, None, None,
     '<tool_call>\n{"name":"read_file","arguments":{"path":"./go.mod"}}\n</tool_call>', "", "",
     [call("read", {"path": "./go.mod"})]),
    ("ignores duplicated nested tool call", SKILL, None, None,
     '<tool_call>skill\n{"name":"git-diff-review"}\n<tool_call>skill\n{"name":"git-diff-review"}</tool_call>',
     "", "", [call("skill", {"name": "git-diff-review"})]),
    ("thinking then tool", WEATHER, None, True,
     "<think>Need current weather.</think>\n<tool_call>get_weather\n<arg_key>location</arg_key>\n"
     "<arg_value>SF</arg_value>\n</tool_call>", "", "Need current weather.", [call("get_weather", {"location": "SF"})]),
    ("user tagged tool alias", WEATHER, None, None,
     "<user>get_weather\n<arg_key>location</arg_key>\n<arg_value>San Francisco, CA</arg_value>\n</user>", "", "",
     [call("get_weather", {"location": "San Francisco, CA"})]),
    ("user tagged tool alias with leading content", READ, None, None,
     "I'll read the file for you.\n<user>read\n<arg_key>path</arg_key>\n"
     "<arg_value>/Users/test/code/myproject/go.mod</arg_value>\n</user>", "I'll read the file for you.", "",
     [call("read", {"path": "/Users/test/code/myproject/go.mod"})]),
    ("user tagged JSON tool call with leading content", BASH, None, None,
     'I\'ll run git diff for you.<user>\n{"name":"bash","arguments":{"command":"git diff main"}}\n</user>',
     "I'll run git diff for you.", "", [call("bash", {"command": "git diff main"})]),
    ("user tagged non-tool content", WEATHER, None, None, "<user>hello</user>", "<user>hello</user>", "", []),
    ("thinking defaults off", None, None, None, "<think>Need to reason.</think>\nDirect answer.", "Direct answer.",
     "", []),
    ("thinking defaults off when tools present", WEATHER, None, None,
     "<think>Need to reason.</think>\n<tool_call>get_weather\n<arg_key>location</arg_key>\n<arg_value>Paris"
     "</arg_value>\n</tool_call>", "", "", [call("get_weather", {"location": "Paris"})]),
    ("thinking explicitly disabled", None, None, False, "<think>Hidden?</think>\nDirect answer.", "Direct answer.",
     "", []),
    ("thinking explicitly disabled drops leading close tag", None, None, False, "</think>\nTokyo\n", "Tokyo", "", []),
    ("thinking enabled drops leading close tag", None, None, True, "</think>\nTokyo\n", "Tokyo", "", []),
    ("thinking default off drops leading close tag", None, None, None, "</think>\nTokyo\n", "Tokyo", "", []),
    ("thinking enabled untagged answer is thinking", None, None, True, "Direct answer.", "", "Direct answer.", []),
    ("assistant prefill continues as content", None, {"role": "assistant", "content": "The answer is"}, True,
     " 42.", "42.", "", []),
    ("assistant prefill continues as tool call", WEATHER, {"role": "assistant", "thinking": "earlier reasoning"},
     True, "<tool_call>get_weather\n<arg_key>location</arg_key>\n<arg_value>Paris</arg_value>\n</tool_call>", "",
     "", [call("get_weather", {"location": "Paris"})]),
    ("non-assistant last message still primes thinking", None, {"role": "user", "content": "hi"}, True,
     "Direct answer.", "", "Direct answer.", []),
    ("strips leading content whitespace", None, None, False, "\nHello! How can I help?", "Hello! How can I help?",
     "", []),
    ("strips trailing content whitespace", None, None, False, "Hello there.\n\n", "Hello there.", "", []),
    ("primed thinking then content", None, None, True, "\nReasoning here.\n</think>\nThe answer.", "The answer.",
     "Reasoning here.", []),
]


@pytest.mark.parametrize("name,tools,last,think,text,content,thinking,calls", WHOLE, ids=[c[0] for c in WHOLE])
def test_whole_output(name, tools, last, think, text, content, thinking, calls):
    assert parser(tools, last, think).add(text, True) == (content, thinking, calls)


@pytest.mark.parametrize("name,tools,last,think,text,content,thinking,calls", WHOLE, ids=[c[0] for c in WHOLE])
def test_whole_output_at_every_split(name, tools, last, think, text, content, thinking, calls):
    for pieces in splits(text):
        assert feed(parser(tools, last, think), pieces) == (content, thinking, calls), pieces


def test_streaming_standalone_json_tool_call():
    p = parser(WEATHER)
    assert p.add('{"name":"get_weather","arguments":{"location":"San Francisco,', False) == ("", "", [])
    assert p.add(' CA"}}', True) == ("", "", [call("get_weather", {"location": "San Francisco, CA"})])


def test_streaming_user_tagged_tool_alias_after_content():
    p = parser(READ)
    assert p.add("I'll read the file for you.<us", False) == ("I'll read the file for you.", "", [])
    assert p.add("er>read\n<arg_key>path</arg_key>\n<arg_value>/Users/test/code/myproject/go.mod</arg_value>\n"
                 "</user>", True) == ("", "", [call("read", {"path": "/Users/test/code/myproject/go.mod"})])


def test_v8_assistant_history_still_primes_thinking():
    p = parser(None, {"role": "assistant", "content": "Previous."}, True, name="poolside-v1")
    assert p.add("Reasoning.</think>Answer.", True) == ("Answer.", "Reasoning.", [])


def test_split_tool_tag():
    p = parser(WEATHER, think=True)
    assert p.add("<think>Need lookup<tool_c", False) == ("", "Need lookup", [])
    assert p.add("all>get_weather\n<arg_key>location</arg_key>\n<arg_value>SF</arg_value>\n</tool_call>", True) == \
        ("", "", [call("get_weather", {"location": "SF"})])


@pytest.mark.parametrize("think,content,thinking", [(None, "Document literal <tool_call fakeout", ""),
                                                    (True, "", "Document literal <tool_c fakeout")])
def test_partial_tool_call_fakeout(think, content, thinking):
    chunks = ["<think>Document literal <tool_c", " fakeout"] if think else ["Document literal <tool_call", " fakeout"]
    assert feed(parser(WEATHER, think=think), chunks) == (content, thinking, [])


FAKEOUT_SETUPS = [("default off", None, None), ("explicit off", False, None),
                  ("enabled assistant prefill content", True, ASSISTANT)]


@pytest.mark.parametrize("name,think,last", FAKEOUT_SETUPS, ids=[c[0] for c in FAKEOUT_SETUPS])
@pytest.mark.parametrize("chunks", [["Document literal <think", " fakeout"], ["</think", " fakeout"]])
def test_partial_think_tag_fakeout_in_content(name, think, last, chunks):
    assert feed(parser(None, last, think), chunks) == ("".join(chunks), "", [])
