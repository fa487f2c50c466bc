"""GPU tasks split by rows: the analysis of a terse launch, and the launch
rewritten for one block of rows runs exactly that block's threads."""

from __future__ import annotations

import numpy as np
import pytest
from e2e import EXAMPLES, check_text, load, random_inputs

from avial2c.check.split import CannotSplit, RowRead, row_split
from avial2c.ir import INDEX, Const, Value
from avial2c.plan.owners import block
from avial2c.plan.schedule import make_schedule
from avial2c.printer.custom import print_custom
from avial2c.pyrt import Bodies
from avial2c.transforms.split_launch import grid_x, split_launch

SEED_SPLIT = """
func.func @main(%a: memref<20xi32>, %b: memref<20xi32>) {
  avial.schedule %a, %b : memref<20xi32>, memref<20xi32> {
    %gpu = avial.target {arch = "sm_90"}
    %t = avial.task %gpu reads(%a) writes(%b) SPLIT {
      %c1 = arith.constant 1 : index
      %c18 = arith.constant 18 : index
      gpu.launch {
        %i = gpu.thread_id x
        %j = arith.minui %i, %c18 : index
        %k = arith.addi %j, %c1 : index
        %x = memref.load %a[%i] : memref<20xi32>
        %y = memref.load %a[%k] : memref<20xi32>
        %z = arith.addi %x, %y : i32
        memref.store %z, %b[%i] : memref<20xi32>
      }
      avial.yield
    }
  }
  return
}
"""


def test_the_example_sweep_splits_by_rows_of_40_threads() -> None:
    program = load(EXAMPLES / "jacobi_gpu_split.mlir")
    split = row_split(program.tasks[0])
    assert (split.lo, split.hi, split.per_row, split.iterations) == (0, 40, 40, 1600)
    assert split.reads == (RowRead("u", -1, 2),)
    assert grid_x(split, 256, "lo", "hi") == "((hi - lo) * 40 + 255) / 256"
    assert grid_x(split, 256, "lo", "hi", "//") == "((hi - lo) * 40 + 255) // 256"


def test_a_row_index_that_depends_on_the_thread_otherwise_is_refused() -> None:
    # %a[min(%i, 18) + 1] depends on the thread: refused; the launch is one block.
    with pytest.raises(CannotSplit, match=r"other than as gpu\.thread_id x"):
        row_split(check_text(SEED_SPLIT.replace("SPLIT", "")).tasks[0])


@pytest.mark.parametrize("rows", [[(0, 40)], [(0, 13), (13, 14), (14, 40)], [(0, 0), (0, 40)]])
def test_the_blocks_of_a_split_launch_together_compute_the_whole_launch(
    rows: list[tuple[int, int]],
) -> None:
    program = load(EXAMPLES / "jacobi_gpu_split.mlir")
    bodies = Bodies(print_custom(program), "jacobi_gpu_split.mlir")
    inputs = random_inputs(program, np.random.default_rng(3))
    whole = {name: a.copy() for name, a in inputs.items()}
    bodies.run(0, whole)  # sweep1: v from u
    merged = inputs["v"].copy()
    for lo, hi in rows:
        mine = {name: a.copy() for name, a in inputs.items()}
        bodies.run(0, mine, rows=(lo, hi))
        merged[lo:hi] = mine["v"][lo:hi]
        outside = np.ones(40, dtype=bool)
        outside[lo:hi] = False
        assert np.array_equal(mine["v"][outside], inputs["v"][outside])  # its block only
    assert np.array_equal(merged, whole["v"])


def test_the_rewritten_launch_keeps_the_block_size_and_guards_the_rows() -> None:
    task = load(EXAMPLES / "jacobi_gpu_split.mlir").tasks[0]
    rows = (Value("row_lo", INDEX), Value("row_hi", INDEX))
    (launch,) = split_launch(task, row_split(task), rows).body.ops
    sizes = [x.value for x in launch.operands if isinstance(x, Const)]
    assert sizes == [7, 1, 1, 256, 1, 1]  # 1600 threads at most, in blocks of 256
    names = [op.name for op in launch.regions[0].ops]
    assert names == ["arith.muli", "arith.addi", "arith.muli", "arith.muli", "arith.addi",
                     "arith.cmpi", "scf.if"]  # fmt: skip
    assert launch.regions[0].ops[2].operands[0] is rows[0]


def test_split_auto_splits_a_large_terse_launch() -> None:
    text = """
func.func @main(%a: memref<512x256xf32>, %b: memref<512x256xf32>) {
  avial.schedule %a, %b : memref<512x256xf32>, memref<512x256xf32> {
    %gpu = avial.target {arch = "sm_90"}
    %t = avial.task %gpu reads(%a) writes(%b) {
      %c256 = arith.constant 256 : index
      gpu.launch {
        %t = gpu.thread_id x
        %i = arith.divui %t, %c256 : index
        %j = arith.remui %t, %c256 : index
        %x = memref.load %a[%i, %j] : memref<512x256xf32>
        memref.store %x, %b[%i, %j] : memref<512x256xf32>
      }
      avial.yield
    }
  }
  return
}
"""
    program = check_text(text)
    assert make_schedule(program, split="declared").tasks[0].split is None
    split = make_schedule(program, split="auto").tasks[0].split
    assert split is not None and (split.hi, split.per_row) == (512, 256)
    assert block(split.lo, split.hi, 1, 3) == (171, 342)
