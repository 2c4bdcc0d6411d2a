"""The error raised for template parse and execution failures."""

from __future__ import annotations

__all__ = ["TemplateError"]


class TemplateError(ValueError):
    """A template failed to parse or execute; the message is formatted as Go's text/template does.

    Parse errors also carry `line` (1-based) and `col` (byte offset within the line, 0-based, as in Go's
    ErrorContext) and name both: "template: NAME:LINE:COL: message" (Go itself names only the line there).
    """

    def __init__(self, message: str, *, line: int | None = None, col: int | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.col = col
