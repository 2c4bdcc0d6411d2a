"""Prompt layer: Go text/template interpreter, Ollama-style rendering, tool-call and thinking parsing."""

from pollama.prompt.errors import TemplateError
from pollama.prompt.gotemplate import Template
from pollama.prompt.render import render_chat, render_generate, render_jinja, template_capabilities
from pollama.prompt.thinking import ThinkingParser, thinking_tags
from pollama.prompt.tools import ToolCallParser, tool_call_format

__all__ = [
    "Template", "TemplateError", "render_chat", "render_generate", "render_jinja", "template_capabilities",
    "ThinkingParser", "thinking_tags", "ToolCallParser", "tool_call_format",
]
