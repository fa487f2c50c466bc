"""Task bodies checked against real MLIR (mlir-opt-22 lowering, mlir-runner-22).

For every task of the examples that runs on a CPU target and has no
gpu.launch, the body is lowered and run by MLIR (``mlir_oracle``) on two
input sets: the generated programs' default inputs and random inputs in a
range where every op stays well defined in MLIR (integers 1..100, floats
0.5..8).  Its memrefs must equal

* the reference interpreter's, bit for bit (both run iterations in order);
* those of the C program built from the task alone and run on one rank, bit
  for bit, except that where the task has an ``scf.reduce`` float results may
  differ within LANGUAGE.md's bounds (1e-5 relative for f32, 1e-12 for f64),
  because OpenMP reorders the reduction.

MLIR's results travel as exact bit patterns (see ``mlir_oracle``), so no
tolerance for printing precision is needed.
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from e2e import EXAMPLES, load, mpirun, write_inputs
from markers import needs_mpi
from mlir_oracle import (
    default_inputs,
    memref_type,
    missing_tools,
    oracle_tasks,
    run_task,
    safe_random_inputs,
    sub_program,
    touched_memrefs,
)

from avial2c.build import build
from avial2c.check.checker import check_program
from avial2c.diagnostics import DiagnosticEngine
from avial2c.frontend.parse import parse_program
from avial2c.interp.run import interpret
from avial2c.ir import Program, Task, walk_ops
from avial2c.npyio import numpy_dtype
from avial2c.printer.canonical import canonical

MISSING = missing_tools()
# It builds and runs C programs beside mlir-runner: slow.
pytestmark = [pytest.mark.skipif(MISSING is not None, reason=MISSING or ""), pytest.mark.slow]


INPUT_SETS = ("default", "random")
# Larger memrefs are too slow for the op-by-op interpreter (bigexchange; its
# bodies are the same as bigexchange_small's, which is checked against it).
INTERP_LIMIT = 1 << 16
MPI_TIMEOUT = 60
REDUCTION_RTOL = {"float32": 1e-5, "float64": 1e-12}
SHOWN = 5  # mismatching elements listed in a failure


@dataclass(frozen=True)
class Case:
    path: Path
    index: int  # position of the task in the program; -1 if the example does not load
    name: str

    @property
    def id(self) -> str:
        return f"{self.path.stem}-{self.name}"


@functools.cache
def program_of(path: Path) -> Program:
    return load(path)


def collect() -> list[Case]:
    cases: list[Case] = []
    for path in sorted(EXAMPLES.glob("*.mlir")):
        try:
            program = program_of(path)
        except Exception:  # the test of this case reports the failure
            cases.append(Case(path, -1, "load"))
            continue
        chosen = oracle_tasks(program)
        cases += [Case(path, k, t.name) for k, t in enumerate(program.tasks) if t in chosen]
    return cases


CASES = collect()


def task_of(case: Case) -> tuple[Program, Task]:
    program = program_of(case.path)
    assert case.index >= 0, f"{case.path.name} has no checkable tasks"
    return program, program.tasks[case.index]


@functools.cache
def key_of(case: Case) -> tuple[str, tuple[str, ...]]:
    """Cases with equal keys are the same task on the same memrefs (the seed
    examples spell one program in several syntaxes): they share all results."""
    program, task = task_of(case)
    return canonical(sub_program(program, task)), tuple(m.name for m in program.memrefs)


def inputs_for(case: Case, label: str) -> dict[str, np.ndarray]:
    program = program_of(case.path)
    if label == "default":
        return default_inputs(program)
    return safe_random_inputs(program, zlib.crc32(repr(key_of(case)).encode()))


Results = dict[str, np.ndarray]
MLIR_RESULTS: dict[tuple[tuple[str, tuple[str, ...]], str], Results] = {}
INTERP_RESULTS: dict[tuple[tuple[str, tuple[str, ...]], str], Results] = {}


def mlir_result(case: Case, label: str) -> Results:
    key = (key_of(case), label)
    if key not in MLIR_RESULTS:
        program, task = task_of(case)
        MLIR_RESULTS[key] = run_task(program, task, inputs_for(case, label))
    return MLIR_RESULTS[key]


def interp_result(case: Case, label: str) -> Results:
    key = (key_of(case), label)
    if key not in INTERP_RESULTS:
        program, task = task_of(case)
        INTERP_RESULTS[key] = interpret(sub_program(program, task), inputs_for(case, label))
    return INTERP_RESULTS[key]


# --------------------------------------------------------------------------
# Comparison


def bits(a: np.ndarray) -> np.ndarray:
    return a.view(np.uint32 if a.dtype == np.float32 else np.uint64)


def differing(got: np.ndarray, want: np.ndarray, rtol: float | None) -> np.ndarray:
    """Mask of the elements where GOT and WANT differ (NaN equals NaN)."""
    if got.dtype.kind != "f":
        return np.asarray(got != want)
    both_nan = np.isnan(got) & np.isnan(want)
    if rtol is None:
        return np.asarray((bits(got) != bits(want)) & ~both_nan)
    close = np.isclose(got, want, rtol=rtol, atol=0.0)
    return np.asarray(~close & ~both_nan)


def shown(a: np.ndarray, at: tuple[int, ...]) -> str:
    v = a[at]
    if a.dtype.kind == "f":
        return f"{v!r} ({int(bits(np.asarray(v).reshape(1))[0]):#x})"
    return repr(v.item())


def assert_same(
    got: Results,
    want: Results,
    names: tuple[str, str],
    context: str,
    rtol: dict[str, float] | None = None,
) -> None:
    """GOT (from names[0]) equals WANT (from names[1]) on every memref of GOT."""
    assert got, f"{context}: nothing to compare"
    for name, a in got.items():
        b = want[name]
        assert (a.dtype, a.shape) == (b.dtype, b.shape), (
            f"{context}: %{name} is {a.dtype}{a.shape} from {names[0]}, "
            f"{b.dtype}{b.shape} from {names[1]}"
        )
        tol = None if rtol is None else rtol.get(a.dtype.name)
        bad = np.argwhere(differing(a, b, tol))
        if len(bad):
            lines = [
                f"%{name}{list(map(int, at))}: {names[0]} {shown(a, tuple(at))}, "
                f"{names[1]} {shown(b, tuple(at))}"
                for at in bad[:SHOWN]
            ]
            pytest.fail(
                f"{context}: %{name} differs in {len(bad)} of {a.size} elements:\n"
                + "\n".join(lines)
            )


def has_reduction(task: Task) -> bool:
    return any(op.name == "scf.reduce" for op in walk_ops(task.body))


def too_big_to_interpret(program: Program, task: Task) -> bool:
    return any(memref_type(m).numel > INTERP_LIMIT for m in touched_memrefs(program, task))


# --------------------------------------------------------------------------
# The C side: each task built alone and run on one rank with both input sets.
# Builds and runs go on in the background, two at a time, while MLIR runs.


def c_job(case: Case, where: Path) -> dict[str, Results]:
    program, task = task_of(case)
    exe = build(sub_program(program, task), where / "prog", gpu="emulate")
    return {label: c_run(case, label, exe, where / label) for label in INPUT_SETS}


def c_run(case: Case, label: str, exe: Path, where: Path) -> Results:
    """Run EXE on one rank; the task's written memrefs as it writes them out."""
    _, task = task_of(case)
    args = [] if label == "default" else write_inputs(inputs_for(case, label), where / "in")
    out = where / "out"
    run = mpirun(exe, 1, [*args, "--output-dir", str(out)], timeout=MPI_TIMEOUT)
    assert run.returncode == 0, f"{case.id} ({label} inputs): exit {run.returncode}\n{run.stderr}"
    return {m.name: np.load(out / f"{m.name}.npy") for m in task.writes}


@dataclass
class CRuns:
    factory: pytest.TempPathFactory
    pool: ThreadPoolExecutor
    jobs: dict[tuple[str, tuple[str, ...]], Future[dict[str, Results]]]

    def submit(self, case: Case) -> None:
        key = key_of(case)
        if key not in self.jobs:
            where = self.factory.mktemp(f"c-{case.id}")
            self.jobs[key] = self.pool.submit(c_job, case, where)

    def result(self, case: Case) -> dict[str, Results]:
        self.submit(case)
        return self.jobs[key_of(case)].result()


@pytest.fixture(scope="module")
def c_runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CRuns]:
    selected = [
        item.callspec.params["case"]
        for item in request.session.items
        if getattr(item, "originalname", None) == "test_mlir_matches_c"
        and hasattr(item, "callspec")
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = CRuns(tmp_path_factory, pool, {})
        for case in selected:
            if case.index >= 0:
                runs.submit(case)
        yield runs
        pool.shutdown(cancel_futures=True)


# --------------------------------------------------------------------------
# Tests


def test_every_cpu_task_of_the_examples_is_a_case() -> None:
    assert len(CASES) >= 30
    ids = [c.id for c in CASES]
    assert "jacobi2d-sweep1" in ids and "select_math-math" in ids
    assert len(set(ids)) == len(ids)


@needs_mpi
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_mlir_matches_c(case: Case, c_runs: CRuns) -> None:
    program, task = task_of(case)
    rtol = REDUCTION_RTOL if has_reduction(task) else None
    got = c_runs.result(case)
    for label in INPUT_SETS:
        context = f"{case.id} ({label} inputs)"
        assert_same(mlir_result(case, label), got[label], ("MLIR", "C"), context, rtol)
        if not too_big_to_interpret(program, task):
            assert_same(got[label], interp_result(case, label), ("C", "interpreter"), context, rtol)


# Tasks with memrefs over INTERP_LIMIT elements are too slow for the
# interpreter; test_mlir_matches_c checks MLIR against C for them.
INTERPRETABLE = [c for c in CASES if not too_big_to_interpret(*task_of(c))]


@pytest.mark.parametrize("label", INPUT_SETS)
@pytest.mark.parametrize("case", INTERPRETABLE, ids=[c.id for c in INTERPRETABLE])
def test_mlir_matches_interpreter(case: Case, label: str) -> None:
    context = f"{case.id} ({label} inputs)"
    assert_same(
        mlir_result(case, label), interp_result(case, label), ("MLIR", "interpreter"), context
    )


# --------------------------------------------------------------------------
# The oracle's own plumbing: every element type crosses into MLIR and back
# bit for bit, NaN payloads, signed zeros and extreme integers included.

ROUNDTRIP = """\
func.func @main(%a: memref<5xi1>, %b: memref<2x3xi8>, %c: memref<7xi16>, %d: memref<4xi32>,
                %e: memref<2x2xi64>, %f: memref<3xindex>, %g: memref<2x4xf32>, %h: memref<6xf64>,
                %z: memref<f32>) {
  avial.schedule %a, %b, %c, %d, %e, %f, %g, %h, %z : memref<5xi1>, memref<2x3xi8>, memref<7xi16>, memref<4xi32>, memref<2x2xi64>, memref<3xindex>, memref<2x4xf32>, memref<6xf64>, memref<f32> {
    %cpu = avial.target {arch = "x86_64"}
    %same = avial.task %cpu reads() writes(%a, %b, %c, %d, %e, %f, %g, %h, %z) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %x = memref.load %a[%c1] : memref<5xi1>
      memref.store %x, %a[%c1] : memref<5xi1>
      %y = memref.load %z[] : memref<f32>
      memref.store %y, %z[] : memref<f32>
      avial.yield
    }
  }
  return
}
"""


def extreme_inputs(program: Program, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Random bit patterns of every element type, with signed zeros and infinities."""
    out: dict[str, np.ndarray] = {}
    for m in program.memrefs:
        t = memref_type(m)
        dtype = numpy_dtype(t.elem)
        if t.elem.name == "i1":
            flat = rng.integers(0, 2, size=t.numel).astype(dtype)
        else:
            flat = np.frombuffer(rng.bytes(t.numel * dtype.itemsize), dtype=dtype).copy()
        out[m.name] = flat.reshape(t.shape)
    out["g"].reshape(-1)[:3] = [-0.0, np.inf, np.nan]
    out["h"].reshape(-1)[:2] = [-0.0, -np.inf]
    out["e"].reshape(-1)[:2] = [np.iinfo(np.int64).min, np.iinfo(np.int64).max]
    return out


def test_every_element_type_crosses_mlir_bit_for_bit() -> None:
    text = ROUNDTRIP
    engine = DiagnosticEngine(source=text)
    program = check_program(parse_program(text, "roundtrip.mlir"), engine)
    assert not engine.has_errors, engine.render()
    inputs = extreme_inputs(program, np.random.default_rng(7))
    got = run_task(program, program.tasks[0], inputs)
    assert sorted(got) == sorted(inputs)
    for name, want in inputs.items():
        a = got[name]
        assert (a.dtype, a.shape) == (want.dtype, want.shape), name
        if a.dtype.kind == "f":
            np.testing.assert_array_equal(bits(a), bits(want), err_msg=name)
        else:
            np.testing.assert_array_equal(a, want, err_msg=name)
