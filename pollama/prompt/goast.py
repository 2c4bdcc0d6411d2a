"""Parse-tree nodes of a Go text/template, printed back the way Go's parse package prints them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

__all__ = [
    "Node", "ListNode", "TextNode", "CommentNode", "ActionNode", "PipeNode", "CommandNode",
    "IdentifierNode", "VariableNode", "DotNode", "NilNode", "FieldNode", "ChainNode", "BoolNode",
    "NumberNode", "StringNode", "BranchNode", "IfNode", "RangeNode", "WithNode", "BreakNode",
    "ContinueNode", "TemplateNode", "EndNode", "ElseNode", "children", "walk", "go_quote",
]


def go_quote(s: str) -> str:
    """strconv.Quote: a double-quoted Go string literal."""
    from pollama.prompt.gofmt import quote

    return quote(s)


@dataclass
class Node:
    """Base of every node; pos is the offset of the node in the template source."""

    pos: int

    def __str__(self) -> str:  # pragma: no cover - every subclass overrides
        return ""


@dataclass
class ListNode(Node):
    nodes: list[Node] = field(default_factory=list)

    def __str__(self) -> str:
        return "".join(str(n) for n in self.nodes)


@dataclass
class TextNode(Node):
    text: str = ""

    def __str__(self) -> str:
        return self.text


@dataclass
class CommentNode(Node):
    text: str = ""

    def __str__(self) -> str:
        return "{{" + self.text + "}}"


@dataclass
class VariableNode(Node):
    ident: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return ".".join(self.ident)


@dataclass
class CommandNode(Node):
    args: list[Node] = field(default_factory=list)

    def __str__(self) -> str:
        return " ".join(f"({a})" if isinstance(a, PipeNode) else str(a) for a in self.args)


@dataclass
class PipeNode(Node):
    decl: list[VariableNode] = field(default_factory=list)
    is_assign: bool = False
    cmds: list[CommandNode] = field(default_factory=list)

    def __str__(self) -> str:
        out = ""
        if self.decl:
            out = ", ".join(str(v) for v in self.decl) + (" = " if self.is_assign else " := ")
        return out + " | ".join(str(c) for c in self.cmds)


@dataclass
class ActionNode(Node):
    pipe: PipeNode = field(default_factory=lambda: PipeNode(0))

    def __str__(self) -> str:
        return "{{" + str(self.pipe) + "}}"


@dataclass
class IdentifierNode(Node):
    name: str = ""

    def __str__(self) -> str:
        return self.name


@dataclass
class DotNode(Node):
    def __str__(self) -> str:
        return "."


@dataclass
class NilNode(Node):
    def __str__(self) -> str:
        return "nil"


@dataclass
class FieldNode(Node):
    ident: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return "".join("." + i for i in self.ident)


@dataclass
class ChainNode(Node):
    node: Node | None = None
    field: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        head = f"({self.node})" if isinstance(self.node, PipeNode) else str(self.node)
        return head + "".join("." + f for f in self.field)


@dataclass
class BoolNode(Node):
    value: bool = False

    def __str__(self) -> str:
        return "true" if self.value else "false"


@dataclass
class NumberNode(Node):
    text: str = ""
    is_int: bool = False
    is_uint: bool = False
    is_float: bool = False
    is_complex: bool = False
    int_value: int = 0
    float_value: float = 0.0
    complex_value: complex = 0j

    def __str__(self) -> str:
        return self.text


@dataclass
class StringNode(Node):
    quoted: str = ""
    text: str = ""

    def __str__(self) -> str:
        return self.quoted


@dataclass
class BranchNode(Node):
    pipe: PipeNode = field(default_factory=lambda: PipeNode(0))
    list: ListNode = field(default_factory=lambda: ListNode(0))
    else_list: ListNode | None = None
    keyword = "branch"

    def __str__(self) -> str:
        out = "{{" + self.keyword + " " + str(self.pipe) + "}}" + str(self.list)
        if self.else_list is not None:
            out += "{{else}}" + str(self.else_list)
        return out + "{{end}}"


@dataclass
class IfNode(BranchNode):
    keyword = "if"


@dataclass
class RangeNode(BranchNode):
    keyword = "range"


@dataclass
class WithNode(BranchNode):
    keyword = "with"


@dataclass
class BreakNode(Node):
    def __str__(self) -> str:
        return "{{break}}"


@dataclass
class ContinueNode(Node):
    def __str__(self) -> str:
        return "{{continue}}"


@dataclass
class TemplateNode(Node):
    name: str = ""
    pipe: PipeNode | None = None

    def __str__(self) -> str:
        tail = " " + str(self.pipe) if self.pipe is not None else ""
        return "{{template " + go_quote(self.name) + tail + "}}"


@dataclass
class EndNode(Node):
    """Parser-internal marker for {{end}}."""

    def __str__(self) -> str:
        return "{{end}}"


@dataclass
class ElseNode(Node):
    """Parser-internal marker for {{else}}."""

    def __str__(self) -> str:
        return "{{else}}"


def children(node: Node) -> list[Node]:
    """The direct children of a node, in source order (pipelines before bodies)."""
    if isinstance(node, ListNode):
        return list(node.nodes)
    if isinstance(node, ActionNode):
        return [node.pipe]
    if isinstance(node, PipeNode):
        return [*node.decl, *node.cmds]
    if isinstance(node, CommandNode):
        return list(node.args)
    if isinstance(node, ChainNode):
        return [node.node] if node.node is not None else []
    if isinstance(node, BranchNode):
        out: list[Node] = [node.pipe, node.list]
        if node.else_list is not None:
            out.append(node.else_list)
        return out
    if isinstance(node, TemplateNode):
        return [node.pipe] if node.pipe is not None else []
    return []


def walk(node: Node, enter: Callable[[Node, list[Node]], bool] | None = None) -> Iterator[Node]:
    """Depth-first pre-order traversal; `enter(node, ancestors)` returning False skips a subtree."""
    stack: list[tuple[Node, list[Node]]] = [(node, [])]
    while stack:
        current, ancestors = stack.pop()
        if enter is not None and not enter(current, ancestors):
            continue
        yield current
        path = [*ancestors, current]
        for child in reversed(children(current)):
            stack.append((child, path))
