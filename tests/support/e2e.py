"""Shared machinery of the end-to-end tests: build, run under mpirun, compare.

Not a test module itself; imported by test_e2e*.py.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from avial2c.build import build, has_gpu_tasks
from avial2c.build import runtime_library as build_runtime_library
from avial2c.check.checker import check_program
from avial2c.codegen import c as codegen_c
from avial2c.codegen.views import GeneratedSources
from avial2c.diagnostics import DiagnosticEngine
from avial2c.frontend.parse import parse_program
from avial2c.interp.run import interpret
from avial2c.ir import CheckedProgram, MemRefType, walk_ops
from avial2c.npyio import numpy_dtype, written_memrefs
from avial2c.plan.schedule import make_schedule

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
MPI_TIMEOUT = 120  # seconds; a deadlock fails the test instead of hanging it



def mpi_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1", OMP_NUM_THREADS="2",
               # Every parallel loop on 2 threads, however small (runtime_c/avial_rt.h).
               AVIAL_OMP_MIN_WORK="0")  # fmt: skip
    # Each job's Open MPI session files in a folder of its own (tests/conftest.py).
    _SESSION_DIR.mkdir(parents=True, exist_ok=True)
    env["OMPI_MCA_orte_tmpdir_base"] = tempfile.mkdtemp(prefix="ompi-", dir=_SESSION_DIR)
    return env


def check_text(text: str, name: str = "unit.mlir") -> CheckedProgram:
    """The checked program of TEXT (named NAME in diagnostics); errors fail the test."""
    engine = DiagnosticEngine(source=text)
    program = check_program(parse_program(text, name), engine)
    assert not engine.has_errors, engine.render() + "\n" + text
    return program


def load(path: Path) -> CheckedProgram:
    return check_text(path.read_text(), str(path))


def gpu_examples() -> list[Path]:
    """The examples with tasks on GPU targets."""
    return [p for p in sorted(EXAMPLES.glob("*.mlir")) if has_gpu_tasks(load(p))]


def random_inputs(program: CheckedProgram, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Random contents for every schedule memref, over the full range of small types."""
    out: dict[str, np.ndarray] = {}
    for m in program.memrefs:
        t = m.type
        assert isinstance(t, MemRefType)
        dtype = numpy_dtype(t.elem)
        if t.elem.name == "i1":
            a = rng.integers(0, 2, size=t.shape).astype(bool)
        elif t.elem.is_float:
            a = rng.uniform(0.5, 8.0, size=t.shape).astype(dtype)
        else:
            info = np.iinfo(dtype)
            lo, hi = max(int(info.min), -1000), min(int(info.max), 1000)
            a = rng.integers(lo, hi, size=t.shape, endpoint=True).astype(dtype)
        # np.array, not np.ascontiguousarray: that one turns a rank-0 memref into shape (1,).
        out[m.name] = np.array(a, dtype=dtype, order="C")
    return out


def write_inputs(inputs: dict[str, np.ndarray], where: Path) -> list[str]:
    where.mkdir(parents=True, exist_ok=True)
    args: list[str] = []
    for name, array in inputs.items():
        path = where / f"{name}.npy"
        np.save(path, array)
        args += ["--input", f"{name}={path}"]
    return args


def has_reductions(program: CheckedProgram) -> bool:
    return any(op.name == "scf.reduce" for t in program.tasks for op in walk_ops(t.body))


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


def mpirun(exe: Path, np_ranks: int, args: list[str], timeout: int = MPI_TIMEOUT) -> Run:
    cmd = ["mpirun", "-n", str(np_ranks), "--oversubscribe", str(exe), *args]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env=mpi_env(), check=False)  # fmt: skip
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"mpirun -n {np_ranks} {exe.name} did not finish in {timeout}s: {e}")
    return Run(done.returncode, done.stdout, done.stderr)


# Built once per test session: the runtime library per set of extra flags,
# and each program per (generated sources, flags).
_SESSION_DIR = Path(tempfile.mkdtemp(prefix="avial2c-tests-"))
atexit.register(shutil.rmtree, _SESSION_DIR, ignore_errors=True)
_RUNTIMES: dict[tuple[str, ...], Path] = {}
_BUILT: dict[str, Path] = {}


def runtime_library(extra_cflags: Sequence[str] = ()) -> Path:
    """libavial_rt.a built with EXTRA_CFLAGS, compiled once per test session."""
    key = tuple(extra_cflags)
    if key not in _RUNTIMES:
        where = _SESSION_DIR / f"runtime-{len(_RUNTIMES)}"
        _RUNTIMES[key] = build_runtime_library(where, extra_cflags)
    return _RUNTIMES[key]


def build_example(
    program: CheckedProgram,
    out_dir: Path,
    sync: str,
    gpu: str = "emulate",
    extra_cflags: Sequence[str] = (),
    compact: bool | None = None,
) -> Path:
    """PROGRAM built into OUT_DIR/prog, or the same build from earlier in the session:
    programs whose generated sources and flags are equal share one executable.
    COMPACT forces the C generator's compact form on or off (default: by size)."""
    sources = generate(program, sync, gpu, compact)
    key = hashlib.sha256(
        "\0".join([sources.c, sources.cuda or "", gpu, *extra_cflags]).encode()
    ).hexdigest()
    if key not in _BUILT:
        runtime = runtime_library(extra_cflags)
        _BUILT[key] = build(program, out_dir / "prog", sync=sync, gpu=gpu,
                            extra_cflags=extra_cflags, runtime=runtime, compact=compact)  # fmt: skip
    return _BUILT[key]


def assert_same_memrefs(
    program: CheckedProgram, got_dir: Path, expected: dict[str, np.ndarray], context: str
) -> None:
    reordered = has_reductions(program)
    for name in written_memrefs(program):
        got = np.load(got_dir / f"{name}.npy")
        want = expected[name]
        assert got.dtype == want.dtype and got.shape == want.shape, f"{context}: %{name}"
        if want.dtype.kind == "f":
            if reordered:
                rtol = 1e-5 if want.dtype == np.float32 else 1e-12
                np.testing.assert_allclose(got, want, rtol=rtol, atol=0, equal_nan=True,
                                           err_msg=f"{context}: %{name}")  # fmt: skip
            else:
                np.testing.assert_array_equal(got, want, err_msg=f"{context}: %{name}")
        else:
            np.testing.assert_array_equal(got, want, err_msg=f"{context}: %{name}")


def expected_outputs(program: CheckedProgram, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return interpret(program, inputs)


def check_runs(
    program: CheckedProgram,
    work: Path,
    rng: np.random.Generator,
    cases: Sequence[tuple[str, int]],
    compact: bool | None = None,
) -> None:
    """Builds PROGRAM for each sync mode of CASES ((sync, ranks) pairs), runs
    it on that many ranks on random inputs, and compares with the interpreter."""
    inputs = random_inputs(program, rng)
    args = write_inputs(inputs, work / "in")
    want = expected_outputs(program, inputs)
    exes: dict[str, Path] = {}
    for sync, ranks in cases:
        if sync not in exes:
            exes[sync] = build_example(program, work / f"build-{sync}", sync, compact=compact)
        out = work / f"out-{sync}-{ranks}"
        run = mpirun(exes[sync], ranks, [*args, "--output-dir", str(out)])
        context = f"{program.file} --sync {sync} on {ranks} ranks"
        assert run.returncode == 0, f"{context}: {run.stderr}"
        assert_same_memrefs(program, out, want, context)


def generate(
    program: CheckedProgram, sync: str = "barrier", gpu: str = "emulate", compact: bool | None = None
) -> GeneratedSources:
    """The generated sources of PROGRAM (checked) with its schedule for SYNC."""
    return codegen_c.generate(program, make_schedule(program, sync), gpu, compact)
