"""Programs built and launched with MPICH instead of Open MPI.

Debian installs MPICH beside Open MPI (``apt-get install mpich
libmpich-dev``) as ``mpicc.mpich`` and ``mpirun.mpich``; Open MPI stays the
default ``mpicc`` and ``mpirun`` (its alternatives have the higher priority).
``MPICC`` and ``MPIRUN`` make ``avial2c run`` use MPICH's, and ``avial2c``
reads ``mpirun --version`` to launch it without Open MPI's flags.  Skipped,
with the reason, where MPICH is not installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from e2e import EXAMPLES

from avial2c.launch import mpi_kind, probe

MPICH_CC = shutil.which("mpicc.mpich")
MPICH_RUN = shutil.which("mpirun.mpich")
HAVE_MPICH = (
    MPICH_CC is not None
    and MPICH_RUN is not None
    and mpi_kind(probe([MPICH_RUN, "--version"])) == "mpich"
)
pytestmark = pytest.mark.skipif(
    not HAVE_MPICH,
    reason="MPICH is not installed (mpicc.mpich, mpirun.mpich: apt-get install mpich "
    "libmpich-dev, which keeps Open MPI the default mpicc and mpirun)",
)


def avial2c(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMPI_")}
    env.update(MPICC=str(MPICH_CC), MPIRUN=str(MPICH_RUN), OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "avial2c", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip


def results(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if not line.startswith("wall time:")]


@pytest.mark.parametrize("name", ["seed.mlir", "jacobi_split.mlir"])
def test_mpich_runs_match_the_interpreter(name: str, tmp_path: Path) -> None:
    src = str(EXAMPLES / name)
    want = avial2c(tmp_path, "run", src, "--interpret")
    assert want.returncode == 0, want.stderr
    # 3 ranks on this 2-core machine: MPICH oversubscribes without being asked.
    for ranks in ("1", "3"):
        got = avial2c(tmp_path, "run", src, "-n", ranks, "--gpu", "emulate", "--sync", "p2p")
        assert got.returncode == 0, got.stderr
        assert results(got.stdout) == results(want.stdout), f"{ranks} ranks"
    # Built against MPICH's library, not Open MPI's.
    exe = tmp_path / "build" / Path(name).stem
    linked = subprocess.run(["ldd", str(exe)], capture_output=True, text=True, check=False)
    assert "libmpich" in linked.stdout and "libmpi.so" not in linked.stdout, linked.stdout


def test_a_bad_input_under_mpich_is_one_line_and_status_2(tmp_path: Path) -> None:
    np.save(tmp_path / "f32.npy", np.zeros((16, 16), dtype=np.float32))
    done = avial2c(tmp_path, "run", str(EXAMPLES / "jacobi2d.mlir"), "-n", "2",
                   "--", "--input", f"v={tmp_path}/f32.npy")  # fmt: skip
    assert done.returncode == 2, done.stderr
    message = "expected float64 (16, 16), found float32 (16, 16)"
    # The error is the last line, and no launcher banner repeats the status
    # (compiler warnings, were there any, would come before it).
    assert done.stderr.endswith(f"\nerror: --input v={tmp_path}/f32.npy: {message}\n") or (
        done.stderr == f"error: --input v={tmp_path}/f32.npy: {message}\n"
    ), done.stderr
    for banner in ("-" * 20, "non-zero", "MPI_ABORT", "BAD TERMINATION"):
        assert banner not in done.stderr, done.stderr
