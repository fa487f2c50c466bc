"""Owner tracking: which ranks hold a valid copy of each memref.

This is the one model of EXECUTION.md's "Data movement".  Its C twin,
``runtime_c/av_owners.c``, is written to mirror it line for line: a
generated program makes the same ``move``/``wrote`` calls at run time (it
runs on any number of ranks), and :func:`avial2c.plan.plan.make_plan` makes
them here for one number of ranks, so ``--emit plan --ranks N`` lists
exactly the transfers the program posts on N ranks, with the same sources
and tags.  Change both files together.

* Every rank starts with a valid copy of every memref.
* ``move(m, dst)``: when ``dst`` does not hold ``m``, it is sent there from
  the last writer's rank (or, if that copy is gone, the lowest rank holding
  one) with the next tag, and ``dst`` holds it from then on.
* ``wrote(m, rank)``: a task on ``rank`` wrote ``m``: valid there only.

**Tags.** A transfer's tag is its number modulo 32768 (MPI guarantees tags
up to 32767).  All transfers of one phase (before a level, or the final
gathering) are completed by one ``MPI_Waitall`` before the next phase
starts, so tags only need to be unique within a phase, which they are for
phases of up to 32768 transfers.  Both sides post the transfers in the same
order, so even beyond that MPI's non-overtaking rule pairs them correctly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

TAG_LIMIT = 32768  # MPI_TAG_UB is at least 32767; AV_TAG_LIMIT in C


@dataclass(frozen=True)
class Move:
    """One transfer the table decided: ``src`` sends memref ``m`` to ``dst``."""

    m: str
    src: int
    dst: int
    tag: int


class Owners:
    """av_owners: ``valid[m]`` the ranks holding m; ``writer[m]`` -1 when never written."""

    def __init__(self, memrefs: Iterable[str], size: int) -> None:
        self.size = size
        self.writer: dict[str, int] = dict.fromkeys(memrefs, -1)
        self.valid: dict[str, set[int]] = {m: set() for m in self.writer}
        self.count = 0  # transfers posted so far

    def source_rank(self, m: str) -> int:
        """The last writer's rank, if it still holds m, else the lowest rank that does."""
        valid = self.valid[m]
        if self.writer[m] in valid:
            return self.writer[m]
        return min(valid, default=self.writer[m])

    def move(self, m: str, dst: int) -> Move | None:
        """The transfer that makes m valid on dst, or None when it already is."""
        if self.writer[m] < 0:
            return None  # never written: every rank holds the initial contents
        valid = self.valid[m]
        if dst in valid:
            return None
        src = self.source_rank(m)
        tag = self.count % TAG_LIMIT
        self.count += 1
        valid.add(dst)
        return Move(m, src, dst, tag)

    def wrote(self, m: str, rank: int) -> None:
        self.writer[m] = rank
        self.valid[m] = {rank}
