"""Prompt rendering: golden renders of Ollama-library templates, legacy rendering, generate, Jinja, capabilities."""

from __future__ import annotations

import datetime as dt

import pytest
from templates import (
    CHATML,
    DEEPSEEK_R1,
    GEMMA2,
    GEMMA3,
    LLAMA32,
    MISTRAL,
    PHI3,
    QWEN3,
    QWEN25,
    TOOL_CHAT,
    TOOLS,
)

from pollama.prompt.errors import TemplateError
from pollama.prompt.render import render_chat, render_generate, render_jinja, template_capabilities

TOOL_JSON = ('{"type":"function","function":{"name":"get_weather","description":"Get the weather \\u0026 temperature",'
             '"parameters":{"type":"object","required":["city"],"properties":{"city":{"type":"string",'
             '"description":"City \\u003cname\\u003e"},"unit":{"type":"string","description":"Unit","enum":["c","f"]}}}}}')
FUNCTION_JSON = TOOL_JSON[len('{"type":"function","function":'):-1]
CALL_ARGS = '{"city":"Paris","unit":"c"}'
QWEN_TOOLS_SYSTEM = (
    "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
    "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
    '{"type": "function", "function": ' + FUNCTION_JSON + "}\n</tools>\n\n"
    "For each function call, return a json object with function name and arguments within "
    "<tool_call></tool_call> XML tags:\n<tool_call>\n"
    '{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call><|im_end|>\n'
)
QWEN_TURNS = (
    "<|im_start|>user\nWeather in Paris?<|im_end|>\n"
    "<|im_start|>assistant\n<tool_call>\n"
    '{"name": "get_weather", "arguments": ' + CALL_ARGS + "}\n</tool_call><|im_end|>\n"
    "<|im_start|>user\n<tool_response>\n22\n</tool_response><|im_end|>\n"
    "<|im_start|>assistant\nIt is 22C.<|im_end|>\n"
    "<|im_start|>user\nAnd Rome?<|im_end|>\n"
    "<|im_start|>assistant\n"
)

GOLDEN = {
    "llama3.2": (LLAMA32, (
        "<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n\n"
        "Be brief.When you receive a tool call response, use the output to format an answer to the orginal "
        "user question.\n\nYou are a helpful assistant with tool calling capabilities.<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nWeather in Paris?<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n"
        '{"name": "get_weather", "parameters": ' + CALL_ARGS + "}<|eot_id|>"
        "<|start_header_id|>ipython<|end_header_id|>\n\n22<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\nIt is 22C.<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nGiven the following functions, please respond with a JSON "
        "for a function call with its proper arguments that best answers the given prompt.\n\n"
        'Respond in the format {"name": function name, "parameters": dictionary of argument name and its value}.'
        " Do not use variables.\n\n" + TOOL_JSON + "\n\nAnd Rome?<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n"
    )),
    "mistral": (MISTRAL, (
        "[INST] Weather in Paris?[/INST]"
        '[TOOL_CALLS] [{"name": "get_weather", "arguments": ' + CALL_ARGS + "}]</s>"
        '[TOOL_RESULTS] {"content": 22} [/TOOL_RESULTS] It is 22C.</s>'
        "[AVAILABLE_TOOLS] [" + TOOL_JSON + "][/AVAILABLE_TOOLS][INST] Be brief.\n\nAnd Rome?[/INST] "
    )),
    "qwen2.5": (QWEN25, "<|im_start|>system\nBe brief.\n\n" + QWEN_TOOLS_SYSTEM + QWEN_TURNS),
    "qwen3": (QWEN3, "<|im_start|>system\n\nBe brief.\n\n" + QWEN_TOOLS_SYSTEM + QWEN_TURNS),
    "gemma3": (GEMMA3, (
        "<start_of_turn>user\nBe brief.\nWeather in Paris?<end_of_turn>\n"
        "<start_of_turn>model\n<end_of_turn>\n"
        "<start_of_turn>model\nIt is 22C.<end_of_turn>\n"
        "<start_of_turn>user\nAnd Rome?<end_of_turn>\n<start_of_turn>model\n\n"
    )),
    "chatml": (CHATML, (
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWeather in Paris?<|im_end|>\n"
        "<|im_start|>assistant\n<|im_end|>\n<|im_start|>tool\n22<|im_end|>\n"
        "<|im_start|>assistant\nIt is 22C.<|im_end|>\n<|im_start|>user\nAnd Rome?<|im_end|>\n"
        "<|im_start|>assistant\n"
    )),
    "deepseek-r1": (DEEPSEEK_R1, (
        "Be brief.<｜User｜>Weather in Paris?<｜Assistant｜><｜end▁of▁sentence｜>"
        "<｜Assistant｜>It is 22C.<｜end▁of▁sentence｜><｜User｜>And Rome?<｜Assistant｜>"
    )),
    "phi3 (legacy)": (PHI3, (
        "<|system|>\nBe brief.<|end|>\n<|user|>\nWeather in Paris?<|end|>\n<|assistant|>\nIt is 22C.<|end|>\n"
        "<|user|>\nAnd Rome?<|end|>\n<|assistant|>\n"
    )),
    "gemma2 (legacy)": (GEMMA2, (
        "<start_of_turn>user\nBe brief. Weather in Paris?<end_of_turn>\n<start_of_turn>model\n"
        "It is 22C.<end_of_turn>\n<start_of_turn>user\nAnd Rome?<end_of_turn>\n<start_of_turn>model\n"
    )),
}


@pytest.mark.parametrize("name", list(GOLDEN))
def test_golden_renders_with_system_tools_and_tool_calls(name: str) -> None:
    template, expected = GOLDEN[name]
    assert render_chat(template, TOOL_CHAT, tools=TOOLS) == expected


THINK_CHAT = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello", "thinking": "greet"},
              {"role": "user", "content": "2+2?"}]
EARLIER = "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello<|im_end|>\n<|im_start|>user\n2+2?"


@pytest.mark.parametrize(("think", "expected"), [
    (True, EARLIER + " /think<|im_end|>\n<|im_start|>assistant\n"),
    (False, EARLIER + " /no_think<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"),
    (None, EARLIER + "<|im_end|>\n<|im_start|>assistant\n"),
])
def test_qwen3_thinking_switches(think: bool | None, expected: str) -> None:
    assert render_chat(QWEN3, THINK_CHAT, think=think) == expected


def test_thinking_of_the_last_assistant_turn_is_rendered() -> None:
    chat = THINK_CHAT[:2]
    assert render_chat(QWEN3, chat, think=True) == (
        "<|im_start|>user\nHi /think<|im_end|>\n<|im_start|>assistant\n<think>greet</think>\nHello")
    assert render_chat(DEEPSEEK_R1, chat, think=True) == "<｜User｜>Hi<｜Assistant｜><think>\ngreet\n</think>Hello"


def test_deepseek_r1_think_false_closes_an_empty_block() -> None:
    assert render_chat(DEEPSEEK_R1, THINK_CHAT, think=False).endswith("2+2?<｜Assistant｜><think>\n\n</think>\n\n")
    assert render_chat(DEEPSEEK_R1, THINK_CHAT, think=True).endswith("2+2?<｜Assistant｜>")


def test_think_values_reach_the_template() -> None:
    t = "{{ .Think }}|{{ .ThinkLevel }}|{{ .IsThinkSet }}"
    user = [{"role": "user", "content": "x"}]
    assert render_chat(t, user, think="high") == "true|high|true"
    assert render_chat(t, user, think=True) == "true|medium|true"
    assert render_chat(t, user, think=False) == "false||true"
    assert render_chat(t, user) == "false||false"


# ---- Ollama's rules -----------------------------------------------------------------------------------------------
def test_templates_without_response_get_one_appended() -> None:
    t = "[INST] {{ if .System }}{{ .System }}\n\n{{ end }}{{ .Prompt }}[/INST] "
    chat = [{"role": "user", "content": "Hello friend!"}, {"role": "assistant", "content": "Hello human!"},
            {"role": "user", "content": "What is your name?"}]
    assert render_chat(t, chat) == "[INST] Hello friend![/INST] Hello human![INST] What is your name?[/INST] "


def test_legacy_prefill_is_cut_after_the_response() -> None:
    chat = [{"role": "user", "content": "Name a colour"}, {"role": "assistant", "content": "Blu"}]
    assert render_chat(PHI3, chat) == "<|user|>\nName a colour<|end|>\n<|assistant|>\nBlu"


def test_legacy_system_message_mid_conversation_starts_a_new_turn() -> None:
    chat = [{"role": "user", "content": "u1"}, {"role": "system", "content": "s2"}, {"role": "user", "content": "u2"}]
    assert render_chat(PHI3, chat) == (
        "<|user|>\nu1<|end|>\n<|assistant|>\n<|end|>\n<|system|>\ns2<|end|>\n<|user|>\nu2<|end|>\n<|assistant|>\n")


def test_consecutive_messages_are_collated() -> None:
    chat = [{"role": "system", "content": "a"}, {"role": "system", "content": "b"},
            {"role": "user", "content": "x"}, {"role": "user", "content": "y"},
            {"role": "tool", "content": "t1"}, {"role": "tool", "content": "t2"}]
    t = "{{ .System }}|{{ range .Messages }}{{ .Role }}={{ .Content }};{{ end }}"
    assert render_chat(t, chat) == "a\n\nb|system=a\n\nb;user=x\n\ny;tool=t1;tool=t2;"


def test_message_fields_and_tool_call_fields() -> None:
    chat = [{"role": "assistant", "content": "", "thinking": "th",
             "tool_calls": [{"id": "c1", "function": {"index": 2, "name": "f", "arguments": '{"b": 1, "a": "<"}'}}]},
            {"role": "tool", "content": "r", "tool_name": "f", "tool_call_id": "c1"}]
    t = ("{{ range .Messages }}{{ .Role }}:{{ .Thinking }}:{{ .ToolName }}:{{ .ToolCallID }}:"
         "{{ range .ToolCalls }}{{ .ID }}/{{ .Function.Index }}/{{ .Function.Name }}/{{ .Function.Arguments }}/"
         "{{ json .Function.Arguments }}/{{ .Function.Arguments.a }}{{ end }}\n{{ end }}")
    assert render_chat(t, chat) == (
        'assistant:th:::c1/2/f/{"a":"\\u003c","b":1}/{"a":"\\u003c","b":1}/<\ntool::f:c1:\n')


def test_tool_fields_for_templates_that_range_over_parameters() -> None:
    t = ("{{ range .Tools }}{{ .Type }} {{ .Function.Name }}({{ range $k, $p := .Function.Parameters.Properties }}"
         "{{ $k }}: {{ toTypeScriptType $p }} /* {{ $p.Description }}{{ with $p.Enum }} {{ json . }}{{ end }} */, "
         "{{ end }}) req={{ .Function.Parameters.Required }} {{ .Function.Parameters.Type }}{{ end }}"
         "|{{ json .Tools }}|{{ .Messages }}")
    out = render_chat(t, [], tools=TOOLS)
    assert out == ('function get_weather(city: string /* City <name> */, unit: string /* Unit ["c","f"] */, ) '
                   "req=[city] object|[" + TOOL_JSON + "]|[]")
    assert render_chat("{{ .Tools }}|{{ .Messages }}", []) == "null|[]"


def test_extra_fields_and_missing_keys() -> None:
    t = "{{ .Prompt }}|{{ .Custom }}|{{ range .Messages }}{{ .Content }}{{ end }}"
    assert render_chat(t, [{"role": "user", "content": "hi"}], extra={"Custom": 7}) == "<no value>|7|hi"


def test_image_tags() -> None:
    chat = [{"role": "user", "content": "Compare", "images": ["aaa", "bbb"]},
            {"role": "user", "content": "this [img] with that", "images": ["ccc"]}]
    t = "{{ range .Messages }}{{ .Content }}|{{ len .Images }}{{ end }}"
    assert render_chat(t, chat) == "[img-0][img-1]Compare\n\nthis [img-2] with that|2"
    assert render_chat(t, chat[:1], image_tags=False) == "Compare|2"


def test_template_errors_are_reported() -> None:
    with pytest.raises(TemplateError, match="unexpected EOF"):
        render_chat("{{ if .System }}", [])
    with pytest.raises(TemplateError, match="error calling index"):
        render_chat("{{ range .Messages }}{{ index .ToolCalls 3 }}{{ end }}", [{"role": "user", "content": "x"}])


# ---- generate ------------------------------------------------------------------------------------------------------
def test_render_generate_with_messages_and_legacy_templates() -> None:
    assert render_generate(CHATML, prompt="Hi", system="Sys") == (
        "<|im_start|>system\nSys<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    assert render_generate(PHI3, prompt="Hi") == "<|user|>\nHi<|end|>\n<|assistant|>\n"
    history = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]
    assert render_generate(PHI3, prompt="c", system="s", messages=history) == (
        "<|system|>\ns<|end|>\n<|user|>\na<|end|>\n<|assistant|>\nb<|end|>\n<|user|>\nc<|end|>\n<|assistant|>\n")
    assert render_generate("{{ .Prompt }}", prompt="raw text", images=["x"]) == "[img-0]raw text"


def test_render_generate_fill_in_the_middle() -> None:
    assert render_generate(QWEN25, prompt="def add(", suffix="return x") == (
        "<|fim_prefix|>def add(<|fim_suffix|>return x<|fim_middle|>")
    assert render_generate(QWEN25, prompt="", suffix="return x") == "<|im_start|>assistant\n"


# ---- Jinja ----------------------------------------------------------------------------------------------------------
JINJA = """{{- bos_token }}
{%- if tools %}
{{- '<|im_start|>system\n' }}
{%- if messages[0].role == 'system' %}{{ messages[0].content }}{% else %}You are helpful.{% endif %}
{{- '\n<tools>\n' }}
{%- for tool in tools %}{{ tool | tojson }}{{ '\n' }}{% endfor %}
{{- '</tools><|im_end|>\n' }}
{%- elif messages[0].role == 'system' %}
{{- '<|im_start|>system\n' + messages[0].content + '<|im_end|>\n' }}
{%- endif %}
{%- for message in messages %}
{%- if message.role == 'system' %}{% continue %}{% endif %}
{{- '<|im_start|>' + message.role + '\n' }}
{%- if message.reasoning_content %}{{ '<think>' + message.reasoning_content + '</think>\n' }}{% endif %}
{{- message.content }}
{%- for call in message.tool_calls or [] %}
{{- '<tool_call>{"name": "' + call.function.name + '", "arguments": ' + call.function.arguments | tojson + '}</tool_call>' }}
{%- endfor %}
{{- '<|im_end|>\n' }}
{%- endfor %}
{%- if add_generation_prompt %}
{{- '<|im_start|>assistant\n' }}
{%- if enable_thinking is defined and not enable_thinking %}{{ '<think>\n\n</think>\n\n' }}{% endif %}
{%- endif %}"""


def test_render_jinja_with_tools_thinking_and_tool_calls() -> None:
    chat = [{"role": "system", "content": "Sys"}, {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "", "thinking": "hmm",
             "tool_calls": [{"function": {"name": "f", "arguments": {"q": "é", "n": 1}}}]}]
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    out = render_jinja(JINJA, chat, tools=tools, think=False, bos_token="<s>")
    assert out == (
        "<s><|im_start|>system\nSys\n<tools>\n"
        '{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}\n</tools><|im_end|>\n'
        "<|im_start|>user\nHi<|im_end|>\n"
        "<|im_start|>assistant\n<think>hmm</think>\n"
        '<tool_call>{"name": "f", "arguments": {"q": "é", "n": 1}}</tool_call><|im_end|>\n'
        "<|im_start|>assistant\n<think>\n\n</think>\n\n"
    )
    plain = render_jinja(JINJA, chat[:2], add_generation_prompt=False)
    assert plain == "<|im_start|>system\nSys<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"


def test_render_jinja_helpers_and_sandbox() -> None:
    assert render_jinja("{{ strftime_now('%Y') }}", []) == str(dt.date.today().year)
    assert render_jinja("{{ x | tojson(indent=2) }}", [], extra={"x": {"a": [1]}}) == '{\n  "a": [\n    1\n  ]\n}'
    with pytest.raises(TemplateError, match="only user and assistant"):
        render_jinja("{{ raise_exception('only user and assistant') }}", [])
    with pytest.raises(TemplateError):
        render_jinja("{{ ''.__class__.__mro__[1].__subclasses__() }}", [])
    with pytest.raises(TemplateError):
        render_jinja("{% for %}", [])
    with pytest.raises(TemplateError):
        render_jinja("{% set x = [] %}{{ x.append(1) }}", [])


# ---- capabilities ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("go", "jinja", "caps"), [
    (LLAMA32, None, {"tools"}),
    (QWEN25, None, {"tools", "insert"}),
    (QWEN3, None, {"tools", "thinking"}),
    (DEEPSEEK_R1, None, {"thinking"}),
    (PHI3, None, set()),
    ("{{ if .System", None, set()),
    (None, JINJA, {"tools", "thinking"}),
    (None, "{% for m in messages %}{{ m.content }}{% endfor %}", set()),
    (None, "{% if enable_thinking %}x{% endif %}", {"thinking"}),
    (None, None, set()),
])
def test_template_capabilities(go: str | None, jinja: str | None, caps: set[str]) -> None:
    assert template_capabilities(go, jinja) == caps


def test_tool_property_items_and_multi_types() -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {
        "tags": {"type": "array", "items": {"type": "string"}},
        "n": {"type": ["integer", "null"]}}}}}]
    t = ("{{ range .Tools }}{{ range $k, $p := .Function.Parameters.Properties }}{{ $k }}:{{ $p.Type }}:"
         "{{ $p.Items }}:{{ with $p.Items }}{{ json . }}{{ end }}:{{ toTypeScriptType $p }};{{ end }}{{ end }}"
         "{{ .Messages }}")
    assert render_chat(t, [], tools=tools) == (
        'n:[integer null]:<no value>::number | null;tags:array:map[type:string]:{"type":"string"}:any[];[]')
