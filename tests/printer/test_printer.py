"""The printers: typed custom form, MLIR generic form, canonical text.

Programs are built by hand (checked IR, all types known) or read from the
examples; every printed program is read back through the parser and checker
and must give the same canonical text.  mlir-opt-22, where installed, is the
judge of the generic form: it must accept it and print it back unchanged, and
it must read the custom form (avial ops rewritten to generic ones) as the same
program.
"""

from __future__ import annotations

import math
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from irb import Body, c, checked, memref, target, task, v
from markers import needs_mlir_opt

from avial2c.check.checker import check_program
from avial2c.diagnostics import DiagnosticEngine
from avial2c.frontend.parse import parse_program
from avial2c.frontend.reader import unquote
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
    Op,
    Operand,
    Program,
    ScalarType,
    Target,
    Task,
    Value,
)
from avial2c.ops import CMPF_PREDICATES, CMPI_PREDICATES
from avial2c.printer.canonical import canonical, programs_equal
from avial2c.printer.common import escape
from avial2c.printer.custom import print_custom
from avial2c.printer.floats import float_text
from avial2c.printer.generic import print_generic

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MLIR_OPT = "mlir-opt-22"


# --------------------------------------------------------------------------
# Building checked programs by hand (tests/support/irb.py), through the checker


def seed_program(size: int = 20) -> CheckedProgram:
    """The checked seed program (examples/seed*.mlir)."""
    a, b, cc, d = (v(n, memref((size,), I32)) for n in "abcd")
    cpu, gpu = target("cpu", "x86_64"), target("gpu", "sm_90")

    def cpu_task(name: str, arith: str, out: Value) -> Task:
        inner = Body()
        i = v("i", INDEX)
        x = inner.op("memref.load", v("x", I32), a, i)
        y = inner.op("memref.load", v("y", I32), b, i)
        z = inner.op(arith, v("z", I32), x, y)
        inner.add("memref.store", (z, out, i))
        body = Body()
        body.add("scf.parallel", (c(0, INDEX), c(20, INDEX), c(1, INDEX)), (), (inner.block(i),))
        return task(name, cpu, (a, b), (out,), body.block())

    args = tuple(v(n, INDEX) for n in ("bx", "by", "bz", "tx", "ty", "tz"))
    args += tuple(v(n, INDEX) for n in ("gx", "gy", "gz", "sx", "sy", "sz"))
    inner = Body()
    x = inner.op("memref.load", v("x", I32), cc, args[3])
    y = inner.op("memref.load", v("y", I32), d, args[3])
    z = inner.op("arith.addi", v("z", I32), x, y)
    inner.add("memref.store", (z, d, args[3]))
    sizes = tuple(c(n, INDEX) for n in (1, 1, 1, 20, 1, 1))
    body = Body()
    body.add("gpu.launch", sizes, (), (inner.block(*args),))
    task3 = task("task3", gpu, (cc, d), (d,), body.block())
    tasks = (cpu_task("task1", "arith.addi", cc), cpu_task("task2", "arith.muli", d), task3)
    return checked(Program("seed.mlir", (a, b, cc, d), (cpu, gpu), tasks))


@dataclass
class Sink:
    """A program with every upstream op of LANGUAGE.md, in checker-normal form."""

    a: Value = field(default_factory=lambda: v("a", memref((20,), I32)))
    f: Value = field(default_factory=lambda: v("f", memref((4, 5), F32)))
    d: Value = field(default_factory=lambda: v("d", memref((8,), F64)))
    s: Value = field(default_factory=lambda: v("s", memref((), F32)))
    m: Value = field(default_factory=lambda: v("m", memref((8, 8), I1)))

    def program(self) -> CheckedProgram:
        cpu, gpu = target("cpu", "x86_64"), target("gpu", "sm_80")
        memrefs = (self.a, self.f, self.d, self.s, self.m)
        t1 = task("k", cpu, (), memrefs, self.cpu_body(), rank=1, display='odd "name"\n')
        t2 = task("g", gpu, (), (self.a,), self.gpu_body(), rank=0)
        t3 = task("e", cpu, (self.a,), (self.d,), self.control_body())
        return checked(Program("sink.mlir", memrefs, (cpu, gpu), (t1, t2, t3), func_name="sink"))

    def cpu_body(self) -> Block:
        body = Body()
        x = body.op("memref.load", v("x", I32), self.a, c(0, INDEX))
        for name in ["addi", "subi", "muli", "divsi", "divui", "remsi", "remui", "ceildivsi", "floordivsi", "andi", "ori", "xori", "shli", "shrsi", "shrui", "minsi", "maxsi", "minui", "maxui"]:  # fmt: skip
            x = body.op(f"arith.{name}", v(name, I32), x, c(-1 if name == "divsi" else 3, I32))
        fl = body.op("arith.sitofp", v("fl", F32), x)
        for name in ["addf", "subf", "mulf", "divf", "remf", "minimumf", "maximumf", "minnumf", "maxnumf", "minf", "maxf"]:  # fmt: skip
            fl = body.op(f"arith.{name}", v(name, F32), fl, c(1.5, F32))
        fl = body.op("arith.negf", v("neg", F32), fl)
        for name in ["sqrt", "rsqrt", "exp", "exp2", "log", "log2", "log10", "sin", "cos", "tan", "tanh", "absf", "floor", "ceil", "round"]:  # fmt: skip
            fl = body.op(f"math.{name}", v(name, F32), fl)
        fl = body.op("math.powf", v("pw", F32), fl, c(0.1, F32))
        fl = body.op("math.fma", v("fma", F32), fl, fl, c(-0.0, F32))
        x = body.op("math.absi", v("absi", I32), x)
        flags = [
            body.op("arith.cmpi", v(p, I1), x, c(7, I32), predicate=p) for p in CMPI_PREDICATES
        ]
        flags += [
            body.op("arith.cmpf", v(f"f_{p}", I1), fl, c(math.nan, F32), predicate=p)
            for p in CMPF_PREDICATES
        ]
        x = body.op("arith.select", v("sel", I32), flags[2], x, c(5, I32))
        self.casts(body, x, fl)
        body.add("memref.store", (flags[-1], self.m, c(1, INDEX), c(7, INDEX)))
        body.add("memref.store", (fl, self.s, *()))
        self.loops(body, fl)
        body.add("memref.store", (x, self.a, c(19, INDEX)))
        return body.block()

    def casts(self, body: Body, x: Value, fl: Value) -> None:
        ix = body.op("arith.index_cast", v("ix", INDEX), x)
        body.op("arith.index_castui", v("ixu", INDEX), x)
        body.op("arith.index_cast", v("back", I32), ix)
        body.op("arith.uitofp", v("uf", F32), x)
        body.op("arith.fptosi", v("fi", I32), fl)
        body.op("arith.fptoui", v("fu", I32), fl)
        wide = body.op("arith.extsi", v("wide", I64), x)
        body.op("arith.extui", v("wideu", I64), x)
        small = body.op("arith.trunci", v("small", I8), x)
        body.op("arith.extsi", v("mid", I16), small)
        dbl = body.op("arith.extf", v("dbl", F64), fl)
        body.op("arith.truncf", v("sgl", F32), dbl)
        body.op("arith.bitcast", v("bits", I32), fl)
        body.op("arith.bitcast", v("dbits", I64), dbl)
        body.op("arith.addi", v("w2", I64), wide, c(12345678901, I64))
        body.op("arith.addi", v("m2", I8), small, c(-3, I8))
        body.op("arith.addf", v("d2", F64), dbl, c(1e-7, F64))
        body.op("arith.addf", v("d3", F64), dbl, c(math.inf, F64))
        body.op("arith.select", v("bsel", I1), c(1, I1), c(0, I1), c(1, I1))
        body.op("memref.dim", v("dim", INDEX), self.f, c(1, INDEX))

    def loops(self, body: Body, fl: Value) -> None:
        zero, one, four, five = (c(n, INDEX) for n in (0, 1, 4, 5))
        # scf.for with iter_args; the induction variable reuses an outer name.
        inner = Body()
        iv, acc = v("x", INDEX), v("acc", F32)
        val = inner.op("memref.load", v("val", F32), self.f, iv, zero)
        nxt = inner.op("arith.addf", v("nxt", F32), acc, val)
        inner.add("scf.yield", (nxt,))
        body.add("scf.for", (zero, four, one, fl), (v("sum", F32),), (inner.block(iv, acc),))
        # scf.for without iter_args, over i32.
        inner = Body()
        j = v("j", I32)
        inner.add("memref.store", (j, self.a, zero))
        body.add("scf.for", (c(0, I32), c(3, I32), c(1, I32)), (), (inner.block(j),))
        # scf.parallel with one reduction.
        inner = Body()
        i, k = v("i", INDEX), v("k", INDEX)
        val = inner.op("memref.load", v("val", F32), self.f, i, k)
        red = Body()
        lhs, rhs = v("lhs", F32), v("rhs", F32)
        added = red.op("arith.addf", v("added", F32), lhs, rhs)
        red.add("scf.reduce.return", (added,))
        inner.add("scf.reduce", (val,), (), (red.block(lhs, rhs),))
        body.add(
            "scf.parallel", (zero, zero, four, five, one, one, c(0.0, F32)), (v("total", F32),),
            (inner.block(i, k),),
        )  # fmt: skip
        self.two_reductions(body)
        # scf.parallel without reductions.
        inner = Body()
        i = v("i", INDEX)
        inner.add("memref.store", (fl, self.f, i, zero))
        body.add("scf.parallel", (zero, four, one), (), (inner.block(i),))
        # scratch memory
        scratch = body.op("memref.alloca", v("scratch", memref((16,), F32)))
        heap = body.op("memref.alloc", v("heap", memref((2, 2), F64)))
        body.add("memref.store", (fl, scratch, five))
        body.add("memref.dealloc", (heap,))

    def two_reductions(self, body: Body) -> None:
        inner = Body()
        i = v("i", INDEX)
        x = inner.op("memref.load", v("x", I32), self.a, i)
        regions = []
        for t, name in ((I32, "arith.maxsi"), (I32, "arith.addi")):
            red = Body()
            lhs, rhs = v("l", t), v("r", t)
            red.add("scf.reduce.return", (red.op(name, v("o", t), lhs, rhs),))
            regions.append(red.block(lhs, rhs))
        inner.add("scf.reduce", (x, x), (), tuple(regions))
        results = (v("best", I32), v("count", I32))
        zero, twenty, one = c(0, INDEX), c(20, INDEX), c(1, INDEX)
        body.add(
            "scf.parallel", (zero, twenty, one, c(-2147483648, I32), c(0, I32)), results,
            (inner.block(i),),
        )  # fmt: skip
        body.add("memref.store", (results[1], self.a, c(3, INDEX)))

    def gpu_body(self) -> Block:
        args = tuple(v(n, INDEX) for n in ("bx", "by", "bz", "tx", "ty", "tz"))
        args += tuple(v(n, INDEX) for n in ("gx", "gy", "gz", "sx", "sy", "sz"))
        inner = Body()
        shared = inner.op("memref.alloca", v("sh", memref((16,), I32, "workgroup")))
        gid = inner.op("gpu.global_id", v("gid", INDEX), dimension="x")
        val = inner.op("arith.index_cast", v("val", I32), gid)
        inner.add("memref.store", (val, shared, args[3]))
        inner.add("gpu.barrier")
        got = inner.op("memref.load", v("got", I32), shared, args[3])
        inner.add("memref.store", (got, self.a, gid))
        body = Body()
        sizes = tuple(c(n, INDEX) for n in (2, 1, 1, 10, 1, 1))
        body.add("gpu.launch", sizes, (), (inner.block(*args),))
        return body.block()

    def control_body(self) -> Block:
        body = Body()
        x = body.op("memref.load", v("x", I32), self.a, c(0, INDEX))
        p = body.op("arith.cmpi", v("p", I1), x, c(0, I32), predicate="sgt")
        # scf.if with two results and an else
        then, other = Body(), Body()
        then.add("scf.yield", (x, c(2.5, F64)))
        other.add("scf.yield", (c(1, I32), c(-2.5, F64)))
        pair = (v("r", I32), v("q", F64))
        body.add("scf.if", (p,), pair, (then.block(), other.block()))
        # scf.if without else; scf.if with an else and no results
        then = Body()
        then.add("memref.store", (pair[1], self.d, c(0, INDEX)))
        body.add("scf.if", (p,), (), (then.block(), Block((), ())))
        then, other = Body(), Body()
        then.add("memref.store", (pair[1], self.d, c(1, INDEX)))
        other.add("memref.store", (pair[1], self.d, c(2, INDEX)))
        body.add("scf.if", (p,), (), (then.block(), other.block()))
        self.whiles(body, pair[0])
        # scf.execute_region with and without a result
        inner = Body()
        inner.add("scf.yield", (c(4.0, F64),))
        got = body.add("scf.execute_region", (), (v("got", F64),), (inner.block(),))
        inner = Body()
        inner.add("memref.store", (got[0], self.d, c(3, INDEX)))
        body.add("scf.execute_region", (), (), (inner.block(),))
        return body.block()

    def whiles(self, body: Body, start: Value) -> None:
        before, after = Body(), Body()
        n = v("n", I32)
        more = before.op("arith.cmpi", v("more", I1), n, c(10, I32), predicate="slt")
        before.add("scf.condition", (more, n))
        m = v("n", I32)  # same name as the before-region's argument
        after.add("scf.yield", (after.op("arith.addi", v("n1", I32), m, c(1, I32)),))
        body.add("scf.while", (start,), (v("w", I32),), (before.block(n), after.block(m)))
        # scf.while without values
        before, after = Body(), Body()
        before.add("scf.condition", (c(0, I1),))
        after.add("memref.store", (c(1.0, F64), self.d, c(7, INDEX)))
        body.add("scf.while", (), (), (before.block(), after.block()))


def sink_program() -> CheckedProgram:
    return Sink().program()


def renamed(program: CheckedProgram, rename: dict[str, str] | None = None) -> CheckedProgram:
    """PROGRAM with fresh Values, named by RENAME (default: every name prefixed)."""
    values: dict[Value, Value] = {}

    def new(x: Value) -> Value:
        if x not in values:
            name = rename.get(x.name, x.name) if rename is not None else f"zz_{x.name}"
            values[x] = Value(name, x.type)
        return values[x]

    def operand(x: Operand) -> Operand:
        return new(x) if isinstance(x, Value) else Const(x.value, x.type)

    def block(b: Block) -> Block:
        args = tuple(new(a) for a in b.args)
        return Block(args, tuple(one(op) for op in b.ops))

    def one(op: Op) -> Op:
        operands = tuple(operand(x) for x in op.operands)
        regions = tuple(block(r) for r in op.regions)
        return Op(op.name, operands, tuple(new(r) for r in op.results), op.attrs, regions)

    memrefs = tuple(new(m) for m in program.memrefs)
    targets = {t: Target(new(t.value), t.arch) for t in program.targets}
    tasks = tuple(
        Task(new(t.value), targets[t.target], tuple(new(m) for m in t.reads),
             tuple(new(m) for m in t.writes), block(t.body), t.rank, t.display_name)
        for t in program.tasks
    )  # fmt: skip
    return checked(
        Program("other.mlir", memrefs, tuple(targets.values()), tasks, func_name="other")
    )


ODD_NAMES = {"x": "1x", "p": "", "a": "a.b$c-d", "i": "c0", "acc": "%", "val": "sh"}


def hand_built() -> list[CheckedProgram]:
    return [seed_program(), sink_program(), renamed(sink_program(), ODD_NAMES)]


HAND_IDS = ["seed", "sink", "sink-odd-names"]


# --------------------------------------------------------------------------
# mlir-opt


def mlir_opt(text: str, *flags: str) -> str:
    done = subprocess.run(
        [MLIR_OPT, "--allow-unregistered-dialect", *flags, "-"],
        input=text, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr + "\n" + text
    return done.stdout


TASK_LINE = re.compile(
    r"^( +)(%\S+) = avial\.task (%\S+)(?: reads\(([^)]*)\))?(?: writes\(([^)]*)\))?"
    r"( \{[^{}]*\})? \{$"
)


def custom_to_mlir(text: str) -> str:
    """The custom form with its avial ops written generically, for mlir-opt.

    Tasks may sit at any depth (inside time loops); a task ends at the first
    `}` line indented as far as its head.
    """
    types: dict[str, str] = {}
    for name, t in re.findall(r"(%[^\s:,()]+): (memref<[^>]*>)", text.splitlines()[0]):
        types[name] = t
    out: list[str] = []
    closers: dict[str, str] = {}  # the indentation of each open task: its closing line
    for line in text.splitlines():
        indent = line[: len(line) - len(line.lstrip(" "))]
        if line.strip() == "}" and indent in closers:
            out.append(closers.pop(indent))
            continue
        out.append(rewrite_line(line, types))
        task_match = TASK_LINE.match(line)
        if task_match:
            closers[task_match.group(1)] = task_closer(task_match, types)
    return "\n".join(out) + "\n"


def task_closer(m: re.Match[str], types: dict[str, str]) -> str:
    names = [m.group(3), *split(m.group(4)), *split(m.group(5))]
    attrs = m.group(6) or ""
    return f"{m.group(1)}}}){attrs} : ({', '.join(types[n] for n in names)}) -> !avial.task"


def split(text: str | None) -> list[str]:
    return [x.strip() for x in text.split(",")] if text else []


def rewrite_line(line: str, types: dict[str, str]) -> str:
    sched = re.match(r"^  avial\.schedule (.*) : (.*) \{$", line)
    if sched:
        types["__schedule__"] = sched.group(2)
        return f'  "avial.schedule"({sched.group(1)}) ({{'
    if line == "  }":
        return f'    "avial.yield"() : () -> ()\n  }}) : ({types["__schedule__"]}) -> ()'
    tgt = re.match(r"^    (%\S+) = avial\.target (\{.*\})$", line)
    if tgt:
        types[tgt.group(1)] = "!avial.target"
        return f'    {tgt.group(1)} = "avial.target"() {tgt.group(2)} : () -> !avial.target'
    task_match = TASK_LINE.match(line)
    if task_match:
        reads, writes = split(task_match.group(4)), split(task_match.group(5))
        operands = ", ".join([task_match.group(3), *reads, *writes])
        sizes = f"array<i32: 1, {len(reads)}, {len(writes)}>"
        head = f"{task_match.group(1)}{task_match.group(2)}"
        return f'{head} = "avial.task"({operands}) <{{operandSegmentSizes = {sizes}}}> ({{'
    if line.strip() == "avial.yield":
        return line.replace("avial.yield", '"avial.yield"() : () -> ()')
    return line


# --------------------------------------------------------------------------
# Front end (parser + checker)


def front_end(text: str, name: str = "printed.mlir") -> CheckedProgram:
    engine = DiagnosticEngine(source=text)
    program = check_program(parse_program(text, name), engine)
    assert not engine.has_errors, engine.render() + "\n" + text
    return program


EXAMPLE_NAMES = sorted(p.name for p in EXAMPLES.glob("*.mlir"))


def example(name: str) -> CheckedProgram:
    return front_end((EXAMPLES / name).read_text(), str(EXAMPLES / name))


def without_comments(text: str) -> str:
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith("//"))


# --------------------------------------------------------------------------
# Generic form


def test_generic_seed_is_exactly_what_mlir_opt_prints() -> None:
    expected = without_comments((EXAMPLES / "seed_generic.mlir").read_text())
    assert print_generic(seed_program()) == expected


def test_custom_seed_is_the_typed_example() -> None:
    expected = without_comments((EXAMPLES / "seed_typed.mlir").read_text())
    assert print_custom(seed_program()) == expected


@needs_mlir_opt
@pytest.mark.parametrize("program", hand_built(), ids=HAND_IDS)
def test_mlir_opt_prints_the_generic_form_back_unchanged(program: CheckedProgram) -> None:
    text = print_generic(program)
    assert mlir_opt(text, "--mlir-print-op-generic") == text


@needs_mlir_opt
@pytest.mark.parametrize("program", hand_built(), ids=HAND_IDS)
def test_custom_form_means_the_same_as_generic_form_to_mlir_opt(program: CheckedProgram) -> None:
    mixed = custom_to_mlir(print_custom(program))
    assert mlir_opt(mixed, "--mlir-print-op-generic") == print_generic(program)


def test_generic_properties_of_upstream_ops() -> None:
    text = print_generic(sink_program())
    assert '"arith.cmpi"(%' in text and "<{predicate = 9 : i64}>" in text
    assert "<{fastmath = #arith.fastmath<none>, predicate = 15 : i64}>" in text
    assert '"arith.addi"' in text and "<{overflowFlags = #arith.overflow<none>}>" in text
    assert "<{operandSegmentSizes = array<i32: 2, 2, 2, 1>}>" in text
    assert "<{operandSegmentSizes = array<i32: 1, 1, 1, 2>}>" in text
    assert "<{dimension = #gpu<dim x>}>" in text
    assert '"arith.minimumf"' in text and '"arith.minf"' not in text
    assert "<{value = 0x7FC00000 : f32}> : () -> f32" in text
    assert "<{value = -0.000000e+00 : f32}>" in text
    assert "<{value = 9.9999999999999995E-8 : f64}>" in text
    assert "<{value = true}> : () -> i1" in text
    assert "<{operandSegmentSizes = array<i32: 0, 0>}> : () -> memref<16xf32>" in text
    assert "() -> memref<16xi32, #gpu.address_space<workgroup>>" in text
    assert '{name = "odd \\22name\\22\\0A", rank = 1 : i64}' in text
    assert '"scf.reduce"() : () -> ()' in text
    assert '"gpu.terminator"() : () -> ()' in text


# --------------------------------------------------------------------------
# Custom form


def test_custom_form_uses_mlir_custom_syntax() -> None:
    text = print_custom(sink_program())
    for expected in (
        "func.func @sink(%a: memref<20xi32>, %f: memref<4x5xf32>",
        "%c0 = arith.constant 0 : index",
        "%c-1_i32 = arith.constant -1 : i32",
        "%true = arith.constant true",
        "%cst = arith.constant",
        "%cst_0 = arith.constant",
        "arith.cmpi slt, %",
        "arith.cmpf uno, %",
        "arith.sitofp %maxui : i32 to f32",
        "memref.store %fma, %s[] : memref<f32>",
        "scf.reduce(%val : f32) {",
        "^bb0(%lhs: f32, %rhs: f32):",
        "scf.reduce.return %added : f32",
        "iter_args(%acc = %fma) -> (f32) {",
        "scf.for %j = %c0_i32 to %c3_i32 step %c1_i32 : i32 {",
        "%best, %count = scf.parallel (%i) = (%c0) to (%c20) step (%c1) init (%c-2147483648_i32, %c0_i32) -> (i32, i32) {",
        "memref.store %count, %a[%c3] : memref<20xi32>",
        "%r, %q = scf.if %p -> (i32, f64) {",
        "} else {",
        "%w = scf.while (%n = %r) : (i32) -> i32 {",
        "scf.condition(%more) %n : i32",
        "} do {",
        "%got = scf.execute_region -> f64 {",
        "gpu.launch blocks(%bx, %by, %bz) in (%gx = %c2, %gy = %c1, %gz = %c1)",
        "%gid = gpu.global_id x",
        '{name = "odd \\22name\\22\\0A", rank = 1} {',
        "gpu.terminator",
        "avial.yield",
    ):
        assert expected in text, expected


def test_custom_form_renames_names_that_clash_or_are_invalid() -> None:
    text = print_custom(sink_program())
    # The induction variable `x` of the first scf.for would shadow the task's `x`.
    assert re.search(r"scf\.for %0 = %c0 to %c4 step %c1 iter_args", text)
    # The after-region of scf.while may reuse `n`: the before-region is closed.
    assert "^bb0(%n: i32):" in text
    text = print_custom(renamed(sink_program(), ODD_NAMES))
    assert "%a.b$c-d: memref<20xi32>" in text
    assert "%1x" not in text and "% " not in text


def test_terminators_in_custom_form() -> None:
    text = print_custom(sink_program())
    assert "scf.reduce\n" not in text and "scf.reduce \n" not in text
    assert text.count("gpu.terminator") == 1
    # scf.while's after-region and scf.execute_region have no implicit terminator.
    after = text[text.index("} do {", text.index("scf.while :")) :]
    assert after.split("\n")[2].strip() == "scf.yield"


# --------------------------------------------------------------------------
# Floats


@pytest.mark.parametrize(
    ("value", "t", "text"),
    [
        (1.5, F32, "1.500000e+00"),
        (0.1, F32, "1.000000e-01"),
        (0.1, F64, "1.000000e-01"),
        (1e-7, F64, "9.9999999999999995E-8"),
        (123456789.0, F64, "0x419D6F3454000000"),
        (1234.5678, F32, "1234.56775"),
        (-0.0, F64, "-0.000000e+00"),
        (math.inf, F32, "0x7F800000"),
        (-math.inf, F64, "0xFFF0000000000000"),
        (math.nan, F32, "0x7FC00000"),
        (1e300, F32, "0x7F800000"),
    ],
)
def test_floats_print_like_mlir(value: float, t: ScalarType, text: str) -> None:
    assert float_text(value, t) == text


@needs_mlir_opt
def test_float_spellings_round_trip_through_mlir_opt() -> None:
    values = [0.1, 1 / 3, 2.0**-149, 3.4028234663852886e38, 1e-310, 6.02214076e23, -7.25]
    lines = []
    for k, x in enumerate(values):
        for t in (F32, F64):
            lines.append(f"%v{k}{t} = arith.constant {float_text(x, t)} : {t}")
            lines.append(f'"use"(%v{k}{t}) : ({t}) -> ()')
    printed = mlir_opt("\n".join(lines), "--mlir-print-op-generic")
    got = re.findall(r"value = (\S+) : (f\d\d)", printed)
    assert got == [(float_text(x, t), str(t)) for x in values for t in (F32, F64)]


def test_escape_follows_llvm() -> None:
    assert escape('a"b\\c\n\x7fé') == '"a\\22b\\\\c\\0A\\7F\\C3\\A9"'


@pytest.mark.parametrize("text", ['a"b\\c\n\x7fé', "ünïcödé", "\t€𝄞", ""])
def test_escaped_strings_read_back_as_themselves(text: str) -> None:
    """'\\XX' escapes are UTF-8 bytes, as mlir-opt prints them: "ü" is "\\C3\\BC"."""
    assert unquote(escape(text)) == text


# --------------------------------------------------------------------------
# Canonical form and determinism


@pytest.mark.parametrize("make", [seed_program, sink_program], ids=HAND_IDS[:2])
def test_printing_is_deterministic(make: Callable[[], CheckedProgram]) -> None:
    one, two = make(), make()
    for printer in (print_custom, print_generic, canonical):
        assert printer(one) == printer(one) == printer(two)


def test_canonical_ignores_names_and_files() -> None:
    program = sink_program()
    other = renamed(program)
    assert program.file != other.file and program.func_name != other.func_name
    assert canonical(other) == canonical(program)
    assert programs_equal(program, other)
    assert "zz_" not in canonical(other) and "%v0: memref<20xi32>" in canonical(other)


def test_canonical_shows_constants_inline_and_task_details() -> None:
    text = canonical(seed_program())
    assert "scf.parallel(const(0 : index), const(20 : index), const(1 : index))" in text
    assert "task %v6 on %v4 reads(%v0, %v1) writes(%v2) rank none name none {" in text
    assert 'target %v4 arch "x86_64"' in text


def changed(
    program: CheckedProgram, targets: tuple[Target, ...] | None = None, **kw: object
) -> CheckedProgram:
    """PROGRAM with its first task's fields KW (and the TARGETS given), checked."""
    task0 = program.tasks[0]
    fields = {
        "value": task0.value, "target": task0.target, "reads": task0.reads,
        "writes": task0.writes, "body": task0.body, "rank": task0.rank,
        "display_name": task0.display_name,
    }  # fmt: skip
    fields.update(kw)
    new = Task(**fields)  # type: ignore[arg-type]
    targets = program.targets if targets is None else targets
    return checked(Program(program.file, program.memrefs, targets, (new, *program.tasks[1:])))


def test_canonical_tells_different_programs_apart() -> None:
    base = seed_program()
    t0 = base.tasks[0]
    variants = [
        changed(base, rank=2),
        changed(base, display_name="first"),
        changed(base, reads=(*t0.reads, base.memrefs[3])),
        changed(base, body=Block((), ())),
    ]
    for variant in variants:
        assert not programs_equal(base, variant)
    assert not programs_equal(base, seed_program(21))
    # The same targets, the first task on the other CPU one.
    spare = target("spare", "x86_64")
    two_cpus = changed(base, targets=(*base.targets, spare))
    assert not programs_equal(two_cpus, changed(two_cpus, target=two_cpus.targets[2]))


def test_canonical_distinguishes_float_constants_bitwise() -> None:
    def one(value: float) -> CheckedProgram:
        body = Body()
        m = v("m", memref((1,), F64))
        body.add("memref.store", (c(value, F64), m, c(0, INDEX)))
        cpu = target("cpu", "cpu")
        return checked(Program("x", (m,), (cpu,), (task("t", cpu, (), (m,), body.block()),)))

    assert not programs_equal(one(0.0), one(-0.0))
    assert programs_equal(one(0.1), one(0.1))
    assert not programs_equal(one(0.1), one(0.1 + 2**-56))


# --------------------------------------------------------------------------
# Round trips through the parser and checker


@pytest.mark.parametrize("program", hand_built(), ids=HAND_IDS)
def test_custom_form_of_hand_built_programs_reparses_equal(program: CheckedProgram) -> None:
    assert canonical(front_end(print_custom(program))) == canonical(program)


@pytest.mark.parametrize("program", hand_built(), ids=HAND_IDS)
def test_generic_form_of_hand_built_programs_reparses_equal(program: CheckedProgram) -> None:
    assert canonical(front_end(print_generic(program))) == canonical(program)


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_examples_round_trip_through_both_printers(name: str) -> None:
    program = example(name)
    expected = canonical(program)
    custom = print_custom(program)
    generic = print_generic(program)
    assert canonical(front_end(custom)) == expected
    assert canonical(front_end(generic)) == expected
    assert print_custom(front_end(custom)) == custom
    assert print_generic(front_end(generic)) == generic


@needs_mlir_opt
@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_examples_generic_form_is_accepted_by_mlir_opt(name: str) -> None:
    program = example(name)
    generic = print_generic(program)
    assert mlir_opt(generic, "--mlir-print-op-generic") == generic
    assert mlir_opt(custom_to_mlir(print_custom(program)), "--mlir-print-op-generic") == generic


@needs_mlir_opt
@pytest.mark.parametrize("flags", [(), ("--mlir-print-op-generic",)], ids=["pretty", "generic"])
@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_what_mlir_opt_prints_of_every_example_parses_to_equal_ir(
    name: str, flags: tuple[str, ...]
) -> None:
    """mlir-opt's own rendering of each example (its pretty form mixes generic
    avial ops with custom upstream ops) reads back as the same program."""
    program = example(name)
    printed = mlir_opt(print_generic(program), *flags)
    assert canonical(front_end(printed)) == canonical(program)


def test_seed_spellings_print_the_same() -> None:
    texts = {
        print_generic(example(n)) for n in ("seed.mlir", "seed_typed.mlir", "seed_generic.mlir")
    }
    assert len(texts) == 1


def int_range(t: ScalarType) -> tuple[int, int]:
    if t == I1:
        return (0, 1)
    return (-(2 ** (t.bits - 1)), 2 ** (t.bits - 1) - 1)


CONSTANTS = st.one_of(
    st.tuples(st.just(F32), st.floats(width=32, allow_nan=False) | st.just(math.nan)),
    st.tuples(st.just(F64), st.floats(allow_nan=False) | st.just(math.nan)),
    st.sampled_from([I1, I8, I16, I32, I64, INDEX]).flatmap(
        lambda t: st.tuples(st.just(t), st.integers(*int_range(t)))
    ),
)


@settings(max_examples=60, deadline=None)
@given(CONSTANTS, CONSTANTS)
def test_constants_round_trip_through_both_forms(
    first: tuple[ScalarType, int | float], second: tuple[ScalarType, int | float]
) -> None:
    body = Body()
    memrefs = []
    for k, (t, value) in enumerate((first, second)):
        m = v(f"m{k}", memref((2,), t))
        memrefs.append(m)
        body.add("memref.store", (c(value, t), m, c(k, INDEX)))
    cpu = target("cpu", "x86_64")
    program = checked(
        Program(
            "c.mlir", tuple(memrefs), (cpu,), (task("t", cpu, (), tuple(memrefs), body.block()),)
        )
    )
    for printer in (print_custom, print_generic):
        assert canonical(front_end(printer(program))) == canonical(program)


def test_function_names_that_are_not_bare_identifiers_are_quoted() -> None:
    seed = seed_program()
    program = checked(
        Program(seed.file, seed.memrefs, seed.targets, seed.tasks, func_name="my func")
    )
    text = print_custom(program)
    assert text.startswith('func.func @"my func"(%a: memref<20xi32>')
    assert front_end(text).func_name == "my func"
    assert 'sym_name = "my func"' in print_generic(program)


TERSE_BIG_LAUNCH = """
avial.schedule %a : memref<2000xi32> {
  %gpu = avial.target {arch = "sm_90"}
  %fill = avial.task %gpu, %a {
    gpu.launch {
      %tid = gpu.thread_id x
      %v = arith.index_cast %tid : index to i32
      memref.store %v, %a[%tid] : memref<2000xi32>
    }
  }
}
"""


def test_expanded_terse_launch_round_trips() -> None:
    program = front_end(TERSE_BIG_LAUNCH, "terse.mlir")
    custom, generic = print_custom(program), print_generic(program)
    assert "arith.cmpi ult, %gid, %c2000 : index" in custom
    assert "threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1) {" in custom
    for text in (custom, generic):
        assert canonical(front_end(text)) == canonical(program)


@needs_mlir_opt
def test_expanded_terse_launch_is_valid_mlir() -> None:
    program = front_end(TERSE_BIG_LAUNCH, "terse.mlir")
    generic = print_generic(program)
    assert mlir_opt(generic, "--mlir-print-op-generic") == generic
    assert mlir_opt(custom_to_mlir(print_custom(program)), "--mlir-print-op-generic") == generic
