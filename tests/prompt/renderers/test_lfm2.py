"""Ollama's model/renderers/lfm2_test.go, case for case."""

from __future__ import annotations

import pytest

from pollama.prompt.apijson import tool_value
from pollama.prompt.renderers import renderer_for
from pollama.prompt.renderers._tojson import tojson
from pollama.prompt.renderers.lfm2 import LFM2Renderer

BOS = "<|startoftext|>"


def fn_tool(name):
    return {"type": "function", "function": {"name": name, "parameters": {"type": "object"}}}


WEATHER_CALL = [{"function": {"name": "get_weather", "arguments": {"location": "Paris"}}}]
HISTORY = [("Q1", "A1", "reason1"), ("Q2", "A2", "reason2")]


def inline_history():
    return [m for q, a, r in HISTORY for m in ({"role": "user", "content": q},
                                              {"role": "assistant", "content": f"<think>{r}</think>{a}"})]


def field_history():
    return [m for q, a, r in HISTORY for m in ({"role": "user", "content": q},
                                              {"role": "assistant", "content": a, "thinking": r})]


KEPT = (BOS + "<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\n<think>reason1</think>A1<|im_end|>\n"
        "<|im_start|>user\nQ2<|im_end|>\n<|im_start|>assistant\n<think>reason2</think>A2")
STRIPPED = (BOS + "<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\nA1<|im_end|>\n"
            "<|im_start|>user\nQ2<|im_end|>\n<|im_start|>assistant\n<think>reason2</think>A2")

# (name, thinking variant, messages, tools, think, expected)
PARITY = [
    ("user_only", False, [{"role": "user", "content": "Hello"}], None, False,
     BOS + "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n"),
    ("system_and_user", False, [{"role": "system", "content": "You are helpful."}, {"role": "user", "content": "Hi"}],
     None, False,
     BOS + "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
           "<|im_start|>assistant\n"),
    ("tools_without_system", False, [{"role": "user", "content": "Use tools"}], [fn_tool("get_weather")], False,
     BOS + "<|im_start|>system\nList of tools: <|tool_list_start|>[{\"name\": \"get_weather\", \"parameters\": "
           "{\"type\": \"object\", \"properties\": null}}]<|tool_list_end|><|im_end|>\n"
           "<|im_start|>user\nUse tools<|im_end|>\n<|im_start|>assistant\n"),
    ("first_system_combined_with_tools", False,
     [{"role": "system", "content": "Follow instructions."}, {"role": "user", "content": "Do work"}],
     [fn_tool("tool_a"), fn_tool("tool_b")], False,
     BOS + "<|im_start|>system\nFollow instructions.\nList of tools: <|tool_list_start|>[{\"name\": \"tool_a\", "
           "\"parameters\": {\"type\": \"object\", \"properties\": null}}, {\"name\": \"tool_b\", \"parameters\": "
           "{\"type\": \"object\", \"properties\": null}}]<|tool_list_end|><|im_end|>\n"
           "<|im_start|>user\nDo work<|im_end|>\n<|im_start|>assistant\n"),
    ("assistant_tool_calls_and_tool_responses_are_rendered", False,
     [{"role": "user", "content": "Call a tool"}, {"role": "assistant", "content": "", "tool_calls": WEATHER_CALL},
      {"role": "tool", "content": "22C"}], None, False,
     BOS + "<|im_start|>user\nCall a tool<|im_end|>\n<|im_start|>assistant\n<|tool_call_start|>"
           "[get_weather(location=\"Paris\")]<|tool_call_end|><|im_end|>\n<|im_start|>tool\n"
           "<|tool_response_start|>22C<|tool_response_end|><|im_end|>\n<|im_start|>assistant\n"),
    ("assistant_tool_calls_with_content_preserves_both", False,
     [{"role": "user", "content": "Call a tool"},
      {"role": "assistant", "content": "Checking now.", "tool_calls": WEATHER_CALL}], None, False,
     BOS + "<|im_start|>user\nCall a tool<|im_end|>\n<|im_start|>assistant\n<|tool_call_start|>"
           "[get_weather(location=\"Paris\")]<|tool_call_end|>\nChecking now."),
    ("thinking_strips_non_last_assistant_when_disabled", True, inline_history(), None, False, STRIPPED),
    ("thinking_preserves_past_assistant_when_enabled", True, inline_history(), None, True, KEPT),
    ("thinking_field_reconstructed_when_enabled", True, field_history(), None, True, KEPT),
    ("thinking_field_stripped_for_non_last_when_disabled", True, field_history(), None, False, STRIPPED),
    ("thinking_precedes_tool_calls", True,
     [{"role": "user", "content": "Weather?"},
      {"role": "assistant", "content": "", "thinking": "Let me check the weather.", "tool_calls": WEATHER_CALL},
      {"role": "tool", "content": "22C"}], None, True,
     BOS + "<|im_start|>user\nWeather?<|im_end|>\n<|im_start|>assistant\n<think>Let me check the weather."
           "</think><|tool_call_start|>[get_weather(location=\"Paris\")]<|tool_call_end|><|im_end|>\n"
           "<|im_start|>tool\n<|tool_response_start|>22C<|tool_response_end|><|im_end|>\n"
           "<|im_start|>assistant\n"),
    ("direct_answer_history_has_no_think_tags", True,
     [{"role": "user", "content": "Q1"}, {"role": "assistant", "content": "A1"}, {"role": "user", "content": "Q2"}],
     None, True,
     BOS + "<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\nA1<|im_end|>\n<|im_start|>user\nQ2<|im_end|>\n"
           "<|im_start|>assistant\n"),
    ("non_thinking_renderer_drops_thinking_metadata_on_prefill", False,
     [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello", "thinking": "some reasoning"}],
     None, False, BOS + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello"),
    ("arbitrary_roles_are_rendered_verbatim", False,
     [{"role": "developer", "content": "Do X"}, {"role": "user", "content": "Hi"}], None, False,
     BOS + "<|im_start|>developer\nDo X<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"),
    ("empty_messages_still_add_generation_prompt", False, [], None, False, BOS + "<|im_start|>assistant\n"),
    ("assistant_prefill_no_generation_prompt", False,
     [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}], None, False,
     BOS + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello"),
]


@pytest.mark.parametrize("name,thinking,messages,tools,think,expected", PARITY, ids=[c[0] for c in PARITY])
def test_chat_template_parity(name, thinking, messages, tools, think, expected):
    assert LFM2Renderer(is_thinking=thinking).render(messages, tools, think) == expected


def user_turn(content):
    return BOS + "<|im_start|>user\n" + content + "<|im_end|>\n<|im_start|>assistant\n"


IMAGES = [
    ("single_image_default_placeholder", False, "Describe this image.", 1, user_turn("<image>Describe this image.")),
    ("multiple_images_default_placeholder", False, "Describe these images.", 2,
     user_turn("<image><image>Describe these images.")),
    ("single_image_img_tag_placeholder", True, "Describe this image.", 1, user_turn("[img-0] Describe this image.")),
    ("existing_template_image_placeholder_not_duplicated", False, "<image>Describe this image.", 1,
     user_turn("<image>Describe this image.")),
]


@pytest.mark.parametrize("name,tags,content,count,expected", IMAGES, ids=[c[0] for c in IMAGES])
def test_images(name, tags, content, count, expected):
    message = {"role": "user", "content": content, "images": [b"img"] * count}
    assert LFM2Renderer(is_thinking=False, use_img_tags=tags).render([message], None, None) == expected


def test_json_formatting():
    tool = {"type": "function", "function": {"name": "echo", "description": "<html>",
                                             "parameters": {"type": "object"}}}
    assert tojson(tool_value(tool)) == ('{"type": "function", "function": {"name": "echo", "description": '
                                        '"<html>", "parameters": {"type": "object", "properties": null}}}')


def test_registered_with_server_flags():
    for name, thinking in (("lfm2", False), ("lfm2-thinking", True)):
        renderer = renderer_for(name)
        assert isinstance(renderer, LFM2Renderer)
        assert (renderer.is_thinking, renderer.use_img_tags, renderer.leading_bos) == (thinking, True, BOS)
