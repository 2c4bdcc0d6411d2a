"""gemma4 parsers: every case of Ollama's model/parsers/gemma4_test.go (and gemma4's entries in
parsers_test.go), plus the whole-output cases fed in pieces, every two-way split and one character at a
time."""

from __future__ import annotations

from typing import Any

import pytest

from pollama.prompt.parsers import parser_for
from pollama.prompt.parsers.gemma4 import (
    Gemma4Parser,
    args_to_json,
    parse_tool_call,
    repair_candidates,
    repair_missing_object_close,
    repair_missing_string_delimiter,
    repair_raw_terminal_string_value,
    repair_single_quoted_values,
)

from .streaming import calls, feed, splits

Q = '<|"|>'


def call(name: str, args: dict[str, Any], index: int = 0) -> dict[str, Any]:
    return {"function": {"index": index, "name": name, "arguments": args}}


def string_tool(name: str, *params: str) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "parameters": {"type": "object", "properties": {p: {"type": "string"} for p in params}},
        },
    }


PARIS = [call("get_weather", {"location": "Paris"})]
EDIT_INPUT = f"""<|tool_call>call:edit{{edits:[
  {{newText:{Q}# Gemma4 + openclaude speed optimization guide

Use "nvfp4" only after validating tool calls.
{Q},oldText:{Q}# Gemma4 + openclaude speed optimization guide

Use the default quantization.
{Q}}},
  {{newText:{Q}## 14. Methods tried but not adopted

### 1. Model quantization
Do not enable "mxfp8" by default.
{Q},oldText:{Q}## 14. Methods tried but not adopted
{Q}}}
]}}<tool_call|>"""
EDIT_SPACING_INPUT = f"""<|tool_call>call:edit{{edits:[
  {{newText:{Q}# Gemma4 + openclaude speed optimization guide...{Q},
   oldText:{Q}# Gemma4 + openclaude speed optimization guide...{Q}}},
  {{newText:{Q}## 14. Methods tried but not adopted\\n\\n### 1. Model quantization...{Q},
   oldText:{Q}## 14. Methods tried but not adopted\\n{Q}}}
]}}<tool_call|>"""

PARSER_CASES: list[dict[str, Any]] = [
    {
        "name": "simple_content",
        "input": "This is a simple response.",
        "content": "This is a simple response.",
    },
    {
        "name": "thinking_then_content",
        "input": "<|channel>thought\nLet me think about this...<channel|>The answer is 42.",
        "content": "The answer is 42.",
        "thinking": "Let me think about this...",
        "think": True,
    },
    {
        "name": "multiple_thinking_blocks",
        "input": "<|channel>first thought<channel|><|channel>second thought<channel|>Final answer.",
        "content": "Final answer.",
        "thinking": "first thoughtsecond thought",
        "think": True,
    },
    {
        "name": "thinking_only_no_content",
        "input": "<|channel>just thinking<channel|>",
        "thinking": "just thinking",
        "think": True,
    },
    {
        "name": "tool_call_simple",
        "input": f"<|tool_call>call:get_weather{{location:{Q}Paris{Q}}}<tool_call|>",
        "calls": PARIS,
    },
    {
        "name": "tool_call_with_multiple_args",
        "input": f"<|tool_call>call:get_weather{{location:{Q}Paris{Q},units:{Q}metric{Q}}}<tool_call|>",
        "calls": [call("get_weather", {"location": "Paris", "units": "metric"})],
    },
    {
        "name": "tool_call_with_number_arg",
        "input": "<|tool_call>call:set_temp{value:42}<tool_call|>",
        "calls": [call("set_temp", {"value": 42.0})],
    },
    {
        "name": "tool_call_with_boolean_arg",
        "input": "<|tool_call>call:toggle{enabled:true}<tool_call|>",
        "calls": [call("toggle", {"enabled": True})],
    },
    {
        "name": "tool_call_with_null_arg",
        "input": "<|tool_call>call:set_optional{value:null,nested:{value:null}}<tool_call|>",
        "calls": [call("set_optional", {"value": None, "nested": {"value": None}})],
    },
    {
        "name": "tool_call_with_nested_object",
        "input": f"<|tool_call>call:process{{config:{{enabled:true,name:{Q}test{Q}}}}}<tool_call|>",
        "calls": [call("process", {"config": {"enabled": True, "name": "test"}})],
    },
    {
        "name": "tool_call_with_array",
        "input": f"<|tool_call>call:process{{items:[{Q}a{Q},{Q}b{Q}]}}<tool_call|>",
        "calls": [call("process", {"items": ["a", "b"]})],
    },
    {
        "name": "tool_call_with_array_of_multiple_gemma_quoted_strings",
        "input": f'<|tool_call>call:process{{items:[{Q}a{Q},{Q}b "quoted"{Q},{Q}c{Q}]}}<tool_call|>',
        "calls": [call("process", {"items": ["a", 'b "quoted"', "c"]})],
    },
    {
        "name": "tool_call_with_multiline_string_arg",
        "input": f"<|tool_call>call:bash{{command:{Q}date\n{Q}}}<tool_call|>",
        "calls": [call("bash", {"command": "date\n"})],
    },
    {
        "name": "tool_call_with_escaped_double_quotes_in_string_arg",
        "input": f'<|tool_call>call:search{{query:{Q}say \\"hello\\"{Q}}}<tool_call|>',
        "calls": [call("search", {"query": 'say \\"hello\\"'})],
    },
    {
        "name": "tool_call_with_unescaped_double_quotes_in_string_arg",
        "input": f'<|tool_call>call:search{{query:{Q}say "hello"{Q}}}<tool_call|>',
        "calls": [call("search", {"query": 'say "hello"'})],
    },
    {
        "name": "tool_call_with_multiple_unescaped_double_quote_segments",
        "input": f'<|tool_call>call:search{{query:{Q}say "hello", then "goodbye"{Q}}}<tool_call|>',
        "calls": [call("search", {"query": 'say "hello", then "goodbye"'})],
    },
    {
        "name": "tool_call_with_mixed_escaped_and_unescaped_double_quotes",
        "input": f'<|tool_call>call:search{{query:{Q}first \\"quoted\\" then "raw"{Q}}}<tool_call|>',
        "calls": [call("search", {"query": 'first \\"quoted\\" then "raw"'})],
    },
    {
        "name": "tool_call_exec_with_embedded_quoted_path",
        "input": f'<|tool_call>call:exec{{command:{Q}ls -F "vault/"{Q}}}<tool_call|>',
        "calls": [call("exec", {"command": 'ls -F "vault/"'})],
    },
    {
        "name": "tool_call_exec_with_embedded_quoted_url",
        "input": f'<|tool_call>call:exec{{command:{Q}fetch "https://ollama.com/library/gemma4" '
        f"--extract{Q}}}<tool_call|>",
        "calls": [call("exec", {"command": 'fetch "https://ollama.com/library/gemma4" --extract'})],
    },
    {
        "name": "tool_call_done_flush_without_close_tag_with_unescaped_double_quotes",
        "input": f'<|tool_call>call:search{{query:{Q}say "hello" and "bye"{Q}}}',
        "calls": [call("search", {"query": 'say "hello" and "bye"'})],
    },
    {
        "name": "tool_call_with_mixed_raw_and_gemma_quoted_values",
        "input": f'<|tool_call>call:search{{query:"raw \\"quoted\\"",note:{Q}gemma "quoted"{Q}}}<tool_call|>',
        "calls": [call("search", {"query": 'raw "quoted"', "note": 'gemma "quoted"'})],
    },
    {
        "name": "tool_call_with_array_of_objects_and_mixed_quotes",
        "input": f'<|tool_call>call:plan{{steps:[{{title:{Q}step "one"{Q},done:false}},'
        f'{{title:{Q}step \\"two\\"{Q},done:true}}]}}<tool_call|>',
        "calls": [
            call(
                "plan",
                {
                    "steps": [
                        {"title": 'step "one"', "done": False},
                        {"title": 'step \\"two\\"', "done": True},
                    ]
                },
            )
        ],
    },
    {
        "name": "tool_call_edit_with_array_of_objects_multiline_markdown_and_quotes",
        "input": EDIT_INPUT,
        "calls": [
            call(
                "edit",
                {
                    "edits": [
                        {
                            "newText": "# Gemma4 + openclaude speed optimization guide\n\n"
                            'Use "nvfp4" only after validating tool calls.\n',
                            "oldText": "# Gemma4 + openclaude speed optimization guide\n\n"
                            "Use the default quantization.\n",
                        },
                        {
                            "newText": "## 14. Methods tried but not adopted\n\n### 1. Model quantization\n"
                            'Do not enable "mxfp8" by default.\n',
                            "oldText": "## 14. Methods tried but not adopted\n",
                        },
                    ]
                },
            )
        ],
    },
    {
        "name": "tool_call_edit_with_array_of_objects_issue_comment_spacing",
        "input": EDIT_SPACING_INPUT,
        "calls": [
            call(
                "edit",
                {
                    "edits": [
                        {
                            "newText": "# Gemma4 + openclaude speed optimization guide...",
                            "oldText": "# Gemma4 + openclaude speed optimization guide...",
                        },
                        {
                            "newText": "## 14. Methods tried but not adopted\\n\\n"
                            "### 1. Model quantization...",
                            "oldText": "## 14. Methods tried but not adopted\\n",
                        },
                    ]
                },
            )
        ],
    },
    {
        "name": "tool_call_with_windows_path_single_backslashes",
        "input": f"<|tool_call>call:open_file{{path:{Q}C:\\users\\bob\\file.txt{Q}}}<tool_call|>",
        "calls": [call("open_file", {"path": "C:\\users\\bob\\file.txt"})],
    },
    {
        "name": "multiple_tool_calls",
        "input": f"<|tool_call>call:get_weather{{location:{Q}Paris{Q}}}<tool_call|>"
        f"<|tool_call>call:get_weather{{location:{Q}London{Q}}}<tool_call|>",
        "calls": [call("get_weather", {"location": "Paris"}), call("get_weather", {"location": "London"}, 1)],
    },
    {
        "name": "thinking_then_tool_call",
        "input": f"<|channel>thought\nI need to check the weather<channel|>"
        f"<|tool_call>call:get_weather{{location:{Q}Paris{Q}}}<tool_call|>",
        "thinking": "I need to check the weather",
        "calls": PARIS,
        "think": True,
    },
    {
        "name": "content_then_tool_call",
        "input": f"Let me check that for you.<|tool_call>call:get_weather{{location:{Q}Paris{Q}}}<tool_call|"
        f">",
        "content": "Let me check that for you.",
        "calls": PARIS,
    },
    {
        "name": "thinking_disabled_channel_tags_as_content",
        "input": "<|channel>this is not thinking<channel|>actual content",
        "content": "actual content",
        "think": False,
    },
    {
        "name": "prefill_content_only",
        "input": "Continuing content.",
        "content": "Continuing content.",
        "last": {"role": "assistant", "content": "Previous content"},
        "think": True,
    },
]


def _run(case: dict[str, Any], chunks: list[str]) -> tuple[str, str, list[dict[str, Any]]]:
    parser = Gemma4Parser(has_thinking_support=True)
    parser.init(None, case.get("last"), case.get("think", False))
    return feed(parser, chunks)


@pytest.mark.parametrize("case", PARSER_CASES, ids=[c["name"] for c in PARSER_CASES])
def test_parser(case: dict[str, Any]) -> None:
    assert _run(case, [case["input"]]) == (
        case.get("content", ""),
        case.get("thinking", ""),
        calls(case.get("calls")),
    )


@pytest.mark.parametrize("case", PARSER_CASES, ids=[c["name"] for c in PARSER_CASES])
def test_parser_in_pieces(case: dict[str, Any]) -> None:
    want = (case.get("content", ""), case.get("thinking", ""), calls(case.get("calls")))
    for chunks in splits(case["input"]):
        assert _run(case, chunks) == want, chunks


def test_streaming() -> None:
    parser = Gemma4Parser(has_thinking_support=True)
    parser.init(None, None, True)
    content, thinking, _ = feed(
        parser, ["<|channel>thought", "\nLet me think", "...<channel|>The answer", " is 42."]
    )
    assert (content, thinking) == ("The answer is 42.", "Let me think...")


def test_tool_response_continuation_starts_in_thinking() -> None:
    parser = Gemma4Parser(has_thinking_support=True)
    parser.init(None, {"role": "tool", "content": "go.mod\ngo.sum\n"}, True)
    assert parser.add("The user asked for files.<channel|>go.mod and go.sum", True) == (
        "go.mod and go.sum",
        "The user asked for files.",
        [],
    )


def test_streaming_tool_call() -> None:
    parser = Gemma4Parser(has_thinking_support=False)
    parser.init(None, None, None)
    got = feed(parser, ["<|tool_call>call:get_", f"weather{{location:{Q}Par", f"is{Q}}}<tool_call|>"])
    assert got == ("", "", calls(PARIS))


NOISE_CASES = [
    (
        "extra_close/same_chunk_without_trailing_content",
        [f"<|tool_call>call:get_weather{{location:{Q}Paris{Q}}}<tool_call|><tool_call|>"],
        "",
    ),
    (
        "extra_close/same_chunk_before_real_content",
        [f"<|tool_call>call:get_weather{{location:{Q}Paris{Q}}}<tool_call|><tool_call|>Done."],
        "Done.",
    ),
    (
        "extra_close/split_across_chunks_before_real_content",
        [f"<|tool_call>call:get_weather{{location:{Q}Paris{Q}}}<tool_call|><tool_", "call|>Done."],
        "Done.",
    ),
    (
        "response_boundary/same_chunk_without_trailing_content",
        [f"<|tool_call>call:get_weather{{location:{Q}Paris{Q}}}<tool_call|><|tool_response>"],
        "",
    ),
    (
        "response_boundary/same_chunk_before_real_content",
        [f"<|tool_call>call:get_weather{{location:{Q}Paris{Q}}}<tool_call|><|tool_response>Done."],
        "Done.",
    ),
    (
        "response_boundary/split_across_chunks_before_real_content",
        [f"<|tool_call>call:get_weather{{location:{Q}Paris{Q}}}<tool_call|><|tool_res", "ponse>Done."],
        "Done.",
    ),
]


@pytest.mark.parametrize("name,chunks,content", NOISE_CASES, ids=[c[0] for c in NOISE_CASES])
def test_ignores_noise_after_tool_call(name: str, chunks: list[str], content: str) -> None:
    for pieces in [chunks, *splits("".join(chunks))]:
        parser = Gemma4Parser(has_thinking_support=False)
        parser.init(None, None, None)
        assert feed(parser, pieces) == (content, "", calls(PARIS)), pieces


@pytest.mark.parametrize(
    "chunks",
    [["<|chan", "nel>thinking here<channel|>content"], ["<|channel>thinking here<chan", "nel|>content"]],
    ids=["split_channel_open_tag", "split_channel_close_tag"],
)
def test_streaming_split_thinking_tag(chunks: list[str]) -> None:
    parser = Gemma4Parser(has_thinking_support=True)
    parser.init(None, None, True)
    assert feed(parser, chunks)[:2] == ("content", "thinking here")


ARGS_TO_JSON_CASES = [
    ("simple_string", f"{{location:{Q}Paris{Q}}}", '{"location":"Paris"}'),
    (
        "multiple_args",
        f"{{location:{Q}Paris{Q},units:{Q}metric{Q}}}",
        '{"location":"Paris","units":"metric"}',
    ),
    ("number_value", "{value:42}", '{"value":42}'),
    ("boolean_value", "{enabled:true}", '{"enabled":true}'),
    (
        "nested_object",
        f"{{config:{{enabled:true,name:{Q}test{Q}}}}}",
        '{"config":{"enabled":true,"name":"test"}}',
    ),
    (
        "nested_object_with_space_after_object_open_and_before_bare_key",
        f"{{edits:[{{ newText:{Q}a{Q}, oldText:{Q}b{Q}}} ]}}",
        '{"edits":[{ "newText":"a", "oldText":"b"} ]}',
    ),
    (
        "nested_object_with_space_before_bare_key",
        f"{{edits:[{{newText:{Q}a{Q}, oldText:{Q}b{Q}}} ]}}",
        '{"edits":[{"newText":"a", "oldText":"b"} ]}',
    ),
    (
        "nested_object_with_newline_before_bare_key",
        f"{{edits:[\n  {{newText:{Q}a{Q},\n   oldText:{Q}b{Q}}}\n]}}",
        '{"edits":[\n  {"newText":"a",\n   "oldText":"b"}\n]}',
    ),
    ("array_value", f"{{items:[{Q}a{Q},{Q}b{Q}]}}", '{"items":["a","b"]}'),
    (
        "array_value_with_multiple_gemma_quoted_strings",
        f'{{items:[{Q}a{Q},{Q}b "quoted"{Q},{Q}c{Q}]}}',
        '{"items":["a","b \\"quoted\\"","c"]}',
    ),
    ("empty_object", "{}", "{}"),
    (
        "mixed_types",
        f"{{name:{Q}test{Q},count:5,active:true,tags:[{Q}a{Q}]}}",
        '{"name":"test","count":5,"active":true,"tags":["a"]}',
    ),
    ("null_value", "{value:null}", '{"value":null}'),
    ("multiline_string_value", f"{{command:{Q}date\n{Q}}}", '{"command":"date\\n"}'),
    (
        "string_value_with_escaped_double_quotes",
        f'{{query:{Q}say \\"hello\\"{Q}}}',
        '{"query":"say \\\\\\"hello\\\\\\""}',
    ),
    (
        "string_value_with_unescaped_double_quotes",
        f'{{query:{Q}say "hello"{Q}}}',
        '{"query":"say \\"hello\\""}',
    ),
    (
        "string_value_with_multiple_unescaped_double_quote_segments",
        f'{{query:{Q}say "hello", then "goodbye"{Q}}}',
        '{"query":"say \\"hello\\", then \\"goodbye\\""}',
    ),
    (
        "string_value_with_mixed_escaped_and_unescaped_double_quotes",
        f'{{query:{Q}first \\"quoted\\" then "raw"{Q}}}',
        '{"query":"first \\\\\\"quoted\\\\\\" then \\"raw\\""}',
    ),
    (
        "string_value_with_punctuation_and_structural_chars",
        f"{{query:{Q}a,b:{{c}}[d]{Q}}}",
        '{"query":"a,b:{c}[d]"}',
    ),
    (
        "string_value_with_windows_path_backslashes",
        f"{{path:{Q}C:\\\\Temp\\\\file.txt{Q}}}",
        '{"path":"C:\\\\\\\\Temp\\\\\\\\file.txt"}',
    ),
    (
        "string_value_with_windows_path_single_backslashes",
        f"{{path:{Q}C:\\users\\bob{Q}}}",
        '{"path":"C:\\\\users\\\\bob"}',
    ),
    (
        "string_value_with_escaped_forward_slashes",
        f"{{url:{Q}https:\\/\\/example.com\\/a{Q}}}",
        '{"url":"https:\\\\/\\\\/example.com\\\\/a"}',
    ),
    (
        "string_value_with_unicode_escape_sequence",
        f"{{s:{Q}snowman:\\u2603{Q}}}",
        '{"s":"snowman:\\\\u2603"}',
    ),
    ("string_value_with_unknown_escape_sequence", f"{{s:{Q}bad \\x escape{Q}}}", '{"s":"bad \\\\x escape"}'),
    (
        "string_value_with_invalid_unicode_escape_sequence",
        f"{{s:{Q}bad \\uZZZZ escape{Q}}}",
        '{"s":"bad \\\\uZZZZ escape"}',
    ),
    (
        "raw_quoted_string_with_escaped_quotes",
        '{q:"say \\"hi\\" and \\"bye\\""}',
        '{"q":"say \\"hi\\" and \\"bye\\""}',
    ),
    (
        "raw_quoted_string_containing_key_like_text",
        f'{{q:"keep , oldText: literal",note:{Q}ok{Q}}}',
        '{"q":"keep , oldText: literal","note":"ok"}',
    ),
    (
        "raw_quoted_string_with_escaped_quotes_and_key_like_text",
        f'{{q:"keep , oldText: and \\"quoted\\" text",note:{Q}ok{Q}}}',
        '{"q":"keep , oldText: and \\"quoted\\" text","note":"ok"}',
    ),
    (
        "nested_mixed_raw_and_gemma_quoted_values",
        f'{{meta:{{title:{Q}t "1"{Q},note:"n \\"2\\""}},items:[{Q}x "3"{Q},"y \\"4\\""]}}',
        '{"meta":{"title":"t \\"1\\"","note":"n \\"2\\""},"items":["x \\"3\\"","y \\"4\\""]}',
    ),
]


@pytest.mark.parametrize("name,text,expected", ARGS_TO_JSON_CASES, ids=[c[0] for c in ARGS_TO_JSON_CASES])
def test_args_to_json(name: str, text: str, expected: str) -> None:
    assert args_to_json(text) == expected


@pytest.mark.parametrize(
    "name,text,expected",
    [
        ("closes_before_object_close", f"{{command:{Q}ls}}", f"{{command:{Q}ls{Q}}}"),
        (
            "closes_terminal_value_after_previous_property",
            f"{{path:{Q}/tmp{Q},command:{Q}ls}}",
            f"{{path:{Q}/tmp{Q},command:{Q}ls{Q}}}",
        ),
        ("closes_at_end", f"{{command:{Q}ls", f"{{command:{Q}ls{Q}"),
        ("preserves_valid_gemma_quoted_string", f"{{command:{Q}ls{Q}}}", f"{{command:{Q}ls{Q}}}"),
        ("preserves_input_without_gemma_delimiter", "{command:ls}", "{command:ls}"),
    ],
)
def test_repair_missing_string_delimiter(name: str, text: str, expected: str) -> None:
    assert repair_missing_string_delimiter(text) == expected


@pytest.mark.parametrize(
    "name,text,expected",
    [
        ("adds_object_close", f"{{content:{Q}hello{Q}", f"{{content:{Q}hello{Q}}}"),
        ("adds_object_close_before_trailing_space", f"{{content:{Q}hello{Q}  ", f"{{content:{Q}hello{Q}}}  "),
        ("preserves_existing_object_close", f"{{content:{Q}hello{Q}}}", f"{{content:{Q}hello{Q}}}"),
        ("preserves_non_object_input", f"content:{Q}hello{Q}", f"content:{Q}hello{Q}"),
    ],
)
def test_repair_missing_object_close(name: str, text: str, expected: str) -> None:
    assert repair_missing_object_close(text) == expected


@pytest.mark.parametrize(
    "name,text,expected",
    [
        ("converts_single_quoted_value", "{pattern:':\\s*\\w+'}", f"{{pattern:{Q}:\\s*\\w+{Q}}}"),
        (
            "converts_middle_single_quoted_value",
            f"{{include:{Q}*.py{Q},pattern:'abc',path:{Q}/tmp{Q}}}",
            f"{{include:{Q}*.py{Q},pattern:{Q}abc{Q},path:{Q}/tmp{Q}}}",
        ),
        (
            "drops_dangling_gemma_delimiter_after_single_quoted_value",
            f"{{pattern:'abc'{Q}}}",
            f"{{pattern:{Q}abc{Q}}}",
        ),
        ("preserves_gemma_quoted_value", f"{{pattern:{Q}abc{Q}}}", f"{{pattern:{Q}abc{Q}}}"),
        ("preserves_json_quoted_value", '{pattern:"abc"}', '{pattern:"abc"}'),
        ("preserves_unterminated_single_quote", "{pattern:'abc}", "{pattern:'abc}"),
    ],
)
def test_repair_single_quoted_values(name: str, text: str, expected: str) -> None:
    assert repair_single_quoted_values(text) == expected


NUMBER_TOOL = {
    "type": "function",
    "function": {
        "name": "write",
        "parameters": {"type": "object", "properties": {"content": {"type": "number"}}},
    },
}


@pytest.mark.parametrize(
    "name,text,tool_name,tools,expected",
    [
        (
            "wraps_known_string_property_terminal_value",
            "{content:\n\n# Title",
            "write",
            [string_tool("write", "content")],
            f"{{content:{Q}\n\n# Title{Q}",
        ),
        (
            "stops_before_next_known_property",
            f"{{content:hello,mode:{Q}fast{Q}}}",
            "write",
            [string_tool("write", "content", "mode")],
            f"{{content:{Q}hello{Q},mode:{Q}fast{Q}}}",
        ),
        ("does_not_repair_without_schema", "{content:hello", "write", [], None),
        ("does_not_repair_non_string_property", "{content:hello", "write", [NUMBER_TOOL], None),
        (
            "does_not_repair_already_structured_value",
            f"{{content:{Q}hello{Q}}}",
            "write",
            [string_tool("write", "content")],
            None,
        ),
        (
            "does_not_repair_json_literal_start",
            "{content:123}",
            "write",
            [string_tool("write", "content")],
            None,
        ),
        (
            "does_not_repair_unknown_tool",
            "{content:hello",
            "missing",
            [string_tool("write", "content")],
            None,
        ),
    ],
)
def test_repair_raw_terminal_string_value(
    name: str, text: str, tool_name: str, tools: list[dict[str, Any]], expected: str | None
) -> None:
    assert repair_raw_terminal_string_value(text, tool_name, tools) == expected


@pytest.mark.parametrize(
    "name,text,tool_name,tools,expected",
    [
        (
            "missing_string_delimiter_candidate",
            f"{{command:{Q}ls}}",
            "bash",
            [string_tool("bash", "command")],
            [f"{{command:{Q}ls{Q}}}"],
        ),
        (
            "single_quoted_value_candidate",
            f"{{pattern:'abc'{Q}}}",
            "grep",
            [string_tool("grep", "pattern")],
            [f"{{pattern:{Q}abc{Q}}}"],
        ),
        (
            "raw_string_candidate_also_gets_missing_object_close",
            "{content:hello",
            "write",
            [string_tool("write", "content")],
            ["{content:hello", f"{{content:{Q}hello{Q}}}"],
        ),
        (
            "does_not_add_missing_object_close_without_another_repair",
            "{n:1",
            "count",
            [string_tool("count", "name")],
            ["{n:1"],
        ),
    ],
)
def test_repair_candidates(
    name: str, text: str, tool_name: str, tools: list[dict[str, Any]], expected: list[str]
) -> None:
    assert repair_candidates(text, tool_name, tools) == expected


def test_tool_and_thinking_support() -> None:
    assert Gemma4Parser(has_thinking_support=False).has_tool_support
    assert Gemma4Parser(has_thinking_support=True).has_thinking_support
    assert not Gemma4Parser(has_thinking_support=False).has_thinking_support


def test_registered_names() -> None:
    thinking, plain = parser_for("gemma4"), parser_for("gemma4-no-thinking")
    assert thinking is not None and thinking.has_thinking_support
    assert plain is not None and not plain.has_thinking_support


def test_invalid_raw_quoted_escape_is_rejected() -> None:
    assert parse_tool_call('call:open_file{path:"C:\\users\\bob\\file.txt"}', []) is None


def test_quoted_scalars_stay_strings() -> None:
    got = parse_tool_call(f"call:foo{{n:{Q}1{Q},b:{Q}true{Q},z:{Q}null{Q}}}", [])
    assert got == call("foo", {"n": "1", "b": "true", "z": "null"})


def test_unquoted_scalars_keep_structured_types() -> None:
    assert parse_tool_call("call:foo{n:1,b:true,z:null}", []) == call("foo", {"n": 1.0, "b": True, "z": None})


def test_reference_implementation_example() -> None:
    got = parse_tool_call(
        f"call:get_current_temperature{{detail_level:0,location:{Q}Paris, France{Q},unit:{Q}celsius{Q}}}", []
    )
    assert got == call(
        "get_current_temperature", {"detail_level": 0.0, "location": "Paris, France", "unit": "celsius"}
    )


WRITE_CONTENT = (
    "\n\n# Project Style Guide for Autonomous Agents' Code Generation (AGENTS.md)\n\n"
    "This document captures the *de facto* coding standards observed across the `src/` and "
    "`components/` "
    "source code, designed to ensure consistency for all generated code and modules consumed by "
    "the agent "
    "system."
)


@pytest.mark.parametrize(
    "name,text,tools,expected",
    [
        (
            "raw multiline string",
            "call:write{content:" + WRITE_CONTENT,
            [string_tool("write", "content")],
            call("write", {"content": WRITE_CONTENT}),
        ),
        (
            "single quoted value with dangling gemma string delimiter",
            f"call:grep{{include:{Q}*.py{Q},output_mode:{Q}content{Q},path:{Q}/data/robotics/experiment1{Q},"
            f"pattern:':\\s*\\w+'{Q}}}",
            [string_tool("grep", "include", "output_mode", "path", "pattern")],
            call(
                "grep",
                {
                    "include": "*.py",
                    "output_mode": "content",
                    "path": "/data/robotics/experiment1",
                    "pattern": ":\\s*\\w+",
                },
            ),
        ),
        (
            "unclosed gemma string before object close",
            f"call:bash{{command:{Q}ls}}",
            [string_tool("bash", "command")],
            call("bash", {"command": "ls"}),
        ),
        (
            "single_quoted_middle_property",
            f"call:grep{{include:{Q}*.py{Q},pattern:'abc',path:{Q}/tmp{Q}}}",
            [string_tool("grep", "include", "pattern", "path")],
            call("grep", {"include": "*.py", "pattern": "abc", "path": "/tmp"}),
        ),
        (
            "unclosed_gemma_string_terminal_property",
            f"call:bash{{path:{Q}/tmp{Q},command:{Q}ls}}",
            [string_tool("bash", "path", "command")],
            call("bash", {"path": "/tmp", "command": "ls"}),
        ),
        (
            "raw_string_before_next_property",
            f"call:write{{content:hello,mode:{Q}fast{Q}}}",
            [string_tool("write", "content", "mode")],
            call("write", {"content": "hello", "mode": "fast"}),
        ),
    ],
)
def test_repairs(name: str, text: str, tools: list[dict[str, Any]], expected: dict[str, Any]) -> None:
    assert parse_tool_call(text, tools) == expected


def test_does_not_repair_non_terminal_unclosed_gemma_string() -> None:
    tools = [string_tool("example", "first", "second")]
    assert parse_tool_call(f"call:example{{first:{Q}one,second:{Q}two{Q}}}", tools) is None


def test_raw_quoted_structural_string() -> None:
    assert parse_tool_call('call:foo{q:"a,b:c"}', []) == call("foo", {"q": "a,b:c"})


def test_unparsable_call_is_dropped_and_indexes_continue() -> None:
    parser = Gemma4Parser(has_thinking_support=False)
    parser.init(None, None, None)
    got = parser.add("<|tool_call>call:nobrace<tool_call|><|tool_call>call:ok{}<tool_call|>", True)
    assert got == ("", "", [call("ok", {})])
