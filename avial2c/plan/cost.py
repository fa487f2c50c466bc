"""The cost model: how long a task and a transfer take on a machine.

A task's **work** is counted from its body once, for every machine: each op
weighs :func:`op_weight` operations, times the iterations of the loops
around it (constant trip counts; a loop whose trip count is not a constant
counts once, a ``scf.while`` once, an ``scf.if`` its heavier branch, a
``gpu.launch`` once per thread), split by element type into f32, f64 and
integer operations.  Its **time** on a rank is the work over the rank's
rates (:class:`~avial2c.machine.Machine`): a CPU task whose body is
parallel (a top-level ``scf.parallel``, run by OpenMP) uses every core of
the rank, other CPU tasks one; a GPU task runs at the GPU rate and adds its
host -> GPU copies at the copy bandwidth.  A rank's ``speed`` divides it.

A **transfer** of B bytes takes ``latency + B / bandwidth``.

The weights are rough on purpose: the model ranks placements, it does not
predict cycles.  ``--emit plan`` prints every estimate and the predicted
makespan, so they can be compared with a run's ``--trace``.
"""

from __future__ import annotations

from dataclasses import dataclass

from avial2c.ir import Block, Const, MemRefType, Op, ScalarType, Task, is_gpu_arch
from avial2c.machine import Machine, RankSpec

# Operations per op, by op name (the default is 1; free ops weigh 0).
HEAVY = {
    "arith.divsi": 8, "arith.divui": 8, "arith.remsi": 8, "arith.remui": 8,
    "arith.ceildivsi": 10, "arith.floordivsi": 10, "arith.divf": 4, "arith.remf": 16,
    "math.sqrt": 4, "math.rsqrt": 4, "math.exp": 20, "math.exp2": 20, "math.log": 20,
    "math.log2": 20, "math.log10": 20, "math.sin": 20, "math.cos": 20, "math.tan": 30,
    "math.tanh": 30, "math.powf": 40, "math.fma": 2,
}  # fmt: skip
FREE = {"memref.dim", "memref.alloca", "memref.alloc", "memref.dealloc", "gpu.barrier",
        "gpu.thread_id", "gpu.block_id", "gpu.block_dim", "gpu.grid_dim", "gpu.global_id",
        "scf.yield", "scf.condition", "scf.reduce", "scf.reduce.return", "scf.if",
        "scf.for", "scf.parallel", "scf.while", "scf.execute_region", "gpu.launch"}  # fmt: skip


def op_weight(op: Op) -> int:
    if op.name in FREE:
        return 0
    return HEAVY.get(op.name, 1)


@dataclass(frozen=True)
class Work:
    """A task's operations by element kind, and how it runs."""

    f32: float = 0.0
    f64: float = 0.0
    ints: float = 0.0  # integer and index operations
    parallel: bool = False  # a CPU task OpenMP spreads over the rank's cores
    gpu: bool = False
    launches: int = 0  # gpu.launch ops run (each costs the GPU's launch latency)

    @property
    def total(self) -> float:
        return self.f32 + self.f64 + self.ints


def elem_kind(op: Op) -> str:
    """'f32', 'f64' or 'int': the type an op computes in."""
    typed = [v.type for v in op.results] + [x.type for x in op.operands]
    for t in typed:
        if isinstance(t, MemRefType):
            t = t.elem
        if isinstance(t, ScalarType) and t.is_float:
            return t.name
    return "int"


def trips(lb: object, ub: object, step: object) -> int:
    """Iterations of a loop with constant bounds; 1 when they are not constants."""
    if not all(isinstance(x, Const) and isinstance(x.value, int) for x in (lb, ub, step)):
        return 1
    assert isinstance(lb, Const) and isinstance(ub, Const) and isinstance(step, Const)
    lo, hi, s = int(lb.value), int(ub.value), int(step.value)
    return max(0, -(-(hi - lo) // s)) if s > 0 else 1


class Counter:
    def __init__(self) -> None:
        self.by_kind = {"f32": 0.0, "f64": 0.0, "int": 0.0}
        self.launches = 0.0

    def block(self, block: Block, mult: float) -> None:
        for op in block.ops:
            self.op(op, mult)

    def op(self, op: Op, mult: float) -> None:
        w = op_weight(op)
        if w:
            self.by_kind[elem_kind(op)] += w * mult
        if op.name == "scf.for":
            self.block(op.regions[0], mult * trips(*op.operands[:3]))
        elif op.name == "scf.parallel":
            n = len(op.regions[0].args)
            count = 1
            for d in range(n):
                count *= trips(op.operands[d], op.operands[n + d], op.operands[2 * n + d])
            for r in op.regions:
                self.block(r, mult * count)
        elif op.name == "scf.if":
            heavier = max(op.regions, key=lambda r: sub_total(r))
            self.block(heavier, mult)
        elif op.name == "gpu.launch":
            self.launches += mult
            threads = 1
            for x in op.operands[:6]:
                threads *= int(x.value) if isinstance(x, Const) and isinstance(x.value, int) else 1
            self.block(op.regions[0], mult * threads)
        else:
            for r in op.regions:
                self.block(r, mult)


def sub_total(block: Block) -> float:
    c = Counter()
    c.block(block, 1.0)
    return sum(c.by_kind.values())


def task_work(task: Task) -> Work:
    c = Counter()
    c.block(task.body, 1.0)
    gpu = is_gpu_arch(task.target.arch)
    parallel = not gpu and any(op.name == "scf.parallel" for op in task.body.ops)
    return Work(c.by_kind["f32"], c.by_kind["f64"], c.by_kind["int"], parallel, gpu,
                int(c.launches))  # fmt: skip


def task_time(work: Work, rank: RankSpec, machine: Machine, copy_bytes: int = 0) -> float:
    """Seconds WORK takes on RANK (plus COPY_BYTES of host -> GPU copies for a GPU task)."""
    if work.gpu:
        run = work.total / machine.gpu_rate + work.launches * machine.gpu_launch
        return (run + copy_bytes / machine.gpu_copy) / rank.speed
    seconds = (
        work.f32 / machine.rate("f32") + work.f64 / machine.rate("f64")
        + work.ints / machine.rate("int")
    )  # fmt: skip
    cores = rank.cores if work.parallel else 1
    return seconds / cores / rank.speed


def fits(task_arch: str, rank: RankSpec, machine: Machine) -> bool:
    """Whether a task of TASK_ARCH may run on RANK: a GPU task needs a GPU of
    a compatible arch when the machine lists GPUs at all."""
    if not is_gpu_arch(task_arch) or not machine.lists_gpus:
        return True
    return any(compatible(task_arch, g) for g in rank.gpus)


def compatible(task_arch: str, gpu: str) -> bool:
    """An sm_XY task runs on a GPU of compute capability >= XY of the same
    family; a plain 'gpu' task on any GPU."""
    if task_arch == "gpu" or gpu == "gpu":
        return True
    want, have = arch_number(task_arch), arch_number(gpu)
    if task_arch.endswith(("a", "f")):  # arch-specific features: that GPU only
        return task_arch.rstrip("af") == gpu.rstrip("af") and want == have
    return have >= want


def arch_number(arch: str) -> int:
    digits = "".join(ch for ch in arch.removeprefix("sm_") if ch.isdigit())
    return int(digits) if digits else 0
