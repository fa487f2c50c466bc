"""The Python generator: a checked program and its schedule → one readable Python file.

``generate_py(program, schedule)`` is the Python twin of
:func:`avial2c.codegen.c.generate`: the same schedule, rendered with the
Jinja2 templates ``templates/*.py.j2`` as a program that uses mpi4py for
the plan's transfers and NumPy for the task bodies, and runs on any number
of ranks (``mpirun -n NP python3 PROG.py``):

* one function per task: NumPy operations on slices when the body is one
  elementwise ``scf.parallel`` or ``gpu.launch``
  (:mod:`avial2c.codegen.vectorize`), else a
  call into the reference interpreter's closures on the rank's arrays
  (:class:`avial2c.pyrt.Bodies`; the program carries its own source, the
  typed custom form of the checked program, for them);
* one function per level: for each of the schedule's fetches it asks the
  owner table (:class:`avial2c.plan.owners.Owners`, the model of ``--emit
  plan`` and twin of ``runtime_c/av_owners.c``) which rows move from
  where, and the two ranks concerned post ``comm.Irecv``/``comm.Isend`` on
  the rows of the memref's array, right there; ``MPI.Request.Waitall``
  completes them before the tasks run under ``if rank == k % size:``
  (split tasks over their block, :func:`avial2c.plan.owners.block`); then
  the new owners, and ``comm.Barrier()`` under ``--sync barrier``;
* ``main``: the level calls, time loops as ``for`` loops, the gathering on
  rank 0 and the report (:mod:`avial2c.pyrt`); ``--placement heft``'s
  world-size check.

Every rank makes the same owner-table calls in the same order as the C
program, so the messages (sources, rows, tags) are the same.

GPU tasks keep device copies as the C program does
(:class:`avial2c.pyrt.DeviceCopies`, the twin of runtime_c/av_device.c):
a GPU task asks for the device copy of each memref it touches and marks
what it wrote; host code (a CPU task, a send, the outputs) asks for the
host copy first and marks what it changed, at the same places as in the
C, so the copies are those of ``--emit plan``.  With ``--gpu cuda`` the
device copies live in CUDA memory and the task launches the kernels of
PROG.cu, carried in the program as KERNELS_SOURCE and compiled by pycuda;
with ``--gpu emulate`` they are separate NumPy arrays and the task's body
runs on them (vectorised or through the closures).

The output is deterministic: the same program gives byte-identical text.
"""

from __future__ import annotations

import builtins
import keyword
import re
from dataclasses import dataclass

from avial2c import __version__
from avial2c.codegen.c import (
    block_rows,
    device_need,
    device_touched,
    host_side,
    plural,
    rank_expr,
    task_comment,
)
from avial2c.codegen.c import (
    file_view as c_file_view,
)
from avial2c.codegen.cuda import LauncherView, cuda_launchers, kernels_source
from avial2c.codegen.render import environment
from avial2c.codegen.vectorize import NotVectorizable, vectorize
from avial2c.diagnostics import CompileError
from avial2c.ir import CheckedProgram, Task, Value, schedule_ivs
from avial2c.plan.schedule import Fetch, LoopStep, Schedule, TaskInfo
from avial2c.printer.custom import print_custom
from avial2c.transforms.split_launch import grid_x

GPU_MODES = ("emulate", "cuda")

# --------------------------------------------------------------------------
# Names


PY_RESERVED = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(dir(builtins))
# Module-level names of every generated program.
MODULE_NAMES = (
    "np", "MPI", "sys", "pyrt", "MEMREFS", "OUTPUTS", "SOURCE", "BODIES", "KERNELS",
    "KERNELS_SOURCE", "main",
)  # fmt: skip
_NOT_IDENT = re.compile(r"[^A-Za-z0-9_]")


class PyNamer:
    """Unique Python identifiers from MLIR names (``%0`` → ``v0``), away from
    keywords, builtins and TAKEN; a taken name gets ``_2``, ``_3``..."""

    def __init__(self, taken: set[str] | frozenset[str] = frozenset()) -> None:
        self.taken = set(taken)

    def fresh(self, wanted: str) -> str:
        base = re.sub("_+", "_", _NOT_IDENT.sub("_", wanted)).strip("_") or "v"
        if base[0].isdigit():
            base = f"v{base}"
        if base in PY_RESERVED or base.startswith("__"):
            base += "_"
        name, n = base, 2
        while name in self.taken or name in PY_RESERVED:
            name = f"{base}_{n}"
            n += 1
        self.taken.add(name)
        return name


# --------------------------------------------------------------------------
# The view model of templates/*.py.j2


@dataclass(frozen=True)
class PyMemref:
    index: int
    name: str
    elem: str
    shape: str  # a Python tuple
    type_text: str
    output: bool


@dataclass(frozen=True)
class PyTask:
    fname: str
    comment: tuple[str, ...]
    params: str
    body: tuple[str, ...]


@dataclass(frozen=True)
class PyFetch:
    comment: str
    noop: bool
    memref: str  # the name, without %
    buf: str  # the array whose rows [mv.lo, mv.hi) move
    dst: str  # rank expression
    rows: str  # Python expressions "first, last + 1"
    split: str | None = None  # a split task's rows "lo, hi": every rank with rows asks for its own
    index: int = 0  # the memref's index in MEMREFS
    why: str = ""  # short name of the transfer, for device copies in traces
    host_use: bool = False  # a GPU task may hold the current copy: the sender copies it back first
    host_wrote: bool = False  # a GPU task may hold a device copy: the receive makes it stale


@dataclass(frozen=True)
class PyCall:
    rank: str
    name: str  # display name
    call: str
    comment: str
    split: str | None = None
    host_use: tuple[tuple[int, str], ...] = ()  # (index, name): host copy made current first
    host_wrote: tuple[tuple[int, str], ...] = ()  # (index, name): device copy stale after


@dataclass(frozen=True)
class PyWrote:
    memref: str
    rank: str
    rows: int
    comment: str
    split: str | None = None


@dataclass(frozen=True)
class PyLevel:
    index: int
    fname: str
    names: str
    params: str
    pointers: tuple[tuple[str, int, str], ...]  # (variable, memref index, memref name)
    fetches: tuple[PyFetch, ...]
    calls: tuple[PyCall, ...]
    wrote: tuple[PyWrote, ...]
    barrier: bool
    local: dict[str, str]
    wait: str
    ordered: str = ""  # --sync barrier without the barrier: why (StepLevel.ordered)

    @property
    def posts(self) -> bool:
        return any(not f.noop for f in self.fetches)


@dataclass(frozen=True)
class PyFile:
    source: str
    version: str
    command: str
    summary: str
    sync: str
    gpu: str  # emulate | cuda
    gpu_tasks: bool
    memrefs: tuple[PyMemref, ...]
    outputs: tuple[PyMemref, ...]
    tasks: tuple[PyTask, ...]
    levels: tuple[PyLevel, ...]
    final: PyLevel
    main: tuple[str, ...]
    main_local: dict[str, str]
    fixed_size: int | None
    machine: str
    program_text: tuple[str, ...]  # SOURCE, one Python string literal per line
    closures: int  # tasks that run through the interpreter's closures
    kernels_text: tuple[str, ...] = ()  # KERNELS_SOURCE (--gpu cuda), one literal per line


# --------------------------------------------------------------------------
# Entry point


def generate_py(program: CheckedProgram, schedule: Schedule, gpu: str = "emulate") -> str:
    """The Python program for PROGRAM (checked) and its SCHEDULE, for any number of
    ranks; GPU tasks run their CUDA kernels through pycuda (``gpu="cuda"``) or
    their bodies on the CPU (``"emulate"``)."""
    if gpu not in GPU_MODES:
        raise CompileError(f"unknown --gpu mode '{gpu}' (expected emulate or cuda)", program.span)
    return render(file_view(program, schedule, gpu))


def render(view: PyFile) -> str:
    env = environment()
    env.filters["py_comment"] = py_comment
    env.filters["py_str"] = py_str
    return env.get_template("program.py.j2").render(f=view)


def py_comment(text: str) -> str:
    """TEXT made safe on one comment line."""
    return "".join(c if c >= " " or c == "\t" else " " for c in str(text))


def py_str(text: str) -> str:
    """A Python string literal of TEXT, in double quotes where it holds none."""
    r = repr(str(text))
    if r.startswith("'") and '"' not in text:
        r = '"' + r[1:-1].replace("\\'", "'") + '"'
    return r


def file_view(program: CheckedProgram, schedule: Schedule, gpu: str = "emulate") -> PyFile:
    gpu_tasks = any(t.gpu for t in schedule.tasks)
    gpu = gpu if gpu_tasks else "emulate"
    command = f"avial2c {program.file} --emit py --sync {schedule.sync} --gpu {gpu}" + (
        f" --placement heft --ranks {schedule.size}" if schedule.size else ""
    )
    launchers: dict[int, LauncherView] = {}
    kernels_text: tuple[str, ...] = ()
    if gpu == "cuda":
        view = c_file_view(program, schedule, "cuda")
        found = cuda_launchers(program, view)
        in_cuda = [k for k, tv in enumerate(view.tasks) if tv.in_cuda]
        launchers = dict(zip(in_cuda, found, strict=True))
        text = kernels_source(program, found, command)
        kernels_text = tuple(py_str(line) for line in text.splitlines(True))
    module = PyNamer(set(MODULE_NAMES))
    fnames = [module.fresh(task_function_name(t)) for t in program.tasks]
    lnames = [module.fresh(f"level{n}") for n in range(len(schedule.levels))]
    gather = module.fresh("gather_results")
    loop_vars = list(schedule_ivs(program.loops_body))
    main_names = PyNamer(module.taken)
    main_local = {k: main_names.fresh(k) for k in ("ctx", "own")}
    iv_names = [main_names.fresh(v.name) for v in loop_vars]
    memrefs = tuple(
        PyMemref(k, m.name, info.elem, shape_text(info.shape), info.type, info.written)
        for k, (m, info) in enumerate(zip(program.memrefs, schedule.memrefs, strict=True))
    )
    index = {m.name: m.index for m in memrefs}
    views = []
    for k, task in enumerate(program.tasks):
        tp, lv = schedule.tasks[k], launchers.get(k)
        views.append(task_view(task, tp, fnames[k], module.taken, loop_vars, gpu, index, lv))
    tasks = tuple(views)
    levels = Levels(schedule, memrefs, fnames, module.taken, main_local, gpu == "emulate")
    level_views = tuple(levels.level(n, lnames[n]) for n in range(len(schedule.levels)))
    fixed = schedule.size
    return PyFile(
        source=program.file,
        version=__version__,
        command=command,
        summary=f"{plural(len(program.tasks), 'task')} in {plural(len(level_views), 'level')} "
        f"over {plural(len(memrefs), 'memref')}.",
        sync=schedule.sync,
        gpu=gpu,
        gpu_tasks=gpu_tasks,
        memrefs=memrefs,
        outputs=tuple(m for m in memrefs if m.output),
        tasks=tasks,
        levels=level_views,
        final=levels.final(gather),
        main=main_calls(schedule, level_views, iv_names, main_local),
        main_local=main_local,
        fixed_size=fixed,
        machine=schedule.machine or "",
        program_text=tuple(py_str(line) for line in print_custom(program).splitlines(True)),
        closures=sum(1 for t in tasks if any("BODIES.run(" in line for line in t.body)),
        kernels_text=kernels_text,
    )


def shape_text(shape: tuple[int, ...]) -> str:
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ", ".join(str(d) for d in shape) + ")"


def task_function_name(task: Task) -> str:
    name = task.name
    return name if name.startswith("task") else f"task_{name}"


def main_calls(
    schedule: Schedule, levels: tuple[PyLevel, ...], ivs: list[str], local: dict[str, str]
) -> tuple[str, ...]:
    """main()'s level calls, the time loops around them as Python for loops."""
    lines: list[str] = []

    def walk(order: tuple[int | LoopStep, ...], indent: str) -> None:
        for step in order:
            if isinstance(step, int):
                args = "".join(f", {v}" for v in level_ivs(schedule, step, ivs))
                lines.append(f"{indent}{levels[step].fname}({local['ctx']}, {local['own']}{args})")
                continue
            lp, v = schedule.loops[step.loop], ivs[step.loop]
            what = f"scf.for %{lp.iv}: {plural(lp.trips, 'iteration')}"
            if lp.trips == 0:
                what += " (runs none)"
            lines.append(
                f"{indent}for {v} in range({lp.lb}, {lp.ub}, {lp.step}):  # {py_comment(what)}"
            )
            before = len(lines)
            walk(step.body, indent + "    ")
            if len(lines) == before:
                lines.append(f"{indent}    pass")

    walk(schedule.order or tuple(range(len(levels))), "    ")
    return tuple(lines)


def level_ivs(schedule: Schedule, n: int, ivs: list[str]) -> list[str]:
    """The induction variables the tasks of level N use, as its parameters."""
    loops = sorted({k for t in schedule.levels[n].tasks for k in schedule.tasks[t].ivs})
    return [ivs[k] for k in loops]


# --------------------------------------------------------------------------
# Task functions


def task_view(
    task: Task,
    tp: TaskInfo,
    fname: str,
    module: set[str],
    loop_vars: list[Value],
    gpu: str = "emulate",
    index: dict[str, int] | None = None,
    launcher: LauncherView | None = None,
) -> PyTask:
    namer = PyNamer(module)
    values = {m.name: m for m in task.reads + task.writes}
    order = [values[name] for name in tp.touched]
    ctx = namer.fresh("ctx") if tp.gpu else ""
    memrefs = {m: namer.fresh(m.name) for m in order}
    loop_ivs = {loop_vars[n]: namer.fresh(loop_vars[n].name) for n in tp.ivs}
    params = ([ctx] if tp.gpu else list(memrefs.values())) + list(loop_ivs.values())
    rows = None
    if tp.split is not None:
        rows = (namer.fresh("row_lo"), namer.fresh("row_hi"))
        params += list(rows)
    comment = task_comment(task, tp, gpu)
    body: list[str] = []
    if tp.gpu:
        assert index is not None
        for m in order:
            read, why = device_need(tp, m.name)
            mode = "pyrt.READ" if read else "pyrt.OVERWRITE"
            need = device_rows(tp, m.name, rows)
            body.append(f"{memrefs[m]} = {ctx}.device.use({index[m.name]}, {mode}, "
                        f"{py_str(tp.name)}{need})  # %{py_comment(m.name)}: {py_comment(why)}")  # fmt: skip
    if launcher is not None:
        if rows is not None:  # the kernels take the block's rows (the launcher's last two ivs)
            loop_ivs = {**loop_ivs, **{v: r for (v, _), r in zip(launcher.task.ivs[-2:], rows,
                                                                  strict=True)}}  # fmt: skip
        body += kernel_launches(tp, launcher, memrefs, loop_ivs, rows)
    elif tp.gpu and rows is not None:
        why = "a GPU task split by rows runs its launch over the rank's rows"
        body += closures_call(task, tp, memrefs, loop_ivs, rows, why)
    else:
        try:
            body += vectorize(task, memrefs, loop_ivs, namer.fresh, rows)
        except NotVectorizable as e:
            body += closures_call(task, tp, memrefs, loop_ivs, rows, str(e))
    if tp.gpu:
        assert index is not None
        block = f", {rows[0]}, {rows[1]}" if rows is not None else ""
        body += [
            f"{ctx}.device.wrote({index[m]}{block})  # %{py_comment(m)}: only the device copy "
            "is current now"
            for m in tp.writes
            if m in tp.touched
        ]
    return PyTask(fname, comment, ", ".join(params), tuple(body))


def kernel_launches(
    tp: TaskInfo,
    launcher: LauncherView,
    memrefs: dict[Value, str],
    loop_ivs: dict[Value, str],
    rows: tuple[str, str] | None = None,
) -> list[str]:
    """KERNELS.launch calls, one per gpu.launch of the task, in program order
    (a split task's over the blocks of the rank's ROWS)."""
    lines = []
    for k in launcher.kernels:
        args = [memrefs[v] if v in memrefs else f"np.int64({loop_ivs[v]})" for v in k.values]
        tup = "(" + ", ".join(args) + ("," if len(args) == 1 else "") + ")"
        grid = str(k.shape.grid)
        if rows is not None and tp.split is not None:
            blocks = grid_x(tp.split, k.shape.block[0], rows[0], rows[1], "//")
            grid = f"({blocks}, {k.shape.grid[1]}, {k.shape.grid[2]})"
        lines.append(f"# {py_comment(k.comment)}")
        lines.append(f"KERNELS.launch({py_str(k.name)}, {grid}, {k.shape.block}, {tup}, "
                     f"{py_str(tp.name)})")  # fmt: skip
    return lines


def device_rows(tp: TaskInfo, m: str, rows: tuple[str, str] | None) -> str:
    """A split GPU task's rows of M its block needs on the device, as the extra
    arguments of DeviceCopies.use ("" for every row)."""
    need = block_rows(tp, m, *rows) if rows is not None else None
    return f", {need}" if need is not None else ""


def closures_call(
    task: Task,
    tp: TaskInfo,
    memrefs: dict[Value, str],
    loop_ivs: dict[Value, str],
    rows: tuple[str, str] | None,
    why: str,
) -> list[str]:
    arrays = ", ".join(f"{py_str(m.name)}: {v}" for m, v in memrefs.items())
    args = [str(tp.index), "{" + arrays + "}"]
    if loop_ivs:
        args.append(
            "ivs={"
            + ", ".join(f"{n}: {v}" for n, v in zip(tp.ivs, loop_ivs.values(), strict=True))
            + "}"
        )
    if rows is not None:
        args.append(f"rows=({rows[0]}, {rows[1]})")
    return [
        f"# Not vectorised ({py_comment(why)}):",
        "# the reference interpreter's closures run the body on this rank's arrays.",
        f"BODIES.run({', '.join(args)})",
    ]


# --------------------------------------------------------------------------
# Levels, transfers and the final gathering


class Levels:
    def __init__(
        self,
        schedule: Schedule,
        memrefs: tuple[PyMemref, ...],
        fnames: list[str],
        module: set[str],
        main_local: dict[str, str],
        emulate: bool = True,
    ) -> None:
        self.schedule = schedule
        self.emulate = emulate
        self.memrefs = {m.name: m for m in memrefs}
        self.device_written, self.device_touched = device_touched(schedule)
        self.fnames = fnames
        self.module = module
        self.main_local = main_local

    def where(self, tp: TaskInfo) -> str:
        if tp.split is not None:
            return f"{tp.name} (level {tp.level}, split by rows)"
        return f"{tp.name} (level {tp.level}, rank {rank_expr(tp.slot)})"

    def namer(self) -> tuple[PyNamer, dict[str, str]]:
        namer = PyNamer(self.module)
        local = {
            k: namer.fresh(k)
            for k in ("ctx", "own", "rank", "size", "comm", "reqs", "mv", "q", "lo", "hi")
        }
        return namer, local

    def level(self, n: int, fname: str) -> PyLevel:
        level = self.schedule.levels[n]
        group = [self.schedule.tasks[k] for k in level.tasks]
        namer, local = self.namer()
        used = {f.memref for f in level.fetches if f.noop is None}
        used |= {m for tp in group if not tp.gpu for m in tp.touched}
        variables = {m.name: namer.fresh(m.name) for m in self.memrefs.values() if m.name in used}
        ivs = [namer.fresh(self.iv_name(k)) for k in self.level_loops(n)]
        loop_ivs = dict(zip(self.level_loops(n), ivs, strict=True))
        return PyLevel(
            index=n,
            fname=fname,
            names=", ".join(tp.name for tp in group),
            params="".join(f", {v}" for v in ivs),
            pointers=tuple((v, self.memrefs[m].index, m) for m, v in variables.items()),
            fetches=tuple(self.fetch(f, variables, local) for f in level.fetches),
            calls=tuple(self.call(tp, variables, loop_ivs, local) for tp in group),
            wrote=tuple(self.wrote(tp, m) for tp in group for m in tp.writes),
            barrier=level.barrier,
            local=local,
            wait=f"transfers before level {n}",
            ordered=level.ordered or "",
        )

    def level_loops(self, n: int) -> list[int]:
        return sorted(
            {k for t in self.schedule.levels[n].tasks for k in self.schedule.tasks[t].ivs}
        )

    def iv_name(self, k: int) -> str:
        return self.schedule.loops[k].iv

    def final(self, fname: str) -> PyLevel:
        namer, local = self.namer()
        used = {f.memref for f in self.schedule.final if f.noop is None}
        variables = {m.name: namer.fresh(m.name) for m in self.memrefs.values() if m.name in used}
        return PyLevel(
            index=len(self.schedule.levels),
            fname=fname,
            names="every written memref to rank 0",
            params="",
            pointers=tuple((v, self.memrefs[m].index, m) for m, v in variables.items()),
            fetches=tuple(self.fetch(f, variables, local) for f in self.schedule.final),
            calls=(),
            wrote=(),
            barrier=False,
            local=local,
            wait="final results to rank 0",
        )

    def fetch(self, f: Fetch, variables: dict[str, str], local: dict[str, str]) -> PyFetch:
        w = self.schedule.tasks[f.writer]
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
            return PyFetch(comment, True, f.memref, "", "", "")
        info = self.schedule.memrefs[self.memrefs[f.memref].index]
        nrows = info.rows
        var = variables[f.memref]
        buf = f"{var}.reshape(1)" if not info.shape else var
        rows, split = f"0, {nrows}", None
        if f.split is not None:
            lo, hi = local["lo"], local["hi"]
            split = f"{f.split.lo}, {f.split.hi}"
            if f.split.whole:
                comment += "; every rank with rows needs every row"
            elif f.split.before or f.split.after:
                first = f"max({lo} - {-f.split.before}, 0)" if f.split.before else lo
                last = f"min({hi} + {f.split.after}, {nrows})" if f.split.after else hi
                rows = f"{first}, {last}"
                comment += (
                    f"; each rank needs the rows of its block [a, b) from a{f.split.before:+d} "
                    f"to b{f.split.after:+d} (its halo)"
                )
            else:
                rows = f"{lo}, {hi}"
                comment += "; each rank needs the rows of its block"
        return PyFetch(comment, False, f.memref, buf, rank_expr(f.slot), rows, split,
                       self.memrefs[f.memref].index, why, f.memref in self.device_written,
                       f.memref in self.device_touched)  # fmt: skip

    def call(
        self, tp: TaskInfo, variables: dict[str, str], ivs: dict[int, str], local: dict[str, str]
    ) -> PyCall:
        touched = [local["ctx"]] if tp.gpu else [variables[m] for m in tp.touched]
        args = touched + [ivs[k] for k in tp.ivs]
        where = f"%{tp.target} ({tp.arch})" + (", on the CPU" if tp.gpu and self.emulate else "")
        split = None
        if tp.split is not None:
            args += [local["lo"], local["hi"]]
            split = f"{tp.split.lo}, {tp.split.hi}"
            where += f", split by rows [{split}): every rank runs its block"
        call = f"{self.fnames[tp.index]}({', '.join(args)})"
        uses, wrote = host_side(tp, self.device_written, self.device_touched)
        host_use = tuple((self.memrefs[m].index, m) for m in uses)
        host_wrote = tuple((self.memrefs[m].index, m) for m in wrote)
        return PyCall(rank_expr(tp.slot), tp.name, call, f"{tp.name} on {where}", split,
                      host_use, host_wrote)  # fmt: skip

    def wrote(self, tp: TaskInfo, m: str) -> PyWrote:
        rows = self.schedule.memrefs[self.memrefs[m].index].rows
        if tp.split is not None:
            comment = f"the rows of %{m} in each block are now valid only on the rank that ran it"
            return PyWrote(m, "", rows, comment, f"{tp.split.lo}, {tp.split.hi}")
        comment = f"%{m} is now valid only on the rank of {tp.name}"
        return PyWrote(m, rank_expr(tp.slot), rows, comment)


__all__ = ["GPU_MODES", "generate_py"]
