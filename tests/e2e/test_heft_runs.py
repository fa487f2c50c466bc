"""--placement heft and --fuse end to end: every example, fused or not,
placed by HEFT for N ranks (N from 1 to 4 across the examples), gives the
interpreter's memrefs (of the program as written) on N ranks; so do random
programs; and a HEFT program started on another number of ranks stops with
a clear error and exit status 2."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest
from e2e import (
    EXAMPLES,
    assert_same_memrefs,
    check_text,
    expected_outputs,
    load,
    mpirun,
    random_inputs,
    runtime_library,
    write_inputs,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markers import needs_mpi
from progen import ProgramSpec, programs, render

from avial2c.build import build
from avial2c.machine import Machine, RankSpec
from avial2c.plan.plan import heft_schedule
from avial2c.transforms.fuse import fuse_program

TOO_BIG = {"bigexchange.mlir"}
CASES = [p for p in sorted(EXAMPLES.glob("*.mlir")) if p.name not in TOO_BIG]

pytestmark = needs_mpi


def machine(ranks: int) -> Machine:
    # Uneven ranks, so HEFT's choices differ from round robin's.
    return Machine(tuple(RankSpec(1 + r % 2, 1.0 + r) for r in range(ranks)))


# barrier without fusion, p2p with it: every example both ways, half the builds.
@pytest.mark.parametrize(("sync", "fuse"), [("barrier", False), ("p2p", True)],
                         ids=["heft-barrier", "heft-fuse-p2p"])  # fmt: skip
@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_heft_placed_example_matches_the_interpreter(
    path: Path, sync: str, fuse: bool, tmp_path: Path
) -> None:
    ranks = 1 + CASES.index(path) % 4 if sync == "barrier" else 4 - CASES.index(path) % 4
    ranks = ranks % 4 + 1 if fuse else ranks
    program = load(path)
    placed = fuse_program(program)[0] if fuse else program
    schedule = heft_schedule(placed, sync, "declared", machine(ranks))
    exe = build(placed, tmp_path / "prog", sync=sync, gpu="emulate", schedule=schedule,
                runtime=runtime_library())  # fmt: skip
    rng = np.random.default_rng(zlib.crc32(f"heft:{path.name}:{sync}".encode()))
    inputs = random_inputs(program, rng)
    args = write_inputs(inputs, tmp_path / "in")
    run = mpirun(exe, ranks, [*args, "--output-dir", str(tmp_path / "out")])
    context = f"{path.name} --placement heft{' --fuse' if fuse else ''} --sync {sync} on {ranks} ranks"
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


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(spec=programs(loops=True), ranks=st.integers(1, 4), fuse=st.booleans())
def test_random_programs_match_the_interpreter_with_heft_and_fuse(
    spec: ProgramSpec, ranks: int, fuse: bool, tmp_path_factory: pytest.TempPathFactory
) -> None:
    tmp_path = tmp_path_factory.mktemp("heft")
    program = check_text(render(spec))
    placed = fuse_program(program)[0] if fuse else program
    schedule = heft_schedule(placed, "p2p", "declared", machine(ranks))
    exe = build(placed, tmp_path / "prog", sync="p2p", gpu="emulate", schedule=schedule,
                runtime=runtime_library())  # fmt: skip
    inputs = random_inputs(program, np.random.default_rng(ranks))
    args = write_inputs(inputs, tmp_path / "in")
    run = mpirun(exe, ranks, [*args, "--output-dir", str(tmp_path / "out")])
    assert run.returncode == 0, run.stderr
    assert_same_memrefs(program, tmp_path / "out", expected_outputs(program, inputs),
                        f"random program, heft, fuse={fuse}, {ranks} ranks")  # fmt: skip
