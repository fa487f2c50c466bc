"""Time loops (``scf.for`` around tasks in the schedule) in the printers.

Every printed loop program must read back as the same program (equal
canonical text) in both printed forms, print the same again, and, where
mlir-opt-22 is installed, be accepted by it: the generic form printed back
unchanged, the custom form (avial ops rewritten to generic ones) meaning the
same, and what mlir-opt prints (pretty or generic) reading back as the same
program.  Programs without loops print exactly as before (the goldens and
test_printer.py check that).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from irb import Body, checked, v
from markers import needs_mlir_opt
from test_printer import custom_to_mlir, front_end, mlir_opt, seed_program

from avial2c.ir import I32, INDEX, CheckedProgram, Item, Loop, Program, Task, TaskType, Value
from avial2c.printer.canonical import canonical, programs_equal
from avial2c.printer.custom import print_custom
from avial2c.printer.generic import print_generic

# The example of LANGUAGE.md, with a nested loop whose task uses its own
# induction variable.
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
    scf.for %s = 1 to 7 step 3 {
      %b = avial.task %cpu, %v, %u {
        scf.parallel %i = 0 to 8 {
          %x = memref.load %v[%i]
          %si = arith.index_cast %s : index to i32
          %y = arith.addi %x, %si
          memref.store %y, %u[%i]
        }
      }
    }
  }
}
"""

# Three loops deep, an outer induction variable used in the innermost task,
# tasks before, between and after loops, and sibling loops that reuse the
# names of their induction variable and of their task.
NESTED = """\
func.func @steps(%u: memref<8xi32>, %v: memref<8xi32>) {
  avial.schedule %u, %v : memref<8xi32>, memref<8xi32> {
    %cpu = avial.target {arch = "x86_64"}
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %c3 = arith.constant 3 : index
    %first = avial.task %cpu reads(%u) writes(%v) {
      %x = memref.load %u[%c0] : memref<8xi32>
      memref.store %x, %v[%c0] : memref<8xi32>
    }
    scf.for %t = %c0 to %c3 step %c1 {
      scf.for %s = %c1 to %c3 step %c2 {
        scf.for %r = %c0 to %c2 step %c1 {
          %deep = avial.task %cpu reads(%u) writes(%v) {rank = 1, name = "deep"} {
            %x = memref.load %u[%s] : memref<8xi32>
            %ri = arith.index_cast %r : index to i32
            %y = arith.addi %x, %ri : i32
            memref.store %y, %v[%t] : memref<8xi32>
          }
        }
      }
      %mid = avial.task %cpu reads(%v) writes(%u) {
        %x = memref.load %v[%t] : memref<8xi32>
        memref.store %x, %u[%t] : memref<8xi32>
      }
    }
    scf.for %t = %c2 to %c3 step %c1 {
      %mid = avial.task %cpu reads(%v) writes(%u) {
        %x = memref.load %v[%t] : memref<8xi32>
        memref.store %x, %u[%t] : memref<8xi32>
      }
    }
    %last = avial.task %cpu reads(%u) writes(%v) {
      %x = memref.load %u[%c3] : memref<8xi32>
      memref.store %x, %v[%c3] : memref<8xi32>
    }
  }
  return
}
"""

# Names that the constants of the schedule would take: a task %c0, an
# induction variable %c10 and a value %c1 in a task body.
CLASH = """\
avial.schedule %u {
  %cpu = avial.target {arch = "x86_64"}
  scf.for %c10 = 0 to 10 {
    %c0 = avial.task %cpu, %u {
      scf.parallel %i = 0 to 8 {
        %x = memref.load %u[%i]
        %c1 = arith.index_cast %c10 : index to i32
        %y = arith.addi %x, %c1
        memref.store %y, %u[%i]
      }
    }
  }
}
"""

# Negative, empty, backward and huge ranges, a loop with an empty body and
# one that only holds a loop.
EDGES = """\
avial.schedule %u : memref<8xi32> {
  %cpu = avial.target {arch = "x86_64"}
  scf.for %t = -3 to 5 step 4 {
    %a = avial.task %cpu, %u {
      %x = arith.index_cast %t : index to i32
      memref.store %x, %u[0]
    }
  }
  scf.for %e = 5 to 5 {
    %a = avial.task %cpu, %u {
      memref.store 7, %u[1]
    }
  }
  scf.for %b = 7 to 2 step 2 {
    %a = avial.task %cpu, %u {
      memref.store 8, %u[2]
    }
  }
  scf.for %h = 0 to 1099511627776 step 1099511627775 {
    %a = avial.task %cpu, %u {
      memref.store 9, %u[3]
    }
  }
  scf.for %z = 0 to 2 {
  }
  scf.for %o = 0 to 2 {
    scf.for %p = 0 to 2 {
      %a = avial.task %cpu, %u {
        %x = arith.index_cast %o : index to i32
        memref.store %x, %u[%p]
      }
    }
  }
}
"""

# A GPU task in a loop: the terse launch is expanded by the checker.
GPU = """\
avial.schedule %u : memref<64xi32> {
  %gpu = avial.target {arch = "sm_90"}
  scf.for %t = 0 to 4 {
    %g = avial.task %gpu, %u {
      gpu.launch {
        %tid = gpu.thread_id x
        %x = memref.load %u[%tid]
        %ti = arith.index_cast %t : index to i32
        %y = arith.addi %x, %ti
        memref.store %y, %u[%tid]
      }
    }
  }
}
"""

TEXTS = {"terse": TERSE, "nested": NESTED, "clash": CLASH, "edges": EDGES, "gpu": GPU}


def looped(
    base: CheckedProgram, tasks: tuple[Task, ...], items: tuple[Item, ...]
) -> CheckedProgram:
    """BASE with TASKS arranged in loops as ITEMS, checked."""
    return checked(Program(base.file, base.memrefs, base.targets, tasks, loops_body=items))


def hand_built(lbs: tuple[int, int] = (0, 1), ubs: tuple[int, int] = (3, 5)) -> CheckedProgram:
    """The seed's tasks in two nested loops, built by hand, with a task that
    uses both induction variables."""
    seed = seed_program()
    t1, t2, t3 = seed.tasks
    a = seed.memrefs[0]
    t, s = v("t", INDEX), v("s", INDEX)
    body = Body()
    x = body.op("arith.index_cast", v("x", I32), t)
    body.add("memref.store", (x, a, s))
    tick = Task(v("tick", TaskType()), seed.targets[0], (), (a,), body.block())
    inner = Loop(s, lbs[1], ubs[1], 2, (t3, tick))
    outer = Loop(t, lbs[0], ubs[0], 1, (t2, inner))
    return looped(seed, (t1, t2, t3, tick), (t1, outer))


def programs() -> dict[str, CheckedProgram]:
    out = {name: front_end(text, f"{name}.mlir") for name, text in TEXTS.items()}
    out["hand-built"] = hand_built()
    return out


PROGRAMS = programs()
NAMES = sorted(PROGRAMS)


# --------------------------------------------------------------------------
# Round trips


def test_every_program_has_loops() -> None:
    assert all(p.has_loops for p in PROGRAMS.values())


@pytest.mark.parametrize("printer", [print_custom, print_generic], ids=["custom", "generic"])
@pytest.mark.parametrize("name", NAMES)
def test_printed_loops_read_back_as_the_same_program(
    name: str, printer: Callable[[CheckedProgram], str]
) -> None:
    program = PROGRAMS[name]
    text = printer(program)
    again = front_end(text)
    assert again.has_loops
    assert canonical(again) == canonical(program)
    assert printer(again) == text


@pytest.mark.parametrize("name", NAMES)
def test_both_forms_read_back_as_one_program(name: str) -> None:
    program = PROGRAMS[name]
    generic = print_generic(program)
    assert print_generic(front_end(print_custom(program))) == generic
    assert print_generic(front_end(generic)) == generic


# --------------------------------------------------------------------------
# The custom form

TERSE_CUSTOM = """\
func.func @main(%u: memref<8xi32>, %v: memref<8xi32>) {
  avial.schedule %u, %v : memref<8xi32>, memref<8xi32> {
    %cpu = avial.target {arch = "x86_64"}
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c3 = arith.constant 3 : index
    %c7 = arith.constant 7 : index
    %c10 = arith.constant 10 : index

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

      scf.for %s = %c1 to %c7 step %c3 {
        %b = avial.task %cpu reads(%v) writes(%u) {
          %c0_0 = arith.constant 0 : index
          %c1_0 = arith.constant 1 : index
          %c8 = arith.constant 8 : index
          scf.parallel (%i) = (%c0_0) to (%c8) step (%c1_0) {
            %x = memref.load %v[%i] : memref<8xi32>
            %si = arith.index_cast %s : index to i32
            %y = arith.addi %x, %si : i32
            memref.store %y, %u[%i] : memref<8xi32>
          }
          avial.yield
        }
      }
    }
  }
  return
}
"""


def test_custom_form_of_a_loop_program() -> None:
    assert print_custom(PROGRAMS["terse"]) == TERSE_CUSTOM


def test_bounds_are_constants_of_the_schedule_region() -> None:
    text = print_custom(PROGRAMS["edges"])
    head = text[: text.index("scf.for")]
    for value in (-3, 0, 1, 2, 4, 5, 7, 1099511627775, 1099511627776):
        assert f"    %c{value} = arith.constant {value} : index\n" in head
    assert "scf.for %t = %c-3 to %c5 step %c4 {" in text
    assert "scf.for %b = %c7 to %c2 step %c2 {" in text
    assert "scf.for %z = %c0 to %c2 step %c1 {\n    }\n" in text


def test_tasks_and_induction_variables_keep_their_names() -> None:
    text = print_custom(PROGRAMS["clash"])
    assert "scf.for %c10 = %c0_0 to %c10_0 step %c1 {" in text
    assert "%c0 = avial.task %cpu writes(%u) {" in text
    assert "arith.index_cast %c10 : index to i32" in text
    # The body's %c1 gives way to the schedule's constant, as in MLIR.
    assert re.search(r"%(\d+) = arith\.index_cast %c10 .*\n.*arith\.addi %x, %\1 : i32", text)


def test_sibling_loops_reuse_names() -> None:
    text = print_custom(PROGRAMS["nested"])
    assert text.count("scf.for %t = ") == 2
    assert text.count("%mid = avial.task") == 2
    assert '%deep = avial.task %cpu reads(%u) writes(%v) {name = "deep", rank = 1} {' in text
    assert "memref.store %y, %v[%t] : memref<8xi32>" in text


# --------------------------------------------------------------------------
# The generic form


def test_generic_form_numbers_loops_as_mlir_does() -> None:
    text = print_generic(PROGRAMS["terse"])
    assert '%1 = "arith.constant"() <{value = 0 : index}> : () -> index' in text
    assert '"scf.for"(%1, %5, %2) ({\n      ^bb0(%arg2: index):' in text
    assert '"arith.index_cast"(%arg2) : (index) -> i32' in text
    assert '"scf.for"(%2, %4, %3) ({\n        ^bb0(%arg3: index):' in text
    assert '"arith.index_cast"(%arg3) : (index) -> i32' in text
    assert text.count('"scf.yield"() : () -> ()') == 2


# --------------------------------------------------------------------------
# The canonical form


def test_canonical_form_shows_loops() -> None:
    text = canonical(hand_built())
    lines = text.splitlines()
    outer = next(k for k, line in enumerate(lines) if line.startswith("for "))
    assert lines[outer].endswith(": index = 0 to 3 step 1 {")
    assert lines[outer + 1].startswith("  task ")
    inner = next(k for k, line in enumerate(lines) if line.startswith("  for "))
    assert lines[inner].endswith(": index = 1 to 5 step 2 {")
    assert lines[inner + 1].startswith("    task ")
    assert lines[-2:] == ["  }", "}"]


def test_canonical_form_tells_loop_programs_apart() -> None:
    base = hand_built()
    t1, t2 = base.tasks[:2]
    (_, outer) = base.loops_body
    assert isinstance(outer, Loop)
    inner = outer.body[1]
    assert isinstance(inner, Loop)

    def loop(like: Loop, body: tuple[Item, ...], **bounds: int) -> Loop:
        lb, ub, step = (bounds.get(k, getattr(like, k)) for k in ("lb", "ub", "step"))
        return Loop(like.iv, lb, ub, step, body)

    variants = [
        hand_built(lbs=(1, 1)),
        hand_built(ubs=(3, 6)),
        looped(base, base.tasks, (t1, loop(outer, outer.body, step=2))),
        # the same tasks, no loop
        checked(Program(base.file, base.memrefs, base.targets, base.tasks)),
        # a task moved out of its loop
        looped(base, base.tasks, (t1, loop(outer, (inner,)), t2)),
        # the inner loop beside the outer one instead of inside it
        looped(base, base.tasks, (t1, loop(outer, (t2,)), inner)),
    ]
    for variant in variants:
        assert not programs_equal(base, variant), canonical(variant)
    assert programs_equal(base, hand_built())


def test_an_induction_variable_is_one_value() -> None:
    """Values are compared by identity: a task that uses another loop's
    induction variable (of the same name) is another program."""
    base = hand_built()
    (_, outer) = base.loops_body
    assert isinstance(outer, Loop)
    other = Loop(Value("t", INDEX), outer.lb, outer.ub, outer.step, outer.body)
    changed = looped(base, base.tasks, (base.tasks[0], other))
    assert "<undefined t>" in canonical(changed)
    assert not programs_equal(base, changed)


# --------------------------------------------------------------------------
# mlir-opt


@needs_mlir_opt
@pytest.mark.parametrize("name", NAMES)
def test_mlir_opt_prints_the_generic_form_of_loops_back_unchanged(name: str) -> None:
    text = print_generic(PROGRAMS[name])
    assert mlir_opt(text, "--mlir-print-op-generic") == text


@needs_mlir_opt
@pytest.mark.parametrize("name", NAMES)
def test_custom_form_of_loops_means_the_same_to_mlir_opt(name: str) -> None:
    program = PROGRAMS[name]
    mixed = custom_to_mlir(print_custom(program))
    assert mlir_opt(mixed, "--mlir-print-op-generic") == print_generic(program)


@needs_mlir_opt
@pytest.mark.parametrize("flags", [(), ("--mlir-print-op-generic",)], ids=["pretty", "generic"])
@pytest.mark.parametrize("name", NAMES)
def test_what_mlir_opt_prints_of_loops_reads_back_equal(name: str, flags: tuple[str, ...]) -> None:
    program = PROGRAMS[name]
    printed = mlir_opt(print_generic(program), *flags)
    if not flags:
        assert re.search(r"^ +scf\.for %arg\d+ = %c", printed, re.M), printed
    assert canonical(front_end(printed)) == canonical(program)
