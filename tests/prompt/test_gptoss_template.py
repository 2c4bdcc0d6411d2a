"""gpt-oss's prompt: Ollama renders it with a Go template (no renderer name) and parses the output with the
`harmony` parser. This renders Ollama's gpt-oss template through pollama's Go template engine for every
reasoning level, with tools (renamed by the harmony parser, as Ollama does), tool history and prefill.

The template is the one Ollama ships for gpt-oss (`gptossDefaultTemplate` in ollama/ollama's
x/create/client/create.go, the same text as the library model's template layer). Expected prompts follow
the template by hand.
"""

from __future__ import annotations

import datetime as dt

import pytest

from pollama.prompt.parsers.harmony import HarmonyMessageHandler
from pollama.prompt.render import render_chat

GPT_OSS_TEMPLATE = (
    "<|start|>system<|message|>You are ChatGPT, a large language model trained by OpenAI.\n"
    "Knowledge cutoff: 2024-06\n"
    "Current date: {{ currentDate }}\n"
    '{{- if and .IsThinkSet .Think (ne .ThinkLevel "") }}\n'
    "\n"
    "Reasoning: {{ .ThinkLevel }}\n"
    "{{- else if or (not .IsThinkSet) (and .IsThinkSet .Think) }}\n"
    "\n"
    "Reasoning: medium\n"
    "{{- end }}\n"
    "\n"
    "{{- $hasNonBuiltinTools := false }}\n"
    "{{- if .Tools -}}\n"
    "{{- $hasBrowserSearch := false }}\n"
    "{{- $hasBrowserOpen := false }}\n"
    "{{- $hasBrowserFind := false }}\n"
    "{{- $hasPython := false }}\n"
    "  {{- range .Tools }}\n"
    '    {{- if eq .Function.Name "browser.search" -}}{{- $hasBrowserSearch = true -}}\n'
    '    {{- else if eq .Function.Name "browser.open" -}}{{- $hasBrowserOpen = true -}}\n'
    '    {{- else if eq .Function.Name "browser.find" -}}{{- $hasBrowserFind = true -}}\n'
    '    {{- else if eq .Function.Name "python" -}}{{- $hasPython = true -}}\n'
    "    {{- else }}{{ $hasNonBuiltinTools = true -}}\n"
    "    {{- end }}\n"
    "  {{- end }}\n"
    "{{- if or $hasBrowserSearch $hasBrowserOpen $hasBrowserFind $hasPython }}\n"
    "\n"
    "# Tools\n"
    "{{- if or $hasBrowserSearch $hasBrowserOpen $hasBrowserFind }}\n"
    "\n"
    "## browser\n"
    "\n"
    "// Tool for browsing.\n"
    "// The cursor appears in brackets before each browsing display, like [cursor].\n"
    "// Cite information from the tool using the line-citation format shown by the browser output.\n"
    "// Do not quote more than 10 words directly from the tool output.\n"
    "// sources=web (default: web)\n"
    "namespace browser {\n"
    "{{- if $hasBrowserSearch }}\n"
    "\n"
    "// Searches for information related to query and displays topn results.\n"
    "type search = (_: {\n"
    "query: string,\n"
    "topn?: number, // default: 10\n"
    "source?: string,\n"
    "}) => any;\n"
    "{{- end }}\n"
    "{{- if $hasBrowserOpen }}\n"
    "\n"
    "// Opens the link id from the page indicated by cursor starting at line number loc, showing num_lines lines.\n"
    "// If cursor is not provided, the most recent page is implied.\n"
    "// If id is a string, it is treated as a fully qualified URL associated with source.\n"
    "// If loc is not provided, the viewport will be positioned at the beginning of the document or centered on the most relevant passage, if available.\n"
    "// Use this function without id to scroll to a new location of an opened page.\n"
    "type open = (_: {\n"
    "id?: number | string, // default: -1\n"
    "cursor?: number, // default: -1\n"
    "loc?: number, // default: -1\n"
    "num_lines?: number, // default: -1\n"
    "view_source?: boolean, // default: false\n"
    "source?: string,\n"
    "}) => any;\n"
    "{{- end }}\n"
    "{{- if $hasBrowserFind }}\n"
    "\n"
    "// Finds exact matches of pattern in the current page, or the page given by cursor.\n"
    "type find = (_: {\n"
    "pattern: string,\n"
    "cursor?: number, // default: -1\n"
    "}) => any;\n"
    "{{- end }}\n"
    "\n"
    "} // namespace browser\n"
    "{{- end }}{{/* end if has browser tools */}}\n"
    "{{- if $hasPython }}\n"
    "\n"
    "## python\n"
    "\n"
    "Use this tool to execute Python code in your chain of thought. The code will not be shown to the user. This tool should be used for internal reasoning, but not for code that is intended to be visible to the user (e.g. when creating plots, tables, or files).\n"
    "\n"
    "When you send a message containing Python code to python, it will be executed in a stateful Jupyter notebook environment. python will respond with the output of the execution or time out after 120.0 seconds. The drive at '/mnt/data' can be used to save and persist user files. Internet access for this session is UNKNOWN. Depends on the cluster.\n"
    "{{- end }}{{/* end if hasPython */}}\n"
    "{{- end }}{{/* end if has any built-in tools */}}\n"
    "{{- end }}{{/* end if .Tools */}}\n"
    "\n"
    "# Valid channels: analysis, commentary, final. Channel must be included for every message.{{ if $hasNonBuiltinTools }}\n"
    "Calls to these tools must go to the commentary channel: 'functions'.\n"
    "{{- end -}}<|end|>{{/* end of system */ -}}\n"
    "{{- if or $hasNonBuiltinTools .System -}}\n"
    "<|start|>developer<|message|>{{- if $hasNonBuiltinTools }}# Tools\n"
    "\n"
    "## functions\n"
    "\n"
    "namespace functions {\n"
    "{{- range .Tools }}\n"
    '{{- if not (or (eq .Function.Name "browser.search") (eq .Function.Name "browser.open") (eq .Function.Name "browser.find") (eq .Function.Name "python")) }}\n'
    "{{if .Function.Description }}\n"
    "// {{ .Function.Description }}\n"
    "{{- end }}\n"
    "{{- if and .Function.Parameters.Properties (gt (len .Function.Parameters.Properties) 0) }}\n"
    "type {{ .Function.Name }} = (_: {\n"
    "{{- range $name, $prop := .Function.Parameters.Properties }}\n"
    "{{- if $prop.Description }}\n"
    "  // {{ $prop.Description }}\n"
    "{{- end }}\n"
    "  {{ $name }}: {{ $prop | toTypeScriptType }},\n"
    "{{- end }}\n"
    "}) => any;\n"
    "{{- else }}\n"
    "type {{ .Function.Name }} = () => any;\n"
    "{{- end }}\n"
    "{{- end }}{{/* end if not browser tool */}}\n"
    "{{- end }}{{/* end of range .Tools */}}\n"
    "\n"
    "} // namespace functions\n"
    "{{- end }}{{/* end if hasNonBuiltinTools */}}\n"
    "{{- if .System}}\n"
    "\n"
    "# Instructions\n"
    "\n"
    "{{ .System }}\n"
    "{{- end -}}\n"
    "<|end|>\n"
    "{{- end -}}\n"
    "{{- /* Find the index of the last user message */ -}}\n"
    "{{- $lastUserIdx := -1 }}\n"
    "{{- $prefillingContent := false }}\n"
    "{{- $prefillingThinkingOnly := false }}\n"
    "{{- range $i, $msg := .Messages }}\n"
    "  {{- $last := eq (len (slice $.Messages $i)) 1 -}}\n"
    '  {{- if eq $msg.Role "user" }}\n'
    "    {{- $lastUserIdx = $i }}\n"
    "  {{- end -}}\n"
    '  {{- if and $last (eq $msg.Role "assistant") (gt (len $msg.Content) 0) }}\n'
    "    {{- $prefillingContent = true }}\n"
    '  {{- else if and $last (eq $msg.Role "assistant") (gt (len $msg.Thinking) 0) }}\n'
    "    {{- $prefillingThinkingOnly = true }}\n"
    "  {{- end }}\n"
    "{{- end -}}\n"
    "{{- /* Now render messages */ -}}\n"
    "{{- range $i, $msg := .Messages }}\n"
    "  {{- $last := eq (len (slice $.Messages $i)) 1 -}}\n"
    '  {{- if (ne $msg.Role "system") -}}\n'
    '    {{- if eq $msg.Role "tool" -}}\n'
    '      {{- if or (eq $msg.ToolName "python") (eq $msg.ToolName "browser.search") (eq $msg.ToolName "browser.open") (eq $msg.ToolName "browser.find") -}}\n'
    "        <|start|>{{ $msg.ToolName }} to=assistant<|message|>{{ $msg.Content }}<|end|>\n"
    "      {{- else -}}\n"
    "        <|start|>functions.{{ $msg.ToolName }} to=assistant<|message|>{{ $msg.Content }}<|end|>\n"
    "      {{- end -}}\n"
    '    {{- else if eq $msg.Role "assistant" -}}\n'
    "      {{- if and $msg.Thinking (gt $i $lastUserIdx) -}}{{- /* Show thinking only after last user message */ -}}\n"
    "      <|start|>assistant<|channel|>analysis<|message|>{{ $msg.Thinking }}{{- if not $prefillingThinkingOnly -}}<|end|>{{- end -}}\n"
    "      {{- end -}}\n"
    "      {{- if gt (len $msg.Content) 0 -}}\n"
    "        <|start|>assistant<|channel|>final<|message|>{{ $msg.Content }}{{- if not $prefillingContent -}}<|end|>{{- end -}}\n"
    "      {{- end -}}\n"
    "      {{- if gt (len $msg.ToolCalls) 0 -}}\n"
    "        {{- range $j, $toolCall := $msg.ToolCalls -}}\n"
    '          {{- $isBuiltin := or (eq $toolCall.Function.Name "python") (eq $toolCall.Function.Name "browser.search") (eq $toolCall.Function.Name "browser.open") (eq $toolCall.Function.Name "browser.find") -}}\n'
    "          <|start|>assistant<|channel|>{{ if $isBuiltin }}analysis{{ else }}commentary{{ end }} to={{ if not $isBuiltin}}functions.{{end}}{{ $toolCall.Function.Name }} <|constrain|>json<|message|>{{ $toolCall.Function.Arguments }}<|call|>\n"
    "        {{- end -}}\n"
    "      {{- end -}}\n"
    '    {{- else if eq $msg.Role "user" -}}\n'
    "      <|start|>{{ $msg.Role }}<|message|>{{ $msg.Content }}<|end|>\n"
    "    {{- end }}\n"
    "  {{- else }}\n"
    "  {{- end }}\n"
    "{{- end -}}\n"
    "{{- if not (or $prefillingContent $prefillingThinkingOnly) -}}\n"
    "<|start|>assistant\n"
    "{{- end -}}"
)

SYSTEM_HEAD = (
    "<|start|>system<|message|>You are ChatGPT, a large language model trained by OpenAI.\n"
    "Knowledge cutoff: 2024-06\nCurrent date: {date}"
)
CHANNELS = "\n\n# Valid channels: analysis, commentary, final. Channel must be included for every message."
FUNCTIONS_CHANNEL = "\nCalls to these tools must go to the commentary channel: 'functions'."
BROWSER_SEARCH = (
    "\n\n# Tools\n\n## browser\n\n// Tool for browsing.\n"
    "// The cursor appears in brackets before each browsing display, like [cursor].\n"
    "// Cite information from the tool using the line-citation format shown by the browser output.\n"
    "// Do not quote more than 10 words directly from the tool output.\n"
    "// sources=web (default: web)\nnamespace browser {\n\n"
    "// Searches for information related to query and displays topn results.\n"
    "type search = (_: {\nquery: string,\ntopn?: number, // default: 10\nsource?: string,\n}) => any;\n\n"
    "} // namespace browser"
)
PYTHON = (
    "\n\n## python\n\nUse this tool to execute Python code in your chain of thought. The code will not be "
    "shown to the user. This tool should be used for internal reasoning, but not for code that is intended "
    "to be visible to the user (e.g. when creating plots, tables, or files).\n\nWhen you send a message "
    "containing Python code to python, it will be executed in a stateful Jupyter notebook environment. python "
    "will respond with the output of the execution or time out after 120.0 seconds. The drive at '/mnt/data' "
    "can be used to save and persist user files. Internet access for this session is UNKNOWN. Depends on the "
    "cluster."
)
HI = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
DEVELOPER_BE_BRIEF = "<|start|>developer<|message|>\n\n# Instructions\n\nBe brief.<|end|>"
HI_TURNS = "<|start|>user<|message|>Hi<|end|><|start|>assistant"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get weather",
        "description": "Get the weather",
        "parameters": {
            "type": "object",
            "required": ["location"],
            "properties": {
                "unit": {"type": "string", "enum": ["c", "f"]},
                "location": {"type": "string", "description": "City"},
                "days": {"type": ["integer", "null"]},
            },
        },
    },
}
TOOLS = [
    WEATHER,
    {"type": "function", "function": {"name": "browser.search"}},
    {"type": "function", "function": {"name": "python"}},
]


def render(messages, tools=None, think=None):
    return render_chat(GPT_OSS_TEMPLATE, messages, tools=tools, think=think)


def system(reasoning: str | None, tools: str = "", functions: bool = False) -> str:
    reasoning_line = f"\n\nReasoning: {reasoning}" if reasoning else ""
    return (
        SYSTEM_HEAD.format(date=dt.date.today().isoformat())
        + reasoning_line
        + tools
        + CHANNELS
        + (FUNCTIONS_CHANNEL if functions else "")
        + "<|end|>"
    )


@pytest.mark.parametrize(
    ("think", "reasoning"),
    [
        (None, "medium"),
        (True, "medium"),
        (False, None),
        ("low", "low"),
        ("medium", "medium"),
        ("high", "high"),
    ],
)
def test_gpt_oss_reasoning_levels(think, reasoning):
    assert render(HI, think=think) == system(reasoning) + DEVELOPER_BE_BRIEF + HI_TURNS


def test_gpt_oss_reasoning_max():
    assert render(HI, think="max") == system("max") + DEVELOPER_BE_BRIEF + HI_TURNS


def test_gpt_oss_tools_and_tool_history():
    """Renamed tools (as the harmony parser hands them to the template), built-ins listed in the system
    message, properties in sorted order, arguments as sorted JSON, built-in calls on the analysis channel."""
    parser = HarmonyMessageHandler()
    tools = parser.init(TOOLS, None, "high")
    messages = [
        {"role": "user", "content": "Weather in Paris?"},
        {
            "role": "assistant",
            "thinking": "Need weather.",
            "tool_calls": [
                {"function": {"name": "get_weather", "arguments": {"unit": "c", "location": "Paris"}}},
                {"function": {"name": "python", "arguments": {"code": "1+1"}}},
            ],
        },
        {"role": "tool", "tool_name": "get_weather", "content": "22C"},
        {"role": "tool", "tool_name": "python", "content": "2"},
    ]
    developer = (
        "<|start|>developer<|message|># Tools\n\n## functions\n\nnamespace functions {\n\n"
        "// Get the weather\ntype get_weather = (_: {\n  days: number | null,\n  // City\n"
        "  location: string,\n  unit: string,\n}) => any;\n\n} // namespace functions<|end|>"
    )
    turns = (
        "<|start|>user<|message|>Weather in Paris?<|end|>"
        "<|start|>assistant<|channel|>analysis<|message|>Need weather.<|end|>"
        "<|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>"
        '{"location":"Paris","unit":"c"}<|call|>'
        '<|start|>assistant<|channel|>analysis to=python <|constrain|>json<|message|>{"code":"1+1"}<|call|>'
        "<|start|>functions.get_weather to=assistant<|message|>22C<|end|>"
        "<|start|>python to=assistant<|message|>2<|end|>"
        "<|start|>assistant"
    )
    assert (
        render(messages, tools, "high") == system("high", BROWSER_SEARCH + PYTHON, True) + developer + turns
    )


def test_gpt_oss_tool_call_round_trip():
    """The model calls the renamed tool; the harmony parser gives the caller's name back."""
    parser = HarmonyMessageHandler()
    tools = parser.init([WEATHER], None, True)
    assert "type get_weather = (_: {" in render([{"role": "user", "content": "Weather?"}], tools, True)
    output = '<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"location":"Paris"}'
    assert parser.add(output, True) == (
        "",
        "",
        [{"function": {"index": 0, "name": "get weather", "arguments": {"location": "Paris"}}}],
    )


def test_gpt_oss_thinking_only_after_last_user():
    messages = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "thinking": "Greeting.", "content": "Hello!"},
        {"role": "user", "content": "Bye"},
    ]
    turns = (
        "<|start|>user<|message|>Hi<|end|><|start|>assistant<|channel|>final<|message|>Hello!<|end|>"
        "<|start|>user<|message|>Bye<|end|><|start|>assistant"
    )
    assert render(messages, think=False) == system(None) + turns


@pytest.mark.parametrize(
    ("last", "tail"),
    [
        (
            {"role": "assistant", "content": "The answer"},
            "<|start|>assistant<|channel|>final<|message|>The answer",
        ),
        ({"role": "assistant", "thinking": "Hmm"}, "<|start|>assistant<|channel|>analysis<|message|>Hmm"),
    ],
)
def test_gpt_oss_prefill(last, tail):
    """A last assistant message is continued: no <|end|>, no new assistant header (the harmony parser's
    prefill starts on the same channel)."""
    got = render([{"role": "user", "content": "Q"}, last], think=True)
    assert got == system("medium") + "<|start|>user<|message|>Q<|end|>" + tail
