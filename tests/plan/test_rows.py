"""Split tasks: blocks of rows, and ownership by row ranges in the plan."""

from __future__ import annotations

import itertools
from collections import defaultdict

from e2e import EXAMPLES, check_text, load
from hypothesis import given, settings
from hypothesis import strategies as st

from avial2c.plan.owners import Owners
from avial2c.plan.plan import block, make_plan

SPLIT_EXAMPLES = ["jacobi_split.mlir", "split_then_whole.mlir", "split_broadcast.mlir"]


@given(st.integers(-3, 40), st.integers(0, 60), st.integers(1, 9))
def test_blocks_partition_the_rows(lo: int, n: int, size: int) -> None:
    hi = lo + n
    blocks = [block(lo, hi, q, size) for q in range(size)]
    assert blocks[0][0] == lo and blocks[-1][1] == hi
    for (a, b), (c, _) in itertools.pairwise(blocks):
        assert a <= b == c  # contiguous, in rank order, disjoint
    lengths = [b - a for a, b in blocks]
    assert max(lengths) - min(lengths) <= 1
    assert lengths == sorted(lengths, reverse=True)  # the first n % size are one longer
    assert sum(lengths) == n


def test_more_ranks_than_rows_leaves_some_ranks_without_rows() -> None:
    assert [block(0, 3, q, 5) for q in range(5)] == [(0, 1), (1, 2), (2, 3), (3, 3), (3, 3)]


def test_jacobi_split_moves_only_halo_rows() -> None:
    plan = make_plan(load(EXAMPLES / "jacobi_split.mlir"), 3)
    row = 16 * 8
    for level in plan.levels[1:]:
        assert level.transfers, level.index
        for t in level.transfers:
            assert t.hi - t.lo == 1 and abs(t.src - t.dst) == 1 and t.nbytes == row
    # The final gathering brings every block but rank 0's to rank 0, once each.
    assert sorted((t.src, t.lo, t.hi) for t in plan.final if t.memref == "u") == [
        (1, 6, 11), (2, 11, 16)
    ]  # fmt: skip
    assert plan.bytes_moved == plan.min_bytes


def test_a_whole_task_gathers_only_what_it_reads_once_per_block() -> None:
    plan = make_plan(load(EXAMPLES / "split_then_whole.mlir"), 4)
    total = [t for t in plan.levels[1].transfers if t.memref == "b"]
    assert sorted((t.src, t.dst) for t in total) == [(1, 0), (2, 0), (3, 0)]
    assert sum(t.hi - t.lo for t in total) == 30
    assert plan.bytes_moved == plan.min_bytes


def test_a_whole_read_is_broadcast_to_every_rank_with_rows() -> None:
    plan = make_plan(load(EXAMPLES / "split_broadcast.mlir"), 4)
    w = [t for t in plan.levels[1].transfers if t.memref == "w"]
    assert sorted(t.dst for t in w) == [1, 2, 3] and all(t.whole for t in w)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(SPLIT_EXAMPLES), st.integers(1, 7), st.sampled_from(["barrier", "p2p"]))
def test_split_transfers_are_minimal_and_never_overlap(name: str, size: int, sync: str) -> None:
    plan = make_plan(load(EXAMPLES / name), size, sync)
    assert plan.bytes_moved == plan.min_bytes
    received: dict[tuple[int, int, str], list[tuple[int, int]]] = defaultdict(list)
    for t in plan.transfers:
        assert t.src != t.dst and t.lo < t.hi
        received[(t.level, t.dst, t.memref)].append((t.lo, t.hi))
    for ranges in received.values():
        ranges.sort()
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(ranges))


def test_split_none_and_auto() -> None:
    program = load(EXAMPLES / "jacobi_split.mlir")
    assert all(t.split is None for t in make_plan(program, 2, split="none").tasks)
    assert all(t.split is not None for t in make_plan(program, 2, split="auto").tasks)
    plain = load(EXAMPLES / "jacobi2d.mlir")  # 256 iterations: under the auto threshold
    assert all(t.split is None for t in make_plan(plain, 2, split="auto").tasks)


def test_owner_table_merges_segments_back() -> None:
    owners = Owners([("m", 10)], 3)
    for q, (lo, hi) in enumerate(block(0, 10, q, 3) for q in range(3)):
        owners.wrote("m", q, lo, hi)
    moves = owners.need("m", 0, 0, 10)
    assert [(mv.src, mv.lo, mv.hi) for mv in moves] == [(1, 4, 7), (2, 7, 10)]
    owners.wrote("m", 0, 0, 10)
    assert len(owners.segments["m"]) == 1
    assert owners.need("m", 0, 0, 10) == []


BIG = """
func.func @main(%a: memref<512x256xf32>, %b: memref<512x256xf32>) {
  avial.schedule %a, %b : memref<512x256xf32>, memref<512x256xf32> {
    %cpu = avial.target {arch = "x86_64"}
    %t = avial.task %cpu reads(%a) writes(%b) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c256 = arith.constant 256 : index
      %c512 = arith.constant 512 : index
      scf.parallel (%i, %j) = (%c0, %c0) to (%c512, %c256) step (%c1, %c1) {
        %i1 = arith.muli %i, %c1 : index
        %x = memref.load %a[%i1, %j] : memref<512x256xf32>
        memref.store %x, %b[%i, %j] : memref<512x256xf32>
      }
      avial.yield
    }
  }
  return
}
"""


def test_auto_notes_why_a_large_task_is_not_split() -> None:
    from avial2c.plan.schedule import make_schedule

    schedule = make_schedule(check_text(BIG), split="auto")
    assert schedule.tasks[0].split is None
    assert len(schedule.notes) == 1 and "row index of this load of '%a'" in schedule.notes[0][1]
