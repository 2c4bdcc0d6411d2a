"""Ollama's model/renderers/qwen35_test.go: every test, same inputs and expected text."""

from __future__ import annotations

from pollama.prompt.renderers.qwen35 import Qwen35Renderer

MATH_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "add",
            "description": "Add two numbers",
            "parameters": {
                "type": "object",
                "properties": {"a": {"type": ["integer"]}, "b": {"type": ["integer"]}},
                "required": ["a", "b"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "multiply",
            "description": "Multiply two numbers",
            "parameters": {
                "type": "object",
                "properties": {"x": {"type": ["integer"]}, "y": {"type": ["integer"]}},
                "required": ["x", "y"],
            },
        },
    },
]

WEATHER_UV_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get weather for a location",
            "parameters": {
                "type": "object",
                "properties": {"location": {"type": ["string"]}},
                "required": ["location"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "get_uv",
            "description": "Get UV index for a location",
            "parameters": {
                "type": "object",
                "properties": {"location": {"type": ["string"]}},
                "required": ["location"],
            },
        },
    },
]


def thinking_renderer(**flags):
    return Qwen35Renderer(is_thinking=True, use_img_tags=False, **flags)


def test_uses_xml_tool_calling_format():
    msgs = [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "What's the weather in Paris?"},
        {
            "role": "assistant",
            "content": "I'll check.",
            "tool_calls": [{"function": {"name": "get_weather", "arguments": {"location": "Paris"}}}],
        },
        {"role": "tool", "content": "22C"},
        {"role": "user", "content": "Thanks"},
    ]
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "parameters": {
                    "type": "object",
                    "properties": {"location": {"type": ["string"]}},
                    "required": ["location"],
                },
            },
        },
    ]
    got = thinking_renderer().render(msgs, tools, None)
    assert "<tools>" in got
    assert "<function=example_function_name>" in got
    want_tool_call = "<tool_call>\n<function=get_weather>\n<parameter=location>\nParis\n</parameter>\n</function>\n"
    assert want_tool_call + "</tool_call>" in got
    tools_at, system_at = got.find("# Tools"), got.find("You are a helpful assistant.")
    assert -1 < tools_at < system_at


def test_no_think_prefill():
    renderer = thinking_renderer(emit_empty_think_on_no_think=True)
    got = renderer.render([{"role": "user", "content": "hello"}], None, False)
    assert got.endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n")


def test_back_to_back_tool_calls_and_responses():
    msgs = [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "Run add and multiply."},
        {
            "role": "assistant",
            "content": "I'll run both now.",
            "thinking": "Need to call add and multiply.",
            "tool_calls": [
                {"function": {"name": "add", "arguments": {"a": 2, "b": 3}}},
                {"function": {"name": "multiply", "arguments": {"x": 4, "y": 5}}},
            ],
        },
        {"role": "tool", "content": "5"},
        {"role": "tool", "content": "20"},
        {"role": "user", "content": "Summarize the results."},
    ]
    want_tool_calls = (
        "<tool_call>\n"
        "<function=add>\n"
        "<parameter=a>\n"
        "2\n"
        "</parameter>\n"
        "<parameter=b>\n"
        "3\n"
        "</parameter>\n"
        "</function>\n"
        "</tool_call>\n"
        "<tool_call>\n"
        "<function=multiply>\n"
        "<parameter=x>\n"
        "4\n"
        "</parameter>\n"
        "<parameter=y>\n"
        "5\n"
        "</parameter>\n"
        "</function>\n"
        "</tool_call>"
    )
    want_tool_responses = (
        "<|im_start|>user\n"
        "<tool_response>\n"
        "5\n"
        "</tool_response>\n"
        "<tool_response>\n"
        "20\n"
        "</tool_response><|im_end|>"
    )
    got = thinking_renderer().render(msgs, MATH_TOOLS, None)
    assert "Need to call add and multiply." not in got
    assert want_tool_calls in got
    assert want_tool_responses in got
    assert got.endswith("<|im_start|>assistant\n<think>\n")


def test_interleaved_thinking_and_tools():
    msgs = [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "Plan a picnic in Paris."},
        {
            "role": "assistant",
            "content": "Checking weather first.",
            "thinking": "Need weather before giving advice.",
            "tool_calls": [{"function": {"name": "get_weather", "arguments": {"location": "Paris"}}}],
        },
        {"role": "tool", "content": "22C"},
        {
            "role": "assistant",
            "content": "Checking UV too.",
            "thinking": "Need UV index for sunscreen advice.",
            "tool_calls": [{"function": {"name": "get_uv", "arguments": {"location": "Paris"}}}],
        },
        {"role": "tool", "content": "5"},
    ]
    want_first_turn = (
        "<|im_start|>assistant\n"
        "<think>\n"
        "Need weather before giving advice.\n"
        "</think>\n"
        "\n"
        "Checking weather first.\n"
        "\n"
        "<tool_call>\n"
        "<function=get_weather>\n"
        "<parameter=location>\n"
        "Paris\n"
        "</parameter>\n"
        "</function>\n"
        "</tool_call><|im_end|>"
    )
    want_second_turn = (
        "<|im_start|>assistant\n"
        "<think>\n"
        "Need UV index for sunscreen advice.\n"
        "</think>\n"
        "\n"
        "Checking UV too.\n"
        "\n"
        "<tool_call>\n"
        "<function=get_uv>\n"
        "<parameter=location>\n"
        "Paris\n"
        "</parameter>\n"
        "</function>\n"
        "</tool_call><|im_end|>"
    )
    got = thinking_renderer().render(msgs, WEATHER_UV_TOOLS, None)
    assert want_first_turn in got
    assert want_second_turn in got
    assert got.endswith("<|im_start|>assistant\n<think>\n")


def test_assistant_prefill_with_thinking():
    msgs = [
        {"role": "user", "content": "Write two words."},
        {"role": "assistant", "thinking": "Keep it short.", "content": "Hello world"},
    ]
    want = (
        "<|im_start|>user\n"
        "Write two words.<|im_end|>\n"
        "<|im_start|>assistant\n"
        "<think>\n"
        "Keep it short.\n"
        "</think>\n"
        "\n"
        "Hello world"
    )
    assert thinking_renderer().render(msgs, None, None) == want
