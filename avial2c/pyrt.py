"""The runtime of the programs the Python backend writes (``avial2c FILE --emit py``).

A generated program (``templates/program.py.j2``) holds the plan: one
function per task, one per level with its transfers written as mpi4py
``Isend``/``Irecv`` calls, and ``main``.  This module keeps what the C
runtime (``runtime_c/``) keeps for the C programs, and nothing else:

* :func:`start`: MPI, the command line (``--input NAME=FILE.npy``,
  ``--output-dir DIR``, ``--trace FILE.json``, ``--help``, with the messages
  of ``runtime_c/av_args.c``), the memrefs with their default values
  (:func:`avial2c.npyio.default_array`) and the ``--input`` files, read on
  rank 0 (:mod:`avial2c.npyio`) and broadcast;
* the owner table: :class:`avial2c.plan.owners.Owners`, the very model
  ``--emit plan`` uses and the twin of ``runtime_c/av_owners.c``, so a
  Python program posts the same messages, with the same tags, as the C one;
  :func:`block` is ``av_block``;
* :meth:`Context.span`: times a task, a wait or a barrier for ``--trace``,
  and names what the rank was doing when something fails;
* :meth:`Context.finish`: the wall time (the slowest rank's, as in C), the
  ``%NAME = [...]`` lines, ``--output-dir`` and the trace, on rank 0;
* :class:`Bodies`: task bodies that are not vectorised run through the
  reference interpreter's closures (:mod:`avial2c.interp`) on the rank's
  arrays.  The program carries its source as text (the typed custom form of
  the checked program); it is parsed and checked before the clock starts,
  when the program has such tasks.

**Trace.** ``--trace FILE.json`` writes a Chrome/Perfetto trace of all
ranks in the C runtime's format, with fewer kinds of events: tasks, the
waits that complete a level's transfers, barriers, and host <-> GPU copies
(``h2d``/``d2h``, named as the C runtime names them); single messages
(their peers, tags and bytes) are not recorded.

**GPU tasks** (:class:`DeviceCopies`, the twin of runtime_c/av_device.c):
device copies in CUDA memory through pycuda (``--gpu cuda``; the kernels
are compiled by :class:`Kernels`) or in separate NumPy arrays (``--gpu
emulate``), copied only when the copy about to be used is stale.

**Exit statuses**, as the C program's: 0; 2 for a bad command line, a bad
``--input`` file, an output that cannot be written or a wrong world size
(``--placement heft``); 3 when something fails at run time (an MPI call, or
a task body the interpreter stops, e.g. on an out-of-bounds index): the rank
says what and where on stderr and aborts every rank.

mpi4py is imported when a program starts (:func:`start`), not with this
module: ``pip install avial2c[mpi]`` brings it.
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from avial2c.check.checker import check_program
from avial2c.check.split import row_split
from avial2c.diagnostics import CompileError, DiagnosticEngine
from avial2c.frontend.parse import parse_program
from avial2c.interp.base import CBlock, InterpError
from avial2c.interp.compile import TaskCompiler
from avial2c.interp.run import constants, to_array, to_list
from avial2c.ir import (
    INDEX,
    Block,
    CheckedProgram,
    Const,
    MemRefType,
    Op,
    ScalarType,
    Task,
    Value,
    is_gpu_arch,
    schedule_ivs,
)
from avial2c.npyio import (
    InputError,
    default_array,
    format_memref,
    load_typed_input,
    numpy_dtype,
    write_outputs,
)
from avial2c.plan.owners import Owners, block
from avial2c.plan.plan import stale_runs
from avial2c.resources import RUNTIME
from avial2c.transforms.split_launch import split_launch

__all__ = [
    "OVERWRITE",
    "READ",
    "Bodies",
    "Context",
    "DeviceCopies",
    "Kernels",
    "Memref",
    "Owners",
    "block",
    "run",
    "start",
]

EXIT_OK, EXIT_USAGE, EXIT_FAILED = 0, 2, 3


@dataclass(frozen=True)
class Memref:
    """A schedule memref of the program: its name (without %), element type and shape."""

    name: str
    elem: str  # i1 i8 i16 i32 i64 index f32 f64
    shape: tuple[int, ...]

    @property
    def type(self) -> MemRefType:
        return MemRefType(self.shape, ScalarType(self.elem))

    @property
    def rows(self) -> int:
        """Rows (dimension 0) for ownership; a 0-d memref has one."""
        return self.shape[0] if self.shape else 1


# --------------------------------------------------------------------------
# The command line (runtime_c/av_args.c)


class UsageError(Exception):
    """A bad command line; the message has no 'error:' prefix."""


@dataclass
class Args:
    inputs: list[tuple[str, str]] = field(default_factory=list)  # (name, spec)
    output_dir: str | None = None
    trace: str | None = None
    help: bool = False


OPTIONS = ("--input", "--output-dir", "--trace")


def parse_args(argv: Sequence[str]) -> Args:
    """The program's options, as av_parse_args reads them; UsageError when bad."""
    args = Args()
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg in ("--help", "-h"):
            args.help = True
            continue
        opt = next((o for o in OPTIONS if arg == o or arg.startswith(o + "=")), None)
        if opt is None:
            what = "unknown option" if arg.startswith("-") else "unexpected argument"
            raise UsageError(f"{what} '{arg}' (try --help)")
        if arg == opt:
            if i >= len(argv):
                raise UsageError(f"{opt} needs a value")
            value = argv[i]
            i += 1
        else:
            value = arg[len(opt) + 1 :]
        if opt == "--input":
            args.inputs.append((input_name(value, args), value))
        elif opt == "--output-dir":
            args.output_dir = set_once(args.output_dir, opt, value)
        else:
            args.trace = set_once(args.trace, opt, value)
    return args


def input_name(spec: str, args: Args) -> str:
    name, sep, path = spec.removeprefix("%").partition("=")
    if not sep or not name or not path:
        raise UsageError(f"--input '{spec}': expected NAME=FILE.npy")
    if any(name == seen for seen, _ in args.inputs):
        raise UsageError(f"--input {name} given more than once")
    return name


def set_once(old: str | None, opt: str, value: str) -> str:
    if old is not None:
        raise UsageError(f"{opt} given more than once")
    if not value:
        raise UsageError(f"{opt} needs a non-empty value")
    return value


DTYPE_NAMES = {"i1": "bool", "index": "int64"}


def help_text(prog: str, memrefs: Sequence[Memref]) -> str:
    lines = [
        f"usage: {prog} [--input NAME=FILE.npy]... [--output-dir DIR] [--trace FILE.json]",
        "",
        "  --input NAME=FILE.npy  initial contents of schedule memref %NAME (repeatable)",
        "  --output-dir DIR       write every memref a task writes as DIR/NAME.npy",
        "  --trace FILE.json      write a Chrome/Perfetto trace of all ranks",
        "  --help                 print this help",
        "",
        "schedule memrefs (without --input, memref k holds ((i + 3k) mod 11) + 1 at index i):",
    ]
    for m in memrefs:
        dims = ", ".join(str(d) for d in m.shape) + ("," if len(m.shape) == 1 else "")
        lines.append(f"  %{m.name}  {numpy_dtype(ScalarType(m.elem)).name} ({dims})")
    return "\n".join(lines)


# --------------------------------------------------------------------------
# The program's life


@dataclass
class Event:
    name: str
    cat: str
    t0: float
    t1: float


class Context:
    """One rank's state: MPI, the memrefs (``mem``, in schedule order), the clock, the trace."""

    def __init__(self, comm: Any, memrefs: Sequence[Memref], args: Args) -> None:
        from mpi4py import MPI

        self.MPI = MPI
        self.comm = comm
        self.rank: int = comm.Get_rank()
        self.size: int = comm.Get_size()
        self.memrefs = tuple(memrefs)
        self.args = args
        self.mem: list[np.ndarray] = [default_array(k, m.type) for k, m in enumerate(memrefs)]
        self.events: list[Event] = []
        self.doing = "start-up"
        self.device: DeviceCopies | None = None  # programs with GPU tasks
        self.t_start = 0.0
        self.t_stop = 0.0

    # -- start-up

    def exit_all(self, status: int) -> None:
        """Every rank stops with STATUS (after a barrier, so rank 0's message is out)."""
        sys.stdout.flush()
        sys.stderr.flush()
        self.comm.Barrier()
        raise SystemExit(status)

    def load_inputs(self) -> None:
        """Rank 0 reads every --input and broadcasts them; exit 2 when one is bad."""
        types = {m.name: m.type for m in self.memrefs}
        arrays: dict[str, np.ndarray] = {}
        status = EXIT_OK
        if self.rank == 0:
            for name, spec in self.args.inputs:
                if name not in types:
                    print(
                        f"error: --input {spec}: no schedule memref named '{name}'", file=sys.stderr
                    )
                    status = EXIT_USAGE
                    break
            for _, spec in self.args.inputs if status == EXIT_OK else ():
                try:
                    name, arrays[name] = load_typed_input(types, spec)
                except InputError as e:
                    print(f"error: {e}", file=sys.stderr)
                    status = EXIT_USAGE
                    break
        status = self.comm.bcast(status, root=0)
        if status != EXIT_OK:
            self.exit_all(status)
        index = {m.name: k for k, m in enumerate(self.memrefs)}
        for name, _ in self.args.inputs:
            k = index[name]
            if self.rank == 0:
                self.mem[k][...] = arrays[name]
            self.comm.Bcast(self.mem[k].reshape(-1), root=0)

    def require_size(self, size: int, why: str) -> None:
        """--placement heft: unless the world has SIZE ranks, say so and exit 2 (av_require_size)."""
        if self.size == size:
            return
        if self.rank == 0:
            s = "" if size == 1 else "s"
            print(
                f"error: this program runs on {size} rank{s} only ({why}), not on "
                f"{self.size}; run it with -n {size}, or translate it again for "
                f"{self.size} ranks",
                file=sys.stderr,
            )
        self.exit_all(EXIT_USAGE)

    def owners(self) -> Owners:
        """The owner table: every rank holds every row of every memref."""
        return Owners(((m.name, m.rows) for m in self.memrefs), self.size)

    # -- while it runs

    def now(self) -> float:
        return float(self.MPI.Wtime()) - self.t_start

    @contextmanager
    def span(self, cat: str, name: str) -> Iterator[None]:
        """Runs the body as NAME (a task, a wait or a barrier): named in errors, traced."""
        self.doing = name
        t0 = self.now() if self.args.trace is not None else 0.0
        yield
        if self.args.trace is not None:
            self.events.append(Event(name, cat, t0, self.now()))

    def stop_clock(self) -> None:
        if self.t_stop == 0.0:
            self.t_stop = float(self.MPI.Wtime())

    # -- the end

    def finish(self, outputs: Sequence[str]) -> int:
        """The report and the files on rank 0; the exit status, the same on every rank."""
        self.doing = "the outputs"
        self.stop_clock()
        wall = self.comm.reduce(self.t_stop - self.t_start, op=self.MPI.MAX, root=0)
        status = EXIT_OK
        if self.rank == 0:
            index = {m.name: k for k, m in enumerate(self.memrefs)}
            if self.device is not None:
                for name in outputs:
                    # A GPU task may have left the current copy of an output on the device.
                    self.device.host_use(index[name], "the outputs")
            for name in outputs:
                print(format_memref(name, self.mem[index[name]]))
            print(f"wall time: {wall:.6f} s")
            sys.stdout.flush()
            if self.args.output_dir is not None:
                status = self.write_outputs({n: self.mem[index[n]] for n in outputs})
        if self.args.trace is not None:
            traced = self.write_trace(self.args.trace)
            if status == EXIT_OK:
                status = traced
        result: int = self.comm.bcast(status, root=0)
        if self.device is not None:
            self.device.release()
        return result

    def write_outputs(self, arrays: Mapping[str, np.ndarray]) -> int:
        where = self.args.output_dir
        try:
            write_outputs(str(where), arrays)
        except OSError as e:
            print(f"error: --output-dir {where}: cannot write: {e.strerror or e}", file=sys.stderr)
            return EXIT_USAGE
        return EXIT_OK

    def write_trace(self, path: str) -> int:
        """Gathers every rank's events on rank 0, which writes them (av_trace_gather)."""
        gathered = self.comm.gather(self.events, root=0)
        if self.rank != 0:
            return EXIT_OK
        records: list[dict[str, object]] = [
            {"name": "process_name", "ph": "M", "pid": 0, "args": {"name": "avial program"}}
        ]
        for r in range(self.size):
            records.append(
                {
                    "name": "thread_name",
                    "ph": "M",
                    "pid": 0,
                    "tid": r,
                    "args": {"name": f"rank {r}"},
                }
            )
        for r, events in enumerate(gathered):
            for e in events:
                record: dict[str, object] = {
                    "name": e.name,
                    "cat": e.cat,
                    "ph": "X",
                    "ts": round(e.t0 * 1e6, 3),
                    "dur": round((e.t1 - e.t0) * 1e6, 3),
                    "pid": 0,
                    "tid": r,
                }
                records.append(record)
        try:
            lines = ",\n".join(json.dumps(r) for r in records)
            Path(path).write_text(f'{{"traceEvents": [\n{lines}\n]}}\n')
        except OSError as e:
            print(f"error: --trace {path}: cannot write: {e.strerror or e}", file=sys.stderr)
            return EXIT_USAGE
        return EXIT_OK


def start(
    memrefs: Sequence[Memref],
    argv: Sequence[str] | None = None,
    bodies: Bodies | None = None,
    gpu: str | None = None,
) -> Context:
    """MPI, the command line, the memrefs and the --input files (av_init); BODIES,
    when some task runs through the closures, is read before the clock starts.
    GPU (``"emulate"`` or ``"cuda"``, for programs with GPU tasks) starts
    keeping device copies (av_dev_setup); no device is touched before the
    first GPU task."""
    from mpi4py import MPI

    np.seterr(all="ignore")  # IEEE results (inf, nan) without warnings, as in C
    argv = list(sys.argv if argv is None else argv)
    comm = MPI.COMM_WORLD
    try:
        args = parse_args(argv[1:])
    except UsageError as e:
        ctx = Context(comm, (), Args())
        if ctx.rank == 0:
            print(f"error: {e}", file=sys.stderr)
        ctx.exit_all(EXIT_USAGE)
    ctx = Context(comm, memrefs, args)
    if args.help:
        if ctx.rank == 0:
            print(help_text(argv[0] if argv else "program", memrefs))
        ctx.exit_all(EXIT_OK)
    ctx.load_inputs()
    if gpu is not None:
        ctx.doing = "setting up the device copies"
        ctx.device = DeviceCopies(ctx, CudaDevice() if gpu == "cuda" else EmulatedDevice())
    if bodies is not None:
        ctx.doing = "reading the program's source"
        bodies.load()
    comm.Barrier()
    ctx.t_start = float(MPI.Wtime())
    _running[:] = [ctx]
    return ctx


def run(main: Callable[[], int]) -> int:
    """Runs MAIN; a failure on one rank is reported and aborts every rank (exit 3)."""
    try:
        return main()
    except SystemExit:
        raise
    except Exception as e:
        from mpi4py import MPI

        where = _running[0].doing if _running else "start-up"
        rank = MPI.COMM_WORLD.Get_rank()
        if isinstance(e, TaskError | DeviceError):
            print(f"error: rank {rank}: {e}", file=sys.stderr)
        else:
            last = traceback.extract_tb(e.__traceback__)[-1:]
            at = f" ({Path(last[0].filename).name}:{last[0].lineno})" if last else ""
            print(f"error: rank {rank}: {where}: {type(e).__name__}: {e}{at}", file=sys.stderr)
        sys.stderr.flush()
        MPI.COMM_WORLD.Abort(EXIT_FAILED)
        return EXIT_FAILED


_running: list[Context] = []  # the running program's context, for run()'s messages


# --------------------------------------------------------------------------
# Device copies of the memrefs (runtime_c/av_device.c)

# How a GPU task uses a memref (AV_DEV_READ, AV_DEV_OVERWRITE).
READ, OVERWRITE = 1, 2

Rows = tuple[int, int] | None  # rows [lo, hi) of a copy; None: the whole memref


def rows_of(a: np.ndarray) -> int:
    """Rows of an array (dimension 0; a 0-d array has one)."""
    return int(a.shape[0]) if a.ndim else 1


def row_bytes(a: np.ndarray) -> int:
    return a.nbytes // rows_of(a) if rows_of(a) else 0


class DeviceError(Exception):
    """No usable device, or pycuda missing; the message names what was being done."""


class EmulatedDevice:
    """Device copies in separate NumPy arrays (``--gpu emulate``; ``av_emulated_ops``):
    the program makes exactly the copies the CUDA one makes, and a copy the
    program forgot gives wrong results here too."""

    name = "emulated"

    def select(self, local_rank: int, what: str) -> None:
        pass

    def alloc(self, host: np.ndarray, what: str) -> Any:
        return np.zeros_like(host)

    def to_device(self, dev: Any, host: np.ndarray, what: str, rows: Rows = None) -> None:
        if rows is None:
            dev[...] = host
        else:
            dev[rows[0] : rows[1]] = host[rows[0] : rows[1]]

    def to_host(self, host: np.ndarray, dev: Any, what: str, rows: Rows = None) -> None:
        if rows is None:
            host[...] = dev
        else:
            host[rows[0] : rows[1]] = dev[rows[0] : rows[1]]

    def release(self, dev: Any) -> None:
        pass


class CudaDevice:
    """Device copies in CUDA device memory through pycuda (``--gpu cuda``;
    ``av_cuda_ops`` of runtime_c/av_cuda.cu): rank r of a node uses device
    r mod (devices on the node), with a context of its own."""

    name = "cuda"

    def __init__(self) -> None:
        try:
            import pycuda.driver as drv
        except ImportError as e:
            raise DeviceError(
                "--gpu cuda needs pycuda: pip install 'avial2c[cuda]' "
                f"(it builds where the CUDA toolkit is installed): {e}"
            ) from e
        self.drv: Any = drv
        self.context: Any = None

    def select(self, local_rank: int, what: str) -> None:
        drv = self.drv
        try:
            drv.init()
            count = drv.Device.count()
            if count == 0:
                raise DeviceError(f"{what}: no CUDA device on this node")
            self.context = drv.Device(local_rank % count).make_context()
        except drv.Error as e:
            raise DeviceError(f"{what}: no usable CUDA device: {e}") from e

    def alloc(self, host: np.ndarray, what: str) -> Any:
        return self.drv.mem_alloc(max(host.nbytes, 1))

    def to_device(self, dev: Any, host: np.ndarray, what: str, rows: Rows = None) -> None:
        if rows is None:
            self.drv.memcpy_htod(dev, host)
        else:  # rows [lo, hi): at their offset in the device copy
            self.drv.memcpy_htod(int(dev) + rows[0] * row_bytes(host), host[rows[0] : rows[1]])

    def to_host(self, host: np.ndarray, dev: Any, what: str, rows: Rows = None) -> None:
        if rows is None:
            self.drv.memcpy_dtoh(host, dev)
        else:
            self.drv.memcpy_dtoh(host[rows[0] : rows[1]], int(dev) + rows[0] * row_bytes(host))

    def release(self, dev: Any) -> None:
        dev.free()

    def close(self) -> None:
        if self.context is not None:
            self.context.pop()
            self.context = None


class DeviceCopies:
    """Per rank: the device copy of each memref and which copies are current.

    The twin of runtime_c/av_device.c, call for call: a GPU task asks for
    the device copy of each memref it touches (:meth:`use`: copied from the
    host only when the device copy is stale and the task reads it) and marks
    what it wrote (:meth:`wrote`); host code (a CPU task, a send, the
    outputs) calls :meth:`host_use` first, which copies back only when the
    host copy is stale, and :meth:`host_wrote` after changing the host copy
    (a CPU task's write, a receive).  ``--emit plan`` lists the copies this
    gives (its "GPU copies" section)."""

    def __init__(self, ctx: Context, ops: EmulatedDevice | CudaDevice) -> None:
        self.ctx = ctx
        self.ops = ops
        n = len(ctx.mem)
        self.ptr: list[Any] = [None] * n
        # Row by row (dimension 0), as in av_device.c: is each copy current?
        self.host_ok = [np.ones(rows_of(a), dtype=bool) for a in ctx.mem]
        self.dev_ok = [np.zeros(rows_of(a), dtype=bool) for a in ctx.mem]
        node = ctx.comm.Split_type(ctx.MPI.COMM_TYPE_SHARED, ctx.rank)
        self.local_rank: int = node.Get_rank()
        node.Free()
        self.selected = False

    def copy(self, name: str, cat: str, do: Callable[[], None]) -> None:
        t0 = self.ctx.now() if self.ctx.args.trace is not None else 0.0
        do()
        if self.ctx.args.trace is not None:
            self.ctx.events.append(Event(name, cat, t0, self.ctx.now()))

    def span(self, m: int, lo: int, hi: int | None) -> tuple[int, int]:
        """Rows [LO, HI) clipped to memref M's (HI None: to its last)."""
        n = rows_of(self.ctx.mem[m])
        hi = n if hi is None else min(hi, n)
        return min(max(lo, 0), hi), hi

    def part(self, m: int, s: int, e: int) -> Rows:
        """Rows [S, E) of memref M for a copy: None when they are all its rows."""
        return None if (s, e) == (0, rows_of(self.ctx.mem[m])) else (s, e)

    def use(self, m: int, mode: int, task: str, lo: int = 0, hi: int | None = None) -> Any:
        """The device copy of memref M for TASK, its rows [LO, HI) current when
        MODE is READ (each run of stale ones copied from the host)."""
        if not self.selected:
            self.ops.select(self.local_rank, task)
            self.selected = True
        host = self.ctx.mem[m]
        if self.ptr[m] is None:
            self.ptr[m] = self.ops.alloc(host, task)
        if mode != READ:
            return self.ptr[m]
        dev = self.ptr[m]
        for s, e in stale_runs(self.dev_ok[m], *self.span(m, lo, hi)):
            name = f"%{self.ctx.memrefs[m].name} to the GPU for {task}"
            rows = self.part(m, s, e)
            self.copy(name, "h2d", partial(self.ops.to_device, dev, host, name, rows))
            self.dev_ok[m][s:e] = True
        return dev

    def wrote(self, m: int, lo: int = 0, hi: int | None = None) -> None:
        """A GPU task's kernels wrote rows [LO, HI) of memref M: only their
        device copy is current."""
        lo, hi = self.span(m, lo, hi)
        self.dev_ok[m][lo:hi] = True
        self.host_ok[m][lo:hi] = False

    def host_use(self, m: int, why: str, lo: int = 0, hi: int | None = None) -> None:
        """Host code is about to use rows [LO, HI) of memref M: copy back each
        run of them a GPU task wrote."""
        host, dev = self.ctx.mem[m], self.ptr[m]
        for s, e in stale_runs(self.host_ok[m], *self.span(m, lo, hi)):
            name = f"%{self.ctx.memrefs[m].name} from the GPU for {why}"
            rows = self.part(m, s, e)
            self.copy(name, "d2h", partial(self.ops.to_host, host, dev, name, rows))
            self.host_ok[m][s:e] = True

    def host_wrote(self, m: int, lo: int = 0, hi: int | None = None) -> None:
        """Host code changed rows [LO, HI) of memref M: their device copy, if any, is stale."""
        lo, hi = self.span(m, lo, hi)
        self.host_ok[m][lo:hi] = True
        self.dev_ok[m][lo:hi] = False

    def release(self) -> None:
        for dev in self.ptr:
            if dev is not None:
                self.ops.release(dev)
        self.ptr = [None] * len(self.ptr)
        if isinstance(self.ops, CudaDevice):
            for kernels in _compiled:  # unloaded while their context is still current
                kernels.unload()
            self.ops.close()


_compiled: list[Kernels] = []  # compiled kernels, unloaded before the context goes


class Kernels:
    """The CUDA kernels of the GPU tasks (``--gpu cuda``): SOURCE, the kernels
    of PROG.cu, compiled by pycuda's ``SourceModule`` with nvcc (``--fmad=false``,
    for this rank's device) on first use, after the device is chosen."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._module: Any = None

    def function(self, name: str) -> Any:
        if self._module is None:
            from pycuda.compiler import SourceModule

            self._module = SourceModule(
                self.source, options=["--fmad=false"], no_extern_c=True,
                include_dirs=[str(RUNTIME)],
            )  # fmt: skip
            _compiled.append(self)
        return self._module.get_function(name)

    def unload(self) -> None:
        self._module = None

    def launch(
        self,
        name: str,
        grid: tuple[int, int, int],
        block: tuple[int, int, int],
        args: Sequence[Any],
        task: str,
    ) -> None:
        """Runs kernel NAME of TASK and waits for it; a failure names the task."""
        import pycuda.driver as drv

        try:
            self.function(name)(*args, grid=grid, block=block)
            drv.Context.synchronize()
        except drv.Error as e:
            raise TaskError(f"task '{task}': kernel {name}: {e}") from e


# --------------------------------------------------------------------------
# Task bodies through the interpreter's closures


class TaskError(Exception):
    """A task body stopped (e.g. an index out of bounds); the message names the task."""


class Bodies:
    """The task bodies of the program SOURCE (typed custom form), compiled on first use.

    :meth:`run` runs task K (program order) on the rank's arrays, by memref
    name; a split task runs only the rows ``rows`` of its ``scf.parallel``'s
    first dimension; ``ivs`` gives the time loops' induction variables by
    loop index (program order)."""

    def __init__(self, source: str, file: str) -> None:
        self.source = source
        self.file = file
        self._program: CheckedProgram | None = None
        self._compiled: dict[tuple[int, bool], tuple[CBlock, dict[Const, int | float]]] = {}
        self._rows = (Value("row_lo", INDEX), Value("row_hi", INDEX))

    def load(self) -> None:
        """Parses and checks the source now (else on first use)."""
        self.program  # noqa: B018

    @property
    def program(self) -> CheckedProgram:
        if self._program is None:
            engine = DiagnosticEngine(source=self.source)
            try:
                program = check_program(parse_program(self.source, self.file), engine)
            except CompileError as e:
                raise RuntimeError(f"the program's own source: {e.diagnostic.message}") from e
            if program is None:
                raise RuntimeError(f"the program's own source: {engine.render()}")
            self._program = program
        return self._program

    def compiled(self, k: int, split: bool) -> tuple[CBlock, dict[Const, int | float]]:
        found = self._compiled.get((k, split))
        if found is None:
            task = self.program.tasks[k]
            if split:
                task = replace(task, body=split_body(task, self._rows))
            found = (TaskCompiler(task.value.name).block(task.body), constants(task))
            self._compiled[(k, split)] = found
        return found

    def run(
        self,
        k: int,
        arrays: Mapping[str, np.ndarray],
        ivs: Mapping[int, int] | None = None,
        rows: tuple[int, int] | None = None,
    ) -> None:
        program = self.program
        task = program.tasks[k]
        body, consts = self.compiled(k, rows is not None)
        values = {m.name: m for m in program.memrefs}
        env: dict[object, Any] = dict(consts.items())
        for name, array in arrays.items():
            env[values[name]] = to_list(array, program.memref_type(values[name]))
        if ivs:
            loop_ivs = list(schedule_ivs(program.loops_body))
            env.update((loop_ivs[n], t) for n, t in ivs.items())
        if rows is not None:
            env.update(zip(self._rows, rows, strict=True))
        try:
            with np.errstate(all="ignore"):
                body.run(env)
        except InterpError as e:
            message = e.diagnostic.message
            if f"task '%{task.value.name}'" not in message:
                message = f"task '{task.name}': {message}"
            raise TaskError(message) from e
        for m in task.writes:
            if m.name in arrays:
                arrays[m.name][...] = to_array(env[m], program.memref_type(m))


def split_body(task: Task, rows: tuple[Value, Value]) -> Block:
    """TASK's body (one scf.parallel) running only rows [row_lo, row_hi) of its
    first dimension (a GPU task: its launch over those rows)."""
    if is_gpu_arch(task.target.arch):
        return split_launch(task, row_split(task), rows).body
    (par,) = task.body.ops
    n = len(par.regions[0].args)
    operands = list(par.operands)
    operands[0], operands[n] = rows
    return Block(
        task.body.args,
        (Op(par.name, tuple(operands), par.results, par.attrs, par.regions, par.span),),
    )
