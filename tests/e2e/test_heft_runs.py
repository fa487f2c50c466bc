"""--placement heft end to end: every example placed by HEFT for N ranks
(N from 1 to 4 across the examples) gives the interpreter's memrefs on N
ranks, and a HEFT program started on another number of ranks stops with a
clear error and exit status 2."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest
from e2e import (
    EXAMPLES,
    assert_same_memrefs,
    expected_outputs,
    load,
    mpirun,
    random_inputs,
    runtime_library,
    write_inputs,
)
from markers import needs_mpi

from avial2c.build import build
from avial2c.machine import Machine, RankSpec
from avial2c.plan.plan import heft_schedule

TOO_BIG = {"bigexchange.mlir"}
CASES = [p for p in sorted(EXAMPLES.glob("*.mlir")) if p.name not in TOO_BIG]

pytestmark = needs_mpi


def machine(ranks: int) -> Machine:
    # Uneven ranks, so HEFT's choices differ from round robin's.
    return Machine(tuple(RankSpec(1 + r % 2, 1.0 + r) for r in range(ranks)))


@pytest.mark.parametrize("sync", ["barrier", "p2p"])
@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_heft_placed_example_matches_the_interpreter(path: Path, sync: str, tmp_path: Path) -> None:
    ranks = 1 + CASES.index(path) % 4 if sync == "barrier" else 4 - CASES.index(path) % 4
    program = load(path)
    schedule = heft_schedule(program, sync, "declared", machine(ranks))
    exe = build(program, tmp_path / "prog", sync=sync, gpu="emulate", schedule=schedule,
                runtime=runtime_library())  # fmt: skip
    rng = np.random.default_rng(zlib.crc32(f"heft:{path.name}:{sync}".encode()))
    inputs = random_inputs(program, rng)
    args = write_inputs(inputs, tmp_path / "in")
    run = mpirun(exe, ranks, [*args, "--output-dir", str(tmp_path / "out")])
    context = f"{path.name} --placement heft --sync {sync} on {ranks} ranks"
    assert run.returncode == 0, f"{context}: {run.stderr}"
    assert_same_memrefs(program, tmp_path / "out", expected_outputs(program, inputs), context)


def test_a_heft_program_refuses_another_world_size(tmp_path: Path) -> None:
    program = load(EXAMPLES / "pipeline.mlir")
    schedule = heft_schedule(program, "barrier", "declared", machine(3))
    exe = build(program, tmp_path / "prog", gpu="emulate", schedule=schedule,
                runtime=runtime_library())  # fmt: skip
    run = mpirun(exe, 2, ["--output-dir", str(tmp_path / "out")])
    assert run.returncode == 2
    assert "this program runs on 3 ranks only (--placement heft placed its tasks for 3 ranks), " \
           "not on 2" in run.stderr  # fmt: skip
    assert "MPI_ABORT" not in run.stderr + run.stdout
    assert not (tmp_path / "out").exists()
