"""olmo3 / olmo3.1 and olmo3-think / olmo3-32b-think renderers: every case of Ollama's
model/renderers/olmo3_test.go and olmo3_think_test.go."""

from __future__ import annotations

import pytest

from pollama.prompt.renderers import renderer_for

OLMO31_THINK = "olmo3-think"
OLMO3_THINK32_B = "olmo3-32b-think"

RENDER_CASES = [
    {
        "name": "basic without system - adds default system",
        "msgs": [{"role": "user", "content": "Hello!"}],
        "expected": "<|im_start|>system\n"
        "You are a helpful function-calling AI assistant. You do not currently have access to any "
        "functions. <functions></functions><|im_end|>\n"
        "<|im_start|>user\n"
        "Hello!<|im_end|>\n"
        "<|im_start|>assistant\n",
    },
    {
        "name": "with system message no tools",
        "msgs": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "Hello!"},
        ],
        "expected": "<|im_start|>system\n"
        "You are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\n"
        "Hello!<|im_end|>\n"
        "<|im_start|>assistant\n",
    },
    {
        "name": "with system message and tools",
        "msgs": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "What is the weather?"},
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "Get the current weather",
                    "parameters": {
                        "type": "object",
                        "required": ["location"],
                        "properties": {"location": {"type": "string", "description": "The city"}},
                    },
                },
            }
        ],
        "expected": "<|im_start|>system\n"
        'You are a helpful assistant.<functions>[{"type": "function", "function": {"name": '
        '"get_weather", "description": "Get the current weather", "parameters": {"type": "object", '
        '"required": ["location"], "properties": {"location": {"type": "string", "description": "The '
        'city"}}}}}]</functions><|im_end|>\n'
        "<|im_start|>user\n"
        "What is the weather?<|im_end|>\n"
        "<|im_start|>assistant\n",
    },
    {
        "name": "default system with tools - includes function instruction",
        "msgs": [{"role": "user", "content": "What is the weather?"}],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "Get the current weather",
                    "parameters": {
                        "type": "object",
                        "required": ["location"],
                        "properties": {"location": {"type": "string", "description": "The city"}},
                    },
                },
            }
        ],
        "expected": "<|im_start|>system\n"
        "You are a helpful function-calling AI assistant. You are provided with function signatures "
        "within <functions></functions> XML tags. You may call one or more functions to assist with "
        "the user query. Output any function calls within <function_calls></function_calls> XML "
        'tags. Do not make assumptions about what values to plug into functions.<functions>[{"type": '
        '"function", "function": {"name": "get_weather", "description": "Get the current weather", '
        '"parameters": {"type": "object", "required": ["location"], "properties": {"location": '
        '{"type": "string", "description": "The city"}}}}}]</functions><|im_end|>\n'
        "<|im_start|>user\n"
        "What is the weather?<|im_end|>\n"
        "<|im_start|>assistant\n",
    },
    {
        "name": "assistant with tool calls - function call syntax",
        "msgs": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "What is the weather in SF?"},
            {
                "role": "assistant",
                "content": "Let me check the weather.",
                "tool_calls": [
                    {
                        "id": "call_1",
                        "function": {"name": "get_weather", "arguments": {"location": "San Francisco"}},
                    }
                ],
            },
            {"role": "tool", "content": '{"temperature": 68}', "tool_name": "get_weather"},
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "Get the current weather",
                    "parameters": {
                        "type": "object",
                        "required": ["location"],
                        "properties": {"location": {"type": "string", "description": "The city"}},
                    },
                },
            }
        ],
        "expected": "<|im_start|>system\n"
        'You are a helpful assistant.<functions>[{"type": "function", "function": {"name": '
        '"get_weather", "description": "Get the current weather", "parameters": {"type": "object", '
        '"required": ["location"], "properties": {"location": {"type": "string", "description": "The '
        'city"}}}}}]</functions><|im_end|>\n'
        "<|im_start|>user\n"
        "What is the weather in SF?<|im_end|>\n"
        "<|im_start|>assistant\n"
        'Let me check the weather.<function_calls>get_weather(location="San '
        'Francisco")</function_calls><|im_end|>\n'
        "<|im_start|>environment\n"
        '{"temperature": 68}<|im_end|>\n'
        "<|im_start|>assistant\n",
    },
    {
        "name": "multi-turn conversation",
        "msgs": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "Hello"},
            {"role": "assistant", "content": "Hi there!"},
            {"role": "user", "content": "How are you?"},
        ],
        "expected": "<|im_start|>system\n"
        "You are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\n"
        "Hello<|im_end|>\n"
        "<|im_start|>assistant\n"
        "Hi there!<|im_end|>\n"
        "<|im_start|>user\n"
        "How are you?<|im_end|>\n"
        "<|im_start|>assistant\n",
    },
    {
        "name": "parallel tool calls - newline separated",
        "msgs": [
            {"role": "user", "content": "Get weather in SF and NYC"},
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": "call_1",
                        "function": {"name": "get_weather", "arguments": {"location": "San Francisco"}},
                    },
                    {
                        "id": "call_2",
                        "function": {"name": "get_weather", "arguments": {"location": "New York"}},
                    },
                ],
            },
            {"role": "tool", "content": '{"temperature": 68}', "tool_name": "get_weather"},
            {"role": "tool", "content": '{"temperature": 55}', "tool_name": "get_weather"},
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "parameters": {"type": "object", "properties": {"location": {"type": "string"}}},
                },
            }
        ],
        "expected": "<|im_start|>system\n"
        "You are a helpful function-calling AI assistant. You are provided with function signatures "
        "within <functions></functions> XML tags. You may call one or more functions to assist with "
        "the user query. Output any function calls within <function_calls></function_calls> XML "
        'tags. Do not make assumptions about what values to plug into functions.<functions>[{"type": '
        '"function", "function": {"name": "get_weather", "parameters": {"type": "object", '
        '"properties": {"location": {"type": "string"}}}}}]</functions><|im_end|>\n'
        "<|im_start|>user\n"
        "Get weather in SF and NYC<|im_end|>\n"
        "<|im_start|>assistant\n"
        '<function_calls>get_weather(location="San Francisco")\n'
        'get_weather(location="New York")</function_calls><|im_end|>\n'
        "<|im_start|>environment\n"
        '{"temperature": 68}<|im_end|>\n'
        "<|im_start|>environment\n"
        '{"temperature": 55}<|im_end|>\n'
        "<|im_start|>assistant\n",
    },
    {
        "name": "tool call with multiple arguments",
        "msgs": [
            {"role": "user", "content": "Book a flight"},
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": "call_1",
                        "function": {"name": "book_flight", "arguments": {"from": "SFO", "to": "NYC"}},
                    }
                ],
            },
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "book_flight",
                    "parameters": {
                        "type": "object",
                        "properties": {"from": {"type": "string"}, "to": {"type": "string"}},
                    },
                },
            }
        ],
        "expected": "<|im_start|>system\n"
        "You are a helpful function-calling AI assistant. You are provided with function signatures "
        "within <functions></functions> XML tags. You may call one or more functions to assist with "
        "the user query. Output any function calls within <function_calls></function_calls> XML "
        'tags. Do not make assumptions about what values to plug into functions.<functions>[{"type": '
        '"function", "function": {"name": "book_flight", "parameters": {"type": "object", '
        '"properties": {"from": {"type": "string"}, "to": {"type": '
        '"string"}}}}}]</functions><|im_end|>\n'
        "<|im_start|>user\n"
        "Book a flight<|im_end|>\n"
        "<|im_start|>assistant\n"
        '<function_calls>book_flight(from="SFO", to="NYC")</function_calls><|im_end|>\n'
        "<|im_start|>assistant\n",
    },
    {
        "name": "assistant prefill - no generation prompt",
        "msgs": [{"role": "user", "content": "Hello"}, {"role": "assistant", "content": "Hi there!"}],
        "expected": "<|im_start|>system\n"
        "You are a helpful function-calling AI assistant. You do not currently have access to any "
        "functions. <functions></functions><|im_end|>\n"
        "<|im_start|>user\n"
        "Hello<|im_end|>\n"
        "<|im_start|>assistant\n"
        "Hi there!",
    },
]

THINK_RENDER_CASES = [
    {
        "name": "7b_basic_without_system",
        "variant": OLMO31_THINK,
        "msgs": [{"role": "user", "content": "Hello!"}],
        "expected": "<|im_start|>system\n"
        "You are Olmo, a helpful AI assistant built by Ai2. Your date cutoff is December 2024, and "
        "your model weights are available at https://huggingface.co/allenai.<|im_end|>\n"
        "<|im_start|>user\n"
        "Hello!<|im_end|>\n"
        "<|im_start|>assistant\n"
        "<think>",
    },
    {
        "name": "7b_with_custom_system",
        "variant": OLMO31_THINK,
        "msgs": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "Hello!"},
        ],
        "expected": "<|im_start|>system\n"
        "You are a helpful assistant. You do not currently have access to any functions. "
        "<functions></functions><|im_end|>\n"
        "<|im_start|>user\n"
        "Hello!<|im_end|>\n"
        "<|im_start|>assistant\n"
        "<think>",
    },
    {
        "name": "7b_tools_ignored",
        "variant": OLMO31_THINK,
        "msgs": [{"role": "user", "content": "What is the weather?"}],
        "tools": [
            {
                "type": "function",
                "function": {"name": "get_weather", "description": "Get the current weather"},
            }
        ],
        "expected": "<|im_start|>system\n"
        "You are Olmo, a helpful AI assistant built by Ai2. Your date cutoff is December 2024, and "
        "your model weights are available at https://huggingface.co/allenai.<|im_end|>\n"
        "<|im_start|>user\n"
        "What is the weather?<|im_end|>\n"
        "<|im_start|>assistant\n"
        "<think>",
    },
    {
        "name": "7b_tool_calls_and_tool_messages_ignored",
        "variant": OLMO31_THINK,
        "msgs": [
            {"role": "user", "content": "What is the weather in SF?"},
            {
                "role": "assistant",
                "content": "Let me check the weather.",
                "tool_calls": [
                    {
                        "id": "call_1",
                        "function": {"name": "get_weather", "arguments": {"location": "San Francisco"}},
                    }
                ],
            },
            {"role": "tool", "content": '{"temperature": 68}'},
        ],
        "expected": "<|im_start|>system\n"
        "You are Olmo, a helpful AI assistant built by Ai2. Your date cutoff is December 2024, and "
        "your model weights are available at https://huggingface.co/allenai.<|im_end|>\n"
        "<|im_start|>user\n"
        "What is the weather in SF?<|im_end|>\n"
        "<|im_start|>assistant\n"
        "Let me check the weather.<|im_end|>\n"
        "<|im_start|>assistant\n"
        "<think>",
    },
    {
        "name": "7b_multi_turn_conversation",
        "variant": OLMO31_THINK,
        "msgs": [
            {"role": "user", "content": "Hello"},
            {"role": "assistant", "content": "Hi there!"},
            {"role": "user", "content": "How are you?"},
        ],
        "expected": "<|im_start|>system\n"
        "You are Olmo, a helpful AI assistant built by Ai2. Your date cutoff is December 2024, and "
        "your model weights are available at https://huggingface.co/allenai.<|im_end|>\n"
        "<|im_start|>user\n"
        "Hello<|im_end|>\n"
        "<|im_start|>assistant\n"
        "Hi there!<|im_end|>\n"
        "<|im_start|>user\n"
        "How are you?<|im_end|>\n"
        "<|im_start|>assistant\n"
        "<think>",
    },
    {
        "name": "32b_basic_without_system",
        "variant": OLMO3_THINK32_B,
        "msgs": [{"role": "user", "content": "Hello!"}],
        "expected": "<|im_start|>system\n"
        "You are a helpful AI assistant.<|im_end|>\n"
        "<|im_start|>user\n"
        "Hello!<|im_end|>\n"
        "<|im_start|>assistant\n"
        "<think>",
    },
    {
        "name": "32b_with_custom_system_gets_suffix",
        "variant": OLMO3_THINK32_B,
        "msgs": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "Hello!"},
        ],
        "expected": "<|im_start|>system\n"
        "You are a helpful assistant. You do not currently have access to any functions. "
        "<functions></functions><|im_end|>\n"
        "<|im_start|>user\n"
        "Hello!<|im_end|>\n"
        "<|im_start|>assistant\n"
        "<think>",
    },
    {
        "name": "31_basic_without_system",
        "variant": OLMO31_THINK,
        "msgs": [{"role": "user", "content": "Hello!"}],
        "expected": "<|im_start|>system\n"
        "You are Olmo, a helpful AI assistant built by Ai2. Your date cutoff is December 2024, and "
        "your model weights are available at https://huggingface.co/allenai.<|im_end|>\n"
        "<|im_start|>user\n"
        "Hello!<|im_end|>\n"
        "<|im_start|>assistant\n"
        "<think>",
    },
    {
        "name": "31_with_custom_system_gets_suffix",
        "variant": OLMO31_THINK,
        "msgs": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "Hello!"},
        ],
        "expected": "<|im_start|>system\n"
        "You are a helpful assistant. You do not currently have access to any functions. "
        "<functions></functions><|im_end|>\n"
        "<|im_start|>user\n"
        "Hello!<|im_end|>\n"
        "<|im_start|>assistant\n"
        "<think>",
    },
]


@pytest.mark.parametrize("case", RENDER_CASES, ids=lambda c: c["name"])
def test_olmo3_renderer(case):
    assert renderer_for("olmo3").render(case["msgs"], case.get("tools"), None) == case["expected"]


@pytest.mark.parametrize("case", THINK_RENDER_CASES, ids=lambda c: c["name"])
def test_olmo3_think_renderer(case):
    assert renderer_for(case["variant"]).render(case["msgs"], case.get("tools"), None) == case["expected"]


def test_olmo31_default_system_message():
    got = renderer_for("olmo3.1").render([{"role": "user", "content": "Hi"}], None, None)
    assert got.startswith(
        "<|im_start|>system\nYou are Olmo, a helpful AI assistant built by Ai2. Your date cutoff "
        "is December 2024, and your model weights are available at https://huggingface.co/allenai. "
        "You do not currently have access to any functions. <functions></functions><|im_end|>\n"
    )


@pytest.mark.parametrize("name", ["olmo3", "olmo3.1", "olmo3-think", "olmo3-32b-think"])
def test_olmo_no_leading_bos(name):
    assert renderer_for(name).leading_bos == ""
