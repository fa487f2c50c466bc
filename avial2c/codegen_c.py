"""The C generator: a checked program → one readable C11 file (MPI + OpenMP).

``generate(program, sync, gpu)`` builds a view model (frozen dataclasses:
memrefs, task functions, levels with their transfers and task calls) and
renders it with the Jinja2 templates in ``templates/`` (``program.c.j2``
and the templates it includes); all decisions are made here and in
``cbody`` / ``cemulate`` / ``cexpr`` / ``cnames``, the templates only loop
and call macros.

**Placement and data movement for any number of ranks.** The generated
``main`` must run on any world size, and which transfers a level needs
depends on it (task k of a level runs on rank ``k % size``).  The program
therefore does the owner tracking of EXECUTION.md itself, at run time: for
every memref a task needs on its rank (each one it reads, and each one it
writes unless the body overwrites every element — the planner's
``TaskPlan.needs``), ``main`` calls ``av_fetch`` (``runtime_c/av_plan.c``),
which posts the transfer only when the owner table says the memref is not
valid there, from the last writer's rank, with the planner's tag numbering;
after each level ``av_wrote`` records the new owners.  Every rank makes the
same calls, so all agree on every transfer without communicating, and the
transfers are exactly those of ``make_plan(program, size)`` — the plan text
(``--emit plan --ranks N``) is the account for a given N.  The parts that do
not depend on the size (levels, slots, needs, the last writer of each
memref) are taken from the plan and written into ``main`` with a comment per
transfer saying why; a fetch that is a no-op for every size (the memref was
never written, or it is already on that slot's rank) stays a comment only.

GPU tasks work on the device copies of the memrefs they touch
(``runtime_c/av_device.h``): the task function asks for each one with
``av_dev_use`` (copied from the host only when the device copy is stale) and
marks what it wrote with ``av_dev_wrote``; host code that uses a memref some
GPU task may have written calls ``av_host_use`` first.  With
``gpu="emulate"`` the device is a second set of host buffers and each
``gpu.launch`` runs as loop nests on the CPU (``cemulate``); with
``gpu="cuda"`` the task function lives in PROG.cu (``codegen_cuda``) and
launches a ``__global__`` kernel per ``gpu.launch``.

The output is deterministic: the same program gives byte-identical text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2

from . import __version__
from .cbody import Stmt, Translator, used_values
from .cemulate import emulate_launch
from .cnames import DTYPES, Namer, storage_type
from .diagnostics import CompileError
from .ir import MemRefType, Program, Task, Value, is_gpu_arch, walk_ops
from .plan import SYNC_MODES, Plan, TaskPlan, make_plan

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
GPU_MODES = ("emulate", "cuda")


@dataclass(frozen=True)
class GeneratedSources:
    c: str
    cuda: str | None  # CUDA sources of GPU tasks (None: none, or emulated)
    cuda_archs: tuple[str, ...] = ()  # the GPU archs of the targets, for nvcc


# --------------------------------------------------------------------------
# The view model


@dataclass(frozen=True)
class MemrefView:
    index: int
    name: str  # MLIR name without '%'
    enum: str  # its index constant, e.g. MEM_A
    var: str  # its data pointer in main
    dtype: str  # av_dtype, e.g. AV_I32
    rank: int
    shape: str  # C initialiser of the shape, e.g. {4, 5}
    ctype: str  # C element type in memory
    type_text: str  # memref<4x5xf64>
    output: bool


@dataclass(frozen=True)
class DeviceUse:
    """A GPU task's device copy of one memref: ``T *name = av_dev_use(...)``."""

    enum: str  # MEM_D
    memref: str  # MLIR name without '%'
    var: str  # the pointer's name in the task function
    ctype: str  # element type in memory
    const: bool  # the task only reads it
    mode: str  # AV_DEV_READ | AV_DEV_OVERWRITE
    why: str  # for the comment: why the contents are (not) needed


@dataclass(frozen=True)
class TaskView:
    fname: str
    comment: tuple[str, ...]
    params: tuple[str, ...]
    args: tuple[str, ...]  # the arguments main passes, in parameter order
    unused: tuple[str, ...]  # parameters the body never loads or stores
    body: tuple[Stmt, ...]
    device: tuple[DeviceUse, ...] = ()  # GPU tasks: the device copies they use
    wrote: tuple[str, ...] = ()  # GPU tasks: enums of the memrefs they write
    in_cuda: bool = False  # defined in PROG.cu; PROG.c only declares it
    label: str = ""  # the task's display name, in messages of the runtime
    on_gpu: bool = False  # a GPU task: takes the runtime context, uses device copies


@dataclass(frozen=True)
class FetchView:
    comment: str
    memref: str
    dst: str  # rank expression
    why: str  # short name of the transfer, for traces and errors
    skip: bool  # provably a no-op for every number of ranks


@dataclass(frozen=True)
class CallView:
    rank: str
    name: str
    call: str
    comment: str
    host_use: tuple[str, ...] = ()  # enums whose host copy must be current first
    host_wrote: tuple[str, ...] = ()  # enums whose device copy the task makes stale


@dataclass(frozen=True)
class WroteView:
    memref: str
    rank: str
    comment: str


@dataclass(frozen=True)
class LevelView:
    index: int
    names: str
    fetches: tuple[FetchView, ...]
    calls: tuple[CallView, ...]
    wrote: tuple[WroteView, ...]
    barrier: bool

    @property
    def posts(self) -> bool:
        return any(not f.skip for f in self.fetches)


@dataclass(frozen=True)
class FileView:
    source: str
    version: str
    command: str
    summary: str
    sync: str
    gpu: str  # emulate | cuda
    gpu_tasks: bool
    memrefs: tuple[MemrefView, ...]
    pointers: tuple[MemrefView, ...]  # memrefs main passes to tasks
    outputs: tuple[MemrefView, ...]
    tasks: tuple[TaskView, ...]
    levels: tuple[LevelView, ...]
    final: tuple[FetchView, ...]

    @property
    def uses_rank(self) -> bool:
        return any(level.calls for level in self.levels)

    @property
    def uses_size(self) -> bool:
        ranks = [c.rank for level in self.levels for c in level.calls]
        ranks += [w.rank for level in self.levels for w in level.wrote]
        ranks += [x.dst for level in self.levels for x in level.fetches if not x.skip]
        return any("size" in r for r in ranks)


# --------------------------------------------------------------------------
# Entry point


def generate(program: Program, sync: str = "barrier", gpu: str = "emulate") -> GeneratedSources:
    """C sources for PROGRAM (checked), for any number of MPI ranks."""
    if sync not in SYNC_MODES:
        raise CompileError(f"unknown --sync mode '{sync}' (expected barrier or p2p)", program.span)
    if gpu not in GPU_MODES:
        raise CompileError(f"unknown --gpu mode '{gpu}' (expected emulate or cuda)", program.span)
    has_gpu = any(is_gpu_arch(t.target.arch) for t in program.tasks)
    mode = gpu if has_gpu else "emulate"
    view = file_view(program, make_plan(program, 1, sync), sync, mode)
    if mode != "cuda":
        return GeneratedSources(render(view), None)
    from .codegen_cuda import cuda_source, gpu_archs

    return GeneratedSources(render(view), cuda_source(program, view), gpu_archs(program))


def environment() -> jinja2.Environment:
    """The Jinja2 environment of every template (C and CUDA)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        keep_trailing_newline=True,
    )
    env.filters["c_string"] = c_string
    env.filters["c_comment"] = c_comment
    return env


def render(view: FileView) -> str:
    return environment().get_template("program.c.j2").render(f=view)


def c_string(text: str) -> str:
    """TEXT for the inside of a C string literal (ASCII, no trigraphs)."""
    out = []
    for byte in text.encode("utf-8"):
        ch = chr(byte)
        if ch in '\\"?':
            out.append("\\" + ch)
        elif 32 <= byte < 127:
            out.append(ch)
        else:
            out.append(f"\\{byte:03o}")
    return "".join(out)


def c_comment(text: str) -> str:
    """TEXT made safe inside a /* */ comment."""
    return text.replace("*/", "* /").replace("/*", "/ *").replace("??", "? ?").replace("\n", " ")


# --------------------------------------------------------------------------
# Building the view


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def rank_expr(slot: int) -> str:
    """The rank of placement slot k: ``k % size`` (0 is always rank 0)."""
    return "0" if slot == 0 else f"{slot} % size"


def file_view(program: Program, plan: Plan, sync: str, gpu: str) -> FileView:
    file_names = Namer()  # file scope: memref indices and task functions
    enums = [file_names.fresh(f"MEM_{m.name.upper()}") for m in program.memrefs]
    fnames = [file_names.fresh(task_function_name(t)) for t in program.tasks]
    main_names = Namer(file_names.taken)  # main's data pointers
    pointers = [main_names.fresh(m.name) for m in program.memrefs]
    memrefs = memref_views(program, plan, enums, pointers)
    by_name = {m.name: m for m in memrefs}
    tasks = tuple(
        task_view(task, plan.tasks[k], fnames[k], by_name, gpu)
        for k, task in enumerate(program.tasks)
    )
    levels, final = Movement(plan, by_name, tasks, device_touched(plan)).views()
    passed = {a for t in tasks for a in t.args}
    return FileView(
        source=program.file,
        version=__version__,
        command=f"avial2c {program.file} --emit c --sync {sync} --gpu {gpu}",
        summary=f"{plural(len(program.tasks), 'task')} in {plural(len(plan.levels), 'level')} "
        f"over {plural(len(memrefs), 'memref')}.",
        sync=sync,
        gpu=gpu,
        gpu_tasks=any(t.gpu for t in plan.tasks),
        memrefs=memrefs,
        pointers=tuple(m for m in memrefs if m.var in passed),
        outputs=tuple(m for m in memrefs if m.output),
        tasks=tasks,
        levels=levels,
        final=final,
    )


def memref_views(
    program: Program, plan: Plan, enums: list[str], pointers: list[str]
) -> tuple[MemrefView, ...]:
    views = []
    for k, (m, info) in enumerate(zip(program.memrefs, plan.memrefs, strict=True)):
        t = program.memref_type(m)
        shape = "{" + ", ".join(str(d) for d in t.shape) + "}" if t.shape else "{0}"
        views.append(
            MemrefView(k, m.name, enums[k], pointers[k], DTYPES[t.elem.name], len(t.shape),
                       shape, storage_type(t.elem), str(t), info.written)
        )  # fmt: skip
    return tuple(views)


def task_function_name(task: Task) -> str:
    name = task.name
    return name if name.startswith("task") else f"task_{name}"


# --------------------------------------------------------------------------
# Task functions


def task_view(
    task: Task, tp: TaskPlan, fname: str, memrefs: dict[str, MemrefView], gpu: str = "emulate"
) -> TaskView:
    order, stored = task_memrefs(task, tp)
    accessed = {
        op.operands[0 if op.name == "memref.load" else 1]
        for op in walk_ops(task.body)
        if op.name in ("memref.load", "memref.store")
    }
    namer = Namer()
    names: dict[Value, str] = {m: namer.fresh(m.name) for m in order}
    comment = task_comment(task, tp, gpu)
    unused = tuple(names[m] for m in order if m not in accessed)
    if not tp.gpu:
        params = tuple(param_decl(m, names[m], m in stored) for m in order)
        tr = Translator(namer, names, used_values(task.body), emulate_launch)
        body = tuple(tr.block(task.body.ops, in_parallel=False))
        args = tuple(memrefs[m.name].var for m in order)
        return TaskView(fname, comment, params, args, unused, body)
    device = device_uses(tp, order, stored, names, memrefs)
    wrote = tuple(memrefs[m].enum for m in tp.writes if m in {d.memref for d in device})
    ctx_param, ctx_arg = ("av_ctx *ctx",), ("&ctx",)
    if gpu == "cuda":
        return TaskView(fname, comment, ctx_param, ctx_arg, (), (), device, wrote, in_cuda=True,
                        label=tp.name, on_gpu=True)  # fmt: skip
    tr = Translator(namer, names, used_values(task.body), emulate_launch)
    body = tuple(tr.block(task.body.ops, in_parallel=False))
    return TaskView(fname, comment, ctx_param, ctx_arg, unused, body, device, wrote,
                    label=tp.name, on_gpu=True)  # fmt: skip


def task_memrefs(task: Task, tp: TaskPlan) -> tuple[list[Value], set[Value]]:
    """The declared memrefs the body names, in the plan's order (stored ones
    first, ``TaskPlan.touched``), and the stored ones."""
    values = {m.name: m for m in task.reads + task.writes}
    stored = {
        x
        for op in walk_ops(task.body)
        if op.name == "memref.store" and isinstance(x := op.operands[1], Value)
    }
    return [values[name] for name in tp.touched], stored


def device_uses(
    tp: TaskPlan,
    order: list[Value],
    stored: set[Value],
    names: dict[Value, str],
    memrefs: dict[str, MemrefView],
) -> tuple[DeviceUse, ...]:
    uses = []
    for m in order:
        view = memrefs[m.name]
        if m.name in tp.needs:
            mode = "AV_DEV_READ"
            why = "read" if m.name in tp.reads else "partly overwritten: current contents needed"
        else:
            mode, why = "AV_DEV_OVERWRITE", "every element overwritten: no copy"
        uses.append(DeviceUse(view.enum, m.name, names[m], view.ctype, m not in stored, mode, why))
    return tuple(uses)


def device_touched(plan: Plan) -> tuple[set[str], set[str]]:
    """Memrefs some GPU task writes (their host copy may be stale) and touches."""
    written = {m for tp in plan.tasks if tp.gpu for m in tp.writes}
    touched = written | {m for tp in plan.tasks if tp.gpu for m in tp.needs}
    return written, touched


def param_decl(m: Value, name: str, written: bool) -> str:
    t = m.type
    assert isinstance(t, MemRefType)
    const = "" if written else "const "
    return f"{const}{storage_type(t.elem)} *restrict {name}"


def task_comment(task: Task, tp: TaskPlan, gpu: str) -> tuple[str, ...]:
    where = f"on %{tp.target} ({tp.arch})"
    if tp.gpu and gpu == "emulate":
        where += ", emulated on the CPU"
    title = tp.name if tp.name == tp.value else f"{tp.name} (%{tp.value})"
    placed = f"pinned to rank {rank_expr(tp.slot)}" if tp.pinned else f"rank {rank_expr(tp.slot)}"
    lines = [f"{title}: {where}; level {tp.level}, {placed}."]
    reads = ", ".join(f"%{m}" for m in tp.reads) or "nothing"
    lines.append(f"Reads {reads}.")
    for case in tp.write_cases:
        lines.append(f"Writes %{case.memref}: {case.reason}.")
    return tuple(lines)


# --------------------------------------------------------------------------
# Levels, transfers and the final gathering


class Movement:
    """What main does level by level, with the size-independent owner facts.

    ``holders[m]`` are the placement slots sure to hold the current contents
    of m (the last writer's and those it was fetched to since): a fetch to
    one of them is a no-op for every number of ranks.
    """

    def __init__(
        self,
        plan: Plan,
        memrefs: dict[str, MemrefView],
        tasks: tuple[TaskView, ...],
        device: tuple[set[str], set[str]],
    ):
        self.plan = plan
        self.memrefs = memrefs
        self.tasks = tasks
        self.device_written, self.device_touched = device
        self.writer: dict[str, TaskPlan] = {}
        self.holders: dict[str, set[int]] = {}
        self.fetched_for: dict[str, dict[int, str]] = {}  # memref → slot → task

    def views(self) -> tuple[tuple[LevelView, ...], tuple[FetchView, ...]]:
        levels = tuple(self.level(n) for n in range(len(self.plan.levels)))
        return levels, tuple(self.final())

    def level(self, n: int) -> LevelView:
        level = self.plan.levels[n]
        group = [self.plan.tasks[k] for k in level.tasks]
        fetches = [self.fetch(tp, m) for tp in group for m in tp.needs]
        calls = [self.call(tp) for tp in group]
        wrote = [self.wrote(tp, m) for tp in group for m in tp.writes]
        return LevelView(
            index=n,
            names=", ".join(tp.name for tp in group),
            fetches=tuple(f for f in fetches if f is not None),
            calls=tuple(calls),
            wrote=tuple(wrote),
            barrier=level.barrier,
        )

    def where(self, tp: TaskPlan) -> str:
        return f"{tp.name} (level {tp.level}, rank {rank_expr(tp.slot)})"

    def fetch(self, tp: TaskPlan, m: str) -> FetchView | None:
        w = self.writer.get(m)
        if w is None:
            return None  # never written: the initial contents are on every rank
        verb = "reads" if m in tp.reads else "writes only part of"
        comment = f"{self.where(tp)} {verb} %{m}, last written by {self.where(w)}"
        holders = self.holders[m]
        skip = tp.slot in holders
        if skip:
            earlier = self.fetched_for[m].get(tp.slot)
            comment += f"; already fetched there for {earlier}" if earlier else "; same rank"
        else:
            holders.add(tp.slot)
            self.fetched_for[m][tp.slot] = tp.name
        return FetchView(comment, self.memrefs[m].enum, rank_expr(tp.slot), f"%{m} for {tp.name}", skip)

    def call(self, tp: TaskPlan) -> CallView:
        task = self.tasks[tp.index]
        emulated = tp.gpu and not task.in_cuda
        where = f"%{tp.target} ({tp.arch})" + (", emulated" if emulated else "")
        host_use: tuple[str, ...] = ()
        host_wrote: tuple[str, ...] = ()
        if not tp.gpu:
            host_use = tuple(self.memrefs[m].enum for m in tp.needs if m in self.device_written)
            host_wrote = tuple(self.memrefs[m].enum for m in tp.writes if m in self.device_touched)
        return CallView(rank_expr(tp.slot), tp.name, f"{task.fname}({', '.join(task.args)})",
                        f"{tp.name} on {where}", host_use, host_wrote)  # fmt: skip

    def wrote(self, tp: TaskPlan, m: str) -> WroteView:
        self.writer[m] = tp
        self.holders[m] = {tp.slot}
        self.fetched_for[m] = {}
        comment = f"%{m} is now valid only on the rank of {tp.name}"
        return WroteView(self.memrefs[m].enum, rank_expr(tp.slot), comment)

    def final(self) -> list[FetchView]:
        out = []
        for info in self.plan.memrefs:
            w = self.writer.get(info.name)
            if w is None:
                continue
            m = info.name
            comment = f"%{m} to rank 0, last written by {self.where(w)}"
            skip = 0 in self.holders[m]
            if skip:
                earlier = self.fetched_for[m].get(0)
                comment += f"; already fetched there for {earlier}" if earlier else "; same rank"
            out.append(FetchView(comment, self.memrefs[m].enum, "0", f"%{m} to rank 0", skip))
        return out
