"""`glm-ocr`: GLM-OCR (Ollama's model/renderers/glmocr.go): GLM-4.7's tool format, line-broken turns,
`[img-N]` tags for images, and `/nothink` on user turns when thinking is explicitly off."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pollama.prompt.renderers import Think, register
from pollama.prompt.renderers._image_tags import with_image_tags
from pollama.prompt.renderers.glm47 import tool_arguments, tools_section

__all__ = ["GlmOcrRenderer"]


class GlmOcrRenderer:
    leading_bos = ""

    def __init__(self, use_img_tags: bool = False) -> None:
        self.use_img_tags = use_img_tags

    def render(self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]] | None,
               think: Think) -> str:
        no_think = think is not None and not think
        out = ["[gMASK]<sop>"]
        if tools:
            out.append(tools_section(tools))
        offset = 0
        for i, m in enumerate(messages):
            role, content = m.get("role"), m.get("content") or ""
            if role == "user":
                text, offset = self._content(m, offset)
                suffix = "/nothink" if no_think and not content.endswith("/nothink") else ""
                out.append("<|user|>\n" + text + suffix)
            elif role == "assistant":
                out.append("<|assistant|>\n" + self._assistant(m) + "\n")
            elif role == "tool":
                text, offset = self._content(m, offset)
                opener = "" if i > 0 and messages[i - 1].get("role") == "tool" else "<|observation|>"
                out.append(f"{opener}\n<tool_response>\n{text}\n</tool_response>\n")
            elif role == "system":
                out.append(f"<|system|>\n{content}\n")
        out.append("<|assistant|>\n" + ("<think></think>\n" if no_think else ""))
        return "".join(out)

    @staticmethod
    def _assistant(m: Mapping[str, Any]) -> str:
        content = m.get("content") or ""
        calls = "".join(f"\n<tool_call>{(c.get('function') or {}).get('name') or ''}"
                        f"{tool_arguments((c.get('function') or {}).get('arguments'))}</tool_call>"
                        for c in m.get("tool_calls") or [])
        answer = "\n" + content.strip() if content else ""
        return f"<think>{(m.get('thinking') or '').strip()}</think>{answer}{calls}"

    def _content(self, m: Mapping[str, Any], offset: int) -> tuple[str, int]:
        content = m.get("content") or ""
        if self.use_img_tags:
            return with_image_tags(content, len(m.get("images") or []), offset)
        return content, offset


register("glm-ocr", lambda: GlmOcrRenderer(use_img_tags=True))
