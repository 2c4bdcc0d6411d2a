"""`qwen3-vl-instruct`, `qwen3-vl-thinking`: Qwen3-VL's ChatML with JSON tool calls (Ollama's
model/renderers/qwen3vl.go).

Also home of what Qwen3.5 shares with it: images as `[img-N]` tags or vision placeholders, the last
real user query, the thinking switch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pollama.prompt.apijson import arguments_value, marshal, tool_value, with_spaces
from pollama.prompt.renderers import Think, register
from pollama.prompt.renderers._image_tags import with_image_tags
from pollama.prompt.renderers.qwen3coder import IM_END, IM_START, tool_response

VISION_PLACEHOLDER = "<|vision_start|><|image_pad|><|vision_end|>"

JSON_TOOLS_HEADER = ("# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
                     "You are provided with function signatures within <tools></tools> XML tags:\n<tools>")
JSON_TOOLS_FOOTER = ("\n</tools>\n\nFor each function call, return a json object with function name and "
                     "arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n"
                     '{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>')

THINK_LEVELS = ("high", "medium", "low", "max")


def think_enabled(think: Think) -> bool:
    """Go's ThinkValue.Bool(): true, or any thinking level."""
    return think is True or think in THINK_LEVELS


def render_image_content(message: Mapping[str, Any], use_img_tags: bool, offset: int) -> tuple[str, int]:
    """A message's text with its images: `[img-N]` tags, or Qwen's vision placeholders in front."""
    content, images = message.get("content") or "", len(message.get("images") or [])
    if use_img_tags:
        return with_image_tags(content, images, offset)
    return VISION_PLACEHOLDER * images + content, offset


def is_tool_response(content: str) -> bool:
    return content.startswith("<tool_response>") and content.endswith("</tool_response>")


def last_query_index(messages: Sequence[Mapping[str, Any]], content_of: Any) -> int:
    """Index of the last user message that is not just a <tool_response> block (the last message when
    there is none); `content_of(message)` gives the text the check looks at."""
    for i in range(len(messages) - 1, -1, -1):
        if messages[i].get("role") == "user" and not is_tool_response(content_of(messages[i])):
            return i
    return len(messages) - 1


def json_tool_call(call: Mapping[str, Any]) -> str:
    fn = call.get("function") or {}
    args = with_spaces(marshal(arguments_value(fn.get("arguments"))))
    return f'<tool_call>\n{{"name": "{fn.get("name") or ""}", "arguments": {args}}}\n</tool_call>'


class Qwen3VLRenderer:
    leading_bos = ""

    def __init__(self, is_thinking: bool, use_img_tags: bool = True,
                 emit_empty_think_on_no_think: bool = False):
        self.is_thinking = is_thinking
        self.use_img_tags = use_img_tags
        self.emit_empty_think_on_no_think = emit_empty_think_on_no_think

    def render(self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]] | None,
               think: Think) -> str:
        thinking = self.is_thinking if think is None else think_enabled(think)
        out = [self._system(messages, tools)]
        last_query = last_query_index(messages, lambda m: render_image_content(m, self.use_img_tags, 0)[0])
        offset = 0
        for i, message in enumerate(messages):
            content, offset = render_image_content(message, self.use_img_tags, offset)
            role = message.get("role")
            last = i == len(messages) - 1
            prefill = last and role == "assistant"
            if role == "user" or (role == "system" and i != 0):
                out.append(f"{IM_START}{role}\n{content}{IM_END}\n")
            elif role == "assistant":
                out.append(self._assistant(message, content, thinking and i > last_query, last, prefill))
            elif role == "tool":
                out.append(tool_response(messages, i, content))
            if last and not prefill:
                out.append(self._generation_prompt(thinking))
        return "".join(out)

    @staticmethod
    def _system(messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]] | None) -> str:
        has_system = bool(messages) and messages[0].get("role") == "system"
        system = messages[0].get("content") or "" if has_system else None
        if not tools:
            return "" if system is None else f"{IM_START}system\n{system}{IM_END}\n"
        defs = "".join("\n" + with_spaces(marshal(tool_value(t))) for t in tools)
        head = "" if system is None else system + "\n\n"
        return f"{IM_START}system\n{head}{JSON_TOOLS_HEADER}{defs}{JSON_TOOLS_FOOTER}{IM_END}\n"

    @staticmethod
    def _assistant(message: Mapping[str, Any], content: str, show_thinking: bool, last: bool,
                   prefill: bool) -> str:
        reasoning = message.get("thinking") or "" if show_thinking else ""
        if show_thinking and (last or reasoning):
            text = f"{IM_START}assistant\n<think>\n" + reasoning.strip("\n")
            if content:
                text += "\n</think>\n\n" + content.lstrip("\n")
        else:
            text = f"{IM_START}assistant\n{content}"
        for j, call in enumerate(message.get("tool_calls") or []):
            text += ("\n" if j > 0 or content else "") + json_tool_call(call)
        return text + ("" if prefill else f"{IM_END}\n")

    def _generation_prompt(self, thinking: bool) -> str:
        if thinking:
            return f"{IM_START}assistant\n<think>\n"
        if self.emit_empty_think_on_no_think:
            return f"{IM_START}assistant\n<think>\n\n</think>\n\n"
        return f"{IM_START}assistant\n"


register("qwen3-vl-instruct", lambda: Qwen3VLRenderer(is_thinking=False))
register("qwen3-vl-thinking", lambda: Qwen3VLRenderer(is_thinking=True))
