"""Robustness: the translator never crashes, a generated program refuses bad
input files cleanly, and a rank that dies mid-run ends the whole job.

* Every file under tests/errors/, and mutations of every example, go through
  the whole translator (`--emit c`, `--emit plan`): the exit status is 0 or 1,
  never 3, and no traceback is printed.
* A generated program given a missing, truncated, wrong-dtype, wrong-shape or
  non-.npy input exits with status 2 on every rank, names the file and what
  is wrong, and writes nothing.  Rank 0 reads the files and broadcasts the
  outcome, so every rank leaves through MPI_Finalize together: never
  MPI_Abort and its banner.  Through `avial2c run` the error is the only
  line on stderr (Open MPI's banners that repeat the status are left out).
* A rank killed with SIGKILL while the others wait for it makes mpirun end
  with a non-zero status, well before the test's timeout.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from e2e import EXAMPLES, build_example, load, mpi_env
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markers import needs_mpi

from avial2c.driver import main

ERRORS = sorted((Path(__file__).resolve().parents[1] / "errors").glob("*.mlir"))
EXAMPLE_TEXTS = {p.name: p.read_text() for p in sorted(EXAMPLES.glob("*.mlir"))}
ARITH_SWAPS = [("addi", "muli"), ("muli", "subi"), ("addf", "divf"), ("mulf", "subf"),
               ("cmpi ult", "cmpi sge"), ("maxsi", "minui"), ("scf.parallel", "scf.for")]  # fmt: skip


def translate(path: Path, *args: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        status = main([str(path), *args])
    return status, err.getvalue()


@pytest.mark.parametrize("path", ERRORS, ids=lambda p: p.stem)
def test_bad_inputs_never_crash_the_translator(path: Path, tmp_path: Path) -> None:
    for args in (["--emit", "c", "-o", str(tmp_path / "p.c")], ["--emit", "plan", "--ranks", "3"]):
        status, err = translate(path, *args)
        assert status == 1, err
        assert "error:" in err
        assert "internal error" not in err and "Traceback" not in err


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, str]:
    """An example with a few likely-valid edits: numbers changed, ops swapped, lines dropped."""
    name = draw(st.sampled_from(sorted(EXAMPLE_TEXTS)))
    text = EXAMPLE_TEXTS[name]
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["number", "swap", "drop"]))
        if kind == "number":
            spots = [m.span() for m in re.finditer(r"(?<![%#\w.])\d+(?![\w.])", text)]
            if spots:
                a, b = draw(st.sampled_from(spots))
                text = text[:a] + str(draw(st.integers(0, 40))) + text[b:]
        elif kind == "swap":
            old, new = draw(st.sampled_from(ARITH_SWAPS))
            text = text.replace(old, new, 1)
        else:
            lines = text.splitlines(keepends=True)
            k = draw(st.integers(0, len(lines) - 1))
            text = "".join(lines[:k] + lines[k + 1 :])
    return name, text


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(case=mutated(), ranks=st.integers(1, 5), sync=st.sampled_from(["barrier", "p2p"]),
       gpu=st.sampled_from(["emulate", "cuda"]))  # fmt: skip
def test_mutated_examples_never_crash_the_translator(
    case: tuple[str, str], ranks: int, sync: str, gpu: str
) -> None:
    name, text = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_text(text)
        for args in (
            ["--emit", "c", "--sync", sync, "--gpu", gpu, "-o", str(Path(tmp) / "p.c")],
            ["--emit", "plan-json", "--ranks", str(ranks), "--sync", sync],
            ["--emit", "generic"],
        ):
            status, err = translate(path, *args)
            assert status in (0, 1), err
            assert "internal error" not in err and "Traceback" not in err


# --------------------------------------------------------------------------
# Bad input files of a generated program


@pytest.fixture(scope="module")
def jacobi(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/jacobi2d.mlir built: %u and %v are memref<16x16xf64>."""
    return build_example(load(EXAMPLES / "jacobi2d.mlir"), tmp_path_factory.mktemp("jacobi"),
                         "barrier")  # fmt: skip


BAD_FILES = {
    "missing": ("nope.npy", "cannot open: No such file or directory"),
    "truncated": ("short.npy", "truncated: expected 2048 data bytes, found 2000"),
    "dtype": ("f32.npy", "expected float64 (16, 16), found float32 (16, 16)"),
    "shape": ("shape.npy", "expected float64 (16, 16), found float64 (256,)"),
    "not npy": ("text.npy", "not a .npy file"),
}


@needs_mpi
@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_npy_exits_2_and_writes_nothing(jacobi: Path, tmp_path: Path, case: str) -> None:
    good = np.arange(256, dtype=np.float64).reshape(16, 16)
    np.save(tmp_path / "good.npy", good)
    np.save(tmp_path / "f32.npy", good.astype(np.float32))
    np.save(tmp_path / "shape.npy", good.reshape(256))
    (tmp_path / "short.npy").write_bytes((tmp_path / "good.npy").read_bytes()[:-48])
    (tmp_path / "text.npy").write_text("1,2,3\n")
    file, message = BAD_FILES[case]
    out, trace = tmp_path / "out", tmp_path / "trace.json"
    args = ["--input", f"u={tmp_path}/good.npy", "--input", f"v={tmp_path}/{file}",
            "--output-dir", str(out), "--trace", str(trace)]  # fmt: skip
    done = subprocess.run(["mpirun", "-n", "2", "--oversubscribe", str(jacobi), *args],
                          capture_output=True, text=True, timeout=120, env=mpi_env(), check=False)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert f"error: --input v={tmp_path}/{file}: {message}" in done.stderr.splitlines()
    assert done.stdout == ""
    assert "MPI_ABORT was invoked" not in done.stderr
    assert not out.exists() and not trace.exists()


@needs_mpi
def test_bad_npy_through_avial2c_run_is_one_line(tmp_path: Path) -> None:
    np.save(tmp_path / "f32.npy", np.zeros((16, 16), dtype=np.float32))
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "avial2c", "run", str(EXAMPLES / "jacobi2d.mlir"), "-n", "2",
           "--", "--input", f"v={tmp_path}/f32.npy", "--output-dir", str(out)]  # fmt: skip
    done = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env=mpi_env(), check=False)  # fmt: skip
    assert done.returncode == 2, done.stderr
    message = "expected float64 (16, 16), found float32 (16, 16)"
    # The error is the last line, and no launcher banner repeats the status
    # (compiler warnings, were there any, would come before it).
    assert done.stderr.endswith(f"\nerror: --input v={tmp_path}/f32.npy: {message}\n") or (
        done.stderr == f"error: --input v={tmp_path}/f32.npy: {message}\n"
    ), done.stderr
    for banner in ("-" * 20, "non-zero", "MPI_ABORT", "BAD TERMINATION"):
        assert banner not in done.stderr, done.stderr
    assert done.stdout == "" and not out.exists()


# --------------------------------------------------------------------------
# A rank that dies


SPIN = """// Rank 1 spins for minutes while rank 0 waits at the level's barrier.
func.func @main(%a: memref<1xi64>, %b: memref<1xi64>) {
  avial.schedule %a, %b : memref<1xi64>, memref<1xi64> {
    %cpu = avial.target {arch = "x86_64"}
    %quick = avial.task %cpu reads() writes(%a) {
      %c0 = arith.constant 0 : index
      %one = arith.constant 1 : i64
      memref.store %one, %a[%c0] : memref<1xi64>
    }
    %spin = avial.task %cpu reads() writes(%b) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %n = arith.constant 400000000000 : index
      %seed = arith.constant 7 : i64
      %mul = arith.constant 6364136223846793005 : i64
      %inc = arith.constant 1442695040888963407 : i64
      %r = scf.for %i = %c0 to %n step %c1 iter_args(%x = %seed) -> (i64) {
        %m = arith.muli %x, %mul : i64
        %y = arith.addi %m, %inc : i64
        scf.yield %y : i64
      }
      memref.store %r, %b[%c0] : memref<1xi64>
    }
  }
  return
}
"""


def rank_pids(exe: Path) -> dict[int, int]:
    """Running processes of EXE, by their OMPI_COMM_WORLD_RANK."""
    found: dict[int, int] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if os.readlink(proc / "exe") != str(exe):
                continue
            env = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        for entry in env:
            if entry.startswith(b"OMPI_COMM_WORLD_RANK="):
                found[int(entry.split(b"=", 1)[1])] = int(proc.name)
    return found


@needs_mpi
def test_a_killed_rank_ends_the_job(tmp_path: Path) -> None:
    src = tmp_path / "spin.mlir"
    src.write_text(SPIN)
    exe = build_example(load(src), tmp_path / "build", "barrier").resolve()
    job = subprocess.Popen(["mpirun", "-n", "2", "--oversubscribe", str(exe)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=mpi_env())  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        pids: dict[int, int] = {}
        while time.monotonic() < deadline and len(pids) < 2:
            time.sleep(0.2)
            pids = rank_pids(exe)
        assert len(pids) == 2, "the two ranks did not start"
        time.sleep(1.0)  # rank 1 is spinning, rank 0 waits at the barrier
        assert job.poll() is None, "the job ended before a rank was killed"
        os.kill(pids[1], signal.SIGKILL)
        status = job.wait(timeout=60)
        assert status != 0
    finally:
        if job.poll() is None:
            job.kill()
            job.wait()
