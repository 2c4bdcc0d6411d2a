"""Go's value model for templates: how values print (fmt), compare, count as true, and marshal (encoding/json).

Template data is plain Python: dict = Go map, list/tuple = slice, str, int, float, bool, None = nil
interface. `Struct` subclasses stand for Go structs (fixed fields, JSON tags), and `JSONMap`, `JSONList`,
`PropertyType` for the Ollama types whose String() method prints JSON.
"""

from __future__ import annotations

import base64
import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

__all__ = [
    "NO_VALUE", "Struct", "JSONMap", "JSONList", "PropertyType", "kind", "type_name", "is_true",
    "sprint", "sprintln", "sprintf", "format_value", "quote", "quote_rune", "json_marshal",
    "html_escape", "js_escape", "url_query_escape", "format_float_v", "sorted_items", "OrderedMap",
]


class _NoValue:
    """Go's invalid reflect.Value: what a nil pipeline yields; prints as "<no value>"."""

    _instance: _NoValue | None = None

    def __new__(cls) -> _NoValue:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NO_VALUE"

    def __bool__(self) -> bool:
        return False


NO_VALUE: Any = _NoValue()


class Struct:
    """A Go struct value. Subclasses list `go_fields` as (GoName, json name or None, omitempty)."""

    go_type: ClassVar[str] = "struct {}"
    go_fields: ClassVar[tuple[tuple[str, str | None, bool], ...]] = ()
    go_stringer: ClassVar[bool] = False  # True: String() prints the value's JSON

    def __init__(self, **values: Any) -> None:
        names = {f[0] for f in self.go_fields}
        unknown = set(values) - names
        if unknown:
            raise TypeError(f"{type(self).__name__} has no fields {sorted(unknown)}")
        self._values = {name: values.get(name) for name, _, _ in self.go_fields}

    def has_field(self, name: str) -> bool:
        return name in self._values

    def get_field(self, name: str) -> Any:
        return self._values[name]

    def field_values(self) -> list[tuple[str, Any]]:
        return list(self._values.items())

    def go_string(self) -> str | None:
        """The value's String() method, or None when the struct has none."""
        if not self.go_stringer:
            return None
        try:
            return json_marshal(self)
        except ValueError:
            return ""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._values == self._values  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._values!r})"


class JSONMap(dict):  # type: ignore[type-arg]
    """A Go map whose String() method prints compact JSON ("{}" when empty)."""

    go_type = "map[string]interface {}"

    def go_string(self) -> str:
        if not self:
            return "{}"
        try:
            return json_marshal(self)
        except ValueError:
            return ""


class OrderedMap(dict):  # type: ignore[type-arg]
    """Ollama's orderedmap (tool-call arguments, tool properties): marshals keys in insertion order."""


class JSONList(list):  # type: ignore[type-arg]
    """A Go slice whose String() method prints compact JSON; `nil=True` marshals as null."""

    go_type = "[]interface {}"

    def __init__(self, items: Sequence[Any] = (), *, nil: bool = False) -> None:
        super().__init__(items)
        self.nil = nil and not items

    def go_string(self) -> str:
        try:
            return json_marshal(self)
        except ValueError:
            return ""


class PropertyType(list):  # type: ignore[type-arg]
    """Ollama's api.PropertyType: a list of JSON-schema types; one type prints and marshals as a string."""

    go_type = "api.PropertyType"

    def go_string(self) -> str:
        if not self:
            return ""
        if len(self) == 1:
            return str(self[0])
        return "[" + " ".join(str(x) for x in self) + "]"

    def go_json_value(self) -> Any:
        return self[0] if len(self) == 1 else list(self)


# ---- kinds, names, truth ---------------------------------------------------------------------------
def kind(v: Any) -> str:
    """The Go reflect.Kind family of a value."""
    if v is NO_VALUE:
        return "invalid"
    if v is None:
        return "nil"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, complex):
        return "complex"
    if isinstance(v, str):
        return "string"
    if isinstance(v, Struct):
        return "struct"
    if isinstance(v, Mapping):
        return "map"
    if isinstance(v, (bytes, bytearray)):
        return "bytes"
    if isinstance(v, (list, tuple)):
        return "slice"
    if callable(v):
        return "func"
    return "struct"


def type_name(v: Any) -> str:
    """Go's reflect.Type.String() for the value's Go counterpart."""
    custom = getattr(type(v), "go_type", None)
    if isinstance(custom, str):
        return custom
    return {
        "invalid": "<nil>", "nil": "interface {}", "bool": "bool", "int": "int", "float": "float64",
        "complex": "complex128", "string": "string", "map": "map[string]interface {}", "bytes": "[]uint8",
        "slice": "[]interface {}", "func": "func(...interface {}) interface {}",
    }.get(kind(v), type(v).__name__)


def is_true(v: Any) -> bool:
    """Go's template truth: false, 0, nil, and empty strings, slices and maps are false."""
    k = kind(v)
    if k in ("invalid", "nil"):
        return False
    if k in ("bool", "int", "float", "complex"):
        return bool(v)
    if k in ("string", "map", "slice", "bytes"):
        return len(v) > 0
    return True


def sorted_items(m: Mapping[Any, Any]) -> list[tuple[Any, Any]]:
    """Map entries in Go's fmtsort order (numbers numerically, strings bytewise)."""

    def key(item: tuple[Any, Any]) -> tuple[int, Any]:
        k = item[0]
        if isinstance(k, bool):
            return (0, int(k))
        if isinstance(k, (int, float)):
            return (1, k)
        return (2, str(k))

    return sorted(m.items(), key=key)


# ---- strconv ---------------------------------------------------------------------------------------
_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def _is_print(ch: str) -> bool:
    return ch == " " or unicodedata.category(ch)[0] in "LMNPS"


def _escape_rune(ch: str, q: str) -> str:
    if ch == q or ch == "\\":
        return "\\" + ch
    if _is_print(ch):
        return ch
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    c = ord(ch)
    if c < 0x20 or c == 0x7F:
        return f"\\x{c:02x}"
    if 0xD800 <= c <= 0xDFFF:
        return "\\ufffd"
    if c < 0x10000:
        return f"\\u{c:04x}"
    return f"\\U{c:08x}"


def quote(s: str) -> str:
    """strconv.Quote."""
    return '"' + "".join(_escape_rune(ch, '"') for ch in s) + '"'


def quote_rune(c: int) -> str:
    """strconv.QuoteRune."""
    if c < 0 or c > 0x10FFFF or 0xD800 <= c <= 0xDFFF:
        c = 0xFFFD
    return "'" + _escape_rune(chr(c), "'") + "'"


def _rune_len(s: str) -> int:
    return len(s)


# ---- floats ------------------------------------------------------------------------------------------
def _shortest_digits(x: float) -> tuple[str, int]:
    """Shortest round-trip decimal digits of |x| and the decimal point position (Go's decimalSlice)."""
    r = repr(abs(x))
    mant, _, exp = r.partition("e")
    ip, _, fp = mant.partition(".")
    digits = (ip + fp).lstrip("0")
    lead = len(ip + fp) - len((ip + fp).lstrip("0"))
    dp = len(ip) - lead + (int(exp) if exp else 0)
    digits = digits.rstrip("0")
    if not digits:
        return "", 0
    return digits, dp


def _fmt_e_digits(digits: str, dp: int, prec: int, echar: str) -> str:
    first = digits[0] if digits else "0"
    out = first
    if prec > 0:
        out += "." + digits[1:1 + prec].ljust(prec, "0")
    exp = dp - 1 if digits else 0
    sign = "-" if exp < 0 else "+"
    exp = abs(exp)
    return out + echar + sign + (f"{exp:02d}")


def _fmt_f_digits(digits: str, dp: int, prec: int) -> str:
    if dp > 0:
        ip = digits[:dp].ljust(dp, "0")
    else:
        ip = "0"
    if prec > 0:
        frac = ""
        for i in range(prec):
            j = dp + i
            frac += digits[j] if 0 <= j < len(digits) else "0"
        return ip + "." + frac
    return ip


def _shortest(x: float, fmt: str) -> str:
    """strconv.FormatFloat(x, fmt, -1, 64) for fmt in e, E, f, g, G (sign included)."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    neg = math.copysign(1.0, x) < 0
    digits, dp = _shortest_digits(x)
    nd = len(digits)
    if fmt in "eE":
        body = _fmt_e_digits(digits, dp, max(nd - 1, 0), fmt)
    elif fmt == "f":
        body = _fmt_f_digits(digits, dp, max(nd - dp, 0))
    else:
        exp = dp - 1
        if digits and (exp < -4 or exp >= 6):
            body = _fmt_e_digits(digits, dp, nd - 1, "e" if fmt == "g" else "E")
        else:
            body = _fmt_f_digits(digits, dp, max(nd - dp, 0)) if digits else "0"
    return ("-" if neg else "") + body


def _with_prec(x: float, fmt: str, prec: int) -> str:
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    if fmt in "gG" and prec == 0:
        prec = 1
    f = "f" if fmt == "F" else fmt
    return format(x, f".{prec}{f}")


def format_float_v(x: float) -> str:
    """A float as %v prints it (shortest %g, exponent from 1e+06 and below 1e-04)."""
    return _shortest(x, "g")


def _json_float(x: float) -> str:
    if math.isnan(x) or math.isinf(x):
        raise ValueError(f"json: unsupported value: {format_float_v(x)}")
    a = abs(x)
    if a != 0 and (a < 1e-6 or a >= 1e21):
        s = _shortest(x, "e")
        s = re.sub(r"e-0(\d)$", r"e-\1", s)
        return s
    return _shortest(x, "f")


# ---- fmt -----------------------------------------------------------------------------------------------
@dataclass
class _Spec:
    plus: bool = False
    minus: bool = False
    sharp: bool = False
    space: bool = False
    zero: bool = False
    width: int | None = None
    prec: int | None = None
    plus_v: bool = False
    sharp_v: bool = False


_PLAIN = _Spec()


class _Printer:
    def __init__(self) -> None:
        self.buf: list[str] = []
        self.spec = _Spec()

    def write(self, s: str) -> None:
        self.buf.append(s)

    def pad(self, s: str, zero_ok: bool = True) -> None:
        sp = self.spec
        if sp.width is None or sp.width <= _rune_len(s):
            self.buf.append(s)
            return
        n = sp.width - _rune_len(s)
        if sp.minus:
            self.buf.append(s + " " * n)
        else:
            self.buf.append(("0" if sp.zero and zero_ok else " ") * n + s)

    # -- primitives
    def bad_verb(self, verb: str, arg: Any) -> None:
        self.write("%!" + verb + "(")
        if arg is None or arg is NO_VALUE:
            self.write("<nil>")
        else:
            saved, self.spec = self.spec, _Spec()
            self.write(type_name(arg) + "=")
            self.print_arg(arg, "v")
            self.spec = saved
        self.write(")")

    def fmt_bool(self, v: bool, verb: str) -> None:
        if verb in "tv":
            self.pad("true" if v else "false")
        else:
            self.bad_verb(verb, v)

    def fmt_integer(self, n: int, verb: str) -> None:
        sp = self.spec
        if verb in "vd":
            base = 10
        elif verb == "b":
            base = 2
        elif verb in "oO":
            base = 8
        elif verb in "xX":
            base = 16
        elif verb == "c":
            self.pad(chr(n) if 0 <= n <= 0x10FFFF and not 0xD800 <= n <= 0xDFFF else "\ufffd")
            return
        elif verb == "q":
            self.pad(quote_rune(n))
            return
        elif verb == "U":
            s = f"U+{n:04X}" if n >= 0 else f"U+{n & 0xFFFFFFFFFFFFFFFF:04X}"
            if sp.sharp and 0 <= n <= 0x10FFFF and _is_print(chr(n)):
                s += " '" + chr(n) + "'"
            self.pad(s, zero_ok=False)
            return
        else:
            self.bad_verb(verb, n)
            return
        neg = n < 0
        u = -n if neg else n
        digits = {2: format(u, "b"), 8: format(u, "o"), 10: str(u), 16: format(u, "x")}[base]
        if verb == "X":
            digits = digits.upper()
        if sp.prec is not None:
            if sp.prec == 0 and u == 0:
                digits = ""
            digits = digits.rjust(sp.prec, "0")
        elif sp.zero and sp.width is not None and not sp.minus:
            w = sp.width - (1 if neg or sp.plus or sp.space else 0)
            digits = digits.rjust(w, "0")
        prefix = ""
        if sp.sharp:
            if base == 2:
                prefix = "0b"
            elif base == 8 and not digits.startswith("0"):
                prefix = "0"
            elif base == 16:
                prefix = "0X" if verb == "X" else "0x"
        if verb == "O":
            prefix = "0o"
        sign = "-" if neg else ("+" if sp.plus else (" " if sp.space else ""))
        self.pad(sign + prefix + digits, zero_ok=False)

    def fmt_float(self, x: float, verb: str) -> None:
        sp = self.spec
        if verb == "v":
            s = _shortest(x, "g") if sp.prec is None else _with_prec(x, "g", sp.prec)
        elif verb in "gG":
            s = _shortest(x, verb) if sp.prec is None else _with_prec(x, verb, sp.prec)
        elif verb in "eEfF":
            s = _with_prec(x, verb, 6 if sp.prec is None else sp.prec)
        elif verb in "xXb":
            s = float.hex(x) if verb != "X" else float.hex(x).upper()
        else:
            self.bad_verb(verb, x)
            return
        if s in ("NaN", "+Inf", "-Inf"):
            if s == "NaN" and (sp.plus or sp.space):
                s = ("+" if sp.plus else " ") + s
            elif s == "+Inf" and sp.space and not sp.plus:
                s = " Inf"
            self.pad(s, zero_ok=False)
            return
        if not s.startswith("-"):
            s = ("+" + s) if sp.plus else ((" " + s) if sp.space else s)
        if sp.zero and sp.width is not None and not sp.minus and sp.width > len(s):
            sign = s[0] if s[0] in "+- " else ""
            body = s[len(sign):]
            self.write(sign + "0" * (sp.width - len(s)) + body)
            return
        self.pad(s, zero_ok=False)

    def fmt_string(self, s: str, verb: str) -> None:
        sp = self.spec
        if verb == "v" and sp.sharp_v:
            self.pad(quote(s))
        elif verb in "vs":
            if sp.prec is not None:
                s = s[: sp.prec]
            self.pad(s)
        elif verb == "q":
            if sp.prec is not None:
                s = s[: sp.prec]
            if sp.sharp and "`" not in s and all(_is_print(c) or c == "\t" for c in s):
                self.pad("`" + s + "`")
            else:
                self.pad(quote(s))
        elif verb in "xX":
            data = s.encode("utf-8", "surrogatepass")
            if sp.prec is not None:
                data = data[: sp.prec]
            self.fmt_hex_bytes(data, verb)
        else:
            self.bad_verb(verb, s)

    def fmt_hex_bytes(self, data: bytes, verb: str) -> None:
        sp = self.spec
        digits = "0123456789abcdef" if verb == "x" else "0123456789ABCDEF"
        parts = []
        for i, b in enumerate(data):
            piece = digits[b >> 4] + digits[b & 15]
            if sp.sharp and (sp.space or i == 0):
                piece = ("0x" if verb == "x" else "0X") + piece
            if sp.space and i > 0:
                piece = " " + piece
            parts.append(piece)
        self.pad("".join(parts))

    # -- generic
    def handle_methods(self, arg: Any, verb: str) -> bool:
        if self.spec.sharp_v or verb not in "vsxXq":
            return False
        method = getattr(arg, "go_string", None)
        if method is None:
            return False
        s = method()
        if s is None:
            return False
        self.fmt_string(s, verb)
        return True

    def print_arg(self, arg: Any, verb: str) -> None:
        if arg is None or arg is NO_VALUE:
            if verb in "Tv":
                self.pad("<nil>")
            else:
                self.bad_verb(verb, None)
            return
        if verb == "T":
            self.fmt_string(type_name(arg), "s")
            return
        if verb == "p":
            self.bad_verb(verb, arg)
            return
        k = kind(arg)
        if k == "bool":
            self.fmt_bool(arg, verb)
        elif k == "int" and type(arg) is int:
            self.fmt_integer(arg, verb)
        elif k == "float" and type(arg) is float:
            self.fmt_float(arg, verb)
        elif k == "string" and type(arg) is str:
            self.fmt_string(arg, verb)
        elif not self.handle_methods(arg, verb):
            self.print_value(arg, verb, 0)

    def print_value(self, v: Any, verb: str, depth: int) -> None:
        if depth > 0 and v is not None and v is not NO_VALUE and self.handle_methods(v, verb):
            return
        k = kind(v)
        sp = self.spec
        if k == "invalid":
            if depth == 0:
                self.write("<invalid reflect.Value>")
            elif verb == "v":
                self.write("<nil>")
            else:
                self.bad_verb(verb, None)
        elif k == "nil":
            self.write("interface {}(nil)" if sp.sharp_v else "<nil>")
        elif k == "bool":
            self.fmt_bool(v, verb)
        elif k == "int":
            self.fmt_integer(int(v), verb)
        elif k == "float":
            self.fmt_float(float(v), verb)
        elif k == "complex":
            self.write("(")
            self.fmt_float(v.real, verb)
            saved = sp.plus
            sp.plus = True
            self.fmt_float(v.imag, verb)
            sp.plus = saved
            self.write("i)")
        elif k == "string":
            self.fmt_string(str(v), verb)
        elif k == "map":
            self.write(type_name(v) + "{" if sp.sharp_v else "map[")
            for i, (key, val) in enumerate(sorted_items(v)):
                if i:
                    self.write(", " if sp.sharp_v else " ")
                self.print_value(key, verb, depth + 1)
                self.write(":")
                self.print_value(val, verb, depth + 1)
            self.write("}" if sp.sharp_v else "]")
        elif k == "struct" and isinstance(v, Struct):
            if sp.sharp_v:
                self.write(type_name(v))
            self.write("{")
            for i, (name, val) in enumerate(v.field_values()):
                if i:
                    self.write(", " if sp.sharp_v else " ")
                if sp.plus_v or sp.sharp_v:
                    self.write(name + ":")
                self.print_value(val, verb, depth + 1)
            self.write("}")
        elif k == "bytes":
            if verb in "sq":
                self.fmt_string(bytes(v).decode("utf-8", "replace"), verb)
            elif verb in "xX":
                self.fmt_hex_bytes(bytes(v), verb)
            else:
                self.write("[")
                for i, b in enumerate(bytes(v)):
                    if i:
                        self.write(" ")
                    self.fmt_integer(b, verb)
                self.write("]")
        elif k == "slice":
            if sp.sharp_v:
                self.write(type_name(v) + "{")
            else:
                self.write("[")
            for i, item in enumerate(v):
                if i:
                    self.write(", " if sp.sharp_v else " ")
                self.print_value(item, verb, depth + 1)
            self.write("}" if sp.sharp_v else "]")
        elif k == "func":
            if verb in "vp":
                self.write(f"{id(v):#x}")
            else:
                self.bad_verb(verb, v)
        else:
            self.pad(str(v))


def format_value(v: Any, verb: str = "v") -> str:
    """One value as fmt.Sprint / %v prints it (Stringers honoured)."""
    p = _Printer()
    p.print_arg(v, verb)
    return "".join(p.buf)


def sprint(args: Sequence[Any]) -> str:
    """fmt.Sprint: spaces between operands when neither side is a string."""
    p = _Printer()
    prev_string = False
    for i, a in enumerate(args):
        is_string = isinstance(a, str)
        if i > 0 and not is_string and not prev_string:
            p.write(" ")
        p.print_arg(a, "v")
        prev_string = is_string
    return "".join(p.buf)


def sprintln(args: Sequence[Any]) -> str:
    """fmt.Sprintln: operands always separated by spaces, newline appended."""
    p = _Printer()
    for i, a in enumerate(args):
        if i:
            p.write(" ")
        p.print_arg(a, "v")
    p.write("\n")
    return "".join(p.buf)


def _parse_num(fmt: str, i: int) -> tuple[int | None, int]:
    j = i
    while j < len(fmt) and fmt[j].isdigit() and fmt[j].isascii():
        j += 1
    if j == i:
        return None, i
    return int(fmt[i:j]), j


def sprintf(fmt: str, args: Sequence[Any]) -> str:
    """fmt.Sprintf with Go's verbs, flags, width, precision, argument indexes and error annotations."""
    p = _Printer()
    arg_num = 0
    reordered = False
    i = 0
    end = len(fmt)
    while i < end:
        j = fmt.find("%", i)
        if j < 0:
            p.write(fmt[i:])
            break
        p.write(fmt[i:j])
        i = j + 1
        sp = _Spec()
        p.spec = sp
        while i < end:
            c = fmt[i]
            if c == "#":
                sp.sharp = True
            elif c == "0":
                sp.zero = not sp.minus
            elif c == "+":
                sp.plus = True
            elif c == "-":
                sp.minus = True
                sp.zero = False
            elif c == " ":
                sp.space = True
            else:
                break
            i += 1
        good_arg = True
        after_index = False

        def arg_number(i: int) -> tuple[int, bool]:
            nonlocal arg_num, good_arg, reordered
            if i < end and fmt[i] == "[":
                reordered = True
                close = fmt.find("]", i)
                n = fmt[i + 1: close] if close > 0 else ""
                if close < 0 or not n.isdigit() or not 0 < int(n) <= len(args):
                    good_arg = False
                    return (close + 1 if close > 0 else end), False
                arg_num = int(n) - 1
                return close + 1, True
            return i, False

        i, after_index = arg_number(i)
        if i < end and fmt[i] == "*":
            i += 1
            if arg_num < len(args) and isinstance(args[arg_num], int) and not isinstance(args[arg_num], bool):
                sp.width = args[arg_num]
                if sp.width < 0:
                    sp.width = -sp.width
                    sp.minus = True
                    sp.zero = False
            else:
                p.write("%!(BADWIDTH)")
            arg_num += 1
            after_index = False
        else:
            sp.width, i = _parse_num(fmt, i)
            if after_index and sp.width is not None:
                good_arg = False
        if i + 1 < end and fmt[i] == ".":
            i += 1
            if after_index:
                good_arg = False
            i, after_index = arg_number(i)
            if i < end and fmt[i] == "*":
                i += 1
                if arg_num < len(args) and isinstance(args[arg_num], int) and not isinstance(args[arg_num], bool):
                    sp.prec = max(args[arg_num], 0) if args[arg_num] >= 0 else None
                    if args[arg_num] < 0:
                        p.write("%!(BADPREC)")
                else:
                    p.write("%!(BADPREC)")
                arg_num += 1
                after_index = False
            else:
                prec, i = _parse_num(fmt, i)
                sp.prec = prec if prec is not None else 0
        if not after_index:
            i, after_index = arg_number(i)
        if i >= end:
            p.write("%!(NOVERB)")
            break
        verb = fmt[i]
        i += 1
        if verb == "%":
            p.write("%")
            continue
        if not good_arg:
            p.write("%!" + verb + "(BADINDEX)")
            continue
        if arg_num >= len(args):
            p.write("%!" + verb + "(MISSING)")
            continue
        if verb == "v":
            sp.sharp_v, sp.sharp = sp.sharp, False
            sp.plus_v, sp.plus = sp.plus, False
        p.print_arg(args[arg_num], verb)
        arg_num += 1
    if not reordered and arg_num < len(args):
        p.spec = _Spec()
        p.write("%!(EXTRA ")
        for n, a in enumerate(args[arg_num:]):
            if n:
                p.write(", ")
            if a is None or a is NO_VALUE:
                p.write("<nil>")
            else:
                p.write(type_name(a) + "=")
                p.print_arg(a, "v")
        p.write(")")
    return "".join(p.buf)


# ---- encoding/json ---------------------------------------------------------------------------------
def _json_string(s: str) -> str:
    out = ['"']
    for ch in s:
        c = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\b":
            out.append("\\b")
        elif ch == "\f":
            out.append("\\f")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif c < 0x20 or ch in "<>&":
            out.append(f"\\u00{c:02x}")
        elif c in (0x2028, 0x2029):
            out.append(f"\\u{c:04x}")
        elif 0xD800 <= c <= 0xDFFF:
            out.append("\\ufffd")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _is_empty(v: Any) -> bool:
    if v is None or v is NO_VALUE:
        return True
    if isinstance(v, bool):
        return not v
    if isinstance(v, (int, float)):
        return v == 0
    if isinstance(v, (str, list, tuple, dict, bytes)):
        return len(v) == 0
    return False


def json_marshal(v: Any) -> str:
    """encoding/json.Marshal: compact, map keys sorted, HTML characters escaped; ValueError when unsupported."""
    if v is None or v is NO_VALUE:
        return "null"
    hook: Callable[[], Any] | None = getattr(v, "go_json_value", None)
    if hook is not None:
        return json_marshal(hook())
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _json_float(v)
    if isinstance(v, str):
        return _json_string(v)
    if isinstance(v, Struct):
        parts = []
        for (name, json_name, omitempty), (_, val) in zip(v.go_fields, v.field_values(), strict=True):
            if json_name == "-" or (omitempty and _is_empty(val)):
                continue
            parts.append(_json_string(json_name or name) + ":" + json_marshal(val))
        return "{" + ",".join(parts) + "}"
    if isinstance(v, Mapping):
        items = [(str(k), val) for k, val in v.items()]
        if not isinstance(v, OrderedMap):
            items.sort(key=lambda kv: kv[0])
        return "{" + ",".join(_json_string(k) + ":" + json_marshal(val) for k, val in items) + "}"
    if isinstance(v, (bytes, bytearray)):
        return _json_string(base64.b64encode(bytes(v)).decode())
    if isinstance(v, JSONList) and v.nil:
        return "null"
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(json_marshal(x) for x in v) + "]"
    raise ValueError(f"json: unsupported type: {type_name(v)}")


# ---- escapers ----------------------------------------------------------------------------------------
_HTML = {'"': "&#34;", "'": "&#39;", "&": "&amp;", "<": "&lt;", ">": "&gt;", "\0": "\ufffd"}


def html_escape(s: str) -> str:
    """template.HTMLEscapeString."""
    return "".join(_HTML.get(c, c) for c in s)


_JS = {"\\": "\\\\", "'": "\\'", '"': '\\"', "<": "\\u003C", ">": "\\u003E", "&": "\\u0026", "=": "\\u003D"}


def js_escape(s: str) -> str:
    """template.JSEscapeString."""
    out = []
    for ch in s:
        c = ord(ch)
        if ch in _JS:
            out.append(_JS[ch])
        elif c < 0x20:
            out.append(f"\\u00{c:02X}")
        elif c < 0x80 or _is_print(ch):
            out.append(ch)
        else:
            out.append(f"\\u{c:04X}")
    return "".join(out)


def url_query_escape(s: str) -> str:
    """url.QueryEscape."""
    out = []
    for b in s.encode("utf-8", "surrogatepass"):
        ch = chr(b)
        if ch.isascii() and (ch.isalnum() or ch in "-_.~"):
            out.append(ch)
        elif ch == " ":
            out.append("+")
        else:
            out.append(f"%{b:02X}")
    return "".join(out)
