"""avial2c's generated programs against StarPU-MPI, side by side.

    python tests/perf/bench_peers.py [--repeat 5] [--ranks 1 2 4] [--node] [--quick]
                                     [--only NAME ...] [--stats] [--task-bench | --task-bench-only]

Each program is built twice: by avial2c from an avial schedule (with --sync
barrier, the default, and with --sync p2p) and as a StarPU-MPI program
written by hand (tests/perf/starpu/*.c: one data handle per memref, or per
piece of a row block, starpu_mpi_task_insert with STARPU_R / STARPU_W, CPU
codelets doing the generated task's arithmetic in the same order), with the
placement of the avial2c build (each task on the rank avial2c gives it, by
STARPU_EXECUTE_ON_NODE and the owner of what it writes).  The programs:

* vector pipeline (bench_generated.py): 4 tasks, one 64 MiB transfer;
* 2-D Jacobi, whole sweeps (bench_generated.py): every sweep on rank 0;
* 2-D Jacobi split by rows (bench_split.py): one task per row block per
  sweep, the halo rows moved between neighbours;
* ping-pong chains (tests/plan/test_heft.py, CHAINS): two chains whose
  tasks round robin puts on alternate ranks, so their data ping-pongs; also
  as avial2c's --placement heft places them (each chain on one rank);
* unbalanced level (test_heft.py, UNBALANCED): one task 100 times heavier
  than the other three, round robin and --placement heft.

All run with one thread per rank (OMP_NUM_THREADS=1; STARPU_NCPU=1, one
StarPU CPU worker) on 1, 2 and 4 ranks (4 oversubscribes a 2-core machine),
`mpirun --oversubscribe --bind-to none`; --node adds one rank with two
threads (two OpenMP threads in avial2c's tasks; two StarPU workers, which
dmda shares the tasks among, and two row blocks for the split Jacobi).
--as-run launches the generated programs as `avial2c run` does
(avial2c/launch.py: when ranks x threads fit the cores, each rank gets
cores of its own and its threads are bound to them and spin between loops).
--omp-active runs the generated programs with OMP_WAIT_POLICY=active, so
that their OpenMP threads spin between parallel loops as StarPU's workers
spin between tasks (waking a sleeping thread took about a millisecond on
the virtual machine these numbers come from).
Runs alternate between the three builds; medians of REPEAT.  Both time the
same region (from a barrier after start-up to the end of the last task, the
largest time over ranks, without the final gathering to rank 0; StarPU's
task submission is inside it).  Before timing, one run of each build on 2
ranks checks that the outputs are the same bits (the generated program's
--output-dir files against the StarPU program's dump), and every timed run
must print the same output lines.  The ratio printed is avial2c / StarPU
(goal <= 1.0) for each sync mode.

--stats runs each program once more on 2 ranks: the generated program with
--trace (time per rank in tasks, waits, barriers and message posting) and
the StarPU program with STARPU_PROFILING=1 STARPU_WORKER_STATS=1
STARPU_COMM_STATS=1 (each worker's executing, sleeping and overhead time;
the bytes each rank sent).

--task-bench adds Task Bench's trivial, stencil, nearest, fft, random and
tree patterns (--patterns chooses)
(tests/perf/starpu/taskbench.c) at grains 1 to 4096 on each of --ranks: the
task granularity (wall time x ranks / tasks) and efficiency of each build
at each grain, and METG(50%), the smallest granularity measured at 50 %
efficiency or more (Task Bench's minimum effective task granularity).  The
efficiency is the time of the same kernels run alone in a plain loop on one
core over wall time x ranks (Task Bench divides by a peak FLOP/s; this
kernel's FLOP/s depends on the grain, so each grain has its own).  The avial
programs run the steps in a time loop, so one program text serves any
number of steps.

StarPU 1.3 comes from Debian (`apt-get install libstarpu-dev
libstarpumpi-1.3-3`; `make bench-peers` installs it); without it (no
`pkg-config starpumpi-1.3`) this prints why and exits 0.  Timings on a
shared 2-core machine are noisy: the load average is printed with every
table.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
PERF = Path(__file__).resolve().parent
STARPU_DIR = PERF / "starpu"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(PERF))

from bench_generated import HAND, HEAD, jacobi, loop1, pipeline  # noqa: E402
from bench_split import front_end, split_rows  # noqa: E402

from avial2c.build import CFLAGS, build, runtime_library  # noqa: E402
from avial2c.ir import Program  # noqa: E402
from avial2c.launch import launch_command, this_machine  # noqa: E402
from avial2c.machine import default_machine, physical_cores  # noqa: E402
from avial2c.plan.plan import heft_schedule  # noqa: E402
from avial2c.plan.schedule import Schedule, make_schedule  # noqa: E402

PKG = "starpumpi-1.3"
SYNCS = ("barrier", "p2p")


def starpu_flags() -> tuple[list[str], list[str]] | None:
    """The compile and link flags of StarPU-MPI, or None when it is not installed."""
    try:
        cflags = subprocess.run(
            ["pkg-config", "--cflags", PKG], capture_output=True, text=True, check=True
        )
        libs = subprocess.run(
            ["pkg-config", "--libs", PKG], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return cflags.stdout.split(), libs.stdout.split()


def build_starpu(name: str, out: Path, flags: tuple[list[str], list[str]]) -> Path:
    """tests/perf/starpu/NAME.c compiled with the generated programs' flags."""
    exe = out / f"starpu_{name}"
    cmd = ["mpicc", *CFLAGS, "-I", str(HAND), "-I", str(STARPU_DIR), *flags[0],
           str(STARPU_DIR / f"{name}.c"), "-o", str(exe), *flags[1], "-lm"]  # fmt: skip
    subprocess.run(cmd, check=True)
    return exe


# --------------------------------------------------------------------------
# The avial programs not in bench_generated.py: test_heft.py's shapes, sized
# so that their tasks take measurable time.


def chains(n: int, length: int) -> str:
    """Two chains a and b of LENGTH tasks, m[k] = m[k-1] * m[k-1] + m[k-1]
    over N f64; level k holds task k+1 of both, a first when k is even (so
    round robin puts each chain on the other rank at every level)."""
    t = f"memref<{n}xf64>"
    names = [f"ma{k}" for k in range(length + 1)] + [f"mb{k}" for k in range(length + 1)]
    body = ("      %x = memref.load %{src}[%i] : {t}\n      %y = arith.mulf %x, %x : f64\n"
            "      %z = arith.addf %y, %x : f64\n      memref.store %z, %{dst}[%i] : {t}\n")  # fmt: skip
    tasks = []
    for k in range(1, length + 1):
        for c in "ab" if (k - 1) % 2 == 0 else "ba":
            src, dst = f"m{c}{k - 1}", f"m{c}{k}"
            tasks.append(HEAD.format(name=f"{c}{k}", reads=f"%{src}", writes=f"%{dst}")
                         + loop1(n, body.format(src=src, dst=dst, t=t)))  # fmt: skip
    return schedule_text(names, t, tasks)


def unbalanced(n: int, big: int, small: int) -> str:
    """One level: big (BIG inner steps) and s1, s2, s3 (SMALL each), each
    o[k][i] = acc after acc = acc * x + x from acc = x, x = in[i]."""
    t = f"memref<{n}xf64>"
    tasks = []
    for k, (name, inner) in enumerate((("big", big), ("s1", small), ("s2", small), ("s3", small))):
        tasks.append(
            HEAD.format(name=name, reads="%in", writes=f"%o{k}")
            + f"    %inner = arith.constant {inner} : index\n"
            + loop1(n, f"      %x = memref.load %in[%i] : {t}\n"
                       f"      %s = scf.for %k = %c0 to %inner step %c1 iter_args(%acc = %x) -> (f64) {{\n"
                       f"        %y = arith.mulf %acc, %x : f64\n        %z = arith.addf %y, %x : f64\n"
                       f"        scf.yield %z : f64\n      }}\n      memref.store %s, %o{k}[%i] : {t}\n")
        )  # fmt: skip
    return schedule_text(["in", "o0", "o1", "o2", "o3"], t, tasks)


PATTERNS = ("trivial", "stencil", "nearest", "fft", "random", "tree")


def tb_deps(pattern: str, width: int, x: int, step: int) -> list[int]:
    """The points of step STEP - 1 that point X of step STEP depends on (Task
    Bench; tests/perf/starpu/taskbench.c's deps_of, the same order).  Every
    pattern repeats every second step, so the time loop runs two steps."""
    if pattern in ("stencil", "nearest"):
        r = 1 if pattern == "stencil" else 2
        return [y for y in range(x - r, x + r + 1) if 0 <= y < width]
    if pattern == "tree":
        return [x // 2]
    if pattern == "fft":
        partner = x ^ (1 << ((step - 1) % (2 if width >= 4 else 1)))
        return sorted({x, partner})
    if pattern == "random":
        return [y for y in range(width) if y == x or (7 * x + 13 * y + 5 * (step % 2) + 3) % 3 == 0][:8]
    return []


def tb_prologue(pattern: str, width: int) -> int:
    """The steps before the time loop: until a tree is WIDTH wide, and at
    least the first step, which depends on nothing."""
    steps = 1
    while pattern == "tree" and 1 << (steps - 1) < width:
        steps += 1
    return steps


def tb_tasks(pattern: str, width: int, steps: int) -> int:
    """The tasks of STEPS steps of PATTERN (a tree has fewer at first)."""
    return sum(min(width, 1 << st) if pattern == "tree" else width for st in range(steps))


def taskbench(pattern: str, width: int, steps: int, grain: int, k: int) -> tuple[str, int]:
    """Task Bench's PATTERN as an avial program (tests/perf/starpu/taskbench.c
    says what it computes): the first steps written out, then a time loop of
    two steps per iteration.  Returns the text and the number of steps, the
    one of at least STEPS the loop allows."""
    if pattern == "fft" and width % 4 and width != 2:
        raise ValueError("the fft pattern needs a width of 2 or a multiple of 4")
    t = f"memref<{k}xf64>"
    names = [f"b{p}_{x}" for p in (0, 1) for x in range(width)]
    pro = tb_prologue(pattern, width)
    iters = max(1, (steps - pro + 1) // 2)

    def task(name: str, step: int, x: int, at: str) -> str:
        deps = [] if step == 0 else [f"b{(step - 1) % 2}_{y}" for y in tb_deps(pattern, width, x, step)]
        out = f"b{step % 2}_{x}"
        lines = [f"%{name} = avial.task %cpu reads({', '.join('%' + d for d in deps)}) writes(%{out}) {{",
                 "  %c0 = arith.constant 0 : index", "  %c1 = arith.constant 1 : index",
                 f"  %n = arith.constant {k} : index", f"  %g = arith.constant {grain} : index",
                 "  %half = arith.constant 0.5 : f64"]  # fmt: skip
        if not deps:
            lines.append("  %one = arith.constant 1.0 : f64")
        lines.append("  scf.parallel (%i) = (%c0) to (%n) step (%c1) {")
        lines += [f"    %d{j} = memref.load %{d}[%i] : {t}" for j, d in enumerate(deps)]
        total = "%d0" if deps else "%one"
        for j in range(1, len(deps)):
            lines.append(f"    %s{j} = arith.addf {total}, %d{j} : f64")
            total = f"%s{j}"
        lines += [f"    %r = scf.for %q = %c0 to %g step %c1 iter_args(%acc = {total}) -> (f64) {{",
                  "      %y = arith.mulf %acc, %half : f64", f"      %z = arith.addf %y, {total} : f64",
                  "      scf.yield %z : f64", "    }", f"    memref.store %r, %{out}[%i] : {t}", "  }", "}"]  # fmt: skip
        return "".join(f"{at}{line}\n" for line in lines)

    tasks = [task(f"p{s}_{x}", s, x, "  ") for s in range(pro)
             for x in range(min(width, 1 << s) if pattern == "tree" else width)]  # fmt: skip
    loop = ["  %lo_ = arith.constant 0 : index\n", f"  %hi_ = arith.constant {iters} : index\n",
            "  %st_ = arith.constant 1 : index\n", "  scf.for %it = %lo_ to %hi_ step %st_ {\n"]  # fmt: skip
    for s in (pro, pro + 1):  # two steps: the buffers' parities in turn
        loop += [task(f"l{'ab'[s - pro]}{x}", s, x, "    ") for x in range(width)]
    loop.append("  }\n")
    return schedule_text(names, t, tasks + loop), pro + 2 * iters


def schedule_text(names: Sequence[str], t: str, tasks: Sequence[str]) -> str:
    args = ", ".join(f"%{m}: {t}" for m in names)
    return (
        f"func.func @main({args}) {{\navial.schedule {', '.join('%' + m for m in names)} : "
        f"{', '.join([t] * len(names))} {{\n"
        '  %cpu = avial.target {arch = "x86_64"}\n' + "".join(tasks) + "}\nreturn\n}\n"
    )


# --------------------------------------------------------------------------
# The cases


@dataclass
class Case:
    """One program with one placement: its avial text, the StarPU source and
    how its arguments follow from the ranks (those the avial2c plan gives
    its tasks, in program order), and the memrefs it writes."""

    name: str
    label: str
    text: str
    starpu: str
    args: Callable[[list[int], int], list[str]]  # (task ranks, threads) -> argv
    outputs: list[str]
    placement: str = "roundrobin"
    built: dict[tuple[str, int], Path] = field(default_factory=dict)  # (sync, size) -> exe
    program: Program | None = None


def cases(q: bool, chain: tuple[int, int], unb: tuple[int, int, int]) -> list[Case]:
    n_pipe = 1 << 14 if q else 1 << 23
    n_jac, sw_jac = (64, 4) if q else (1024, 40)
    n_split, sw_split = (128, 6) if q else (2048, 100)
    cn, clen = (1024, 3) if q else chain
    un, ubig, usmall = (256, 100, 1) if q else unb
    chain_out = [f"ma{k}" for k in range(1, clen + 1)] + [f"mb{k}" for k in range(1, clen + 1)]
    out: list[Case] = [
        Case("pipeline", f"vector pipeline, 2^{n_pipe.bit_length() - 1} f64", pipeline(n_pipe)[0],
             "pipeline", lambda r, t: [str(n_pipe)], ["a", "b", "c", "d"]),
        Case("jacobi", f"2-D Jacobi, whole sweeps, {n_jac}^2 x {sw_jac}", jacobi(n_jac, sw_jac)[0],
             "jacobi", lambda r, t: [str(n_jac), str(sw_jac)], ["u", "v"]),
        Case("split", f"2-D Jacobi, split rows, {n_split}^2 x {sw_split}",
             split_rows(jacobi(n_split, sw_split)[0]), "jacobi_rows",
             lambda r, t: [str(n_split), str(sw_split), "0" if t == 1 else str(t)], ["u", "v"]),
    ]  # fmt: skip
    for placement in ("roundrobin", "heft"):
        tag = "" if placement == "roundrobin" else "-heft"
        out.append(
            Case(
                f"chains{tag}",
                f"ping-pong chains ({placement}), {clen} x 2 tasks of {cn} f64",
                chains(cn, clen),
                "chains",
                lambda r, t: [str(cn), str(clen), ",".join(map(str, r))],
                chain_out,
                placement,
            )
        )
        out.append(Case(f"unbalanced{tag}", f"unbalanced level ({placement}), {un} f64, {ubig}:{usmall}",
                        unbalanced(un, ubig, usmall), "unbalanced",
                        lambda r, t: [str(un), str(ubig), str(usmall), ",".join(map(str, r))],
                        ["o0", "o1", "o2", "o3"], placement))  # fmt: skip
    return out


def schedule_for(case: Case, sync: str, size: int) -> Schedule:
    assert case.program is not None
    if case.placement == "heft":
        return heft_schedule(
            case.program, sync, "declared", default_machine(size, physical_cores())
        )
    return make_schedule(case.program, sync)


def task_ranks(schedule: Schedule, size: int) -> list[int]:
    """The rank of each task in program order (split tasks: -1)."""
    return [-1 if t.split is not None else t.slot % size for t in schedule.tasks]


# --------------------------------------------------------------------------
# Running


def run(exe: Path, args: Sequence[str], ranks: int, env: dict[str, str],
        timeout: float = 600) -> tuple[float, list[str], str]:  # fmt: skip
    """One mpirun: the wall time the program prints, its output lines, its
    standard error."""
    cmd = ["mpirun", "-n", str(ranks), "--oversubscribe", "--bind-to", "none", str(exe), *args]
    if env.get(AS_RUN_MARK) == "1":
        # The generated program as `avial2c run -n RANKS --threads T` launches
        # it (avial2c/launch.py: cores of its own per rank, bound threads,
        # when they fit).
        threads = int(env["OMP_NUM_THREADS"])
        cmd, env = launch_command(exe, ranks, list(args), this_machine(), env, threads=threads)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit status {p.returncode}\n{p.stderr[-2000:]}")
    m = re.search(r"wall time: ([0-9.]+) s", p.stdout)
    if m is None:
        raise RuntimeError(f"{' '.join(cmd)}: no wall time in\n{p.stdout[-2000:]}")
    return (
        float(m.group(1)),
        [line for line in p.stdout.splitlines() if line.startswith("%")],
        p.stderr,
    )


OMP_ACTIVE = False  # --omp-active: OMP_WAIT_POLICY=active for the generated programs
AS_RUN = False  # --as-run: the generated programs launched as `avial2c run` does
AS_RUN_MARK = "AVIAL_BENCH_AS_RUN"


def environment(threads: int, home: Path, starpu: bool) -> dict[str, str]:
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    if OMP_ACTIVE and not starpu:
        # OpenMP's threads spin between parallel regions, as StarPU's workers do.
        env["OMP_WAIT_POLICY"] = "active"
    if AS_RUN and not starpu:
        env[AS_RUN_MARK] = "1"
    # The StarPU codelets are sequential: StarPU's parallelism is its workers.
    env["OMP_NUM_THREADS"] = "1" if starpu else str(threads)
    env["STARPU_NCPU"] = str(threads)
    env["STARPU_HOME"] = str(home)  # the performance models dmda calibrates
    return env


def same_bits(gen_dir: Path, dump: Path, names: Sequence[str]) -> str | None:
    """None when the generated program's NAME.npy files hold the bits of the
    StarPU program's dump (the same memrefs, in order), else what differs."""
    arrays = [np.load(gen_dir / f"{name}.npy") for name in names]
    raw = np.fromfile(dump, dtype=np.float64)
    total = sum(a.size for a in arrays)
    if raw.size != total:
        return f"the dump holds {raw.size} values, the generated outputs {total}"
    at = 0
    for name, a in zip(names, arrays, strict=True):
        b = raw[at : at + a.size]
        at += a.size
        diff = a.reshape(-1).view(np.uint64) != b.view(np.uint64)
        if diff.any():
            k = int(np.argmax(diff))
            return f"%{name} differs at {int(diff.sum())} elements, first at {k}: {a.reshape(-1)[k]!r} vs {b[k]!r}"
    return None


@dataclass(frozen=True)
class Config:
    ranks: int
    threads: int

    def __str__(self) -> str:
        return f"{self.ranks} rank{'s' if self.ranks > 1 else ''} x {self.threads} thread{'s' if self.threads > 1 else ''}"


def measure(a: argparse.Namespace, flags: tuple[list[str], list[str]], work: Path) -> int:
    chosen = cases(a.quick, (a.chain_n, a.chain_length), (a.unbalanced_n, a.big, a.small))
    if a.only:
        chosen = [c for c in chosen if c.name in a.only]
    configs = [Config(r, 1) for r in a.ranks] + ([Config(1, 2)] if a.node else [])
    home = work / "starpu-home"
    starpu_exes = {
        name: build_starpu(name, work, flags) for name in sorted({c.starpu for c in chosen})
    }
    status = 0
    print(
        f"avial2c / StarPU-MPI {starpu_version()}; {a.repeat} runs each, alternating; median wall times"
    )
    print("times are noisy: a shared 2-core machine (load averages below)")
    for case in chosen:
        case.program = front_end(case.text, work / f"{case.name}.mlir")
        # heft on one rank is round robin on one rank: measured once.
        configs_here = [c for c in configs if c.ranks > 1] if case.placement == "heft" else configs
        if not configs_here:
            continue
        variants: list[tuple[str, Config, Path, list[str], dict[str, str]]] = []
        for cfg in configs_here:
            placed = {sync: schedule_for(case, sync, cfg.ranks) for sync in SYNCS}
            ranks = task_ranks(placed["barrier"], cfg.ranks)
            if task_ranks(placed["p2p"], cfg.ranks) != ranks:
                print(
                    f"{case.label}: note: on {cfg} --sync p2p places the tasks on ranks "
                    f"{task_ranks(placed['p2p'], cfg.ranks)}, StarPU follows --sync barrier's {ranks}"
                )
            for sync in SYNCS:
                key = (sync, cfg.ranks if case.placement == "heft" else 0)
                if key not in case.built:
                    case.built[key] = build(case.program, work / f"gen_{case.name}_{sync}_{key[1]}",
                                            gpu="emulate", schedule=placed[sync])  # fmt: skip
                variants.append((f"avial2c {sync}", cfg, case.built[key], [],
                                 environment(cfg.threads, home, False)))  # fmt: skip
            variants.append(("StarPU", cfg, starpu_exes[case.starpu], case.args(ranks, cfg.threads),
                             environment(cfg.threads, home, True)))  # fmt: skip
        # The check (and the first calibration runs of StarPU's models).
        check_cfg = next((c for c in configs_here if c.ranks == 2), configs_here[0])
        gen = next(v for v in variants if v[1] == check_cfg and v[0] == "avial2c barrier")
        sp = next(v for v in variants if v[1] == check_cfg and v[0] == "StarPU")
        out_dir, dump = work / f"out_{case.name}", work / f"dump_{case.name}.bin"
        shutil.rmtree(out_dir, ignore_errors=True)
        run(gen[2], ["--output-dir", str(out_dir)], check_cfg.ranks, gen[4])
        run(sp[2], [*sp[3], str(dump)], check_cfg.ranks, sp[4])
        why = same_bits(out_dir, dump, case.outputs)
        dump.unlink()
        shutil.rmtree(out_dir, ignore_errors=True)
        if why is not None:
            print(f"{case.label}: the outputs differ ({check_cfg}): {why}")
            status = 1
            continue
        load0 = os.getloadavg()[0]
        times: dict[tuple[str, Config], list[float]] = {(v[0], v[1]): [] for v in variants}
        lines: dict[tuple[str, Config], list[str]] = {}
        failed: dict[tuple[str, Config], str] = {}
        for _ in range(a.repeat):
            for label, cfg, exe, argv, env in variants:
                if (label, cfg) in failed:
                    continue
                try:
                    t, out, _ = run(exe, argv, cfg.ranks, env)
                except (RuntimeError, subprocess.TimeoutExpired) as e:
                    failed[label, cfg] = str(e).splitlines()[0]
                    continue
                times[label, cfg].append(t)
                lines[label, cfg] = out
        load1 = os.getloadavg()[0]
        first = next(iter(lines.values()), None)
        for (label, cfg), out in lines.items():
            if out != first:
                print(
                    f"{case.label}: output lines differ: {label} on {cfg}:\n{out}\nagainst\n{first}"
                )
                status = 1
        print(f"\n{case.label}  (outputs the same bits; load {load0:.2f} -> {load1:.2f})")
        print(f"  {'(ms)':<20} {'avial2c barrier':>16} {'avial2c p2p':>13} {'StarPU':>11} "
              f"{'barrier/StarPU':>15} {'p2p/StarPU':>11}")  # fmt: skip
        for cfg in configs_here:
            med: dict[str, float | None] = {}
            cells = []
            for label, w in (("avial2c barrier", 16), ("avial2c p2p", 13), ("StarPU", 11)):
                ts = times[label, cfg]
                m = med[label] = statistics.median(ts) if ts else None
                cells.append(f"{m * 1e3:>{w}.3f}" if m is not None else f"{'failed':>{w}}")
            ratios = []
            for k in ("avial2c barrier", "avial2c p2p"):
                g, s = med[k], med["StarPU"]
                ratios.append(f"{g / s:.2f}" if g is not None and s is not None else "-")
            print(f"  {cfg!s:<20} {' '.join(cells)} {ratios[0]:>15} {ratios[1]:>11}")
        for (label, cfg), why in failed.items():
            print(f"  {label} on {cfg} failed: {why}")
        sys.stdout.flush()
        if a.stats:
            stats(case, variants, work)
    return status


# --------------------------------------------------------------------------
# Task Bench's patterns and METG


def task_bench(a: argparse.Namespace, flags: tuple[list[str], list[str]], work: Path) -> int:
    """Each pattern at each grain, as avial2c builds (both sync modes) and
    with StarPU, on each rank count: the task granularity (wall time x
    ranks / tasks) and the efficiency: the pure compute time (the same
    kernels run in a plain loop on one core, taskbench.c with PEERS_BARE=1)
    over wall time x ranks.  Task Bench divides by a peak FLOP/s measured at
    a large grain; this kernel's FLOP/s depends on the grain (short chains
    overlap in the core), so each grain gets its own.  METG(50%) is the
    smallest granularity measured at 50 % efficiency or more (no
    interpolation)."""
    exe = build_starpu("taskbench", work, flags)
    runtime = runtime_library(work / "rt")
    home = work / "starpu-home"
    grains = [1, 64] if a.quick else a.grains
    width, k = a.tb_width, a.tb_k
    ranks_list = a.ranks
    status = 0
    print(
        f"\nTask Bench patterns: width {width}, K = {k} f64 per point, grains {grains} "
        f"(steps of acc = acc * 0.5 + s per element); {a.repeat} runs each, alternating, medians"
    )
    results: dict[tuple[str, str, int, int], float] = {}  # (pattern, build, ranks, grain) -> wall
    tasks_of: dict[tuple[str, int], int] = {}
    compute: dict[tuple[str, int], float] = {}  # (pattern, grain) -> the kernels alone
    for pattern in a.patterns:
        load0 = os.getloadavg()[0]
        for grain in grains:
            text, steps = taskbench(pattern, width, a.tb_steps, grain, k)
            tasks_of[pattern, grain] = tb_tasks(pattern, width, steps)
            program = front_end(text, work / f"tb_{pattern}_{grain}.mlir")
            gens = {sync: build(program, work / f"tb_{pattern}_{grain}_{sync}", gpu="emulate",
                                runtime=runtime, schedule=make_schedule(program, sync))
                    for sync in SYNCS}  # fmt: skip
            argv = [pattern, str(width), str(steps), str(grain), str(k)]
            # The check: the same bits on 2 ranks.
            env = environment(1, home, True)
            out_dir, dump = work / "tb_out", work / "tb_dump.bin"
            shutil.rmtree(out_dir, ignore_errors=True)
            run(gens["barrier"], ["--output-dir", str(out_dir)], 2, environment(1, home, False))
            run(exe, [*argv, str(dump)], 2, env)
            names = [f"b{q}_{x}" for q in (0, 1) for x in range(width)]
            why = same_bits(out_dir, dump, names)
            if why is not None:
                print(f"{pattern}, grain {grain}: the outputs differ: {why}")
                status = 1
                continue
            variants: list[tuple[str, Path, list[str], dict[str, str]]] = [
                (f"avial2c {sync}", gens[sync], [], environment(1, home, False)) for sync in SYNCS
            ]
            variants.append(("StarPU", exe, argv, env))
            bare_env = dict(env, PEERS_BARE="1")
            bare: list[float] = []
            for ranks in ranks_list:
                times: dict[str, list[float]] = {v[0]: [] for v in variants}
                for _ in range(a.repeat):
                    bare.append(run(exe, argv, 1, bare_env)[0])
                    for label, prog, args, e in variants:
                        times[label].append(run(prog, args, ranks, e)[0])
                for label, ts in times.items():
                    results[pattern, label, ranks, grain] = statistics.median(ts)
            compute[pattern, grain] = statistics.median(bare)
        print(f"  {pattern}: measured (load {load0:.2f} -> {os.getloadavg()[0]:.2f})")
        sys.stdout.flush()
    if not results:
        return status
    print("granularity: wall time x ranks / tasks, in us; efficiency: the kernels alone on one "
          "core / (wall time x ranks), in %; 'compute' is the kernels' time per task")  # fmt: skip
    labels = ("avial2c barrier", "avial2c p2p", "StarPU")
    for pattern in a.patterns:
        for ranks in ranks_list:
            print(
                f"\n  {pattern}, {ranks} rank{'s' if ranks > 1 else ''}: grain -> compute;  "
                + "   ".join(f"{lab}: granularity, efficiency" for lab in labels)
            )
            metg: dict[str, float | None] = dict.fromkeys(labels)
            for grain in grains:
                if (pattern, grain) not in compute:
                    continue
                cells = [f"{compute[pattern, grain] / tasks_of[pattern, grain] * 1e6:>9.2f} us"]
                for lab in labels:
                    key = (pattern, lab, ranks, grain)
                    if key not in results:
                        cells.append(f"{'-':>22}")
                        continue
                    gran = results[key] * ranks / tasks_of[pattern, grain] * 1e6
                    eff = compute[pattern, grain] / (results[key] * ranks)
                    if eff >= 0.5 and (metg[lab] is None or gran < (metg[lab] or 0)):
                        metg[lab] = gran
                    cells.append(f"{gran:>12.2f} us {100 * eff:>5.1f} %")
                print(f"    {grain:>6} " + " ".join(cells))
            print(
                "    METG(50%): "
                + ", ".join(
                    f"{lab} {m:.2f} us" if m is not None else f"{lab} not reached"
                    for lab, m in metg.items()
                )
            )
    return status


def starpu_version() -> str:
    p = subprocess.run(
        ["pkg-config", "--modversion", PKG], capture_output=True, text=True, check=False
    )
    return p.stdout.strip() or "?"


# --------------------------------------------------------------------------
# Where the time goes


def trace_summary(path: Path) -> dict[int, dict[str, float]]:
    """Milliseconds per rank per category of a generated program's trace."""
    events = json.loads(path.read_text())
    if isinstance(events, dict):
        events = events.get("traceEvents", [])
    out: dict[int, dict[str, float]] = {}
    for e in events:
        if e.get("ph") == "X":
            d = out.setdefault(int(e["tid"]), {})
            d[e["cat"]] = d.get(e["cat"], 0.0) + float(e["dur"]) / 1e3
    return out


STAT_LINE = re.compile(r"^(\[starpu_comm_stats\].*|\s*\d+ task\(s\)|\s*total: .*|CPU \d+.*)$")


def stats(case: Case, variants: list[tuple[str, Config, Path, list[str], dict[str, str]]],
          work: Path) -> None:  # fmt: skip
    """One more run of each build on 2 ranks, with the generated program's
    trace and StarPU's own statistics."""
    for label, cfg, exe, argv, env in variants:
        if cfg.ranks != 2 or cfg.threads != 1:
            continue
        if label.startswith("avial2c"):
            trace = work / f"trace_{case.name}.json"
            t, _, _ = run(exe, ["--trace", str(trace)], 2, env)
            print(f"  {label}, 2 ranks, --trace ({t * 1e3:.3f} ms; the trace includes the final "
                  "gathering): ms per rank in " + "; ".join(
                f"rank {r}: " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(cats.items()))
                for r, cats in sorted(trace_summary(trace).items())))  # fmt: skip
        else:
            env = dict(env, STARPU_PROFILING="1", STARPU_WORKER_STATS="1", STARPU_COMM_STATS="1")
            t, _, err = run(exe, argv, 2, env)
            print(
                f"  StarPU, 2 ranks, STARPU_WORKER_STATS and STARPU_COMM_STATS ({t * 1e3:.3f} ms; "
                "the statistics cover StarPU's whole life):"
            )
            for line in err.splitlines():
                if STAT_LINE.match(line):
                    print(f"    {line.strip()}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--ranks", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--node", action="store_true", help="also 1 rank x 2 threads")
    ap.add_argument("--only", nargs="+", metavar="NAME",
                    help="pipeline jacobi split chains chains-heft unbalanced unbalanced-heft")  # fmt: skip
    ap.add_argument("--stats", action="store_true", help="a traced run and StarPU's statistics")
    ap.add_argument("--chain-n", type=int, default=1 << 16, help="f64 per chain memref")
    ap.add_argument("--chain-length", type=int, default=8, help="tasks per chain")
    ap.add_argument("--unbalanced-n", type=int, default=4096, help="f64 per memref")
    ap.add_argument("--big", type=int, default=1000, help="inner steps of the big task")
    ap.add_argument("--small", type=int, default=10, help="inner steps of the small ones")
    ap.add_argument(
        "--task-bench",
        action="store_true",
        help="also Task Bench's patterns over grains, with METG",
    )
    ap.add_argument("--task-bench-only", action="store_true", help="only Task Bench's patterns")
    ap.add_argument("--grains", type=int, nargs="+", default=[1, 4, 16, 64, 256, 1024, 4096])
    ap.add_argument("--tb-width", type=int, default=4, help="Task Bench: points per step")
    ap.add_argument("--patterns", nargs="+", choices=PATTERNS, default=list(PATTERNS),
                    help="Task Bench: the patterns")  # fmt: skip
    ap.add_argument("--tb-steps", type=int, default=100, help="Task Bench: steps (at least)")
    ap.add_argument("--tb-k", type=int, default=16, help="Task Bench: f64 per point")
    ap.add_argument("--omp-active", action="store_true",
                    help="OMP_WAIT_POLICY=active for the generated programs (threads spin between loops)")  # fmt: skip
    ap.add_argument("--as-run", action="store_true",
                    help="launch the generated programs as `avial2c run` does (binding)")  # fmt: skip
    ap.add_argument("--quick", action="store_true", help="small sizes (a check of the script)")
    a = ap.parse_args()
    global OMP_ACTIVE, AS_RUN
    OMP_ACTIVE = a.omp_active
    AS_RUN = a.as_run
    flags = starpu_flags()
    if flags is None:
        print(f"SKIPPED: StarPU-MPI not found (no `pkg-config {PKG}`); "
              "install it with `apt-get install libstarpu-dev libstarpumpi-1.3-3` or `make bench-peers`")  # fmt: skip
        return 0
    work = Path(tempfile.mkdtemp(prefix="avial2c-peers-"))
    try:
        status = 0 if a.task_bench_only else measure(a, flags, work)
        if a.task_bench or a.task_bench_only:
            status = task_bench(a, flags, work) or status
        return status
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
