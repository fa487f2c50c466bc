"""The machine file, the cost model and --placement heft."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from e2e import EXAMPLES, check_text, load
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from progen import ProgramSpec, programs, render

from avial2c.codegen.c import generate
from avial2c.driver import main
from avial2c.machine import Machine, MachineError, RankSpec, load_machine, machine_toml
from avial2c.plan.cost import compatible, task_work
from avial2c.plan.emit import plan_json, plan_text
from avial2c.plan.heft import NoRank
from avial2c.plan.plan import heft_schedule, make_plan, place
from avial2c.plan.schedule import make_schedule


def chain_task(name: str, src: str, dst: str, n: int = 4096) -> str:
    return f"""
  %{name} = avial.task %cpu, %{src}, %{dst} {{
    scf.parallel %i = 0 to {n} {{
      %x = memref.load %{src}[%i] : memref<{n}xf64>
      %y = arith.mulf %x, %x
      %z = arith.addf %y, %x
      memref.store %z, %{dst}[%i] : memref<{n}xf64>
    }}
  }}"""


# Two independent chains whose tasks alternate in program order, so that round
# robin puts each chain on the other rank at every level: its data ping-pongs.
CHAINS = (
    "avial.schedule %ma0, %ma1, %ma2, %ma3, %mb0, %mb1, %mb2, %mb3 {\n"
    '  %cpu = avial.target {arch = "x86_64"}'
    + chain_task("a1", "ma0", "ma1") + chain_task("b1", "mb0", "mb1")
    + chain_task("b2", "mb1", "mb2") + chain_task("a2", "ma1", "ma2")
    + chain_task("a3", "ma2", "ma3") + chain_task("b3", "mb2", "mb3")
    + "\n}\n"
)  # fmt: skip


def heavy_task(name: str, src: str, dst: str, inner: int) -> str:
    return f"""
  %{name} = avial.task %cpu, %{src}, %{dst} {{
    scf.parallel %i = 0 to 256 {{
      %x = memref.load %{src}[%i] : memref<256xf64>
      %s = scf.for %k = 0 to {inner} iter_args(%acc = %x) -> (f64) {{
        %y = arith.mulf %acc, %x
        %z = arith.addf %y, %x
        scf.yield %z : f64
      }}
      memref.store %s, %{dst}[%i] : memref<256xf64>
    }}
  }}"""


# One level of four independent tasks, one of them 100 times heavier.
UNBALANCED = (
    "avial.schedule %in, %o0, %o1, %o2, %o3 {\n"
    '  %cpu = avial.target {arch = "x86_64"}'
    + heavy_task("big", "in", "o0", 1000) + heavy_task("s1", "in", "o1", 10)
    + heavy_task("s2", "in", "o2", 10) + heavy_task("s3", "in", "o3", 10)
    + "\n}\n"
)  # fmt: skip


def two_ranks(cores: int = 1) -> Machine:
    return Machine((RankSpec(cores), RankSpec(cores)))


# --------------------------------------------------------------------------
# The machine file


def test_machine_file_round_trips_and_defaults_fill_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text(
        "[network]\nlatency_us = 3.5\n\n[[rank]]\ncores = 4\ngpus = [\"sm_90\"]\n\n"
        "[[rank]]\ncount = 2\nspeed = 0.5\n"
    )
    m = load_machine(str(path))
    assert [(r.cores, r.speed, r.gpus) for r in m.ranks] == [
        (4, 1.0, ("sm_90",)), (1, 0.5, ()), (1, 0.5, ()),
    ]  # fmt: skip
    assert m.latency == pytest.approx(3.5e-6) and m.bandwidth == 5e9 and m.lists_gpus
    again = tmp_path / "again.toml"
    again.write_text(machine_toml(m))
    m2 = load_machine(str(again))
    assert m2.ranks == m.ranks and m2.latency == pytest.approx(m.latency)
    assert m2.rates == pytest.approx(m.rates)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[rank]]\ncores = 0\n", "cores of [rank] must be a positive integer"),
        ("[[rank]]\nthreads = 2\n", "unknown key 'threads' in [rank]"),
        ("[nodes]\n", "unknown section [nodes]"),
        ("[network]\nlatency_us = -1\n[[rank]]\n", "latency_us of [network] must be a positive"),
        ("[network]\nbandwidth_gbs = 1\n", "no [[rank]] table"),
        ('[[rank]]\ngpus = ["x86_64"]\n', "gpus of [[rank]] must be a list of CUDA archs"),
        ("[[rank]\n", "not a valid TOML file"),
    ],
)
def test_bad_machine_files_say_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(MachineError, match=None) as e:
        load_machine(str(path))
    assert str(e.value).startswith(f"{path}: error: ") and message in str(e.value)


def test_a_bad_machine_file_is_exit_2_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[[rank]]\ncores = 'two'\n")
    assert main([str(EXAMPLES / "seed.mlir"), "--machine", str(path), "--emit", "plan"]) == 2
    err = capsys.readouterr().err
    assert "cores of [rank] must be a positive integer" in err and "Traceback" not in err


# --------------------------------------------------------------------------
# The cost model


def test_work_counts_operations_times_trip_counts() -> None:
    program = check_text(UNBALANCED)
    big, small = task_work(program.tasks[0]), task_work(program.tasks[1])
    # 256 iterations of (load, store) + 256 x 1000 of (mulf, addf): all f64.
    assert big.f64 == 256 * 2 + 256 * 1000 * 2
    assert small.f64 == 256 * 2 + 256 * 10 * 2
    assert big.parallel and not big.gpu
    gpu = load(EXAMPLES / "gpu_chain.mlir")
    w = task_work(gpu.tasks[0])
    assert w.gpu and w.launches == 1 and w.f32 > 0


def test_gpu_arch_compatibility() -> None:
    assert compatible("sm_80", "sm_90") and not compatible("sm_90", "sm_80")
    assert compatible("gpu", "sm_70") and compatible("sm_90a", "sm_90a")
    assert not compatible("sm_90a", "sm_100")


# --------------------------------------------------------------------------
# HEFT on small DAGs with known optima


def test_heft_keeps_each_chain_on_one_rank() -> None:
    program = check_text(CHAINS)
    rr = make_plan(program, 2)
    heft = make_plan(program, 2, placement="heft", machine=two_ranks())
    # Round robin moves a chain's data at every level; HEFT never does, and
    # only the chain that ends on rank 1 comes to rank 0 at the end.
    assert sum(len(level.transfers) for level in rr.levels) == 4
    assert all(level.transfers == () for level in heft.levels)
    ranks = {t.name: t.rank for t in heft.tasks}
    assert ranks["a1"] == ranks["a2"] == ranks["a3"] != ranks["b1"] == ranks["b2"] == ranks["b3"]
    assert heft.bytes_moved == 3 * 4096 * 8 == heft.min_bytes
    assert heft.estimates is not None and rr.estimates is not None
    assert heft.estimates.makespan < rr.estimates.makespan


def test_heft_puts_the_heavy_task_alone() -> None:
    program = check_text(UNBALANCED)
    heft = make_plan(program, 2, placement="heft", machine=two_ranks())
    ranks = {t.name: t.rank for t in heft.tasks}
    assert ranks["s1"] == ranks["s2"] == ranks["s3"] != ranks["big"]
    rr = make_plan(program, 2)
    assert {t.name: t.rank for t in rr.tasks} == {"big": 0, "s1": 1, "s2": 0, "s3": 1}
    assert heft.estimates is not None and rr.estimates is not None
    assert heft.estimates.makespan < rr.estimates.makespan


def test_a_faster_rank_gets_the_heavy_work() -> None:
    program = check_text(UNBALANCED)
    machine = Machine((RankSpec(1, 1.0), RankSpec(1, 8.0)))
    heft = make_plan(program, 2, placement="heft", machine=machine)
    assert {t.name: t.rank for t in heft.tasks}["big"] == 1


def test_gpu_tasks_go_only_to_ranks_with_a_compatible_gpu() -> None:
    program = load(EXAMPLES / "gpu_chain.mlir")
    machine = Machine((RankSpec(2), RankSpec(2, gpus=("sm_90",)), RankSpec(2)))
    plan = make_plan(program, 3, placement="heft", machine=machine)
    for t in plan.tasks:
        if t.gpu:
            assert t.rank == 1, t.name
    no_gpu = Machine((RankSpec(2), RankSpec(2, gpus=("sm_70",))))
    with pytest.raises(NoRank, match="no rank with a GPU of a compatible arch for sm_90"):
        make_schedule(program, placement="heft", machine=no_gpu)


def test_a_split_gpu_task_needs_a_gpu_on_every_rank() -> None:
    program = load(EXAMPLES / "jacobi_gpu_split.mlir")
    every = Machine((RankSpec(2, gpus=("sm_90",)), RankSpec(2, gpus=("sm_90",))))
    plan = make_plan(program, 2, placement="heft", machine=every)
    assert all(t.rank == -1 for t in plan.tasks if t.gpu)  # split: every rank runs a block
    half = Machine((RankSpec(2, gpus=("sm_90",)), RankSpec(2)))
    with pytest.raises(NoRank, match="split by rows, so every rank runs a block of it, "
                                     "and rank 1 has no GPU"):  # fmt: skip
        make_schedule(program, placement="heft", machine=half)


def test_pinned_tasks_stay_pinned_under_heft() -> None:
    program = load(EXAMPLES / "pipeline.mlir")
    plan = make_plan(program, 3, placement="heft", machine=Machine(tuple(RankSpec(1) for _ in range(3))))
    for t, task in zip(plan.tasks, program.tasks, strict=True):
        if task.rank is not None:
            assert t.rank == task.rank % 3


def test_a_heft_schedule_is_for_its_size_only() -> None:
    program = check_text(CHAINS)
    schedule = heft_schedule(program, "barrier", "declared", two_ranks())
    assert schedule.size == 2 and schedule.policy == "heft"
    with pytest.raises(ValueError, match="placed for 2 ranks"):
        place(schedule, 3)
    text = plan_text(place(schedule, 2))
    assert "placement heft" in text and "predicted makespan" in text
    data = json.loads(plan_json(place(schedule, 2)))
    assert data["policy"] == "heft" and data["estimates"]["makespan"] > 0


def test_heft_c_refuses_other_world_sizes() -> None:
    program = check_text(CHAINS)
    c = generate(program, heft_schedule(program, "barrier", "declared", two_ranks())).c
    assert '#include "av_place.h"' in c
    assert 'av_require_size(&ctx, 2, "--placement heft placed its tasks for 2 ranks");' in c
    assert "Placement (heft, for 2 ranks, machine: defaults)" in c


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(spec=programs(), ranks=st.integers(1, 4))
def test_heft_is_never_predicted_slower_than_round_robin(spec: ProgramSpec, ranks: int) -> None:
    program = check_text(render(spec))
    machine = Machine(tuple(RankSpec(1 + r % 2) for r in range(ranks)))
    heft = make_plan(program, ranks, placement="heft", machine=machine)
    rr = make_plan(program, ranks, machine=machine)
    assert heft.estimates is not None and rr.estimates is not None
    assert heft.estimates.makespan <= rr.estimates.makespan * (1 + 1e-9)


# A producer HEFT places by its own finish time alone (a tie: rank 0), before a
# consumer pinned to rank 1 that needs its output, and a time loop whose body
# ping-pongs %p and %q, which HEFT sees one iteration of, without the edge
# from b back to a.
MYOPIC = (
    "avial.schedule %src, %mid, %out, %p, %q {\n"
    '  %cpu = avial.target {arch = "x86_64"}'
    + chain_task("make", "src", "mid")
    + chain_task("use", "mid", "out").replace("%mid, %out {", "%mid, %out {rank = 1} {")
    + "\n  scf.for %t = 0 to 50 {"
    + chain_task("a", "p", "q") + chain_task("b", "q", "p").replace("avial.task %cpu, %q, %p {", "avial.task %cpu, %q, %p {rank = 1} {")
    + "\n  }\n}\n"
)  # fmt: skip


@pytest.mark.parametrize("sync", ["barrier", "p2p"])
def test_refinement_finds_what_heft_misses(sync: str) -> None:
    """The known optimum on 2 equal ranks: everything on rank 1, where nothing
    moves.  HEFT's own choice moves data; the refinement under the whole cost
    model (every iteration, loop-carried transfers) finds the optimum and
    says what it moved."""
    program = check_text(MYOPIC)
    machine = Machine((RankSpec(1), RankSpec(1)))
    plain = make_schedule(program, sync, "declared", "heft", machine)
    chosen = heft_schedule(program, sync, "declared", machine)
    assert [t.slot % 2 for t in chosen.tasks] == [1, 1, 1, 1]
    assert [t.slot % 2 for t in plain.tasks] != [1, 1, 1, 1]
    assert chosen.placement_note is not None and "refined" in chosen.placement_note
    assert "moved" in chosen.placement_note and "make" in chosen.placement_note
    ours = place(chosen, 2, machine)
    theirs = place(plain, 2, machine)
    assert ours.estimates is not None and theirs.estimates is not None
    assert ours.estimates.makespan < theirs.estimates.makespan
    assert ours.transfer_count < theirs.transfer_count  # only the final gathering moves


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(spec=programs(loops=True), ranks=st.integers(2, 3), sync=st.sampled_from(["barrier", "p2p"]))
def test_refinement_never_predicts_slower(spec: ProgramSpec, ranks: int, sync: str) -> None:
    program = check_text(render(spec))
    machine = Machine(tuple(RankSpec(1 + r % 2) for r in range(ranks)))
    plain = make_schedule(program, sync, "declared", "heft", machine)
    chosen = heft_schedule(program, sync, "declared", machine)
    ours, theirs = place(chosen, ranks, machine).estimates, place(plain, ranks, machine).estimates
    assert ours is not None and theirs is not None
    assert ours.makespan <= theirs.makespan * (1 + 1e-9)
    for mine, theirs_task in zip(chosen.tasks, plain.tasks, strict=True):
        if theirs_task.pinned or theirs_task.split is not None:
            assert mine.slot == theirs_task.slot  # pins and split tasks stay


def split_program(n: int, inner: int, consumer: bool) -> str:
    """A task over N f64 rows doing INNER steps per element (a heavy loop when
    INNER is large), and, with CONSUMER, a reduction that reads all of it
    (it cannot be split, so the rows must come back to one rank)."""
    heavy = f"""
  %work = avial.task %cpu reads(%src) writes(%dst) {{
    scf.parallel %i = 0 to {n} {{
      %x = memref.load %src[%i] : memref<{n}xf64>
      %s = scf.for %k = 0 to {inner} iter_args(%acc = %x) -> (f64) {{
        %y = arith.mulf %acc, %x
        %z = arith.addf %y, %x
        scf.yield %z : f64
      }}
      memref.store %s, %dst[%i] : memref<{n}xf64>
    }}
  }}"""
    total = f"""
  %total = avial.task %cpu reads(%dst) writes(%sum) {{
    %c0 = arith.constant 0 : index
    %zero = arith.constant 0.0 : f64
    %s = scf.for %i = 0 to {n} iter_args(%acc = %zero) -> (f64) {{
      %x = memref.load %dst[%i] : memref<{n}xf64>
      %y = arith.addf %acc, %x
      scf.yield %y : f64
    }}
    memref.store %s, %sum[%c0] : memref<1xf64>
  }}""" if consumer else ""
    return (
        f"avial.schedule %src, %dst, %sum : memref<{n}xf64>, memref<{n}xf64>, memref<1xf64> {{\n"
        '  %cpu = avial.target {arch = "x86_64"}' + heavy + total + "\n}\n"
    )


def test_split_auto_under_heft_follows_the_cost_model() -> None:
    """--placement heft --split auto: a small but heavy task is split (its work
    outweighs its halo and the gathering), which the size rule alone does not
    do; a large but cheap one whose rows a whole task then needs is not, which
    the size rule does.  Declared splits are not the model's to undo."""
    machine = Machine((RankSpec(1), RankSpec(1)))
    heavy = check_text(split_program(1024, 20000, consumer=True))
    assert make_schedule(heavy, "p2p", "auto").tasks[0].split is None  # 1024 < 65 536
    chosen = heft_schedule(heavy, "p2p", "auto", machine)
    assert chosen.tasks[0].split is not None
    assert chosen.placement_note is not None and "--split auto by the cost model" in chosen.placement_note
    # A slow network (0.2 GB/s): moving half the rows back costs more than
    # half of one cheap step per row saves.
    slow = Machine((RankSpec(1), RankSpec(1)), bandwidth=2e8)
    cheap = check_text(split_program(1 << 17, 1, consumer=True))
    assert make_schedule(cheap, "p2p", "auto").tasks[0].split is not None  # size rule: split
    kept = heft_schedule(cheap, "p2p", "auto", slow)
    assert kept.tasks[0].split is None
    declared = check_text(split_program(1 << 17, 1, consumer=True).replace(
        "avial.task %cpu reads(%src) writes(%dst) {", 'avial.task %cpu reads(%src) writes(%dst) {split = "rows"} {'))  # fmt: skip
    assert heft_schedule(declared, "p2p", "auto", machine).tasks[0].split is not None
    # Under the model, the choice is never predicted slower than the size rule's.
    for program, m in ((heavy, machine), (cheap, slow)):
        by_size = make_schedule(program, "p2p", "auto", "heft", m)
        ours = place(heft_schedule(program, "p2p", "auto", m), 2, m).estimates
        theirs = place(by_size, 2, m).estimates
        assert ours is not None and theirs is not None
        assert ours.makespan <= theirs.makespan * (1 + 1e-9)
