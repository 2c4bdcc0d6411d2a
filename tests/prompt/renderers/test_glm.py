"""glm-4.7 and glm-ocr renderers: every case of Ollama's model/renderers/glm47_test.go and
glmocr_test.go."""

from __future__ import annotations

from typing import Any

import pytest

from pollama.prompt.renderers import render, renderer_for
from pollama.prompt.renderers.glmocr import GlmOcrRenderer

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get weather",
        "parameters": {
            "type": "object",
            "required": ["location"],
            "properties": {"location": {"type": "string"}},
        },
    },
}
TOOLS_BLOCK = (
    "[gMASK]<sop><|system|>\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
    "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
    '{"type": "function", "function": {"name": "get_weather", "description": "Get weather", "parameters": '
    '{"type": "object", "required": ["location"], "properties": {"location": {"type": "string"}}}}}\n'
    "</tools>\n\nFor each function call, output the function name and arguments within the following XML "
    "format:\n<tool_call>{function-name}<arg_key>{arg-key-1}</arg_key><arg_value>{arg-value-1}</arg_value>"
    "<arg_key>{arg-key-2}</arg_key><arg_value>{arg-value-2}</arg_value>...</tool_call>"
)


def call(name: str, args: dict[str, Any]) -> dict[str, Any]:
    return {"function": {"name": name, "arguments": args}}


def user(content: str, images: int = 0) -> dict[str, Any]:
    return {"role": "user", "content": content} | (
        {"images": [f"img{n}" for n in range(images)]} if images else {}
    )


GLM47_CASES: list[dict[str, Any]] = [
    {
        "name": "basic user message",
        "messages": [user("Hello")],
        "expected": "[gMASK]<sop><|user|>Hello<|assistant|><think>",
    },
    {
        "name": "thinking disabled",
        "messages": [user("Hello")],
        "think": False,
        "expected": "[gMASK]<sop><|user|>Hello<|assistant|></think>",
    },
    {
        "name": "system and user",
        "messages": [{"role": "system", "content": "You are helpful."}, user("Hello")],
        "expected": "[gMASK]<sop><|system|>You are helpful.<|user|>Hello<|assistant|><think>",
    },
    {
        "name": "multi-turn conversation",
        "messages": [user("Hi"), {"role": "assistant", "content": "Hello there"}, user("How are you?")],
        "expected": "[gMASK]<sop><|user|>Hi<|assistant|></think>Hello there<|user|>How are "
        "you?<|assistant|><think>",
    },
    {
        "name": "assistant with reasoning_content",
        "messages": [
            user("Answer with reasoning."),
            {"role": "assistant", "thinking": "Plan.", "content": "Done."},
        ],
        "expected": "[gMASK]<sop><|user|>Answer with reasoning.<|assistant|><think>Plan.</think>Done."
        "<|assistant|><think>",
    },
    {
        "name": "tool call with empty content",
        "messages": [
            user("Weather?"),
            {
                "role": "assistant",
                "tool_calls": [call("get_weather", {"location": "Tokyo", "unit": "celsius"})],
            },
            {"role": "tool", "content": '{"temperature":22}'},
        ],
        "tools": [WEATHER],
        "expected": TOOLS_BLOCK
        + "<|user|>Weather?<|assistant|></think><tool_call>get_weather<arg_key>location<"
        "/arg_key>"
        "<arg_value>Tokyo</arg_value><arg_key>unit</arg_key><arg_value>celsius</arg_value></tool_cal"
        "l>"
        '<|observation|><tool_response>{"temperature":22}</tool_response><|assistant|><think>',
    },
    {
        "name": "tool call with content",
        "messages": [
            user("Weather?"),
            {
                "role": "assistant",
                "content": "Let me check",
                "tool_calls": [call("get_weather", {"location": "Tokyo"})],
            },
            {"role": "tool", "content": '{"temperature":22}'},
            {"role": "assistant", "content": "It is 22C."},
        ],
        "tools": [WEATHER],
        "expected": TOOLS_BLOCK + "<|user|>Weather?<|assistant|></think>Let me check<tool_call>get_weather"
        "<arg_key>location</arg_key><arg_value>Tokyo</arg_value></tool_call><|observation|>"
        '<tool_response>{"temperature":22}</tool_response><|assistant|></think>It is '
        "22C.<|assistant|><think>",
    },
    {
        "name": "multiple tool calls and responses",
        "messages": [
            user("Compare weather"),
            {
                "role": "assistant",
                "tool_calls": [
                    call("get_weather", {"location": "Tokyo"}),
                    call("get_weather", {"location": "Paris"}),
                ],
            },
            {"role": "tool", "content": '{"temperature":22}'},
            {"role": "tool", "content": '{"temperature":18}'},
        ],
        "tools": [WEATHER],
        "expected": TOOLS_BLOCK + "<|user|>Compare weather<|assistant|></think><tool_call>get_weather"
        "<arg_key>location</arg_key><arg_value>Tokyo</arg_value></tool_call><tool_call>get_weather"
        "<arg_key>location</arg_key><arg_value>Paris</arg_value></tool_call><|observation|>"
        '<tool_response>{"temperature":22}</tool_response><tool_response>{"temperature":18}</tool_re'
        "sponse>"
        "<|assistant|><think>",
    },
    {
        "name": "preserved thinking in multi-turn",
        "messages": [
            user("Think step by step"),
            {"role": "assistant", "thinking": "Let me think...", "content": "Here's my answer."},
            user("Continue"),
        ],
        "expected": "[gMASK]<sop><|user|>Think step by step<|assistant|><think>Let me think...</think>Here's "
                    "my "
        "answer."
        "<|user|>Continue<|assistant|><think>",
    },
]


@pytest.mark.parametrize("case", GLM47_CASES, ids=[c["name"] for c in GLM47_CASES])
def test_glm47_renderer(case: dict[str, Any]) -> None:
    assert render("glm-4.7", case["messages"], case.get("tools"), case.get("think")) == case["expected"]


def test_glm47_non_string_arguments_are_json() -> None:
    messages = [{"role": "assistant", "tool_calls": [call("f", {"n": 3, "o": {"b": [1, "<"], "a": None}})]}]
    assert render("glm-4.7", messages, None, None) == (
        "[gMASK]<sop><|assistant|></think><tool_call>f<arg_key>n</arg_key><arg_value>3</arg_value>"
        '<arg_key>o</arg_key><arg_value>{"a":null,"b":[1,'
        '"\\u003c"]}</arg_value></tool_call><|assistant|><think>'
    )


OCR_CASES: list[dict[str, Any]] = [
    {
        "name": "use_img_tags_single_image",
        "tags": True,
        "messages": [user("Describe this image.", 1)],
        "expected": "[gMASK]<sop><|user|>\n[img-0] Describe this image.<|assistant|>\n",
    },
    {
        "name": "use_img_tags_multiple_images",
        "tags": True,
        "messages": [user("Describe these images.", 2)],
        "expected": "[gMASK]<sop><|user|>\n[img-0][img-1] Describe these images.<|assistant|>\n",
    },
    {
        "name": "multi_turn_increments_image_offset",
        "tags": True,
        "messages": [
            user("First image", 1),
            {"role": "assistant", "content": "Processed."},
            user("Second image", 1),
        ],
        "expected": "[gMASK]<sop><|user|>\n[img-0] First image<|assistant|>\n<think></think>\nProcessed.\n"
        "<|user|>\n[img-1] Second image<|assistant|>\n",
    },
    {
        "name": "default_no_img_tags",
        "tags": False,
        "messages": [user("No image tags expected.", 1)],
        "expected": "[gMASK]<sop><|user|>\nNo image tags expected.<|assistant|>\n",
    },
    {
        "name": "no_images_content_unchanged",
        "tags": True,
        "messages": [user("Text only message.")],
        "expected": "[gMASK]<sop><|user|>\nText only message.<|assistant|>\n",
    },
]


@pytest.mark.parametrize("case", OCR_CASES, ids=[c["name"] for c in OCR_CASES])
def test_glm_ocr_images(case: dict[str, Any]) -> None:
    assert GlmOcrRenderer(use_img_tags=case["tags"]).render(case["messages"], None, None) == case["expected"]


def test_glm_ocr_tools_calls_results_and_nothink() -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        user("Weather?"),
        {
            "role": "assistant",
            "content": " Checking ",
            "thinking": " plan ",
            "tool_calls": [call("get_weather", {"location": "Tokyo"})],
        },
        {"role": "tool", "content": "sunny"},
        {"role": "tool", "content": "warm"},
        user("Thanks/nothink"),
    ]
    got = render("glm-ocr", messages, [WEATHER], False)
    assert got == (
        TOOLS_BLOCK + "<|system|>\nBe brief.\n<|user|>\nWeather?/nothink<|assistant|>\n"
        "<think>plan</think>\n"
        "Checking\n<tool_call>get_weather<arg_key>location</arg_key><arg_value>Tokyo</arg_value></"
        "tool_call>\n"
        "<|observation|>\n<tool_response>\nsunny\n</tool_response>\n\n<tool_response>\nwarm\n"
        "</tool_response>\n"
        "<|user|>\nThanks/nothink<|assistant|>\n<think></think>\n"
    )


def test_registered_glm_ocr_uses_image_tags() -> None:
    assert render("glm-ocr", [user("hi", 1)], None, None) == "[gMASK]<sop><|user|>\n[img-0] hi<|assistant|>\n"


@pytest.mark.parametrize("name", ["glm-4.7", "glm-ocr"])
def test_no_leading_bos(name: str) -> None:
    renderer = renderer_for(name)
    assert renderer is not None and renderer.leading_bos == ""
