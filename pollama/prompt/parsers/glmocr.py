"""`glm-ocr`: GLM-OCR output (Ollama's model/parsers/glmocr.go): GLM-4.6's format without thinking
support (a `<think>` block the model writes anyway still comes out as thinking)."""

from __future__ import annotations

from pollama.prompt.parsers import register
from pollama.prompt.parsers.glm46 import GLM46Parser

__all__ = ["GlmOcrParser"]


class GlmOcrParser(GLM46Parser):
    has_thinking_support = False


register("glm-ocr", GlmOcrParser)
