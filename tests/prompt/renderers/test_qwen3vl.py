"""Ollama's model/renderers/qwen3vl_nonthinking_test.go and qwen3vl_thinking_test.go: every case, same
inputs and expected prompts (Go's commented-out cases are not cases)."""

from __future__ import annotations

import pytest

from pollama.prompt.renderers import render
from pollama.prompt.renderers.qwen3coder import format_tool_call_argument
from pollama.prompt.renderers.qwen3vl import Qwen3VLRenderer

NON_THINKING_CASES = [
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
        "name": "With thinking, end assistant.",
        "msgs": [
            {"role": "user", "content": "Tell me a story in two sentences."},
            {
                "role": "assistant",
                "content": "abc<think>To make this story interesting, I will speak in poetry.</think>",
            },
        ],
        "expected": (
            "<|im_start|>user\n"
            "Tell me a story in two sentences.<|im_end|>\n"
            "<|im_start|>assistant\n"
            "abc<think>To make this story interesting, I will speak in poetry.</think>"
        ),
    },
    {
        "name": "Multiple thinking",
        "msgs": [
            {"role": "user", "content": "Tell me a story in two sentences."},
            {
                "role": "assistant",
                "content": "abc<think>To make this story interesting, I will speak in poetry.</think><think>And I will speak in poetry after the first sentence.</think>",
            },
        ],
        "expected": (
            "<|im_start|>user\n"
            "Tell me a story in two sentences.<|im_end|>\n"
            "<|im_start|>assistant\n"
            "abc<think>To make this story interesting, I will speak in poetry.</think><think>And I will speak in poetry after the first sentence.</think>"
        ),
    },
    {
        "name": "Multiple thinking, multiple messages.",
        "msgs": [
            {"role": "user", "content": "Tell me a story in two sentences."},
            {
                "role": "assistant",
                "content": "abc<think>To make this story interesting, I will speak in poetry.</think><think>And I will speak in poetry after the first sentence.</think>",
            },
            {
                "role": "user",
                "content": "What is the weather like in San Francisco? <think>I will check the weather in San Francisco for you.</think>",
            },
            {
                "role": "assistant",
                "content": "I'll check the weather in San Francisco for you.<think>Speak poetry after the first sentence.</think><think>Speak poetry after the second sentence.</think>",
            },
        ],
        "expected": (
            "<|im_start|>user\n"
            "Tell me a story in two sentences.<|im_end|>\n"
            "<|im_start|>assistant\n"
            "abc<think>To make this story interesting, I will speak in poetry.</think><think>And I will speak in poetry after the first sentence.</think><|im_end|>\n"
            "<|im_start|>user\n"
            "What is the weather like in San Francisco? <think>I will check the weather in San Francisco for you.</think><|im_end|>\n"
            "<|im_start|>assistant\n"
            "I'll check the weather in San Francisco for you.<think>Speak poetry after the first sentence.</think><think>Speak poetry after the second sentence.</think>"
        ),
    },
    {
        "name": "Image",
        "msgs": [
            {"role": "user", "content": "Describe this image.", "images": ["img2"]},
            {"role": "assistant", "content": "Let me analyze this image."},
        ],
        "expected": (
            "<|im_start|>user\n"
            "<|vision_start|><|image_pad|><|vision_end|>Describe this image.<|im_end|>\n"
            "<|im_start|>assistant\n"
            "Let me analyze this image."
        ),
    },
    {
        "name": "Image with image tags",
        "msgs": [
            {"role": "user", "content": "Describe this image.", "images": ["img2"]},
            {"role": "assistant", "content": "Let me analyze this image."},
        ],
        "useImgTags": True,
        "expected": (
            "<|im_start|>user\n"
            "[img-0] Describe this image.<|im_end|>\n"
            "<|im_start|>assistant\n"
            "Let me analyze this image."
        ),
    },
    {
        "name": "Multiple images",
        "msgs": [{"role": "user", "content": "Describe these images.", "images": ["img1", "img2"]}],
        "expected": (
            "<|im_start|>user\n"
            "<|vision_start|><|image_pad|><|vision_end|><|vision_start|><|image_pad|><|vision_end|>Describe these images.<|im_end|>\n"
            "<|im_start|>assistant\n"
        ),
    },
    {
        "name": "Multiple images with image tags",
        "msgs": [
            {"role": "user", "content": "Describe these images.", "images": ["img1", "img2"]},
            {"role": "assistant", "content": "Let me analyze this image."},
        ],
        "useImgTags": True,
        "expected": (
            "<|im_start|>user\n"
            "[img-0][img-1] Describe these images.<|im_end|>\n"
            "<|im_start|>assistant\n"
            "Let me analyze this image."
        ),
    },
    {
        "name": "user tool_response block preserved",
        "msgs": [
            {"role": "user", "content": "What's the weather?"},
            {
                "role": "assistant",
                "content": "I'll check.",
                "tool_calls": [
                    {
                        "function": {
                            "name": "get-current-weather",
                            "arguments": {"location": "Paris", "unit": "celsius"},
                        },
                    },
                ],
            },
            {"role": "user", "content": "<tool_response>\n18\n</tool_response>"},
            {"role": "user", "content": "Thanks!"},
        ],
        "expected": (
            "<|im_start|>user\n"
            "What's the weather?<|im_end|>\n"
            "<|im_start|>assistant\n"
            "I'll check.\n"
            "<tool_call>\n"
            "{\"name\": \"get-current-weather\", \"arguments\": {\"location\": \"Paris\", \"unit\": \"celsius\"}}\n"
            "</tool_call><|im_end|>\n"
            "<|im_start|>user\n"
            "<tool_response>\n"
            "18\n"
            "</tool_response><|im_end|>\n"
            "<|im_start|>user\n"
            "Thanks!<|im_end|>\n"
            "<|im_start|>assistant\n"
        ),
    },
    {
        "name": "assistant with multiple tool calls and content",
        "msgs": [
            {"role": "user", "content": "Hi"},
            {
                "role": "assistant",
                "content": "before",
                "tool_calls": [
                    {"function": {"name": "add", "arguments": {"a": 2, "b": 3}}},
                    {"function": {"name": "mul", "arguments": {"x": 4, "y": 5}}},
                ],
            },
        ],
        "expected": (
            "<|im_start|>user\n"
            "Hi<|im_end|>\n"
            "<|im_start|>assistant\n"
            "before\n"
            "<tool_call>\n"
            "{\"name\": \"add\", \"arguments\": {\"a\": 2, \"b\": 3}}\n"
            "</tool_call>\n"
            "<tool_call>\n"
            "{\"name\": \"mul\", \"arguments\": {\"x\": 4, \"y\": 5}}\n"
            "</tool_call>"
        ),
    },
    {
        "name": "consecutive tool responses grouped",
        "msgs": [
            {"role": "user", "content": "Compute results"},
            {
                "role": "assistant",
                "content": "ok",
                "tool_calls": [{"function": {"name": "job", "arguments": {"n": 1}}}],
            },
            {"role": "tool", "content": "5", "tool_name": "job"},
            {"role": "tool", "content": "6", "tool_name": "job"},
        ],
        "expected": (
            "<|im_start|>user\n"
            "Compute results<|im_end|>\n"
            "<|im_start|>assistant\n"
            "ok\n"
            "<tool_call>\n"
            "{\"name\": \"job\", \"arguments\": {\"n\": 1}}\n"
            "</tool_call><|im_end|>\n"
            "<|im_start|>user\n"
            "<tool_response>\n"
            "5\n"
            "</tool_response>\n"
            "<tool_response>\n"
            "6\n"
            "</tool_response><|im_end|>\n"
            "<|im_start|>assistant\n"
        ),
    },
    {
        "name": "last message is tool then prefill",
        "msgs": [
            {"role": "user", "content": "run"},
            {
                "role": "assistant",
                "content": "ok",
                "tool_calls": [{"function": {"name": "exec", "arguments": {"cmd": "ls"}}}],
            },
            {"role": "tool", "content": "done", "tool_name": "exec"},
        ],
        "expected": (
            "<|im_start|>user\n"
            "run<|im_end|>\n"
            "<|im_start|>assistant\n"
            "ok\n"
            "<tool_call>\n"
            "{\"name\": \"exec\", \"arguments\": {\"cmd\": \"ls\"}}\n"
            "</tool_call><|im_end|>\n"
            "<|im_start|>user\n"
            "<tool_response>\n"
            "done\n"
            "</tool_response><|im_end|>\n"
            "<|im_start|>assistant\n"
        ),
    },
    {
        "name": "user with multiple images",
        "msgs": [{"role": "user", "content": "Describe.", "images": ["img1", "img2"]}],
        "expected": (
            "<|im_start|>user\n"
            "<|vision_start|><|image_pad|><|vision_end|><|vision_start|><|image_pad|><|vision_end|>Describe.<|im_end|>\n"
            "<|im_start|>assistant\n"
        ),
    },
    {
        "name": "user tool_response, no whitespace",
        "msgs": [
            {"role": "user", "content": "What's the weather?"},
            {
                "role": "assistant",
                "content": "I'll check.",
                "tool_calls": [
                    {
                        "function": {
                            "name": "get-current-weather",
                            "arguments": {"location": "Paris", "unit": "celsius"},
                        },
                    },
                ],
            },
            {"role": "user", "content": "<tool_response>\n18\n</tool_response>"},
            {"role": "user", "content": "Thanks!"},
        ],
        "expected": (
            "<|im_start|>user\n"
            "What's the weather?<|im_end|>\n"
            "<|im_start|>assistant\n"
            "I'll check.\n"
            "<tool_call>\n"
            "{\"name\": \"get-current-weather\", \"arguments\": {\"location\": \"Paris\", \"unit\": \"celsius\"}}\n"
            "</tool_call><|im_end|>\n"
            "<|im_start|>user\n"
            "<tool_response>\n"
            "18\n"
            "</tool_response><|im_end|>\n"
            "<|im_start|>user\n"
            "Thanks!<|im_end|>\n"
            "<|im_start|>assistant\n"
        ),
    },
    {
        "name": "user tool_response with surrounding whitespace",
        "msgs": [
            {"role": "user", "content": "What's the weather?"},
            {
                "role": "assistant",
                "content": "I'll check.",
                "tool_calls": [
                    {
                        "function": {
                            "name": "get-current-weather",
                            "arguments": {"location": "Paris", "unit": "celsius"},
                        },
                    },
                ],
            },
            {
                "role": "user",
                "content": "\n\n\n\n<tool_response>\n18\n</tool_response> extra\n\n\n\n\n\n",
            },
        ],
        "expected": (
            "<|im_start|>user\n"
            "What's the weather?<|im_end|>\n"
            "<|im_start|>assistant\n"
            "I'll check.\n"
            "<tool_call>\n"
            "{\"name\": \"get-current-weather\", \"arguments\": {\"location\": \"Paris\", \"unit\": \"celsius\"}}\n"
            "</tool_call><|im_end|>\n"
            "<|im_start|>user\n"
            "\n"
            "\n"
            "\n"
            "\n"
            "<tool_response>\n"
            "18\n"
            "</tool_response> extra\n"
            "\n"
            "\n"
            "\n"
            "\n"
            "\n"
            "<|im_end|>\n"
            "<|im_start|>assistant\n"
        ),
    },
]


@pytest.mark.parametrize("case", NON_THINKING_CASES, ids=lambda c: c["name"])
def test_qwen3vl_non_thinking_renderer(case):
    renderer = Qwen3VLRenderer(is_thinking=False, use_img_tags=case.get("useImgTags", False))
    assert renderer.render(case["msgs"], case.get("tools"), None) == case["expected"]


THINKING_CASES = [
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
            "<think>\n"
        ),
    },
    {
        "name": "With thinking, end assistant.",
        "msgs": [
            {"role": "user", "content": "Tell me a story in two sentences."},
            {
                "role": "assistant",
                "content": "abc",
                "thinking": "To make this story interesting, I will speak in poetry.",
            },
        ],
        "expected": (
            "<|im_start|>user\n"
            "Tell me a story in two sentences.<|im_end|>\n"
            "<|im_start|>assistant\n"
            "<think>\n"
            "To make this story interesting, I will speak in poetry.\n"
            "</think>\n"
            "\n"
            "abc"
        ),
    },
    {
        "name": "With thinking, end assistant.",
        "msgs": [
            {"role": "user", "content": "Tell me a story in two sentences."},
            {
                "role": "assistant",
                "thinking": "To make this story interesting, I will speak in poetry.",
            },
        ],
        "expected": (
            "<|im_start|>user\n"
            "Tell me a story in two sentences.<|im_end|>\n"
            "<|im_start|>assistant\n"
            "<think>\n"
            "To make this story interesting, I will speak in poetry."
        ),
    },
    {
        "name": "Multiple thinking",
        "msgs": [
            {"role": "user", "content": "Tell me a story in two sentences."},
            {
                "role": "assistant",
                "content": "abc",
                "thinking": "To make this story interesting, I will speak in poetry.<think>And I will speak in poetry after the first sentence.</think>",
            },
        ],
        "expected": (
            "<|im_start|>user\n"
            "Tell me a story in two sentences.<|im_end|>\n"
            "<|im_start|>assistant\n"
            "<think>\n"
            "To make this story interesting, I will speak in poetry.<think>And I will speak in poetry after the first sentence.</think>\n"
            "</think>\n"
            "\n"
            "abc"
        ),
    },
    {
        "name": "Multiple thinking, multiple messages.",
        "msgs": [
            {"role": "user", "content": "Tell me a story in two sentences."},
            {
                "role": "assistant",
                "thinking": "To make this story interesting, I will speak in poetry.",
                "content": "abc",
            },
            {"role": "user", "content": "What is the weather like in San Francisco?"},
            {
                "role": "assistant",
                "thinking": "Speak poetry after the first sentence.</think><think>Speak poetry after the second sentence.",
            },
        ],
        "expected": (
            "<|im_start|>user\n"
            "Tell me a story in two sentences.<|im_end|>\n"
            "<|im_start|>assistant\n"
            "abc<|im_end|>\n"
            "<|im_start|>user\n"
            "What is the weather like in San Francisco?<|im_end|>\n"
            "<|im_start|>assistant\n"
            "<think>\n"
            "Speak poetry after the first sentence.</think><think>Speak poetry after the second sentence."
        ),
    },
]


@pytest.mark.parametrize("case", THINKING_CASES, ids=lambda c: c["name"])
def test_qwen3vl_thinking_renderer(case):
    renderer = Qwen3VLRenderer(is_thinking=True, use_img_tags=False)
    assert renderer.render(case["msgs"], case.get("tools"), None) == case["expected"]


ARGUMENT_CASES = [
    {"name": "string", "arg": "foo", "expected": "foo"},
    {"name": "map", "arg": {"foo": "bar"}, "expected": "{\"foo\":\"bar\"}"},
    {"name": "number", "arg": 1, "expected": "1"},
    {"name": "boolean", "arg": True, "expected": "true"},
]


@pytest.mark.parametrize("case", ARGUMENT_CASES, ids=lambda c: c["name"])
def test_format_tool_call_argument_thinking_vl(case):
    assert format_tool_call_argument(case["arg"]) == case["expected"]


def test_think_override():
    msgs = [{"role": "user", "content": "Hello"}]
    assert "<|im_start|>assistant\n<think>\n" in Qwen3VLRenderer(is_thinking=True).render(msgs, None, None)
    assert "<think>" not in Qwen3VLRenderer(is_thinking=True).render(msgs, None, False)
    assert "<|im_start|>assistant\n<think>\n" in Qwen3VLRenderer(is_thinking=False).render(msgs, None, True)


def test_think_override_with_explicit_no_think_prefill():
    renderer = Qwen3VLRenderer(is_thinking=True, emit_empty_think_on_no_think=True)
    rendered = renderer.render([{"role": "user", "content": "Hello"}], None, False)
    assert "<|im_start|>assistant\n<think>\n\n</think>\n\n" in rendered


def test_renderer_name_no_think_behavior_split():
    msgs = [{"role": "user", "content": "Hello"}]
    assert "<|im_start|>assistant\n<think>\n\n</think>\n\n" in render("qwen3.5", msgs, None, False)
    assert "<|im_start|>assistant\n<think>\n\n</think>\n\n" not in render("qwen3-vl-thinking", msgs, None, False)
