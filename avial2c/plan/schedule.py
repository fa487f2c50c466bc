"""The part of the plan that holds for every number of ranks.

``make_schedule(program, sync)`` is a pure function of its arguments.  It
gives what the code generator consumes: dependences, levels, placement
slots (task k of a level runs on rank ``slot % size``), what each task needs
on its rank, and, level by level, the *fetches*: each memref a task needs,
in the order in which every rank asks the owner table for it
(:mod:`avial2c.plan.owners`, and its C twin ``runtime_c/av_owners.c``).
:func:`avial2c.plan.plan.make_plan` replays the fetches for one number of
ranks to get the transfers.

* **Edges.** Only the nearest hazards are kept, one edge per
  (src, dst, kind, memref): RAW from the last writer of a memref the task
  reads, WAW from the last writer of a memref it writes, WAR from every task
  that read that memref since its last write.  Every other hazard follows from
  these by transitivity.
* **Levels.** level = 0 without predecessors, else 1 + the highest level of
  the predecessors; edges always go forward in program order, so one pass in
  program order computes them.
* **Placement** (``roundrobin``). The k-th task of a level (program order,
  counting every task of the level) gets slot k; a task with ``{rank = N}``
  slot N.  It runs on rank ``slot % size``.
* **Fetches.** Before level L, every memref a task of L needs (each one it
  reads, and each one it writes unless the body overwrites every element)
  and that some earlier task wrote is fetched to the task's slot; at the end
  every written memref is fetched to slot 0.  A fetch is a no-op for every
  number of ranks when its slot is one of the memref's *holders*: the last
  writer's slot and the slots it was fetched to since.  Such a fetch stays
  in the schedule (the generated C says why nothing moves) with ``noop``
  set.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from avial2c.check.split import CannotSplit, RowSplit, int_const, row_split
from avial2c.ir import CheckedProgram, Item, Loop, Task, Value, is_gpu_arch, walk_ops
from avial2c.machine import Machine
from avial2c.plan.cost import Work, task_work
from avial2c.plan.coverage import OVERWRITES, PARTIAL, overwrites_all
from avial2c.plan.heft import heft_ranks

SYNC_MODES = ("barrier", "p2p")
PLACEMENTS = ("roundrobin", "heft")
SPLIT_MODES = ("declared", "auto", "none")
# --split auto splits the tasks that can be split and have at least this many iterations.
AUTO_SPLIT_ITERATIONS = 65536
POLICY = "roundrobin"
HAZARDS = ("RAW", "WAR", "WAW")

# How a task treats a memref it writes (TaskInfo.write_cases).
CASE_READ = "read-write"  # it also reads it: needs current contents
CASE_OVERWRITE = "overwrite"  # the body stores every element first
CASE_PARTIAL = "partial"  # a partial write: needs current contents
CASE_REASONS = {
    CASE_READ: "also read: needs current contents",
    CASE_OVERWRITE: OVERWRITES,
    CASE_PARTIAL: PARTIAL,
}


@dataclass(frozen=True)
class Edge:
    src: int  # task indices in program order, src < dst
    dst: int
    kind: str  # "RAW" | "WAR" | "WAW"
    memref: str  # name without '%'


@dataclass(frozen=True)
class TargetInfo:
    name: str  # SSA name, without '%'
    arch: str
    gpu: bool


@dataclass(frozen=True)
class MemrefInfo:
    name: str
    type: str  # "memref<20xi32>"
    shape: tuple[int, ...]
    elem: str
    nbytes: int
    written: bool  # some task writes it: an output

    @property
    def rows(self) -> int:
        """Rows (dimension 0) for ownership; a 0-d memref has one."""
        return self.shape[0] if self.shape else 1

    @property
    def row_bytes(self) -> int:
        return self.nbytes // max(self.rows, 1) if self.rows else 0


@dataclass(frozen=True)
class WriteCase:
    memref: str
    case: str  # CASE_READ | CASE_OVERWRITE | CASE_PARTIAL
    reason: str

    @property
    def needs_contents(self) -> bool:
        return self.case != CASE_OVERWRITE


@dataclass(frozen=True)
class TaskInfo:
    """A task's facts that hold for every number of ranks."""

    index: int  # position in program order
    name: str  # display name (the SSA name unless {name = "..."})
    value: str  # SSA name of the task, without '%'
    target: str  # SSA name of its target, without '%'
    arch: str
    gpu: bool
    level: int
    slot: int  # k within its level, or N of {rank = N}; rank = slot % size
    pinned: bool
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    needs: tuple[str, ...]  # must be valid on its rank before it runs
    write_cases: tuple[WriteCase, ...]  # one per written memref
    touched: tuple[str, ...] = ()  # the declared memrefs its body names, stored ones first
    split: RowSplit | None = None  # split by rows: every rank runs its block of rows
    loops: tuple[int, ...] = ()  # the loops around it, outer first (LoopInfo.index)
    ivs: tuple[int, ...] = ()  # the loops whose induction variable its body uses, outer first
    work: Work = field(default_factory=Work)  # its operations, for the cost model (plan/cost.py)

    def row_need(self, m: str) -> RowNeed:
        """A split task: the rows of M a rank's block needs (what it reads: the
        block and its halo; what it writes in part: the block)."""
        assert self.split is not None
        read = self.split.read(m)
        if read is not None and m in self.reads:
            return RowNeed(self.split.lo, self.split.hi, read.before, read.after - 1, read.whole)
        return RowNeed(self.split.lo, self.split.hi, 0, 0, False)


@dataclass(frozen=True)
class Fetch:
    """Memref ``memref`` must be valid on the rank of ``slot``."""

    memref: str
    slot: int  # placement slot of the rank that needs it (0 for the final gathering)
    task: int | None  # the task that needs it; None: the final gathering
    writer: int  # the task that last wrote it
    reads: bool  # the task reads it (else it writes part of it)
    noop: str | None  # why it moves nothing for any number of ranks, or None
    # A split task's fetch: every rank with rows asks for its block of rows
    # [lo, hi) widened by `before`/`after` (clipped to the memref), or for
    # every row when `whole`.  None: the slot's rank asks for every row.
    split: RowNeed | None = None


@dataclass(frozen=True)
class RowNeed:
    lo: int  # the split task's rows [lo, hi)
    hi: int
    before: int  # <= 0
    after: int  # >= 0, rows past the block
    whole: bool

    def rows(self, block: tuple[int, int], nrows: int) -> tuple[int, int]:
        """The rows a rank whose block is BLOCK needs, of a memref of NROWS rows."""
        if self.whole:
            return 0, nrows
        return max(block[0] + self.before, 0), min(block[1] + self.after, nrows)


@dataclass(frozen=True)
class LoopInfo:
    """A time loop of the schedule: its body's levels run once per iteration."""

    index: int  # loops in program order, outer ones before the loops they hold
    iv: str  # SSA name of the induction variable, without '%'
    lb: int
    ub: int
    step: int
    trips: int
    first: int  # its body is levels [first, end) (nested loops included)
    end: int
    parent: int | None  # the loop around it, if any
    # The fixed point at the loop head: for each memref some task wrote before
    # or in the loop, the slots sure to hold its current contents at the start
    # of every iteration (the same transfers are then right in each one).
    head: tuple[tuple[str, tuple[int, ...]], ...] = ()


@dataclass(frozen=True)
class LoopStep:
    """In :attr:`Schedule.order`: loop ``loop`` runs ``body`` once per iteration."""

    loop: int
    body: tuple[int | LoopStep, ...]


@dataclass(frozen=True)
class StepLevel:
    index: int
    tasks: tuple[int, ...]  # task indices, program order
    fetches: tuple[Fetch, ...]  # asked for before the level runs, in this order
    barrier: bool  # MPI_Barrier after the level
    # --sync barrier without the barrier: why the next level's messages already
    # keep its ranks from starting before this level's ranks are done.
    ordered: str | None = None


@dataclass(frozen=True)
class Schedule:
    file: str
    sync: str
    policy: str
    targets: tuple[TargetInfo, ...]  # program order
    memrefs: tuple[MemrefInfo, ...]
    tasks: tuple[TaskInfo, ...]
    edges: tuple[Edge, ...]
    levels: tuple[StepLevel, ...]
    final: tuple[Fetch, ...]  # every written memref to slot 0, after the last level
    split_mode: str = "declared"
    notes: tuple[tuple[int, str], ...] = ()  # (task index, why it was not split) for --split auto
    loops: tuple[LoopInfo, ...] = ()  # the time loops, in program order
    # What main() runs, in order: level indices, and loops around levels.
    order: tuple[int | LoopStep, ...] = ()
    carried: tuple[Edge, ...] = ()  # loop-carried dependences (src after dst in program order)
    size: int | None = None  # --placement heft: the only world size it is placed for
    machine: str | None = None  # --placement heft: where the machine came from (a file, or defaults)
    placement_note: str | None = None  # why the placement is what it is, when that needs saying
    fused: tuple[str, ...] = ()  # --fuse: what was fused and why (CheckedProgram.transformed)


def make_schedule(
    program: CheckedProgram,
    sync: str = "barrier",
    split: str = "declared",
    placement: str = POLICY,
    machine: Machine | None = None,
    ranks: Sequence[int] | None = None,
    split_tasks: frozenset[int] | None = None,
) -> Schedule:
    """The plan of PROGRAM (checked) for sync mode SYNC and split mode SPLIT
    (which tasks are split by rows): for every number of ranks with
    ``roundrobin`` placement, for MACHINE's ranks only with ``heft`` (with
    RANKS: task k on RANKS[k], unless it is pinned or split; with SPLIT_TASKS,
    under ``--split auto``: exactly those of the tasks that may be split,
    whatever their size, besides the declared ones)."""
    if placement not in PLACEMENTS:
        raise ValueError(f"unknown placement {placement!r} (expected one of {', '.join(PLACEMENTS)})")
    if placement == "heft" and machine is None:
        raise ValueError("--placement heft needs the machine (its number of ranks)")
    if sync not in SYNC_MODES:
        raise ValueError(f"unknown sync mode {sync!r} (expected one of {', '.join(SYNC_MODES)})")
    if split not in SPLIT_MODES:
        raise ValueError(f"unknown split mode {split!r} (expected one of {', '.join(SPLIT_MODES)})")
    index = {t: k for k, t in enumerate(program.tasks)}
    if program.has_loops:
        edges, carried = loop_dependences(program.items, index)
    else:
        edges, carried = dependences(program.tasks), ()
    shape = Structure(program.items, index, edges)
    levels = shape.levels
    slots = placement_slots(program.tasks, levels)
    splits, notes = split_decisions(program.tasks, split, split_tasks)
    tasks = tuple(
        task_info(k, t, levels[k], slots[k], splits[k], shape.enclosing[k], shape.ivs_used(t))
        for k, t in enumerate(program.tasks)
    )
    memrefs = memref_infos(program)
    if placement == "heft" and ranks is not None:
        tasks = tuple(
            t if t.pinned or t.split is not None else replace(t, slot=ranks[k])
            for k, t in enumerate(tasks)
        )
    elif placement == "heft":
        assert machine is not None
        ranks = heft_ranks(
            program.tasks,
            [t.needs for t in tasks],
            [t.writes for t in tasks],
            [t.split is not None for t in tasks],
            levels,
            [(e.src, e.dst, e.kind, e.memref) for e in edges],
            {m.name: m.nbytes for m in memrefs},
            machine,
            # HEFT's own timeline assumes a barrier after every level under
            # --sync barrier (needed_barriers drops some later); the plan's
            # clock, which refines this choice, follows each level's decision.
            sync == "barrier",
        )
        tasks = tuple(
            t if t.pinned or ranks[k] < 0 else replace(t, slot=ranks[k])
            for k, t in enumerate(tasks)
        )
    holders = Holders(tasks)
    groups = level_groups(levels)
    fetches = holders.run(shape.order, groups, shape.loops)
    steps = tuple(
        StepLevel(n, group, fetches[n], sync == "barrier") for n, group in enumerate(groups)
    )
    if sync == "barrier":
        steps = needed_barriers(steps, tasks, shape.order)
    loops = tuple(replace(lp, head=holders.heads.get(lp.index, ())) for lp in shape.loops)
    return Schedule(
        program.file,
        sync,
        placement,
        tuple(TargetInfo(t.value.name, t.arch, is_gpu_arch(t.arch)) for t in program.targets),
        memrefs,
        tasks,
        edges,
        steps,
        holders.gather([m.name for m in memrefs]),
        split,
        tuple(notes),
        loops,
        shape.order,
        carried,
        machine.size if placement == "heft" and machine is not None else None,
        machine.source if placement == "heft" and machine is not None else None,
        None,
        program.transformed,
    )


def needed_barriers(
    steps: tuple[StepLevel, ...], tasks: Sequence[TaskInfo], order: Sequence[int | LoopStep]
) -> tuple[StepLevel, ...]:
    """--sync barrier: STEPS without the barriers that messages make redundant.

    The barrier after level n keeps every rank from starting the tasks of the
    level that follows before every rank has finished level n.  When level m
    always follows n (both in one straight run of levels: no loop starts or
    ends between them) and, for every task t of n and t2 of m, t and t2 share
    a placement slot (one rank, for any number of ranks) or t2 needs a memref
    t wrote (so a rank running t2 receives a message that the rank of t posts
    only after finishing level n), then every rank with work in m waits for
    every rank with work in n anyway, for any number of ranks: the barrier
    is dropped.  A level with a split task keeps it (its blocks' ranks need
    not all send), as does the last level, the ends of loop bodies and the
    levels before a loop."""
    pairs: list[tuple[int, int]] = []

    def walk(seq: Sequence[int | LoopStep]) -> None:
        before: int | None = None
        for step in seq:
            if isinstance(step, LoopStep):
                walk(step.body)
                before = None
                continue
            if before is not None:
                pairs.append((before, step))
            before = step

    walk(order or range(len(steps)))
    out = list(steps)
    for n, m in pairs:
        why = ordered_by_messages(steps[n], steps[m], tasks)
        if why is not None:
            out[n] = replace(steps[n], barrier=False, ordered=why)
    return tuple(out)


def ordered_by_messages(
    level: StepLevel, after: StepLevel, tasks: Sequence[TaskInfo]
) -> str | None:
    """Why AFTER's ranks cannot start before LEVEL's ranks finish, for any
    number of ranks, or None when that is not sure (needed_barriers)."""
    first = [tasks[k] for k in level.tasks]
    if not first or not after.tasks or any(t.split is not None for t in first):
        return None
    # (writer, ("task", k)): every rank with rows of split task k receives
    # from the writer's rank; (writer, ("slot", s)): the rank of slot s does.
    received = {
        (f.writer, ("task", f.task) if f.split is not None else ("slot", f.slot))
        for f in after.fetches
        if f.task is not None
    }
    for t2 in (tasks[k] for k in after.tasks):
        for t in first:
            if t2.split is not None:
                if (t.index, ("task", t2.index)) not in received:
                    return None
            elif t.slot != t2.slot and (t.index, ("slot", t2.slot)) not in received:
                return None
    return (
        f"each task of level {after.index} shares a rank with, or receives a memref from, "
        f"each task of level {level.index}, so the messages order the two levels"
    )


def split_decisions(
    tasks: Sequence[Task], mode: str, chosen: frozenset[int] | None = None
) -> tuple[list[RowSplit | None], list[tuple[int, str]]]:
    """Which tasks are split by rows (the checker made sure declared ones can be);
    CHOSEN, under ``auto``, replaces the size rule for the undeclared ones."""
    splits: list[RowSplit | None] = []
    notes: list[tuple[int, str]] = []
    for k, task in enumerate(tasks):
        wanted = mode != "none" and (task.split is not None or mode == "auto")
        if not wanted or task.rank is not None:
            splits.append(None)
            continue
        try:
            found: RowSplit | None = row_split(task)
        except CannotSplit as e:
            if task.split is not None:
                raise
            found = None
            if mode == "auto" and task_iterations(task) >= AUTO_SPLIT_ITERATIONS:
                notes.append((k, e.message))
        small = found is not None and found.iterations < AUTO_SPLIT_ITERATIONS
        if task.split is None and (k not in chosen if chosen is not None else small):
            found = None
        splits.append(found)
    return splits, notes


def splittable_tasks(tasks: Sequence[Task]) -> list[int]:
    """The tasks ``--split auto`` may split: unpinned, undeclared, that can be."""
    out = []
    for k, task in enumerate(tasks):
        if task.rank is not None or task.split is not None:
            continue
        try:
            row_split(task)
        except CannotSplit:
            continue
        out.append(k)
    return out


def task_iterations(task: Task) -> int:
    """Iterations of the task's top-level scf.parallel loops with constant bounds."""
    total = 0
    for op in task.body.ops:
        if op.name != "scf.parallel":
            continue
        n = len(op.regions[0].args)
        bounds = [int_const(x) for x in op.operands[: 3 * n]]
        count = 1
        for lb, ub, step in zip(bounds[:n], bounds[n : 2 * n], bounds[2 * n :], strict=True):
            if lb is None or ub is None or step is None or step <= 0:
                count = 0
                break
            count *= max(0, -(-(ub - lb) // step))
        total += count
    return total


# --------------------------------------------------------------------------
# DAG and levels


def dependences(tasks: Sequence[Task]) -> tuple[Edge, ...]:
    """Nearest RAW/WAR/WAW edges, sorted by (src, dst, kind, memref)."""
    last_writer: dict[str, int] = {}
    readers: dict[str, list[int]] = {}
    found: set[Edge] = set()
    for k, task in enumerate(tasks):
        for m in names(task.reads):
            if m in last_writer:
                found.add(Edge(last_writer[m], k, "RAW", m))
        for m in names(task.writes):
            found.update(Edge(r, k, "WAR", m) for r in readers.get(m, ()) if r != k)
            if m in last_writer:
                found.add(Edge(last_writer[m], k, "WAW", m))
        for m in names(task.reads):
            readers.setdefault(m, []).append(k)
        for m in names(task.writes):
            last_writer[m] = k
            readers[m] = []
    return tuple(sorted(found, key=lambda e: (e.src, e.dst, HAZARDS.index(e.kind), e.memref)))


def task_levels(n: int, edges: Iterable[Edge]) -> list[int]:
    """Level of each of N tasks; iterative, edges go forward in program order."""
    preds: list[list[int]] = [[] for _ in range(n)]
    for e in edges:
        preds[e.dst].append(e.src)
    levels: list[int] = []
    for k in range(n):
        levels.append(1 + max((levels[p] for p in preds[k]), default=-1))
    return levels


def level_groups(levels: Sequence[int]) -> list[tuple[int, ...]]:
    groups: list[list[int]] = [[] for _ in range(max(levels, default=-1) + 1)]
    for k, level in enumerate(levels):
        groups[level].append(k)
    return [tuple(g) for g in groups]


def placement_slots(tasks: Sequence[Task], levels: Sequence[int]) -> list[int]:
    """roundrobin: k for the k-th task of its level, N for {rank = N}."""
    seen: dict[int, int] = {}
    slots: list[int] = []
    for task, level in zip(tasks, levels, strict=True):
        k = seen.get(level, 0)
        seen[level] = k + 1
        slots.append(task.rank if task.rank is not None else k)
    return slots


def sort_edges(edges: Iterable[Edge]) -> tuple[Edge, ...]:
    return tuple(sorted(edges, key=lambda e: (e.src, e.dst, HAZARDS.index(e.kind), e.memref)))


class DependenceWalk:
    """Nearest hazards along the sequential run of a schedule with loops.

    Each loop body is walked twice: the first walk finds the edges into and
    within one iteration, the second (starting from the state after the
    first) the edges from one iteration into the next, whose source comes
    after their destination in program order.  A loop that never runs
    leaves the state as it found it.
    """

    def __init__(self, index: dict[Task, int]) -> None:
        self.index = index
        self.last_writer: dict[str, int] = {}
        self.readers: dict[str, list[int]] = {}
        self.found: set[Edge] = set()

    def items(self, items: Sequence[Item]) -> None:
        for item in items:
            if isinstance(item, Loop):
                self.loop(item)
            else:
                self.task(item)

    def loop(self, loop: Loop) -> None:
        saved = (dict(self.last_writer), {m: list(r) for m, r in self.readers.items()})
        self.items(loop.body)
        self.items(loop.body)
        if loop.trips == 0:
            self.last_writer, self.readers = saved

    def task(self, task: Task) -> None:
        k = self.index[task]
        for m in names(task.reads):
            if m in self.last_writer:
                self.found.add(Edge(self.last_writer[m], k, "RAW", m))
        for m in names(task.writes):
            self.found.update(Edge(r, k, "WAR", m) for r in self.readers.get(m, ()) if r != k)
            if m in self.last_writer:
                self.found.add(Edge(self.last_writer[m], k, "WAW", m))
        for m in names(task.reads):
            if k not in self.readers.setdefault(m, []):
                self.readers[m].append(k)
        for m in names(task.writes):
            self.last_writer[m] = k
            self.readers[m] = []


def loop_dependences(
    items: Sequence[Item], index: dict[Task, int]
) -> tuple[tuple[Edge, ...], tuple[Edge, ...]]:
    """Nearest RAW/WAR/WAW edges of a schedule with loops: those that go forward
    in program order, and the loop-carried ones (from a task to an earlier one,
    in the next iteration); a task's hazards on itself are left out."""
    walk = DependenceWalk(index)
    walk.items(items)
    edges = [e for e in walk.found if e.src != e.dst]
    return (
        sort_edges(e for e in edges if e.src < e.dst),
        sort_edges(e for e in edges if e.src > e.dst),
    )


class Structure:
    """Levels and loops of a schedule region.

    Levels never cross a loop boundary: each maximal run of tasks between
    loops (at any depth) is levelled on its own, from the edges inside it, and
    runs are numbered in program order, so a loop's body is a contiguous
    range of levels.  Without loops this is :func:`task_levels`.
    """

    def __init__(
        self, items: Sequence[Item], index: dict[Task, int], edges: Sequence[Edge]
    ) -> None:
        self.index = index
        self.preds: dict[int, list[int]] = {}
        for e in edges:
            self.preds.setdefault(e.dst, []).append(e.src)
        self.levels = [0] * len(index)
        self.enclosing: list[tuple[int, ...]] = [()] * len(index)
        self.loops: list[LoopInfo] = []
        self.iv_loops: dict[Value, int] = {}
        self.next_level = 0
        self.order = self.region(items, (), None)

    def region(
        self, items: Sequence[Item], around: tuple[int, ...], parent: int | None
    ) -> tuple[int | LoopStep, ...]:
        order: list[int | LoopStep] = []
        run: list[int] = []
        for item in (*items, None):
            if isinstance(item, Task):
                run.append(self.index[item])
                self.enclosing[self.index[item]] = around
                continue
            order += self.level_run(run)
            run = []
            if isinstance(item, Loop):
                order.append(self.loop(item, around, parent))
        return tuple(order)

    def level_run(self, run: Sequence[int]) -> list[int]:
        if not run:
            return []
        inside = set(run)
        local: dict[int, int] = {}
        for k in run:
            local[k] = 1 + max((local[p] for p in self.preds.get(k, ()) if p in inside), default=-1)
        base = self.next_level
        for k in run:
            self.levels[k] = base + local[k]
        count = 1 + max(local.values())
        self.next_level += count
        return list(range(base, base + count))

    def loop(self, loop: Loop, around: tuple[int, ...], parent: int | None) -> LoopStep:
        n = len(self.loops)
        self.iv_loops[loop.iv] = n
        first = self.next_level
        self.loops.append(LoopInfo(n, loop.iv.name, loop.lb, loop.ub, loop.step, loop.trips,
                                   first, first, parent))  # fmt: skip
        body = self.region(loop.body, (*around, n), n)
        self.loops[n] = replace(self.loops[n], end=self.next_level)
        return LoopStep(n, body)

    def ivs_used(self, task: Task) -> tuple[int, ...]:
        used = {x for op in walk_ops(task.body) for x in op.operands if isinstance(x, Value)}
        return tuple(n for iv, n in self.iv_loops.items() if iv in used)


# --------------------------------------------------------------------------
# Per-task facts


def names(values: Iterable[Value]) -> list[str]:
    return [v.name for v in values]


def task_info(
    index: int,
    task: Task,
    level: int,
    slot: int,
    split: RowSplit | None,
    loops: tuple[int, ...] = (),
    ivs: tuple[int, ...] = (),
) -> TaskInfo:
    cases = tuple(write_case(task, m) for m in task.writes)
    needs = names(task.reads) + [c.memref for c in cases if c.case == CASE_PARTIAL]
    # The declared memrefs the body names, stored ones first: the order in
    # which a task's function takes them (and a GPU task asks for its device copies).
    named = {x for op in walk_ops(task.body) for x in op.operands}
    stored = {op.operands[1] for op in walk_ops(task.body) if op.name == "memref.store"}
    declared = [m for m in dict.fromkeys(task.reads + task.writes) if m in named]
    touched = [m.name for m in declared if m in stored] + [
        m.name for m in declared if m not in stored
    ]
    return TaskInfo(
        index=index,
        name=task.name,
        value=task.value.name,
        target=task.target.value.name,
        arch=task.target.arch,
        gpu=is_gpu_arch(task.target.arch),
        level=level,
        slot=slot,
        pinned=task.rank is not None,
        reads=tuple(names(task.reads)),
        writes=tuple(names(task.writes)),
        needs=tuple(needs),
        write_cases=cases,
        touched=tuple(touched),
        split=split,
        loops=loops,
        ivs=ivs,
        work=task_work(task),
    )


def write_case(task: Task, memref: Value) -> WriteCase:
    if memref in task.reads:
        case = CASE_READ
    elif overwrites_all(task, memref):
        case = CASE_OVERWRITE
    else:
        case = CASE_PARTIAL
    return WriteCase(memref.name, case, CASE_REASONS[case])


def memref_infos(program: CheckedProgram) -> tuple[MemrefInfo, ...]:
    written = {m.name for t in program.tasks for m in t.writes}
    infos = []
    for m in program.memrefs:
        t = program.memref_type(m)
        infos.append(MemrefInfo(m.name, str(t), t.shape, t.elem.name, t.nbytes, m.name in written))
    return tuple(infos)


# --------------------------------------------------------------------------
# Fetches


HolderState = tuple[dict[str, int], dict[str, dict[int, str | None]]]


class Holders:
    """The slots sure to hold the current contents of each written memref.

    A slot is a rank for every number of ranks (``slot % size``), so a fetch
    to a holder moves nothing whatever the size.

    **Loops.** The state at a loop head is the fixed point of "valid on entry
    and after every iteration": starting from the entry state, the body is
    walked and the result met with the entry state until nothing changes (a
    memref no task had written on entry is held everywhere then).  The
    body's fetches are decided from that state, so they are right in every
    iteration.
    """

    def __init__(self, tasks: Sequence[TaskInfo]) -> None:
        self.tasks = tasks
        self.writer: dict[str, int] = {}  # memref -> its last writer
        self.holders: dict[str, dict[int, str | None]] = {}  # slot -> fetched for (None: wrote it)
        self.heads: dict[int, tuple[tuple[str, tuple[int, ...]], ...]] = {}
        self.groups: Sequence[tuple[int, ...]] = ()
        self.loops: Sequence[LoopInfo] = ()

    def run(
        self,
        order: Sequence[int | LoopStep],
        groups: Sequence[tuple[int, ...]],
        loops: Sequence[LoopInfo],
    ) -> list[tuple[Fetch, ...]]:
        """The fetches before each level, walking ORDER as main() runs it."""
        self.groups, self.loops = groups, loops
        out: list[tuple[Fetch, ...]] = [() for _ in groups]
        self.steps(order, out)
        return out

    def steps(self, order: Sequence[int | LoopStep], out: list[tuple[Fetch, ...]] | None) -> None:
        for step in order:
            if isinstance(step, LoopStep):
                self.loop(step, out)
                continue
            fetches = self.before_level(self.groups[step])
            if out is not None:
                out[step] = fetches

    def snapshot(self) -> HolderState:
        return dict(self.writer), {m: dict(h) for m, h in self.holders.items()}

    def restore(self, state: HolderState) -> None:
        self.writer = dict(state[0])
        self.holders = {m: dict(h) for m, h in state[1].items()}

    def loop(self, step: LoopStep, out: list[tuple[Fetch, ...]] | None) -> None:
        entry = self.snapshot()
        head = entry
        while True:  # terminates: every round can only remove holders
            self.restore(head)
            self.steps(step.body, None)
            met = meet(entry, self.snapshot())
            if same_holders(met, head):
                break
            head = met
        self.restore(head)
        self.heads[step.loop] = tuple(
            (m, tuple(sorted(h))) for m, h in sorted(self.holders.items())
        )
        self.steps(step.body, out)
        if self.loops[step.loop].trips == 0:
            self.restore(entry)

    def before_level(self, group: Sequence[int]) -> tuple[Fetch, ...]:
        fetches = [
            self.fetch(m, self.tasks[k].slot, k, m in self.tasks[k].reads)
            for k in group
            for m in self.tasks[k].needs
            if m in self.writer
        ]
        for k in group:
            for m in self.tasks[k].writes:
                self.writer[m] = k
                # A split write leaves no slot with every row.
                self.holders[m] = {} if self.tasks[k].split else {self.tasks[k].slot: None}
        return tuple(fetches)

    def gather(self, memrefs: Sequence[str]) -> tuple[Fetch, ...]:
        """Every written memref to slot 0, after the last level."""
        return tuple(self.fetch(m, 0, None, True) for m in memrefs if m in self.writer)

    def fetch(self, m: str, slot: int, task: int | None, reads: bool) -> Fetch:
        if task is not None and self.tasks[task].split is not None:
            need = self.tasks[task].row_need(m)
            return Fetch(m, slot, task, self.writer[m], reads, None, need)
        holders = self.holders[m]
        noop = None
        if slot in holders:
            earlier = holders[slot]
            noop = "same rank" if earlier is None else f"already fetched there for {earlier}"
        else:
            holders[slot] = "the outputs" if task is None else self.tasks[task].name
        return Fetch(m, slot, task, self.writer[m], reads, noop)


def meet(entry: HolderState, end: HolderState) -> HolderState:
    """Holders valid both on ENTRY and at the END of an iteration; the writer
    is the latest one.  A memref not written on entry is held by every slot then."""
    writer = dict(end[0])
    holders: dict[str, dict[int, str | None]] = {}
    for m, held in end[1].items():
        first = entry[1].get(m)
        holders[m] = dict(held) if first is None else {q: r for q, r in held.items() if q in first}
    return writer, holders


def same_holders(a: HolderState, b: HolderState) -> bool:
    return a[0] == b[0] and {m: set(h) for m, h in a[1].items()} == {
        m: set(h) for m, h in b[1].items()
    }
