"""The contents of ``loc(...)``, checked as MLIR's location parser reads them.

The lexer never sees what is inside a location (:func:`~avial2c.frontend.
reader.blank_locations` blanks it, so that any depth of nesting works);
this module reads it, without recursion, and reports what MLIR rejects::

    location := '#alias'                          (a location alias)
              | STRING [':' INT [':' INT ['to' (INT ':' INT | ':' INT)]]]
              | STRING '(' location ')'           (a name with a child)
              | 'callsite' '(' location 'at' location ')'
              | 'fused' ['<' attribute '>'] '[' [location (',' location)*] ']'
              | 'unknown'

Lines and columns are unsigned 32-bit integers (decimal or hexadecimal).
An alias used inside a location must be defined before it; the alias that
is the whole location of an op or argument (``loc(#loc3)``) may be defined
anywhere in the file, as mlir-opt prints them after the module.  Locations
carry nothing the translator uses: this is only a check.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from avial2c.diagnostics import CompileError
from avial2c.ir import Span

# What an alias stands for: a location, or (for messages) another attribute's text.
LOCATION = "location"

_INT = re.compile(r"0x[0-9a-fA-F]+|[0-9]+")
_BARE = re.compile(r"[A-Za-z_][A-Za-z0-9_$.]*")
_HASH = re.compile(r"#[A-Za-z0-9_$.\-]+")
_HEX2 = re.compile(r"[0-9a-fA-F]{2}")
MAX_U32 = (1 << 32) - 1


@dataclass(frozen=True)
class Alias:
    offset: int  # where its definition starts
    value: str  # LOCATION, or the text of the attribute it names


@dataclass(frozen=True)
class Tok:
    kind: str  # 'str' | 'int' | 'bare' | 'hash' | 'punct' | 'end'
    text: str
    start: int


class LocationChecker:
    """Checks the locations of one file's TEXT (aliases: the file's attribute
    aliases, by name with the '#')."""

    def __init__(self, text: str, filename: str, aliases: dict[str, Alias]) -> None:
        self.text = text
        self.file = filename
        self.aliases = aliases
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.pos = 0
        self.end = 0

    # ----- errors

    def span(self, start: int, length: int) -> Span:
        line = bisect.bisect_right(self.line_starts, start)
        col = start - self.line_starts[line - 1] + 1
        return Span(self.file, line, col, line, col + max(length, 1))

    def error(self, message: str, tok: Tok) -> CompileError:
        return CompileError(f"invalid location: {message}", self.span(tok.start, len(tok.text)))

    def expected(self, what: str, tok: Tok) -> CompileError:
        found = "the end of the location" if tok.kind == "end" else f"'{tok.text}'"
        return self.error(f"expected {what}, found {found}", tok)

    # ----- tokens

    def skip_space(self) -> None:
        text, i = self.text, self.pos
        while i < self.end:
            if text[i].isspace():
                i += 1
            elif text.startswith("//", i):
                newline = text.find("\n", i, self.end)
                i = self.end if newline < 0 else newline
            else:
                break
        self.pos = i

    def peek(self) -> Tok:
        self.skip_space()
        text, i = self.text, self.pos
        if i >= self.end:
            return Tok("end", "", min(i, len(text)))
        ch = text[i]
        if ch == '"':
            return Tok("str", text[i : self.string_end(i)], i)
        for kind, pattern in (("int", _INT), ("bare", _BARE), ("hash", _HASH)):
            m = pattern.match(text, i, self.end)
            if m is not None:
                return Tok(kind, m[0], i)
        return Tok("punct", ch, i)

    def string_end(self, start: int) -> int:
        """Just past the string at START; an unterminated string or an escape
        MLIR does not know is an error."""
        text, i = self.text, start + 1
        while i < self.end and text[i] not in '"\n':
            if text[i] == "\\":
                if text[i + 1 : i + 2] not in ('"', "\\", "n", "t") and not _HEX2.fullmatch(
                    text[i + 1 : i + 3]
                ):
                    raise self.error("unknown escape in string", Tok("str", text[i : i + 2], i))
                i += 1
            i += 1
        if i >= self.end or text[i] != '"':
            raise self.error("unterminated string", Tok("str", text[start:i], start))
        return i + 1

    def take(self) -> Tok:
        tok = self.peek()
        self.pos = tok.start + len(tok.text)
        return tok

    def accept(self, text: str) -> bool:
        tok = self.peek()
        if tok.text == text and tok.kind in ("punct", "bare"):
            self.pos = tok.start + len(tok.text)
            return True
        return False

    def expect(self, text: str, what: str) -> None:
        if not self.accept(text):
            raise self.expected(what, self.peek())

    def number(self, what: str) -> None:
        tok = self.peek()
        if tok.kind != "int":
            raise self.expected(f"a {what} number", tok)
        value = int(tok.text, 16) if tok.text.startswith("0x") else int(tok.text)
        if value > MAX_U32:
            raise self.error(f"{what} number {tok.text} does not fit in 32 bits", tok)
        self.take()

    # ----- locations

    def check(self, start: int, end: int, whole_may_follow: bool) -> None:
        """The location between START and END (the inside of 'loc(...)');
        WHOLE_MAY_FOLLOW: an alias that is the whole location may be defined
        later in the file."""
        self.pos, self.end = start, end
        first = self.peek()
        if whole_may_follow and first.kind == "hash":
            self.take()
            if self.peek().kind == "end":
                self.alias(first, anywhere=True)
                return
            self.pos = first.start
        self.location()
        tok = self.peek()
        if tok.kind != "end":
            raise self.expected("')' after the location", tok)

    def alias(self, tok: Tok, anywhere: bool) -> None:
        if "." in tok.text:  # a dialect attribute ('#dlt.x'), never a location
            raise self.error(f"'{tok.text}' is not a location attribute", tok)
        alias = self.aliases.get(tok.text)
        if alias is None or (not anywhere and alias.offset > tok.start):
            later = " before its use" if alias is not None else ""
            raise self.error(f"the alias '{tok.text}' is not defined{later}", tok)
        if alias.value != LOCATION:
            raise self.error(f"'{tok.text}' is not a location: it is '{alias.value}'", tok)

    def location(self) -> None:
        """One location and everything nested in it, with an explicit stack:
        each entry says what comes after the location being read."""
        stack: list[str] = []
        while True:
            self.head(stack)  # pushes what follows a nested location, if any
            while True:
                if not stack:
                    return
                after = stack.pop()
                if after == "name":
                    self.expect(")", "')' after the child location of a name")
                    continue
                if after == "callsite-at":
                    self.expect("at", "'at' in callsite(... at ...)")
                    stack.append("callsite-end")
                    break
                if after == "callsite-end":
                    self.expect(")", "')' closing callsite(...)")
                    continue
                # fused[...]
                if self.accept(","):
                    stack.append("fused")
                    break
                self.expect("]", "',' or ']' in fused[...]")

    def head(self, stack: list[str]) -> None:
        """Reads the start of a location; a nested location that must come
        next is announced by what follows it, pushed on STACK."""
        while True:
            tok = self.take()
            if tok.kind == "hash":
                self.alias(tok, anywhere=False)
                return
            if tok.kind == "str":
                if self.accept(":"):
                    self.file_line_col()
                elif self.accept("("):
                    stack.append("name")
                    continue
                return
            if tok.kind == "bare" and tok.text == "unknown":
                return
            if tok.kind == "bare" and tok.text == "callsite":
                self.expect("(", "'(' after 'callsite'")
                stack.append("callsite-at")
                continue
            if tok.kind == "bare" and tok.text == "fused":
                if self.peek().text == "<":
                    self.metadata()
                self.expect("[", "'[' in fused[...]")
                if self.accept("]"):
                    return
                stack.append("fused")
                continue
            raise self.expected(
                "a location (a string, \"file\":line:col, callsite(...), fused[...], "
                "unknown or an alias)",
                tok,
            )

    def file_line_col(self) -> None:
        """After '"file":': line, or line:col, or a range line:col to [line]:col."""
        self.number("line")
        if not self.accept(":"):
            return
        self.number("column")
        if not self.accept("to"):
            return
        if self.peek().kind == "int":
            self.number("line")
            self.expect(":", "':' and the end column after the end line")
        else:
            self.expect(":", "an end line or ':' after 'to'")
        self.number("column")

    def metadata(self) -> None:
        """fused<ATTRIBUTE>: balanced, not empty; the aliases it names are defined."""
        open_tok = self.take()
        text, i, depth = self.text, self.pos, 1
        while i < self.end and depth:
            if text[i] == '"':
                i = self.string_end(i)
                continue
            if text.startswith(("->", ">=", "<="), i):
                i += 2
                continue
            m = _HASH.match(text, i, self.end)
            if m is not None:
                if "." not in m[0]:
                    self.alias(Tok("hash", m[0], i), anywhere=False)
                i = m.end()
                continue
            depth += {"<": 1, ">": -1}.get(text[i], 0)
            i += 1
        if depth:
            raise self.error("'<' of fused<...> is not closed", open_tok)
        if not text[self.pos : i - 1].strip():
            raise self.error("expected an attribute in fused<...>", open_tok)
        self.pos = i
