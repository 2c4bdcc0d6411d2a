"""Modelfile parse / render, checked against the cases of Ollama's parser tests."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pollama.modelfile import (
    MESSAGE_ROLES,
    Command,
    Modelfile,
    ModelfileError,
    parse,
    quote,
    render_show_modelfile,
)
from pollama.prompt.gofmt import format_value as go_value

LLAMA3_TEMPLATE = (
    "{{ if .System }}<|start_header_id|>system<|end_header_id|>\n\n{{ .System }}<|eot_id|>{{ end }}"
    "{{ if .Prompt }}<|start_header_id|>user<|end_header_id|>\n\n{{ .Prompt }}<|eot_id|>{{ end }}"
    "<|start_header_id|>assistant<|end_header_id|>\n\n{{ .Response }}<|eot_id|>"
)


def cmds(text: str) -> list[tuple[str, str]]:
    return [(c.name, c.args) for c in parse(text).commands]


def error(text: str) -> str:
    with pytest.raises(ModelfileError) as e:
        parse(text)
    return str(e.value)


def test_every_instruction() -> None:
    text = f"""
FROM model1
ADAPTER adapter1
LICENSE MIT
PARAMETER temperature 0.5
PARAMETER stop </s>
TEMPLATE \"\"\"{LLAMA3_TEMPLATE}\"\"\"
SYSTEM You are a helpful assistant.
MESSAGE system Be brief.
MESSAGE user Hey there!
MESSAGE assistant Hello!
MESSAGE tool {{"ok": true}}
REQUIRES 0.14.0
DRAFT ./draft
RENDERER qwen3
PARSER qwen3
"""
    assert cmds(text) == [
        ("model", "model1"), ("adapter", "adapter1"), ("license", "MIT"), ("temperature", "0.5"),
        ("stop", "</s>"), ("template", LLAMA3_TEMPLATE), ("system", "You are a helpful assistant."),
        ("message", "system: Be brief."), ("message", "user: Hey there!"), ("message", "assistant: Hello!"),
        ("message", 'tool: {"ok": true}'), ("requires", "0.14.0"), ("draft", "./draft"),
        ("renderer", "qwen3"), ("parser", "qwen3"),
    ]


def test_instruction_names_are_case_insensitive() -> None:
    assert cmds("from a\nsystem x\nParameter top_k 3\nmEsSaGe user hi\nLicense L") == [
        ("model", "a"), ("system", "x"), ("top_k", "3"), ("message", "user: hi"), ("license", "L"),
    ]


def test_trim_space() -> None:  # Ollama's TestParseFileTrimSpace
    text = (
        '\nFROM "     model 1"\nADAPTER      adapter3\nLICENSE "MIT       "\nPARAMETER num_ctx        2048\n'
        'PARAMETER top_k    7\nTEMPLATE """   {{ .System }}\n\n{{ .Prompt }}   """    \n'
    )
    assert cmds(text) == [
        ("model", "     model 1"), ("adapter", "adapter3"), ("license", "MIT       "), ("num_ctx", "2048"),
        ("top_k", "7"), ("template", "   {{ .System }}\n\n{{ .Prompt }}   "),
    ]


@pytest.mark.parametrize(("text", "expected"), [  # Ollama's TestParseFileFrom
    ('FROM "FOO  BAR  "', [("model", "FOO  BAR  ")]),
    ('FROM "FOO BAR"\nPARAMETER top_k 1', [("model", "FOO BAR"), ("top_k", "1")]),
    ("FROM     FOOO BAR    ", [("model", "FOOO BAR")]),
    ("FROM /what/is/the path ", [("model", "/what/is/the path")]),
    ("FROM llama3:7b-instruct-q4_K_M", [("model", "llama3:7b-instruct-q4_K_M")]),
    ("PARAMETER top_k 1\nFROM foo", [("top_k", "1"), ("model", "foo")]),
    ("PARAMETER stop the \nFROM lemons make lemonade ", [("stop", "the"), ("model", "lemons make lemonade")]),
    ("FROM\tfoo\t", [("model", "foo")]),
    ("FROM foo # not a comment", [("model", "foo # not a comment")]),
])
def test_from(text: str, expected: list[tuple[str, str]]) -> None:
    assert cmds(text) == expected


@pytest.mark.parametrize(("value", "expected"), [  # Ollama's TestParseFileQuoted
    ('"""\nThis is a\nmultiline system.\n"""', "\nThis is a\nmultiline system.\n"),
    ('"""\nThis is a\nmultiline system."""', "\nThis is a\nmultiline system."),
    ('"""This is a\nmultiline system."""', "This is a\nmultiline system."),
    ('"""This is a multiline system."""', "This is a multiline system."),
    ('"""\nThis is a multiline system with "quotes".\n"""', '\nThis is a multiline system with "quotes".\n'),
    ('""""""', ""),
    ('""', ""),
    ('"\'"', "'"),
    ('"""\'\'"\'""\'""\'"\'\'\'\'\'""\'""\'"""', '\'\'"\'""\'""\'"\'\'\'\'\'""\'""\''),
    ('"a" b"', 'a" b'),  # only the first and last character count
    ('hello"', 'hello"'),
    ('"""  spaced  """   ', "  spaced  "),
    ('"one\ntwo"', "one\ntwo"),
    ('"""tab\there"""', "tab\there"),
    ("a\tb", "a\tb"),
    ('"no \\n escapes"', "no \\n escapes"),
])
def test_quoted_values(value: str, expected: str) -> None:
    assert cmds(f"FROM foo\nSYSTEM {value}\n") == [("model", "foo"), ("system", expected)]


def test_quoted_value_at_end_of_file() -> None:
    assert cmds('FROM foo\nTEMPLATE """\n{{ .Prompt }}\n"""') == [("model", "foo"), ("template", "\n{{ .Prompt }}\n")]


@pytest.mark.parametrize(("line", "name", "value"), [  # Ollama's TestParseFileParameters
    ("num_ctx 1", "num_ctx", "1"), ("num_batch 1", "num_batch", "1"), ("num_gpu 1", "num_gpu", "1"),
    ("main_gpu 1", "main_gpu", "1"), ("use_mmap true", "use_mmap", "true"), ("num_thread 1", "num_thread", "1"),
    ("num_keep 1", "num_keep", "1"), ("seed 1", "seed", "1"), ("num_predict 1", "num_predict", "1"),
    ("top_k 1", "top_k", "1"), ("top_p 1.0", "top_p", "1.0"), ("min_p 0.05", "min_p", "0.05"),
    ("typical_p 1.0", "typical_p", "1.0"), ("repeat_last_n 1", "repeat_last_n", "1"),
    ("temperature 1.0", "temperature", "1.0"), ("repeat_penalty 1.0", "repeat_penalty", "1.0"),
    ("presence_penalty 1.0", "presence_penalty", "1.0"), ("frequency_penalty 1.0", "frequency_penalty", "1.0"),
    ("stop ### User:", "stop", "### User:"), ("stop ### User: ", "stop", "### User:"),
    ('stop "### User:"', "stop", "### User:"), ('stop "### User: "', "stop", "### User: "),
    ('stop """### User:"""', "stop", "### User:"), ('stop """### User:\n"""', "stop", "### User:\n"),
    ("stop <|endoftext|>", "stop", "<|endoftext|>"), ("stop </s>", "stop", "</s>"),
    ("  stop   x", "stop", "x"),  # extra blanks before the name: a leniency over Ollama
])
def test_parameters(line: str, name: str, value: str) -> None:
    assert cmds(f"FROM foo\nPARAMETER {line}\n") == [("model", "foo"), (name, value)]


def test_parameters_typed() -> None:
    mf = parse("FROM x\nPARAMETER temperature 0.7\nPARAMETER num_ctx 4096\nPARAMETER use_mmap false\n"
               "PARAMETER stop <|im_end|>\nPARAMETER stop \"User:\"\nPARAMETER temperature 0.2\n")
    assert mf.parameters() == {"temperature": 0.2, "num_ctx": 4096, "use_mmap": False,
                               "stop": ["<|im_end|>", "User:"]}
    assert parse("FROM x").parameters() == {}


def test_deprecated_parameters_warn_and_are_left_out(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="pollama"):
        mf = parse("FROM x\nPARAMETER mirostat 2\nPARAMETER penalize_newline true\nPARAMETER top_k 5\n")
    assert "parameter mirostat is deprecated" in caplog.text
    assert "parameter penalize_newline is deprecated" in caplog.text
    assert mf.parameters() == {"top_k": 5}
    assert mf.all("mirostat") == ["2"]  # kept as written, so rendering keeps it


@pytest.mark.parametrize("name", ["mirostat", "mirostat_eta", "mirostat_tau", "penalize_newline", "tfs_z", "numa",
                                  "low_vram", "f16_kv", "vocab_only", "use_mlock"])
def test_every_deprecated_parameter_warns(name: str, caplog: pytest.LogCaptureFixture) -> None:
    value = "true" if name in ("penalize_newline", "numa", "low_vram", "f16_kv", "vocab_only", "use_mlock") else "1"
    with caplog.at_level(logging.WARNING, logger="pollama"):
        mf = parse(f"FROM x\nPARAMETER {name} {value}\nPARAMETER seed 4\n")
    assert f"parameter {name} is deprecated" in caplog.text
    assert mf.parameters() == {"seed": 4}


def test_comments_and_blank_lines() -> None:
    text = "\n# comment\n   # indented comment\nFROM foo\n\n\t\n# FROM bar\nSYSTEM s # tail\n#"
    assert cmds(text) == [("model", "foo"), ("system", "s # tail")]


def test_messages_and_accessors() -> None:
    mf = parse('FROM a\nFROM ./proj.gguf\nSYSTEM one\nSYSTEM two\nLICENSE MIT\nLICENSE """Apache\n2.0"""\n'
               'MESSAGE user what: is this?\nMESSAGE assistant """multi\nline"""\n')
    assert mf.messages() == [{"role": "user", "content": "what: is this?"},
                             {"role": "assistant", "content": "multi\nline"}]
    assert mf.get("model") == "a"  # later FROM lines add files (projectors)
    assert mf.all("model") == ["a", "./proj.gguf"]
    assert mf.get("system") == "two"  # a later instruction overrides
    assert mf.all("license") == ["MIT", "Apache\n2.0"]
    assert mf.get("template") is None and mf.all("adapter") == []


def test_line_endings_bom_and_encodings() -> None:
    text = "FROM bob\r\nPARAMETER top_k 1\r\nSYSTEM \"\"\"a\r\nb\"\"\"\r\nSYSTEM You are a utf16 file.\r\n"
    expected = [("model", "bob"), ("top_k", "1"), ("system", "a\r\nb"), ("system", "You are a utf16 file.")]
    assert cmds(text) == expected
    assert cmds("\ufeff" + text) == expected
    for encoded in (text.encode("utf-16"), b"\xfe\xff" + text.encode("utf-16-be"),
                    b"\xef\xbb\xbf" + text.encode(), text.encode()):
        assert [(c.name, c.args) for c in parse(encoded).commands] == expected


def test_unprintable_characters_are_dropped_but_tabs_and_newlines_kept() -> None:
    assert cmds("FROM a\x00b\x07\nSYSTEM \"x\u00a0\ty\x1b\nz\"\n") == [("model", "ab"), ("system", "x\ty\nz")]
    assert cmds("FROM café ☕ 模型\n") == [("model", "café ☕ 模型")]


@pytest.mark.parametrize(("text", "message"), [
    ("\nFROM foo\nBADCOMMAND param1 value1\n", "(line 3): unknown instruction: BADCOMMAND"),
    ("FROM foo\nFROM2 x\n", "(line 2): unknown instruction: FROM2"),
    ("FROM foo\n\"quoted\" x\n", '(line 2): unknown instruction: "quoted"'),
    ("FROM foo\nbogus\n", "(line 2): unknown instruction: bogus"),
    ("", "no FROM line"),
    ("# only a comment\n", "no FROM line"),
    ("PARAMETER top_k 1", "no FROM line"),
    ("\nFROM foo\nPARAMETER top_k\n", "(line 3): missing value for parameter 'top_k'"),
    ("FROM foo\nPARAMETER\n", "(line 2): missing value for PARAMETER"),
    ("FROM foo\nPARAMETER top-k 1\n", "(line 2): unknown parameter 'top-k'"),
    ("FROM foo\nPARAMETER bogus 1\n", "(line 2): unknown parameter 'bogus'"),
    ("FROM foo\nPARAMETER temperature hot\n", "(line 2): invalid float value [hot] for parameter 'temperature'"),
    ("FROM foo\nPARAMETER num_ctx 2k\n", "(line 2): invalid int value [2k] for parameter 'num_ctx'"),
    ("FROM foo\nPARAMETER use_mmap maybe\n", "(line 2): invalid bool value [maybe] for parameter 'use_mmap'"),
    ("\nFROM foo\nMESSAGE badguy I'm a bad guy!\n",
     '(line 3): message role must be one of "system", "user", "assistant", or "tool"'),
    ("FROM foo\nMESSAGE User hi\n", '(line 2): message role must be one of "system", "user", "assistant", or "tool"'),
    ("FROM foo\nMESSAGE user: hi\n",
     '(line 2): message role must be one of "system", "user", "assistant", or "tool"'),
    ("FROM foo\nMESSAGE system\n", "(line 2): missing value for MESSAGE"),
    ("FROM foo\nMESSAGE system", "(line 2): missing value for MESSAGE"),
    ("FROM foo\nSYSTEM\n", "(line 2): missing value for SYSTEM"),
    ("FROM", "(line 1): missing value for FROM"),
    ('FROM foo\nSYSTEM """This is a multiline system.""\n',
     "(line 2): unexpected EOF: unterminated quoted value"),
    ('FROM foo\nSYSTEM "\n   ', "(line 2): unexpected EOF: unterminated quoted value"),
    ('FROM foo\n\nLICENSE """\nline\n', "(line 3): unexpected EOF: unterminated quoted value"),
    ("FROM foo\r\nX y\r\n", "(line 2): unknown instruction: X"),
    ("FROM foo\nREQUIRES latest\n", "(line 2): requires must be a valid semver (e.g. 0.14.0)"),
    ("FROM foo\nREQUIRES 0.14.01\n", "(line 2): requires must be a valid semver (e.g. 0.14.0)"),
])
def test_errors(text: str, message: str) -> None:
    assert error(text) == message


def test_requires_accepts_semver_forms() -> None:
    for version in ["0.14.0", "v0.14.0", "1", "1.2", "0.14.0-rc1", "1.0.0+build.5"]:
        assert cmds(f"FROM a\nREQUIRES {version}") == [("model", "a"), ("requires", version)]


def test_render_matches_ollamas_string() -> None:
    mf = Modelfile([
        Command("model", "/models/blobs/sha256-abc"), Command("adapter", "lora.gguf"),
        Command("template", "{{ .System }}\nUSER: {{ .Prompt }}"), Command("system", "Be terse."),
        Command("num_ctx", "4096"), Command("stop", "</s>"), Command("stop", " lead"),
        Command("license", 'Say "hi"'), Command("license", 'multi\n"quoted"'),
        Command("message", "user: hello"), Command("message", "assistant: a\nb"),
        Command("requires", "0.14.0"), Command("renderer", "r"), Command("parser", "p"), Command("draft", "d"),
    ])
    assert mf.render() == (
        "FROM /models/blobs/sha256-abc\n"
        "ADAPTER lora.gguf\n"
        'TEMPLATE "{{ .System }}\nUSER: {{ .Prompt }}"\n'
        "SYSTEM Be terse.\n"
        "PARAMETER num_ctx 4096\n"
        "PARAMETER stop </s>\n"
        'PARAMETER stop " lead"\n'
        'LICENSE Say "hi"\n'
        'LICENSE """multi\n"quoted\""""\n'
        "MESSAGE user hello\n"
        'MESSAGE assistant "a\nb"\n'
        "REQUIRES 0.14.0\n"
        "RENDERER r\n"
        "PARSER p\n"
        "DRAFT d\n"
    )
    assert parse(mf.render()) == mf


@pytest.mark.parametrize(("value", "written"), [
    ("plain", "plain"), ("two words", "two words"), ('in"side', 'in"side'), ("", '""'),
    (" lead", '" lead"'), ("trail ", '"trail "'), ("\ttab", '"\ttab"'), ("a\nb", '"a\nb"'), ("a\rb", '"a\rb"'),
    ('"quoted"', '""""quoted""""'), ('"', '"""""""'), ('a\n"b"', '"""a\n"b""""'), ('x"', 'x"'),
])
def test_quote(value: str, written: str) -> None:
    assert quote(value) == written
    assert cmds(f"FROM a\nSYSTEM {written}\n")[1] == ("system", value)


def test_round_trip_of_ollamas_format_cases() -> None:  # Ollama's TestParseFileFormatParseFile
    cases = [
        "\nFROM foo\nADAPTER adapter1\nLICENSE MIT\nPARAMETER top_k 1\nPARAMETER stop value2\nTEMPLATE template1\n"
        "MESSAGE system You are a file parser. Always parse things.\nMESSAGE user Hey there!\n"
        "MESSAGE assistant Hello, I want to parse all the things!\n",
        '\nFROM foo\nADAPTER adapter1\nLICENSE """\nVery long and boring legal text.\nBlah blah blah.\n'
        '"Oh look, a quote!"\n"""\n\nPARAMETER top_k 1\nTEMPLATE template1\nMESSAGE system """\n'
        'You are a store greeter. Always respond with "Hello!".\n"""\nMESSAGE user Hey there!\n',
        '\nFROM foo\nSYSTEM ""\n',
    ]
    for text in cases:
        mf = parse(text)
        assert parse(mf.render()) == mf


def test_go_value() -> None:
    assert [go_value(v) for v in (True, False, 7, -3, "s", ["a", 1])] == ["true", "false", "7", "-3", "s", "[a 1]"]
    floats = {0.3: "0.3", 1.0: "1", 100.0: "100", 123456.0: "123456", 1e6: "1e+06", 1234567.5: "1.2345675e+06",
              0.0001: "0.0001", 1e-05: "1e-05", -2.5: "-2.5", 0.0: "0", 1.5e22: "1.5e+22", 0.12345679: "0.12345679"}
    assert {k: go_value(k) for k in floats} == floats


def test_render_show_modelfile() -> None:
    text = render_show_modelfile(
        "smol:latest", "/store/blobs/sha256-123", "{{ .Prompt }}", "You are terse.",
        {"temperature": 0.3, "stop": ["<|im_end|>", "User:"], "num_ctx": 2048, "use_mmap": False},
        [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello\nthere"}],
        ["MIT", "Apache"], ["/store/blobs/sha256-lora"],
    )
    assert text == (
        '# Modelfile generated by "ollama show"\n'
        "# To build a new Modelfile based on this, replace FROM with:\n"
        "# FROM smol:latest\n"
        "\n"
        "FROM /store/blobs/sha256-123\n"
        "ADAPTER /store/blobs/sha256-lora\n"
        "TEMPLATE {{ .Prompt }}\n"
        "SYSTEM You are terse.\n"
        "PARAMETER num_ctx 2048\n"
        "PARAMETER stop <|im_end|>\n"
        "PARAMETER stop User:\n"
        "PARAMETER temperature 0.3\n"
        "PARAMETER use_mmap false\n"
        "LICENSE MIT\n"
        "LICENSE Apache\n"
        "MESSAGE user hi\n"
        'MESSAGE assistant "hello\nthere"\n'
    )
    mf = parse(text)  # what show prints can be fed back to create
    assert mf.parameters() == {"num_ctx": 2048, "stop": ["<|im_end|>", "User:"], "temperature": 0.3,
                               "use_mmap": False}
    assert mf.get("model") == "/store/blobs/sha256-123" and mf.get("system") == "You are terse."


def test_render_show_modelfile_minimal() -> None:
    text = render_show_modelfile("m:latest", "/b", None, None, None, None, "Only license", None)
    assert text.endswith("\n\nFROM /b\nLICENSE Only license\n")
    text = render_show_modelfile("m:latest", "/b", "", "", {}, [], [], [])
    assert text.endswith('\n\nFROM /b\nTEMPLATE ""\n')


# ---- property: parse(render(m)) == m -------------------------------------------------------------------

_chars = st.one_of(
    st.characters(codec="utf-8").filter(str.isprintable),
    st.sampled_from(['"', " ", "\t", "\n", "\r", "#", ":", "\\"]),
)
_text = st.text(_chars, max_size=40).filter(lambda t: not ('"""' in t and ("\n" in t or "\r" in t)))
_go_bools = st.sampled_from(["true", "false", "1", "0", "t", "F", "TRUE", "False"])
_int_params = st.sampled_from(["num_ctx", "num_batch", "num_gpu", "main_gpu", "num_thread", "num_keep", "seed",
                               "num_predict", "top_k", "repeat_last_n"])
_float_params = st.sampled_from(["top_p", "min_p", "typical_p", "temperature", "repeat_penalty",
                                 "presence_penalty", "frequency_penalty"])
_semver = st.builds(lambda a, b, c, v: f"{v}{a}.{b}.{c}", st.integers(0, 20), st.integers(0, 99),
                    st.integers(0, 9), st.sampled_from(["", "v"]))
_command = st.one_of(
    st.builds(Command, st.sampled_from(["template", "system", "adapter", "license", "draft", "renderer",
                                        "parser"]), _text),
    st.builds(lambda role, content: Command("message", f"{role}: {content}"), st.sampled_from(MESSAGE_ROLES), _text),
    st.builds(Command, st.just("stop"), _text),
    st.builds(lambda n, i: Command(n, str(i)), _int_params, st.integers(-(2**63), 2**63 - 1)),
    st.builds(lambda n, f: Command(n, repr(f)), _float_params,
              st.floats(width=32, allow_nan=False, allow_infinity=False)),
    st.builds(Command, st.just("use_mmap"), _go_bools),
    st.builds(Command, st.just("requires"), _semver),
    st.builds(Command, st.just("model"), _text),
)
_modelfile = st.builds(lambda first, rest: Modelfile([Command("model", first), *rest]), _text,
                       st.lists(_command, max_size=8))


@settings(max_examples=300, deadline=None)
@given(_modelfile)
def test_render_then_parse_round_trips(mf: Modelfile) -> None:
    assert parse(mf.render()) == mf


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_chars, st.sampled_from(["FROM ", "PARAMETER ", "MESSAGE user ", "SYSTEM ", '"""',
                                                   "stop ", "temperature ", "\x00", "\n"])), max_size=40))
def test_parse_never_fails_other_than_with_modelfile_error(tokens: list[str]) -> None:
    text = "".join(tokens)
    try:
        mf = parse(text)
    except ModelfileError:
        return
    assert parse(mf.render()) == mf or any('"""' in c.args for c in mf.commands)
