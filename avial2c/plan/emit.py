"""Dumps of a plan: text for people (``--emit plan``), JSON (``--emit plan-json``,
schema in docs/plan-json.md) and Graphviz (``--emit dot``).  All deterministic."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from avial2c.plan.plan import Level, Plan, TaskPlan, Transfer
from avial2c.plan.schedule import LoopStep

SCHEMA = "avial2c-plan/1"
LISTED = 64  # GPU copies listed one by one in the text (a loop may repeat them many times)

# One fill colour per target, in program order (ColorBrewer Set3, then again).
PALETTE = (
    "#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462",
    "#b3de69", "#fccde5", "#d9d9d9", "#bc80bd", "#ccebc5", "#ffed6f",
)  # fmt: skip


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def barrier_count(plan: Plan) -> int:
    """MPI_Barriers in the whole run (a level in a loop has one per run)."""
    return sum(level.runs for level in plan.levels if level.barrier)


# --------------------------------------------------------------------------
# Text


def plan_text(plan: Plan) -> str:
    lines = header(plan) + memref_lines(plan) + edge_lines(plan)
    lines += order_lines(plan, plan.order or tuple(range(len(plan.levels))), "")
    lines += final_lines(plan) + device_lines(plan) + total_lines(plan)
    return "\n".join(lines) + "\n"


def order_lines(plan: Plan, order: Sequence[int | LoopStep], indent: str) -> list[str]:
    """The levels as main() runs them, each loop's body indented under it."""
    lines: list[str] = []
    for step in order:
        if isinstance(step, LoopStep):
            lines += loop_lines(plan, step, indent)
        else:
            lines += [indent + x if x else x for x in level_lines(plan, plan.levels[step])]
    return lines


def loop_lines(plan: Plan, step: LoopStep, indent: str) -> list[str]:
    lp = plan.loops[step.loop]
    last = lp.lb + (lp.trips - 1) * lp.step
    iters = (
        f"{plural(lp.trips, 'iteration')}, %{lp.iv} = {lp.lb}, {lp.lb + lp.step}, ..., {last}"
        if lp.trips > 2
        else f"{plural(lp.trips, 'iteration')}"
        + (f", %{lp.iv} = {', '.join(str(lp.lb + k * lp.step) for k in range(lp.trips))}"
           if lp.trips else "")
    )  # fmt: skip
    lines = [f"{indent}loop {step.loop}: scf.for %{lp.iv} = {lp.lb} to {lp.ub} step {lp.step} "
             f"({iters}; levels {lp.first} to {lp.end - 1})"]  # fmt: skip
    if lp.trips == 0:
        lines.append(f"{indent}  never runs: its levels are planned but run no task")
    held = ", ".join(
        f"%{m} on slots {{{', '.join(str(q) for q in slots)}}}" if slots else f"%{m} on no slot"
        for m, slots in lp.head
    )
    lines.append(
        f"{indent}  head state, every size (valid on entry and after every iteration): "
        + (held or "every memref as on entry")
    )
    plans = {p.index: p for p in plan.loop_plans}
    found = plans.get(step.loop)
    if found is not None and lp.trips > 0:
        peeled = any(plan.levels[n].later for n in range(lp.first, lp.end))
        if found.steady_from <= 1 or not peeled:
            lines.append(f"{indent}  on {plural(plan.size, 'rank')} every iteration posts the "
                         "same transfers")  # fmt: skip
        else:
            lines.append(
                f"{indent}  on {plural(plan.size, 'rank')} iterations {found.steady_from} to "
                f"{lp.trips} post the same transfers; the first differ (it is peeled: the "
                "rows every rank holds on entry do not move)"
            )
        lines.append(f"{indent}  owner table at the head of those iterations:")
        for m, segs in found.head:
            parts = [
                f"[{lo}, {hi}) on {{{', '.join(str(r) for r in ranks)}}}"
                for lo, hi, ranks, _ in segs
            ]
            lines.append(f"{indent}    %{m}: {'; '.join(parts)}")
    lines.append("")
    lines += order_lines(plan, step.body, indent + "  ")
    lines += [f"{indent}end of loop {step.loop}", ""]
    return lines


def header(plan: Plan) -> list[str]:
    return [
        f"plan of {plan.file}",
        f"  {plural(len(plan.tasks), 'task')} in {plural(len(plan.levels), 'level')} "
        f"on {plural(plan.size, 'rank')}; placement {plan.policy}; sync {plan.sync}",
        "  (est.: the cost model's time, see --machine)",
        *([f"  placement: {plan.placement_note}"] if plan.placement_note else []),
        *[f"  fused (--fuse): {note}" for note in plan.fused],
        "",
    ]


def memref_lines(plan: Plan) -> list[str]:
    lines = ["memrefs"]
    for m in plan.memrefs:
        output = "  (written: gathered on rank 0)" if m.written else ""
        lines.append(f"  %{m.name}  {m.type}  {plural(m.nbytes, 'byte')}{output}")
    return [*lines, ""]


def edge_lines(plan: Plan) -> list[str]:
    lines = ["dependences"]
    for e in plan.edges:
        lines.append(
            f"  {plan.tasks[e.src].name} -> {plan.tasks[e.dst].name}  {e.kind} %{e.memref}"
        )
    for e in plan.carried:
        lines.append(
            f"  {plan.tasks[e.src].name} -> {plan.tasks[e.dst].name}  {e.kind} %{e.memref}"
            "  (loop-carried: into the next iteration)"
        )
    if not plan.edges and not plan.carried:
        lines.append("  none: every task is independent")
    return [*lines, ""]


def level_lines(plan: Plan, level: Level) -> list[str]:
    lines = [f"level {level.index}"]
    if level.runs != 1 or level.later:
        lines[0] += f" (runs {plural(level.runs, 'time')})"
    first = "" if not level.later else f" (run 1 of {level.runs})"
    est = plan.estimates
    if level.transfers:
        lines.append(f"  transfers before level {level.index}{first}:")
        times = est.transfers[level.index] if est is not None else ()
        lines += [
            f"    {transfer_line(t, times[n] if n < len(times) else None)}"
            for n, t in enumerate(level.transfers)
        ]
    elif level.later:
        lines.append(f"  no transfers before level {level.index} in its first run")
    for transfers, count in level.later:
        lines.append(f"  transfers before level {level.index} in {plural(count, 'later run')}:")
        lines += [f"    {transfer_line(t)}" for t in transfers]
        if not transfers:
            lines.append("    none")
    for k in level.tasks:
        lines += task_lines(plan.tasks[k], est.tasks[k] if est is not None else None)
    if level.barrier:
        lines.append(f"  barrier: MPI_Barrier after level {level.index}")
    elif level.ordered is not None:
        lines.append(f"  no barrier: {level.ordered}")
    else:
        lines.append("  no barrier (sync p2p: the transfers alone order the work)")
    return [*lines, ""]


def seconds(t: float) -> str:
    """A duration for people: 1.23 s, 45.6 ms, 7.89 us, 12 ns."""
    if t >= 1:
        return f"{t:.3g} s"
    if t >= 1e-3:
        return f"{t * 1e3:.3g} ms"
    if t >= 1e-6:
        return f"{t * 1e6:.3g} us"
    return f"{t * 1e9:.3g} ns"


def task_lines(task: TaskPlan, estimate: float | None = None) -> list[str]:
    name = task.name if task.name == task.value else f"{task.name} (%{task.value})"
    pinned = f" (pinned: rank = {task.slot})" if task.pinned else ""
    if task.split is not None:
        blocks = ", ".join(f"rank {q} [{lo}, {hi})" for q, (lo, hi) in enumerate(task.blocks))
        lines = [f"  {name} on %{task.target} ({task.arch}) -> split by rows: {blocks}"]
        for r in task.split.reads:
            halo = "every row" if r.whole else f"rows [a{r.before:+d}, b{r.after - 1:+d})"
            lines.append(f"      a block [a, b) reads %{r.memref} {halo}")
    else:
        lines = [f"  {name} on %{task.target} ({task.arch}) -> rank {task.rank}{pinned}"]
    if task.reads:
        lines.append("      reads " + ", ".join(f"%{m}" for m in task.reads))
    for c in task.write_cases:
        lines.append(f"      writes %{c.memref}: {c.case} ({c.reason})")
    if estimate is not None:
        slowest = " (its slowest block)" if task.split is not None else ""
        lines.append(f"      est. {seconds(estimate)}{slowest}")
    return lines


def transfer_line(t: Transfer, estimate: float | None = None) -> str:
    rows = "" if t.whole else f" rows [{t.lo}, {t.hi})"
    est = f" (est. {seconds(estimate)})" if estimate is not None else ""
    return (
        f"rank {t.src} -> rank {t.dst}  %{t.memref}{rows}  {plural(t.nbytes, 'byte')}  "
        f"tag {t.tag}: {t.reason}{est}"
    )


def final_lines(plan: Plan) -> list[str]:
    lines = ["final gathering to rank 0"]
    times = plan.estimates.final if plan.estimates is not None else ()
    lines += [
        f"  {transfer_line(t, times[n] if times else None)}" for n, t in enumerate(plan.final)
    ]
    if not plan.final:
        lines.append("  nothing to move: every written memref is valid on rank 0")
    return [*lines, ""]


def device_lines(plan: Plan) -> list[str]:
    """The host <-> GPU copies of GPU tasks' memrefs (runtime_c/av_device.h)."""
    if not any(t.gpu for t in plan.tasks):
        return []
    end = len(plan.levels)
    lines = ["GPU copies (the same with --gpu cuda and --gpu emulate)"]
    for c in plan.device_copies[:LISTED]:
        when = "end" if c.level == end else f"level {c.level}"
        arrow = "host -> GPU" if c.direction == "h2d" else "GPU -> host"
        lines.append(
            f"  {when}, rank {c.rank}: %{c.memref} {arrow}  {plural(c.nbytes, 'byte')}  for {c.reason}"
        )
    if len(plan.device_copies) > LISTED:
        lines.append(
            f"  ... and {len(plan.device_copies) - LISTED} more (--emit plan-json lists all)"
        )
    if not plan.device_copies:
        lines.append("  none")
    for k in plan.device_kept[:LISTED]:
        lines.append(
            f"  kept on the GPU of rank {k.rank}: %{k.memref} from {k.since} to {k.task} (no copy)"
        )
    if len(plan.device_kept) > LISTED:
        lines.append(f"  ... kept {len(plan.device_kept) - LISTED} more times")
    return [*lines, ""]


def device_bytes(plan: Plan) -> int:
    return sum(c.nbytes for c in plan.device_copies)


def total_lines(plan: Plan) -> list[str]:
    lines = [
        "totals",
        f"  transfers: {plan.transfer_count}",
        f"  bytes moved: {plan.bytes_moved} (minimum {plan.min_bytes}: "
        "each cross-rank dependency moved once)",
        f"  barriers: {barrier_count(plan)}",
    ]
    est = plan.estimates
    if est is not None:
        busy = ", ".join(seconds(b) for b in est.busy)
        lines.append(f"  predicted makespan: {seconds(est.makespan)} (cost model, machine: "
                     f"{est.machine}; time in tasks per rank: {busy}; then gathering the "
                     f"outputs: {seconds(est.gather)})")  # fmt: skip
    if any(t.gpu for t in plan.tasks):
        lines.append(
            f"  GPU copies: {len(plan.device_copies)}, {plural(device_bytes(plan), 'byte')}"
        )
    return lines


# --------------------------------------------------------------------------
# JSON


def plan_json(plan: Plan) -> str:
    return json.dumps(plan_dict(plan), sort_keys=True, indent=2) + "\n"


def plan_dict(plan: Plan) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "file": plan.file,
        "size": plan.size,
        "sync": plan.sync,
        "policy": plan.policy,
        "targets": [asdict(t) for t in plan.targets],
        "memrefs": [asdict(m) for m in plan.memrefs],
        "tasks": [asdict(t) for t in plan.tasks],
        "edges": [asdict(e) for e in plan.edges],
        "levels": [asdict(level) for level in plan.levels],
        "final": [asdict(t) for t in plan.final],
        "device_copies": [asdict(c) for c in plan.device_copies],
        "device_kept": [asdict(k) for k in plan.device_kept],
        "loops": [loop_dict(plan, n) for n in range(len(plan.loops))],
        "carried": [asdict(e) for e in plan.carried],
        "estimates": asdict(plan.estimates) if plan.estimates is not None else None,
        "placement_note": plan.placement_note,
        "fused": list(plan.fused),
        "totals": {
            "tasks": len(plan.tasks),
            "levels": len(plan.levels),
            "transfers": plan.transfer_count,
            "bytes_moved": plan.bytes_moved,
            "min_bytes": plan.min_bytes,
            "barriers": barrier_count(plan),
            "device_copies": len(plan.device_copies),
            "device_bytes": device_bytes(plan),
        },
    }


def loop_dict(plan: Plan, n: int) -> dict[str, Any]:
    lp = plan.loops[n]
    out: dict[str, Any] = asdict(lp)
    out["head"] = [{"memref": m, "slots": list(slots)} for m, slots in lp.head]
    found = next((p for p in plan.loop_plans if p.index == n), None)
    out["steady_from"] = found.steady_from if found is not None else None
    out["steady_head"] = (
        [
            {"memref": m, "segments": [{"lo": lo, "hi": hi, "ranks": list(r), "writer": w}
                                       for lo, hi, r, w in segs]}
            for m, segs in found.head
        ]
        if found is not None
        else []
    )  # fmt: skip
    return out


# --------------------------------------------------------------------------
# Graphviz


def quote(text: str) -> str:
    """A DOT double-quoted string; newlines become centred line breaks."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def plan_dot(plan: Plan) -> str:
    colours = {t.name: PALETTE[k % len(PALETTE)] for k, t in enumerate(plan.targets)}
    lines = [
        "digraph plan {",
        f"  graph [rankdir=TB, labelloc=t, fontname=Helvetica, label={quote(dot_title(plan))}];",
        '  node [shape=box, style="rounded,filled", fontname=Helvetica];',
        "  edge [fontname=Helvetica, fontsize=10];",
    ]
    lines += dot_order(plan, plan.order or tuple(range(len(plan.levels))), colours, "  ")
    lines += [f"  L{a} -> L{a + 1} [style=invis];" for a in range(len(plan.levels) - 1)]
    lines += [
        f"  t{e.src} -> t{e.dst} [label={quote(f'{e.kind} %{e.memref}')}];" for e in plan.edges
    ]
    lines += [
        f"  t{e.src} -> t{e.dst} [label={quote(f'{e.kind} %{e.memref} (next iteration)')}, "
        "style=dashed, constraint=false];"
        for e in plan.carried
    ]
    return "\n".join([*lines, "}"]) + "\n"


def dot_order(
    plan: Plan, order: Sequence[int | LoopStep], colours: dict[str, str], indent: str
) -> list[str]:
    """The levels, each loop's body drawn as a cluster."""
    lines: list[str] = []
    for step in order:
        if not isinstance(step, LoopStep):
            lines += [indent[2:] + x for x in dot_level(plan, plan.levels[step], colours)]
            continue
        lp = plan.loops[step.loop]
        label = (
            f"loop %{lp.iv} = {lp.lb} to {lp.ub} step {lp.step} ({plural(lp.trips, 'iteration')})"
        )
        lines += [
            f"{indent}subgraph cluster_loop{step.loop} {{",
            f'{indent}  label={quote(label)}; style="rounded,dashed";',
        ]
        lines += dot_order(plan, step.body, colours, indent + "  ")
        lines.append(f"{indent}}}")
    return lines


def dot_title(plan: Plan) -> str:
    return f"{plan.file}: {plural(plan.size, 'rank')}, sync {plan.sync}"


def dot_level(plan: Plan, level: Level, colours: dict[str, str]) -> list[str]:
    lines = [
        f"  subgraph level{level.index} {{",
        "    rank=same;",
        f"    L{level.index} [shape=plaintext, style=solid, label={quote(f'level {level.index}')}];",
    ]
    for k in level.tasks:
        t = plan.tasks[k]
        where = f"split by rows [{t.split.lo}, {t.split.hi})" if t.split else f"rank {t.rank}"
        label = quote(f"{t.name}\n%{t.target} ({t.arch})\n{where}")
        # A split task runs on every rank: drawn as a stack of boxes.
        shape = ", shape=box3d" if t.split else ""
        lines.append(f"    t{k} [label={label}, fillcolor={quote(colours[t.target])}{shape}];")
    return [*lines, "  }"]
