"""Closures for the scf ops, and their lockstep (generator) forms.

* ``scf.for`` runs lb, lb+step, ... while below ub (signed), with iter_args;
* ``scf.parallel`` runs its iterations one after another in row-major order
  of the induction variables; each ``scf.reduce`` operand is combined into
  its accumulator (starting from the init value) by the reduce region, in
  iteration order;
* ``scf.if``, ``scf.while`` and ``scf.execute_region`` as in MLIR.

A non-positive step is undefined in MLIR; here it stops the program.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import product
from typing import Any

from avial2c.interp.base import CBlock, Compiler, Env, Fn, GenFn, GenHandler, Handler, bind
from avial2c.ir import EMPTY_BLOCK, Block, Op, Operand


def loop_range(c: Compiler, op: Op, lb: int, ub: int, step: int) -> range:
    if step <= 0:
        raise c.error(f"'{op.name}' step must be positive, found {step}", op)
    return range(lb, ub, step)


# --------------------------------------------------------------------------
# scf.for


def scf_for(c: Compiler, op: Op) -> Fn:
    lb, ub, step, *inits = op.operands
    body = c.block(op.regions[0])
    if not inits:
        return _simple_for(c, op, body)
    iv, iter_args = body.args[0], body.args[1:]
    results = op.results

    def run(env: Env) -> None:
        values = [env[x] for x in inits]
        for i in loop_range(c, op, env[lb], env[ub], env[step]):
            env[iv] = i
            bind(env, iter_args, values)
            body.run(env)
            values = body.outputs(env)
        bind(env, results, values)

    return run


def _simple_for(c: Compiler, op: Op, body: CBlock) -> Fn:
    lb, ub, step = op.operands
    iv = body.args[0]
    fns = body.fns

    def run(env: Env) -> None:
        for i in loop_range(c, op, env[lb], env[ub], env[step]):
            env[iv] = i
            for f in fns:
                f(env)

    return run


def gen_for(c: Compiler, op: Op) -> GenFn:
    lb, ub, step, *inits = op.operands
    body = c.gen_block(op.regions[0])
    iv, iter_args = body.args[0], body.args[1:]
    results = op.results

    def run(env: Env) -> Iterator[Op]:
        values = [env[x] for x in inits]
        for i in loop_range(c, op, env[lb], env[ub], env[step]):
            env[iv] = i
            bind(env, iter_args, values)
            yield from body.run(env)
            values = body.outputs(env)
        bind(env, results, values)

    return run


# --------------------------------------------------------------------------
# scf.parallel


class Reduction:
    """One reduced value of an scf.parallel and the region that combines it."""

    def __init__(self, value: Operand, region: CBlock) -> None:
        self.value = value
        self.region = region
        self.lhs, self.rhs = region.args

    def combine(self, env: Env, acc: Any) -> Any:
        env[self.lhs] = acc
        env[self.rhs] = env[self.value]
        self.region.run(env)
        return env[self.region.results[0]]


def scf_parallel(c: Compiler, op: Op) -> Fn:
    region = op.regions[0]
    n = len(region.args)
    lbs, ubs, steps = op.operands[:n], op.operands[n : 2 * n], op.operands[2 * n : 3 * n]
    inits = op.operands[3 * n :]
    body = c.block(Block(region.args, tuple(x for x in region.ops if x.name != "scf.reduce")))
    reductions = [
        Reduction(value, c.block(r))
        for red in region.ops
        if red.name == "scf.reduce"
        for value, r in zip(red.operands, red.regions, strict=True)
    ]
    if len(reductions) != len(inits):
        raise c.error(f"'scf.parallel' has {len(inits)} inits but reduces {len(reductions)}", op)
    if n == 1 and not inits:
        return _simple_parallel(c, op, body)

    def run(env: Env) -> None:
        ranges = [
            loop_range(c, op, env[a], env[b], env[s])
            for a, b, s in zip(lbs, ubs, steps, strict=True)
        ]
        acc = [env[x] for x in inits]
        for ivs in product(*ranges):
            bind(env, region.args, ivs)
            body.run(env)
            for k, red in enumerate(reductions):
                acc[k] = red.combine(env, acc[k])
        bind(env, op.results, acc)

    return run


def _simple_parallel(c: Compiler, op: Op, body: CBlock) -> Fn:
    lb, ub, step = op.operands
    iv = body.args[0]
    fns = body.fns

    def run(env: Env) -> None:
        for i in loop_range(c, op, env[lb], env[ub], env[step]):
            env[iv] = i
            for f in fns:
                f(env)

    return run


# --------------------------------------------------------------------------
# scf.if, scf.execute_region, scf.while


def _branches(op: Op) -> tuple[Block, Block]:
    return op.regions[0], op.regions[1] if len(op.regions) > 1 else EMPTY_BLOCK


def scf_if(c: Compiler, op: Op) -> Fn:
    then_block, else_block = _branches(op)
    yes, no = c.block(then_block), c.block(else_block)
    cond = op.operands[0]
    results = op.results

    def run(env: Env) -> None:
        b = yes if env[cond] else no
        b.run(env)
        if results:
            bind(env, results, b.outputs(env))

    return run


def gen_if(c: Compiler, op: Op) -> GenFn:
    then_block, else_block = _branches(op)
    yes, no = c.gen_block(then_block), c.gen_block(else_block)
    cond = op.operands[0]
    results = op.results

    def run(env: Env) -> Iterator[Op]:
        b = yes if env[cond] else no
        yield from b.run(env)
        if results:
            bind(env, results, b.outputs(env))

    return run


def execute_region(c: Compiler, op: Op) -> Fn:
    body = c.block(op.regions[0])
    results = op.results

    def run(env: Env) -> None:
        body.run(env)
        bind(env, results, body.outputs(env))

    return run


def gen_execute_region(c: Compiler, op: Op) -> GenFn:
    body = c.gen_block(op.regions[0])
    results = op.results

    def run(env: Env) -> Iterator[Op]:
        yield from body.run(env)
        bind(env, results, body.outputs(env))

    return run


def scf_while(c: Compiler, op: Op) -> Fn:
    before, after = c.block(op.regions[0]), c.block(op.regions[1])
    inits, results = op.operands, op.results

    def run(env: Env) -> None:
        values = [env[x] for x in inits]
        while True:
            bind(env, before.args, values)
            before.run(env)
            cond, *args = before.outputs(env)
            if not cond:
                break
            bind(env, after.args, args)
            after.run(env)
            values = after.outputs(env)
        bind(env, results, args)

    return run


def gen_while(c: Compiler, op: Op) -> GenFn:
    before, after = c.gen_block(op.regions[0]), c.gen_block(op.regions[1])
    inits, results = op.operands, op.results

    def run(env: Env) -> Iterator[Op]:
        values = [env[x] for x in inits]
        while True:
            bind(env, before.args, values)
            yield from before.run(env)
            cond, *args = before.outputs(env)
            if not cond:
                break
            bind(env, after.args, args)
            yield from after.run(env)
            values = after.outputs(env)
        bind(env, results, args)

    return run


HANDLERS: dict[str, Handler] = {
    "scf.for": scf_for,
    "scf.parallel": scf_parallel,
    "scf.if": scf_if,
    "scf.execute_region": execute_region,
    "scf.while": scf_while,
}

GEN_HANDLERS: dict[str, GenHandler] = {
    "scf.for": gen_for,
    "scf.if": gen_if,
    "scf.execute_region": gen_execute_region,
    "scf.while": gen_while,
}
