"""The reference interpreter: the meaning of a program (docs/language.md, "Meaning").

The tasks run one after another in program order on the schedule's memrefs;
every op of a body runs with MLIR semantics.  The results are the oracle
that compiled programs are tested against.

Each task body is compiled once into closures (``interp_compile``) and then
run; scalar semantics, including the results chosen where MLIR leaves them
undefined, are documented in ``interp_ops``, ``interp_cast`` and
``interp_math``; control flow in ``interp_scf``; GPU launches, barriers and
shared memory in ``interp_gpu``.  A run-time failure (an out-of-bounds
access, a non-positive loop step, a barrier not reached by every thread of
a block) raises :class:`InterpError` with the span of the op.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from avial2c.interp.arith import const_value
from avial2c.interp.base import Env, InterpError
from avial2c.interp.compile import TaskCompiler
from avial2c.ir import CheckedProgram, Const, Item, Loop, MemRefType, Task, Value, walk_ops
from avial2c.npyio import default_value, numpy_dtype

__all__ = ["InterpError", "interpret"]

Memory = dict[Value, list[Any]]


def interpret(
    program: CheckedProgram, inputs: Mapping[str, np.ndarray] | None = None
) -> dict[str, np.ndarray]:
    """Run PROGRAM; the final contents of every schedule memref, by name, in schedule order.

    `inputs` gives initial contents by memref name (without %); the others
    start from the default values (``npyio.default_value``).
    """
    memory = initial_memory(program, inputs or {})
    with np.errstate(all="ignore"):
        Runner(memory).items(program.items, {})
    return {m.name: to_array(memory[m], program.memref_type(m)) for m in program.memrefs}


def initial_memory(program: CheckedProgram, inputs: Mapping[str, np.ndarray]) -> Memory:
    names = {m.name for m in program.memrefs}
    for name in inputs:
        if name not in names:
            raise InterpError(f"no schedule memref named '{name}'", program.span)
    memory: Memory = {}
    for k, m in enumerate(program.memrefs):
        t = program.memref_type(m)
        given = inputs.get(m.name)
        array = default_value(program, k) if given is None else checked_input(m, t, given)
        memory[m] = to_list(array, t)
    return memory


def checked_input(m: Value, t: MemRefType, array: np.ndarray) -> np.ndarray:
    want = numpy_dtype(t.elem)
    if array.dtype != want or array.shape != t.shape:
        raise InterpError(
            f"input for '%{m.name}': expected {want.name} {t.shape}, "
            f"found {array.dtype} {array.shape}",
            m.span,
        )
    return array


def to_list(array: np.ndarray, t: MemRefType) -> list[Any]:
    values: list[Any] = array.reshape(-1).tolist()
    if t.elem.name == "i1":
        return [int(v) for v in values]
    return values


def to_array(values: list[Any], t: MemRefType) -> np.ndarray:
    return np.array(values, dtype=numpy_dtype(t.elem)).reshape(t.shape)


class Runner:
    """Runs the schedule region: tasks in program order, loops iteration by iteration."""

    def __init__(self, memory: Memory) -> None:
        self.memory = memory
        self.compiled: dict[Task, tuple[Any, dict[Const, int | float]]] = {}

    def items(self, items: tuple[Item, ...], ivs: dict[Value, int]) -> None:
        for item in items:
            if isinstance(item, Loop):
                for t in range(item.lb, item.ub, item.step):
                    self.items(item.body, {**ivs, item.iv: t})
            else:
                self.task(item, ivs)

    def task(self, task: Task, ivs: dict[Value, int]) -> None:
        found = self.compiled.get(task)
        if found is None:
            found = self.compiled[task] = (
                TaskCompiler(task.value.name).block(task.body),
                constants(task),
            )
        body, consts = found
        env: Env = dict(self.memory.items())
        env.update(consts.items())
        env.update(ivs.items())
        body.run(env)


def run_task(task: Task, memory: Memory) -> None:
    Runner(memory).task(task, {})


def constants(task: Task) -> dict[Const, int | float]:
    """The runtime value of every constant operand of the task body."""
    return {
        x: const_value(x) for op in walk_ops(task.body) for x in op.operands if isinstance(x, Const)
    }
