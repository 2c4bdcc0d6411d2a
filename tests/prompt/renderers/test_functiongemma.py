"""functiongemma renderer: every case of Ollama's model/renderers/functiongemma_test.go."""

from __future__ import annotations

from typing import Any

import pytest

from pollama.prompt.renderers import render, renderer_for

E = "<escape>"
HEADER = "<bos><start_of_turn>developer\nYou can do function calling with the following functions:"


def tool(
    name: str, description: str, props: dict[str, Any], required: list[str] | None = None
) -> dict[str, Any]:
    params: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        params["required"] = required
    return {"type": "function", "function": {"name": name, "description": description, "parameters": params}}


def prop(type_: str, description: str = "") -> dict[str, Any]:
    return {"type": type_, "description": description} if description else {"type": type_}


def call(name: str, args: dict[str, Any]) -> dict[str, Any]:
    return {"function": {"name": name, "arguments": args}}


def msg(role: str, content: str = "", calls: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"role": role, "content": content} | ({"tool_calls": calls} if calls else {})


WEATHER = tool("get_weather", "Get weather", {"city": prop("string", "City")})
WEATHER_DECL = (
    f"<start_function_declaration>declaration:get_weather{{description:{E}Get weather{E},"
    f"parameters:{{"
    f"properties:{{city:{{description:{E}City{E},type:{E}STRING{E}}}}},type:{E}OBJECT{E}}}}}"
    "<end_function_declaration>"
)
TIME = tool("get_time", "Get current time", {"timezone": prop("string", "Timezone")})
TIME_DECL = (
    f"<start_function_declaration>declaration:get_time{{description:{E}Get current time{E},"
    f"parameters:{{"
    f"properties:{{timezone:{{description:{E}Timezone{E},type:{E}STRING{E}}}}},type:{E}OBJECT{E}}}}}"
    "<end_function_declaration>"
)
PARIS_CALL = f"<start_function_call>call:get_weather{{city:{E}Paris{E}}}<end_function_call>"
SUNNY = f"<start_function_response>response:get_weather{{{E}Sunny{E}}}<end_function_response>"

CASES: list[dict[str, Any]] = [
    {
        "name": "basic_user_message",
        "messages": [msg("user", "Hello!")],
        "expected": "<bos><start_of_turn>user\nHello!<end_of_turn>\n<start_of_turn>model\n",
    },
    {
        "name": "with_system_message",
        "messages": [msg("system", "You are helpful"), msg("user", "Hello!")],
        "expected": "<bos><start_of_turn>developer\nYou are helpful<end_of_turn>\n<start_of_turn>user\n"
        "Hello!<end_of_turn>\n"
        "<start_of_turn>model\n",
    },
    {
        "name": "with_developer_role",
        "messages": [msg("developer", "You are a coding assistant"), msg("user", "Hello!")],
        "expected": "<bos><start_of_turn>developer\nYou are a coding assistant<end_of_turn>\n"
        "<start_of_turn>user\nHello!<end_of_turn>\n<start_of_turn>model\n",
    },
    {
        "name": "custom_system_message_with_tools",
        "messages": [msg("system", "You are a weather expert."), msg("user", "Weather?")],
        "tools": [WEATHER],
        "expected": "<bos><start_of_turn>developer\nYou are a weather expert.\n"
        "You can do function calling with the following functions:" + WEATHER_DECL + "<end_of_turn>\n"
        "<start_of_turn>user\nWeather?<end_of_turn>\n<start_of_turn>model\n",
    },
    {
        "name": "developer_role_with_tools",
        "messages": [msg("developer", "Be concise."), msg("user", "Weather?")],
        "tools": [WEATHER],
        "expected": "<bos><start_of_turn>developer\nBe concise.\n"
        "You can do function calling with the following functions:"
        + WEATHER_DECL
        + "<end_of_turn>\n<start_of_turn>user\nWeather?<end_of_turn>\n"
        "<start_of_turn>model\n",
    },
    {
        "name": "multi_turn",
        "messages": [msg("user", "Hi"), msg("assistant", "Hello!"), msg("user", "More")],
        "expected": "<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n"
        "<start_of_turn>user\nMore<end_of_turn>\n<start_of_turn>model\n",
    },
    {
        "name": "with_tools",
        "messages": [msg("user", "Weather?")],
        "tools": [WEATHER],
        "expected": HEADER + WEATHER_DECL + "<end_of_turn>\n<start_of_turn>user\nWeather?<end_of_turn>\n"
        "<start_of_turn>model\n",
    },
    {
        "name": "tool_call",
        "messages": [
            msg("user", "Weather?"),
            msg("assistant", calls=[call("get_weather", {"city": "Paris"})]),
            msg("tool", "Sunny"),
        ],
        "tools": [WEATHER],
        "expected": HEADER + WEATHER_DECL + "<end_of_turn>\n<start_of_turn>user\nWeather?<end_of_turn>\n"
        "<start_of_turn>model\n" + PARIS_CALL + SUNNY,
    },
    {
        "name": "assistant_content_with_tool_call",
        "messages": [
            msg("user", "Weather?"),
            msg("assistant", "Let me check.", [call("get_weather", {"city": "Paris"})]),
            msg("tool", "Sunny"),
        ],
        "tools": [WEATHER],
        "expected": HEADER + WEATHER_DECL + "<end_of_turn>\n<start_of_turn>user\nWeather?<end_of_turn>\n"
        "<start_of_turn>model\nLet me check." + PARIS_CALL + SUNNY,
    },
    {
        "name": "numeric_arguments",
        "messages": [
            msg("user", "Add"),
            msg("assistant", calls=[call("add", {"a": 1.0, "b": 2.0})]),
            msg("tool", "3"),
        ],
        "tools": [tool("add", "Add numbers", {"a": prop("number"), "b": prop("number")})],
        "expected": HEADER + f"<start_function_declaration>declaration:add{{description:{E}Add numbers{E},"
        f"parameters:{{"
        f"properties:{{a:{{description:{E}{E},type:{E}NUMBER{E}}},b:{{description:{E}{E},"
        f"type:{E}NUMBER{E}}}}},"
        f"type:{E}OBJECT{E}}}}}<end_function_declaration><end_of_turn>\n<start_of_turn>user\n"
        f"Add<end_of_turn>\n"
        "<start_of_turn>model\n<start_function_call>call:add{a:1,b:2}<end_function_call>"
        f"<start_function_response>response:add{{{E}3{E}}}<end_function_response>",
    },
    {"name": "empty_messages", "messages": [], "expected": "<bos><start_of_turn>model\n"},
    {
        "name": "tool_with_required_params",
        "messages": [msg("user", "Weather?")],
        "tools": [
            tool(
                "get_weather",
                "Gets the weather for a given city",
                {"city": prop("string", "City Name"), "country": prop("string", "Country Name")},
                ["city"],
            )
        ],
        "expected": HEADER + "<start_function_declaration>declaration:get_weather{description:"
        f"{E}Gets the weather for a given city{E},"
        f"parameters:{{properties:{{city:{{description:{E}City Name{E},"
        f"type:{E}STRING{E}}},country:{{description:{E}Country Name{E},type:{E}STRING{E}}}}},"
        f"required:[{E}city{E}],type:{E}OBJECT{E}}}}}<end_function_declaration><end_of_turn>\n"
        "<start_of_turn>user\nWeather?<end_of_turn>\n<start_of_turn>model\n",
    },
    {
        "name": "multiple_tools",
        "messages": [msg("user", "Weather and time?")],
        "tools": [WEATHER, TIME],
        "expected": HEADER + WEATHER_DECL + TIME_DECL + "<end_of_turn>\n<start_of_turn>user\n"
        "Weather and time?<end_of_turn>\n"
        "<start_of_turn>model\n",
    },
    {
        "name": "parallel_tool_calls",
        "messages": [
            msg("user", "Weather and time?"),
            msg(
                "assistant",
                calls=[call("get_weather", {"city": "Paris"}), call("get_time", {"timezone": "UTC"})],
            ),
            msg("tool", "Sunny"),
            msg("tool", "12:00"),
        ],
        "tools": [WEATHER, TIME],
        "expected": HEADER + WEATHER_DECL + TIME_DECL + "<end_of_turn>\n<start_of_turn>user\n"
        "Weather and time?<end_of_turn>\n"
        "<start_of_turn>model\n"
        + PARIS_CALL
        + f"<start_function_call>call:get_time{{timezone:{E}UTC{E}}}<end_function_call>"
        + SUNNY
        + f"<start_function_response>response:get_time{{{E}12:00{E}}}<end_function_response>",
    },
    {
        "name": "user_after_tool_response",
        "messages": [
            msg("user", "Weather?"),
            msg("assistant", calls=[call("get_weather", {"city": "Paris"})]),
            msg("tool", "Sunny"),
            msg("user", "Thanks! What about London?"),
        ],
        "tools": [WEATHER],
        "expected": HEADER + WEATHER_DECL + "<end_of_turn>\n<start_of_turn>user\nWeather?<end_of_turn>\n"
        "<start_of_turn>model\n" + PARIS_CALL + SUNNY + "Thanks! What about London?<end_of_turn>\n"
        "<start_of_turn>model\n",
    },
    # Edge cases
    {
        "name": "tool_empty_properties",
        "messages": [msg("user", "Test")],
        "tools": [tool("test_fn", "", {})],
        "expected": HEADER
        + f"<start_function_declaration>declaration:test_fn{{description:{E}{E},parameters:{{"
        f"type:{E}OBJECT{E}}}}}<end_function_declaration><end_of_turn>\n<start_of_turn>user\n"
        f"Test<end_of_turn>\n"
        "<start_of_turn>model\n",
    },
    {
        "name": "unicode_content",
        "messages": [msg("user", "こんにちは 🎉")],
        "expected": "<bos><start_of_turn>user\nこんにちは 🎉<end_of_turn>\n<start_of_turn>model\n",
    },
    {
        "name": "newlines_in_content",
        "messages": [msg("user", "Line 1\nLine 2\nLine 3")],
        "expected": "<bos><start_of_turn>user\nLine 1\nLine 2\nLine 3<end_of_turn>\n<start_of_turn>model\n",
    },
    {
        "name": "special_chars_in_content",
        "messages": [msg("user", 'Test <tag> & "quotes" chars')],
        "expected": '<bos><start_of_turn>user\nTest <tag> & "quotes" chars<end_of_turn>\n'
        "<start_of_turn>model\n",
    },
    {
        "name": "boolean_argument",
        "messages": [
            msg("user", "Set flag"),
            msg("assistant", calls=[call("set_flag", {"enabled": True})]),
            msg("tool", "done"),
        ],
        "tools": [tool("set_flag", "Set a flag", {"enabled": prop("boolean", "Flag value")})],
        "expected": HEADER
        + f"<start_function_declaration>declaration:set_flag{{description:{E}Set a flag{E},"
        f"parameters:{{"
        f"properties:{{enabled:{{description:{E}Flag value{E},type:{E}BOOLEAN{E}}}}},"
        f"type:{E}OBJECT{E}}}}}"
        "<end_function_declaration><end_of_turn>\n<start_of_turn>user\nSet flag<end_of_turn>\n"
        "<start_of_turn>model\n<start_function_call>call:set_flag{enabled:true}<end_function_call>"
        f"<start_function_response>response:set_flag{{{E}done{E}}}<end_function_response>",
    },
    {
        "name": "multiple_required_params",
        "messages": [msg("user", "Test")],
        "tools": [
            tool(
                "test",
                "Test",
                {"a": prop("string", "A"), "b": prop("string", "B"), "c": prop("string", "C")},
                ["a", "b", "c"],
            )
        ],
        "expected": HEADER + f"<start_function_declaration>declaration:test{{description:{E}Test{E},"
        f"parameters:{{"
        f"properties:{{a:{{description:{E}A{E},type:{E}STRING{E}}},b:{{description:{E}B{E},"
        f"type:{E}STRING{E}}},"
        f"c:{{description:{E}C{E},type:{E}STRING{E}}}}},required:[{E}a{E},{E}b{E},{E}c{E}],"
        f"type:{E}OBJECT{E}}}}}<end_function_declaration><end_of_turn>\n<start_of_turn>user\n"
        f"Test<end_of_turn>\n"
        "<start_of_turn>model\n",
    },
    {
        "name": "array_type_param",
        "messages": [msg("user", "Test")],
        "tools": [tool("test", "Test", {"items": prop("array", "List of items")})],
        "expected": HEADER + f"<start_function_declaration>declaration:test{{description:{E}Test{E},"
        f"parameters:{{"
        f"properties:{{items:{{description:{E}List of items{E},type:{E}ARRAY{E}}}}},"
        f"type:{E}OBJECT{E}}}}}"
        "<end_function_declaration><end_of_turn>\n<start_of_turn>user\nTest<end_of_turn>\n"
        "<start_of_turn>model\n",
    },
]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_functiongemma_renderer(case: dict[str, Any]) -> None:
    assert render("functiongemma", case["messages"], case.get("tools"), None) == case["expected"]


def test_leading_bos() -> None:
    renderer = renderer_for("functiongemma")
    assert renderer is not None and renderer.leading_bos == "<bos>"
