"""`avial2c build` and `avial2c run`: compile generated sources and launch them.

The C is compiled by `mpicc` together with the runtime in runtime_c/; CUDA
sources, when a program has GPU tasks and CUDA is chosen, by `nvcc`.  Runs go
through `srun` inside a Slurm allocation and `mpirun` otherwise.
"""

from __future__ import annotations

import functools
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from avial2c.codegen.c import generate
from avial2c.codegen.cuda import DEFAULT_ARCH, gpu_archs
from avial2c.ir import CheckedProgram, is_gpu_arch
from avial2c.plan.schedule import Schedule, make_schedule
from avial2c.resources import RUNTIME

CUDA_HOME = Path(os.environ.get("CUDA_HOME", "/usr/local/cuda"))

# -ffp-contract=off: no fused multiply-adds the source did not ask for, so
# float results match the reference interpreter bit for bit.
CFLAGS = ["-std=c11", "-O2", "-fopenmp", "-ffp-contract=off", "-Wall", "-Wextra"]


class ToolError(Exception):
    """A compiler or launcher is missing or failed; reported without a traceback."""


def has_gpu_tasks(program: CheckedProgram) -> bool:
    return any(is_gpu_arch(t.target.arch) for t in program.tasks)


# Environment variables that name a tool instead (MPICC=mpicc.mpich, NVCC=...).
TOOL_VARIABLES = {"mpicc": "MPICC", "nvcc": "NVCC"}


def find_tool(name: str) -> str | None:
    chosen = os.environ.get(TOOL_VARIABLES.get(name, ""), "")
    if chosen:
        return shutil.which(chosen) or (chosen if Path(chosen).exists() else None)
    found = shutil.which(name)
    if found is None and (CUDA_HOME / "bin" / name).exists():
        found = str(CUDA_HOME / "bin" / name)
    return found


def cuda_usable() -> bool:
    """nvcc is installed and a CUDA device is visible."""
    if find_tool("nvcc") is None:
        return False
    return Path("/dev/nvidia0").exists() or Path("/dev/nvidiactl").exists()


@functools.cache
def nvcc_archs(nvcc: str) -> tuple[str, ...]:
    """The sm_XX codes this nvcc can compile for (``nvcc --list-gpu-code``)."""
    try:
        done = subprocess.run([nvcc, "--list-gpu-code"], capture_output=True, text=True,
                              timeout=60, check=False)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return ()
    return tuple(w for w in done.stdout.split() if w.startswith("sm_"))


def unsupported_archs(program: CheckedProgram, nvcc: str) -> list[str]:

    known = nvcc_archs(nvcc)
    return [a for a in gpu_archs(program) if a not in known]


def gencode_flags(archs: Sequence[str]) -> list[str]:
    """nvcc -gencode for each arch: its machine code, and for the default
    arch of plain `gpu` targets also PTX, which newer GPUs compile at load."""

    flags = []
    for arch in archs:
        compute = "compute_" + arch.removeprefix("sm_")
        code = f"[{arch},{compute}]" if arch == DEFAULT_ARCH else arch
        flags.append(f"-gencode=arch={compute},code={code}")
    return flags


def choose_gpu_mode(program: CheckedProgram, requested: str) -> str:
    if requested != "auto":
        return requested
    if not has_gpu_tasks(program):
        return "emulate"
    nvcc = find_tool("nvcc")
    if nvcc is None:
        why, mode = "nvcc not found", "emulate"
    elif not cuda_usable():
        why, mode = "no CUDA device found", "emulate"
    elif unsupported_archs(program, nvcc):
        why = f"this nvcc cannot compile for {', '.join(unsupported_archs(program, nvcc))}"
        mode = "emulate"
    else:
        why, mode = "nvcc and a CUDA device found", "cuda"
    print(f"avial2c: --gpu auto: {why}, using '{mode}'", file=sys.stderr)
    return mode


def runtime_sources() -> list[str]:
    return sorted(str(p) for p in RUNTIME.glob("*.c") if not p.name.startswith("test"))


def run_tool(cmd: list[str], what: str) -> None:
    """Run a compiler; its warnings are shown, its failure is a ToolError."""
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except OSError as e:
        raise ToolError(f"cannot run {cmd[0]}: {e.strerror or e}") from e
    if done.returncode != 0:
        raise ToolError(f"{what} failed ({' '.join(cmd)}):\n{done.stdout}{done.stderr}")
    if done.stderr.strip():
        print(done.stderr.rstrip(), file=sys.stderr)


def user_flags(variable: str) -> list[str]:
    """Flags the user adds through the environment (CFLAGS, NVCCFLAGS, LDFLAGS)."""
    return shlex.split(os.environ.get(variable, ""))


def runtime_library(out_dir: Path, extra_cflags: Sequence[str] = ()) -> Path:
    """Compile the C runtime once into OUT_DIR/libavial_rt.a, for many builds."""
    mpicc = find_tool("mpicc")
    if mpicc is None:
        raise ToolError("mpicc not found; install OpenMPI ('make setup' does)")
    out_dir.mkdir(parents=True, exist_ok=True)
    objects = []
    for src in runtime_sources():
        obj = out_dir / (Path(src).stem + ".o")
        run_tool([mpicc, *CFLAGS, *user_flags("CFLAGS"), *extra_cflags, f"-I{RUNTIME}", "-c", src,
                  "-o", str(obj)], "mpicc")  # fmt: skip
        objects.append(str(obj))
    lib = out_dir / "libavial_rt.a"
    lib.unlink(missing_ok=True)
    run_tool(["ar", "rcs", str(lib), *objects], "ar")
    return lib


def build(
    program: CheckedProgram,
    output: Path,
    sync: str = "barrier",
    gpu: str = "auto",
    extra_cflags: Sequence[str] = (),
    runtime: Path | None = None,
    schedule: Schedule | None = None,
    compact: bool | None = None,
) -> Path:
    """Generate PROG.c (and PROG.cu) beside OUTPUT and compile them into OUTPUT.

    EXTRA_CFLAGS go to mpicc after the project's own (e.g. sanitizers).
    RUNTIME is a library from :func:`runtime_library` built with the same
    flags; without one the runtime's sources are compiled with the program.
    COMPACT forces the C generator's compact form on or off (default: by size)."""

    mode = choose_gpu_mode(program, gpu)
    if schedule is None:
        schedule = make_schedule(program, sync)
    sources = generate(program, schedule, mode, compact)
    output.parent.mkdir(parents=True, exist_ok=True)
    c_file = output.with_suffix(".c")
    c_file.write_text(sources.c)
    mpicc = find_tool("mpicc")
    if mpicc is None:
        raise ToolError("mpicc not found; install OpenMPI ('make setup' does)")
    objects: list[str] = []
    link: list[str] = []
    if sources.cuda is not None:
        objects, link = compile_cuda(sources.cuda, output, program)
    runtime_parts = runtime_sources() if runtime is None else [str(runtime)]
    cmd = [mpicc, *CFLAGS, *user_flags("CFLAGS"), *extra_cflags, f"-I{RUNTIME}", str(c_file),
           *objects, *runtime_parts]  # fmt: skip
    run_tool([*cmd, "-o", str(output), *link, *user_flags("LDFLAGS"), "-lm"], "mpicc")
    return output


# nvcc: no fused multiply-adds the source did not ask for (as -ffp-contract=off).
NVCC_FLAGS = ["-O2", "--fmad=false", "-std=c++17", "-Xcompiler", "-Wall,-Wextra"]
CUDA_LIBS = ["-lcudart_static", "-ldl", "-lrt", "-lpthread", "-lstdc++"]


def compile_cuda(source: str, output: Path, program: CheckedProgram) -> tuple[list[str], list[str]]:
    """Compile PROG.cu and runtime_c/av_cuda.cu; the objects and link flags."""

    nvcc = find_tool("nvcc")
    if nvcc is None:
        raise ToolError("nvcc not found; use --gpu emulate or install the CUDA toolkit")
    missing = unsupported_archs(program, nvcc)
    if missing:
        known = " ".join(nvcc_archs(nvcc)) or "none"
        raise ToolError(
            f"{nvcc} cannot compile for {', '.join(missing)} (it knows: {known}); "
            "use --gpu emulate or a CUDA toolkit that supports that GPU"
        )
    cu_file = output.with_suffix(".cu")
    cu_file.write_text(source)
    objects = [str(output.with_suffix(".cu.o")), str(output.with_name(output.name + ".av_cuda.o"))]
    arch = gencode_flags(gpu_archs(program))
    for src, obj in zip([str(cu_file), str(RUNTIME / "av_cuda.cu")], objects, strict=True):
        run_tool([nvcc, *NVCC_FLAGS, *user_flags("NVCCFLAGS"), *arch, f"-I{RUNTIME}", "-c", src,
                  "-o", obj], "nvcc")  # fmt: skip
    return objects, [f"-L{CUDA_HOME / 'lib64'}", *CUDA_LIBS]
