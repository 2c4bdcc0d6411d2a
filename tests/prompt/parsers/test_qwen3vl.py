"""Ollama's model/parsers/qwen3vl_nonthinking_test.go and qwen3vl_thinking_test.go: every case, same chunks
and expected events or results; each streaming case also fed at every split."""

from __future__ import annotations

import pytest

from pollama.prompt.parsers import ParseError, parser_for
from pollama.prompt.parsers.qwen3vl import Qwen3VLParser, parse_json_tool_call
from tests.prompt.parsers.streaming import calls, feed, splits

NON_THINKING_STREAMING = [
    {
        "desc": "simple thinking",
        "steps": [{"input": "abc</think>", "wantEvents": [("content", "abc</think>")]}],
    },
    {
        "desc": "simple trip thinking",
        "steps": [{"input": "<think>abc</think>", "wantEvents": [("content", "<think>abc</think>")]}],
    },
    {
        "desc": "thinking with split tags",
        "steps": [
            {"input": "abc", "wantEvents": [("content", "abc")]},
            {"input": "</think>", "wantEvents": [("content", "</think>")]},
        ],
    },
    {
        "desc": "multiple think tags",
        "steps": [
            {
                "input": "abc<think>actually, is not thinking</think>",
                "wantEvents": [("content", "abc<think>actually, is not thinking</think>")],
            },
        ],
    },
    {
        "desc": "thinking and tool call",
        "steps": [
            {
                "input": "I'm thinking</think><tool_call>I'm tool calling</tool_call>",
                "wantEvents": [("content", "I'm thinking</think>"), ("tool_call", "I'm tool calling")],
            },
        ],
    },
    {
        "desc": "nested thinking (outside thinking, inside thinking)",
        "steps": [
            {
                "input": "I'm thinking<think>I'm nested thinking</think></think>",
                "wantEvents": [("content", "I'm thinking<think>I'm nested thinking</think></think>")],
            },
        ],
    },
    {
        "desc": "interleaved thinking",
        "steps": [
            {
                "input": "<think>I'm thinking</think>I'm actually content</think>",
                "wantEvents": [("content", "<think>I'm thinking</think>I'm actually content</think>")],
            },
        ],
    },
    {
        "desc": "nested thinking and tool call (outside thinking, inside tool call)",
        "steps": [
            {
                "input": "I'm thinking<tool_call>I'm nested tool call</tool_call></think>",
                "wantEvents": [
                    ("content", "I'm thinking"),
                    ("tool_call", "I'm nested tool call"),
                    ("content", "</think>"),
                ],
            },
        ],
    },
    {
        "desc": "nested thinking and tool call (outside tool call, inside thinking)",
        "steps": [
            {
                "input": "<tool_call>I'm nested tool call<think>I'm thinking</think></tool_call>",
                "wantEvents": [("tool_call", "I'm nested tool call<think>I'm thinking</think>")],
            },
        ],
    },
    {
        "desc": "interleaved thinking and tool call",
        "steps": [
            {
                "input": "I'm thinking<tool_call>I'm NOT a nested tool call</think></tool_call><tool_call>I'm nested tool call 2<think></tool_call></think>",
                "wantEvents": [
                    ("content", "I'm thinking"),
                    ("tool_call", "I'm NOT a nested tool call</think>"),
                    ("tool_call", "I'm nested tool call 2<think>"),
                    ("content", "</think>"),
                ],
            },
        ],
    },
    {
        "desc": "emit unambiguous before partial tool open (trailing ws)",
        "steps": [
            {"input": "abc \n<tool_call", "wantEvents": [("content", "abc")]},
            {"input": " fakeout", "wantEvents": [("content", " \n<tool_call fakeout")]},
        ],
    },
    {
        "desc": "unambiguous empty: partial tool open at buffer start",
        "steps": [
            {"input": "<tool_ca", "wantEvents": []},
            {"input": "ll>abc</tool_call>", "wantEvents": [("tool_call", "abc")]},
        ],
    },
    {
        "desc": "partial thinking tag fakeout",
        "steps": [
            {"input": "abc</think", "wantEvents": [("content", "abc</think")]},
            {"input": " fakeout", "wantEvents": [("content", " fakeout")]},
        ],
    },
    {
        "desc": "partial thinking incomplete",
        "steps": [{"input": "abc<think>unfinished<", "wantEvents": [("content", "abc<think>unfinished")]}],
    },
    {
        "desc": "test with split tool and content",
        "steps": [
            {"input": "abc<tool_call>unfinished</", "wantEvents": [("content", "abc")]},
            {
                "input": "tool_call> def",
                "wantEvents": [("tool_call", "unfinished"), ("content", "def")],
            },
        ],
    },
]


OLD_PARSER_STREAMING = [
    {
        "desc": "simple message streamed word by word",
        "steps": [
            {"input": "hi", "wantEvents": [("content", "hi")]},
            {"input": " there", "wantEvents": [("content", " there")]},
        ],
    },
    {
        "desc": "content before tool call",
        "steps": [{"input": "hi there<tool_call>", "wantEvents": [("content", "hi there")]}],
    },
    {
        "desc": "multiple tool calls in one message",
        "steps": [
            {
                "input": "before1<tool_call>in tool call</tool_call>after1<tool_call>in tool call 2</tool_call>after2",
                "wantEvents": [
                    ("content", "before1"),
                    ("tool_call", "in tool call"),
                    ("content", "after1"),
                    ("tool_call", "in tool call 2"),
                    ("content", "after2"),
                ],
            },
        ],
    },
    {
        "desc": "tool calls with split tags",
        "steps": [
            {"input": "before<tool", "wantEvents": [("content", "before")]},
            {"input": "_call>in tool call</tool", "wantEvents": []},
            {"input": "_call>af", "wantEvents": [("tool_call", "in tool call"), ("content", "af")]},
            {"input": "ter", "wantEvents": [("content", "ter")]},
        ],
    },
    {
        "desc": "trailing whitespace between content and tool call",
        "steps": [
            {
                "input": "abc\n<tool_call>def</tool_call>",
                "wantEvents": [("content", "abc"), ("tool_call", "def")],
            },
        ],
    },
    {
        "desc": "trailing whitespace between tool call and content",
        "steps": [
            {
                "input": "<tool_call>abc</tool_call>\ndef",
                "wantEvents": [("tool_call", "abc"), ("content", "def")],
            },
        ],
    },
    {
        "desc": "empty content before tool call",
        "steps": [{"input": "\n<tool_call>abc</tool_call>", "wantEvents": [("tool_call", "abc")]}],
    },
    {
        "desc": "partial tool open tag fakeout",
        "steps": [
            {"input": "abc\n<tool_call", "wantEvents": [("content", "abc")]},
            {"input": " fakeout", "wantEvents": [("content", "\n<tool_call fakeout")]},
        ],
    },
    {
        "desc": "token-by-token whitespace handling",
        "steps": [
            {"input": "a", "wantEvents": [("content", "a")]},
            {"input": "\n", "wantEvents": []},
            {"input": "b", "wantEvents": [("content", "\nb")]},
        ],
    },
    {
        "desc": "unicode content",
        "steps": [
            {
                "input": "你好 🌍<tool_call>test</tool_call>مرحبا",
                "wantEvents": [("content", "你好 🌍"), ("tool_call", "test"), ("content", "مرحبا")],
            },
        ],
    },
    {
        "desc": "arabic text handling",
        "steps": [{"input": "مرحبا بالعالم", "wantEvents": [("content", "مرحبا بالعالم")]}],
    },
    {"desc": "emoji passthrough", "steps": [{"input": "✅", "wantEvents": [("content", "✅")]}]},
    {
        "desc": "emoji after tool call",
        "steps": [
            {
                "input": "<tool_call>test</tool_call>完成 ✅",
                "wantEvents": [("tool_call", "test"), ("content", "完成 ✅")],
            },
        ],
    },
    {
        "desc": "unicode streaming with whitespace handling",
        "steps": [
            {"input": "مرحبا", "wantEvents": [("content", "مرحبا")]},
            {"input": " \n", "wantEvents": []},
            {"input": "世界", "wantEvents": [("content", " \n世界")]},
        ],
    },
    {
        "desc": "non-breaking space withheld across chunks",
        "steps": [
            {"input": "Hello ", "wantEvents": [("content", "Hello")]},
            {"input": "world", "wantEvents": [("content", " world")]},
        ],
    },
    {
        "desc": "ideographic space before partial tool",
        "steps": [
            {"input": "Hello　<tool", "wantEvents": [("content", "Hello")]},
            {"input": "_call>abc", "wantEvents": []},
            {"input": "</tool_call>def", "wantEvents": [("tool_call", "abc"), ("content", "def")]},
        ],
    },
    {
        "desc": "ideographic space before partial tool fakeout",
        "steps": [
            {"input": "Hello　<tool", "wantEvents": [("content", "Hello")]},
            {"input": "fakeout>abc", "wantEvents": [("content", "　<toolfakeout>abc")]},
        ],
    },
    {
        "desc": "unicode with partial tool tag",
        "steps": [{"input": "测试🎯 <to", "wantEvents": [("content", "测试🎯")]}],
    },
]


NON_THINKING_TOOL_WHITESPACE = [
    {
        "desc": "whitespace inside tool call preserves trailing space",
        "steps": [
            {
                "input": "before<tool_call>   tool content   </tool_call>after",
                "wantEvents": [("content", "before"), ("tool_call", "   tool content   "), ("content", "after")],
            },
        ],
    },
    {
        "desc": "whitespace inside tool call preserves trailing space",
        "steps": [
            {
                "input": (
                    "\n"
                    " \n"
                    " \n"
                    " \n"
                    " \n"
                    " \n"
                    " blahhhhhhhhhh blahhhh blahhhh \n"
                    "\n"
                    "\n"
                    "\t\t     <tool_call>   tool content   </tool_call> \n"
                    "\n"
                    "\n"
                    "\n"
                    "\n"
                    "\n"
                    "\n"
                    " after"
                ),
                "wantEvents": [
                    ("content", "\n \n \n \n \n \n blahhhhhhhhhh blahhhh blahhhh"),
                    ("tool_call", "   tool content   "),
                    ("content", "after"),
                ],
            },
        ],
    },
    {
        "desc": "whitespace inside tool call preserves trailing space",
        "steps": [
            {
                "input": "<tool_call>   tool content   </tool_call>            ",
                "wantEvents": [("tool_call", "   tool content   ")],
            },
            {
                "input": (
                    "\n"
                    " \n"
                    " \n"
                    " \n"
                    " \n"
                    " \n"
                    " blahhhhhhhhhh blahhhh blahhhh \n"
                    "\n"
                    "\n"
                    "\t\t     <tool_call>   anotha one   </tool_call> \n"
                    "\n"
                    "\n"
                    "\n"
                    "\n"
                    "\n"
                    "\n"
                    " after \n"
                    "\n"
                    "\n"
                    "\n"
                    "\n"
                    "\n"
                    " blep"
                ),
                "wantEvents": [
                    ("content", "blahhhhhhhhhh blahhhh blahhhh"),
                    ("tool_call", "   anotha one   "),
                    ("content", "after \n\n\n\n\n\n blep"),
                ],
            },
        ],
    },
    {
        "desc": "whitespace between content and tool call",
        "steps": [
            {
                "input": "content   \n  <tool_call>tool</tool_call>  \n  more content",
                "wantEvents": [("content", "content"), ("tool_call", "tool"), ("content", "more content")],
            },
        ],
    },
    {
        "desc": "consecutive tool calls with whitespace",
        "steps": [
            {
                "input": (
                    "<tool_call>first</tool_call>  \n"
                    "  <tool_call>second</tool_call>  \n"
                    "  <tool_call>third</tool_call>"
                ),
                "wantEvents": [("tool_call", "first"), ("tool_call", "second"), ("tool_call", "third")],
            },
        ],
    },
    {
        "desc": "whitespace before and after tool open tag",
        "steps": [
            {
                "input": "text   \n   <tool_call>content</tool_call>",
                "wantEvents": [("content", "text"), ("tool_call", "content")],
            },
        ],
    },
    {
        "desc": "unicode whitespace around tool calls",
        "steps": [
            {
                "input": "text 　<tool_call>content</tool_call> 　text",
                "wantEvents": [("content", "text"), ("tool_call", "content"), ("content", "text")],
            },
        ],
    },
    {
        "desc": "empty tool call with surrounding whitespace",
        "steps": [
            {
                "input": "before  <tool_call></tool_call>  after",
                "wantEvents": [("content", "before"), ("tool_call", ""), ("content", "after")],
            },
        ],
    },
    {
        "desc": "whitespace in tool call split across chunks",
        "steps": [
            {"input": "before<tool_call>  ", "wantEvents": [("content", "before")]},
            {"input": "tool", "wantEvents": []},
            {
                "input": "  </tool_call>after",
                "wantEvents": [("tool_call", "  tool  "), ("content", "after")],
            },
        ],
    },
    {
        "desc": "mixed whitespace types between tool calls",
        "steps": [
            {
                "input": "<tool_call>first</tool_call> \t\n\r <tool_call>second</tool_call>",
                "wantEvents": [("tool_call", "first"), ("tool_call", "second")],
            },
        ],
    },
]


THINKING_STREAMING = [
    {
        "desc": "simple thinking",
        "steps": [{"input": "abc</think>", "wantEvents": [("thinking", "abc")]}],
    },
    {
        "desc": "simple trip thinking",
        "steps": [{"input": "<think>abc</think>", "wantEvents": [("thinking", "<think>abc")]}],
    },
    {
        "desc": "thinking with split tags",
        "steps": [
            {"input": "abc", "wantEvents": [("thinking", "abc")]},
            {"input": "</think>", "wantEvents": []},
        ],
    },
    {
        "desc": "multiple think tags",
        "steps": [
            {
                "input": "abc<think>actually, is not thinking</think>",
                "wantEvents": [("thinking", "abc<think>actually, is not thinking")],
            },
        ],
    },
    {
        "desc": "thinking and tool call",
        "steps": [
            {
                "input": "I'm thinking</think><tool_call>I'm tool calling</tool_call>",
                "wantEvents": [("thinking", "I'm thinking"), ("tool_call", "I'm tool calling")],
            },
        ],
    },
    {
        "desc": "thinking and content",
        "steps": [
            {
                "input": "I'm thinking</think>I'm content",
                "wantEvents": [("thinking", "I'm thinking"), ("content", "I'm content")],
            },
        ],
    },
    {"desc": "thinking and tool call and content"},
    {
        "desc": "nested thinking (outside thinking, inside thinking)",
        "steps": [
            {
                "input": "I'm thinking<think>I'm nested thinking</think></think>",
                "wantEvents": [("thinking", "I'm thinking<think>I'm nested thinking"), ("content", "</think>")],
            },
        ],
    },
    {
        "desc": "interleaved thinking",
        "steps": [
            {
                "input": "<think>I'm thinking</think>I'm actually content</think>",
                "wantEvents": [("thinking", "<think>I'm thinking"), ("content", "I'm actually content</think>")],
            },
        ],
    },
    {
        "desc": "nested thinking and tool call (outside thinking, inside tool call)",
        "steps": [
            {
                "input": "I'm thinking<tool_call>I'm nested tool call</tool_call></think>",
                "wantEvents": [
                    ("thinking", "I'm thinking"),
                    ("tool_call", "I'm nested tool call"),
                    ("content", "</think>"),
                ],
            },
        ],
    },
    {
        "desc": "nested thinking and tool call (outside tool call, inside thinking)",
        "steps": [
            {
                "input": "<tool_call>I'm nested tool call<think>I'm thinking</think></tool_call>",
                "wantEvents": [("tool_call", "I'm nested tool call<think>I'm thinking</think>")],
            },
        ],
    },
    {
        "desc": "interleaved thinking and tool call",
        "steps": [
            {
                "input": "I'm thinking<tool_call>I'm NOT a nested tool call</think></tool_call><tool_call>I'm nested tool call 2<think></tool_call></think>",
                "wantEvents": [
                    ("thinking", "I'm thinking"),
                    ("tool_call", "I'm NOT a nested tool call</think>"),
                    ("tool_call", "I'm nested tool call 2<think>"),
                    ("content", "</think>"),
                ],
            },
        ],
    },
    {
        "desc": "partial thinking tag fakeout",
        "steps": [
            {"input": "abc</think", "wantEvents": [("thinking", "abc")]},
            {"input": " fakeout", "wantEvents": [("thinking", "</think fakeout")]},
        ],
    },
    {
        "desc": "partial thinking incomplete",
        "steps": [
            {
                "input": "abc<think>unfinished</think",
                "wantEvents": [("thinking", "abc<think>unfinished")],
            },
        ],
    },
    {
        "desc": "test with split thinking and content",
        "steps": [
            {
                "input": "abc<think>unfinished</th",
                "wantEvents": [("thinking", "abc<think>unfinished")],
            },
            {"input": "ink> def", "wantEvents": [("content", "def")]},
        ],
    },
    {
        "desc": "thinking with no tags",
        "steps": [
            {"input": "Hello I am thinking", "wantEvents": [("thinking", "Hello I am thinking")]},
            {
                "input": "Hello I am thinking some more",
                "wantEvents": [("thinking", "Hello I am thinking some more")],
            },
            {
                "input": "Hello I am think</think>     NOT",
                "wantEvents": [("thinking", "Hello I am think"), ("content", "NOT")],
            },
        ],
    },
]


THINKING_WHITESPACE = [
    {
        "desc": "whitespace after thinking tag is trimmed",
        "steps": [
            {
                "input": "thinking content</think>   \n\t  content starts here",
                "wantEvents": [("thinking", "thinking content"), ("content", "content starts here")],
            },
        ],
    },
    {
        "desc": "whitespace after thinking tag split across chunks",
        "steps": [
            {
                "input": "thinking content</think>   ",
                "wantEvents": [("thinking", "thinking content")],
            },
            {"input": "  \n\t", "wantEvents": []},
            {"input": "content", "wantEvents": [("content", "content")]},
        ],
    },
    {
        "desc": "only whitespace after thinking tag",
        "steps": [
            {
                "input": "thinking content</think>   \n\t  ",
                "wantEvents": [("thinking", "thinking content")],
            },
        ],
    },
    {
        "desc": "multiple spaces and tabs after thinking",
        "steps": [
            {
                "input": "think</think>     \t\t\n\n   text",
                "wantEvents": [("thinking", "think"), ("content", "text")],
            },
        ],
    },
    {
        "desc": "trailing whitespace before thinking tag is preserved in content",
        "steps": [
            {
                "input": "thinking with spaces   </think>text",
                "wantEvents": [("thinking", "thinking with spaces"), ("content", "text")],
            },
        ],
    },
    {
        "desc": "whitespace between thinking and tool call",
        "steps": [
            {
                "input": "thinking</think>  \n  <tool_call>{\"name\":\"test\"}</tool_call>",
                "wantEvents": [("thinking", "thinking"), ("tool_call", "{\"name\":\"test\"}")],
            },
        ],
    },
    {
        "desc": "no whitespace after thinking tag",
        "steps": [
            {
                "input": "thinking</think>content",
                "wantEvents": [("thinking", "thinking"), ("content", "content")],
            },
        ],
    },
    {
        "desc": "unicode whitespace after thinking tag",
        "steps": [
            {
                "input": "thinking</think> 　content",
                "wantEvents": [("thinking", "thinking"), ("content", "content")],
            },
        ],
    },
    {
        "desc": "whitespace split with partial thinking tag",
        "steps": [
            {"input": "thinking</th", "wantEvents": [("thinking", "thinking")]},
            {"input": "ink>  \n", "wantEvents": []},
            {"input": "  content", "wantEvents": [("content", "content")]},
        ],
    },
    {
        "desc": "empty thinking tag with whitespace after",
        "steps": [{"input": "</think>   \ncontent", "wantEvents": [("content", "content")]}],
    },
    {
        "desc": "whitespace inside tool call preserves trailing space",
        "steps": [
            {
                "input": (
                    "bruh</think> \n"
                    " \n"
                    " \n"
                    " \n"
                    " \n"
                    " \n"
                    " blahhhhhhhhhh blahhhh blahhhh \n"
                    "\n"
                    "\n"
                    "\t\t     <tool_call>   tool content   </tool_call> \n"
                    "\n"
                    "\n"
                    "\n"
                    "\n"
                    "\n"
                    "\n"
                    " after"
                ),
                "wantEvents": [
                    ("thinking", "bruh"),
                    ("content", "blahhhhhhhhhh blahhhh blahhhh"),
                    ("tool_call", "   tool content   "),
                    ("content", "after"),
                ],
            },
        ],
    },
    {
        "desc": "whitespace inside tool call preserves trailing space",
        "steps": [
            {
                "input": "bruh</think>          shdjfhksdhfj  ",
                "wantEvents": [("thinking", "bruh"), ("content", "shdjfhksdhfj")],
            },
            {"input": "another word  ", "wantEvents": [("content", "  another word")]},
            {
                "input": "<tool_call>   tool content   </tool_call>            ",
                "wantEvents": [("tool_call", "   tool content   ")],
            },
            {
                "input": (
                    "\n"
                    " \n"
                    " \n"
                    " \n"
                    " \n"
                    " \n"
                    " blahhhhhhhhhh blahhhh blahhhh \n"
                    "\n"
                    "\n"
                    "\t\t     <tool_call>   anotha one   </tool_call> \n"
                    "\n"
                    "\n"
                    "\n"
                    "\n"
                    "\n"
                    "\n"
                    " after \n"
                    "\n"
                    "\n"
                    "\n"
                    "\n"
                    "\n"
                    " blep"
                ),
                "wantEvents": [
                    ("content", "blahhhhhhhhhh blahhhh blahhhh"),
                    ("tool_call", "   anotha one   "),
                    ("content", "after \n\n\n\n\n\n blep"),
                ],
            },
        ],
    },
]


TOOL_CALL_WHITESPACE = [
    {
        "desc": "whitespace inside tool call is fully preserved (with content prefill)",
        "prefillMsg": {"role": "assistant", "content": "prefill"},
        "steps": [
            {
                "input": "before<tool_call>   tool content   </tool_call>  \n  after",
                "wantEvents": [("content", "before"), ("tool_call", "   tool content   "), ("content", "after")],
            },
        ],
    },
    {
        "desc": "whitespace after tool call trimmed across chunks (with content prefill)",
        "prefillMsg": {"role": "assistant", "content": "prefill"},
        "steps": [
            {
                "input": "before<tool_call>tool</tool_call>   ",
                "wantEvents": [("content", "before"), ("tool_call", "tool")],
            },
            {"input": "\n\t", "wantEvents": []},
            {
                "input": "after \n this is a song",
                "wantEvents": [("content", "after \n this is a song")],
            },
        ],
    },
    {
        "desc": "multiple tool calls with whitespace between (with content prefill)",
        "prefillMsg": {"role": "assistant", "content": "prefill"},
        "steps": [
            {
                "input": "<tool_call>first</tool_call>  \n  <tool_call>second</tool_call>",
                "wantEvents": [("tool_call", "first"), ("tool_call", "second")],
            },
        ],
    },
    {
        "desc": "thinking with whitespace then tool call",
        "steps": [
            {
                "input": "thinking</think>   \n   <tool_call>tool</tool_call>   \n   content",
                "wantEvents": [("thinking", "thinking"), ("tool_call", "tool"), ("content", "content")],
            },
        ],
    },
]


THINKING_PREFILL = [
    {
        "desc": "thinking prefill",
        "steps": [{"input": "abc</think>", "wantEvents": [("thinking", "abc")]}],
    },
    {
        "desc": "thinking prefill with content",
        "steps": [
            {"input": "abc</th", "wantEvents": [("thinking", "abc")]},
            {"input": "ink> def", "wantEvents": [("content", "def")]},
        ],
    },
    {
        "desc": "thinking prefill with fakeout",
        "steps": [
            {"input": "abc</think", "wantEvents": [("thinking", "abc")]},
            {"input": " fakeout </think", "wantEvents": [("thinking", "</think fakeout")]},
            {"input": ">", "wantEvents": []},
        ],
    },
    {
        "desc": "thinking prefill with spaces",
        "steps": [
            {
                "input": "        </think> starting content",
                "wantEvents": [("content", "starting content")],
            },
        ],
    },
]


NON_THINKING_PREFILL = [
    {
        "desc": "thinking prefill",
        "steps": [{"input": "abc</think>", "wantEvents": [("content", "abc</think>")]}],
    },
    {
        "desc": "thinking prefill with content",
        "steps": [
            {"input": "abc</th", "wantEvents": [("content", "abc</th")]},
            {"input": "ink> def", "wantEvents": [("content", "ink> def")]},
        ],
    },
    {
        "desc": "thinking prefill with fakeout",
        "steps": [
            {"input": "abc</think", "wantEvents": [("content", "abc</think")]},
            {"input": " fakeout </think", "wantEvents": [("content", " fakeout </think")]},
            {"input": ">", "wantEvents": [("content", ">")]},
        ],
    },
    {
        "desc": "thinking prefill with spaces",
        "steps": [
            {
                "input": "        </think> starting content",
                "wantEvents": [("content", "        </think> starting content")],
            },
        ],
    },
]


NON_THINKING_TOOL_CALLS = [
    {
        "name": "simple tool call",
        "tools": [],
        "rawToolCall": "{\"name\": \"get-current-weather\", \"arguments\": {\"location\": \"San Francisco, CA\", \"unit\": \"fahrenheit\"}}",
        "wantToolCall": {
            "function": {
                "name": "get-current-weather",
                "arguments": {"location": "San Francisco, CA", "unit": "fahrenheit"},
            },
        },
    },
    {
        "name": "names with spaces",
        "tools": [],
        "rawToolCall": "{\"name\": \"get current temperature\", \"arguments\": {\"location with spaces\": \"San Francisco\", \"unit with spaces\": \"celsius\"}}",
        "wantToolCall": {
            "function": {
                "name": "get current temperature",
                "arguments": {"location with spaces": "San Francisco", "unit with spaces": "celsius"},
            },
        },
    },
    {
        "name": "names with quotes",
        "tools": [],
        "rawToolCall": "{\"name\": \"\\\"get current temperature\\\"\", \"arguments\": {\"\\\"location with spaces\\\"\": \"San Francisco\", \"\\\"unit with spaces\\\"\": \"\\\"celsius\\\"\"}}",
        "wantToolCall": {
            "function": {
                "name": "\"get current temperature\"",
                "arguments": {
                    "\"location with spaces\"": "San Francisco",
                    "\"unit with spaces\"": "\"celsius\"",
                },
            },
        },
    },
    {
        "name": "tool call with typed parameters (json types)",
        "tools": [],
        "rawToolCall": "{\"name\": \"calculate\", \"arguments\": {\"x\": 3.14, \"y\": 42, \"enabled\": true, \"items\": [\"a\", \"b\", \"c\"]}}",
        "wantToolCall": {
            "function": {
                "name": "calculate",
                "arguments": {"x": 3.14, "y": 42.0, "enabled": True, "items": ["a", "b", "c"]},
            },
        },
    },
    {
        "name": "ampersands in parameter values",
        "tools": [],
        "rawToolCall": "{\"name\": \"exec\", \"arguments\": {\"command\": \"ls && echo \\\"done\\\"\"}}",
        "wantToolCall": {"function": {"name": "exec", "arguments": {"command": "ls && echo \"done\""}}},
    },
    {
        "name": "angle brackets in parameter values",
        "tools": [],
        "rawToolCall": "{\"name\": \"exec\", \"arguments\": {\"command\": \"ls && echo \\\"a > b and a < b\\\"\"}}",
        "wantToolCall": {"function": {"name": "exec", "arguments": {"command": "ls && echo \"a > b and a < b\""}}},
    },
    {
        "name": "unicode in function names and parameters",
        "tools": [],
        "rawToolCall": "{\"name\": \"获取天气\", \"arguments\": {\"城市\": \"北京\", \"message\": \"Hello! 你好! 🌟 مرحبا\"}}",
        "wantToolCall": {"function": {"name": "获取天气", "arguments": {"城市": "北京", "message": "Hello! 你好! 🌟 مرحبا"}}},
    },
]


THINKING_TOOL_CALLS = [
    {
        "name": "simple tool call",
        "tools": [],
        "rawToolCall": "{\"name\": \"get-current-weather\", \"arguments\": {\"location\": \"San Francisco, CA\", \"unit\": \"fahrenheit\"}}",
        "wantToolCall": {
            "function": {
                "name": "get-current-weather",
                "arguments": {"location": "San Francisco, CA", "unit": "fahrenheit"},
            },
        },
    },
    {
        "name": "names with spaces",
        "tools": [],
        "rawToolCall": "{\"name\": \"get current temperature\", \"arguments\": {\"location with spaces\": \"San Francisco\", \"unit with spaces\": \"celsius\"}}",
        "wantToolCall": {
            "function": {
                "name": "get current temperature",
                "arguments": {"location with spaces": "San Francisco", "unit with spaces": "celsius"},
            },
        },
    },
    {
        "name": "names with quotes",
        "tools": [],
        "rawToolCall": "{\"name\": \"\\\"get current temperature\\\"\", \"arguments\": {\"\\\"location with spaces\\\"\": \"San Francisco\", \"\\\"unit with spaces\\\"\": \"\\\"celsius\\\"\"}}",
        "wantToolCall": {
            "function": {
                "name": "\"get current temperature\"",
                "arguments": {
                    "\"location with spaces\"": "San Francisco",
                    "\"unit with spaces\"": "\"celsius\"",
                },
            },
        },
    },
    {
        "name": "tool call with typed parameters (json types)",
        "tools": [],
        "rawToolCall": "{\"name\": \"calculate\", \"arguments\": {\"x\": 3.14, \"y\": 42, \"enabled\": true, \"items\": [\"a\", \"b\", \"c\"]}}",
        "wantToolCall": {
            "function": {
                "name": "calculate",
                "arguments": {"x": 3.14, "y": 42.0, "enabled": True, "items": ["a", "b", "c"]},
            },
        },
    },
    {
        "name": "ampersands in parameter values",
        "tools": [],
        "rawToolCall": "{\"name\": \"exec\", \"arguments\": {\"command\": \"ls && echo \\\"done\\\"\"}}",
        "wantToolCall": {"function": {"name": "exec", "arguments": {"command": "ls && echo \"done\""}}},
    },
    {
        "name": "angle brackets in parameter values",
        "tools": [],
        "rawToolCall": "{\"name\": \"exec\", \"arguments\": {\"command\": \"ls && echo \\\"a > b and a < b\\\"\"}}",
        "wantToolCall": {"function": {"name": "exec", "arguments": {"command": "ls && echo \"a > b and a < b\""}}},
    },
    {
        "name": "unicode in function names and parameters",
        "tools": [],
        "rawToolCall": "{\"name\": \"获取天气\", \"arguments\": {\"城市\": \"北京\", \"message\": \"Hello! 你好! 🌟 مرحبا\"}}",
        "wantToolCall": {"function": {"name": "获取天气", "arguments": {"城市": "北京", "message": "Hello! 你好! 🌟 مرحبا"}}},
    },
]


STATE_CASES = [
    {
        "desc": "no thinking support => CollectingContent",
        "hasThinking": False,
        "last": None,
        "wantState": "content",
    },
    {
        "desc": "thinking support, no last message => CollectingThinkingContent",
        "hasThinking": True,
        "last": None,
        "wantState": "thinking",
    },
    {
        "desc": "thinking support, last assistant with empty content => CollectingThinkingContent",
        "hasThinking": True,
        "last": {"role": "assistant", "content": ""},
        "wantState": "thinking",
    },
    {
        "desc": "thinking support, last assistant with content => CollectingContent",
        "hasThinking": True,
        "last": {"role": "assistant", "content": "hello"},
        "wantState": "content",
    },
    {
        "desc": "thinking support, last is user => CollectingThinkingContent",
        "hasThinking": True,
        "last": {"role": "user", "content": "hi"},
        "wantState": "thinking",
    },
]


def merged(events):
    """Events with neighbouring content (or thinking) joined: what any chunking of the same text gives."""
    out = []
    for kind, text in events:
        if out and out[-1][0] == kind != "tool_call":
            out[-1] = (kind, out[-1][1] + text)
        else:
            out.append((kind, text))
    return out


def new_parser(thinking, last=None):
    parser = Qwen3VLParser(has_thinking_support=thinking)
    parser.init([], last, None)
    return parser


THINKING_PREFILL_LAST = {"role": "assistant", "thinking": "i am thinking"}
NON_THINKING_PREFILL_LAST = {"role": "assistant", "thinking": "i am thinking", "content": "i am content"}
STREAMING = [
    *[(False, None, c) for c in NON_THINKING_STREAMING + OLD_PARSER_STREAMING + NON_THINKING_TOOL_WHITESPACE],
    *[(True, c.get("prefillMsg"), c) for c in THINKING_STREAMING + THINKING_WHITESPACE + TOOL_CALL_WHITESPACE],
    *[(True, THINKING_PREFILL_LAST, c) for c in THINKING_PREFILL],
    *[(True, NON_THINKING_PREFILL_LAST, c) for c in NON_THINKING_PREFILL],
    (True, {"role": "assistant", "content": "has content"}, {"desc": "thinking parser, assistant prefill content", "steps": [
        {"input": "abc</think>", "wantEvents": [("content", "abc</think>")]},
        {"input": '<tool_call>{"name": "x", "arguments": {}}</tool_call>',
         "wantEvents": [("tool_call", '{"name": "x", "arguments": {}}')]},
    ]}),
]


@pytest.mark.parametrize("thinking,last,case", STREAMING, ids=[f"{t}-{c['desc']}" for t, _, c in STREAMING])
def test_streaming_events(thinking, last, case):
    parser = new_parser(thinking, last)
    for step in case.get("steps", []):
        assert parser.parse_events(step["input"]) == step["wantEvents"], step["input"]


@pytest.mark.parametrize("thinking,last,case", STREAMING, ids=[f"{t}-{c['desc']}" for t, _, c in STREAMING])
def test_streaming_events_at_every_split(thinking, last, case):
    text = "".join(step["input"] for step in case.get("steps", []))
    want = merged([e for step in case.get("steps", []) for e in step["wantEvents"]])
    for chunks in splits(text):
        parser = new_parser(thinking, last)
        assert merged([e for chunk in chunks for e in parser.parse_events(chunk)]) == want, chunks


def test_non_thinking_assigns_sequential_tool_call_indices():
    parser = new_parser(False)
    got = parser.add('<tool_call>{"name":"first","arguments":{"a":"1"}}</tool_call>'
                     '<tool_call>{"name":"second","arguments":{"b":"2"}}</tool_call>', True)
    assert got == ("", "", calls([{"function": {"index": 0, "name": "first", "arguments": {"a": "1"}}},
                                  {"function": {"index": 1, "name": "second", "arguments": {"b": "2"}}}]))


TOOL_CALLS = NON_THINKING_TOOL_CALLS + THINKING_TOOL_CALLS


@pytest.mark.parametrize("case", TOOL_CALLS, ids=lambda c: c["name"])
def test_json_tool_call(case):
    assert [parse_json_tool_call(case["rawToolCall"])] == calls([case["wantToolCall"]])


@pytest.mark.parametrize("case", TOOL_CALLS, ids=lambda c: c["name"])
def test_json_tool_call_streamed_in_pieces(case):
    for chunks in splits(f"<tool_call>{case['rawToolCall']}</tool_call>"):
        assert feed(new_parser(False), chunks) == ("", "", calls([case["wantToolCall"]])), chunks


@pytest.mark.parametrize("case", STATE_CASES, ids=lambda c: c["desc"])
def test_initial_state(case):
    """Go checks the parser's state field; here what that state does with "abc</think>"."""
    parser = new_parser(case["hasThinking"], case.get("last"))
    want = ("", "abc", []) if case["wantState"] == "thinking" else ("abc</think>", "", [])
    assert parser.add("abc</think>", True) == want


@pytest.mark.parametrize("name,thinking", [("qwen3-vl-instruct", False), ("qwen3-vl-thinking", True)])
def test_registered_names(name, thinking):
    """Not a Go case: ParserForName's flags."""
    parser = parser_for(name)
    parser.init(None, None, None)
    assert (parser.has_tool_support, parser.has_thinking_support) == (True, thinking)


@pytest.mark.parametrize("raw", ["[1]", '{"name": 1}', '{"arguments": []}', '{"index": 1.5}', "{bad json}"])
def test_bad_tool_call_is_an_error(raw):
    """Not a Go case: what Go's json.Unmarshal into api.ToolCallFunction refuses ends the stream."""
    parser = parser_for("qwen3-vl-instruct")
    parser.init(None, None, None)
    with pytest.raises(ParseError):
        parser.add(f"<tool_call>{raw}</tool_call>", True)
