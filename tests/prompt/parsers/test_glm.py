"""glm-4.7 and glm-ocr parsers: every case of Ollama's model/parsers/glm46_test.go (the format both build
on) and glm47_test.go, plus whole outputs fed split every way."""

from __future__ import annotations

from typing import Any

import pytest

from pollama.prompt.parsers import ParseError, parser_for
from pollama.prompt.parsers.glm46 import GLM46Parser, parse_tool_call, parse_xml, repair_xml
from pollama.prompt.parsers.glm47 import GLM47Parser

from .streaming import calls, feed, splits


def tool(name: str, props: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        params["required"] = required
    return {"type": "function", "function": {"name": name, "parameters": params}}


def call(name: str, args: dict[str, Any], index: int = 0) -> dict[str, Any]:
    return {"function": {"index": index, "name": name, "arguments": args}}


def T(text: str) -> tuple[str, str]:
    return ("thinking", text)


def C(text: str) -> tuple[str, str]:
    return ("content", text)


def R(raw: str) -> tuple[str, str]:
    return ("tool_call", raw)


# (description, [(input, events)...]) from TestGLM46ParserStreaming
STREAMING = [
    (
        "leading whitespace before think tag",
        [("   \n\t  ", []), ("<think>thinking</think>", [T("thinking")])],
    ),
    (
        "think tag with whitespace inside",
        [
            (
                "<think>  \n  thinking content  \n  </think>regular content",
                [T("thinking content"), C("regular content")],
            )
        ],
    ),
    (
        "tool call with leading whitespace after opening tag",
        [("<think></think><tool_call>  \n  test  \n  </tool_call>", [R("test")])],
    ),
    (
        "simple thinking then content",
        [("<think>I am thinking</think>Now I respond", [T("I am thinking"), C("Now I respond")])],
    ),
    (
        "streamed thinking content",
        [("<think>hello", [T("hello")]), (" world", [T(" world")]), ("</think>content", [C("content")])],
    ),
    (
        "content before tool call",
        [
            (
                "<think>Let me call a tool</think>here is text<tool_call>",
                [T("Let me call a tool"), C("here is text")],
            ),
            (
                "function_name\n<arg_key>param</arg_key>\n<arg_value>value</arg_value>\n</tool_call>",
                [R("function_name\n<arg_key>param</arg_key>\n<arg_value>value</arg_value>")],
            ),
        ],
    ),
    (
        "tool call with content after",
        [
            (
                "<think>thinking</think><tool_call>test</tool_call>after tool",
                [T("thinking"), R("test"), C("after tool")],
            )
        ],
    ),
    (
        "trailing whitespace between content and tool call is trimmed",
        [
            (
                "<think>thinking</think>content\n  \t  <tool_call>test</tool_call>",
                [T("thinking"), C("content"), R("test")],
            )
        ],
    ),
    (
        "trailing whitespace between tool call and content is trimmed",
        [("<think>think</think><tool_call>test</tool_call>\n\t  after", [T("think"), R("test"), C("after")])],
    ),
    (
        "split thinking close tag",
        [("<think>thinking content</th", [T("thinking content")]), ("ink>after", [C("after")])],
    ),
    ("split thinking open tag", [("  <thi", []), ("nk>content</think>", [T("content")])]),
    (
        "split tool open tag",
        [
            ("<think>think</think>content<tool", [T("think"), C("content")]),
            ("_call>inside", []),
            ("</tool_call>", [R("inside")]),
        ],
    ),
    (
        "partial thinking close tag fakeout",
        [("<think>content</th", [T("content")]), ("ought more", [T("</thought more")])],
    ),
    ("partial thinking open tag fakeout", [("  <thi", []), ("nking is fun", [C("  <thinking is fun")])]),
    (
        "partial tool open tag fakeout",
        [("<think></think>content\n<tool", [C("content")]), (" fakeout", [C("\n<tool fakeout")])],
    ),
    (
        "partial tool close tag fakeout",
        [
            ("<think></think><tool_call>content</tool", []),
            (" fakeout", []),
            ("</tool_call>", [R("content</tool fakeout")]),
        ],
    ),
    ("empty thinking tag", [("<think></think>content here", [C("content here")])]),
    (
        "multiple tool calls in sequence",
        [
            (
                "<think>think</think><tool_call>first</tool_call>between<tool_call>second</tool_call>end",
                [T("think"), R("first"), C("between"), R("second"), C("end")],
            )
        ],
    ),
    ("no thinking tag - direct to content", [("just content here", [C("just content here")])]),
    (
        "no thinking tag - skip to content then tool call",
        [
            (
                "Here's the answer:<tool_call>test</tool_call>done",
                [C("Here's the answer:"), R("test"), C("done")],
            )
        ],
    ),
    (
        "no thinking tag - whitespace preserved when no tags",
        [("  \n  content with leading whitespace", [C("  \n  content with leading whitespace")])],
    ),
    (
        "whitespace after think close tag gets eaten",
        [("<think>thinking</think>  \n\t  content", [T("thinking"), C("content")])],
    ),
    (
        "whitespace after tool_call close tag gets eaten",
        [("<think></think><tool_call>test</tool_call>  \n\t  content", [R("test"), C("content")])],
    ),
    (
        "thinking content withholds trailing whitespace (single chunk)",
        [("<think>thinking content   ", [T("thinking content")]), ("</think>after", [C("after")])],
    ),
    (
        "thinking content withholds trailing whitespace with newlines",
        [("<think>thinking\n\n  ", [T("thinking")]), ("</think>content", [C("content")])],
    ),
    (
        "thinking content trailing whitespace emitted when more content arrives",
        [
            ("<think>thinking   ", [T("thinking")]),
            ("more thinking", [T("   more thinking")]),
            ("</think>", []),
        ],
    ),
    (
        "thinking content withholds trailing whitespace before partial close tag",
        [("<think>thinking   </th", [T("thinking")]), ("ink>content", [C("content")])],
    ),
]


@pytest.mark.parametrize("desc,steps", STREAMING, ids=[s[0] for s in STREAMING])
def test_glm46_streaming_events(desc: str, steps: list[tuple[str, list[tuple[str, str]]]]) -> None:
    parser = GLM46Parser()
    for text, expected in steps:
        assert parser.events(text) == expected, text


GREP_BODY = (
    "grep\n<arg_key>pattern</arg_key>\n<arg_value>needle</arg_value>\n<arg_key>path</arg_key>\n"
    "<arg_value>.</arg_value>"
)
FINAL_TOOLS = [
    tool("grep", {"pattern": {"type": "string"}, "path": {"type": "string"}}, ["pattern", "path"]),
    tool("write", {"path": {"type": "string"}, "content": {"type": "string"}}, ["path", "content"]),
]


@pytest.mark.parametrize(
    "chunks",
    [
        [("<tool_call>" + GREP_BODY, False), ("", True)],
        [("<tool_call>" + GREP_BODY, True)],
        [("<tool_call>" + GREP_BODY + "</tool_", True)],
    ],
    ids=["empty final chunk", "tool body in final chunk", "partial outer close in final chunk"],
)
def test_glm46_finalizes_complete_tool_call_on_done(chunks: list[tuple[str, bool]]) -> None:
    parser = GLM46Parser()
    parser.init(FINAL_TOOLS, None, None)
    got = []
    for text, done in chunks:
        content, thinking, new = parser.add(text, done)
        assert (content, thinking) == ("", "")
        got.extend(new)
    assert got == calls([call("grep", {"pattern": "needle", "path": "."})])


@pytest.mark.parametrize(
    "text",
    [
        "<tool_call>",
        "<tool_call>gr",
        "<tool_call>write\n<arg_key>path</arg_key>\n<arg_value>out.txt</arg_value>\n"
        "<arg_key>content</arg_key>\n"
        "<arg_value>partial",
        "<tool_call>shell\n<arg_key>command</arg_key>\n<arg_value>echo unsafe</arg_value>",
        "<tool_call>write\n<arg_key>path</arg_key>\n<arg_value>out.txt</arg_value>",
    ],
    ids=[
        "empty body",
        "partial tool name",
        "incomplete argument value",
        "undeclared tool",
        "missing required argument",
    ],
)
def test_glm46_rejects_incomplete_tool_call_on_done(text: str) -> None:
    parser = GLM46Parser()
    parser.init(FINAL_TOOLS, None, None)
    with pytest.raises(ParseError, match="incomplete GLM tool call"):
        parser.add(text, True)


@pytest.mark.parametrize(
    "body,keys,values",
    [
        (
            "<arg_key>first</arg_key>\n<arg_value>A</arg_value>\n<arg_key>second</arg_key>\n"
            "<arg_value>B</arg_value>\n"
            "<arg_key>third</arg_key>\n<arg_value>C</arg_value>",
            ["first", "second", "third"],
            ["A", "B", "C"],
        ),
        (
            "<arg_key>key1</arg_key>\n<arg_key>key2</arg_key>\n<arg_key>key3</arg_key>\n"
            "<arg_value>val1</arg_value>\n"
            "<arg_value>val2</arg_value>\n<arg_value>val3</arg_value>",
            ["key1", "key2", "key3"],
            ["val1", "val2", "val3"],
        ),
        (
            "<arg_key>a</arg_key>\n<arg_value>1</arg_value>\n<arg_key>b</arg_key>\n<arg_key>c</arg_key>\n"
            "<arg_value>2</arg_value>\n<arg_value>3</arg_value>",
            ["a", "b", "c"],
            ["1", "2", "3"],
        ),
        (
            "<arg_value>X</arg_value>\n<arg_value>Y</arg_value>\n<arg_value>Z</arg_value>\n"
            "<arg_key>x</arg_key>\n"
            "<arg_key>y</arg_key>\n<arg_key>z</arg_key>",
            ["x", "y", "z"],
            ["X", "Y", "Z"],
        ),
    ],
    ids=[
        "alternating keys and values",
        "all keys then all values",
        "mixed grouping",
        "reverse order - all values then all keys",
    ],
)
def test_tool_call_xml_order_preservation(body: str, keys: list[str], values: list[str]) -> None:
    _, got_keys, got_values = parse_xml(f"<tool_call>\nfunction_name\n{body}\n</tool_call>")
    assert (got_keys, got_values) == (keys, values)


CALCULATE = tool(
    "calculate",
    {
        "x": {"type": "number"},
        "y": {"type": "integer"},
        "enabled": {"type": "boolean"},
        "items": {"type": "array"},
    },
)
TOOL_CALL_CASES: list[tuple[str, str, list[dict[str, Any]], str, dict[str, Any]]] = [
    (
        "simple tool call",
        "get-current-weather\n<arg_key>location</arg_key>\n"
        "<arg_value>New York, NY</arg_value>\n"
        "<arg_key>unit</arg_key>\n<arg_value>celsius</arg_value>",
        [],
        "get-current-weather",
        {"location": "New York, NY", "unit": "celsius"},
    ),
    (
        "tool call with typed parameters",
        "calculate\n<arg_key>x</arg_key>\n<arg_value>3.14</arg_value>\n"
        "<arg_key>y</arg_key>\n<arg_value>42</arg_value>\n<arg_key>enabled</arg_key>\n"
        "<arg_value>true</arg_value>\n"
        '<arg_key>items</arg_key>\n<arg_value>["a", "b", "c"]</arg_value>',
        [CALCULATE],
        "calculate",
        {"enabled": True, "items": ["a", "b", "c"], "x": 3.14, "y": 42},
    ),
    (
        "function name with whitespace",
        "  get-weather\n<arg_key>city</arg_key>\n<arg_value>Paris</arg_value>",
        [],
        "get-weather",
        {"city": "Paris"},
    ),
    (
        "values with special characters",
        "execute-command\n<arg_key>command</arg_key>\n"
        '<arg_value>ls && echo "done"'
        "</arg_value>\n<arg_key>message</arg_key>\n<arg_value>a < b and c > d</arg_value>",
        [],
        "execute-command",
        {"command": 'ls && echo "done"', "message": "a < b and c > d"},
    ),
    (
        "unicode in function names and values",
        "获取天气\n<arg_key>城市</arg_key>\n<arg_value>北京</arg_value>\n"
        "<arg_key>message</arg_key>\n<arg_value>Hello! 你好! 🌟</arg_value>",
        [],
        "获取天气",
        {"message": "Hello! 你好! 🌟", "城市": "北京"},
    ),
    (
        "empty value",
        "test-function\n<arg_key>param1</arg_key>\n<arg_value></arg_value>",
        [],
        "test-function",
        {"param1": ""},
    ),
    (
        "special chars in arg_key names",
        "test-function\n<arg_key>param<1></arg_key>\n"
        "<arg_value>value1</arg_value>\n"
        "<arg_key>a&b</arg_key>\n<arg_value>value2</arg_value>\n<arg_key>x>y</arg_key>\n"
        "<arg_value>value3</arg_value>",
        [],
        "test-function",
        {"a&b": "value2", "param<1>": "value1", "x>y": "value3"},
    ),
    (
        "multiple consecutive ampersands",
        "test-function\n<arg_key>param</arg_key>\n<arg_value>test &&&& more</arg_value>",
        [],
        "test-function",
        {"param": "test &&&& more"},
    ),
    (
        "mixed special chars together",
        "test-function\n<arg_key>param</arg_key>\n<arg_value><>&<>&</arg_value>",
        [],
        "test-function",
        {"param": "<>&<>&"},
    ),
    (
        "newlines and tabs in parameter values",
        "test-function\n<arg_key>multiline</arg_key>\n<arg_value>line1\n\tindented line2\nline3</arg_value>",
        [],
        "test-function",
        {"multiline": "line1\n\tindented line2\nline3"},
    ),
    (
        "single and double quotes in values",
        'test-function\n<arg_key>quotes</arg_key>\n<arg_value>She said "Hello\'s there!"</arg_value>',
        [],
        "test-function",
        {"quotes": 'She said "Hello\'s there!"'},
    ),
    (
        "CDATA-like content that should be treated as text",
        "test-function\n<arg_key>cdata</arg_key>\n<arg_value><![CDATA[not actual cdata]]></arg_value>",
        [],
        "test-function",
        {"cdata": "<![CDATA[not actual cdata]]>"},
    ),
    (
        "all special XML entities",
        "test-function\n<arg_key>entities</arg_key>\n<arg_value>&lt;&gt;&amp;&apos;&quot;</arg_value>",
        [],
        "test-function",
        {"entities": "&lt;&gt;&amp;&apos;&quot;"},
    ),
    (
        "order preservation with multiple parameters",
        "test-function\n"
        + "\n".join(
            f"<arg_key>{k}</arg_key>\n<arg_value>value{n}</arg_value>"
            for n, k in enumerate(["first", "second", "third", "fourth", "fifth"], 1)
        ),
        [],
        "test-function",
        {"fifth": "value5", "first": "value1", "fourth": "value4", "second": "value2", "third": "value3"},
    ),
    (
        "order preservation with identical key names but different positions",
        "test-function\n"
        "<arg_key>param</arg_key>\n<arg_value>first occurrence</arg_value>\n<arg_key>other</arg_key>\n"
        "<arg_value>middle</arg_value>\n<arg_key>param</arg_key>\n<arg_value>second occurrence</arg_value>",
        [],
        "test-function",
        {"other": "middle", "param": "second occurrence"},
    ),
    (
        "array with mixed types",
        'process\n<arg_key>items</arg_key>\n<arg_value>[1, "hello", true, null]</arg_value>',
        [tool("process", {"items": {"type": "array"}})],
        "process",
        {"items": [1, "hello", True, None]},
    ),
    (
        "empty array",
        "test\n<arg_key>tags</arg_key>\n<arg_value>[]</arg_value>",
        [tool("test", {"tags": {"type": "array"}})],
        "test",
        {"tags": []},
    ),
    (
        "anyOf array or string - with array of objects",
        "TodoWrite\n<arg_key>todos</arg_key>\n"
        '<arg_value>[{"content": "task 1", "status": "pending", "priority": "high", "id": "1"}, {"content": '
        '"task 2", '
        '"status": "completed", "priority": "low", "id": "2"}]</arg_value>',
        [tool("TodoWrite", {"todos": {"anyOf": [{"type": "array"}, {"type": "string"}]}})],
        "TodoWrite",
        {
            "todos": [
                {"content": "task 1", "id": "1", "priority": "high", "status": "pending"},
                {"content": "task 2", "id": "2", "priority": "low", "status": "completed"},
            ]
        },
    ),
    (
        "anyOf array or string - with plain string",
        "TodoWrite\n<arg_key>todos</arg_key>\n<arg_value>Error: could not load todos</arg_value>",
        [tool("TodoWrite", {"todos": {"type": ["array", "string"]}})],
        "TodoWrite",
        {"todos": "Error: could not load todos"},
    ),
    (
        "unclosed arg_value at end",
        "get-weather\n<arg_key>city</arg_key>\n<arg_value>Paris",
        [],
        "get-weather",
        {"city": "Paris"},
    ),
    (
        "unclosed arg_value before next arg_key",
        "get-weather\n<arg_key>city</arg_key>\n<arg_value>Paris"
        "<arg_key>unit</arg_key>\n<arg_value>celsius</arg_value>",
        [],
        "get-weather",
        {"city": "Paris", "unit": "celsius"},
    ),
    (
        "multiple unclosed arg_values",
        "get-weather\n<arg_key>city</arg_key>\n<arg_value>Paris<arg_key>unit</arg_key>\n<arg_value>celsius",
        [],
        "get-weather",
        {"city": "Paris", "unit": "celsius"},
    ),
    (
        "unopened arg_value after arg_key",
        "get-weather\n<arg_key>city</arg_key>\nNew York</arg_value>\n"
        "<arg_key>unit</arg_key>\ncelsius</arg_value>",
        [],
        "get-weather",
        {"city": "New York", "unit": "celsius"},
    ),
    (
        "mixed unopened and valid arg_values",
        "get-weather\n<arg_key>city</arg_key>\n"
        "<arg_value>Paris</arg_value>\n"
        "<arg_key>unit</arg_key>\ncelsius</arg_value>",
        [],
        "get-weather",
        {"city": "Paris", "unit": "celsius"},
    ),
]


@pytest.mark.parametrize("name,raw,tools,fn,args", TOOL_CALL_CASES, ids=[c[0] for c in TOOL_CALL_CASES])
def test_glm46_tool_call_parsing(
    name: str, raw: str, tools: list[dict[str, Any]], fn: str, args: dict[str, Any]
) -> None:
    assert parse_tool_call(raw, tools) == call(fn, args)


REPAIR_CASES = [
    (
        "already valid",
        "func<arg_key>k</arg_key><arg_value>v</arg_value>",
        "func<arg_key>k</arg_key><arg_value>v</arg_value>",
    ),
    (
        "missing </arg_value> at end",
        "func<arg_key>k</arg_key><arg_value>v",
        "func<arg_key>k</arg_key><arg_value>v</arg_value>",
    ),
    (
        "missing </arg_value> before next arg_key",
        "func<arg_key>a</arg_key><arg_value>1<arg_key>b</arg_key><arg_value>2</arg_value>",
        "func<arg_key>a</arg_key><arg_value>1</arg_value><arg_key>b</arg_key><arg_value>2</arg_value>",
    ),
    ("no tags at all", "just plain text", "just plain text"),
    (
        "missing <arg_value> open tag",
        "func<arg_key>k</arg_key>v</arg_value>",
        "func<arg_key>k</arg_key><arg_value>v</arg_value>",
    ),
    (
        "missing </arg_key> close tag",
        "func<arg_key>k<arg_value>v</arg_value>",
        "func<arg_key>k</arg_key><arg_value>v</arg_value>",
    ),
    (
        "missing <arg_key> open tag",
        "func k</arg_key><arg_value>v</arg_value>",
        "func<arg_key>k</arg_key><arg_value>v</arg_value>",
    ),
    (
        "all closing tags missing",
        "func<arg_key>k<arg_value>v",
        "func<arg_key>k</arg_key><arg_value>v</arg_value>",
    ),
    (
        "all opening tags missing",
        "func k</arg_key>v</arg_value>",
        "func<arg_key>k</arg_key><arg_value>v</arg_value>",
    ),
    (
        "multiple pairs with mixed missing tags",
        "func<arg_key>a</arg_key>1</arg_value><arg_key>b<arg_value>2</arg_value>",
        "func<arg_key>a</arg_key><arg_value>1</arg_value><arg_key>b</arg_key><arg_value>2</arg_value>",
    ),
    (
        "newlines preserved",
        "func\n<arg_key>city</arg_key>\nNew York</arg_value>",
        "func\n<arg_key>city</arg_key><arg_value>\nNew York</arg_value>",
    ),
]


@pytest.mark.parametrize("name,text,expected", REPAIR_CASES, ids=[c[0] for c in REPAIR_CASES])
def test_repair_glm46_xml(name: str, text: str, expected: str) -> None:
    assert repair_xml(text) == expected


# glm47_test.go
def test_glm47_add() -> None:
    parser = GLM47Parser()
    parser.init(
        [tool("calculate", {"count": {"type": "integer"}, "enabled": {"type": "boolean"}})], None, None
    )
    text = (
        "plan</think>Answer<tool_call>calculate<arg_key>count</arg_key><arg_value>3</arg_value>"
        "<arg_key>enabled</arg_key><arg_value>true</arg_value></tool_call>"
    )
    assert parser.add(text, True) == (
        "Answer",
        "plan",
        calls([call("calculate", {"count": 3, "enabled": True})]),
    )


def test_glm47_no_thinking_content() -> None:
    parser = GLM47Parser()
    parser.init(None, None, None)
    assert parser.add("</think>Plain answer", True) == ("Plain answer", "", [])


def test_glm47_thinking_disabled() -> None:
    parser = GLM47Parser()
    parser.init(None, None, False)
    assert parser.add("Plain answer", True) == ("Plain answer", "", [])


def test_glm47_tool_call_escaping() -> None:
    raw = "exec\n<arg_key>expr</arg_key>\n<arg_value>a < b && c > d</arg_value>"
    assert parse_tool_call(raw, []) == call("exec", {"expr": "a < b && c > d"})


INDEXED = calls([call("first", {"a": "1"}), call("second", {"b": "2"}, 1), call("third", {"c": "3"}, 2)])


def test_glm47_tool_call_indexing() -> None:
    parser = GLM47Parser()
    parser.init(None, None, None)
    text = (
        "plan</think>\n<tool_call>first<arg_key>a</arg_key><arg_value>1</arg_value></tool_call>\n"
        "<tool_call>second<arg_key>b</arg_key><arg_value>2</arg_value></tool_call>\n"
        "<tool_call>third<arg_key>c</arg_key><arg_value>3</arg_value></tool_call>"
    )
    assert parser.add(text, True)[2] == INDEXED


def test_glm47_tool_call_indexing_streaming() -> None:
    parser = GLM47Parser()
    parser.init(None, None, None)
    got = feed(
        parser,
        [
            "plan</think><tool_call>first<arg_key>a</arg_key><arg_value>1</arg_value></tool_call>"
            "<tool_call>second<arg_key>b</arg_key>",
            "<arg_value>2</arg_value></tool_call><tool_call>third<arg_key>c</arg_key>"
            "<arg_value>3</arg_value></tool_call>",
        ],
    )
    assert got[2] == INDEXED


def test_glm47_tool_call_index_reset_on_init() -> None:
    parser = GLM47Parser()
    parser.init(None, None, None)
    parser.add("plan</think><tool_call>first<arg_key>a</arg_key><arg_value>1</arg_value></tool_call>", True)
    parser.init(None, None, None)
    got = parser.add(
        "plan</think><tool_call>second<arg_key>b</arg_key><arg_value>2</arg_value></tool_call>", True
    )
    assert got[2] == calls([call("second", {"b": "2"})])


# Whole outputs fed in every split: the glm47 cases above, and glm-ocr (no thinking at the start).
PIECES_CASES = [
    (
        "glm-4.7",
        None,
        "plan</think>Answer<tool_call>calculate<arg_key>count</arg_key><arg_value>3</arg_value></tool_call>",
        ("Answer", "plan", calls([call("calculate", {"count": "3"})])),
    ),
    ("glm-4.7", False, "  Plain <tool answer", ("  Plain <tool answer", "", [])),
    (
        "glm-ocr",
        None,
        "<think> reading </think>\n\nThe "
        "text.<tool_call>f<arg_key>k</arg_key><arg_value>v</arg_value>"
        "</tool_call>done",
        ("The text.done", "reading", calls([call("f", {"k": "v"})])),
    ),
]


@pytest.mark.parametrize("name,think,text,expected", PIECES_CASES)
def test_outputs_in_pieces(name: str, think: Any, text: str, expected: tuple[str, str, list[Any]]) -> None:
    for chunks in [[text], *splits(text)]:
        parser = parser_for(name)
        assert parser is not None
        parser.init(None, None, think)
        assert feed(parser, chunks) == expected, chunks


def test_support_flags() -> None:
    glm47, ocr = parser_for("glm-4.7"), parser_for("glm-ocr")
    assert glm47 is not None and glm47.has_thinking_support and glm47.has_tool_support
    assert ocr is not None and not ocr.has_thinking_support and ocr.has_tool_support


def test_unparsable_tool_call_is_an_error() -> None:
    parser = GLM47Parser()
    parser.init(None, None, False)
    with pytest.raises(ParseError, match="empty function name"):
        parser.add("<tool_call>  </tool_call>", False)
