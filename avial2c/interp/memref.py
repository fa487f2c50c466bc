"""Closures for the memref ops.

A memref is a flat Python list in row-major order; its shape is static and
known from its type, so indexing is compiled once.  Every access is bounds
checked: an index out of range stops the program with an :class:`InterpError`
at the op.
"""

from __future__ import annotations

from collections.abc import Callable

from avial2c.interp.base import SHARED, Compiler, Env, Fn, Handler, InterpError
from avial2c.ir import MemRefType, Op, Operand, Value

Indexer = Callable[[Env], int]


def memref_type(c: Compiler, x: Operand, op: Op) -> MemRefType:
    if not isinstance(x, Value) or not isinstance(x.type, MemRefType):
        raise c.error(f"'{op.name}' needs a memref operand with a type", op)
    return x.type


def memref_operand(c: Compiler, x: Operand, op: Op) -> Value:
    memref_type(c, x, op)
    assert isinstance(x, Value)  # memref_type raised otherwise
    return x


def out_of_bounds(c: Compiler, op: Op, m: Value, dim: int, index: int) -> InterpError:
    t = memref_type(c, m, op)
    return c.error(
        f"'{op.name}' out of bounds in task '%{c.task_name}': index {index} for dimension "
        f"{dim} of '%{m.name}' ({t}, valid indices 0..{t.shape[dim] - 1})",
        op,
    )


def strides_of(shape: tuple[int, ...]) -> tuple[int, ...]:
    strides = [1] * len(shape)
    for d in range(len(shape) - 2, -1, -1):
        strides[d] = strides[d + 1] * shape[d + 1]
    return tuple(strides)


def indexer(c: Compiler, op: Op, m: Value, indices: tuple[Operand, ...]) -> Indexer:
    """The checked flat position of memref m at `indices`."""
    shape = memref_type(c, m, op).shape
    if len(indices) != len(shape):
        raise c.error(f"'{op.name}' of '%{m.name}' needs {len(shape)} indices", op)
    if not indices:
        return lambda env: 0
    if len(indices) == 1:
        return _indexer_1d(c, op, m, indices[0], shape[0])
    dims = tuple(zip(indices, shape, strides_of(shape), strict=True))

    def at(env: Env) -> int:
        flat = 0
        for d, (x, n, stride) in enumerate(dims):
            i = env[x]
            if not 0 <= i < n:
                raise out_of_bounds(c, op, m, d, i)
            flat += i * stride
        return flat

    return at


def _indexer_1d(c: Compiler, op: Op, m: Value, x: Operand, n: int) -> Indexer:
    def at(env: Env) -> int:
        i: int = env[x]
        if 0 <= i < n:
            return i
        raise out_of_bounds(c, op, m, 0, i)

    return at


def load(c: Compiler, op: Op) -> Fn:
    m = memref_operand(c, op.operands[0], op)
    at = indexer(c, op, m, op.operands[1:])
    r = op.result

    def run(env: Env) -> None:
        env[r] = env[m][at(env)]

    return run


def store(c: Compiler, op: Op) -> Fn:
    x, m = op.operands[0], memref_operand(c, op.operands[1], op)
    at = indexer(c, op, m, op.operands[2:])

    def run(env: Env) -> None:
        env[m][at(env)] = env[x]

    return run


def dim(c: Compiler, op: Op) -> Fn:
    m, k = op.operands
    shape = memref_type(c, m, op).shape
    r = op.result

    def run(env: Env) -> None:
        d = env[k]
        if not 0 <= d < len(shape):
            raise c.error(f"'memref.dim': dimension {d} of a rank-{len(shape)} memref", op)
        env[r] = shape[d]

    return run


def alloc(c: Compiler, op: Op) -> Fn:
    """A zero-filled buffer; in workgroup memory, one per GPU block, shared by its threads."""
    t = memref_type(c, op.result, op)
    zero = 0.0 if t.elem.is_float else 0
    n = t.numel
    r = op.result
    if t.space == "workgroup":
        return _shared_alloc(c, op, zero, n)

    def run(env: Env) -> None:
        env[r] = [zero] * n

    return run


def _shared_alloc(c: Compiler, op: Op, zero: int | float, n: int) -> Fn:
    r = op.result

    def run(env: Env) -> None:
        table = env.get(SHARED)
        if table is None:
            raise c.error("workgroup memory can only be allocated inside 'gpu.launch'", op)
        buf = table.get(op)
        if buf is None:
            buf = table[op] = [zero] * n
        env[r] = buf

    return run


HANDLERS: dict[str, Handler] = {
    "memref.load": load,
    "memref.store": store,
    "memref.dim": dim,
    "memref.alloca": alloc,
    "memref.alloc": alloc,
}
