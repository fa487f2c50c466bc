"""Time loops in the plan: levels, loop-carried dependences, the fixed point
at the loop head, per-iteration transfers, and C whose size does not depend
on the trip count."""

from __future__ import annotations

import json

from e2e import EXAMPLES, check_text, generate, load

from avial2c.plan.emit import plan_dot, plan_json, plan_text
from avial2c.plan.plan import make_plan
from avial2c.plan.schedule import LoopStep, make_schedule

MOVING = """
avial.schedule %u, %v, %w {
  %cpu = avial.target {arch = "x86_64"}
  %init = avial.task %cpu, %u {
    scf.parallel %i = 0 to 8 {
      %x = arith.index_cast %i : index to i32
      memref.store %x, %u[%i] : memref<8xi32>
    }
  }
  scf.for %t = 0 to 5 {
    %a = avial.task %cpu, %u, %v {
      scf.parallel %i = 0 to 8 {
        %x = memref.load %u[%i] : memref<8xi32>
        memref.store %x, %v[%i] : memref<8xi32>
      }
    }
    %b = avial.task %cpu, %u, %w {
      scf.parallel %i = 0 to 8 {
        %x = memref.load %u[%i] : memref<8xi32>
        memref.store %x, %w[%i] : memref<8xi32>
      }
    }
    %c = avial.task %cpu, %v, %w, %u {
      scf.parallel %i = 0 to 8 {
        %x = memref.load %v[%i] : memref<8xi32>
        %z = memref.load %w[%i] : memref<8xi32>
        %ti = arith.index_cast %t : index to i32
        %y = arith.addi %x, %z
        %y2 = arith.addi %y, %ti
        memref.store %y2, %u[%i] : memref<8xi32>
      }
    }
  }
  %done = avial.task %cpu, %w, %v {
    scf.parallel %i = 0 to 8 {
      %x = memref.load %w[%i] : memref<8xi32>
      memref.store %x, %v[%i] : memref<8xi32>
    }
  }
}
"""


def test_levels_do_not_cross_the_loop_and_carried_edges_are_found() -> None:
    s = make_schedule(check_text(MOVING))
    # init | loop: {a, b} then c | done: four levels, the loop's body is levels 1-2.
    assert [t.level for t in s.tasks] == [0, 1, 1, 2, 3]
    (loop,) = s.loops
    assert (loop.iv, loop.trips, loop.first, loop.end, loop.parent) == ("t", 5, 1, 3, None)
    assert s.order == (0, LoopStep(0, (1, 2)), 3)
    carried = {(s.tasks[e.src].name, s.tasks[e.dst].name, e.kind, e.memref) for e in s.carried}
    assert carried == {("c", "a", "RAW", "u"), ("c", "b", "RAW", "u"),
                       ("c", "a", "WAR", "v"), ("c", "b", "WAR", "w")}  # fmt: skip
    assert all(e.src < e.dst for e in s.edges)
    c = s.tasks[3]
    assert (c.loops, c.ivs) == ((0,), (0,))
    assert s.tasks[1].ivs == () and s.tasks[4].loops == ()


def test_the_loop_head_is_a_fixed_point() -> None:
    s = make_schedule(check_text(MOVING))
    # On entry %u is held by slot 0 (init); after an iteration by slot 0 (c):
    # both, so the fetch of %u for a (slot 0) moves nothing in any iteration,
    # while the one for b (slot 1) stays.  %w: b writes it on slot 1 and c
    # fetches it to slot 0, so both hold it at the head.
    assert dict(s.loops[0].head) == {"u": (0,), "v": (0,), "w": (0, 1)}
    fetches = {(f.memref, s.tasks[f.task].name): f.noop for f in s.levels[1].fetches if f.task}
    assert fetches[("u", "a")] == "same rank"
    assert fetches[("u", "b")] is None


def test_a_split_jacobi_in_a_loop_moves_only_halo_rows_each_iteration() -> None:
    program = load(EXAMPLES / "jacobi_loop.mlir")
    plan = make_plan(program, 3)
    sweep1, sweep2 = plan.levels
    assert sweep1.runs == sweep2.runs == 10
    # Every rank holds all of %u on entry: the first sweep moves nothing.
    assert sweep1.transfers == ()
    ((later, count),) = sweep1.later
    assert count == 9
    assert sorted((t.src, t.dst, t.lo, t.hi) for t in later) == [
        (0, 1, 5, 6), (1, 0, 6, 7), (1, 2, 10, 11), (2, 1, 11, 12),
    ]  # fmt: skip
    assert all(t.nbytes == 16 * 8 for t in later)
    assert len(sweep2.transfers) == 4 and sweep2.later == ()
    halo = 4 * 128
    final = sum(t.nbytes for t in plan.final)
    assert plan.bytes_moved == 9 * halo + 10 * halo + final == plan.min_bytes
    assert plan.transfer_count == 9 * 4 + 10 * 4 + len(plan.final)
    (lp,) = plan.loop_plans
    assert lp.steady_from == 2
    text = plan_text(plan)
    assert "loop 0: scf.for %t = 0 to 10 step 1 (10 iterations" in text
    assert "transfers before level 0 in 9 later runs:" in text
    assert "iterations 2 to 10 post the same transfers; the first differ" in text
    assert "barriers: 20" in text


def test_a_zero_trip_loop_runs_nothing_and_changes_nothing() -> None:
    program = check_text(
        """
avial.schedule %a, %b {
  %cpu = avial.target {arch = "x86_64"}
  %first = avial.task %cpu, %a, %b {rank = 1} {
    scf.parallel %i = 0 to 4 {
      %x = memref.load %a[%i] : memref<4xf32>
      memref.store %x, %b[%i] : memref<4xf32>
    }
  }
  scf.for %t = 3 to 3 {
    %never = avial.task %cpu, %a, %b {
      scf.parallel %i = 0 to 4 {
        %x = memref.load %a[%i] : memref<4xf32>
        memref.store %x, %b[%i] : memref<4xf32>
      }
    }
  }
  %last = avial.task %cpu, %b, %a {rank = 1} {
    scf.parallel %i = 0 to 4 {
      %x = memref.load %b[%i] : memref<4xf32>
      memref.store %x, %a[%i] : memref<4xf32>
    }
  }
}
"""
    )
    s = make_schedule(program)
    # After the loop %b was last written by %first (slot 1), not by %never.
    (f,) = [f for f in s.levels[2].fetches if f.memref == "b"]
    assert s.tasks[f.writer].name == "first" and f.noop == "same rank"
    plan = make_plan(program, 2)
    assert plan.levels[1].runs == 0 and plan.levels[1].transfers == ()
    assert plan.transfer_count == len(plan.final) == 2  # %a and %b from rank 1
    text = plan_text(plan)
    assert "never runs" in text
    c = generate(program).c
    assert "for (int64_t t_ = 3; t_ < 3; t_ += 1) {  /* scf.for %t: 0 iterations (runs none) */" in c


def test_generated_c_does_not_grow_with_the_trip_count() -> None:
    text = (EXAMPLES / "jacobi_loop.mlir").read_text()
    assert "%sweeps = arith.constant 10 : index" in text
    short = generate(check_text(text, "j.mlir")).c
    long = generate(check_text(text.replace("constant 10 : index", "constant 10000 : index"),
                               "j.mlir")).c  # fmt: skip
    assert len(short.splitlines()) == len(long.splitlines())
    assert "t_ < 10000; t_ += 1" in long


def test_tasks_take_the_induction_variable_they_use() -> None:
    c = generate(check_text(MOVING)).c
    assert "static void task_c(int32_t *restrict u, const int32_t *restrict v, " \
           "const int32_t *restrict w, int64_t t_)" in c  # fmt: skip
    assert "static void level2(av_ctx *ctx, av_owners *own, int64_t t_)" in c
    assert "static void level1(av_ctx *ctx, av_owners *own)\n" in c
    assert "        level2(&ctx, &own, t_);" in c
    assert "last written by c (level 2, rank 0) in the previous iteration" in c


def test_plan_json_and_dot_show_the_loop() -> None:
    plan = make_plan(check_text(MOVING), 2)
    data = json.loads(plan_json(plan))
    (loop,) = data["loops"]
    assert (loop["iv"], loop["lb"], loop["ub"], loop["step"], loop["trips"]) == ("t", 0, 5, 1, 5)
    assert loop["head"] == [{"memref": "u", "slots": [0]}, {"memref": "v", "slots": [0]},
                            {"memref": "w", "slots": [0, 1]}]  # fmt: skip
    assert {e["kind"] for e in data["carried"]} == {"RAW", "WAR"}
    assert data["levels"][1]["runs"] == 5
    assert data["totals"]["transfers"] == plan.transfer_count
    dot = plan_dot(plan)
    assert "subgraph cluster_loop0 {" in dot
    assert "(next iteration)" in dot and "style=dashed" in dot


def test_a_loop_free_plan_is_unchanged_by_the_loop_machinery() -> None:
    plan = make_plan(load(EXAMPLES / "seed.mlir"), 2)
    assert plan.loops == () and plan.carried == ()
    assert all(level.runs == 1 and level.later == () for level in plan.levels)
    assert plan.transfer_count == len(plan.transfers)
