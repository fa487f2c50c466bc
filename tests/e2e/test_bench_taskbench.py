"""tests/perf/bench_taskbench.py --quick works: for every Task Bench pattern,
on 1 and 2 ranks, the round-robin build, the `--placement heft --fuse`
build and the hand-written MPI program (tests/perf/hand/taskbench.c, both
distributions of its points) leave the same bits in every output, and each
timed run prints the same lines.  Timings are never asserted (they depend
on the machine and its load).  In the long tier (tests/conftest.py)."""

from __future__ import annotations

import sys
from pathlib import Path

PERF = Path(__file__).resolve().parents[1] / "perf"
sys.path.insert(0, str(PERF))

import bench_taskbench  # noqa: E402
from bench_peers import PATTERNS, environment, taskbench  # noqa: E402
from bench_split import front_end  # noqa: E402
from markers import needs_mpi  # noqa: E402

from avial2c.build import build  # noqa: E402

pytestmark = needs_mpi


def test_quick_run_agrees_on_every_pattern(tmp_path: Path) -> None:
    a = bench_taskbench.parse_args(["--quick"])
    rows, status = bench_taskbench.measure(a, tmp_path)
    assert status == 0, bench_taskbench.report(rows)
    assert sorted((r.pattern, r.ranks) for r in rows) == sorted(
        (p, n) for p in PATTERNS for n in (1, 2)
    )
    for r in rows:
        assert r.same is None, (r.pattern, r.ranks, r.same)
        assert {k: len(v) for k, v in r.times.items()} == dict.fromkeys(bench_taskbench.LABELS, 1)
    assert "same bits" in bench_taskbench.report(rows)


def test_the_check_sees_other_bits(tmp_path: Path) -> None:
    """The check is not vacuous: the hand-written program at another grain
    (different values, the same shapes) is told apart."""
    width, grain, k = 4, 3, 4
    text, steps = taskbench("stencil", width, 5, grain, k)
    gen = build(front_end(text, tmp_path / "stencil.mlir"), tmp_path / "gen", gpu="emulate")
    hand = bench_taskbench.build_hand(tmp_path)
    names = [f"b{q}_{x}" for q in (0, 1) for x in range(width)]
    env = environment(1, tmp_path, False)
    argv = ["stencil", str(width), str(steps), str(grain), str(k)]
    assert bench_taskbench.check([("g", gen)], hand, argv, names, 2, tmp_path, env) is None
    argv[3] = str(grain + 1)
    why = bench_taskbench.check([("g", gen)], hand, argv, names, 2, tmp_path, env)
    assert why is not None and "g against hand (block)" in why
