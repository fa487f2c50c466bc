"""Closures for the gpu ops: gpu.launch runs every block and every thread.

Without a ``gpu.barrier`` in its body, the threads of a block run one after
another.  With one, each thread runs as a generator that stops at every
barrier it reaches, and the threads of a block advance together from one
barrier to the next (so barriers inside loops and branches that all threads
take work too).  A barrier that some threads of a block reach while others
have finished is undefined behaviour in CUDA; here it stops the program.

Workgroup memory (``memref.alloca`` in ``#gpu.address_space<workgroup>``) is
one zero-filled buffer per block, shared by its threads.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import product

from avial2c.interp.base import (
    LAUNCH_IDS,
    SHARED,
    CBlock,
    Compiler,
    Env,
    Fn,
    GBlock,
    GenFn,
    GenHandler,
    Handler,
    bind,
)
from avial2c.ir import Op
from avial2c.ops import DIMS, GPU_IDS, ID_ARG_BASE

Ids = tuple[int, ...]  # bx by bz tx ty tz gx gy gz sx sy sz


def launch(c: Compiler, op: Op) -> Fn:
    region = op.regions[0]
    if len(op.operands) != 6 or len(region.args) != 12:
        raise c.error("'gpu.launch' must have its grid and block sizes and 12 body args", op)
    lockstep = c.has_barrier(op)
    body: CBlock | GBlock = c.gen_block(region) if lockstep else c.block(region)

    def run(env: Env) -> None:
        sizes = tuple(env[x] for x in op.operands)
        if any(s < 1 for s in sizes):
            raise c.error(f"'gpu.launch' sizes must be at least 1, found {sizes}", op)
        gx, gy, gz, sx, sy, sz = sizes
        threads = list(product(range(sz), range(sy), range(sx)))
        for bz, by, bx in product(range(gz), range(gy), range(gx)):
            ids = [(bx, by, bz, tx, ty, tz, *sizes) for tz, ty, tx in threads]
            if isinstance(body, GBlock):
                run_lockstep(c, body, env, ids)
            else:
                run_one_by_one(body, env, ids)
        env.pop(SHARED, None)
        env.pop(LAUNCH_IDS, None)

    return run


def run_one_by_one(body: CBlock, env: Env, threads: list[Ids]) -> None:
    env[SHARED] = {}
    fns = body.fns
    for ids in threads:
        env[LAUNCH_IDS] = ids
        bind(env, body.args, ids)
        for f in fns:
            f(env)


def run_lockstep(c: Compiler, body: GBlock, env: Env, threads: list[Ids]) -> None:
    shared: dict[Op, list[object]] = {}
    live: list[Iterator[Op]] = []
    for ids in threads:
        thread_env = dict(env)
        thread_env[SHARED] = shared
        thread_env[LAUNCH_IDS] = ids
        bind(thread_env, body.args, ids)
        live.append(body.run(thread_env))
    block = threads[0][:3]
    while live:
        waiting: list[Iterator[Op]] = []
        barrier = None
        for thread in live:
            try:
                barrier = next(thread)
            except StopIteration:
                continue
            waiting.append(thread)
        if barrier is not None and len(waiting) < len(live):
            raise c.error(
                f"'gpu.barrier' reached by {len(waiting)} of {len(live)} threads of block "
                f"{block} in task '%{c.task_name}' while the others finished; every thread "
                f"of a block must reach the same barriers",
                barrier,
            )
        live = waiting


def gpu_id(c: Compiler, op: Op) -> Fn:
    short = op.name.partition(".")[2]
    dim = DIMS.get(str(op.attr("dimension", "x")))
    if dim is None:
        raise c.error(f"'{op.name}' needs dimension x, y or z", op)
    r = op.result
    if short == "global_id":
        block, thread, size = dim, 3 + dim, 9 + dim

        def global_id(env: Env) -> None:
            ids = _ids(c, op, env)
            env[r] = ids[block] * ids[size] + ids[thread]

        return global_id
    k = ID_ARG_BASE[short] + dim

    def run(env: Env) -> None:
        env[r] = _ids(c, op, env)[k]

    return run


def _ids(c: Compiler, op: Op, env: Env) -> Ids:
    ids: Ids | None = env.get(LAUNCH_IDS)
    if ids is None:
        raise c.error(f"'{op.name}' outside 'gpu.launch'", op)
    return ids


def barrier(c: Compiler, op: Op) -> Fn:
    raise c.error("'gpu.barrier' is only allowed inside 'gpu.launch'", op)


def gen_barrier(c: Compiler, op: Op) -> GenFn:
    def run(env: Env) -> Iterator[Op]:
        yield op

    return run


HANDLERS: dict[str, Handler] = {
    "gpu.launch": launch,
    "gpu.barrier": barrier,
    **{f"gpu.{n}": gpu_id for n in GPU_IDS},
}

GEN_HANDLERS: dict[str, GenHandler] = {"gpu.barrier": gen_barrier}
