"""Mutants of valid programs, judged by avial2c and by mlir-opt-22.

Not a test module; tests/check/test_validity_fuzz.py uses it.

A *base* is a valid program in a text both tools read: avial2c's generic
form (``print_generic``) or what ``mlir-opt-22 --allow-unregistered-dialect``
prints of it (upstream ops in their custom syntax, avial ops generic).  A
:class:`Layout` of the base knows, for every line, the values visible after
it with their types (from avial2c's IR and the constants' text) and whether
it lies in a task body.  Each mutator changes the base once, at random, and
returns a :class:`Mutant`:

* ``cast``/``cmp``/``arith``/``const``: a new, unused op after a line of a
  task body, in the custom or the generic syntax, with random kind,
  operands, predicate, type annotations and constant values (edges of each
  type and beyond them);
* ``dup``: a copy of a task's one-line op, under new result names, with one
  token changed (a type, the op within its family, an operand, a
  predicate); ``inplace``: the same change on the line itself;
* ``retype``: one scalar or memref type replaced by another everywhere;
* ``rank``: a ``{rank = ...}`` attribute on a task (huge, negative, typed,
  not an integer); ``attr``: upstream attributes (segment sizes, overflow
  and fastmath flags, predicates, unknown attributes);
* ``nest``: a line moved, swapped, dropped or duplicated; stores wrapped in
  ``scf.execute_region``, ``scf.if`` or ``scf.for``;
* ``loc``: ``loc(...)`` trailing ops, block arguments and function arguments,
  of random depth and kind (file:line:col, ranges, names, callsite, fused,
  unknown, aliases), strings with Unicode;
* ``name``: one value renamed everywhere, to a hostile valid name or an
  invalid one.

Only upstream ops (arith, math, memref, scf, gpu, func) are mutated, apart
from the task's ``rank``: mlir-opt checks nothing of the unregistered avial
ops but their syntax.
"""

from __future__ import annotations

import random
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field

from hostile import HOSTILE_STRINGS, name_pool

from avial2c.check.checker import check_program
from avial2c.diagnostics import CompileError, DiagnosticEngine
from avial2c.frontend.parse import parse_program
from avial2c.ir import Block, Op, Program
from avial2c.printer.generic import print_generic

MLIR_OPT = "mlir-opt-22"
TIMEOUT = 60

SCALARS = ["i1", "i8", "i16", "i32", "i64", "index", "f32", "f64"]
ODD_TYPES = ["f16", "bf16", "i4", "i0", "i128", "ui8", "si32", "f80", "tf32", "none",
             "complex<f32>", "vector<4xi32>", "memref<4xi32>", "tensor<4xf32>"]  # fmt: skip
INT_BITS = {"i1": 1, "i8": 8, "i16": 16, "i32": 32, "i64": 64, "index": 64}
CASTS = ["extsi", "extui", "trunci", "index_cast", "index_castui", "sitofp", "uitofp",
         "fptosi", "fptoui", "extf", "truncf", "bitcast"]  # fmt: skip
INT_BINARY = ["addi", "subi", "muli", "divsi", "divui", "remsi", "remui", "ceildivsi",
              "floordivsi", "andi", "ori", "xori", "shli", "shrsi", "shrui", "minsi", "maxsi",
              "minui", "maxui"]  # fmt: skip
FLOAT_BINARY = ["addf", "subf", "mulf", "divf", "remf", "minimumf", "maximumf", "minnumf",
                "maxnumf"]  # fmt: skip
MATH_UNARY = ["math.absf", "math.sqrt", "math.exp", "math.sin", "math.tanh", "math.floor",
              "math.absi", "math.ceil", "math.round", "arith.negf"]  # fmt: skip
INT_PREDICATES = ["eq", "ne", "slt", "sle", "sgt", "sge", "ult", "ule", "ugt", "uge"]
FLOAT_PREDICATES = ["false", "oeq", "ogt", "oge", "olt", "ole", "one", "ord", "ueq", "ugt",
                    "uge", "ult", "ule", "une", "uno", "true"]  # fmt: skip
FAMILIES = [CASTS, INT_BINARY, FLOAT_BINARY, ["cmpi", "cmpf"], ["load", "store"],
            ["thread_id", "block_id", "block_dim", "grid_dim", "global_id"]]  # fmt: skip
TERMINATORS = {"scf.yield", "scf.condition", "scf.reduce.return", "gpu.terminator",
               "avial.yield", "func.return", "scf.reduce"}  # fmt: skip

VALUE_REF = r"%[A-Za-z0-9_$.\-]+"
SCALAR_RE = re.compile(r"(?<![\w.<])(i1|i8|i16|i32|i64|index|f32|f64)(?![\w.])")
MEMREF_RE = re.compile(r"memref<[^<>]*(?:<[^<>]*>[^<>]*)*>")
OP_RE = re.compile(r'^\s*(?:%[^=]*=\s*)?"?([a-z_]+\.[a-z_.]+)"?')
CONST_CUSTOM = re.compile(rf"^\s*({VALUE_REF}) = arith\.constant (.+?)(?: : (\S+))?(?: loc\(.*\))?$")
CONST_GENERIC = re.compile(rf'^\s*({VALUE_REF}) = "arith\.constant"\(\) <\{{value = .*\}}> : \(\) -> (\S+)')


@dataclass(frozen=True)
class Mutant:
    base: str  # the base's name
    kind: str  # the mutator
    note: str  # what was changed, one line
    text: str


@dataclass
class Line:
    text: str
    op: str | None  # the op name on the line, if it holds a whole op or a region opener
    in_task: bool
    anchor: bool  # a whole upstream op of a task body, not a terminator: code may follow it
    visible: list[tuple[str, str]]  # (name with %, type) visible after the line
    indent: str
    defines: list[str] = field(default_factory=list)  # result names defined here


# --------------------------------------------------------------------------
# The judges


@dataclass(frozen=True)
class Verdict:
    ok: bool
    message: str  # the first error, or ""
    crashed: bool = False
    line: int = 0  # the line of the first error, when known


def avial_verdict(text: str, name: str = "mutant.mlir") -> tuple[Verdict, Program | None]:
    """Does avial2c's front end (parser and checker) accept TEXT?"""
    engine = DiagnosticEngine(source=text)
    try:
        program = check_program(parse_program(text, name), engine)
    except CompileError as e:
        return Verdict(False, e.diagnostic.message, line=e.diagnostic.span.line), None
    except Exception as e:  # an internal error is a finding of its own
        return Verdict(False, f"{type(e).__name__}: {e}", crashed=True), None
    if engine.has_errors:
        first = next(d for d in engine.diagnostics if d.severity == "error")
        return Verdict(False, first.message, line=first.span.line), None
    return Verdict(True, ""), program


@dataclass(frozen=True)
class MlirResult:
    verdict: Verdict
    printed: str  # stdout when accepted
    error_line: int | None  # line of the first error


def mlir_opt(text: str, flags: tuple[str, ...] = ()) -> MlirResult:
    """mlir-opt-22 --allow-unregistered-dialect FLAGS on TEXT."""
    done = subprocess.run(
        [MLIR_OPT, "--allow-unregistered-dialect", *flags, "-"],
        input=text, capture_output=True, text=True, timeout=TIMEOUT, check=False,
    )  # fmt: skip
    if done.returncode == 0:
        return MlirResult(Verdict(True, ""), done.stdout, None)
    m = re.search(r"^<stdin>:(\d+):(\d+): error: (.*)$", done.stderr, re.MULTILINE)
    if m is None:
        return MlirResult(Verdict(False, done.stderr.strip()[:300]), "", None)
    return MlirResult(Verdict(False, m[3]), "", int(m[1]))


# --------------------------------------------------------------------------
# A base's layout


def ir_definitions(program: Program) -> tuple[dict[int, list[tuple[str, str]]], dict[int, list[tuple[str, str]]], dict[int, Op]]:
    """From avial2c's IR of a base: results by the line where they become
    visible (the op's last line), block arguments by their line, and the
    region-free ops by their (single) line."""
    results: dict[int, list[tuple[str, str]]] = {}
    args: dict[int, list[tuple[str, str]]] = {}
    single: dict[int, Op] = {}

    def walk(block: Block) -> None:
        for a in block.args:
            if a.type is not None:
                args.setdefault(a.span.line, []).append((f"%{a.name}", str(a.type)))
        for op in block.ops:
            if len(op.results) == 1 and op.results[0].type is not None:
                r = op.results[0]
                results.setdefault(op.span.end_line, []).append((f"%{r.name}", str(r.type)))
            if not op.regions and op.span.line == op.span.end_line:
                single[op.span.line] = op
            for region in op.regions:
                walk(region)

    for task in program.tasks:
        walk(task.body)
    for m in program.memrefs:
        args.setdefault(m.span.line, []).append((f"%{m.name}", str(m.type)))
    return results, args, single


def constant_def(text: str) -> tuple[str, str] | None:
    m = CONST_GENERIC.match(text)
    if m:
        return m[1], m[2]
    m = CONST_CUSTOM.match(text)
    if m:
        return m[1], m[3] or "i1"
    return None


def layout(text: str, program: Program) -> list[Line]:
    """Every line of TEXT (a base, read by avial2c as PROGRAM) with what is visible after it."""
    results, args, single = ir_definitions(program)
    frames: list[tuple[str | None, list[tuple[str, str]]]] = [(None, [])]
    pending: list[tuple[str, str]] = []
    out: list[Line] = []
    for number, raw in enumerate(text.splitlines(), 1):
        s = raw.strip()
        indent = raw[: len(raw) - len(raw.lstrip())]
        op_match = OP_RE.match(raw)
        op = op_match[1] if op_match else None
        defines: list[str] = []
        if s.startswith("^"):
            frames[-1][1].extend(args.get(number, []))
        else:
            pending.extend(args.get(number, []))
            opener = op
            if s.startswith("}"):
                opener = frames.pop()[0]
            if s.endswith("{"):
                frames.append((opener, list(pending)))
                pending = []
            found = results.get(number, [])
            const = constant_def(raw)
            if const:
                found = [*found, const]
            frames[-1][1].extend(found)
            defines = [n for n, _ in found]
        chain = [f[0] for f in frames]
        in_task = "avial.task" in chain
        upstream = op is not None and not op.startswith("avial.") and op not in TERMINATORS
        whole = number in single or constant_def(raw) is not None
        visible = [v for f in frames for v in f[1]]
        out.append(Line(raw, op, in_task, in_task and upstream and whole and not s.endswith("{"),
                        visible, indent, defines))  # fmt: skip
    return out


@dataclass
class Base:
    name: str
    text: str
    lines: list[Line]

    @staticmethod
    def of(name: str, text: str) -> Base:
        verdict, program = avial_verdict(text, name)
        if program is None:
            raise ValueError(f"base {name} is not accepted by avial2c: {verdict.message}")
        return Base(name, text, layout(text, program))

    def anchors(self) -> list[int]:
        return [k for k, line in enumerate(self.lines) if line.anchor]


# --------------------------------------------------------------------------
# Random pieces


def int_values(t: str) -> list[str]:
    """Integer literals in and just beyond the range of T, in several spellings."""
    bits = INT_BITS.get(t, 32)
    lo, hi = -(1 << (bits - 1)), (1 << bits) - 1
    vals = [0, 1, -1, lo, hi, lo - 1, hi + 1, (1 << (bits - 1)) - 1, 1 << (bits - 1), 300,
            -129, 256, 1 << 64, -(1 << 64), 10**30, 2, 7]  # fmt: skip
    return [str(v) for v in vals] + ["0x7F", "0xFF", "0x100", "0xFFFFFFFFFFFFFFFF",
                                     "0x1FFFFFFFFFFFFFFFF", "true", "false", "1.5"]  # fmt: skip


FLOAT_VALUES = ["0.0", "-0.0", "1.5", "1.0e+38", "3.4028235e+38", "3.5e+38", "1.0e+39",
                "1.0e+308", "1.8e+308", "1.0e+400", "1.0e-45", "1.0e-50", "4.9e-324", "1.0e-400",
                "0x7FC00000", "0x7F800000", "0x7FF8000000000000", "0xFFF0000000000000",
                "0x7FC0", "0x1FFFFFFFF", "3", "-7", "inf", "nan"]  # fmt: skip


def any_type(rng: random.Random, odd: float = 0.1) -> str:
    return rng.choice(ODD_TYPES) if rng.random() < odd else rng.choice(SCALARS)


def scalar_values(line: Line) -> list[tuple[str, str]]:
    """Visible values of scalar type (the last definition of each name wins)."""
    seen: dict[str, str] = {}
    for name, t in line.visible:
        seen[name] = t
    return [(n, t) for n, t in seen.items() if t in SCALARS]


class Namer:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.n = 0

    def fresh(self) -> str:
        self.n += 1
        return f"%fz{self.rng.randrange(10**6)}_{self.n}"


def insert_after(base: Base, k: int, new_lines: list[str]) -> str:
    lines = [line.text for line in base.lines]
    indent = base.lines[k].indent
    lines[k + 1 : k + 1] = [indent + x for x in new_lines]
    return "\n".join(lines) + "\n"


def replace_line(base: Base, k: int, new: str | list[str]) -> str:
    lines = [line.text for line in base.lines]
    lines[k : k + 1] = [new] if isinstance(new, str) else new
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# Mutators: each returns (kind-specific note, text) or None when it cannot apply


Mutator = Callable[[Base, random.Random], "tuple[str, str] | None"]


def pick_anchor(base: Base, rng: random.Random, need_values: int = 1) -> int | None:
    anchors = [k for k in base.anchors() if len(scalar_values(base.lines[k])) >= need_values]
    return rng.choice(anchors) if anchors else None


def annotated(rng: random.Random, actual: str, keep: float = 0.6) -> str:
    return actual if rng.random() < keep else any_type(rng)


# (operand type, cast kinds, result types) where the cast rules have corners.
CAST_CORNERS = [
    ("index", ["sitofp", "uitofp"], ["f32", "f64"]),
    ("f", ["fptosi", "fptoui"], ["index"]),
    ("any", ["bitcast"], ["same", "same", "f32", "i32", "i64"]),
    ("any", ["index_cast", "index_castui"], ["index", "i32", "same"]),
    ("i", ["extsi", "extui", "trunci"], ["same", "i1", "i64"]),
    ("f", ["extf", "truncf"], ["same", "f32", "f64"]),
]


def mutate_cast(base: Base, rng: random.Random) -> tuple[str, str] | None:
    k = pick_anchor(base, rng)
    if k is None:
        return None
    values = scalar_values(base.lines[k])
    v, t = rng.choice(values)
    kind = rng.choice(CASTS)
    dst = any_type(rng, 0.05)
    if rng.random() < 0.5:  # the corners: index, and equal widths
        want, kinds, dsts = rng.choice(CAST_CORNERS)
        typed = [(n, x) for n, x in values if want == "any" or x == want or x.startswith(want)]
        if typed:
            v, t = rng.choice(typed)
            kind = rng.choice(kinds)
            dst = rng.choice([t if d == "same" else d for d in dsts])
    src = annotated(rng, t)
    r = Namer(rng).fresh()
    if rng.random() < 0.6:
        op = f"{r} = arith.{kind} {v} : {src} to {dst}"
    else:
        op = f'{r} = "arith.{kind}"({v}) : ({src}) -> {dst}'
    return f"{op}   ({v}: {t})", insert_after(base, k, [op])


def mutate_cmp(base: Base, rng: random.Random) -> tuple[str, str] | None:
    k = pick_anchor(base, rng)
    if k is None:
        return None
    values = scalar_values(base.lines[k])
    (a, ta), (b, tb) = rng.choice(values), rng.choice(values)
    floats = ta.startswith("f") if rng.random() < 0.8 else rng.random() < 0.5
    op_name = "cmpf" if floats else "cmpi"
    preds = FLOAT_PREDICATES if floats else INT_PREDICATES
    t = annotated(rng, ta)
    r = Namer(rng).fresh()
    if rng.random() < 0.6:
        pred = rng.choice(preds) if rng.random() < 0.9 else rng.choice(["foo", "oeq", "slt", "7"])
        op = f"{r} = arith.{op_name} {pred}, {a}, {b} : {t}"
    else:
        n = rng.randrange(len(preds) + 3)
        rt = "i1" if rng.random() < 0.85 else any_type(rng)
        op = f'{r} = "arith.{op_name}"({a}, {b}) <{{predicate = {n} : i64}}> : ({t}, {t}) -> {rt}'
    return f"{op}   ({a}: {ta}, {b}: {tb})", insert_after(base, k, [op])


def mutate_arith(base: Base, rng: random.Random) -> tuple[str, str] | None:
    k = pick_anchor(base, rng)
    if k is None:
        return None
    values = scalar_values(base.lines[k])
    (a, ta), (b, tb), (c, tc) = (rng.choice(values) for _ in range(3))
    r = Namer(rng).fresh()
    t = annotated(rng, ta)
    choice = rng.random()
    if choice < 0.5:
        name = rng.choice(INT_BINARY + FLOAT_BINARY)
        if rng.random() < 0.6:
            flags = ""
            if rng.random() < 0.2:
                flags = rng.choice([" overflow<nsw>", " overflow<nsw, nuw>", " fastmath<fast>",
                                    " fastmath<nnan,ninf>", " overflow<bogus>"])  # fmt: skip
            op = f"{r} = arith.{name} {a}, {b}{flags} : {t}"
        else:
            props = rng.choice(["", " <{overflowFlags = #arith.overflow<none>}>",
                                " <{fastmath = #arith.fastmath<none>}>",
                                " <{overflowFlags = #arith.overflow<nsw>}>"])  # fmt: skip
            rt = t if rng.random() < 0.8 else any_type(rng)
            op = f'{r} = "arith.{name}"({a}, {b}){props} : ({t}, {t}) -> {rt}'
    elif choice < 0.75:
        name = rng.choice(MATH_UNARY)
        op = f"{r} = {name} {a} : {t}"
    else:
        ct = "i1" if rng.random() < 0.8 else any_type(rng)
        if rng.random() < 0.6:
            op = f"{r} = arith.select {c}, {a}, {b} : {t}"
            if ct != "i1":
                op = f"{r} = arith.select {c}, {a}, {b} : {ct}, {t}"
        else:
            op = f'{r} = "arith.select"({c}, {a}, {b}) : ({ct}, {t}, {t}) -> {t}'
    return f"{op}   ({a}: {ta}, {b}: {tb}, {c}: {tc})", insert_after(base, k, [op])


def mutate_const(base: Base, rng: random.Random) -> tuple[str, str] | None:
    k = pick_anchor(base, rng, need_values=0)
    if k is None:
        return None
    t = any_type(rng, 0.15)
    values = FLOAT_VALUES if t.startswith(("f", "bf", "tf")) else int_values(t)
    if rng.random() < 0.15:
        values = int_values(rng.choice(SCALARS)) + FLOAT_VALUES
    v = rng.choice(values)
    r = Namer(rng).fresh()
    if rng.random() < 0.6:
        op = f"{r} = arith.constant {v} : {t}"
        if v in ("true", "false") and rng.random() < 0.5:
            op = f"{r} = arith.constant {v}"
    else:
        rt = t if rng.random() < 0.8 else any_type(rng)
        op = f'{r} = "arith.constant"() <{{value = {v} : {t}}}> : () -> {rt}'
    return op, insert_after(base, k, [op])


def token_change(line: str, rng: random.Random, values: list[tuple[str, str]]) -> tuple[str, str] | None:
    """LINE with one token changed: a type, the op within its family, an
    operand, a predicate; (what, new line)."""
    choices = []
    types = list(SCALAR_RE.finditer(line))
    if types:
        choices.append("type")
    op = OP_RE.match(line)
    if op and any(op[1].split(".")[-1] in fam for fam in FAMILIES):
        choices.append("op")
    operands = [m for m in re.finditer(VALUE_REF, line) if line[: m.start()].count("=") >= 1]
    if operands and values:
        choices.append("operand")
    if re.search(r"arith\.cmp[if] \w+|predicate = \d+", line):
        choices.append("predicate")
    if not choices:
        return None
    what = rng.choice(choices)
    if what == "type":
        m = rng.choice(types)
        new = any_type(rng, 0.15)
        return f"type {m[1]} -> {new}", line[: m.start()] + new + line[m.end() :]
    if what == "op":
        assert op is not None
        old = op[1].split(".")[-1]
        family = next(f for f in FAMILIES if old in f)
        new = rng.choice(family)
        return f"op {old} -> {new}", line.replace(f".{old}", f".{new}", 1)
    if what == "operand":
        m = rng.choice(operands)
        v, t = rng.choice(values)
        return f"operand {m[0]} -> {v} ({t})", line[: m.start()] + v + line[m.end() :]
    m2 = re.search(r"(arith\.cmp[if] )(\w+)|(predicate = )(\d+)", line)
    assert m2 is not None
    if m2[1]:
        new = rng.choice(INT_PREDICATES + FLOAT_PREDICATES + ["bogus"])
        return f"predicate -> {new}", line[: m2.start(2)] + new + line[m2.end(2) :]
    new = str(rng.randrange(20))
    return f"predicate -> {new}", line[: m2.start(4)] + new + line[m2.end(4) :]


def mutate_dup(base: Base, rng: random.Random) -> tuple[str, str] | None:
    k = pick_anchor(base, rng, need_values=0)
    if k is None:
        return None
    line = base.lines[k]
    copy = line.text.strip()
    namer = Namer(rng)
    for name in line.defines:
        copy = re.sub(rf"^{re.escape(name)}(?![\w$.\-])", namer.fresh(), copy)
    if not line.defines and re.match(r"^%", copy):
        return None
    changed = token_change(copy, rng, scalar_values(base.lines[k - 1]) if k else [])
    if changed is None:
        return None
    what, new = changed
    return f"{what}: {new}", insert_after(base, k, [new])


def mutate_inplace(base: Base, rng: random.Random) -> tuple[str, str] | None:
    k = pick_anchor(base, rng, need_values=0)
    if k is None:
        return None
    line = base.lines[k]
    changed = token_change(line.text, rng, scalar_values(base.lines[k - 1]) if k else [])
    if changed is None:
        return None
    what, new = changed
    return f"{what}: {new.strip()}", replace_line(base, k, new)


def mutate_retype(base: Base, rng: random.Random) -> tuple[str, str] | None:
    text = base.text
    if rng.random() < 0.6:
        present = sorted({m[1] for m in SCALAR_RE.finditer(text)})
        if not present:
            return None
        old = rng.choice(present)
        new = any_type(rng, 0.2)
        return f"every {old} -> {new}", SCALAR_RE.sub(lambda m: new if m[1] == old else m[0], text)
    memrefs = sorted({m[0] for m in MEMREF_RE.finditer(text)})
    if not memrefs:
        return None
    old = rng.choice(memrefs)
    inner = old[len("memref<") : -1]
    dims, _, rest = inner.rpartition("x") if "x" in inner else ("", "", inner)
    elem, _, space = rest.partition(",")
    space = f",{space}" if space else ""
    options = [
        f"memref<{dims}{'x' if dims else ''}{rng.choice(SCALARS)}{space}>",
        f"memref<?x{inner}>", f"memref<{inner}, strided<[1]>>", f"memref<0x{inner}>",
        f"memref<{inner}, 3>", f"memref<{inner}, #gpu.address_space<private>>",
        f"memref<1x{inner}>", f"memref<*x{elem}>", f"memref<{dims}{'x' if dims else ''}f16{space}>",
        f"memref<{inner}, affine_map<(d0) -> (d0)>>",
    ]  # fmt: skip
    rank = len(dims.split("x")) if dims else 0
    wrong = ", ".join(f"d{j}" for j in range(rank + 1 if rank < 2 else 1))
    options += [f"memref<{inner}, affine_map<({wrong}) -> ({wrong})>>",
                f"memref<{dims}{'x' if dims else ''}{elem}, 3, affine_map<(d0) -> (d0)>>"] * 2  # fmt: skip
    new = rng.choice(options)
    return f"every {old} -> {new}", text.replace(old, new)


RANK_VALUES = ["0", "3", "2147483648", "9223372036854775807", "9223372036854775808",
               "18446744073709551615", "18446744073709551616", "-1", "-9223372036854775808",
               "-9223372036854775809", "100000000000000000000000000000", "300 : i8", "5 : i8",
               "-1 : i8", "127 : i8", "128 : i8", "255 : i8", "256 : i8", "70000 : i16",
               "5 : i64", "5 : index", "5 : ui8", "5 : si64", "1.5", "2.0 : f32", '"2"', "true",
               "unit", "[1]", "array<i64: 1>", "0x10", "0x10000000000000000"]  # fmt: skip


def mutate_rank(base: Base, rng: random.Random) -> tuple[str, str] | None:
    tasks = [k for k, line in enumerate(base.lines)
             if re.search(r"^\s*\}\) (\{[^{}]*\} )?: \(!avial\.target", line.text)]  # fmt: skip
    if not tasks:
        return None
    k = rng.choice(tasks)
    value = rng.choice(RANK_VALUES)
    entry = "rank" if value == "unit" else f"rank = {value}"
    line = re.sub(r"^(\s*\}\)) (\{[^{}]*\} )?", rf"\1 {{{entry}}} ", base.lines[k].text)
    return entry, replace_line(base, k, line)


def mutate_attr(base: Base, rng: random.Random) -> tuple[str, str] | None:
    candidates = []
    for k, line in enumerate(base.lines):
        t = line.text
        if not line.in_task or (line.op or "").startswith("avial."):
            continue
        if "operandSegmentSizes" in t or "workgroup_attributions" in t or "Flags" in t \
                or "predicate" in t or "fastmath" in t or line.anchor:  # fmt: skip
            candidates.append(k)
    if not candidates:
        return None
    k = rng.choice(candidates)
    t = base.lines[k].text
    seg = re.search(r"array<i32: ([\d, ]+)>", t)
    options = []
    if seg:
        nums = [int(x) for x in seg[1].split(",")]
        j = rng.randrange(len(nums))
        nums[j] = max(0, nums[j] + rng.choice([-1, 1]))
        options.append((f"segments {nums}", t[: seg.start(1)] + ", ".join(map(str, nums)) + t[seg.end(1) :]))
    wg = re.search(r"workgroup_attributions = (\d+)", t)
    if wg:
        options.append(("workgroup_attributions", t[: wg.start(1)] + str(int(wg[1]) + 1) + t[wg.end(1) :]))
    fl = re.search(r"#arith\.overflow<[^>]*>", t)
    if fl:
        new = rng.choice(["#arith.overflow<nsw>", "#arith.overflow<nuw, nsw>", "#arith.overflow<bogus>"])
        options.append((new, t.replace(fl[0], new)))
    fm = re.search(r"#arith\.fastmath<[^>]*>", t)
    if fm:
        new = rng.choice(["#arith.fastmath<fast>", "#arith.fastmath<nnan, contract>", "#arith.fastmath<bogus>"])
        options.append((new, t.replace(fm[0], new)))
    pr = re.search(r"predicate = (\d+) : i64", t)
    if pr:
        new = rng.choice(["17 : i64", "10 : i64", "3 : i32", "-1 : i64", "3"])
        options.append((f"predicate = {new}", t.replace(pr[0], f"predicate = {new}")))
    if base.lines[k].anchor:
        extra = rng.choice(['{foo = 1 : i64}', '{avial.note = "x"}', "{rank = 2}", "{}",
                            '{"quoted name" = unit}'])  # fmt: skip
        m = re.search(r" : (?=[^:]*$)", t)
        if m and '"' in t.split("(")[0]:
            options.append((f"discardable {extra}", t[: m.start()] + f" {extra}" + t[m.start() :]))
    if not options:
        return None
    what, new = rng.choice(options)
    return what, replace_line(base, k, new)


def mutate_nest(base: Base, rng: random.Random) -> tuple[str, str] | None:
    body = [k for k, line in enumerate(base.lines) if line.in_task and not line.text.strip().startswith("^")]
    if len(body) < 3:
        return None
    lines = [line.text for line in base.lines]
    how = rng.choice(["move", "swap", "drop", "redefine", "wrap"])
    k = rng.choice(body)
    if how == "move":
        to = min(max(body[0], k + rng.choice([-6, -3, -2, -1, 2, 3, 6])), body[-1])
        moved = lines.pop(k)
        lines.insert(to, moved)
        return f"move line {k + 1} to {to + 1}: {moved.strip()}", "\n".join(lines) + "\n"
    if how == "swap":
        if k + 1 > body[-1]:
            return None
        lines[k], lines[k + 1] = lines[k + 1], lines[k]
        return f"swap lines {k + 1}, {k + 2}", "\n".join(lines) + "\n"
    if how == "drop":
        dropped = lines.pop(k)
        return f"drop line {k + 1}: {dropped.strip()}", "\n".join(lines) + "\n"
    if how == "redefine":
        defs = [j for j in body if base.lines[j].defines and base.lines[j].anchor]
        if not defs:
            return None
        j = rng.choice(defs)
        return f"line {j + 1} twice", insert_after(base, j, [base.lines[j].text.strip()])
    return wrap_stores(base, rng)


def wrap_stores(base: Base, rng: random.Random) -> tuple[str, str] | None:
    stores = [k for k, line in enumerate(base.lines) if line.anchor and line.op == "memref.store"]
    if not stores:
        return None
    k = rng.choice(stores)
    line = base.lines[k]
    generic = line.text.lstrip().startswith('"')
    values = scalar_values(line)
    bools = [n for n, t in values if t == "i1"]
    indices = [n for n, t in values if t == "index"]
    inner = "  " + line.text.strip()
    how = rng.choice(["execute_region", "if", "for"])
    if how == "if" and bools:
        c = rng.choice(bools)
        if generic:
            new = [f'"scf.if"({c}) ({{', inner, '  "scf.yield"() : () -> ()', "}, {", "}) : (i1) -> ()"]
        else:
            new = [f"scf.if {c} {{", inner, "}"]
    elif how == "for" and indices:
        lb, ub, step = (rng.choice(indices) for _ in range(3))
        iv = Namer(rng).fresh()
        if generic:
            new = [f'"scf.for"({lb}, {ub}, {step}) ({{', f"^bb0({iv}: index):", inner,
                   '  "scf.yield"() : () -> ()', "}) : (index, index, index) -> ()"]  # fmt: skip
        else:
            new = [f"scf.for {iv} = {lb} to {ub} step {step} {{", inner, "}"]
    else:
        if generic:
            new = ['"scf.execute_region"() ({', inner, '  "scf.yield"() : () -> ()', "}) : () -> ()"]
        else:
            new = ["scf.execute_region {", inner, "  scf.yield", "}"]
    return f"wrap line {k + 1} in {how}", replace_line(base, k, [line.indent + x for x in new])


# Locations


def loc_string(rng: random.Random) -> str:
    s = rng.choice(["f.mlir", "dir/a b.mlir", "<stdin>", "ünï.mlir", "", "x\\\"y", "t"])
    if rng.random() < 0.2:
        s = rng.choice(HOSTILE_STRINGS)
    return f'"{s}"'


def loc_tree(rng: random.Random, depth: int) -> str:
    """The body of a location of at most DEPTH nested levels."""
    leaf = rng.choice(["file", "file", "range", "name", "unknown"]) if depth <= 0 else \
        rng.choice(["file", "name", "namechild", "callsite", "fused", "fusedmeta"])  # fmt: skip
    line, col = rng.randrange(1, 5000), rng.randrange(1, 200)
    if leaf == "file":
        return f"{loc_string(rng)}:{line}:{col}"
    if leaf == "range":
        return f"{loc_string(rng)}:{line}:{col} to {rng.choice([f'{line + 2}:{col}', f':{col + 3}'])}"
    if leaf == "name":
        return loc_string(rng)
    if leaf == "unknown":
        return "unknown"
    if leaf == "namechild":
        return f"{loc_string(rng)}({loc_tree(rng, depth - 1)})"
    if leaf == "callsite":
        return f"callsite({loc_tree(rng, depth - 1)} at {loc_tree(rng, depth - 1)})"
    parts = ", ".join(loc_tree(rng, depth - 1) for _ in range(rng.randrange(1, 4)))
    if leaf == "fusedmeta":
        return f'fused<"{rng.choice(["meta", "ü", "x"])}">[{parts}]'
    return f"fused[{parts}]"


# Location bodies MLIR rejects (a word for a number, callsite without 'at', a
# location inside a location, an undefined alias...) and one it reads (no column).
BAD_LOCS = ['"f.mlir":1', '"f.mlir":x:1', 'callsite("a")', '"a" at "b"', 'unknown("x")',
            '"f":1:2 loc("g")', "#nope", 'fused<"m">', '"f":1:2 to', "known"]  # fmt: skip


def loc_depth(rng: random.Random) -> int:
    return rng.choice([0, 0, 1, 1, 2, 2, 3, 3, 4, 5, 6, 8])


def mutate_loc(base: Base, rng: random.Random) -> tuple[str, str] | None:
    lines = [line.text for line in base.lines]
    aliases: list[str] = []
    notes = []
    op_lines = [k for k, line in enumerate(base.lines)
                if line.anchor or (line.in_task and (line.op or "") in TERMINATORS and "{" not in line.text)]  # fmt: skip
    for _ in range(rng.randrange(1, 4)):
        depth = loc_depth(rng)
        body = loc_tree(rng, depth) if rng.random() > 0.08 else rng.choice(BAD_LOCS)
        if rng.random() < 0.2:
            # Aliases may be defined twice (MLIR refuses that).
            alias = f"#loc{rng.randrange(12)}"
            aliases.append(f"{alias} = loc({body})")
            use = f"loc({alias})"
        else:
            use = f"loc({body})"
        where = rng.random()
        labels = [k for k, x in enumerate(lines) if re.match(r"^\s*\^bb\d*\(", x)]
        if where < 0.7 and op_lines:
            k = rng.choice(op_lines)
            if " loc(" in lines[k]:
                continue
            lines[k] = f"{lines[k]} {use}"
            notes.append(f"line {k + 1} depth {depth}")
        elif where < 0.85 and labels:
            k = rng.choice(labels)
            lines[k] = re.sub(r"(%[\w$.\-]+: [^,)]+?)(?=[,)])", lambda m, use=use: f"{m[1]} {use}",
                              lines[k], count=1)  # fmt: skip
            notes.append(f"block arg line {k + 1} depth {depth}")
        else:
            k = next((j for j, x in enumerate(lines) if "func.func" in x), -1)
            if k < 0:
                continue
            lines[k] = re.sub(r"(%[\w$.\-]+: memref<[^>]*>)", lambda m, use=use: f"{m[1]} {use}", lines[k], count=1)
            notes.append(f"func arg depth {depth}")
    if not notes:
        return None
    text = "\n".join(aliases + lines) + "\n"
    return "; ".join(notes), text


# Names

INVALID_NAMES = ["1x", "0a", "a@b", "é", "a b", "", "a#1", "a/b", "a:b", "ü", "a+b", "a%b",
                 "a,b", "-1x"]  # fmt: skip


def mutate_name(base: Base, rng: random.Random) -> tuple[str, str] | None:
    names = sorted({n for line in base.lines if line.in_task for n in line.defines})
    if not names:
        return None
    old = rng.choice(names)
    r = rng.random()
    if r < 0.6:
        new = "%" + rng.choice(name_pool())
    elif r < 0.85:
        new = "%" + rng.choice(INVALID_NAMES)
    else:
        new = rng.choice(names)
    text = re.sub(rf"{re.escape(old)}(?![A-Za-z0-9_$.\-])", lambda _: new, base.text)
    return f"{old} -> {new}", text


MUTATORS: dict[str, Mutator] = {
    "cast": mutate_cast,
    "cmp": mutate_cmp,
    "arith": mutate_arith,
    "const": mutate_const,
    "dup": mutate_dup,
    "inplace": mutate_inplace,
    "retype": mutate_retype,
    "rank": mutate_rank,
    "attr": mutate_attr,
    "nest": mutate_nest,
    "loc": mutate_loc,
    "name": mutate_name,
}


# The kinds in the proportions they are drawn: the new-op mutators (which
# keep the rest valid, so what the tools judge is that op) twice.
WEIGHTED_KINDS = [*sorted(MUTATORS), "cast", "cmp", "arith", "const", "dup"]


def mutants(bases: list[Base], count: int, seed: str, kinds: list[str] | None = None) -> list[Mutant]:
    """COUNT mutants of BASES, the k-th drawn from random.Random(f"{SEED}-{k}")."""
    kinds = kinds or WEIGHTED_KINDS
    out: list[Mutant] = []
    k = 0
    while len(out) < count and k < count * 20:
        rng = random.Random(f"{seed}-{k}")
        k += 1
        base = rng.choice(bases)
        kind = rng.choice(kinds)
        made = MUTATORS[kind](base, rng)
        if made is None or made[1] == base.text:
            continue
        out.append(Mutant(base.name, kind, made[0], made[1]))
    return out


# --------------------------------------------------------------------------
# Bases


def program_of(text: str, name: str) -> Program:
    verdict, program = avial_verdict(text, name)
    if program is None:
        raise ValueError(f"{name}: {verdict.message}")
    return program


def base_forms(name: str, text: str) -> list[Base]:
    """The generic form of the program TEXT, and mlir-opt's custom printing of it."""
    generic = print_generic(program_of(text, name))
    printed = mlir_opt(generic)
    if not printed.verdict.ok:
        raise ValueError(f"mlir-opt rejects the generic form of {name}: {printed.verdict.message}")
    return [Base.of(f"{name}:generic", generic), Base.of(f"{name}:custom", printed.printed)]

