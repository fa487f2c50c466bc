"""Lower every ``gpu.launch`` of a typed program to one form.

After this pass each launch has the full form: six constant sizes and
twelve block arguments (``LAUNCH_ARG_NAMES``), and no ``gpu.thread_id``,
``gpu.block_id``, ``gpu.grid_dim`` or ``gpu.block_dim`` op remains inside
it: each is replaced by its block argument (``ID_ARG_BASE``).  A terse
``gpu.launch {}`` runs one thread per element of the largest memref it
stores into: one block of N threads when N fits in MAX_BLOCK_THREADS, else
blocks of TERSE_BLOCK threads with a guard ``gid < N``; its
``gpu.thread_id x`` and ``gpu.global_id x`` are that global index.  The
interpreter, the C emulation, the CUDA generator and the access analysis
all rely on this form.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

from avial2c.ir import (
    I1,
    INDEX,
    Block,
    Const,
    MemRefType,
    Op,
    Operand,
    Program,
    Value,
    make_attrs,
    walk_ops,
    with_tasks,
)
from avial2c.ops import DIMS, GPU_IDS, ID_ARG_BASE, LAUNCH_ARG_NAMES

MAX_BLOCK_THREADS = 1024
TERSE_BLOCK = 256


def expand_launches(program: Program) -> Program:
    """PROGRAM (typed) with every gpu.launch in the full form, ids folded."""
    tasks = tuple(replace(t, body=Expander().block(t.body)) for t in program.tasks)
    by_old = dict(zip(program.tasks, tasks, strict=True))
    return replace(program, tasks=tasks, loops_body=with_tasks(program.loops_body, by_old, {}))


@dataclass
class Expander:
    subst: dict[Value, Value] = field(default_factory=dict)  # id op result -> block arg

    def operand(self, x: Operand) -> Operand:
        return self.subst.get(x, x) if isinstance(x, Value) else x

    def block(self, b: Block) -> Block:
        return Block(b.args, tuple(self.ops(b.ops)))

    def ops(self, ops: Iterable[Op]) -> Iterator[Op]:
        for op in ops:
            yield self.launch(op) if op.name == "gpu.launch" else self.op(op)

    def op(self, op: Op) -> Op:
        return replace(
            op,
            operands=tuple(self.operand(x) for x in op.operands),
            regions=tuple(self.block(r) for r in op.regions),
        )

    def launch(self, op: Op) -> Op:
        if op.attr("terse"):
            return self.terse_launch(op)
        body = op.regions[0]
        inner = Block(body.args, tuple(self.launch_body(body.ops, body.args, None)))
        return Op("gpu.launch", tuple(self.operand(x) for x in op.operands), (), (), (inner,), op.span)

    def launch_body(
        self, ops: Iterable[Op], args: tuple[Value, ...], gid: Value | None
    ) -> Iterator[Op]:
        """Ops of a launch body with gpu id ops replaced by block args (or the terse gid)."""
        for op in ops:
            short = op.name.partition(".")[2]
            if op.name.startswith("gpu.") and short in GPU_IDS:
                dim = DIMS[str(op.attr("dimension", "x"))]
                if gid is not None and short in ("thread_id", "global_id") and dim == 0:
                    self.subst[op.result] = gid
                    continue
                if short in ID_ARG_BASE:
                    self.subst[op.result] = args[ID_ARG_BASE[short] + dim]
                    continue
            yield replace(
                op,
                operands=tuple(self.operand(x) for x in op.operands),
                regions=tuple(
                    Block(r.args, tuple(self.launch_body(r.ops, args, gid))) for r in op.regions
                ),
            )

    def terse_launch(self, op: Op) -> Op:
        n = terse_extent(op)
        block = n if n <= MAX_BLOCK_THREADS else TERSE_BLOCK
        grid = -(-n // block)
        args = tuple(Value(name, INDEX, op.span) for name in LAUNCH_ARG_NAMES)
        sizes = (grid, 1, 1, block, 1, 1)
        operands = tuple(Const(s, INDEX, op.span) for s in sizes)
        body = op.regions[0]
        if grid == 1:
            ops = tuple(self.launch_body(body.ops, args, args[3]))
        else:
            ops = self.guarded_body(op, body, args, n)
        return Op("gpu.launch", operands, (), (), (Block(args, ops),), op.span)

    def guarded_body(
        self, op: Op, body: Block, args: tuple[Value, ...], n: int
    ) -> tuple[Op, ...]:
        """gid = block_id.x * block_dim.x + thread_id.x; if (gid < n) { body }."""
        base = Value("base", INDEX, op.span)
        gid = Value("gid", INDEX, op.span)
        inside = Value("inside", I1, op.span)
        inner = tuple(self.launch_body(body.ops, args, gid))
        return (
            Op("arith.muli", (args[0], args[9]), (base,), span=op.span),
            Op("arith.addi", (base, args[3]), (gid,), span=op.span),
            Op(
                "arith.cmpi",
                (gid, Const(n, INDEX, op.span)),
                (inside,),
                make_attrs(predicate="ult"),
                span=op.span,
            ),
            Op("scf.if", (inside,), (), (), (Block((), inner), Block((), ())), op.span),
        )


def terse_extent(op: Op) -> int:
    """One thread per element of the memrefs the launch stores into."""
    extents = [
        x.operands[1].type.numel
        for x in walk_ops(op.regions[0])
        if x.name == "memref.store"
        and isinstance(x.operands[1], Value)
        and isinstance(x.operands[1].type, MemRefType)
    ]
    return max(extents, default=1)
