"""A GPU task split by rows, over one rank's block of rows.

A split GPU task's body is one terse ``gpu.launch`` (``check.split``,
:func:`~avial2c.check.split.terse_launch`): thread ``%t`` of ``[0, N)`` works
on row ``%t / C``.  :func:`split_launch` gives the task whose launch runs only
the threads of rows ``[row_lo, row_hi)``, two ``index`` values from outside
the launch (the task function's parameters, as a schedule loop's induction
variable is)::

    local = block_id.x * block_dim.x + thread_id.x
    t = row_lo * C + local
    if (t < row_hi * C) { the body, with t as the thread's global index }

The launch keeps its block size; its grid, the whole launch's here, is what
a block of rows needs at most.  The generators launch
:func:`grid_x` blocks instead: enough for the rank's rows only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from avial2c.check.split import RowSplit, terse_launch
from avial2c.ir import I1, INDEX, Block, Const, Op, Operand, Task, Value, make_attrs


def split_launch(task: Task, split: RowSplit, rows: tuple[Value, Value]) -> Task:
    """TASK (a GPU task split as SPLIT) running only the rows [ROWS[0], ROWS[1])."""
    tl = terse_launch(task)
    launch, span = tl.launch, tl.launch.span
    args = launch.regions[0].args
    row_lo, row_hi = rows

    base, local, gid = (Value(name, INDEX, span) for name in ("base", "local", "gid"))
    inside = Value("inside", I1, span)
    ops = [
        Op("arith.muli", (args[0], args[9]), (base,), span=span),
        Op("arith.addi", (base, args[3]), (local,), span=span),
    ]
    first: Operand = row_lo
    last: Operand = row_hi
    if split.per_row != 1:
        first, last = Value("first", INDEX, span), Value("last", INDEX, span)
        per_row = Const(split.per_row, INDEX, span)
        ops += [
            Op("arith.muli", (row_lo, per_row), (first,), span=span),
            Op("arith.muli", (row_hi, per_row), (last,), span=span),
        ]
    inner = Block((), tuple(substitute(tl.body.ops, {tl.gid: gid})))
    ops += [
        Op("arith.addi", (first, local), (gid,), span=span),
        Op("arith.cmpi", (gid, last), (inside,), make_attrs(predicate="ult"), span=span),
        Op("scf.if", (inside,), (), (), (inner, Block((), ())), span),
    ]
    grid = -(-tl.threads // tl.block)
    sizes = (grid, 1, 1, tl.block, 1, 1)
    operands = tuple(Const(n, INDEX, span) for n in sizes)
    split_op = Op("gpu.launch", operands, (), (), (Block(args, tuple(ops)),), span)
    return replace(task, body=Block(task.body.args, (split_op,)))


def grid_x(split: RowSplit, block: int, row_lo: str, row_hi: str, div: str = "/") -> str:
    """The blocks of BLOCK threads the rows [ROW_LO, ROW_HI) need, as a C
    expression (a Python one with DIV "//")."""
    threads = f"({row_hi} - {row_lo})" + (f" * {split.per_row}" if split.per_row != 1 else "")
    return f"({threads} + {block - 1}) {div} {block}" if block != 1 else threads


def substitute(ops: Iterable[Op], subst: dict[Value, Value]) -> Iterable[Op]:
    """OPS with each operand in SUBST replaced, in nested regions too."""
    for op in ops:
        yield replace(
            op,
            operands=tuple(subst.get(x, x) if isinstance(x, Value) else x for x in op.operands),
            regions=tuple(Block(r.args, tuple(substitute(r.ops, subst))) for r in op.regions),
        )
