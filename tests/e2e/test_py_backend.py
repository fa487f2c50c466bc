"""The Python backend end to end: generated programs under mpirun against the interpreter.

Every example but the 8 MiB bigexchange.mlir runs in both sync modes, each
on its own number of ranks (1 to 4 in turn over the examples), on random
inputs, and its --output-dir files must equal the interpreter's results
(bit for bit, but for reductions, as for the C); so must a fused program,
one with names Python uses, and a few random programs.  Then the command line:
`avial2c run --backend py` prints what `run --interpret` prints, a bad
--input file stops every rank with status 2 and writes nothing, a
--placement heft program refuses another world size, --trace writes a
Chrome trace, --fuse, names Python uses, and a task body that fails at run
time (exit 3).  GPU tasks: the traced host <-> GPU copies of emulated
programs are the planned ones; with a CUDA device and pycuda (marked `gpu`)
the GPU examples run their kernels through pycuda and must match too.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zlib
from collections.abc import Mapping, Sequence
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pytest
from e2e import (
    EXAMPLES,
    MPI_TIMEOUT,
    Run,
    assert_same_memrefs,
    check_text,
    expected_outputs,
    gpu_examples,
    load,
    mpi_env,
    random_inputs,
    write_inputs,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markers import needs_mpi
from progen import ProgramSpec, programs, render
from test_device_copies import planned, traced
from test_gpu_cuda import compare

from avial2c.build import cuda_usable
from avial2c.codegen.py import generate_py
from avial2c.ir import Program
from avial2c.machine import default_machine
from avial2c.plan.plan import heft_schedule, make_plan
from avial2c.plan.schedule import Schedule, make_schedule
from avial2c.transforms.fuse import fuse_program

ROOT = Path(__file__).resolve().parents[2]
CASES = [p for p in sorted(EXAMPLES.glob("*.mlir")) if p.stem != "bigexchange"]

pytest.importorskip("mpi4py")
pytestmark = needs_mpi


def env(paths: Sequence[Path] = ()) -> dict[str, str]:
    """mpirun's environment, with PATHS and this checkout's avial2c first on the path."""
    out = mpi_env()
    first = ":".join(str(p) for p in [*paths, ROOT])
    out["PYTHONPATH"] = first + (":" + out["PYTHONPATH"] if out.get("PYTHONPATH") else "")
    return out


def mpirun_py(
    script: Path,
    ranks: int,
    args: list[str],
    extra: Mapping[str, str] | None = None,
    paths: Sequence[Path] = (),
) -> Run:
    cmd = ["mpirun", "-n", str(ranks), "--oversubscribe", sys.executable, str(script), *args]
    environ = env(paths)
    environ.update(extra or {})
    for name in extra or {}:
        cmd[3:3] = ["-x", name]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=MPI_TIMEOUT,
                              env=environ, check=False)  # fmt: skip
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"mpirun -n {ranks} {script.name} did not finish in {MPI_TIMEOUT}s: {e}")
    return Run(done.returncode, done.stdout, done.stderr)


def write_script(program: Program, schedule: Schedule, where: Path) -> Path:
    where.parent.mkdir(parents=True, exist_ok=True)
    where.write_text(generate_py(program, schedule))
    return where


def check_py_runs(
    program: Program, work: Path, seed: int, cases: list[tuple[str, int]], original: Program
) -> None:
    """PROGRAM's Python for each (sync, ranks) of CASES on random inputs, against
    the interpreter on ORIGINAL (the program before --fuse, or PROGRAM itself)."""
    inputs = random_inputs(original, np.random.default_rng(seed))
    args = write_inputs(inputs, work / "in")
    want = expected_outputs(original, inputs)
    for sync, ranks in cases:
        script = write_script(program, make_schedule(program, sync), work / f"{sync}.py")
        out = work / f"out-{sync}-{ranks}"
        run = mpirun_py(script, ranks, [*args, "--output-dir", str(out)])
        context = f"{program.file} (Python) --sync {sync} on {ranks} ranks"
        assert run.returncode == 0, f"{context}: {run.stderr}"
        assert_same_memrefs(original, out, want, context)


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_example_matches_the_interpreter(path: Path, tmp_path: Path) -> None:
    k = CASES.index(path)
    cases = [("barrier", 1 + k % 4), ("p2p", 1 + (k + 2) % 4)]
    program = load(path)
    check_py_runs(program, tmp_path, zlib.crc32(path.name.encode()), cases, program)


def test_fused_program_matches_the_interpreter(tmp_path: Path) -> None:
    program = load(EXAMPLES / "multiwrite.mlir")
    fused, done = fuse_program(program)
    assert done
    check_py_runs(fused, tmp_path, 5, [("p2p", 2)], program)


def test_names_python_uses_run(tmp_path: Path) -> None:
    text = """
    avial.schedule %np, %MPI, %range, %lambda, %rank {
      %cpu = avial.target{arch = "x86_64"}
      %pyrt = avial.task %cpu, %np, %MPI, %range {
        scf.parallel %i = 0 to 8 {
          %x = memref.load %np[%i]
          %y = memref.load %MPI[%i]
          %z = arith.addi %x, %y
          memref.store %z, %range[%i]
        }
      }
      %size = avial.task %cpu, %range, %lambda, %rank {
        scf.for %i = 0 to 8 {
          %x = memref.load %range[%i]
          %y = memref.load %lambda[%i]
          %z = arith.muli %x, %y
          memref.store %z, %rank[%i]
        }
      }
    }
    """
    program = check_text(text, "names.mlir")
    check_py_runs(program, tmp_path, 3, [("barrier", 2)], program)


@settings(max_examples=6, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))  # fmt: skip
@given(spec=programs(loops=True), ranks=st.integers(1, 3), fuse=st.booleans())
def test_random_programs_match_the_interpreter(
    spec: ProgramSpec, ranks: int, fuse: bool, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Random programs (tests/support/progen.py: time loops, GPU tasks, hostile names)."""
    program = check_text(render(spec))
    placed = fuse_program(program)[0] if fuse else program
    work = tmp_path_factory.mktemp("random")
    check_py_runs(placed, work, ranks, [("p2p", ranks)], program)


# --------------------------------------------------------------------------
# The command line


def avial2c(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "avial2c", *argv], capture_output=True,
                          text=True, env=env(), cwd=cwd, timeout=MPI_TIMEOUT, check=False)  # fmt: skip


def test_run_backend_py_prints_what_the_interpreter_prints(tmp_path: Path) -> None:
    example = str(EXAMPLES / "jacobi_split.mlir")
    program = load(EXAMPLES / "jacobi_split.mlir")
    args = write_inputs(random_inputs(program, np.random.default_rng(9)), tmp_path / "in")
    py = avial2c("run", example, "--backend", "py", "-n", "3", "--", *args,
                 "--output-dir", str(tmp_path / "out"), cwd=tmp_path)  # fmt: skip
    ref = avial2c("run", example, "--interpret", "--", *args, cwd=tmp_path)
    assert py.returncode == 0 and ref.returncode == 0, py.stderr + ref.stderr
    lines = [line for line in py.stdout.splitlines() if not line.startswith("wall time: ")]
    assert lines == [line for line in ref.stdout.splitlines() if line.startswith("%")]
    assert py.stdout.splitlines()[-1].startswith("wall time: ")
    assert (tmp_path / "build" / "jacobi_split.py").is_file()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["u.npy", "v.npy"]


@pytest.mark.parametrize("case", ["dtype", "shape", "truncated", "not-npy", "no-memref"])
def test_bad_input_exits_2_and_writes_nothing(case: str, tmp_path: Path) -> None:
    script = write_script(load(EXAMPLES / "seed.mlir"), make_schedule(load(EXAMPLES / "seed.mlir")),
                          tmp_path / "seed.py")  # fmt: skip
    bad = tmp_path / "bad.npy"
    name = "a"
    if case == "dtype":
        np.save(bad, np.zeros(20, np.float64))
    elif case == "shape":
        np.save(bad, np.zeros(21, np.int32))
    elif case == "truncated":
        np.save(bad, np.zeros(20, np.int32))
        bad.write_bytes(bad.read_bytes()[:-8])
    elif case == "not-npy":
        bad.write_text("not an array")
    else:
        np.save(bad, np.zeros(20, np.int32))
        name = "nope"
    out = tmp_path / "out"
    run = mpirun_py(script, 2, ["--input", f"{name}={bad}", "--output-dir", str(out)])
    assert run.returncode == 2, run.stderr
    assert f"error: --input {name}={bad}: " in run.stderr
    expected = {
        "dtype": "expected int32 (20,), found float64 (20,)",
        "shape": "expected int32 (20,), found int32 (21,)",
        "truncated": "cannot read: truncated",
        "not-npy": "cannot read: not a .npy file",
        "no-memref": "no schedule memref named 'nope'",
    }[case]
    assert expected in run.stderr
    assert "Traceback" not in run.stderr
    assert not out.exists() and run.stdout == ""


def test_heft_program_refuses_another_world_size(tmp_path: Path) -> None:
    program = load(EXAMPLES / "fanout3.mlir")
    schedule = heft_schedule(program, "barrier", "declared", default_machine(3, 6))
    script = write_script(program, schedule, tmp_path / "heft.py")
    run = mpirun_py(script, 2, [])
    assert run.returncode == 2
    assert ("error: this program runs on 3 ranks only (--placement heft placed its tasks for "
            "3 ranks), not on 2; run it with -n 3") in run.stderr  # fmt: skip


def test_trace_is_a_chrome_trace_of_every_rank(tmp_path: Path) -> None:
    program = load(EXAMPLES / "jacobi_split.mlir")
    script = write_script(program, make_schedule(program, "barrier"), tmp_path / "j.py")
    trace = tmp_path / "trace.json"
    run = mpirun_py(script, 2, ["--trace", str(trace)])
    assert run.returncode == 0, run.stderr
    events = json.loads(trace.read_text())["traceEvents"]
    tasks = [e for e in events if e.get("cat") == "task"]
    assert {e["tid"] for e in tasks} == {0, 1}  # each rank runs its block of every sweep
    assert {e["name"] for e in tasks} == {"sweep1", "sweep2", "sweep3", "sweep4"}
    assert {e["cat"] for e in events if "cat" in e} == {"task", "wait", "barrier"}


def test_a_task_that_fails_stops_every_rank_with_status_3(tmp_path: Path) -> None:
    text = """
    func.func @main(%a: memref<8xi32>, %b: memref<8xi32>) {
      avial.schedule %a, %b : memref<8xi32>, memref<8xi32> {
        %cpu = avial.target {arch = "x86_64"}
        %t = avial.task %cpu reads(%a) writes(%b) {
          %c0 = arith.constant 0 : index
          %c1 = arith.constant 1 : index
          %c5 = arith.constant 5 : index
          %c8 = arith.constant 8 : index
          scf.for %i = %c0 to %c8 step %c1 {
            %j = arith.addi %i, %c5 : index
            %x = memref.load %a[%j] : memref<8xi32>
            memref.store %x, %b[%i] : memref<8xi32>
          }
          avial.yield
        }
      }
      return
    }
    """
    program = check_text(text, "oob.mlir")
    script = write_script(program, make_schedule(program), tmp_path / "oob.py")
    run = mpirun_py(script, 2, [])
    assert run.returncode == 3
    assert "error: rank 0: 'memref.load' out of bounds in task '%t': index 8" in run.stderr
    assert "Traceback" not in run.stderr


# --------------------------------------------------------------------------
# GPU tasks: device copies (emulated here) and CUDA kernels through pycuda


@pytest.mark.parametrize("name", ["seed", "gpu_chain", "gpu_loop", "jacobi_gpu_split"])
def test_traced_device_copies_are_the_planned_ones(name: str, tmp_path: Path) -> None:
    """--gpu emulate keeps device copies as the C runtime does: each rank's
    host <-> GPU copies, in the order they happen, are those `--emit plan`
    lists (the check test_device_copies.py makes of the C program)."""
    path = EXAMPLES / f"{name}.mlir"
    program = load(path)
    for sync, ranks in (("barrier", 1), ("p2p", 2), ("barrier", 3)):
        script = write_script(program, make_schedule(program, sync), tmp_path / f"{sync}.py")
        trace = tmp_path / f"{path.stem}-{sync}-{ranks}.json"
        run = mpirun_py(script, ranks, ["--trace", str(trace)])
        assert run.returncode == 0, run.stderr
        plan = make_plan(program, ranks, sync)
        for r in range(ranks):
            assert traced(trace, r) == planned(plan.device_copies, r), (
                f"{path.name} --sync {sync} on {ranks} ranks, rank {r}"
            )


def test_run_backend_py_gpu_cuda_needs_pycuda(tmp_path: Path) -> None:
    if find_spec("pycuda") is not None:
        pytest.skip("pycuda is installed here: the refusal cannot happen")
    run = avial2c("run", str(EXAMPLES / "seed.mlir"), "--backend", "py", "--gpu", "cuda",
                  cwd=tmp_path)  # fmt: skip
    assert run.returncode == 2
    assert "avial2c: error: --backend py --gpu cuda needs pycuda: pip install" in run.stderr


@pytest.mark.gpu
@pytest.mark.skipif(not cuda_usable(), reason="needs nvcc and a CUDA device")
@pytest.mark.parametrize("path", gpu_examples(), ids=lambda p: p.stem)
def test_pycuda_runs_match_the_interpreter(path: Path, tmp_path: Path) -> None:
    """--gpu cuda: the kernels run on the device through pycuda, on 1 and 2 ranks,
    with the copies the plan lists; floats within 4 ulp where a kernel calls a
    math function CUDA rounds differently or the program reduces."""
    pytest.importorskip("pycuda", reason="pycuda is not installed")
    program = load(path)
    inputs = random_inputs(program, np.random.default_rng(zlib.crc32(path.name.encode())))
    args = write_inputs(inputs, tmp_path / "in")
    want = expected_outputs(program, inputs)
    for sync, ranks in (("barrier", 1), ("p2p", 2)):
        script = tmp_path / f"{sync}.py"
        script.write_text(generate_py(program, make_schedule(program, sync), "cuda"))
        out, trace = tmp_path / f"out-{sync}", tmp_path / f"trace-{sync}.json"
        run = mpirun_py(script, ranks, [*args, "--output-dir", str(out), "--trace", str(trace)])
        context = f"{path.name} (Python, pycuda) --sync {sync} on {ranks} ranks"
        assert run.returncode == 0, f"{context}: {run.stderr}"
        compare(program, out, want, context)
        plan = make_plan(program, ranks, sync)
        for r in range(ranks):
            assert traced(trace, r) == planned(plan.device_copies, r), f"{context}, rank {r}"


FAKE_PYCUDA = ROOT / "tests" / "support" / "fake_pycuda"


@pytest.mark.parametrize("stem", ["gpu_chain", "gpu_loop"])
def test_gpu_cuda_drives_the_device_as_planned(stem: str, tmp_path: Path) -> None:
    """--gpu cuda without a GPU: tests/support/fake_pycuda stands in for pycuda
    (host memory, no kernel runs, every call logged).  On 1 and 2 ranks each
    rank makes one context on device local_rank % count, compiles the kernels
    once (--fmad=false, extern "C" names, the runtime's headers found),
    makes exactly the planned copies, launches kernels of the module with the
    grid, block and argument types written in the program, frees every
    allocation and pops its context."""
    program = load(EXAMPLES / f"{stem}.mlir")
    for sync, ranks in (("barrier", 1), ("p2p", 2)):
        script = tmp_path / f"{sync}.py"
        text = generate_py(program, make_schedule(program, sync), "cuda")
        script.write_text(text)
        written = {
            m[0]: (json.loads("[" + m[1] + "]"), json.loads("[" + m[2] + "]"))
            for m in re_launch.findall(text)
        }
        log, trace = tmp_path / f"log-{sync}.jsonl", tmp_path / f"trace-{sync}.json"
        extra = {"FAKE_PYCUDA_LOG": str(log), "FAKE_PYCUDA_DEVICES": "2"}
        run = mpirun_py(script, ranks, ["--trace", str(trace)], extra, [FAKE_PYCUDA])
        context = f"{stem} --gpu cuda (fake pycuda) --sync {sync} on {ranks} ranks"
        assert run.returncode == 0, f"{context}: {run.stderr}"
        plan = make_plan(program, ranks, sync)
        for r in range(ranks):
            assert traced(trace, r) == planned(plan.device_copies, r), f"{context}, rank {r}"
        calls: dict[int, list[dict[str, object]]] = {}
        for line in log.read_text().splitlines():
            record = json.loads(line)
            calls.setdefault(record["pid"], []).append(record)
        launched = 0
        for mine in calls.values():
            kinds = [c["call"] for c in mine]
            assert kinds[0] == "init" and kinds.count("make_context") == 1, context
            assert kinds[-1] == "pop" and kinds.count("pop") == 1, context
            assert kinds.count("mem_alloc") == kinds.count("free"), context
            (module,) = [c for c in mine if c["call"] == "SourceModule"]
            assert module["options"] == ["--fmad=false"] and module["no_extern_c"], context
            assert module["headers_found"] and set(module["kernels"]) == set(written), context
            for c in mine:
                if c["call"] == "launch":
                    launched += 1
                    assert (c["grid"], c["block"]) == written[c["name"]], context
                    assert "pointer" in c["args"], context
            assert kinds.count("launch") == kinds.count("synchronize"), context
        assert launched > 0, context
        if stem == "gpu_loop":
            assert any("int64" in c.get("args", []) for m in calls.values() for c in m)  # type: ignore[operator]


def test_gpu_split_launches_each_rank_over_its_rows(tmp_path: Path) -> None:
    """--gpu cuda (fake pycuda) for jacobi_gpu_split.mlir on 1-3 ranks: the
    copies are the planned ones, the row copies land at their offset in the
    device copy, and each rank launches each sweep's kernel with the grid of
    its block of rows (40 threads a row, blocks of 256) and the block's rows
    as two int64 arguments."""
    program = load(EXAMPLES / "jacobi_gpu_split.mlir")
    for sync, ranks in (("barrier", 1), ("p2p", 2), ("barrier", 3)):
        script = tmp_path / f"{sync}-{ranks}.py"
        script.write_text(generate_py(program, make_schedule(program, sync), "cuda"))
        log, trace = tmp_path / f"log-{sync}-{ranks}.jsonl", tmp_path / f"trace-{sync}-{ranks}.json"
        extra = {"FAKE_PYCUDA_LOG": str(log), "FAKE_PYCUDA_DEVICES": "2"}
        run = mpirun_py(script, ranks, ["--trace", str(trace)], extra, [FAKE_PYCUDA])
        context = f"--sync {sync} on {ranks} ranks"
        assert run.returncode == 0, f"{context}: {run.stderr}"
        plan = make_plan(program, ranks, sync)
        for r in range(ranks):
            assert traced(trace, r) == planned(plan.device_copies, r), f"{context}, rank {r}"
        sweeps = [t for t in plan.tasks if t.split is not None]
        records = [json.loads(line) for line in log.read_text().splitlines()]
        by_pid: dict[int, list[dict[str, object]]] = {}
        for record in records:
            by_pid.setdefault(record["pid"], []).append(record)
        grids = set()
        for mine in by_pid.values():
            launches = [c for c in mine if c["call"] == "launch"]
            assert len(launches) == 8, context  # 4 iterations of two sweeps
            for c in launches:
                assert c["block"] == [256, 1, 1] and c["args"] == ["pointer", "pointer", "int64", "int64"]
                grids.add(c["grid"][0])  # type: ignore[index]
            offsets = {c["offset"] for c in mine if c["call"] in ("htod", "dtoh")}
            assert ranks == 1 or offsets - {0}, context  # rows copied at their place
        blocks = {-(-(hi - lo) * 40 // 256) for lo, hi in sweeps[0].blocks if lo < hi}
        assert grids == blocks, context


re_launch = re.compile(r'KERNELS\.launch\("(\w+)", \(([\d, ]+)\), \(([\d, ]+)\)')
