"""The error raised for template parse and execution failures."""

from __future__ import annotations

__all__ = ["TemplateError"]


class TemplateError(ValueError):
    """A template failed to parse or execute; the message is formatted as Go's text/template does."""
