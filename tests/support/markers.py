"""The skip markers for missing tools, defined once.  CI installs every tool,
so there nothing of ours is skipped except GPU execution."""

from __future__ import annotations

import shutil

import pytest

from avial2c.build import find_tool

MLIR_OPT = "mlir-opt-22"

# The reasons of the markers of tests that compile or run programs: conftest.py
# marks those tests `slow`, so `make test-fast` leaves them out.
NO_GCC = "gcc is not installed"
NO_MPICC = "mpicc is not installed"
NO_MPI = "OpenMPI (mpicc, mpirun) is not installed"
NO_NVCC = "nvcc is not installed"
BUILDING = frozenset([NO_GCC, NO_MPICC, NO_MPI, NO_NVCC])

needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason=NO_GCC)
needs_mpicc = pytest.mark.skipif(shutil.which("mpicc") is None, reason=NO_MPICC)
needs_mpi = pytest.mark.skipif(
    shutil.which("mpicc") is None or shutil.which("mpirun") is None,
    reason=NO_MPI,
)
needs_nvcc = pytest.mark.skipif(find_tool("nvcc") is None, reason=NO_NVCC)
needs_mlir_opt = pytest.mark.skipif(
    shutil.which(MLIR_OPT) is None, reason=f"{MLIR_OPT} is not installed"
)
