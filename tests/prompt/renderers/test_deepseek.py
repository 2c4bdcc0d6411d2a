"""deepseek3.1 renderer: every case of Ollama's model/renderers/deepseek3_test.go."""

from __future__ import annotations

import pytest

from pollama.prompt.renderers import renderer_for

RENDER_CASES = [
    {
        "name": "basic user message",
        "messages": [{"role": "user", "content": "Hello, how are you?"}],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜><｜User｜>Hello, how are you?<｜Assistant｜></think>",
    },
    {
        "name": "basic with system message",
        "messages": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "Hello, how are you?"},
        ],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜>You are a helpful assistant.<｜User｜>Hello, how are "
        "you?<｜Assistant｜></think>",
    },
    {
        "name": "multiple system messages",
        "messages": [
            {"role": "system", "content": "First instruction"},
            {"role": "system", "content": "Second instruction"},
            {"role": "user", "content": "Hello"},
        ],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜>First instruction\n"
        "\n"
        "Second instruction<｜User｜>Hello<｜Assistant｜></think>",
    },
    {
        "name": "thinking enabled",
        "messages": [{"role": "user", "content": "Hello, how are you?"}],
        "think_value": True,
        "expected": "<｜begin▁of▁sentence｜><｜User｜>Hello, how are you?<｜Assistant｜><think>",
    },
    {
        "name": "thinking enabled with system",
        "messages": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "Hello, how are you?"},
        ],
        "think_value": True,
        "expected": "<｜begin▁of▁sentence｜>You are a helpful assistant.<｜User｜>Hello, how are "
        "you?<｜Assistant｜><think>",
    },
    {
        "name": "conversation with assistant response",
        "messages": [
            {"role": "user", "content": "What is the capital of France?"},
            {"role": "assistant", "content": "The capital of France is Paris."},
            {"role": "user", "content": "Fantastic!"},
        ],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜><｜User｜>What is the capital of France?<｜Assistant｜></think>The capital "
        "of France is Paris.<｜end▁of▁sentence｜><｜User｜>Fantastic!<｜Assistant｜></think>",
    },
    {
        "name": "assistant with tool calls",
        "messages": [
            {"role": "user", "content": "What's the weather?"},
            {
                "role": "assistant",
                "tool_calls": [{"function": {"name": "get_weather", "arguments": {"location": "Paris"}}}],
            },
        ],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜><｜User｜>What's the "
        'weather?<｜Assistant｜></think><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{"location":"Paris"}<｜tool▁call▁end｜><｜tool▁calls▁end｜><｜end▁of▁sentence｜>',
    },
    {
        "name": "assistant with content and tool calls",
        "messages": [
            {"role": "user", "content": "What's the weather in Paris?"},
            {
                "role": "assistant",
                "content": "I'll check the weather for you.",
                "tool_calls": [{"function": {"name": "get_weather", "arguments": {"location": "Paris"}}}],
            },
        ],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜><｜User｜>What's the weather in Paris?<｜Assistant｜></think>I'll check "
        "the weather for "
        'you.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{"location":"Paris"}<｜tool▁call▁end｜><｜tool▁calls▁end｜><｜end▁of▁sentence｜>',
    },
    {
        "name": "tool response",
        "messages": [
            {"role": "user", "content": "What's the weather?"},
            {
                "role": "assistant",
                "tool_calls": [{"function": {"name": "get_weather", "arguments": {"location": "Paris"}}}],
            },
            {"role": "tool", "content": "Temperature: 22°C, Sunny"},
        ],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜><｜User｜>What's the "
        'weather?<｜Assistant｜></think><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{"location":"Paris"}<｜tool▁call▁end｜><｜tool▁calls▁end｜><｜end▁of▁sentence｜><｜tool▁output▁begin｜>Temperature: '
        "22°C, Sunny<｜tool▁output▁end｜>",
    },
    {
        "name": "multiple tool calls",
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
        "expected": "<｜begin▁of▁sentence｜><｜User｜>Get weather for Paris and "
        'London<｜Assistant｜></think><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{"location":"Paris"}<｜tool▁call▁end｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{"location":"London"}<｜tool▁call▁end｜><｜tool▁calls▁end｜><｜end▁of▁sentence｜><｜tool▁output▁begin｜>Paris: '
        "22°C, Sunny<｜tool▁output▁end｜><｜tool▁output▁begin｜>London: 18°C, Cloudy<｜tool▁output▁end｜>",
    },
    {
        "name": "content with </think> tag removal",
        "messages": [
            {"role": "user", "content": "Think about this"},
            {"role": "assistant", "content": "I'm thinking about this.</think>The answer is 42."},
        ],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜><｜User｜>Think about this<｜Assistant｜></think>The answer is "
        "42.<｜end▁of▁sentence｜>",
    },
    {
        "name": "empty system message",
        "messages": [{"role": "system", "content": ""}, {"role": "user", "content": "Hello"}],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜><｜User｜>Hello<｜Assistant｜></think>",
    },
    {
        "name": "empty assistant content",
        "messages": [{"role": "user", "content": "Hello"}, {"role": "assistant", "content": ""}],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜><｜User｜>Hello<｜Assistant｜></think><｜end▁of▁sentence｜>",
    },
    {
        "name": "special characters",
        "messages": [
            {"role": "user", "content": 'What about <|special|> tokens and "quotes"?'},
            {"role": "assistant", "content": "They're handled normally."},
        ],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜><｜User｜>What about <|special|> tokens and "
        '"quotes"?<｜Assistant｜></think>They\'re handled normally.<｜end▁of▁sentence｜>',
    },
    {
        "name": "tool calls with null content",
        "messages": [
            {"role": "user", "content": "Get weather"},
            {
                "role": "assistant",
                "tool_calls": [{"function": {"name": "get_weather", "arguments": {"location": "Paris"}}}],
            },
        ],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜><｜User｜>Get "
        'weather<｜Assistant｜></think><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{"location":"Paris"}<｜tool▁call▁end｜><｜tool▁calls▁end｜><｜end▁of▁sentence｜>',
    },
    {
        "name": "assistant after tool context",
        "messages": [
            {"role": "user", "content": "Process data"},
            {
                "role": "assistant",
                "tool_calls": [{"function": {"name": "process", "arguments": {"data": "test"}}}],
            },
            {"role": "tool", "content": "Success"},
            {"role": "assistant", "content": "Done"},
        ],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜><｜User｜>Process "
        'data<｜Assistant｜></think><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>process<｜tool▁sep｜>{"data":"test"}<｜tool▁call▁end｜><｜tool▁calls▁end｜><｜end▁of▁sentence｜><｜tool▁output▁begin｜>Success<｜tool▁output▁end｜>Done<｜end▁of▁sentence｜>',
    },
    {"name": "no messages", "messages": [], "think_value": False, "expected": "<｜begin▁of▁sentence｜>"},
    {
        "name": "only system messages",
        "messages": [{"role": "system", "content": "System instruction"}],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜>System instruction",
    },
    {
        "name": "multiple think tags in content",
        "messages": [
            {"role": "user", "content": "Complex question"},
            {"role": "assistant", "content": "First thought</think>Second thought</think>Final answer"},
        ],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜><｜User｜>Complex question<｜Assistant｜></think>Second "
        "thought</think>Final answer<｜end▁of▁sentence｜>",
    },
    {
        "name": "thinking enabled after tool call - should render thinking",
        "messages": [
            {"role": "user", "content": "What's the weather in Paris?"},
            {
                "role": "assistant",
                "tool_calls": [{"function": {"name": "get_weather", "arguments": {"location": "Paris"}}}],
            },
            {"role": "tool", "content": "Temperature: 22°C, Sunny"},
            {"role": "assistant", "content": "Based on the weather data, it's sunny in Paris."},
            {"role": "user", "content": "Now tell me about London weather too."},
        ],
        "think_value": True,
        "expected": "<｜begin▁of▁sentence｜><｜User｜>What's the weather in "
        'Paris?<｜Assistant｜></think><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{"location":"Paris"}<｜tool▁call▁end｜><｜tool▁calls▁end｜><｜end▁of▁sentence｜><｜tool▁output▁begin｜>Temperature: '
        "22°C, Sunny<｜tool▁output▁end｜>Based on the weather data, it's sunny in "
        "Paris.<｜end▁of▁sentence｜><｜User｜>Now tell me about London weather too.<｜Assistant｜><think>",
    },
    {
        "name": "thinking disabled after tool call - should not render thinking",
        "messages": [
            {"role": "user", "content": "What's the weather in Paris?"},
            {
                "role": "assistant",
                "tool_calls": [{"function": {"name": "get_weather", "arguments": {"location": "Paris"}}}],
            },
            {"role": "tool", "content": "Temperature: 22°C, Sunny"},
            {"role": "assistant", "content": "Based on the weather data, it's sunny in Paris."},
            {"role": "user", "content": "Now tell me about London weather too."},
        ],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜><｜User｜>What's the weather in "
        'Paris?<｜Assistant｜></think><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{"location":"Paris"}<｜tool▁call▁end｜><｜tool▁calls▁end｜><｜end▁of▁sentence｜><｜tool▁output▁begin｜>Temperature: '
        "22°C, Sunny<｜tool▁output▁end｜>Based on the weather data, it's sunny in "
        "Paris.<｜end▁of▁sentence｜><｜User｜>Now tell me about London weather "
        "too.<｜Assistant｜></think>",
    },
    {
        "name": "thinking enabled but messages without thinking content",
        "messages": [
            {"role": "user", "content": "First question about cats"},
            {"role": "assistant", "content": "Cats are wonderful pets."},
            {"role": "user", "content": "What about dogs?"},
            {"role": "assistant", "content": "Dogs are loyal companions."},
            {"role": "user", "content": "Final question about birds"},
        ],
        "think_value": True,
        "expected": "<｜begin▁of▁sentence｜><｜User｜>First question about cats<｜Assistant｜></think>Cats are "
        "wonderful pets.<｜end▁of▁sentence｜><｜User｜>What about dogs?<｜Assistant｜></think>Dogs are "
        "loyal companions.<｜end▁of▁sentence｜><｜User｜>Final question about birds<｜Assistant｜><think>",
    },
    {
        "name": "thinking disabled for all assistant responses",
        "messages": [
            {"role": "user", "content": "First question about cats"},
            {"role": "assistant", "content": "Cats are wonderful pets."},
            {"role": "user", "content": "What about dogs?"},
            {"role": "assistant", "content": "Dogs are loyal companions."},
            {"role": "user", "content": "Final question about birds"},
        ],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜><｜User｜>First question about cats<｜Assistant｜></think>Cats are "
        "wonderful pets.<｜end▁of▁sentence｜><｜User｜>What about dogs?<｜Assistant｜></think>Dogs are "
        "loyal companions.<｜end▁of▁sentence｜><｜User｜>Final question about "
        "birds<｜Assistant｜></think>",
    },
    {
        "name": "complex conversation with tool calls and thinking enabled",
        "messages": [
            {"role": "user", "content": "Tell me about the weather"},
            {"role": "assistant", "content": "I'll check the weather for you."},
            {"role": "user", "content": "Actually, get Paris weather specifically"},
            {
                "role": "assistant",
                "tool_calls": [{"function": {"name": "get_weather", "arguments": {"location": "Paris"}}}],
            },
            {"role": "tool", "content": "Paris: 22°C, Sunny"},
            {"role": "assistant", "content": "The weather in Paris is great!"},
            {"role": "user", "content": "What about the forecast for tomorrow?"},
        ],
        "think_value": True,
        "expected": "<｜begin▁of▁sentence｜><｜User｜>Tell me about the weather<｜Assistant｜></think>I'll check the "
        "weather for you.<｜end▁of▁sentence｜><｜User｜>Actually, get Paris weather "
        'specifically<｜Assistant｜></think><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{"location":"Paris"}<｜tool▁call▁end｜><｜tool▁calls▁end｜><｜end▁of▁sentence｜><｜tool▁output▁begin｜>Paris: '
        "22°C, Sunny<｜tool▁output▁end｜>The weather in Paris is great!<｜end▁of▁sentence｜><｜User｜>What "
        "about the forecast for tomorrow?<｜Assistant｜><think>",
    },
    {
        "name": "tool call without subsequent user message - no thinking",
        "messages": [
            {"role": "user", "content": "Get the weather"},
            {
                "role": "assistant",
                "tool_calls": [{"function": {"name": "get_weather", "arguments": {"location": "Paris"}}}],
            },
            {"role": "tool", "content": "22°C, Sunny"},
        ],
        "think_value": True,
        "expected": "<｜begin▁of▁sentence｜><｜User｜>Get the "
        'weather<｜Assistant｜></think><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{"location":"Paris"}<｜tool▁call▁end｜><｜tool▁calls▁end｜><｜end▁of▁sentence｜><｜tool▁output▁begin｜>22°C, '
        "Sunny<｜tool▁output▁end｜>",
    },
    {
        "name": "messages with thinking content, no thinking in render",
        "messages": [
            {"role": "user", "content": "Solve this math problem: 15 * 23"},
            {
                "role": "assistant",
                "content": "The answer is 345.",
                "thinking": "Let me calculate 15 * 23. I can break this down: 15 * 20 = 300, and 15 * 3 = "
                "45, so 300 + 45 = 345.",
            },
            {"role": "user", "content": "What about 12 * 34?"},
        ],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜><｜User｜>Solve this math problem: 15 * 23<｜Assistant｜></think>The "
        "answer is 345.<｜end▁of▁sentence｜><｜User｜>What about 12 * 34?<｜Assistant｜></think>",
    },
    {
        "name": "conversation with mix of thinking and no thinking",
        "messages": [
            {"role": "user", "content": "Explain quantum physics"},
            {
                "role": "assistant",
                "content": "Quantum physics is the study of matter and energy at the smallest scales.",
                "thinking": "This is a complex topic. I should start with basic concepts and avoid "
                "overwhelming technical details.",
            },
            {"role": "user", "content": "What about photons?"},
            {"role": "assistant", "content": "Photons are particles of light with no mass."},
            {"role": "user", "content": "How do they interact with matter?"},
        ],
        "think_value": True,
        "expected": "<｜begin▁of▁sentence｜><｜User｜>Explain quantum physics<｜Assistant｜></think>Quantum physics is "
        "the study of matter and energy at the smallest scales.<｜end▁of▁sentence｜><｜User｜>What about "
        "photons?<｜Assistant｜></think>Photons are particles of light with no "
        "mass.<｜end▁of▁sentence｜><｜User｜>How do they interact with matter?<｜Assistant｜><think>",
    },
    {
        "name": "tool call with thinking content in response",
        "messages": [
            {"role": "user", "content": "What's the weather in Tokyo and New York?"},
            {
                "role": "assistant",
                "content": "I'll check the weather for both cities.",
                "thinking": "I need to call the weather API for two different cities. Let me make parallel "
                "calls.",
                "tool_calls": [
                    {"function": {"name": "get_weather", "arguments": {"location": "Tokyo"}}},
                    {"function": {"name": "get_weather", "arguments": {"location": "New York"}}},
                ],
            },
            {"role": "tool", "content": "Tokyo: 18°C, Cloudy"},
            {"role": "tool", "content": "New York: 22°C, Sunny"},
            {
                "role": "assistant",
                "content": "Based on the weather data: Tokyo is cloudy at 18°C, while New York is sunny at "
                "22°C.",
                "thinking": "The data shows a nice contrast between the two cities. Tokyo is cooler and "
                "overcast while NYC has better weather.",
            },
        ],
        "think_value": True,
        "expected": "<｜begin▁of▁sentence｜><｜User｜>What's the weather in Tokyo and New "
        "York?<｜Assistant｜></think>I'll check the weather for both "
        'cities.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{"location":"Tokyo"}<｜tool▁call▁end｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{"location":"New '
        'York"}<｜tool▁call▁end｜><｜tool▁calls▁end｜><｜end▁of▁sentence｜><｜tool▁output▁begin｜>Tokyo: '
        "18°C, Cloudy<｜tool▁output▁end｜><｜tool▁output▁begin｜>New York: 22°C, "
        "Sunny<｜tool▁output▁end｜>Based on the weather data: Tokyo is cloudy at 18°C, while New York "
        "is sunny at 22°C.<｜end▁of▁sentence｜>",
    },
    {
        "name": "empty thinking field",
        "messages": [
            {"role": "user", "content": "Simple question"},
            {"role": "assistant", "content": "Simple answer.", "thinking": ""},
        ],
        "think_value": True,
        "expected": "<｜begin▁of▁sentence｜><｜User｜>Simple question<｜Assistant｜></think>Simple "
        "answer.<｜end▁of▁sentence｜>",
    },
    {
        "name": "with tools definitions",
        "messages": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "What's the weather like?"},
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "Get current weather information",
                    "parameters": {
                        "type": "object",
                        "properties": {"location": {"type": "string", "description": "City name"}},
                        "required": ["location"],
                    },
                },
            }
        ],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜>You are a helpful assistant.\n"
        "\n"
        "## Tools\n"
        "You have access to the following tools:\n"
        "\n"
        "### get_weather\n"
        "Description: Get current weather information\n"
        "\n"
        "Parameters: "
        '{"type":"object","required":["location"],"properties":{"location":{"type":"string","description":"City '
        'name"}}}\n'
        "\n"
        "IMPORTANT: ALWAYS adhere to this exact format for tool use:\n"
        "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>tool_call_name<｜tool▁sep｜>tool_call_arguments<｜tool▁call▁end｜>{{additional_tool_calls}}<｜tool▁calls▁end｜>\n"
        "\n"
        "Where:\n"
        "\n"
        "- `tool_call_name` must be an exact match to one of the available tools\n"
        "- `tool_call_arguments` must be valid JSON that strictly follows the tool's Parameters "
        "Schema\n"
        "- For multiple tool calls, chain them directly without separators or spaces\n"
        "<｜User｜>What's the weather like?<｜Assistant｜></think>",
    },
    {
        "name": "tools definitions with thinking enabled",
        "messages": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "What's the weather in Paris?"},
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "Get current weather information",
                    "parameters": {
                        "type": "object",
                        "properties": {"location": {"type": "string", "description": "City name"}},
                        "required": ["location"],
                    },
                },
            }
        ],
        "think_value": True,
        "expected": "<｜begin▁of▁sentence｜>You are a helpful assistant.\n"
        "\n"
        "## Tools\n"
        "You have access to the following tools:\n"
        "\n"
        "### get_weather\n"
        "Description: Get current weather information\n"
        "\n"
        "Parameters: "
        '{"type":"object","required":["location"],"properties":{"location":{"type":"string","description":"City '
        'name"}}}\n'
        "\n"
        "IMPORTANT: ALWAYS adhere to this exact format for tool use:\n"
        "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>tool_call_name<｜tool▁sep｜>tool_call_arguments<｜tool▁call▁end｜>{{additional_tool_calls}}<｜tool▁calls▁end｜>\n"
        "\n"
        "Where:\n"
        "\n"
        "- `tool_call_name` must be an exact match to one of the available tools\n"
        "- `tool_call_arguments` must be valid JSON that strictly follows the tool's Parameters "
        "Schema\n"
        "- For multiple tool calls, chain them directly without separators or spaces\n"
        "<｜User｜>What's the weather in Paris?<｜Assistant｜><think>",
    },
    {
        "name": "tools definitions with actual tool call",
        "messages": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "What's the weather in Paris?"},
            {
                "role": "assistant",
                "tool_calls": [{"function": {"name": "get_weather", "arguments": {"location": "Paris"}}}],
            },
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "Get current weather information",
                    "parameters": {
                        "type": "object",
                        "properties": {"location": {"type": "string", "description": "City name"}},
                        "required": ["location"],
                    },
                },
            }
        ],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜>You are a helpful assistant.\n"
        "\n"
        "## Tools\n"
        "You have access to the following tools:\n"
        "\n"
        "### get_weather\n"
        "Description: Get current weather information\n"
        "\n"
        "Parameters: "
        '{"type":"object","required":["location"],"properties":{"location":{"type":"string","description":"City '
        'name"}}}\n'
        "\n"
        "IMPORTANT: ALWAYS adhere to this exact format for tool use:\n"
        "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>tool_call_name<｜tool▁sep｜>tool_call_arguments<｜tool▁call▁end｜>{{additional_tool_calls}}<｜tool▁calls▁end｜>\n"
        "\n"
        "Where:\n"
        "\n"
        "- `tool_call_name` must be an exact match to one of the available tools\n"
        "- `tool_call_arguments` must be valid JSON that strictly follows the tool's Parameters "
        "Schema\n"
        "- For multiple tool calls, chain them directly without separators or spaces\n"
        "<｜User｜>What's the weather in "
        'Paris?<｜Assistant｜></think><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{"location":"Paris"}<｜tool▁call▁end｜><｜tool▁calls▁end｜><｜end▁of▁sentence｜>',
    },
    {
        "name": "tools definitions with full conversation cycle",
        "messages": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "What's the weather in Paris?"},
            {
                "role": "assistant",
                "content": "I'll check the weather for you.",
                "tool_calls": [{"function": {"name": "get_weather", "arguments": {"location": "Paris"}}}],
            },
            {"role": "tool", "content": "Temperature: 22°C, Sunny"},
            {"role": "assistant", "content": "The weather in Paris is 22°C and sunny!"},
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "Get current weather information",
                    "parameters": {
                        "type": "object",
                        "properties": {"location": {"type": "string", "description": "City name"}},
                        "required": ["location"],
                    },
                },
            }
        ],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜>You are a helpful assistant.\n"
        "\n"
        "## Tools\n"
        "You have access to the following tools:\n"
        "\n"
        "### get_weather\n"
        "Description: Get current weather information\n"
        "\n"
        "Parameters: "
        '{"type":"object","required":["location"],"properties":{"location":{"type":"string","description":"City '
        'name"}}}\n'
        "\n"
        "IMPORTANT: ALWAYS adhere to this exact format for tool use:\n"
        "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>tool_call_name<｜tool▁sep｜>tool_call_arguments<｜tool▁call▁end｜>{{additional_tool_calls}}<｜tool▁calls▁end｜>\n"
        "\n"
        "Where:\n"
        "\n"
        "- `tool_call_name` must be an exact match to one of the available tools\n"
        "- `tool_call_arguments` must be valid JSON that strictly follows the tool's Parameters "
        "Schema\n"
        "- For multiple tool calls, chain them directly without separators or spaces\n"
        "<｜User｜>What's the weather in Paris?<｜Assistant｜></think>I'll check the weather for "
        'you.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{"location":"Paris"}<｜tool▁call▁end｜><｜tool▁calls▁end｜><｜end▁of▁sentence｜><｜tool▁output▁begin｜>Temperature: '
        "22°C, Sunny<｜tool▁output▁end｜>The weather in Paris is 22°C and sunny!<｜end▁of▁sentence｜>",
    },
    {
        "name": "tools with thinking and full conversation",
        "messages": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "Check the weather in Tokyo"},
            {
                "role": "assistant",
                "thinking": "The user wants weather info for Tokyo. I should use the get_weather tool.",
                "content": "Let me check that for you.",
                "tool_calls": [{"function": {"name": "get_weather", "arguments": {"location": "Tokyo"}}}],
            },
            {"role": "tool", "content": "Temperature: 18°C, Cloudy"},
            {
                "role": "assistant",
                "thinking": "The weather data shows it's cloudy and cool. I should present this clearly.",
                "content": "In Tokyo, it's currently 18°C and cloudy.",
            },
            {"role": "user", "content": "What about London?"},
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "Get current weather information",
                    "parameters": {
                        "type": "object",
                        "properties": {"location": {"type": "string", "description": "City name"}},
                        "required": ["location"],
                    },
                },
            }
        ],
        "think_value": True,
        "expected": "<｜begin▁of▁sentence｜>You are a helpful assistant.\n"
        "\n"
        "## Tools\n"
        "You have access to the following tools:\n"
        "\n"
        "### get_weather\n"
        "Description: Get current weather information\n"
        "\n"
        "Parameters: "
        '{"type":"object","required":["location"],"properties":{"location":{"type":"string","description":"City '
        'name"}}}\n'
        "\n"
        "IMPORTANT: ALWAYS adhere to this exact format for tool use:\n"
        "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>tool_call_name<｜tool▁sep｜>tool_call_arguments<｜tool▁call▁end｜>{{additional_tool_calls}}<｜tool▁calls▁end｜>\n"
        "\n"
        "Where:\n"
        "\n"
        "- `tool_call_name` must be an exact match to one of the available tools\n"
        "- `tool_call_arguments` must be valid JSON that strictly follows the tool's Parameters "
        "Schema\n"
        "- For multiple tool calls, chain them directly without separators or spaces\n"
        "<｜User｜>Check the weather in Tokyo<｜Assistant｜></think>Let me check that for "
        'you.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{"location":"Tokyo"}<｜tool▁call▁end｜><｜tool▁calls▁end｜><｜end▁of▁sentence｜><｜tool▁output▁begin｜>Temperature: '
        "18°C, Cloudy<｜tool▁output▁end｜>In Tokyo, it's currently 18°C and "
        "cloudy.<｜end▁of▁sentence｜><｜User｜>What about London?<｜Assistant｜><think>",
    },
    {
        "name": "multiple tools definitions",
        "messages": [
            {"role": "system", "content": "You are a helpful assistant with access to multiple tools."},
            {"role": "user", "content": "What can you help me with?"},
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "Get current weather information",
                    "parameters": {
                        "type": "object",
                        "properties": {"location": {"type": "string", "description": "City name"}},
                        "required": ["location"],
                    },
                },
            },
            {
                "type": "function",
                "function": {
                    "name": "calculate",
                    "description": "Perform mathematical calculations",
                    "parameters": {
                        "type": "object",
                        "properties": {
                            "expression": {
                                "type": "string",
                                "description": "Mathematical expression to evaluate",
                            }
                        },
                        "required": ["expression"],
                    },
                },
            },
        ],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜>You are a helpful assistant with access to multiple tools.\n"
        "\n"
        "## Tools\n"
        "You have access to the following tools:\n"
        "\n"
        "### get_weather\n"
        "Description: Get current weather information\n"
        "\n"
        "Parameters: "
        '{"type":"object","required":["location"],"properties":{"location":{"type":"string","description":"City '
        'name"}}}\n'
        "\n"
        "### calculate\n"
        "Description: Perform mathematical calculations\n"
        "\n"
        "Parameters: "
        '{"type":"object","required":["expression"],"properties":{"expression":{"type":"string","description":"Mathematical '
        'expression to evaluate"}}}\n'
        "\n"
        "IMPORTANT: ALWAYS adhere to this exact format for tool use:\n"
        "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>tool_call_name<｜tool▁sep｜>tool_call_arguments<｜tool▁call▁end｜>{{additional_tool_calls}}<｜tool▁calls▁end｜>\n"
        "\n"
        "Where:\n"
        "\n"
        "- `tool_call_name` must be an exact match to one of the available tools\n"
        "- `tool_call_arguments` must be valid JSON that strictly follows the tool's Parameters "
        "Schema\n"
        "- For multiple tool calls, chain them directly without separators or spaces\n"
        "<｜User｜>What can you help me with?<｜Assistant｜></think>",
    },
    {
        "name": "multiple tools with multiple tool calls",
        "messages": [
            {"role": "user", "content": "Get weather for Paris and calculate 25 * 4"},
            {
                "role": "assistant",
                "tool_calls": [
                    {"function": {"name": "get_weather", "arguments": {"location": "Paris"}}},
                    {"function": {"name": "calculate", "arguments": {"expression": "25 * 4"}}},
                ],
            },
            {"role": "tool", "content": "Temperature: 22°C, Sunny"},
            {"role": "tool", "content": "Result: 100"},
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "Get current weather information",
                    "parameters": {
                        "type": "object",
                        "properties": {"location": {"type": "string", "description": "City name"}},
                        "required": ["location"],
                    },
                },
            },
            {
                "type": "function",
                "function": {
                    "name": "calculate",
                    "description": "Perform mathematical calculations",
                    "parameters": {
                        "type": "object",
                        "properties": {
                            "expression": {
                                "type": "string",
                                "description": "Mathematical expression to evaluate",
                            }
                        },
                        "required": ["expression"],
                    },
                },
            },
        ],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜>\n"
        "\n"
        "## Tools\n"
        "You have access to the following tools:\n"
        "\n"
        "### get_weather\n"
        "Description: Get current weather information\n"
        "\n"
        "Parameters: "
        '{"type":"object","required":["location"],"properties":{"location":{"type":"string","description":"City '
        'name"}}}\n'
        "\n"
        "### calculate\n"
        "Description: Perform mathematical calculations\n"
        "\n"
        "Parameters: "
        '{"type":"object","required":["expression"],"properties":{"expression":{"type":"string","description":"Mathematical '
        'expression to evaluate"}}}\n'
        "\n"
        "IMPORTANT: ALWAYS adhere to this exact format for tool use:\n"
        "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>tool_call_name<｜tool▁sep｜>tool_call_arguments<｜tool▁call▁end｜>{{additional_tool_calls}}<｜tool▁calls▁end｜>\n"
        "\n"
        "Where:\n"
        "\n"
        "- `tool_call_name` must be an exact match to one of the available tools\n"
        "- `tool_call_arguments` must be valid JSON that strictly follows the tool's Parameters "
        "Schema\n"
        "- For multiple tool calls, chain them directly without separators or spaces\n"
        "<｜User｜>Get weather for Paris and calculate 25 * "
        '4<｜Assistant｜></think><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{"location":"Paris"}<｜tool▁call▁end｜><｜tool▁call▁begin｜>calculate<｜tool▁sep｜>{"expression":"25 '
        "* "
        '4"}<｜tool▁call▁end｜><｜tool▁calls▁end｜><｜end▁of▁sentence｜><｜tool▁output▁begin｜>Temperature: '
        "22°C, Sunny<｜tool▁output▁end｜><｜tool▁output▁begin｜>Result: 100<｜tool▁output▁end｜>",
    },
    {
        "name": "tools without system message",
        "messages": [{"role": "user", "content": "What's the weather?"}],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "Get current weather information",
                    "parameters": {
                        "type": "object",
                        "properties": {"location": {"type": "string", "description": "City name"}},
                        "required": ["location"],
                    },
                },
            }
        ],
        "think_value": False,
        "expected": "<｜begin▁of▁sentence｜>\n"
        "\n"
        "## Tools\n"
        "You have access to the following tools:\n"
        "\n"
        "### get_weather\n"
        "Description: Get current weather information\n"
        "\n"
        "Parameters: "
        '{"type":"object","required":["location"],"properties":{"location":{"type":"string","description":"City '
        'name"}}}\n'
        "\n"
        "IMPORTANT: ALWAYS adhere to this exact format for tool use:\n"
        "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>tool_call_name<｜tool▁sep｜>tool_call_arguments<｜tool▁call▁end｜>{{additional_tool_calls}}<｜tool▁calls▁end｜>\n"
        "\n"
        "Where:\n"
        "\n"
        "- `tool_call_name` must be an exact match to one of the available tools\n"
        "- `tool_call_arguments` must be valid JSON that strictly follows the tool's Parameters "
        "Schema\n"
        "- For multiple tool calls, chain them directly without separators or spaces\n"
        "<｜User｜>What's the weather?<｜Assistant｜></think>",
    },
    {
        "name": "multi-turn conversation with thinking content on each turn",
        "messages": [
            {"role": "user", "content": "hey!"},
            {
                "role": "assistant",
                "content": "Hey! 😊 How's it going? What's on your mind today?",
                "thinking": 'Hmm, the user just said "hey!" which is a simple greeting. This is a '
                "straightforward opening where they're likely just starting a conversation or "
                "testing the interaction.",
            },
            {"role": "user", "content": "fantastic, how has yours been"},
            {
                "role": "assistant",
                "content": "Glad to hear you're having a fantastic day! That's awesome.\n"
                "\n"
                "Mine's been great, thanks for asking! Just buzzing along, helping people out "
                "and having conversations like this one. So what's making your day so "
                "fantastic? Anything fun happening?",
                "thinking": 'Ah, the user is responding warmly and asking about my "day." Since I\'m an '
                "AI, I need to gently remind them I don't experience time like a human, but "
                "frame it positively to keep the conversation flowing.",
            },
            {"role": "user", "content": "awesome, can you tell me a 10 word story?"},
        ],
        "think_value": True,
        "expected": "<｜begin▁of▁sentence｜><｜User｜>hey!<｜Assistant｜></think>Hey! 😊 How's it going? What's on your "
        "mind today?<｜end▁of▁sentence｜><｜User｜>fantastic, how has yours "
        "been<｜Assistant｜></think>Glad to hear you're having a fantastic day! That's awesome.\n"
        "\n"
        "Mine's been great, thanks for asking! Just buzzing along, helping people out and having "
        "conversations like this one. So what's making your day so fantastic? Anything fun "
        "happening?<｜end▁of▁sentence｜><｜User｜>awesome, can you tell me a 10 word "
        "story?<｜Assistant｜><think>",
    },
    {
        "name": "vLLM documentation example - multi-turn with full thinking content",
        "messages": [
            {"role": "system", "content": "You are a helpful assistant"},
            {"role": "user", "content": "Who are you?"},
            {"role": "assistant", "content": "I am DeepSeek", "thinking": "Hmm"},
            {"role": "user", "content": "9.11 and 9.8, which is greater?"},
            {
                "role": "assistant",
                "content": "9.8 is greater than 9.11.\n"
                "\n"
                "To compare them easily, you can align the decimal places:  \n"
                "- 9.11 has a tenths digit of 1 and a hundredths digit of 1.  \n"
                "- 9.8 can be written as 9.80, which has a tenths digit of 8 and a hundredths "
                "digit of 0.  \n"
                "\n"
                "Since the whole number part (9) is the same, compare the tenths place: 8 is "
                "greater than 1, so 9.80 (or 9.8) is greater than 9.11.",
                "thinking": "First, the user is asking which number is greater between 9.11 and 9.8. These "
                "are decimal numbers.\n"
                "\n"
                "I need to compare 9.11 and 9.8. To make it easier, I should think of them as "
                "decimals with the same number of decimal places.\n"
                "\n"
                "9.11 has two decimal places, and 9.8 has one decimal place. I can write 9.8 "
                "as 9.80 to make it comparable.\n"
                "\n"
                "So, 9.11 versus 9.80.\n"
                "\n"
                "Now, comparing the whole number parts: both have 9, so they are equal in the "
                "units place.\n"
                "\n"
                "Next, compare the tenths place: for 9.11, the tenths digit is 1. For 9.80, "
                "the tenths digit is 8. Since 8 is greater than 1, 9.80 is greater than 9.11.\n"
                "\n"
                "Therefore, 9.8 is greater than 9.11.\n"
                "\n"
                "I can also think of them as fractions: 9.11 is 911/100, and 9.8 is 98/10 or "
                "980/100. Comparing 911/100 and 980/100, 980/100 is larger, so 9.8 is "
                "greater.\n"
                "\n"
                "So, the answer should be that 9.8 is greater than 9.11.\n"
                "\n"
                "Now, I need to respond helpfully. Since the user might be learning or need "
                "clarification, I should explain briefly.\n"
                "\n"
                "Finally, my response should be in English, as the query is in English.",
            },
            {"role": "user", "content": "Thanks! Can you tell me a 10 word story?"},
            {
                "role": "assistant",
                "content": "Of course. Here is a 10-word story:\n"
                "\n"
                "He found the key, unlocking a door to forgotten memories.",
                "thinking": "Hmm, the user just asked for a 10-word story after the previous number "
                "comparison question. This is a quick creative task with a strict word count "
                "constraint. \n"
                "\n"
                "The story needs to be exactly 10 words while maintaining coherence and a hint "
                "of narrative. A micro-story about finding a key could work - it implies a "
                "larger unseen story. \n"
                "\n"
                'Checking the word count: "He found the key, unlocking a door to forgotten '
                "memories.\" That's 10 words with a beginning, middle and implied end. It fits "
                "the requirement while leaving room for imagination.",
            },
            {"role": "user", "content": "That was beautiful! Now can you write a haiku?"},
        ],
        "think_value": True,
        "expected": "<｜begin▁of▁sentence｜>You are a helpful assistant<｜User｜>Who are you?<｜Assistant｜></think>I "
        "am DeepSeek<｜end▁of▁sentence｜><｜User｜>9.11 and 9.8, which is "
        "greater?<｜Assistant｜></think>9.8 is greater than 9.11.\n"
        "\n"
        "To compare them easily, you can align the decimal places:  \n"
        "- 9.11 has a tenths digit of 1 and a hundredths digit of 1.  \n"
        "- 9.8 can be written as 9.80, which has a tenths digit of 8 and a hundredths digit of 0.  \n"
        "\n"
        "Since the whole number part (9) is the same, compare the tenths place: 8 is greater than 1, "
        "so 9.80 (or 9.8) is greater than 9.11.<｜end▁of▁sentence｜><｜User｜>Thanks! Can you tell me a "
        "10 word story?<｜Assistant｜></think>Of course. Here is a 10-word story:\n"
        "\n"
        "He found the key, unlocking a door to forgotten memories.<｜end▁of▁sentence｜><｜User｜>That "
        "was beautiful! Now can you write a haiku?<｜Assistant｜><think>",
    },
    {
        "name": "no system prompt - content with embedded thinking tags",
        "messages": [
            {"role": "user", "content": "Who are you?"},
            {"role": "assistant", "content": "<think>Hmm</think>I am DeepSeek"},
            {"role": "user", "content": "Thanks! Can you tell me a 10 word story?"},
        ],
        "think_value": True,
        "expected": "<｜begin▁of▁sentence｜><｜User｜>Who are you?<｜Assistant｜></think>I am "
        "DeepSeek<｜end▁of▁sentence｜><｜User｜>Thanks! Can you tell me a 10 word "
        "story?<｜Assistant｜><think>",
    },
]


@pytest.mark.parametrize("case", RENDER_CASES, ids=lambda c: c["name"])
def test_deepseek3_renderer(case):
    renderer = renderer_for("deepseek3.1")
    got = renderer.render(case["messages"], case.get("tools"), case["think_value"])
    assert got == case["expected"]


def test_deepseek3_leading_bos():
    assert renderer_for("deepseek3.1").leading_bos == "<｜begin▁of▁sentence｜>"
