"""Owner tracking by row ranges: which ranks hold valid copies of which rows.

This is the one model of docs/execution.md's "Data movement" and "ownership by
row ranges".  Its C twin, ``runtime_c/av_owners.c``, is written to mirror it
line for line: a generated program makes the same ``need``/``wrote`` calls at
run time (it runs on any number of ranks), and
:func:`avial2c.plan.plan.make_plan` makes them here for one number of ranks,
so ``--emit plan --ranks N`` lists exactly the transfers the program posts on
N ranks, with the same sources, rows and tags.  Change both files together.

Rows are dimension 0 of a memref (a 0-d memref has one row).  Each memref is
a list of *segments*, consecutive row ranges ``[lo, hi)`` that cover all its
rows, each with the set of ranks holding those rows and the rank that last
wrote them (-1: never written).

* Every rank starts with a valid copy of every row.
* ``need(m, dst, lo, hi)``: rank ``dst`` needs rows ``[lo, hi)``.  For each
  segment there that ``dst`` does not hold, the rows come from their last
  writer if it still holds them, else from the lowest rank holding them;
  consecutive segments with the same source travel as one message, with
  the next tag.  ``dst`` holds the rows from then on.  Returns the moves.
* ``wrote(m, rank, lo, hi)``: a task on ``rank`` wrote rows ``[lo, hi)``:
  valid there only.
* Segments are split only where a range starts or ends, and neighbours with
  the same ranks and writer are merged again, so a memref moved whole keeps
  one segment.

**Tags.** A message's tag is its number within its phase (before a level,
or the final gathering: ``phase()`` starts one), modulo 32768 (MPI
guarantees tags up to 32767).  All messages of one phase are completed by
one ``MPI_Waitall`` before the next phase starts, so tags only need to be
unique within a phase, which they are for phases of up to 32768 messages;
and a level in a time loop gets the same tags in every iteration that moves
the same rows.  Both sides post the messages in the same order, so even
beyond that MPI's non-overtaking rule pairs them correctly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

TAG_LIMIT = 32768  # MPI_TAG_UB is at least 32767; AV_TAG_LIMIT in C


@dataclass(frozen=True)
class Move:
    """One message the table decided: ``src`` sends rows ``[lo, hi)`` of ``m`` to ``dst``."""

    m: str
    src: int
    dst: int
    lo: int
    hi: int
    tag: int


@dataclass
class Segment:
    lo: int
    hi: int
    ranks: set[int]  # the ranks holding rows [lo, hi)
    writer: int  # the rank of their last write, -1: never written


class Owners:
    """av_owners: the segments of every memref, for ``size`` ranks."""

    def __init__(self, rows: Iterable[tuple[str, int]], size: int) -> None:
        self.size = size
        self.segments: dict[str, list[Segment]] = {
            m: [Segment(0, n, set(range(size)), -1)] for m, n in rows
        }
        self.count = 0  # messages posted so far in this phase

    def phase(self) -> None:
        """A new phase starts: its messages are numbered from 0."""
        self.count = 0

    def state(self) -> tuple[tuple[str, tuple[tuple[int, int, tuple[int, ...], int], ...]], ...]:
        """The table as a value: each memref's segments (lo, hi, ranks, writer)."""
        return tuple(
            (m, tuple((s.lo, s.hi, tuple(sorted(s.ranks)), s.writer) for s in segs))
            for m, segs in self.segments.items()
        )

    def split_at(self, m: str, row: int) -> None:
        """Make ROW the start of a segment of M (when it is inside one)."""
        segs = self.segments[m]
        for k, s in enumerate(segs):
            if s.lo < row < s.hi:
                segs.insert(k + 1, Segment(row, s.hi, set(s.ranks), s.writer))
                s.hi = row
                return

    def merge(self, m: str) -> None:
        """Join neighbouring segments of M with the same ranks and writer."""
        segs = self.segments[m]
        k = 1
        while k < len(segs):
            a, b = segs[k - 1], segs[k]
            if a.ranks == b.ranks and a.writer == b.writer:
                a.hi = b.hi
                del segs[k]
            else:
                k += 1

    def need(self, m: str, dst: int, lo: int, hi: int) -> list[Move]:
        """The messages that make rows [lo, hi) of M valid on DST (none when they are)."""
        if lo >= hi:
            return []
        self.split_at(m, lo)
        self.split_at(m, hi)
        moves: list[Move] = []
        for s in self.segments[m]:
            if s.hi <= lo or s.lo >= hi or dst in s.ranks:
                continue
            src = s.writer if s.writer in s.ranks else min(s.ranks)
            last = moves[-1] if moves else None
            if last is not None and last.src == src and last.hi == s.lo:
                moves[-1] = Move(m, src, dst, last.lo, s.hi, last.tag)
            else:
                moves.append(Move(m, src, dst, s.lo, s.hi, self.count % TAG_LIMIT))
                self.count += 1
            s.ranks.add(dst)
        self.merge(m)
        return moves

    def wrote(self, m: str, rank: int, lo: int, hi: int) -> None:
        """A task on RANK wrote rows [lo, hi) of M: valid there only."""
        if lo >= hi:
            return
        self.split_at(m, lo)
        self.split_at(m, hi)
        for s in self.segments[m]:
            if lo <= s.lo and s.hi <= hi:
                s.ranks = {rank}
                s.writer = rank
        self.merge(m)

    def holds(self, m: str, rank: int, lo: int, hi: int) -> bool:
        return all(rank in s.ranks for s in self.segments[m] if s.lo < hi and s.hi > lo)


def block(lo: int, hi: int, q: int, size: int) -> tuple[int, int]:
    """Rank Q's block when rows [lo, hi) are divided among SIZE ranks into
    contiguous blocks in rank order, the first (hi - lo) % size blocks one
    row longer; an empty block (lo == hi) when Q gets no rows (av_block)."""
    n = max(hi - lo, 0)
    base, extra = divmod(n, size)
    start = lo + q * base + min(q, extra)
    return start, start + base + (1 if q < extra else 0)
