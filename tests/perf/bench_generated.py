"""Generated code against hand-written C + MPI + OpenMP, side by side.

    python tests/perf/bench_generated.py [--ranks 2] [--repeat 5] [--quick]

Three programs, each as an avial schedule (built by avial2c) and as C written
by hand for the same placement (tests/perf/hand/*.c, compiled with the same
mpicc flags): a vector pipeline with one cross-rank transfer, a 2-D Jacobi
over many sweeps, and a blocked matrix product.  Both versions print the same
outputs (checked here) and time the same region (after start-up, to the end
of the last level; the largest time over ranks).  Runs alternate between the
two versions; the medians and their ratio (generated / hand-written) are
printed.  Ratios, not absolute times, are what to compare across machines.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HAND = Path(__file__).resolve().parent / "hand"
sys.path.insert(0, str(ROOT))

from avial2c.build import CFLAGS, build  # noqa: E402
from avial2c.check.checker import check_program  # noqa: E402
from avial2c.diagnostics import DiagnosticEngine  # noqa: E402
from avial2c.frontend.parse import parse_program  # noqa: E402

HEAD = "  %{name} = avial.task %cpu reads({reads}) writes({writes}) {{\n"


def loop1(n: int, body: str) -> str:
    return (
        "    %c0 = arith.constant 0 : index\n    %c1 = arith.constant 1 : index\n"
        f"    %n = arith.constant {n} : index\n"
        "    scf.parallel (%i) = (%c0) to (%n) step (%c1) {\n" + body + "    }\n  }\n"
    )


def pipeline(n: int) -> tuple[str, list[str]]:
    t = f"memref<{n}xf64>"
    unary = "      %v = memref.load %{src}[%i] : {t}\n      %r = arith.{op} %v, %k : f64\n      memref.store %r, %{dst}[%i] : {t}\n"
    text = (
        f"func.func @main(%x: {t}, %a: {t}, %b: {t}, %c: {t}, %d: {t}) {{\n"
        f"avial.schedule %x, %a, %b, %c, %d : {t}, {t}, {t}, {t}, {t} {{\n"
        '  %cpu = avial.target {arch = "x86_64"}\n'
        + HEAD.format(name="scale", reads="%x", writes="%a")
        + "    %k = arith.constant 2.0 : f64\n"
        + loop1(n, unary.format(src="x", dst="a", op="mulf", t=t))
        + HEAD.format(name="shift", reads="%x", writes="%b")
        + "    %k = arith.constant 1.0 : f64\n"
        + loop1(n, unary.format(src="x", dst="b", op="addf", t=t))
        + HEAD.format(name="mul", reads="%a, %b", writes="%c")
        + loop1(n, f"      %p = memref.load %a[%i] : {t}\n      %q = memref.load %b[%i] : {t}\n"
                   f"      %r = arith.mulf %p, %q : f64\n      memref.store %r, %c[%i] : {t}\n")
        + HEAD.format(name="add", reads="%c", writes="%d")
        + "    %k = arith.constant 3.0 : f64\n"
        + loop1(n, unary.format(src="c", dst="d", op="addf", t=t))
        + "}\nreturn\n}\n"
    )  # fmt: skip
    return text, [str(n)]


def jacobi(n: int, sweeps: int) -> tuple[str, list[str]]:
    t = f"memref<{n}x{n}xf64>"
    tasks = []
    for k in range(sweeps):
        src, dst = ("u", "v") if k % 2 == 0 else ("v", "u")
        tasks.append(
            HEAD.format(name=f"sweep{k}", reads=f"%{src}", writes=f"%{dst}")
            + f"""    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %n = arith.constant {n} : index
    %last = arith.constant {n - 1} : index
    %q = arith.constant 0.25 : f64
    scf.parallel (%i, %j) = (%c0, %c0) to (%n, %n) step (%c1, %c1) {{
      %i0 = arith.cmpi eq, %i, %c0 : index
      %j0 = arith.cmpi eq, %j, %c0 : index
      %i1 = arith.cmpi eq, %i, %last : index
      %j1 = arith.cmpi eq, %j, %last : index
      %e0 = arith.ori %i0, %j0 : i1
      %e1 = arith.ori %i1, %j1 : i1
      %edge = arith.ori %e0, %e1 : i1
      %r = scf.if %edge -> (f64) {{
        %s = memref.load %{src}[%i, %j] : {t}
        scf.yield %s : f64
      }} else {{
        %im = arith.subi %i, %c1 : index
        %ip = arith.addi %i, %c1 : index
        %jm = arith.subi %j, %c1 : index
        %jp = arith.addi %j, %c1 : index
        %a = memref.load %{src}[%im, %j] : {t}
        %b = memref.load %{src}[%ip, %j] : {t}
        %c = memref.load %{src}[%i, %jm] : {t}
        %d = memref.load %{src}[%i, %jp] : {t}
        %s0 = arith.addf %a, %b : f64
        %s1 = arith.addf %s0, %c : f64
        %s2 = arith.addf %s1, %d : f64
        %m = arith.mulf %s2, %q : f64
        scf.yield %m : f64
      }}
      memref.store %r, %{dst}[%i, %j] : {t}
    }}
  }}
"""
        )
    text = (
        f"func.func @main(%u: {t}, %v: {t}) {{\navial.schedule %u, %v : {t}, {t} {{\n"
        '  %cpu = avial.target {arch = "x86_64"}\n' + "".join(tasks) + "}\nreturn\n}\n"
    )
    return text, [str(n), str(sweeps)]


def matmul(n: int, blocks: int) -> tuple[str, list[str]]:
    rows = n // blocks
    ta, tb = f"memref<{rows}x{n}xf64>", f"memref<{n}x{n}xf64>"
    names = [f"%A{k}" for k in range(blocks)] + ["%B"] + [f"%C{k}" for k in range(blocks)]
    types = [ta] * blocks + [tb] + [ta] * blocks
    tasks = []
    for k in range(blocks):
        tasks.append(
            HEAD.format(name=f"block{k}", reads=f"%A{k}, %B", writes=f"%C{k}")
            + f"""    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %rows = arith.constant {rows} : index
    %n = arith.constant {n} : index
    %zero = arith.constant 0.0 : f64
    scf.parallel (%i, %j) = (%c0, %c0) to (%rows, %n) step (%c1, %c1) {{
      %s = scf.for %l = %c0 to %n step %c1 iter_args(%acc = %zero) -> (f64) {{
        %a = memref.load %A{k}[%i, %l] : {ta}
        %b = memref.load %B[%l, %j] : {tb}
        %p = arith.mulf %a, %b : f64
        %t = arith.addf %acc, %p : f64
        scf.yield %t : f64
      }}
      memref.store %s, %C{k}[%i, %j] : {ta}
    }}
  }}
"""
        )
    args = ", ".join(f"{m}: {t}" for m, t in zip(names, types, strict=True))
    text = (
        f"func.func @main({args}) {{\navial.schedule {', '.join(names)} : {', '.join(types)} {{\n"
        '  %cpu = avial.target {arch = "x86_64"}\n' + "".join(tasks) + "}\nreturn\n}\n"
    )
    return text, [str(n), str(blocks)]


def run(
    exe: Path, args: list[str], ranks: int, interpreter: Sequence[str] = ()
) -> tuple[float, list[str]]:
    """EXE (run by INTERPRETER, e.g. a Python, when given) on RANKS ranks: its
    wall time and the memrefs it prints."""
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 2) // ranks)))
    cmd = ["mpirun", "-n", str(ranks), "--oversubscribe", "--bind-to", "none", *interpreter,
           str(exe), *args]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=env, check=True).stdout
    wall = float(re.search(r"wall time: ([0-9.]+) s", out).group(1))  # type: ignore[union-attr]
    return wall, [line for line in out.splitlines() if line.startswith("%")]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="small sizes (a check of the script)")
    a = ap.parse_args()
    q = a.quick
    cases = {
        "vector pipeline": (pipeline(1 << 14 if q else 1 << 23), "pipeline.c"),
        "2-D Jacobi": (jacobi(64 if q else 1024, 4 if q else 40), "jacobi.c"),
        "blocked matmul": (matmul(64 if q else 512, 4), "matmul.c"),
    }
    work = Path(tempfile.mkdtemp(prefix="avial2c-bench-"))
    print(f"{a.ranks} ranks, {a.repeat} runs each, alternating; median wall times")
    print(f"{'program':<18} {'generated':>12} {'hand-written':>13} {'ratio':>7}")
    for label, ((text, args), hand) in cases.items():
        src = work / f"{hand[:-2]}.mlir"
        src.write_text(text)
        engine = DiagnosticEngine(source=text)
        program = check_program(parse_program(text, str(src)), engine)
        assert program is not None and not engine.has_errors, engine.render()
        gen = build(program, work / f"gen_{hand[:-2]}", gpu="emulate")
        manual = work / f"hand_{hand[:-2]}"
        subprocess.run(["mpicc", *CFLAGS, "-I", str(HAND), str(HAND / hand), "-o", str(manual)],
                       check=True)  # fmt: skip
        times: dict[str, list[float]] = {"gen": [], "hand": []}
        outputs: dict[str, list[str]] = {}
        for _ in range(a.repeat):
            for key, exe, argv in (("gen", gen, []), ("hand", manual, args)):
                t, lines = run(exe, argv, a.ranks)
                times[key].append(t)
                outputs[key] = lines
        if outputs["gen"] != outputs["hand"]:
            print(f"{label}: outputs differ:\n{outputs['gen']}\n{outputs['hand']}")
            return 1
        g, h = statistics.median(times["gen"]), statistics.median(times["hand"])
        print(f"{label:<18} {g:>10.4f} s {h:>11.4f} s {g / h:>7.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
