"""avial2c: compile AVIAL MLIR schedules to C with MPI, OpenMP and CUDA."""

__version__ = "0.1.0"
