"""`lfm2`, `lfm2-thinking`: Liquid AI's LFM2 ChatML format with Liquid's tool wrappers.

Tools are listed in the first system turn between <|tool_list_start|> and <|tool_list_end|>; assistant
tool calls are Python-style `[name(key=value, …)]` between <|tool_call_start|> and <|tool_call_end|>; tool
results sit in <|tool_response_start|>…<|tool_response_end|>. The thinking variant writes an assistant's
reasoning back as <think>…</think>, and drops it from earlier turns unless thinking is on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pollama.prompt.apijson import tool_value
from pollama.prompt.renderers import Message, Think, Tool, register
from pollama.prompt.renderers._image_tags import with_image_tags
from pollama.prompt.renderers._tojson import tojson

BOS = "<|startoftext|>"
THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
TOOL_CALL_START, TOOL_CALL_END = "<|tool_call_start|>", "<|tool_call_end|>"
TOOL_RESPONSE_START, TOOL_RESPONSE_END = "<|tool_response_start|>", "<|tool_response_end|>"
IMAGE = "<image>"


def _tool_schema(tool: Tool) -> Any:
    """The function object (name, description, parameters) the template expects; the whole tool when
    it has no name."""
    value = tool_value(tool)
    return value["function"] if value["function"]["name"] else value


def _tool_list(tools: Sequence[Tool]) -> str:
    return "List of tools: <|tool_list_start|>[" + ", ".join(tojson(_tool_schema(t)) for t in tools) + \
        "]<|tool_list_end|>"


def _tool_calls(calls: Sequence[Mapping[str, Any]]) -> str:
    rendered = []
    for call in calls:
        fn = call.get("function") or {}
        args = fn.get("arguments") or {}
        rendered.append(f"{fn.get('name') or ''}(" + ",".join(f"{k}={tojson(args[k])}" for k in sorted(args)) + ")")
    return TOOL_CALL_START + "[" + ",".join(rendered) + "]" + TOOL_CALL_END


class LFM2Renderer:
    leading_bos = BOS

    def __init__(self, is_thinking: bool, use_img_tags: bool = True) -> None:
        self.is_thinking = is_thinking
        self.use_img_tags = use_img_tags

    def _content(self, message: Message, offset: int) -> str:
        content = message.get("content") or ""
        count = len(message.get("images") or [])
        if self.use_img_tags:
            return with_image_tags(content, count, offset)[0]
        return content if not count or IMAGE in content else IMAGE * count + content

    def render(self, messages: Sequence[Message], tools: Sequence[Tool] | None, think: Think) -> str:
        out = [BOS]
        start = 1 if messages and messages[0].get("role") == "system" else 0
        system = (messages[0].get("content") or "") if start else ""
        if tools:
            system = (system + "\n" if system else "") + _tool_list(tools)
        if system:
            out.append("<|im_start|>system\n" + system + "<|im_end|>\n")
        keep_past_thinking = self.is_thinking and bool(think)
        last_assistant = max((i for i in range(start, len(messages)) if messages[i].get("role") == "assistant"),
                             default=-1)
        offset = sum(len(m.get("images") or []) for m in messages[:start])
        for i in range(start, len(messages)):
            message = messages[i]
            role = message.get("role") or ""
            content = self._content(message, offset)
            offset += len(message.get("images") or [])
            if role == "assistant":
                content = self._assistant(message, content, strip=not keep_past_thinking and i != last_assistant)
            elif role == "tool" and TOOL_RESPONSE_START not in content:
                content = TOOL_RESPONSE_START + content + TOOL_RESPONSE_END
            prefill = i == len(messages) - 1 and role == "assistant"
            out.append("<|im_start|>" + role + "\n" + content + ("" if prefill else "<|im_end|>\n"))
        if not messages or messages[-1].get("role") != "assistant":
            out.append("<|im_start|>assistant\n")
        return "".join(out)

    def _assistant(self, message: Message, content: str, strip: bool) -> str:
        calls = message.get("tool_calls") or []
        if calls and TOOL_CALL_START not in content:
            content = _tool_calls(calls) + ("" if not content.strip() else "\n") + content
        thinking = message.get("thinking") or ""
        if self.is_thinking and thinking and THINK_CLOSE not in content:
            content = THINK_OPEN + thinking + THINK_CLOSE + content
        if strip and THINK_CLOSE in content:
            content = content[content.rindex(THINK_CLOSE) + len(THINK_CLOSE):].strip()
        return content


register("lfm2", lambda: LFM2Renderer(is_thinking=False))
register("lfm2-thinking", lambda: LFM2Renderer(is_thinking=True))
