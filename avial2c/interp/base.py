"""What the parts of the interpreter share: compiled blocks, environments, errors.

A task body is compiled once into closures, one per op, that read their
operands from an environment and write their results into it:

* the environment maps every :class:`Value` and :class:`Const` of the body
  (compared by identity) to its runtime value: an ``int`` or ``float`` for a
  scalar (see ``interp_ops``), a flat Python ``list`` for a memref;
* ``SHARED`` maps a workgroup ``memref.alloca`` op to the buffer that the
  threads of the current GPU block share; ``LAUNCH_IDS`` holds the current
  thread's ids (block_id xyz, thread_id xyz, grid_dim xyz, block_dim xyz).

Blocks that contain a ``gpu.barrier`` are compiled a second way, into
generators that yield the barrier op each time a thread reaches it, so the
threads of a GPU block can run in lockstep from barrier to barrier.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from avial2c.diagnostics import CompileError
from avial2c.ir import Block, Op, Operand, Value

Env = dict[object, Any]
Fn = Callable[[Env], None]
GenFn = Callable[[Env], Iterator[Op]]


class _Key:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


SHARED = _Key("SHARED")
LAUNCH_IDS = _Key("LAUNCH_IDS")


class InterpError(CompileError):
    """A run-time failure of the program (e.g. an out-of-bounds access), at an op."""


@dataclass(frozen=True, eq=False)
class CBlock:
    """A compiled block: its args, one closure per op, and its terminator's operands."""

    args: tuple[Value, ...]
    fns: tuple[Fn, ...]
    results: tuple[Operand, ...]

    def run(self, env: Env) -> None:
        for f in self.fns:
            f(env)

    def outputs(self, env: Env) -> list[Any]:
        return [env[x] for x in self.results]


@dataclass(frozen=True, eq=False)
class GBlock:
    """A compiled block that contains a barrier: each step is a closure or a generator."""

    args: tuple[Value, ...]
    steps: tuple[tuple[Fn | None, GenFn | None], ...]
    results: tuple[Operand, ...]

    def run(self, env: Env) -> Iterator[Op]:
        for fn, gen in self.steps:
            if gen is not None:
                yield from gen(env)
            elif fn is not None:
                fn(env)

    def outputs(self, env: Env) -> list[Any]:
        return [env[x] for x in self.results]


class Compiler(Protocol):
    """What op handlers need from the compiler of a task body."""

    task_name: str

    def block(self, b: Block) -> CBlock: ...

    def gen_block(self, b: Block) -> GBlock: ...

    def has_barrier(self, op: Op) -> bool: ...

    def error(self, message: str, op: Op) -> InterpError: ...


Handler = Callable[[Compiler, Op], Fn]
GenHandler = Callable[[Compiler, Op], GenFn]


def bind(env: Env, names: tuple[Value, ...], values: list[Any] | tuple[Any, ...]) -> None:
    for name, value in zip(names, values, strict=True):
        env[name] = value
