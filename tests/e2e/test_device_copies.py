"""Device copies: what the plan says is what the program does.

With --gpu emulate the device copies are separate buffers that move exactly
like the CUDA build's (runtime_c/av_device.h), so a copy the runtime forgot
would give wrong results in test_e2e.py; here every example with GPU tasks
runs with --trace on 1-4 ranks, and each rank's host <-> GPU copies, in the
order they happened, must be the ones `--emit plan --ranks N` lists.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from e2e import EXAMPLES, build_example, gpu_examples, load, mpirun
from markers import needs_mpi

from avial2c.plan.emit import plan_json, plan_text
from avial2c.plan.plan import DeviceCopy, make_plan

GPU_EXAMPLES = gpu_examples()


def planned(copies: tuple[DeviceCopy, ...], rank: int) -> list[tuple[str, str]]:
    return [(c.memref, c.direction) for c in copies if c.rank == rank]


def traced(trace: Path, rank: int) -> list[tuple[str, str]]:
    events = json.loads(trace.read_text())["traceEvents"]
    mine = [e for e in events if e.get("tid") == rank and e.get("cat") in ("h2d", "d2h")]
    mine.sort(key=lambda e: e["ts"])
    return [(e["name"][1:].split(" ")[0], e["cat"]) for e in mine]


@needs_mpi
@pytest.mark.parametrize("sync", ["barrier", "p2p"])
@pytest.mark.parametrize("path", GPU_EXAMPLES, ids=lambda p: p.stem)
def test_traced_copies_are_the_planned_ones(path: Path, sync: str, tmp_path: Path) -> None:
    program = load(path)
    exe = build_example(program, tmp_path / "build", sync)
    for ranks in (1, 2, 3, 4):
        trace = tmp_path / f"trace{ranks}.json"
        run = mpirun(exe, ranks, ["--trace", str(trace)])
        assert run.returncode == 0, run.stderr
        plan = make_plan(program, ranks, sync)
        for r in range(ranks):
            assert traced(trace, r) == planned(plan.device_copies, r), f"{ranks} ranks, rank {r}"


def test_gpu_chain_keeps_intermediate_results_on_the_gpu() -> None:
    plan = make_plan(load(EXAMPLES / "gpu_chain.mlir"), 2)
    assert [(c.memref, c.direction, c.reason) for c in plan.device_copies] == [
        ("x", "h2d", "scale"),
        ("w", "d2h", "total"),
        ("y", "d2h", "the outputs"),
        ("z", "d2h", "the outputs"),
    ]
    assert [(k.memref, k.since, k.task) for k in plan.device_kept] == [
        ("y", "scale", "shift"),
        ("y", "scale", "mix"),
        ("z", "shift", "mix"),
    ]
    text = plan_text(plan)
    assert "kept on the GPU of rank 0: %y from scale to shift (no copy)" in text
    assert "GPU copies: 4, 64000 bytes" in text
    data = json.loads(plan_json(plan))
    assert data["totals"]["device_bytes"] == 64000
    assert data["device_kept"][0] == {"rank": 0, "memref": "y", "since": "scale",
                                      "task": "shift", "level": 1}  # fmt: skip


def test_a_transfer_from_a_gpu_rank_copies_to_the_host_first() -> None:
    # seed on 2 ranks: task2 (CPU, rank 1) writes d; task3 (GPU, rank 0) needs
    # it: d is received on rank 0's host, then copied to its GPU; at the end
    # rank 0 copies d back for the outputs.
    plan = make_plan(load(EXAMPLES / "seed.mlir"), 2)
    assert [(c.rank, c.memref, c.direction) for c in plan.device_copies] == [
        (0, "d", "h2d"), (0, "c", "h2d"), (0, "d", "d2h"),
    ]  # fmt: skip
    # pipeline on 2 ranks: shift (GPU, rank 1) writes y, prefix (rank 0) reads
    # it: rank 1 copies y to its host before sending it.
    pipeline = make_plan(load(EXAMPLES / "pipeline.mlir"), 2)
    sends = [c for c in pipeline.device_copies if c.reason.startswith("the transfer to rank")]
    assert [(c.rank, c.memref, c.direction) for c in sends] == [(1, "y", "d2h")]


def test_cpu_only_programs_have_no_device_copies() -> None:
    plan = make_plan(load(EXAMPLES / "jacobi2d.mlir"), 2)
    assert plan.device_copies == () and plan.device_kept == ()
    assert "GPU copies" not in plan_text(plan)
