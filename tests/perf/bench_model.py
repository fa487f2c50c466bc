"""The cost model against measured times: predicted and traced, per program.

    python tests/perf/bench_model.py [--repeat 3] [--sync barrier] [--only NAME ...] [--no-bench] [--quick]

`--emit plan` predicts the time of one run of each task (``Plan.estimates``,
on ``default_machine(2)``: 2 ranks sharing this machine's cores, the default
rates) and the makespan.  This script builds each program, runs it REPEAT
times on 2 ranks with OMP_NUM_THREADS=1 and ``--trace FILE.json`` (the
generated program's Chrome trace: one ``"cat": "task"`` event per run of a
task, on its rank's row), and reports, per program:

* the predicted makespan against the measured one: the end of the last
  traced event (the final gathering to rank 0 included, as in the model),
  and the program's ``wall time:`` (which stops before the gathering);
  medians over the runs;
* for the tasks whose measured time is at least MIN_US (50 us: shorter ones
  are dominated by overheads the model does not count), the median over
  tasks of predicted / measured and of |predicted - measured| / measured.
  A task's measured time is the median of its traced runs (a task in a time
  loop runs many times); a task split by rows is predicted as its slowest
  block, so it is measured as the largest over ranks of each rank's median.

The programs: every example without GPU tasks (examples/*.mlir, as
`avial2c run` builds them: round robin), the programs of bench_placement.py
(round robin and heft) and of bench_generated.py (round robin).  A report,
not a test: nothing here passes or fails.  ``--only`` keeps the programs
whose name contains one of the words given; ``--no-bench`` keeps only the
examples.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_placement  # noqa: E402
from bench_generated import jacobi, matmul, pipeline, run  # noqa: E402
from bench_split import front_end  # noqa: E402

from avial2c.build import build, has_gpu_tasks  # noqa: E402
from avial2c.ir import Program  # noqa: E402
from avial2c.machine import default_machine  # noqa: E402
from avial2c.plan.plan import Plan, heft_schedule, place  # noqa: E402
from avial2c.plan.schedule import Schedule, make_schedule  # noqa: E402

RANKS = 2
MIN_US = 50.0  # tasks measured shorter than this are left out of the task errors


@dataclass(frozen=True)
class Source:
    """A program to measure: its name and text, and heft or round robin."""

    name: str
    text: str
    heft: bool = False


@dataclass(frozen=True)
class TaskTime:
    name: str
    predicted: float  # seconds, one run
    measured: float | None  # seconds, median of its runs (None: it never ran)
    runs: int  # traced runs of it (all ranks)


@dataclass(frozen=True)
class Row:
    name: str
    predicted: float  # the predicted makespan, seconds
    traced: float  # median end of the last traced event, seconds
    wall: float  # median `wall time:`, seconds
    tasks: tuple[TaskTime, ...]

    @property
    def timed(self) -> list[TaskTime]:
        """The tasks long enough to compare with the model."""
        return [t for t in self.tasks if t.measured is not None and t.measured * 1e6 >= MIN_US]


def ratios(tasks: Iterable[TaskTime]) -> list[float]:
    """Predicted / measured of each task that ran."""
    return [t.predicted / t.measured for t in tasks if t.measured]


def median_ratio(tasks: Iterable[TaskTime]) -> float | None:
    """The median of predicted / measured; None without tasks."""
    rs = ratios(tasks)
    return statistics.median(rs) if rs else None


def median_error(tasks: Iterable[TaskTime]) -> float | None:
    """The median of |predicted - measured| / measured; None without tasks."""
    rs = ratios(tasks)
    return statistics.median(abs(r - 1) for r in rs) if rs else None


def sources(quick: bool, bench: bool) -> list[Source]:
    out = []
    for path in sorted(EXAMPLES.glob("*.mlir")):
        out.append(Source(path.name, path.read_text()))
    if not bench:
        return out
    for case in bench_placement.cases(quick):
        out.append(Source(f"{case.name} (round robin)", case.text(False)))
        out.append(Source(f"{case.name} (heft)", case.text(False), heft=True))
    out += [
        Source("bench vector pipeline", pipeline(1 << 14 if quick else 1 << 23)[0]),
        Source("bench 2-D Jacobi", jacobi(64 if quick else 1024, 4 if quick else 40)[0]),
        Source("bench blocked matmul", matmul(64 if quick else 512, 4)[0]),
    ]
    return out


def schedule_of(program: Program, src: Source, sync: str) -> Schedule:
    if src.heft:
        return heft_schedule(program, sync, "declared", default_machine(RANKS))
    return make_schedule(program, sync)


def traced_tasks(trace: Path) -> tuple[dict[tuple[str, int], list[float]], float]:
    """The durations (seconds) of each task's runs by (name, rank), and the
    end of the last event."""
    events = json.loads(trace.read_text())["traceEvents"]
    runs: dict[tuple[str, int], list[float]] = {}
    end = 0.0
    for e in events:
        if e.get("ph") != "X":
            continue
        end = max(end, (e["ts"] + e["dur"]) * 1e-6)
        if e.get("cat") == "task":
            runs.setdefault((e["name"], e["tid"]), []).append(e["dur"] * 1e-6)
    return runs, end


def task_times(plan: Plan, runs: dict[tuple[str, int], list[float]]) -> tuple[TaskTime, ...]:
    assert plan.estimates is not None
    out = []
    for t, predicted in zip(plan.tasks, plan.estimates.tasks, strict=True):
        per_rank = [runs[t.name, r] for r in t.ranks if (t.name, r) in runs]
        measured = max(statistics.median(ts) for ts in per_rank) if per_rank else None
        out.append(TaskTime(t.name, predicted, measured, sum(len(ts) for ts in per_rank)))
    return tuple(out)


def measure(src: Source, work: Path, repeat: int, sync: str) -> Row:
    """Build SRC, run it REPEAT times on 2 ranks with --trace, and compare."""
    stem = "".join(ch if ch.isalnum() else "_" for ch in src.name)
    program = front_end(src.text, work / f"{stem}.mlir")
    schedule = schedule_of(program, src, sync)
    plan = place(schedule, RANKS, default_machine(RANKS))
    assert plan.estimates is not None
    exe = build(program, work / stem, sync=sync, gpu="emulate", schedule=schedule)
    runs: dict[tuple[str, int], list[float]] = {}
    ends, walls = [], []
    for k in range(repeat):
        trace = work / f"{stem}.{k}.json"
        wall, _ = run(exe, ["--trace", str(trace)], RANKS)
        got, end = traced_tasks(trace)
        for key, ts in got.items():
            runs.setdefault(key, []).extend(ts)
        ends.append(end)
        walls.append(wall)
    return Row(src.name, plan.estimates.makespan, statistics.median(ends),
               statistics.median(walls), task_times(plan, runs))  # fmt: skip


def seconds(x: float | None) -> str:
    if x is None:
        return "-"
    if x >= 0.1:
        return f"{x:.3f} s"
    if x >= 1e-4:
        return f"{x * 1e3:.2f} ms"
    return f"{x * 1e6:.1f} us"


def report(rows: Sequence[Row]) -> str:
    """The table: per program, the makespans and the task-time errors."""
    head = (f"{'program':<34} {'predicted':>10} {'traced':>10} {'wall time':>10} {'pred/traced':>11} "
            f"{'tasks':>7} {'pred/meas':>9} {'|error|':>8}")  # fmt: skip
    lines = [head, "-" * len(head)]
    for r in rows:
        ratio = f"{r.predicted / r.traced:.3g}" if r.traced > 0 else "-"
        tr, te = median_ratio(r.timed), median_error(r.timed)
        trs = f"{tr:.3g}" if tr is not None else "-"
        tes = f"{te:.0%}" if te is not None else "-"
        ran = sum(1 for t in r.tasks if t.measured is not None)
        lines.append(f"{r.name:<34} {seconds(r.predicted):>10} {seconds(r.traced):>10} "
                     f"{seconds(r.wall):>10} {ratio:>11} {f'{len(r.timed)}/{ran}':>7} "
                     f"{trs:>9} {tes:>8}")  # fmt: skip
    timed = [t for r in rows for t in r.timed]
    rs = ratios(timed)
    if rs:
        lines.append("")
        lines.append(f"all {len(rs)} tasks of at least {MIN_US:.0f} us: predicted / measured "
                     f"median {median_ratio(timed):.2f} (min {min(rs):.2f}, max {max(rs):.2f}); "
                     f"median |error| {median_error(timed):.0%}")  # fmt: skip
        per = [x for x in (median_ratio(r.timed) for r in rows) if x is not None]
        lines.append(f"the {len(per)} programs with such tasks, each by its median: predicted / "
                     f"measured median {statistics.median(per):.2f} (min {min(per):.2f}, "
                     f"max {max(per):.2f})")  # fmt: skip
    return "\n".join(lines)


def details(rows: Iterable[Row]) -> str:
    """Every task of at least MIN_US, predicted against measured."""
    lines = []
    for r in rows:
        for t in r.timed:
            assert t.measured is not None
            lines.append(f"  {r.name:<34} {t.name:<14} predicted {seconds(t.predicted):>10}, "
                         f"measured {seconds(t.measured):>10} (median of {t.runs} runs), "
                         f"ratio {t.predicted / t.measured:.2f}")  # fmt: skip
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sync", choices=["barrier", "p2p"], default="barrier")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="programs whose name contains NAME")
    ap.add_argument("--no-bench", action="store_true", help="the examples only")
    ap.add_argument("--tasks", action="store_true", help="also list every timed task")
    ap.add_argument("--quick", action="store_true", help="small sizes (a check of the script)")
    a = ap.parse_args(argv)
    os.environ["OMP_NUM_THREADS"] = "1"  # bench_generated.run keeps what is set here
    work = Path(tempfile.mkdtemp(prefix="avial2c-model-"))
    try:
        chosen = [s for s in sources(a.quick, not a.no_bench)
                  if not a.only or any(w in s.name for w in a.only)]  # fmt: skip
        load = os.getloadavg()[0]
        rows = []
        for src in chosen:
            program = front_end(src.text, work / "probe.mlir")
            if has_gpu_tasks(program):
                continue
            rows.append(measure(src, work, a.repeat, a.sync))
        print(f"{RANKS} ranks, --sync {a.sync}, OMP_NUM_THREADS=1, machine: defaults "
              f"({default_machine(RANKS).ranks[0].cores} core per rank); {a.repeat} runs each; "
              f"load average (1 min) before and after: {load:.2f}, {os.getloadavg()[0]:.2f}")  # fmt: skip
        print("predicted: the cost model's makespan; traced: end of the last trace event "
              "(final gathering included); tasks: timed (>= 50 us) / run")  # fmt: skip
        print(report(rows))
        if a.tasks:
            print("\n" + details(rows))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
