"""The Python backend against the C backend, the same programs side by side.

    python tests/perf/bench_py.py [--ranks 2] [--repeat 3] [--quick]

Programs (those of bench_generated.py and bench_loops.py):

* **vector pipeline**: 2^22 int32 elements through a chain of elementwise
  tasks (vectorisable: every body becomes NumPy operations on slices);
* **2-D Jacobi, whole sweeps**: 512 x 512 f64, 20 sweep tasks
  (vectorisable);
* **2-D Jacobi, time loop**: 512 x 512 f64, 100 sweeps as an scf.for
  around two sweeps split by rows (vectorisable, halo exchange).

Each is translated with `--emit c` (built with mpicc as `avial2c build`
does) and `--emit py`, checked to print the same memrefs, then run on
RANKS ranks with OMP_NUM_THREADS=1 (the NumPy of the Python program runs
on one thread as well), alternating, REPEAT times.  Median wall times of
the same region (after start-up to the end of the last level, largest
over ranks).  Goal: Python / C <= 3 on these vectorisable programs.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_generated import jacobi, pipeline, run  # noqa: E402
from bench_loops import loop_text  # noqa: E402
from bench_split import front_end, verdict  # noqa: E402

from avial2c.build import build  # noqa: E402
from avial2c.codegen.py import generate_py  # noqa: E402
from avial2c.plan.schedule import make_schedule  # noqa: E402

GOAL = 3.0  # Python / C


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="small sizes (a check of the script)")
    a = ap.parse_args()
    q = a.quick
    n = 64 if q else 512
    cases = {
        "vector pipeline": pipeline(1 << 12 if q else 1 << 22)[0],
        "2-D Jacobi, whole sweeps": jacobi(n, 4 if q else 20)[0],
        "2-D Jacobi, time loop": loop_text(n, 4 if q else 100),
    }
    # One thread for the C's OpenMP and NumPy alike; the scripts import this avial2c.
    os.environ.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    os.environ["PYTHONPATH"] = str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")
    work = Path(tempfile.mkdtemp(prefix="avial2c-bench-py-"))
    try:
        rows = []
        for label, text in cases.items():
            stem = re.sub(r"\W+", "_", label).strip("_")
            program = front_end(text, work / f"{stem}.mlir")
            schedule = make_schedule(program, "p2p")
            exe = build(program, work / f"{stem}_c", sync="p2p", gpu="emulate", schedule=schedule)
            script = work / f"{stem}.py"
            script.write_text(generate_py(program, schedule))
            python = [sys.executable]
            _, c_lines = run(exe, [], a.ranks)
            _, py_lines = run(script, [], a.ranks, python)
            if c_lines != py_lines:
                print(f"{label}: the Python and C programs print different memrefs")
                return 1
            times: dict[str, list[float]] = {"c": [], "py": []}
            for _ in range(a.repeat):
                times["c"].append(run(exe, [], a.ranks)[0])
                times["py"].append(run(script, [], a.ranks, python)[0])
            rows.append((label, statistics.median(times["c"]), statistics.median(times["py"])))
        print(f"{a.ranks} ranks, OMP_NUM_THREADS=1, --sync p2p, {a.repeat} runs each, "
              "alternating; median wall times")  # fmt: skip
        print(f"{'program':<26} {'C':>10} {'Python':>10} {'Python / C':>11}")
        worst = 0.0
        for label, c, py in rows:
            ratio = py / c
            worst = max(worst, ratio)
            print(f"{label:<26} {c:9.4f}s {py:9.4f}s {ratio:10.2f}x")
        print(f"worst Python / C = {worst:.2f} (goal <= {GOAL:.1f}): {verdict(worst <= GOAL)}")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
