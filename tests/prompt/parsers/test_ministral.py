"""Ollama's model/parsers/ministral_test.go, case for case."""

from __future__ import annotations

import json

import pytest

from pollama.prompt.parsers import ParseError, parser_for
from pollama.prompt.parsers.ministral import MinistralParser, find_json_end

from .streaming import calls as go_calls
from .streaming import feed


def tools(*names):
    return [{"type": "function", "function": {"name": n}} for n in names]


def step(text, content="", thinking="", calls=()):
    return text, content, thinking, list(calls)


NESTED = ('{"entities": [{"entityType": "Person", "name": "Jack", "observations": '
          '["Works as a baker"]}]}')

# (desc, tool names, thinking support, steps); each step: (input, content, thinking, [(name, args)])
STREAMING = [
    ("simple content", (), False, [step("Hello, how can I help you?", "Hello, how can I help you?")]),
    ("streaming content word by word", (), False,
     [step("Hello,", "Hello,"), step(" how", " how"), step(" can I help?", " can I help?")]),
    ("simple tool call", ("get_weather",), False,
     [step('[TOOL_CALLS]get_weather[ARGS]{"location": "San Francisco"}',
           calls=[("get_weather", '{"location": "San Francisco"}')])]),
    ("tool call with nested object", ("create_entities",), False,
     [step("[TOOL_CALLS]create_entities[ARGS]" + NESTED, calls=[("create_entities", NESTED)])]),
    ("tool call with deeply nested objects", ("update_config",), False,
     [step('[TOOL_CALLS]update_config[ARGS]{"settings": {"user": {"profile": {"name": "John", "age": 30}}, '
           '"theme": "dark"}}',
           calls=[("update_config", '{"settings": {"user": {"profile": {"name": "John", "age": 30}}, '
                                    '"theme": "dark"}}')])]),
    ("tool call with array of objects", ("process_items",), False,
     [step('[TOOL_CALLS]process_items[ARGS]{"items": [{"id": 1}, {"id": 2}, {"id": 3}]}',
           calls=[("process_items", '{"items": [{"id": 1}, {"id": 2}, {"id": 3}]}')])]),
    ("tool call with escaped quotes in string", ("search",), False,
     [step('[TOOL_CALLS]search[ARGS]{"query": "say \\"hello\\""}',
           calls=[("search", '{"query": "say \\"hello\\""}')])]),
    ("tool call with braces inside string", ("format",), False,
     [step('[TOOL_CALLS]format[ARGS]{"template": "Hello {name}!"}',
           calls=[("format", '{"template": "Hello {name}!"}')])]),
    ("empty JSON object", ("no_args",), False,
     [step("[TOOL_CALLS]no_args[ARGS]{}", calls=[("no_args", "{}")])]),
    ("JSON with newlines in string", ("write",), False,
     [step('[TOOL_CALLS]write[ARGS]{"content": "line1\\nline2\\nline3"}',
           calls=[("write", '{"content": "line1\\nline2\\nline3"}')])]),
    ("backslash in string value", ("path",), False,
     [step('[TOOL_CALLS]path[ARGS]{"dir": "C:\\\\Users\\\\test"}',
           calls=[("path", '{"dir": "C:\\\\Users\\\\test"}')])]),
    ("content after tool call", ("test",), False,
     [step('[TOOL_CALLS]test[ARGS]{"a": 1}some content after', "some content after",
           calls=[("test", '{"a": 1}')])]),
    ("multiple tool calls in sequence", ("get_weather", "get_time"), False,
     [step('[TOOL_CALLS]get_weather[ARGS]{"location": "NYC"}[TOOL_CALLS]get_time[ARGS]{"timezone": "EST"}',
           calls=[("get_weather", '{"location": "NYC"}'), ("get_time", '{"timezone": "EST"}')])]),
    ("multiple tool calls streamed separately", ("tool_a", "tool_b"), False,
     [step('[TOOL_CALLS]tool_a[ARGS]{"x": 1}', calls=[("tool_a", '{"x": 1}')]),
      step('[TOOL_CALLS]tool_b[ARGS]{"y": 2}', calls=[("tool_b", '{"y": 2}')])]),
    ("streaming tool call with nested objects", ("create_entities",), False,
     [step("[TOOL_CALLS]create_entities[ARGS]"), step('{"entities": [{"entityType": "Person",'),
      step(' "name": "Jack",'), step(' "observations": ["Works'), step(' as a baker"]}'),
      step("]}", calls=[("create_entities", NESTED)])]),
    ("streaming with incomplete JSON waits for completion", ("test",), False,
     [step("[TOOL_CALLS]test[ARGS]{"), step('"a": {'), step('"b": 1'), step("}"),
      step("}", calls=[("test", '{"a": {"b": 1}}')])]),
    ("partial tool tag fakeout", (), False, [step("abc[TOOL", "abc"), step(" not a tag", "[TOOL not a tag")]),
    ("tool call tag split across chunks", ("test",), False,
     [step("[TOOL_"), step("CALLS]test[ARGS]{}", calls=[("test", "{}")])]),
    ("content before tool call", ("get_weather",), False,
     [step("hello [TOOL_CALLS]get_weather[ARGS]{}", "hello", calls=[("get_weather", "{}")])]),
    ("whitespace between content and tool call is trimmed", ("test",), False,
     [step("content \n [TOOL_CALLS]test[ARGS]{}", "content", calls=[("test", "{}")])]),
    ("tabs and newlines before tool call are trimmed", ("test",), False,
     [step("content\t\n\t[TOOL_CALLS]test[ARGS]{}", "content", calls=[("test", "{}")])]),
    ("non-breaking space before tool call is trimmed", ("test",), False,
     [step("content\u00a0[TOOL_CALLS]test[ARGS]{}", "content", calls=[("test", "{}")])]),
    ("whitespace before THINK tag is trimmed", (), False,
     [step("content \n [THINK]thinking[/THINK]after", "contentafter", "thinking")]),
    ("trailing whitespace withheld then emitted", (), False, [step("Hello ", "Hello"), step("world", " world")]),
    ("trailing newline withheld then emitted", (), False, [step("Hello\n", "Hello"), step("world", "\nworld")]),
    ("thinking content", (), True,
     [step("thinking here[/THINK]", thinking="thinking here"), step("content after", "content after")]),
    ("thinking with whitespace after end tag", (), True,
     [step("my thoughts[/THINK]  \n  response", "response", "my thoughts")]),
    ("non-breaking space after think end tag is trimmed", (), True,
     [step("thinking[/THINK]\u00a0response", "response", "thinking")]),
    ("partial think end tag", (), True, [step("thinking[/THI", thinking="thinking"), step("NK]after", "after")]),
    ("think tag fakeout", (), True,
     [step("thinking[/THI", thinking="thinking"), step("not end tag", thinking="[/THInot end tag")]),
    ("thinking then tool call", ("test",), True,
     [step("let me think[/THINK][TOOL_CALLS]test[ARGS]{}", thinking="let me think", calls=[("test", "{}")])]),
    ("content then think tag", (), False,
     [step("content[THINK]thinking[/THINK]more", "contentmore", "thinking")]),
    ("unicode content", (), False, [step("你好 🌍 مرحبا", "你好 🌍 مرحبا")]),
    ("unicode in tool args", ("greet",), False,
     [step('[TOOL_CALLS]greet[ARGS]{"message": "你好 🌍"}', calls=[("greet", '{"message": "你好 🌍"}')])]),
]


def new_parser(names, think):
    parser = MinistralParser(has_thinking_support=think)
    parser.init(tools(*names), None, None)
    return parser


@pytest.mark.parametrize("desc,names,think,steps", STREAMING, ids=[c[0] for c in STREAMING])
def test_streaming(desc, names, think, steps):
    parser = new_parser(names, think)
    for text, content, thinking, calls in steps:
        got_content, got_thinking, got_calls = parser.add(text, False)
        assert (got_content, got_thinking) == (content, thinking), text
        assert [(c["function"]["name"], c["function"]["arguments"]) for c in got_calls] == \
            [(name, json.loads(args)) for name, args in calls]


# As in Go, whitespace after [/THINK] is trimmed only from what is buffered when the tag completes; fed a
# character at a time, the whitespace arrives later and stays content.
CHAR_FED_CONTENT = {
    "thinking with whitespace after end tag": "  \n  response",
    "non-breaking space after think end tag is trimmed": "\u00a0response",
}


@pytest.mark.parametrize("desc,names,think,steps", STREAMING, ids=[c[0] for c in STREAMING])
def test_streaming_one_char_at_a_time(desc, names, think, steps):
    """Every case again with its whole output fed one character per chunk: same totals."""
    text = "".join(s[0] for s in steps)
    content, thinking, calls = feed(new_parser(names, think), list(text) or [""])
    assert content == CHAR_FED_CONTENT.get(desc, "".join(s[1] for s in steps))
    assert thinking == "".join(s[2] for s in steps)
    want = [(name, json.loads(args)) for s in steps for name, args in s[3]]
    assert [(c["function"]["name"], c["function"]["arguments"]) for c in calls] == want


def test_assigns_sequential_tool_call_indices():
    parser = MinistralParser()
    parser.init(tools("get_weather", "get_time"), None, None)
    content, thinking, calls = parser.add(
        '[TOOL_CALLS]get_weather[ARGS]{"location":"NYC"}[TOOL_CALLS]get_time[ARGS]{"timezone":"EST"}', True)
    assert (content, thinking) == ("", "")
    assert calls == go_calls([
        {"function": {"index": 0, "name": "get_weather", "arguments": {"location": "NYC"}}},
        {"function": {"index": 1, "name": "get_time", "arguments": {"timezone": "EST"}}},
    ])


def test_unknown_tool_is_an_error():
    parser = MinistralParser()
    parser.init(tools("known_tool"), None, None)
    with pytest.raises(ParseError):
        parser.add('[TOOL_CALLS]unknown_tool[ARGS]{"a": 1}', True)


def test_invalid_json_is_an_error():
    parser = MinistralParser()
    parser.init(tools("test"), None, None)
    with pytest.raises(ParseError):
        parser.add("[TOOL_CALLS]test[ARGS]{invalid json}", True)


FIND_JSON_END = [
    ("simple object", '{"a": 1}', 7),
    ("nested object", '{"a": {"b": 2}}', 14),
    ("array inside object", '{"items": [1, 2, 3]}', 19),
    ("braces in string", '{"template": "Hello {name}!"}', 28),
    ("escaped quotes", '{"msg": "say \\"hi\\""}', 20),
    ("incomplete object", '{"a": {"b": 1}', -1),
    ("deeply nested", '{"a": {"b": {"c": {"d": 1}}}}', 28),
    ("object with trailing content", '{"a": 1} extra', 7),
    ("array", '[{"a": 1}, {"b": 2}]', 19),
    ("escaped backslash before quote", '{"path": "C:\\\\"}', 15),
    ("empty string", "", -1),
    ("no opening brace", "hello world", -1),
    ("only opening brace", "{", -1),
    ("unclosed string", '{"key": "unclosed', -1),
    ("double escaped backslash then quote", '{"path": "C:\\\\\\\\"}', 17),
    ("unicode in key and value", '{"키": "값"}', 13),
    ("nested arrays", '{"matrix": [[1, 2], [3, 4]]}', 27),
    ("mixed nesting", '{"a": [{"b": {"c": [1, 2, 3]}}]}', 31),
]


@pytest.mark.parametrize("name,text,byte_index", FIND_JSON_END, ids=[c[0] for c in FIND_JSON_END])
def test_find_json_end(name, text, byte_index):
    """Go answers a byte offset; ours is a character offset into the same text."""
    end = find_json_end(text)
    assert (end if end < 0 else len(text[:end].encode())) == byte_index


def test_support_flags_and_registration():
    assert MinistralParser().has_tool_support
    assert not MinistralParser(has_thinking_support=False).has_thinking_support
    assert MinistralParser(has_thinking_support=True).has_thinking_support
    parser = parser_for("ministral")
    assert isinstance(parser, MinistralParser) and not parser.has_thinking_support
