"""Go text/template parser (text/template/parse/parse.go semantics)."""

from __future__ import annotations

import re
from collections.abc import Collection

from pollama.prompt._golex import Item, T, lex
from pollama.prompt.errors import TemplateError
from pollama.prompt.goast import (
    ActionNode,
    BoolNode,
    BranchNode,
    BreakNode,
    ChainNode,
    CommandNode,
    CommentNode,
    ContinueNode,
    DotNode,
    ElseNode,
    EndNode,
    FieldNode,
    IdentifierNode,
    IfNode,
    ListNode,
    NilNode,
    Node,
    NumberNode,
    PipeNode,
    RangeNode,
    StringNode,
    TemplateNode,
    TextNode,
    VariableNode,
    WithNode,
)

__all__ = ["parse", "unquote", "is_empty_tree"]

_ESC = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}


class _SyntaxError(Exception):
    pass


def _unescape(body: str, q: str) -> str:
    """Go string/rune literal escapes; raises _SyntaxError("invalid syntax")."""
    out: list[str] = []
    i = 0
    n = len(body)
    while i < n:
        c = body[i]
        if c == q or c == "\n":
            raise _SyntaxError
        if c != "\\":
            out.append(c)
            i += 1
            continue
        i += 1
        if i >= n:
            raise _SyntaxError
        e = body[i]
        i += 1
        if e in _ESC:
            out.append(_ESC[e])
        elif e == q:
            out.append(e)
        elif e in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[e]
            hexs = body[i:i + width]
            if len(hexs) != width or not all(h in "0123456789abcdefABCDEF" for h in hexs):
                raise _SyntaxError
            i += width
            v = int(hexs, 16)
            if e == "x":
                if q == "'":
                    out.append(chr(v))
                else:
                    out.append(bytes([v]).decode("latin-1") if v < 0x80 else bytes([v]).decode("utf-8", "replace"))
            else:
                if v > 0x10FFFF or 0xD800 <= v <= 0xDFFF:
                    raise _SyntaxError
                out.append(chr(v))
        elif e in "01234567":
            octs = body[i - 1:i + 2]
            if len(octs) != 3 or not all(o in "01234567" for o in octs):
                raise _SyntaxError
            i += 2
            v = int(octs, 8)
            if v > 255:
                raise _SyntaxError
            out.append(chr(v) if q == "'" or v < 0x80 else bytes([v]).decode("utf-8", "replace"))
        else:
            raise _SyntaxError
    return "".join(out)


def unquote(lit: str) -> str:
    """strconv.Unquote for "...", `...` and '...' literals; raises _SyntaxError."""
    if len(lit) < 2 or lit[0] != lit[-1] or lit[0] not in "\"`'":
        raise _SyntaxError
    q, body = lit[0], lit[1:-1]
    if q == "`":
        if "`" in body:
            raise _SyntaxError
        return body.replace("\r", "")
    s = _unescape(body, q)
    if q == "'" and len(s) != 1:
        raise _SyntaxError
    return s


_NUM_CLEAN = re.compile(r"_")


def _parse_int(text: str) -> int | None:
    """strconv.ParseInt(text, 0, 64)."""
    s = text
    neg = False
    if s[:1] in "+-":
        neg = s[0] == "-"
        s = s[1:]
    if not s:
        return None
    base = 10
    low = s.lower()
    if low.startswith("0x"):
        base, s = 16, s[2:]
    elif low.startswith("0o"):
        base, s = 8, s[2:]
    elif low.startswith("0b"):
        base, s = 2, s[2:]
    elif len(s) > 1 and s[0] == "0":
        base, s = 8, s[1:]
    if not s or s.startswith("_") and base == 10:
        return None
    if "__" in s or s.endswith("_"):
        return None
    try:
        v = int(_NUM_CLEAN.sub("", s), base)
    except ValueError:
        return None
    v = -v if neg else v
    if not -(1 << 63) <= v < (1 << 63):
        return None
    return v


def _parse_float(text: str) -> float | None:
    s = _NUM_CLEAN.sub("", text)
    try:
        if s.lower().lstrip("+-").startswith("0x"):
            return float.fromhex(s)
        if s.lower().lstrip("+-") in ("inf", "infinity", "nan"):
            return None
        return float(s)
    except ValueError:
        return None


def new_number(pos: int, text: str, typ: T) -> NumberNode:
    """parse.newNumber: classify a number literal; raises TemplateError-ready ValueError on bad syntax."""
    n = NumberNode(pos, text)
    if typ == T.CHAR_CONSTANT:
        try:
            ch = unquote(text)
        except _SyntaxError:
            raise ValueError(f"malformed character constant: {text}") from None
        n.is_int = n.is_uint = n.is_float = True
        n.int_value = ord(ch)
        n.float_value = float(ord(ch))
        return n
    if typ == T.COMPLEX:
        try:
            c = complex(_NUM_CLEAN.sub("", text).replace("i", "j"))
        except ValueError:
            raise ValueError(f"illegal number syntax: {_go_q(text)}") from None
        n.is_complex = True
        n.complex_value = c
        return n
    if text.endswith("i") and not text.lower().startswith(("0x", "+0x", "-0x")):
        f = _parse_float(text[:-1])
        if f is None:
            raise ValueError(f"illegal number syntax: {_go_q(text)}")
        n.is_complex = True
        n.complex_value = complex(0, f)
        return n
    i = _parse_int(text)
    if i is not None:
        n.is_int = True
        n.int_value = i
        n.is_uint = i >= 0
        n.is_float = True
        n.float_value = float(i)
        return n
    f = _parse_float(text)
    if f is not None:
        if not any(c in text for c in ".eEpP"):
            raise ValueError(f"integer overflow: {_go_q(text)}")
        n.is_float = True
        n.float_value = f
        if f == int(f) and abs(f) < 2**63:
            n.is_int = True
            n.int_value = int(f)
        return n
    raise ValueError(f"illegal number syntax: {_go_q(text)}")


def is_empty_tree(n: Node | None) -> bool:
    """parse.IsEmptyTree: only whitespace text and comments."""
    if n is None or isinstance(n, CommentNode):
        return True
    if isinstance(n, ListNode):
        return all(is_empty_tree(c) for c in n.nodes)
    if isinstance(n, TextNode):
        return n.text.strip(" \t\r\n\v\f") == ""
    return False


class _Tree:
    """One template body being parsed; definitions share the token stream and tree set."""

    def __init__(self, parser: _Parser, name: str) -> None:
        self.p = parser
        self.name = name
        self.vars: list[str] = ["$"]
        self.range_depth = 0
        self.action_line = 0

    # -- token access
    def next(self) -> Item:
        return self.p.next()

    def backup(self, n: int = 1) -> None:
        self.p.idx -= n

    def peek(self) -> Item:
        tok = self.next()
        self.backup()
        return tok

    def next_non_space(self) -> Item:
        while True:
            tok = self.next()
            if tok.typ != T.SPACE:
                return tok

    def peek_non_space(self) -> Item:
        tok = self.next_non_space()
        self.backup()
        return tok

    # -- errors
    def errorf(self, msg: str) -> None:
        line, col = self.p.error_pos()
        raise TemplateError(f"template: {self.p.parse_name}:{line}:{col}: {msg}", line=line, col=col)

    def unexpected(self, tok: Item, context: str) -> None:
        if tok.typ == T.ERROR:
            extra = ""
            if self.action_line != 0 and self.action_line != tok.line:
                extra = f" in action started at {self.p.parse_name}:{self.action_line}"
                if tok.val.endswith(" action"):
                    extra = extra[len(" in action"):]
            self.errorf(f"{tok}{extra}")
        self.errorf(f"unexpected {tok} in {context}")

    def expect(self, typ: T, context: str) -> Item:
        tok = self.next_non_space()
        if tok.typ != typ:
            self.unexpected(tok, context)
        return tok

    # -- grammar
    def add(self, root: ListNode) -> None:
        existing = self.p.trees.get(self.name)
        if existing is None or is_empty_tree(existing):
            self.p.trees[self.name] = root
            return
        if not is_empty_tree(root):
            self.errorf(f'template: multiple definition of template "{self.name}"')

    def parse_top(self) -> ListNode:
        root = ListNode(self.peek().pos)
        while self.peek().typ != T.EOF:
            if self.peek().typ == T.LEFT_DELIM:
                start = self.p.idx
                self.next()
                if self.next_non_space().typ == T.DEFINE:
                    _Tree(self.p, "definition").parse_definition()
                    continue
                self.p.idx = start
            n = self.text_or_action()
            if isinstance(n, (EndNode, ElseNode)):
                self.errorf(f"unexpected {n}")
            root.nodes.append(n)
        return root

    def parse_definition(self) -> None:
        context = "define clause"
        tok = self.next_non_space()
        if tok.typ not in (T.STRING, T.RAW_STRING):
            self.unexpected(tok, context)
        self.name = self.unquote_or_fail(tok.val)
        self.expect(T.RIGHT_DELIM, context)
        root, end = self.item_list()
        if not isinstance(end, EndNode):
            self.errorf(f"unexpected {end} in {context}")
        self.add(root)

    def unquote_or_fail(self, lit: str) -> str:
        try:
            return unquote(lit)
        except _SyntaxError:
            self.errorf("invalid syntax")
            raise AssertionError from None

    def item_list(self) -> tuple[ListNode, Node]:
        lst = ListNode(self.peek_non_space().pos)
        while self.peek_non_space().typ != T.EOF:
            n = self.text_or_action()
            if isinstance(n, (EndNode, ElseNode)):
                return lst, n
            lst.nodes.append(n)
        self.errorf("unexpected EOF")
        raise AssertionError

    def text_or_action(self) -> Node:
        tok = self.next_non_space()
        if tok.typ == T.TEXT:
            return TextNode(tok.pos, tok.val)
        if tok.typ == T.LEFT_DELIM:
            self.action_line = tok.line
            try:
                return self.action()
            finally:
                self.action_line = 0
        self.unexpected(tok, "input")
        raise AssertionError

    def action(self) -> Node:
        tok = self.next_non_space()
        handlers = {
            T.BLOCK: self.block_control, T.ELSE: self.else_control, T.END: self.end_control,
            T.IF: self.if_control, T.RANGE: self.range_control, T.TEMPLATE: self.template_control,
            T.WITH: self.with_control,
        }
        if tok.typ == T.BREAK:
            return self.loop_control(tok, "break", BreakNode)
        if tok.typ == T.CONTINUE:
            return self.loop_control(tok, "continue", ContinueNode)
        if tok.typ in handlers:
            return handlers[tok.typ]()
        self.backup()
        start = self.peek()
        return ActionNode(start.pos, self.pipeline("command", T.RIGHT_DELIM))

    def loop_control(self, tok: Item, word: str, cls: type[Node]) -> Node:
        nxt = self.next_non_space()
        if nxt.typ != T.RIGHT_DELIM:
            self.unexpected(nxt, "{{" + word + "}}")
        if self.range_depth == 0:
            self.errorf("{{" + word + "}} outside {{range}}")
        return cls(tok.pos)

    def pipeline(self, context: str, end: T) -> PipeNode:
        pipe = PipeNode(self.peek_non_space().pos)
        while True:  # declarations
            v = self.peek_non_space()
            if v.typ != T.VARIABLE:
                break
            v_index = self.p.idx
            while self.p.tokens[v_index].typ == T.SPACE:
                v_index += 1
            self.p.idx = v_index + 1
            nxt = self.peek_non_space()
            if nxt.typ in (T.ASSIGN, T.DECLARE):
                pipe.is_assign = nxt.typ == T.ASSIGN
                self.next_non_space()
                pipe.decl.append(VariableNode(v.pos, v.val.split(".")))
                self.vars.append(v.val)
                break
            if nxt.typ == T.CHAR and nxt.val == ",":
                self.next_non_space()
                pipe.decl.append(VariableNode(v.pos, v.val.split(".")))
                self.vars.append(v.val)
                if context == "range" and len(pipe.decl) < 2:
                    if self.peek_non_space().typ in (T.VARIABLE, T.RIGHT_DELIM, T.RIGHT_PAREN):
                        continue
                    self.errorf("range can only initialize variables")
                self.errorf(f"too many declarations in {context}")
            self.p.idx = v_index
            break
        while True:
            tok = self.next_non_space()
            if tok.typ == end:
                self.check_pipeline(pipe, context)
                return pipe
            if tok.typ in (T.BOOL, T.CHAR_CONSTANT, T.COMPLEX, T.DOT, T.FIELD, T.IDENTIFIER, T.NUMBER,
                           T.NIL, T.RAW_STRING, T.STRING, T.VARIABLE, T.LEFT_PAREN):
                self.backup()
                pipe.cmds.append(self.command())
            else:
                self.unexpected(tok, context)

    def check_pipeline(self, pipe: PipeNode, context: str) -> None:
        if not pipe.cmds:
            self.errorf(f"missing value for {context}")
        for i, c in enumerate(pipe.cmds[1:]):
            if isinstance(c.args[0], (BoolNode, DotNode, NilNode, NumberNode, StringNode)):
                self.errorf(f"non executable command in pipeline stage {i + 2}")

    def command(self) -> CommandNode:
        cmd = CommandNode(self.peek_non_space().pos)
        while True:
            self.peek_non_space()
            operand = self.operand()
            if operand is not None:
                cmd.args.append(operand)
            tok = self.next()
            if tok.typ == T.SPACE:
                continue
            if tok.typ in (T.RIGHT_DELIM, T.RIGHT_PAREN):
                self.backup()
            elif tok.typ != T.PIPE:
                self.unexpected(tok, "operand")
            break
        if not cmd.args:
            self.errorf("empty command")
        return cmd

    def operand(self) -> Node | None:
        node = self.term()
        if node is None:
            return None
        if self.peek().typ == T.FIELD:
            fields: list[str] = []
            chain_pos = self.peek().pos
            while self.peek().typ == T.FIELD:
                fields.append(self.next().val[1:])
            if isinstance(node, FieldNode):
                node = FieldNode(chain_pos, [*node.ident, *fields])
            elif isinstance(node, VariableNode):
                node = VariableNode(chain_pos, [*node.ident, *fields])
            elif isinstance(node, (BoolNode, StringNode, NumberNode, NilNode, DotNode)):
                self.errorf(f"unexpected . after term {_go_q(str(node))}")
            else:
                node = ChainNode(chain_pos, node, fields)
        return node

    def term(self) -> Node | None:
        tok = self.next_non_space()
        t = tok.typ
        if t == T.IDENTIFIER:
            if tok.val not in self.p.funcs:
                self.errorf(f'function "{tok.val}" not defined')
            return IdentifierNode(tok.pos, tok.val)
        if t == T.DOT:
            return DotNode(tok.pos)
        if t == T.NIL:
            return NilNode(tok.pos)
        if t == T.VARIABLE:
            if tok.val not in self.vars:
                self.errorf(f'undefined variable "{tok.val}"')
            return VariableNode(tok.pos, [tok.val])
        if t == T.FIELD:
            return FieldNode(tok.pos, [tok.val[1:]])
        if t == T.BOOL:
            return BoolNode(tok.pos, tok.val == "true")
        if t in (T.CHAR_CONSTANT, T.COMPLEX, T.NUMBER):
            try:
                return new_number(tok.pos, tok.val, t)
            except ValueError as e:
                self.errorf(str(e))
        if t == T.LEFT_PAREN:
            return self.pipeline("parenthesized pipeline", T.RIGHT_PAREN)
        if t in (T.STRING, T.RAW_STRING):
            return StringNode(tok.pos, tok.val, self.unquote_or_fail(tok.val))
        self.backup()
        return None

    def parse_control(self, context: str) -> tuple[PipeNode, ListNode, ListNode | None]:
        mark = len(self.vars)
        try:
            pipe = self.pipeline(context, T.RIGHT_DELIM)
            if context == "range":
                self.range_depth += 1
            lst, nxt = self.item_list()
            if context == "range":
                self.range_depth -= 1
            else_list: ListNode | None = None
            if isinstance(nxt, ElseNode):
                if context == "if" and self.peek().typ == T.IF:
                    self.next()
                    else_list = ListNode(nxt.pos, [self.if_control()])
                elif context == "with" and self.peek().typ == T.WITH:
                    self.next()
                    else_list = ListNode(nxt.pos, [self.with_control()])
                else:
                    else_list, nxt = self.item_list()
                    if not isinstance(nxt, EndNode):
                        self.errorf(f"expected end; found {nxt}")
            return pipe, lst, else_list
        finally:
            del self.vars[mark:]

    def _branch(self, cls: type[BranchNode], context: str) -> BranchNode:
        pipe, lst, else_list = self.parse_control(context)
        return cls(pipe.pos, pipe, lst, else_list)

    def if_control(self) -> Node:
        return self._branch(IfNode, "if")

    def range_control(self) -> Node:
        return self._branch(RangeNode, "range")

    def with_control(self) -> Node:
        return self._branch(WithNode, "with")

    def end_control(self) -> Node:
        return EndNode(self.expect(T.RIGHT_DELIM, "end").pos)

    def else_control(self) -> Node:
        peek = self.peek_non_space()
        if peek.typ in (T.IF, T.WITH):
            return ElseNode(peek.pos)
        return ElseNode(self.expect(T.RIGHT_DELIM, "else").pos)

    def template_name(self, tok: Item, context: str) -> str:
        if tok.typ not in (T.STRING, T.RAW_STRING):
            self.unexpected(tok, context)
        return self.unquote_or_fail(tok.val)

    def block_control(self) -> Node:
        context = "block clause"
        tok = self.next_non_space()
        name = self.template_name(tok, context)
        pipe = self.pipeline(context, T.RIGHT_DELIM)
        block = _Tree(self.p, name)
        root, end = block.item_list()
        if not isinstance(end, EndNode):
            self.errorf(f"unexpected {end} in {context}")
        block.add(root)
        return TemplateNode(tok.pos, name, pipe)

    def template_control(self) -> Node:
        context = "template clause"
        tok = self.next_non_space()
        name = self.template_name(tok, context)
        pipe: PipeNode | None = None
        if self.next_non_space().typ != T.RIGHT_DELIM:
            self.backup()
            pipe = self.pipeline(context, T.RIGHT_DELIM)
        return TemplateNode(tok.pos, name, pipe)


def _go_q(s: str) -> str:
    from pollama.prompt.gofmt import quote

    return quote(s)


class _Parser:
    def __init__(self, name: str, text: str, funcs: Collection[str]) -> None:
        self.parse_name = name
        self.text = text
        self.funcs = funcs
        self.tokens = lex(text)
        self.idx = 0
        self.far = 0
        self.trees: dict[str, ListNode] = {}

    def next(self) -> Item:
        i = min(self.idx, len(self.tokens) - 1)
        tok = self.tokens[i]
        self.idx = i + 1
        self.far = max(self.far, i)
        return tok

    def error_pos(self) -> tuple[int, int]:
        """(line, byte column within the line) of the furthest token read: where parsing stopped."""
        tok = self.tokens[min(self.far, len(self.tokens) - 1)]
        pos = min(tok.pos, len(self.text))
        start = self.text.rfind("\n", 0, pos) + 1
        return tok.line, len(self.text[start:pos].encode("utf-8"))


def parse(text: str, name: str, funcs: Collection[str]) -> dict[str, ListNode]:
    """Parse a template into its named trees: the main body under `name` plus every define/block."""
    p = _Parser(name, text, funcs)
    tree = _Tree(p, name)
    root = tree.parse_top()
    tree.add(root)
    return p.trees
