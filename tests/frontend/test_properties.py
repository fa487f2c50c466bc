"""Op properties and flags as MLIR 22 checks them (avial2c/frontend/properties.py);
mlir-opt-22 agrees on every case (tests/check/test_validity_fuzz.py compares
them at random)."""

from __future__ import annotations

import pytest

from avial2c.diagnostics import CompileError
from avial2c.frontend.parse import parse_program

PROGRAM = """\
avial.schedule %a, %b : memref<4xi32>, memref<4xf32> {{
  %cpu = avial.target {{arch = "x86_64"}}
  %t1 = avial.task %cpu reads(%a) writes(%a, %b) {{
    %c0 = arith.constant 0 : index
    %x = memref.load %a[%c0] : memref<4xi32>
    %f = memref.load %b[%c0] : memref<4xf32>
    {op}
  }}
}}
"""

VALID = [
    "%e = arith.addi %x, %x overflow<nsw, nuw> : i32",
    "%e = arith.trunci %x overflow<none> : i32 to i8",
    "%e = arith.addf %f, %f fastmath<nnan,ninf> : f32",
    "%e = arith.extf %f fastmath<fast> : f32 to f64",
    "%e = arith.cmpf oeq, %f, %f fastmath<fast> : f32",
    "%e = math.sqrt %f fastmath<afn> : f32",
    '%e = "arith.addi"(%x, %x) <{overflowFlags = #arith.overflow<none>}> : (i32, i32) -> i32',
    '%e = "arith.addi"(%x, %x) <{zzz = 1}> : (i32, i32) -> i32',
    '%e = "arith.remsi"(%x, %x) {overflowFlags = 1 : i32} : (i32, i32) -> i32',
    '%e = "arith.cmpi"(%x, %x) <{predicate = 9 : i64}> : (i32, i32) -> i1',
    '%e = "arith.cmpi"(%x, %x) {predicate = 1} : (i32, i32) -> i1',
    '%e = "arith.cmpf"(%f, %f) <{fastmath = #arith.fastmath<none>, predicate = 15 : i64}> : '
    "(f32, f32) -> i1",
    '%e = "memref.load"(%a, %c0) <{nontemporal = false}> : (memref<4xi32>, index) -> i32',
]

INVALID = [
    ("%e = arith.remsi %x, %x overflow<nsw> : i32", "'arith.remsi' takes no overflow<...> flags"),
    ("%e = arith.addf %f, %f overflow<nsw> : f32", "'arith.addf' takes no overflow<...> flags"),
    ("%e = arith.cmpi eq, %x, %x fastmath<fast> : i32", "'arith.cmpi' takes no fastmath<...>"),
    ("%e = arith.addi %x, %x overflow<bogus> : i32", "found 'bogus'"),
    ("%e = arith.addf %f, %f fastmath<> : f32", "found nothing"),
    ('%e = "arith.select"(%x, %x, %x) <{}> : (i32, i32, i32) -> i32', "has no properties"),
    ('%e = "arith.addi"(%x, %x) <{overflowFlags = 1 : i32}> : (i32, i32) -> i32',
     "must be #arith.overflow<...>, not '1 : i32'"),
    ('%e = "arith.addi"(%x, %x) {overflowFlags = #arith.fastmath<none>} : (i32, i32) -> i32',
     "must be #arith.overflow<...>"),
    ('%e = "arith.addf"(%f, %f) <{fastmath = #arith.fastmath<bogus>}> : (f32, f32) -> f32',
     "'fastmath' of 'arith.addf' takes the flags"),
    ('%e = "arith.cmpi"(%x, %x) <{predicate = 10 : i64}> : (i32, i32) -> i1',
     "must be an i64 from 0 to 9, not '10 : i64'"),
    ('%e = "arith.cmpi"(%x, %x) <{predicate = "eq"}> : (i32, i32) -> i1', "not '\"eq\"'"),
    ('%e = "arith.cmpf"(%f, %f) <{predicate = 16 : i64}> : (f32, f32) -> i1', "from 0 to 15"),
    ('%e = "memref.load"(%a, %c0) <{nontemporal = 1}> : (memref<4xi32>, index) -> i32',
     "'nontemporal' of 'memref.load' must be true or false"),
    ("%e = arith.addi %x, %x {foo = 0 : vector<4xi32>} : i32",
     "integer literal 0 cannot have type vector<4xi32>"),
    ("%e = arith.addi %x, %x {foo = 1.5 : i32} : i32", "float literal 1.5 cannot have type i32"),
]  # fmt: skip


@pytest.mark.parametrize("op", VALID)
def test_valid_properties_are_accepted(op: str) -> None:
    parse_program(PROGRAM.format(op=op), "p.mlir")


@pytest.mark.parametrize(("op", "message"), INVALID)
def test_invalid_properties_are_errors(op: str, message: str) -> None:
    with pytest.raises(CompileError) as info:
        parse_program(PROGRAM.format(op=op), "p.mlir")
    d = info.value.diagnostic
    assert message in d.message and d.span.line == 7, (d.message, d.span)
