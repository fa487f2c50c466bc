"""The gpu.launch lowering: one form for every launch, ids folded into block args."""

from __future__ import annotations

from e2e import EXAMPLES, load

from avial2c.ir import Const, Value, walk_ops
from avial2c.ops import GPU_ID_OPS, LAUNCH_ARG_NAMES
from avial2c.transforms.expand_launch import MAX_BLOCK_THREADS, TERSE_BLOCK


def launches(name: str) -> list:  # type: ignore[type-arg]
    program = load(EXAMPLES / name)
    return [op for t in program.tasks for op in walk_ops(t.body) if op.name == "gpu.launch"]


def test_every_launch_has_the_full_form_and_no_id_ops() -> None:
    for name in ("seed.mlir", "matmul_gpu.mlir", "gpu_chain.mlir", "pipeline.mlir"):
        for op in launches(name):
            assert len(op.operands) == 6 and all(isinstance(x, Const) for x in op.operands)
            assert len(op.regions[0].args) == len(LAUNCH_ARG_NAMES)
            # gpu.global_id stays in a full launch: the stages compute it from the ids.
            folded = GPU_ID_OPS - {"gpu.global_id"}
            assert not any(x.name in folded for x in walk_ops(op.regions[0])), name


def test_a_terse_launch_gets_one_thread_per_element() -> None:
    (op,) = launches("seed.mlir")  # terse launch over memref<20xi32>
    sizes = [x.value for x in op.operands if isinstance(x, Const)]
    assert sizes == [1, 1, 1, 20, 1, 1]
    assert MAX_BLOCK_THREADS >= 20 and TERSE_BLOCK < MAX_BLOCK_THREADS
    used = {x for o in walk_ops(op.regions[0]) for x in o.operands if isinstance(x, Value)}
    assert op.regions[0].args[3] in used  # thread_id x became the block argument tx
