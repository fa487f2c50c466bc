"""The front end: grammar, IR builder and syntax errors (avial2c.parser)."""

from __future__ import annotations

import importlib.util
import math
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lark import Lark
from test_frontend import assert_inside

from avial2c.diagnostics import CompileError
from avial2c.frontend.parse import parse_program, parse_tree
from avial2c.frontend.syntax_errors import EXAMPLES
from avial2c.ir import (
    F32,
    F64,
    I1,
    I8,
    I32,
    INDEX,
    Block,
    Const,
    MemRefType,
    Op,
    Program,
    TargetType,
    TaskType,
    Value,
    walk_ops,
)
from avial2c.resources import GRAMMAR as GRAMMAR_PATH

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_FILES = sorted((ROOT / "examples").glob("*.mlir"))
SEED_SPELLINGS = ["seed.mlir", "seed_typed.mlir", "seed_generic.mlir", "seed_mlir_opt.mlir"]
MLIR_OPT = shutil.which("mlir-opt-22")


def example(name: str) -> str:
    return (ROOT / "examples" / name).read_text()


def parse(text: str) -> Program:
    return parse_program(text, "t.mlir")


def error_of(text: str) -> CompileError:
    with pytest.raises(CompileError) as info:
        parse(text)
    return info.value


def ops_of(block: Block) -> list[Op]:
    return list(walk_ops(block))


def op_names(block: Block) -> list[str]:
    return [op.name for op in walk_ops(block)]


# --------------------------------------------------------------------------
# Small programs used below

SEED_SMALL = """\
avial.schedule %a, %b {
  %cpu = avial.target {arch = "x86_64"}
  %t = avial.task %cpu, %a, %b {
    scf.parallel %i = 0 to 4 {
      %x = memref.load %a[%i]
      memref.store %x, %b[%i]
    }
  }
}
"""

TYPED_SMALL = """\
func.func @main(%a: memref<4xi32>, %b: memref<4xi32>) {
  avial.schedule %a, %b {
    %cpu = avial.target {arch = "x86_64"}
    %t = avial.task %cpu reads(%a) writes(%b) {
      %c0 = arith.constant 0 : index
      %x = memref.load %a[%c0] : memref<4xi32>
      memref.store %x, %b[%c0] : memref<4xi32>
    }
  }
  return
}
"""

# Generic avial ops with pretty upstream ops: what mlir-opt-22 accepts.
KITCHEN = """\
#map = affine_map<(d0) -> (d0)>
!vt = memref<8xf32>
#ws = #gpu.address_space<workgroup>
#loc1 = loc("k.mlir":3:4)
module @m attributes {gpu.container_module, test.foo = [1, 2 : i64, "s", @sym, {a = unit}, array<i32: 1, 2>, dense<[1.0, 2.0]> : tensor<2xf32>, 0x7FC00000 : f32, -3 : i8, #arith.fastmath<fast>]} {
  func.func @main(%a: !vt loc(#loc1), %b: memref<8xf32, #map>, %c: memref<8xi32, strided<[1], offset: 0>>, %d: memref<2x8xf64>) {
    %c0 = arith.constant 0 : index
    "avial.schedule"(%a, %b, %c, %d) ({
      %t = "avial.target"() {arch = "x86_64"} : () -> !avial.target loc(fused["a":1:2, "b":3:4])
      %k = "avial.task"(%t, %a, %b, %c, %d) <{operandSegmentSizes = array<i32: 1, 2, 2>}> ({
        %c1 = arith.constant 1 : index
        %c8 = arith.constant 8 : index
        %zero = arith.constant 0.0 : f32
        %r:2 = scf.for %i = %c0 to %c8 step %c1 iter_args(%x = %zero, %y = %zero) -> (f32, f32) {
          %v = memref.load %a[%i] : !vt
          %s = arith.addf %x, %v fastmath<fast> : f32
          scf.yield %s, %y : f32, f32
        } loc(callsite("f"("x":1:1) at "y":2:2))
        %red = scf.parallel (%i) = (%c0) to (%c8) step (%c1) init (%zero) -> f32 {
          %v = memref.load %b[%i] : memref<8xf32, #map>
          scf.reduce(%v : f32) {
          ^bb0(%l: f32, %rr: f32):
            %q = arith.addf %l, %rr : f32
            scf.reduce.return %q : f32
          }
        }
        %cmp = "arith.cmpi"(%c0, %c1) <{predicate = 9 : i64}> : (index, index) -> i1
        %sel = arith.select %cmp, %r#0, %r#1 : f32
        %fi = arith.fptosi %sel : f32 to i32
        %fi2 = arith.addi %fi, %fi overflow<nsw> : i32
        memref.store %fi2, %c[%c0] : memref<8xi32, strided<[1], offset: 0>>
        %w = scf.while (%z = %c0) : (index) -> index {
          %lt = arith.cmpi ult, %z, %c8 : index
          scf.condition(%lt) %z : index
        } do {
        ^bb0(%z2: index):
          %n = arith.addi %z2, %c1 : index
          scf.yield %n : index
        }
        %e = scf.execute_region -> f64 {
          %dd = memref.load %d[%c1, %w] : memref<2x8xf64>
          scf.yield %dd : f64
        }
        %m = scf.if %cmp -> (f64) {
          scf.yield %e : f64
        } else {
          %sq = math.sqrt %e : f64
          scf.yield %sq : f64
        }
        memref.store %m, %d[%c0, %c0] : memref<2x8xf64>
        %sh = memref.alloca() : memref<8xf32, #ws>
        "avial.yield"() : () -> ()
      }) {rank = 2 : i64, name = "kitchen"} : (!avial.target, !vt, memref<8xf32, #map>, memref<8xi32, strided<[1], offset: 0>>, memref<2x8xf64>) -> !avial.task
      "avial.yield"() : () -> ()
    }) : (!vt, memref<8xf32, #map>, memref<8xi32, strided<[1], offset: 0>>, memref<2x8xf64>) -> ()
    return
  }
}
{-#
  dialect_resources: {
    builtin: {
      blob1: "0x0800000001000000"
    }
  }
#-}
"""

LLVM19_REDUCE = """\
          scf.reduce(%v : f32) {
          ^bb0(%l: f32, %rr: f32):
            %q = arith.addf %l, %rr : f32
            scf.reduce.return %q : f32
          }
"""
LLVM16_REDUCE = """\
          scf.reduce(%v) : f32 {
          ^bb0(%l: f32, %rr: f32):
            %q = arith.addf %l, %rr : f32
            scf.reduce.return %q : f32
          }
          scf.yield
"""


def seed_task(body: str, accesses: str = "%cpu, %a, %b", schedule: str = "%a, %b") -> str:
    return (
        f"avial.schedule {schedule} {{\n"
        '  %cpu = avial.target {arch = "x86_64"}\n'
        f"  %t = avial.task {accesses} {{\n{body}\n  }}\n"
        "}\n"
    )


# --------------------------------------------------------------------------
# A structural summary of a raw program (names and spans left out)


def summary(p: Program, with_types: bool = True) -> list[str]:
    lines = [f"memrefs {len(p.memrefs)}"]
    if with_types:
        lines.append(" ".join(str(m.known_type) for m in p.memrefs))
    index = {m: i for i, m in enumerate(p.memrefs)}
    lines.extend(f"target {t.arch}" for t in p.targets)
    for task in p.tasks:
        reads = [index[m] for m in task.reads]
        writes = [index[m] for m in task.writes]
        lines.append(f"task {task.target.arch} reads {reads} writes {writes} rank {task.rank}")
        lines.extend(block_summary(task.body, with_types, {m: f"m{i}" for m, i in index.items()}))
    return lines


def block_summary(block: Block, with_types: bool, names: dict[Value, str]) -> list[str]:
    out: list[str] = []
    stack: list[tuple[Block, int]] = [(block, 0)]
    while stack:
        b, depth = stack.pop()
        for a in b.args:
            names[a] = f"v{len(names)}"
        out.append("  " * depth + "args " + " ".join(typed(a, with_types, names) for a in b.args))
        for op in b.ops:
            for r in op.results:
                names[r] = f"v{len(names)}"
            operands = ", ".join(operand_text(x, with_types, names) for x in op.operands)
            results = ", ".join(typed(r, with_types, names) for r in op.results)
            out.append(
                "  " * depth + f"{results} = {op.name}({operands}) {op.attrs} [{len(op.regions)}]"
            )
            for region in op.regions:
                out.extend(block_summary(region, with_types, names))
    return out


def typed(v: Value, with_types: bool, names: dict[Value, str]) -> str:
    return f"{names[v]}: {v.known_type}" if with_types else names[v]


def operand_text(x: Value | Const, with_types: bool, names: dict[Value, str]) -> str:
    if isinstance(x, Const):
        return f"{x.value!r}: {x.known_type}" if with_types else repr(x.value)
    return names.get(x, "?" + x.name)


# --------------------------------------------------------------------------
# The grammar


def test_grammar_is_lalr_without_conflicts_or_collisions() -> None:
    # strict=True checks terminal collisions with interegular (a dev dependency).
    assert importlib.util.find_spec("interegular") is not None
    parser = Lark(GRAMMAR_PATH.read_text(), parser="lalr", strict=True, propagate_positions=True)
    assert parser.parse("avial.schedule %a {}").data == "start"


def test_parse_tree_has_positions() -> None:
    tree = parse_tree(SEED_SMALL, "s.mlir")
    op = tree.children[0]
    assert op.data == "operation"
    assert (op.meta.line, op.meta.column) == (1, 1)


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_every_example_parses(path: Path) -> None:
    program = parse_program(path.read_text(), str(path))
    assert program.tasks, "an example without tasks"
    assert program.file == str(path)
    for task in program.tasks:
        assert task.target in program.targets
        assert set(task.reads) | set(task.writes) <= set(program.memrefs)


# --------------------------------------------------------------------------
# The seed in its four spellings


def test_seed_spellings_have_the_same_structure() -> None:
    programs = [parse(example(name)) for name in SEED_SPELLINGS]
    assert [len(p.tasks) for p in programs] == [3, 3, 3, 3]
    for p in programs:
        positions = [
            ([p.memrefs.index(m) for m in t.reads], [p.memrefs.index(m) for m in t.writes])
            for t in p.tasks
        ]
        assert positions == [([0, 1], [2]), ([0, 1], [3]), ([2, 3], [3])]
        assert [t.arch for t in p.targets] == ["x86_64", "sm_90"]
    # The terse launch of the seed reads 'gpu.thread_id x'; the others use
    # the launch's block argument.
    names = [
        [[n for n in op_names(t.body) if n != "gpu.thread_id"] for t in p.tasks] for p in programs
    ]
    assert names[0] == names[1] == names[2] == names[3]
    typed = [summary(p) for p in programs[1:]]
    assert typed[0] == typed[1] == typed[2]


def test_seed_form_raw_ir() -> None:
    p = parse(example("seed.mlir"))
    assert [m.name for m in p.memrefs] == ["a", "b", "c", "d"]
    assert all(m.known_type is None for m in p.memrefs)
    assert [(t.value.name, t.arch, t.value.known_type) for t in p.targets] == [
        ("cpu", "x86_64", TargetType()),
        ("gpu", "sm_90", TargetType()),
    ]
    task1, _, task3 = p.tasks
    assert task1.value.name == "task1" and task1.value.known_type == TaskType()
    assert [m.name for m in task3.reads] == ["c", "d"]  # '%c, %d, %d': reads c and d
    assert [m.name for m in task3.writes] == ["d"]
    par = task1.body.ops[0]
    assert par.name == "scf.parallel"
    bounds = [(c.value, c.known_type) for c in par.operands if isinstance(c, Const)]
    assert bounds == [(0, INDEX), (20, INDEX), (1, INDEX)]
    assert [a.known_type for a in par.regions[0].args] == [INDEX]
    load, _, add, store = par.regions[0].ops
    assert load.operands[0] is p.memrefs[0] and load.result.known_type is None
    assert add.name == "arith.addi" and add.operands == (load.result, par.regions[0].ops[1].result)
    assert store.operands[:2] == (add.result, p.memrefs[2])
    launch = task3.body.ops[0]
    assert (launch.name, launch.operands, launch.attrs) == ("gpu.launch", (), (("terse", True),))
    assert launch.regions[0].args == ()
    tid = launch.regions[0].ops[0]
    assert (tid.name, tid.attrs, tid.result.known_type) == ("gpu.thread_id", (("dimension", "x"),), INDEX)


def test_typed_form_raw_ir() -> None:
    p = parse(example("seed_typed.mlir"))
    assert p.func_name == "main"
    assert all(m.known_type == MemRefType((20,), I32) for m in p.memrefs)
    par = p.tasks[0].body.ops[0]
    assert [(c.value, c.known_type) for c in par.operands if isinstance(c, Const)] == [
        (0, INDEX), (20, INDEX), (1, INDEX),
    ]  # fmt: skip
    add = par.regions[0].ops[2]
    assert add.result.known_type == I32
    launch = p.tasks[2].body.ops[0]
    assert [c.value for c in launch.operands if isinstance(c, Const)] == [1, 1, 1, 20, 1, 1]
    args = launch.regions[0].args
    assert [a.name for a in args] == [
        "bx",
        "by",
        "bz",
        "tx",
        "ty",
        "tz",
        "gx",
        "gy",
        "gz",
        "sx",
        "sy",
        "sz",
    ]
    assert launch.regions[0].ops[0].operands[1] is args[3]  # memref.load %c[%tx]


def test_generic_form_launch_and_segments() -> None:
    p = parse(example("seed_generic.mlir"))
    launch = p.tasks[2].body.ops[0]
    assert [c.value for c in launch.operands if isinstance(c, Const)] == [1, 1, 1, 20, 1, 1]
    assert len(launch.regions[0].args) == 12
    assert launch.regions[0].ops[0].operands[1] is launch.regions[0].args[3]
    assert [m.name for m in p.tasks[2].reads] == ["arg2", "arg3"]
    assert op_names(p.tasks[0].body) == [
        "scf.parallel",
        "memref.load",
        "memref.load",
        "arith.addi",
        "memref.store",
    ]


# --------------------------------------------------------------------------
# Ops, constants, regions


def kitchen_task() -> tuple[Program, list[Op]]:
    p = parse(KITCHEN)
    return p, ops_of(p.tasks[0].body)


def find(ops: list[Op], name: str) -> Op:
    return next(op for op in ops if op.name == name)


def test_kitchen_memref_types_aliases_and_layouts() -> None:
    p, _ = kitchen_task()
    assert [m.known_type for m in p.memrefs] == [
        MemRefType((8,), F32), MemRefType((8,), F32), MemRefType((8,), I32), MemRefType((2, 8), F64),
    ]  # fmt: skip
    task = p.tasks[0]
    assert (task.rank, task.display_name, task.name) == (2, "kitchen", "kitchen")
    assert ([m.name for m in task.reads], [m.name for m in task.writes]) == (["a", "b"], ["c", "d"])


def test_kitchen_ops() -> None:
    _, ops = kitchen_task()
    loop = find(ops, "scf.for")
    assert [r.name for r in loop.results] == ["r_0", "r_1"]
    assert [a.known_type for a in loop.regions[0].args] == [INDEX, F32, F32]
    select = find(ops, "arith.select")
    assert select.operands[1:] == loop.results  # %r#0, %r#1
    par = find(ops, "scf.parallel")
    assert len(par.operands) == 4 and par.results[0].known_type == F32
    red = par.regions[0].ops[-1]
    assert red.name == "scf.reduce" and len(red.regions) == 1
    assert red.regions[0].ops[-1].name == "scf.reduce.return"
    assert find(ops, "arith.cmpi").attrs == (("predicate", "uge"),)  # generic: 9
    assert [op.attr("predicate") for op in ops if op.name == "arith.cmpi"] == ["uge", "ult"]
    assert find(ops, "arith.addi").attrs == ()  # overflow flags dropped
    assert find(ops, "arith.fptosi").result.known_type == I32
    loop_while = find(ops, "scf.while")
    assert len(loop_while.regions) == 2 and loop_while.regions[1].args[0].known_type == INDEX
    assert loop_while.regions[0].ops[-1].name == "scf.condition"
    if_op = find(ops, "scf.if")
    assert len(if_op.regions) == 2 and if_op.results[0].known_type == F64
    assert find(ops, "memref.alloca").result.known_type == MemRefType((8,), F32, "workgroup")
    assert "scf.yield" in [op.name for op in loop.regions[0].ops]
    assert "avial.yield" not in [op.name for op in ops]


def test_llvm16_reduce_becomes_the_llvm19_form() -> None:
    old = parse(KITCHEN.replace(LLVM19_REDUCE, LLVM16_REDUCE))
    new = parse(KITCHEN)
    assert LLVM16_REDUCE.strip() not in KITCHEN
    assert summary(old) == summary(new)


def test_two_reductions_merge_into_one_reduce() -> None:
    body = """
    %z = arith.constant 0 : i32
    %r:2 = scf.parallel (%i) = (%c0) to (%c4) step (%c1) init (%z, %z) -> (i32, i32) {
      %v = memref.load %a[%i] : memref<4xi32>
      scf.reduce(%v) : i32 {
      ^bb0(%l: i32, %r: i32):
        %s = arith.addi %l, %r : i32
        scf.reduce.return %s : i32
      }
      scf.reduce(%v) : i32 {
      ^bb0(%l: i32, %r: i32):
        %m = arith.maxsi %l, %r : i32
        scf.reduce.return %m : i32
      }
      scf.yield
    }
    memref.store %r#1, %b[%c0] : memref<4xi32>"""
    text = TYPED_SMALL.replace(
        "      %x = memref.load %a[%c0] : memref<4xi32>\n      memref.store %x, %b[%c0] : memref<4xi32>",
        "      %c1 = arith.constant 1 : index\n      %c4 = arith.constant 4 : index" + body,
    )
    par = parse(text).tasks[0].body.ops[0]
    red = par.regions[0].ops[-1]
    assert red.name == "scf.reduce" and len(red.operands) == 2 and len(red.regions) == 2
    assert [op.name for op in par.regions[0].ops] == ["memref.load", "scf.reduce"]


@pytest.mark.parametrize(
    ("literal", "value", "type_"),
    [
        ("0 : index", 0, INDEX),
        ("-7 : i32", -7, I32),
        ("255 : i8", -1, I8),
        ("true", 1, I1),
        ("false", 0, I1),
        ("-1 : i1", 1, I1),
        ("1.5 : f32", 1.5, F32),
        ("0x3FC00000 : f32", 1.5, F32),
        ("0x4000000000000000 : f64", 2.0, F64),
        ("0x7FF0000000000000 : f64", math.inf, F64),
        ("2147483648 : i32", -2147483648, I32),
    ],
)
def test_constants_are_folded(literal: str, value: float, type_: object) -> None:
    text = mutate(
        TYPED_SMALL,
        "      %x = memref.load",
        f"      %k = arith.constant {literal}\n      %u = math.absi %k : i32\n      %x = memref.load",
    )
    const = find(ops_of(parse(text).tasks[0].body), "math.absi").operands[0]
    assert isinstance(const, Const)
    assert (const.value, const.known_type) == (value, type_)


def test_nan_constant_decoded_by_bit_pattern() -> None:
    text = TYPED_SMALL.replace(
        "      %x = memref.load",
        "      %n = arith.constant 0x7FC00000 : f32\n      %s = math.sqrt %n : f32\n      %x = memref.load",
    )
    const = find(ops_of(parse(text).tasks[0].body), "math.sqrt").operands[0]
    assert isinstance(const, Const) and const.known_type == F32 and math.isnan(const.value)


def test_seed_literals_are_untyped_except_in_index_positions() -> None:
    p = parse(
        seed_task(
            "    %x = memref.load %a[3]\n    %y = arith.addi %x, 5\n    memref.store %y, %b[3]"
        )
    )
    load, add, store = p.tasks[0].body.ops
    assert (load.operands[1].value, load.operands[1].known_type) == (3, INDEX)
    five = add.operands[1]
    assert isinstance(five, Const) and (five.value, five.known_type) == (5, None)
    assert store.operands[2].known_type == INDEX


def test_seed_for_loop_with_step_and_explicit_accesses() -> None:
    body = "    scf.for %i = 0 to 10 step 2 {\n      %x = memref.load %a[%i]\n      memref.store %x, %b[%i]\n    }"
    p = parse(seed_task(body, accesses="%cpu reads(%a) writes(%b)"))
    loop = p.tasks[0].body.ops[0]
    assert [(c.value, c.known_type) for c in loop.operands if isinstance(c, Const)] == [
        (0, INDEX), (10, INDEX), (2, INDEX),
    ]  # fmt: skip
    assert [a.known_type for a in loop.regions[0].args] == [INDEX]


def test_task_attributes_before_the_body_and_unnamed_tasks() -> None:
    text = (
        "avial.schedule %a {\n"
        '  %cpu = avial.target{arch = "aarch64"}\n'
        '  avial.task %cpu, %a {rank = 3, name = "fill"} {\n  }\n'
        "  avial.task %cpu writes(%a) attributes {rank = 1} {\n  }\n"
        "  avial.task %cpu {\n  }\n"
        "}\n"
    )
    tasks = parse(text).tasks
    assert [(t.rank, t.display_name, t.name) for t in tasks] == [
        (3, "fill", "fill"), (1, None, "task2"), (None, None, "task3"),
    ]  # fmt: skip
    assert [len(t.writes) for t in tasks] == [1, 1, 0]


def test_byte_order_mark_is_ignored() -> None:
    assert summary(parse("\ufeff" + SEED_SMALL)) == summary(parse(SEED_SMALL))


def test_empty_access_lists_and_generic_gpu_ids() -> None:
    body = (
        '    "gpu.launch"(%c1, %c1, %c1, %c1, %c1, %c1) ({\n'
        "    ^bb0(%0: index, %1: index, %2: index, %3: index, %4: index, %5: index,"
        " %6: index, %7: index, %8: index, %9: index, %10: index, %11: index):\n"
        '      %y = "gpu.block_dim"() <{dimension = #gpu<dim y>}> : () -> index\n'
        '      "gpu.terminator"() : () -> ()\n'
        "    }) : (index, index, index, index, index, index) -> ()"
    )
    text = seed_task(
        "    %c1 = arith.constant 1 : index\n" + body, accesses="%cpu reads() writes()"
    )
    task = parse(text).tasks[0]
    assert (task.reads, task.writes) == ((), ())
    launch = task.body.ops[0]
    assert len(launch.operands) == 6 and len(launch.regions[0].args) == 12
    assert [op.attrs for op in launch.regions[0].ops] == [(("dimension", "y"),)]


def test_schedule_types_and_alloc_give_memref_types() -> None:
    listed = parse("avial.schedule %a, %b : memref<4xi32>, memref<2x3xf64> {\n}\n")
    assert [m.known_type for m in listed.memrefs] == [MemRefType((4,), I32), MemRefType((2, 3), F64)]
    alloc = parse(
        "func.func @f() {\n  %m = memref.alloc() : memref<5xf32>\n  avial.schedule %m {\n  }\n"
        "  memref.dealloc %m : memref<5xf32>\n  return\n}\n"
    )
    assert alloc.memrefs[0].known_type == MemRefType((5,), F32)


def test_values_of_sibling_regions_may_share_names() -> None:
    body = (
        "    scf.parallel %i = 0 to 4 {\n      %x = memref.load %a[%i]\n      memref.store %x, %b[%i]\n    }\n"
        "    scf.parallel %i = 0 to 4 {\n      %x = memref.load %b[%i]\n      memref.store %x, %b[%i]\n    }"
    )
    first, second = parse(seed_task(body)).tasks[0].body.ops
    assert first.regions[0].args[0] is not second.regions[0].args[0]
    assert second.regions[0].ops[0].operands[1] is second.regions[0].args[0]


def test_spans_point_at_the_source() -> None:
    p = parse_program(SEED_SMALL, "s.mlir")
    task = p.tasks[0]
    assert (task.span.file, task.span.line, task.span.col) == ("s.mlir", 3, 8)
    assert (task.value.span.line, task.value.span.col) == (3, 3)
    load = task.body.ops[0].regions[0].ops[0]
    assert (load.span.line, load.span.col, load.span.end_line) == (5, 12, 5)
    assert (p.memrefs[1].span.line, p.memrefs[1].span.col) == (1, 20)
    assert (p.targets[0].span.line, p.targets[0].span.col) == (2, 10)


# --------------------------------------------------------------------------
# What mlir-opt-22 prints is accepted


MLIR_OPT_FLAGS = [
    [],
    ["--mlir-print-op-generic"],
    ["--mlir-print-debuginfo"],
    ["--mlir-print-op-generic", "--mlir-print-debuginfo"],
    ["--mlir-print-debuginfo", "--mlir-print-local-scope"],
]


def mlir_opt(text: str, flags: list[str], tmp_path: Path) -> str:
    assert MLIR_OPT is not None
    src = tmp_path / "in.mlir"
    src.write_text(text)
    done = subprocess.run(
        [MLIR_OPT, "--allow-unregistered-dialect", *flags, str(src)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.skipif(MLIR_OPT is None, reason="mlir-opt-22 not installed")
@pytest.mark.parametrize("flags", MLIR_OPT_FLAGS, ids=lambda f: " ".join(f) or "pretty")
@pytest.mark.parametrize("name", ["seed_mlir_opt.mlir", "seed_generic.mlir", "kitchen"])
def test_mlir_opt_output_parses(name: str, flags: list[str], tmp_path: Path) -> None:
    text = KITCHEN if name == "kitchen" else example(name)
    printed = mlir_opt(text, flags, tmp_path)
    assert summary(parse(printed)) == summary(parse(text))


# --------------------------------------------------------------------------
# Syntax errors


def mutate(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


SYNTAX_ERRORS = [
    # (mutated text, message, line, col)
    (
        SEED_SMALL[: SEED_SMALL.rindex("}")],
        "unexpected end of file: expected '}' to close the region opened at 1:23",
        8, 4,
    ),
    (
        mutate(SEED_SMALL, '{arch = "x86_64"}', '{arch "x86_64"}'),
        "expected '=' after the attribute name 'arch', e.g. {arch = \"x86_64\"}; found '\"x86_64\"'",
        2, 29,
    ),
    (
        mutate(SEED_SMALL, "0 to 4", "0 4"),
        "expected 'to' between the lower and the upper bound, e.g. 'scf.parallel %i = 0 to 20'; found '4'",
        4, 25,
    ),
    (
        mutate(SEED_SMALL, "memref.load %a[%i]", "memref.load a[%i]"),
        "expected a value such as '%a', found 'a': values are written with a leading '%'",
        5, 24,
    ),
    (
        mutate(TYPED_SMALL, "%a: memref<4xi32>", "%a: memref<4>"),
        "expected an element type after the shape, e.g. 'memref<4xi32>'; found '4'",
        1, 28,
    ),
    (
        mutate(SEED_SMALL, '"x86_64"', '"x86_64'),
        "unterminated string: the closing '\"' is missing on this line",
        2, 31,
    ),
    (
        mutate(TYPED_SMALL, "reads(%a)", "reads(%a, )"),
        "unexpected ')' after ',': remove the trailing ',' or add the missing item",
        4, 36,
    ),
    (
        mutate(SEED_SMALL, "%a[%i]", "%a[%i, ]"),
        "unexpected ']' after ',': remove the trailing ',' or add the missing item",
        5, 31,
    ),
    (
        mutate(SEED_SMALL, '= "x86_64"}', '= "x86_64"'),
        "expected ',' or '}', found '%t'",
        3, 3,
    ),
    (
        mutate(SEED_SMALL, "memref.load %a[%i]", "linalg.load %a[%i]"),
        "unsupported operation 'linalg.load'",
        5, 12,
    ),
    (
        mutate(SEED_SMALL, "scf.parallel", "affine.parallel"),
        "unsupported operation 'affine.parallel'",
        4, 5,
    ),
    (
        mutate(SEED_SMALL, "scf.parallel", "scf.parallelx"),
        "unsupported operation 'scf.parallelx'",
        4, 5,
    ),
    (
        mutate(SEED_SMALL, "avial.task %cpu, %a, %b {\n", "avial.task %cpu, %a, %b {\n    foo.bar %a\n"),
        "unsupported operation 'foo.bar'",
        4, 5,
    ),
    (
        mutate(TYPED_SMALL, "%a: memref<4xi32>,", "%a: memref<4xi32>\n  %b"),
        "expected ')', ',', '{' or a location 'loc(...)', found '%b'",
        2, 3,
    ),
    (
        "avial.schedule %a {\n  %t = avial.target {arch = \"x\"}\n",
        "unexpected end of file: expected '}' to close the region opened at 1:19",
        2, 33,
    ),
    (
        '%t = avial.target {arch = "x"',
        "unexpected end of file: expected '}' to close the attribute dictionary opened at 1:19",
        1, 30,
    ),
    ("\x00", "expected an operation, found character U+0000", 1, 1),
    (
        "module attributes {gpu.container_module foo} {\n}\n",
        "expected '=' after the attribute name 'gpu.container_module', e.g. {arch = \"x86_64\"}; found 'foo'",
        1, 41,
    ),
    (
        mutate(SEED_SMALL, "memref.store %x, %b[%i]", "memref.store foo.x, %b[%i]"),
        "expected a value such as '%foo.x', found 'foo.x': values are written with a leading '%'",
        6, 20,
    ),
    (
        mutate(SEED_SMALL, "%x = memref.load %a[%i]", "%x = arith.addix %a, %i"),
        "unsupported operation 'arith.addix'",
        5, 12,
    ),
]  # fmt: skip


@pytest.mark.parametrize(("text", "message", "line", "col"), SYNTAX_ERRORS)
def test_syntax_error_messages(text: str, message: str, line: int, col: int) -> None:
    err = error_of(text)
    d = err.diagnostic
    assert (d.message, d.span.line, d.span.col) == (message, line, col)


LABEL_PREFIXES = {
    "unclosed": "unexpected end of file: expected '}'",
    "missing_equal": "expected '=' after the attribute name",
    "missing_to": "expected 'to' between",
    "missing_percent": "expected a value such as",
    "missing_element_type": "expected an element type",
    "unterminated_string": "unterminated string",
    "trailing_comma": "after ','",
}


@pytest.mark.parametrize(
    ("label", "text"), [(label, text) for label, texts in EXAMPLES.items() for text in texts]
)
def test_error_examples_give_their_own_message(label: str, text: str) -> None:
    message = error_of(text).diagnostic.message
    assert LABEL_PREFIXES[label] in message


# --------------------------------------------------------------------------
# Errors found while building the IR


BUILD_ERRORS = [
    (seed_task("    %y = arith.addi %x, %x"), "use of undefined value '%x'", 4, 21),
    (
        seed_task("    %x = memref.load %a[0]\n    %x = memref.load %b[0]"),
        "redefinition of value '%x'", 5, 5,
    ),
    (
        SEED_SMALL + SEED_SMALL,
        "more than one 'avial.schedule' in the file; avial2c translates one schedule per file", 10, 1,
    ),
    (
        "func.func @f() {\n  return\n}\n",
        "no 'avial.schedule' in the file; avial2c translates one schedule per file", 1, 1,
    ),
    (
        mutate(SEED_SMALL, "avial.task %cpu, %a, %b", "avial.task %a, %b"),
        "first operand of 'avial.task' must be an '!avial.target' value, but '%a' is a memref", 3, 19,
    ),
    (
        mutate(SEED_SMALL, '{arch = "x86_64"}', '{cores = 4}'),
        "'avial.target' needs an 'arch' attribute, e.g. {arch = \"x86_64\"}", 2, 10,
    ),
    (
        mutate(TYPED_SMALL, "reads(%a)", "reads(%a, %cpu)"),
        "'%cpu' in the reads of 'avial.task' is not a memref of the schedule", 4, 36,
    ),
    (
        mutate(TYPED_SMALL, "writes(%b)", "writes(%c0)"),
        "use of undefined value '%c0'", 4, 43,
    ),
    (
        mutate(SEED_SMALL, "%x = memref.load %a[%i]", "%x = linalg.matmul %a, %i"),
        "unsupported operation 'linalg.matmul'", 5, 12,
    ),
    (
        mutate(TYPED_SMALL, "%x = memref.load %a[%c0] : memref<4xi32>", '%x = "linalg.foo"(%a) : (memref<4xi32>) -> i32'),
        "unsupported operation 'linalg.foo'", 6, 12,
    ),
    (
        mutate(TYPED_SMALL, "%a: memref<4xi32>", "%a: memref<?xi32>"),
        "unsupported type 'memref<?xi32>': dynamic shapes are not supported", 1, 21,
    ),
    (
        mutate(TYPED_SMALL, "%a: memref<4xi32>", "%a: memref<4xf16>"),
        "unsupported type 'memref<4xf16>': element type 'f16' is not supported "
        "(use one of i1, i8, i16, i32, i64, index, f32, f64)", 1, 21,
    ),
    (
        mutate(TYPED_SMALL, "%a: memref<4xi32>", "%a: memref<1x1x1x1x4xi32>"),
        "unsupported type 'memref<1x1x1x1x4xi32>': rank 5 exceeds the maximum of 4", 1, 21,
    ),
    (
        mutate(TYPED_SMALL, "%a: memref<4xi32>", "%a: memref<4xi32, strided<[2]>>"),
        "unsupported type 'memref<4xi32, strided<[2]>>': only the identity (row-major) layout is supported",
        1, 21,
    ),
    (
        mutate(TYPED_SMALL, "%a: memref<4xi32>", "%a: tensor<4xi32>"),
        "unsupported type 'tensor<4xi32>': tensor types are not supported, only memrefs", 1, 21,
    ),
    (
        mutate(TYPED_SMALL, "%c0 = arith.constant 0 : index", "%c0 = arith.constant 0.0 : bf16"),
        "unsupported type 'bf16': supported element types are i1, i8, i16, i32, i64, index, f32, f64",
        5, 34,
    ),
    (
        mutate(SEED_SMALL, "memref.store %x, %b[%i]", "%y = arith.mulf %x, 2E-1"),
        "float literal '2E-1' needs a '.': write 2.0e-1", 6, 27,
    ),
    (
        mutate(TYPED_SMALL, "%c0 = arith.constant 0 : index", "%c0 = arith.constant false : index"),
        "'false' is an i1 constant and takes no type: write 'arith.constant false', or "
        "'arith.constant 0 : index'",
        5, 28,
    ),
    (
        mutate(TYPED_SMALL, "@main", "@main-2"),
        "'@main-2' is not a valid symbol name: after '@' comes a name made of letters, "
        "digits, '_', '$' and '.' that starts with a letter or '_', or a string",
        1, 11,
    ),
    (
        mutate(SEED_SMALL, "%x = memref.load %a[%i]", "%x = memref.load %a[%0i]"),
        "'%0i' is not a valid value name: after '%' comes a number ('%1') or a name that "
        "does not start with a digit ('%x1')",
        5, 27,
    ),
    (
        mutate(SEED_SMALL, "%x = memref.load %a[%i]", "%x = arith.cmpi foo, %i, %i"),
        "unknown predicate 'foo' for 'arith.cmpi'; expected one of eq, ne, slt, sle, sgt, sge, ult, ule, ugt, uge",
        5, 23,
    ),
    (
        mutate(SEED_SMALL, "%x = memref.load %a[%i]", "%x = gpu.thread_id w"),
        "expected dimension 'x', 'y' or 'z' for 'gpu.thread_id', found 'w'", 5, 26,
    ),
    (
        mutate(SEED_SMALL, "avial.task %cpu, %a, %b {", 'avial.task %cpu, %a, %b {ranks = 1} {'),
        "unknown attribute 'ranks' on 'avial.task'; expected 'rank', 'name' or 'split'", 3, 33,
    ),
    (
        mutate(SEED_SMALL, "%x = memref.load %a[%i]", "%t2 = avial.task %cpu, %a {\n}"),
        "'avial.task' is only allowed directly inside 'avial.schedule'", 5, 13,
    ),
    (
        "avial.schedule %a, %a {\n}\n",
        "'%a' appears more than once in 'avial.schedule'", 1, 20,
    ),
]  # fmt: skip


@pytest.mark.parametrize(("text", "message", "line", "col"), BUILD_ERRORS)
def test_build_error_messages(text: str, message: str, line: int, col: int) -> None:
    d = error_of(text).diagnostic
    assert (d.message, d.span.line, d.span.col) == (message, line, col)


# --------------------------------------------------------------------------
# Any input gives a result or a CompileError, never another exception


def only_compile_errors(text: str) -> None:
    try:
        parse(text)
    except CompileError as e:
        assert e.diagnostic.message
        assert_inside(e.diagnostic.span, text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\x00\xff\x01\x02",
        "{" * 10_000,
        "}" * 100,
        "avial.schedule %a {\n" + "scf.execute_region {\n" * 10_000,
        "%t = avial.target {arch = " + "[" * 5_000 + "]" * 5_000 + "}",
        "module {" * 3_000 + "}" * 3_000,
        '"' * 1000,
        "loc(" * 1000,
    ],
    ids=[
        "empty",
        "binary",
        "open-braces",
        "close-braces",
        "deep-open",
        "deep-attr",
        "deep-modules",
        "quotes",
        "locs",
    ],
)
def test_garbage_gives_compile_errors(text: str) -> None:
    with pytest.raises(CompileError):
        parse(text)


def test_deeply_nested_regions_are_refused() -> None:
    body = "    scf.execute_region {\n" * 500 + "    }\n" * 500
    err = error_of(seed_task(body))
    assert err.diagnostic.message.startswith("nesting too deep")


@pytest.mark.parametrize("name", ["seed.mlir", "seed_typed.mlir", "seed_generic.mlir"])
def test_truncated_examples_give_compile_errors(name: str) -> None:
    text = example(name)
    for cut in range(0, len(text), max(1, len(text) // 40)):
        only_compile_errors(text[:cut])


TOKENS = [
    "avial.schedule", "avial.task", "avial.target", "scf.parallel", "scf.for", "gpu.launch",
    "memref.load", "memref.store", "arith.addi", "arith.constant", "%a", "%b", "%i", "=", "to",
    "{", "}", "(", ")", "[", "]", ",", ":", "->", "0", "20", "i32", "memref<4xi32>", '"x"',
    "arch", "reads", "writes", "^bb0", "loc(#l)", "\n", " ", "<{", "}>", "#x", "!t",
]  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=40))
def test_random_token_soup_gives_compile_errors(tokens: list[str]) -> None:
    only_compile_errors(" ".join(tokens))


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=60))
def test_random_text_gives_compile_errors(text: str) -> None:
    only_compile_errors(text)


def test_large_schedule_parses_quickly() -> None:
    task = """
  %t{k} = avial.task %cpu reads(%a) writes(%b) {{
    scf.parallel %i = 0 to 20 {{
      %x = memref.load %a[%i]
      memref.store %x, %b[%i]
    }}
  }}"""
    text = (
        'avial.schedule %a, %b {\n  %cpu = avial.target {arch = "x86_64"}'
        + "".join(task.format(k=k) for k in range(1000))
        + "\n}\n"
    )
    start = time.perf_counter()
    program = parse(text)
    assert len(program.tasks) == 1000
    assert time.perf_counter() - start < 20
