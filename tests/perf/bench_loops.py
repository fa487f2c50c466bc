"""Time loops: a Jacobi written as a loop, against the same sweeps written as
tasks one by one, and against hand-written MPI.

    python tests/perf/bench_loops.py [--n 2048] [--sweeps 1000] [--repeat 3] [--sync barrier] [--quick]

The 2-D Jacobi of bench_split.py (f64, N x N, boundary copied, interior the
average of its four neighbours, alternating two buffers), every sweep split
by rows, written three ways:

* **loop**: `scf.for` around two sweep tasks (u -> v, v -> u), SWEEPS / 2
  iterations: one plan for the body, a C for loop in main();
* **unrolled**: SWEEPS sweep tasks one after another (what had to be written
  before time loops), each with {split = "rows"};
* **hand-written**: tests/perf/hand/jacobi_rows.c (the same row blocks,
  MPI_Irecv / MPI_Isend of the halo rows and MPI_Waitall before each sweep).

Build time: translation (parse, check, plan, generate C) and mpicc of the
generated program with the runtime's sources, as `avial2c build` does, for
the loop with 10 sweeps and with SWEEPS sweeps (goal: <= 2 s, the same for
both) and for the unrolled program.  Lines of generated C for each.

Run time: after a check that the loop, the unrolled program and the
hand-written one give the same final u and v bit for bit on 2 ranks, each
runs on 1 and 2 ranks with OMP_NUM_THREADS=1, alternating, REPEAT times
(the unrolled one REPEAT times on 2 ranks only).  Median wall times, same
region in all (after start-up to the end of the last sweep, largest over
ranks).  Goal: loop / hand-written on 2 ranks <= 1.10.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_generated import HAND, jacobi, run  # noqa: E402
from bench_split import front_end, same_bits, split_rows, verdict  # noqa: E402

from avial2c.build import CFLAGS, RUNTIME, runtime_sources  # noqa: E402
from avial2c.codegen.c import generate  # noqa: E402
from avial2c.plan.schedule import make_schedule  # noqa: E402

RATIO_GOAL = 1.10  # loop / hand-written on 2 ranks
BUILD_GOAL = 2.0  # seconds, translation + mpicc


def loop_text(n: int, sweeps: int) -> str:
    """The Jacobi as a time loop: SWEEPS / 2 iterations of two split sweeps."""
    one, _ = jacobi(n, 2)
    head, _, rest = one.partition("  %sweep0")
    body = split_rows("  %sweep0" + rest.rpartition("}\nreturn")[0])
    inner = "\n".join("  " + line if line else line for line in body.splitlines())
    return (
        head
        + f"  %t_first = arith.constant 0 : index\n  %t_end = arith.constant {sweeps // 2} : index\n"
        + "  %t_step = arith.constant 1 : index\n"
        + "  scf.for %t = %t_first to %t_end step %t_step {\n"
        + inner
        + "\n  }\n}\nreturn\n}\n"
    )


def build_timed(text: str, work: Path, name: str, sync: str) -> tuple[Path, float, float, int]:
    """Translate and compile TEXT; (executable, translation s, mpicc s, lines of C)."""
    t0 = time.perf_counter()
    program = front_end(text, work / f"{name}.mlir")
    c = generate(program, make_schedule(program, sync), "emulate").c
    t1 = time.perf_counter()
    c_file = work / f"{name}.c"
    c_file.write_text(c)
    exe = work / name
    subprocess.run(["mpicc", *CFLAGS, f"-I{RUNTIME}", str(c_file), *runtime_sources(), "-o",
                    str(exe), "-lm"], check=True)  # fmt: skip
    t2 = time.perf_counter()
    return exe, t1 - t0, t2 - t1, len(c.splitlines())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, help="grid side (default 2048, 128 with --quick)")
    ap.add_argument("--sweeps", type=int, help="sweeps, even (default 1000, 8 with --quick)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sync", choices=["barrier", "p2p"], default="barrier")
    ap.add_argument("--quick", action="store_true", help="small sizes (a check of the script)")
    a = ap.parse_args()
    n = a.n or (128 if a.quick else 2048)
    sweeps = a.sweeps or (8 if a.quick else 1000)
    if sweeps % 2:
        ap.error("--sweeps must be even (each iteration runs two sweeps)")
    os.environ["OMP_NUM_THREADS"] = "1"
    work = Path(tempfile.mkdtemp(prefix="avial2c-loops-"))
    try:
        return measure(a, n, sweeps, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure(a: argparse.Namespace, n: int, sweeps: int, work: Path) -> int:
    loop, lt, lc, llines = build_timed(loop_text(n, sweeps), work, "loop", a.sync)
    _, st, sc, slines = build_timed(loop_text(n, 10), work, "loop10", a.sync)
    unrolled_text, hand_args = jacobi(n, sweeps)
    unrolled, ut, uc, ulines = build_timed(split_rows(unrolled_text), work, "unrolled", a.sync)
    hand = work / "hand_jacobi_rows"
    subprocess.run(["mpicc", *CFLAGS, "-I", str(HAND), str(HAND / "jacobi_rows.c"), "-o", str(hand)],
                   check=True)  # fmt: skip

    dump = work / "hand.bin"
    run(hand, [*hand_args, str(dump)], 2)
    for label, exe in (("loop", loop), ("unrolled", unrolled)):
        out = work / f"out_{label}"
        run(exe, ["--output-dir", str(out)], 2)
        if not same_bits(out, dump, n):
            print(f"{label} and hand-written results differ (2 ranks)")
            return 1

    load = os.getloadavg()[0]
    variants = [("loop", loop, [], 1), ("hand", hand, hand_args, 1),
                ("loop", loop, [], 2), ("hand", hand, hand_args, 2),
                ("unrolled", unrolled, [], 2)]  # fmt: skip
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
    print(f"load average (1 min) before and after the timed runs: {load:.2f}, "
          f"{os.getloadavg()[0]:.2f}")  # fmt: skip
    print(f"{n} x {n} f64, {sweeps} sweeps split by rows, --sync {a.sync}")
    print(f"{'build':<28} {'translate':>10} {'mpicc':>8} {'total':>8} {'lines of C':>11}")
    for name, t, c, lines in (("loop, 10 sweeps", st, sc, slines),
                              (f"loop, {sweeps} sweeps", lt, lc, llines),
                              (f"unrolled, {sweeps} tasks", ut, uc, ulines)):  # fmt: skip
        print(f"{name:<28} {t:9.2f}s {c:7.2f}s {t + c:7.2f}s {lines:11d}")
    build = lt + lc
    print(f"loop build: {build:.2f} s (goal <= {BUILD_GOAL:.1f} s): {verdict(build <= BUILD_GOAL)}; "
          f"lines of C independent of the trip count: {verdict(llines == slines)}")  # fmt: skip
    print(f"OMP_NUM_THREADS=1; {a.repeat} runs each, alternating; median wall times")
    print(f"{'program':<28} {'1 rank':>10} {'2 ranks':>10}")
    labels = {"loop": "loop, split rows", "hand": "hand-written, rows",
              "unrolled": "unrolled tasks, split rows"}  # fmt: skip
    for key, name in labels.items():
        one = f"{med[key, 1]:9.3f}s" if (key, 1) in med else f"{'-':>10}"
        print(f"{name:<28} {one} {med[key, 2]:9.3f}s")
    ratio = med["loop", 2] / med["hand", 2]
    print(f"loop / hand-written on 2 ranks = {ratio:.3f} (goal <= {RATIO_GOAL:.2f}): "
          f"{verdict(ratio <= RATIO_GOAL)}; unrolled / hand-written = "
          f"{med['unrolled', 2] / med['hand', 2]:.3f}; loop speed-up 2 ranks over 1 = "
          f"{med['loop', 1] / med['loop', 2]:.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
