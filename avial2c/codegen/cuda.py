"""CUDA sources of the GPU tasks (``--gpu cuda``): PROG.cu beside PROG.c.

Every ``gpu.launch`` of a GPU task becomes one ``__global__`` kernel; each
GPU task becomes an ``extern "C"`` function (PROG.c declares and calls it)
that

1. asks for the device copy of every memref the task touches
   (``av_dev_use``, runtime_c/av_device.h: copied from the host only when
   the device copy is stale; not at all when the kernels overwrite every
   element),
2. launches its kernels in program order with the grid and block sizes of
   each ``gpu.launch`` (constants: the checker makes sure), checking the
   launch and then the kernel's completion, naming the task on failure,
3. marks each memref it wrote as current on the device only
   (``av_dev_wrote``): it stays there for later GPU tasks on the rank until
   host code or another rank needs it.

Kernel bodies are translated by :class:`cbody.Translator`, with the
launch's ids read from ``blockIdx``/``threadIdx`` (grid and block sizes are
literals), ``gpu.barrier`` as ``__syncthreads()`` and workgroup
``memref.alloca`` as zeroed ``__shared__`` arrays.  nvcc compiles the file
with ``--fmad=false``, so float expressions round exactly as written.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from avial2c import __version__
from avial2c.codegen.body import (
    MAX_SCRATCH_BYTES,
    Comment,
    Line,
    Loop,
    Stmt,
    Translator,
    int_value,
    used_values,
)
from avial2c.codegen.emulate import LaunchShape, bind_id_ops, is_workgroup_alloca
from avial2c.codegen.names import Namer, storage_type
from avial2c.codegen.render import environment
from avial2c.codegen.views import DeviceUse, FileView, MemrefView, TaskView
from avial2c.diagnostics import CompileError
from avial2c.ir import CheckedProgram, MemRefType, Op, Task, Value, is_gpu_arch, walk_ops
from avial2c.ops import DIM_NAMES

# A plain `gpu` target: Ampere machine code plus its PTX, which the driver
# compiles for any newer GPU at load time.
DEFAULT_ARCH = "sm_80"


@dataclass(frozen=True)
class KernelView:
    name: str
    comment: str  # the launch configuration
    params: tuple[str, ...]
    args: tuple[str, ...]  # the launcher's device pointers, in parameter order
    body: tuple[Stmt, ...]
    # What the launcher passes, in parameter order: the task's memrefs and the
    # schedule loops' induction variables (the Python backend names its own).
    values: tuple[Value, ...]
    shape: LaunchShape
    grid_x: str | None = None  # a split launch: its x grid size, an expression of its rows

    @property
    def grid(self) -> str:
        if self.grid_x is not None:
            return "dim3((unsigned)({}), {}, {})".format(self.grid_x, *self.shape.grid[1:])
        return "dim3({}, {}, {})".format(*self.shape.grid)

    @property
    def block(self) -> str:
        return "dim3({}, {}, {})".format(*self.shape.block)


@dataclass(frozen=True)
class LauncherView:
    task: TaskView  # its name, comment, device copies and writes
    kernels: tuple[KernelView, ...]
    unused: tuple[str, ...] = ()  # induction-variable parameters no kernel takes


@dataclass(frozen=True)
class CudaFileView:
    source: str
    version: str
    command: str
    memrefs: tuple[MemrefView, ...]
    launchers: tuple[LauncherView, ...]


def gpu_archs(program: CheckedProgram) -> tuple[str, ...]:
    """The archs nvcc compiles for: those of the GPU targets tasks run on."""
    archs = {
        DEFAULT_ARCH if t.target.arch == "gpu" else t.target.arch
        for t in program.tasks
        if is_gpu_arch(t.target.arch)
    }
    return tuple(sorted(archs))


def cuda_source(program: CheckedProgram, view: FileView) -> str:
    """PROG.cu for PROGRAM, whose PROG.c view (``gpu="cuda"``) is VIEW."""
    launchers = cuda_launchers(program, view)
    cu = CudaFileView(
        source=program.file,
        version=__version__,
        command=view.command,
        memrefs=view.memrefs,
        launchers=launchers,
    )
    return environment().get_template("program.cu.j2").render(f=cu)


def cuda_launchers(program: CheckedProgram, view: FileView) -> tuple[LauncherView, ...]:
    """The launchers (and kernels) of PROGRAM's GPU tasks; VIEW is its PROG.c view
    with ``gpu="cuda"``."""
    names = Namer({m.enum for m in view.memrefs} | {t.fname for t in view.tasks})
    return tuple(
        launcher_view(task, tv, names)
        for task, tv in zip(program.tasks, view.tasks, strict=True)
        if tv.in_cuda
    )


def kernels_source(
    program: CheckedProgram, launchers: tuple[LauncherView, ...], command: str
) -> str:
    """The kernels of LAUNCHERS alone, extern "C", for pycuda (the Python backend)."""
    cu = CudaFileView(
        source=program.file,
        version=__version__,
        command=command,
        memrefs=(),
        launchers=launchers,
    )
    return environment().get_template("kernels.cu.j2").render(f=cu)


def launcher_view(task: Task, tv: TaskView, file_names: Namer) -> LauncherView:
    task = tv.launched or task  # a split task: its launch over the rank's rows
    launches = [op for op in task.body.ops if op.name == "gpu.launch"]
    kernels = []
    for k, launch in enumerate(launches):
        wanted = f"{tv.fname}_kernel" if len(launches) == 1 else f"{tv.fname}_kernel{k}"
        kernel = kernel_view(task, launch, file_names.fresh(wanted), tv.device, tv.ivs)
        if tv.grid_x is not None:  # split by rows: the blocks of the rank's rows only
            comment = f"{kernel.comment} at most; split by rows: the blocks of the rank's rows"
            kernel = replace(kernel, grid_x=tv.grid_x, comment=comment)
        kernels.append(kernel)
    passed = {a for k in kernels for a in k.args}
    return LauncherView(tv, tuple(kernels), tuple(name for _, name in tv.ivs if name not in passed))


def kernel_view(
    task: Task,
    launch: Op,
    name: str,
    device: tuple[DeviceUse, ...],
    ivs: tuple[tuple[Value, str], ...] = (),
) -> KernelView:
    """The kernel of LAUNCH; its memref parameters keep the launcher's names, and
    so do the schedule loops' induction variables it uses (int64_t parameters)."""
    named = {x for op in walk_ops(launch.regions[0]) for x in op.operands}
    values = {m.name: m for m in task.reads + task.writes}
    mine = [(values[d.memref], d) for d in device if values[d.memref] in named]
    names: dict[Value, str] = {m: d.var for m, d in mine}
    its_ivs = [(v, n) for v, n in ivs if v in named]
    names.update(its_ivs)
    namer = Namer(names.values())
    params = tuple(f"{'const ' if d.const else ''}{d.ctype} *__restrict__ {d.var}" for _, d in mine)
    params += tuple(f"int64_t {n}" for _, n in its_ivs)
    shape = LaunchShape.of(launch)
    tr = KernelTranslator(namer, names, used_values(launch.regions[0]))
    tr.shape = shape
    prologue = bind_kernel_ids(tr, launch, shape)
    body = prologue + tr.block(launch.regions[0].ops, in_parallel=True)
    return KernelView(
        name=name,
        comment=f"gpu.launch: {shape.describe()}",
        params=params,
        args=tuple(d.var for _, d in mine) + tuple(n for _, n in its_ivs),
        body=tuple(body),
        values=tuple(m for m, _ in mine) + tuple(v for v, _ in its_ivs),
        shape=shape,
    )


def bind_kernel_ids(tr: Translator, launch: Op, shape: LaunchShape) -> list[Stmt]:
    """Locals for the ids the body uses; sizes are literals, ids of extent 1 are 0."""
    args = launch.regions[0].args
    global_dims = {
        DIM_NAMES.find(str(op.attr("dimension", "x")))
        for op in walk_ops(launch.regions[0])
        if op.name == "gpu.global_id"
    }
    out: list[Stmt] = []
    for d in range(3):
        tr.names[args[6 + d]] = str(shape.grid[d])
        tr.names[args[9 + d]] = str(shape.block[d])
    for base, builtin, sizes in ((0, "blockIdx", shape.grid), (3, "threadIdx", shape.block)):
        for d, extent in enumerate(sizes):
            v = args[base + d]
            if extent == 1:
                tr.names[v] = "0"
            elif v in tr.used or d in global_dims:
                out.append(
                    Line(f"const int64_t {tr.define(v)} = (int64_t){builtin}.{DIM_NAMES[d]};")
                )
            else:
                tr.names[v] = f"(int64_t){builtin}.{DIM_NAMES[d]}"
    bind_id_ops(tr, launch, shape)
    return out


class KernelTranslator(Translator):
    """The Translator inside a ``__global__`` function."""

    shape: LaunchShape

    def __post_init__(self) -> None:
        super().__post_init__()
        self.handlers["gpu.barrier"] = self.barrier
        self.handlers["memref.alloca"] = self.kernel_alloca
        self.handlers["memref.alloc"] = self.kernel_alloca
        self.handlers["memref.dim"] = self.kernel_dim

    def barrier(self, op: Op, in_parallel: bool) -> list[Stmt]:
        return [Line("__syncthreads();  /* gpu.barrier */")]

    def kernel_alloca(self, op: Op, in_parallel: bool) -> list[Stmt]:
        if not is_workgroup_alloca(op):
            return self.alloca(op, in_parallel)
        t = op.result.type
        assert isinstance(t, MemRefType)
        if t.nbytes > MAX_SCRATCH_BYTES:
            raise CompileError(
                f"workgroup memory {t} ({t.nbytes} bytes) is larger than the "
                f"{MAX_SCRATCH_BYTES} bytes of shared memory a block may use",
                op.span,
            )
        name = self.define(op.result)
        n = max(t.numel, 1)
        self.namer.push()
        i = self.namer.fresh("i")
        self.namer.pop()
        first, threads = linear_thread(self.shape), self.shape.threads
        step = "++" + i if threads == 1 else f"{i} += {threads}"
        return [
            Line(f"__shared__ {storage_type(t.elem)} {name}[{n}];  /* {op.name}: {t} */"),
            Comment("workgroup memory starts zeroed, as in the reference interpreter"),
            Loop(f"for (int64_t {i} = {first}; {i} < {n}; {step})", (Line(f"{name}[{i}] = 0;"),)),
            Line("__syncthreads();"),
        ]

    def kernel_dim(self, op: Op, in_parallel: bool) -> list[Stmt]:
        m, index = op.operands
        t = m.type
        assert isinstance(t, MemRefType)
        d = int_value(index)
        if d is not None and 0 <= d < len(t.shape):
            return self.decl(op.result, op, str(t.shape[d]))
        x = self.operand(index)
        choice = "0"
        for k in reversed(range(len(t.shape))):
            choice = f"({x} == {k} ? {t.shape[k]} : {choice})"
        return self.decl(op.result, op, f"(int64_t){choice}")


def linear_thread(shape: LaunchShape) -> str:
    """The index of the thread in its block, from threadIdx."""
    terms = []
    stride = 1
    for d in range(3):
        if shape.block[d] > 1:
            ident = f"(int64_t)threadIdx.{DIM_NAMES[d]}"
            terms.append(ident if stride == 1 else f"{ident} * {stride}")
        stride *= shape.block[d]
    return " + ".join(reversed(terms)) or "0"
