"""`avial2c build` and `avial2c run`: compile generated sources and launch them.

The C is compiled by `mpicc` together with the runtime in runtime_c/; CUDA
sources, when a program has GPU tasks and CUDA is chosen, by `nvcc`.  Runs go
through `srun` inside a Slurm allocation and `mpirun` otherwise.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from .ir import Program, is_gpu_arch

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = ROOT / "runtime_c"
CUDA_HOME = Path(os.environ.get("CUDA_HOME", "/usr/local/cuda"))

# -ffp-contract=off: no fused multiply-adds the source did not ask for, so
# float results match the reference interpreter bit for bit.
CFLAGS = ["-std=c11", "-O2", "-fopenmp", "-ffp-contract=off", "-Wall", "-Wextra"]


class ToolError(Exception):
    """A compiler or launcher is missing or failed; reported without a traceback."""


def has_gpu_tasks(program: Program) -> bool:
    return any(is_gpu_arch(t.target.arch) for t in program.tasks)


def find_tool(name: str) -> str | None:
    found = shutil.which(name)
    if found is None and (CUDA_HOME / "bin" / name).exists():
        found = str(CUDA_HOME / "bin" / name)
    return found


def cuda_usable() -> bool:
    """nvcc is installed and a CUDA device is visible."""
    if find_tool("nvcc") is None:
        return False
    return Path("/dev/nvidia0").exists() or Path("/dev/nvidiactl").exists()


def choose_gpu_mode(program: Program, requested: str) -> str:
    if requested != "auto":
        return requested
    if not has_gpu_tasks(program):
        return "emulate"
    mode = "cuda" if cuda_usable() else "emulate"
    why = "nvcc and a CUDA device found" if mode == "cuda" else "no usable CUDA device"
    print(f"avial2c: --gpu auto: {why}, using '{mode}'", file=sys.stderr)
    return mode


def runtime_sources() -> list[str]:
    return sorted(str(p) for p in RUNTIME.glob("*.c") if not p.name.startswith("test"))


def run_tool(cmd: list[str], what: str) -> None:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except OSError as e:
        raise ToolError(f"cannot run {cmd[0]}: {e.strerror or e}") from e
    if done.returncode != 0:
        raise ToolError(f"{what} failed ({' '.join(cmd)}):\n{done.stdout}{done.stderr}")


def build(
    program: Program,
    output: Path,
    sync: str = "barrier",
    gpu: str = "auto",
    extra_cflags: Sequence[str] = (),
) -> Path:
    """Generate PROG.c (and PROG.cu) beside OUTPUT and compile them into OUTPUT.

    EXTRA_CFLAGS go to mpicc after the project's own (e.g. sanitizers)."""
    from .codegen_c import generate

    mode = choose_gpu_mode(program, gpu)
    sources = generate(program, sync=sync, gpu=mode)
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
    cmd = [mpicc, *CFLAGS, *extra_cflags, f"-I{RUNTIME}", str(c_file), *runtime_sources(), *objects]
    run_tool([*cmd, "-o", str(output), *link, "-lm"], "mpicc")
    return output


def cuda_arch(program: Program) -> str:
    """-arch for nvcc: the first GPU target's arch; plain `gpu` → sm_70."""
    for t in program.targets:
        if is_gpu_arch(t.arch) and t.arch != "gpu":
            return t.arch
    return "sm_70"


def compile_cuda(source: str, output: Path, program: Program) -> tuple[list[str], list[str]]:
    nvcc = find_tool("nvcc")
    if nvcc is None:
        raise ToolError("nvcc not found; use --gpu emulate or install the CUDA toolkit")
    cu_file = output.with_suffix(".cu")
    cu_file.write_text(source)
    obj = str(output.with_suffix(".cu.o"))
    mpi_flags = subprocess.run(
        ["mpicc", "--showme:compile"], capture_output=True, text=True, check=False
    ).stdout.split()
    run_tool(
        [nvcc, "-O2", f"-arch={cuda_arch(program)}", f"-I{RUNTIME}", *mpi_flags, "-c",
         str(cu_file), "-o", obj],
        "nvcc",
    )  # fmt: skip
    return [obj], [f"-L{CUDA_HOME / 'lib64'}", "-lcudart", "-lstdc++"]


def launch(exe: Path, np: int, args: list[str]) -> int:
    """Run EXE on NP ranks; srun inside a Slurm allocation, else mpirun."""
    if os.environ.get("SLURM_JOB_ID") and shutil.which("srun"):
        cmd = ["srun", "-n", str(np), str(exe.resolve()), *args]
    else:
        mpirun = shutil.which("mpirun")
        if mpirun is None:
            raise ToolError("mpirun not found; install OpenMPI ('make setup' does)")
        cmd = [mpirun, "-n", str(np)]
        if np > (os.cpu_count() or 1):
            cmd.append("--oversubscribe")
        cmd += [str(exe.resolve()), *args]
    sys.stdout.flush()
    return subprocess.run(cmd, check=False).returncode
