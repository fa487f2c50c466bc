"""Text → Lark parse tree → syntax records (every op in one generic shape).

The grammar (``grammar/avial.lark``) accepts the seed, typed and generic
spellings.  :class:`SyntaxReader` turns the parse tree into :class:`SynOp`
records that look like MLIR's generic form whatever the spelling was; the
readers of the custom op syntaxes (in :mod:`avial2c.frontend.op_readers`) rearrange
operands, block arguments and result types, so the IR builder only knows the
generic layout.  Seed-form literals stay literals (:class:`Use` with
``literal`` set).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Literal

from lark import Token, Tree, UnexpectedInput

from avial2c.diagnostics import CompileError
from avial2c.frontend.grammar import lark_parser
from avial2c.frontend.locations import LOCATION, Alias, LocationChecker
from avial2c.frontend.syntax_errors import syntax_error
from avial2c.ir import Span

# Regions nested deeper than this are refused (the walks over them recurse).
MAX_NESTING = 100


# --------------------------------------------------------------------------
# Records


@dataclass(frozen=True)
class SynType:
    """A type as written; converted to an IR type by the builder."""

    kind: Literal["named", "shaped", "dialect", "function"]
    name: str  # 'i32', 'memref', '!avial.target', '' for function types
    text: str
    span: Span
    shape: tuple[int | None, ...] | None = None  # None: unranked; None dims: dynamic
    elem: SynType | None = None
    params: tuple[Attr, ...] = ()  # memref layout / memory space
    inputs: tuple[SynType, ...] = ()
    results: tuple[SynType, ...] = ()


AttrKind = Literal[
    "int", "hex", "float", "str", "bool", "unit", "type", "list", "dict", "array", "opaque"
]


@dataclass(frozen=True)
class Attr:
    kind: AttrKind
    text: str
    span: Span
    int_value: int = 0
    float_value: float = 0.0
    str_value: str = ""
    type: SynType | None = None
    items: tuple[Attr, ...] = ()
    ints: tuple[int, ...] = ()  # array<i32: ...>
    entries: tuple[tuple[str, Attr], ...] = ()


@dataclass(frozen=True)
class Use:
    """An operand as written: a value name or a seed-form literal."""

    name: str  # without '%' and without '#N'; '' for a literal
    number: int  # the N of '%name#N'
    span: Span
    literal: int | float | None = None
    is_index: bool = False  # a literal where an index is expected
    text: str = ""


@dataclass(frozen=True)
class SynResult:
    name: str
    count: int  # the N of '%name:N'
    span: Span


@dataclass(frozen=True)
class SynArg:
    name: str
    type: SynType | None
    span: Span


@dataclass(frozen=True)
class SynBlock:
    args: tuple[SynArg, ...]
    ops: tuple[SynOp, ...]
    span: Span


@dataclass(frozen=True)
class SynRegion:
    blocks: tuple[SynBlock, ...]
    span: Span


@dataclass(frozen=True)
class SynOp:
    name: str
    span: Span
    results: tuple[SynResult, ...] = ()
    operands: tuple[Use, ...] = ()
    attrs: tuple[tuple[str, Attr], ...] = ()
    regions: tuple[SynRegion, ...] = ()
    result_types: tuple[SynType, ...] | None = None  # None: not written (seed form)
    operand_types: tuple[SynType, ...] | None = None
    segments: tuple[int, ...] | None = None  # operandSegmentSizes
    has_successors: bool = False
    custom: bool = False  # written in custom (not generic) syntax
    properties: int | None = None  # how many of ATTRS came from '<{...}>' (None: not written)

    def attr(self, key: str) -> Attr | None:
        for k, v in self.attrs:
            if k == key:
                return v
        return None


@dataclass(frozen=True)
class SynFile:
    ops: tuple[SynOp, ...]


# Reads one op rule of the grammar into a SynOp (see avial2c.parser).
OpReader = Callable[["SyntaxReader", Tree[Token]], SynOp]


# --------------------------------------------------------------------------
# Lark


def without_bom(text: str) -> str:
    return text[1:] if text.startswith("\ufeff") else text


def blank_locations(text: str) -> str:
    """TEXT with the inside of every ``loc(...)`` replaced by spaces.

    MLIR prints locations nested to any depth (``loc(callsite(callsite(
    "t"("f.mlir":1:1) at ...) at ...))``, ``fused[...]``), which no regular
    expression of the lexer can balance.  Locations carry nothing the
    translator uses, so they are blanked before lexing; newlines stay, so
    every line and column is unchanged.  Strings and comments are skipped,
    and an unbalanced ``loc(`` is left for the parser to report.
    """
    out = list(text)
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            i = string_end(text, i)
        elif text.startswith("//", i):
            newline = text.find("\n", i)
            i = n if newline < 0 else newline
        elif text.startswith("loc(", i) and (i == 0 or not is_id_char(text[i - 1])):
            close = matching_paren(text, i + 3)
            if close < 0:
                return "".join(out)
            for k in range(i + 4, close):
                if out[k] != "\n":
                    out[k] = " "
            i = close + 1
        else:
            i += 1
    return "".join(out)


def is_id_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_$.-#"


def string_end(text: str, start: int) -> int:
    """The index just past the string literal that starts at START."""
    i = start + 1
    while i < len(text) and text[i] not in '"\n':
        i += 2 if text[i] == "\\" else 1
    return i + 1


def matching_paren(text: str, open_at: int) -> int:
    """The index of the ')' closing the '(' at OPEN_AT, or -1."""
    depth = 0
    i = open_at
    while i < len(text):
        ch = text[i]
        if ch == '"':
            i = string_end(text, i)
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def parse_lark(text: str, filename: str) -> Tree[Token]:
    """Parse TEXT; a syntax error becomes a CompileError."""
    text = without_bom(text)
    try:
        return lark_parser().parse(blank_locations(text))
    except UnexpectedInput as e:
        raise syntax_error(e, text, filename) from None


# --------------------------------------------------------------------------
# Tree helpers


def subtrees(tree: Tree[Token], name: str) -> list[Tree[Token]]:
    return [c for c in tree.children if isinstance(c, Tree) and c.data == name]


def subtree(tree: Tree[Token], name: str) -> Tree[Token] | None:
    found = subtrees(tree, name)
    return found[0] if found else None


def tokens(tree: Tree[Token], *types: str) -> list[Token]:
    return [c for c in tree.children if isinstance(c, Token) and c.type in types]


def token(tree: Tree[Token], *types: str) -> Token | None:
    found = tokens(tree, *types)
    return found[0] if found else None


ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def unquote(s: str) -> str:
    """The contents of an MLIR string literal.  A string is bytes: '\\XX'
    escapes are bytes of its UTF-8 text (mlir-opt prints "ü" as "\\C3\\BC");
    string_problem has turned away what is not UTF-8."""
    body = s[1:-1]
    if "\\" not in body:
        return body
    return string_bytes(body).decode("utf-8", errors="replace")


def string_bytes(body: str) -> bytes:
    """The bytes of a string literal's BODY (without the quotes)."""
    out = bytearray()
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\" or i + 1 >= len(body):
            out += c.encode("utf-8")
            i += 1
        elif body[i + 1] in ESCAPES:
            out += ESCAPES[body[i + 1]].encode("utf-8")
            i += 2
        elif is_hex_escape(body, i):
            out.append(int(body[i + 1 : i + 3], 16))
            i += 3
        else:
            out += body[i + 1].encode("utf-8")
            i += 2
    return bytes(out)


def is_hex_escape(body: str, i: int) -> bool:
    """Is the backslash at I followed by two hexadecimal digits?"""
    pair = body[i + 1 : i + 3]
    return len(pair) == 2 and all(ch in HEX_DIGITS for ch in pair)


def string_problem(s: str) -> str | None:
    """What is wrong with the string literal S, or None: an escape MLIR does
    not know, or bytes that are not UTF-8 (MLIR allows them, avial2c not)."""
    body = s[1:-1]
    if "\\" not in body:
        return None
    i = 0
    while i < len(body):
        if body[i] == "\\":
            if body[i + 1 : i + 2] not in ESCAPES and not is_hex_escape(body, i):
                return f"unknown escape '{body[i : i + 2]}' in string {s}"
            i += 1
        i += 1
    try:
        string_bytes(body).decode("utf-8")
    except UnicodeDecodeError:
        return f"string {s} holds bytes that are not UTF-8, which is not supported"
    return None


FLOAT_TYPE = re.compile(r"[bt]?f[0-9]+(?:E[0-9A-Za-z]+)?")


def is_float_type(t: SynType) -> bool:
    """Is T a builtin float type (f32, f64, f16, bf16, tf32, f8E5M2, ...)?"""
    return t.kind == "named" and FLOAT_TYPE.fullmatch(t.name) is not None


INTEGER_TYPE = re.compile(r"[su]?i[0-9]+|index")


def is_number_type(t: SynType) -> bool:
    """Can T be the type of an integer literal (an integer, index or float type)?"""
    return is_float_type(t) or (t.kind == "named" and INTEGER_TYPE.fullmatch(t.name) is not None)


def check_float_spelling(tok: Token, span: Span) -> None:
    """A float literal has a '.', as in MLIR: '1e3' is not one (MLIR reads it
    as the integer 1 followed by the name 'e3')."""
    if "." not in tok:
        mantissa, _, exponent = str(tok).lower().partition("e")
        raise CompileError(
            f"float literal '{tok}' needs a '.': write {mantissa}.0e{exponent}", span
        )


# MLIR's identifiers: a value or block label is a number or a name that does
# not start with a digit; a symbol's name starts with a letter or '_' (or is
# a string).
SUFFIX_ID = re.compile(r"[0-9]+|[A-Za-z_$.\-][A-Za-z0-9_$.\-]*")
SYMBOL_ID = re.compile(r'[A-Za-z_][A-Za-z0-9_$.]*|"(?:[^"\\\n]|\\.)*"')


def position(tok: Token) -> tuple[int, int]:
    return tok.line or 0, tok.column or 0


def bad_symbol(text: str) -> bool:
    return any(SYMBOL_ID.fullmatch(part) is None for part in text[1:].split("::@"))


BAD_NAME: dict[str, Callable[[str], bool]] = {
    "VALUE": lambda text: SUFFIX_ID.fullmatch(text[1:].partition("#")[0]) is None,
    "CARET_ID": lambda text: SUFFIX_ID.fullmatch(text[1:]) is None,
    "SYMBOL_REF": bad_symbol,
}
# The tokens whose spelling name_problem checks.
CHECKED_TOKENS = frozenset((*BAD_NAME, "STRING"))
NAME_RULES = {
    "VALUE": "'{name}' is not a valid value name: after '%' comes a number ('%1') or a "
    "name that does not start with a digit ('%x1')",
    "CARET_ID": "'{name}' is not a valid block label: after '^' comes a number ('^0') or a "
    "name that does not start with a digit ('^bb1')",
    "SYMBOL_REF": "'{name}' is not a valid symbol name: after '@' comes a name made of "
    "letters, digits, '_', '$' and '.' that starts with a letter or '_', or a string",
}


def name_problem(tok: Token) -> str | None:
    """What is wrong with the name or string TOK, or None."""
    text = str(tok)
    if tok.type in BAD_NAME and BAD_NAME[tok.type](text):
        return NAME_RULES[tok.type].format(name=text)
    strings = [text] if tok.type == "STRING" else re.findall(r'"(?:[^"\\\n]|\\.)*"', text)
    return next((p for p in map(string_problem, strings) if p is not None), None)


def parse_int(text: str) -> int:
    return int(text, 16) if text.lower().startswith("0x") else int(text)


# --------------------------------------------------------------------------
# The reader


class SyntaxReader:
    """Turns the Lark tree into SynOp records in generic layout."""

    def __init__(self, text: str, filename: str, readers: dict[str, OpReader]) -> None:
        self.text = text
        self.file = filename
        self.readers = readers
        self.depth = 0
        self.type_aliases: dict[str, SynType] = {}
        self.attr_aliases: dict[str, Attr] = {}

    # ----- spans

    def tok_span(self, tok: Token) -> Span:
        line = tok.line or 1
        col = tok.column or 1
        return Span(self.file, line, col, tok.end_line or line, tok.end_column or col)

    def tree_span(self, tree: Tree[Token]) -> Span:
        meta = tree.meta
        if meta.empty:
            return Span(self.file, 1, 1, 1, 1)
        return Span(self.file, meta.line, meta.column, meta.end_line, meta.end_column)

    def source(self, tree: Tree[Token]) -> str:
        meta = tree.meta
        if meta.empty:
            return ""
        return self.text[meta.start_pos : meta.end_pos]

    def error(self, message: str, span: Span) -> CompileError:
        return CompileError(message, span)

    # ----- file

    def read_file(self, tree: Tree[Token]) -> SynFile:
        self.check_names(tree)
        for alias in tree.children:
            if isinstance(alias, Tree) and alias.data in ("type_alias", "attr_alias"):
                self.alias(alias)
        ops = [
            self.operation(c)
            for c in tree.children
            if isinstance(c, Tree) and c.data == "operation"
        ]
        return SynFile(tuple(ops))

    def check_names(self, tree: Tree[Token]) -> None:
        """Value names, block labels and symbols are spelled as MLIR's lexer
        reads them (``%1x`` is ``%1`` followed by ``x`` there), and locations
        as its location parser reads them; the first problem is an error."""
        bad: Token | None = None
        locations: list[tuple[Token, bool]] = []  # (LOC, may name an alias defined later)
        stack = [tree]
        while stack:
            node = stack.pop()
            for c in node.children:
                if isinstance(c, Tree):
                    stack.append(c)
                elif not isinstance(c, Token):
                    continue
                elif c.type == "LOC":
                    locations.append((c, node.data != "opaque_attr"))
                elif (
                    c.type in CHECKED_TOKENS
                    and name_problem(c) is not None
                    and (bad is None or position(c) < position(bad))
                ):
                    bad = c
        problems: list[tuple[tuple[int, int], CompileError]] = []
        if bad is not None:
            problem = name_problem(bad)
            assert problem is not None
            problems.append((position(bad), self.error(problem, self.tok_span(bad))))
        checker = LocationChecker(self.text, self.file, self.location_aliases(tree))
        for loc, whole_may_follow in sorted(locations, key=lambda x: position(x[0])):
            if bad is not None and position(loc) > position(bad):
                break
            try:
                start, end = loc.start_pos or 0, loc.end_pos or 0
                checker.check(start + len("loc("), end - 1, whole_may_follow)
            except CompileError as e:
                problems.append((position(loc), e))
                break
        if problems:
            raise min(problems, key=lambda p: p[0])[1]

    def location_aliases(self, tree: Tree[Token]) -> dict[str, Alias]:
        """The file's attribute aliases: where each is defined and whether it
        is a location (an alias of an alias is what that one is)."""
        out: dict[str, Alias] = {}
        for c in tree.children:
            if not (isinstance(c, Tree) and c.data == "attr_alias"):
                continue
            name, value = c.children[0], c.children[1]
            assert isinstance(name, Token) and isinstance(value, Tree)
            inner = value.children[0] if value.data == "opaque_attr" else None
            text = self.source(value)
            if isinstance(inner, Token) and inner.type == "LOC":
                text = LOCATION
            elif isinstance(inner, Token) and inner.type == "HASH_ID" and str(inner) in out:
                text = out[str(inner)].value
            out.setdefault(str(name), Alias(name.start_pos or 0, text))
        return out

    def alias(self, tree: Tree[Token]) -> None:
        name_tok, value = tree.children[0], tree.children[1]
        assert isinstance(name_tok, Token) and isinstance(value, Tree)
        name = str(name_tok)
        if name in self.type_aliases or name in self.attr_aliases:
            kind = "type" if tree.data == "type_alias" else "attribute"
            raise self.error(f"redefinition of {kind} alias '{name}'", self.tok_span(name_tok))
        if tree.data == "type_alias":
            self.type_aliases[name] = self.type(value)
        else:
            self.attr_aliases[name] = self.attr_value(value, 0)

    # ----- operations

    def operation(self, tree: Tree[Token]) -> SynOp:
        results: tuple[SynResult, ...] = ()
        res_tree = subtree(tree, "op_results")
        if res_tree is not None:
            results = tuple(self.op_result(r) for r in subtrees(res_tree, "op_result"))
        op_tree = next(c for c in tree.children if isinstance(c, Tree) and c.data != "op_results")
        reader = self.readers[str(op_tree.data)]
        op = reader(self, op_tree)
        if results:
            op = replace_results(op, results)
        return op

    def op_result(self, tree: Tree[Token]) -> SynResult:
        name_tok = tree.children[0]
        assert isinstance(name_tok, Token)
        count_tok = tree.children[1] if len(tree.children) > 1 else None
        count = int(count_tok) if isinstance(count_tok, Token) else 1
        span = self.tok_span(name_tok)
        if "#" in name_tok:
            raise self.error(f"'{name_tok}' cannot be defined: '#N' only selects a result", span)
        if count < 1:
            raise self.error(f"'{name_tok}:{count}' must name at least one result", span)
        return SynResult(str(name_tok)[1:], count, span)

    # ----- regions

    def region(self, tree: Tree[Token], args: tuple[SynArg, ...] | None = None) -> SynRegion:
        """A region; ARGS are the entry block arguments given by a custom syntax."""
        span = self.tree_span(tree)
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.error(f"nesting too deep (more than {MAX_NESTING} nested regions)", span)
        try:
            return self.region_blocks(tree, args, span)
        finally:
            self.depth -= 1

    def region_blocks(
        self, tree: Tree[Token], args: tuple[SynArg, ...] | None, span: Span
    ) -> SynRegion:
        entry_ops = [self.operation(c) for c in self.block_ops(tree)]
        labelled = subtrees(tree, "block")
        blocks: list[SynBlock] = []
        if entry_ops or not labelled:
            blocks.append(SynBlock(args or (), tuple(entry_ops), span))
        for b in labelled:
            blocks.append(self.block(b))
        if args is not None and labelled and not entry_ops:
            first = blocks[0]
            if first.args:
                raise self.error(
                    "this region's arguments are given by the op; remove the block label",
                    first.span,
                )
            blocks[0] = SynBlock(args, first.ops, first.span)
        if not entry_ops and not labelled and args is None:
            return SynRegion((), span)
        return SynRegion(tuple(blocks), span)

    def block_ops(self, tree: Tree[Token]) -> list[Tree[Token]]:
        return [
            c
            for c in tree.children
            if isinstance(c, Tree) and c.data in ("operation", "terminator")
        ]

    def block(self, tree: Tree[Token]) -> SynBlock:
        args = tuple(self.block_arg(a) for a in subtrees(tree, "block_arg"))
        ops = tuple(self.operation(c) for c in self.block_ops(tree))
        label = token(tree, "CARET_ID")
        span = self.tok_span(label) if label is not None else self.tree_span(tree)
        return SynBlock(args, ops, span)

    def block_arg(self, tree: Tree[Token]) -> SynArg:
        name_tok = token(tree, "VALUE")
        assert name_tok is not None
        t = subtree_type(tree)
        return SynArg(
            self.def_name(name_tok),
            self.type(t) if t is not None else None,
            self.tok_span(name_tok),
        )

    def def_name(self, tok: Token) -> str:
        if "#" in tok:
            raise self.error(
                f"'{tok}' cannot be defined: '#N' only selects a result", self.tok_span(tok)
            )
        return str(tok)[1:]

    # ----- operands

    def use(self, tok: Token, is_index: bool = False) -> Use:
        span = self.tok_span(tok)
        text = str(tok)
        if tok.type == "VALUE":
            base, _, num = text[1:].partition("#")
            return Use(base, int(num) if num else 0, span, text=text)
        if tok.type == "FLOAT":
            check_float_spelling(tok, span)
            return Use("", 0, span, float(text), is_index, text)
        return Use("", 0, span, parse_int(text), is_index, text)

    def uses(self, tree: Tree[Token] | None, is_index: bool = False) -> tuple[Use, ...]:
        if tree is None:
            return ()
        return tuple(self.use(t, is_index) for t in tree.children if isinstance(t, Token))

    # ----- attributes

    def attr_dict(self, tree: Tree[Token] | None) -> tuple[tuple[str, Attr], ...]:
        if tree is None:
            return ()
        out: list[tuple[str, Attr]] = []
        for entry in subtrees(tree, "attr_entry"):
            out.append(self.attr_entry(entry, 0))
        return tuple(out)

    def attr_entry(self, tree: Tree[Token], depth: int) -> tuple[str, Attr]:
        key_tok = tree.children[0]
        assert isinstance(key_tok, Token)
        key = unquote(key_tok) if key_tok.type == "STRING" else str(key_tok)
        value = tree.children[1] if len(tree.children) > 1 else None
        if value is None:
            return key, Attr("unit", key, self.tok_span(key_tok))
        # The span of an entry covers 'key = value', for messages about the entry.
        return key, replace(self.attr_value(value, depth + 1), span=self.tree_span(tree))

    def attr_value(self, node: Tree[Token] | Token, depth: int) -> Attr:
        if depth > MAX_NESTING:
            span = self.tok_span(node) if isinstance(node, Token) else self.tree_span(node)
            raise self.error("nesting too deep in an attribute", span)
        if isinstance(node, Token):
            return self.opaque_attr(node)
        return ATTR_READERS[str(node.data)](self, node, depth)

    def opaque_attr(self, tok: Token) -> Attr:
        if tok.type == "HASH_ID" and str(tok) in self.attr_aliases:
            return self.attr_aliases[str(tok)]
        return Attr("opaque", str(tok), self.tok_span(tok), str_value=str(tok))

    def typed_number(self, tree: Tree[Token], kind: AttrKind) -> Attr:
        tok = tree.children[0]
        assert isinstance(tok, Token)
        t_tree = subtree_type(tree)
        t = self.type(t_tree) if t_tree is not None else None
        span, text = self.tree_span(tree), self.source(tree)
        if kind == "float":
            check_float_spelling(tok, span)
            if t is not None and not is_float_type(t):
                raise self.error(f"float literal {tok} cannot have type {t.text}", span)
            return Attr("float", text, span, float_value=float(tok), type=t)
        if kind == "int" and t is not None and is_float_type(t):
            raise self.error(
                f"decimal integer literal {tok} for the float type {t.text}; write a float "
                f"literal such as {tok}.0 (or a hexadecimal bit pattern)",
                span,
            )
        if kind in ("int", "hex") and t is not None and not is_number_type(t):
            raise self.error(f"integer literal {tok} cannot have type {t.text}", span)
        if kind == "str":
            return Attr("str", text, span, str_value=unquote(tok), type=t)
        return Attr(kind, text, span, int_value=parse_int(tok), type=t)

    def int_attr(self, tree: Tree[Token], depth: int) -> Attr:
        return self.typed_number(tree, "int")

    def hex_attr(self, tree: Tree[Token], depth: int) -> Attr:
        return self.typed_number(tree, "hex")

    def float_attr(self, tree: Tree[Token], depth: int) -> Attr:
        return self.typed_number(tree, "float")

    def string_attr(self, tree: Tree[Token], depth: int) -> Attr:
        return self.typed_number(tree, "str")

    def type_attr(self, tree: Tree[Token], depth: int) -> Attr:
        inner = tree.children[0]
        assert isinstance(inner, Tree)
        span, text = self.tree_span(tree), self.source(tree)
        if inner.data == "named_type" and text in ("true", "false"):
            return Attr("bool", text, span, int_value=int(text == "true"))
        if inner.data == "named_type" and text == "unit":
            return Attr("unit", text, span)
        return Attr("type", text, span, type=self.type(inner, depth))

    def list_attr(self, tree: Tree[Token], depth: int) -> Attr:
        items = tuple(self.attr_value(c, depth + 1) for c in tree.children if c is not None)
        return Attr("list", self.source(tree), self.tree_span(tree), items=items)

    def dict_attr(self, tree: Tree[Token], depth: int) -> Attr:
        inner = tree.children[0]
        assert isinstance(inner, Tree)
        entries = tuple(self.attr_entry(e, depth + 1) for e in subtrees(inner, "attr_entry"))
        return Attr("dict", self.source(tree), self.tree_span(tree), entries=entries)

    def array_attr(self, tree: Tree[Token], depth: int) -> Attr:
        tok = tree.children[0]
        assert isinstance(tok, Token)
        span = self.tok_span(tok)
        body = str(tok)[len("array<") : -1]
        elem, _, values = body.partition(":")
        try:
            ints = tuple(int(v) for v in values.split(",") if v.strip())
        except ValueError:
            return Attr("opaque", str(tok), span, str_value=str(tok))
        return Attr("array", str(tok), span, str_value=elem.strip(), ints=ints)

    def angle_attr(self, tree: Tree[Token], depth: int) -> Attr:
        """dense<...>, strided<...>, affine_map<...>, ... with an optional ': type'."""
        tok = tree.children[0]
        assert isinstance(tok, Token)
        t = self.opt_type(tree)
        return Attr("opaque", self.source(tree), self.tree_span(tree), str_value=str(tok), type=t)

    def opaque_attr_tree(self, tree: Tree[Token], depth: int) -> Attr:
        tok = tree.children[0]
        assert isinstance(tok, Token)
        return self.opaque_attr(tok)

    # ----- types

    def type(self, tree: Tree[Token], depth: int = 0) -> SynType:
        span, text = self.tree_span(tree), self.source(tree)
        if depth > MAX_NESTING:
            raise self.error("nesting too deep in a type", span)
        if tree.data == "named_type":
            return SynType("named", text, text, span)
        if tree.data == "dialect_type":
            alias = self.type_aliases.get(text)
            return alias if alias is not None else SynType("dialect", text, text, span)
        if tree.data == "function_type":
            return self.function_type(tree, depth)
        return self.shaped_type(tree, span, text, depth)

    def shaped_type(self, tree: Tree[Token], span: Span, text: str, depth: int) -> SynType:
        name_tok = tree.children[0]
        assert isinstance(name_tok, Token)
        shape_tok = token(tree, "SHAPE")
        shape = parse_shape(str(shape_tok)) if shape_tok is not None else ()
        kids = [c for c in tree.children[1:] if isinstance(c, Tree)]
        elem = self.type(kids[0], depth + 1)
        params = tuple(self.attr_value(c, depth + 1) for c in kids[1:])
        return SynType("shaped", str(name_tok), text, span, shape, elem, params)

    def function_type(self, tree: Tree[Token], depth: int) -> SynType:
        inputs = self.type_list(subtree(tree, "type_list"), depth + 1)
        results = self.result_types(subtree(tree, "result_types"), depth + 1)
        return SynType(
            "function", "", self.source(tree), self.tree_span(tree), inputs=inputs, results=results
        )

    def type_list(self, tree: Tree[Token] | None, depth: int = 0) -> tuple[SynType, ...]:
        if tree is None:
            return ()
        return tuple(self.type(c, depth) for c in tree.children if isinstance(c, Tree))

    def result_types(self, tree: Tree[Token] | None, depth: int = 0) -> tuple[SynType, ...]:
        """`result_types` (a type or a parenthesised list) or a `result_arrow`."""
        if tree is None:
            return ()
        if tree.data == "result_arrow":
            inner = subtree(tree, "result_types")
            return self.result_types(inner, depth)
        lst = subtree(tree, "type_list")
        if lst is not None:
            return self.type_list(lst, depth)
        kids = [c for c in tree.children if isinstance(c, Tree)]
        return tuple(self.type(c, depth) for c in kids)

    def opt_type(self, tree: Tree[Token]) -> SynType | None:
        t = subtree_type(tree)
        return self.type(t) if t is not None else None

    def named(self, name: str, span: Span) -> SynType:
        return SynType("named", name, name, span)


# --------------------------------------------------------------------------
# Helpers used by the op readers

OPERAND_TOKENS = ("VALUE", "INT", "FLOAT", "HEX")
TYPE_RULES = ("named_type", "shaped_type", "dialect_type")


def subtree_type(tree: Tree[Token]) -> Tree[Token] | None:
    for c in tree.children:
        if isinstance(c, Tree) and c.data in TYPE_RULES:
            return c
    return None


def parse_shape(text: str) -> tuple[int | None, ...] | None:
    """'4x?x' → (4, None); None for an unranked '*x'."""
    dims: list[int | None] = []
    for part in text.split("x")[:-1]:
        if part == "*":
            return None
        if part == "?":
            dims.append(None)
        else:
            dims.append(int(part.strip("[]")))
    return tuple(dims)


def replace_results(op: SynOp, results: tuple[SynResult, ...]) -> SynOp:
    return replace(op, results=results)


def walk_syn(ops: list[SynOp] | tuple[SynOp, ...]) -> Iterator[SynOp]:
    """All ops, nested ones included, without recursion."""
    stack: list[SynOp] = list(reversed(ops))
    while stack:
        op = stack.pop()
        yield op
        for region in reversed(op.regions):
            for block in reversed(region.blocks):
                stack.extend(reversed(block.ops))


ATTR_READERS: dict[str, Callable[[SyntaxReader, Tree[Token], int], Attr]] = {
    "int_attr": SyntaxReader.int_attr,
    "hex_attr": SyntaxReader.hex_attr,
    "float_attr": SyntaxReader.float_attr,
    "string_attr": SyntaxReader.string_attr,
    "type_attr": SyntaxReader.type_attr,
    "list_attr": SyntaxReader.list_attr,
    "dict_attr": SyntaxReader.dict_attr,
    "array_attr": SyntaxReader.array_attr,
    "opaque_attr": SyntaxReader.opaque_attr_tree,
    "angle_attr": SyntaxReader.angle_attr,
}


def read_syntax(text: str, filename: str, readers: dict[str, OpReader]) -> SynFile:
    """Parse TEXT into syntax records (READERS: one per op rule); raises CompileError."""
    text = without_bom(text)
    tree = parse_lark(text, filename)
    return SyntaxReader(text, filename, readers).read_file(tree)
