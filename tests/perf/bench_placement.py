"""Placement: round robin, --placement heft and the best pinning by hand, side by side.

    python tests/perf/bench_placement.py [--repeat 5] [--sync barrier] [--quick]

Three programs where round robin places badly, each built three ways from the
same text, on 2 ranks:

* **ping-pong chain**: two independent chains of tasks (as CHAINS in
  tests/plan/test_heft.py) in a time loop, each step a streaming update of a
  4 MiB f64 memref (chain a: %a0 -> %a1 -> %a0 ..., chain b likewise).  The
  tasks of each level alternate in program order (a, b then b, a), so round
  robin moves each chain's memref to the other rank before every step: 8 MiB
  cross the network per level.  The best pinning puts each chain on its own
  rank, where nothing moves until the final gathering.
* **unbalanced level**: one level of independent tasks, one heavy and six
  light ones each a sixth of it (as UNBALANCED in tests/plan/test_heft.py).
  Round robin gives rank 0 the heavy task and three light ones (1.5 x the
  heavy task); the best pinning puts the heavy task alone on rank 0 and the
  light ones on rank 1 (1.0 x).
* **carried chain**: a time loop whose body runs a heavy task c beside a
  chain a (%p -> %q), then b (%q -> %p), which a reads in the next
  iteration (2 MiB memrefs).  The best pinning keeps a and b together on
  the rank without c, where nothing moves.  HEFT places c first (its upward
  rank is the largest), a on the other rank, and then b, which could run on
  either rank at the same time by HEFT's reckoning (it counts %q's transfer
  from a's end, before the barrier), on the lower: %q and %p then cross
  the network in every iteration.  Round robin does the same.

The three builds of each: **round robin** (the default placement),
**heft** (``heft_schedule(program, sync, "declared", default_machine(2))``,
as ``--placement heft --ranks 2`` builds it: 2 ranks sharing this machine's
cores, default rates) and **pinned** (the same text with ``{rank = N}``
written on every task by hand).  Before timing, one run of each with
--output-dir checks that the three write the same bits; every timed run must
print the same output lines.  Then all run with OMP_NUM_THREADS=1 on 2
ranks, alternating (each build first in turn), REPEAT times; the median
wall times (the generated program's ``wall time:``: from a barrier after
start-up to the end of the last level, the largest over ranks, without the
final gathering) and the ratios are printed:

* heft / pinned, goal <= 1.10 (PASS or BEHIND);
* round robin / pinned (no goal: what placement is worth here).

The cost model's predicted makespan of each build and HEFT's ranks are
printed too (``--emit plan`` shows the same), and whether HEFT found the
pinning: then the heft and pinned programs are the same C but for heft's
check of the world size, and their ratio measures only the noise.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_generated import run  # noqa: E402
from bench_split import front_end, verdict  # noqa: E402

from avial2c.build import build  # noqa: E402
from avial2c.ir import Program  # noqa: E402
from avial2c.machine import default_machine  # noqa: E402
from avial2c.plan.plan import heft_schedule, place  # noqa: E402
from avial2c.plan.schedule import Schedule, make_schedule  # noqa: E402

RATIO_GOAL = 1.10  # heft / best pinning on 2 ranks
RANKS = 2


def task_head(name: str, reads: str, writes: str, pin: int | None) -> str:
    attrs = f" {{rank = {pin}}}" if pin is not None else ""
    return f"  %{name} = avial.task %cpu reads(%{reads}) writes(%{writes}){attrs} {{\n"


def chain_step(name: str, src: str, dst: str, n: int, flops: int, pin: int | None) -> str:
    """A task of a chain: DST[i] = f(SRC[i]), FLOPS multiply-adds per element
    (x * 0.5 + 1, which keeps every value finite and exact)."""
    t = f"memref<{n}xf64>"
    body = [f"      %x0 = memref.load %{src}[%i] : {t}\n"]
    for k in range(flops):
        body.append(f"      %y{k} = arith.mulf %x{k}, %half : f64\n"
                    f"      %x{k + 1} = arith.addf %y{k}, %one : f64\n")  # fmt: skip
    body.append(f"      memref.store %x{flops}, %{dst}[%i] : {t}\n")
    return (
        task_head(name, src, dst, pin)
        + "    %c0 = arith.constant 0 : index\n    %c1 = arith.constant 1 : index\n"
        + f"    %n = arith.constant {n} : index\n"
        + "    %half = arith.constant 0.5 : f64\n    %one = arith.constant 1.0 : f64\n"
        + "    scf.parallel (%i) = (%c0) to (%n) step (%c1) {\n"
        + "".join(body)
        + "    }\n  }\n"
    )


def indent(text: str) -> str:
    return "".join("  " + line if line.strip() else line for line in text.splitlines(True))


def pingpong(n: int, steps: int, flops: int, pins: bool) -> str:
    """Two chains, a and b, of 2 x STEPS tasks each over memref<Nxf64>, in a
    time loop of STEPS iterations of two levels (a: %a0 -> %a1, b: %b0 -> %b1;
    then b: %b1 -> %b0, a: %a1 -> %a0).  PINS: chain a on rank 0, b on rank 1."""
    t = f"memref<{n}xf64>"
    pa, pb = (0, 1) if pins else (None, None)
    body = (
        chain_step("a_fwd", "a0", "a1", n, flops, pa) + chain_step("b_fwd", "b0", "b1", n, flops, pb)
        + chain_step("b_back", "b1", "b0", n, flops, pb) + chain_step("a_back", "a1", "a0", n, flops, pa)
    )  # fmt: skip
    return (
        f"func.func @main(%a0: {t}, %a1: {t}, %b0: {t}, %b1: {t}) {{\n"
        f"avial.schedule %a0, %a1, %b0, %b1 : {t}, {t}, {t}, {t} {{\n"
        '  %cpu = avial.target {arch = "x86_64"}\n'
        f"  %t_first = arith.constant 0 : index\n  %t_end = arith.constant {steps} : index\n"
        "  %t_step = arith.constant 1 : index\n"
        "  scf.for %t = %t_first to %t_end step %t_step {\n" + indent(body) + "  }\n"
        "}\nreturn\n}\n"
    )


def heavy_task(name: str, n: int, inner: int, pin: int | None) -> str:
    """OUT[i] = IN[i] iterated INNER times through acc * 0.5 + x (a dependent
    chain: each iteration waits for the one before)."""
    t = f"memref<{n}xf64>"
    return (
        task_head(name, "src", f"out_{name}", pin)
        + "    %c0 = arith.constant 0 : index\n    %c1 = arith.constant 1 : index\n"
        + f"    %n = arith.constant {n} : index\n    %m = arith.constant {inner} : index\n"
        + "    %half = arith.constant 0.5 : f64\n"
        + "    scf.parallel (%i) = (%c0) to (%n) step (%c1) {\n"
        + f"      %x = memref.load %src[%i] : {t}\n"
        + "      %s = scf.for %k = %c0 to %m step %c1 iter_args(%acc = %x) -> (f64) {\n"
        + "        %y = arith.mulf %acc, %half : f64\n"
        + "        %z = arith.addf %y, %x : f64\n"
        + "        scf.yield %z : f64\n"
        + "      }\n"
        + f"      memref.store %s, %out_{name}[%i] : {t}\n"
        + "    }\n  }\n"
    )


def unbalanced(n: int, inner: int, lights: int, pins: bool) -> str:
    """One level: a heavy task (INNER iterations per element) and LIGHTS light
    ones (INNER / LIGHTS each), all reading %src.  PINS: the heavy task on
    rank 0, the light ones on rank 1."""
    t = f"memref<{n}xf64>"
    names = ["heavy"] + [f"light{k}" for k in range(1, lights + 1)]
    tasks = heavy_task("heavy", n, inner, 0 if pins else None) + "".join(
        heavy_task(name, n, inner // lights, 1 if pins else None) for name in names[1:]
    )
    memrefs = ["src"] + [f"out_{name}" for name in names]
    args = ", ".join(f"%{m}: {t}" for m in memrefs)
    return (
        f"func.func @main({args}) {{\n"
        f"avial.schedule {', '.join('%' + m for m in memrefs)} : "
        f"{', '.join([t] * (len(names) + 1))} {{\n"
        '  %cpu = avial.target {arch = "x86_64"}\n' + tasks + "}\nreturn\n}\n"
    )


def carried(n_chain: int, n_heavy: int, inner: int, steps: int, pins: bool) -> str:
    """A time loop of STEPS iterations: a heavy task c (%src -> %out_c, INNER
    iterations per element) and a chain a (%p -> %q) in one level, then b
    (%q -> %p), which a reads in the next iteration.  c comes first in
    program order.  PINS: c on rank 0, a and b on rank 1."""
    tc, th = f"memref<{n_chain}xf64>", f"memref<{n_heavy}xf64>"
    pc, pa = (0, 1) if pins else (None, None)
    body = (
        heavy_task("c", n_heavy, inner, pc) + chain_step("a", "p", "q", n_chain, 2, pa)
        + chain_step("b", "q", "p", n_chain, 2, pa)
    )  # fmt: skip
    return (
        f"func.func @main(%src: {th}, %out_c: {th}, %p: {tc}, %q: {tc}) {{\n"
        f"avial.schedule %src, %out_c, %p, %q : {th}, {th}, {tc}, {tc} {{\n"
        '  %cpu = avial.target {arch = "x86_64"}\n'
        f"  %t_first = arith.constant 0 : index\n  %t_end = arith.constant {steps} : index\n"
        "  %t_step = arith.constant 1 : index\n"
        "  scf.for %t = %t_first to %t_end step %t_step {\n" + indent(body) + "  }\n"
        "}\nreturn\n}\n"
    )


@dataclass(frozen=True)
class Case:
    label: str
    name: str  # file stem
    text: Callable[[bool], str]  # the program, with pins or without
    what: str


def cases(quick: bool) -> list[Case]:
    n_chain = 1 << 14 if quick else 1 << 19  # 4 MiB of f64
    steps = 10 if quick else 1000
    n_heavy, inner = (256, 600) if quick else (4096, 90000)
    n_carried, iters, inner_c = (1 << 13, 2, 3) if quick else (1 << 18, 250, 450)  # 2 MiB
    return [
        Case("ping-pong chain", "pingpong",
             lambda pins: pingpong(n_chain, steps, 2, pins),
             f"2 chains x {2 * steps} steps, memref<{n_chain}xf64> ({n_chain * 8 >> 10} KiB)"),
        Case("unbalanced level", "unbalanced",
             lambda pins: unbalanced(n_heavy, inner, 6, pins),
             f"1 heavy task ({n_heavy} x {inner} iterations) and 6 light ones (1/6 each)"),
        Case("carried chain", "carried",
             lambda pins: carried(n_carried, n_heavy, inner_c, iters, pins),
             f"{iters} iterations of a heavy task ({n_heavy} x {inner_c} iterations) beside a "
             f"2-step chain over memref<{n_carried}xf64> ({n_carried * 8 >> 10} KiB) that the "
             "next iteration reads"),
    ]  # fmt: skip


def schedules(program: Program, pinned: Program, sync: str) -> dict[str, tuple[Program, Schedule]]:
    """The three builds: round robin, heft for 2 ranks of this machine, pinned by hand."""
    machine = default_machine(RANKS)
    return {
        "round robin": (program, make_schedule(program, sync)),
        "heft": (program, heft_schedule(program, sync, "declared", machine)),
        "pinned": (pinned, make_schedule(pinned, sync)),
    }


def same_outputs(dirs: dict[str, Path]) -> str | None:
    """None when every directory holds the same .npy files with the same bits,
    else what differs."""
    (first, base), *rest = dirs.items()
    names = sorted(p.name for p in base.glob("*.npy"))
    for label, d in rest:
        if sorted(p.name for p in d.glob("*.npy")) != names:
            return f"{label} and {first} write different memrefs"
        for name in names:
            a, b = np.load(base / name), np.load(d / name)
            if a.dtype != b.dtype or a.shape != b.shape or a.tobytes() != b.tobytes():
                return f"{label} and {first} differ in {name}"
    return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--sync", choices=["barrier", "p2p"], default="barrier")
    ap.add_argument("--quick", action="store_true", help="small sizes (a check of the script)")
    a = ap.parse_args()
    os.environ["OMP_NUM_THREADS"] = "1"  # bench_generated.run keeps what is set here
    work = Path(tempfile.mkdtemp(prefix="avial2c-place-"))
    try:
        return measure(a, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure(a: argparse.Namespace, work: Path) -> int:
    print(f"{RANKS} ranks, --sync {a.sync}, OMP_NUM_THREADS=1; {a.repeat} runs each, "
          f"alternating; median wall times")  # fmt: skip
    for case in cases(a.quick):
        program = front_end(case.text(False), work / f"{case.name}.mlir")
        pinned = front_end(case.text(True), work / f"{case.name}_pinned.mlir")
        builds = schedules(program, pinned, a.sync)
        exes: dict[str, Path] = {}
        predicted: dict[str, float] = {}
        for label, (prog, schedule) in builds.items():
            stem = label.replace(" ", "_")
            exes[label] = build(prog, work / f"{case.name}_{stem}", gpu="emulate",
                                schedule=schedule)  # fmt: skip
            plan = place(schedule, RANKS, default_machine(RANKS))
            assert plan.estimates is not None
            predicted[label] = plan.estimates.makespan
        heft = place(builds["heft"][1], RANKS, default_machine(RANKS))
        where = ", ".join(f"{t.name}: {t.rank}" for t in heft.tasks)
        by_hand = [t.rank for t in place(builds["pinned"][1], RANKS).tasks]
        found = [t.rank for t in heft.tasks] in (by_hand, [RANKS - 1 - r for r in by_hand])

        dirs = {label: work / f"out_{case.name}_{label.replace(' ', '_')}" for label in exes}
        for label, exe in exes.items():
            run(exe, ["--output-dir", str(dirs[label])], RANKS)
        differ = same_outputs(dirs)
        if differ is not None:
            print(f"{case.label}: {differ}")
            return 1

        load = os.getloadavg()[0]
        times: dict[str, list[float]] = {label: [] for label in exes}
        first: list[str] | None = None
        order = list(exes)
        for k in range(a.repeat):
            for label in order[k % 3 :] + order[: k % 3]:  # each first in turn
                t, lines = run(exes[label], [], RANKS)
                times[label].append(t)
                first = lines if first is None else first
                if lines != first:
                    print(f"{case.label}: {label} printed\n{lines}\ninstead of\n{first}")
                    return 1
        med = {label: statistics.median(ts) for label, ts in times.items()}

        print(f"\n{case.label}: {case.what}")
        print(f"  load average (1 min) before and after: {load:.2f}, {os.getloadavg()[0]:.2f}")
        note = f" ({heft.placement_note})" if heft.placement_note else ""
        print(f"  heft ranks: {where}{note}")
        print(f"  heft's placement is the pinning by hand (up to renaming the ranks): "
              f"{'yes' if found else 'no'}")  # fmt: skip
        print(f"  {'build':<12} {'median':>10} {'min':>10} {'max':>10} {'predicted':>11}")
        for label in exes:
            ts = times[label]
            print(f"  {label:<12} {med[label]:>8.4f} s {min(ts):>8.4f} s {max(ts):>8.4f} s "
                  f"{predicted[label]:>9.4f} s")  # fmt: skip
        ratio = med["heft"] / med["pinned"]
        best = min(times["heft"]) / min(times["pinned"])
        print(f"  heft / pinned = {ratio:.3f} (goal <= {RATIO_GOAL:.2f}): "
              f"{verdict(ratio <= RATIO_GOAL)}; of the fastest runs: {best:.3f}")  # fmt: skip
        print(f"  round robin / pinned = {med['round robin'] / med['pinned']:.3f}; "
              f"round robin / heft = {med['round robin'] / med['heft']:.3f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
