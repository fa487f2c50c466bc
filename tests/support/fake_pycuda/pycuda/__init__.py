"""A stand-in for pycuda where there is no GPU (tests/e2e/test_py_backend.py).

It implements the few calls avial2c.pyrt makes (driver: init, Device,
make_context, mem_alloc, memcpy_htod/dtoh, Context.synchronize, Error;
compiler: SourceModule) on host memory, runs no kernel, and appends one
JSON line per call to the file named by FAKE_PYCUDA_LOG, so a test can
check how a generated program drives the device: which copies, which
launches with which grid, block and argument types, and that every
allocation is freed and the context popped.
"""
