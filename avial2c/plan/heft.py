"""``--placement heft``: each task on the rank where it finishes first.

HEFT (Topcuoglu, Hariri and Wu, 2002) on the schedule's DAG for a machine of
N ranks (:mod:`avial2c.machine`) and the cost model of
:mod:`avial2c.plan.cost`:

1. **Priorities.** A task's upward rank is its mean cost over the ranks it
   may run on plus the largest, over its successors, of the mean time to
   move what the successor reads from it plus the successor's upward rank:
   the length of the longest path from the task to the end.
2. **Rank choice.** Tasks are taken level by level (the generated program
   runs levels in order, so a task cannot start before the earlier levels'
   tasks on its rank), and within a level by decreasing upward rank; each
   goes to the rank with the earliest finish time: when the rank is free and
   every memref the task needs is there (the last writer's finish time, plus
   the transfer when the rank does not hold the current version), plus its
   cost there.  Ties go to the lowest rank.  Since each rank runs its tasks
   in level order, a task is appended to its rank's timeline rather than
   inserted into an earlier gap (there is none a level-ordered run could use).
   With ``--sync barrier`` every rank waits for the slowest at the end of
   each level.

``{rank = N}`` still pins a task (to ``N % size``); a task split by rows runs
on every rank; a GPU task goes only to a rank with a GPU of a compatible
arch when the machine file lists GPUs.  A loop's body is placed once, for
one iteration, and keeps that placement in every iteration.  HEFT sees
neither loop-carried edges nor the final gathering: ``plan.refine`` then
improves the placement under the plan's own clock, which sees both.
"""

from __future__ import annotations

from collections.abc import Sequence

from avial2c.ir import Task
from avial2c.machine import Machine
from avial2c.plan.cost import fits, task_time, task_work


class NoRank(Exception):
    """A task that no rank of the machine can run (a GPU task without a GPU)."""

    def __init__(self, task: int, why: str) -> None:
        super().__init__(why)
        self.task = task
        self.why = why


def heft_ranks(
    tasks: Sequence[Task],
    needs: Sequence[Sequence[str]],
    writes: Sequence[Sequence[str]],
    split: Sequence[bool],
    levels: Sequence[int],
    edges: Sequence[tuple[int, int, str, str]],
    nbytes: dict[str, int],
    machine: Machine,
    barrier: bool,
) -> list[int]:
    """The rank of each task (-1 for a split task) for MACHINE's ranks.

    EDGES are (src, dst, kind, memref) with src < dst; NEEDS the memrefs each
    task must have on its rank, WRITES those it writes, NBYTES their sizes."""
    size = machine.size
    works = [task_work(t) for t in tasks]
    cost: list[list[float | None]] = []
    for k, t in enumerate(tasks):
        copies = sum(nbytes[m] for m in needs[k]) if works[k].gpu else 0
        row: list[float | None] = []
        for r, spec in enumerate(machine.ranks):
            allowed = fits(t.target.arch, spec, machine)
            if t.rank is not None and r != t.rank % size:
                allowed = False
            row.append(task_time(works[k], spec, machine, copies) if allowed else None)
        if split[k]:
            missing = [r for r, c in enumerate(row) if c is None]
            if missing:
                raise NoRank(k, f"it is split by rows, so every rank runs a block of it, and rank "
                                f"{missing[0]} has no GPU of a compatible arch for "
                                f"{t.target.arch} in the machine file")  # fmt: skip
            row = [None if c is None else c / size for c in row]
        if all(c is None for c in row):
            why = ("it runs on a GPU target, and the machine file lists no rank with a GPU of a "
                   f"compatible arch for {t.target.arch}")  # fmt: skip
            if t.rank is not None:
                why = f"it is pinned to rank {t.rank % size}, which has no GPU of a compatible arch"
            raise NoRank(k, why)
        cost.append(row)
    mean = [sum(c for c in row if c is not None) / sum(1 for c in row if c is not None)
            for row in cost]  # fmt: skip
    up = upward_ranks(mean, edges, nbytes, machine)

    ready = [0.0] * size
    holders: dict[str, set[int]] = {}
    avail: dict[str, float] = {}
    chosen = [0] * len(tasks)
    by_level: dict[int, list[int]] = {}
    for k, level in enumerate(levels):
        by_level.setdefault(level, []).append(k)
    for level in sorted(by_level):
        phase = list(ready)  # when each rank reaches this level's transfers
        for k in sorted(by_level[level], key=lambda k: (-up[k], k)):
            if split[k]:
                chosen[k] = -1
                for r in range(size):
                    c = cost[k][r]
                    ready[r] = arrival(k, r, needs, holders, avail, nbytes, machine, ready, phase) + (
                        c if c is not None else 0.0
                    )
                for m in writes[k]:
                    holders[m] = set(range(size))  # each rank its rows: close enough here
                    avail[m] = max(ready)
                continue
            best: tuple[float, int] | None = None
            for r in range(size):
                c = cost[k][r]
                if c is None:
                    continue
                finish = arrival(k, r, needs, holders, avail, nbytes, machine, ready, phase) + c
                if best is None or finish < best[0] - 1e-15:
                    best = (finish, r)
            assert best is not None
            finish, r = best
            chosen[k] = r
            ready[r] = finish
            for m in needs[k]:
                holders.setdefault(m, set(range(size))).add(r)
            for m in writes[k]:
                holders[m] = {r}
                avail[m] = finish
        if barrier:
            top = max(ready)
            ready = [top] * size
    return chosen


def arrival(
    k: int,
    r: int,
    needs: Sequence[Sequence[str]],
    holders: dict[str, set[int]],
    avail: dict[str, float],
    nbytes: dict[str, int],
    machine: Machine,
    ready: Sequence[float],
    phase: Sequence[float],
) -> float:
    """When task K could start on rank R: R is free and has all it needs (a
    holder sends what R lacks once it reaches the level's transfers, PHASE)."""
    start = ready[r]
    for m in needs[k]:
        if m not in avail:
            continue  # never written: every rank holds the initial contents
        t = avail[m]
        held = holders.get(m, set())
        if r not in held:
            # The holder sends it once it reaches this level (it runs levels in order).
            t = max(t, min(phase[q] for q in held)) if held else t
            t += machine.transfer_time(nbytes[m])
        start = max(start, t)
    return start


def upward_ranks(
    mean: Sequence[float],
    edges: Sequence[tuple[int, int, str, str]],
    nbytes: dict[str, int],
    machine: Machine,
) -> list[float]:
    """Mean cost plus the longest path (mean costs, RAW transfers) to the end."""
    succs: dict[int, list[tuple[int, float]]] = {}
    for src, dst, kind, m in edges:
        move = machine.transfer_time(nbytes[m]) if kind == "RAW" else 0.0
        succs.setdefault(src, []).append((dst, move))
    up = [0.0] * len(mean)
    for k in reversed(range(len(mean))):
        up[k] = mean[k] + max((move + up[d] for d, move in succs.get(k, ())), default=0.0)
    return up
