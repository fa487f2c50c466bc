"""The view model of the generated sources: what the templates render.

Frozen records built by :mod:`avial2c.codegen.c` (and read by
:mod:`avial2c.codegen.cuda`); every decision is made before a record is
built, so the templates only loop and call macros.
"""

from __future__ import annotations

from dataclasses import dataclass

from avial2c.codegen.body import Stmt
from avial2c.ir import Task, Value


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
    numel: int  # elements: the count of its MPI messages
    mpi_type: str  # MPI datatype of its elements


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
    rows: str | None = None  # a split task: the rows it needs there, "lo, hi" in C (else all)


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
    # The schedule loops' induction variables its body uses, with their parameter names
    # (a split GPU task: then the first and last-plus-one row of the rank's block).
    ivs: tuple[tuple[Value, str], ...] = ()
    # False when the task calls another task's function (same body; compact form).
    defined: bool = True
    shared: bool = False  # other tasks call this function too (compact form)
    # A GPU task split by rows: the rows it writes, "lo, hi" in C; the task with
    # its launch over those rows only (transforms.split_launch); that launch's
    # x grid size, a C expression.
    wrote_rows: str | None = None
    launched: Task | None = None
    grid_x: str | None = None


@dataclass(frozen=True)
class FetchView:
    """A memref a task needs on its rank (or rank 0 at the end): maybe a transfer."""

    comment: str
    memref: str  # MLIR name without '%'
    enum: str  # MEM_B
    dst: str  # rank expression
    why: str  # short name of the transfer, for traces and errors
    noop: bool  # provably moves nothing for every number of ranks
    buf: str  # the data pointer
    row_elems: int  # elements of one row (dimension 0)
    row_bytes: int
    mpi_type: str
    host_use: bool  # a GPU task may hold the current copy: the sender copies it back first
    host_wrote: bool  # a GPU task may hold a device copy: the receive makes it stale
    rows: str  # C expressions of the first row and the last plus one that are needed
    split: str | None = None  # a split task's "lo, hi": every rank with rows asks for its own


@dataclass(frozen=True)
class LevelLocals:
    """Names of the level functions' locals, clear of the memrefs' pointers."""

    q: str  # a rank, in loops over all ranks
    k: str  # a message, in loops over the moves
    x: str  # the current move
    blk: str  # a rank's block of rows
    mv: str  # the moves the owner table decided
    post: str = "post_moves"  # the compact form's function that posts them (file scope)


@dataclass(frozen=True)
class CallView:
    rank: str
    name: str
    call: str
    comment: str
    host_use: tuple[str, ...] = ()  # enums whose host copy must be current first
    host_wrote: tuple[str, ...] = ()  # enums whose device copy the task makes stale
    split: str | None = None  # split by rows: "lo, hi" of its rows; every rank runs its block


@dataclass(frozen=True)
class WroteView:
    memref: str
    rank: str
    comment: str
    split: str | None = None  # split by rows: "lo, hi"; each rank wrote its block
    rows: int = 1  # rows of the memref


@dataclass(frozen=True)
class LevelView:
    """One level function: its transfers, its tasks, the new owners, the barrier."""

    index: int
    fname: str
    names: str
    pointers: tuple[MemrefView, ...]  # the memrefs its transfers and CPU tasks use
    fetches: tuple[FetchView, ...]
    calls: tuple[CallView, ...]
    wrote: tuple[WroteView, ...]
    barrier: bool
    ivs: tuple[str, ...] = ()  # induction variables its tasks use: int64_t parameters
    loop: str = ""  # "in loop N" for a level in a time loop
    compact: bool = False  # its transfers are calls to post_moves (FileView.compact)
    ordered: str = ""  # --sync barrier without the barrier: why (StepLevel.ordered)

    @property
    def params(self) -> str:
        return "".join(f", int64_t {v}" for v in self.ivs)

    @property
    def posts(self) -> bool:
        return any(not f.noop for f in self.fetches)

    @property
    def uses_rank(self) -> bool:
        return bool(self.calls) or (self.posts and not self.compact)

    @property
    def uses_size(self) -> bool:
        ranks = [c.rank for c in self.calls if c.split is None]
        ranks += [w.rank for w in self.wrote if w.split is None]
        ranks += [x.dst for x in self.fetches if not x.noop and x.split is None]
        split = any(c.split for c in self.calls) or any(w.split for w in self.wrote)
        return split or any(x.split for x in self.fetches) or any("size" in r for r in ranks)


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
    outputs: tuple[MemrefView, ...]
    tasks: tuple[TaskView, ...]
    levels: tuple[LevelView, ...]
    final: LevelView  # the gathering of the results on rank 0
    local: LevelLocals
    main: tuple[str, ...] = ()  # main()'s level calls and time loops, one C line each
    main_tables: tuple[str, ...] = ()  # the compact form: tables of level functions main runs
    fixed_size: int | None = None  # --placement heft: the only world size it runs on
    machine: str = ""  # --placement heft: the machine file, or "defaults"
    # The compact form of a large program: each transfer one call to post_moves,
    # tasks with the same body one function (codegen.c.LARGE_PROGRAM).
    compact: bool = False

    @property
    def transfers(self) -> int:
        """Transfer sites: the fetches of the levels and the gathering that may move data."""
        return sum(1 for level in (*self.levels, self.final) for x in level.fetches if not x.noop)
