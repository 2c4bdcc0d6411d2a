"""Ollama's model/renderers/laguna_test.go: every hard-coded case. The cases that re-render through the
Jinja2 templates with Hugging Face transformers (VERIFY_JINJA2=1 in Go) are not ported."""

from __future__ import annotations

import pytest

from pollama.prompt.renderers import renderer_for
from pollama.prompt.renderers.laguna import DEFAULT_SYSTEM, LagunaRenderer, LagunaV8Renderer

TOOL_JSON = ('{"type": "function", "function": {"name": "get_weather", "description": "Get weather", "parameters": '
             '{"type": "object", "required": ["location"], "properties": {"location": {"type": "string", '
             '"description": "City"}}}}}')
MATH_TOOL_JSON = ('{"type": "function", "function": {"name": "add", "description": "Add numbers", "parameters": '
                  '{"type": "object", "required": ["a", "b"], "properties": {"a": {"type": "number", "description": '
                  '"First number"}, "b": {"type": "number", "description": "Second number"}}}}}')
WEATHER = [{"type": "function", "function": {
    "name": "get_weather", "description": "Get weather",
    "parameters": {"type": "object", "required": ["location"],
                   "properties": {"location": {"type": "string", "description": "City"}}}}}]
MATH = [{"type": "function", "function": {
    "name": "add", "description": "Add numbers",
    "parameters": {"type": "object", "required": ["a", "b"],
                   "properties": {"a": {"type": "number", "description": "First number"},
                                  "b": {"type": "number", "description": "Second number"}}}}}]

TOOLS_INTRO = ("### Tools\n\nYou may call functions to assist with the user query.\n"
               "All available function signatures are listed below:\n<available_tools>\n")
CALL_FORMAT = ("For each function call, return an unescaped XML-like object with function name and arguments "
               "within '<tool_call>' and '</tool_call>' tags, like here:\n")
THINK_FORMAT = ("Wrap your thinking in '<think>', '</think>' tags, followed by a function call. " + CALL_FORMAT
                + "<think> your thoughts here </think>\n")
EXAMPLE = ("<tool_call>function-name\n<arg_key>argument-key</arg_key>\n<arg_value>value-of-argument-key"
           "</arg_value>\n</tool_call>")


def user(text):
    return {"role": "user", "content": text}


def system(text):
    return {"role": "system", "content": text}


ADD_HISTORY = [
    user("Add these."),
    {"role": "assistant", "content": "\nCalling the tool.\n", "thinking": "Need addition.",
     "tool_calls": [{"function": {"name": "add", "arguments": {"a": 2, "b": 3}}}]},
    {"role": "tool", "content": "5"},
    user("Thanks"),
]
MIXED_CALLS = [
    user("Do calls"),
    {"role": "assistant", "tool_calls": [
        {"function": {"name": "echo", "arguments": {"text": "hello", "count": 2}}},
        {"function": {"name": "configure", "arguments": {"flag": True, "options": {"mode": "fast"}}}}]},
    user("Done?"),
]

V2_HEADER = "〈|EOS|〉<system>\n\n" + DEFAULT_SYSTEM + "\n</system>\n"


def v2_tools(tool_json, think=False):
    return ("\n\n" + TOOLS_INTRO + tool_json + "\n</available_tools>\n\n" + (THINK_FORMAT if think else CALL_FORMAT)
            + EXAMPLE + "\n</system>\n")


# (name, messages, tools, think, expected)
V2 = [
    ("empty_messages", [], None, None, V2_HEADER + "<assistant>\n</think>"),
    ("user_only_default", [user("Hello")], None, None, V2_HEADER + "<user>\nHello\n</user>\n<assistant>\n</think>"),
    ("user_only_think", [user("Hello")], None, True, V2_HEADER + "<user>\nHello\n</user>\n<assistant>\n<think>"),
    ("user_only_nothink", [user("Hello")], None, False, V2_HEADER + "<user>\nHello\n</user>\n<assistant>\n</think>"),
    ("first_system_is_header", [system("Stay concise.\n\n"), user("Hi")], None, None,
     "〈|EOS|〉<system>\n\nStay concise.\n</system>\n<user>\nHi\n</user>\n<assistant>\n</think>"),
    ("empty_first_system_opts_out_of_header", [system(""), user("Hi")], None, None,
     "〈|EOS|〉<user>\nHi\n</user>\n<assistant>\n</think>"),
    ("additional_system", [system("Primary."), user("Hi"), system("Secondary.")], None, None,
     "〈|EOS|〉<system>\n\nPrimary.\n</system>\n<user>\nHi\n</user>\n<system>\nSecondary.\n</system>\n"
     "<assistant>\n</think>"),
    ("empty_first_system_with_tools", [system(""), user("Weather?")], WEATHER, None,
     "〈|EOS|〉<system>\n" + v2_tools(TOOL_JSON) + "<user>\nWeather?\n</user>\n<assistant>\n</think>"),
    ("tools_in_header", [system("Stay concise."), user("Weather?")], WEATHER, True,
     "〈|EOS|〉<system>\n\nStay concise." + v2_tools(TOOL_JSON, think=True)
     + "<user>\nWeather?\n</user>\n<assistant>\n<think>"),
    ("tools_default", [user("Weather?")], WEATHER, None,
     "〈|EOS|〉<system>\n\n" + DEFAULT_SYSTEM + v2_tools(TOOL_JSON) + "<user>\nWeather?\n</user>\n<assistant>\n</think>"),
    ("multiple_tools_in_header", [user("Add then report weather")], WEATHER + MATH, None,
     "〈|EOS|〉<system>\n\n" + DEFAULT_SYSTEM + v2_tools(TOOL_JSON + "\n" + MATH_TOOL_JSON)
     + "<user>\nAdd then report weather\n</user>\n<assistant>\n</think>"),
    ("assistant_history", ADD_HISTORY, None, True,
     V2_HEADER + "<user>\nAdd these.\n</user>\n<assistant>\n<think>\nNeed addition.\n</think>\nCalling the tool.\n"
     "<tool_call>add\n<arg_key>a</arg_key>\n<arg_value>2</arg_value>\n<arg_key>b</arg_key>\n<arg_value>3"
     "</arg_value>\n</tool_call>\n</assistant>\n<tool_response>\n5\n</tool_response>\n<user>\nThanks\n</user>\n"
     "<assistant>\n<think>"),
    ("assistant_extracts_thinking_from_content",
     [user("Explain"), {"role": "assistant", "content": "<think>\nPlan\n</think>\nAnswer\n\n"}, user("Next")],
     None, True,
     V2_HEADER + "<user>\nExplain\n</user>\n<assistant>\n<think>\nPlan\n</think>\nAnswer\n</assistant>\n"
     "<user>\nNext\n</user>\n<assistant>\n<think>"),
    ("assistant_thinking_metadata_overrides_content_tags",
     [user("Explain"), {"role": "assistant", "thinking": "Use metadata.", "content": "<think>Ignore this</think>\nAnswer"},
      user("Next")], None, None,
     V2_HEADER + "<user>\nExplain\n</user>\n<assistant>\n<think>\nUse metadata.\n</think>\nAnswer\n</assistant>\n"
     "<user>\nNext\n</user>\n<assistant>\n</think>"),
    ("assistant_whitespace_content_only",
     [user("Continue"), {"role": "assistant", "content": " \n\t "}, user("Next")], None, None,
     V2_HEADER + "<user>\nContinue\n</user>\n<assistant>\n</think>\n</assistant>\n<user>\nNext\n</user>\n"
     "<assistant>\n</think>"),
    ("assistant_multiple_tool_calls_mixed_args", MIXED_CALLS, None, None,
     V2_HEADER + "<user>\nDo calls\n</user>\n<assistant>\n</think>\n<tool_call>echo\n<arg_key>text</arg_key>\n"
     "<arg_value>hello</arg_value>\n<arg_key>count</arg_key>\n<arg_value>2</arg_value>\n</tool_call>\n"
     "<tool_call>configure\n<arg_key>flag</arg_key>\n<arg_value>true</arg_value>\n<arg_key>options</arg_key>\n"
     "<arg_value>{\"mode\": \"fast\"}</arg_value>\n</tool_call>\n</assistant>\n<user>\nDone?\n</user>\n"
     "<assistant>\n</think>"),
]


@pytest.mark.parametrize("name,messages,tools,think,expected", V2, ids=[c[0] for c in V2])
def test_v2_reference_flows(name, messages, tools, think, expected):
    assert LagunaRenderer().render(messages, tools, think) == expected


def test_v2_assistant_prefill():
    got = LagunaRenderer().render([user("Complete this"), {"role": "assistant", "content": "Partial"}], None, None)
    assert got == V2_HEADER + "<user>\nComplete this\n</user>\n<assistant>\n</think>\nPartial\n"


V8_HEADER = "〈|EOS|〉<system>" + DEFAULT_SYSTEM + "</system>\n"


def v8_tools(tool_json):
    return TOOLS_INTRO + tool_json + "\n</available_tools></system>\n"


V8 = [
    ("empty_messages", [], None, None, V8_HEADER + "<assistant></think>"),
    ("user_only_default", [user("Hello")], None, None, V8_HEADER + "<user>Hello</user>\n<assistant></think>"),
    ("user_only_think", [user("Hello")], None, True, V8_HEADER + "<user>Hello</user>\n<assistant><think>"),
    ("user_only_nothink", [user("Hello")], None, False, V8_HEADER + "<user>Hello</user>\n<assistant></think>"),
    ("first_system_is_header", [system("Stay concise.\n\n"), user("Hi")], None, None,
     "〈|EOS|〉<system>Stay concise.</system>\n<user>Hi</user>\n<assistant></think>"),
    ("empty_first_system_opts_out_of_header", [system(""), user("Hi")], None, None,
     "〈|EOS|〉<user>Hi</user>\n<assistant></think>"),
    ("empty_first_system_with_tools", [system(""), user("Weather?")], WEATHER, None,
     "〈|EOS|〉<system>" + v8_tools(TOOL_JSON) + "<user>Weather?</user>\n<assistant></think>"),
    ("empty_first_system_thinking_enabled", [system(""), user("Hi")], None, True,
     "〈|EOS|〉<system></system>\n<user>Hi</user>\n<assistant><think>"),
    ("additional_system", [system("Primary."), user("Hi"), system("Secondary.")], None, None,
     "〈|EOS|〉<system>Primary.</system>\n<user>Hi</user>\n<system>Secondary.</system>\n<assistant></think>"),
    ("tools_in_header", [system("Stay concise."), user("Weather?")], WEATHER, True,
     "〈|EOS|〉<system>Stay concise.\n\n" + v8_tools(TOOL_JSON) + "<user>Weather?</user>\n<assistant><think>"),
    ("tools_default", [user("Weather?")], WEATHER, None,
     "〈|EOS|〉<system>" + DEFAULT_SYSTEM + "\n\n" + v8_tools(TOOL_JSON) + "<user>Weather?</user>\n<assistant></think>"),
    ("multiple_tools_in_header", [user("Add then report weather")], WEATHER + MATH, None,
     "〈|EOS|〉<system>" + DEFAULT_SYSTEM + "\n\n" + v8_tools(TOOL_JSON + "\n" + MATH_TOOL_JSON)
     + "<user>Add then report weather</user>\n<assistant></think>"),
    ("assistant_history", ADD_HISTORY, None, True,
     V8_HEADER + "<user>Add these.</user>\n<assistant><think>Need addition.</think>\nCalling the tool.\n"
     "<tool_call>add<arg_key>a</arg_key><arg_value>2</arg_value><arg_key>b</arg_key><arg_value>3</arg_value>"
     "</tool_call></assistant>\n<tool_response>5</tool_response>\n<user>Thanks</user>\n<assistant><think>"),
    ("assistant_reasoning_ignored_when_thinking_disabled",
     [user("Explain"), {"role": "assistant", "thinking": "Hidden plan.", "content": "Answer"}, user("Next")],
     None, None,
     V8_HEADER + "<user>Explain</user>\n<assistant></think>Answer</assistant>\n<user>Next</user>\n<assistant></think>"),
    ("assistant_empty_reasoning_when_thinking_enabled",
     [user("Explain"), {"role": "assistant", "content": "Answer"}, user("Next")], None, True,
     V8_HEADER + "<user>Explain</user>\n<assistant><think></think>Answer</assistant>\n<user>Next</user>\n"
     "<assistant><think>"),
    ("assistant_preserves_content_whitespace",
     [user("Explain"), {"role": "assistant", "content": "\nAnswer\n"}, user("Next")], None, None,
     V8_HEADER + "<user>Explain</user>\n<assistant></think>\nAnswer\n</assistant>\n<user>Next</user>\n"
     "<assistant></think>"),
    ("assistant_multiple_tool_calls_mixed_args", MIXED_CALLS, None, None,
     V8_HEADER + "<user>Do calls</user>\n<assistant></think><tool_call>echo<arg_key>text</arg_key><arg_value>hello"
     "</arg_value><arg_key>count</arg_key><arg_value>2</arg_value></tool_call><tool_call>configure<arg_key>flag"
     "</arg_key><arg_value>true</arg_value><arg_key>options</arg_key><arg_value>{\"mode\": \"fast\"}</arg_value>"
     "</tool_call></assistant>\n<user>Done?</user>\n<assistant></think>"),
    ("final_assistant_closes_then_generation_prompt",
     [user("Complete this"), {"role": "assistant", "content": "Partial"}], None, None,
     V8_HEADER + "<user>Complete this</user>\n<assistant></think>Partial</assistant>\n<assistant></think>"),
]


@pytest.mark.parametrize("name,messages,tools,think,expected", V8, ids=[c[0] for c in V8])
def test_v8_reference_flows(name, messages, tools, think, expected):
    assert LagunaV8Renderer().render(messages, tools, think) == expected


def test_registered():
    assert isinstance(renderer_for("laguna"), LagunaRenderer)
    assert isinstance(renderer_for("poolside-v1"), LagunaV8Renderer)
    assert renderer_for("laguna").leading_bos == renderer_for("poolside-v1").leading_bos == "〈|EOS|〉"
