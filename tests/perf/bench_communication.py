"""Bytes the plan moves against the minimum (each cross-rank dependency once).

    python tests/perf/bench_communication.py [--random 200]

For every example on 1-4 ranks, and for RANDOM programs drawn by
tests/support/progen.py (fixed seed), without and with time loops (whole
runs: every iteration counted), prints the bytes moved by the plan's transfers,
the minimum (for each version of a memref, its size once per other rank that
needs it, rank 0 included for the final results) and their ratio (1.0 is
optimal).  Counts only, no timing: the same on every machine.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "support"))

from hypothesis import HealthCheck, given, settings  # noqa: E402
from progen import programs, render  # noqa: E402

from avial2c.check.checker import check_program  # noqa: E402
from avial2c.diagnostics import DiagnosticEngine  # noqa: E402
from avial2c.frontend.parse import parse_program  # noqa: E402
from avial2c.ir import CheckedProgram  # noqa: E402
from avial2c.plan.plan import make_plan  # noqa: E402


def load(text: str, name: str) -> CheckedProgram:
    engine = DiagnosticEngine(source=text)
    program = check_program(parse_program(text, name), engine)
    assert program is not None and not engine.has_errors, engine.render()
    return program


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--random", type=int, default=200, help="random programs to add")
    a = ap.parse_args()
    print(f"{'program':<24} " + " ".join(f"{f'{n} ranks: moved/min':>26}" for n in (1, 2, 3, 4)))
    worst = 1.0
    for path in sorted((ROOT / "examples").glob("*.mlir")):
        program = load(path.read_text(), str(path))
        cells = []
        for n in (1, 2, 3, 4):
            plan = make_plan(program, n)
            ratio = plan.bytes_moved / plan.min_bytes if plan.min_bytes else 1.0
            worst = max(worst, ratio)
            cells.append(f"{plan.bytes_moved:>10}/{plan.min_bytes:<10} {ratio:4.2f}")
        print(f"{path.stem:<24} " + " ".join(f"{c:>26}" for c in cells))
    for loops in (False, True):
        totals = {n: [0, 0] for n in (1, 2, 3, 4)}

        @settings(max_examples=a.random, derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(programs(loops=loops))
        def measure(spec: object) -> None:
            program = load(render(spec), "random.mlir")  # type: ignore[arg-type]
            for n in (1, 2, 3, 4):
                plan = make_plan(program, n)
                # measure() runs within this iteration of the loop over `loops`.
                totals[n][0] += plan.bytes_moved  # noqa: B023
                totals[n][1] += plan.min_bytes  # noqa: B023

        if not a.random:
            break
        measure()
        cells = []
        for n in (1, 2, 3, 4):
            moved, least = totals[n]
            ratio = moved / least if least else 1.0
            worst = max(worst, ratio)
            cells.append(f"{moved:>10}/{least:<10} {ratio:4.2f}")
        label = f"{a.random} random{' loop' if loops else ''} programs"
        print(f"{label:<24} " + " ".join(f"{c:>26}" for c in cells))
    print(f"largest ratio: {worst:.3f} (1.0: every cross-rank dependency moved exactly once)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
