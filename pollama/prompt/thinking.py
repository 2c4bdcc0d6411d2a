"""Splitting streamed model output into thinking and content, as Ollama's thinking parser does."""

from __future__ import annotations

import functools
from enum import Enum

from pollama.prompt.errors import TemplateError
from pollama.prompt.goast import FieldNode, ListNode, Node, RangeNode, TextNode, walk
from pollama.prompt.gotemplate import Template

__all__ = ["ThinkingParser", "thinking_tags", "KNOWN_TAGS"]

_WS = " \t\n\r\v\f\u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
      "\u2028\u2029\u202f\u205f\u3000"

# Tag pairs recognised in templates that do not reveal theirs through .Thinking (Jinja, for one).
KNOWN_TAGS: tuple[tuple[str, str], ...] = (
    ("<think>", "</think>"), ("<thinking>", "</thinking>"), ("[THINK]", "[/THINK]"),
    ("<seed:think>", "</seed:think>"), ("◁think▷", "◁/think▷"),
)


class _State(Enum):
    LOOKING = 0
    STARTED_EATING_WS = 1
    THINKING = 2
    DONE_EATING_WS = 3
    DONE = 4


def _overlap(s: str, tag: str) -> int:
    """Length of the longest suffix of s that is a proper prefix of tag."""
    for n in range(min(len(tag) - 1, len(s)), 0, -1):
        if s.endswith(tag[:n]):
            return n
    return 0


class ThinkingParser:
    """Feed model text with add(); get (thinking, content) back. Correct across any chunk boundary.

    Thinking only starts if the output (after leading whitespace) opens with `open_tag`; whitespace right
    after the opening tag and right after the closing tag is dropped, as Ollama does.
    """

    def __init__(self, open_tag: str = "<think>", close_tag: str = "</think>") -> None:
        self.open_tag = open_tag
        self.close_tag = close_tag
        self._state = _State.LOOKING
        self._acc = ""

    @property
    def done(self) -> bool:
        """True once the thinking block (if any) is over."""
        return self._state in (_State.DONE, _State.DONE_EATING_WS)

    def add(self, chunk: str) -> tuple[str, str]:
        """Consume a chunk; return the (thinking, content) that can be emitted now."""
        self._acc += chunk
        thinking: list[str] = []
        content: list[str] = []
        more = True
        while more:
            t, c, more = self._eat()
            thinking.append(t)
            content.append(c)
        return "".join(thinking), "".join(content)

    def finish(self) -> tuple[str, str]:
        """Flush what was held back (a partial tag) at the end of the output."""
        acc, self._acc = self._acc, ""
        if self._state == _State.THINKING:
            return acc, ""
        if self._state in (_State.LOOKING, _State.DONE):
            return "", acc
        return "", ""

    def _eat(self) -> tuple[str, str, bool]:
        acc = self._acc
        trimmed = acc.lstrip(_WS)
        st = self._state
        if st == _State.LOOKING:
            if trimmed.startswith(self.open_tag):
                after = trimmed[len(self.open_tag):].lstrip(_WS)
                self._acc = after
                self._state = _State.THINKING if after else _State.STARTED_EATING_WS
                return "", "", True
            if self.open_tag.startswith(trimmed):  # empty or a partial opening tag: wait
                return "", "", False
            self._state = _State.DONE
            self._acc = ""
            return "", acc, False
        if st == _State.STARTED_EATING_WS:
            if not trimmed:
                self._acc = ""
                return "", "", False
            self._state = _State.THINKING
            self._acc = trimmed
            return "", "", True
        if st == _State.THINKING:
            idx = acc.find(self.close_tag)
            if idx >= 0:
                thinking = acc[:idx]
                rest = acc[idx + len(self.close_tag):].lstrip(_WS)
                self._acc = ""
                self._state = _State.DONE if rest else _State.DONE_EATING_WS
                return thinking, rest, False
            n = _overlap(acc, self.close_tag)
            self._acc = acc[len(acc) - n:] if n else ""
            return acc[:len(acc) - n], "", False
        if st == _State.DONE_EATING_WS:
            self._acc = ""
            if trimmed:
                self._state = _State.DONE
            return "", trimmed, False
        self._acc = ""
        return "", acc, False


def _infer_from_go(tmpl: Template) -> tuple[str, str] | None:
    """Ollama's InferTags: the text around {{ .Thinking }} inside a range over .Messages."""
    tags = ["", ""]

    def visit(node: Node, ancestors: list[Node]) -> bool:
        if isinstance(node, FieldNode) and node.ident and node.ident[0] == "Thinking":
            rng = next((a for a in reversed(ancestors) if isinstance(a, RangeNode)), None)
            if rng is None or not any(isinstance(n, FieldNode) and n.ident and n.ident[0] == "Messages"
                                      for n in walk(rng.pipe)):
                return True
            lst = next((a for a in reversed(ancestors) if isinstance(a, ListNode)), None)
            if lst is not None and lst.nodes:
                first, last = lst.nodes[0], lst.nodes[-1]
                if isinstance(first, TextNode):
                    tags[0] = first.text.strip()
                if isinstance(last, TextNode):
                    tags[1] = last.text.strip()
        return True

    for _ in walk(tmpl.root, visit):
        pass
    if tags[0] and tags[1]:
        return tags[0], tags[1]
    return None


@functools.lru_cache(maxsize=64)
def thinking_tags(template: str) -> tuple[str, str] | None:
    """The (open, close) thinking tags a template uses, or None when it shows none.

    Go templates: inferred from the text around {{ .Thinking }} in the message loop (as Ollama does);
    otherwise (and for Jinja templates) the first known tag pair that appears in the template text.
    """
    if not template:
        return None
    try:
        tags = _infer_from_go(Template.parse(template))
    except TemplateError:
        tags = None
    if tags is not None:
        return tags
    for open_tag, close_tag in KNOWN_TAGS:
        if open_tag in template and close_tag in template:
            return open_tag, close_tag
    return None
