"""Split tasks end to end: every rank runs its block of rows, halos move
between neighbours, and the results equal the interpreter's on 1-5 ranks."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest
from e2e import EXAMPLES, check_runs, check_text, generate, load
from markers import needs_mpi

SPLIT_EXAMPLES = ["jacobi_split.mlir", "split_then_whole.mlir", "split_broadcast.mlir"]
CASES = [(sync, ranks) for sync in ("barrier", "p2p") for ranks in (1, 2, 3, 4, 5)]


@needs_mpi
@pytest.mark.parametrize("name", SPLIT_EXAMPLES)
def test_split_example_matches_the_interpreter_on_1_to_5_ranks(name: str, tmp_path: Path) -> None:
    program = load(EXAMPLES / name)
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    check_runs(program, tmp_path, rng, CASES)


FEW_ROWS = """
func.func @main(%a: memref<3x4xi32>, %b: memref<3x4xi32>) {
  avial.schedule %a, %b : memref<3x4xi32>, memref<3x4xi32> {
    %cpu = avial.target {arch = "x86_64"}
    %t = avial.task %cpu reads(%a) writes(%b) {split = "rows"} {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c3 = arith.constant 3 : index
      %c4 = arith.constant 4 : index
      scf.parallel (%i, %j) = (%c0, %c0) to (%c3, %c4) step (%c1, %c1) {
        %x = memref.load %a[%i, %j] : memref<3x4xi32>
        %y = arith.addi %x, %x : i32
        memref.store %y, %b[%i, %j] : memref<3x4xi32>
      }
      avial.yield
    }
  }
  return
}
"""


@needs_mpi
def test_more_ranks_than_rows(tmp_path: Path) -> None:
    program = check_text(FEW_ROWS, "few_rows.mlir")
    rng = np.random.default_rng(7)
    check_runs(program, tmp_path, rng, [("barrier", 5), ("p2p", 4)])


def test_the_split_task_runs_its_block_and_halos_are_mpi_calls() -> None:
    c = generate(load(EXAMPLES / "jacobi_split.mlir")).c
    assert "for (int64_t i = row_lo; i < row_hi; ++i)" in c
    assert "av_block(0, 16, rank, size)" in c
    assert "blk.lo >= 1 ? blk.lo - 1 : 0, blk.hi + 1 < 16 ? blk.hi + 1 : 16" in c
    assert "MPI_Irecv(v + x->lo * 16, (int)((x->hi - x->lo) * 16), MPI_DOUBLE" in c
