"""The StarPU-MPI peer of the split Jacobi (tests/perf/starpu/jacobi_rows.c)
builds, runs and computes what the generated program computes.

A smoke test of tests/perf/bench_peers.py's StarPU side on tiny grids (and
of its six Task Bench patterns, below): the
generated program of the split Jacobi and the StarPU program (row blocks
registered as pieces, the halo rows read from the neighbours' pieces) on 2
ranks must print the same lines and leave the same bits in u and v.  Grids
of 5 and 12 rows give blocks of 2, 3 and 6 rows, so blocks cut into two and
three pieces.  Skipped, with the reason, where StarPU-MPI is not installed
(`apt-get install libstarpu-dev libstarpumpi-1.3-3`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

PERF = Path(__file__).resolve().parents[1] / "perf"
sys.path.insert(0, str(PERF))

from bench_generated import jacobi  # noqa: E402
from bench_peers import (  # noqa: E402
    PATTERNS,
    build_starpu,
    environment,
    run,
    same_bits,
    starpu_flags,
    taskbench,
)
from bench_split import front_end, split_rows  # noqa: E402
from markers import needs_mpi  # noqa: E402

from avial2c.build import build  # noqa: E402

FLAGS = starpu_flags()

pytestmark = [
    pytest.mark.slow,
    needs_mpi,
    pytest.mark.skipif(
        FLAGS is None,
        reason="StarPU-MPI is not installed (no `pkg-config starpumpi-1.3`: "
        "apt-get install libstarpu-dev libstarpumpi-1.3-3)",
    ),
]


@pytest.mark.parametrize("n", [5, 12])
def test_starpu_split_jacobi_matches_the_generated_program(tmp_path: Path, n: int) -> None:
    assert FLAGS is not None
    sweeps = 3
    program = front_end(split_rows(jacobi(n, sweeps)[0]), tmp_path / "split.mlir")
    gen = build(program, tmp_path / "gen", gpu="emulate")
    starpu = build_starpu("jacobi_rows", tmp_path, FLAGS)
    env = environment(1, tmp_path / "starpu-home", starpu=True)
    _, want, _ = run(gen, ["--output-dir", str(tmp_path / "out")], 2, environment(1, tmp_path, False),
                     timeout=120)  # fmt: skip
    dump = tmp_path / "starpu.bin"
    _, got, _ = run(starpu, [str(n), str(sweeps), "0", str(dump)], 2, env, timeout=120)
    assert got == want
    assert same_bits(tmp_path / "out", dump, ["u", "v"]) is None
    assert os.path.getsize(dump) == 2 * n * n * 8


@pytest.mark.parametrize("pattern", PATTERNS)
def test_task_bench_patterns_match_the_generated_programs(tmp_path: Path, pattern: str) -> None:
    """Each Task Bench pattern (tests/perf/starpu/taskbench.c) on 2 ranks: the
    same printed lines and the same bits as the avial program bench_peers.py
    writes for it (width 4, a few steps, grain 3)."""
    assert FLAGS is not None
    width, grain, k = 4, 3, 4
    text, steps = taskbench(pattern, width, 5, grain, k)
    program = front_end(text, tmp_path / f"{pattern}.mlir")
    gen = build(program, tmp_path / "gen", gpu="emulate")
    starpu = build_starpu("taskbench", tmp_path, FLAGS)
    out, dump = tmp_path / "out", tmp_path / "starpu.bin"
    _, want, _ = run(gen, ["--output-dir", str(out)], 2, environment(1, tmp_path, False), timeout=120)
    env = environment(1, tmp_path / "starpu-home", starpu=True)
    argv = [pattern, str(width), str(steps), str(grain), str(k), str(dump)]
    _, got, _ = run(starpu, argv, 2, env, timeout=120)
    assert got == want
    names = [f"b{q}_{x}" for q in (0, 1) for x in range(width)]
    assert same_bits(out, dump, names) is None
