"""--gpu emulate: which loops around barriers it can run, and how."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e import check_text, generate

from avial2c.diagnostics import CompileError

REGRESSIONS = Path(__file__).resolve().parents[1] / "regressions"


def bounds_program() -> str:
    return (REGRESSIONS / "barrier_loop_computed_bounds.mlir").read_text()


def test_uniform_bounds_are_computed_once_per_block() -> None:
    c = generate(check_text(bounds_program(), "bounds.mlir")).c
    uniform = c.index("/* uniform: the same in every thread of the block */")
    threads = c.index("for (int64_t tx = 0; tx < 4; ++tx)")
    assert uniform < threads
    assert c.index("const int64_t lim = ") < threads
    assert "for (int64_t k = 0; k < lim; ++k)" in c


def test_bounds_that_differ_between_threads_are_rejected() -> None:
    text = bounds_program().replace("%n = arith.addi %bx, %c1", "%n = arith.addi %tx, %c1")
    program = check_text(text, "bounds.mlir")
    with pytest.raises(CompileError, match="same for every thread of a block"):
        generate(program)


def test_private_memory_across_a_barrier_has_one_copy_per_thread() -> None:
    text = (REGRESSIONS / "private_alloca_across_barrier.mlir").read_text()
    c = generate(check_text(text, "private.mlir")).c
    assert "thread-private memref<2xi32>, one copy per thread" in c
    assert c.count("*const P = v_P_t + tx * 2;") == 3  # once in each of the three phases
