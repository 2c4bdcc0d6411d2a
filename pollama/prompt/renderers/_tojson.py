"""Hugging Face's `tojson` filter as Ollama's renderers reproduce it: Go's encoder with HTML escaping off,
then a space after every ':' and ',' outside strings (json.dumps' default separators)."""

from __future__ import annotations

import re
from typing import Any

from pollama.prompt.apijson import marshal, with_spaces

__all__ = ["marshal_unescaped", "tojson"]

# An escaped backslash, or one of the escapes json.Marshal writes for '<', '>' and '&'.
_HTML_ESCAPE = re.compile(r"\\\\|\\u00(3c|3e|26)")


def marshal_unescaped(v: Any) -> str:
    """json.Encoder with SetEscapeHTML(false), without the trailing newline."""
    return _HTML_ESCAPE.sub(lambda m: chr(int(m[1], 16)) if m[1] else m[0], marshal(v))


def tojson(v: Any) -> str:
    return with_spaces(marshal_unescaped(v))
