"""The GPU examples built with --gpu cuda and run on a real device (GPU machines).

Skipped, with the reason, where nvcc or a CUDA device is missing; CI has
neither a device nor this test's results.  On a GPU machine:

    .venv/bin/pytest -m gpu tests/test_gpu_cuda.py

Each example runs on 1 and 2 ranks (both ranks share the node's devices,
rank r on device r % count) in both sync modes, on random inputs, and must
give the interpreter's memrefs: integers bit for bit, floats bit for bit as
well (nvcc --fmad=false, IEEE division and square root), except where a GPU
kernel calls a math function other than sqrt/abs/floor/ceil/round/fma,
which CUDA's libdevice computes to within a few ulp of glibc (4 ulp allowed).
The traced host <-> GPU copies must be the planned ones.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest
from e2e import (
    build_example,
    expected_outputs,
    gpu_examples,
    has_reductions,
    load,
    mpirun,
    random_inputs,
    write_inputs,
)
from markers import needs_mpi
from test_device_copies import planned, traced

from avial2c.build import cuda_usable
from avial2c.ir import Program, is_gpu_arch, walk_ops
from avial2c.npyio import written_memrefs
from avial2c.plan.plan import make_plan

EXACT_MATH = {"sqrt", "absf", "absi", "floor", "ceil", "round", "fma"}
GPU_EXAMPLES = gpu_examples()

pytestmark = [
    pytest.mark.gpu,
    needs_mpi,
    pytest.mark.skipif(not cuda_usable(), reason="needs nvcc and a CUDA device"),
]


def inexact_on_gpu(program: Program) -> bool:
    """A GPU kernel calls a math function CUDA may round differently."""
    for task in program.tasks:
        if not is_gpu_arch(task.target.arch):
            continue
        for op in walk_ops(task.body):
            dialect, _, short = op.name.partition(".")
            if dialect == "math" and short not in EXACT_MATH:
                return True
    return False


def compare(program: Program, out: Path, want: dict[str, np.ndarray], context: str) -> None:
    loose = inexact_on_gpu(program) or has_reductions(program)
    for name in written_memrefs(program):
        got = np.load(out / f"{name}.npy")
        assert got.dtype == want[name].dtype and got.shape == want[name].shape, f"{context}: %{name}"
        if loose and got.dtype.kind == "f":
            ulp = np.spacing(np.abs(want[name]).astype(got.dtype))
            np.testing.assert_array_less(np.abs(got - want[name]), 4 * ulp + np.finfo(got.dtype).tiny,
                                         err_msg=f"{context}: %{name}")  # fmt: skip
        else:
            np.testing.assert_array_equal(got, want[name], err_msg=f"{context}: %{name}")


@pytest.mark.parametrize("sync", ["barrier", "p2p"])
@pytest.mark.parametrize("path", GPU_EXAMPLES, ids=lambda p: p.stem)
def test_example_on_the_gpu_matches_the_interpreter(path: Path, sync: str, tmp_path: Path) -> None:
    program = load(path)
    exe = build_example(program, tmp_path / "build", sync, gpu="cuda")
    assert (tmp_path / "build" / "prog.cu").exists()
    rng = np.random.default_rng(zlib.crc32(f"gpu:{path.name}:{sync}".encode()))
    inputs = random_inputs(program, rng)
    args = write_inputs(inputs, tmp_path / "in")
    want = expected_outputs(program, inputs)
    for ranks in (1, 2):
        out = tmp_path / f"out{ranks}"
        trace = tmp_path / f"trace{ranks}.json"
        run = mpirun(exe, ranks, [*args, "--output-dir", str(out), "--trace", str(trace)])
        context = f"{path.name} --gpu cuda --sync {sync} on {ranks} ranks"
        assert run.returncode == 0, f"{context}: {run.stderr}"
        compare(program, out, want, context)
        plan = make_plan(program, ranks, sync)
        for r in range(ranks):
            assert traced(trace, r) == planned(plan.device_copies, r), f"{context}, rank {r}"
