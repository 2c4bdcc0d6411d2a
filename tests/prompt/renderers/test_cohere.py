"""Ollama's model/renderers/cohere_test.go, case for case."""

from __future__ import annotations

from pollama.prompt.renderers import renderer_for
from pollama.prompt.renderers.cohere import CohereRenderer

SYSTEM_TURN_NO_TOOLS = ("<|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|><|START_TEXT|>"
                        "# Available Tools\n```json\n[\n\n\n\n]\n```"
                        "<|END_TEXT|><|END_OF_TURN_TOKEN|>")


def render(messages, tools=None, think=None):
    return CohereRenderer().render(messages, tools, think)


def test_user_only():
    assert render([{"role": "user", "content": "USERMSG"}]) == (
        SYSTEM_TURN_NO_TOOLS
        + "<|START_OF_TURN_TOKEN|><|USER_TOKEN|><|START_TEXT|>USERMSG<|END_TEXT|><|END_OF_TURN_TOKEN|>"
        + "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|><|START_THINKING|>")


def test_system_history_and_thinking():
    got = render([
        {"role": "system", "content": "DEVPREAMBLE"},
        {"role": "user", "content": "Q1"},
        {"role": "assistant", "content": "A1", "thinking": "THINK1"},
        {"role": "user", "content": "Q2"},
    ])
    assert got == (
        "<|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|><|START_TEXT|>"
        "DEVPREAMBLE\n\n\n\n# Available Tools\n```json\n[\n\n\n\n]\n```"
        "<|END_TEXT|><|END_OF_TURN_TOKEN|>"
        "<|START_OF_TURN_TOKEN|><|USER_TOKEN|><|START_TEXT|>Q1<|END_TEXT|><|END_OF_TURN_TOKEN|>"
        "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|><|START_THINKING|>THINK1<|END_THINKING|>"
        "<|START_TEXT|>A1<|END_TEXT|><|END_OF_TURN_TOKEN|>"
        "<|START_OF_TURN_TOKEN|><|USER_TOKEN|><|START_TEXT|>Q2<|END_TEXT|><|END_OF_TURN_TOKEN|>"
        "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|><|START_THINKING|>")


def test_reasoning_off():
    got = render([{"role": "user", "content": "Q"}], think=False)
    assert got.endswith("<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|><|START_THINKING|><|END_THINKING|>")


def test_tool_flow():
    tools = [{"type": "function", "function": {
        "name": "get_weather", "description": "Get weather",
        "parameters": {"type": "object", "required": ["city"], "properties": {"city": {"type": "string"}}}}}]
    got = render([
        {"role": "user", "content": "weather in Paris?"},
        {"role": "assistant", "thinking": "I should call the tool",
         "tool_calls": [{"id": "call_x", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
        {"role": "tool", "tool_call_id": "call_x", "content": "15C sunny"},
        {"role": "user", "content": "thanks"},
    ], tools)
    assert ("# Available Tools\n```json\n[\n\n    {\"name\": \"get_weather\", \"description\": \"Get weather\", "
            "\"parameters\": {\"type\": \"object\", \"required\": [\"city\"], \"properties\": {\"city\": "
            "{\"type\": \"string\"}}}, \"responses\": null}\n\n\n]\n```") in got
    assert ("<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>\n            \n                <|START_THINKING|>"
            "I should call the tool<|END_THINKING|><|START_ACTION|>[\n\n    {\"tool_call_id\": \"0\", "
            "\"tool_name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}\n\n]<|END_ACTION|>"
            "<|END_OF_TURN_TOKEN|>") in got
    assert ("<|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|><|START_TOOL_RESULT|>[\n    {\n        \"tool_call_id\": "
            "\"0\",\n        \"results\": {\n\n            \n            \"0\": {\"content\": \"15C sunny\"}\n\n"
            "        },\n        \"is_error\": null\n    }\n\n]<|END_TOOL_RESULT|><|END_OF_TURN_TOKEN|>") in got


def test_multi_tool_calls_and_results():
    got = render([
        {"role": "user", "content": "go"},
        {"role": "assistant", "tool_calls": [
            {"id": "a", "function": {"name": "t1", "arguments": {}}},
            {"id": "b", "function": {"name": "t2", "arguments": {"x": 1}}}]},
        {"role": "tool", "tool_call_id": "a", "content": "r1"},
        {"role": "tool", "tool_call_id": "b", "content": "r2"},
    ])
    assert ("<|START_ACTION|>[\n\n    {\"tool_call_id\": \"0\", \"tool_name\": \"t1\", \"parameters\": {}},\n\n"
            "    {\"tool_call_id\": \"1\", \"tool_name\": \"t2\", \"parameters\": {\"x\": 1}}\n\n]<|END_ACTION|>"
            ) in got
    result = ("\n    {\n        \"tool_call_id\": \"%s\",\n        \"results\": {\n\n            \n"
              "            \"0\": {\"content\": \"%s\"}\n\n        },\n        \"is_error\": null\n    }")
    assert ("<|START_TOOL_RESULT|>[" + result % ("0", "r1") + "," + result % ("1", "r2")
            + "\n\n]<|END_TOOL_RESULT|>") in got


def test_assistant_prefill():
    got = render([{"role": "user", "content": "Q"}, {"role": "assistant", "content": "partial"}])
    assert got.endswith("<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|><|START_TEXT|>partial")


def test_registered():
    renderer = renderer_for("cohere")
    assert isinstance(renderer, CohereRenderer)
    assert renderer.leading_bos == "<BOS_TOKEN>"
