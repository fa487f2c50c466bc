"""HEFT on random DAGs, in the cost model: predicted makespan over a lower bound.

    python tests/perf/bench_heft_sim.py [--dags 40] [--tasks 40] [--ranks 4] [--ccr 0.1] [--seed 1]

Each DAG is an AVIAL program of TASKS tasks: task k writes its own memref
and reads one to three memrefs of earlier tasks (or the input); its work is
an inner loop whose trip count is drawn from a wide range, so costs vary by
about 30x.  Memref sizes are chosen so that the communication-to-computation
ratio (the mean time to move a task's output over the mean task cost, in the
cost model) is about CCR.  The machine has RANKS ranks of one core, speeds
1.0 to 2.0.

For each DAG it prints nothing; at the end the median and worst ratio of
the predicted makespan (``Plan.estimates.makespan``, --sync p2p) over the
lower bound max(critical path at the fastest speed without communication,
total work over the sum of the speeds), for HEFT and for round robin.  The
literature reports HEFT at about 1.2 of such bounds at CCR 0.1 (on its own
list-scheduling model; ours runs levels in order, which costs some).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from avial2c.check.checker import check_program  # noqa: E402
from avial2c.diagnostics import DiagnosticEngine  # noqa: E402
from avial2c.frontend.parse import parse_program  # noqa: E402
from avial2c.ir import CheckedProgram  # noqa: E402
from avial2c.machine import Machine, RankSpec  # noqa: E402
from avial2c.plan.cost import task_time  # noqa: E402
from avial2c.plan.plan import make_plan  # noqa: E402
from avial2c.plan.schedule import make_schedule  # noqa: E402

N = 64  # elements of each memref (the work is in the inner loop)


def dag_text(rng: random.Random, tasks: int, elems: int) -> str:
    names = ["in"] + [f"m{k}" for k in range(tasks)]
    lines = [f"avial.schedule {', '.join('%' + n for n in names)} {{",
             '  %cpu = avial.target {arch = "x86_64"}']  # fmt: skip
    for k in range(tasks):
        sources = rng.sample(names[: k + 1], min(k + 1, rng.randint(1, 3)))
        trips = int(10 ** rng.uniform(1, 2.5))
        loads = "\n".join(
            f"      %l{j} = memref.load %{s}[%i] : memref<{elems}xf64>" for j, s in enumerate(sources)
        )
        total = "%l0"
        adds = []
        for j in range(1, len(sources)):
            adds.append(f"      %s{j} = arith.addf {total}, %l{j} : f64")
            total = f"%s{j}"
        lines.append(
            f"  %t{k} = avial.task %cpu reads({', '.join('%' + s for s in sources)}) writes(%m{k}) {{\n"
            f"    scf.parallel %i = 0 to {elems} {{\n{loads}\n" + "\n".join(adds) + "\n"
            f"      %r = scf.for %q = 0 to {trips} iter_args(%acc = {total}) -> (f64) {{\n"
            f"        %y = arith.mulf %acc, {total} : f64\n"
            f"        scf.yield %y : f64\n"
            f"      }}\n"
            f"      memref.store %r, %m{k}[%i] : memref<{elems}xf64>\n"
            f"    }}\n  }}"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def checked(text: str) -> CheckedProgram:
    engine = DiagnosticEngine(source=text)
    program = check_program(parse_program(text, "dag.mlir"), engine)
    assert program is not None and not engine.has_errors, engine.render()
    return program


def lower_bound(program: CheckedProgram, machine: Machine) -> float:
    schedule = make_schedule(program, "p2p")
    fastest = max(machine.ranks, key=lambda r: r.speed)
    cost = [task_time(t.work, fastest, machine) for t in schedule.tasks]
    path = [0.0] * len(cost)
    preds: dict[int, list[int]] = {}
    for e in schedule.edges:
        preds.setdefault(e.dst, []).append(e.src)
    for k in range(len(cost)):
        path[k] = cost[k] + max((path[p] for p in preds.get(k, ())), default=0.0)
    work = sum(task_time(t.work, RankSpec(1), machine) for t in schedule.tasks)
    return max(max(path), work / sum(r.speed for r in machine.ranks))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dags", type=int, default=40)
    ap.add_argument("--tasks", type=int, default=40)
    ap.add_argument("--ranks", type=int, default=4)
    ap.add_argument("--ccr", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    speeds = [1.0 + k / max(a.ranks - 1, 1) for k in range(a.ranks)]
    base = Machine(tuple(RankSpec(1, s) for s in speeds))
    heft_ratios, rr_ratios, ccrs = [], [], []
    for _ in range(a.dags):
        program = checked(dag_text(rng, a.tasks, N))
        schedule = make_schedule(program, "p2p")
        mean_cost = statistics.mean(task_time(t.work, RankSpec(1), base) for t in schedule.tasks)
        # Bandwidth such that moving one memref takes CCR x the mean task cost.
        move = a.ccr * mean_cost
        nbytes = N * 8
        bandwidth = nbytes / max(move - base.latency, move / 2)
        machine = Machine(base.ranks, latency=min(base.latency, move / 2), bandwidth=bandwidth)
        ccrs.append(machine.transfer_time(nbytes) / mean_cost)
        bound = lower_bound(program, machine)
        heft = make_plan(program, a.ranks, "p2p", placement="heft", machine=machine)
        rr = make_plan(program, a.ranks, "p2p", machine=machine)
        assert heft.estimates is not None and rr.estimates is not None
        heft_ratios.append(heft.estimates.makespan / bound)
        rr_ratios.append(rr.estimates.makespan / bound)
    print(f"{a.dags} random DAGs of {a.tasks} tasks, {a.ranks} ranks (speeds "
          f"{', '.join(f'{s:g}' for s in speeds)}), CCR {statistics.median(ccrs):.3f}, --sync p2p")  # fmt: skip
    for name, ratios in (("heft", heft_ratios), ("roundrobin", rr_ratios)):
        print(f"{name:<11} predicted makespan / lower bound: median {statistics.median(ratios):.3f}, "
              f"worst {max(ratios):.3f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
