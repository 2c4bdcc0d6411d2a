"""Ollama's model/parsers/glimmer_test.go, case for case (the fuzz test's seeds at every split); the
single-Add cases also at every split."""

from __future__ import annotations

import pytest

from pollama.prompt.parsers import ParseError, parser_for
from pollama.prompt.parsers.glimmer import GlimmerParser, resolve_tool_name, tools_by_name

from .streaming import feed, splits


def tool(name, props=None):
    return {"type": "function", "function": {"name": name, "parameters": {"type": "object", "properties": props}}}


def strings(*names):
    return {n: {"type": "string"} for n in names}


def atem(name, params):
    return f'<atem:function_calls>\n<atem:invoke name="{name}">\n{params}</atem:invoke>\n</atem:function_calls>'


def param(name, value):
    return f'<atem:parameter name="{name}">{value}</atem:parameter>\n'


def parser(tools=None, think=None):
    p = GlimmerParser()
    p.init(tools, None, think)
    return p


def call(name, args, index=0):
    return {"function": {"index": index, "name": name, "arguments": args}}


WEATHER = tool("get_weather", strings("city"))
READ = tool("read", strings("path"))
ECHO = tool("echo", strings("text"))
MUSE = tool("muse.bash", strings("command"))
MUSE_ATEM = atem("muse.bash", param("command", "pwd && ls -la"))
CONTROL_TEXT = "literal <|eot|> and <|start|>assistant to=user<|message|> text"
VALUE_TYPES = tool("tools.run", {"text": {"type": "string"}, "count": {"type": "integer"},
                                 "enabled": {"type": "boolean"}, "items": {"type": "array"},
                                 "config": {"type": "object"},
                                 "choice": {"anyOf": [{"type": "null"}, {"type": "string"}]}})

# (name, tools, think, output, content, thinking, calls): one Add with done=True
WHOLE = [
    ("final answer", None, None, " to=user<|message|>Hello", "Hello", "", []),
    ("self recipient is thinking", None, None, " to=self<|message|>Check the facts.", "", "Check the facts.", []),
    ("suppresses thinking", None, False,
     " to=self<|message|>Check the facts.<|eom|><|start|>assistant to=user<|message|>Answer<|eot|>", "Answer", "", []),
    ("streaming ATEM", [WEATHER], None, " to=get_weather<|message|>" + atem("get_weather", param("city", "SF"))
     + "<|eot|>", "", "", [call("get_weather", {"city": "SF"})]),
    ("ATEM value types and whitespace", [VALUE_TYPES], None,
     " to=tools.run<|message|>" + atem("tools.run", param("text", " keep  spaces ") + param("count", "3")
                                        + param("enabled", "true") + param("items", '["one", "two"]')
                                        + param("config", '{"mode":"fast"}') + param("choice", "null")), "", "",
     [call("tools.run", {"text": " keep  spaces ", "count": 3, "enabled": True, "items": ["one", "two"],
                         "config": {"mode": "fast"}, "choice": None})]),
    ("ATEM value may contain control token text", [ECHO], None,
     " to=echo<|message|>" + atem("echo", param("text", CONTROL_TEXT)) + "<|eot|>", "", "",
     [call("echo", {"text": CONTROL_TEXT})]),
    ("multiple messages and indices", [tool("first", {"x": {"type": "integer"}}), tool("second")], None,
     " to=self<|message|>Think<|eom|><|start|>assistant to=first<|message|>" + atem("first", param("x", "1"))
     + "<|eom|><|start|>assistant to=second<|message|>" + atem("second", "") + "<|eot|>", "", "Think",
     [call("first", {"x": 1}), call("second", {}, 1)]),
    ("stray message tag in invoke name", [READ], None,
     " to=read<|message|>" + atem("read<|message|>", param("path", "go.mod")) + "<|eot|>", "", "",
     [call("read", {"path": "go.mod"})]),
    *[(f"message tag replaces invoke terminator: {name}", [READ], None,
       ' to=read<|message|><atem:function_calls>\n<atem:invoke name="' + invoke
       + "</atem:invoke>\n</atem:function_calls><|eot|>", "", "", [call("read", {"path": "go.mod"})])
      for name, invoke in (("terminator replaced", "read<|message|>" + param("path", "go.mod")),
                           ("tag mid-name", 're<|message|>ad">' + param("path", "go.mod")),
                           ("repeated tags", 'read<|message|><|message|>">' + param("path", "go.mod")))],
    ("message tag in param value untouched", [ECHO], None,
     " to=echo<|message|>" + atem("echo", param("text", "keep <|message|> literal")) + "<|eot|>", "", "",
     [call("echo", {"text": "keep <|message|> literal"})]),
    *[(f"namespaced self reference {recipient} {invoke}", [READ], None,
       f" to={recipient}<|message|>" + atem(invoke, param("path", "go.mod")) + "<|eot|>", "", "",
       [call("read", {"path": "go.mod"})])
      for recipient, invoke in (("read", "read.read"), ("read.read", "read.read"), ("read.read", "read"))],
    *[(f"fumbled recipient: {name}", [MUSE], None, text, content, thinking,
       [call("muse.bash", {"command": "pwd && ls -la"})])
      for name, text, content, thinking in (
          ("namespace recipient", " to=muse<|message|>" + MUSE_ATEM + "<|eom|>", "", ""),
          ("missing recipient", "<|message|>" + MUSE_ATEM + "<|eom|>", "", ""),
          ("user recipient", " to=user<|message|>" + MUSE_ATEM + "<|eot|>", "", ""),
          ("wrapper as recipient", " to=atem:function_calls<|message|>" + MUSE_ATEM + "<|eom|>", "", ""),
          ("after thinking", " to=self<|message|>let me look<|eom|><|start|>assistant<|message|>" + MUSE_ATEM
           + "<|eom|>", "", "let me look"),
          ("implicit boundary", "<|message|>" + MUSE_ATEM + "<|start|>assistant to=user<|message|>Done<|eot|>",
           "Done", ""))],
    ("fumbled recipient streaming", [tool("muse.bash", strings("command"))], None,
     "<|message|>" + atem("muse.bash", param("command", "pwd")) + "<|eom|>", "", "",
     [call("muse.bash", {"command": "pwd"})]),
    *[(f"resembles tool call: {name}", tools, None, text, content, "", [])
      for name, tools, text, content in (
          ("undeclared tool", [MUSE], " to=user<|message|>" + atem("other.run", "") + "<|eot|>", atem("other.run", "")),
          ("leading prose", [MUSE], " to=user<|message|>Running:\n" + MUSE_ATEM + "<|eot|>", "Running:\n" + MUSE_ATEM),
          ("trailing prose", [MUSE], " to=user<|message|>" + MUSE_ATEM + "\nDone.<|eot|>", MUSE_ATEM + "\nDone."),
          ("no tools declared", None, " to=user<|message|>" + MUSE_ATEM + "<|eot|>", MUSE_ATEM))],
    ("undeclared recipient remains content", None, None, " to=not_a_tool<|message|>" + atem("not_a_tool", ""),
     atem("not_a_tool", ""), "", []),
    ("implicit message boundary", [WEATHER], None,
     " to=self<|message|>Think<|start|>assistant to=get_weather<|message|>" + atem("get_weather", param("city", "SF"))
     + "<|start|>assistant to=user<|message|>Done<|eot|>", "Done", "Think", [call("get_weather", {"city": "SF"})]),
]


@pytest.mark.parametrize("name,tools,think,text,content,thinking,calls", WHOLE, ids=[c[0] for c in WHOLE])
def test_whole_output(name, tools, think, text, content, thinking, calls):
    assert parser(tools, think).add(text, True) == (content, thinking, calls)


@pytest.mark.parametrize("name,tools,think,text,content,thinking,calls", WHOLE, ids=[c[0] for c in WHOLE])
def test_whole_output_at_every_split(name, tools, think, text, content, thinking, calls):
    """Go runs this for the streaming ATEM, multiple-message and fumbled-recipient cases; here for all."""
    for pieces in splits(text):
        assert feed(parser(tools, think), pieces) == (content, thinking, calls), pieces


def test_namespace_resolution_stays_strict():
    tools = tools_by_name([tool("read"), tool("repo.read")])
    for name, want in (("read", ("read", True)), ("read.read", ("read", True)), ("repo.read", ("repo.read", True)),
                       ("functions.read", ("functions.read", False)), ("write.write", ("write.write", False)),
                       ("repo.repo.read", ("repo.read", True))):
        assert resolve_tool_name(tools, name) == want, name


def test_rejects_mismatched_atem_invoke():
    with pytest.raises(ParseError, match="does not match"):
        parser([tool("get_weather")]).add(" to=get_weather<|message|>" + atem("read_file", ""), True)


def test_rejects_malformed_atem():
    with pytest.raises(ParseError, match="function_calls wrapper"):
        parser([tool("get_weather")]).add(' to=get_weather<|message|>{"city":"SF"}', True)


def test_withholds_split_control_token():
    p = parser()
    assert p.add(" to=user<|message|>Hello<|eo", False)[0] == "Hello"
    assert p.add("t|>", True)[0] == ""


@pytest.mark.parametrize("recipient,content,thinking", [("user", "Use `<|start|>` here.", ""),
                                                        ("self", "", "Use `<|start|>` here.")])
def test_literal_start_token_in_messages(recipient, content, thinking):
    chunks = [f" to={recipient}<|message|>Use `<", "|", "start", "|>` here."]
    assert feed(parser(), chunks) == (content, thinking, [])


FUZZ_SEEDS = [
    " to=user<|message|>Hello<|eot|>",
    " to=self<|message|>Think<|eom|><|start|>assistant to=user<|message|>Done<|eot|>",
    " to=echo<|message|>" + atem("echo", '<atem:parameter name="text">value</atem:parameter>'),
    ' to=echo<|message|><atem:function_calls><atem:invoke name="other">',
    "literal <|start|> and <|message|> text",
]


@pytest.mark.parametrize("seed", FUZZ_SEEDS)
def test_fuzz_seeds_emit_only_declared_calls_in_order(seed):
    """FuzzGlimmerParser's property on its seeds, at every split: an error or declared, increasing calls."""
    for pieces in splits(seed):
        try:
            _, _, calls = feed(parser([ECHO]), pieces)
        except ParseError:
            continue
        assert all(c["function"]["name"] == "echo" for c in calls)
        assert [c["function"]["index"] for c in calls] == sorted({c["function"]["index"] for c in calls})


def test_registered():
    p = parser_for("glimmer")
    assert isinstance(p, GlimmerParser) and p.has_tool_support and p.has_thinking_support
