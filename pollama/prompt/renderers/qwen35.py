"""`qwen3.5`, `qwen3.8`: Qwen3.5's ChatML with JSON tool definitions, XML tool calls and <think> blocks
(Ollama's model/renderers/qwen35.go).

Qwen3.8 is the same format with stricter input: one leading system turn (developer and later system
messages fold into it), a reasoning-effort line in that turn, every assistant turn with a think block, and
a transcript without a user query refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pollama.prompt.apijson import marshal, tool_value, with_spaces
from pollama.prompt.renderers import RenderError, Think, register
from pollama.prompt.renderers.qwen3coder import (
    IM_END,
    IM_START,
    XML_TOOL_INSTRUCTIONS,
    tool_response,
    xml_tool_call,
)
from pollama.prompt.renderers.qwen3vl import (
    THINK_LEVELS,
    is_tool_response,
    last_query_index,
    render_image_content,
    think_enabled,
)

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"

XHIGH_REASONING = ("Reasoning effort is set to xhigh. Please think carefully through the task, validate "
                   "key assumptions, consider plausible alternatives, and prioritize correctness, "
                   "consistency, and clarity in the final answer.")
LOW_REASONING = ("Reasoning effort is set to low. Keep your thinking brief and focused, moving directly to "
                 "the conclusion without unnecessary elaboration.")

TOOLS_HEADER = "# Tools\n\nYou have access to the following functions:\n\n<tools>"

Message = Mapping[str, Any]


def split_reasoning(content: str, thinking: str, keep_thinking: bool,
                    extract_tagged: bool) -> tuple[str, str]:
    """(reasoning, answer) of an assistant turn: its `thinking` field where kept, else (when
    `extract_tagged`) the text before the first </think> of its content, after the last <think> in it."""
    if keep_thinking and thinking:
        return thinking.strip(), content
    if not extract_tagged:
        return "", content
    before, closed, after = content.partition(THINK_CLOSE)
    if not closed:
        return "", content
    return before.rpartition(THINK_OPEN)[2].strip(), after.lstrip("\n")


def qwen38_reasoning_instructions(think: Think) -> str:
    """The system line for a reasoning effort: unset, high and max get xhigh guidance, low gets the
    concise one, true/medium/false none."""
    if think is None:
        return XHIGH_REASONING
    if not isinstance(think, bool) and think not in THINK_LEVELS:
        raise RenderError(f"invalid thinking value {think}")
    if not think:
        return ""
    return {"low": LOW_REASONING, "high": XHIGH_REASONING, "max": XHIGH_REASONING}.get(think if isinstance(think, str) else "medium", "")


def normalize_qwen38_messages(messages: Sequence[Message]) -> Sequence[Message]:
    """One leading system turn: every system and developer message's trimmed text, in order, joined by a
    blank line, ahead of the other messages (unchanged when there is at most that one system turn)."""
    instructions = [m for m in messages if m.get("role") in ("system", "developer")]
    for m in instructions:
        if m.get("images"):
            raise RenderError(f"{m['role']} message cannot contain images")
    if not instructions or (len(instructions) == 1 and messages[0].get("role") == "system"):
        return messages
    texts = [t for t in ((m.get("content") or "").strip() for m in instructions) if t]
    system = {"role": "system", "content": "\n\n".join(texts)}
    return [system, *(m for m in messages if m.get("role") not in ("system", "developer"))]


class Qwen35Renderer:
    leading_bos = ""

    def __init__(self, is_thinking: bool, *, qwen38: bool = False, always_think_block: bool = False,
                 emit_empty_think_on_no_think: bool = False, use_img_tags: bool = True):
        self.is_thinking = is_thinking
        self.qwen38 = qwen38
        self.always_think_block = always_think_block
        self.emit_empty_think_on_no_think = emit_empty_think_on_no_think
        self.use_img_tags = use_img_tags

    def _content(self, message: Message, offset: int = 0) -> tuple[str, int]:
        text, offset = render_image_content(message, self.use_img_tags, offset)
        return text.strip(), offset

    def render(self, messages: Sequence[Message], tools: Sequence[Mapping[str, Any]] | None,
               think: Think) -> str:
        if self.qwen38:
            messages = normalize_qwen38_messages(messages)
            self._validate(messages)
        thinking = self.is_thinking if think is None else think_enabled(think)
        instructions = qwen38_reasoning_instructions(think) if self.qwen38 else ""
        out = [self._system(messages, tools, instructions)]
        last_query = last_query_index(messages, lambda m: self._content(m)[0])
        offset = 0
        for i, message in enumerate(messages):
            content, offset = self._content(message, offset)
            role = message.get("role")
            last = i == len(messages) - 1
            prefill = last and role == "assistant"
            if role == "user" or (role == "system" and i != 0):
                out.append(f"{IM_START}{role}\n{content}{IM_END}\n")
            elif role == "assistant":
                show_thinking = self.always_think_block or (thinking and i > last_query)
                out.append(self._assistant(message, content, show_thinking, prefill))
            elif role == "tool":
                out.append(tool_response(messages, i, content))
            elif self.qwen38 and role != "system":
                out.append(f"{IM_START}{role}\n{content}{IM_END}\n")
            if last and not prefill:
                out.append(self._generation_prompt(thinking))
        return "".join(out)

    def _validate(self, messages: Sequence[Message]) -> None:
        if not messages:
            raise RenderError("no messages provided")
        if messages[0].get("role") == "system" and messages[0].get("images"):
            raise RenderError("system message cannot contain images")
        if not any(m.get("role") == "user" and not is_tool_response(self._content(m)[0]) for m in messages):
            raise RenderError("no user query found in messages")

    def _system(self, messages: Sequence[Message], tools: Sequence[Mapping[str, Any]] | None,
                instructions: str) -> str:
        system = self._content(messages[0])[0] if messages and messages[0].get("role") == "system" else None
        if tools:
            defs = "".join("\n" + with_spaces(marshal(tool_value(t))) for t in tools)
            head = instructions + "\n\n" if instructions else ""
            tail = "\n\n" + system if system else ""
            body = f"{head}{TOOLS_HEADER}{defs}\n</tools>\n\n{XML_TOOL_INSTRUCTIONS}{tail}"
            return f"{IM_START}system\n{body}{IM_END}\n"
        if system is None:
            return f"{IM_START}system\n{instructions}{IM_END}\n" if instructions else ""
        if self.qwen38 and not system and not instructions:
            return ""
        joined = "\n\n".join(t for t in (instructions, system) if t)
        return f"{IM_START}system\n{joined}{IM_END}\n"

    def _assistant(self, message: Message, content: str, show_thinking: bool, prefill: bool) -> str:
        reasoning, content = split_reasoning(content, message.get("thinking") or "", show_thinking,
                                             extract_tagged=not self.qwen38)
        think_block = f"{THINK_OPEN}\n{reasoning}\n{THINK_CLOSE}\n\n" if show_thinking else ""
        text = f"{IM_START}assistant\n{think_block}{content}"
        for j, call in enumerate(message.get("tool_calls") or []):
            text += ("\n\n" if content.strip() else "") if j == 0 else "\n"
            text += xml_tool_call(call)
        return text + ("" if prefill else f"{IM_END}\n")

    def _generation_prompt(self, thinking: bool) -> str:
        if thinking:
            return f"{IM_START}assistant\n{THINK_OPEN}\n"
        if self.emit_empty_think_on_no_think:
            return f"{IM_START}assistant\n{THINK_OPEN}\n\n{THINK_CLOSE}\n\n"
        return f"{IM_START}assistant\n"


def qwen38_renderer(use_img_tags: bool = True) -> Qwen35Renderer:
    return Qwen35Renderer(is_thinking=True, qwen38=True, always_think_block=True,
                          emit_empty_think_on_no_think=True, use_img_tags=use_img_tags)


register("qwen3.5", lambda: Qwen35Renderer(is_thinking=True, emit_empty_think_on_no_think=True))
register("qwen3.8", qwen38_renderer)
