"""Go text/template interpreter: one test group per construct; expected strings are what Go prints."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from pollama.prompt.gotemplate import Template, TemplateError


def run(src: str, data: Any = None, name: str = "t") -> str:
    return Template.parse(src, name).execute(data)


def err(src: str, data: Any = None, name: str = "t") -> str:
    with pytest.raises(TemplateError) as e:
        run(src, data, name)
    return str(e.value)


# ---- text, actions, trimming, comments -------------------------------------------------------------------
def test_text_and_actions() -> None:
    assert run("hello") == "hello"
    assert run("") == ""
    assert run("a{{.}}b", "X") == "aXb"
    assert run("{{ .Name }}!", {"Name": "Ada"}) == "Ada!"


def test_trim_markers() -> None:
    assert run("a  \n {{- 1 -}} \n  b") == "a1b"
    assert run("a {{- 1 }} b") == "a1 b"
    assert run("a {{ 1 -}} b") == "a 1b"
    assert run("{{-3}}") == "-3"  # no space after '-': a number, not a trim marker
    assert run("x\n\t{{- /* note */ -}}\n\ty") == "xy"
    assert run("{{ if true -}}\n  yes\n{{- end }}") == "yes"


def test_comments() -> None:
    assert run("a{{/* a comment */}}b") == "ab"
    assert run("a{{/* multi\nline */}}b") == "ab"
    assert err("{{/* x */ }}") == "template: t:1:2: comment ends before closing delimiter"
    assert err("{{/* x") == "template: t:1:2: unclosed comment"


def test_newlines_inside_actions() -> None:
    assert run("{{ if\n  .A\n}}yes{{ end }}", {"A": True}) == "yes"


# ---- conditionals -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("value", "truth"), [
    (True, True), (False, False), (0, False), (2, True), (0.0, False), (0.5, True), ("", False), ("x", True),
    ([], False), ([0], True), ({}, False), ({"a": 1}, True), (None, False),
])
def test_truthiness(value: Any, truth: bool) -> None:
    assert run("{{ if .V }}T{{ else }}F{{ end }}", {"V": value}) == ("T" if truth else "F")


def test_if_else_if_chain() -> None:
    src = "{{ if eq .N 1 }}one{{ else if eq .N 2 }}two{{ else if eq .N 3 }}three{{ else }}many{{ end }}"
    assert [run(src, {"N": n}) for n in (1, 2, 3, 4)] == ["one", "two", "three", "many"]
    assert run("{{ if .Missing }}x{{ end }}", {}) == ""


def test_with_and_else_with() -> None:
    assert run("{{ with .A }}<{{ . }}>{{ end }}", {"A": "v"}) == "<v>"
    assert run("{{ with .A }}<{{ . }}>{{ else }}none{{ end }}", {"A": ""}) == "none"
    assert run("{{ with .A }}a{{ else with .B }}b={{ . }}{{ else }}c{{ end }}", {"B": 7}) == "b=7"
    assert run("{{ with $x := .A }}{{ $x }}{{ . }}{{ end }}", {"A": 3}) == "33"


# ---- range -----------------------------------------------------------------------------------------------------
def test_range_over_slices() -> None:
    assert run("{{ range . }}[{{ . }}]{{ end }}", ["a", "b"]) == "[a][b]"
    assert run("{{ range $i, $v := . }}{{ $i }}={{ $v }};{{ end }}", ["a", "b"]) == "0=a;1=b;"
    assert run("{{ range $v := . }}{{ $v }}{{ end }}", [1, 2]) == "12"
    assert run("{{ range . }}x{{ else }}empty{{ end }}", []) == "empty"
    assert run("{{ range .Missing }}x{{ else }}none{{ end }}", {}) == "none"


def test_range_over_maps_sorts_keys() -> None:
    data = {"zeta": 1, "alpha": 2, "Mid": 3}
    assert run("{{ range $k, $v := . }}{{ $k }}:{{ $v }} {{ end }}", data) == "Mid:3 alpha:2 zeta:1 "
    assert run("{{ range . }}{{ . }}{{ end }}", {2: "b", 10: "c", 1: "a"}) == "abc"


def test_range_over_int() -> None:
    assert run("{{ range 3 }}{{ . }}{{ end }}") == "012"
    assert run("{{ range $i := 2 }}<{{ $i }}>{{ end }}") == "<0><1>"
    assert run("{{ range 0 }}x{{ else }}zero{{ end }}") == "zero"
    assert "can't use 3 to iterate over more than one variable" in err("{{ range $i, $e := 3 }}{{ end }}")


def test_break_and_continue() -> None:
    src = "{{ range . }}{{ if eq . 2 }}{{ continue }}{{ end }}{{ if eq . 4 }}{{ break }}{{ end }}{{ . }}{{ end }}"
    assert run(src, [1, 2, 3, 4, 5]) == "13"
    assert err("{{ break }}") == "template: t:1:9: {{break}} outside {{range}}"
    assert err("{{ range . }}{{ else }}{{ continue }}{{ end }}") == "template: t:1:35: {{continue}} outside {{range}}"


def test_range_errors() -> None:
    assert err("{{ range .S }}{{ end }}", {"S": "abc"}) == (
        'template: t:1:9: executing "t" at <.S>: range can\'t iterate over abc')
    assert err("{{ range $a, $b, $c := . }}{{ end }}") == "template: t:1:15: too many declarations in range"


# ---- define / template / block -------------------------------------------------------------------------------
def test_define_template_block() -> None:
    src = '{{ define "item" }}<{{ . }}>{{ end }}{{ range . }}{{ template "item" . }}{{ end }}'
    assert run(src, [1, 2]) == "<1><2>"
    assert run('{{ block "b" . }}default {{ . }}{{ end }}', "x") == "default x"
    assert run('{{ define "T" }}[{{ . }}]{{ end }}{{ template "T" }}') == "[<no value>]"
    assert run('{{ define "a" }}{{ end }}{{ define "a" }}redefined{{ end }}{{ template "a" }}') == "redefined"
    assert err('{{ define "a" }}x{{ end }}{{ define "a" }}y{{ end }}') == (
        'template: t:1:50: template: multiple definition of template "a"')
    assert err('{{ template "nope" }}') == (
        'template: t:1:12: executing "t" at <{{template "nope"}}>: template "nope" not defined')


def test_template_invocations_do_not_see_caller_variables() -> None:
    assert err('{{ define "T" }}{{ $x }}{{ end }}{{ $x := 1 }}{{ template "T" }}') == (
        'template: t:1:22: undefined variable "$x"')
    assert run('{{ define "T" }}{{ $.A }}{{ end }}{{ template "T" . }}', {"A": 5}) == "5"


# ---- variables ----------------------------------------------------------------------------------------------------
def test_variables_declare_assign_and_scope() -> None:
    assert run("{{ $x := 1 }}{{ $x }}") == "1"
    assert run("{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}") == "2"
    assert run("{{ $x := 0 }}{{ range . }}{{ $x = . }}{{ end }}{{ $x }}", [4, 5, 6]) == "6"
    assert run("{{ $x := 1 }}{{ if true }}{{ $x := 2 }}{{ $x }}{{ end }}{{ $x }}") == "21"
    assert err("{{ if true }}{{ $y := 1 }}{{ end }}{{ $y }}") == 'template: t:1:41: undefined variable "$y"'
    assert run("{{ range .L }}{{ $.Title }}{{ . }}{{ end }}", {"Title": "T", "L": [1, 2]}) == "T1T2"


def test_variable_field_chains() -> None:
    assert run("{{ $m := .M }}{{ $m.A.B }}", {"M": {"A": {"B": "deep"}}}) == "deep"
    assert run("{{ $.M.A.B }}", {"M": {"A": {"B": 1}}}) == "1"


# ---- pipelines, parentheses, fields ----------------------------------------------------------------------------
def test_pipelines_pass_the_final_argument() -> None:
    assert run('{{ "a" | printf "%s-%s" "b" }}') == "b-a"
    assert run("{{ .L | len }}", {"L": [1, 2, 3]}) == "3"
    assert run('{{ "x" | printf "%s%s" "y" | len }}') == "2"
    assert err("{{ 3 | 4 }}") == "template: t:1:9: non executable command in pipeline stage 2"


def test_parenthesized_calls() -> None:
    assert run("{{ len (slice .L 1) }}", {"L": [1, 2, 3]}) == "2"
    assert run("{{ eq (len (slice .L 2)) 1 }}", {"L": [1, 2, 3]}) == "true"
    assert run("{{ (index .L 0).Name }}", {"L": [{"Name": "n"}]}) == "n"


def test_field_and_map_key_chains() -> None:
    data = {"Function": {"Parameters": {"Properties": {"city": {"type": "string"}}}}}
    assert run("{{ .Function.Parameters.Properties.city.type }}", data) == "string"
    assert run("{{ .Missing }}", {}) == "<no value>"
    assert run("{{ .A.Missing }}", {"A": {}}) == "<no value>"
    assert err("{{ .A.B }}", {"A": None}) == (
        'template: t:1:5: executing "t" at <.A.B>: nil pointer evaluating interface {}.B')
    assert err("{{ .A.B }}", {"A": "s"}) == (
        'template: t:1:5: executing "t" at <.A.B>: can\'t evaluate field B in type string')
    assert err("{{ .A 1 }}", {"A": 1}) == (
        'template: t:1:3: executing "t" at <.A>: A is not a method but has arguments')


# ---- literals -----------------------------------------------------------------------------------------------------
def test_literals() -> None:
    assert run('{{ "tab\\there \\u00e9\\x41" }}') == "tab\there éA"
    assert run("{{ `raw\\n` }}") == "raw\\n"
    assert run("{{ 'a' }} {{ '\\n' }}") == "97 10"
    assert run("{{ 42 }} {{ -7 }} {{ 0x1F }} {{ 0o17 }} {{ 0b101 }} {{ 1_000 }}") == "42 -7 31 15 5 1000"
    assert run("{{ 1.5 }} {{ 1e3 }} {{ 3.0 }} {{ 1e6 }} {{ 1e-5 }} {{ 0.0001 }}") == "1.5 1000 3 1e+06 1e-05 0.0001"
    assert run("{{ true }} {{ false }}") == "true false"
    assert err("{{ nil }}") == 'template: t:1:3: executing "t" at <nil>: nil is not a command'
    assert err("{{ 1.5.x }}") == 'template: t:1:8: unexpected . after term "1.5"'


# ---- builtins ------------------------------------------------------------------------------------------------------
def test_and_or_not_short_circuit() -> None:
    assert run("{{ and 1 2 3 }} {{ and 1 0 3 }} {{ or 0 \"\" }} {{ or 0 5 }}") == "3 0  5"
    assert run("{{ and 0 (index .L 99) }}", {"L": []}) == "0"  # the index is never evaluated
    assert run("{{ or 1 (index .L 99) }}", {"L": []}) == "1"
    assert run("{{ not 0 }} {{ not .L }}", {"L": [1]}) == "true false"


def test_len_index_slice() -> None:
    assert run('{{ len "héllo" }} {{ len .L }} {{ len .M }}', {"L": [1, 2], "M": {"a": 1}}) == "6 2 1"
    assert run('{{ index .L 1 }} {{ index .M "k" }} {{ index "abc" 1 }}', {"L": [7, 8], "M": {"k": "v"}}) == "8 v 98"
    assert run("{{ index .M \"nope\" }}", {"M": {}}) == "<no value>"
    assert run("{{ index .N 1 0 }}", {"N": [[1], [2, 3]]}) == "2"
    assert run('{{ slice .L 1 }} {{ slice .L 1 2 }} {{ slice "abcdef" 1 3 }} {{ slice .L }}', {"L": [1, 2, 3]}) == (
        "[2 3] [2] bc [1 2 3]")
    assert err("{{ index .L 5 }}", {"L": [1]}) == (
        'template: t:1:3: executing "t" at <index .L 5>: error calling index: index out of range: 5')
    assert err("{{ len 3 }}") == 'template: t:1:3: executing "t" at <len 3>: error calling len: len of type int'
    assert "invalid slice index: 2 > 1" in err("{{ slice .L 2 1 }}", {"L": [1, 2, 3]})


def test_comparisons() -> None:
    assert run('{{ eq 1 1 }} {{ eq "a" "b" }} {{ eq 1 2 3 1 }} {{ ne 1 2 }} {{ eq .Missing "x" }}', {}) == (
        "true false true true false")
    assert run('{{ lt 1 2 }} {{ le 2 2 }} {{ gt "b" "a" }} {{ ge 1.5 2.5 }}') == "true true true false"
    assert run("{{ eq true true }} {{ eq .F 1.5 }}", {"F": 1.5}) == "true true"
    assert err('{{ eq 1 "a" }}').endswith("error calling eq: incompatible types for comparison")
    assert err("{{ eq 1 1.0 }}").endswith("error calling eq: incompatible types for comparison")
    assert err("{{ lt true false }}").endswith("error calling lt: invalid type for comparison")
    assert err("{{ eq 1 }}").endswith("error calling eq: missing argument for comparison")


def test_print_functions() -> None:
    assert run('{{ print "a" "b" }}|{{ print 1 2 }}|{{ print 1 "a" 2 }}|{{ print .N }}', {"N": None}) == (
        "ab|1 2|1a2|<nil>")
    assert run('{{ println "a" 1 }}') == "a 1\n"
    assert run('{{ printf "%d-%s-%v-%q" 5 "x" .L "q" }}', {"L": [1, "a"]}) == '5-x-[1 a]-"q"'


def test_escapers() -> None:
    assert run("{{ html .S }}", {"S": "<b>\"x\" & 'y'</b>"}) == "&lt;b&gt;&#34;x&#34; &amp; &#39;y&#39;&lt;/b&gt;"
    assert run("{{ js .S }}", {"S": "it's <b> = \n"}) == "it\\'s \\u003Cb\\u003E \\u003D \\u000A"
    assert run("{{ urlquery .S }}", {"S": "a b/c?d=é"}) == "a+b%2Fc%3Fd%3D%C3%A9"
    assert run("{{ html 1 2 }}") == "1 2"


def test_call() -> None:
    assert run("{{ call .F 2 3 }}", {"F": lambda a, b: a * b}) == "6"
    assert err("{{ call .F }}", {"F": 1}).endswith("error calling call: non-function of type int")
    assert err("{{ call .F }}", {"F": lambda: 1 / 0}).endswith("error calling call: division by zero")


def test_argument_type_checks() -> None:
    assert err("{{ printf 3 }}") == 'template: t:1:10: executing "t" at <3>: expected string; found 3'
    assert err("{{ len }}").endswith("wrong number of args for len: want 1 got 0")
    assert err("{{ $x := .Missing }}{{ len $x }}").endswith("invalid value; expected reflect.Value")
    assert err("{{ not nil }}").endswith("cannot assign nil to reflect.Value")


# ---- Ollama's functions -----------------------------------------------------------------------------------------------
def test_json_function() -> None:
    data = {"M": {"b": "<x>&", "a": 1.0, "c": [True, None, 2.5], "d": "line\nbreak"}}
    assert run("{{ json .M }}", data) == '{"a":1,"b":"\\u003cx\\u003e\\u0026","c":[true,null,2.5],"d":"line\\nbreak"}'
    assert run("{{ json nil }} {{ json 1e21 }} {{ json 1e-7 }} {{ json \"é\" }}") == 'null 1e+21 1e-7 "é"'


def test_dates() -> None:
    today = dt.date.today()
    assert run("{{ currentDate }}") == today.strftime("%Y-%m-%d")
    assert run('{{ currentDate "ignored" }}') == today.strftime("%Y-%m-%d")
    assert run("{{ yesterdayDate }}") == (today - dt.timedelta(days=1)).strftime("%Y-%m-%d")


def test_to_typescript_type() -> None:
    from pollama.prompt.render import _property

    props = {"s": {"type": "string"}, "n": {"type": "integer"}, "u": {"type": ["string", "null"]},
             "a": {"anyOf": [{"type": "boolean"}, {"type": "array"}]}, "o": {"type": "object"}, "x": {}}
    data = {"P": {k: _property(v) for k, v in props.items()}}
    src = "{{ range $k, $v := .P }}{{ $k }}={{ toTypeScriptType $v }};{{ end }}"
    assert run(src, data) == "a=boolean | any[];n=number;o=Record<string, any>;s=string;u=string | null;x=any;"
    assert run('{{ toTypeScriptType "string" }}') == "any"


def test_user_functions() -> None:
    t = Template.parse('{{ upper "abc" }}', funcs={"upper": str.upper})
    assert t.execute() == "ABC"
    assert err("{{ upper 1 }}") == 'template: t:1:3: function "upper" not defined'


# ---- value printing ---------------------------------------------------------------------------------------------------
def test_go_value_printing() -> None:
    assert run("{{ . }}", {"b": [1, "x", None], "a": True}) == "map[a:true b:[1 x <nil>]]"
    assert run("{{ .L }}", {"L": ["a", "b"]}) == "[a b]"
    assert run("{{ .E }}|{{ .M }}", {"E": [], "M": {}}) == "[]|map[]"
    assert run("{{ .F }} {{ .G }} {{ .H }} {{ .I }}", {"F": 2.0, "G": 0.1, "H": 123456789.0, "I": -0.5}) == (
        "2 0.1 1.23456789e+08 -0.5")
    assert run("{{ . }}") == "<no value>"


# ---- parse errors ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("src", "message"), [
    ("{{ .X", "template: t:1:5: unclosed action"),
    ("{{ end }}", "template: t:1:7: unexpected {{end}}"),
    ("{{ else }}", "template: t:1:8: unexpected {{else}}"),
    ("{{ if .X }}", "template: t:1:11: unexpected EOF"),
    ("a\nb\n{{ if .X }}\n", "template: t:4:0: unexpected EOF"),
    ("{{ foo }}", 'template: t:1:3: function "foo" not defined'),
    ("{{ $x }}", 'template: t:1:6: undefined variable "$x"'),
    ("{{ (1 }}", "template: t:1:6: unclosed left paren"),
    ('{{ "abc }}', "template: t:1:3: unterminated quoted string"),
    ("{{ if 1 }}{{ else }}{{ else }}{{ end }}", "template: t:1:28: expected end; found {{else}}"),
    ("{{ if }}{{ end }}", "template: t:1:6: missing value for if"),
    ("{{}}", "template: t:1:2: missing value for command"),
    ("{{ printf 3, 4 }}", 'template: t:1:11: unexpected "," in operand'),
    ("{{ ..E }}", 'template: t:1:6: unexpected . after term "."'),
    ("{{ template .X }}", 'template: t:1:12: unexpected ".X" in template clause'),
    ('{{ block "foo" }}hello{{ end }}', "template: t:1:15: missing value for block clause"),
    ("{{ with $v, $u := 3 }}{{ end }}", "template: t:1:10: too many declarations in with"),
    ("{{ 08 }}", 'template: t:1:3: integer overflow: "08"'),
    ("{{ 3x }}", 'template: t:1:3: bad number syntax: "3x"'),
    ("{{ .X  ) }}", "template: t:1:7: unexpected right paren"),
], ids=lambda v: v if isinstance(v, str) and len(v) < 12 else None)
def test_parse_errors(src: str, message: str) -> None:
    assert err(src) == message


def test_error_names_the_template() -> None:
    with pytest.raises(TemplateError, match=r"^template: :1:7: unexpected \{\{end\}\}$"):
        Template.parse("{{ end }}")


@pytest.mark.parametrize(("src", "line", "col"), [
    ("ok\n{{ if .System }}unclosed", 2, 24),  # EOF: the end of line 2
    ("line one\n  two {{ .X", 2, 11),  # unclosed action
    ("é\n\n{{ nope }}", 3, 3),  # columns count bytes within the line, from 0, as Go's ErrorContext
    ("ab{{ 3x }}", 1, 5),
])
def test_parse_errors_name_line_and_column(src: str, line: int, col: int) -> None:
    with pytest.raises(TemplateError) as e:
        Template.parse(src, "m")
    assert (e.value.line, e.value.col) == (line, col)
    assert str(e.value).startswith(f"template: m:{line}:{col}: ")


# ---- identifiers -----------------------------------------------------------------------------------------------------------
def test_identifiers() -> None:
    t = Template.parse('{{ range .Messages }}{{ .Role }}{{ end }}{{ if $.Tools }}{{ .Think }}{{ end }}'
                       '{{ define "x" }}{{ .Function.Parameters.Properties }}{{ end }}{{ (.A).B }}')
    assert t.identifiers() == {"Messages", "Role", "Tools", "Think", "Function", "Parameters", "Properties",
                               "A", "B"}


def test_cut_after_field() -> None:
    t = Template.parse("{{ if .System }}S:{{ .System }} {{ end }}P:{{ .Prompt }} R:{{ .Response }}<end>{{ .After }}")
    cut = t.cut_after_field("Response")
    assert cut.execute({"System": "s", "Prompt": "p", "Response": "r", "After": "a"}) == "S:s P:p R:r"
    assert t.execute({"System": "", "Prompt": "p", "Response": "r", "After": "a"}) == "P:p R:r<end>a"
