"""Ollama's model/renderers/qwen38_test.go: every case, same inputs and expected prompts.

Go checks the expected prompts against the model's Jinja template (Ollama's testdata copy) only when
VERIFY_JINJA2 is set; here always, with pollama's HF-style Jinja rendering. Not ported: the token-id
parity with transformers' tokenizer (QWEN38_MODEL_DIR), which needs the model's files.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pollama.prompt.apijson import marshal, tool_value
from pollama.prompt.render import render_jinja
from pollama.prompt.renderers import RenderError
from pollama.prompt.renderers.qwen35 import (
    normalize_qwen38_messages,
    qwen38_reasoning_instructions,
    qwen38_renderer,
)

TEMPLATE = (Path(__file__).parent / "testdata" / "qwen38_chat_template.jinja").read_text()

XHIGH = ("Reasoning effort is set to xhigh. Please think carefully through the task, validate key assumptions, "
         "consider plausible alternatives, and prioritize correctness, consistency, and clarity in the final "
         "answer.")
LOW = ("Reasoning effort is set to low. Keep your thinking brief and focused, moving directly to the conclusion "
       "without unnecessary elaboration.")

WEATHER_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get weather",
            "parameters": {"type": "object", "required": ["city"], "properties": {"city": {"type": ["string"]}}},
        },
    },
    {
        "type": "function",
        "function": {
            "name": "get_uv",
            "description": "Get UV index",
            "parameters": {"type": "object", "required": ["city"], "properties": {"city": {"type": ["string"]}}},
        },
    },
]

TOOL_HEADER = (
    "<|im_start|>system\n"
    "# Tools\n"
    "\n"
    "You have access to the following functions:\n"
    "\n"
    "<tools>\n"
    "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Get weather\", \"parameters\": {\"type\": \"object\", \"required\": [\"city\"], \"properties\": {\"city\": {\"type\": \"string\"}}}}}\n"
    "{\"type\": \"function\", \"function\": {\"name\": \"get_uv\", \"description\": \"Get UV index\", \"parameters\": {\"type\": \"object\", \"required\": [\"city\"], \"properties\": {\"city\": {\"type\": \"string\"}}}}}\n"
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
)

DEVELOPER_TOOL_HEADER = TOOL_HEADER.removesuffix("<|im_end|>\n") + "\n\nUse tools when requested.<|im_end|>\n"
WEATHER_ARGS = {"city": "Montréal"}

FLOW_CASES = [
    {
        "name": "default xhigh injects system guidance",
        "messages": [{"role": "user", "content": "Hello"}],
        "want": "<|im_start|>system\n" + XHIGH + "<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n<think>\n",
    },
    {
        "name": "developer instruction maps to system",
        "messages": [{"role": "developer", "content": "Use Go."}, {"role": "user", "content": "Hello"}],
        "want": "<|im_start|>system\n" + XHIGH + (
            "\n"
            "\n"
            "Use Go.<|im_end|>\n"
            "<|im_start|>user\n"
            "Hello<|im_end|>\n"
            "<|im_start|>assistant\n"
            "<think>\n"
        ),
    },
    {
        "name": "system and developer instructions merge",
        "messages": [
            {"role": "system", "content": "Base policy."},
            {"role": "developer", "content": "Use Go."},
            {"role": "user", "content": "Hello"},
        ],
        "want": "<|im_start|>system\n" + XHIGH + (
            "\n"
            "\n"
            "Base policy.\n"
            "\n"
            "Use Go.<|im_end|>\n"
            "<|im_start|>user\n"
            "Hello<|im_end|>\n"
            "<|im_start|>assistant\n"
            "<think>\n"
        ),
    },
    {
        "name": "multiple leading system instructions merge",
        "messages": [
            {"role": "system", "content": "Base policy."},
            {"role": "system", "content": "Request policy."},
            {"role": "user", "content": "Hello"},
        ],
        "want": "<|im_start|>system\n" + XHIGH + (
            "\n"
            "\n"
            "Base policy.\n"
            "\n"
            "Request policy.<|im_end|>\n"
            "<|im_start|>user\n"
            "Hello<|im_end|>\n"
            "<|im_start|>assistant\n"
            "<think>\n"
        ),
    },
    {
        "name": "request system after base conversation merges with base policy",
        "messages": [
            {"role": "system", "content": "Base policy."},
            {"role": "user", "content": "Base question"},
            {"role": "assistant", "content": "Base answer"},
            {"role": "system", "content": "Request policy."},
            {"role": "user", "content": "Current question"},
        ],
        "want": "<|im_start|>system\n" + XHIGH + (
            "\n"
            "\n"
            "Base policy.\n"
            "\n"
            "Request policy.<|im_end|>\n"
            "<|im_start|>user\n"
            "Base question<|im_end|>\n"
            "<|im_start|>assistant\n"
            "<think>\n"
            "\n"
            "</think>\n"
            "\n"
            "Base answer<|im_end|>\n"
            "<|im_start|>user\n"
            "Current question<|im_end|>\n"
            "<|im_start|>assistant\n"
            "<think>\n"
        ),
    },
    {
        "name": "boolean true uses API medium effort",
        "messages": [{"role": "system", "content": " Be concise. \n"}, {"role": "user", "content": "Hello"}],
        "think": True,
        "jinjaEffort": "medium",
        "want": (
            "<|im_start|>system\n"
            "Be concise.<|im_end|>\n"
            "<|im_start|>user\n"
            "Hello<|im_end|>\n"
            "<|im_start|>assistant\n"
            "<think>\n"
        ),
    },
    {
        "name": "low effort injects concise guidance",
        "messages": [{"role": "user", "content": "Hello"}],
        "think": "low",
        "jinjaEffort": "low",
        "want": "<|im_start|>system\n" + LOW + "<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n<think>\n",
    },
    {
        "name": "thinking disabled emits explicit empty block",
        "messages": [{"role": "user", "content": "Hello"}],
        "think": False,
        "want": "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
    },
    {
        "name": "preserves reasoning metadata without extracting content tags",
        "messages": [
            {"role": "user", "content": "First"},
            {"role": "assistant", "thinking": "Plan", "content": "<think>literal</think>\nAnswer"},
            {"role": "user", "content": "Next"},
        ],
        "want": "<|im_start|>system\n" + XHIGH + (
            "<|im_end|>\n"
            "<|im_start|>user\n"
            "First<|im_end|>\n"
            "<|im_start|>assistant\n"
            "<think>\n"
            "Plan\n"
            "</think>\n"
            "\n"
            "<think>literal</think>\n"
            "Answer<|im_end|>\n"
            "<|im_start|>user\n"
            "Next<|im_end|>\n"
            "<|im_start|>assistant\n"
            "<think>\n"
        ),
    },
    {
        "name": "developer instruction with tools",
        "messages": [
            {"role": "developer", "content": "Use tools when requested."},
            {"role": "user", "content": "Check the weather."},
        ],
        "tools": WEATHER_TOOLS,
        "think": True,
        "jinjaEffort": "medium",
        "want": DEVELOPER_TOOL_HEADER + "<|im_start|>user\nCheck the weather.<|im_end|>\n<|im_start|>assistant\n<think>\n",
    },
    {
        "name": "tool call result and next generation prompt",
        "messages": [
            {"role": "user", "content": "Weather?"},
            {
                "role": "assistant",
                "thinking": "Need current data.",
                "content": "I'll check.",
                "tool_calls": [{"function": {"name": "get_weather", "arguments": WEATHER_ARGS}}],
            },
            {"role": "tool", "content": "{\"temp\": 18}"},
        ],
        "tools": WEATHER_TOOLS,
        "think": True,
        "jinjaEffort": "medium",
        "want": TOOL_HEADER + (
            "<|im_start|>user\n"
            "Weather?<|im_end|>\n"
            "<|im_start|>assistant\n"
            "<think>\n"
            "Need current data.\n"
            "</think>\n"
            "\n"
            "I'll check.\n"
            "\n"
            "<tool_call>\n"
            "<function=get_weather>\n"
            "<parameter=city>\n"
            "Montréal\n"
            "</parameter>\n"
            "</function>\n"
            "</tool_call><|im_end|>\n"
            "<|im_start|>user\n"
            "<tool_response>\n"
            "{\"temp\": 18}\n"
            "</tool_response><|im_end|>\n"
            "<|im_start|>assistant\n"
            "<think>\n"
        ),
    },
    {
        "name": "image content",
        "messages": [{"role": "user", "content": "Describe this.", "images": [b"\x01"]}],
        "think": False,
        "want": (
            "<|im_start|>user\n"
            "<|vision_start|><|image_pad|><|vision_end|>Describe this.<|im_end|>\n"
            "<|im_start|>assistant\n"
            "<think>\n"
            "\n"
            "</think>\n"
            "\n"
        ),
    },
]


def render_reference(messages, tools, think, effort=""):
    """The Jinja template's prompt for the same request, as Go's renderQwen38Jinja asks for it: images as
    content parts, enable_thinking only when think is set, reasoning_effort only when given."""
    def jinja_message(m):
        parts = [{"type": "image"} for _ in m.get("images") or []]
        parts += [{"type": "text", "text": m["content"]}] if parts and m.get("content") else []
        return {**m, "content": parts or m.get("content") or "", "images": None}

    extra = {} if think is None else {"enable_thinking": bool(think)}
    extra.update({"reasoning_effort": effort} if effort else {})
    tool_values = [json.loads(marshal(tool_value(t))) for t in tools or []]
    return render_jinja(TEMPLATE, [jinja_message(m) for m in messages], tools=tool_values, extra=extra)


@pytest.mark.parametrize("case", FLOW_CASES, ids=lambda c: c["name"])
def test_matches_reference_flows(case):
    got = qwen38_renderer(use_img_tags=False).render(case["messages"], case.get("tools"), case.get("think"))
    assert got == case["want"]


@pytest.mark.parametrize("case", FLOW_CASES, ids=lambda c: c["name"])
def test_expected_prompts_match_jinja_template(case):
    messages = normalize_qwen38_messages(case["messages"])
    jinja = render_reference(messages, case.get("tools"), case.get("think"), case.get("jinjaEffort", ""))
    assert jinja == case["want"]


EFFORT_CASES = [
    {"name": "unset", "want": XHIGH},
    {"name": "true", "think": True, "want": ""},
    {"name": "false", "think": False, "want": ""},
    {"name": "low", "think": "low", "want": LOW},
    {"name": "medium", "think": "medium", "want": ""},
    {"name": "high", "think": "high", "want": XHIGH},
    {"name": "max", "think": "max", "want": XHIGH},
]


@pytest.mark.parametrize("case", EFFORT_CASES, ids=lambda c: c["name"])
def test_reasoning_effort_mapping(case):
    assert qwen38_reasoning_instructions(case.get("think")) == case["want"]


INVALID_CASES = [
    {"name": "empty", "wantErr": "no messages provided"},
    {
        "name": "no user query",
        "messages": [{"role": "system", "content": "Hello"}],
        "wantErr": "no user query found in messages",
    },
    {
        "name": "system image",
        "messages": [{"role": "system", "images": [b"\x01"]}, {"role": "user", "content": "Hello"}],
        "wantErr": "system message cannot contain images",
    },
]


@pytest.mark.parametrize("case", INVALID_CASES, ids=lambda c: c["name"])
def test_rejects_invalid_transcripts(case):
    with pytest.raises(RenderError) as err:
        qwen38_renderer(use_img_tags=False).render(case.get("messages") or [], None, None)
    assert str(err.value) == case["wantErr"]


def test_assistant_prefill_known_jinja_difference():
    messages = [
        {"role": "user", "content": "Complete this"},
        {"role": "assistant", "thinking": "Draft", "content": "Partial"},
    ]
    want = "<|im_start|>system\n" + XHIGH + (
        "<|im_end|>\n"
        "<|im_start|>user\n"
        "Complete this<|im_end|>\n"
        "<|im_start|>assistant\n"
        "<think>\n"
        "Draft\n"
        "</think>\n"
        "\n"
        "Partial"
    )
    got = qwen38_renderer(use_img_tags=False).render(messages, None, None)
    assert got == want
    assert render_reference(messages, None, None) == got + "<|im_end|>\n<|im_start|>assistant\n<think>\n"


# Not ported: Go's TestQwen38TokenizerMatchesReference compares token ids with transformers and the
# model's own tokenizer files, which are not to be had here.
