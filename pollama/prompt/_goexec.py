"""Go text/template executor (text/template/exec.go and funcs.go semantics) over Python data."""

from __future__ import annotations

import bisect
import datetime as _dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

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
from pollama.prompt.gofmt import (
    NO_VALUE,
    Struct,
    format_value,
    html_escape,
    is_true,
    js_escape,
    json_marshal,
    kind,
    quote,
    sorted_items,
    sprint,
    sprintf,
    sprintln,
    type_name,
    url_query_escape,
)

__all__ = ["GoFunc", "GoError", "BUILTINS", "OLLAMA_FUNCS", "execute"]

MAX_DEPTH = 100


class GoError(Exception):
    """An error returned by a template function (reported as "error calling NAME: ...")."""


@dataclass(frozen=True)
class GoFunc:
    """A template function: params are "value" (reflect.Value), "any", "string", "int" or "bool"."""

    fn: Callable[..., Any]
    params: tuple[str, ...]
    variadic: bool = False
    builtin: bool = False


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


_MISSING: Any = _Missing()  # no final (piped) argument


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


_TYPE_NAMES = {"value": "reflect.Value", "any": "interface {}", "string": "string", "int": "int", "bool": "bool"}


# ---- builtins -------------------------------------------------------------------------------------------
def _indirect_interface(v: Any) -> Any:
    return NO_VALUE if v is None else v


def _basic_kind(v: Any) -> str:
    k = kind(v)
    if k in ("bool", "int", "float", "complex", "string"):
        return k
    return "invalid"


def _b_not(v: Any) -> bool:
    return not is_true(v)


def _b_len(v: Any) -> int:
    if v is None:
        raise GoError("len of nil pointer")
    k = kind(v)
    if k == "string":
        return len(v.encode("utf-8", "surrogatepass"))
    if k in ("slice", "map", "bytes"):
        return len(v)
    raise GoError(f"len of type {type_name(v)}")


def _index_arg(idx: Any, cap: int) -> int:
    idx = _indirect_interface(idx)
    if idx is NO_VALUE:
        raise GoError("cannot index slice/array with nil")
    if kind(idx) != "int":
        raise GoError(f"cannot index slice/array with type {type_name(idx)}")
    x = int(idx)
    if x < 0 or x > cap:
        raise GoError(f"index out of range: {x}")
    return x


def _b_index(item: Any, *indexes: Any) -> Any:
    item = _indirect_interface(item)
    if item is NO_VALUE:
        raise GoError("index of untyped nil")
    for idx in indexes:
        if item is None:
            raise GoError("index of nil pointer")
        k = kind(item)
        if k in ("string", "bytes", "slice"):
            seq: Sequence[Any] = item.encode("utf-8", "surrogatepass") if k == "string" else item
            x = _index_arg(idx, len(seq))
            if x == len(seq):
                raise GoError(f"index out of range: {x}")
            item = seq[x]
        elif k == "map":
            key = _indirect_interface(idx)
            if key is NO_VALUE:
                raise GoError("value is nil; should be of type string")
            if isinstance(key, str) or any(type(k2) is type(key) for k2 in item):
                item = item.get(key)
            else:
                raise GoError(f"value has type {type_name(key)}; should be string")
        else:
            raise GoError(f"can't index item of type {type_name(item)}")
    return item


def _b_slice(item: Any, *indexes: Any) -> Any:
    item = _indirect_interface(item)
    if item is NO_VALUE:
        raise GoError("slice of untyped nil")
    if len(indexes) > 3:
        raise GoError(f"too many slice indexes: {len(indexes)}")
    k = kind(item)
    if k == "string":
        if len(indexes) == 3:
            raise GoError("cannot 3-index slice a string")
        data = item.encode("utf-8", "surrogatepass")
    elif k in ("slice", "bytes"):
        data = item
    else:
        raise GoError(f"can't slice item of type {type_name(item)}")
    cap = len(data)
    idx = [0, len(data), len(data)]
    for i, index in enumerate(indexes):
        idx[i] = _index_arg(index, cap)
    if idx[0] > idx[1]:
        raise GoError(f"invalid slice index: {idx[0]} > {idx[1]}")
    if len(indexes) == 3 and idx[1] > idx[2]:
        raise GoError(f"invalid slice index: {idx[1]} > {idx[2]}")
    out = data[idx[0]:idx[1]]
    if k == "string":
        return bytes(out).decode("utf-8", "replace")
    return list(out) if isinstance(item, list) and not isinstance(out, list) else out


def _b_eq(arg1: Any, *arg2: Any) -> bool:
    arg1 = _indirect_interface(arg1)
    if not arg2:
        raise GoError("missing argument for comparison")
    k1 = _basic_kind(arg1)
    for arg in arg2:
        arg = _indirect_interface(arg)
        k2 = _basic_kind(arg)
        truth = False
        if k1 != k2:
            if arg1 is not NO_VALUE and arg is not NO_VALUE:
                raise GoError("incompatible types for comparison")
        elif k1 != "invalid":
            truth = arg1 == arg
        else:
            if arg1 is NO_VALUE or arg is NO_VALUE:
                truth = arg1 is arg
            elif kind(arg1) in ("map", "slice", "bytes") or kind(arg) in ("map", "slice", "bytes"):
                if type_name(arg1) != type_name(arg):
                    raise GoError(f"non-comparable types {format_value(arg1)}: {type_name(arg1)}, "
                                  f"{type_name(arg)}: {format_value(arg)}")
                raise GoError(f"non-comparable type {format_value(arg)}: {type_name(arg)}")
            else:
                truth = arg1 is arg or (type(arg1) is type(arg) and arg1 == arg)
        if truth:
            return True
    return False


def _b_ne(a: Any, b: Any) -> bool:
    return not _b_eq(a, b)


def _b_lt(a: Any, b: Any) -> bool:
    a = _indirect_interface(a)
    b = _indirect_interface(b)
    k1, k2 = _basic_kind(a), _basic_kind(b)
    if k1 == "invalid" or k2 == "invalid":
        raise GoError("invalid type for comparison")
    if k1 != k2:
        raise GoError("incompatible types for comparison")
    if k1 in ("bool", "complex"):
        raise GoError("invalid type for comparison")
    return bool(a < b)


def _b_le(a: Any, b: Any) -> bool:
    return _b_lt(a, b) or _b_eq(a, b)


def _b_gt(a: Any, b: Any) -> bool:
    return not _b_le(a, b)


def _b_ge(a: Any, b: Any) -> bool:
    return not _b_lt(a, b)


def _eval_args(args: Sequence[Any]) -> str:
    if len(args) == 1 and isinstance(args[0], str):
        return args[0]
    return sprint(list(args))


def _b_call(fn: Any, *args: Any) -> Any:
    fn = _indirect_interface(fn)
    if fn is NO_VALUE:
        raise GoError("call of nil")
    if not callable(fn) or isinstance(fn, (Struct, type)):
        raise GoError(f"non-function of type {type_name(fn)}")
    return fn(*[None if a is NO_VALUE else a for a in args])


def _b_and(*args: Any) -> Any:  # evaluated lazily by the executor
    raise AssertionError


BUILTINS: dict[str, GoFunc] = {
    "and": GoFunc(_b_and, ("value", "value"), True, True),
    "or": GoFunc(_b_and, ("value", "value"), True, True),
    "not": GoFunc(_b_not, ("value",), False, True),
    "len": GoFunc(_b_len, ("value",), False, True),
    "index": GoFunc(_b_index, ("value", "value"), True, True),
    "slice": GoFunc(_b_slice, ("value", "value"), True, True),
    "eq": GoFunc(_b_eq, ("value", "value"), True, True),
    "ne": GoFunc(_b_ne, ("value", "value"), False, True),
    "lt": GoFunc(_b_lt, ("value", "value"), False, True),
    "le": GoFunc(_b_le, ("value", "value"), False, True),
    "gt": GoFunc(_b_gt, ("value", "value"), False, True),
    "ge": GoFunc(_b_ge, ("value", "value"), False, True),
    "print": GoFunc(lambda *a: sprint(a), ("any",), True, True),
    "println": GoFunc(lambda *a: sprintln(a), ("any",), True, True),
    "printf": GoFunc(lambda f, *a: sprintf(f, a), ("string", "any"), True, True),
    "html": GoFunc(lambda *a: html_escape(_eval_args(a)), ("any",), True, True),
    "js": GoFunc(lambda *a: js_escape(_eval_args(a)), ("any",), True, True),
    "urlquery": GoFunc(lambda *a: url_query_escape(_eval_args(a)), ("any",), True, True),
    "call": GoFunc(_b_call, ("value", "value"), True, True),
}


# ---- Ollama's template functions ---------------------------------------------------------------------
def _ollama_json(v: Any) -> str:
    try:
        return json_marshal(v)
    except ValueError:
        return ""


def _today(delta: int = 0) -> str:
    return (_dt.date.today() + _dt.timedelta(days=delta)).strftime("%Y-%m-%d")


def _ts_type(v: Any) -> str:
    method = getattr(v, "to_typescript_type", None)
    return method() if callable(method) else "any"


OLLAMA_FUNCS: dict[str, GoFunc] = {
    "json": GoFunc(_ollama_json, ("any",)),
    "currentDate": GoFunc(lambda *a: _today(), ("string",), True),
    "yesterdayDate": GoFunc(lambda *a: _today(-1), ("string",), True),
    "toTypeScriptType": GoFunc(_ts_type, ("any",)),
}


# ---- the executor ---------------------------------------------------------------------------------------
class _State:
    def __init__(self, trees: Mapping[str, ListNode], funcs: Mapping[str, GoFunc], name: str, parse_name: str,
                 text: str, lenient: bool) -> None:
        self.trees = trees
        self.funcs = funcs
        self.name = name
        self.parse_name = parse_name
        self.text = text
        self.lenient = lenient
        self.out: list[str] = []
        self.vars: list[list[Any]] = []
        self.node: Node | None = None
        self.depth = 0
        self._newlines = [i for i, c in enumerate(text) if c == "\n"]

    # -- errors
    def at(self, node: Node) -> None:
        self.node = node

    def errorf(self, msg: str) -> None:
        if self.node is None:
            raise TemplateError(f"template: {self.name}: {msg}")
        pos = min(self.node.pos, len(self.text))
        line_idx = bisect.bisect_left(self._newlines, pos)
        line_start = self._newlines[line_idx - 1] + 1 if line_idx > 0 else 0
        col = len(self.text[line_start:pos].encode("utf-8", "surrogatepass"))
        loc = f"{self.parse_name}:{line_idx + 1}:{col}"
        raise TemplateError(f"template: {loc}: executing {quote(self.name)} at <{self.node}>: {msg}")

    # -- variables
    def push(self, name: str, value: Any) -> None:
        self.vars.append([name, value])

    def mark(self) -> int:
        return len(self.vars)

    def pop(self, mark: int) -> None:
        del self.vars[mark:]

    def set_var(self, name: str, value: Any) -> None:
        for entry in reversed(self.vars):
            if entry[0] == name:
                entry[1] = value
                return
        self.errorf(f"undefined variable: {name}")

    def set_top_var(self, n: int, value: Any) -> None:
        self.vars[len(self.vars) - n][1] = value

    def var_value(self, name: str) -> Any:
        for entry in reversed(self.vars):
            if entry[0] == name:
                return entry[1]
        if self.lenient:
            return NO_VALUE
        self.errorf(f"undefined variable: {name}")

    # -- walking
    def walk(self, dot: Any, node: Node) -> None:
        self.at(node)
        if isinstance(node, ActionNode):
            val = self.eval_pipeline(dot, node.pipe)
            if not node.pipe.decl:
                self.print_value(node, val)
        elif isinstance(node, TextNode):
            self.out.append(node.text)
        elif isinstance(node, ListNode):
            for n in node.nodes:
                self.walk(dot, n)
        elif isinstance(node, (IfNode, WithNode)):
            self.walk_if_or_with(isinstance(node, WithNode), dot, node)
        elif isinstance(node, RangeNode):
            self.walk_range(dot, node)
        elif isinstance(node, TemplateNode):
            self.walk_template(dot, node)
        elif isinstance(node, BreakNode):
            raise _Break
        elif isinstance(node, ContinueNode):
            raise _Continue
        elif isinstance(node, CommentNode):
            pass
        else:
            self.errorf(f"unknown node: {node}")

    def walk_if_or_with(self, is_with: bool, dot: Any, node: BranchNode) -> None:
        mark = self.mark()
        try:
            val = self.eval_pipeline(dot, node.pipe)
            if is_true(val):
                self.walk(val if is_with else dot, node.list)
            elif node.else_list is not None:
                self.walk(dot, node.else_list)
        finally:
            self.pop(mark)

    def walk_range(self, dot: Any, r: RangeNode) -> None:
        self.at(r)
        outer = self.mark()
        try:
            val = self.eval_pipeline(dot, r.pipe)
            mark = self.mark()
            decl = r.pipe.decl

            def one(index: Any, elem: Any) -> None:
                if decl:
                    if r.pipe.is_assign:
                        self.set_var(decl[0].ident[0], index if len(decl) > 1 else elem)
                    else:
                        self.set_top_var(1, elem)
                if len(decl) > 1:
                    if r.pipe.is_assign:
                        self.set_var(decl[1].ident[0], elem)
                    else:
                        self.set_top_var(2, index)
                try:
                    self.walk(elem, r.list)
                except _Continue:
                    pass
                finally:
                    self.pop(mark)

            k = kind(val)
            try:
                if k in ("slice", "bytes"):
                    if len(val):
                        for i, elem in enumerate(val):
                            one(i, elem)
                        return
                elif k == "int":
                    if len(decl) > 1:
                        self.errorf(f"can't use {format_value(val)} to iterate over more than one variable")
                    if val > 0:
                        for i in range(val):
                            one(i, i)
                        return
                elif k == "map":
                    if len(val):
                        for key, elem in sorted_items(val):
                            one(key, elem)
                        return
                elif k not in ("invalid", "nil"):
                    self.errorf(f"range can't iterate over {format_value(val)}")
            except _Break:
                return
            if r.else_list is not None:
                self.walk(dot, r.else_list)
        finally:
            self.pop(outer)

    def walk_template(self, dot: Any, t: TemplateNode) -> None:
        self.at(t)
        tree = self.trees.get(t.name)
        if tree is None:
            self.errorf(f"template {quote(t.name)} not defined")
        if self.depth >= MAX_DEPTH:
            self.errorf(f"exceeded maximum template depth ({MAX_DEPTH})")
        new_dot = self.eval_pipeline(dot, t.pipe)
        saved = (self.vars, self.name, self.depth)
        self.vars = [["$", new_dot]]
        self.name = t.name
        self.depth += 1
        try:
            self.walk(new_dot, tree)  # type: ignore[arg-type]
        finally:
            self.vars, self.name, self.depth = saved

    # -- values
    def print_value(self, node: Node, v: Any) -> None:
        self.at(node)
        if v is NO_VALUE:
            self.out.append("<no value>")
            return
        if kind(v) == "func":
            self.errorf(f"can't print {node} of type {type_name(v)}")
        self.out.append(format_value(v))

    def eval_pipeline(self, dot: Any, pipe: PipeNode | None) -> Any:
        if pipe is None:
            return NO_VALUE
        self.at(pipe)
        value: Any = _MISSING
        for cmd in pipe.cmds:
            value = self.eval_command(dot, cmd, value)
            if value is None:
                value = NO_VALUE
        for var in pipe.decl:
            if pipe.is_assign:
                self.set_var(var.ident[0], value)
            else:
                self.push(var.ident[0], value)
        return value

    def not_a_function(self, args: Sequence[Node], final: Any) -> None:
        if len(args) > 1 or final is not _MISSING:
            self.errorf(f"can't give argument to non-function {args[0]}")

    def eval_command(self, dot: Any, cmd: CommandNode, final: Any) -> Any:
        first = cmd.args[0]
        if isinstance(first, FieldNode):
            return self.eval_field_node(dot, first, cmd.args, final)
        if isinstance(first, ChainNode):
            return self.eval_chain_node(dot, first, cmd.args, final)
        if isinstance(first, IdentifierNode):
            return self.eval_function(dot, first, cmd, cmd.args, final)
        if isinstance(first, PipeNode):
            self.not_a_function(cmd.args, final)
            return self.eval_pipeline(dot, first)
        if isinstance(first, VariableNode):
            return self.eval_variable_node(dot, first, cmd.args, final)
        self.at(first)
        self.not_a_function(cmd.args, final)
        if isinstance(first, BoolNode):
            return first.value
        if isinstance(first, DotNode):
            return dot
        if isinstance(first, NilNode):
            self.errorf("nil is not a command")
        if isinstance(first, NumberNode):
            return self.ideal_constant(first)
        if isinstance(first, StringNode):
            return first.text
        self.errorf(f"can't evaluate command {quote(str(first))}")

    def ideal_constant(self, n: NumberNode) -> Any:
        self.at(n)
        if n.is_complex:
            return n.complex_value
        text = n.text
        is_hex_int = len(text) > 2 and text[0] == "0" and text[1] in "xX" and not any(c in text for c in ".pP")
        if n.is_float and not is_hex_int and not text.startswith("'") and any(c in text for c in ".eEpP"):
            return n.float_value
        if n.is_int:
            return n.int_value
        self.errorf(f"{text} overflows int")

    def eval_field_node(self, dot: Any, field: FieldNode, args: Sequence[Node] | None, final: Any) -> Any:
        self.at(field)
        return self.eval_field_chain(dot, dot, field, field.ident, args, final)

    def eval_chain_node(self, dot: Any, chain: ChainNode, args: Sequence[Node] | None, final: Any) -> Any:
        self.at(chain)
        if not chain.field:
            self.errorf("internal error: no fields in evalChainNode")
        if isinstance(chain.node, NilNode):
            self.errorf(f"indirection through explicit nil in {chain}")
        assert chain.node is not None
        pipe = self.eval_arg(dot, None, chain.node)
        return self.eval_field_chain(dot, pipe, chain, chain.field, args, final)

    def eval_variable_node(self, dot: Any, var: VariableNode, args: Sequence[Node] | None, final: Any) -> Any:
        self.at(var)
        value = self.var_value(var.ident[0])
        if len(var.ident) == 1:
            self.not_a_function(args or [var], final)
            return value
        return self.eval_field_chain(dot, value, var, var.ident[1:], args, final)

    def eval_field_chain(self, dot: Any, receiver: Any, node: Node, ident: Sequence[str],
                         args: Sequence[Node] | None, final: Any) -> Any:
        for name in ident[:-1]:
            receiver = self.eval_field(dot, name, node, None, _MISSING, receiver)
        return self.eval_field(dot, ident[-1], node, args, final, receiver)

    def eval_field(self, dot: Any, name: str, node: Node, args: Sequence[Node] | None, final: Any,
                   receiver: Any) -> Any:
        if receiver is NO_VALUE:
            return NO_VALUE
        if receiver is None:
            self.errorf(f"nil pointer evaluating interface {{}}.{name}")
        methods = getattr(receiver, "go_methods", None)
        if callable(methods):
            method = methods().get(name)
            if method is not None:
                return self.eval_call(dot, method, node, name, args, final)
        has_args = (args is not None and len(args) > 1) or final is not _MISSING
        if isinstance(receiver, Struct):
            if receiver.has_field(name):
                if has_args:
                    self.errorf(f"{name} has arguments but cannot be invoked as function")
                return receiver.get_field(name)
        elif isinstance(receiver, Mapping):
            if has_args:
                self.errorf(f"{name} is not a method but has arguments")
            return receiver.get(name)
        self.errorf(f"can't evaluate field {name} in type {type_name(receiver)}")

    def eval_function(self, dot: Any, node: IdentifierNode, cmd: Node, args: Sequence[Node] | None,
                      final: Any) -> Any:
        self.at(node)
        fn = self.funcs.get(node.name)
        if fn is None:
            self.errorf(f'"{node.name}" is not a defined function')
        assert fn is not None
        return self.eval_call(dot, fn, cmd, node.name, args, final)

    def eval_call(self, dot: Any, fn: GoFunc, node: Node, name: str, args: Sequence[Node] | None,
                  final: Any) -> Any:
        rest = list(args[1:]) if args else []
        num_in = len(rest) + (0 if final is _MISSING else 1)
        nparams = len(fn.params)
        num_fixed = len(rest)
        if fn.variadic:
            num_fixed = nparams - 1
            if num_in < num_fixed:
                self.errorf(f"wrong number of args for {name}: want at least {num_fixed} got {len(rest)}")
        elif num_in != nparams:
            self.errorf(f"wrong number of args for {name}: want {nparams} got {num_in}")
        if fn.builtin and name in ("and", "or"):
            v: Any = NO_VALUE
            for arg in rest:
                v = self.eval_arg(dot, "value", arg)
                if is_true(v) == (name == "or"):
                    return v
            if final is not _MISSING:
                v = self.validate(final, "value")
            return v
        argv: list[Any] = []
        i = 0
        while i < num_fixed and i < len(rest):
            argv.append(self.eval_arg(dot, fn.params[i], rest[i]))
            i += 1
        if fn.variadic:
            for arg in rest[i:]:
                argv.append(self.eval_arg(dot, fn.params[-1], arg))
        if final is not _MISSING:
            t = fn.params[-1]
            if fn.variadic and num_in - 1 < num_fixed:
                t = fn.params[num_in - 1]
            argv.append(self.validate(final, t))
        try:
            return fn.fn(*argv)
        except TemplateError:
            raise
        except (GoError, Exception) as e:  # noqa: B014 - a function's failure is a template error
            self.at(node)
            self.errorf(f"error calling {name}: {e}")

    def validate(self, value: Any, typ: str | None) -> Any:
        if value is NO_VALUE:
            if typ is None:
                return NO_VALUE
            if typ == "any":
                return None
            self.errorf(f"invalid value; expected {_TYPE_NAMES[typ]}")
        if typ in (None, "value", "any"):
            return value
        want = {"string": "string", "int": "int", "bool": "bool"}[typ]
        if kind(value) == want:
            return value
        self.errorf(f"wrong type for value; expected {_TYPE_NAMES[typ]}; got {type_name(value)}")

    def eval_arg(self, dot: Any, typ: str | None, n: Node) -> Any:
        self.at(n)
        if isinstance(n, DotNode):
            return self.validate(dot, typ)
        if isinstance(n, NilNode):
            if typ == "any":
                return None
            self.errorf(f"cannot assign nil to {_TYPE_NAMES.get(typ or '', 'interface {}')}")
        if isinstance(n, FieldNode):
            return self.validate(self.eval_field_node(dot, n, [n], _MISSING), typ)
        if isinstance(n, VariableNode):
            return self.validate(self.eval_variable_node(dot, n, None, _MISSING), typ)
        if isinstance(n, PipeNode):
            return self.validate(self.eval_pipeline(dot, n), typ)
        if isinstance(n, IdentifierNode):
            return self.validate(self.eval_function(dot, n, n, None, _MISSING), typ)
        if isinstance(n, ChainNode):
            return self.validate(self.eval_chain_node(dot, n, None, _MISSING), typ)
        if typ == "bool":
            if isinstance(n, BoolNode):
                return n.value
            self.errorf(f"expected bool; found {n}")
        if typ == "string":
            if isinstance(n, StringNode):
                return n.text
            self.errorf(f"expected string; found {n}")
        if typ == "int":
            if isinstance(n, NumberNode) and n.is_int:
                return n.int_value
            self.errorf(f"expected integer; found {n}")
        if isinstance(n, BoolNode):
            return n.value
        if isinstance(n, NumberNode):
            return self.ideal_constant(n)
        if isinstance(n, StringNode):
            return n.text
        self.errorf(f"can't handle {n} for arg of type {_TYPE_NAMES.get(typ or '', 'interface {}')}")


def execute(trees: Mapping[str, ListNode], name: str, data: Any, *, funcs: Mapping[str, GoFunc],
            parse_name: str, text: str, lenient: bool = False, root: ListNode | None = None) -> str:
    """Run template `name` (or the given root list) over `data`; raises TemplateError like Go."""
    state = _State(trees, funcs, name, parse_name, text, lenient)
    dot = NO_VALUE if data is None else data
    state.vars = [["$", dot]]
    tree = root if root is not None else trees.get(name)
    if tree is None:
        state.errorf(f"{quote(name)} is an incomplete or empty template")
    try:
        state.walk(dot, tree)  # type: ignore[arg-type]
    except RecursionError:
        raise TemplateError(f"template: {name}: exceeded maximum template depth") from None
    except (_Break, _Continue):
        raise TemplateError(f"template: {name}: break or continue outside range") from None
    return "".join(state.out)
