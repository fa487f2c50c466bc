"""Properties of plans of random programs (hypothesis).

A random program has a few memrefs and tasks that read and write random subsets
of them; each written memref is stored either entirely (a parallel nest over
its shape) or at one element.  The plan is then replayed: every rank's copy of
every memref carries the *version* it holds (the task that wrote it, or the
initial contents), and every task must find, on its rank, exactly the version
that running the tasks one after another would give it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from irb import checked

from avial2c.interp.run import interpret
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
    ScalarType,
    Target,
    TargetType,
    Task,
    TaskType,
    Value,
    make_attrs,
)
from avial2c.plan.coverage import overwrites_all
from avial2c.plan.emit import plan_json
from avial2c.plan.plan import Plan, Transfer, make_plan

SHAPES = ((), (1,), (4,), (2, 3), (3, 2, 2))
CPU = Target(Value("cpu", TargetType()), "x86_64")
INITIAL = -1  # the version of a memref before any task wrote it


@dataclass(frozen=True)
class Spec:
    """A generated program and what is true of it by construction."""

    program: CheckedProgram
    full: frozenset[tuple[int, str]]  # (task, memref): the body stores every element


def idx(n: int) -> Const:
    return Const(n, INDEX)


def full_store(m: Value, shape: tuple[int, ...]) -> Op:
    value = Const(1, I32)
    if not shape:
        return Op("memref.store", (value, m))
    ivs = tuple(Value(f"i{k}", INDEX) for k in range(len(shape)))
    bounds = [idx(0)] * len(shape) + [idx(d) for d in shape] + [idx(1)] * len(shape)
    body = Block(ivs, (Op("memref.store", (value, m, *ivs)),))
    return Op("scf.parallel", tuple(bounds), regions=(body,))


def one_store(m: Value, shape: tuple[int, ...]) -> Op:
    return Op("memref.store", (Const(1, I32), m, *[idx(0)] * len(shape)))


def load(m: Value, shape: tuple[int, ...]) -> Op:
    return Op("memref.load", (m, *[idx(0)] * len(shape)), (Value("x", I32),))


@st.composite
def programs(draw: st.DrawFn) -> Spec:
    shapes = draw(st.lists(st.sampled_from(SHAPES), min_size=1, max_size=5))
    memrefs = [Value(f"m{k}", MemRefType(s, I32)) for k, s in enumerate(shapes)]
    shape_of = dict(zip(memrefs, shapes, strict=True))
    tasks: list[Task] = []
    full: set[tuple[int, str]] = set()
    for k in range(draw(st.integers(0, 12))):
        reads = draw(st.lists(st.sampled_from(memrefs), unique=True, max_size=3))
        writes = draw(st.lists(st.sampled_from(memrefs), unique=True, min_size=1, max_size=2))
        ops = [load(m, shape_of[m]) for m in reads]
        for m in writes:
            entire = draw(st.booleans())
            ops.append((full_store if entire else one_store)(m, shape_of[m]))
            if entire or MemRefType(shape_of[m], I32).numel == 1:
                full.add((k, m.name))
        rank = draw(st.one_of(st.none(), st.integers(0, 6)))
        body = Block((), tuple(ops))
        tasks.append(Task(Value(f"t{k}", TaskType()), CPU, tuple(reads), tuple(writes), body, rank))
    prog = checked(Program("random.mlir", tuple(memrefs), (CPU,), tuple(tasks)))
    return Spec(prog, frozenset(full))


sizes = st.integers(1, 5)
syncs = st.sampled_from(("barrier", "p2p"))


def hazard(a: Task, b: Task) -> bool:
    """Whether two tasks conflict on some memref (RAW, WAR or WAW)."""
    wa, wb = set(a.writes), set(b.writes)
    return bool(wa & set(b.reads) or wb & set(a.reads) or wa & wb)


def needs(spec: Spec, k: int) -> list[str]:
    """What task K needs current contents of, by construction."""
    task = spec.program.tasks[k]
    partial = [m.name for m in task.writes if (k, m.name) not in spec.full]
    return [m.name for m in task.reads] + partial


def sequential_versions(spec: Spec) -> list[dict[str, int]]:
    """For each task, the version of each memref it needs, run in program order."""
    current = {m.name: INITIAL for m in spec.program.memrefs}
    seen = []
    for k, task in enumerate(spec.program.tasks):
        seen.append({m: current[m] for m in needs(spec, k)})
        current.update({m.name: k for m in task.writes})
    return seen


class Replay:
    """Every rank's copy of every memref: its version, or None when stale."""

    def __init__(self, plan: Plan, spec: Spec) -> None:
        names = [m.name for m in spec.program.memrefs]
        self.copies = [dict.fromkeys(names, INITIAL) for _ in range(plan.size)]
        self.latest = dict.fromkeys(names, INITIAL)

    def valid(self, rank: int, m: str) -> bool:
        return self.copies[rank][m] == self.latest[m]

    def move(self, t: Transfer) -> None:
        assert self.valid(t.src, t.memref), f"{t} sends a stale copy"
        assert not self.valid(t.dst, t.memref), f"{t} sends to a rank that holds it"
        self.copies[t.dst][t.memref] = self.copies[t.src][t.memref]

    def write(self, rank: int, m: str, version: int) -> None:
        self.copies[rank][m] = version
        self.latest[m] = version


def replay(plan: Plan, spec: Spec) -> Replay:
    expected = sequential_versions(spec)
    state = Replay(plan, spec)
    for level in plan.levels:
        assert all(t.level == level.index for t in level.transfers)
        for t in level.transfers:
            state.move(t)
        for k in level.tasks:
            rank = plan.tasks[k].rank
            for m, version in expected[k].items():
                assert state.copies[rank][m] == version, (k, m, rank)
        for k in level.tasks:
            for m in spec.program.tasks[k].writes:
                state.write(plan.tasks[k].rank, m.name, k)
    for t in plan.final:
        state.move(t)
    return state


@settings(max_examples=150, deadline=None)
@given(programs(), sizes, syncs)
def test_edges_go_to_higher_levels(spec: Spec, size: int, sync: str) -> None:
    plan = make_plan(spec.program, size, sync)
    for e in plan.edges:
        assert e.src < e.dst
        assert plan.tasks[e.src].level < plan.tasks[e.dst].level


@settings(max_examples=150, deadline=None)
@given(programs(), sizes)
def test_tasks_of_a_level_are_independent(spec: Spec, size: int) -> None:
    plan = make_plan(spec.program, size)
    tasks = spec.program.tasks
    for level in plan.levels:
        for a in level.tasks:
            for b in level.tasks:
                assert a == b or not hazard(tasks[a], tasks[b])


@settings(max_examples=150, deadline=None)
@given(programs(), sizes)
def test_every_hazard_is_ordered_by_levels(spec: Spec, size: int) -> None:
    plan = make_plan(spec.program, size)
    tasks = spec.program.tasks
    for b in range(len(tasks)):
        for a in range(b):
            if hazard(tasks[a], tasks[b]):
                assert plan.tasks[a].level < plan.tasks[b].level


@settings(max_examples=200, deadline=None)
@given(programs(), sizes, syncs)
def test_replayed_transfers_give_sequential_results(spec: Spec, size: int, sync: str) -> None:
    plan = make_plan(spec.program, size, sync)
    state = replay(plan, spec)
    written = {m.name for t in spec.program.tasks for m in t.writes}
    for m in written:
        assert state.valid(0, m), f"%{m} is not on rank 0 at the end"


@settings(max_examples=150, deadline=None)
@given(programs(), sizes)
def test_overwrite_detected_exactly_where_constructed(spec: Spec, size: int) -> None:
    plan = make_plan(spec.program, size)
    for t in plan.tasks:
        for c in t.write_cases:
            if c.case != "read-write":
                assert (c.case == "overwrite") == ((t.index, c.memref) in spec.full)


@settings(max_examples=150, deadline=None)
@given(programs(), sizes, syncs)
def test_placement_tags_and_totals(spec: Spec, size: int, sync: str) -> None:
    plan = make_plan(spec.program, size, sync)
    assert all(0 <= t.rank < size for t in plan.tasks)
    for t in plan.tasks:
        expected = spec.program.tasks[t.index].rank
        if expected is not None:
            assert t.rank == expected % size
    phases = [level.transfers for level in plan.levels] + [plan.final]
    for phase in phases:
        tags = [t.tag for t in phase]
        assert len(set(tags)) == len(tags)
        assert all(t.src != t.dst for t in phase)
    assert plan.bytes_moved == plan.min_bytes
    # --sync barrier: a barrier after each level but where messages order the
    # next one (tests/plan/test_barriers.py); always after the last.
    assert all(level.barrier == (sync == "barrier" and level.ordered is None)
               for level in plan.levels)  # fmt: skip
    assert not plan.levels or plan.levels[-1].barrier == (sync == "barrier")
    if size == 1:
        assert plan.transfers == ()


@settings(max_examples=50, deadline=None)
@given(programs(), sizes, syncs)
def test_plan_is_a_pure_function(spec: Spec, size: int, sync: str) -> None:
    first, second = make_plan(spec.program, size, sync), make_plan(spec.program, size, sync)
    assert first == second
    assert plan_json(first) == plan_json(second)


# --------------------------------------------------------------------------
# Soundness of overwrites_all against the reference interpreter
#
# A random body writes %m (loop nests with full, short or shifted ranges,
# guards, constant stores) and accumulates every value it loads from %m into
# %o.  When overwrites_all says the body overwrites %m, running it on two
# different initial contents of %m must give the same %m and %o.

M_SHAPES = ((6,), (2, 3))
# per dimension of extent D: (lo, hi, offset) of a loop and its index iv + offset
RANGES = ("full", "full", "shifted_full", "shifted_full", "short_lo", "short_hi", "shifted_short")


def dim_range(kind: str, d: int) -> tuple[int, int, int]:
    return {
        "full": (0, d, 0),
        "short_lo": (1, d, 0),
        "short_hi": (0, d - 1, 0),
        "shifted_full": (1, d + 1, -1),
        "shifted_short": (0, d - 1, 1),
    }[kind]


class BodyBuilder:
    def __init__(self, m: Value, o: Value, shape: tuple[int, ...]) -> None:
        self.m, self.o, self.shape = m, o, shape
        self.slot = 0  # next element of %o that receives a load
        self.count = 0

    def fresh(self, prefix: str, t: ScalarType = INDEX) -> Value:
        self.count += 1
        return Value(f"{prefix}{self.count}", t)

    def observe(self, indices: list[Operand]) -> list[Op]:
        """o[slot] += m[indices]"""
        x, old, new = (self.fresh(p, I32) for p in ("x", "old", "new"))
        slot = idx(self.slot % 16)
        self.slot += 1
        return [
            Op("memref.load", (self.m, *indices), (x,)),
            Op("memref.load", (self.o, slot), (old,)),
            Op("arith.addi", (old, x), (new,)),
            Op("memref.store", (new, self.o, slot)),
        ]

    def store(self, indices: list[Operand]) -> Op:
        return Op("memref.store", (Const(9, I32), self.m, *indices))

    def shifted(self, iv: Value, offset: int) -> tuple[list[Op], Operand]:
        if offset == 0:
            return [], iv
        v = self.fresh("s")
        if offset > 0:
            return [Op("arith.addi", (iv, idx(offset)), (v,))], v
        return [Op("arith.subi", (iv, idx(-offset)), (v,))], v


@st.composite
def nests(draw: st.DrawFn, b: BodyBuilder) -> list[Op]:
    ranges = [dim_range(draw(st.sampled_from(RANGES)), d) for d in b.shape]
    order = draw(st.permutations(list(range(len(b.shape)))))
    ivs = [b.fresh("i") for _ in b.shape]
    prelude: list[Op] = []
    indices: list[Operand] = [idx(0)] * len(b.shape)
    for loop_dim, iv in zip(order, ivs, strict=True):
        ops, index = b.shifted(iv, ranges[loop_dim][2])
        prelude += ops
        indices[loop_dim] = index
    inner: list[Op] = list(prelude)
    if draw(st.booleans()):
        inner += b.observe(indices if draw(st.booleans()) else [idx(0)] * len(b.shape))
    store_op = b.store(indices)
    if draw(st.booleans()):
        cond = b.fresh("c", I1)
        bound = draw(st.integers(1, 3))
        inner.append(Op("arith.cmpi", (ivs[0], idx(bound)), (cond,), make_attrs(predicate="sge")))
        inner.append(Op("scf.if", (cond,), regions=(Block((), (store_op,)), Block((), ()))))
    else:
        inner.append(store_op)
    if draw(st.booleans()):
        inner += b.observe(
            indices if draw(st.booleans()) else [idx(1)] + [idx(0)] * (len(b.shape) - 1)
        )
    bounds = [ranges[dim][:2] for dim in order]
    if draw(st.booleans()):
        operands = (
            [idx(lo) for lo, _ in bounds] + [idx(hi) for _, hi in bounds] + [idx(1)] * len(ivs)
        )
        return [Op("scf.parallel", tuple(operands), regions=(Block(tuple(ivs), tuple(inner)),))]
    ops = inner
    for iv, (lo, hi) in reversed(list(zip(ivs, bounds, strict=True))):
        loop = Op("scf.for", (idx(lo), idx(hi), idx(1)), regions=(Block((iv,), tuple(ops)),))
        ops = [loop]
    return ops


@st.composite
def constant_stores(draw: st.DrawFn, b: BodyBuilder) -> list[Op]:
    points = list(itertools.product(*(range(d) for d in b.shape)))
    chosen = draw(st.lists(st.sampled_from(points), min_size=1, unique=True))
    return [b.store([idx(k) for k in p]) for p in chosen]


@st.composite
def bodies(draw: st.DrawFn) -> tuple[Task, CheckedProgram]:
    shape = draw(st.sampled_from(M_SHAPES))
    m, o = Value("m", MemRefType(shape, I32)), Value("o", MemRefType((16,), I32))
    b = BodyBuilder(m, o, shape)
    ops: list[Op] = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(("nest", "nest", "constants", "load")))
        if kind == "nest":
            ops += draw(nests(b))
        elif kind == "constants":
            ops += draw(constant_stores(b))
        else:
            ops += b.observe([idx(draw(st.integers(0, d - 1))) for d in shape])
    t = Task(Value("t", TaskType()), CPU, (o,), (m, o), Block((), tuple(ops)))
    return t, checked(Program("body.mlir", (m, o), (CPU,), (t,)))


@settings(max_examples=300, deadline=None)
@given(bodies())
def test_overwrites_all_is_sound(case: tuple[Task, CheckedProgram]) -> None:
    task, prog = case
    m = task.writes[0]
    if not overwrites_all(task, m):
        return
    shape = shape_of(m)
    first = interpret(prog, {"m": np.full(shape, 1, dtype=np.int32)})
    second = interpret(prog, {"m": np.full(shape, 1000, dtype=np.int32)})
    assert np.array_equal(first["m"], second["m"])
    assert np.array_equal(first["o"], second["o"])


def shape_of(m: Value) -> tuple[int, ...]:
    assert isinstance(m.type, MemRefType)
    return m.type.shape
