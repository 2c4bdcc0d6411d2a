"""cogito renderer: every case of Ollama's model/renderers/cogito_test.go."""

from __future__ import annotations

import json

import pytest

from pollama.prompt.renderers import renderer_for
from pollama.prompt.renderers.cogito import indent_json

RENDER_CASES = [
    {
        "name": "basic user message",
        "messages": [{"role": "user", "content": "Hello, how are you?"}],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜>You are Cogito, an AI assistant created by Deep Cogito, which is an AI "
        "research lab based in San Francisco.<｜User｜>Hello, how are you?<｜Assistant｜>",
    },
    {
        "name": "basic with system message",
        "messages": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "Hello, how are you?"},
        ],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜>You are Cogito, an AI assistant created by Deep Cogito, which is an AI "
        "research lab based in San Francisco.\n"
        "\n"
        "You are a helpful assistant.<｜User｜>Hello, how are you?<｜Assistant｜>",
    },
    {
        "name": "conversation with assistant response",
        "messages": [
            {"role": "user", "content": "What is the capital of France?"},
            {"role": "assistant", "content": "The capital of France is Paris."},
            {"role": "user", "content": "Fantastic!"},
        ],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜>You are Cogito, an AI assistant created by Deep Cogito, which is an AI "
        "research lab based in San Francisco.<｜User｜>What is the capital of France?<｜Assistant｜>The "
        "capital of France is Paris.<｜end▁of▁sentence｜><｜User｜>Fantastic!<｜Assistant｜>",
    },
    {
        "name": "thinking enabled without system",
        "messages": [{"role": "user", "content": "Hello, how are you?"}],
        "think_value": True,
        "expected": "<｜begin▁of▁sentence｜>Enable deep thinking subroutine.\n"
        "\n"
        "You are Cogito, an AI assistant created by Deep Cogito, which is an AI research lab based "
        "in San Francisco.<｜User｜>Hello, how are you?<｜Assistant｜><think>\n",
    },
    {
        "name": "thinking enabled with system",
        "messages": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "Hello, how are you?"},
        ],
        "think_value": True,
        "expected": "<｜begin▁of▁sentence｜>Enable deep thinking subroutine.\n"
        "\n"
        "You are Cogito, an AI assistant created by Deep Cogito, which is an AI research lab based "
        "in San Francisco.\n"
        "\n"
        "You are a helpful assistant.\n"
        "\n"
        "<｜User｜>Hello, how are you?<｜Assistant｜><think>\n",
    },
    {
        "name": "thinking disabled",
        "messages": [{"role": "user", "content": "Hello, how are you?"}],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜>You are Cogito, an AI assistant created by Deep Cogito, which is an AI "
        "research lab based in San Francisco.<｜User｜>Hello, how are you?<｜Assistant｜>",
    },
    {
        "name": "with tools",
        "messages": [{"role": "user", "content": "What's the weather like?"}],
        "think_value": False,
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "Get current weather",
                    "parameters": {
                        "type": "object",
                        "properties": {"location": {"type": "string", "description": "City name"}},
                        "required": ["location"],
                    },
                },
            }
        ],
        "expected": "<｜begin▁of▁sentence｜>You are Cogito, an AI assistant created by Deep Cogito, which is an AI "
        "research lab based in San Francisco.\n"
        "You have the following functions available:\n"
        "```json\n"
        "{\n"
        '    "type": "function",\n'
        '    "function": {\n'
        '        "name": "get_weather",\n'
        '        "description": "Get current weather",\n'
        '        "parameters": {\n'
        '            "type": "object",\n'
        '            "required": [\n'
        '                "location"\n'
        "            ],\n"
        '            "properties": {\n'
        '                "location": {\n'
        '                    "type": "string",\n'
        '                    "description": "City name"\n'
        "                }\n"
        "            }\n"
        "        }\n"
        "    }\n"
        "}\n"
        "```\n"
        "<｜User｜>What's the weather like?<｜Assistant｜>",
    },
    {
        "name": "assistant with tool calls",
        "messages": [
            {"role": "user", "content": "What's the weather in Paris?"},
            {
                "role": "assistant",
                "content": "I'll check the weather in Paris for you.",
                "tool_calls": [{"function": {"name": "get_weather", "arguments": {"location": "Paris"}}}],
            },
        ],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜>You are Cogito, an AI assistant created by Deep Cogito, which is an AI "
        "research lab based in San Francisco.<｜User｜>What's the weather in Paris?<｜Assistant｜>I'll "
        "check the weather in Paris for "
        "you.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n"
        "```json\n"
        '{"location":"Paris"}\n'
        "```<｜tool▁call▁end｜><｜tool▁calls▁end｜><｜end▁of▁sentence｜><｜Assistant｜>",
    },
    {
        "name": "tool response",
        "messages": [
            {"role": "user", "content": "What's the weather in Paris?"},
            {
                "role": "assistant",
                "tool_calls": [{"function": {"name": "get_weather", "arguments": {"location": "Paris"}}}],
            },
            {"role": "tool", "content": "Temperature: 22°C, Sunny"},
        ],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜>You are Cogito, an AI assistant created by Deep Cogito, which is an AI "
        "research lab based in San Francisco.<｜User｜>What's the weather in "
        "Paris?<｜Assistant｜><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n"
        "```json\n"
        '{"location":"Paris"}\n'
        "```<｜tool▁call▁end｜><｜tool▁calls▁end｜><｜end▁of▁sentence｜><｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>Temperature: "
        "22°C, Sunny<｜tool▁output▁end｜><｜tool▁outputs▁end｜><｜Assistant｜>",
    },
    {
        "name": "multiple tool responses",
        "messages": [
            {"role": "user", "content": "Get weather for Paris and London"},
            {
                "role": "assistant",
                "tool_calls": [
                    {"function": {"name": "get_weather", "arguments": {"location": "Paris"}}},
                    {"function": {"name": "get_weather", "arguments": {"location": "London"}}},
                ],
            },
            {"role": "tool", "content": "Paris: 22°C, Sunny"},
            {"role": "tool", "content": "London: 18°C, Cloudy"},
        ],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜>You are Cogito, an AI assistant created by Deep Cogito, which is an AI "
        "research lab based in San Francisco.<｜User｜>Get weather for Paris and "
        "London<｜Assistant｜><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n"
        "```json\n"
        '{"location":"Paris"}\n'
        "```<｜tool▁call▁end｜>\n"
        "<｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n"
        "```json\n"
        '{"location":"London"}\n'
        "```<｜tool▁call▁end｜><｜tool▁calls▁end｜><｜end▁of▁sentence｜><｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>Paris: "
        "22°C, Sunny<｜tool▁output▁end｜>\n"
        "<｜tool▁output▁begin｜>London: 18°C, "
        "Cloudy<｜tool▁output▁end｜><｜tool▁outputs▁end｜><｜Assistant｜>",
    },
    {
        "name": "thinking with tools",
        "messages": [{"role": "user", "content": "What's the weather like?"}],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "Get current weather",
                    "parameters": {
                        "type": "object",
                        "properties": {"location": {"type": "string", "description": "City name"}},
                        "required": ["location"],
                    },
                },
            }
        ],
        "think_value": True,
        "expected": "<｜begin▁of▁sentence｜>Enable deep thinking subroutine.\n"
        "\n"
        "You are Cogito, an AI assistant created by Deep Cogito, which is an AI research lab based "
        "in San Francisco.\n"
        "You have the following functions available:\n"
        "```json\n"
        "{\n"
        '    "type": "function",\n'
        '    "function": {\n'
        '        "name": "get_weather",\n'
        '        "description": "Get current weather",\n'
        '        "parameters": {\n'
        '            "type": "object",\n'
        '            "required": [\n'
        '                "location"\n'
        "            ],\n"
        '            "properties": {\n'
        '                "location": {\n'
        '                    "type": "string",\n'
        '                    "description": "City name"\n'
        "                }\n"
        "            }\n"
        "        }\n"
        "    }\n"
        "}\n"
        "```\n"
        "<｜User｜>What's the weather like?<｜Assistant｜><think>\n",
    },
    {
        "name": "single_turn_thinking_false",
        "messages": [{"role": "user", "content": "Hello"}],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜>You are Cogito, an AI assistant created by Deep Cogito, which is an AI "
        "research lab based in San Francisco.<｜User｜>Hello<｜Assistant｜>",
    },
    {
        "name": "single_turn_thinking_true",
        "messages": [{"role": "user", "content": "Hello"}],
        "think_value": True,
        "expected": "<｜begin▁of▁sentence｜>Enable deep thinking subroutine.\n"
        "\n"
        "You are Cogito, an AI assistant created by Deep Cogito, which is an AI research lab based "
        "in San Francisco.<｜User｜>Hello<｜Assistant｜><think>\n",
    },
    {
        "name": "multi_turn_thinking_false",
        "messages": [
            {"role": "user", "content": "Hello"},
            {"role": "assistant", "content": "Hi there!"},
            {"role": "user", "content": "How are you?"},
        ],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜>You are Cogito, an AI assistant created by Deep Cogito, which is an AI "
        "research lab based in San Francisco.<｜User｜>Hello<｜Assistant｜>Hi "
        "there!<｜end▁of▁sentence｜><｜User｜>How are you?<｜Assistant｜>",
    },
    {
        "name": "multi_turn_thinking_true",
        "messages": [
            {"role": "user", "content": "Hello"},
            {"role": "assistant", "content": "Hi there!"},
            {"role": "user", "content": "How are you?"},
        ],
        "think_value": True,
        "expected": "<｜begin▁of▁sentence｜>Enable deep thinking subroutine.\n"
        "\n"
        "You are Cogito, an AI assistant created by Deep Cogito, which is an AI research lab based "
        "in San Francisco.<｜User｜>Hello<｜Assistant｜>Hi there!<｜end▁of▁sentence｜><｜User｜>How are "
        "you?<｜Assistant｜><think>\n",
    },
    {
        "name": "multi_with_system_thinking_false",
        "messages": [
            {"role": "system", "content": "You are a helpful assistant"},
            {"role": "user", "content": "Start"},
            {"role": "assistant", "content": "Okay"},
        ],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜>You are Cogito, an AI assistant created by Deep Cogito, which is an AI "
        "research lab based in San Francisco.\n"
        "\n"
        "You are a helpful assistant<｜User｜>Start<｜Assistant｜>Okay<｜end▁of▁sentence｜><｜Assistant｜>",
    },
    {
        "name": "multi_with_system_thinking_true",
        "messages": [
            {"role": "system", "content": "You are a helpful assistant"},
            {"role": "user", "content": "Start"},
            {"role": "assistant", "content": "Okay"},
        ],
        "think_value": True,
        "expected": "<｜begin▁of▁sentence｜>Enable deep thinking subroutine.\n"
        "\n"
        "You are Cogito, an AI assistant created by Deep Cogito, which is an AI research lab based "
        "in San Francisco.\n"
        "\n"
        "You are a helpful assistant\n"
        "\n"
        "<｜User｜>Start<｜Assistant｜>Okay<｜end▁of▁sentence｜><｜Assistant｜><think>\n",
    },
    {
        "name": "multi_with_system2_thinking_false",
        "messages": [
            {"role": "system", "content": "You are a pirate chatbot who always responds in pirate speak!"},
            {"role": "user", "content": "Give me a short introduction to LLMs."},
            {"role": "assistant", "content": "Arrr! I'm a pirate"},
            {"role": "user", "content": "Tell me more about LLMs."},
        ],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜>You are Cogito, an AI assistant created by Deep Cogito, which is an AI "
        "research lab based in San Francisco.\n"
        "\n"
        "You are a pirate chatbot who always responds in pirate speak!<｜User｜>Give me a short "
        "introduction to LLMs.<｜Assistant｜>Arrr! I'm a pirate<｜end▁of▁sentence｜><｜User｜>Tell me more "
        "about LLMs.<｜Assistant｜>",
    },
    {
        "name": "multi_with_system2_thinking_true",
        "messages": [
            {"role": "system", "content": "You are a pirate chatbot who always responds in pirate speak!"},
            {"role": "user", "content": "Give me a short introduction to LLMs."},
            {"role": "assistant", "content": "Arrr! I'm a pirate"},
            {"role": "user", "content": "Tell me more about LLMs."},
        ],
        "think_value": True,
        "expected": "<｜begin▁of▁sentence｜>Enable deep thinking subroutine.\n"
        "\n"
        "You are Cogito, an AI assistant created by Deep Cogito, which is an AI research lab based "
        "in San Francisco.\n"
        "\n"
        "You are a pirate chatbot who always responds in pirate speak!\n"
        "\n"
        "<｜User｜>Give me a short introduction to LLMs.<｜Assistant｜>Arrr! I'm a "
        "pirate<｜end▁of▁sentence｜><｜User｜>Tell me more about LLMs.<｜Assistant｜><think>\n",
    },
    {
        "name": "tool_calls_only_no_content",
        "messages": [
            {"role": "user", "content": "Get weather for Paris"},
            {
                "role": "assistant",
                "tool_calls": [{"function": {"name": "get_weather", "arguments": {"location": "Paris"}}}],
            },
        ],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜>You are Cogito, an AI assistant created by Deep Cogito, which is an AI "
        "research lab based in San Francisco.<｜User｜>Get weather for "
        "Paris<｜Assistant｜><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n"
        "```json\n"
        '{"location":"Paris"}\n'
        "```<｜tool▁call▁end｜><｜tool▁calls▁end｜><｜end▁of▁sentence｜><｜Assistant｜>",
    },
    {
        "name": "complex_tool_arguments",
        "messages": [
            {"role": "user", "content": "Process complex data"},
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "function": {
                            "name": "process_data",
                            "arguments": {
                                "config": {
                                    "enabled": True,
                                    "threshold": 0.95,
                                    "tags": ["important", "urgent"],
                                },
                                "items": ["item1", "item2", "item3"],
                            },
                        }
                    }
                ],
            },
        ],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜>You are Cogito, an AI assistant created by Deep Cogito, which is an AI "
        "research lab based in San Francisco.<｜User｜>Process complex "
        "data<｜Assistant｜><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>process_data\n"
        "```json\n"
        '{"config":{"enabled":true,"tags":["important","urgent"],"threshold":0.95},"items":["item1","item2","item3"]}\n'
        "```<｜tool▁call▁end｜><｜tool▁calls▁end｜><｜end▁of▁sentence｜><｜Assistant｜>",
    },
    {
        "name": "empty_messages",
        "messages": [
            {"role": "system", "content": ""},
            {"role": "user", "content": "Hello"},
            {"role": "assistant", "content": ""},
        ],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜>You are Cogito, an AI assistant created by Deep Cogito, which is an AI "
        "research lab based in San "
        "Francisco.<｜User｜>Hello<｜Assistant｜><｜end▁of▁sentence｜><｜Assistant｜>",
    },
    {
        "name": "thinking_with_empty_assistant_content",
        "messages": [{"role": "user", "content": "Think about this"}, {"role": "assistant", "content": ""}],
        "think_value": True,
        "expected": "<｜begin▁of▁sentence｜>Enable deep thinking subroutine.\n"
        "\n"
        "You are Cogito, an AI assistant created by Deep Cogito, which is an AI research lab based "
        "in San Francisco.<｜User｜>Think about "
        "this<｜Assistant｜><｜end▁of▁sentence｜><｜Assistant｜><think>\n",
    },
    {
        "name": "multiple_system_messages",
        "messages": [
            {"role": "system", "content": "First instruction"},
            {"role": "system", "content": "Second instruction"},
            {"role": "user", "content": "Hello"},
        ],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜>You are Cogito, an AI assistant created by Deep Cogito, which is an AI "
        "research lab based in San Francisco.\n"
        "\n"
        "First instruction<｜User｜>Hello<｜Assistant｜>",
    },
    {
        "name": "special_characters_in_content",
        "messages": [
            {"role": "user", "content": 'What about <|special|> tokens and "quotes"?'},
            {"role": "assistant", "content": "They're handled normally in content."},
        ],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜>You are Cogito, an AI assistant created by Deep Cogito, which is an AI "
        "research lab based in San Francisco.<｜User｜>What about <|special|> tokens and "
        '"quotes"?<｜Assistant｜>They\'re handled normally in '
        "content.<｜end▁of▁sentence｜><｜Assistant｜>",
    },
    {
        "name": "long_conversation_multiple_rounds",
        "messages": [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": "How are you?"},
            {"role": "assistant", "content": "Good, thanks!"},
            {"role": "user", "content": "What's the weather?"},
        ],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜>You are Cogito, an AI assistant created by Deep Cogito, which is an AI "
        "research lab based in San "
        "Francisco.<｜User｜>Hi<｜Assistant｜>Hello!<｜end▁of▁sentence｜><｜User｜>How are "
        "you?<｜Assistant｜>Good, thanks!<｜end▁of▁sentence｜><｜User｜>What's the weather?<｜Assistant｜>",
    },
]


@pytest.mark.parametrize("case", RENDER_CASES, ids=lambda c: c["name"])
def test_cogito_renderer(case):
    got = renderer_for("cogito").render(case["messages"], case.get("tools"), case["think_value"])
    assert got == case["expected"]


def test_cogito_leading_bos():
    assert renderer_for("cogito").leading_bos == "<｜begin▁of▁sentence｜>"


@pytest.mark.parametrize("value", [{}, [], {"a": [], "b": {}}, {"k": [1, {"x": "a,b:{c}"}], "e": '\\"'}])
def test_indent_json_matches_go(value):
    """Go's json.Indent agrees with Python's indent except that an empty {} or [] stays on one line."""
    compact = json.dumps(value, separators=(",", ":"))
    assert indent_json(compact, "    ") == json.dumps(value, indent=4)
