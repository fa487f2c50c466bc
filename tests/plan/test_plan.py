"""The planner (avial2c.plan), its body analysis (avial2c.access) and its dumps."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from irb import checked

from avial2c.ir import (
    I1,
    I32,
    INDEX,
    Block,
    CheckedProgram,
    Const,
    MemRefType,
    Op,
    Operand,
    Program,
    Target,
    TargetType,
    Task,
    TaskType,
    Value,
    make_attrs,
)
from avial2c.plan.coverage import OVERWRITES, PARTIAL, overwrites_all, reason
from avial2c.plan.emit import SCHEMA, plan_dot, plan_json, plan_text
from avial2c.plan.plan import TAG_LIMIT, Edge, Plan, Transfer, make_plan

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# --------------------------------------------------------------------------
# Building programs by hand (checked by tests/support/irb.py)


def memref(name: str, shape: tuple[int, ...] = (20,)) -> Value:
    return Value(name, MemRefType(shape, I32))


def idx(n: int) -> Const:
    return Const(n, INDEX)


def ival(name: str) -> Value:
    return Value(name, INDEX)


def store(m: Value, *indices: Operand) -> Op:
    return Op("memref.store", (Const(7, I32), m, *indices))


def load(m: Value, *indices: Operand) -> Op:
    return Op("memref.load", (m, *indices), (Value("x", I32),))


def parallel(bounds: list[tuple[int, int]], body: list[Op], ivs: tuple[Value, ...] = ()) -> Op:
    """scf.parallel over BOUNDS (step 1); BODY may use IVS (made when not given)."""
    ivs = ivs or tuple(ival(f"i{k}") for k in range(len(bounds)))
    operands = [idx(lo) for lo, _ in bounds] + [idx(hi) for _, hi in bounds]
    operands += [idx(1)] * len(bounds)
    return Op("scf.parallel", tuple(operands), regions=(Block(ivs, tuple(body)),))


def full_store(m: Value) -> Op:
    """Stores every element of M: a parallel nest over its shape."""
    shape = mtype(m).shape
    if not shape:
        return store(m)
    ivs = tuple(ival(f"i{k}") for k in range(len(shape)))
    return parallel([(0, d) for d in shape], [store(m, *ivs)], ivs)


def partial_store(m: Value) -> Op:
    return store(m, *[idx(0)] * len(mtype(m).shape))


def mtype(m: Value) -> MemRefType:
    assert isinstance(m.type, MemRefType)
    return m.type


CPU = Target(Value("cpu", TargetType()), "x86_64")
GPU = Target(Value("gpu", TargetType()), "sm_90")


def task(
    name: str,
    reads: list[Value],
    writes: list[Value],
    ops: list[Op] | None = None,
    target: Target = CPU,
    rank: int | None = None,
) -> Task:
    """A task; by default its body stores every element of what it writes."""
    body = ops if ops is not None else [full_store(m) for m in writes]
    return Task(
        Value(name, TaskType()), target, tuple(reads), tuple(writes), Block((), tuple(body)), rank
    )


def program(memrefs: list[Value], tasks: list[Task]) -> CheckedProgram:
    return checked(Program("test.mlir", tuple(memrefs), (CPU, GPU), tuple(tasks)))


def launch_args() -> tuple[Value, ...]:
    names = ("bx", "by", "bz", "tx", "ty", "tz", "gx", "gy", "gz", "sx", "sy", "sz")
    return tuple(ival(n) for n in names)


def gpu_launch(sizes: tuple[int, ...], args: tuple[Value, ...], body: list[Op]) -> Op:
    return Op("gpu.launch", tuple(idx(s) for s in sizes), regions=(Block(args, tuple(body)),))


def seed() -> CheckedProgram:
    """examples/seed.mlir, as the checker produces it."""
    a, b, c, d = (memref(n) for n in "abcd")

    def elementwise(out: Value, op: str) -> Op:
        i = ival("i")
        x, y, z = Value("x", I32), Value("y", I32), Value("z", I32)
        return parallel(
            [(0, 20)],
            [
                Op("memref.load", (a, i), (x,)),
                Op("memref.load", (b, i), (y,)),
                Op(op, (x, y), (z,)),
                Op("memref.store", (z, out, i)),
            ],
            (i,),
        )

    args = launch_args()
    tx = args[3]
    x, y, z = Value("x", I32), Value("y", I32), Value("z", I32)
    kernel = gpu_launch(
        (1, 1, 1, 20, 1, 1),
        args,
        [
            Op("memref.load", (c, tx), (x,)),
            Op("memref.load", (d, tx), (y,)),
            Op("arith.addi", (x, y), (z,)),
            Op("memref.store", (z, d, tx)),
        ],
    )
    return program(
        [a, b, c, d],
        [
            task("task1", [a, b], [c], [elementwise(c, "arith.addi")]),
            task("task2", [a, b], [d], [elementwise(d, "arith.muli")]),
            task("task3", [c, d], [d], [kernel], target=GPU),
        ],
    )


def one_task(ops: list[Op], m: Value) -> Task:
    return task("t", [], [m], ops)


# --------------------------------------------------------------------------
# access: does the body overwrite every element?


def test_full_parallel_store_overwrites() -> None:
    m = memref("m")
    t = one_task([full_store(m)], m)
    assert overwrites_all(t, m)
    assert reason(t, m) == OVERWRITES


def test_single_element_store_is_partial() -> None:
    m = memref("m")
    t = one_task([partial_store(m)], m)
    assert not overwrites_all(t, m)
    assert reason(t, m) == PARTIAL


def test_loop_not_covering_extent_is_partial() -> None:
    m = memref("m")
    i = ival("i")
    assert not overwrites_all(one_task([parallel([(0, 19)], [store(m, i)], (i,))], m), m)
    assert not overwrites_all(one_task([parallel([(1, 20)], [store(m, i)], (i,))], m), m)


def test_constant_offset_that_still_covers() -> None:
    m = memref("m")
    i, j = ival("i"), ival("j")
    shifted = Op("arith.subi", (i, idx(1)), (j,))
    ok = parallel([(1, 21)], [shifted, store(m, j)], (i,))
    assert overwrites_all(one_task([ok], m), m)
    plus = Op("arith.addi", (idx(1), i), (j,))
    short = parallel([(0, 20)], [plus, store(m, j)], (i,))
    assert not overwrites_all(one_task([short], m), m)


def test_step_other_than_one_is_partial() -> None:
    m = memref("m")
    i = ival("i")
    loop = Op(
        "scf.parallel",
        (idx(0), idx(20), idx(2)),
        regions=(Block((i,), (store(m, i),)),),
    )
    assert not overwrites_all(one_task([loop], m), m)


def test_two_dimensional_nest_in_any_order() -> None:
    m = memref("m", (3, 4))
    i, j = ival("i"), ival("j")
    swapped = parallel([(0, 4), (0, 3)], [store(m, j, i)], (i, j))
    assert overwrites_all(one_task([swapped], m), m)
    inner = Op("scf.for", (idx(0), idx(4), idx(1)), regions=(Block((j,), (store(m, i, j),)),))
    nested = parallel([(0, 3)], [inner], (i,))
    assert overwrites_all(one_task([nested], m), m)


def test_same_variable_twice_is_partial() -> None:
    m = memref("m", (4, 4))
    i = ival("i")
    diagonal = parallel([(0, 4)], [store(m, i, i)], (i,))
    assert not overwrites_all(one_task([diagonal], m), m)


def test_loop_with_no_iterations_is_partial() -> None:
    m = memref("m", ())
    k = ival("k")
    empty = Op("scf.for", (idx(0), idx(0), idx(1)), regions=(Block((k,), (store(m),)),))
    assert not overwrites_all(one_task([empty], m), m)


def test_store_under_condition_is_partial() -> None:
    m = memref("m")
    flag = Value("flag", I1)
    i = ival("i")
    guarded = Op("scf.if", (flag,), regions=(Block((), (store(m, i),)), Block((), ())))
    assert not overwrites_all(one_task([parallel([(0, 20)], [guarded], (i,))], m), m)


def test_load_before_the_store_needs_contents() -> None:
    m = memref("m")
    i = ival("i")
    body = [load(m, i), store(m, i)]
    assert not overwrites_all(one_task([parallel([(0, 20)], body, (i,))], m), m)
    earlier = [load(m, idx(3)), full_store(m)]
    assert not overwrites_all(one_task(earlier, m), m)


def test_load_after_the_store_at_the_same_index_is_fine() -> None:
    m = memref("m")
    i = ival("i")
    same = parallel([(0, 20)], [store(m, i), load(m, i)], (i,))
    assert overwrites_all(one_task([same], m), m)
    other = parallel([(0, 20)], [store(m, i), load(m, idx(0))], (i,))
    assert not overwrites_all(one_task([other], m), m)


def test_loads_after_the_covering_loop_are_fine() -> None:
    m = memref("m")
    assert overwrites_all(one_task([full_store(m), load(m, idx(5))], m), m)


def test_rank0_memref_top_level_store() -> None:
    m = memref("s", ())
    assert overwrites_all(one_task([store(m)], m), m)
    flag = Value("flag", I1)
    guarded = Op("scf.if", (flag,), regions=(Block((), (store(m),)), Block((), ())))
    assert not overwrites_all(one_task([guarded], m), m)


def test_launch_one_block_of_extent_threads() -> None:
    m = memref("m")
    args = launch_args()
    full = gpu_launch((1, 1, 1, 20, 1, 1), args, [store(m, args[3])])
    assert overwrites_all(one_task([full], m), m)
    short = gpu_launch((1, 1, 1, 10, 1, 1), args, [store(m, args[3])])
    assert not overwrites_all(one_task([short], m), m)


def guarded_launch(m: Value, grid: int, block: int, limit: int) -> Op:
    """The checker's expansion of a terse launch over more than one block."""
    args = launch_args()
    base, gid, inside = ival("base"), ival("gid"), Value("inside", I1)
    return gpu_launch(
        (grid, 1, 1, block, 1, 1),
        args,
        [
            Op("arith.muli", (args[0], args[9]), (base,)),
            Op("arith.addi", (base, args[3]), (gid,)),
            Op("arith.cmpi", (gid, idx(limit)), (inside,), make_attrs(predicate="ult")),
            Op("scf.if", (inside,), regions=(Block((), (store(m, gid),)), Block((), ()))),
        ],
    )


def test_launch_global_index_with_guard() -> None:
    m = memref("m", (1000,))
    assert overwrites_all(one_task([guarded_launch(m, 4, 256, 1000)], m), m)
    assert not overwrites_all(one_task([guarded_launch(m, 4, 256, 999)], m), m)
    assert not overwrites_all(one_task([guarded_launch(m, 3, 256, 1000)], m), m)


def test_launch_global_id_op() -> None:
    m = memref("m", (64,))
    args = launch_args()
    g = ival("g")
    gid = Op("gpu.global_id", (), (g,), make_attrs(dimension="x"))
    kernel = gpu_launch((2, 1, 1, 32, 1, 1), args, [gid, store(m, g)])
    assert overwrites_all(one_task([kernel], m), m)


def test_launch_global_and_thread_index_together_is_partial() -> None:
    m = memref("m", (64, 32))
    args = launch_args()
    base, gid = ival("base"), ival("gid")
    kernel = gpu_launch(
        (2, 1, 1, 32, 1, 1),
        args,
        [
            Op("arith.muli", (args[9], args[0]), (base,)),
            Op("arith.addi", (args[3], base), (gid,)),
            store(m, gid, args[3]),
        ],
    )
    assert not overwrites_all(one_task([kernel], m), m)


def test_constant_stores_that_together_cover() -> None:
    m = memref("lut", (4,))
    stores = [store(m, idx(k)) for k in range(4)]
    assert overwrites_all(one_task(stores, m), m)
    assert not overwrites_all(one_task(stores[:3], m), m)
    between = [stores[0], load(m, idx(0)), *stores[1:]]
    assert overwrites_all(one_task(between, m), m)
    early = [stores[0], load(m, idx(2)), *stores[1:]]
    assert not overwrites_all(one_task(early, m), m)


def test_one_store_per_column_in_a_loop() -> None:
    m = memref("m", (16, 3))
    i = ival("i")
    columns = [store(m, i, idx(k)) for k in range(3)]
    assert overwrites_all(one_task([parallel([(0, 16)], columns, (i,))], m), m)
    two = parallel([(0, 16)], columns[:2], (i,))
    assert not overwrites_all(one_task([two], m), m)


def test_flattened_index() -> None:
    m = memref("flat", (64,))
    i, j, row, flat = ival("i"), ival("j"), ival("row"), ival("flat")
    body = [Op("arith.muli", (i, idx(8)), (row,)), Op("arith.addi", (row, j), (flat,))]
    nest = parallel([(0, 8), (0, 8)], [*body, store(m, flat)], (i, j))
    assert overwrites_all(one_task([nest], m), m)
    narrow = parallel([(0, 8), (0, 7)], [*body, store(m, flat)], (i, j))
    assert not overwrites_all(one_task([narrow], m), m)


def test_two_dimensional_global_ids() -> None:
    m = memref("C", (16, 16))
    args = launch_args()
    row0, row, col0, col = ival("row0"), ival("row"), ival("col0"), ival("col")
    kernel = gpu_launch(
        (2, 2, 1, 8, 8, 1),
        args,
        [
            Op("arith.muli", (args[1], args[10]), (row0,)),
            Op("arith.addi", (row0, args[4]), (row,)),
            Op("arith.muli", (args[0], idx(8)), (col0,)),
            Op("arith.addi", (col0, args[3]), (col,)),
            store(m, row, col),
        ],
    )
    assert overwrites_all(one_task([kernel], m), m)


def test_seed_task3_needs_current_contents_of_d() -> None:
    t3 = seed().tasks[2]
    assert not overwrites_all(t3, t3.writes[0])


# --------------------------------------------------------------------------
# The plan of the seed


def test_seed_levels_and_placement() -> None:
    plan = make_plan(seed(), 2)
    assert [t.level for t in plan.tasks] == [0, 0, 1]
    assert [t.rank for t in plan.tasks] == [0, 1, 0]
    assert [level.tasks for level in plan.levels] == [(0, 1), (2,)]
    assert plan.edges == (
        Edge(0, 2, "RAW", "c"),
        Edge(1, 2, "RAW", "d"),
        Edge(1, 2, "WAW", "d"),
    )


def test_seed_transfers() -> None:
    plan = make_plan(seed(), 2)
    assert plan.levels[0].transfers == ()
    (move,) = plan.levels[1].transfers
    assert (move.src, move.dst, move.memref, move.nbytes, move.level) == (1, 0, "d", 80, 1)
    assert move.reason == "task3 (level 1, rank 0) reads %d written by task2 on rank 1"
    assert plan.final == ()  # %c and %d end on rank 0
    assert plan.bytes_moved == plan.min_bytes == 80


def test_seed_write_cases() -> None:
    plan = make_plan(seed(), 2)
    t1, _, t3 = plan.tasks
    assert [(c.memref, c.case) for c in t1.write_cases] == [("c", "overwrite")]
    assert t1.needs == ("a", "b")
    assert [(c.memref, c.case) for c in t3.write_cases] == [("d", "read-write")]
    assert t3.needs == ("c", "d")
    assert t3.gpu and not t1.gpu


def test_size_one_moves_nothing() -> None:
    plan = make_plan(seed(), 1)
    assert plan.transfers == ()
    assert {t.rank for t in plan.tasks} == {0}
    assert plan.min_bytes == 0


def test_size_larger_than_any_level() -> None:
    plan = make_plan(seed(), 8)
    assert [t.rank for t in plan.tasks] == [0, 1, 0]
    assert [(t.src, t.dst, t.memref) for t in plan.transfers] == [(1, 0, "d")]


def test_barriers_only_in_barrier_mode() -> None:
    # The seed's task3 reads what task1 and task2 wrote: level 1's messages
    # order it after level 0, whose barrier is left out; the last one stays.
    levels = make_plan(seed(), 2, "barrier").levels
    assert [level.barrier for level in levels] == [False, True]
    assert levels[0].ordered is not None and levels[1].ordered is None
    assert not any(level.barrier for level in make_plan(seed(), 2, "p2p").levels)


def test_bad_arguments_are_rejected() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        make_plan(seed(), 0)
    with pytest.raises(ValueError, match="sync mode"):
        make_plan(seed(), 2, "eager")


# --------------------------------------------------------------------------
# Data movement


def test_partial_write_moves_old_contents() -> None:
    x, y = memref("x"), memref("y")
    prog = program(
        [x, y],
        [
            task("w", [], [x]),  # level 0, rank 0
            task("other", [], [y]),  # level 0, rank 1
            task("patch", [], [x], [partial_store(x)], rank=1),  # level 1, rank 1
        ],
    )
    plan = make_plan(prog, 2)
    patch = plan.tasks[2]
    assert [(c.memref, c.case) for c in patch.write_cases] == [("x", "partial")]
    (move,) = plan.levels[1].transfers
    assert (move.src, move.dst, move.memref) == (0, 1, "x")
    assert "writes part of %x and needs its current contents" in move.reason
    # the final %x lives on rank 1 only, %y too
    assert [(t.src, t.dst, t.memref) for t in plan.final] == [(1, 0, "x"), (1, 0, "y")]


def test_full_overwrite_moves_nothing_before_it() -> None:
    x, y = memref("x"), memref("y")
    prog = program(
        [x, y],
        [task("w", [], [x]), task("other", [], [y]), task("again", [], [x], rank=1)],
    )
    plan = make_plan(prog, 2)
    assert plan.tasks[2].write_cases[0].case == "overwrite"
    assert plan.levels[1].transfers == ()


def test_write_after_read_across_ranks() -> None:
    a, b, c, d = (memref(n) for n in "abcd")
    prog = program(
        [a, b, c, d],
        [
            task("reader", [a], [b]),  # level 0, rank 0
            task("side", [c], [d]),  # level 0, rank 1
            task("writer", [], [a], rank=1),  # WAR on %a: level 1, rank 1
            task("later", [a], [c], rank=0),  # RAW on %a from rank 1; WAR on %c
        ],
    )
    plan = make_plan(prog, 2)
    assert Edge(0, 2, "WAR", "a") in plan.edges
    assert Edge(1, 3, "WAR", "c") in plan.edges
    assert Edge(2, 3, "RAW", "a") in plan.edges
    assert [t.level for t in plan.tasks] == [0, 0, 1, 2]
    assert plan.levels[1].transfers == ()  # "writer" overwrites its own copy of %a
    (move,) = plan.levels[2].transfers
    assert (move.src, move.dst, move.memref) == (1, 0, "a")
    assert [(t.src, t.dst, t.memref) for t in plan.final] == [(1, 0, "d")]


def test_memref_read_on_three_ranks_is_sent_to_each_once() -> None:
    m, o1, o2, o3, o4 = (memref(n) for n in ("m", "o1", "o2", "o3", "o4"))
    prog = program(
        [m, o1, o2, o3, o4],
        [
            task("make", [], [m], rank=3),
            task("r0", [m], [o1]),
            task("r1", [m], [o2]),
            task("r2", [m], [o3]),
            task("again", [m, o1, o2, o3], [o4], rank=1),
        ],
    )
    plan = make_plan(prog, 4)
    assert [t.rank for t in plan.tasks] == [3, 0, 1, 2, 1]
    moves = [(t.src, t.dst, t.memref) for t in plan.levels[1].transfers]
    assert moves == [(3, 0, "m"), (3, 1, "m"), (3, 2, "m")]
    later = [(t.src, t.dst, t.memref) for t in plan.levels[2].transfers]
    assert ("m" not in [name for _, _, name in later]) and len(later) == 2  # o1, o3
    # Tags number the messages of each phase (the transfers before a level, the final gathering).
    for phase in [level.transfers for level in plan.levels] + [plan.final]:
        assert [t.tag for t in phase] == list(range(len(phase)))


def test_pinned_task_rank_wraps() -> None:
    x = memref("x")
    plan = make_plan(program([x], [task("t", [], [x], rank=5)]), 2)
    (t,) = plan.tasks
    assert (t.rank, t.slot, t.pinned) == (1, 5, True)
    assert "pinned: rank = 5" in plan_text(plan)


def test_final_result_last_written_on_rank_3_is_gathered() -> None:
    outs = [memref(f"o{k}") for k in range(4)]
    plan = make_plan(program(outs, [task(f"t{k}", [], [o]) for k, o in enumerate(outs)]), 4)
    assert [t.rank for t in plan.tasks] == [0, 1, 2, 3]
    moves = [(t.src, t.dst, t.memref, t.level) for t in plan.final]
    assert moves == [(1, 0, "o1", 1), (2, 0, "o2", 1), (3, 0, "o3", 1)]
    assert plan.final[2].reason.startswith("final result to rank 0")


def test_nearest_edges_only() -> None:
    m = memref("m")
    prog = program([m], [task(f"t{k}", [m] if k % 2 else [], [m]) for k in range(4)])
    plan = make_plan(prog, 2)
    assert {(e.src, e.dst) for e in plan.edges} == {(0, 1), (1, 2), (2, 3)}
    assert len(set(plan.edges)) == len(plan.edges)


def test_empty_program() -> None:
    plan = make_plan(program([memref("m")], []), 3)
    assert plan.levels == () and plan.transfers == () and plan.min_bytes == 0
    assert "0 tasks in 0 levels" in plan_text(plan)


def test_plan_is_immutable_and_deterministic() -> None:
    plan = make_plan(seed(), 2)
    with pytest.raises(AttributeError):
        plan.size = 3  # type: ignore[misc]
    assert make_plan(seed(), 2) == plan


def test_ten_thousand_tasks_plan_fast() -> None:
    ms = [memref(f"m{k}", (4,)) for k in range(8)]
    tasks = [task(f"t{k}", [ms[k % 8], ms[(k + 3) % 8]], [ms[(k + 1) % 8]]) for k in range(10_000)]
    prog = program(ms, tasks)
    start = time.perf_counter()
    plan = make_plan(prog, 4)
    elapsed = time.perf_counter() - start
    assert len(plan.levels) > 1000  # a long chain: levels computed without recursion
    assert plan.bytes_moved == plan.min_bytes
    assert elapsed < 5.0
    assert len(plan_text(plan)) > 0 and len(plan_json(plan)) > 0 and len(plan_dot(plan)) > 0


def test_tags_stay_below_the_mpi_minimum() -> None:
    ms = [memref(f"m{k}", ()) for k in range(3)]
    tasks = [task(f"t{k}", [ms[(k + 1) % 3]], [ms[k % 3]], rank=k) for k in range(200)]
    plan = make_plan(program(ms, tasks), 7)
    assert plan.transfers
    assert all(0 <= t.tag < TAG_LIMIT for t in plan.transfers)


# --------------------------------------------------------------------------
# Dumps


def test_plan_text_of_the_seed() -> None:
    text = plan_text(make_plan(seed(), 2))
    assert text.startswith("plan of test.mlir\n  3 tasks in 2 levels on 2 ranks;")
    assert "  task1 on %cpu (x86_64) -> rank 0\n" in text
    assert "  task3 on %gpu (sm_90) -> rank 0\n" in text
    assert "      writes %c: overwrite (body overwrites every element)\n" in text
    assert (
        "    rank 1 -> rank 0  %d  80 bytes  tag 0: "
        "task3 (level 1, rank 0) reads %d written by task2 on rank 1 (est. 2.02 us)\n"
    ) in text
    # The cost model's estimates: 80 bytes at the default 2 us + 5 GB/s.
    assert "      est. " in text and "  predicted makespan: " in text
    assert "  barrier: MPI_Barrier after level 1\n" in text
    assert "  nothing to move: every written memref is valid on rank 0\n" in text
    assert "  bytes moved: 80 (minimum 80: each cross-rank dependency moved once)\n" in text
    assert text == plan_text(make_plan(seed(), 2))


def test_plan_text_p2p_has_no_barrier() -> None:
    text = plan_text(make_plan(seed(), 2, "p2p"))
    assert "MPI_Barrier" not in text
    assert "  barriers: 0" in text


def test_plan_json_schema() -> None:
    plan = make_plan(seed(), 2)
    text = plan_json(plan)
    data = json.loads(text)
    assert data["schema"] == SCHEMA
    assert set(data) == {
        "schema", "file", "size", "sync", "policy", "targets", "memrefs", "tasks",
        "edges", "levels", "final", "device_copies", "device_kept", "loops", "carried",
        "estimates", "placement_note", "fused", "totals",
    }  # fmt: skip
    assert data["levels"][1]["transfers"][0] == {
        "src": 1, "dst": 0, "memref": "d", "nbytes": 80, "tag": 0, "level": 1,
        "reason": "task3 (level 1, rank 0) reads %d written by task2 on rank 1",
        "lo": 0, "hi": 20, "whole": True,
    }  # fmt: skip
    assert data["tasks"][2]["write_cases"] == [
        {"memref": "d", "case": "read-write", "reason": "also read: needs current contents"}
    ]
    assert data["totals"] == {
        "tasks": 3, "levels": 2, "transfers": 1, "bytes_moved": 80, "min_bytes": 80, "barriers": 1,
        "device_copies": 3, "device_bytes": 240,
    }  # fmt: skip
    assert text == json.dumps(data, sort_keys=True, indent=2) + "\n"


def test_plan_json_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "plan-json.md").read_text()
    data = json.loads(plan_json(make_plan(seed(), 2)))
    keys = set(data) | set(data["totals"]) | set(data["tasks"][0]) | set(data["levels"][0])
    keys |= set(data["memrefs"][0]) | set(data["targets"][0]) | set(data["edges"][0])
    keys |= set(data["levels"][1]["transfers"][0]) | set(data["tasks"][0]["write_cases"][0])
    keys |= set(data["device_copies"][0])
    chain = json.loads(plan_json(check_example(EXAMPLES / "gpu_chain.mlir", 1)))
    keys |= set(chain["device_kept"][0])
    missing = sorted(k for k in keys if f"`{k}`" not in doc)
    assert missing == []


def test_plan_dot_structure() -> None:
    dot = plan_dot(make_plan(seed(), 2))
    assert dot.startswith("digraph plan {")
    assert 't2 [label="task3\\n%gpu (sm_90)\\nrank 0", fillcolor="#ffffb3"];' in dot
    assert 't0 [label="task1\\n%cpu (x86_64)\\nrank 0", fillcolor="#8dd3c7"];' in dot
    assert 't1 -> t2 [label="WAW %d"];' in dot
    assert dot.count("rank=same;") == 2


def run_dot(text: str) -> subprocess.CompletedProcess[str]:
    dot = shutil.which("dot")
    if dot is None:
        pytest.skip("Graphviz `dot` is not installed")
    return subprocess.run(
        [dot, "-Tsvg"], input=text, capture_output=True, text=True, timeout=60, check=False
    )


def test_dot_accepts_the_drawing() -> None:
    result = run_dot(plan_dot(make_plan(seed(), 2)))
    assert result.returncode == 0, result.stderr
    assert "<svg" in result.stdout and "task3" in result.stdout


def test_dot_accepts_names_that_need_quoting() -> None:
    x = memref("x")
    odd = Task(
        Value("t", TaskType()), CPU, (), (x,), Block((), (full_store(x),)), None, 'say "hi" \\ bye'
    )
    result = run_dot(plan_dot(make_plan(program([x], [odd]), 2)))
    assert result.returncode == 0, result.stderr
    assert "say &quot;hi&quot; \\ bye" in result.stdout


# --------------------------------------------------------------------------
# The examples, once the front end exists


def check_example(path: Path, size: int = 2) -> Plan:
    from avial2c.check.checker import check_program
    from avial2c.diagnostics import DiagnosticEngine
    from avial2c.frontend.parse import parse_program

    engine = DiagnosticEngine()
    checked = check_program(parse_program(path.read_text(), str(path)), engine)
    assert not engine.has_errors, engine.render()
    return make_plan(checked, size)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.mlir")), ids=lambda p: p.name)
def test_every_example_plans(path: Path) -> None:
    plan = check_example(path)
    assert plan.bytes_moved == plan.min_bytes
    assert json.loads(plan_json(plan))["schema"] == SCHEMA
    assert plan_text(plan).startswith("plan of ")
    if path.name.startswith("seed"):
        assert [(t.level, t.rank) for t in plan.tasks] == [(0, 0), (0, 1), (1, 0)]
        # The fourth schedule memref (%d; mlir-opt's spelling names it %arg3).
        d = plan.memrefs[3].name
        assert [(t.src, t.dst, t.memref) for t in plan.transfers] == [(1, 0, d)]


def moves(transfers: tuple[Transfer, ...]) -> list[tuple[int, int, str]]:
    return [(t.src, t.dst, t.memref) for t in transfers]


def cases(plan: Plan) -> dict[tuple[str, str], str]:
    return {(t.name, c.memref): c.case for t in plan.tasks for c in t.write_cases}


def test_example_halfwrite() -> None:
    plan = check_example(EXAMPLES / "halfwrite.mlir")
    assert cases(plan)[("half", "x")] == "partial"
    assert (0, 1, "x") in moves(plan.levels[1].transfers)


def test_example_fanout3() -> None:
    plan = check_example(EXAMPLES / "fanout3.mlir", 3)
    assert moves(plan.levels[1].transfers) == [(0, 1, "m"), (0, 2, "m")]
    assert moves(plan.final) == [(1, 0, "o2"), (2, 0, "o3")]
    assert cases(plan)[("neg", "o3")] == "overwrite"


def test_example_rank3() -> None:
    plan = check_example(EXAMPLES / "rank3.mlir", 4)
    assert (3, 0, "z") in moves(plan.final)


def test_example_pipeline_levels() -> None:
    plan = check_example(EXAMPLES / "pipeline.mlir", 4)
    assert [t.level for t in plan.tasks] == [0, 1, 2, 3, 3, 4, 5]
    ranks = {t.name: t.rank for t in plan.tasks}
    assert (ranks["refill"], ranks["shift"]) == (1, 3)
    assert cases(plan)[("widen", "y")] == "overwrite"  # gpu.global_id over 4 x 8 threads


def test_example_overwrite_patterns() -> None:
    multi = cases(check_example(EXAMPLES / "multiwrite.mlir"))
    assert multi[("table", "lut")] == "overwrite"  # eight constant stores
    assert multi[("spread", "h16")] == "overwrite"  # flattened i * 8 + j
    matmul = cases(check_example(EXAMPLES / "matmul_gpu.mlir"))
    assert matmul[("naive", "C")] == matmul[("tiled", "D")] == "overwrite"
    select = cases(check_example(EXAMPLES / "select_math.mlir"))
    assert select[("math", "m")] == "overwrite"  # one store per column


# --------------------------------------------------------------------------
# Programs checked by the checker (raw seed form built by hand)


def raw_seed(n: int) -> Program:
    """Seed-form program over N elements; task4 stores every element from a terse launch."""
    a, b, c, d = (Value(x, None) for x in "abcd")
    cpu, gpu = Target(Value("cpu", None), "x86_64"), Target(Value("gpu", None), "sm_90")

    def elementwise(out: Value, name: str) -> Block:
        i, x, y, z = (Value(v, None) for v in "ixyz")
        ops = (
            Op("memref.load", (a, i), (x,)),
            Op("memref.load", (b, i), (y,)),
            Op(name, (x, y), (z,)),
            Op("memref.store", (z, out, i)),
        )
        loop = Op("scf.parallel", (Const(0, None), Const(n, None), Const(1, None)))
        return Block((), (Op(loop.name, loop.operands, regions=(Block((i,), ops),)),))

    def terse(ops: list[Op], tid: Value) -> Block:
        thread = Op("gpu.thread_id", (), (tid,), make_attrs(dimension="x"))
        body = Block((), (thread, *ops))
        return Block((), (Op("gpu.launch", (), (), make_attrs(terse=True), (body,)),))

    tid, tid2, x, y, z = (Value(v, None) for v in ("tid", "tid", "x", "y", "z"))
    add = [
        Op("memref.load", (c, tid), (x,)),
        Op("memref.load", (d, tid), (y,)),
        Op("arith.addi", (x, y), (z,)),
        Op("memref.store", (z, d, tid)),
    ]
    fill = [Op("memref.store", (Const(5, None), c, tid2))]
    tasks = (
        Task(Value("task1", None), cpu, (a, b), (c,), elementwise(c, "arith.addi")),
        Task(Value("task2", None), cpu, (a, b), (d,), elementwise(d, "arith.muli")),
        Task(Value("task3", None), gpu, (c, d), (d,), terse(add, tid)),
        Task(Value("task4", None), gpu, (), (c,), terse(fill, tid2), rank=1),
    )
    return Program("raw.mlir", (a, b, c, d), (cpu, gpu), tasks)


@pytest.mark.parametrize("n", [20, 1024, 1025])
def test_checked_terse_launches(n: int) -> None:
    from avial2c.check.checker import check_program
    from avial2c.diagnostics import DiagnosticEngine

    engine = DiagnosticEngine()
    checked = check_program(raw_seed(n), engine)
    assert not engine.has_errors, engine.render()
    plan = make_plan(checked, 2)
    cases = [[c.case for c in t.write_cases] for t in plan.tasks]
    assert cases == [["overwrite"], ["overwrite"], ["read-write"], ["overwrite"]]
    # task4 (level 2, pinned to rank 1) overwrites %c: nothing sent before it
    assert [(t.level, t.rank) for t in plan.tasks] == [(0, 0), (0, 1), (1, 0), (2, 1)]
    assert [(t.src, t.dst, t.memref, t.level) for t in plan.transfers] == [
        (1, 0, "d", 1),
        (1, 0, "c", 3),
    ]
    assert plan.transfers[0].nbytes == 4 * n
