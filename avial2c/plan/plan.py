"""The plan for one number of ranks: the schedule placed, with its transfers.

``make_plan(program, size, sync)`` is a pure function of its arguments and
returns an immutable :class:`Plan` (docs/execution.md, "The plan"): the
size-independent :class:`~avial2c.plan.schedule.Schedule`, each task on rank
``slot % size``, and the transfers that the owner table
(:mod:`avial2c.plan.owners`) decides when the schedule's fetches are asked
for in order, exactly as the generated program asks at run time.

* **Data movement.** Before level L, each fetch of L gives a transfer when
  its memref is not valid on the rank: from the last writer's rank, or
  failing that the lowest rank holding a valid copy.  After level L the
  memrefs a task wrote are valid on its rank only.  The transfers of level L
  read the state after level L-1: tasks of one level are independent, so
  none of them writes what another one needs.  At the end every written
  memref is brought to rank 0 unless valid there.
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

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace

import numpy as np

from avial2c.ir import CheckedProgram
from avial2c.machine import Machine, default_machine
from avial2c.plan.cost import fits, task_time
from avial2c.plan.owners import TAG_LIMIT, Owners, block
from avial2c.plan.schedule import (
    HAZARDS,
    POLICY,
    SYNC_MODES,
    Edge,
    Fetch,
    LoopInfo,
    LoopStep,
    MemrefInfo,
    Schedule,
    StepLevel,
    TargetInfo,
    TaskInfo,
    make_schedule,
    splittable_tasks,
)

__all__ = [
    "HAZARDS", "POLICY", "SYNC_MODES", "TAG_LIMIT", "Edge", "MemrefInfo", "TargetInfo", "block",
]  # fmt: skip


@dataclass(frozen=True)
class TaskPlan(TaskInfo):
    rank: int = 0  # slot % size; -1 for a split task
    blocks: tuple[tuple[int, int], ...] = ()  # a split task: the rows [lo, hi) of each rank

    @property
    def ranks(self) -> tuple[int, ...]:
        """The ranks that run the task (a split task: those with rows)."""
        if self.split is None:
            return (self.rank,)
        return tuple(q for q, (lo, hi) in enumerate(self.blocks) if lo < hi)

    def where(self) -> str:
        return "the ranks of its rows" if self.split is not None else f"rank {self.rank}"


@dataclass(frozen=True)
class Transfer:
    src: int  # rank that sends
    dst: int  # rank that receives
    memref: str
    nbytes: int
    tag: int
    reason: str
    level: int  # done before this level; len(plan.levels) for the final gathering
    lo: int = 0  # the rows [lo, hi) it carries
    hi: int = 0
    whole: bool = True  # every row of the memref


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
class Level:
    index: int
    tasks: tuple[int, ...]  # task indices, program order
    transfers: tuple[Transfer, ...]  # completed before the level runs (its first run)
    barrier: bool  # MPI_Barrier after the level
    runs: int = 1  # how often it runs: once, or once per iteration of its loops (0: never)
    # A level in a loop: the transfers of its later runs where they differ
    # from the first, each set with how many runs post it, in order.
    later: tuple[tuple[tuple[Transfer, ...], int], ...] = ()
    ordered: str | None = None  # --sync barrier without its barrier: why (StepLevel.ordered)


@dataclass(frozen=True)
class Estimates:
    """What the cost model (plan/cost.py) expects on a machine, in seconds."""

    machine: str  # where the machine came from: a file, or "defaults"
    tasks: tuple[float, ...]  # one run of each task on its rank (split: its slowest block)
    transfers: tuple[tuple[float, ...], ...]  # per level, each transfer of its first run
    final: tuple[float, ...]  # each transfer of the final gathering
    makespan: float  # the whole run, every iteration of every loop included, to the
    # point where the program stops its clock (before gathering the outputs)
    busy: tuple[float, ...]  # per rank: time in tasks over the whole run
    gather: float = 0.0  # the final gathering of the outputs on rank 0, after that


@dataclass(frozen=True)
class LoopPlan:
    """A time loop on SIZE ranks: from which iteration on every iteration
    posts the same transfers, and the owner table at the head of those."""

    index: int
    steady_from: int  # 1: every iteration alike; 2: the first differs (it is peeled)
    head: tuple[tuple[str, tuple[tuple[int, int, tuple[int, ...], int], ...]], ...]


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
    loops: tuple[LoopInfo, ...] = ()  # the schedule's time loops
    loop_plans: tuple[LoopPlan, ...] = ()
    order: tuple[int | LoopStep, ...] = ()  # what main() runs (Schedule.order)
    carried: tuple[Edge, ...] = ()  # loop-carried dependences
    estimates: Estimates | None = None  # the cost model's times on `machine`
    placement_note: str | None = None  # Schedule.placement_note
    fused: tuple[str, ...] = ()  # Schedule.fused

    @property
    def transfers(self) -> tuple[Transfer, ...]:
        """Every transfer in plan order (a level's first run only)."""
        return tuple(t for level in self.levels for t in level.transfers) + self.final

    @property
    def transfer_count(self) -> int:
        """Transfers posted by the whole run, every iteration of every loop included."""
        total = len(self.final)
        for level in self.levels:
            first = level.runs - sum(n for _, n in level.later)
            total += first * len(level.transfers) + sum(n * len(ts) for ts, n in level.later)
        return total

    @property
    def bytes_moved(self) -> int:
        """Bytes moved by the whole run, every iteration of every loop included."""
        total = sum(t.nbytes for t in self.final)
        for level in self.levels:
            first = level.runs - sum(n for _, n in level.later)
            total += first * sum(t.nbytes for t in level.transfers)
            total += sum(n * sum(t.nbytes for t in ts) for ts, n in level.later)
        return total


def make_plan(
    program: CheckedProgram,
    size: int,
    sync: str = "barrier",
    split: str = "declared",
    placement: str = POLICY,
    machine: Machine | None = None,
) -> Plan:
    """The plan of PROGRAM (checked) for SIZE ranks, sync mode SYNC, split mode
    SPLIT and PLACEMENT (heft: on MACHINE, by default SIZE ranks of this one)."""
    if size < 1:
        raise ValueError(f"the number of ranks must be at least 1, not {size}")
    if placement == "heft":
        machine = machine if machine is not None else default_machine(size)
        return place(heft_schedule(program, sync, split, machine), size, machine)
    return place(make_schedule(program, sync, split, placement, machine), size, machine)


def heft_schedule(
    program: CheckedProgram, sync: str, split: str, machine: Machine
) -> Schedule:
    """``--placement heft`` for MACHINE: HEFT's placement, unless the cost model
    predicts a simpler one on the same ranks to be faster: round robin, or
    every task (pins and split tasks aside) on the fastest rank that can run
    them all.  The schedule then says which and why, so under the model heft
    is never slower than either.  GPU constraints hold for every candidate."""
    heft = make_schedule(program, sync, split, "heft", machine)
    if split == "auto":
        heft = choose_splits(program, sync, machine, heft)
    heft = refine(program, sync, split, machine, heft)
    candidates: list[tuple[str, Schedule]] = []
    plain = make_schedule(program, sync, split)
    candidates.append(("round robin", replace(plain, policy="heft", size=machine.size,
                                             machine=machine.source)))  # fmt: skip
    by_speed = sorted(range(machine.size), key=lambda r: (-machine.ranks[r].speed, r))
    fastest = by_speed[0]
    one = make_schedule(program, sync, split, "heft", machine,
                        ranks=[fastest] * len(program.tasks))  # fmt: skip
    candidates.append((f"every task on rank {fastest}", one))
    ours = place(heft, machine.size, machine).estimates
    assert ours is not None
    best: tuple[float, str, Schedule] | None = None
    for name, other in candidates:
        allowed = all(
            fits(t.arch, machine.ranks[t.slot % machine.size], machine)
            for t in other.tasks
            if t.split is None
        )
        if not allowed:  # it would put a GPU task where there is no GPU for it
            continue
        theirs = place(other, machine.size, machine).estimates
        assert theirs is not None
        if theirs.makespan < ours.makespan and (best is None or theirs.makespan < best[0]):
            best = (theirs.makespan, name, other)
    if best is None:
        return heft
    makespan, name, other = best
    return replace(other, placement_note=(
        f"{name} kept: the cost model predicts {makespan:.3g} s for it and "
        f"{ours.makespan:.3g} s for HEFT's placement"))  # fmt: skip


# Programs up to this many tasks get HEFT's placement refined (refine).
REFINE_TASKS = 48
REFINE_PASSES = 3


def refine(
    program: CheckedProgram, sync: str, split: str, machine: Machine, heft: Schedule
) -> Schedule:
    """HEFT's placement improved one move at a time under the whole cost model.

    HEFT sees one iteration of a loop body and the DAG without loop-carried
    edges or the final gathering; the plan's clock (:func:`place`) replays
    every iteration with the transfers the owner table makes.  So each task
    that is neither pinned nor split is tried on every other rank it may
    run on, and kept there when the predicted makespan drops (by more than
    0.1 %); passes repeat until none helps (at most REFINE_PASSES, for
    programs of at most REFINE_TASKS tasks).  The schedule's placement note
    says which tasks moved."""
    size = machine.size
    movable = [k for k, t in enumerate(heft.tasks) if not t.pinned and t.split is None]
    if size < 2 or not movable or len(heft.tasks) > REFINE_TASKS:
        return heft
    ranks = [t.slot % size for t in heft.tasks]
    splits = model_splits(program, heft) if split == "auto" else None
    best = heft
    best_time = makespan_of(heft, machine)
    first_time, moved = best_time, set()
    for _ in range(REFINE_PASSES):
        improved = False
        for k in movable:
            arch = heft.tasks[k].arch
            for r in range(size):
                if r == ranks[k] or not fits(arch, machine.ranks[r], machine):
                    continue
                trial = [*ranks[:k], r, *ranks[k + 1 :]]
                other = make_schedule(program, sync, split, "heft", machine, ranks=trial,
                                      split_tasks=splits)  # fmt: skip
                t = makespan_of(other, machine)
                if t < best_time * 0.999:
                    best, best_time, ranks, improved = other, t, trial, True
                    moved.add(heft.tasks[k].name)
        if not improved:
            break
    if best is heft:
        return heft
    start = [t.slot % size for t in heft.tasks]
    names = ", ".join(sorted(n for n in moved if any(
        t.name == n and ranks[t.index] != start[t.index] for t in heft.tasks)))  # fmt: skip
    note = (f"HEFT's placement refined under the whole cost model (every iteration, "
            f"loop-carried transfers): moved {names}; predicted {first_time:.3g} s -> "
            f"{best_time:.3g} s")  # fmt: skip
    if heft.placement_note:
        note = f"{heft.placement_note}; {note}"
    return replace(best, placement_note=note)


def choose_splits(program: CheckedProgram, sync: str, machine: Machine, heft: Schedule) -> Schedule:
    """``--placement heft --split auto``: which of the tasks that may be split
    are, decided by the cost model rather than by size alone.

    Starting from the size rule (AUTO_SPLIT_ITERATIONS), each task that may
    be split is split or not, one at a time, when that lowers the predicted
    makespan of HEFT's placement: splitting pays when a task's share of the
    work saves more than its halo and the gathering of its rows cost.  At
    most REFINE_TASKS tasks are tried; the schedule's notes say which were
    split by the model and which were not."""
    candidates = splittable_tasks(program.tasks)[:REFINE_TASKS]
    if machine.size < 2 or not candidates:
        return heft
    chosen = set(model_splits(program, heft))
    best, best_time = heft, makespan_of(heft, machine)
    start_time = best_time
    for k in candidates:
        trial = chosen ^ {k}
        other = make_schedule(program, sync, "auto", "heft", machine, split_tasks=frozenset(trial))
        t = makespan_of(other, machine)
        if t < best_time * 0.999:
            best, best_time, chosen = other, t, trial
    if best is heft:
        return heft
    split_names = ", ".join(program.tasks[k].name for k in sorted(chosen)) or "none"
    note = (f"--split auto by the cost model: split {split_names}; predicted "
            f"{start_time:.3g} s -> {best_time:.3g} s")  # fmt: skip
    return replace(best, placement_note=note)


def model_splits(program: CheckedProgram, schedule: Schedule) -> frozenset[int]:
    """The tasks SCHEDULE splits that the program does not declare split."""
    return frozenset(
        t.index for t in schedule.tasks
        if t.split is not None and program.tasks[t.index].split is None
    )  # fmt: skip


def makespan_of(schedule: Schedule, machine: Machine) -> float:
    estimates = place(schedule, machine.size, machine).estimates
    assert estimates is not None
    return estimates.makespan


def place(schedule: Schedule, size: int, machine: Machine | None = None) -> Plan:
    """SCHEDULE on SIZE ranks: the ranks of its tasks and its transfers, and
    the cost model's estimates on MACHINE (default: SIZE ranks of this one)."""
    if schedule.size is not None and size != schedule.size:
        raise ValueError(
            f"the tasks are placed for {schedule.size} ranks (--placement {schedule.policy}), "
            f"not {size}"
        )
    tasks = tuple(placed(t, size) for t in schedule.tasks)
    owners = Owners([(m.name, m.rows) for m in schedule.memrefs], size)
    replay = Replay(tasks, {m.name: m for m in schedule.memrefs}, owners)
    if machine is None or machine.size != size:
        machine = default_machine(size)
    run = Run(schedule, tasks, replay, size, machine)
    run.steps(schedule.order or tuple(range(len(schedule.levels))))
    levels = tuple(run.level_plan(step) for step in schedule.levels)
    owners.phase()
    final = replay.fetches(len(levels), schedule.final)
    run.gathered(final)
    makespan = max(run.clock.now)  # the program's clock stops before the gathering
    run.clock.transfers(final)
    return Plan(
        schedule.file,
        size,
        schedule.sync,
        schedule.policy,
        schedule.targets,
        schedule.memrefs,
        tasks,
        schedule.edges,
        levels,
        final,
        run.least.total,
        tuple(run.device.copies) if run.device is not None else (),
        tuple(run.device.kept) if run.device is not None else (),
        schedule.loops,
        tuple(run.loop_plans[n] for n in sorted(run.loop_plans)),
        schedule.order,
        schedule.carried,
        Estimates(
            machine.source,
            tuple(run.clock.task_time(t) for t in tasks),
            tuple(
                tuple(machine.transfer_time(t.nbytes) for t in level.transfers) for level in levels
            ),
            tuple(machine.transfer_time(t.nbytes) for t in final),
            makespan,
            tuple(run.clock.busy),
            max(run.clock.now) - makespan,
        ),
        schedule.placement_note,
        schedule.fused,
    )


class Clock:
    """The cost model replaying main(): when each rank is done so far.

    Before a level its transfers run in order, each from when both ranks are
    free and keeping both busy for latency + bytes / bandwidth; then each
    rank runs its tasks of the level; with --sync barrier every rank then
    waits for the slowest (plus a barrier's latency per doubling of ranks).
    """

    def __init__(self, tasks: Sequence[TaskPlan], machine: Machine, barrier: bool) -> None:
        self.tasks = tasks
        self.machine = machine
        self.barrier = barrier
        self.now = [0.0] * machine.size
        self.busy = [0.0] * machine.size

    def task_time(self, task: TaskPlan, rank: int | None = None) -> float:
        """One run of TASK on RANK (default its own; a split task: its slowest block)."""
        m = self.machine
        copies = 0  # GPU tasks: host -> GPU copies are counted with the device copies
        if task.split is None:
            r = task.rank if rank is None else rank
            return task_time(task.work, m.ranks[r], m, copies)
        rows = max(task.split.hi - task.split.lo, 1)
        times = [
            task_time(task.work, m.ranks[q], m, copies) * (hi - lo) / rows
            for q, (lo, hi) in enumerate(task.blocks)
        ]
        return max(times) if rank is None else times[rank]

    def transfers(self, transfers: Sequence[Transfer]) -> None:
        for t in transfers:
            start = max(self.now[t.src], self.now[t.dst])
            self.now[t.src] = self.now[t.dst] = start + self.machine.transfer_time(t.nbytes)

    def level(
        self, transfers: Sequence[Transfer], group: Sequence[int], barrier: bool | None = None
    ) -> None:
        """Transfers, then the tasks of GROUP; then the barrier when BARRIER
        (default: the sync mode's)."""
        self.transfers(transfers)
        barrier = self.barrier if barrier is None else barrier
        for k in group:
            task = self.tasks[k]
            for q in task.ranks:
                spent = self.task_time(task, q)
                self.now[q] += spent
                self.busy[q] += spent
        if barrier:
            hops = max(1, (len(self.now) - 1).bit_length())
            top = max(self.now) + self.machine.latency * hops
            self.now = [top] * len(self.now)

    def repeat(self, before: Sequence[float], busy: Sequence[float], times: int) -> None:
        """The iteration that moved the clocks from BEFORE runs TIMES more times."""
        self.now = [n + (n - b) * times for n, b in zip(self.now, before, strict=True)]
        self.busy = [n + (n - b) * times for n, b in zip(self.busy, busy, strict=True)]


@dataclass
class LevelRun:
    level: int
    transfers: tuple[Transfer, ...]
    count: int


class Run:
    """Replays main() on SIZE ranks: the levels in order, loops iteration by
    iteration, asking the owner table as every rank does at run time.

    A loop is replayed until an iteration ends in the state it started from
    (owner table, device copies, the rows each rank holds): every later
    iteration then repeats that one exactly, so it is counted, not replayed.
    With the owner table that happens by the second iteration: rows the body
    writes end each iteration as the body alone decides, and the holders of
    the other rows only grow, by the same ranks each time.
    """

    def __init__(
        self,
        schedule: Schedule,
        tasks: Sequence[TaskPlan],
        replay: Replay,
        size: int,
        machine: Machine,
    ) -> None:
        self.clock = Clock(tasks, machine, schedule.sync == "barrier")
        self.schedule = schedule
        self.tasks = tasks
        self.replay = replay
        self.runs: list[LevelRun] = []
        self.loop_plans: dict[int, LoopPlan] = {}
        self.least = LeastBytes(tasks, schedule.memrefs, size)
        gpu = any(t.gpu for t in tasks)
        self.device = DeviceSim({m.name: m for m in schedule.memrefs}) if gpu else None

    def state(self) -> object:
        device = self.device.state() if self.device is not None else None
        return self.replay.owners.state(), device, self.least.state()

    def steps(self, order: Sequence[int | LoopStep]) -> None:
        for step in order:
            if isinstance(step, LoopStep):
                self.loop(step)
            else:
                self.level(step)

    def level(self, n: int) -> None:
        step = self.schedule.levels[n]
        self.replay.owners.phase()
        transfers = self.replay.level(n, step.fetches, step.tasks)
        self.runs.append(LevelRun(n, transfers, 1))
        self.clock.level(transfers, step.tasks, step.barrier)
        if self.device is not None:
            for t in transfers:
                self.device.transfer(t, n)
        for k in step.tasks:
            self.least.task(self.tasks[k])
            if self.device is not None:
                self.device.task(self.tasks[k], n)

    def loop(self, step: LoopStep) -> None:
        info = self.schedule.loops[step.loop]
        before = self.state()
        for it in range(info.trips):
            mark, start = len(self.runs), self.least.total
            clock, busy = list(self.clock.now), list(self.clock.busy)
            copies = len(self.device.copies) if self.device is not None else 0
            kept = len(self.device.kept) if self.device is not None else 0
            self.steps(step.body)
            after = self.state()
            if after == before:
                # Iteration it+1 started and ended in this state: so does every later one.
                rest = info.trips - it - 1
                for r in self.runs[mark:]:
                    r.count *= 1 + rest
                self.least.total += (self.least.total - start) * rest
                self.clock.repeat(clock, busy, rest)
                if self.device is not None:  # listed one by one, as they happen
                    self.device.copies += self.device.copies[copies:] * rest
                    self.device.kept += self.device.kept[kept:] * rest
                self.loop_plans[step.loop] = LoopPlan(step.loop, it + 1, self.replay.owners.state())
                return
            before = after
        self.loop_plans.setdefault(
            step.loop, LoopPlan(step.loop, max(info.trips, 1), self.replay.owners.state())
        )

    def level_plan(self, step: StepLevel) -> Level:
        variants: dict[tuple[Transfer, ...], int] = {}
        for r in self.runs:
            if r.level == step.index:
                variants[r.transfers] = variants.get(r.transfers, 0) + r.count
        if not variants:
            return Level(step.index, step.tasks, (), step.barrier, 0, ordered=step.ordered)
        (first, n), *rest = variants.items()
        return Level(step.index, step.tasks, first, step.barrier, n + sum(c for _, c in rest),
                     tuple(rest), step.ordered)  # fmt: skip

    def gathered(self, final: Sequence[Transfer]) -> None:
        end = len(self.schedule.levels)
        if self.device is not None:
            for t in final:
                self.device.transfer(t, end)
            for m in self.schedule.memrefs:
                if m.written:
                    self.device.host_use(0, m.name, end, "the outputs")
        self.least.gather()


def placed(t: TaskInfo, size: int) -> TaskPlan:
    facts = {f.name: getattr(t, f.name) for f in fields(t)}
    if t.split is None:
        return TaskPlan(**facts, rank=t.slot % size)
    blocks = tuple(block(t.split.lo, t.split.hi, q, size) for q in range(size))
    return TaskPlan(**facts, rank=-1, blocks=blocks)


class Replay:
    """Asks the owner table for the schedule's fetches, as every rank does at run time."""

    def __init__(
        self, tasks: Sequence[TaskPlan], memrefs: dict[str, MemrefInfo], owners: Owners
    ) -> None:
        self.tasks = tasks
        self.memrefs = memrefs
        self.owners = owners

    def level(self, n: int, fetches: Sequence[Fetch], group: Sequence[int]) -> tuple[Transfer, ...]:
        moves = self.fetches(n, fetches)
        for k in group:
            task = self.tasks[k]
            for m in task.writes:
                if task.split is None:
                    self.owners.wrote(m, task.rank, 0, self.memrefs[m].rows)
                    continue
                for q, (lo, hi) in enumerate(task.blocks):
                    self.owners.wrote(m, q, lo, hi)
        return moves

    def fetches(self, n: int, fetches: Sequence[Fetch]) -> tuple[Transfer, ...]:
        out: list[Transfer] = []
        for f in fetches:
            info = self.memrefs[f.memref]
            if f.split is None:
                needs = [(f.slot % self.owners.size, 0, info.rows)]
            else:
                task = self.tasks[f.task] if f.task is not None else None
                assert task is not None
                needs = [
                    (q, *f.split.rows(b, info.rows))
                    for q, b in enumerate(task.blocks)
                    if b[0] < b[1]
                ]
            for dst, lo, hi in needs:
                for mv in self.owners.need(f.memref, dst, lo, hi):
                    whole = (mv.lo, mv.hi) == (0, info.rows)
                    out.append(Transfer(mv.src, dst, f.memref, (mv.hi - mv.lo) * info.row_bytes,
                                        mv.tag, self.why(f, dst), n, mv.lo, mv.hi, whole))  # fmt: skip
        return tuple(out)

    def why(self, f: Fetch, dst: int) -> str:
        w = self.tasks[f.writer]
        origin = f"{w.name} on {w.where()}"
        if f.task is None:
            return f"final result to rank 0: %{f.memref} last written by {origin}"
        task = self.tasks[f.task]
        on = f"rank {dst}'s rows" if task.split is not None else f"rank {task.rank}"
        where = f"{task.name} (level {task.level}, {on})"
        if f.reads:
            return f"{where} reads %{f.memref} written by {origin}"
        return (
            f"{where} writes part of %{f.memref} and needs its current contents written by {origin}"
        )


class LeastBytes:
    """Bytes moved when each row of each version of a memref moves at most once
    to each rank that needs it, and only then (``Plan.min_bytes``).

    Computed task by task in the order main() runs them, row by row,
    independently of the owner table: ``have[m][r, row]`` says whether rank r
    holds the current version of a row (every rank holds the initial
    contents).
    """

    def __init__(self, tasks: Sequence[TaskPlan], memrefs: Sequence[MemrefInfo], size: int) -> None:
        self.info = {m.name: m for m in memrefs}
        self.memrefs = memrefs
        self.have = {m.name: np.ones((size, m.rows), dtype=bool) for m in memrefs}
        self.total = 0

    def state(self) -> tuple[bytes, ...]:
        return tuple(h.tobytes() for h in self.have.values())

    def need(self, m: str, rank: int, lo: int, hi: int) -> None:
        if lo < hi:
            self.total += int(np.count_nonzero(~self.have[m][rank, lo:hi])) * self.info[m].row_bytes
            self.have[m][rank, lo:hi] = True

    def task(self, task: TaskPlan) -> None:
        info = self.info
        for m in task.needs:
            if task.split is None:
                self.need(m, task.rank, 0, info[m].rows)
                continue
            read = task.split.read(m)
            for q in task.ranks:
                lo, hi = task.blocks[q]
                if m in task.reads and read is not None:
                    if read.whole:
                        lo, hi = 0, info[m].rows
                    else:
                        lo, hi = max(lo + read.before, 0), min(hi + read.after - 1, info[m].rows)
                self.need(m, q, lo, hi)
        for m in task.writes:
            for q in task.ranks:
                lo, hi = task.blocks[q] if task.split is not None else (0, info[m].rows)
                self.have[m][:, lo:hi] = False
                self.have[m][q, lo:hi] = True

    def gather(self) -> None:
        for out in self.memrefs:
            if out.written:
                self.need(out.name, 0, 0, out.rows)


# --------------------------------------------------------------------------
# Device copies


class DeviceSim:
    """Per rank and memref, row by row (dimension 0): is the host copy
    current, is the device copy?  The twin of runtime_c/av_device.c: each
    copy is one run of stale rows in the rows asked for."""

    def __init__(self, memrefs: dict[str, MemrefInfo]) -> None:
        self.info = memrefs
        self.host_ok: dict[tuple[int, str], np.ndarray] = {}
        self.dev_ok: dict[tuple[int, str], np.ndarray] = {}
        self.since: dict[tuple[int, str], str] = {}  # the task that last made device rows current
        self.copies: list[DeviceCopy] = []
        self.kept: list[DeviceKept] = []

    def rows(self, rank: int, m: str) -> tuple[np.ndarray, np.ndarray]:
        key = (rank, m)
        if key not in self.host_ok:
            n = self.info[m].rows
            self.host_ok[key] = np.ones(n, dtype=bool)
            self.dev_ok[key] = np.zeros(n, dtype=bool)
        return self.host_ok[key], self.dev_ok[key]

    def state(self) -> tuple[tuple[tuple[int, str], bytes, bytes], ...]:
        return tuple(
            (key, self.host_ok[key].tobytes(), self.dev_ok[key].tobytes())
            for key in sorted(self.host_ok)
            if not self.host_ok[key].all() or self.dev_ok[key].any()
        )

    def span(self, m: str, lo: int, hi: int | None) -> tuple[int, int]:
        n = self.info[m].rows
        hi = n if hi is None else min(hi, n)
        lo = min(max(lo, 0), hi)
        return lo, hi

    def host_use(
        self, rank: int, m: str, level: int, why: str, lo: int = 0, hi: int | None = None
    ) -> None:
        host, _ = self.rows(rank, m)
        for s, e in stale_runs(host, *self.span(m, lo, hi)):
            host[s:e] = True
            nbytes = (e - s) * self.info[m].row_bytes
            self.copies.append(DeviceCopy(rank, m, "d2h", nbytes, level, why))

    def host_wrote(self, rank: int, m: str, lo: int = 0, hi: int | None = None) -> None:
        host, dev = self.rows(rank, m)
        lo, hi = self.span(m, lo, hi)
        host[lo:hi] = True
        dev[lo:hi] = False

    def dev_use(self, rank: int, m: str, level: int, task: str, lo: int, hi: int | None) -> None:
        _, dev = self.rows(rank, m)
        lo, hi = self.span(m, lo, hi)
        runs = stale_runs(dev, lo, hi)
        for s, e in runs:
            dev[s:e] = True
            nbytes = (e - s) * self.info[m].row_bytes
            self.copies.append(DeviceCopy(rank, m, "h2d", nbytes, level, task))
        if runs:
            self.since[(rank, m)] = task
        elif lo < hi:
            self.kept.append(DeviceKept(rank, m, self.since[(rank, m)], task, level))

    def dev_wrote(self, rank: int, m: str, task: str, lo: int = 0, hi: int | None = None) -> None:
        host, dev = self.rows(rank, m)
        lo, hi = self.span(m, lo, hi)
        dev[lo:hi] = True
        host[lo:hi] = False
        self.since[(rank, m)] = task

    def transfer(self, t: Transfer, level: int) -> None:
        self.host_use(t.src, t.memref, level, f"the transfer to rank {t.dst}", t.lo, t.hi)
        self.host_wrote(t.dst, t.memref, t.lo, t.hi)

    def task(self, task: TaskPlan, level: int) -> None:
        if not task.gpu:
            for q in task.ranks:
                for m in task.needs:
                    self.host_use(q, m, level, task.name)
                for m in task.writes:
                    self.host_wrote(q, m)
            return
        for q in task.ranks:
            block = task.blocks[q] if task.split is not None else None
            for m in task.touched:
                if m not in task.needs:
                    continue  # overwritten on the device: no copy
                if block is None:
                    self.dev_use(q, m, level, task.name, 0, None)
                else:
                    self.dev_use(q, m, level, task.name, *task.row_need(m).rows(block, 1 << 62))
            for m in task.writes:
                if m in task.touched:
                    self.dev_wrote(q, m, task.name, *(block or (0, None)))


def stale_runs(ok: np.ndarray, lo: int, hi: int) -> list[tuple[int, int]]:
    """The runs [s, e) of rows in [LO, HI) whose copy is not OK, in order."""
    if lo >= hi:
        return []
    stale = np.concatenate(([False], ~ok[lo:hi], [False])).astype(np.int8)
    edges = np.diff(stale)
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [(lo + int(s), lo + int(e)) for s, e in zip(starts, ends, strict=True)]
