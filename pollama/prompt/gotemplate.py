"""A faithful Go text/template interpreter, with Ollama's template functions.

    t = Template.parse("{{ range .Messages }}{{ .Role }}: {{ .Content }}\n{{ end }}")
    t.execute({"Messages": [{"Role": "user", "Content": "hi"}]})   # -> "user: hi\n"

Data is plain Python (dict = map, list = slice, str, int, float, bool, None = nil); field access on a
dict looks up the key (a missing key yields Go's zero value, as Ollama's `missingkey=zero` does).
Errors are `TemplateError`s whose messages match Go's ("template: NAME:LINE: ..." when parsing,
"template: NAME:LINE:COL: executing ..." when executing).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from pollama.prompt._goexec import BUILTINS, OLLAMA_FUNCS, GoFunc, execute
from pollama.prompt._goparse import parse
from pollama.prompt.errors import TemplateError
from pollama.prompt.goast import (
    ActionNode,
    BranchNode,
    ChainNode,
    FieldNode,
    ListNode,
    Node,
    PipeNode,
    VariableNode,
    walk,
)

__all__ = ["Template", "TemplateError", "GoFunc"]


def _wrap(fn: Callable[..., Any] | GoFunc) -> GoFunc:
    return fn if isinstance(fn, GoFunc) else GoFunc(fn, ("any",), variadic=True)


class Template:
    """A parsed Go template: the main tree plus every {{define}}/{{block}} it declares."""

    def __init__(self, name: str, text: str, trees: dict[str, ListNode], funcs: Mapping[str, GoFunc],
                 root: ListNode | None = None) -> None:
        self.name = name
        self.text = text
        self._trees = trees
        self._funcs = funcs
        self._root = root if root is not None else trees.get(name, ListNode(0))

    @classmethod
    def parse(cls, text: str, name: str = "", *,
              funcs: Mapping[str, Callable[..., Any] | GoFunc] | None = None) -> Template:
        """Parse template source; extra `funcs` are callable from the template (variadic, any args)."""
        table: dict[str, GoFunc] = {**BUILTINS, **OLLAMA_FUNCS}
        for key, fn in (funcs or {}).items():
            table[key] = _wrap(fn)
        trees = parse(text, name, table.keys())
        return cls(name, text, trees, table)

    @property
    def root(self) -> ListNode:
        """The main template body."""
        return self._root

    @property
    def trees(self) -> Mapping[str, ListNode]:
        """Every named template body (the main one under this template's name)."""
        return self._trees

    def execute(self, data: Any = None) -> str:
        """Render the template over `data`."""
        return execute(self._trees, self.name, data, funcs=self._funcs, parse_name=self.name,
                       text=self.text, root=self._root)

    def execute_node(self, node: Node, data: Any = None, *, lenient: bool = False) -> str:
        """Render one subtree with `data` as dot and $; `lenient` makes undefined variables empty."""
        root = node if isinstance(node, ListNode) else ListNode(node.pos, [node])
        return execute(self._trees, self.name, data, funcs=self._funcs, parse_name=self.name,
                       text=self.text, lenient=lenient, root=root)

    def identifiers(self) -> set[str]:
        """Names of all fields referenced anywhere (e.g. {"Messages", "Role", "Tools"})."""
        names: set[str] = set()
        for tree in self._trees.values():
            for node in walk(tree):
                if isinstance(node, FieldNode):
                    names.update(node.ident)
                elif isinstance(node, VariableNode):
                    names.update(node.ident[1:])
                elif isinstance(node, ChainNode):
                    names.update(node.field)
        for node in walk(self._root):
            if isinstance(node, FieldNode):
                names.update(node.ident)
        return names

    def cut_after_field(self, field: str) -> Template:
        """Ollama's legacy-prompt cut: keep the main body up to the first `.field` reference, drop the rest."""
        root = copy.deepcopy(self._root)
        cut = False

        def pred(n: Node) -> bool:
            nonlocal cut
            if isinstance(n, FieldNode) and field in n.ident:
                cut = True
                return False
            return cut

        def visit(n: Node) -> Node | None:
            if pred(n):
                return None
            if isinstance(n, ListNode):
                n.nodes = [c for c in (visit(c) for c in n.nodes) if c is not None]
            elif isinstance(n, BranchNode):
                n.list = visit(n.list) or ListNode(n.list.pos)  # type: ignore[assignment]
                if n.else_list is not None:
                    n.else_list = visit(n.else_list)  # type: ignore[assignment]
            elif isinstance(n, ActionNode):
                pipe = visit(n.pipe)
                if pipe is None:
                    return None
                n.pipe = pipe  # type: ignore[assignment]
            elif isinstance(n, PipeNode):
                cmds = []
                for c in n.cmds:
                    args = [a for a in (visit(a) for a in c.args) if a is not None]
                    if not args:
                        return None
                    c.args = args
                    cmds.append(c)
                if not cmds:
                    return None
                n.cmds = cmds
            return n

        new_root = visit(root)
        return Template(self.name, self.text, self._trees, self._funcs,
                        root=new_root if isinstance(new_root, ListNode) else ListNode(0))
