"""Code generation: the view model, C with MPI and OpenMP, CUDA kernels."""
