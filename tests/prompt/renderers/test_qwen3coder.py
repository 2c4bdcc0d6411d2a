"""Ollama's model/renderers/qwen3coder_test.go: every case, same inputs and expected prompts."""

from __future__ import annotations

import pytest

from pollama.prompt.renderers import renderer_for
from pollama.prompt.renderers.qwen3coder import format_tool_call_argument, format_tool_definition_type

RENDER_CASES = [
    {
        "name": "basic",
        "msgs": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "Hello, how are you?"},
        ],
        "expected": (
            "<|im_start|>system\n"
            "You are a helpful assistant.<|im_end|>\n"
            "<|im_start|>user\n"
            "Hello, how are you?<|im_end|>\n"
            "<|im_start|>assistant\n"
        ),
    },
    {
        "name": "with tools and response",
        "msgs": [
            {"role": "system", "content": "You are a helpful assistant with access to tools."},
            {"role": "user", "content": "What is the weather like in San Francisco?"},
            {
                "role": "assistant",
                "content": "I'll check the weather in San Francisco for you.",
                "tool_calls": [{"function": {"name": "get_weather", "arguments": {"unit": "fahrenheit"}}}],
            },
            {
                "role": "tool",
                "content": "{\"location\": \"San Francisco, CA\", \"temperature\": 68, \"condition\": \"partly cloudy\", \"humidity\": 65, \"wind_speed\": 12}",
                "tool_name": "get_weather",
            },
            {"role": "user", "content": "That sounds nice! What about New York?"},
        ],
        "tools": [
            {
                "function": {
                    "name": "get_weather",
                    "description": "Get the current weather in a given location",
                    "parameters": {
                        "required": ["unit"],
                        "properties": {
                            "unit": {
                                "type": ["string"],
                                "enum": ["celsius", "fahrenheit"],
                                "description": "The unit of temperature",
                            },
                        },
                    },
                },
            },
        ],
        "expected": (
            "<|im_start|>system\n"
            "You are a helpful assistant with access to tools.\n"
            "\n"
            "# Tools\n"
            "\n"
            "You have access to the following functions:\n"
            "\n"
            "<tools>\n"
            "<function>\n"
            "<name>get_weather</name>\n"
            "<description>Get the current weather in a given location</description>\n"
            "<parameters>\n"
            "<parameter>\n"
            "<name>unit</name>\n"
            "<type>string</type>\n"
            "<description>The unit of temperature</description>\n"
            "<enum>[\"celsius\",\"fahrenheit\"]</enum>\n"
            "</parameter>\n"
            "<required>[\"unit\"]</required>\n"
            "</parameters>\n"
            "</function>\n"
            "</tools>\n"
            "\n"
            "If you choose to call a function ONLY reply in the following format with NO suffix:\n"
            "\n"
            "<tool_call>\n"
            "<function=example_function_name>\n"
            "<parameter=example_parameter_1>\n"
            "value_1\n"
            "</parameter>\n"
            "<parameter=example_parameter_2>\n"
            "This is the value for the second parameter\n"
            "that can span\n"
            "multiple lines\n"
            "</parameter>\n"
            "</function>\n"
            "</tool_call>\n"
            "\n"
            "<IMPORTANT>\n"
            "Reminder:\n"
            "- Function calls MUST follow the specified format: an inner <function=...></function> block must be nested within <tool_call></tool_call> XML tags\n"
            "- Required parameters MUST be specified\n"
            "- You may provide optional reasoning for your function call in natural language BEFORE the function call, but NOT after\n"
            "- If there is no function call available, answer the question like normal with your current knowledge and do not tell the user about function calls\n"
            "</IMPORTANT><|im_end|>\n"
            "<|im_start|>user\n"
            "What is the weather like in San Francisco?<|im_end|>\n"
            "<|im_start|>assistant\n"
            "I'll check the weather in San Francisco for you.\n"
            "\n"
            "<tool_call>\n"
            "<function=get_weather>\n"
            "<parameter=unit>\n"
            "fahrenheit\n"
            "</parameter>\n"
            "</function>\n"
            "</tool_call><|im_end|>\n"
            "<|im_start|>user\n"
            "<tool_response>\n"
            "{\"location\": \"San Francisco, CA\", \"temperature\": 68, \"condition\": \"partly cloudy\", \"humidity\": 65, \"wind_speed\": 12}\n"
            "</tool_response><|im_end|>\n"
            "<|im_start|>user\n"
            "That sounds nice! What about New York?<|im_end|>\n"
            "<|im_start|>assistant\n"
        ),
    },
    {
        "name": "parallel tool calls",
        "msgs": [
            {"role": "system", "content": "You are a helpful assistant with access to tools."},
            {"role": "user", "content": "call double(1) and triple(2)"},
            {
                "role": "assistant",
                "content": "I'll call double(1) and triple(2) for you.",
                "tool_calls": [
                    {"function": {"name": "double", "arguments": {"number": "1"}}},
                    {"function": {"name": "triple", "arguments": {"number": "2"}}},
                ],
            },
            {"role": "tool", "content": "{\"number\": 2}", "tool_name": "double"},
            {"role": "tool", "content": "{\"number\": 6}", "tool_name": "triple"},
        ],
        "tools": [
            {
                "function": {
                    "name": "double",
                    "description": "Double a number",
                    "parameters": {
                        "properties": {"number": {"type": ["string"], "description": "The number to double"}},
                    },
                },
            },
            {
                "function": {
                    "name": "triple",
                    "description": "Triple a number",
                    "parameters": {
                        "properties": {"number": {"type": ["string"], "description": "The number to triple"}},
                    },
                },
            },
        ],
        "expected": (
            "<|im_start|>system\n"
            "You are a helpful assistant with access to tools.\n"
            "\n"
            "# Tools\n"
            "\n"
            "You have access to the following functions:\n"
            "\n"
            "<tools>\n"
            "<function>\n"
            "<name>double</name>\n"
            "<description>Double a number</description>\n"
            "<parameters>\n"
            "<parameter>\n"
            "<name>number</name>\n"
            "<type>string</type>\n"
            "<description>The number to double</description>\n"
            "</parameter>\n"
            "</parameters>\n"
            "</function>\n"
            "<function>\n"
            "<name>triple</name>\n"
            "<description>Triple a number</description>\n"
            "<parameters>\n"
            "<parameter>\n"
            "<name>number</name>\n"
            "<type>string</type>\n"
            "<description>The number to triple</description>\n"
            "</parameter>\n"
            "</parameters>\n"
            "</function>\n"
            "</tools>\n"
            "\n"
            "If you choose to call a function ONLY reply in the following format with NO suffix:\n"
            "\n"
            "<tool_call>\n"
            "<function=example_function_name>\n"
            "<parameter=example_parameter_1>\n"
            "value_1\n"
            "</parameter>\n"
            "<parameter=example_parameter_2>\n"
            "This is the value for the second parameter\n"
            "that can span\n"
            "multiple lines\n"
            "</parameter>\n"
            "</function>\n"
            "</tool_call>\n"
            "\n"
            "<IMPORTANT>\n"
            "Reminder:\n"
            "- Function calls MUST follow the specified format: an inner <function=...></function> block must be nested within <tool_call></tool_call> XML tags\n"
            "- Required parameters MUST be specified\n"
            "- You may provide optional reasoning for your function call in natural language BEFORE the function call, but NOT after\n"
            "- If there is no function call available, answer the question like normal with your current knowledge and do not tell the user about function calls\n"
            "</IMPORTANT><|im_end|>\n"
            "<|im_start|>user\n"
            "call double(1) and triple(2)<|im_end|>\n"
            "<|im_start|>assistant\n"
            "I'll call double(1) and triple(2) for you.\n"
            "\n"
            "<tool_call>\n"
            "<function=double>\n"
            "<parameter=number>\n"
            "1\n"
            "</parameter>\n"
            "</function>\n"
            "</tool_call>\n"
            "<tool_call>\n"
            "<function=triple>\n"
            "<parameter=number>\n"
            "2\n"
            "</parameter>\n"
            "</function>\n"
            "</tool_call><|im_end|>\n"
            "<|im_start|>user\n"
            "<tool_response>\n"
            "{\"number\": 2}\n"
            "</tool_response>\n"
            "<tool_response>\n"
            "{\"number\": 6}\n"
            "</tool_response><|im_end|>\n"
            "<|im_start|>assistant\n"
        ),
    },
    {
        "name": "prefill",
        "msgs": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "Tell me something interesting."},
            {"role": "assistant", "content": "I'll tell you something interesting about cats"},
        ],
        "expected": (
            "<|im_start|>system\n"
            "You are a helpful assistant.<|im_end|>\n"
            "<|im_start|>user\n"
            "Tell me something interesting.<|im_end|>\n"
            "<|im_start|>assistant\n"
            "I'll tell you something interesting about cats"
        ),
    },
    {
        "name": "complex tool call arguments should remain json encoded",
        "msgs": [
            {"role": "user", "content": "call tool"},
            {
                "role": "assistant",
                "tool_calls": [{"function": {"name": "echo", "arguments": {"payload": {"foo": "bar"}}}}],
            },
            {"role": "tool", "content": "{\"payload\": {\"foo\": \"bar\"}}", "tool_name": "echo"},
        ],
        "expected": (
            "<|im_start|>user\n"
            "call tool<|im_end|>\n"
            "<|im_start|>assistant\n"
            "\n"
            "<tool_call>\n"
            "<function=echo>\n"
            "<parameter=payload>\n"
            "{\"foo\":\"bar\"}\n"
            "</parameter>\n"
            "</function>\n"
            "</tool_call><|im_end|>\n"
            "<|im_start|>user\n"
            "<tool_response>\n"
            "{\"payload\": {\"foo\": \"bar\"}}\n"
            "</tool_response><|im_end|>\n"
            "<|im_start|>assistant\n"
        ),
    },
]


@pytest.mark.parametrize("case", RENDER_CASES, ids=lambda c: c["name"])
def test_qwen3_coder_renderer(case):
    assert renderer_for("qwen3-coder").render(case["msgs"], case.get("tools"), None) == case["expected"]


ARGUMENT_CASES = [
    {"name": "string", "arg": "foo", "expected": "foo"},
    {"name": "map", "arg": {"foo": "bar"}, "expected": "{\"foo\":\"bar\"}"},
    {"name": "number", "arg": 1, "expected": "1"},
    {"name": "boolean", "arg": True, "expected": "true"},
]


@pytest.mark.parametrize("case", ARGUMENT_CASES, ids=lambda c: c["name"])
def test_format_tool_call_argument(case):
    assert format_tool_call_argument(case["arg"]) == case["expected"]


def test_tool_response_has_no_trailing_newline():
    msgs = [
        {"role": "user", "content": "call tool"},
        {
            "role": "assistant",
            "tool_calls": [{"function": {"name": "echo", "arguments": {"payload": "ok"}}}],
        },
        {"role": "tool", "content": "{\"payload\":\"ok\"}", "tool_name": "echo"},
    ]
    rendered = renderer_for("qwen3-coder").render(msgs, None, None)
    assert "</tool_response>\n<|im_end|>" not in rendered
    assert "</tool_response><|im_end|>" in rendered


TYPE_CASES = [
    {"name": "simple", "propertyType": ["string"], "expected": "string"},
    {
        "name": "multiple",
        "propertyType": ["string", "number"],
        "expected": "[\"string\",\"number\"]",
    },
    {"name": "empty", "propertyType": [], "expected": "[]"},
]


@pytest.mark.parametrize("case", TYPE_CASES, ids=lambda c: c["name"])
def test_tool_definition_types(case):
    assert format_tool_definition_type(case["propertyType"]) == case["expected"]
