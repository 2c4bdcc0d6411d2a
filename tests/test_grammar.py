"""Grammar helpers: integer ranges are exact; schema grammars load in llama.cpp."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pollama.api.errors import BadRequest
from pollama.grammar import JSON_GRAMMAR, grammar_for_format, int_range_rule


def as_regex(rule: str) -> re.Pattern[str]:
    body = rule.replace('"', "").replace(" ", "")
    return re.compile(f"^{body}$")


@settings(max_examples=300, deadline=None)
@given(st.integers(-3000, 3000), st.integers(0, 3000))
def test_int_range_accepts_exactly_the_range(lo: int, width: int) -> None:
    hi = lo + width
    rx = as_regex(int_range_rule(lo, hi))
    for n in range(lo - 30, hi + 30):
        assert bool(rx.match(str(n))) == (lo <= n <= hi), (lo, hi, n)
    assert not rx.match("01") and not rx.match("-0")


@pytest.mark.parametrize("lo,hi,inside,outside", [
    (None, None, [0, -7, 12345], ["01", "-"]),
    (5, None, [5, 9, 10, 99999], [4, 0, -1]),
    (None, -3, [-3, -100], [-2, 0, 5]),
    (None, 10, [-50, 0, 10], [11, 100]),
])
def test_open_ranges(lo: int | None, hi: int | None, inside: list, outside: list) -> None:
    rx = as_regex(int_range_rule(lo, hi))
    assert all(rx.match(str(x)) for x in inside)
    assert not any(rx.match(str(x)) for x in outside)


def test_empty_range_is_a_bad_request() -> None:
    with pytest.raises(BadRequest):
        int_range_rule(5, 4)


def test_formats() -> None:
    assert grammar_for_format(None) is None and grammar_for_format("json") == JSON_GRAMMAR
    g = grammar_for_format({"type": "object", "properties": {"n": {"type": "integer", "minimum": 1},
                                                      "s": {"type": "string"}}})
    assert g is not None and "\\x00-\\x1F" in g and "root ::=" in g
    with pytest.raises(BadRequest):
        grammar_for_format("yaml")
    with pytest.raises(BadRequest):
        grammar_for_format(["not", "a", "schema"])  # type: ignore[arg-type]


def test_grammars_parse_in_llama_cpp() -> None:
    import llama_cpp

    schema = {"type": "object", "properties": {"a": {"type": "integer", "minimum": -5, "maximum": 300},
                                               "b": {"type": "array", "items": {"type": "string"}}}}
    for text in (JSON_GRAMMAR, grammar_for_format(schema)):
        g = llama_cpp.LlamaGrammar.from_string(text, verbose=False)
        assert g is not None
