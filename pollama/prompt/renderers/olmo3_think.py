"""`olmo3-think`, `olmo3-32b-think`: Olmo 3 thinking models (Ollama's model/renderers/olmo3_think.go).

No tools: tool messages are left out, and the prompt always ends in an open `<think>`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pollama.prompt.renderers import Think, register
from pollama.prompt.renderers.olmo3 import split_system

FUNCTIONS_SUFFIX = " You do not currently have access to any functions. <functions></functions>"
OLMO3_32B_SYSTEM = "You are a helpful AI assistant."
OLMO31_SYSTEM = ("You are Olmo, a helpful AI assistant built by Ai2. Your date cutoff is December 2024, and your "
                 "model weights are available at https://huggingface.co/allenai.")


class Olmo3ThinkRenderer:
    leading_bos = ""

    def __init__(self, default_system: str) -> None:
        self.default_system = default_system

    def render(self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]] | None,
               think: Think) -> str:
        system, messages = split_system(messages)
        out = ["<|im_start|>system\n",
               (system.get("content") or "") + FUNCTIONS_SUFFIX if system is not None else self.default_system,
               "<|im_end|>\n"]
        out.extend(f"<|im_start|>{m['role']}\n{m.get('content') or ''}<|im_end|>\n"
                   for m in messages if m.get("role") in ("user", "assistant"))
        out.append("<|im_start|>assistant\n<think>")
        return "".join(out)


register("olmo3-think", lambda: Olmo3ThinkRenderer(default_system=OLMO31_SYSTEM))
register("olmo3-32b-think", lambda: Olmo3ThinkRenderer(default_system=OLMO3_32B_SYSTEM))
