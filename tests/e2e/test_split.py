"""Split tasks end to end: every rank runs its block of rows, halos move
between neighbours, and the results equal the interpreter's on 1-5 ranks."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import pytest
from e2e import EXAMPLES, build_example, check_runs, check_text, generate, load, mpirun
from markers import needs_mpi

from avial2c.ir import Program
from avial2c.plan.plan import make_plan

SPLIT_EXAMPLES = ["jacobi_split.mlir", "split_then_whole.mlir", "split_broadcast.mlir"]
CASES = [(sync, ranks) for sync in ("barrier", "p2p") for ranks in (1, 2, 3, 4, 5)]


@needs_mpi
@pytest.mark.parametrize("name", SPLIT_EXAMPLES)
def test_split_example_matches_the_interpreter_on_1_to_5_ranks(name: str, tmp_path: Path) -> None:
    program = load(EXAMPLES / name)
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    check_runs(program, tmp_path, rng, CASES)


FEW_ROWS = """
func.func @main(%a: memref<3x4xi32>, %b: memref<3x4xi32>) {
  avial.schedule %a, %b : memref<3x4xi32>, memref<3x4xi32> {
    %cpu = avial.target {arch = "x86_64"}
    %t = avial.task %cpu reads(%a) writes(%b) {split = "rows"} {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c3 = arith.constant 3 : index
      %c4 = arith.constant 4 : index
      scf.parallel (%i, %j) = (%c0, %c0) to (%c3, %c4) step (%c1, %c1) {
        %x = memref.load %a[%i, %j] : memref<3x4xi32>
        %y = arith.addi %x, %x : i32
        memref.store %y, %b[%i, %j] : memref<3x4xi32>
      }
      avial.yield
    }
  }
  return
}
"""


@needs_mpi
def test_more_ranks_than_rows(tmp_path: Path) -> None:
    program = check_text(FEW_ROWS, "few_rows.mlir")
    rng = np.random.default_rng(7)
    check_runs(program, tmp_path, rng, [("barrier", 5), ("p2p", 4)])


def test_the_split_task_runs_its_block_and_halos_are_mpi_calls() -> None:
    c = generate(load(EXAMPLES / "jacobi_split.mlir")).c
    assert "for (int64_t i = row_lo; i < row_hi; ++i)" in c
    assert "av_block(0, 16, rank, size)" in c
    assert "blk.lo >= 1 ? blk.lo - 1 : 0, blk.hi + 1 < 16 ? blk.hi + 1 : 16" in c
    assert "MPI_Irecv(v + x->lo * 16, (int)((x->hi - x->lo) * 16), MPI_DOUBLE" in c


# --------------------------------------------------------------------------
# GPU tasks split by rows (--gpu emulate)

GPU_SPLIT_EXAMPLES = ["jacobi_gpu_split.mlir"]
GPU_CASES = [(sync, ranks) for sync in ("barrier", "p2p") for ranks in (1, 2, 3, 4)]


def traced_copies(trace: Path, rank: int) -> list[tuple[str, str, int]]:
    events = json.loads(trace.read_text())["traceEvents"]
    mine = [e for e in events if e.get("tid") == rank and e.get("cat") in ("h2d", "d2h")]
    mine.sort(key=lambda e: e["ts"])
    return [(e["name"][1:].split(" ")[0], e["cat"], e["args"]["bytes"]) for e in mine]


def check_gpu_split(program: Program, tmp_path: Path, seed: int) -> None:
    """PROGRAM's results equal the interpreter's on 1-4 ranks in both sync
    modes, and each rank's host <-> GPU copies (memref, direction, bytes)
    are the planned ones."""
    check_runs(program, tmp_path / "runs", np.random.default_rng(seed), GPU_CASES)
    for sync in ("barrier", "p2p"):
        exe = build_example(program, tmp_path / f"traced-{sync}", sync)
        for ranks in (1, 2, 3, 4):
            trace = tmp_path / f"trace-{sync}-{ranks}.json"
            run = mpirun(exe, ranks, ["--trace", str(trace)])
            assert run.returncode == 0, run.stderr
            plan = make_plan(program, ranks, sync)
            for r in range(ranks):
                want = [(c.memref, c.direction, c.nbytes) for c in plan.device_copies if c.rank == r]
                assert traced_copies(trace, r) == want, f"--sync {sync} on {ranks} ranks, rank {r}"


@needs_mpi
@pytest.mark.parametrize("name", GPU_SPLIT_EXAMPLES)
def test_gpu_split_example_matches_the_interpreter(name: str, tmp_path: Path) -> None:
    check_gpu_split(load(EXAMPLES / name), tmp_path, zlib.crc32(name.encode()))


def test_gpu_split_example_moves_only_halos_between_host_and_gpu() -> None:
    # On 3 ranks (blocks of 14, 13 and 13 rows of 160 bytes): the first sweep
    # copies each block of %v and each block of %u with its halo to the GPUs;
    # in each of the 7 later sweeps the 4 halo rows that move between ranks
    # are copied from the senders' GPUs and to the receivers' GPUs, one row
    # each; then %total and the outputs copy each block back once (less the
    # halo rows already on the host).
    plan = make_plan(load(EXAMPLES / "jacobi_gpu_split.mlir"), 3)
    row = 40 * 4
    copies = [(c.rank, c.memref, c.direction, c.nbytes // row) for c in plan.device_copies]
    assert copies[:6] == [(0, "v", "h2d", 14), (0, "u", "h2d", 15), (1, "v", "h2d", 13),
                          (1, "u", "h2d", 15), (2, "v", "h2d", 13), (2, "u", "h2d", 14)]  # fmt: skip
    halos = copies[6:-6]
    assert len(halos) == 7 * 8 and {n for *_, n in halos} == {1}
    assert sum(d == "d2h" for _, _, d, _ in halos) == sum(d == "h2d" for _, _, d, _ in halos)
    assert copies[-6:] == [(1, "u", "d2h", 13), (2, "u", "d2h", 13), (0, "u", "d2h", 14),
                           (1, "v", "d2h", 11), (2, "v", "d2h", 12), (0, "v", "d2h", 13)]  # fmt: skip


def gpu_split_program(rng: np.random.Generator) -> str:
    """A random program of GPU tasks split by rows: terse stencil launches
    (offsets in [-k, k] on the row, the k edge rows copied) between two
    memrefs of R rows of C elements (C = 1: 1-D), maybe in a time loop,
    then maybe a CPU task that sums the last one written."""
    rows, k = int(rng.integers(3, 14)), int(rng.integers(0, 3))
    cols = int(rng.choice([1, 1, 3, 7, 110]))
    elem = str(rng.choice(["i32", "f32"]))
    shape = f"{rows}x{cols}" if cols > 1 else f"{rows}"
    t = f"memref<{shape}x{elem}>"
    zero = "0" if elem == "i32" else "0.000000e+00"
    add = "arith.addi" if elem == "i32" else "arith.addf"
    idx = "%i, %j" if cols > 1 else "%i"

    def sweep(name: str, src: str, dst: str) -> list[str]:
        offsets = sorted({int(o) for o in rng.integers(-k, k + 1, size=3)})
        lines = [f'%{name} = avial.task %gpu reads(%{src}) writes(%{dst}) {{split = "rows"}} {{',
                 f"  %ck = arith.constant {k} : index", f"  %crk = arith.constant {rows - k} : index",
                 f"  %ccols = arith.constant {cols} : index", f"  %zero = arith.constant {zero} : {elem}",
                 "  gpu.launch {", "    %t = gpu.thread_id x"]  # fmt: skip
        if cols > 1:
            lines += ["    %i = arith.divui %t, %ccols : index", "    %j = arith.remui %t, %ccols : index"]
        row = "%i" if cols > 1 else "%t"
        lines += [f"    %low = arith.cmpi ult, {row}, %ck : index",
                  f"    %high = arith.cmpi uge, {row}, %crk : index",
                  "    %edge = arith.ori %low, %high : i1",
                  f"    %new = scf.if %edge -> ({elem}) {{",
                  f"      %old = memref.load %{src}[{idx.replace('%i', row)}] : {t}",
                  f"      scf.yield %old : {elem}", "    } else {"]  # fmt: skip
        acc = "%zero"
        for n, off in enumerate(offsets):
            at = row
            if off:
                op = "arith.addi" if off > 0 else "arith.subi"
                lines.append(f"      %r{n} = {op} {row}, %c{n} : index")
                lines.insert(2, f"  %c{n} = arith.constant {abs(off)} : index")
                at = f"%r{n}"
            lines.append(f"      %x{n} = memref.load %{src}[{idx.replace('%i', at)}] : {t}")
            lines.append(f"      %s{n} = {add} {acc}, %x{n} : {elem}")
            acc = f"%s{n}"
        lines += [f"      scf.yield {acc} : {elem}", "    }",
                  f"    memref.store %new, %{dst}[{idx.replace('%i', row)}] : {t}", "  }",
                  "  avial.yield", "}"]  # fmt: skip
        return lines

    body: list[str] = []
    last = "a"
    for n in range(int(rng.integers(1, 4))):
        src, last = ("a", "b") if n % 2 == 0 else ("b", "a")
        body += sweep(f"sweep{n}", src, last)
    trips = int(rng.integers(0, 3))
    if trips:
        body = ["%lo = arith.constant 0 : index", f"%hi = arith.constant {trips} : index",
                "%by = arith.constant 1 : index", "scf.for %step = %lo to %hi step %by {",
                *("  " + line for line in body), "}"]  # fmt: skip
    if rng.integers(0, 2):
        body += ["%total = avial.task %cpu reads(%a, %b) writes(%s) {",
                 "  %c0 = arith.constant 0 : index", "  %c1 = arith.constant 1 : index",
                 f"  %n = arith.constant {rows} : index", f"  %zero = arith.constant {zero} : {elem}",
                 f"  %sum = scf.for %q = %c0 to %n step %c1 iter_args(%acc = %zero) -> ({elem}) {{",
                 f"    %x = memref.load %{last}[{'%q, %c0' if cols > 1 else '%q'}] : {t}",
                 f"    %y = {add} %acc, %x : {elem}", f"    scf.yield %y : {elem}", "  }",
                 f"  memref.store %sum, %s[%c0] : memref<1x{elem}>", "  avial.yield", "}"]  # fmt: skip
    head = [f"func.func @main(%a: {t}, %b: {t}, %s: memref<1x{elem}>) {{",
            f"  avial.schedule %a, %b, %s : {t}, {t}, memref<1x{elem}> {{",
            '    %gpu = avial.target {arch = "sm_90"}', '    %cpu = avial.target {arch = "x86_64"}']
    return "\n".join([*head, *("    " + line for line in body), "  }", "  return", "}", ""])


@needs_mpi
@pytest.mark.parametrize("seed", [1, 4, 5, 9])  # 2-D, 1100 threads, 1-D, 770 threads
def test_random_gpu_split_programs_match_the_interpreter(seed: int, tmp_path: Path) -> None:
    rng = np.random.default_rng(seed)
    text = gpu_split_program(rng)
    program = check_text(text, f"gpu_split_{seed}.mlir")
    assert any(t.split for t in program.tasks)
    check_gpu_split(program, tmp_path, seed)
