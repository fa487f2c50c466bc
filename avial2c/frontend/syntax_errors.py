"""Lark's parse errors → :class:`CompileError` with a readable message.

In order: an unknown op name written in custom syntax ("unsupported
operation"), the common mistakes of :data:`EXAMPLES` (recognised with Lark's
``match_examples``, by parser state), then a general "expected X, found Y"
with readable token names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from lark import Token, Tree, UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.lexer import PatternStr

from avial2c.diagnostics import CompileError
from avial2c.frontend.grammar import lark_parser
from avial2c.ir import Span
from avial2c.ops import SUPPORTED_OPS

STRUCTURE_OPS = frozenset(
    ["avial.schedule", "avial.target", "avial.task", "avial.yield", "func.func", "func.return",
     "return", "module", "builtin.module"]
)  # fmt: skip
KNOWN_OPS = SUPPORTED_OPS | STRUCTURE_OPS
OP_TERMINALS = frozenset(["SIMPLE_OP", "CMP_OP", "CAST_OP", "ALLOC_OP", "GPU_ID_OP"])
ID_CHARS = re.compile(r"[\w$.]")
DOTTED_NAME = re.compile(r"[A-Za-z_][\w$]*(?:\.[\w$]+)+")

TERMINAL_NAMES = {
    "VALUE": "a value such as '%x'",
    "INT": "an integer",
    "FLOAT": "a float",
    "HEX": "a hexadecimal number",
    "STRING": "a string",
    "BARE_ID": "a name",
    "SHAPE": "a shape such as '4x'",
    "CARET_ID": "a block label such as '^bb0'",
    "SYMBOL_REF": "a symbol such as '@main'",
    "HASH_ID": "an attribute alias such as '#map'",
    "HASH_ATTR": "a dialect attribute",
    "ANGLE_ATTR": "an attribute",
    "ARRAY_ATTR": "an array attribute",
    "BANG_TYPE": "a dialect type such as '!avial.target'",
    "LOC": "a location 'loc(...)'",
    "FLAGS": "flags such as 'overflow<nsw>'",
    "FUNC_VISIBILITY": "'private'",
    "$END": "end of file",
}

# Common mistakes, recognised by the parser state they fail in.
EXAMPLES: dict[str, list[str]] = {
    "unclosed": [
        "avial.schedule %a {",
        'avial.schedule %a {\n %t = avial.target {arch = "x86_64"}\n',
        "avial.schedule %a {\n %t = avial.task %c, %a {\n",
        "avial.schedule %a {\n %t = avial.task %c, %a {\n scf.parallel %i = 0 to 2 {\n memref.store %x, %a[%i]\n",
        "avial.schedule %a {\n %t = avial.task %c, %a {\n %x = memref.load %a[%i]\n",
        "avial.schedule %a {\n %t = avial.task %c, %a {\n %x = arith.addi %a, %b\n",
        "avial.schedule %a {\n %t = avial.task %c, %a {\n gpu.launch {\n",
        "avial.schedule %a {\n %t = avial.task %c, %a {\n gpu.launch {\n %i = gpu.thread_id x\n",
        "func.func @main(%a: memref<4xi32>) {\n",
        "module {\n",
    ],
    "missing_equal": [
        '%t = avial.target {arch "x86_64"}',
        "%t = avial.target {arch x86_64}",
        "%t = avial.target {arch 1}",
    ],
    "missing_to": [
        "avial.schedule %a { %t = avial.task %c, %a { scf.parallel %i = 0 20 {} } }",
        "avial.schedule %a { %t = avial.task %c, %a { scf.parallel %i = %l %u {} } }",
        "avial.schedule %a { %t = avial.task %c, %a { scf.for %i = 0 20 {} } }",
        "avial.schedule %a { %t = avial.task %c, %a { scf.for %i = %l %u step %s {} } }",
    ],
    "missing_percent": [
        "avial.schedule a {}",
        "avial.schedule %a, b {}",
        "avial.schedule %a { %t = avial.task c, %a {} }",
        "avial.schedule %a { %t = avial.task %c, a {} }",
        "avial.schedule %a { %t = avial.task %c reads(a) {} }",
        "avial.schedule %a { %t = avial.task %c { %x = memref.load a[%i] } }",
        "avial.schedule %a { %t = avial.task %c { %x = memref.load %a[i] } }",
        "avial.schedule %a { %t = avial.task %c { memref.store x, %a[%i] } }",
        "avial.schedule %a { %t = avial.task %c { memref.store %x, a[%i] } }",
        "avial.schedule %a { %t = avial.task %c { %z = arith.addi x, %y } }",
        "avial.schedule %a { %t = avial.task %c { %z = arith.addi %x, y } }",
        "avial.schedule %a { %t = avial.task %c { scf.parallel i = 0 to 2 {} } }",
    ],
    "missing_element_type": [
        "func.func @f(%a: memref<20>) {}",
        "func.func @f(%a: memref<4x4>) {}",
        "avial.schedule %a : memref<20> {}",
    ],
    "unterminated_string": [
        '%t = avial.target {arch = "x86_64}\n',
        '%t = avial.target {arch = "x86_64}',
    ],
    "trailing_comma": [
        "avial.schedule %a { %t = avial.task %c reads(%a, ) {} }",
        "avial.schedule %a { %t = avial.task %c writes(%a, ) {} }",
        '%x = "avial.target"(%a, ) : () -> ()',
        "func.func @f(%a: i32, ) {}",
        "avial.schedule %a { %t = avial.task %c { scf.parallel (%i, ) = (%c0) to (%c1) step (%c1) {} } }",
    ],
}


@dataclass(frozen=True)
class ErrorSite:
    """What the parser saw when it failed."""

    span: Span
    found: str  # for messages: "'x'" or "end of file"
    value: str  # the raw text of the token found ('' at end of file)
    expected: frozenset[str]  # terminal names
    stack: tuple[object, ...]  # the parser's value stack (tokens not yet reduced)


def syntax_error(e: UnexpectedInput, text: str, filename: str) -> CompileError:
    site = error_site(e, text, filename)
    unknown = unknown_op(site, text, e)
    if unknown is not None:
        return unknown
    label = classify(e)
    if label is not None and LABEL_GUARDS.get(label, always)(site):
        return CompileError(LABEL_MESSAGES[label](site), site.span)
    return CompileError(general_message(site), site.span)


# --------------------------------------------------------------------------
# Where and what


def error_site(e: UnexpectedInput, text: str, filename: str) -> ErrorSite:
    state = getattr(e, "state", None)
    stack = tuple(getattr(state, "value_stack", ()) or ())
    if isinstance(e, UnexpectedToken):
        expected = frozenset(e.accepts or e.expected)
        tok = e.token
        if tok.type == "$END":
            return ErrorSite(end_span(text, filename), "end of file", "", expected, stack)
        return ErrorSite(
            token_span(tok, filename), f"'{shorten(str(tok))}'", str(tok), expected, stack
        )
    if isinstance(e, UnexpectedCharacters):
        allowed = frozenset(e.allowed or ()) - {"WS", "COMMENT", "RESOURCES"}
        pos = e.pos_in_stream or 0
        ch = text[pos] if pos < len(text) else ""
        span = Span(filename, e.line, e.column, e.line, e.column + 1)
        return ErrorSite(span, describe_char(ch), ch, allowed, stack)
    return ErrorSite(end_span(text, filename), "end of file", "", frozenset(), stack)


def token_span(tok: Token, filename: str) -> Span:
    line = tok.line or 1
    col = tok.column or 1
    return Span(filename, line, col, tok.end_line or line, tok.end_column or col + 1)


def end_span(text: str, filename: str) -> Span:
    """Just after the last non-blank character."""
    body = text.rstrip()
    line = body.count("\n") + 1
    col = len(body) - (body.rfind("\n") + 1) + 1
    return Span(filename, line, col, line, col + 1)


def shorten(s: str, limit: int = 30) -> str:
    s = s.encode("unicode_escape").decode("ascii") if not s.isprintable() else s
    return s if len(s) <= limit else s[: limit - 3] + "..."


def describe_char(ch: str) -> str:
    if not ch:
        return "end of file"
    if ch.isprintable() and not ch.isspace():
        return f"'{ch}'"
    return f"character U+{ord(ch):04X}"


# --------------------------------------------------------------------------
# Unknown ops in custom syntax


def unknown_op(site: ErrorSite, text: str, e: UnexpectedInput) -> CompileError | None:
    """'%x = linalg.matmul ...': parsing fails at an op name the grammar does not know.

    The name is either the token found where an op may start, an identifier
    the lexer split after a known prefix ('arith.addix'), or the name just
    shifted as an attribute key where an op could also have started.
    """
    pos = e.token.start_pos if isinstance(e, UnexpectedToken) else getattr(e, "pos_in_stream", None)
    if isinstance(pos, int) and 0 <= pos <= len(text):
        word, start = word_at(text, pos)
        if is_unknown_op(word) and (start < pos or ops_expected(site.expected)):
            return CompileError(
                f"unsupported operation '{word}'", word_span(text, start, word, site.span.file)
            )
    last = site.stack[-1] if site.stack else None
    if not isinstance(last, Token) or last.type != "BARE_ID" or not is_unknown_op(last):
        return None
    if not ops_expected(actions_before_last_token(e)):
        return None
    return CompileError(f"unsupported operation '{last}'", token_span(last, site.span.file))


def is_unknown_op(word: str) -> bool:
    return DOTTED_NAME.fullmatch(word) is not None and word not in KNOWN_OPS


def ops_expected(names: Iterable[str]) -> bool:
    return any(is_op_terminal(n) for n in names)


def actions_before_last_token(e: UnexpectedInput) -> Iterable[str]:
    """The terminals the parser accepted before it shifted its last token."""
    state = getattr(e, "state", None)
    stack = getattr(state, "state_stack", None)
    conf = getattr(state, "parse_conf", None)
    if not stack or len(stack) < 2 or conf is None:
        return ()
    actions: dict[str, object] = conf.parse_table.states.get(stack[-2], {})
    return actions.keys()


def word_at(text: str, pos: int) -> tuple[str, int]:
    start = pos
    while start > 0 and ID_CHARS.match(text[start - 1]):
        start -= 1
    end = pos
    while end < len(text) and ID_CHARS.match(text[end]):
        end += 1
    return text[start:end], start


def word_span(text: str, start: int, word: str, filename: str) -> Span:
    line = text.count("\n", 0, start) + 1
    col = start - (text.rfind("\n", 0, start) + 1) + 1
    return Span(filename, line, col, line, col + len(word))


# --------------------------------------------------------------------------
# Common mistakes (Lark's match_examples, comparing parser states by number)


def classify(e: UnexpectedInput) -> str | None:
    state = getattr(e, "state", None)
    position = getattr(state, "position", None)
    if position is None:
        return None

    def parse(text: str) -> Tree[Token]:
        try:
            return lark_parser().parse(text)
        except UnexpectedInput as ex:
            ex.state = getattr(ex.state, "position", ex.state)
            raise

    e.state = position
    try:
        label: str | None = e.match_examples(parse, EXAMPLES, use_accepts=True)
    finally:
        e.state = state
    return label


def last_token(site: ErrorSite) -> Token | None:
    for item in reversed(site.stack):
        if isinstance(item, Token):
            return item
    return None


def open_brace(site: ErrorSite) -> Token | None:
    """The innermost '{' still open."""
    for item in reversed(site.stack):
        if isinstance(item, Token) and item == "{":
            return item
    return None


def unclosed_message(site: ErrorSite) -> str:
    brace = open_brace(site)
    if brace is None:
        return "unexpected end of file: expected '}'"
    what = "region" if any(is_op_terminal(n) for n in site.expected) else "attribute dictionary"
    return f"unexpected end of file: expected '}}' to close the {what} opened at {brace.line}:{brace.column}"


def missing_equal_message(site: ErrorSite) -> str:
    key = last_token(site)
    name = f" '{key}'" if key is not None else ""
    return f"expected '=' after the attribute name{name}, e.g. {{arch = \"x86_64\"}}; found {site.found}"


def missing_to_message(site: ErrorSite) -> str:
    return (
        f"expected 'to' between the lower and the upper bound, e.g. 'scf.parallel %i = 0 to 20'; "
        f"found {site.found}"
    )


def missing_percent_message(site: ErrorSite) -> str:
    return f"expected a value such as '%{site.value}', found {site.found}: values are written with a leading '%'"


def missing_element_type_message(site: ErrorSite) -> str:
    return f"expected an element type after the shape, e.g. 'memref<{site.value}xi32>'; found {site.found}"


def unterminated_string_message(site: ErrorSite) -> str:
    return "unterminated string: the closing '\"' is missing on this line"


def trailing_comma_message(site: ErrorSite) -> str:
    return f"unexpected {site.found} after ',': remove the trailing ',' or add the missing item"


def always(site: ErrorSite) -> bool:
    return True


def is_name(site: ErrorSite) -> bool:
    return re.fullmatch(r"[A-Za-z_][\w$.]*", site.value) is not None


# A label only applies to the token it was written for (an example shares its
# parser state with other mistakes).
LABEL_GUARDS: dict[str, Callable[[ErrorSite], bool]] = {
    "unclosed": lambda site: not site.value,
    "missing_percent": is_name,
    "missing_element_type": lambda site: site.value.isdigit(),
    "unterminated_string": lambda site: site.value == '"',
    "trailing_comma": lambda site: site.value in (")", "]"),
}

LABEL_MESSAGES: dict[str, Callable[[ErrorSite], str]] = {
    "unclosed": unclosed_message,
    "missing_equal": missing_equal_message,
    "missing_to": missing_to_message,
    "missing_percent": missing_percent_message,
    "missing_element_type": missing_element_type_message,
    "unterminated_string": unterminated_string_message,
    "trailing_comma": trailing_comma_message,
}


# --------------------------------------------------------------------------
# The general case


def general_message(site: ErrorSite) -> str:
    if site.value == '"':
        return unterminated_string_message(site)
    if not site.value and "RBRACE" in site.expected:
        return unclosed_message(site)
    prev = last_token(site)
    if prev is not None and prev == "," and site.value in (")", "]"):
        return trailing_comma_message(site)
    if "VALUE" in site.expected and is_name(site):
        return missing_percent_message(site)
    items = expected_items(site.expected)
    if not site.value:
        return f"unexpected end of file: expected {join_or(items)}"
    if len(items) > 6:
        return f"unexpected {site.found}; expected one of {', '.join(items[:5])}, ..."
    return f"expected {join_or(items)}, found {site.found}"


def join_or(items: list[str]) -> str:
    if not items:
        return "something else"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def expected_items(names: Iterable[str]) -> list[str]:
    """Readable names of the expected terminals, keywords and punctuation first."""
    literals: set[str] = set()
    described: set[str] = set()
    operation = False
    for name in names:
        if is_op_terminal(name):
            operation = True
            continue
        text = terminal_text(name)
        (literals if text.startswith("'") else described).add(text)
    if operation:
        # a string names a generic op, a value its result; '#x =' and '!x =' define aliases
        for name in ("STRING", "HASH_ID", "BANG_TYPE", "VALUE"):
            described.discard(TERMINAL_NAMES[name])
    items = sorted(literals) + sorted(described)
    if operation:
        items.append("an operation")
    return items


def terminal_pattern(name: str) -> str | None:
    """The text of a keyword or punctuation terminal, None for patterns."""
    try:
        term = lark_parser().get_terminal(name)
    except KeyError:
        return None
    return term.pattern.value if isinstance(term.pattern, PatternStr) else None


def is_op_terminal(name: str) -> bool:
    if name in OP_TERMINALS:
        return True
    value = terminal_pattern(name)
    return value is not None and value in KNOWN_OPS


def terminal_text(name: str) -> str:
    value = terminal_pattern(name)
    if value is not None:
        return f"'{value}'"
    return TERMINAL_NAMES.get(name, name.lower())
