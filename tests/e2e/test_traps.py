"""The communication trap too large for the interpreter: examples/bigexchange.mlir.

At level 1, rank 0 needs %q (8 MiB) from rank 1 while rank 1 needs %p
(8 MiB) from rank 0.  Posted as blocking send/recv pairs, both ranks would
sit in MPI_Send waiting for a receive that is never posted (8 MiB is far
above every eager limit); the generated program must post both Irecv/Isend
pairs before one MPI_Waitall.  The run has a timeout, so a deadlock fails
the test; the results are checked against NumPy, element for element.
(bigexchange_small.mlir, the same structure at 4096 elements, is compared
with the interpreter in test_e2e.py.)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from e2e import EXAMPLES, build_example, generate, load, mpirun
from markers import needs_mpi

from avial2c.plan.plan import make_plan

BIG = EXAMPLES / "bigexchange.mlir"
MIB = 1 << 20


def expected() -> dict[str, np.ndarray]:
    """The four memrefs as the sequential program leaves them (float32 throughout)."""
    n = 2097152
    i = np.arange(n, dtype=np.int32).astype(np.float32)
    p = i * np.float32(1.0)
    q = i * np.float32(2.0)
    return {"p": p, "q": q, "r": q + np.float32(1.0), "s": p * np.float32(3.0)}


def test_level_1_moves_8_mib_both_ways_at_once() -> None:
    plan = make_plan(load(BIG), 2)
    level1 = [t for t in plan.transfers if t.level == 1]
    assert sorted((t.src, t.dst, t.memref) for t in level1) == [(0, 1, "p"), (1, 0, "q")]
    assert all(t.nbytes >= 8 * MIB for t in level1)
    # Tags number the messages of each phase (the transfers before a level, the gathering).
    for phase in [level.transfers for level in plan.levels] + [plan.final]:
        assert len({t.tag for t in phase}) == len(phase)


def test_both_transfers_are_posted_before_one_wait() -> None:
    c = generate(load(BIG)).c
    start = c.index("---- level 1")
    level1 = c[start : c.index("\n}\n", start)]
    posts = [level1.index(f"MPI_{call}({m} + x->lo") for m in "qp" for call in ("Irecv", "Isend")]
    wait = level1.index("av_wait_all")
    assert max(posts) < wait
    assert level1.count("av_wait_all") == 1
    assert "MPI_Send(" not in c and "MPI_Recv(" not in c


@needs_mpi
@pytest.mark.parametrize("sync", ["barrier", "p2p"])
def test_big_exchange_runs_on_two_ranks_without_deadlock(sync: str, tmp_path: Path) -> None:
    program = load(BIG)
    exe = build_example(program, tmp_path / "build", sync)
    want = expected()
    for ranks in (2, 3):
        out = tmp_path / f"out{ranks}"
        run = mpirun(exe, ranks, ["--output-dir", str(out)], timeout=180)
        assert run.returncode == 0, f"{sync} on {ranks} ranks: {run.stderr}"
        for name, array in want.items():
            got = np.load(out / f"{name}.npy")
            assert got.dtype == np.float32 and got.shape == array.shape, name
            np.testing.assert_array_equal(got, array, err_msg=f"%{name} ({sync}, {ranks} ranks)")
