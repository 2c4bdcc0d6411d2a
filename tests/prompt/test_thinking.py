"""Thinking/content split: Ollama's rules, any chunk boundary (hypothesis), and tag inference from templates."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from templates import CHATML, DEEPSEEK_R1, QWEN3

from pollama.prompt.thinking import ThinkingParser, thinking_tags

WS = " \t\n\r"


def feed(chunks: list[str], open_tag: str = "<think>", close_tag: str = "</think>") -> tuple[str, str]:
    p = ThinkingParser(open_tag, close_tag)
    thinking, content = [], []
    for c in chunks:
        t, o = p.add(c)
        thinking.append(t)
        content.append(o)
    t, o = p.finish()
    return "".join(thinking) + t, "".join(content) + o


def reference(text: str, open_tag: str = "<think>", close_tag: str = "</think>") -> tuple[str, str]:
    """The whole-output meaning of Ollama's streaming parser."""
    start = text.lstrip(WS)
    if not start.startswith(open_tag):
        return "", text
    rest = start[len(open_tag):].lstrip(WS)
    end = rest.find(close_tag)
    if end < 0:
        return rest, ""
    return rest[:end], rest[end + len(close_tag):].lstrip(WS)


def test_basic_split() -> None:
    assert feed(["<think>plan</think>answer"]) == ("plan", "answer")
    assert feed(["  \n<think>\n  plan  \n</think>\n\n  answer "]) == ("plan  \n", "answer ")
    assert feed(["<think>a</think>b</think>c"]) == ("a", "b</think>c")


def test_no_thinking_block_is_all_content_untrimmed() -> None:
    assert feed(["  hello <think>x</think>"]) == ("", "  hello <think>x</think>")
    assert feed(["<thinker>x"]) == ("", "<thinker>x")
    assert feed(["   "]) == ("", "   ")


def test_tags_split_across_chunks() -> None:
    assert feed(["<", "thi", "nk", ">", "a", "b</", "thi", "nk", ">", "\n", "\n", "c"]) == ("ab", "c")


def test_partial_tags_are_flushed_by_finish() -> None:
    assert feed(["<thi"]) == ("", "<thi")
    assert feed(["<think>abc</thi"]) == ("abc</thi", "")
    assert feed(["<think>unfinished"]) == ("unfinished", "")


def test_streaming_emits_as_soon_as_possible() -> None:
    p = ThinkingParser()
    assert p.add("<think>") == ("", "")
    assert p.add("I think") == ("I think", "")
    assert p.add(" so </") == (" so ", "")
    assert p.add("think>Yes") == ("", "Yes")
    assert p.done
    assert p.add(" indeed") == ("", " indeed")


def test_prompt_opened_block() -> None:
    p = ThinkingParser()
    p.add("<think>")  # what the server does when the prompt already ends with the opening tag
    assert p.add("reasoning</think>answer") == ("reasoning", "answer")


def test_custom_tags() -> None:
    assert feed(["[THINK]x[/THINK]y"], "[THINK]", "[/THINK]") == ("x", "y")


PIECES = ["<think>", "</think>", "<", "</", "<thi", "nk>", "think>", " ", "\n", "\t", "a", "b c", "é", ">"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=14), st.data())
def test_any_chunking_matches_the_whole_output(pieces: list[str], data: st.DataObject) -> None:
    text = "".join(pieces)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=8)))
    chunks = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    assert feed(chunks) == reference(text)


def test_thinking_tags_from_templates() -> None:
    assert thinking_tags(QWEN3) == ("<think>", "</think>")
    assert thinking_tags(DEEPSEEK_R1) == ("<think>", "</think>")
    assert thinking_tags(CHATML) is None
    assert thinking_tags("{{ range .Messages }}<reason>{{ .Thinking }}</reason>{{ end }}") == ("<reason>", "</reason>")
    assert thinking_tags("{{ .Thinking }}") is None  # outside the message loop
    assert thinking_tags("{% if enable_thinking %}<think>{% endif %}</think>") == ("<think>", "</think>")
    assert thinking_tags("") is None
