"""The contents of loc(...) are read as MLIR's location parser reads them
(avial2c/frontend/locations.py): what it accepts is accepted, what it
rejects is an error at the offending token (mlir-opt-22 agrees on every
case below: tests/check/test_validity_fuzz.py compares them at random)."""

from __future__ import annotations

import pytest

from avial2c.diagnostics import CompileError
from avial2c.frontend.parse import parse_program

PROGRAM = """\
{before}avial.schedule %a : memref<4xi32> {{
  %cpu = avial.target {{arch = "x86_64"}}
  %t1 = avial.task %cpu writes(%a) {{
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : i32 loc({loc})
    memref.store %c1, %a[%c0] : memref<4xi32>
  }}
}}
{after}"""

VALID = [
    "unknown",
    '"f.mlir":1',
    '"f.mlir":1:2',
    '"f.mlir":0x10:01',
    '"f": 1 : 2',
    '"f":4294967295:1',
    '"f":1:2 to 3:4',
    '"f":1:2 to :4',
    '"f":1:2to:4',
    '"name"',
    '""',
    '"a\\"b\\\\c\\n\\41"',
    '"a"("b":1:2)',
    '"a"("b"("c"(unknown)))',
    'callsite("a" at "b":1:2)',
    'callsite("a"at"b")',
    'callsite(callsite("a" at "b") at fused["c", "d"])',
    "fused[]",
    'fused["a", "b":1:1, unknown]',
    'fused<"meta">["a"]',
    'fused < 1 : i32 > [ "a" ]',
    'fused<affine_map<(d0) -> (d0)>>["a"]',
    'fused<#dlt.x<1>>["a"]',
    '"a" // a comment\n',
]

INVALID = [
    ("", "expected a location (a string"),
    ('"f.mlir":x:1', "expected a line number, found 'x'"),
    ('"f":-1:2', "expected a line number, found '-'"),
    ('"f":1:-2', "expected a column number, found '-'"),
    ('"f":4294967296:1', "line number 4294967296 does not fit in 32 bits"),
    ('"f":1 to 3', "expected ')' after the location, found 'to'"),
    ('"f":1:2:3', "expected ')' after the location, found ':'"),
    ('"f":1:2 to', "expected an end line or ':' after 'to'"),
    ('"f":1:2 to 3', "expected ':' and the end column after the end line"),
    ('"f":1:2 to :4:5', "expected ')' after the location, found ':'"),
    ("'f':1:2", "expected a location (a string"),
    ('"a\\q"', "unknown escape in string"),
    ('callsite("a")', "expected 'at' in callsite(... at ...), found ')'"),
    ('callsite(loc("a") at "b")', "found 'loc'"),
    ('"a" at "b"', "expected ')' after the location, found 'at'"),
    ('unknown("x")', "expected ')' after the location, found '('"),
    ('"a"("b", "c")', "expected ')' after the child location of a name, found ','"),
    ('"f":1:2 loc("g")', "found 'loc'"),
    ("known", "found 'known'"),
    ("UNKNOWN", "found 'UNKNOWN'"),
    ('fused<"m">', "expected '[' in fused[...], found the end of the location"),
    ('fused["a" "b"]', "expected ',' or ']' in fused[...], found '\"b\"'"),
    ('fused["a",]', "found ']'"),
    ('fused<>["a"]', "expected an attribute in fused<...>"),
    ('fused<#nope>["a"]', "the alias '#nope' is not defined"),
    ("#nope", "the alias '#nope' is not defined"),
    ("#dlt.x", "'#dlt.x' is not a location attribute"),
]


def parse(loc: str, before: str = "", after: str = "") -> None:
    parse_program(PROGRAM.format(loc=loc, before=before, after=after), "l.mlir")


@pytest.mark.parametrize("loc", VALID)
def test_valid_locations_are_accepted(loc: str) -> None:
    parse(loc)


@pytest.mark.parametrize(("loc", "message"), INVALID)
def test_invalid_locations_are_errors(loc: str, message: str) -> None:
    with pytest.raises(CompileError) as info:
        parse(loc)
    d = info.value.diagnostic
    assert d.message.startswith("invalid location: ") and message in d.message, d.message
    assert d.span.line == 5 and d.span.col >= len("    %c1 = arith.constant 1 : i32 loc(")


def test_an_op_location_alias_may_be_defined_anywhere() -> None:
    parse("#l1", before='#l1 = loc("a":1:1)\n')
    parse("#l1", after='#l0 = loc("b":2:2)\n#l1 = loc(callsite(#l0 at "a":1:1))\n')
    parse(" #l1 ", after='#l1 = loc("a":1:1)\n')


def test_an_alias_inside_a_location_is_defined_before() -> None:
    parse('fused[#l1, "x"]', before='#l1 = loc("a":1:1)\n')
    with pytest.raises(CompileError, match="'#l1' is not defined before its use"):
        parse('fused[#l1, "x"]', after='#l1 = loc("a":1:1)\n')
    with pytest.raises(CompileError, match="'#l1' is not defined before its use"):
        parse("#l2", after='#l2 = loc(#l1)\n#l1 = loc("a":1:1)\n')


def test_an_alias_of_another_attribute_is_not_a_location() -> None:
    with pytest.raises(CompileError, match="'#m' is not a location: it is 'affine_map"):
        parse("#m", after="#m = affine_map<(d0) -> (d0)>\n")
    with pytest.raises(CompileError, match="'#n' is not a location: it is '1'"):
        parse('"a"(#n)', before="#n = 1\n")
    parse("#c", before='#b = loc("x")\n#c = #b\n')


def test_the_locations_of_alias_definitions_are_checked_too() -> None:
    with pytest.raises(CompileError, match="expected 'at'") as info:
        parse("#l1", before='#l1 = loc(callsite("a"))\n')
    assert info.value.diagnostic.span.line == 1
