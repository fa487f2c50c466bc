"""Time loops in the schedule: the front end reads them in every spelling.

The schedule region may hold ``scf.for`` around tasks (LANGUAGE.md, "Time
loops in the schedule").  The same program written four ways (terse literals,
typed constants, the generic form, and mlir-opt's output, which mixes generic
avial ops with pretty ``scf.for``) must give one program; the bad loops each
get their own diagnostic (tests/errors/loop_*.mlir).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_frontend import front_end_never_raises

from avial2c.check.checker import check_program
from avial2c.diagnostics import DiagnosticEngine
from avial2c.driver import main
from avial2c.frontend.parse import parse_program
from avial2c.ir import INDEX, Loop, Program, Task, Value, schedule_ivs, walk_ops
from avial2c.printer.canonical import canonical

ERRORS = Path(__file__).resolve().parents[1] / "errors"

TERSE = """\
avial.schedule %u, %v {
  %cpu = avial.target {arch = "x86_64"}
  scf.for %t = 0 to 10 {
    %a = avial.task %cpu, %u, %v {
      scf.parallel %i = 0 to 8 {
        %x = memref.load %u[%i]
        %ti = arith.index_cast %t : index to i32
        %y = arith.addi %x, %ti
        memref.store %y, %v[%i]
      }
    }
    scf.for %s = 0 to 4 step 2 {
      %b = avial.task %cpu, %v, %u {
        scf.parallel %i = 0 to 8 {
          %x = memref.load %v[%i]
          %si = arith.index_cast %s : index to i32
          %ti = arith.index_cast %t : index to i32
          %y = arith.addi %si, %ti
          %z = arith.addi %x, %y
          memref.store %z, %u[%i]
        }
      }
    }
  }
  %c = avial.task %cpu, %u, %v {
    scf.parallel %i = 0 to 8 {
      %x = memref.load %u[%i]
      memref.store %x, %v[%i]
    }
  }
}
"""

# Bounds from a constant before the schedule, from the schedule region and
# from the body of the outer loop; the inner loop ends with an explicit
# scf.yield.
TYPED = """\
func.func @main(%u: memref<8xi32>, %v: memref<8xi32>) {
  %c10 = arith.constant 10 : index
  avial.schedule %u, %v : memref<8xi32>, memref<8xi32> {
    %cpu = avial.target {arch = "x86_64"}
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    scf.for %t = %c0 to %c10 step %c1 {
      %a = avial.task %cpu reads(%u) writes(%v) {
        %c0_0 = arith.constant 0 : index
        %c1_0 = arith.constant 1 : index
        %c8 = arith.constant 8 : index
        scf.parallel (%i) = (%c0_0) to (%c8) step (%c1_0) {
          %x = memref.load %u[%i] : memref<8xi32>
          %ti = arith.index_cast %t : index to i32
          %y = arith.addi %x, %ti : i32
          memref.store %y, %v[%i] : memref<8xi32>
        }
        avial.yield
      }
      %c2 = arith.constant 2 : index
      %c4 = arith.constant 4 : index
      scf.for %s = %c0 to %c4 step %c2 {
        %b = avial.task %cpu reads(%v) writes(%u) {
          %c0_0 = arith.constant 0 : index
          %c1_0 = arith.constant 1 : index
          %c8 = arith.constant 8 : index
          scf.parallel (%i) = (%c0_0) to (%c8) step (%c1_0) {
            %x = memref.load %v[%i] : memref<8xi32>
            %si = arith.index_cast %s : index to i32
            %ti = arith.index_cast %t : index to i32
            %y = arith.addi %si, %ti : i32
            %z = arith.addi %x, %y : i32
            memref.store %z, %u[%i] : memref<8xi32>
          }
          avial.yield
        }
        scf.yield
      }
    }
    %c = avial.task %cpu reads(%u) writes(%v) {
      %c0_0 = arith.constant 0 : index
      %c1_0 = arith.constant 1 : index
      %c8 = arith.constant 8 : index
      scf.parallel (%i) = (%c0_0) to (%c8) step (%c1_0) {
        %x = memref.load %u[%i] : memref<8xi32>
        memref.store %x, %v[%i] : memref<8xi32>
      }
      avial.yield
    }
  }
  return
}
"""

# What avial2c --emit generic and mlir-opt --mlir-print-op-generic print
# (the blank line at the end included).
GENERIC = """\
"builtin.module"() ({
  "func.func"() <{function_type = (memref<8xi32>, memref<8xi32>) -> (), sym_name = "main"}> ({
  ^bb0(%arg0: memref<8xi32>, %arg1: memref<8xi32>):
    "avial.schedule"(%arg0, %arg1) ({
      %0 = "avial.target"() {arch = "x86_64"} : () -> !avial.target
      %1 = "arith.constant"() <{value = 0 : index}> : () -> index
      %2 = "arith.constant"() <{value = 1 : index}> : () -> index
      %3 = "arith.constant"() <{value = 2 : index}> : () -> index
      %4 = "arith.constant"() <{value = 4 : index}> : () -> index
      %5 = "arith.constant"() <{value = 10 : index}> : () -> index
      "scf.for"(%1, %5, %2) ({
      ^bb0(%arg3: index):
        %11 = "avial.task"(%0, %arg0, %arg1) <{operandSegmentSizes = array<i32: 1, 1, 1>}> ({
          %21 = "arith.constant"() <{value = 0 : index}> : () -> index
          %22 = "arith.constant"() <{value = 1 : index}> : () -> index
          %23 = "arith.constant"() <{value = 8 : index}> : () -> index
          "scf.parallel"(%21, %23, %22) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> ({
          ^bb0(%arg6: index):
            %24 = "memref.load"(%arg0, %arg6) : (memref<8xi32>, index) -> i32
            %25 = "arith.index_cast"(%arg3) : (index) -> i32
            %26 = "arith.addi"(%24, %25) <{overflowFlags = #arith.overflow<none>}> : (i32, i32) -> i32
            "memref.store"(%26, %arg1, %arg6) : (i32, memref<8xi32>, index) -> ()
            "scf.reduce"() : () -> ()
          }) : (index, index, index) -> ()
          "avial.yield"() : () -> ()
        }) : (!avial.target, memref<8xi32>, memref<8xi32>) -> !avial.task
        "scf.for"(%1, %4, %3) ({
        ^bb0(%arg4: index):
          %12 = "avial.task"(%0, %arg1, %arg0) <{operandSegmentSizes = array<i32: 1, 1, 1>}> ({
            %13 = "arith.constant"() <{value = 0 : index}> : () -> index
            %14 = "arith.constant"() <{value = 1 : index}> : () -> index
            %15 = "arith.constant"() <{value = 8 : index}> : () -> index
            "scf.parallel"(%13, %15, %14) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> ({
            ^bb0(%arg5: index):
              %16 = "memref.load"(%arg1, %arg5) : (memref<8xi32>, index) -> i32
              %17 = "arith.index_cast"(%arg4) : (index) -> i32
              %18 = "arith.index_cast"(%arg3) : (index) -> i32
              %19 = "arith.addi"(%17, %18) <{overflowFlags = #arith.overflow<none>}> : (i32, i32) -> i32
              %20 = "arith.addi"(%16, %19) <{overflowFlags = #arith.overflow<none>}> : (i32, i32) -> i32
              "memref.store"(%20, %arg0, %arg5) : (i32, memref<8xi32>, index) -> ()
              "scf.reduce"() : () -> ()
            }) : (index, index, index) -> ()
            "avial.yield"() : () -> ()
          }) : (!avial.target, memref<8xi32>, memref<8xi32>) -> !avial.task
          "scf.yield"() : () -> ()
        }) : (index, index, index) -> ()
        "scf.yield"() : () -> ()
      }) : (index, index, index) -> ()
      %6 = "avial.task"(%0, %arg0, %arg1) <{operandSegmentSizes = array<i32: 1, 1, 1>}> ({
        %7 = "arith.constant"() <{value = 0 : index}> : () -> index
        %8 = "arith.constant"() <{value = 1 : index}> : () -> index
        %9 = "arith.constant"() <{value = 8 : index}> : () -> index
        "scf.parallel"(%7, %9, %8) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> ({
        ^bb0(%arg2: index):
          %10 = "memref.load"(%arg0, %arg2) : (memref<8xi32>, index) -> i32
          "memref.store"(%10, %arg1, %arg2) : (i32, memref<8xi32>, index) -> ()
          "scf.reduce"() : () -> ()
        }) : (index, index, index) -> ()
        "avial.yield"() : () -> ()
      }) : (!avial.target, memref<8xi32>, memref<8xi32>) -> !avial.task
      "avial.yield"() : () -> ()
    }) : (memref<8xi32>, memref<8xi32>) -> ()
    "func.return"() : () -> ()
  }) : () -> ()
}) : () -> ()

"""

# What mlir-opt --allow-unregistered-dialect prints of GENERIC (trailing
# blanks dropped): generic avial ops, pretty scf.for.
MLIR_OPT = """\
module {
  func.func @main(%arg0: memref<8xi32>, %arg1: memref<8xi32>) {
    "avial.schedule"(%arg0, %arg1) ({
      %0 = "avial.target"() {arch = "x86_64"} : () -> !avial.target
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %c4 = arith.constant 4 : index
      %c10 = arith.constant 10 : index
      scf.for %arg2 = %c0 to %c10 step %c1 {
        %2 = "avial.task"(%0, %arg0, %arg1) <{operandSegmentSizes = array<i32: 1, 1, 1>}> ({
          %c0_0 = arith.constant 0 : index
          %c1_1 = arith.constant 1 : index
          %c8 = arith.constant 8 : index
          scf.parallel (%arg3) = (%c0_0) to (%c8) step (%c1_1) {
            %3 = memref.load %arg0[%arg3] : memref<8xi32>
            %4 = arith.index_cast %arg2 : index to i32
            %5 = arith.addi %3, %4 : i32
            memref.store %5, %arg1[%arg3] : memref<8xi32>
            scf.reduce
          }
          "avial.yield"() : () -> ()
        }) : (!avial.target, memref<8xi32>, memref<8xi32>) -> !avial.task
        scf.for %arg3 = %c0 to %c4 step %c2 {
          %3 = "avial.task"(%0, %arg1, %arg0) <{operandSegmentSizes = array<i32: 1, 1, 1>}> ({
            %c0_0 = arith.constant 0 : index
            %c1_1 = arith.constant 1 : index
            %c8 = arith.constant 8 : index
            scf.parallel (%arg4) = (%c0_0) to (%c8) step (%c1_1) {
              %4 = memref.load %arg1[%arg4] : memref<8xi32>
              %5 = arith.index_cast %arg3 : index to i32
              %6 = arith.index_cast %arg2 : index to i32
              %7 = arith.addi %5, %6 : i32
              %8 = arith.addi %4, %7 : i32
              memref.store %8, %arg0[%arg4] : memref<8xi32>
              scf.reduce
            }
            "avial.yield"() : () -> ()
          }) : (!avial.target, memref<8xi32>, memref<8xi32>) -> !avial.task
        }
      }
      %1 = "avial.task"(%0, %arg0, %arg1) <{operandSegmentSizes = array<i32: 1, 1, 1>}> ({
        %c0_0 = arith.constant 0 : index
        %c1_1 = arith.constant 1 : index
        %c8 = arith.constant 8 : index
        scf.parallel (%arg2) = (%c0_0) to (%c8) step (%c1_1) {
          %2 = memref.load %arg0[%arg2] : memref<8xi32>
          memref.store %2, %arg1[%arg2] : memref<8xi32>
          scf.reduce
        }
        "avial.yield"() : () -> ()
      }) : (!avial.target, memref<8xi32>, memref<8xi32>) -> !avial.task
      "avial.yield"() : () -> ()
    }) : (memref<8xi32>, memref<8xi32>) -> ()
    return
  }
}

"""

SPELLINGS = {"terse": TERSE, "typed": TYPED, "generic": GENERIC, "mlir-opt": MLIR_OPT}


def checked(text: str, name: str = "loops.mlir") -> Program:
    engine = DiagnosticEngine(source=text)
    program = check_program(parse_program(text, name), engine)
    assert not engine.has_errors, engine.render()
    return program


def test_four_spellings_give_one_program() -> None:
    texts = {name: canonical(checked(text)) for name, text in SPELLINGS.items()}
    assert len(set(texts.values())) == 1, texts
    assert "for %v" in texts["terse"]


@pytest.mark.parametrize("name", list(SPELLINGS))
def test_loops_hold_their_tasks_in_program_order(name: str) -> None:
    program = checked(SPELLINGS[name])
    assert program.has_loops
    assert [str(m.type) for m in program.memrefs] == ["memref<8xi32>"] * 2
    outer, last = program.items
    assert isinstance(outer, Loop) and isinstance(last, Task)
    assert (outer.lb, outer.ub, outer.step, outer.trips) == (0, 10, 1, 10)
    first, inner = outer.body
    assert isinstance(first, Task) and isinstance(inner, Loop)
    assert (inner.lb, inner.ub, inner.step, inner.trips) == (0, 4, 2, 2)
    (middle,) = inner.body
    assert isinstance(middle, Task)
    assert program.tasks == (first, middle, last)
    assert tuple(outer.tasks()) == (first, middle)
    assert list(schedule_ivs(program.items)) == [outer.iv, inner.iv]
    assert outer.iv.type == INDEX and inner.iv.type == INDEX


def index_casts(task: Task) -> list[Value]:
    """The values that TASK's body casts from index to i32."""
    return [
        x for op in walk_ops(task.body) if op.name == "arith.index_cast"
        for x in op.operands if isinstance(x, Value)
    ]  # fmt: skip


@pytest.mark.parametrize("name", list(SPELLINGS))
def test_task_bodies_use_the_induction_variables(name: str) -> None:
    program = checked(SPELLINGS[name])
    outer = program.items[0]
    assert isinstance(outer, Loop)
    inner = outer.body[1]
    assert isinstance(inner, Loop)
    first, middle, last = program.tasks
    assert index_casts(first) == [outer.iv]
    assert index_casts(middle) == [inner.iv, outer.iv]
    assert index_casts(last) == []


def test_a_program_without_loops_has_no_loop_items() -> None:
    head, _ = TERSE.split("  scf.for %t")
    _, tail = TERSE.split("  %c = avial.task")
    head = head.replace("%u, %v {", "%u, %v : memref<8xi32>, memref<8xi32> {")
    program = checked(f"{head}  %c = avial.task{tail}")
    assert not program.has_loops and program.loops_body == ()
    assert program.items == program.tasks


EDGE_LOOPS = """\
avial.schedule %u : memref<8xi32> {
  %cpu = avial.target {arch = "x86_64"}
  scf.for %t = -4 to 4 step 3 {
    %a = avial.task %cpu, %u {
      %x = arith.index_cast %t : index to i32
      memref.store %x, %u[0]
    }
  }
  scf.for %e = 5 to 5 {
  }
  scf.for %b = 9 to 2 {
    scf.for %c = 0 to 9223372036854775807 step 9223372036854775807 {
      %k = arith.constant 3 : index
      scf.yield
    }
  }
}
"""


def test_empty_backward_and_extreme_loops_are_read() -> None:
    program = checked(EDGE_LOOPS)
    first, empty, backward = program.items
    assert isinstance(first, Loop) and isinstance(empty, Loop) and isinstance(backward, Loop)
    assert (first.lb, first.ub, first.step, first.trips) == (-4, 4, 3, 3)
    assert (empty.body, empty.trips) == ((), 0)
    assert backward.trips == 0
    (inner,) = backward.body
    assert isinstance(inner, Loop)
    assert (inner.ub, inner.step, inner.trips, inner.body) == (2**63 - 1, 2**63 - 1, 1, ())
    assert len(program.tasks) == 1


def test_emit_prints_loops(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "loops.mlir"
    src.write_text(TYPED)
    for kind in ("mlir", "generic"):
        assert main([str(src), "--emit", kind]) == 0
        out = capsys.readouterr().out
        assert canonical(checked(out)) == canonical(checked(TYPED))
    assert out == GENERIC


def test_every_loop_error_is_a_case() -> None:
    """The bad loops of LANGUAGE.md each have a file under tests/errors/."""
    names = {p.stem for p in ERRORS.glob("loop_*.mlir")}
    assert {
        "loop_iter_args", "loop_iter_args_generic", "loop_bound_block_argument",
        "loop_bound_task_result", "loop_bound_not_index", "loop_step_zero",
        "loop_step_negative", "loop_target_inside", "loop_non_task_op", "loop_iv_outside",
    } <= names  # fmt: skip


# --------------------------------------------------------------------------
# Robustness: mutated loop programs get diagnostics, never an exception.


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([*SPELLINGS.values(), EDGE_LOOPS]),
    st.integers(min_value=0, max_value=10_000),
    st.integers(min_value=0, max_value=40),
    st.text(alphabet='{}()[]<>%^#:,="-.0123456789abxyz \n', max_size=6),
)
def test_mutated_loop_programs_only_get_diagnostics(
    base: str, at: int, cut: int, insert: str
) -> None:
    at %= max(1, len(base))
    front_end_never_raises(base[:at] + insert + base[at + cut :])
