"""The plan: dependences, levels, placement, data movement and synchronisation.

``make_plan(program, size, sync)`` is a pure function of its arguments and
returns an immutable :class:`Plan` (EXECUTION.md, "The plan").

* **Edges.** Only the nearest hazards are kept, one edge per
  (src, dst, kind, memref): RAW from the last writer of a memref the task
  reads, WAW from the last writer of a memref it writes, WAR from every task
  that read that memref since its last write.  Every other hazard follows from
  these by transitivity.
* **Levels.** level = 0 without predecessors, else 1 + the highest level of
  the predecessors; edges always go forward in program order, so one pass in
  program order computes them.
* **Placement** (``roundrobin``). The k-th task of a level (program order,
  counting every task of the level) runs on rank ``k % size``; a task with
  ``{rank = N}`` runs on ``N % size``.  ``TaskPlan.slot`` is k or N.
* **Data movement** (owner tracking). Every rank starts with a valid copy of
  every memref.  Before level L, every memref a task of L needs (each one it
  reads, and each one it writes unless the body overwrites every element) is
  sent to the task's rank unless valid there, from the last writer's rank (or,
  failing that, the lowest rank holding a valid copy).  After level L the
  memrefs a task wrote are valid on its rank only.  The transfers of level L
  read the state after level L-1: tasks of one level are independent, so none
  of them writes what another one needs.  At the end every written memref is
  brought to rank 0 unless valid there.
* **Tags.** A transfer's tag is its position in the plan modulo 32768 (MPI
  guarantees tags up to 32767).  All transfers of one phase (before a level,
  or the final gathering) are completed by one ``MPI_Waitall`` before the
  next phase starts, so tags only need to be unique within a phase, which
  they are for phases of up to 32768 transfers.  Both sides post the
  transfers in plan order, so even beyond that MPI's non-overtaking rule
  pairs them correctly.
* **Device copies** (GPU tasks; runtime_c/av_device.h).  Each rank keeps a
  host copy and, once a GPU task there used it, a device copy of a memref;
  either may be the current one.  A GPU task copies host -> device each
  memref its body loads (or partly overwrites) whose device copy is stale,
  and leaves what it wrote current on the device only.  Host code copies
  device -> host when the host copy is stale: a CPU task for what it needs,
  the sender of a transfer, and rank 0 for the outputs.  A CPU task's write
  or a receive makes the device copy stale.  So a memref stays on the device
  between GPU tasks on one rank when no host code needs it in between
  (``Plan.device_kept``); ``Plan.device_copies`` lists every copy.
* **Synchronisation.** ``barrier``: an ``MPI_Barrier`` after each level.
  ``p2p``: none.  That is safe because every copy of a memref belongs to one
  rank: data reaches another rank only through a transfer, whose receive is
  completed before the receiving task runs, and a sender's ``MPI_Waitall``
  returns only when its buffer may be reused, so a rank that runs ahead and
  overwrites its own copy cannot change what another rank receives.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .access import OVERWRITES, PARTIAL, overwrites_all
from .ir import Program, Task, Value, is_gpu_arch, walk_ops

SYNC_MODES = ("barrier", "p2p")
POLICY = "roundrobin"
TAG_LIMIT = 32768  # MPI_TAG_UB is at least 32767
HAZARDS = ("RAW", "WAR", "WAW")

# How a task treats a memref it writes (TaskPlan.write_cases).
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
class Transfer:
    src: int  # rank that sends
    dst: int  # rank that receives
    memref: str
    nbytes: int
    tag: int
    reason: str
    level: int  # done before this level; len(plan.levels) for the final gathering


@dataclass(frozen=True)
class DeviceCopy:
    """A copy between a rank's host and device copies of a memref."""

    rank: int
    memref: str
    direction: str  # "h2d" (to the GPU) | "d2h" (to the host)
    nbytes: int
    level: int  # the level it happens in (transfers before it included); len(levels): the end
    reason: str


@dataclass(frozen=True)
class DeviceKept:
    """A GPU task found the current copy of a memref already on its device."""

    rank: int
    memref: str
    since: str  # the task that made the device copy current
    task: str  # the GPU task that used it without a copy
    level: int


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


@dataclass(frozen=True)
class WriteCase:
    memref: str
    case: str  # CASE_READ | CASE_OVERWRITE | CASE_PARTIAL
    reason: str

    @property
    def needs_contents(self) -> bool:
        return self.case != CASE_OVERWRITE


@dataclass(frozen=True)
class TaskPlan:
    index: int  # position in program order
    name: str  # display name (the SSA name unless {name = "..."})
    value: str  # SSA name of the task, without '%'
    target: str  # SSA name of its target, without '%'
    arch: str
    gpu: bool
    level: int
    slot: int  # k within its level, or N of {rank = N}; rank = slot % size
    pinned: bool
    rank: int
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    needs: tuple[str, ...]  # must be valid on `rank` before it runs
    write_cases: tuple[WriteCase, ...]  # one per written memref
    touched: tuple[str, ...] = ()  # the declared memrefs its body names


@dataclass(frozen=True)
class Level:
    index: int
    tasks: tuple[int, ...]  # task indices, program order
    transfers: tuple[Transfer, ...]  # completed before the level runs
    barrier: bool  # MPI_Barrier after the level


@dataclass(frozen=True)
class Plan:
    file: str
    size: int
    sync: str
    policy: str
    targets: tuple[TargetInfo, ...]  # program order
    memrefs: tuple[MemrefInfo, ...]
    tasks: tuple[TaskPlan, ...]
    edges: tuple[Edge, ...]
    levels: tuple[Level, ...]
    final: tuple[Transfer, ...]  # gathering to rank 0 after the last level
    min_bytes: int  # every cross-rank dependency moved once
    device_copies: tuple[DeviceCopy, ...] = ()  # host <-> GPU copies, in program order per rank
    device_kept: tuple[DeviceKept, ...] = ()  # where data stayed on a GPU between tasks

    @property
    def transfers(self) -> tuple[Transfer, ...]:
        """Every transfer in plan order."""
        return tuple(t for level in self.levels for t in level.transfers) + self.final

    @property
    def bytes_moved(self) -> int:
        return sum(t.nbytes for t in self.transfers)


def make_plan(program: Program, size: int, sync: str = "barrier") -> Plan:
    """The plan of PROGRAM (checked) for SIZE ranks and sync mode SYNC."""
    if size < 1:
        raise ValueError(f"the number of ranks must be at least 1, not {size}")
    if sync not in SYNC_MODES:
        raise ValueError(f"unknown sync mode {sync!r} (expected one of {', '.join(SYNC_MODES)})")
    edges = dependences(program.tasks)
    levels = task_levels(len(program.tasks), edges)
    slots = placement_slots(program.tasks, levels)
    tasks = tuple(task_plan(k, t, levels[k], slots[k], size) for k, t in enumerate(program.tasks))
    sizes = {m.name: program.memref_type(m).nbytes for m in program.memrefs}
    mover = Mover(tasks, sizes, size)
    groups = level_groups(levels)
    plan_levels = tuple(
        Level(n, group, mover.before_level(n, group), sync == "barrier")
        for n, group in enumerate(groups)
    )
    final = mover.gather(len(groups))
    copies, kept = device_traffic(tasks, groups, plan_levels, final, memref_infos(program))
    return Plan(
        program.file,
        size,
        sync,
        POLICY,
        tuple(TargetInfo(t.value.name, t.arch, is_gpu_arch(t.arch)) for t in program.targets),
        memref_infos(program),
        tasks,
        edges,
        plan_levels,
        final,
        minimum_bytes(tasks, sizes),
        copies,
        kept,
    )


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


# --------------------------------------------------------------------------
# Per-task facts


def names(values: Iterable[Value]) -> list[str]:
    return [v.name for v in values]


def task_plan(index: int, task: Task, level: int, slot: int, size: int) -> TaskPlan:
    cases = tuple(write_case(task, m) for m in task.writes)
    needs = names(task.reads) + [c.memref for c in cases if c.case == CASE_PARTIAL]
    # The declared memrefs the body names, stored ones first: the order in
    # which a GPU task's function asks for its device copies.
    named = {x for op in walk_ops(task.body) for x in op.operands}
    stored = {op.operands[1] for op in walk_ops(task.body) if op.name == "memref.store"}
    declared = [m for m in dict.fromkeys(task.reads + task.writes) if m in named]
    touched = [m.name for m in declared if m in stored] + [
        m.name for m in declared if m not in stored
    ]
    return TaskPlan(
        index=index,
        name=task.name,
        value=task.value.name,
        target=task.target.value.name,
        arch=task.target.arch,
        gpu=is_gpu_arch(task.target.arch),
        level=level,
        slot=slot,
        pinned=task.rank is not None,
        rank=slot % size,
        reads=tuple(names(task.reads)),
        writes=tuple(names(task.writes)),
        needs=tuple(needs),
        write_cases=cases,
        touched=tuple(touched),
    )


def write_case(task: Task, memref: Value) -> WriteCase:
    if memref in task.reads:
        case = CASE_READ
    elif overwrites_all(task, memref):
        case = CASE_OVERWRITE
    else:
        case = CASE_PARTIAL
    return WriteCase(memref.name, case, CASE_REASONS[case])


def memref_infos(program: Program) -> tuple[MemrefInfo, ...]:
    written = {m.name for t in program.tasks for m in t.writes}
    infos = []
    for m in program.memrefs:
        t = program.memref_type(m)
        infos.append(MemrefInfo(m.name, str(t), t.shape, t.elem.name, t.nbytes, m.name in written))
    return tuple(infos)


# --------------------------------------------------------------------------
# Data movement


class Mover:
    """Owner tracking: which ranks hold a valid copy of each memref.

    ``valid[m] is None`` means every rank (the initial state).
    """

    def __init__(self, tasks: Sequence[TaskPlan], sizes: dict[str, int], size: int) -> None:
        self.tasks = tasks
        self.sizes = sizes
        self.size = size
        self.valid: dict[str, set[int] | None] = dict.fromkeys(sizes)
        self.writer: dict[str, int] = {}  # memref -> task index of its last writer
        self.count = 0  # transfers so far: the next tag

    def holds(self, m: str, rank: int) -> bool:
        ranks = self.valid[m]
        return ranks is None or rank in ranks

    def before_level(self, level: int, group: Sequence[int]) -> tuple[Transfer, ...]:
        """Transfers needed by the tasks of GROUP; then their writes take effect."""
        moves: list[Transfer] = []
        for k in group:
            task = self.tasks[k]
            for m in task.needs:
                if not self.holds(m, task.rank):
                    moves.append(self.send(m, task.rank, level, self.why(task, m)))
        for k in group:
            for m in self.tasks[k].writes:
                self.valid[m] = {self.tasks[k].rank}
                self.writer[m] = k
        return tuple(moves)

    def gather(self, level: int) -> tuple[Transfer, ...]:
        """Every written memref to rank 0, unless valid there."""
        moves = []
        for m in self.sizes:
            w = self.writer.get(m)
            if w is not None and not self.holds(m, 0):
                writer = self.tasks[w]
                why = f"final result to rank 0: %{m} last written by {writer.name} on rank {writer.rank}"
                moves.append(self.send(m, 0, level, why))
        return tuple(moves)

    def send(self, m: str, dst: int, level: int, reason: str) -> Transfer:
        src = self.source(m)
        tag = self.count % TAG_LIMIT
        self.count += 1
        ranks = self.valid[m]
        assert ranks is not None  # a memref valid everywhere is never sent
        ranks.add(dst)
        return Transfer(src, dst, m, self.sizes[m], tag, reason, level)

    def source(self, m: str) -> int:
        """The last writer's rank if it holds M, else the lowest rank that does."""
        ranks = self.valid[m]
        assert ranks is not None
        w = self.writer.get(m)
        if w is not None and self.tasks[w].rank in ranks:
            return self.tasks[w].rank
        return min(ranks)

    def why(self, task: TaskPlan, m: str) -> str:
        where = f"{task.name} (level {task.level}, rank {task.rank})"
        w = self.writer.get(m)
        origin = (
            "" if w is None else f" written by {self.tasks[w].name} on rank {self.tasks[w].rank}"
        )
        if m in task.reads:
            return f"{where} reads %{m}{origin}"
        return f"{where} writes part of %{m} and needs its current contents{origin}"


def minimum_bytes(tasks: Sequence[TaskPlan], sizes: dict[str, int]) -> int:
    """Bytes moved when each cross-rank dependency moves once.

    A dependency is a (version of a memref, rank that needs it) pair, where a
    version is what one task wrote; initial contents are everywhere already.
    Computed in program order, independently of the level-by-level movement.
    """
    writer: dict[str, int] = {}
    needed: set[tuple[str, int, int]] = set()
    for task in tasks:
        for m in task.needs:
            w = writer.get(m)
            if w is not None and tasks[w].rank != task.rank:
                needed.add((m, w, task.rank))
        for m in task.writes:
            writer[m] = task.index
    for m, w in writer.items():
        if tasks[w].rank != 0:
            needed.add((m, w, 0))
    return sum(sizes[m] for m, _, _ in needed)


# --------------------------------------------------------------------------
# Device copies


def device_traffic(
    tasks: Sequence[TaskPlan],
    groups: Sequence[tuple[int, ...]],
    levels: Sequence[Level],
    final: Sequence[Transfer],
    memrefs: Sequence[MemrefInfo],
) -> tuple[tuple[DeviceCopy, ...], tuple[DeviceKept, ...]]:
    """The copies av_device.h makes, replaying main() level by level."""
    if not any(t.gpu for t in tasks):
        return (), ()
    sim = DeviceSim({m.name: m.nbytes for m in memrefs})
    for n, group in enumerate(groups):
        for t in levels[n].transfers:
            sim.transfer(t, n)
        for k in group:
            sim.task(tasks[k], n)
    end = len(groups)
    for t in final:
        sim.transfer(t, end)
    for m in memrefs:
        if m.written:
            sim.host_use(0, m.name, end, "the outputs")
    return tuple(sim.copies), tuple(sim.kept)


class DeviceSim:
    """Per rank and memref: is the host copy current, is the device copy?"""

    def __init__(self, sizes: dict[str, int]) -> None:
        self.sizes = sizes
        self.host_stale: set[tuple[int, str]] = set()
        self.on_device: dict[tuple[int, str], str] = {}  # current there, since that task
        self.copies: list[DeviceCopy] = []
        self.kept: list[DeviceKept] = []

    def host_use(self, rank: int, m: str, level: int, why: str) -> None:
        if (rank, m) in self.host_stale:
            self.host_stale.discard((rank, m))
            self.copies.append(DeviceCopy(rank, m, "d2h", self.sizes[m], level, why))

    def host_wrote(self, rank: int, m: str) -> None:
        self.host_stale.discard((rank, m))
        self.on_device.pop((rank, m), None)

    def transfer(self, t: Transfer, level: int) -> None:
        self.host_use(t.src, t.memref, level, f"the transfer to rank {t.dst}")
        self.host_wrote(t.dst, t.memref)

    def task(self, task: TaskPlan, level: int) -> None:
        r = task.rank
        if not task.gpu:
            for m in task.needs:
                self.host_use(r, m, level, task.name)
            for m in task.writes:
                self.host_wrote(r, m)
            return
        for m in task.touched:
            if m not in task.needs:
                continue  # overwritten on the device: no copy
            since = self.on_device.get((r, m))
            if since is None:
                self.copies.append(DeviceCopy(r, m, "h2d", self.sizes[m], level, task.name))
                self.on_device[(r, m)] = task.name
            else:
                self.kept.append(DeviceKept(r, m, since, task.name, level))
        for m in task.writes:
            if m in task.touched:
                self.on_device[(r, m)] = task.name
                self.host_stale.add((r, m))
