"""The C runtime (runtime_c/): unit tests in C, transfers under mpirun, a
program written like the generated ones, and the CUDA header under nvcc."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from avial2c.build import find_tool

RUNTIME = Path(__file__).resolve().parents[2] / "runtime_c"
CFLAGS = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-fopenmp"]
NVCC = find_tool("nvcc")
MPI_ENV = {
    "OMPI_ALLOW_RUN_AS_ROOT": "1",
    "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
    "OMP_NUM_THREADS": "2",
}
SHAPES = [(), (7,), (2, 3), (2, 3, 4), (2, 1, 3, 2)]
# The runtime's element types in enum order, as NumPy dtypes (index is int64).
DTYPES = ["bool", "int8", "int16", "int32", "int64", "int64", "float32", "float64"]

pytestmark = pytest.mark.skipif(
    shutil.which("mpicc") is None or shutil.which("mpirun") is None,
    reason="mpicc/mpirun (OpenMPI) not installed",
)


def compile_c(source: str, out: Path, extra: list[str] | None = None) -> Path:
    """Compiles runtime_c/tests/SOURCE with the runtime into OUT."""
    runtime = [str(p) for p in sorted(RUNTIME.glob("av*.c"))]
    cmd = ["mpicc", *CFLAGS, *(extra or []), f"-I{RUNTIME}", *runtime,
           str(RUNTIME / "tests" / source), "-o", str(out), "-lm"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return out


def mpirun(nprocs: int, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    cmd = ["timeout", "60", "mpirun", "--oversubscribe", "-n", str(nprocs), *args]
    full_env = {**os.environ, **MPI_ENV, **(env or {})}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=90, env=full_env)


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runtime_c")
    for name in ("test_units", "test_transfer", "test_device", "demo_program"):
        compile_c(f"{name}.c", out / name)
    return out


def write_numpy_files(folder: Path) -> None:
    """The numpy-written files test_units.c reads (see test_numpy_files there)."""
    for name in [*dict.fromkeys(DTYPES), "uint8"]:
        for rank, shape in enumerate(SHAPES):
            i = np.arange(int(np.prod(shape)))
            if name == "bool":
                values = (i % 2).astype(bool)
            elif name.startswith("float"):
                values = (i * 0.5 - 1).astype(name)
            else:
                values = (i % 7 - (0 if name == "uint8" else 3)).astype(name)
            np.save(folder / f"np_{name}_{rank}.npy", values.reshape(shape))
    five = np.arange(5, dtype=np.int32)
    for version in ((2, 0), (3, 0)):
        with open(folder / f"np_v{version[0]}.npy", "wb") as f:
            np.lib.format.write_array(f, five, version=version)
    np.save(folder / "np_bigendian.npy", np.arange(20, dtype=">i4"))
    np.save(folder / "np_fortran.npy", np.asfortranarray(np.arange(20, dtype=np.int32).reshape(4, 5)))
    header = b'{"shape":(5 ,) ,"fortran_order" :False,  "descr":"<i4"}'
    header += b" " * (64 - 10 - len(header) - 1) + b"\n"
    raw = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + five.tobytes()
    (folder / "np_padded.npy").write_bytes(raw)


def default_values(k: int, n: int) -> np.ndarray:
    return ((np.arange(n) + 3 * k) % 11) + 1


# ---------------------------------------------------------------------------
# Unit tests in C


def test_device_copies_unit(build: Path) -> None:
    done = mpirun(1, str(build / "test_device"))
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"\d+ checks, 0 failed\n", done.stdout)


def test_units_pass(build: Path, tmp_path: Path) -> None:
    write_numpy_files(tmp_path)
    done = subprocess.run([str(build / "test_units"), str(tmp_path)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"\d+ checks, 0 failed\n", done.stdout)
    # The files the C side wrote are what numpy reads.
    for t, dtype in enumerate(DTYPES):
        for rank, shape in enumerate(SHAPES):
            array = np.load(tmp_path / f"c_{t}_{rank}.npy")
            want = default_values(t + rank, int(np.prod(shape)))
            want = want % 2 if dtype == "bool" else want
            assert array.dtype == np.dtype(dtype) and array.shape == shape
            assert np.array_equal(array.ravel(), want.astype(dtype))


def test_units_under_sanitizers(tmp_path: Path) -> None:
    try:
        exe = compile_c("test_units.c", tmp_path / "test_units_asan",
                        ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-g"])
    except AssertionError as e:
        if "asan" in str(e).lower() or "sanitize" in str(e).lower():
            pytest.skip(f"sanitizers unavailable: {e}")
        raise
    data = tmp_path / "data"
    data.mkdir()
    write_numpy_files(data)
    env = {**os.environ, "UBSAN_OPTIONS": "halt_on_error=1", "ASAN_OPTIONS": "detect_leaks=1"}
    done = subprocess.run([str(exe), str(data)], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert "runtime error" not in done.stderr
    assert done.stdout.endswith(" 0 failed\n")


# ---------------------------------------------------------------------------
# Transfers


@pytest.mark.parametrize("nprocs", [2, 3])
def test_large_transfers_both_ways(build: Path, tmp_path: Path, nprocs: int) -> None:
    trace = tmp_path / "trace.json"
    done = mpirun(nprocs, str(build / "test_transfer"), "--trace", str(trace))
    assert done.returncode == 0, done.stdout + done.stderr
    first = (nprocs - 1) * 1000
    values = ", ".join(str(first + i) for i in range(8))
    lines = done.stdout.splitlines()
    assert lines[0] == f"%in = [{values}, ... (1572864 elements)]"
    assert re.fullmatch(r"wall time: \d+\.\d{6} s", lines[1])
    events = json.loads(trace.read_text())["traceEvents"]
    names = {e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    assert names == {f"rank {r}" for r in range(nprocs)}
    for rank in range(nprocs):
        mine = [e for e in events if e["ph"] == "X" and e["tid"] == rank]
        assert [e["name"] for e in mine if e["cat"] == "task"] == ["fill"]
        sends = [e for e in mine if e["cat"] == "send"]
        assert len(sends) == 3 and all(e["args"]["bytes"] == 12582912 for e in sends)
        assert [e["args"]["peer"] for e in sends] == [(rank + 1) % nprocs, (rank - 1) % nprocs,
                                                      (rank + 1) % nprocs]
        assert {e["cat"] for e in mine} == {"task", "send", "recv", "wait", "barrier"}
        assert all(e["dur"] >= 0 and e["ts"] >= 0 for e in mine)
    # A flow arrow from each send to its receive (tests/e2e/test_trace.py checks more).
    starts = sorted(e["id"] for e in events if e["ph"] == "s")
    ends = sorted(e["id"] for e in events if e["ph"] == "f" and e["bp"] == "e")
    assert starts == ends == list(range(1, 3 * nprocs + 1))


def test_failed_mpi_call_aborts_with_status_3(build: Path) -> None:
    done = mpirun(2, str(build / "test_transfer"), env={"AV_TEST_BAD_SEND": "1"})
    assert done.returncode == 3
    assert "error: %out to a missing rank: MPI_Isend failed: MPI_ERR_RANK" in done.stderr


# ---------------------------------------------------------------------------
# A program shaped like the generated ones (the seed schedule)


def seed_expected(a: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    a = default_values(0, 20) if a is None else a
    b = default_values(1, 20)
    c = a + b
    return c, a * b + c


def report_line(name: str, values: np.ndarray) -> str:
    shown = ", ".join(str(int(v)) for v in values[:8])
    tail = f", ... ({len(values)} elements)" if len(values) > 8 else ""
    return f"%{name} = [{shown}{tail}]"


@pytest.mark.parametrize("nprocs", [1, 2])
def test_program_outputs_and_trace(build: Path, tmp_path: Path, nprocs: int) -> None:
    out, trace = tmp_path / "out" / "nested", tmp_path / "t.json"
    done = mpirun(nprocs, str(build / "demo_program"), "--output-dir", str(out), "--trace", str(trace))
    assert done.returncode == 0, done.stderr
    c, d = seed_expected()
    lines = done.stdout.splitlines()
    assert lines[:2] == [report_line("c", c), report_line("d", d)]
    assert lines[0] == "%c = [5, 7, 9, 11, 13, 15, 17, 19, ... (20 elements)]"
    assert re.fullmatch(r"wall time: \d+\.\d{6} s", lines[2]) and len(lines) == 3
    assert sorted(p.name for p in out.iterdir()) == ["c.npy", "d.npy"]
    for name, want in (("c", c), ("d", d)):
        array = np.load(out / f"{name}.npy")
        assert array.dtype == np.int32 and array.shape == (20,)
        assert np.array_equal(array, want)
    events = json.loads(trace.read_text())["traceEvents"]
    tasks = {(e["name"], e["tid"]) for e in events if e.get("cat") == "task"}
    assert tasks == {("task1", 0), ("task2", 1 % nprocs), ("task3", 0)}


def test_program_reads_input(build: Path, tmp_path: Path) -> None:
    a = np.arange(20, dtype=np.int32) * 3 - 7
    np.save(tmp_path / "a.npy", a)
    done = mpirun(2, str(build / "demo_program"), "--input", f"a={tmp_path / 'a.npy'}")
    assert done.returncode == 0, done.stderr
    c, d = seed_expected(a.astype(np.int64))
    assert done.stdout.splitlines()[:2] == [report_line("c", c), report_line("d", d)]


BAD_INPUTS = [
    ("x={dir}/good.npy", "error: --input x={dir}/good.npy: no schedule memref named 'x'"),
    ("a={dir}/nope.npy", "error: --input a={dir}/nope.npy: cannot open: No such file or directory"),
    ("a={dir}/f64.npy", "error: --input a={dir}/f64.npy: expected int32 (20,), found float64 (20,)"),
    ("a={dir}/shape.npy", "error: --input a={dir}/shape.npy: expected int32 (20,), found int32 (4, 5)"),
    ("a={dir}/short.npy", "error: --input a={dir}/short.npy: truncated: expected 80 data bytes, found 40"),
    ("a={dir}/text.npy", "error: --input a={dir}/text.npy: not a .npy file"),
]


@pytest.mark.parametrize(("spec", "message"), BAD_INPUTS)
def test_program_rejects_bad_input(build: Path, tmp_path: Path, spec: str, message: str) -> None:
    np.save(tmp_path / "good.npy", np.zeros(20, dtype=np.int32))
    np.save(tmp_path / "f64.npy", np.zeros(20))
    np.save(tmp_path / "shape.npy", np.zeros((4, 5), dtype=np.int32))
    good = (tmp_path / "good.npy").read_bytes()
    (tmp_path / "short.npy").write_bytes(good[:-40])
    (tmp_path / "text.npy").write_text("a,b,c\n")
    out = tmp_path / "out"
    args = ["--input", f"b={tmp_path}/good.npy", "--input", spec.format(dir=tmp_path),
            "--output-dir", str(out)]
    done = mpirun(2, str(build / "demo_program"), *args)
    assert done.returncode == 2
    assert message.format(dir=tmp_path) in done.stderr.splitlines()
    assert done.stdout == ""
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bogus"], "error: unknown option '--bogus' (try --help)"),
        (["--input", "a"], "error: --input 'a': expected NAME=FILE.npy"),
        (["--trace"], "error: --trace needs a value"),
    ],
)
def test_program_rejects_bad_command_line(build: Path, args: list[str], message: str) -> None:
    done = mpirun(2, str(build / "demo_program"), *args)
    assert done.returncode == 2
    assert message in done.stderr.splitlines()
    assert done.stdout == ""


def test_program_help(build: Path) -> None:
    done = mpirun(2, str(build / "demo_program"), "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: ")
    assert done.stdout.count("--input NAME=FILE.npy") == 2
    assert "  %d  int32 (20,)\n" in done.stdout


# ---------------------------------------------------------------------------
# The runtime's own call graph between its files

# The files that keep device copies: they call the rest of the runtime,
# which never calls them.
DEVICE_FILES = {"av_device.c", "av_cuda.cu"}
# Comments, string and character literals (replaced before scanning).
C_NOISE = re.compile(r"//[^\n]*|/\*.*?\*/|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'", re.S)
# A function or variable definition at file scope that other files can link to.
C_DEFINITION = re.compile(
    r"^(?!static\b|typedef\b|#)[^\n;(){}]*?\b(av_\w+)\s*(?:\([^;{}]*\)\s*\{|=)", re.M)
C_MACRO = re.compile(r"^#\s*define\s+(\w+)((?:[^\n]*\\\n)*[^\n]*)", re.M)
AV_NAME = re.compile(r"\bav_\w+\b")


def c_code(path: Path) -> str:
    return C_NOISE.sub(" ", path.read_text())


def runtime_names_used() -> dict[str, set[str]]:
    """For each runtime source, the av_* names it refers to, through the
    runtime headers' macros too (AV_MPI_CHECK stands for av_mpi_fail)."""
    macros = {name: set(AV_NAME.findall(body))
              for header in RUNTIME.glob("*.h") for name, body in C_MACRO.findall(c_code(header))}
    used = {}
    for path in [*RUNTIME.glob("*.c"), *RUNTIME.glob("*.cu")]:
        code = c_code(path)
        names = set(AV_NAME.findall(code))
        for macro in set(re.findall(r"\b[A-Z_][A-Z0-9_]*\b", code)) & macros.keys():
            names |= macros[macro]
        used[path.name] = names
    return used


def runtime_file_graph() -> dict[str, set[str]]:
    """File -> the other runtime files whose functions or variables it uses."""
    defined_in = {name: path.name for path in [*RUNTIME.glob("*.c"), *RUNTIME.glob("*.cu")]
                  for name in C_DEFINITION.findall(c_code(path))}
    return {file: {defined_in[n] for n in names if n in defined_in} - {file}
            for file, names in runtime_names_used().items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 on the path being explored, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (cycle := visit(nxt)) is not None:
                return cycle
        state[node] = 2
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)) is not None:
            return cycle
    return None


def test_core_never_calls_device_copies() -> None:
    """No file but av_device.c and av_cuda.cu uses what they define
    (av_dev_*, av_host_*, the ops tables); av_finish and the exit path reach
    the device copies through the hooks that av_dev_setup sets in av_ctx."""
    device = {name for path in DEVICE_FILES for name in C_DEFINITION.findall(c_code(RUNTIME / path))}
    assert {"av_dev_setup", "av_host_use", "av_dev_release", "av_emulated_ops"} <= device
    used = runtime_names_used()
    assert len(used) > len(DEVICE_FILES)
    calls = {file: sorted(names & device | {n for n in names if re.match(r"av_(dev|host)_\w+$", n)
                                            and n not in ("av_dev_ops", "av_dev_mode")})
             for file, names in used.items() if file not in DEVICE_FILES}
    assert not any(calls.values()), {file: names for file, names in calls.items() if names}


def test_runtime_files_call_each_other_without_cycles() -> None:
    graph = runtime_file_graph()
    assert {"av_fail.c", "av_trace.c"} <= graph["av_device.c"]  # the scan finds calls
    assert "av_device.c" not in set().union(*(graph[f] for f in graph if f not in DEVICE_FILES))
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_find_cycle_finds_one() -> None:
    assert find_cycle({"a.c": {"b.c"}, "b.c": {"c.c"}, "c.c": {"b.c"}}) == ["b.c", "c.c", "b.c"]
    assert find_cycle({"a.c": {"b.c", "c.c"}, "b.c": {"c.c"}, "c.c": set()}) is None


# ---------------------------------------------------------------------------
# Headers from C++ and CUDA


def mpi_compile_flags() -> list[str]:
    done = subprocess.run(["mpicc", "--showme:compile"], capture_output=True, text=True, timeout=30)
    return done.stdout.split()


def test_header_compiles_as_cxx(tmp_path: Path) -> None:
    if shutil.which("g++") is None:
        pytest.skip("g++ not installed")
    src = tmp_path / "use.cpp"
    src.write_text('#include "avial_rt.h"\n'
                   'int main() { av_memref m = {"a", AV_I32, 1, {20}, nullptr, 0};\n'
                   '  return av_memref_alloc(&m); }\n')
    cmd = ["g++", "-std=c++17", "-Wall", "-Wextra", "-Werror", f"-I{RUNTIME}",
           *mpi_compile_flags(), "-c", str(src), "-o", str(tmp_path / "use.o")]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


@pytest.mark.skipif(NVCC is None, reason="nvcc not installed")
def test_cuda_header_compiles_with_nvcc(tmp_path: Path) -> None:
    assert NVCC is not None
    src = tmp_path / "kernel.cu"
    src.write_text(
        '#include "avial_rt.h"\n#include "avial_cuda.h"\n'
        "__global__ void task3_kernel(int *d) { d[threadIdx.x] += 1; }\n"
        'extern "C" void task3_launch(int *h) {\n'
        "  int *d = nullptr;\n"
        '  AV_CUDA_CHECK(cudaMalloc(&d, 64), "task3");\n'
        '  AV_CUDA_CHECK(cudaMemcpy(d, h, 64, cudaMemcpyHostToDevice), "task3");\n'
        "  task3_kernel<<<1, 16>>>(d);\n"
        '  AV_CUDA_LAUNCH_CHECK("task3");\n'
        '  AV_CUDA_CHECK(cudaMemcpy(h, d, 64, cudaMemcpyDeviceToHost), "task3");\n'
        '  AV_CUDA_CHECK(cudaFree(d), "task3");\n}\n'
    )
    cmd = [NVCC, "-c", str(src), f"-I{RUNTIME}", *mpi_compile_flags(), "-o", str(tmp_path / "k.o")]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    symbols = subprocess.run(["nm", str(tmp_path / "k.o")], capture_output=True, text=True, timeout=30)
    assert re.search(r" T task3_launch\n", symbols.stdout)
    assert re.search(r" U av_fail\n", symbols.stdout)
