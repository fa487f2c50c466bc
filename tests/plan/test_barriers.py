"""--sync barrier leaves out the barriers that the next level's messages make
redundant (schedule.needed_barriers), and only those."""

from __future__ import annotations

from e2e import EXAMPLES, check_text, load
from hypothesis import HealthCheck, given, settings
from progen import ProgramSpec, programs, render

from avial2c.ir import CheckedProgram
from avial2c.plan.emit import plan_text
from avial2c.plan.plan import make_plan
from avial2c.plan.schedule import LoopStep, make_schedule


def task(name: str, reads: list[str], dst: str, rank: int | None = None) -> str:
    pinned = f" {{rank = {rank}}}" if rank is not None else ""
    loads = "\n".join(f"      %x{k} = memref.load %{m}[%i] : memref<64xf64>" for k, m in enumerate(reads))
    total = "%x0" if len(reads) == 1 else "%s"
    add = "" if len(reads) == 1 else "      %s = arith.addf %x0, %x1 : f64\n"
    return f"""
  %{name} = avial.task %cpu reads({", ".join("%" + m for m in reads)}) writes(%{dst}){pinned} {{
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c64 = arith.constant 64 : index
    scf.parallel (%i) = (%c0) to (%c64) step (%c1) {{
{loads}
{add}      memref.store {total}, %{dst}[%i] : memref<64xf64>
    }}
    avial.yield
  }}"""


def schedule_text(memrefs: str, *tasks: str) -> str:
    names = [m.strip() for m in memrefs.split(",")]
    types = ", ".join(["memref<64xf64>"] * len(names))
    return (f"avial.schedule {', '.join('%' + m for m in names)} : {types} {{\n"
            '  %cpu = avial.target {arch = "x86_64"}' + "".join(tasks) + "\n}\n")  # fmt: skip


def barriers(program: CheckedProgram) -> list[bool]:
    return [level.barrier for level in make_schedule(program, "barrier").levels]


def test_a_chain_keeps_only_its_last_barrier() -> None:
    program = check_text(schedule_text("a, b, c, d", task("t1", ["a"], "b"),
                                       task("t2", ["b"], "c"), task("t3", ["c"], "d")))  # fmt: skip
    assert barriers(program) == [False, False, True]
    text = plan_text(make_plan(program, 2, "barrier"))
    assert "no barrier: each task of level 1 shares a rank with, or receives a memref from, " \
           "each task of level 0" in text  # fmt: skip
    assert text.count("barrier: MPI_Barrier after level") == 1
    assert all(not b for b in (lv.barrier for lv in make_schedule(program, "p2p").levels))


def test_a_rank_that_sends_nothing_keeps_the_barrier() -> None:
    # Level 0: t1 (slot 0) and t2 (slot 1); level 1: t3 reads only t1's output,
    # so on 2 ranks nothing tells rank 0 that rank 1 has finished t2.
    program = check_text(schedule_text("a, b, c, d, e", task("t1", ["a"], "b"),
                                       task("t2", ["c"], "d"), task("t3", ["b"], "e")))  # fmt: skip
    assert barriers(program) == [True, True]


def test_an_exchange_between_two_ranks_needs_no_barrier() -> None:
    # Each task of level 1 reads what both tasks of level 0 wrote.
    program = check_text(schedule_text("a, b, c, d, e, f", task("t1", ["a"], "b"),
                                       task("t2", ["c"], "d"), task("t3", ["b", "d"], "e"),
                                       task("t4", ["d", "b"], "f")))  # fmt: skip
    assert barriers(program) == [False, True]


def test_the_same_pinned_rank_is_ordered_by_program_order() -> None:
    # t2 reads nothing t1 wrote, but both are pinned to rank 1: one rank, in order.
    program = check_text(schedule_text("a, b, c, d", task("t1", ["a"], "b", rank=1),
                                       task("t2", ["b"], "c", rank=1),
                                       task("t3", ["a"], "d", rank=1)))  # fmt: skip
    assert barriers(program)[0] is False


def test_split_tasks_and_loop_boundaries_keep_their_barriers() -> None:
    split = make_schedule(load(EXAMPLES / "split_then_whole.mlir"), "barrier")
    for level in split.levels:
        if any(split.tasks[k].split is not None for k in level.tasks):
            assert level.barrier
    loop = make_schedule(load(EXAMPLES / "jacobi_loop.mlir"), "barrier")
    kept = set()
    for step in loop.order:
        if isinstance(step, LoopStep):
            body = [s for s in step.body if isinstance(s, int)]
            kept.add(body[-1])
    assert kept and all(loop.levels[n].barrier for n in kept)
    assert loop.levels[-1].barrier


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
@given(spec=programs())
def test_every_barrier_left_out_is_replaced_by_messages(spec: ProgramSpec) -> None:
    """For random programs on 1-5 ranks: wherever level n has no barrier, every
    rank with a task in level n+1 receives a message in n+1's transfers from
    every other rank with a task in level n (computed from the plan for that
    number of ranks, independently of the rule that left the barrier out)."""
    program = check_text(render(spec), "random.mlir")
    for size in range(1, 6):
        plan = make_plan(program, size, "barrier")
        for n in range(len(plan.levels) - 1):
            if plan.levels[n].barrier:
                continue
            first = {r for k in plan.levels[n].tasks for r in plan.tasks[k].ranks}
            then = {r for k in plan.levels[n + 1].tasks for r in plan.tasks[k].ranks}
            sent = {(t.src, t.dst) for t in plan.levels[n + 1].transfers}
            missing = {(r, q) for r in first for q in then if r != q and (r, q) not in sent}
            assert not missing, f"level {n} on {size} ranks: no message for {missing}"
        assert plan.levels[-1].barrier if plan.levels else True
