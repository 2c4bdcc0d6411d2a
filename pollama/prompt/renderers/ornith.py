"""`ornith`: the Qwen3.5 format with a think block on every assistant turn (Ollama's
model/renderers/ornith.go)."""

from __future__ import annotations

from pollama.prompt.renderers import register
from pollama.prompt.renderers.qwen35 import Qwen35Renderer

register("ornith", lambda: Qwen35Renderer(is_thinking=True, always_think_block=True,
                                          emit_empty_think_on_no_think=True))
