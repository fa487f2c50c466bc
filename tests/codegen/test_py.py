"""The Python backend's generator (avial2c/codegen/py.py, vectorize.py) without MPI.

Goldens of the generated Python for a few examples (`pytest --update-goldens`
rewrites tests/goldens/py/), determinism, every example's program compiles
as Python, and the vectorised task bodies: which bodies take that path,
and that their NumPy lines give the interpreter's bits (run here, in this
process, on the task's arrays).  tests/e2e/test_py_backend.py runs the
programs under mpirun.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import Goldens
from e2e import check_text, gpu_examples, load, random_inputs

from avial2c.build import find_tool
from avial2c.codegen.py import MODULE_NAMES, PyNamer, generate_py
from avial2c.codegen.vectorize import NotVectorizable, vectorize
from avial2c.interp.run import Runner, initial_memory, to_array
from avial2c.ir import CheckedProgram, Task, schedule_ivs
from avial2c.machine import default_machine
from avial2c.plan.plan import heft_schedule
from avial2c.plan.schedule import make_schedule
from avial2c.pyrt import UsageError, parse_args
from avial2c.resources import RUNTIME

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.mlir"))
GOLDEN_EXAMPLES = ["seed", "jacobi_split", "jacobi_loop", "rank3", "halfwrite", "gpu_chain",
                   "jacobi_gpu_split"]


def example(stem: str) -> CheckedProgram:
    """The checked example, named by its path relative to the repository."""
    return check_text((ROOT / "examples" / f"{stem}.mlir").read_text(), f"examples/{stem}.mlir")


def py(program: CheckedProgram, sync: str = "barrier") -> str:
    return generate_py(program, make_schedule(program, sync))


def task_function(text: str, fname: str) -> str:
    """The source of function FNAME of a generated program."""
    tree = ast.parse(text)
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == fname)
    return ast.get_source_segment(text, node) or ""


# --------------------------------------------------------------------------
# Goldens and generation


@pytest.mark.parametrize("stem", GOLDEN_EXAMPLES)
def test_golden(stem: str, goldens: Goldens) -> None:
    goldens.check(f"py/{stem}.py", py(example(stem)))


def test_golden_cuda(goldens: Goldens) -> None:
    program = example("gpu_chain")
    goldens.check("py/gpu_chain_cuda.py", generate_py(program, make_schedule(program), "cuda"))


GPU_EXAMPLES = gpu_examples()


def module_of(text: str, where: Path) -> object:
    """The generated program imported as a module (main() is not run)."""
    where.write_text(text)
    spec = importlib.util.spec_from_file_location(where.stem, where)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", GPU_EXAMPLES, ids=lambda p: p.stem)
def test_cuda_gpu_tasks_launch_kernels_nvcc_compiles(path: Path, tmp_path: Path) -> None:
    """Under --gpu cuda every GPU task launches kernels (never the closures), with
    its device copies asked for first and its writes marked after; the kernels'
    source compiles with nvcc as pycuda compiles it."""
    program = load(path)
    schedule = make_schedule(program)
    text = generate_py(program, schedule, "cuda")
    assert text == generate_py(program, schedule, "cuda")
    ast.parse(text)
    gpu_tasks = [(t, tp) for t, tp in zip(program.tasks, schedule.tasks, strict=True) if tp.gpu]
    assert gpu_tasks
    launched = set()
    for task, tp in gpu_tasks:
        fname = task.name if task.name.startswith("task") else f"task_{task.name}"
        body = task_function(text, fname)
        lines = [line.strip() for line in body.splitlines()[1:] if line.strip()]
        assert "BODIES.run(" not in body
        uses = [line for line in lines if ".device.use(" in line]
        assert len(uses) == len(tp.touched), body
        launches = [line for line in lines if line.startswith("KERNELS.launch(")]
        assert len(launches) == sum(1 for op in task.body.ops if op.name == "gpu.launch")
        assert lines.index(launches[0]) > lines.index(uses[-1])
        wrote = [line for line in lines if ".device.wrote(" in line]
        assert len(wrote) == len([m for m in tp.writes if m in tp.touched])
        launched |= {line.split('"')[1] for line in launches}
    module = module_of(text, tmp_path / "prog.py")
    source = module.KERNELS_SOURCE
    assert launched == set(re.findall(r'extern "C" __global__ void (\w+)\(', source))
    nvcc = find_tool("nvcc")
    if nvcc is None:
        pytest.skip("nvcc not found: the kernels' source is not compiled")
    (tmp_path / "k.cu").write_text(source)
    done = subprocess.run(
        [nvcc, "--cubin", "--fmad=false", "-arch=sm_80", f"-I{RUNTIME}", "k.cu", "-o", "k.cubin"],
        capture_output=True, text=True, cwd=tmp_path, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_emulate_programs_keep_device_copies() -> None:
    """--gpu emulate: the GPU tasks run on device copies; host code asks for the
    host copy of what a GPU task wrote (gpu_chain: total reads %w)."""
    program = example("gpu_chain")
    text = generate_py(program, make_schedule(program), "emulate")
    assert "KERNELS" not in text.split("# Run it with mpi4py")[1]
    assert 'ctx.device.host_use(3, "total")' in text
    assert 'pyrt.start(MEMREFS, bodies=BODIES, gpu="emulate")' in text
    cpu_only = example("jacobi2d")
    assert ".device." not in py(cpu_only) and "gpu=" not in py(cpu_only)


def test_golden_heft(goldens: Goldens) -> None:
    program = example("fanout3")
    schedule = heft_schedule(program, "p2p", "declared", default_machine(3, 6))
    goldens.check("py/fanout3_heft3.py", generate_py(program, schedule))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_gives_deterministic_valid_python(path: Path) -> None:
    program = load(path)
    for sync in ("barrier", "p2p"):
        text = py(program, sync)
        assert text == py(load(path), sync)
        compile(text, f"{path.stem}.py", "exec")
        assert text.startswith("#!/usr/bin/env python3\n")
        assert ("comm.Barrier()" in text) == (sync == "barrier" and bool(program.tasks))


def test_transfers_are_mpi4py_calls_in_the_program() -> None:
    text = py(example("jacobi_split"))
    assert text.count("own.need(") == text.count("comm.Irecv(") == text.count("comm.Isend(")
    assert text.count("own.need(") >= 4
    assert "MPI.Request.Waitall(reqs)" in text
    assert "pyrt.block(0, 16, rank, size)" in text  # each rank's block of a split task
    assert "own.need(\"u\", q, max(lo - 1, 0), min(hi + 1, 16))" in text  # the halo


def test_time_loops_are_python_for_loops() -> None:
    text = py(example("jacobi_loop"))
    main_text = task_function(text, "main")
    assert "for t in range(0, 10, 1):  # scf.for %t: 10 iterations" in main_text
    assert text.count("def level") == len(make_schedule(example("jacobi_loop")).levels)


def test_the_program_carries_its_checked_source() -> None:
    program = example("seed")
    namespace: dict[str, object] = {}
    tree = ast.parse(py(program))
    source = next(
        n for n in tree.body if isinstance(n, ast.Assign) and ast.unparse(n.targets[0]) == "SOURCE"
    )
    exec(compile(ast.Module([source], []), "prog.py", "exec"), namespace)
    back = check_text(str(namespace["SOURCE"]), "prog.py")
    assert [t.name for t in back.tasks] == [t.name for t in program.tasks]


def test_names_that_python_or_the_program_use_are_renamed() -> None:
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
      %task_main = avial.task %cpu, %range, %lambda, %rank {
        scf.parallel %i = 0 to 8 {
          %x = memref.load %range[%i]
          %y = memref.load %lambda[%i]
          %z = arith.muli %x, %y
          memref.store %z, %rank[%i]
        }
      }
    }
    """
    out = py(check_text(text))
    tree = ast.parse(out)
    defs = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert "task_pyrt" in defs and "task_main" in defs
    for fn in (n for n in tree.body if isinstance(n, ast.FunctionDef)):
        params = [a.arg for a in fn.args.args]
        assert not set(params) & {"np", "MPI", "range", "lambda", "pyrt", "sys"}, fn.name
    assert "np_2 = ctx.mem[0]" in out and "MPI_2 = ctx.mem[1]" in out
    assert "range_ = ctx.mem[2]" in out and "lambda_ = ctx.mem[3]" in out
    assert "rank_2 = ctx.mem[4]" in out


# --------------------------------------------------------------------------
# Vectorised bodies


def vectorized(task: Task, program: CheckedProgram) -> tuple[list[str], list[str]]:
    """TASK's vectorised lines and the names of its memref parameters."""
    namer = PyNamer(set(MODULE_NAMES))
    memrefs = {m: namer.fresh(m.name) for m in dict.fromkeys(task.reads + task.writes)}
    ivs = {v: namer.fresh(v.name) for v in schedule_ivs(program.loops_body)}
    return vectorize(task, memrefs, ivs, namer.fresh), list(memrefs.values())


def run_both(program: CheckedProgram, task: Task, seed: int) -> None:
    """TASK's vectorised lines and the interpreter on the same random arrays: the same bits."""
    lines, params = vectorized(task, program)
    memrefs = list(dict.fromkeys(task.reads + task.writes))
    inputs = random_inputs(program, np.random.default_rng(seed))
    namespace: dict[str, object] = {"np": np}
    exec(f"def f({', '.join(params)}):\n" + "".join(f"    {line}\n" for line in lines), namespace)
    arrays = [np.array(inputs[m.name]) for m in memrefs]
    with np.errstate(all="ignore"):
        namespace["f"](*arrays)  # type: ignore[operator]
        memory = initial_memory(program, inputs)
        Runner(memory).task(task, {})
    for m, got in zip(memrefs, arrays, strict=True):
        want = to_array(memory[m], program.memref_type(m))
        assert got.dtype == want.dtype
        if want.dtype.kind != "f":
            assert got.tobytes() == want.tobytes(), f"%{m.name}"
            continue
        # The same bits, except that any NaN matches any NaN (as for the C).
        nan = np.isnan(want)
        assert np.array_equal(nan, np.isnan(got)), f"%{m.name}"
        assert got[~nan].tobytes() == want[~nan].tobytes(), f"%{m.name}"


EDGES = """
avial.schedule %a, %b, %f, %g, %c, %h {
  %cpu = avial.target{arch = "x86_64"}
  %t = avial.task %cpu reads(%a, %b, %f, %g) writes(%c, %h) {
    %big = arith.constant 2147483647 : i32
    %k = arith.constant 3.0e38 : f32
    %tiny = arith.constant 1.0e-45 : f32
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    %c7 = arith.constant 7 : index
    scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c7) step (%c1, %c1) {
      %ip = arith.addi %i, %c1 : index
      %x = memref.load %a[%ip, %j] : memref<5x7xi32>
      %y = memref.load %b[%j] : memref<7xi32>
      %s = arith.addi %x, %big : i32
      %p = arith.muli %s, %y : i32
      %q = arith.xori %p, %x : i32
      %jj = arith.index_cast %j : index to i32
      %r = arith.subi %q, %jj : i32
      %u = memref.load %f[%i, %j] : memref<4x7xf32>
      %v = memref.load %g[%i] : memref<4xf32>
      %w = arith.mulf %u, %k : f32
      %w2 = arith.divf %w, %v : f32
      %w3 = arith.addf %w2, %tiny : f32
      %rf = arith.sitofp %r : i32 to f32
      %w4 = arith.subf %w3, %rf : f32
      %lt = arith.cmpf ult, %w4, %u : f32
      %pick = arith.select %lt, %w4, %v : f32
      %d = arith.extf %pick : f32 to f64
      %e = math.sqrt %d : f64
      %n = arith.negf %e : f64
      memref.store %r, %c[%i, %j] : memref<4x7xi32>
      memref.store %n, %h[%i, %j] : memref<4x7xf64>
    }
    avial.yield
  }
}
"""


def test_an_elementwise_body_is_numpy_without_python_loops() -> None:
    text = py(example("seed"))
    for fname in ("task1", "task2"):
        body = task_function(text, fname)
        assert "for " not in body and "while " not in body and "BODIES" not in body, body
        assert "elementwise, as NumPy operations on slices" in body
    assert "c[0:20] = z" in task_function(text, "task1")
    # The GPU task: a gpu.launch of one block of 20 threads.
    assert "# gpu.launch, global id x in [0, 20): elementwise" in task_function(text, "task3")


@pytest.mark.parametrize("seed", range(5))
def test_vectorised_bodies_give_the_interpreters_bits(seed: int) -> None:
    program = check_text(EDGES)
    (task,) = program.tasks
    lines, _ = vectorized(task, program)
    assert not any(line.startswith(("for ", "while ")) for line in lines)
    assert any("a[1:5, 0:7]" in line for line in lines)  # the load at %i + 1
    assert any("b[0:7]" in line for line in lines)  # broadcast along %i
    assert any("g[0:4, None]" in line for line in lines)  # broadcast along %j
    run_both(program, task, seed)


@pytest.mark.parametrize("stem", ["seed", "rank3", "halfwrite", "pipeline", "multiwrite",
                                  "bigexchange_small", "fanout3", "split_broadcast",
                                  "jacobi2d", "jacobi_split", "jacobi_loop"])  # fmt: skip
def test_vectorised_example_bodies_give_the_interpreters_bits(stem: str) -> None:
    program = example(stem)
    done = 0
    for task in program.tasks:
        try:
            vectorized(task, program)
        except NotVectorizable:
            continue
        run_both(program, task, 1)
        done += 1
    assert done >= 1


LAUNCH = """
func.func @main(%a: memref<3x8xf32>, %b: memref<8xf32>, %c: memref<3x8xf32>) {
  avial.schedule %a, %b, %c : memref<3x8xf32>, memref<8xf32>, memref<3x8xf32> {
    %gpu = avial.target {arch = "sm_80"}
    %t = avial.task %gpu reads(%a, %b) writes(%c) {
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %c3 = arith.constant 3 : index
      %c4 = arith.constant 4 : index
      gpu.launch blocks(%bx, %by, %bz) in (%gx = %c2, %gy = %c1, %gz = %c1)
                 threads(%tx, %ty, %tz) in (%sx = %c4, %sy = %c3, %sz = %c1) {
        %i = gpu.global_id x
        %x = memref.load %a[%ty, %i] : memref<3x8xf32>
        %y = memref.load %b[%i] : memref<8xf32>
        %s = arith.mulf %x, %y : f32
        %n = arith.index_cast %sx : index to i32
        %f = arith.sitofp %n : i32 to f32
        %r = arith.addf %s, %f : f32
        memref.store %r, %c[%ty, %i] : memref<3x8xf32>
        gpu.terminator
      }
      avial.yield
    }
  }
  return
}
"""


def test_a_gpu_launch_without_barriers_is_vectorised() -> None:
    program = check_text(LAUNCH)
    (task,) = program.tasks
    lines, _ = vectorized(task, program)
    assert lines[0].startswith("# gpu.launch, global id y in [0, 3) x global id x in [0, 8): ")
    assert any("a[0:3, 0:8]" in line for line in lines)
    assert any("np.int64(4).astype(np.int32)" in line for line in lines)  # the block size
    for seed in range(3):
        run_both(program, task, seed)
    # With more than one block of more than one thread, a thread id is not a global id.
    other = check_text(LAUNCH.replace("%ty, %i]", "%ty, %tx]").replace("%c1, %gz", "%c2, %gz"))
    with pytest.raises(NotVectorizable, match="thread or block id"):
        vectorized(other.tasks[0], other)


BODY = """
func.func @main(%a: memref<8xELEM>, %b: memref<8xELEM>) {
  avial.schedule %a, %b : memref<8xELEM>, memref<8xELEM> {
    %cpu = avial.target {arch = "x86_64"}
    %t = avial.task %cpu reads(%a) writes(WRITES) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %c3 = arith.constant 3 : index
      %c7 = arith.constant 7 : index
      scf.parallel (%i) = (%c0) to (%c7) step (%c1) {
        %i1 = arith.addi %i, %c1 : index
        %i7 = arith.addi %i, %c7 : index
        %x2 = arith.muli %i, %c2 : index
        BODY
      }
      avial.yield
    }
  }
  return
}
"""


@pytest.mark.parametrize(
    ("body", "why"),
    [
        # Iteration i reads what iteration i + 1 overwrites: the order matters.
        ("%x = memref.load %a[%i1] : memref<8xELEM>\n"
         "memref.store %x, %a[%i] : memref<8xELEM>", "the order of the iterations"),
        ("%x = memref.load %a[%i7] : memref<8xELEM>\n"
         "memref.store %x, %b[%i] : memref<8xELEM>", "out of bounds"),
        ("%x = memref.load %a[%i] : memref<8xELEM>\n%y = arith.divsi %x, %x : ELEM\n"
         "memref.store %y, %b[%i] : memref<8xELEM>", "arith.divsi"),
        ("%x = memref.load %a[%i] : memref<8xELEM>\n%y = arith.maximumf %x, %x : ELEM\n"
         "memref.store %y, %b[%i] : memref<8xELEM>", "arith.maximumf"),
        ("%x = memref.load %a[%i] : memref<8xELEM>\n"
         "memref.store %x, %b[%c3] : memref<8xELEM>", "every induction variable"),
        ("%x = memref.load %a[%x2] : memref<8xELEM>\n"
         "memref.store %x, %b[%i] : memref<8xELEM>", "plus a constant"),
    ],
)  # fmt: skip
def test_what_the_vectoriser_leaves_to_the_closures(body: str, why: str) -> None:
    writes = "%a" if "store %x, %a" in body else "%b"
    text = BODY.replace("BODY", body).replace("WRITES", writes)
    program = check_text(text.replace("ELEM", "f32" if "maximumf" in body else "i32"))
    with pytest.raises(NotVectorizable, match=why):
        vectorized(program.tasks[0], program)
    assert "BODIES.run(0" in py(program)


def test_a_split_task_slices_its_block() -> None:
    text = py(example("split_then_whole"))
    body = task_function(text, "task_scale")
    assert "def task_scale(" in body and "row_lo, row_hi)" in body
    assert "[row_lo:row_hi" in body and "for " not in body


# --------------------------------------------------------------------------
# The generated program's command line (avial2c/pyrt.py, as runtime_c/av_args.c)


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["--bogus"], "unknown option '--bogus' (try --help)"),
        (["stray"], "unexpected argument 'stray' (try --help)"),
        (["--input"], "--input needs a value"),
        (["--input", "a"], "--input 'a': expected NAME=FILE.npy"),
        (["--input", "a=x.npy", "--input=%a=y.npy"], "--input a given more than once"),
        (["--output-dir", "o", "--output-dir=p"], "--output-dir given more than once"),
        (["--trace="], "--trace needs a non-empty value"),
    ],
)
def test_program_command_line_errors(argv: list[str], error: str) -> None:
    with pytest.raises(UsageError) as e:
        parse_args(argv)
    assert str(e.value) == error


def test_program_command_line() -> None:
    args = parse_args(["--input", "%a=x.npy", "--input=b=y.npy", "--output-dir=out", "-h",
                       "--trace", "t.json"])  # fmt: skip
    assert args.inputs == [("a", "%a=x.npy"), ("b", "b=y.npy")]
    assert (args.output_dir, args.trace, args.help) == ("out", "t.json", True)


# Updates in place, branching on three edges, one of them twice (i == 0, i == 1):
# a corner computed twice would be wrong.
IN_PLACE_EDGES = """
avial.schedule %a : memref<6x5xi32> {
  %cpu = avial.target {arch = "x86_64"}
  %t = avial.task %cpu reads(%a) writes(%a) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    %c6 = arith.constant 6 : index
    %c5 = arith.constant 5 : index
    %k = arith.constant 3 : i32
    scf.parallel (%i, %j) = (%c0, %c0) to (%c6, %c5) step (%c1, %c1) {
      %x = memref.load %a[%i, %j] : memref<6x5xi32>
      %i0 = arith.cmpi eq, %i, %c0 : index
      %i1 = arith.cmpi eq, %c1, %i : index
      %j4 = arith.cmpi eq, %j, %c4 : index
      %e = arith.ori %i0, %i1 : i1
      %edge = arith.ori %e, %j4 : i1
      %r = scf.if %edge -> (i32) {
        %y = arith.addi %x, %k : i32
        scf.yield %y : i32
      } else {
        %y = arith.muli %x, %k : i32
        scf.yield %y : i32
      }
      memref.store %r, %a[%i, %j] : memref<6x5xi32>
    }
  }
}
"""


def test_a_body_branching_on_edges_is_vectorised_box_by_box() -> None:
    program = check_text(IN_PLACE_EDGES)
    lines, _ = vectorized(program.tasks[0], program)
    text = "\n".join(lines)
    assert "one box at a time, disjoint" in text
    assert "(%i = 0)" in text and "(%i = 1)" in text and "(%j = 4)" in text
    assert "(the interior)" in text and "%i in [2, 6) x %j in [0, 4)" in text
    for seed in range(3):
        run_both(program, program.tasks[0], seed)
    # An edge test inside the range (not one interior box) is left to the closures.
    inside = check_text(IN_PLACE_EDGES.replace("%i1 = arith.cmpi eq, %c1, %i", "%i1 = arith.cmpi eq, %c4, %i"))
    with pytest.raises(NotVectorizable, match=r"scf\.if"):
        vectorized(inside.tasks[0], inside)


# A split stencil of radius 2 whose edges are two rows deep: a block that
# ends before the interior starts must give empty boxes, not negative bounds.
WIDE_STENCIL = """
func.func @main(%u: memref<8x4xf64>, %v: memref<8x4xf64>) {
  avial.schedule %u, %v : memref<8x4xf64>, memref<8x4xf64> {
    %cpu = avial.target {arch = "x86_64"}
    %sweep = avial.task %cpu reads(%u) writes(%v) {split = "rows"} {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %c4 = arith.constant 4 : index
      %c6 = arith.constant 6 : index
      %c7 = arith.constant 7 : index
      %c8 = arith.constant 8 : index
      scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c4) step (%c1, %c1) {
        %a = arith.cmpi eq, %i, %c0 : index
        %b = arith.cmpi eq, %i, %c1 : index
        %c = arith.cmpi eq, %i, %c6 : index
        %d = arith.cmpi eq, %i, %c7 : index
        %ab = arith.ori %a, %b : i1
        %cd = arith.ori %c, %d : i1
        %edge = arith.ori %ab, %cd : i1
        %new = scf.if %edge -> (f64) {
          %old = memref.load %u[%i, %j] : memref<8x4xf64>
          scf.yield %old : f64
        } else {
          %im = arith.subi %i, %c2 : index
          %ip = arith.addi %i, %c2 : index
          %n = memref.load %u[%im, %j] : memref<8x4xf64>
          %s = memref.load %u[%ip, %j] : memref<8x4xf64>
          %sum = arith.addf %n, %s : f64
          scf.yield %sum : f64
        }
        memref.store %new, %v[%i, %j] : memref<8x4xf64>
      }
      avial.yield
    }
  }
  return
}
"""


@pytest.mark.parametrize(
    ("source", "blocks"),
    [("jacobi_split", [(0, 16)]), ("jacobi_split", [(0, 1), (1, 8), (8, 15), (15, 16)]),
     ("jacobi_split", [(0, 5), (5, 16)]), ("wide", [(k, k + 1) for k in range(8)]),
     ("wide", [(0, 3), (3, 5), (5, 8)])],
)  # fmt: skip
def test_a_split_stencil_gives_the_interpreters_bits_block_by_block(
    source: str, blocks: list[tuple[int, int]]
) -> None:
    """A split stencil's sweep vectorised over row blocks (each box clamped to
    the block), run block by block, gives the interpreter's whole sweep."""
    program = example("jacobi_split") if source == "jacobi_split" else check_text(WIDE_STENCIL)
    task = program.tasks[0]
    namer = PyNamer(set(MODULE_NAMES))
    memrefs = {m: namer.fresh(m.name) for m in dict.fromkeys(task.reads + task.writes)}
    lines = vectorize(task, memrefs, {}, namer.fresh, ("row_lo", "row_hi"))
    params = [*memrefs.values(), "row_lo", "row_hi"]
    namespace: dict[str, object] = {"np": np}
    exec(f"def f({', '.join(params)}):\n" + "".join(f"    {line}\n" for line in lines), namespace)
    inputs = random_inputs(program, np.random.default_rng(7))
    arrays = [np.array(inputs[m.name]) for m in memrefs]
    for lo, hi in blocks:
        namespace["f"](*arrays, lo, hi)  # type: ignore[operator]
    memory = initial_memory(program, inputs)
    Runner(memory).task(task, {})
    for m, got in zip(memrefs, arrays, strict=True):
        want = to_array(memory[m], program.memref_type(m))
        assert got.tobytes() == want.tobytes(), f"%{m.name}"


def test_an_edge_branch_beside_a_loop_that_stores_is_left_to_the_closures() -> None:
    """Inlining the boundary branch must not drop ops without results (here an
    scf.for that stores): the body then holds 'scf.for' and runs through the
    closures, as it did before the cut into boxes."""
    text = IN_PLACE_EDGES.replace(
        "      memref.store %r, %a[%i, %j] : memref<6x5xi32>\n",
        "      memref.store %r, %a[%i, %j] : memref<6x5xi32>\n"
        "      scf.for %kk = %c0 to %c1 step %c1 {\n"
        "        memref.store %r, %a[%i, %j] : memref<6x5xi32>\n"
        "      }\n",
    )
    assert "scf.for %kk" in text
    program = check_text(text)
    with pytest.raises(NotVectorizable, match="scf"):
        vectorized(program.tasks[0], program)
