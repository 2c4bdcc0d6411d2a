"""Ollama's model/parsers/lfm2_test.go, case for case; every case also at every split of its output."""

from __future__ import annotations

import pytest

from pollama.prompt.parsers import parser_for
from pollama.prompt.parsers.lfm2 import LFM2Parser, ToolCallSyntaxError, _State, parse_tool_calls

from .streaming import feed, splits


def calls(*pairs):
    """Expected calls as the parser returns them: numbered in order."""
    return [{"function": {"index": i, "name": n, "arguments": a}} for i, (n, a) in enumerate(pairs)]


def parser(thinking, tools=()):
    p = LFM2Parser(has_thinking_support=thinking)
    p.init([{"type": "function", "function": {"name": n}} for n in tools], None, thinking)
    return p


PARIS = ("get_weather", {"location": "Paris"})

# (name, input, content, thinking, calls, thinking support)
WHOLE = [
    ("simple_content", "Hello, how are you?", "Hello, how are you?", "", [], False),
    ("thinking_content", "<think>I need to think about this...</think>The answer is 42.", "The answer is 42.",
     "I need to think about this...", [], True),
    ("direct_answer_with_thinking_enabled", "The answer is 42.", "The answer is 42.", "", [], True),
    ("direct_answer_with_tool_call",
     "I'll check the weather.<|tool_call_start|>[get_weather(location=\"Paris\")]<|tool_call_end|>",
     "I'll check the weather.", "", [PARIS], True),
    ("thinking_with_newlines", "<think>Let me think:\n- Point 1\n- Point 2</think>\n\nHere's my answer.",
     "Here's my answer.", "Let me think:\n- Point 1\n- Point 2", [], True),
    ("tool_call_simple",
     "I'll check the weather.<|tool_call_start|>[get_weather(location=\"Paris\")]<|tool_call_end|>",
     "I'll check the weather.", "", [PARIS], False),
    ("multiple_tool_calls",
     "Getting weather for both cities.<|tool_call_start|>[get_weather(location=\"Paris\")]<|tool_call_end|>"
     "<|tool_call_start|>[get_weather(location=\"London\")]<|tool_call_end|>",
     "Getting weather for both cities.", "", [PARIS, ("get_weather", {"location": "London"})], False),
    ("complex_tool_arguments",
     "Processing data.<|tool_call_start|>[process_data(items=['item1','item2'], config={'enabled': True, "
     "'threshold': 0.95})]<|tool_call_end|>", "Processing data.", "",
     [("process_data", {"items": ["item1", "item2"], "config": {"enabled": True, "threshold": 0.95}})], False),
    ("thinking_with_tool_call",
     "<think>Let me check the weather...</think>I'll get that for you.<|tool_call_start|>"
     "[get_weather(location=\"Paris\")]<|tool_call_end|>", "I'll get that for you.", "Let me check the weather...",
     [PARIS], True),
    ("empty_content", "", "", "", [], False),
    ("only_thinking", "<think>Just thinking content</think>", "", "Just thinking content", [], True),
    ("unicode_content", "مرحبا بالعالم! 你好世界! 🌍", "مرحبا بالعالم! 你好世界! 🌍", "", [], False),
    ("newlines_and_whitespace", "Line 1\n\nLine 3\t\tTabbed content", "Line 1\n\nLine 3\t\tTabbed content", "",
     [], False),
    ("thinking_with_unicode", "<think>我在思考这个问题...</think>答案是42。", "答案是42。", "我在思考这个问题...", [],
     True),
    ("tool_call_with_text_args",
     "Searching for information.<|tool_call_start|>[search(query='beijing weather', language='zh')]"
     "<|tool_call_end|>", "Searching for information.", "",
     [("search", {"query": "beijing weather", "language": "zh"})], False),
    ("thinking_with_special_chars", "<think>Let me calculate: 2+2=4 & 3*3=9...</think>The results are correct!",
     "The results are correct!", "Let me calculate: 2+2=4 & 3*3=9...", [], True),
    ("empty_tool_call_args", "Pinging server.<|tool_call_start|>[ping()]<|tool_call_end|>", "Pinging server.", "",
     [("ping", {})], False),
    ("python_style_tool_call",
     "Let me check that.<|tool_call_start|>[get_candidate_status(candidate_id=\"12345\")]<|tool_call_end|>",
     "Let me check that.", "", [("get_candidate_status", {"candidate_id": "12345"})], False),
    ("python_style_multiple_calls",
     "Running commands.<|tool_call_start|>[bash(command='ls'),bash(command='pwd')]<|tool_call_end|>",
     "Running commands.", "", [("bash", {"command": "ls"}), ("bash", {"command": "pwd"})], False),
    ("thinking_then_python_tool_call",
     "<think>I should check the status...</think>Let me look that up.<|tool_call_start|>"
     "[get_status(id=\"123\")]<|tool_call_end|>", "Let me look that up.", "I should check the status...",
     [("get_status", {"id": "123"})], True),
    ("python_style_no_args", "Pinging.<|tool_call_start|>[ping()]<|tool_call_end|>", "Pinging.", "",
     [("ping", {})], False),
    ("python_style_mixed_types",
     "Processing.<|tool_call_start|>[process(name=\"test\", count=42, enabled=true)]<|tool_call_end|>",
     "Processing.", "", [("process", {"name": "test", "count": 42, "enabled": True})], False),
    ("tool_call_only_no_content", "<|tool_call_start|>[check()]<|tool_call_end|>", "", "", [("check", {})], False),
    ("thinking_directly_to_tool_call",
     "<think>Let me run this command...</think><|tool_call_start|>[bash(command='ls')]<|tool_call_end|>", "",
     "Let me run this command...", [("bash", {"command": "ls"})], True),
    # TestLFM2Parser_EdgeCases
    ("multiple_think_close_tags", "<think>First thought</think>Second thought</think>Final content",
     "Second thought</think>Final content", "First thought", [], True),
    ("empty_thinking_block", "<think></think>Just content", "Just content", "", [], True),
    ("direct_answer_with_leading_whitespace", "  \n  Hello there", "Hello there", "", [], True),
    ("thinking_disabled_with_think_tags", "Some content</think>More content", "Some content</think>More content",
     "", [], False),
    ("whitespace_only_content", "   \n\t   ", "   \n\t   ", "", [], False),
]


@pytest.mark.parametrize("name,text,content,thinking,expected,think", WHOLE, ids=[c[0] for c in WHOLE])
def test_whole_output(name, text, content, thinking, expected, think):
    assert parser(think).add(text, True) == (content, thinking, calls(*expected))


@pytest.mark.parametrize("name,text,content,thinking,expected,think", WHOLE, ids=[c[0] for c in WHOLE])
def test_whole_output_at_every_split(name, text, content, thinking, expected, think):
    for pieces in splits(text):
        assert feed(parser(think), pieces) == (content, thinking, calls(*expected)), pieces


# (name, chunks, content, thinking, calls, thinking support)
STREAMING = [
    ("streaming_simple_content", ["Hello, ", "how are ", "you?"], "Hello, how are you?", "", [], False),
    ("streaming_thinking", ["<think>", "I need to ", "think about this", "...</think>", "The answer is 42."],
     "The answer is 42.", "I need to think about this...", [], True),
    ("streaming_direct_answer", ["The answer ", "is ", "42."], "The answer is 42.", "", [], True),
    ("streaming_tool_call", ["I'll check weather.", "<|tool_call_start|>", "[get_weather(", "location=\"Paris\")]",
                             "<|tool_call_end|>"], "I'll check weather.", "", [PARIS], False),
    ("streaming_thinking_with_partial_tag", ["<think>", "Thinking about this", "...</", "think>", "Done thinking."],
     "Done thinking.", "Thinking about this...", [], True),
    ("streaming_unicode_content", ["مرحبا ", "بالعالم! ", "你好", "世界!"], "مرحبا بالعالم! 你好世界!", "", [], False),
    ("streaming_tool_call_with_split_python", ["Processing.", "<|tool_call_start|>", "[calc(", "x=42, ", "y=24)]",
                                               "<|tool_call_end|>"], "Processing.", "",
     [("calc", {"x": 42, "y": 24})], False),
    ("streaming_thinking_split_open_tag", ["<th", "ink>", "reasoning", "</think>", "answer"], "answer", "reasoning",
     [], True),
    ("streaming_direct_answer_starting_with_angle", ["<", "html> is a tag"], "<html> is a tag", "", [], True),
    ("streaming_thinking_whitespace_after_tag", ["<think>", "\n\n  ", "Actual thinking content", "</think>",
                                                 "Response"], "Response", "Actual thinking content", [], True),
    ("streaming_whitespace_after_close_tag", ["<think>Thinking</think>", "\n\n\n", "Response content"],
     "Response content", "Thinking", [], True),
]


@pytest.mark.parametrize("name,chunks,content,thinking,expected,think", STREAMING, ids=[c[0] for c in STREAMING])
def test_streaming(name, chunks, content, thinking, expected, think):
    assert feed(parser(think), chunks) == (content, thinking, calls(*expected))


def test_support_flags_and_registration():
    assert LFM2Parser(has_thinking_support=True).has_thinking_support
    assert not LFM2Parser(has_thinking_support=False).has_thinking_support
    assert LFM2Parser(has_thinking_support=False).has_tool_support
    for name, thinking in (("lfm2", False), ("lfm2-thinking", True)):
        p = parser_for(name)
        assert isinstance(p, LFM2Parser) and p.has_thinking_support == thinking


def test_init_returns_tools_and_waits_for_think_tag():
    p = LFM2Parser(has_thinking_support=True)
    tools = [{"type": "function", "function": {"name": "test_tool"}}]
    assert p.init(tools, None, True) == tools
    assert p._state is _State.LOOKING_FOR_THINKING


# (name, text, calls or None for an error): TestLFM2Parser_parseToolCallContent and _parseToolCallsContent
TOOL_CALL_TEXT = [
    ("python_style_single_call", 'get_weather(location="Paris")', [PARIS]),
    ("python_style_with_brackets", '[get_weather(location="Paris")]', [PARIS]),
    ("python_style_complex_arguments", "process(items=['a', 'b'], config={'enabled': True})",
     [("process", {"items": ["a", "b"], "config": {"enabled": True}})]),
    ("python_style_empty_arguments", "ping()", [("ping", {})]),
    ("missing_parenthesis", 'get_weather location="Paris")', None),
    ("invalid_argument_format", "bash(command)", None),
    ("multiple_python_style_calls", "[bash(command='curl google.com'),bash(command='curl example.com')]",
     [("bash", {"command": "curl google.com"}), ("bash", {"command": "curl example.com"})]),
    ("python_style_complex_literals",
     "[AskUserQuestion(question=\"What's up?\", headers=['Hello!', 'How can I help you?'], options=['Debugging "
     "help', 'Code writing assistance'], multiSelect=False, metadata={'priority': 1, 'active': True})]",
     [("AskUserQuestion", {"question": "What's up?", "headers": ["Hello!", "How can I help you?"],
                           "options": ["Debugging help", "Code writing assistance"], "multiSelect": False,
                           "metadata": {"priority": 1.0, "active": True}})]),
    ("single_python_style_call", "bash(command='ls -la')", [("bash", {"command": "ls -la"})]),
    ("single_bracketed_call", "[bash(command='pwd')]", [("bash", {"command": "pwd"})]),
    ("single_call_with_orphan_end_tag", "[bash(command='ls')]<|tool_call_end|>", [("bash", {"command": "ls"})]),
    ("single_call_with_wrapper_tags", "<|tool_call_start|>[bash(command='pwd')]<|tool_call_end|>",
     [("bash", {"command": "pwd"})]),
    ("multiple_different_functions", "[get_weather(location='Paris'),search(query='news')]",
     [PARIS, ("search", {"query": "news"})]),
    ("nested_parentheses_in_arg", "bash(command='echo \"(hello)\"')", [("bash", {"command": 'echo "(hello)"'})]),
    ("comma_inside_quotes", "bash(command='echo \"hello, world\"')", [("bash", {"command": 'echo "hello, world"'})]),
    ("equals_inside_quotes", "bash(command='export FOO=bar')", [("bash", {"command": "export FOO=bar"})]),
    ("double_quotes_with_single_inside", "bash(command=\"echo 'hello'\")", [("bash", {"command": "echo 'hello'"})]),
    ("multiple_args", "bash(command='ls', flag='-la', count=42)",
     [("bash", {"command": "ls", "flag": "-la", "count": 42})]),
    ("no_args", "ping()", [("ping", {})]),
    ("three_calls", "[a(x='1'),b(y='2'),c(z='3')]", [("a", {"x": "1"}), ("b", {"y": "2"}), ("c", {"z": "3"})]),
    ("escaped_quote_in_value", "bash(command='echo \\'hello\\'')", [("bash", {"command": "echo \\'hello\\'"})]),
    ("docs_example_candidate_status", '[get_candidate_status(candidate_id="12345")]',
     [("get_candidate_status", {"candidate_id": "12345"})]),
    ("boolean_true_arg", "configure(enabled=true)", [("configure", {"enabled": True})]),
    ("boolean_false_arg", "configure(enabled=false)", [("configure", {"enabled": False})]),
    ("float_arg", "set_threshold(value=0.95)", [("set_threshold", {"value": 0.95})]),
    ("negative_number_arg", "adjust(offset=-10)", [("adjust", {"offset": -10})]),
    ("mixed_arg_types", 'process(name="test", count=42, ratio=3.14, active=true)',
     [("process", {"name": "test", "count": 42, "ratio": 3.14, "active": True})]),
    ("newline_in_string_arg", 'write_file(content="line1\\nline2\\nline3")',
     [("write_file", {"content": "line1\\nline2\\nline3"})]),
    ("empty_string_arg", 'search(query="")', [("search", {"query": ""})]),
    ("underscore_function_name", 'get_user_profile(user_id="abc123")', [("get_user_profile", {"user_id": "abc123"})]),
    ("whitespace_around_args", 'func( arg1 = "value1" , arg2 = 42 )', [("func", {"arg1": "value1", "arg2": 42})]),
    ("json_in_string_arg", "send_data(payload='{\"key\": \"value\", \"num\": 123}')",
     [("send_data", {"payload": '{"key": "value", "num": 123}'})]),
    ("url_in_arg", 'fetch(url="https://example.com/api?foo=bar&baz=qux")',
     [("fetch", {"url": "https://example.com/api?foo=bar&baz=qux"})]),
    ("path_with_spaces", 'read_file(path="/home/user/My Documents/file.txt")',
     [("read_file", {"path": "/home/user/My Documents/file.txt"})]),
]


@pytest.mark.parametrize("name,text,expected", TOOL_CALL_TEXT, ids=[c[0] for c in TOOL_CALL_TEXT])
def test_parse_tool_calls(name, text, expected):
    if expected is None:
        with pytest.raises(ToolCallSyntaxError):
            parse_tool_calls(text)
    else:
        assert parse_tool_calls(text) == [{"function": {"index": 0, "name": n, "arguments": a}} for n, a in expected]


def test_bare_tool_call_fallback():
    assert parser(False, ["get_weather"]).add('[get_weather(location="Paris")]', True) == ("", "", calls(PARIS))


def test_bare_unknown_tool_call_stays_content():
    text = '[unknown_tool(location="Paris")]'
    assert parser(False, ["get_weather"]).add(text, True) == (text, "", [])


@pytest.mark.parametrize("text", ["[img-0]describe this image", "<image>describe this image"])
def test_image_placeholders_preserved(text):
    assert parser(False, ["bash"]).add(text, True) == (text, "", [])
