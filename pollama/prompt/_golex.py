"""Go text/template lexer (text/template/parse/lex.go semantics, default {{ }} delimiters)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import IntEnum

from pollama.prompt.gofmt import quote

__all__ = ["T", "Item", "lex", "unicode_repr"]


class T(IntEnum):
    ERROR = 0
    BOOL = 1
    CHAR = 2
    CHAR_CONSTANT = 3
    COMMENT = 4
    COMPLEX = 5
    ASSIGN = 6
    DECLARE = 7
    EOF = 8
    FIELD = 9
    IDENTIFIER = 10
    LEFT_DELIM = 11
    LEFT_PAREN = 12
    NUMBER = 13
    PIPE = 14
    RAW_STRING = 15
    RIGHT_DELIM = 16
    RIGHT_PAREN = 17
    SPACE = 18
    STRING = 19
    TEXT = 20
    VARIABLE = 21
    KEYWORD = 22  # keywords sort after this
    BLOCK = 23
    BREAK = 24
    CONTINUE = 25
    DOT = 26
    DEFINE = 27
    ELSE = 28
    END = 29
    IF = 30
    NIL = 31
    RANGE = 32
    TEMPLATE = 33
    WITH = 34


KEYWORDS = {
    ".": T.DOT, "block": T.BLOCK, "break": T.BREAK, "continue": T.CONTINUE, "define": T.DEFINE,
    "else": T.ELSE, "end": T.END, "if": T.IF, "range": T.RANGE, "nil": T.NIL, "template": T.TEMPLATE,
    "with": T.WITH,
}

LEFT, RIGHT = "{{", "}}"
SPACE_CHARS = " \t\r\n"


@dataclass(slots=True)
class Item:
    typ: T
    pos: int
    val: str
    line: int

    def __str__(self) -> str:
        if self.typ == T.EOF:
            return "EOF"
        if self.typ == T.ERROR:
            return self.val
        if self.typ > T.KEYWORD:
            return f"<{self.val}>"
        if len(self.val) > 10:
            return quote(self.val[:10]) + "..."
        return quote(self.val)


def unicode_repr(ch: str | None) -> str:
    """Go's %#U of a rune: U+0041 'A'."""
    if ch is None:
        return "U+FFFFFFFFFFFFFFFF"
    c = ord(ch)
    out = f"U+{c:04X}"
    if ch == " " or unicodedata.category(ch)[0] in "LMNPS":
        out += f" '{ch}'"
    return out


def _is_space(ch: str | None) -> bool:
    return ch is not None and ch in SPACE_CHARS


def _is_alnum(ch: str | None) -> bool:
    if ch is None:
        return False
    if ch == "_":
        return True
    cat = unicodedata.category(ch)
    return cat[0] == "L" or cat == "Nd"


class _Lexer:
    def __init__(self, text: str) -> None:
        self.input = text
        self.pos = 0
        self.start = 0
        self.at_eof = False
        self.items: list[Item] = []
        self.paren_depth = 0
        self.newlines: list[int] = [i for i, c in enumerate(text) if c == "\n"]

    def line_of(self, pos: int) -> int:
        import bisect

        return 1 + bisect.bisect_left(self.newlines, pos)

    # -- primitives
    def next(self) -> str | None:
        if self.pos >= len(self.input):
            self.at_eof = True
            return None
        ch = self.input[self.pos]
        self.pos += 1
        return ch

    def peek(self) -> str | None:
        return self.input[self.pos] if self.pos < len(self.input) else None

    def backup(self) -> None:
        if not self.at_eof and self.pos > 0:
            self.pos -= 1
        self.at_eof = False

    def emit(self, typ: T) -> None:
        self.items.append(Item(typ, self.start, self.input[self.start:self.pos], self.line_of(self.start)))
        self.start = self.pos

    def ignore(self) -> None:
        self.start = self.pos

    def accept(self, valid: str) -> bool:
        ch = self.next()
        if ch is not None and ch in valid:
            return True
        self.backup()
        return False

    def accept_run(self, valid: str) -> None:
        while True:
            ch = self.next()
            if ch is None or ch not in valid:
                break
        self.backup()

    def errorf(self, msg: str) -> None:
        self.items.append(Item(T.ERROR, self.start, msg, self.line_of(self.start)))
        return None

    def has_left_trim(self, at: int) -> bool:
        s = self.input
        return at + 1 < len(s) and s[at] == "-" and s[at + 1] in SPACE_CHARS

    def has_right_trim(self, at: int) -> bool:
        s = self.input
        return at + 1 < len(s) and s[at] in SPACE_CHARS and s[at + 1] == "-"

    def at_right_delim(self) -> tuple[bool, bool]:
        if self.has_right_trim(self.pos) and self.input.startswith(RIGHT, self.pos + 2):
            return True, True
        if self.input.startswith(RIGHT, self.pos):
            return True, False
        return False, False

    def at_terminator(self) -> bool:
        ch = self.peek()
        if ch is None or _is_space(ch):
            return True
        return ch in ".,|:)(" or ch == RIGHT[0]

    # -- states
    def run(self) -> list[Item]:
        state = self.lex_text
        while state is not None:
            state = state()
        return self.items

    def lex_text(self):  # type: ignore[no-untyped-def]
        x = self.input.find(LEFT, self.pos)
        if x >= 0:
            if x > self.pos:
                self.pos = x
                trim = 0
                if self.has_left_trim(x + len(LEFT)):
                    chunk = self.input[self.start:self.pos]
                    trim = len(chunk) - len(chunk.rstrip(SPACE_CHARS))
                self.pos -= trim
                if self.pos > self.start:
                    self.emit(T.TEXT)
                self.pos += trim
                self.ignore()
            return self.lex_left_delim
        self.pos = len(self.input)
        if self.pos > self.start:
            self.emit(T.TEXT)
        self.emit(T.EOF)
        return None

    def lex_left_delim(self):  # type: ignore[no-untyped-def]
        self.pos += len(LEFT)
        trim = self.has_left_trim(self.pos)
        after = 2 if trim else 0
        if self.input.startswith("/*", self.pos + after):
            self.pos += after
            self.ignore()
            return self.lex_comment
        self.emit(T.LEFT_DELIM)
        self.pos += after
        self.ignore()
        self.paren_depth = 0
        return self.lex_inside_action

    def lex_comment(self):  # type: ignore[no-untyped-def]
        self.pos += 2
        x = self.input.find("*/", self.pos)
        if x < 0:
            return self.errorf("unclosed comment")
        self.pos = x + 2
        delim, trim = self.at_right_delim()
        if not delim:
            return self.errorf("comment ends before closing delimiter")
        if trim:
            self.pos += 2
        self.pos += len(RIGHT)
        if trim:
            rest = self.input[self.pos:]
            self.pos += len(rest) - len(rest.lstrip(SPACE_CHARS))
        self.ignore()
        return self.lex_text

    def lex_right_delim(self):  # type: ignore[no-untyped-def]
        _, trim = self.at_right_delim()
        if trim:
            self.pos += 2
            self.ignore()
        self.pos += len(RIGHT)
        self.emit(T.RIGHT_DELIM)
        if trim:
            rest = self.input[self.pos:]
            self.pos += len(rest) - len(rest.lstrip(SPACE_CHARS))
            self.ignore()
        return self.lex_text

    def lex_inside_action(self):  # type: ignore[no-untyped-def]
        delim, _ = self.at_right_delim()
        if delim:
            if self.paren_depth == 0:
                return self.lex_right_delim
            return self.errorf("unclosed left paren")
        ch = self.next()
        if ch is None:
            return self.errorf("unclosed action")
        if _is_space(ch):
            self.backup()
            return self.lex_space
        if ch == "=":
            self.emit(T.ASSIGN)
        elif ch == ":":
            if self.next() != "=":
                return self.errorf("expected :=")
            self.emit(T.DECLARE)
        elif ch == "|":
            self.emit(T.PIPE)
        elif ch == '"':
            return self.lex_quote
        elif ch == "`":
            return self.lex_raw_quote
        elif ch == "$":
            return self.lex_variable
        elif ch == "'":
            return self.lex_char
        elif ch == "." and not (self.pos < len(self.input) and "0" <= self.input[self.pos] <= "9"):
            return self.lex_field
        elif ch in "+-." or "0" <= ch <= "9":
            self.backup()
            return self.lex_number
        elif _is_alnum(ch):
            self.backup()
            return self.lex_identifier
        elif ch == "(":
            self.paren_depth += 1
            self.emit(T.LEFT_PAREN)
        elif ch == ")":
            self.paren_depth -= 1
            if self.paren_depth < 0:
                return self.errorf("unexpected right paren")
            self.emit(T.RIGHT_PAREN)
        elif ord(ch) < 0x80 and ch.isprintable():
            self.emit(T.CHAR)
        else:
            return self.errorf(f"unrecognized character in action: {unicode_repr(ch)}")
        return self.lex_inside_action

    def lex_space(self):  # type: ignore[no-untyped-def]
        n = 0
        while _is_space(self.peek()):
            self.next()
            n += 1
        if self.has_right_trim(self.pos - 1) and self.input.startswith(RIGHT, self.pos + 1):
            self.backup()
            if n == 1:
                return self.lex_inside_action
        self.emit(T.SPACE)
        return self.lex_inside_action

    def lex_identifier(self):  # type: ignore[no-untyped-def]
        while True:
            ch = self.next()
            if _is_alnum(ch):
                continue
            self.backup()
            word = self.input[self.start:self.pos]
            if not self.at_terminator():
                return self.errorf(f"bad character {unicode_repr(ch)}")
            kw = KEYWORDS.get(word)
            if kw is not None and kw > T.KEYWORD:
                self.emit(kw)
            elif word[0] == ".":
                self.emit(T.FIELD)
            elif word in ("true", "false"):
                self.emit(T.BOOL)
            else:
                self.emit(T.IDENTIFIER)
            return self.lex_inside_action

    def lex_field(self):  # type: ignore[no-untyped-def]
        return self.lex_field_or_variable(T.FIELD)

    def lex_variable(self):  # type: ignore[no-untyped-def]
        if self.at_terminator():
            self.emit(T.VARIABLE)
            return self.lex_inside_action
        return self.lex_field_or_variable(T.VARIABLE)

    def lex_field_or_variable(self, typ: T):  # type: ignore[no-untyped-def]
        if self.at_terminator():
            self.emit(T.VARIABLE if typ == T.VARIABLE else T.DOT)
            return self.lex_inside_action
        ch: str | None = None
        while True:
            ch = self.next()
            if not _is_alnum(ch):
                self.backup()
                break
        if not self.at_terminator():
            return self.errorf(f"bad character {unicode_repr(ch)}")
        self.emit(typ)
        return self.lex_inside_action

    def lex_char(self):  # type: ignore[no-untyped-def]
        return self._lex_escaped("'", T.CHAR_CONSTANT, "unterminated character constant")

    def lex_number(self):  # type: ignore[no-untyped-def]
        if not self.scan_number():
            return self.errorf(f"bad number syntax: {quote(self.input[self.start:self.pos])}")
        sign = self.peek()
        if sign is not None and sign in "+-":
            if not self.scan_number() or self.input[self.pos - 1] != "i":
                return self.errorf(f"bad number syntax: {quote(self.input[self.start:self.pos])}")
            self.emit(T.COMPLEX)
        else:
            self.emit(T.NUMBER)
        return self.lex_inside_action

    def scan_number(self) -> bool:
        self.accept("+-")
        digits = "0123456789_"
        if self.accept("0"):
            if self.accept("xX"):
                digits = "0123456789abcdefABCDEF_"
            elif self.accept("oO"):
                digits = "01234567_"
            elif self.accept("bB"):
                digits = "01_"
        self.accept_run(digits)
        if self.accept("."):
            self.accept_run(digits)
        if len(digits) == 11 and self.accept("eE"):
            self.accept("+-")
            self.accept_run("0123456789_")
        if len(digits) == 23 and self.accept("pP"):
            self.accept("+-")
            self.accept_run("0123456789_")
        self.accept("i")
        if _is_alnum(self.peek()):
            self.next()
            return False
        return True

    def lex_quote(self):  # type: ignore[no-untyped-def]
        return self._lex_escaped('"', T.STRING, "unterminated quoted string")

    def _lex_escaped(self, close: str, typ: T, unterminated: str):  # type: ignore[no-untyped-def]
        """Scan to `close` on this line, skipping backslash escapes; emit it as `typ`."""
        while True:
            ch = self.next()
            if ch == "\\":
                nxt = self.next()
                if nxt is not None and nxt != "\n":
                    continue
                return self.errorf(unterminated)
            if ch is None or ch == "\n":
                return self.errorf(unterminated)
            if ch == close:
                break
        self.emit(typ)
        return self.lex_inside_action

    def lex_raw_quote(self):  # type: ignore[no-untyped-def]
        while True:
            ch = self.next()
            if ch is None:
                return self.errorf("unterminated raw quoted string")
            if ch == "`":
                break
        self.emit(T.RAW_STRING)
        return self.lex_inside_action


def lex(text: str) -> list[Item]:
    """Tokenize a template; the list ends with an EOF or ERROR item."""
    return _Lexer(text).run()
