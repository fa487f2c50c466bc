"""Time loops end to end: loop programs built with mpicc and run on 1-5
ranks in both sync modes give the interpreter's memrefs, and the messages a
run posts are those the plan counts for the whole run."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import pytest
from e2e import EXAMPLES, build_example, check_runs, check_text, load, mpirun
from markers import needs_mpi

from avial2c.ir import Program
from avial2c.plan.plan import make_plan

CASES = [(sync, ranks) for sync in ("barrier", "p2p") for ranks in (1, 2, 3, 4, 5)]

# u -> v, then v -> u, ten times: the result depends on every iteration.
PING_PONG = """
avial.schedule %u, %v {
  %cpu = avial.target {arch = "x86_64"}
  scf.for %t = 0 to 10 {
    %there = avial.task %cpu, %u, %v {
      scf.parallel %i = 0 to 12 {
        %x = memref.load %u[%i] : memref<12xi32>
        %y = arith.muli %x, 3
        %z = arith.addi %y, 1
        memref.store %z, %v[%i] : memref<12xi32>
      }
    }
    %back = avial.task %cpu, %v, %u {
      scf.parallel %i = 0 to 12 {
        %x = memref.load %v[%i] : memref<12xi32>
        %y = arith.subi %x, 2
        memref.store %y, %u[%i] : memref<12xi32>
      }
    }
  }
}
"""

# Two independent tasks per level (ranks 0 and 1), a third that needs both:
# %u and %w cross between ranks in every iteration but the first.
MOVING = """
avial.schedule %u, %v, %w {
  %cpu = avial.target {arch = "x86_64"}
  scf.for %t = 0 to 5 {
    %a = avial.task %cpu, %u, %v {
      scf.parallel %i = 0 to 8 {
        %x = memref.load %u[%i] : memref<8xi32>
        %y = arith.addi %x, 1
        memref.store %y, %v[%i] : memref<8xi32>
      }
    }
    %b = avial.task %cpu, %u, %w {
      scf.parallel %i = 0 to 8 {
        %x = memref.load %u[%i] : memref<8xi32>
        %y = arith.muli %x, 2
        memref.store %y, %w[%i] : memref<8xi32>
      }
    }
    %c = avial.task %cpu, %v, %w, %u {
      scf.parallel %i = 0 to 8 {
        %x = memref.load %v[%i] : memref<8xi32>
        %z = memref.load %w[%i] : memref<8xi32>
        %ti = arith.index_cast %t : index to i32
        %y = arith.addi %x, %z
        %y2 = arith.subi %y, %ti
        memref.store %y2, %u[%i] : memref<8xi32>
      }
    }
  }
}
"""

# Nested loops, both induction variables used, a task between the inner loops,
# a pinned task, and a task after the loops that reads what they wrote.
NESTED = """
avial.schedule %a, %b, %c, %d {
  %cpu = avial.target {arch = "x86_64"}
  scf.for %t = 1 to 7 step 2 {
    scf.for %s = 0 to 3 {
      %inner = avial.task %cpu, %a, %b {
        scf.parallel %i = 0 to 6 {
          %x = memref.load %a[%i] : memref<6xi64>
          %ti = arith.index_cast %t : index to i64
          %si = arith.index_cast %s : index to i64
          %m = arith.muli %ti, 10
          %y = arith.addi %x, %m
          %z = arith.addi %y, %si
          memref.store %z, %b[%i] : memref<6xi64>
        }
      }
      %copy = avial.task %cpu, %b, %a {rank = 2} {
        scf.parallel %i = 0 to 6 {
          %x = memref.load %b[%i] : memref<6xi64>
          memref.store %x, %a[%i] : memref<6xi64>
        }
      }
    }
    %between = avial.task %cpu, %a, %c, %c {
      scf.parallel %i = 0 to 6 {
        %x = memref.load %a[%i] : memref<6xi64>
        %y = memref.load %c[%i] : memref<6xi64>
        %z = arith.addi %x, %y
        memref.store %z, %c[%i] : memref<6xi64>
      }
    }
    scf.for %r = 0 to 2 {
      %again = avial.task %cpu, %c, %a {
        scf.parallel %i = 0 to 6 {
          %x = memref.load %c[%i] : memref<6xi64>
          %ri = arith.index_cast %r : index to i64
          %y = arith.subi %x, %ri
          memref.store %y, %a[%i] : memref<6xi64>
        }
      }
    }
  }
  %after = avial.task %cpu, %a, %c, %d {
    scf.parallel %i = 0 to 6 {
      %x = memref.load %a[%i] : memref<6xi64>
      %y = memref.load %c[%i] : memref<6xi64>
      %z = arith.muli %x, %y
      memref.store %z, %d[%i] : memref<6xi64>
    }
  }
}
"""

# A loop that never runs between tasks that do: %b keeps what %first wrote.
ZERO_TRIP = """
avial.schedule %a, %b {
  %cpu = avial.target {arch = "x86_64"}
  %first = avial.task %cpu, %a, %b {
    scf.parallel %i = 0 to 4 {
      %x = memref.load %a[%i] : memref<4xf32>
      %y = arith.addf %x, %x
      memref.store %y, %b[%i] : memref<4xf32>
    }
  }
  scf.for %t = 5 to 5 {
    %never = avial.task %cpu, %a, %b {rank = 1} {
      scf.parallel %i = 0 to 4 {
        %x = memref.load %a[%i] : memref<4xf32>
        memref.store %x, %b[%i] : memref<4xf32>
      }
    }
  }
  %last = avial.task %cpu, %b, %a {rank = 1} {
    scf.parallel %i = 0 to 4 {
      %x = memref.load %b[%i] : memref<4xf32>
      %y = arith.mulf %x, %x
      memref.store %y, %a[%i] : memref<4xf32>
    }
  }
}
"""

PROGRAMS = {"ping_pong": PING_PONG, "moving": MOVING, "nested": NESTED, "zero_trip": ZERO_TRIP}
LOOP_EXAMPLES = ["jacobi_loop.mlir", "gpu_loop.mlir"]

pytestmark = needs_mpi


def program(name: str) -> Program:
    if name in PROGRAMS:
        return check_text(PROGRAMS[name], f"{name}.mlir")
    return load(EXAMPLES / name)


@pytest.mark.parametrize("name", [*PROGRAMS, *LOOP_EXAMPLES])
def test_loop_program_matches_the_interpreter_on_1_to_5_ranks(name: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    check_runs(program(name), tmp_path, rng, CASES)


def sends(trace: Path) -> list[tuple[int, int, int, int]]:
    """Every message sent, as (rank, peer, tag, bytes), sorted."""
    events = json.loads(trace.read_text())["traceEvents"]
    return sorted(
        (e["tid"], e["args"]["peer"], e["args"]["tag"], e["args"]["bytes"])
        for e in events
        if e.get("cat") == "send"
    )


def planned_sends(prog: Program, ranks: int, sync: str) -> list[tuple[int, int, int, int]]:
    plan = make_plan(prog, ranks, sync)
    out = [(t.src, t.dst, t.tag, t.nbytes) for t in plan.final]
    for level in plan.levels:
        first = level.runs - sum(n for _, n in level.later)
        out += [(t.src, t.dst, t.tag, t.nbytes) for t in level.transfers] * first
        for transfers, n in level.later:
            out += [(t.src, t.dst, t.tag, t.nbytes) for t in transfers] * n
    return sorted(out)


@pytest.mark.parametrize("name", ["moving", "nested", "jacobi_loop.mlir"])
@pytest.mark.parametrize("sync", ["barrier", "p2p"])
def test_a_loop_run_posts_the_messages_the_plan_counts(
    name: str, sync: str, tmp_path: Path
) -> None:
    prog = program(name)
    exe = build_example(prog, tmp_path / "build", sync)
    for ranks in (2, 3, 4):
        trace = tmp_path / f"trace{ranks}.json"
        run = mpirun(exe, ranks, ["--trace", str(trace)])
        assert run.returncode == 0, run.stderr
        got = sends(trace)
        assert got == planned_sends(prog, ranks, sync), f"{name} on {ranks} ranks"
        plan = make_plan(prog, ranks, sync)
        assert len(got) == plan.transfer_count
        assert sum(b for *_, b in got) == plan.bytes_moved
