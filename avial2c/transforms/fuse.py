"""``--fuse``: a task and the one after it that consumes its output run as one.

Tasks A and B, one right after the other in program order (in the schedule
or in the body of one time loop), are fused into one task ``A+B`` when

* both run on the same CPU target, neither is split by rows, and their
  ``{rank = N}`` pins (if any) agree;
* B reads a memref A writes (B depends on A, so they could never run side by
  side), and no task after B reads what A wrote before it is written again
  (that task would otherwise have to wait for B too);

The fused task runs A's body and then B's, on one rank: what B reads from A
needs no transfer, and there is no level (so no barrier) between them.  When
both bodies are one ``scf.parallel`` (no reductions) with the same constant
bounds, and every access of B to a memref A writes, and of A to a memref B
writes, is at exactly the loop's indices, the two loops are fused too: one
loop whose iteration runs A's iteration then B's, so B reads each element A
just stored.  That is the meaning of running A then B: no iteration of
either reads an element another iteration writes.

Fusion repeats along chains (A+B+C).  The fused program means what the
original means (tests compare both with the interpreter on the original); it
is used for planning and code generation only.  Each fusion gives a note
saying what was fused and why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from avial2c.ir import (
    Block,
    CheckedProgram,
    Const,
    Item,
    Loop,
    Op,
    Operand,
    Task,
    Value,
    is_gpu_arch,
    walk_ops,
)


@dataclass(frozen=True)
class Fusion:
    first: str  # display names
    second: str
    loops: bool  # their scf.parallel loops were fused too
    why: str


def fuse_program(program: CheckedProgram) -> tuple[CheckedProgram, tuple[Fusion, ...]]:
    """PROGRAM with consumer tasks fused into their producers, and what was fused."""
    fuser = Fuser(program)
    items = fuser.items(program.items)
    if not fuser.done:
        return program, ()
    tasks = tuple(t for t in flatten(items))
    looped = items if program.has_loops else ()
    notes = tuple(
        f"{f.first} and {f.second} run as one task{' with one loop' if f.loops else ''}: {f.why}"
        for f in fuser.done
    )
    return (
        CheckedProgram(program.file, program.memrefs, program.targets, tasks, program.span,
                program.func_name, looped, program.transformed + notes),
        tuple(fuser.done),
    )  # fmt: skip


def flatten(items: Sequence[Item]) -> list[Task]:
    out: list[Task] = []
    for item in items:
        out += list(item.tasks()) if isinstance(item, Loop) else [item]
    return out


class Fuser:
    def __init__(self, program: CheckedProgram) -> None:
        self.program = program
        self.order = list(program.tasks)
        self.done: list[Fusion] = []

    def items(self, items: Sequence[Item]) -> tuple[Item, ...]:
        out: list[Item] = []
        for item in items:
            if isinstance(item, Loop):
                body = self.items(item.body)
                out.append(Loop(item.iv, item.lb, item.ub, item.step, body, item.span))
                continue
            prev = out[-1] if out else None
            if isinstance(prev, Task):
                fused = self.try_fuse(prev, item)
                if fused is not None:
                    out[-1] = fused
                    continue
            out.append(item)
        return tuple(out)

    def try_fuse(self, a: Task, b: Task) -> Task | None:
        if a.split is not None or b.split is not None:
            return None
        if is_gpu_arch(a.target.arch) or a.target is not b.target:
            return None
        if a.rank is not None and b.rank is not None and a.rank != b.rank:
            return None
        consumed = [m for m in b.reads if m in a.writes]
        if not consumed:
            return None
        if self.read_later(a, b):
            return None
        loops = fused_loop(a, b)
        why = (
            f"{b.name} reads {', '.join('%' + m.name for m in consumed)} from {a.name}, and "
            "nothing after it reads what "
            f"{a.name} wrote"
        )
        body = loops if loops is not None else Block((), a.body.ops + b.body.ops)
        if loops is not None:
            why += "; same loop bounds, and each reads the other's output only at the index "
            why += "written, so the loops are fused"
        self.done.append(Fusion(a.name, b.name, loops is not None, why))
        schedule = {m: k for k, m in enumerate(self.program.memrefs)}
        writes = tuple(sorted(set(a.writes) | set(b.writes), key=schedule.__getitem__))
        reads = tuple(
            sorted(set(a.reads) | (set(b.reads) - set(a.writes)), key=schedule.__getitem__)
        )
        return Task(
            a.value,
            a.target,
            reads,
            writes,
            body,
            a.rank if a.rank is not None else b.rank,
            f"{a.name}+{b.name}",
            a.span,
        )

    def read_later(self, a: Task, b: Task) -> bool:
        """Whether a task after B in program order reads a memref A writes (and B
        does not) before it is written again: fusing would make it wait for B.
        This only weighs parallelism; the fused task means A then B either way."""
        at = self.order.index(b)
        pending = {m for m in a.writes if m not in b.writes}
        for t in self.order[at + 1 :]:
            if any(m in pending for m in t.reads):
                return True
            pending -= set(t.writes)
        return False


def single_parallel(task: Task) -> Op | None:
    ops = task.body.ops
    if len(ops) != 1 or ops[0].name != "scf.parallel" or ops[0].results:
        return None
    return ops[0]


def fused_loop(a: Task, b: Task) -> Block | None:
    """One scf.parallel running A's iteration then B's, or None when not allowed."""
    pa, pb = single_parallel(a), single_parallel(b)
    if pa is None or pb is None:
        return None
    if len(pa.operands) != len(pb.operands) or not all(
        same_const(x, y) for x, y in zip(pa.operands, pb.operands, strict=True)
    ):
        return None
    ivs_a, ivs_b = pa.regions[0].args, pb.regions[0].args
    if len(ivs_a) != len(ivs_b):
        return None
    mapping: dict[Value, Operand] = dict(zip(ivs_b, ivs_a, strict=True))
    body_b = substitute(pb.regions[0], mapping)
    # Elementwise: the memrefs one writes, the other touches only at the loop's indices.
    for writer, other in ((a, body_b), (b, pa.regions[0])):
        written = set(writer.writes)
        for op in walk_ops(other):
            m = access_memref(op)
            if m is not None and m in written and not at_ivs(op, ivs_a):
                return None
    merged = Block(ivs_a, pa.regions[0].ops + body_b.ops)
    loop = Op(pa.name, pa.operands, (), pa.attrs, (merged,), pa.span)
    return Block((), (loop,))


def same_const(x: Operand, y: Operand) -> bool:
    return isinstance(x, Const) and isinstance(y, Const) and (x.value, x.type) == (y.value, y.type)


def access_memref(op: Op) -> Value | None:
    if op.name == "memref.load" and isinstance(op.operands[0], Value):
        return op.operands[0]
    if op.name == "memref.store" and isinstance(op.operands[1], Value):
        return op.operands[1]
    return None


def at_ivs(op: Op, ivs: tuple[Value, ...]) -> bool:
    indices = op.operands[1:] if op.name == "memref.load" else op.operands[2:]
    return tuple(indices) == ivs


def substitute(block: Block, mapping: dict[Value, Operand]) -> Block:
    """BLOCK with every use of a value in MAPPING replaced."""
    return Block(block.args, tuple(substitute_op(op, mapping) for op in block.ops))


def substitute_op(op: Op, mapping: dict[Value, Operand]) -> Op:
    operands = tuple(mapping.get(x, x) if isinstance(x, Value) else x for x in op.operands)
    regions = tuple(substitute(r, mapping) for r in op.regions)
    return Op(op.name, operands, op.results, op.attrs, regions, op.span)
