"""The LALR parser of ``grammar/avial.lark`` (all three spellings)."""

from __future__ import annotations

import functools
import importlib.util

from lark import Lark

from avial2c.resources import GRAMMAR


@functools.lru_cache(maxsize=1)
def lark_parser() -> Lark:
    """The LALR parser, built once (strict when interegular is installed)."""
    strict = importlib.util.find_spec("interegular") is not None
    return Lark(
        GRAMMAR.read_text(encoding="utf-8"),
        parser="lalr",
        lexer="contextual",
        strict=strict,
        propagate_positions=True,
        maybe_placeholders=True,
        cache=True,
    )
