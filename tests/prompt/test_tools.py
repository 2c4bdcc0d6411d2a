"""Tool-call parsing: the format derived from templates, streaming under any split, malformed calls kept."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from templates import CHATML, LLAMA32, MISTRAL, QWEN3, QWEN25, TOOLS

from pollama.prompt.tools import ToolCallFormat, ToolCallParser, tool_call_format

PYTHON_TAG = ('{{ range .Messages }}{{ if .ToolCalls }}<|python_tag|>{{ range .ToolCalls }}{"name": '
              '"{{ .Function.Name }}", "parameters": {{ json .Function.Arguments }}}{{ end }}<|eom_id|>'
              '{{ else }}{{ .Content }}{{ end }}{{ end }}')
HEADER_IN_IF = ('{{ range .Messages }}{{ if .ToolCalls }}<|start_header_id|>assistant<|end_header_id|>\n\n'
                '<function_calls>[{{ range $i, $c := .ToolCalls }}{{ if $i }}, {{ end }}{"function": '
                '{"name": "{{ $c.Function.Name }}", "args": {{ $c.Function.Arguments }}}}{{ end }}]</function_calls>'
                '{{ end }}{{ end }}')
JINJA_QWEN = "{% for m in messages %}{% if m.tool_calls %}<tool_call>{{ m.tool_calls | tojson }}</tool_call>{% endif %}{% endfor %}"


def test_formats_derived_from_templates() -> None:
    assert tool_call_format(QWEN25) == ToolCallFormat("<tool_call>", "</tool_call>", "name", "arguments")
    assert tool_call_format(QWEN3) == ToolCallFormat("<tool_call>", "</tool_call>", "name", "arguments")
    assert tool_call_format(MISTRAL) == ToolCallFormat("[TOOL_CALLS]", "", "name", "arguments", "{[")
    assert tool_call_format(LLAMA32) == ToolCallFormat("", "", "name", "parameters")
    assert tool_call_format(PYTHON_TAG) == ToolCallFormat("<|python_tag|>", "<|eom_id|>", "name", "parameters")
    assert tool_call_format(HEADER_IN_IF) == ToolCallFormat("<function_calls>", "</function_calls>", "name", "args",
                                                            "{[")
    assert tool_call_format(JINJA_QWEN) == ToolCallFormat("<tool_call>", "</tool_call>")
    assert tool_call_format(CHATML) == ToolCallFormat()
    assert tool_call_format("") == ToolCallFormat()


def run(template: str, chunks: list[str], tools: list[dict[str, Any]] = TOOLS) -> tuple[str, list[dict[str, Any]]]:
    p = ToolCallParser(template, tools)
    content, calls = [], []
    for c in chunks:
        text, found = p.add(c)
        content.append(text)
        calls.extend(found)
    text, found = p.finish()
    return "".join(content) + text, calls + found


def call(name: str, args: dict[str, Any], index: int = 0, **extra: Any) -> dict[str, Any]:
    return {"function": {"index": index, "name": name, "arguments": args}, **extra}


def test_qwen_tool_call_after_text() -> None:
    out = 'Let me check.\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>'
    assert run(QWEN25, [out]) == ("Let me check.\n", [call("get_weather", {"city": "Paris"})])


def test_several_calls_in_one_tag_and_in_several_tags() -> None:
    one_tag = ('<tool_call>\n{"name": "get_weather", "arguments": {"city": "A"}}\n'
               '{"name": "get_weather", "arguments": {"city": "B"}}\n</tool_call>')
    assert run(QWEN25, [one_tag]) == ("", [call("get_weather", {"city": "A"}),
                                           call("get_weather", {"city": "B"}, 1)])
    two_tags = ('<tool_call>{"name": "a", "arguments": {}}</tool_call>\n'
                '<tool_call>{"name": "b", "arguments": {"x": [1, "}"]}}</tool_call>\n')
    assert run(QWEN25, [two_tags]) == ("", [call("a", {}), call("b", {"x": [1, "}"]}, 1)])


def test_text_after_calls_is_content() -> None:
    out = '<tool_call>{"name": "a", "arguments": {}}</tool_call>\n\nDone.'
    assert run(QWEN25, [out]) == ("\n\nDone.", [call("a", {})])


def test_streaming_releases_text_before_the_call_at_once() -> None:
    p = ToolCallParser(QWEN25, TOOLS)
    assert p.add("Sure, <tool") == ("Sure, ", [])
    assert p.add('_call>{"name": "get_weather", ') == ("", [])
    assert p.add('"arguments": {"city": "Rome"}}') == ("", [call("get_weather", {"city": "Rome"})])
    assert p.add("</tool_call>") == ("", [])
    assert p.finish() == ("", [])


def test_mistral_calls() -> None:
    out = '[TOOL_CALLS] [{"name": "get_weather", "arguments": {"city": "A"}}, {"name": "x", "arguments": {}}]'
    assert run(MISTRAL, [out]) == ("", [call("get_weather", {"city": "A"}), call("x", {}, 1)])
    newer = '[TOOL_CALLS]get_weather[ARGS]{"city": "B"}[TOOL_CALLS]x[CALL_ID]abc123[ARGS]{}'
    assert run(MISTRAL, [newer]) == ("", [call("get_weather", {"city": "B"}), call("x", {}, 1, id="abc123")])


def test_llama_bare_json() -> None:
    out = '{"name": "get_weather", "parameters": {"city": "Paris"}}'
    assert run(LLAMA32, [out]) == ("", [call("get_weather", {"city": "Paris"})])
    assert run(LLAMA32, ["Use {braces} freely, {\"a\": 1}."]) == ("Use {braces} freely, {\"a\": 1}.", [])
    unknown = '{"name": "not_a_tool", "parameters": {}}'
    assert run(LLAMA32, [unknown]) == (unknown, [])


def test_python_tag_calls() -> None:
    out = '<|python_tag|>{"name": "get_weather", "parameters": {"city": "X"}}<|eom_id|>'
    assert run(PYTHON_TAG, [out]) == ("", [call("get_weather", {"city": "X"})])


def test_arguments_given_as_a_string_and_ids() -> None:
    out = '<tool_call>{"id": "c9", "name": "f", "arguments": "{\\"k\\": 2}"}</tool_call>'
    assert run(QWEN25, [out]) == ("", [call("f", {"k": 2}, id="c9")])


def test_malformed_calls_come_back_as_content() -> None:
    bad = '<tool_call>{"name": "get_weather", "arguments": {oops}}</tool_call> after'
    assert run(QWEN25, [bad]) == (bad, [])
    unfinished = 'Hmm <tool_call>{"name": "get_weather", "argu'
    assert run(QWEN25, [unfinished]) == (unfinished, [])
    not_json = "I would use <tool_call> tags here."
    assert run(QWEN25, [not_json]) == (not_json, [])
    empty = "<tool_call></tool_call>x"
    assert run(QWEN25, [empty]) == (empty, [])
    assert run(MISTRAL, ["[TOOL_CALLS]get_wea"]) == ("[TOOL_CALLS]get_wea", [])


def test_jinja_template_fallback() -> None:
    out = 'ok <tool_call>{"name": "get_weather", "arguments": {"city": "Oslo"}}</tool_call>'
    assert run(JINJA_QWEN, [out]) == ("ok ", [call("get_weather", {"city": "Oslo"})])


# ---- arbitrary chunk splits -------------------------------------------------------------------------------------------
def split(text: str, cuts: list[int]) -> list[str]:
    cuts = sorted(cuts)
    return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]


ARGS = st.dictionaries(st.sampled_from(["city", "unit", "q"]),
                       st.one_of(st.integers(-5, 5), st.text("ab}{\"<>", max_size=4), st.booleans()), max_size=2)
QWEN_TEXT = st.text(alphabet="ab <>/\n{}\"tolc", max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(QWEN_TEXT.map(lambda t: ("text", t)), ARGS.map(lambda a: ("call", a))), max_size=6),
       st.data())
def test_qwen_stream_under_any_split(segments: list[tuple[str, Any]], data: st.DataObject) -> None:
    text = "".join(s if kind == "text" else
                   '<tool_call>\n{"name": "get_weather", "arguments": ' + json.dumps(s) + "}\n</tool_call>"
                   for kind, s in segments)
    whole = run(QWEN25, [text])
    chunked = run(QWEN25, split(text, data.draw(st.lists(st.integers(0, len(text)), max_size=10))))
    assert chunked == whole
    content, calls = whole
    assert [c["function"]["arguments"] for c in calls] == [s for kind, s in segments if kind == "call"]
    expected_text = "".join(s for kind, s in segments if kind == "text")
    assert "".join(content.split()) == "".join(expected_text.split())


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.text(alphabet="ab \n[]TOLSC_", max_size=10).map(lambda t: ("text", t)),
                          ARGS.map(lambda a: ("call", a))), max_size=5), st.data())
def test_mistral_stream_under_any_split(segments: list[tuple[str, Any]], data: st.DataObject) -> None:
    text = "".join(s if kind == "text" else
                   '[TOOL_CALLS] [{"name": "get_weather", "arguments": ' + json.dumps(s) + "}]"
                   for kind, s in segments)
    whole = run(MISTRAL, [text])
    assert run(MISTRAL, split(text, data.draw(st.lists(st.integers(0, len(text)), max_size=10)))) == whole


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.text(alphabet="ab :\n\"", max_size=10).map(lambda t: ("text", t)),
                          ARGS.map(lambda a: ("call", a))), max_size=5), st.data())
def test_bare_json_stream_under_any_split(segments: list[tuple[str, Any]], data: st.DataObject) -> None:
    text = "".join(s if kind == "text" else json.dumps({"name": "get_weather", "parameters": s})
                   for kind, s in segments)
    whole = run(LLAMA32, [text])
    assert run(LLAMA32, split(text, data.draw(st.lists(st.integers(0, len(text)), max_size=10)))) == whole
    content, calls = whole
    assert [c["function"]["arguments"] for c in calls] == [s for kind, s in segments if kind == "call"]
    expected_text = "".join(s for kind, s in segments if kind == "text")
    assert "".join(content.split()) == "".join(expected_text.split())
