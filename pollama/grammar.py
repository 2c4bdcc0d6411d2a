"""`format` → a llama.cpp GBNF grammar: "json" or a JSON schema.

Schemas go through llama-cpp-python's SchemaConverter with two repairs, so that whatever the model's
weights, the output parses as JSON and validates: string characters exclude raw control characters
(JSON forbids them), and integers honour minimum / maximum / exclusiveMinimum / exclusiveMaximum.
A schema too big to convert in bounded time and memory is refused first (`check_schema_size`).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from pollama.api.errors import BadRequest

__all__ = ["grammar_for_format", "schema_to_grammar", "int_range_rule", "check_schema_size", "JSON_GRAMMAR",
           "MAX_SCHEMA_NODES", "MAX_SCHEMA_DEPTH", "MAX_PROPERTIES", "MAX_REPEAT"]

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

_MAX_DIGITS = 16  # numbers beyond this many digits are not generated (as llama.cpp's own rules)
_MAX_INT = 10**_MAX_DIGITS - 1

MAX_SCHEMA_NODES = 4096  # JSON values in one schema
MAX_SCHEMA_DEPTH = 64  # nesting of its objects and arrays
MAX_PROPERTIES = 256  # properties of one object: the converter's work grows with their cube
MAX_REPEAT = 1000  # minItems, maxItems, minLength, maxLength, a pattern's {m,n}: llama.cpp parses no deeper
_COUNTS = ("minItems", "maxItems", "minLength", "maxLength")
_QUANTIFIER = re.compile(r"\{\s*(\d+)\s*(?:,\s*(\d*)\s*)?\}")
_LOOSE_CHAR = '[^"\\\\] | "\\\\" '
_STRICT_CHAR = '[^"\\\\\\x7F\\x00-\\x1F] | "\\\\" '


def _digits_pattern(start: int, stop: int) -> str:
    """A GBNF sequence for the integers start..stop, which have the same number of digits and differ
    only in a digit position followed by full 0-9 runs (one piece of `_split`)."""
    out, free = [], 0
    for a, b in zip(str(start), str(stop), strict=True):
        if a == b:
            out.append(f'"{a}"')
        elif a == "0" and b == "9":
            free += 1
        else:
            out.append(f"[{a}-{b}]")
    if free:
        out.append("[0-9]" if free == 1 else f"[0-9]{{{free}}}")
    return " ".join(out)


def _split(lo: int, hi: int) -> list[tuple[int, int]]:
    """Cut [lo, hi] (non-negative) into pieces each expressible by `_digits_pattern`."""
    stops = {hi}
    nines = 1
    while True:
        stop = int(str(lo)[:-nines] + "9" * nines) if nines < len(str(lo)) else int("9" * nines)
        if not lo <= stop < hi:
            break
        stops.add(stop)
        nines += 1
    zeros = 1
    while True:
        stop = (hi + 1) // 10**zeros * 10**zeros - 1
        if not lo < stop <= hi:
            break
        stops.add(stop)
        zeros += 1
    pieces, start = [], lo
    for stop in sorted(stops):
        pieces.append((start, stop))
        start = stop + 1
    return pieces


def _nonneg(lo: int, hi: int | None) -> list[str]:
    if hi is None:  # lo .. any number of digits
        width = len(str(lo))
        alts = [_digits_pattern(a, b) for a, b in _split(lo, 10**width - 1)]
        if width < _MAX_DIGITS:
            alts.append(f"[1-9] [0-9]{{{width},{_MAX_DIGITS - 1}}}")
        return alts
    return [_digits_pattern(a, b) for a, b in _split(lo, hi)]


def int_range_rule(lo: int | None, hi: int | None) -> str:
    """GBNF alternatives for every integer in [lo, hi] (either end may be open)."""
    if lo is not None and hi is not None and lo > hi:
        raise BadRequest(f"invalid JSON schema in format: empty integer range [{lo}, {hi}]")
    alts: list[str] = []
    if lo is None or lo < 0:
        neg_hi = None if lo is None else -lo  # magnitudes of the negative part
        neg_lo = 1 if hi is None or hi >= 0 else -hi
        alts += [f'"-" {p}' for p in _nonneg(neg_lo, neg_hi)]
    if hi is None or hi >= 0:
        alts += _nonneg(max(lo or 0, 0), hi)
    return "(" + " | ".join(f"({a})" for a in alts) + ")"


def _clamp(lo: int | None, hi: int | None) -> tuple[int | None, int | None]:
    """Bounds within the integers the grammar can generate (at most _MAX_DIGITS digits)."""
    if (lo is not None and lo > _MAX_INT) or (hi is not None and hi < -_MAX_INT):
        raise BadRequest(f"invalid JSON schema in format: integer bounds beyond {_MAX_DIGITS} digits")
    return (None if lo is None else max(lo, -_MAX_INT)), (None if hi is None else min(hi, _MAX_INT))


def _int_bounds(schema: dict[str, Any]) -> tuple[int | None, int | None]:
    lo = hi = None
    if "minimum" in schema:
        lo = math.ceil(schema["minimum"])
    if "exclusiveMinimum" in schema:
        value = schema["exclusiveMinimum"]
        lo = max(lo if lo is not None else -(10**18), math.floor(value) + 1)
    if "maximum" in schema:
        hi = math.floor(schema["maximum"])
    if "exclusiveMaximum" in schema:
        value = schema["exclusiveMaximum"]
        hi = min(hi if hi is not None else 10**18, math.ceil(value) - 1)
    return _clamp(lo, hi)


def _too_big(what: str) -> BadRequest:
    return BadRequest(f"invalid JSON schema in format: too large ({what})")


def _over_repeat(number: Any) -> bool:
    if isinstance(number, str):  # digits from a pattern; a long run must not reach int()
        return number != "" and (len(number) > len(str(MAX_REPEAT)) or int(number) > MAX_REPEAT)
    return isinstance(number, int | float) and number > MAX_REPEAT


def _check_keywords(node: dict[str, Any]) -> None:
    props = node.get("properties")
    if isinstance(props, dict) and len(props) > MAX_PROPERTIES:
        raise _too_big(f"an object has more than {MAX_PROPERTIES} properties")
    counts: list[Any] = [node.get(k) for k in _COUNTS]
    pattern = node.get("pattern")
    if isinstance(pattern, str):
        counts += [n for pair in _QUANTIFIER.findall(pattern) for n in pair]
    if any(_over_repeat(n) for n in counts):
        raise _too_big(f"a length, item count or pattern repetition above {MAX_REPEAT}")


def check_schema_size(schema: Any) -> None:
    """400 for a schema whose grammar would take unbounded time or memory to build or to run: too many
    values, too deep, too many properties in one object, or repetition counts above llama.cpp's bound."""
    stack, nodes = [(schema, 1)], 0
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if nodes > MAX_SCHEMA_NODES:
            raise _too_big(f"more than {MAX_SCHEMA_NODES} values")
        if depth > MAX_SCHEMA_DEPTH:
            raise _too_big(f"nested deeper than {MAX_SCHEMA_DEPTH}")
        if isinstance(node, dict):
            _check_keywords(node)
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)


def schema_to_grammar(schema: dict[str, Any]) -> str:
    from llama_cpp.llama_grammar import RESERVED_NAMES, SchemaConverter

    check_schema_size(schema)
    class _Converter(SchemaConverter):  # type: ignore[misc]
        def visit(self, schema: dict[str, Any], name: str) -> str:
            if isinstance(schema, dict) and schema.get("type") == "integer" and any(
                    k in schema for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")):
                rule_name = name + "-" if name in RESERVED_NAMES else name or "root"
                lo, hi = _int_bounds(schema)
                return self._add_rule(rule_name, int_range_rule(lo, hi) + " space")
            return super().visit(schema, name)

    converter = _Converter(prop_order={}, allow_fetch=False, dotall=False, raw_pattern=False)
    resolved = converter.resolve_refs(schema, "format")
    converter.visit(resolved, "")
    grammar: str = converter.format_grammar()
    return grammar.replace("char ::= " + _LOOSE_CHAR, "char ::= " + _STRICT_CHAR)


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
    try:
        return schema_to_grammar(fmt)
    except BadRequest:
        raise
    except Exception as e:  # the converter raises plain Exceptions/KeyErrors on unsupported schemas
        raise BadRequest(f"invalid JSON schema in format: {e}") from None
