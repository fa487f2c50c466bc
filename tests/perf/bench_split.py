"""Split tasks: a row-decomposed Jacobi, generated against hand-written C.

    python tests/perf/bench_split.py [--n 2048] [--sweeps 100] [--repeat 3] [--sync barrier] [--quick]

The 2-D Jacobi of bench_generated.py (f64, N x N, boundary copied, interior
the average of its four neighbours, alternating two buffers) with every sweep
a task with {split = "rows"}: each rank runs its block of rows of every sweep
and the plan moves the halo rows between neighbours.  Against it, the same
decomposition written by hand (tests/perf/hand/jacobi_rows.c: MPI_Irecv /
MPI_Isend of the halo rows and MPI_Waitall before each sweep, OpenMP over its
rows), compiled with the same mpicc flags, and, for comparison, the
generated program of the same sweeps as whole tasks (no split: each sweep on
one rank).  All run with OMP_NUM_THREADS=1 on 1 and 2 ranks, alternating,
REPEAT times; before that, one run of each on 2 ranks checks that the final
u and v are the same bits (the generated program's --output-dir files
against the hand-written program's dump), and every timed run must print the
same output lines.  Prints the median wall times (same region in all: from
a barrier after start-up to the end of the last sweep, the largest time over
ranks, without the final gathering) and the two ratios tracked, each with
PASS or BEHIND:

* generated / hand-written on 2 ranks, goal <= 1.10;
* the generated program's speed-up on 2 ranks over 1 rank, goal >= 1.7.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_generated import HAND, jacobi, run  # noqa: E402

from avial2c.build import CFLAGS, build  # noqa: E402
from avial2c.check.checker import check_program  # noqa: E402
from avial2c.diagnostics import DiagnosticEngine  # noqa: E402
from avial2c.frontend.parse import parse_program  # noqa: E402
from avial2c.ir import CheckedProgram  # noqa: E402
from avial2c.plan.schedule import make_schedule  # noqa: E402

RATIO_GOAL = 1.10  # generated / hand-written on 2 ranks
SPEEDUP_GOAL = 1.7  # generated, 2 ranks over 1 rank


def split_rows(text: str) -> str:
    """TEXT with {split = "rows"} on every task."""
    split, count = re.subn(r"^(  %\w+ = avial\.task .*\)) \{$", r'\1 {split = "rows"} {', text,
                           flags=re.MULTILINE)  # fmt: skip
    assert count == text.count("avial.task"), "a task header not matched"
    return split


def front_end(text: str, path: Path) -> CheckedProgram:
    path.write_text(text)
    engine = DiagnosticEngine(source=text)
    program = check_program(parse_program(text, str(path)), engine)
    assert program is not None and not engine.has_errors, engine.render()
    return program


def same_bits(gen_dir: Path, dump: Path, n: int) -> bool:
    """The generated program's u.npy and v.npy hold the bits of the
    hand-written program's dump (u then v)."""
    hand = np.fromfile(dump, dtype=np.float64).reshape(2, n, n)
    gen = np.stack([np.load(gen_dir / "u.npy"), np.load(gen_dir / "v.npy")])
    return gen.shape == hand.shape and bool((gen.view(np.uint64) == hand.view(np.uint64)).all())


def verdict(ok: bool) -> str:
    return "PASS" if ok else "BEHIND"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, help="grid side (default 2048, 128 with --quick)")
    ap.add_argument("--sweeps", type=int, help="number of sweeps (default 100, 6 with --quick)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sync", choices=["barrier", "p2p"], default="barrier",
                    help="sync mode of both generated programs")  # fmt: skip
    ap.add_argument("--quick", action="store_true", help="small sizes (a check of the script)")
    a = ap.parse_args()
    n = a.n or (128 if a.quick else 2048)
    sweeps = a.sweeps or (6 if a.quick else 100)
    # One OpenMP thread per rank (bench_generated.run keeps what is set here).
    os.environ["OMP_NUM_THREADS"] = "1"

    work = Path(tempfile.mkdtemp(prefix="avial2c-split-"))
    try:
        return measure(a, n, sweeps, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure(a: argparse.Namespace, n: int, sweeps: int, work: Path) -> int:
    whole_text, hand_args = jacobi(n, sweeps)
    split_prog = front_end(split_rows(whole_text), work / "jacobi_split.mlir")
    whole_prog = front_end(whole_text, work / "jacobi_whole.mlir")
    gen = build(split_prog, work / "gen_split", gpu="emulate",
                schedule=make_schedule(split_prog, a.sync))  # fmt: skip
    whole = build(whole_prog, work / "gen_whole", gpu="emulate",
                  schedule=make_schedule(whole_prog, a.sync))  # fmt: skip
    hand = work / "hand_jacobi_rows"
    subprocess.run(["mpicc", *CFLAGS, "-I", str(HAND), str(HAND / "jacobi_rows.c"), "-o", str(hand)],
                   check=True)  # fmt: skip

    # The check: the same final u and v, bit for bit, on 2 ranks.
    dump = work / "hand.bin"
    run(hand, [*hand_args, str(dump)], 2)
    for label, exe in (("generated", gen), ("whole-task", whole)):
        out = work / f"out_{label}"
        run(exe, ["--output-dir", str(out)], 2)
        if not same_bits(out, dump, n):
            print(f"{label} and hand-written results differ (2 ranks)")
            return 1

    load = os.getloadavg()[0]
    variants = [("gen", gen, [], 1), ("hand", hand, hand_args, 1),
                ("gen", gen, [], 2), ("hand", hand, hand_args, 2),
                ("whole", whole, [], 1), ("whole", whole, [], 2)]  # fmt: skip
    times: dict[tuple[str, int], list[float]] = {(k, r): [] for k, _, _, r in variants}
    outputs: dict[tuple[str, int], list[str]] = {}
    for _ in range(a.repeat):
        for key, exe, argv, ranks in variants:
            t, lines = run(exe, argv, ranks)
            times[key, ranks].append(t)
            outputs[key, ranks] = lines
    first = outputs["hand", 1]
    for key, lines in outputs.items():
        if lines != first:
            print(f"outputs differ: {key}:\n{lines}\nhand-written on 1 rank:\n{first}")
            return 1
    med = {key: statistics.median(ts) for key, ts in times.items()}
    # Other work on the machine: 2-rank runs slow down most when a core is busy.
    print(f"load average (1 min) before and after the timed runs: {load:.2f}, "
          f"{os.getloadavg()[0]:.2f}")  # fmt: skip

    print(f"{n} x {n} f64, {sweeps} sweeps, --sync {a.sync}; OMP_NUM_THREADS=1; "
          f"{a.repeat} runs each, alternating; median wall times (per sweep)")  # fmt: skip
    print(f"{'program':<28} {'1 rank':>20} {'2 ranks':>20} {'speed-up':>9}")
    names = {"gen": "generated, split rows", "hand": "hand-written, rows",
             "whole": "generated, whole tasks"}  # fmt: skip
    for key, name in names.items():
        one, two = med[key, 1], med[key, 2]
        print(f"{name:<28} {one:8.4f} s ({one / sweeps * 1e3:5.2f} ms) "
              f"{two:8.4f} s ({two / sweeps * 1e3:5.2f} ms) {one / two:9.2f}")  # fmt: skip
    for key in ("gen", "whole"):
        ratio = med[key, 2] / med["hand", 2]
        speedup = med[key, 1] / med[key, 2]
        print(f"{names[key]}: / hand-written on 2 ranks = {ratio:.3f} "
              f"(goal <= {RATIO_GOAL:.2f}): {verdict(ratio <= RATIO_GOAL)}; "
              f"speed-up 2 ranks over 1 = {speedup:.2f} "
              f"(goal >= {SPEEDUP_GOAL:.1f}): {verdict(speedup >= SPEEDUP_GOAL)}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
