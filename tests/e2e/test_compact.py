"""The C generator's compact form for large programs (codegen.c.LARGE_PROGRAM):
each transfer one call to the file's post_moves, CPU tasks with the same
body one function, and the same results as the interpreter on 1-4 ranks."""

from __future__ import annotations

import re
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from e2e import EXAMPLES, check_runs, check_text, generate, load
from markers import needs_mpi

from avial2c.codegen.c import LARGE_PROGRAM

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "perf"))
from bench_translator import schedule

# One example of each kind of transfer: whole memrefs, partial writes, halos
# of split tasks, a whole task after split ones, carried values of a time
# loop, and device copies (av_host_use_rows / av_host_wrote_rows around the
# messages, whole and by rows of a split GPU task).
EXAMPLES_COMPACT = ["seed.mlir", "multiwrite.mlir", "jacobi_split.mlir", "split_then_whole.mlir",
                    "jacobi_loop.mlir", "gpu_chain.mlir", "jacobi_gpu_split.mlir"]  # fmt: skip
CASES = [("barrier", 1), ("barrier", 3), ("p2p", 2), ("p2p", 4)]


def task_functions(c: str) -> list[str]:
    return re.findall(r"^static void (task\w*)\(", c, re.M)


def test_small_programs_keep_the_full_form() -> None:
    c = generate(load(EXAMPLES / "seed.mlir")).c
    assert "post_moves" not in c
    assert c.count("MPI_Isend(") >= 1 and "for (int k = 0; k < mv->n; k++)" in c


def test_a_large_program_is_compact_and_its_tasks_share_one_function() -> None:
    program = check_text(schedule(LARGE_PROGRAM + 1), "wide.mlir")
    c = generate(program).c
    # Every task of this schedule has the same body over different memrefs.
    assert task_functions(c) == ["task_t0"]
    assert "(256 other tasks with this body, on their own memrefs)" in c
    # Its 16-iteration loops are written without OpenMP (the full form: a pragma
    # with if(64 >= av_omp_min_work)).
    assert "#pragma omp" not in c and "16 iterations, about 64 operations: one thread" in c
    assert c.count("static void post_moves(") == 1
    assert c.count("MPI_Isend(") == 1 and c.count("MPI_Irecv(") == 1
    calls = re.findall(r'AV_TASK\(ctx, "(t\d+)", (task_\w+)\(', c)
    assert len(calls) == LARGE_PROGRAM + 1 and {f for _, f in calls} == {"task_t0"}
    # main runs the levels from a table instead of one line each.
    levels = c.count("\nstatic void level")
    assert f"static void (*const levels_0_to_{levels - 1}[{levels}])(av_ctx *, av_owners *)" in c
    assert f"levels_0_to_{levels - 1}[n](&ctx, &own);" in c
    assert generate(program).c == c  # deterministic


def test_only_identical_bodies_share_a_function() -> None:
    text = load(EXAMPLES / "seed.mlir")
    c = generate(text, compact=True).c
    full = generate(text, compact=False).c
    # The seed's tasks all differ: one function each, as in the full form.
    assert len(task_functions(c)) == len(task_functions(full)) == len(text.tasks)
    wide = schedule(12).replace("arith.addi %x, %y : i32", "arith.subi %x, %y : i32", 1)
    c = generate(check_text(wide, "wide.mlir"), compact=True).c
    assert task_functions(c) == ["task_t0", "task_t1"]  # t0 subtracts, the others add


@needs_mpi
@pytest.mark.parametrize("name", EXAMPLES_COMPACT)
def test_compact_example_matches_the_interpreter(name: str, tmp_path: Path) -> None:
    program = load(EXAMPLES / name)
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    check_runs(program, tmp_path, rng, CASES, compact=True)


@needs_mpi
def test_large_program_matches_the_interpreter(tmp_path: Path) -> None:
    program = check_text(schedule(LARGE_PROGRAM + 44, seed=3), "wide.mlir")
    check_runs(program, tmp_path, np.random.default_rng(3), CASES)


@needs_mpi
def test_a_memref_named_like_the_transfer_function(tmp_path: Path) -> None:
    """A memref called %post_moves gets another pointer name in the level
    functions, so the compact form's post_moves stays callable."""
    text = (EXAMPLES / "seed.mlir").read_text().replace("%d", "%post_moves")
    program = check_text(text, "post_moves.mlir")
    c = generate(program, compact=True).c
    assert "static void post_moves(av_ctx *ctx," in c and "*const post_moves_2 =" in c
    check_runs(program, tmp_path, np.random.default_rng(11), [("barrier", 2), ("p2p", 3)],
               compact=True)  # fmt: skip
