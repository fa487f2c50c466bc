"""Translator throughput and scaling, with mlir-opt-22 as the reference parser.

    python tests/perf/bench_translator.py [--sizes 1000 5000 10000] [--repeat 3]

Generates schedules of 1k, 5k and 10k tasks (each task reads two of 64
memrefs and writes a third in a 16-element scf.parallel; typed custom form),
and times, best of REPEAT, in this process:

* the front end (parse + check), on the custom form and on the generic form;
* the whole translation to C (front end, plan, C generation);

and, as a separate process, `mlir-opt-22 --allow-unregistered-dialect` on the
generic form (parse, verify, print) — the speed of MLIR's own parser on the
same text.  Prints lines per second and time(10k) / time(1k) (10 is linear).
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from avial2c.check.checker import check_program  # noqa: E402
from avial2c.codegen.c import generate  # noqa: E402
from avial2c.diagnostics import DiagnosticEngine  # noqa: E402
from avial2c.frontend.parse import parse_program  # noqa: E402
from avial2c.ir import CheckedProgram  # noqa: E402
from avial2c.plan.schedule import make_schedule  # noqa: E402
from avial2c.printer.generic import print_generic  # noqa: E402

MEMREFS = 64
TASK = """    %t{k} = avial.task %cpu reads(%m{a}, %m{b}) writes(%m{w}) {{
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c16 = arith.constant 16 : index
      scf.parallel (%i) = (%c0) to (%c16) step (%c1) {{
        %x = memref.load %m{a}[%i] : memref<16xi32>
        %y = memref.load %m{b}[%i] : memref<16xi32>
        %z = arith.addi %x, %y : i32
        memref.store %z, %m{w}[%i] : memref<16xi32>
      }}
      avial.yield
    }}
"""


def c_sources(program: CheckedProgram) -> str:
    return generate(program, make_schedule(program)).c


def schedule(tasks: int, seed: int = 1, chain: bool = False) -> str:
    """TASKS tasks over MEMREFS memrefs, each reading two and writing a third at
    random (levels of about 8 tasks); with CHAIN, task k reads what task k-1
    wrote, so every level holds one task."""
    rng = random.Random(seed)
    names = ", ".join(f"%m{k}" for k in range(MEMREFS))
    types = ", ".join(["memref<16xi32>"] * MEMREFS)
    body = []
    for k in range(tasks):
        if chain:
            a, w = (k - 1) % MEMREFS, k % MEMREFS
            b = rng.choice([m for m in range(MEMREFS) if m not in (a, w)])
        else:
            a, b, w = rng.sample(range(MEMREFS), 3)
        body.append(TASK.format(k=k, a=a, b=b, w=w))
    return (
        f"avial.schedule {names} : {types} {{\n"
        '  %cpu = avial.target {arch = "x86_64"}\n' + "".join(body) + "}\n"
    )


def front_end(text: str) -> CheckedProgram:
    engine = DiagnosticEngine(source=text)
    program = check_program(parse_program(text, "bench.mlir"), engine)
    assert program is not None and not engine.has_errors, engine.render()[:2000]
    return program


def best(repeat: int, f: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def mlir_opt_seconds(path: Path, repeat: int) -> float | None:
    tool = shutil.which("mlir-opt-22")
    if tool is None:
        return None
    cmd = [tool, "--allow-unregistered-dialect", str(path), "-o", "/dev/null"]
    return best(repeat, lambda: subprocess.run(cmd, check=True))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 10000])
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="avial2c-translator-"))
    rows = []
    for n in a.sizes:
        custom = schedule(n)
        generic = print_generic(front_end(custom))
        gpath = work / f"generic{n}.mlir"
        gpath.write_text(generic)
        rows.append((
            n,
            custom.count("\n"),
            generic.count("\n"),
            best(a.repeat, lambda t=custom: front_end(t)),
            best(a.repeat, lambda t=generic: front_end(t)),
            best(a.repeat, lambda t=custom: c_sources(front_end(t))),
            mlir_opt_seconds(gpath, a.repeat),
        ))  # fmt: skip
    print(f"{'tasks':>6} {'lines':>7} {'front end':>16} {'generic front end':>20} "
          f"{'to C':>16} {'mlir-opt (generic)':>22}")  # fmt: skip
    for n, lines, glines, fe, ge, c, mo in rows:
        mlir = f"{mo:7.3f} s {glines / mo:8.0f}/s" if mo else "not installed"
        print(f"{n:>6} {lines:>7} {fe:7.3f} s {lines / fe:6.0f}/s {ge:8.3f} s {glines / ge:8.0f}/s "
              f"{c:7.3f} s {lines / c:6.0f}/s {mlir:>22}")  # fmt: skip
    first, last = rows[0], rows[-1]
    scale = last[0] / first[0]
    print(f"time({last[0]}) / time({first[0]}) (linear is {scale:g}): front end "
          f"{last[3] / first[3]:.2f}, generic front end {last[4] / first[4]:.2f}, "
          f"to C {last[5] / first[5]:.2f}"
          + (f", mlir-opt {last[6] / first[6]:.2f}" if first[6] and last[6] else ""))
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
