"""Go's fmt and encoding/json as the template functions see them (expected strings are Go's output)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from pollama.prompt.gofmt import (
    JSONList,
    JSONMap,
    PropertyType,
    Struct,
    format_value,
    json_marshal,
    quote,
    sprint,
    sprintf,
    sprintln,
)


class _Point(Struct):
    go_type = "main.Point"
    go_fields = (("X", "x", False), ("Y", "y", True), ("Label", "-", False))


@pytest.mark.parametrize(("fmt", "args", "out"), [
    ("%d|%5d|%-5d|%05d|%+d|% d", [42, 42, 42, 42, 42, 42], "42|   42|42   |00042|+42| 42"),
    ("%x|%X|%#x|%o|%#o|%O|%b|%c|%U|%#U", [255, 255, 255, 8, 8, 8, 5, 65, 65, 65],
     "ff|FF|0xff|10|010|0o10|101|A|U+0041|U+0041 'A'"),
    ("%q", [65], "'A'"),
    ("%f|%.2f|%8.3f|%-8.1f|%e|%E|%g|%G", [3.14159] * 8,
     "3.141590|3.14|   3.142|3.1     |3.141590e+00|3.141590E+00|3.14159|3.14159"),
    ("%v|%v|%v|%v", [1e6, 1e20, 1e-5, 100.0], "1e+06|1e+20|1e-05|100"),
    ("%.3g|%g", [1234.5678, 0.000012345], "1.23e+03|1.2345e-05"),
    ("%s|%10s|%-10s|%.2s|%q|%x|% x", ["héllo", "hi", "hi", "héllo", 'a"b\n', "hi", "hi"],
     'héllo|        hi|hi        |hé|"a\\"b\\n"|6869|68 69'),
    ("%t|%v", [True, False], "true|false"),
    ("%v|%s|%d", [[1, 2], ["a", "b"], [1, 2]], "[1 2]|[a b]|[1 2]"),
    ("%v", [{"b": 2, "a": 1}], "map[a:1 b:2]"),
    ("%T|%T|%T|%T|%T", [1, 1.5, "s", [1], {"a": 1}], "int|float64|string|[]interface {}|map[string]interface {}"),
    ("%d", ["x"], "%!d(string=x)"),
    ("%s", [5], "%!s(int=5)"),
    ("%s|%v|%d", [None, None, None], "%!s(<nil>)|<nil>|%!d(<nil>)"),
    ("%d %d", [1], "1 %!d(MISSING)"),
    ("x", [1, "a"], "x%!(EXTRA int=1, string=a)"),
    ("100%%|%z", [1], "100%|%!z(int=1)"),
    ("%[2]d %[1]d", [1, 2], "2 1"),
    ("%*d|%.*f", [5, 3, 2, 3.14159], "    3|3.14"),
    ("%!", [], "%!!(MISSING)"),
    ("%", [], "%!(NOVERB)"),
])
def test_sprintf(fmt: str, args: list[Any], out: str) -> None:
    assert sprintf(fmt, args) == out


def test_sprintf_structs_and_stringers() -> None:
    p = _Point(X=1, Y=2, Label="p")
    assert sprintf("%v|%+v", [p, p]) == "{1 2 p}|{X:1 Y:2 Label:p}"
    assert sprintf("%v|%s", [JSONMap({"b": 1, "a": "<"}), JSONMap()]) == '{"a":"\\u003c","b":1}|{}'
    assert sprintf("%v|%v", [PropertyType(["string"]), PropertyType(["string", "null"])]) == "string|[string null]"
    assert format_value([JSONMap({"a": 1})]) == '[{"a":1}]'  # nested Stringers are honoured too


@pytest.mark.parametrize(("value", "out"), [
    (1e6, "1e+06"), (1234567.0, "1.234567e+06"), (1.5e20, "1.5e+20"), (123456.0, "123456"), (-0.0, "-0"),
    (0.0001, "0.0001"), (1e-05, "1e-05"), (0.12345679, "0.12345679"), (math.nan, "NaN"), (math.inf, "+Inf"),
    (None, "<nil>"), ([1.0, "a", None], "[1 a <nil>]"), ({"b": 2.5, "a": True}, "map[a:true b:2.5]"),
    ((7, -3), "[7 -3]"),
])
def test_format_value_is_gos_v(value: Any, out: str) -> None:
    """The one %v the CLI, `show --modelfile` and templates share; the cases its three copies disagreed on."""
    assert format_value(value) == out


def test_float_special_values() -> None:
    assert sprintf("%v|%v|%v|%f", [math.inf, -math.inf, math.nan, math.inf]) == "+Inf|-Inf|NaN|+Inf"


def test_sprint_and_sprintln_spacing() -> None:
    assert sprint(["a", 1, 2, "b", "c", 3.5, None]) == "a1 2bc3.5 <nil>"
    assert sprintln(["a", 1, "b"]) == "a 1 b\n"


def test_quote() -> None:
    assert quote('tab\there "q" \\ é \x00 \x7f \u200b') == '"tab\\there \\"q\\" \\\\ é \\x00 \\x7f \\u200b"'


@pytest.mark.parametrize(("value", "out"), [
    (None, "null"), (True, "true"), (0, "0"), (-12, "-12"), (1.0, "1"), (1.5, "1.5"), (1e20, "100000000000000000000"),
    (1e21, "1e+21"), (1e-6, "0.000001"), (1e-7, "1e-7"), (123456789.125, "123456789.125"),
    ("a<b>&c\u2028\n\t\b\f\x01'", '"a\\u003cb\\u003e\\u0026c\\u2028\\n\\t\\b\\f\\u0001\'"'),
    ({"b": [1, {"z": None, "a": "é"}], "a": {}}, '{"a":{},"b":[1,{"a":"é","z":null}]}'),
    (JSONList(nil=True), "null"), (JSONList([1]), "[1]"), (PropertyType(["a"]), '"a"'),
    (PropertyType(["a", "b"]), '["a","b"]'), (_Point(X=0, Y=0, Label="x"), '{"x":0}'), (b"hi", '"aGk="'),
])
def test_json_marshal(value: Any, out: str) -> None:
    assert json_marshal(value) == out


def test_json_marshal_rejects_what_go_rejects() -> None:
    for bad in (math.nan, math.inf, object()):
        with pytest.raises(ValueError):
            json_marshal(bad)
