"""Dumps of a plan: text for people (``--emit plan``), JSON (``--emit plan-json``,
schema in docs/plan-json.md) and Graphviz (``--emit dot``).  All deterministic."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from avial2c.plan.plan import Level, Plan, TaskPlan, Transfer

SCHEMA = "avial2c-plan/1"

# One fill colour per target, in program order (ColorBrewer Set3, then again).
PALETTE = (
    "#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462",
    "#b3de69", "#fccde5", "#d9d9d9", "#bc80bd", "#ccebc5", "#ffed6f",
)  # fmt: skip


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def barrier_count(plan: Plan) -> int:
    return sum(1 for level in plan.levels if level.barrier)


# --------------------------------------------------------------------------
# Text


def plan_text(plan: Plan) -> str:
    lines = header(plan) + memref_lines(plan) + edge_lines(plan)
    for level in plan.levels:
        lines += level_lines(plan, level)
    lines += final_lines(plan) + device_lines(plan) + total_lines(plan)
    return "\n".join(lines) + "\n"


def header(plan: Plan) -> list[str]:
    return [
        f"plan of {plan.file}",
        f"  {plural(len(plan.tasks), 'task')} in {plural(len(plan.levels), 'level')} "
        f"on {plural(plan.size, 'rank')}; placement {plan.policy}; sync {plan.sync}",
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
    if not plan.edges:
        lines.append("  none: every task is independent")
    return [*lines, ""]


def level_lines(plan: Plan, level: Level) -> list[str]:
    lines = [f"level {level.index}"]
    if level.transfers:
        lines.append(f"  transfers before level {level.index}:")
        lines += [f"    {transfer_line(t)}" for t in level.transfers]
    for k in level.tasks:
        lines += task_lines(plan.tasks[k])
    if level.barrier:
        lines.append(f"  barrier: MPI_Barrier after level {level.index}")
    else:
        lines.append("  no barrier (sync p2p: the transfers alone order the work)")
    return [*lines, ""]


def task_lines(task: TaskPlan) -> list[str]:
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
    return lines


def transfer_line(t: Transfer) -> str:
    rows = "" if t.whole else f" rows [{t.lo}, {t.hi})"
    return (
        f"rank {t.src} -> rank {t.dst}  %{t.memref}{rows}  {plural(t.nbytes, 'byte')}  "
        f"tag {t.tag}: {t.reason}"
    )


def final_lines(plan: Plan) -> list[str]:
    lines = ["final gathering to rank 0"]
    lines += [f"  {transfer_line(t)}" for t in plan.final]
    if not plan.final:
        lines.append("  nothing to move: every written memref is valid on rank 0")
    return [*lines, ""]


def device_lines(plan: Plan) -> list[str]:
    """The host <-> GPU copies of GPU tasks' memrefs (runtime_c/av_device.h)."""
    if not any(t.gpu for t in plan.tasks):
        return []
    end = len(plan.levels)
    lines = ["GPU copies (the same with --gpu cuda and --gpu emulate)"]
    for c in plan.device_copies:
        when = "end" if c.level == end else f"level {c.level}"
        arrow = "host -> GPU" if c.direction == "h2d" else "GPU -> host"
        lines.append(
            f"  {when}, rank {c.rank}: %{c.memref} {arrow}  {plural(c.nbytes, 'byte')}  for {c.reason}"
        )
    if not plan.device_copies:
        lines.append("  none")
    for k in plan.device_kept:
        lines.append(
            f"  kept on the GPU of rank {k.rank}: %{k.memref} from {k.since} to {k.task} (no copy)"
        )
    return [*lines, ""]


def device_bytes(plan: Plan) -> int:
    return sum(c.nbytes for c in plan.device_copies)


def total_lines(plan: Plan) -> list[str]:
    lines = [
        "totals",
        f"  transfers: {len(plan.transfers)}",
        f"  bytes moved: {plan.bytes_moved} (minimum {plan.min_bytes}: "
        "each cross-rank dependency moved once)",
        f"  barriers: {barrier_count(plan)}",
    ]
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
        "totals": {
            "tasks": len(plan.tasks),
            "levels": len(plan.levels),
            "transfers": len(plan.transfers),
            "bytes_moved": plan.bytes_moved,
            "min_bytes": plan.min_bytes,
            "barriers": barrier_count(plan),
            "device_copies": len(plan.device_copies),
            "device_bytes": device_bytes(plan),
        },
    }


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
    for level in plan.levels:
        lines += dot_level(plan, level, colours)
    lines += [f"  L{a} -> L{a + 1} [style=invis];" for a in range(len(plan.levels) - 1)]
    lines += [
        f"  t{e.src} -> t{e.dst} [label={quote(f'{e.kind} %{e.memref}')}];" for e in plan.edges
    ]
    return "\n".join([*lines, "}"]) + "\n"


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
