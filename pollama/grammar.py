"""`format` → a llama.cpp GBNF grammar: "json" or a JSON schema."""

from __future__ import annotations

import json
from typing import Any

from pollama.api.errors import BadRequest

__all__ = ["grammar_for_format", "JSON_GRAMMAR"]

# Any JSON object, with whitespace bounded so a model cannot ramble in it forever.
JSON_GRAMMAR = r"""
root   ::= object
value  ::= object | array | string | number | ("true" | "false" | "null") ws
object ::= "{" ws ( string ":" ws value ("," ws string ":" ws value)* )? "}" ws
array  ::= "[" ws ( value ("," ws value)* )? "]" ws
string ::= "\"" ( [^"\\\x7F\x00-\x1F] | "\\" (["\\bfnrt] | "u" [0-9a-fA-F]{4}) )* "\"" ws
number ::= "-"? ([0-9] | [1-9] [0-9]{0,15}) ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,4})? ws
ws     ::= | " " | "\n" [ \t]{0,20}
"""


def grammar_for_format(fmt: str | dict[str, Any] | None) -> str | None:
    """None for no constraint; 400 for a format that is neither "json" nor a JSON schema."""
    if fmt is None or fmt == "":
        return None
    if isinstance(fmt, str):
        if fmt.strip() == "json":
            return JSON_GRAMMAR
        try:
            fmt = json.loads(fmt)
        except json.JSONDecodeError:
            raise BadRequest(f"invalid format: {fmt!r}; expected \"json\" or a JSON schema") from None
    if not isinstance(fmt, dict):
        raise BadRequest("invalid format: expected \"json\" or a JSON schema object")
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    try:
        return json_schema_to_gbnf(json.dumps(fmt))
    except Exception as e:  # the converter raises plain Exceptions/KeyErrors on unsupported schemas
        raise BadRequest(f"invalid JSON schema in format: {e}") from None
