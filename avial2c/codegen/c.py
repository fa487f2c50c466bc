"""The C generator: a checked program and its schedule → one readable C11 file.

``generate(program, schedule, gpu)`` builds the view model
(:mod:`avial2c.codegen.views`: memrefs, task functions, level functions with
their transfers and task calls) and renders it with the Jinja2 templates in
``templates/``; all decisions are made here and in ``body`` / ``emulate`` /
``expr`` / ``names``, the templates only loop and call macros.  It never
makes a plan: the schedule (:mod:`avial2c.plan.schedule`) is its input.

**Placement and data movement for any number of ranks.** The generated
program must run on any world size, and which transfers a level needs
depends on it (task k of a level runs on rank ``k % size``).  Each level is
one C function.  For each of the schedule's fetches (a memref a task needs
on its rank), it asks the owner table (``runtime_c/av_owners.c``, the twin
of :mod:`avial2c.plan.owners`) with ``av_owner_move`` whether the memref
moves and from which rank, and the two ranks concerned post the
``MPI_Irecv``/``MPI_Isend`` written right there; one ``av_wait_all``
completes them before the level's tasks run.  After the tasks, ``av_wrote``
records the new owners.  Every rank makes the same calls, so all agree on
every transfer without communicating, and the transfers are exactly those of
``make_plan(program, size)`` (``--emit plan --ranks N``).  A fetch that is a
no-op for every size (the schedule's ``Fetch.noop``) stays a comment only.

GPU tasks work on the device copies of the memrefs they touch
(``runtime_c/av_device.h``): the task function asks for each one with
``av_dev_use`` (copied from the host only when the device copy is stale) and
marks what it wrote with ``av_dev_wrote``; host code that uses a memref some
GPU task may have written calls ``av_host_use`` first.  With
``gpu="emulate"`` the device is a second set of host buffers and each
``gpu.launch`` runs as loop nests on the CPU (``emulate``); with
``gpu="cuda"`` the task function lives in PROG.cu (``cuda``) and launches a
``__global__`` kernel per ``gpu.launch``.

The output is deterministic: the same program gives byte-identical text.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from avial2c import __version__
from avial2c.codegen.body import Translator, used_values
from avial2c.codegen.cuda import cuda_source, gpu_archs
from avial2c.codegen.emulate import LaunchShape, emulate_launch
from avial2c.codegen.names import DTYPES, MPI_TYPES, Namer, storage_type
from avial2c.codegen.render import environment
from avial2c.codegen.views import (
    CallView,
    DeviceUse,
    FetchView,
    FileView,
    GeneratedSources,
    LevelLocals,
    LevelView,
    MemrefView,
    TaskView,
    WroteView,
)
from avial2c.diagnostics import CompileError
from avial2c.ir import (
    INDEX,
    CheckedProgram,
    MemRefType,
    Task,
    Value,
    is_gpu_arch,
    schedule_ivs,
    walk_ops,
)
from avial2c.plan.schedule import Fetch, LoopStep, Schedule, TaskInfo
from avial2c.transforms.split_launch import grid_x, split_launch

GPU_MODES = ("emulate", "cuda")
INT64_MAX = (1 << 63) - 1

# Above this many tasks the C is written in its compact form: each transfer is
# one call to the file's post_moves function (which holds the MPI calls)
# instead of its own loop of MPI_Irecv/MPI_Isend, and CPU tasks whose bodies
# are the same (up to the memrefs passed in) share one function.  Both keep
# the compile time of the generated C linear in the number of tasks: written
# out one by one, the transfers alone were 62 % of the lines of a 1 000-task
# program and more than half of gcc's time on it.
LARGE_PROGRAM = 256


# --------------------------------------------------------------------------
# Entry point


def generate(
    program: CheckedProgram, schedule: Schedule, gpu: str = "emulate", compact: bool | None = None
) -> GeneratedSources:
    """C sources for PROGRAM (checked) and its SCHEDULE, for any number of MPI
    ranks; in the compact form when COMPACT, or by default when the program
    has more than LARGE_PROGRAM tasks."""
    if gpu not in GPU_MODES:
        raise CompileError(f"unknown --gpu mode '{gpu}' (expected emulate or cuda)", program.span)
    has_gpu = any(is_gpu_arch(t.target.arch) for t in program.tasks)
    mode = gpu if has_gpu else "emulate"
    view = file_view(program, schedule, mode, compact)
    if mode != "cuda":
        return GeneratedSources(render(view), None)
    return GeneratedSources(render(view), cuda_source(program, view), gpu_archs(program))


def render(view: FileView) -> str:
    return environment().get_template("program.c.j2").render(f=view)


# --------------------------------------------------------------------------
# Building the view


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def rank_expr(slot: int) -> str:
    """The rank of placement slot k: ``k % size`` (0 is always rank 0)."""
    return "0" if slot == 0 else f"{slot} % size"


def file_view(
    program: CheckedProgram, schedule: Schedule, gpu: str, compact: bool | None = None
) -> FileView:
    if compact is None:
        compact = len(program.tasks) > LARGE_PROGRAM
    file_names = Namer()  # file scope: memref indices, task and level functions
    enums = [file_names.fresh(f"MEM_{m.name.upper()}", ours=True) for m in program.memrefs]
    fnames = [file_names.fresh(task_function_name(t)) for t in program.tasks]
    lnames = [file_names.fresh(f"level{n}") for n in range(len(schedule.levels))]
    gather_name = file_names.fresh("gather_results")
    post_name = file_names.fresh("post_moves")  # the compact form's transfers
    local_names = Namer(file_names.taken)  # the data pointers of main and the level functions
    pointers = [local_names.fresh(m.name) for m in program.memrefs]
    fresh = local_names.fresh
    local = LevelLocals(fresh("q"), fresh("k"), fresh("x"), fresh("blk"), fresh("mv"), post_name)
    ivs = loop_ivs(program, schedule, local_names)
    memrefs = memref_views(program, schedule, enums, pointers)
    by_name = {m.name: m for m in memrefs}
    tasks = tuple(
        task_view(task, schedule.tasks[k], fnames[k], by_name, gpu, local.blk, ivs, compact)
        for k, task in enumerate(program.tasks)
    )
    if compact:
        tasks = share_bodies(tasks)
    steps = Steps(schedule, by_name, tasks, device_touched(schedule), local, ivs, compact)
    levels = tuple(steps.level(n, lnames[n]) for n in range(len(schedule.levels)))
    final = steps.final(gather_name)
    main, tables = main_lines(schedule, levels, ivs, local_names if compact else None)
    sync = schedule.sync
    return FileView(
        source=program.file,
        version=__version__,
        command=f"avial2c {program.file} --emit c --sync {sync} --gpu {gpu}"
        + (f" --placement heft --ranks {schedule.size}" if schedule.size else ""),
        summary=f"{plural(len(program.tasks), 'task')} in {plural(len(levels), 'level')} "
        f"over {plural(len(memrefs), 'memref')}.",
        sync=sync,
        gpu=gpu,
        gpu_tasks=any(t.gpu for t in schedule.tasks),
        memrefs=memrefs,
        outputs=tuple(m for m in memrefs if m.output),
        tasks=tasks,
        levels=levels,
        final=final,
        local=local,
        main=main,
        main_tables=tables,
        fixed_size=schedule.size,
        machine=schedule.machine or "",
        compact=compact,
    )


@dataclass(frozen=True)
class LoopIV:
    """A time loop's induction variable in the generated C."""

    value: Value
    var: str  # its name in main() and the level functions
    low: int  # its first and last values (low == high + step for a loop that never runs)
    high: int


def loop_ivs(program: CheckedProgram, schedule: Schedule, names: Namer) -> list[LoopIV]:
    """One per schedule loop, in LoopInfo.index order."""
    out = []
    for lp, v in zip(schedule.loops, schedule_ivs(program.loops_body), strict=True):
        high = lp.lb + (lp.trips - 1) * lp.step if lp.trips else lp.lb
        out.append(LoopIV(v, names.fresh(v.name), lp.lb, high))
    return out


def main_lines(
    schedule: Schedule,
    levels: tuple[LevelView, ...],
    ivs: list[LoopIV],
    names: Namer | None = None,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """main()'s level calls, the time loops around them as C for loops; and the
    tables of level functions main runs from.  With NAMES (the compact form),
    a run of consecutive level calls becomes a loop over a table of the
    functions: one call per level would make main itself the longest
    function, and gcc's time grows faster than its length."""
    lines: list[str] = []
    tables: list[str] = []
    counter: list[str] = []  # the tables' loop variable, named once

    def calls(run: list[int], indent: str) -> None:
        if names is None or len(run) < 2:
            for step in run:
                args = "".join(f", {v}" for v in levels[step].ivs)
                lines.append(f"{indent}{levels[step].fname}(&ctx, &own{args});")
            return
        table = names.fresh(f"levels_{run[0]}_to_{run[-1]}")
        if not counter:
            counter.append(names.fresh("n"))
        n = counter[0]
        tables.append(f"/* main() runs levels {run[0]} to {run[-1]} in order from this table. */")
        tables.append(f"static void (*const {table}[{len(run)}])(av_ctx *, av_owners *) = {{")
        for k in range(0, len(run), 6):
            tables.append("    " + " ".join(f"{levels[s].fname}," for s in run[k : k + 6]))
        tables.append("};")
        lines.append(f"{indent}for (int {n} = 0; {n} < {len(run)}; {n}++) {{")
        lines.append(f"{indent}    {table}[{n}](&ctx, &own);")
        lines.append(f"{indent}}}")

    def walk(order: tuple[int | LoopStep, ...], indent: str) -> None:
        run: list[int] = []
        for step in order:
            if isinstance(step, int) and not levels[step].ivs:
                run.append(step)
                continue
            calls(run, indent)
            run = []
            if isinstance(step, int):
                calls([step], indent)
                continue
            lp, v = schedule.loops[step.loop], ivs[step.loop].var
            what = f"scf.for %{lp.iv}: {plural(lp.trips, 'iteration')}"
            if lp.trips == 0:
                what += " (runs none)"
            if lp.ub <= INT64_MAX - lp.step:
                lines.append(f"{indent}for (int64_t {v} = {lp.lb}; {v} < {lp.ub}; {v} += {lp.step}) "
                             f"{{  /* {what} */")  # fmt: skip
            else:  # lp.ub + step would overflow: count the iterations instead
                n = f"{v}_n"
                lines.append(f"{indent}for (int64_t {n} = 0; {n} < {lp.trips}; {n}++) "
                             f"{{  /* {what} */")  # fmt: skip
                lines.append(f"{indent}    const int64_t {v} = {lp.lb} + {n} * {lp.step};")
            walk(step.body, indent + "    ")
            lines.append(f"{indent}}}")
        calls(run, indent)

    walk(schedule.order or tuple(range(len(levels))), "    ")
    return tuple(lines), tuple(tables)


def memref_views(
    program: CheckedProgram, schedule: Schedule, enums: list[str], pointers: list[str]
) -> tuple[MemrefView, ...]:
    views = []
    for k, (m, info) in enumerate(zip(program.memrefs, schedule.memrefs, strict=True)):
        t = program.memref_type(m)
        shape = "{" + ", ".join(str(d) for d in t.shape) + "}" if t.shape else "{0}"
        views.append(
            MemrefView(k, m.name, enums[k], pointers[k], DTYPES[t.elem.name], len(t.shape),
                       shape, storage_type(t.elem), str(t), info.written, t.numel,
                       MPI_TYPES[t.elem.name])
        )  # fmt: skip
    return tuple(views)


def task_function_name(task: Task) -> str:
    name = task.name
    return name if name.startswith("task") else f"task_{name}"


# --------------------------------------------------------------------------
# Task functions


def task_view(
    task: Task,
    tp: TaskInfo,
    fname: str,
    memrefs: dict[str, MemrefView],
    gpu: str = "emulate",
    blk: str = "blk",
    loop_vars: list[LoopIV] | None = None,
    compact: bool = False,
) -> TaskView:
    """The function of TASK.  In the COMPACT form, a CPU task's memref
    parameters are named by position (w0, w1, ... written, r0, r1, ... only
    read), so that tasks with the same body get the same function text
    (share_bodies), and its small loops are written without OpenMP
    (Translator.omp_small)."""
    order, stored = task_memrefs(task, tp)
    accessed = {
        op.operands[0 if op.name == "memref.load" else 1]
        for op in walk_ops(task.body)
        if op.name in ("memref.load", "memref.store")
    }
    namer = Namer()
    names: dict[Value, str] = {}
    if compact and not tp.gpu:
        counts = {True: 0, False: 0}
        for m in order:
            w = m in stored
            names[m] = namer.fresh(f"{'w' if w else 'r'}{counts[w]}")
            counts[w] += 1
    else:
        names = {m: namer.fresh(m.name) for m in order}
    comment = task_comment(task, tp, gpu)
    unused = tuple(names[m] for m in order if m not in accessed)
    ivs = [loop_vars[n] for n in tp.ivs] if loop_vars is not None else []
    iv_params = tuple((iv.value, namer.fresh(iv.value.name)) for iv in ivs)
    iv_decls = tuple(f"int64_t {name}" for _, name in iv_params)
    ranges = {iv.value: (min(iv.low, iv.high), max(iv.low, iv.high)) for iv in ivs}
    names.update(iv_params)
    if not tp.gpu:
        params = tuple(param_decl(m, names[m], m in stored) for m in order) + iv_decls
        tr = Translator(namer, names, used_values(task.body), emulate_launch, ranges=ranges,
                        omp_small=not compact)  # fmt: skip
        args = tuple(memrefs[m.name].var for m in order) + tuple(iv.var for iv in ivs)
        if tp.split is not None:
            row_lo, row_hi = namer.fresh("row_lo"), namer.fresh("row_hi")
            params += (f"int64_t {row_lo}", f"int64_t {row_hi}")
            args += (f"{blk}.lo", f"{blk}.hi")
            tr.row_bounds = (row_lo, row_hi)
        body = tuple(tr.block(task.body.ops, in_parallel=False))
        return TaskView(fname, comment, params, args, unused, body, label=tp.name)
    device = device_uses(tp, order, stored, names, memrefs)
    wrote = tuple(memrefs[m].enum for m in tp.writes if m in {d.memref for d in device})
    ctx_param = ("av_ctx *ctx", *iv_decls)
    ctx_arg = ("ctx", *(iv.var for iv in ivs))
    split = GpuSplit.of(task, tp, namer) if tp.split is not None else None
    if split is not None:
        # Split by rows: the launch runs over the rank's block only; its kernels
        # take the block's rows as they take a loop's induction variable.
        task = split.task
        names.update(split.params)
        iv_params += split.params
        ctx_param += tuple(f"int64_t {name}" for _, name in split.params)
        ctx_arg += (f"{blk}.lo", f"{blk}.hi")
        lo, hi = (name for _, name in split.params)
        device = tuple(replace(d, rows=block_rows(tp, d.memref, lo, hi)) for d in device)
    if gpu == "cuda":
        view = TaskView(fname, comment, ctx_param, ctx_arg, (), (), device, wrote, in_cuda=True,
                        label=tp.name, on_gpu=True, ivs=iv_params)  # fmt: skip
    else:
        tr = Translator(namer, names, used_values(task.body), emulate_launch, ranges=ranges)
        tr.grid_x = split.grid if split is not None else None
        body = tuple(tr.block(task.body.ops, in_parallel=False))
        view = TaskView(fname, comment, ctx_param, ctx_arg, unused, body, device, wrote,
                        label=tp.name, on_gpu=True, ivs=iv_params)  # fmt: skip
    if split is None:
        return view
    return replace(view, wrote_rows=split.rows, launched=task, grid_x=split.grid)


@dataclass(frozen=True)
class GpuSplit:
    """A GPU task split by rows, in its task function: the rows of the rank's
    block (parameters), its launch over them, and the launch's grid."""

    task: Task  # its body's launch runs the rows [row_lo, row_hi) only
    params: tuple[tuple[Value, str], tuple[Value, str]]  # row_lo, row_hi and their C names
    grid: str  # the x grid size of that launch (a C expression)

    @staticmethod
    def of(task: Task, tp: TaskInfo, namer: Namer) -> GpuSplit:
        assert tp.split is not None
        rows = (Value("row_lo", INDEX, task.span), Value("row_hi", INDEX, task.span))
        lo, hi = namer.fresh("row_lo"), namer.fresh("row_hi")
        launched = split_launch(task, tp.split, rows)
        block = LaunchShape.of(launched.body.ops[0]).block[0]
        return GpuSplit(launched, ((rows[0], lo), (rows[1], hi)), grid_x(tp.split, block, lo, hi))

    @property
    def rows(self) -> str:
        """The block's rows, as av_dev_wrote_rows's arguments."""
        return f"{self.params[0][1]}, {self.params[1][1]}"



def block_rows(tp: TaskInfo, m: str, lo: str, hi: str) -> str | None:
    """The rows of M that the block [LO, HI) of split GPU task TP needs on the
    device, "first, last" (the runtime clips them to the memref), or None for
    every row."""
    if m not in tp.needs or tp.row_need(m).whole:
        return None
    need = tp.row_need(m)
    first = f"{lo} - {-need.before}" if need.before else lo
    last = f"{hi} + {need.after}" if need.after else hi
    return f"{first}, {last}"


def share_bodies(tasks: tuple[TaskView, ...]) -> tuple[TaskView, ...]:
    """CPU tasks whose functions are the same but for the name (task_view
    with positional parameter names) call the first one's function; it says
    which tasks share it."""
    first: dict[tuple[object, ...], int] = {}
    sharers: dict[int, list[str]] = {}
    out = list(tasks)
    for k, t in enumerate(tasks):
        if t.on_gpu:
            continue
        key = (t.params, t.unused, t.body)
        lead = first.setdefault(key, k)
        if lead != k:
            out[k] = replace(t, fname=tasks[lead].fname, defined=False)
            sharers.setdefault(lead, []).append(t.label)
    for lead, names in sharers.items():
        t = out[lead]
        shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        note = (f"The same function runs {shown} ({plural(len(names), 'other task')} "
                "with this body, on their own memrefs).")  # fmt: skip
        out[lead] = replace(t, comment=(*t.comment, note), shared=True)
    return tuple(out)


def task_memrefs(task: Task, tp: TaskInfo) -> tuple[list[Value], set[Value]]:
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
    tp: TaskInfo,
    order: list[Value],
    stored: set[Value],
    names: dict[Value, str],
    memrefs: dict[str, MemrefView],
) -> tuple[DeviceUse, ...]:
    uses = []
    for m in order:
        view = memrefs[m.name]
        read, why = device_need(tp, m.name)
        mode = "AV_DEV_READ" if read else "AV_DEV_OVERWRITE"
        uses.append(DeviceUse(view.enum, m.name, names[m], view.ctype, m not in stored, mode, why))
    return tuple(uses)


def device_need(tp: TaskInfo, memref: str) -> tuple[bool, str]:
    """Whether GPU task TP needs the current contents of MEMREF on the device, and why (not)."""
    if memref in tp.needs:
        return True, "read" if memref in tp.reads else "partly overwritten: current contents needed"
    return False, "every element overwritten: no copy"


def host_side(
    tp: TaskInfo, written: set[str], touched: set[str]
) -> tuple[list[str], list[str]]:
    """For a CPU task: the memrefs it needs whose current copy a GPU task may
    hold (copied back first), and those it writes that a GPU task may hold a
    copy of (stale after it); nothing for a GPU task.  WRITTEN and TOUCHED
    are device_touched's."""
    if tp.gpu:
        return [], []
    return [m for m in tp.needs if m in written], [m for m in tp.writes if m in touched]


def device_touched(schedule: Schedule) -> tuple[set[str], set[str]]:
    """Memrefs some GPU task writes (their host copy may be stale) and touches."""
    written = {m for tp in schedule.tasks if tp.gpu for m in tp.writes}
    touched = written | {m for tp in schedule.tasks if tp.gpu for m in tp.needs}
    return written, touched


def param_decl(m: Value, name: str, written: bool) -> str:
    t = m.type
    assert isinstance(t, MemRefType)
    const = "" if written else "const "
    return f"{const}{storage_type(t.elem)} *restrict {name}"


def task_comment(task: Task, tp: TaskInfo, gpu: str) -> tuple[str, ...]:
    where = f"on %{tp.target} ({tp.arch})"
    if tp.gpu and gpu == "emulate":
        where += ", emulated on the CPU"
    title = tp.name if tp.name == tp.value else f"{tp.name} (%{tp.value})"
    placed = f"pinned to rank {rank_expr(tp.slot)}" if tp.pinned else f"rank {rank_expr(tp.slot)}"
    if tp.split is not None:
        placed = f"split by rows: each rank runs its block of rows [{tp.split.lo}, {tp.split.hi})"
    lines = [f"{title}: {where}; level {tp.level}, {placed}."]
    if tp.loops:
        lines.append(f"Runs once per iteration of loop {', '.join(str(n) for n in tp.loops)}.")
    reads = ", ".join(f"%{m}" for m in tp.reads) or "nothing"
    lines.append(f"Reads {reads}.")
    for case in tp.write_cases:
        lines.append(f"Writes %{case.memref}: {case.reason}.")
    return tuple(lines)


# --------------------------------------------------------------------------
# Levels, transfers and the final gathering


class Steps:
    """The level functions: the schedule's fetches as MPI calls, the task calls, the owners."""

    def __init__(
        self,
        schedule: Schedule,
        memrefs: dict[str, MemrefView],
        tasks: tuple[TaskView, ...],
        device: tuple[set[str], set[str]],
        local: LevelLocals,
        ivs: list[LoopIV] | None = None,
        compact: bool = False,
    ):
        self.compact = compact
        self.ivs = ivs or []
        self.locals = local
        self.schedule = schedule
        self.memrefs = memrefs
        self.tasks = tasks
        self.device_written, self.device_touched = device

    def where(self, tp: TaskInfo) -> str:
        if tp.split is not None:
            return f"{tp.name} (level {tp.level}, split by rows)"
        return f"{tp.name} (level {tp.level}, rank {rank_expr(tp.slot)})"

    def level(self, n: int, fname: str) -> LevelView:
        level = self.schedule.levels[n]
        group = [self.schedule.tasks[k] for k in level.tasks]
        fetches = tuple(self.fetch(f) for f in level.fetches)
        calls = tuple(self.call(tp) for tp in group)
        wrote = tuple(self.wrote(tp, m) for tp in group for m in tp.writes)
        used = {x.memref for x in fetches if not x.noop} | {
            m for tp in group if not tp.gpu for m in tp.touched
        }
        loops = sorted({n for tp in group for n in tp.ivs})
        return LevelView(
            index=n,
            fname=fname,
            names=", ".join(tp.name for tp in group),
            pointers=tuple(m for m in self.memrefs.values() if m.name in used),
            fetches=fetches,
            calls=calls,
            wrote=wrote,
            barrier=level.barrier,
            ivs=tuple(self.ivs[n].var for n in loops),
            compact=self.compact,
            ordered=level.ordered or "",
        )

    def final(self, fname: str) -> LevelView:
        fetches = tuple(self.fetch(f) for f in self.schedule.final)
        used = {x.memref for x in fetches if not x.noop}
        return LevelView(
            index=len(self.schedule.levels),
            fname=fname,
            names="every written memref to rank 0",
            pointers=tuple(m for m in self.memrefs.values() if m.name in used),
            fetches=fetches,
            calls=(),
            wrote=(),
            barrier=False,
            compact=self.compact,
        )

    def fetch(self, f: Fetch) -> FetchView:
        w = self.schedule.tasks[f.writer]
        m = self.memrefs[f.memref]
        if f.task is None:
            comment = f"%{f.memref} to rank 0, last written by {self.where(w)}"
            why = f"%{f.memref} to rank 0"
        else:
            tp = self.schedule.tasks[f.task]
            verb = "reads" if f.reads else "writes only part of"
            comment = f"{self.where(tp)} {verb} %{f.memref}, last written by {self.where(w)}"
            if f.writer >= f.task:
                comment += " in the previous iteration"
            why = f"%{f.memref} for {tp.name}"
        if f.noop is not None:
            comment += f"; {f.noop}"
        info = self.schedule.memrefs[m.index]
        nrows = info.rows
        rows, split = f"0, {nrows}", None
        if f.split is not None:
            blk = self.locals.blk
            split = f"{f.split.lo}, {f.split.hi}"
            if f.split.whole:
                comment += "; every rank with rows needs every row"
            elif f.split.before or f.split.after:
                lo = f"{blk}.lo - {-f.split.before}" if f.split.before else f"{blk}.lo"
                hi = f"{blk}.hi + {f.split.after}" if f.split.after else f"{blk}.hi"
                lo_c = f"{blk}.lo >= {-f.split.before} ? {lo} : 0" if f.split.before else lo
                hi_c = f"{hi} < {nrows} ? {hi} : {nrows}" if f.split.after else hi
                rows = f"{lo_c}, {hi_c}"
                comment += (
                    f"; each rank needs the rows of its block [a, b) from a{f.split.before:+d} "
                    f"to b{f.split.after:+d} (its halo)"
                )
            else:
                rows = f"{blk}.lo, {blk}.hi"
                comment += "; each rank needs the rows of its block"
        elems = info.shape[1:]
        row_elems = 1
        for d in elems:
            row_elems *= d
        return FetchView(
            comment=comment,
            memref=f.memref,
            enum=m.enum,
            dst=rank_expr(f.slot),
            why=why,
            noop=f.noop is not None,
            buf=m.var,
            row_elems=row_elems,
            row_bytes=info.row_bytes,
            mpi_type=m.mpi_type,
            host_use=f.memref in self.device_written,
            host_wrote=f.memref in self.device_touched,
            rows=rows,
            split=split,
        )

    def call(self, tp: TaskInfo) -> CallView:
        task = self.tasks[tp.index]
        emulated = tp.gpu and not task.in_cuda
        where = f"%{tp.target} ({tp.arch})" + (", emulated" if emulated else "")
        uses, wrote = host_side(tp, self.device_written, self.device_touched)
        host_use = tuple(self.memrefs[m].enum for m in uses)
        host_wrote = tuple(self.memrefs[m].enum for m in wrote)
        split = None if tp.split is None else f"{tp.split.lo}, {tp.split.hi}"
        if split is not None:
            where += f", split by rows [{split}): every rank runs its block"
        return CallView(rank_expr(tp.slot), tp.name, f"{task.fname}({', '.join(task.args)})",
                        f"{tp.name} on {where}", host_use, host_wrote, split)  # fmt: skip

    def wrote(self, tp: TaskInfo, m: str) -> WroteView:
        rows = self.schedule.memrefs[self.memrefs[m].index].rows
        if tp.split is not None:
            comment = f"the rows of %{m} in each block are now valid only on the rank that ran it"
            split = f"{tp.split.lo}, {tp.split.hi}"
            return WroteView(self.memrefs[m].enum, "", comment, split, rows)
        comment = f"%{m} is now valid only on the rank of {tp.name}"
        return WroteView(self.memrefs[m].enum, rank_expr(tp.slot), comment, None, rows)
