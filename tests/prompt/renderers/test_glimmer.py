"""Ollama's model/renderers/glimmer_test.go and the hard-coded cases of glimmer_reference_test.go. The
Jinja2 re-render checks (VERIFY_JINJA2=1 in Go, Hugging Face transformers and the template fixture) are
not ported."""

from __future__ import annotations

import pytest

from pollama.prompt.parsers import parser_for
from pollama.prompt.renderers import renderer_for
from pollama.prompt.renderers.glimmer import BOS, GlimmerRenderer

DATE = "2026-07-29"
DEFAULT_SYSTEM = ('You are a helpful AI assistant.\nKnowledge cutoff: 2026-01-04.\nCurrent date: 2026-07-29.\n\n'
                  'Reasoning strength: high.\n\n# Valid recipients: "self", "user".')
WEATHER_TOOL_DEFINITIONS = """In this environment you have access to a set of tools you can use to answer the user's question.

You can invoke a function by writing a "<atem:function_calls>" block like the following:
<atem:function_calls>
<atem:invoke name="$FUNCTION_NAME">
<atem:parameter name="$PARAMETER_NAME">$PARAMETER_VALUE</atem:parameter>
...
</atem:invoke>
</atem:function_calls>

String and scalar parameters should be specified as is, while lists and objects should use JSON format. \
Note that spaces for string values are not stripped. The output is not expected to be valid XML and is parsed \
with regular expressions.
Here are the functions available in JSONSchema format:
// Tool metadata
{"name": "get_weather", "description": ""}
// Function schemas
{"name": "get_weather", "description": "Get the weather", "parameters": {"type": "object", "required": ["city"], \
"properties": {"city": {"type": "string"}, "units": {"type": "string"}}}}

Here's an example of how to call a function in the tool set:
(If the tool namespace is not specified, invoke the function directly as `example_function_name` rather than \
`example_tool_name.example_function_name`)

to=example_tool_name.example_function_name

<atem:function_calls>
<atem:invoke name="example_tool_name.example_function_name">
<atem:parameter name="example_parameter_1">value_1</atem:parameter>
<atem:parameter name="example_parameter_2">This is the value for the second parameter
that can span
"multiple" lines
</atem:parameter>
</atem:invoke>
</atem:function_calls>"""
WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Get the weather",
    "parameters": {"type": "object", "required": ["city"],
                   "properties": {"city": {"type": "string"}, "units": {"type": "string"}}}}}
WEATHER_CALL = {"function": {"name": "get_weather", "arguments": {"city": "SF", "units": "fahrenheit"}}}
WEATHER_ATEM = ('<atem:function_calls>\n<atem:invoke name="get_weather">\n<atem:parameter name="city">SF'
                '</atem:parameter>\n<atem:parameter name="units">fahrenheit</atem:parameter>\n</atem:invoke>\n'
                '</atem:function_calls>')


def prompt(*parts):
    return BOS + "".join(parts) + "<|start|>assistant"


def msg(header, content, end="<|eot|>"):
    return f"<|start|>{header}<|message|>{content}{end}"


def render(messages, tools=None, think=None, tags=False):
    return GlimmerRenderer(use_img_tags=tags, current_date=DATE).render(messages, tools, think)


REFERENCE = [
    ("default system", [{"role": "user", "content": "Hello"}], None, None,
     prompt(msg("system", DEFAULT_SYSTEM), msg("user", "Hello"))),
    ("explicit system image thinking and answer",
     [{"role": "system", "content": "Be concise."}, {"role": "user", "content": "Read this.", "images": [b"1"]},
      {"role": "assistant", "thinking": "I should inspect it.", "content": "It says hello."}], None, None,
     prompt(msg("system", 'Be concise.\n\nReasoning strength: high.\n\n# Valid recipients: "self", "user".'),
            msg("user", "<|patch|>Read this."), msg("assistant to=self", "I should inspect it.", "<|eom|>"),
            msg("assistant to=user", "It says hello."))),
    ("explicit system reasoning effort is normalized and not duplicated",
     [{"role": "system", "content": "You are direct.\nReasoning effort: medium."}, {"role": "user", "content": "Hello"}],
     None, None,
     prompt(msg("system", 'You are direct.\nReasoning strength: medium.\n\n# Valid recipients: "self", "user".'),
            msg("user", "Hello"))),
    ("explicit system reasoning strength is not duplicated",
     [{"role": "system", "content": "You are direct.\nReasoning strength: low."}, {"role": "user", "content": "Hello"}],
     None, "high",
     prompt(msg("system", 'You are direct.\nReasoning strength: low.\n\n# Valid recipients: "self", "user".'),
            msg("user", "Hello"))),
    ("tool call and result",
     [{"role": "user", "content": "Weather?"},
      {"role": "assistant", "thinking": "Need current data.", "tool_calls": [{"id": "call_weather", **WEATHER_CALL}]},
      {"role": "tool", "tool_call_id": "call_weather", "content": '{"temp":65}'},
      {"role": "assistant", "content": "It is 65F."}], [WEATHER_TOOL], None,
     prompt(msg("system", "You are a helpful AI assistant.\nKnowledge cutoff: 2026-01-04.\nCurrent date: 2026-07-29."
                          "\n\nReasoning strength: high.\n\n" + WEATHER_TOOL_DEFINITIONS
                          + '\n\n# Valid recipients: "self", "get_weather.*", "user".'),
            msg("user", "Weather?"), msg("assistant to=self", "Need current data.", "<|eom|>"),
            msg("assistant to=get_weather", WEATHER_ATEM),
            msg("tool get_weather", '<tool_output name="get_weather">\n{"temp":65}\n</tool_output>'),
            msg("assistant to=user", "It is 65F."))),
    ("adjacent assistant tool calls use message boundary",
     [{"role": "user", "content": "Run twice."}, {"role": "assistant", "tool_calls": [WEATHER_CALL]},
      {"role": "assistant", "tool_calls": [WEATHER_CALL]}, {"role": "user", "content": "Continue."}], None, None,
     prompt(msg("system", DEFAULT_SYSTEM), msg("user", "Run twice."),
            msg("assistant to=get_weather", WEATHER_ATEM, "<|eom|>"), msg("assistant to=get_weather", WEATHER_ATEM),
            msg("user", "Continue."))),
    ("explicit reasoning level", [{"role": "user", "content": "Solve."}], None, "low",
     prompt(msg("system", DEFAULT_SYSTEM.replace("high", "low", 1)), msg("user", "Solve."))),
    ("thinking disabled", [{"role": "user", "content": "Answer directly."}], None, False,
     prompt(msg("system", DEFAULT_SYSTEM.replace("high", "none", 1)), msg("user", "Answer directly."))),
    ("known difference: thinking continuation",
     [{"role": "user", "content": "Solve"}, {"role": "assistant", "thinking": "Private reasoning."}], None, None,
     prompt(msg("system", DEFAULT_SYSTEM), msg("user", "Solve"),
            msg("assistant to=self", "Private reasoning.", "<|eom|>"))),
]


@pytest.mark.parametrize("name,messages,tools,think,expected", REFERENCE, ids=[c[0] for c in REFERENCE])
def test_matches_reference(name, messages, tools, think, expected):
    assert render(messages, tools, think) == expected


def test_images():
    assert "<|start|>user<|message|><|patch|>Describe.<|eot|>" in render(
        [{"role": "user", "content": "Describe.", "images": [b"1"]}])
    got = render([{"role": "user", "content": "First.", "images": [b"1"]}, {"role": "assistant", "content": "Done."},
                  {"role": "user", "content": "Compare.", "images": [b"2", b"3"]}], tags=True)
    assert ("<|start|>user<|message|>[img-0] First.<|eot|><|start|>assistant to=user<|message|>Done.<|eot|>"
            "<|start|>user<|message|>[img-1][img-2] Compare.<|eot|>") in got


def test_atem_values():
    args = {"text": "keep  spaces", "count": 3, "enabled": True, "fallback": None, "items": ["one", "two"],
            "config": {"mode": "fast"}}
    got = render([{"role": "user", "content": "Run it."},
                  {"role": "assistant", "tool_calls": [{"function": {"name": "tools.run", "arguments": args}}]}])
    assert ('<atem:function_calls>\n<atem:invoke name="tools.run">\n'
            '<atem:parameter name="text">keep  spaces</atem:parameter>\n'
            '<atem:parameter name="count">3</atem:parameter>\n'
            '<atem:parameter name="enabled">true</atem:parameter>\n'
            '<atem:parameter name="fallback">null</atem:parameter>\n'
            '<atem:parameter name="items">["one", "two"]</atem:parameter>\n'
            '<atem:parameter name="config">{"mode": "fast"}</atem:parameter>\n'
            '</atem:invoke>\n</atem:function_calls>') in got


@pytest.mark.parametrize("think,want", [(None, "high"), (True, "high"), (False, "none"), ("medium", "medium")])
def test_reasoning_strength(think, want):
    assert f"Reasoning strength: {want}." in render([{"role": "user", "content": "Hello"}], think=think)


def test_tool_result_name():
    got = render([
        {"role": "assistant", "tool_calls": [{"id": "call_1", "function": {"name": "get_weather", "arguments": {}}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": '{"temp":65}'},
        {"role": "tool", "tool_call_id": "missing", "content": "not found"},
    ])
    assert '<|start|>tool get_weather<|message|><tool_output name="get_weather">\n{"temp":65}\n</tool_output><|eot|>' in got
    assert '<|start|>tool missing<|message|><tool_output name="missing">\nnot found\n</tool_output><|eot|>' in got


def test_registered():
    renderer = renderer_for("glimmer")
    assert isinstance(renderer, GlimmerRenderer) and renderer.use_img_tags and renderer.leading_bos == BOS


def test_parser_renderer_tool_loop_round_trip():
    tools = [
        {"type": "function", "function": {"name": "issue", "description": "Read an issue and its recent comments.",
                                          "parameters": {"type": "object", "required": ["number"],
                                                         "properties": {"number": {"type": "integer"}}}}},
        {"type": "function", "function": {"name": "read", "description": "Read a repository file.",
                                          "parameters": {"type": "object", "required": ["path"],
                                                         "properties": {"path": {"type": "string"}}}}},
    ]
    messages = [{"role": "user", "content": "Investigate issue 1736 and inspect server/download.go."}]

    def turn(raw):
        parser = parser_for("glimmer")
        parser.init(tools, None, None)
        content, thinking, calls = parser.add(raw, True)
        return {"role": "assistant", "content": content, "thinking": thinking, "tool_calls": calls}

    def assert_prompt_ends_with_generation_prefix():
        assert GlimmerRenderer(current_date=DATE).render(messages, tools, None).endswith("<|start|>assistant")

    assert_prompt_ends_with_generation_prefix()
    issue = turn(" to=self<|message|>I need the issue details.<|eom|><|start|>assistant to=issue<|message|>"
                 '<atem:function_calls>\n<atem:invoke name="issue">\n<atem:parameter name="number">1736'
                 "</atem:parameter>\n</atem:invoke>\n</atem:function_calls><|eot|>")
    assert issue["thinking"] == "I need the issue details." and len(issue["tool_calls"]) == 1
    assert issue["tool_calls"][0]["function"]["arguments"] == {"number": 1736}
    issue["tool_calls"][0]["id"] = "call_issue"
    messages += [issue, {"role": "tool", "tool_call_id": "call_issue",
                         "content": "Issue 1736 links the proposed first-byte fix."}]
    assert_prompt_ends_with_generation_prefix()
    read = turn(" to=self<|message|>Now inspect the implementation.<|eom|><|start|>assistant to=read<|message|>"
                '<atem:function_calls>\n<atem:invoke name="read">\n<atem:parameter name="path">server/download.go'
                "</atem:parameter>\n</atem:invoke>\n</atem:function_calls><|eot|>")
    assert read["thinking"] == "Now inspect the implementation." and len(read["tool_calls"]) == 1
    assert read["tool_calls"][0]["function"]["arguments"] == {"path": "server/download.go"}
    read["tool_calls"][0]["id"] = "call_read"
    messages += [read, {"role": "tool", "tool_call_id": "call_read",
                        "content": "The inactivity clock starts only after the first body byte."}]
    assert_prompt_ends_with_generation_prefix()
    answer = turn(" to=self<|message|>I have enough evidence.<|eom|><|start|>assistant to=user<|message|>"
                  "The proposed fix is plausible.<|eot|>")
    assert (answer["thinking"], answer["content"], answer["tool_calls"]) == \
        ("I have enough evidence.", "The proposed fix is plausible.", [])
    messages.append(answer)
    assert_prompt_ends_with_generation_prefix()
