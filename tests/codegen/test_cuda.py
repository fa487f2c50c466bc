"""CUDA sources (--gpu cuda), checked where there is no GPU: goldens of every
generated .cu, nvcc -c of each, the C side compiled with -Werror, the kernel
translation, nvcc's arch flags, and a CUDA build that fails cleanly, naming
the task, when no device is there.  Running the kernels is test_gpu_cuda.py's
job (GPU machines only)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Goldens
from e2e import EXAMPLES, check_text, generate, gpu_examples, load, mpi_env
from markers import needs_mpi, needs_nvcc

from avial2c.build import (
    ToolError,
    build,
    cuda_usable,
    find_tool,
    gencode_flags,
    nvcc_archs,
    unsupported_archs,
)
from avial2c.codegen.cuda import DEFAULT_ARCH, gpu_archs
from avial2c.ir import CheckedProgram

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ROOT / "runtime_c"
NVCC = find_tool("nvcc")


def example(path: Path) -> CheckedProgram:
    """The example named by its path in the repository, as in the goldens."""
    return check_text(path.read_text(), f"examples/{path.name}")


GPU_EXAMPLES = gpu_examples()


def test_there_are_gpu_examples() -> None:
    names = {p.name for p in GPU_EXAMPLES}
    assert {"seed.mlir", "matmul_gpu.mlir", "gpu_chain.mlir", "pipeline.mlir"} <= names


def test_cpu_only_programs_have_no_cuda_source() -> None:
    assert generate(load(EXAMPLES / "jacobi2d.mlir"), gpu="cuda").cuda is None


@pytest.mark.parametrize("path", GPU_EXAMPLES, ids=lambda p: p.stem)
def test_cuda_golden(path: Path, goldens: Goldens) -> None:
    out = generate(example(path), gpu="cuda")
    assert out.cuda is not None
    goldens.check(f"{path.stem}.cu", out.cuda)
    assert out.cuda == generate(example(path), gpu="cuda").cuda  # deterministic


def test_seed_kernel_and_launcher() -> None:
    out = generate(load(EXAMPLES / "seed.mlir"), gpu="cuda")
    assert out.cuda is not None
    cu = out.cuda
    assert "__global__ void task3_kernel(int32_t *__restrict__ d, const int32_t *__restrict__ c)" in cu
    assert "const int64_t tx = (int64_t)threadIdx.x;" in cu
    # the terse launch: one block of 20 threads
    assert "task3_kernel<<<dim3(1, 1, 1), dim3(20, 1, 1)>>>(d, c);" in cu
    assert 'AV_CUDA_LAUNCH_CHECK("task3");' in cu
    assert 'av_dev_use(ctx, MEM_D, AV_DEV_READ, "task3")' in cu
    assert "av_dev_wrote(ctx, MEM_D);" in cu
    assert 'extern "C" void task3(av_ctx *ctx)' in cu
    # PROG.c declares the launcher, selects CUDA device memory and calls it
    assert "void task3(av_ctx *ctx);" in out.c
    assert "av_dev_setup(&ctx, &av_cuda_ops);" in out.c
    assert 'AV_TASK(ctx, "task3", task3(ctx));' in out.c
    assert "__global__" not in out.c


def test_barriers_and_workgroup_memory() -> None:
    cu = generate(load(EXAMPLES / "matmul_gpu.mlir"), gpu="cuda").cuda
    assert cu is not None
    tiled = cu[cu.index("__global__ void task_tiled_kernel") :]
    tiled = tiled[: tiled.index("\n}\n")]
    assert tiled.count("__syncthreads();  /* gpu.barrier */") == 2
    assert "__shared__ float As[64];" in tiled and "__shared__ float Bs[64];" in tiled
    # shared memory is zeroed by the block's threads, then made visible
    assert re.search(r"for \(int64_t i = .*threadIdx\.y \* 8 .*; i < 64; i \+= 64\)", tiled)
    assert "task_tiled_kernel<<<dim3(2, 2, 1), dim3(8, 8, 1)>>>(D, A, B);" in cu


def test_overwritten_memrefs_are_not_copied_to_the_device() -> None:
    cu = generate(load(EXAMPLES / "gpu_chain.mlir"), gpu="cuda").cuda
    assert cu is not None
    assert 'av_dev_use(ctx, MEM_Y, AV_DEV_OVERWRITE, "scale")' in cu
    assert 'av_dev_use(ctx, MEM_X, AV_DEV_READ, "scale")' in cu


def test_host_code_asks_for_current_host_copies() -> None:
    c = generate(load(EXAMPLES / "gpu_chain.mlir"), gpu="cuda").c
    assert 'av_host_use(ctx, MEM_W, "total");' in c
    cpu_only = generate(load(EXAMPLES / "jacobi2d.mlir")).c
    assert "av_host_use" not in cpu_only and "av_dev_setup" not in cpu_only


def test_gpu_archs_and_gencode() -> None:
    assert gpu_archs(load(EXAMPLES / "seed.mlir")) == ("sm_90",)
    assert gpu_archs(load(EXAMPLES / "jacobi2d.mlir")) == ()
    assert gencode_flags(["sm_80", "sm_90"]) == [
        f"-gencode=arch=compute_80,code={'[sm_80,compute_80]' if DEFAULT_ARCH == 'sm_80' else 'sm_80'}",
        "-gencode=arch=compute_90,code=sm_90",
    ]
    assert gencode_flags(["sm_90a"]) == ["-gencode=arch=compute_90a,code=sm_90a"]


def nvcc_arch_for(program: CheckedProgram) -> list[str]:
    """-gencode for the program's archs, or for the oldest arch this nvcc
    knows when it cannot compile for them (the source must still be valid)."""
    assert NVCC is not None
    if not unsupported_archs(program, NVCC):
        return gencode_flags(gpu_archs(program))
    return [f"-arch={nvcc_archs(NVCC)[0]}"]


@needs_nvcc
@pytest.mark.parametrize("path", GPU_EXAMPLES, ids=lambda p: p.stem)
def test_every_cu_compiles_with_nvcc(path: Path, tmp_path: Path) -> None:
    assert NVCC is not None
    program = load(path)
    out = generate(program, gpu="cuda")
    assert out.cuda is not None
    cu = tmp_path / f"{path.stem}.cu"
    cu.write_text(out.cuda)
    cmd = [NVCC, "-c", "-O2", "--fmad=false", *nvcc_arch_for(program), f"-I{RUNTIME}",
           "-Werror", "all-warnings", "-Xcompiler", "-Wall,-Wextra,-Werror", str(cu),
           "-o", str(tmp_path / "prog.o")]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr


@needs_nvcc
def test_cuda_runtime_compiles_with_nvcc(tmp_path: Path) -> None:
    assert NVCC is not None
    cmd = [NVCC, "-c", "-O2", f"-I{RUNTIME}", "-Werror", "all-warnings", "-Xcompiler",
           "-Wall,-Wextra,-Werror", str(RUNTIME / "av_cuda.cu"), "-o", str(tmp_path / "rt.o")]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr


@pytest.mark.skipif(shutil.which("mpicc") is None, reason="mpicc is not installed")
@pytest.mark.parametrize("path", GPU_EXAMPLES, ids=lambda p: p.stem)
def test_cuda_mode_c_compiles(path: Path, tmp_path: Path) -> None:
    source = tmp_path / "prog.c"
    source.write_text(generate(load(path), gpu="cuda").c)
    done = subprocess.run(
        ["mpicc", "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-fopenmp", f"-I{RUNTIME}",
         "-c", str(source), "-o", str(tmp_path / "prog.o")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


@needs_nvcc
def test_an_arch_nvcc_cannot_compile_for_is_a_clear_error(tmp_path: Path) -> None:
    assert NVCC is not None
    program = load(EXAMPLES / "pipeline.mlir")  # sm_70
    if "sm_70" in nvcc_archs(NVCC):
        pytest.skip("this nvcc still compiles for sm_70")
    with pytest.raises(ToolError, match=r"cannot compile for sm_70 \(it knows: sm_"):
        build(program, tmp_path / "prog", gpu="cuda")


@needs_mpi
@needs_nvcc
@pytest.mark.skipif(cuda_usable(), reason="a CUDA device is present: test_gpu_cuda.py runs it")
def test_cuda_build_without_a_device_fails_cleanly_naming_the_task(tmp_path: Path) -> None:
    exe = build(load(EXAMPLES / "seed.mlir"), tmp_path / "prog", gpu="cuda")
    done = subprocess.run(["mpirun", "-n", "2", "--oversubscribe", str(exe)], capture_output=True,
                          text=True, timeout=120, env=mpi_env(), check=False)  # fmt: skip
    assert done.returncode != 0
    assert re.search(r"error: task3: cuda\w+ failed: ", done.stderr), done.stderr


@pytest.mark.skipif(cuda_usable(), reason="a CUDA device is present")
def test_gpu_auto_says_it_emulates_without_a_device(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "avial2c", "build", str(EXAMPLES / "seed.mlir"), "-o",
         str(tmp_path / "prog")],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    if shutil.which("mpicc") is None:
        pytest.skip("mpicc is not installed")
    assert done.returncode == 0, done.stderr
    assert "--gpu auto: " in done.stderr and "using 'emulate'" in done.stderr
    assert not (tmp_path / "prog.cu").exists()


EMPTY_GPU_TASK = """// a GPU task whose body touches nothing
avial.schedule %a : memref<4xi32> {
  %gpu = avial.target {arch = "sm_80"}
  %t = avial.task %gpu reads() writes() {
  }
}
"""


@pytest.mark.skipif(shutil.which("mpicc") is None, reason="mpicc is not installed")
@pytest.mark.parametrize("gpu", ["emulate", "cuda"])
def test_a_gpu_task_that_touches_nothing_compiles(gpu: str, tmp_path: Path) -> None:
    src = tmp_path / "empty.mlir"
    src.write_text(EMPTY_GPU_TASK)
    out = generate(load(src), gpu=gpu)
    assert "(void)ctx;  /* the task touches no memref */" in (out.cuda or out.c)
    source = tmp_path / "prog.c"
    source.write_text(out.c)
    done = subprocess.run(
        ["mpicc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-fopenmp", f"-I{RUNTIME}", "-c",
         str(source), "-o", str(tmp_path / "prog.o")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
