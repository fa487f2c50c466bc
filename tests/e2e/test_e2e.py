"""End to end: every example built with mpicc, run on 1-4 ranks in both sync
modes on random inputs, gives the interpreter's memrefs.

Integers must be bit-exact; floats too, except where scf.parallel reductions
reorder sums (1e-5 relative for f32, 1e-12 for f64).
"""

from __future__ import annotations

import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from e2e import (
    EXAMPLES,
    MPI_TIMEOUT,
    assert_same_memrefs,
    build_example,
    expected_outputs,
    load,
    mpi_env,
    mpirun,
    random_inputs,
    write_inputs,
)
from markers import needs_mpi

# Communication tests too large for the op-by-op interpreter; see test_traps.py.
TOO_BIG = {"bigexchange.mlir"}
CASES = [p for p in sorted(EXAMPLES.glob("*.mlir")) if p.name not in TOO_BIG]

pytestmark = needs_mpi


@pytest.mark.parametrize("sync", ["barrier", "p2p"])
@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_example_matches_interpreter_on_1_to_4_ranks(
    path: Path, sync: str, tmp_path: Path
) -> None:
    program = load(path)
    exe = build_example(program, tmp_path / "build", sync)
    # A fixed seed per case (str hashes change from run to run; crc32 does not).
    rng = np.random.default_rng(zlib.crc32(f"{path.name}:{sync}".encode()))
    inputs = random_inputs(program, rng)
    args = write_inputs(inputs, tmp_path / "in")
    want = expected_outputs(program, inputs)
    for ranks in (1, 2, 3, 4):
        out = tmp_path / f"out{ranks}"
        run = mpirun(exe, ranks, [*args, "--output-dir", str(out)])
        context = f"{path.name} --sync {sync} on {ranks} ranks"
        assert run.returncode == 0, f"{context}: {run.stderr}"
        assert_same_memrefs(program, out, want, context)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_printed_outputs_match_interpret_mode(path: Path, tmp_path: Path) -> None:
    """With the default inputs, the program prints what `run --interpret` prints."""
    program = load(path)
    exe = build_example(program, tmp_path / "build", "barrier")
    run = mpirun(exe, 2, [])
    assert run.returncode == 0, run.stderr
    interp = subprocess.run(
        [sys.executable, "-m", "avial2c", "run", str(path), "--interpret"],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert interp.returncode == 0, interp.stderr

    def values(text: str) -> list[str]:
        return [ln for ln in text.splitlines() if ln.startswith("%")]

    got, want = values(run.stdout), values(interp.stdout)
    assert got and len(got) == len(want)
    if not any(op in path.read_text() for op in ("scf.reduce", "init (")):
        assert got == want


@needs_mpi
def test_small_loops_give_the_same_results_on_one_thread_or_many(tmp_path: Path) -> None:
    """AVIAL_OMP_MIN_WORK unset (small loops on one thread), 0 (every loop on
    2 threads), huge, or not a number (ignored): the same memrefs."""
    program = load(EXAMPLES / "jacobi2d.mlir")
    exe = build_example(program, tmp_path / "build", "p2p")
    inputs = random_inputs(program, np.random.default_rng(4))
    args = write_inputs(inputs, tmp_path / "in")
    want = expected_outputs(program, inputs)
    for value in (None, "0", "1000000000", "lots", "-3"):
        env = mpi_env()
        env.pop("AVIAL_OMP_MIN_WORK", None)
        if value is not None:
            env["AVIAL_OMP_MIN_WORK"] = value
        out = tmp_path / f"out-{value}"
        done = subprocess.run(["mpirun", "-n", "2", "--oversubscribe", str(exe), *args,
                               "--output-dir", str(out)], capture_output=True, text=True,
                              env=env, timeout=MPI_TIMEOUT, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert_same_memrefs(program, out, want, f"AVIAL_OMP_MIN_WORK={value}")
