"""Unit tests of the C generator.

* Scalar semantics: every arith/math op (and constants) translated by
  ``cexpr`` is compiled with gcc into one small harness over edge-case
  inputs — wrap-around, division by zero and INT_MIN / -1, oversized shifts,
  out-of-range and NaN float-to-int casts, NaN and signed-zero ordering — and
  must give exactly what the reference interpreter gives on a one-op program.
* Statements: loops, branches, reductions, the GPU emulation with barriers,
  run under mpirun against the interpreter; the transfers a run makes equal
  the plan's; unsupported constructs are rejected with a clear error.
"""

from __future__ import annotations

import json
import math
import shutil
import struct
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from e2e import build_example, check_text, generate, mpi_env
from irb import checked
from markers import needs_gcc, needs_mpi

from avial2c.codegen.body import combine_for, flat_index
from avial2c.codegen.expr import expr
from avial2c.codegen.names import Namer, const_expr, sanitize
from avial2c.codegen.render import c_comment, c_string
from avial2c.diagnostics import CompileError
from avial2c.interp.run import interpret
from avial2c.ir import (
    F32,
    F64,
    I1,
    I8,
    I16,
    I32,
    I64,
    INDEX,
    Block,
    CheckedProgram,
    Const,
    MemRefType,
    Op,
    Operand,
    Program,
    ScalarType,
    Target,
    TargetType,
    Task,
    TaskType,
    Value,
    make_attrs,
)
from avial2c.npyio import numpy_dtype, written_memrefs
from avial2c.ops import MATH_UNARY
from avial2c.plan.plan import make_plan

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ROOT / "runtime_c"
MPI_TIMEOUT = 120


INT_TYPES = (I8, I16, I32, I64, INDEX)
FLOAT_TYPES = (F32, F64)


# --------------------------------------------------------------------------
# One-op programs for the interpreter


def one_op_program(name: str, operands: Sequence[ScalarType | Const], result: ScalarType,
                   n: int, **attrs: str) -> tuple[CheckedProgram, Op]:
    """A program storing ``R[i] = NAME(in0[i], in1[i], ...)`` for i < n, checked,
    and its op (as built); a Const operand is used as is instead of an input memref."""
    ins = [
        Value(f"in{k}", MemRefType((n,), t))
        for k, t in enumerate(operands)
        if isinstance(t, ScalarType)
    ]
    out = Value("r", MemRefType((n,), result))
    i = Value("i", INDEX)
    loads: list[Op] = []
    args: list[Operand] = []
    k = 0
    for t in operands:
        if isinstance(t, Const):
            args.append(t)
            continue
        x = Value(f"x{k}", t)
        loads.append(Op("memref.load", (ins[k], i), (x,)))
        args.append(x)
        k += 1
    op = Op(name, tuple(args), (Value("y", result),), make_attrs(**attrs))
    store = Op("memref.store", (op.result, out, i))
    body = Block((i,), (*loads, op, store))
    loop = Op("scf.parallel", (Const(0, INDEX), Const(n, INDEX), Const(1, INDEX)), (), (), (body,))
    target = Target(Value("cpu", TargetType()), "x86_64")
    task = Task(Value("t", TaskType()), target, tuple(ins), (out,), Block((), (loop,)))
    return checked(Program("unit.mlir", (*ins, out), (target,), (task,))), op


@dataclass(frozen=True)
class Case:
    """One op over some inputs, and what the interpreter computed."""

    op: Op
    inputs: tuple[np.ndarray, ...]
    expected: np.ndarray


def case(name: str, operands: Sequence[ScalarType | Const], result: ScalarType,
         inputs: Sequence[Sequence[object]], **attrs: str) -> Case:
    n = len(inputs[0]) if inputs else 1
    program, op = one_op_program(name, operands, result, n, **attrs)
    types = [t for t in operands if isinstance(t, ScalarType)]
    arrays = tuple(
        np.array(values, dtype=numpy_dtype(t)) for values, t in zip(inputs, types, strict=True)
    )
    final = interpret(program, {f"in{k}": a for k, a in enumerate(arrays)})
    return Case(op, arrays, final["r"])


def int_edges(t: ScalarType) -> list[int]:
    if t.name == "i1":
        return [0, 1]
    bits = t.bits
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    values = [0, 1, -1, 2, -2, 3, 7, -7, bits - 1, bits, bits + 1, lo, lo + 1, hi, hi - 1]
    return [v for v in dict.fromkeys(values) if lo <= v <= hi]


def pairs(values: Sequence[object]) -> tuple[list[object], list[object]]:
    return [a for a in values for _ in values], [b for _ in values for b in values]


FLOAT_EDGES = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, 2.5, -2.5, 3.0, 6.0, 1e-3,
               math.inf, -math.inf, math.nan, 3.0e38, 1.0e-40, 2.0 ** 31, -(2.0 ** 31) - 1.0,
               4.0e9, 1.0e19, -1.0e19, 1.0e300]  # fmt: skip


def float_edges(t: ScalarType) -> list[float]:
    if t.name == "f32":
        return [float(np.float32(v)) for v in FLOAT_EDGES if abs(v) < 1e39 or math.isinf(v)]
    return FLOAT_EDGES


# --------------------------------------------------------------------------
# The C harness


def c_value(v: object, t: ScalarType) -> str:
    if t.is_float:
        x = float(v)  # type: ignore[arg-type]
        if math.isnan(x):
            return "NAN"
        if math.isinf(x):
            return "INFINITY" if x > 0 else "-INFINITY"
        return x.hex() + ("f" if t.name == "f32" else "")
    n = int(v)  # type: ignore[call-overload]
    if t.bits == 64:
        return f"INT64_C({n})" if n != -(1 << 63) else "INT64_MIN"
    return str(n) if n != -(1 << 31) else "INT32_MIN"


C_TYPES = {"i1": "bool", "i8": "int8_t", "i16": "int16_t", "i32": "int32_t", "i64": "int64_t",
           "index": "int64_t", "f32": "float", "f64": "double"}  # fmt: skip


def harness(cases: Sequence[Case]) -> str:
    """C printing, for case c and element k, the result as an integer or float bits."""
    lines = ['#include <inttypes.h>', '#include <stdio.h>', '#include "av_ops.h"', "",
             "int main(void)", "{"]  # fmt: skip
    for c, cs in enumerate(cases):
        types = [x.type for x in cs.op.operands if isinstance(x, Value)]
        names = []
        for k, (array, t) in enumerate(zip(cs.inputs, types, strict=True)):
            assert isinstance(t, ScalarType)
            values = ", ".join(c_value(v, t) for v in array.tolist())
            lines.append(f"    static const {C_TYPES[t.name]} c{c}_{k}[] = {{{values}}};")
            names.append(f"c{c}_{k}[k]")
        args, it = [], iter(names)
        for x in cs.op.operands:
            args.append(const_expr(x) if isinstance(x, Const) else next(it))
        rt = cs.op.result.type
        assert isinstance(rt, ScalarType)
        lines.append(f"    for (int k = 0; k < {len(cs.expected)}; k++) {{")
        lines.append(f"        const {C_TYPES[rt.name]} r = {expr(cs.op, args)};")
        if rt.name == "f32":
            lines.append("        uint32_t u; memcpy(&u, &r, 4);")
            lines.append(f'        printf("{c} %d %" PRIu32 "\\n", k, u);')
        elif rt.name == "f64":
            lines.append("        uint64_t u; memcpy(&u, &r, 8);")
            lines.append(f'        printf("{c} %d %" PRIu64 "\\n", k, u);')
        else:
            lines.append(f'        printf("{c} %d %lld\\n", k, (long long)r);')
        lines.append("    }")
    lines += ["    return 0;", "}", ""]
    return "\n".join(lines)


def expected_text(c: int, cs: Case) -> list[str]:
    out = []
    t = cs.op.result.type
    assert isinstance(t, ScalarType)
    for k, v in enumerate(cs.expected.tolist()):
        if t.name == "f32":
            bits = struct.unpack("<I", struct.pack("<f", v))[0]
        elif t.name == "f64":
            bits = struct.unpack("<Q", struct.pack("<d", v))[0]
        else:
            bits = int(v)
        out.append(f"{c} {k} {bits}")
    return out


def is_nan_bits(text: str, t: ScalarType) -> bool:
    bits = int(text.split()[2])
    if t.name == "f32":
        return (bits >> 23) & 0xFF == 0xFF and bits & 0x7FFFFF != 0
    return (bits >> 52) & 0x7FF == 0x7FF and bits & ((1 << 52) - 1) != 0


def run_harness(cases: Sequence[Case], tmp_path: Path) -> None:
    source = tmp_path / "harness.c"
    source.write_text(harness(cases))
    exe = tmp_path / "harness"
    build = subprocess.run(
        ["gcc", "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-ffp-contract=off",
         f"-I{RUNTIME}", str(source), "-o", str(exe), "-lm"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    got = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60).stdout.split("\n")
    want = [line for c, cs in enumerate(cases) for line in expected_text(c, cs)]
    assert len(got) - 1 == len(want)
    for g, w in zip(got, want, strict=False):
        if g == w:
            continue
        c = int(w.split()[0])
        t = cases[c].op.result.type
        assert isinstance(t, ScalarType)
        if t.is_float and is_nan_bits(g, t) and is_nan_bits(w, t):
            continue
        cs = cases[c]
        k = int(w.split()[1])
        inputs = [a[k] for a in cs.inputs]
        pytest.fail(f"{cs.op.name} {dict(cs.op.attrs)} on {inputs}: C gives {g}, interpreter {w}")


# --------------------------------------------------------------------------
# Scalar semantics against the interpreter

INT_BINARY = ["addi", "subi", "muli", "divsi", "divui", "remsi", "remui", "ceildivsi",
              "floordivsi", "andi", "ori", "xori", "shli", "shrsi", "shrui", "minsi", "maxsi",
              "minui", "maxui"]  # fmt: skip
CMPI = ["eq", "ne", "slt", "sle", "sgt", "sge", "ult", "ule", "ugt", "uge"]
CMPF = ["false", "oeq", "ogt", "oge", "olt", "ole", "one", "ord", "ueq", "ugt", "uge", "ult",
        "ule", "une", "uno", "true"]  # fmt: skip
FLOAT_BINARY = ["addf", "subf", "mulf", "divf", "remf", "minimumf", "maximumf", "minnumf",
                "maxnumf", "minf", "maxf"]  # fmt: skip


@needs_gcc
def test_integer_ops_match_interpreter(tmp_path: Path) -> None:
    cases = []
    for t in (I1, *INT_TYPES):
        a, b = pairs(int_edges(t))
        for name in INT_BINARY:
            cases.append(case(f"arith.{name}", [t, t], t, [a, b]))
        for pred in CMPI:
            cases.append(case("arith.cmpi", [t, t], I1, [a, b], predicate=pred))
        cases.append(case("math.absi", [t], t, [int_edges(t)]))
    cases.append(case("arith.select", [I1, I32, I32], I32, [[0, 1, 1], [5, -6, 7], [8, 9, -10]]))
    run_harness(cases, tmp_path)


@needs_gcc
def test_float_ops_match_interpreter(tmp_path: Path) -> None:
    cases = []
    for t in FLOAT_TYPES:
        a, b = pairs(float_edges(t))
        for name in FLOAT_BINARY:
            cases.append(case(f"arith.{name}", [t, t], t, [a, b]))
        for pred in CMPF:
            cases.append(case("arith.cmpf", [t, t], I1, [a, b], predicate=pred))
        cases.append(case("math.powf", [t, t], t, [a, b]))
        values = [*float_edges(t), 0.1, 0.7, 2.0, 10.0, 100.0, -3.7]
        for name in sorted(MATH_UNARY - {"absi"}):
            cases.append(case(f"math.{name}", [t], t, [values]))
        cases.append(case("arith.negf", [t], t, [values]))
        # Moderate magnitudes: products that overflow are not exercised here.
        fa, fb = pairs([v for v in float_edges(t) if not abs(v) > 1e18])
        third = [v * 0.25 - 1.0 for v in fa]
        cases.append(case("math.fma", [t, t, t], t, [fa, fb, third]))
    run_harness(cases, tmp_path)


CAST_SOURCES = {"i1": [0, 1], **{t.name: int_edges(t) for t in INT_TYPES}}


def cast_cases() -> list[Case]:
    cases = []
    ints = (I1, *INT_TYPES)
    for src in ints:
        for dst in ints:
            values = [CAST_SOURCES[src.name]]
            if dst.bits > src.bits and INDEX not in (src, dst):
                cases.append(case("arith.extsi", [src], dst, values))
                cases.append(case("arith.extui", [src], dst, values))
            if dst.bits < src.bits and INDEX not in (src, dst):
                cases.append(case("arith.trunci", [src], dst, values))
            if (src == INDEX) != (dst == INDEX):
                cases.append(case("arith.index_cast", [src], dst, values))
                cases.append(case("arith.index_castui", [src], dst, values))
        for dst in FLOAT_TYPES if src != INDEX else ():  # index <-> float: the checker refuses
            cases.append(case("arith.sitofp", [src], dst, [CAST_SOURCES[src.name]]))
            cases.append(case("arith.uitofp", [src], dst, [CAST_SOURCES[src.name]]))
            cases.append(case("arith.fptosi", [dst], src, [[*float_edges(dst), -0.9, 127.9]]))
            cases.append(case("arith.fptoui", [dst], src, [[*float_edges(dst), 0.9, 255.5]]))
    cases.append(case("arith.extf", [F32], F64, [float_edges(F32)]))
    cases.append(case("arith.truncf", [F64], F32, [[*FLOAT_EDGES, 0.1, 1e+39, 3.4028235e+38]]))
    cases.append(case("arith.bitcast", [F32], I32, [float_edges(F32)]))
    cases.append(case("arith.bitcast", [I32], F32, [int_edges(I32)]))
    cases.append(case("arith.bitcast", [F64], I64, [float_edges(F64)]))
    cases.append(case("arith.bitcast", [I64], F64, [int_edges(I64)]))
    for same in (I1, *(t for t in INT_TYPES if t != INDEX)):  # to its own type: no change
        cases.append(case("arith.bitcast", [same], same, [CAST_SOURCES[same.name]]))
    for same in FLOAT_TYPES:
        cases.append(case("arith.bitcast", [same], same, [float_edges(same)]))
    return cases


@needs_gcc
def test_casts_match_interpreter(tmp_path: Path) -> None:
    run_harness(cast_cases(), tmp_path)


@needs_gcc
def test_constants_match_interpreter(tmp_path: Path) -> None:
    """Constants print as C literals the compiler reads back to the same value."""
    cases = [
        case("arith.addi", [I32, Const(-(1 << 31), I32)], I32, [[0, 1]]),
        case("arith.addi", [I64, Const(-(1 << 63), I64)], I64, [[0, 1]]),
        case("arith.addi", [I64, Const(123456789012345, I64)], I64, [[0, 1]]),
        case("arith.addi", [I8, Const(-128, I8)], I8, [[0, 1]]),
        case("arith.addf", [F32, Const(0.1, F32)], F32, [[0.0, 1.0]]),
        case("arith.addf", [F32, Const(16777217.0, F32)], F32, [[0.0, 1.0]]),
        case("arith.addf", [F64, Const(0.1, F64)], F64, [[0.0, 1.0]]),
        case("arith.addf", [F64, Const(5e-324, F64)], F64, [[0.0, 1.0]]),
        case("arith.addf", [F64, Const(-1e300, F64)], F64, [[0.0, 1.0]]),
        case("arith.mulf", [F32, Const(math.inf, F32)], F32, [[1.0, -1.0]]),
        case("arith.ori", [I1, Const(1, I1)], I1, [[0, 1]]),
    ]
    run_harness(cases, tmp_path)


def test_constant_spelling() -> None:
    assert const_expr(Const(-(1 << 31), I32)) == "INT32_MIN"
    assert const_expr(Const(-5, I32)) == "(-5)"
    assert const_expr(Const(1, I1)) == "true"
    assert const_expr(Const(1 << 40, INDEX)) == "INT64_C(1099511627776)"
    assert const_expr(Const(0.1, F32)) == "0.1f"
    assert const_expr(Const(2.0, F64)) == "2.0"
    assert const_expr(Const(-math.inf, F64)) == "(-INFINITY)"
    assert const_expr(Const(math.nan, F32)).startswith("av_bitcast_i32_f32(")


def test_expressions_read_like_c() -> None:
    a, b = Value("a", I32), Value("b", I32)
    add = Op("arith.addi", (a, b), (Value("r", I32),))
    assert expr(add, ["a", "b"]) == "av_addi_i32(a, b)"
    xor = Op("arith.xori", (a, b), (Value("r", I32),))
    assert expr(xor, ["a", "b"]) == "a ^ b"
    ult = Op("arith.cmpi", (a, b), (Value("r", I1),), make_attrs(predicate="ult"))
    assert expr(ult, ["a", "b"]) == "(uint32_t)a < (uint32_t)b"
    x = Value("x", F32)
    exp = Op("math.exp", (x,), (Value("r", F32),))
    assert expr(exp, ["x"]) == "(float)exp(x)"
    sqrt = Op("math.sqrt", (x,), (Value("r", F32),))
    assert expr(sqrt, ["x"]) == "sqrtf(x)"
    bad = Op("arith.frobnicate", (a, b), (Value("r", I32),))
    with pytest.raises(CompileError, match="not supported"):
        expr(bad, ["a", "b"])


# --------------------------------------------------------------------------
# Names, indices, reductions, text escaping


def test_names_are_c_identifiers_without_shadowing() -> None:
    assert sanitize("0") == "v0"
    assert sanitize("x#1") == "x_1"
    assert sanitize("av_tmp") == "v_av_tmp"
    namer = Namer()
    assert namer.fresh("sqrt") == "sqrt_"
    assert namer.fresh("int") == "int_"
    assert namer.fresh("i") == "i"
    namer.push()
    assert namer.fresh("i") == "i_2"  # would shadow the enclosing i
    assert namer.fresh("j") == "j"
    namer.pop()
    namer.push()
    assert namer.fresh("j") == "j"  # a sibling scope may reuse j
    namer.pop()


def test_flat_index_is_row_major() -> None:
    assert flat_index((), []) == "0"
    assert flat_index((20,), ["i"]) == "i"
    assert flat_index((4, 16), ["i", "j"]) == "i * 16 + j"
    assert flat_index((2, 4, 8), ["i", "0", "k"]) == "i * 32 + k"


def reduce_region(name: str, t: ScalarType, swap: bool = False) -> Block:
    lhs, rhs = Value("l", t), Value("r", t)
    s = Value("s", t)
    args = (rhs, lhs) if swap else (lhs, rhs)
    return Block((lhs, rhs), (Op(name, args, (s,)), Op("scf.reduce.return", (s,))))


def test_reductions_openmp_can_combine() -> None:
    add_f = combine_for(reduce_region("arith.addf", F32), F32)
    assert add_f is not None and add_f.clause == "+"
    add_i = combine_for(reduce_region("arith.addi", I32, swap=True), I32)
    assert add_i is not None and add_i.clause == "av_red_addi_i32"
    max_i = combine_for(reduce_region("arith.maxsi", I64), I64)
    assert max_i is not None and max_i.clause == "max"
    assert combine_for(reduce_region("arith.subf", F32), F32) is None
    assert combine_for(reduce_region("arith.addi", I1), I1) is None


def test_text_escaping() -> None:
    assert c_string('say "hi" \\ ??=') == 'say \\"hi\\" \\\\ \\?\\?='
    assert c_string("é") == "\\303\\251"
    assert "*/" not in c_comment("end */ here")


# --------------------------------------------------------------------------
# Whole programs under mpirun


def build(program: CheckedProgram, tmp_path: Path, sync: str = "barrier") -> Path:
    return build_example(program, tmp_path, sync)


def run(exe: Path, ranks: int, *args: str) -> None:
    done = subprocess.run(
        ["timeout", str(MPI_TIMEOUT), "mpirun", "--oversubscribe", "-n", str(ranks), str(exe),
         *args],
        capture_output=True, text=True, env=mpi_env(), timeout=MPI_TIMEOUT + 10,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def assert_matches_interpreter(program: CheckedProgram, tmp_path: Path, ranks: Sequence[int]) -> None:
    exe = build(program, tmp_path)
    want = interpret(program)
    for n in ranks:
        out = tmp_path / f"out{n}"
        run(exe, n, "--output-dir", str(out))
        for name in written_memrefs(program):
            got = np.load(out / f"{name}.npy")
            np.testing.assert_array_equal(got, want[name], err_msg=f"%{name} on {n} ranks")


SCF_PROGRAM = """
func.func @main(%a: memref<16xi32>, %f: memref<8xf32>, %fib: memref<16xi64>,
                %w: memref<16xi32>, %s: memref<4xf32>, %flag: memref<16xi1>) {
  avial.schedule %a, %f, %fib, %w, %s, %flag : memref<16xi32>, memref<8xf32>, memref<16xi64>,
      memref<16xi32>, memref<4xf32>, memref<16xi1> {
    %cpu = avial.target {arch = "x86_64"}
    %swap = avial.task %cpu reads(%a) writes(%fib) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c16 = arith.constant 16 : index
      scf.parallel (%i) = (%c0) to (%c16) step (%c1) {
        %zero = arith.constant 0 : i64
        %one = arith.constant 1 : i64
        %r:2 = scf.for %k = %c0 to %i step %c1 iter_args(%x = %zero, %y = %one) -> (i64, i64) {
          %n = arith.addi %x, %y : i64
          scf.yield %y, %n : i64, i64
        }
        memref.store %r#0, %fib[%i] : memref<16xi64>
      }
      avial.yield
    }
    %loops = avial.task %cpu reads(%a) writes(%w, %flag) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c4 = arith.constant 4 : index
      %c16 = arith.constant 16 : index
      %scratch = memref.alloca() : memref<4xi32>
      scf.for %i = %c0 to %c16 step %c1 {
        %v = memref.load %a[%i] : memref<16xi32>
        %odd = arith.andi %v, %v : i32
        %big = arith.cmpi sgt, %v, %odd : i32
        %r = scf.if %big -> (i32) {
          scf.yield %v : i32
        } else {
          %t = scf.execute_region -> i32 {
            %m = arith.muli %v, %v : i32
            scf.yield %m : i32
          }
          scf.yield %t : i32
        }
        %slot = arith.remui %i, %c4 : index
        memref.store %r, %scratch[%slot] : memref<4xi32>
        %back = memref.load %scratch[%slot] : memref<4xi32>
        %steps = scf.while (%x = %back) : (i32) -> i32 {
          %more = arith.cmpi sgt, %x, %odd : i32
          scf.condition(%more) %x : i32
        } do {
        ^bb0(%y: i32):
          %next = arith.subi %y, %odd : i32
          scf.yield %next : i32
        }
        memref.store %steps, %w[%i] : memref<16xi32>
        %eq = arith.cmpi eq, %steps, %v : i32
        memref.store %eq, %flag[%i] : memref<16xi1>
      }
      avial.yield
    }
    %fold = avial.task %cpu reads(%f) writes(%s) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c8 = arith.constant 8 : index
      %one = arith.constant 1.0 : f32
      %h = arith.constant 0.5 : f32
      %r = scf.parallel (%i) = (%c0) to (%c8) step (%c1) init (%one) -> f32 {
        %v = memref.load %f[%i] : memref<8xf32>
        scf.reduce(%v : f32) {
        ^bb0(%l: f32, %x: f32):
          %d = arith.subf %l, %x : f32
          %e = arith.mulf %d, %h : f32
          scf.reduce.return %e : f32
        }
      }
      memref.store %r, %s[%c0] : memref<4xf32>
      %m = scf.parallel (%i) = (%c0) to (%c8) step (%c1) init (%one) -> f32 {
        %v = memref.load %f[%i] : memref<8xf32>
        scf.reduce(%v : f32) {
        ^bb0(%l: f32, %x: f32):
          %e = arith.minimumf %l, %x : f32
          scf.reduce.return %e : f32
        }
      }
      memref.store %m, %s[%c1] : memref<4xf32>
      avial.yield
    }
  }
  return
}
"""


@needs_mpi
def test_loops_branches_and_reductions_run_like_the_interpreter(tmp_path: Path) -> None:
    program = check_text(SCF_PROGRAM)
    text = generate(program).c
    assert "reduction(av_red_minimumf_f32:m)" in text
    assert "runs sequentially" in text  # the non-associative reduction
    assert "r_0_next = r_1;" in text  # the swapped iter_args go through temporaries
    assert_matches_interpreter(program, tmp_path, [1, 2])


GPU_PROGRAM = """
func.func @main(%a: memref<64xf32>, %rev: memref<64xf32>, %acc: memref<64xf32>) {
  avial.schedule %a, %rev, %acc : memref<64xf32>, memref<64xf32>, memref<64xf32> {
    %gpu = avial.target {arch = "sm_80"}
    %reverse = avial.task %gpu reads(%a) writes(%rev) {
      %c1 = arith.constant 1 : index
      %c4 = arith.constant 4 : index
      %c15 = arith.constant 15 : index
      %c16 = arith.constant 16 : index
      gpu.launch blocks(%bx, %by, %bz) in (%gx = %c4, %gy = %c1, %gz = %c1)
                 threads(%tx, %ty, %tz) in (%sx = %c16, %sy = %c1, %sz = %c1) {
        %tile = memref.alloca() : memref<16xf32, #gpu.address_space<workgroup>>
        %base = arith.muli %bx, %c16 : index
        %g = arith.addi %base, %tx : index
        %v = memref.load %a[%g] : memref<64xf32>
        memref.store %v, %tile[%tx] : memref<16xf32, #gpu.address_space<workgroup>>
        gpu.barrier
        %mirror = arith.subi %c15, %tx : index
        %w = memref.load %tile[%mirror] : memref<16xf32, #gpu.address_space<workgroup>>
        memref.store %w, %rev[%g] : memref<64xf32>
        gpu.terminator
      }
      avial.yield
    }
    %shift = avial.task %gpu reads(%a) writes(%acc) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c3 = arith.constant 3 : index
      %c64 = arith.constant 64 : index
      %c63 = arith.constant 63 : index
      %zero = arith.constant 0.0 : f32
      gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
                 threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
        %buf = memref.alloca() : memref<64xf32, #gpu.address_space<workgroup>>
        %mine = memref.load %a[%tx] : memref<64xf32>
        %sum = scf.for %r = %c0 to %c3 step %c1 iter_args(%s = %zero) -> (f32) {
          memref.store %mine, %buf[%tx] : memref<64xf32, #gpu.address_space<workgroup>>
          gpu.barrier
          %left = arith.addi %tx, %c63 : index
          %li = arith.remui %left, %c64 : index
          %x = memref.load %buf[%li] : memref<64xf32, #gpu.address_space<workgroup>>
          %n = arith.addf %s, %x : f32
          gpu.barrier
          scf.yield %n : f32
        }
        memref.store %sum, %acc[%tx] : memref<64xf32>
        gpu.terminator
      }
      avial.yield
    }
  }
  return
}
"""


@needs_mpi
def test_gpu_emulation_with_barriers_runs_like_the_interpreter(tmp_path: Path) -> None:
    program = check_text(GPU_PROGRAM)
    text = generate(program).c
    assert "float tile[16] = {0};" in text  # workgroup memory of each block
    assert "gpu.barrier: every thread of the block has finished" in text
    assert "sum_t[tx] = n;" in text  # the iter_arg lives across barriers, per thread
    assert_matches_interpreter(program, tmp_path, [1])


def transfers_of(trace: Path) -> list[tuple[int, int, int, int]]:
    """(src, dst, tag, bytes) of every receive in a Chrome trace."""
    events = json.loads(trace.read_text())["traceEvents"]
    return sorted(
        (e["args"]["peer"], e["tid"], e["args"]["tag"], e["args"]["bytes"])
        for e in events
        if e.get("cat") == "recv"
    )


@needs_mpi
@pytest.mark.parametrize("sync", ["barrier", "p2p"])
def test_transfers_at_run_time_are_the_plans(sync: str, tmp_path: Path) -> None:
    path = ROOT / "examples" / "pipeline.mlir"
    program = check_text(path.read_text(), "examples/pipeline.mlir")
    exe = build(program, tmp_path, sync)
    for n in (1, 2, 4):
        trace = tmp_path / f"trace{n}.json"
        run(exe, n, "--trace", str(trace))
        plan = make_plan(program, n, sync)
        want = sorted((t.src, t.dst, t.tag, t.nbytes) for t in plan.transfers)
        assert transfers_of(trace) == want, f"{n} ranks"


# --------------------------------------------------------------------------
# Rejections


def test_barrier_in_scf_if_is_rejected() -> None:
    text = GPU_PROGRAM.replace(
        "        gpu.barrier\n        %mirror",
        "        %t = arith.constant true\n        scf.if %t {\n          gpu.barrier\n"
        "        }\n        %mirror",
    )
    program = check_text(text)
    with pytest.raises(CompileError, match=r"'gpu\.barrier' inside 'scf\.if'"):
        generate(program)


def test_barrier_loop_with_thread_dependent_bounds_is_rejected() -> None:
    text = GPU_PROGRAM.replace("scf.for %r = %c0 to %c3", "scf.for %r = %c0 to %tx")
    program = check_text(text)
    with pytest.raises(CompileError, match="same for every thread"):
        generate(program)


def test_odd_task_names_give_valid_c(tmp_path: Path) -> None:
    text = (ROOT / "examples" / "seed_typed.mlir").read_text()
    text = text.replace("reads(%a, %b) writes(%c) {", 'reads(%a, %b) writes(%c) {name = "sum */ \\"x\\""} {')
    program = check_text(text)
    source = generate(program).c
    assert 'AV_TASK(ctx, "sum */ \\"x\\""' in source
    if shutil.which("mpicc") is None:
        return
    path = tmp_path / "odd.c"
    path.write_text(source)
    done = subprocess.run(
        ["mpicc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-fopenmp", f"-I{RUNTIME}", "-c",
         str(path), "-o", str(tmp_path / "odd.o")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_openmp_collapses_only_as_many_loops_as_it_needs() -> None:
    from avial2c.codegen.body import COLLAPSE_ENOUGH, omp_parallel_for, trip_count

    assert COLLAPSE_ENOUGH == 64
    assert omp_parallel_for([1024, 1024]) == "omp parallel for"
    assert omp_parallel_for([4, 16]) == "omp parallel for collapse(2)"
    assert omp_parallel_for([2, 8, 8, 100]) == "omp parallel for collapse(3)"
    assert omp_parallel_for([2, 2]) == "omp parallel for collapse(2)"
    assert omp_parallel_for([None, 8]) == "omp parallel for"  # unknown: assume enough
    index = ScalarType("index")
    assert trip_count(Const(1, index), Const(10, index), Const(3, index)) == 3
    assert trip_count(Const(5, index), Const(2, index), Const(1, index)) == 0


def test_small_parallel_loops_ask_the_runtime_for_threads() -> None:
    """A constant-bound scf.parallel with little work is written twice, with
    OpenMP under if (WORK >= av_omp_min_work) and without; nested loops of
    constant trip count count their iterations; a big one, or one with a loop
    of unknown trip count inside, is a plain parallel loop."""
    def c_of(n: int, inner: str = "") -> str:
        text = f"""
        avial.schedule %a, %b : memref<4096xi32>, memref<4096xi32> {{
          %cpu = avial.target {{arch = "x86_64"}}
          %t = avial.task %cpu, %a, %b {{
            scf.parallel %i = 0 to {n} {{
              %x = memref.load %a[%i]
              {inner}
              memref.store %x, %b[%i]
            }}
          }}
        }}
        """
        return generate(check_text(text)).c

    small = c_of(100)
    assert "    if (200 >= av_omp_min_work) {\n        #pragma omp parallel for\n" in small
    assert "    } else {\n        for (int64_t i = 0; i < 100; ++i) {" in small
    assert "100 iterations, about 200 operations: on this thread unless AVIAL_OMP_MIN_WORK" in small
    assert "#pragma omp parallel for\n" in c_of(4096) and "av_omp_min_work" not in c_of(4096)
    looped = c_of(100, "scf.for %k = 0 to 4 { %y = arith.addi %x, %x }")
    assert "if (700 >= av_omp_min_work) {" in looped  # 100 x (3 + 4 x 1)
    unknown = c_of(100, "%n = memref.dim %a, 0 : memref<4096xi32>\n"
                        "scf.for %k = 0 to %n { %y = arith.addi %x, %x }")  # fmt: skip
    assert "#pragma omp parallel for\n" in unknown and "av_omp_min_work" not in unknown


INDEX_ARITH = """
func.func @main(%a: memref<16xi64>) {
  avial.schedule %a : memref<16xi64> {
  %cpu = avial.target {arch = "x86_64"}
  %t = avial.task %cpu reads() writes(%a) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c16 = arith.constant 16 : index
    %big = arith.constant 9223372036854775807 : index
    scf.for %i = %c0 to %c16 step %c1 {
      %im = arith.subi %i, %c1 : index
      %twice = arith.muli %im, %im : index
      %far = arith.addi %i, %big : index
      %sum = arith.addi %twice, %far : index
      %x = arith.index_cast %sum : index to i64
      memref.store %x, %a[%i] : memref<16xi64>
    }
    avial.yield
  }
  }
  return
}
"""


def test_index_arithmetic_that_cannot_overflow_is_plain_c() -> None:
    source = generate(check_text(INDEX_ARITH)).c
    assert "const int64_t im = i - 1;" in source
    assert "const int64_t twice = im * im;" in source
    # i + INT64_MAX may wrap, and so may anything computed from it.
    assert "av_addi_i64(i, " in source
    assert "av_addi_i64(twice, far)" in source
