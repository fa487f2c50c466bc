"""Compiles a task body into closures (see ``interp_base``)."""

from __future__ import annotations

from avial2c.interp import arith, gpu, memref, scf
from avial2c.interp.base import CBlock, Fn, GBlock, GenFn, GenHandler, Handler, InterpError
from avial2c.ir import Block, Op, Operand

HANDLERS: dict[str, Handler] = {
    **arith.HANDLERS,
    **memref.HANDLERS,
    **scf.HANDLERS,
    **gpu.HANDLERS,
}
GEN_HANDLERS: dict[str, GenHandler] = {**scf.GEN_HANDLERS, **gpu.GEN_HANDLERS}

# Ops that end a block and hand its results to the parent op.
TERMINATORS = frozenset(["scf.yield", "scf.condition", "scf.reduce.return"])
# Ops without effect on the values: dropped terminators, deallocation.
NO_EFFECT = frozenset(
    ["gpu.terminator", "avial.yield", "func.return", "scf.reduce.return", "memref.dealloc"]
)


def split_terminator(b: Block) -> tuple[tuple[Op, ...], tuple[Operand, ...]]:
    """The ops of b before its terminator, and the terminator's operands."""
    if b.ops and b.ops[-1].name in TERMINATORS:
        return b.ops[:-1], b.ops[-1].operands
    return b.ops, ()


class TaskCompiler:
    """Compiles the ops of one task body; `task_name` (without %) is for messages."""

    def __init__(self, task_name: str) -> None:
        self.task_name = task_name
        self._barrier: dict[Op, bool] = {}

    def block(self, b: Block) -> CBlock:
        ops, results = split_terminator(b)
        fns = tuple(self.op(op) for op in ops if op.name not in NO_EFFECT)
        return CBlock(b.args, fns, results)

    def gen_block(self, b: Block) -> GBlock:
        ops, results = split_terminator(b)
        steps: list[tuple[Fn | None, GenFn | None]] = []
        for op in ops:
            if op.name in NO_EFFECT:
                continue
            if self.has_barrier(op):
                steps.append((None, self.gen_op(op)))
            else:
                steps.append((self.op(op), None))
        return GBlock(b.args, tuple(steps), results)

    def op(self, op: Op) -> Fn:
        handler = HANDLERS.get(op.name)
        if handler is None:
            raise self.error(f"'{op.name}' is not supported by the interpreter", op)
        return handler(self, op)

    def gen_op(self, op: Op) -> GenFn:
        handler = GEN_HANDLERS.get(op.name)
        if handler is None:
            raise self.error(
                f"'gpu.barrier' inside '{op.name}' is not supported by the interpreter", op
            )
        return handler(self, op)

    def has_barrier(self, op: Op) -> bool:
        """Whether op is or contains a gpu.barrier."""
        known = self._barrier.get(op)
        if known is None:
            known = op.name == "gpu.barrier" or any(
                self.has_barrier(inner) for region in op.regions for inner in region.ops
            )
            self._barrier[op] = known
        return known

    def error(self, message: str, op: Op) -> InterpError:
        return InterpError(message, op.span)
