"""C compile time of generated programs as the schedule grows.

    python tests/perf/bench_compile.py [--sizes 1000 5000 10000] [--shapes wide chain distinct]
                                       [--repeat 1]

Translates the schedules of bench_translator.py to C (front end, plan, C
generation) in three shapes: "wide", its random schedule (levels of about 8
tasks), "chain", where each task reads what the previous one wrote (one
task per level), and "distinct", the wide schedule with a different constant
added in each task, so that no two task bodies are alike (above
codegen.c.LARGE_PROGRAM tasks, tasks with the same body share one function).  Then times, best of REPEAT,

    mpicc -std=c11 -O2 -fopenmp -ffp-contract=off -I runtime_c -c PROG.c -o PROG.o

on the generated file alone (the runtime is the same for every size): wall
time, CPU time (user + system) and peak resident memory of the compiler, as
/usr/bin/time reports them.  Prints lines of C, the largest function and
`main`, levels, time(N) / time(first size), and the two goals: time(10k) <=
12 x time(1k) and time(10k) <= 60 s (wall time).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_translator import front_end, schedule  # noqa: E402

from avial2c.build import find_tool  # noqa: E402
from avial2c.codegen.c import generate  # noqa: E402
from avial2c.plan.schedule import make_schedule  # noqa: E402

FLAGS = ["-std=c11", "-O2", "-fopenmp", "-ffp-contract=off", "-I", str(ROOT / "runtime_c")]
SLOWDOWN = 1.2  # goal: time(10k) <= 12 x time(1k), i.e. 1.2 x linear
SECONDS_10K = 60.0
SHAPES = ("wide", "chain", "distinct")


@dataclass
class Row:
    shape: str
    tasks: int
    levels: int
    lines: int
    largest: tuple[str, int]
    main_lines: int
    wall: float
    cpu: float
    rss_mib: float | None


def functions(c: str) -> dict[str, int]:
    """Lines of each function definition: signature (at column 0, possibly over
    several lines) to the closing brace at column 0."""
    lines = c.splitlines()
    sizes: dict[str, int] = {}
    for i, line in enumerate(lines):
        if line != "{":
            continue
        start = i - 1
        while start > 0 and (lines[start].startswith((" ", "\t")) or "(" not in lines[start]):
            start -= 1
        name = re.findall(r"(\w+)\s*\(", lines[start])[0]
        end = lines.index("}", i)
        sizes[name] = end - start + 1
    return sizes


def compile_once(mpicc: str, c_file: Path, log: Path) -> tuple[float, float, float | None]:
    """Wall seconds, CPU seconds (user + system) and peak RSS in MiB of one
    `mpicc -c`, compiler processes included.

    The figures come from GNU time (/usr/bin/time), which forks the compiler
    and reads its wait4 resource usage.  They are not read from this process's
    own children: Python starts them with vfork or posix_spawn, and Linux counts
    this process's resident set (hundreds of MiB after translating 10k tasks)
    as the child's peak.  Without /usr/bin/time the peak is not measured."""
    cmd = [mpicc, *FLAGS, "-c", str(c_file), "-o", str(c_file.with_suffix(".o"))]
    stats = log.with_suffix(".time")
    timer = Path("/usr/bin/time")
    if timer.exists():
        cmd = [str(timer), "-f", "%U %S %M", "-o", str(stats), *cmd]
    t0 = time.perf_counter()
    with log.open("w") as out:
        done = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=False)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        sys.exit(f"mpicc failed on {c_file}:\n{log.read_text()[-4000:]}")
    if not timer.exists():
        return wall, float("nan"), None
    user, system, kib = stats.read_text().split()[-3:]
    return wall, float(user) + float(system), int(kib) / 1024


def distinct(text: str) -> str:
    """TEXT with task k adding k to its sum: no two task bodies alike."""
    count = iter(range(1 << 30))
    return re.sub(
        r"%z = arith.addi %x, %y : i32",
        lambda _: (f"%s = arith.addi %x, %y : i32\n        %k = arith.constant {next(count)} : i32\n"
                   "        %z = arith.addi %s, %k : i32"),
        text,
    )  # fmt: skip


def measure(mpicc: str, shape: str, tasks: int, repeat: int, work: Path) -> Row:
    text = schedule(tasks, chain=shape == "chain")
    program = front_end(distinct(text) if shape == "distinct" else text)
    plan = make_schedule(program)
    c = generate(program, plan).c
    c_file = work / f"{shape}{tasks}.c"
    c_file.write_text(c)
    sizes = functions(c)
    largest = max(sizes.items(), key=lambda kv: kv[1])
    runs = [compile_once(mpicc, c_file, work / "mpicc.log") for _ in range(repeat)]
    wall, cpu, _ = min(runs, key=lambda r: r[0])
    peaks = [r[2] for r in runs if r[2] is not None]
    return Row(shape, tasks, len(plan.levels), c.count("\n"), largest, sizes["main"],
               wall, cpu, max(peaks) if peaks else None)  # fmt: skip


def mib(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} MiB"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "BEHIND"


def report(rows: list[Row]) -> None:
    print(f"{'shape':>6} {'tasks':>6} {'levels':>6} {'lines of C':>10} {'largest function':>24} "
          f"{'main':>6} {'mpicc wall':>10} {'cpu':>8} {'peak RSS':>9} {'wall/first':>10}")  # fmt: skip
    for r in rows:
        first = next(f for f in rows if f.shape == r.shape)
        largest = f"{r.largest[0]} {r.largest[1]}"
        print(f"{r.shape:>6} {r.tasks:>6} {r.levels:>6} {r.lines:>10} {largest:>24} "
              f"{r.main_lines:>6} {r.wall:8.1f} s {r.cpu:6.1f} s {mib(r.rss_mib):>9} "
              f"{r.wall / first.wall:10.2f}")  # fmt: skip
    for shape in dict.fromkeys(r.shape for r in rows):
        mine = [r for r in rows if r.shape == shape]
        first, last = mine[0], mine[-1]
        if last.tasks > first.tasks:
            scale = last.tasks / first.tasks
            ratio = last.wall / first.wall
            limit = SLOWDOWN * scale
            print(f"{shape}: time({last.tasks}) / time({first.tasks}) = {ratio:.2f} "
                  f"(linear is {scale:g}, goal <= {limit:g}): {verdict(ratio <= limit)}; "
                  f"cpu {last.cpu / first.cpu:.2f}")  # fmt: skip
        for r in mine:
            if r.tasks == 10000:
                print(f"{shape}: time(10000) = {r.wall:.1f} s (goal <= {SECONDS_10K:g} s): "
                      f"{verdict(r.wall <= SECONDS_10K)}")  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 10000])
    ap.add_argument("--shapes", nargs="+", choices=SHAPES, default=list(SHAPES))
    ap.add_argument("--repeat", type=int, default=1)
    a = ap.parse_args()
    mpicc = find_tool("mpicc")
    if mpicc is None:
        print("mpicc not found; install OpenMPI ('make setup' does)", file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="avial2c-compile-"))
    rows = []
    for shape in a.shapes:
        for n in sorted(a.sizes):
            rows.append(measure(mpicc, shape, n, a.repeat, work))
            r = rows[-1]
            print(f"  {shape} {n}: {r.lines} lines of C, mpicc {r.wall:.1f} s, "
                  f"{mib(r.rss_mib)}", file=sys.stderr, flush=True)  # fmt: skip
    report(rows)
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
