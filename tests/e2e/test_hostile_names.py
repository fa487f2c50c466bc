"""Names of the program never collide with what the included headers define.

A memref or value may be named like any macro, type or function of the
headers the generated C and CUDA include (INT32_MAX, MPI_Comm, isnan,
stdout, M_PI, cudaSuccess, ...).  The lists of macros come from the
installed headers themselves.
"""

from __future__ import annotations

import re
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest
from e2e import EXAMPLES, ROOT, check_runs, check_text, generate
from markers import needs_mpi, needs_nvcc

from avial2c.build import find_tool
from avial2c.codegen.names import Namer

RUNTIME = ROOT / "runtime_c"
C_INCLUDES = ["<math.h>", "<stdbool.h>", "<stddef.h>", "<stdint.h>", "<mpi.h>",
              '"avial_rt.h"', '"av_ops.h"', '"av_owners.h"']  # fmt: skip
CUDA_INCLUDES = ["<stdbool.h>", "<stdint.h>", '"avial_cuda.h"', '"av_device.h"', '"av_ops.h"']
MLIR_ID = re.compile(r"[A-Za-z$._-][A-Za-z0-9$._-]*")


def macros(compiler: list[str], includes: list[str], suffix: str, tmp: Path) -> set[str]:
    source = tmp / f"includes{suffix}"
    source.write_text("".join(f"#include {h}\n" for h in includes))
    done = subprocess.run([*compiler, f"-I{RUNTIME}", str(source)],
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return {line.split()[1].split("(")[0] for line in done.stdout.splitlines() if line.startswith("#define")}


def c_macros(tmp: Path) -> set[str]:
    return macros(["mpicc", "-std=c11", "-fopenmp", "-dM", "-E"], C_INCLUDES, ".c", tmp)


@needs_mpi
def test_no_name_drawn_from_the_c_headers_is_kept(tmp_path: Path) -> None:
    names = c_macros(tmp_path)
    assert {"INT32_MAX", "HUGE_VAL", "MPI_COMM_WORLD", "isnan", "offsetof"} <= names
    namer = Namer()
    clashes = sorted(n for n in names if MLIR_ID.fullmatch(n) and namer.fresh(n) in names)
    assert clashes == []


@needs_nvcc
def test_no_name_drawn_from_the_cuda_headers_is_kept(tmp_path: Path) -> None:
    nvcc = find_tool("nvcc")
    assert nvcc is not None
    show = subprocess.run(["mpicc", "--showme:compile"], capture_output=True, text=True, check=False)
    flags = show.stdout.split() if show.returncode == 0 else []
    names = macros([nvcc, "-std=c++17", "-E", "-Xcompiler", "-dM", *flags], CUDA_INCLUDES, ".cu",
                   tmp_path)  # fmt: skip
    assert {"M_PIf", "cudaSuccess", "be16toh"} & names
    namer = Namer()
    clashes = sorted(n for n in names if MLIR_ID.fullmatch(n) and namer.fresh(n) in names)
    assert clashes == []


HOSTILE = {
    "a": "INT32_MAX", "b": "MPI_Comm", "c": "isnan", "d": "M_PI",
    "x": "stdout", "y": "UINT8_MAX", "z": "offsetof", "i": "SIZE_MAX",
    "c0": "HUGE_VAL", "c1": "FP_NAN", "c20": "MATH_ERRNO",
}  # fmt: skip


def hostile_seed() -> str:
    text = (EXAMPLES / "seed_typed.mlir").read_text()
    return re.sub(r"%([A-Za-z0-9_]+)\b", lambda m: "%" + HOSTILE.get(m[1], m[1]), text)


def test_hostile_names_give_the_usual_program() -> None:
    text = hostile_seed()
    assert "%INT32_MAX" in text and "%MATH_ERRNO" in text
    c = generate(check_text(text, "hostile.mlir")).c
    code = re.sub(r'/\*.*?\*/|"(?:[^"\\]|\\.)*"', "", c, flags=re.S)  # no comments, strings
    assert "INT32_MAX_[" in code and "v_MPI_Comm" in code and "M_PI_" not in code
    for name in HOSTILE.values():
        assert not re.search(rf"(?<![\w]){name}(?![\w])", code), name


@needs_mpi
@pytest.mark.parametrize("gpu", ["emulate"])
def test_hostile_names_build_and_match_the_interpreter(gpu: str, tmp_path: Path) -> None:
    program = check_text(hostile_seed(), "hostile.mlir")
    rng = np.random.default_rng(zlib.crc32(b"hostile"))
    check_runs(program, tmp_path, rng, [("barrier", 2), ("p2p", 3)])
