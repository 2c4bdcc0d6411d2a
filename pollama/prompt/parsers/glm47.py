"""`glm-4.7`: GLM-4.7 output (Ollama's model/parsers/glm47.go): GLM-4.6's format, but with thinking on
(unset or true) the prompt already ends with `<think>`, so the output starts inside the thinking."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pollama.prompt.parsers import Think, register
from pollama.prompt.parsers.glm46 import GLM46Parser, State

__all__ = ["GLM47Parser"]


class GLM47Parser(GLM46Parser):
    def init(self, tools: Sequence[Mapping[str, Any]] | None, last_message: Mapping[str, Any] | None,
             think: Think) -> Sequence[Mapping[str, Any]] | None:
        if think is None or think:
            self.state = State.THINKING
        return super().init(tools, last_message, think)


register("glm-4.7", GLM47Parser)
