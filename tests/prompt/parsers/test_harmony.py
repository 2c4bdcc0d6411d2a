"""harmony parser (gpt-oss): every case of Ollama's harmony/harmonyparser_test.go, plus the message handler
(the registered `harmony` parser: channels, tool calls, renamed tools, prefill), each output also fed at
every split and one character at a time."""

from __future__ import annotations

import pytest

from pollama.prompt.parsers import ParseError, parser_for
from pollama.prompt.parsers.harmony import (
    ContentEmitted,
    FunctionNameMap,
    HarmonyMessageHandler,
    HarmonyParser,
    Header,
    HeaderComplete,
    MessageEnd,
    MessageStart,
    convert_to_valid_chars,
    parse_header,
)

from .streaming import feed, splits

HEADER_CASES = [
    {
        "in": "assistant<|channel|>analysis",
        "want_role": "assistant",
        "want_channel": "analysis",
        "want_recipient": "",
    },
    {
        "in": "assistant<|channel|>analysis to=functions.get_weather",
        "want_role": "assistant",
        "want_channel": "analysis",
        "want_recipient": "functions.get_weather",
    },
    {
        "in": "assistant to=functions.get_weather<|channel|>analysis",
        "want_role": "assistant",
        "want_channel": "analysis",
        "want_recipient": "functions.get_weather",
    },
    {
        "in": "to=functions.get_weather<|channel|>analysis",
        "want_role": "tool",
        "want_channel": "analysis",
        "want_recipient": "functions.get_weather",
    },
    {
        "in": "assistant to=functions.get_weather abc<|channel|>analysis",
        "want_role": "assistant",
        "want_channel": "analysis",
        "want_recipient": "functions.get_weather",
    },
    {
        "in": "assistant<|channel|>commentary to=functions.get_weather <|constrain|>json",
        "want_role": "assistant",
        "want_channel": "commentary",
        "want_recipient": "functions.get_weather",
    },
    {
        "in": "assistant to=functions.get_weather<|channel|>commentary <|constrain|>json",
        "want_role": "assistant",
        "want_channel": "commentary",
        "want_recipient": "functions.get_weather",
    },
    {
        "in": "assistant<|channel|>commentary to=functions.get_weather<|constrain|>json",
        "want_role": "assistant",
        "want_channel": "commentary",
        "want_recipient": "functions.get_weather",
    },
    {
        "in": "assistant to=functions.get_weather<|channel|>commentary<|constrain|>json",
        "want_role": "assistant",
        "want_channel": "commentary",
        "want_recipient": "functions.get_weather",
    },
]

HEADER_EVENT_CASES = [
    {
        "in": "<|start|>user<|message|>What is 2 + 2?<|end|>",
        "want_role": "user",
        "want_channel": "",
        "want_recipient": "",
    },
    {
        "in": "<|start|>assistant<|channel|>analysis<|message|>What is 2 + 2?<|end|>",
        "want_role": "assistant",
        "want_channel": "analysis",
        "want_recipient": "",
    },
    {
        "in": "<|start|>assistant<|channel|>commentary to=functions.get_weather "
        '<|constrain|>json<|message|>{"location":"San Francisco"}<|call|><|start|>functions.get_weather '
        'to=assistant<|message|>{"sunny": true, "temperature": 20}<|end|>',
        "want_role": "assistant",
        "want_channel": "commentary",
        "want_recipient": "functions.get_weather",
    },
    {
        "in": "<|channel|>analysis<|message|>User asks weather in SF. We need location. Use get_current_weather "
        'with location "San Francisco, CA".<|end|><|start|>assistant<|channel|>commentary '
        'to=functions.get_current_weather <|constrain|>json<|message|>{"location":"San Francisco, '
        'CA"}<|call|>',
        "want_role": "assistant",
        "want_channel": "analysis",
        "want_recipient": "",
        "implicit_start": True,
    },
]

NON_STREAMING_CASES = [
    {
        "in": "<|start|>user<|message|>What is 2 + 2?<|end|>",
        "want_events": [
            {"event": "MessageStart"},
            {"event": "HeaderComplete", "header": {"role": "user", "channel": "", "recipient": ""}},
            {"event": "ContentEmitted", "content": "What is 2 + 2?"},
            {"event": "MessageEnd"},
        ],
    },
    {
        "in": "<|start|>assistant<|channel|>analysis<|message|>The answer is 4<|end|>",
        "want_events": [
            {"event": "MessageStart"},
            {
                "event": "HeaderComplete",
                "header": {"role": "assistant", "channel": "analysis", "recipient": ""},
            },
            {"event": "ContentEmitted", "content": "The answer is 4"},
            {"event": "MessageEnd"},
        ],
    },
    {
        "in": "<|start|>assistant<|channel|>commentary to=functions.calc<|message|>Computing...<|end|>",
        "want_events": [
            {"event": "MessageStart"},
            {
                "event": "HeaderComplete",
                "header": {"role": "assistant", "channel": "commentary", "recipient": "functions.calc"},
            },
            {"event": "ContentEmitted", "content": "Computing..."},
            {"event": "MessageEnd"},
        ],
    },
    {
        "in": "<|start|>user<|message|><|end|>",
        "want_events": [
            {"event": "MessageStart"},
            {"event": "HeaderComplete", "header": {"role": "user", "channel": "", "recipient": ""}},
            {"event": "MessageEnd"},
        ],
    },
    {
        "in": "<|start|>user<|message|>Hello<|end|><|start|>assistant<|message|>Hi!<|end|>",
        "want_events": [
            {"event": "MessageStart"},
            {"event": "HeaderComplete", "header": {"role": "user", "channel": "", "recipient": ""}},
            {"event": "ContentEmitted", "content": "Hello"},
            {"event": "MessageEnd"},
            {"event": "MessageStart"},
            {"event": "HeaderComplete", "header": {"role": "assistant", "channel": "", "recipient": ""}},
            {"event": "ContentEmitted", "content": "Hi!"},
            {"event": "MessageEnd"},
        ],
    },
    {
        "in": "<|channel|>analysis<|message|>Thinking about the request<|end|>",
        "implicit_start": True,
        "want_events": [
            {"event": "MessageStart"},
            {
                "event": "HeaderComplete",
                "header": {"role": "assistant", "channel": "analysis", "recipient": ""},
            },
            {"event": "ContentEmitted", "content": "Thinking about the request"},
            {"event": "MessageEnd"},
        ],
    },
]

STREAMING_CASES = [
    {
        "desc": "simple message streamed character by character",
        "steps": [
            {"input": "<", "want_events": None},
            {"input": "|", "want_events": None},
            {"input": "start|>u", "want_events": [{"event": "MessageStart"}]},
            {"input": "ser<|mess", "want_events": None},
            {
                "input": "age|>Hi",
                "want_events": [
                    {"event": "HeaderComplete", "header": {"role": "user", "channel": "", "recipient": ""}},
                    {"event": "ContentEmitted", "content": "Hi"},
                ],
            },
            {"input": " there", "want_events": [{"event": "ContentEmitted", "content": " there"}]},
            {"input": "<|e", "want_events": None},
            {"input": "nd|>", "want_events": [{"event": "MessageEnd"}]},
        ],
    },
    {
        "desc": "message with channel streamed",
        "steps": [
            {"input": "<|start|>assistant", "want_events": [{"event": "MessageStart"}]},
            {"input": "<|chan", "want_events": None},
            {"input": "nel|>analysis", "want_events": None},
            {
                "input": "<|message|>",
                "want_events": [
                    {
                        "event": "HeaderComplete",
                        "header": {"role": "assistant", "channel": "analysis", "recipient": ""},
                    }
                ],
            },
            {"input": "Thinking", "want_events": [{"event": "ContentEmitted", "content": "Thinking"}]},
            {"input": "...", "want_events": [{"event": "ContentEmitted", "content": "..."}]},
            {"input": "<|end|>", "want_events": [{"event": "MessageEnd"}]},
        ],
    },
    {
        "desc": "message with channel and recipient",
        "steps": [
            {
                "input": "<|start|>assistant<|channel|>commentary to=functions.calc<|message|>",
                "want_events": [
                    {"event": "MessageStart"},
                    {
                        "event": "HeaderComplete",
                        "header": {
                            "role": "assistant",
                            "channel": "commentary",
                            "recipient": "functions.calc",
                        },
                    },
                ],
            },
            {"input": '{"x": 5}', "want_events": [{"event": "ContentEmitted", "content": '{"x": 5}'}]},
            {"input": "<|end|>", "want_events": [{"event": "MessageEnd"}]},
        ],
    },
    {
        "desc": "message with channel and recipient (receipient before channel)",
        "steps": [
            {
                "input": "<|start|>assistant to=functions.calc<|channel|>commentary<|message|>",
                "want_events": [
                    {"event": "MessageStart"},
                    {
                        "event": "HeaderComplete",
                        "header": {
                            "role": "assistant",
                            "channel": "commentary",
                            "recipient": "functions.calc",
                        },
                    },
                ],
            },
            {"input": '{"x": 5}', "want_events": [{"event": "ContentEmitted", "content": '{"x": 5}'}]},
            {"input": "<|end|>", "want_events": [{"event": "MessageEnd"}]},
        ],
    },
    {
        "desc": "implicit start with channel",
        "implicit_start": True,
        "steps": [
            {"input": "<|channel|>thinking", "want_events": [{"event": "MessageStart"}]},
            {
                "input": "<|message|>",
                "want_events": [
                    {
                        "event": "HeaderComplete",
                        "header": {"role": "assistant", "channel": "thinking", "recipient": ""},
                    }
                ],
            },
            {
                "input": "Processing request",
                "want_events": [{"event": "ContentEmitted", "content": "Processing request"}],
            },
            {"input": "<|end|>", "want_events": [{"event": "MessageEnd"}]},
        ],
    },
    {
        "desc": "multiple messages streamed",
        "steps": [
            {
                "input": "<|start|>user<|message|>Hello<|end|>",
                "want_events": [
                    {"event": "MessageStart"},
                    {"event": "HeaderComplete", "header": {"role": "user", "channel": "", "recipient": ""}},
                    {"event": "ContentEmitted", "content": "Hello"},
                    {"event": "MessageEnd"},
                ],
            },
            {"input": "<|start|>", "want_events": [{"event": "MessageStart"}]},
            {
                "input": "assistant<|message|>",
                "want_events": [
                    {
                        "event": "HeaderComplete",
                        "header": {"role": "assistant", "channel": "", "recipient": ""},
                    }
                ],
            },
            {"input": "Hi!", "want_events": [{"event": "ContentEmitted", "content": "Hi!"}]},
            {"input": "<|end|>", "want_events": [{"event": "MessageEnd"}]},
        ],
    },
    {
        "desc": "empty message",
        "steps": [
            {
                "input": "<|start|>system<|message|><|end|>",
                "want_events": [
                    {"event": "MessageStart"},
                    {"event": "HeaderComplete", "header": {"role": "system", "channel": "", "recipient": ""}},
                    {"event": "MessageEnd"},
                ],
            }
        ],
    },
    {
        "desc": "partial tag that looks like end but isn't",
        "steps": [
            {
                "input": "<|start|>user<|message|>test<|e",
                "want_events": [
                    {"event": "MessageStart"},
                    {"event": "HeaderComplete", "header": {"role": "user", "channel": "", "recipient": ""}},
                    {"event": "ContentEmitted", "content": "test"},
                ],
            },
            {
                "input": "xample|>more",
                "want_events": [{"event": "ContentEmitted", "content": "<|example|>more"}],
            },
            {"input": "<|end|>", "want_events": [{"event": "MessageEnd"}]},
        ],
    },
]

VALID_CHARS_CASES = [
    {"name": "replace spaces with underscores", "in": "get weather", "want": "get_weather"},
    {"name": "replace hyphens with underscores", "in": "get-weather", "want": "get_weather"},
    {"name": "replace periods with underscores", "in": "get.weather", "want": "get_weather"},
    {"name": "disallow non-word characters", "in": "get weather!", "want": "get_weather"},
    {"name": "strip out invalid non-alphanumeric unicode characters", "in": "a🫠bc", "want": "abc"},
    {"name": "names that only contain invalid characters", "in": "🫠", "want": "unnamed"},
    {"name": "leading number", "in": "123", "want": "_123"},
    {"name": "$ allowed", "in": "$", "want": "$"},
    {"name": "allow weird unicode letter characters", "in": "𝓸𝓵𝓵𝓪𝓶𝓪", "want": "𝓸𝓵𝓵𝓪𝓶𝓪"},
    {"name": "disallow non-word characters that look like words", "in": "ⓞⓛⓛⓐⓜⓐ123", "want": "_123"},
]

CONVERT_AND_ADD_CASES = [
    {
        "name": "basic dupe handling",
        "in": ["get weather", "get weather"],
        "want": ["get_weather", "get_weather_2"],
    },
    {
        "name": "dupes from different user-specified names",
        "in": ["get weather", "get_weather", "get-weather"],
        "want": ["get_weather", "get_weather_2", "get_weather_3"],
    },
    {
        "name": "non dupes after dupes",
        "in": ["get weather", "get_weather", "get-weather", "something-different"],
        "want": ["get_weather", "get_weather_2", "get_weather_3", "something_different"],
    },
    {
        "name": "multiple sets of dupes",
        "in": ["a", "a", "b", "a", "a", "b", "a"],
        "want": ["a", "a_2", "b", "a_3", "a_4", "b_2", "a_5"],
    },
    {
        "name": "built-in functions should not be renamed",
        "in": ["browser.open", "python", "not.a.built-in.function", "browser.not_a_real_built_in"],
        "want": ["browser.open", "python", "not_a_built_in_function", "browser_not_a_real_built_in"],
    },
]


def events(wanted):
    """Go's event values (as dicts) -> the parser's event objects."""
    make = {
        "MessageStart": lambda e: MessageStart(),
        "MessageEnd": lambda e: MessageEnd(),
        "ContentEmitted": lambda e: ContentEmitted(e.get("content", "")),
        "HeaderComplete": lambda e: HeaderComplete(Header(**e["header"])),
    }
    return [make[e["event"]](e) for e in wanted or []]


def new_parser(implicit_start=False):
    parser = HarmonyParser()
    if implicit_start:
        parser.add_implicit_start()
    return parser


@pytest.mark.parametrize("case", HEADER_CASES, ids=lambda c: c["in"])
def test_header_parsing(case):
    assert parse_header(case["in"]) == Header(case["want_role"], case["want_channel"], case["want_recipient"])


@pytest.mark.parametrize("case", HEADER_EVENT_CASES, ids=lambda c: c["in"][:40])
def test_harmony_parser_header_event(case):
    got = new_parser(case.get("implicit_start", False)).add_content(case["in"])
    first = next(e for e in got if isinstance(e, HeaderComplete))
    assert first.header == Header(case["want_role"], case["want_channel"], case["want_recipient"])


@pytest.mark.parametrize("case", NON_STREAMING_CASES, ids=lambda c: c["in"][:40])
def test_harmony_parser_non_streaming(case):
    assert new_parser(case.get("implicit_start", False)).add_content(case["in"]) == events(
        case["want_events"]
    )


@pytest.mark.parametrize("case", STREAMING_CASES, ids=lambda c: c["desc"])
def test_harmony_parser_streaming(case):
    parser = new_parser(case.get("implicit_start", False))
    for step in case["steps"]:
        assert parser.add_content(step["input"]) == events(step["want_events"]), step["input"]


@pytest.mark.parametrize("case", VALID_CHARS_CASES, ids=lambda c: c["name"])
def test_function_convert_to_valid_chars(case):
    assert convert_to_valid_chars(case["in"]) == case["want"]


@pytest.mark.parametrize("case", CONVERT_AND_ADD_CASES, ids=lambda c: c["name"])
def test_function_convert_and_add(case):
    names = FunctionNameMap()
    for user, want in zip(case["in"], case["want"], strict=True):
        assert names.convert_and_add(user) == want
        assert names.user_to_harmony[user] == want
        assert names.harmony_to_user[want] == user


# The message handler: what a gpt-oss model writes after the prompt's `<|start|>assistant`.
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get weather",
            "parameters": {"type": "object", "properties": {"location": {"type": "string"}}},
        },
    }
]
HANDLER_CASES = [
    {
        "name": "thinking then final",
        "output": "<|channel|>analysis<|message|>User greets.<|end|><|start|>assistant<|channel|>final<|message|>Hi!",
        "thinking": "User greets.",
        "content": "Hi!",
    },
    {
        "name": "final only",
        "output": "<|channel|>final<|message|>The answer is 4.<|return|>",
        "content": "The answer is 4.<|return|>",
    },
    {
        "name": "commentary without recipient is content",
        "output": "<|channel|>commentary<|message|>Working on it.<|end|>",
        "content": "Working on it.",
    },
    {
        "name": "tool call to a renamed function",
        "output": "<|channel|>analysis<|message|>Need weather.<|end|><|start|>assistant<|channel|>commentary "
        'to=functions.get_weather <|constrain|>json<|message|>{"location":"Paris"}',
        "thinking": "Need weather.",
        "calls": [{"function": {"index": 0, "name": "get weather", "arguments": {"location": "Paris"}}}],
    },
    {
        "name": "built-in tool on the analysis channel",
        "output": '<|channel|>analysis to=browser.search<|message|>{"query":"ollama"}',
        "calls": [{"function": {"index": 0, "name": "browser.search", "arguments": {"query": "ollama"}}}],
    },
]


def run_handler(chunks, last_message=None):
    handler = HarmonyMessageHandler()
    handler.init(TOOLS, last_message, True)
    return feed(handler, chunks)


@pytest.mark.parametrize("case", HANDLER_CASES, ids=lambda c: c["name"])
def test_harmony_handler(case):
    want = case.get("content", ""), case.get("thinking", ""), case.get("calls", [])
    assert run_handler([case["output"]]) == want
    for chunks in splits(case["output"]):
        assert run_handler(chunks) == want, chunks


def test_harmony_handler_renames_tools_at_init():
    handler = parser_for("harmony")
    tools = handler.init([*TOOLS, {"type": "function", "function": {"name": "python"}}], None, None)
    assert [t["function"]["name"] for t in tools] == ["get_weather", "python"]
    assert TOOLS[0]["function"]["name"] == "get weather"
    assert handler.has_tool_support and handler.has_thinking_support


@pytest.mark.parametrize(
    ("last_message", "output", "want"),
    [
        ({"role": "assistant", "content": "The answer"}, " is 4.", (" is 4.", "")),
        ({"role": "assistant", "thinking": "Hmm"}, ", so 4.", ("", ", so 4.")),
        ({"role": "user", "content": "Hi"}, "<|channel|>final<|message|>4.", ("4.", "")),
    ],
)
def test_harmony_handler_prefill(last_message, output, want):
    """A prefilled answer continues on the final channel, prefilled thinking on analysis: the header the
    model would write is already in the prompt."""
    handler = HarmonyMessageHandler()
    handler.init(None, last_message, None)
    assert feed(handler, [output]) == (*want, [])


def test_harmony_handler_bad_tool_arguments_end_with_an_error():
    handler = HarmonyMessageHandler()
    handler.init(TOOLS, None, None)
    assert handler.add("<|channel|>commentary to=functions.get_weather<|message|>{not json", False)[2] == []
    with pytest.raises(ParseError, match="error parsing tool call: raw='{not json'"):
        handler.add("", True)
