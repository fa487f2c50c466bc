"""--fuse: which tasks are fused, and that a fused program means what the
original means (the interpreter is the oracle)."""

from __future__ import annotations

import numpy as np
from e2e import EXAMPLES, check_text, load, random_inputs
from hypothesis import HealthCheck, given, settings
from progen import ProgramSpec, programs, render

from avial2c.interp.run import interpret
from avial2c.ir import Program
from avial2c.plan.plan import make_plan
from avial2c.transforms.fuse import fuse_program

ELEMENTWISE = """
avial.schedule %x, %y, %z, %w {
  %cpu = avial.target {arch = "x86_64"}
  %scale = avial.task %cpu, %x, %y {
    scf.parallel %i = 0 to 64 {
      %a = memref.load %x[%i] : memref<64xf32>
      %b = arith.mulf %a, %a
      memref.store %b, %y[%i] : memref<64xf32>
    }
  }
  %shift = avial.task %cpu, %y, %z {
    scf.parallel %j = 0 to 64 {
      %a = memref.load %y[%j] : memref<64xf32>
      %b = arith.addf %a, %a
      memref.store %b, %z[%j] : memref<64xf32>
    }
  }
  %smooth = avial.task %cpu, %z, %w {
    scf.parallel %k = 1 to 63 {
      %km = arith.subi %k, 1
      %a = memref.load %z[%km] : memref<64xf32>
      %b = memref.load %z[%k] : memref<64xf32>
      %c = arith.addf %a, %b
      memref.store %c, %w[%k] : memref<64xf32>
    }
  }
}
"""


def same_meaning(original: Program, fused: Program, seed: int) -> None:
    inputs = random_inputs(original, np.random.default_rng(seed))
    want, got = interpret(original, inputs), interpret(fused, inputs)
    for name, value in want.items():
        assert got[name].tobytes() == value.tobytes(), name


def test_elementwise_loops_fuse_and_a_stencil_fuses_as_a_sequence() -> None:
    program = check_text(ELEMENTWISE)
    fused, done = fuse_program(program)
    # scale+shift: same bounds, elementwise: one loop.  +smooth reads %z at
    # k - 1 (and its bounds differ): it runs after the loop, in the same task.
    assert [(f.first, f.second, f.loops) for f in done] == [
        ("scale", "shift", True), ("scale+shift", "smooth", False),
    ]  # fmt: skip
    (task,) = fused.tasks
    assert task.name == "scale+shift+smooth"
    assert [op.name for op in task.body.ops] == ["scf.parallel", "scf.parallel"]
    assert len(task.body.ops[0].regions[0].ops) == 6  # both iterations in one loop
    assert [m.name for m in task.reads] == ["x"]
    assert [m.name for m in task.writes] == ["y", "z", "w"]
    same_meaning(program, fused, 1)
    plan = make_plan(fused, 2)
    assert len(plan.levels) == 1 and plan.transfers == ()


def test_no_fusion_when_a_later_task_reads_the_first_output() -> None:
    program = check_text(ELEMENTWISE.replace(
        "%smooth = avial.task %cpu, %z, %w", "%smooth = avial.task %cpu, %z, %y, %w"
    ).replace("%b = memref.load %z[%k]", "%b = memref.load %y[%k]"))  # fmt: skip
    fused, done = fuse_program(program)
    # smooth reads %y, which scale writes: scale and shift stay apart so that
    # smooth need not wait for shift; shift and smooth fuse.
    assert [(f.first, f.second) for f in done] == [("shift", "smooth")]
    same_meaning(program, fused, 2)


def test_gpu_and_split_tasks_are_not_fused() -> None:
    for name in ("gpu_chain.mlir", "jacobi_split.mlir", "split_broadcast.mlir"):
        program = load(EXAMPLES / name)
        fused, done = fuse_program(program)
        assert done == () and fused is program, name


def test_examples_mean_the_same_fused() -> None:
    for path in sorted(EXAMPLES.glob("*.mlir")):
        if path.name.startswith("bigexchange"):
            continue
        program = load(path)
        fused, _ = fuse_program(program)
        same_meaning(program, fused, len(path.name))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(spec=programs(loops=True))
def test_random_loop_programs_mean_the_same_fused(spec: ProgramSpec) -> None:
    program = check_text(render(spec))
    fused, _ = fuse_program(program)
    same_meaning(program, fused, 3)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(spec=programs())
def test_random_programs_mean_the_same_fused(spec: ProgramSpec) -> None:
    program = check_text(render(spec))
    fused, _ = fuse_program(program)
    same_meaning(program, fused, 4)
