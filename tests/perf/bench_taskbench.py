"""Task Bench's patterns with tiny tasks: round robin, --placement heft --fuse and MPI by hand.

    python tests/perf/bench_taskbench.py [--ranks 1 2] [--repeat 5] [--grains 1 64]
        [--width 8] [--steps 2000] [--k 16] [--sync barrier] [--patterns ...]
        [--hand block|cyclic] [--quick]

Task Bench's trivial, stencil, nearest, fft, random (a fixed pseudo-random
DAG) and tree patterns as bench_peers.taskbench writes them in avial (WIDTH
points per step, K f64 per point, each task GRAIN steps of acc = acc * 0.5
+ s per element), each built three ways:

* **round robin**: avial2c's default placement (task k of a level on rank
  k % size), `avial2c build PROG` with --sync SYNC;
* **heft + fuse**: what `avial2c build PROG --placement heft --fuse --ranks
  N` builds (the program fused by transforms.fuse_program, then
  plan.heft_schedule for default_machine(N) on this machine's cores), one
  build per rank count;
* **hand**: tests/perf/hand/taskbench.c, MPI and no runtime: each rank owns
  a contiguous block of the points (--hand cyclic: point x on rank x %
  size, round robin's placement), posts one message per (point, other
  rank) the dependencies of a step need, and runs the same kernel
  (tests/perf/hand/taskbench.h, shared with the StarPU version).

Before timing, on each rank count, one run of each writes its outputs (the
generated programs' --output-dir files, the hand-written program's dump, in
both distributions) and they must be the same bits (bench_peers.same_bits);
every timed run must print the same output lines too.  Then the three run
alternately (each first in turn), REPEAT times, with one thread per rank
(OMP_NUM_THREADS=1), `mpirun --oversubscribe --bind-to none` (bench_peers.
run); the medians of the programs' `wall time:` (from a barrier after
start-up to the end of the last task, the largest over ranks, without the
final gathering) divided by the number of tasks are the microseconds per
task printed, with the ratios heft + fuse / round robin and heft + fuse /
hand.  For each pattern and rank count it also says what --fuse fused (the
notes `--emit plan --fuse` and `avial2c build --fuse` print) and where HEFT
put the tasks.  Timings on a shared 2-core machine are noisy: the load
average is printed with every pattern.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_generated import HAND  # noqa: E402
from bench_peers import (  # noqa: E402
    PATTERNS,
    environment,
    run,
    same_bits,
    task_ranks,
    taskbench,
    tb_tasks,
)
from bench_split import front_end  # noqa: E402

from avial2c.build import CFLAGS, build, runtime_library  # noqa: E402
from avial2c.machine import default_machine, physical_cores  # noqa: E402
from avial2c.plan.plan import heft_schedule  # noqa: E402
from avial2c.plan.schedule import Schedule, make_schedule  # noqa: E402
from avial2c.transforms.fuse import fuse_program  # noqa: E402

LABELS = ("round robin", "heft + fuse", "hand")
DISTS = ("block", "cyclic")


def build_hand(out: Path) -> Path:
    """tests/perf/hand/taskbench.c compiled with the generated programs' flags."""
    exe = out / "hand_taskbench"
    subprocess.run(["mpicc", *CFLAGS, "-Werror", "-I", str(HAND), str(HAND / "taskbench.c"),
                    "-o", str(exe)], check=True)  # fmt: skip
    return exe


def heft_where(schedule: Schedule, size: int, plain: Schedule) -> str:
    """Where HEFT put the tasks: the cost model's note when it kept a simpler
    placement, else the tasks per rank, and whether that is PLAIN's (round
    robin's) placement."""
    if schedule.placement_note:
        return schedule.placement_note
    ranks = task_ranks(schedule, size)
    same = " (round robin's)" if ranks == task_ranks(plain, size) else ""
    return (
        "HEFT's own: the program's tasks per rank "
        + "/".join(str(ranks.count(r)) for r in range(size))
        + same
    )


@dataclass
class Row:
    """One pattern at one grain on one rank count."""

    pattern: str
    grain: int
    ranks: int
    tasks: int
    fused: int
    where: str
    times: dict[str, list[float]] = field(default_factory=dict)
    same: str | None = None  # why the outputs differ, when they do

    def us(self, label: str, fastest: bool = False) -> float | None:
        """Microseconds per task: the median run's, or the fastest's."""
        ts = self.times.get(label, [])
        if not ts:
            return None
        return (min(ts) if fastest else statistics.median(ts)) / self.tasks * 1e6


def check(
    generated: Sequence[tuple[str, Path]],
    hand: Path,
    hand_argv: list[str],
    names: list[str],
    ranks: int,
    work: Path,
    env: dict[str, str],
) -> str | None:
    """None when the GENERATED programs and the hand-written one (in both
    distributions) leave the same bits in every output, else what differs."""
    dumps = {dist: work / f"hand_{dist}.bin" for dist in DISTS}
    for dist, dump in dumps.items():
        run(hand, [*hand_argv, dist, str(dump)], ranks, env)
    for label, exe in generated:
        out = work / "out"
        shutil.rmtree(out, ignore_errors=True)
        run(exe, ["--output-dir", str(out)], ranks, env)
        for dist, dump in dumps.items():
            why = same_bits(out, dump, names)
            if why is not None:
                return f"{label} against hand ({dist}): {why}"
    return None


def measure(a: argparse.Namespace, work: Path) -> tuple[list[Row], int]:
    runtime = runtime_library(work / "rt")
    hand = build_hand(work)
    env = environment(1, work / "home", False)
    rows: list[Row] = []
    status = 0
    for pattern in a.patterns:
        load0 = os.getloadavg()[0]
        for grain in a.grains:
            text, steps = taskbench(pattern, a.width, a.steps, grain, a.k)
            program = front_end(text, work / f"{pattern}_{grain}.mlir")
            fused, done = fuse_program(program)
            plain = make_schedule(program, a.sync)
            rr = build(program, work / f"rr_{pattern}_{grain}", gpu="emulate", runtime=runtime,
                       schedule=plain)  # fmt: skip
            names = [f"b{q}_{x}" for q in (0, 1) for x in range(a.width)]
            hand_argv = [pattern, str(a.width), str(steps), str(grain), str(a.k)]
            for ranks in a.ranks:
                placed = heft_schedule(fused, a.sync, "declared",
                                       default_machine(ranks, physical_cores()))  # fmt: skip
                heft = build(fused, work / f"heft_{pattern}_{grain}_{ranks}", gpu="emulate",
                             runtime=runtime, schedule=placed)  # fmt: skip
                row = Row(pattern, grain, ranks, tb_tasks(pattern, a.width, steps), len(done),
                          heft_where(placed, ranks, plain))  # fmt: skip
                rows.append(row)
                variants: list[tuple[str, Path, list[str]]] = [
                    ("round robin", rr, []), ("heft + fuse", heft, []),
                    ("hand", hand, [*hand_argv, a.hand])]  # fmt: skip
                row.same = check(
                    [(v[0], v[1]) for v in variants[:2]], hand, hand_argv, names, ranks, work, env
                )
                if row.same is not None:
                    print(
                        f"{pattern}, grain {grain}, {ranks} ranks: the outputs differ: {row.same}"
                    )
                    status = 1
                    continue
                row.times = {label: [] for label in LABELS}
                first: list[str] | None = None
                for rep in range(a.repeat):
                    for j in range(len(variants)):  # each first in turn
                        label, exe, argv = variants[(rep + j) % len(variants)]
                        t, lines, _ = run(exe, argv, ranks, env)
                        row.times[label].append(t)
                        if first is None:
                            first = lines
                        elif lines != first:
                            print(f"{pattern}, grain {grain}, {ranks} ranks: {label} printed "
                                  f"other lines:\n{lines}\nagainst\n{first}")  # fmt: skip
                            row.same = f"{label} printed other lines"
                            status = 1
        print(f"  {pattern}: measured (load {load0:.2f} -> {os.getloadavg()[0]:.2f})")
        sys.stdout.flush()
    return rows, status


def report(rows: Sequence[Row], fastest: bool = False) -> str:
    """The table of ROWS: medians, or the fastest runs."""
    head = (f"  {'pattern':<8} {'grain':>5} {'ranks':>5} {'tasks':>6}  {'round robin':>11} "
            f"{'heft+fuse':>9} {'hand':>7}  {'heft+fuse/RR':>12} {'heft+fuse/hand':>14}  "
            "outputs   fused  HEFT's placement")  # fmt: skip
    out = [head]
    for r in rows:
        cells = [r.us(label, fastest) for label in LABELS]
        shown = [f"{c:.3f}" if c is not None else "-" for c in cells]
        rr, hf, hd = cells
        vs_rr = f"{hf / rr:.2f}" if hf is not None and rr else "-"
        vs_hand = f"{hf / hd:.2f}" if hf is not None and hd else "-"
        same = "same bits" if r.same is None else "DIFFER"
        out.append(f"  {r.pattern:<8} {r.grain:>5} {r.ranks:>5} {r.tasks:>6}  {shown[0]:>11} "
                   f"{shown[1]:>9} {shown[2]:>7}  {vs_rr:>12} {vs_hand:>14}  {same:<9} "
                   f"{r.fused:>5}  {r.where}")  # fmt: skip
    return "\n".join(out)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line; --quick sets the small sizes."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ranks", type=int, nargs="+", default=[1, 2], help="e.g. 1 2 4")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--grains", type=int, nargs="+", default=[1, 64])
    ap.add_argument("--width", type=int, default=8, help="points per step")
    ap.add_argument("--steps", type=int, default=2000, help="steps (at least)")
    ap.add_argument("--k", type=int, default=16, help="f64 per point")
    ap.add_argument("--sync", choices=("barrier", "p2p"), default="barrier",
                    help="--sync of both generated builds")  # fmt: skip
    ap.add_argument("--patterns", nargs="+", choices=PATTERNS, default=list(PATTERNS))
    ap.add_argument("--hand", choices=DISTS, default="block",
                    help="the hand-written program's points: contiguous blocks, or round robin's")  # fmt: skip
    ap.add_argument("--quick", action="store_true", help="small sizes (a check of the script)")
    a = ap.parse_args(argv)
    if a.quick:
        a.width, a.steps, a.grains, a.repeat = 4, 10, [1], 1
    return a


def main(argv: Sequence[str] | None = None) -> int:
    a = parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="avial2c-taskbench-"))
    try:
        print(f"Task Bench patterns: width {a.width}, {a.steps}+ steps, K = {a.k} f64 per "
              f"point, grains {a.grains}; --sync {a.sync}; hand-written: {a.hand} columns; "
              f"{a.repeat} runs each, alternating, medians; load {os.getloadavg()[0]:.2f}")  # fmt: skip
        rows, status = measure(a, work)
        print("microseconds per task (wall time / tasks) of the median runs; ratios of those; "
              "'fused': the fusions --fuse made")  # fmt: skip
        print(report(rows))
        print(f"\nthe same, of the fastest of the {a.repeat} runs of each")
        print(report(rows, fastest=True))
        return status
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
