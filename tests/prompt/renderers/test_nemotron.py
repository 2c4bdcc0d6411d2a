"""nemotron-3-nano and nemotron-3.5-nano renderers: every case of Ollama's nemotron3nano_test.go,
nemotron3nano_reference_test.go, nemotron_extra_reference_test.go (cases in nemotron_cases_test.go) and
nemotron35_reference_test.go. The inputs and frozen expectations (the models' Jinja templates' output)
are in nemotron_cases.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pollama.prompt.renderers import renderer_for

DATA = json.loads((Path(__file__).parent / "nemotron_cases.json").read_text())
REFERENCE = DATA["reference_cases"]
EXTRA = [{**c, "expected": DATA["extra_expected"][c["name"]]} for c in DATA["extra_cases"]]
MEDIUM = {"name": "medium effort", "messages": [{"role": "user", "content": "Hello"}], "think": "medium"}
V35 = [{**c, "expected": DATA["v35_expected"][c["name"]]} for c in REFERENCE + DATA["extra_cases"] + [MEDIUM]]

# Not ported: four cases of Ollama's tests carry `$defs` built as a typed *api.ToolPropertiesMap (printed
# in struct field order, or as None when a nil pointer). A request's JSON always decodes `$defs` into a
# plain map, which Ollama prints with sorted keys and leaves out when null, as pollama does.
GO_TYPED_DEFS = {"tool schema defs property map", "tool schema defs rich property", "tool schema nil defs map",
                 "tool schema nested nil properties"}


def cases(table):
    return [pytest.param(c, id=c["name"]) for c in table if c["name"] not in GO_TYPED_DEFS]


@pytest.mark.parametrize("case", cases(REFERENCE + EXTRA))
def test_nemotron3_nano_matches_reference(case):
    got = renderer_for("nemotron-3-nano").render(case["messages"], case.get("tools"), case.get("think"))
    assert got == case["expected"]


@pytest.mark.parametrize("case", cases(V35))
def test_nemotron35_nano_matches_reference(case):
    got = renderer_for("nemotron-3.5-nano").render(case["messages"], case.get("tools"), case.get("think"))
    assert got == case["expected"]


@pytest.mark.parametrize("case", DATA["image_cases"], ids=lambda c: c["name"])
def test_nemotron3_nano_images(case):
    assert renderer_for("nemotron-3-nano").render(case["msgs"], None, None) == case["expected"]


def test_nemotron_json_defs_are_sorted():
    """What a request's `$defs` really renders as: a plain object, keys sorted, Python-style JSON."""
    tool = {"type": "function", "function": {"name": "d", "parameters": {
        "type": "object", "$defs": {"shared": {"type": "string", "description": "Shared"}},
        "properties": {"x": {"type": "string"}}}}}
    got = renderer_for("nemotron-3-nano").render([{"role": "user", "content": "go"}], [tool], None)
    assert '\n<$defs>{"shared": {"description": "Shared", "type": "string"}}</$defs>\n' in got


@pytest.mark.parametrize("name", ["nemotron-3-nano", "nemotron-3.5-nano"])
def test_nemotron_no_leading_bos(name):
    assert renderer_for(name).leading_bos == ""
