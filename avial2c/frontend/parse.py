"""The front end's entry: MLIR text (seed, typed or generic spelling) → raw IR.

    parse_program(text, filename) -> Program
    parse_tree(text, filename) -> lark.Tree

Parsing is LALR (``grammar/avial.lark``, :mod:`.grammar`); syntax errors are
explained by :mod:`.syntax_errors`; the custom op syntaxes are read by
:mod:`.op_readers` and the IR is built by :mod:`.build_ir`.  Every problem is
raised as a :class:`CompileError` with a span; no other exception escapes.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from lark import Token, Tree
from lark.exceptions import LarkError

from avial2c.diagnostics import CompileError
from avial2c.frontend.build_ir import build_program
from avial2c.frontend.op_readers import OP_READERS
from avial2c.frontend.reader import parse_lark, read_syntax
from avial2c.ir import Program, Span

__all__ = ["parse_program", "parse_tree"]

T = TypeVar("T")


def parse_tree(text: str, filename: str) -> Tree[Token]:
    """The Lark parse tree of TEXT (for tests and debugging)."""
    return _guarded(lambda: parse_lark(text, filename), filename)


def parse_program(text: str, filename: str) -> Program:
    """The raw program of TEXT; raises CompileError on the first error."""
    return _guarded(
        lambda: build_program(read_syntax(text, filename, OP_READERS), filename), filename
    )


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Parsing allocates millions of small objects that all stay alive; the
    cyclic garbage collector would scan them over and over (3x slower)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _guarded(run: Callable[[], T], filename: str) -> T:
    try:
        with _gc_paused():
            return run()
    except RecursionError:
        raise CompileError("nesting too deep", Span(filename, 1, 1, 1, 1)) from None
    except LarkError as e:
        raise CompileError(f"cannot parse the file: {e}", Span(filename, 1, 1, 1, 1)) from None
