"""The owner table by row ranges and its twin: runtime_c/av_owners.c must
decide exactly what avial2c/plan/owners.py decides (the same
moves with the same rows and tags, the same segments after merging, the
same blocks).  runtime_c/tests/test_owners_twin.c runs a script of calls on
the C table; `run_python` runs it on the Python one; the outputs must be
equal, for hand-written scripts with known moves and for random scripts
shaped like split tasks (blocks written, halos, whole needs, gathers)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markers import needs_mpicc

from avial2c.plan.owners import Owners, block

RUNTIME = Path(__file__).resolve().parents[2] / "runtime_c"
CFLAGS = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-fopenmp"]

pytestmark = needs_mpicc


def compile_driver(out: Path, extra: list[str] | None = None) -> Path:
    """runtime_c/tests/test_owners_twin.c with the runtime, into OUT."""
    runtime = [str(p) for p in sorted(RUNTIME.glob("av*.c"))]
    cmd = ["mpicc", *CFLAGS, *(extra or []), f"-I{RUNTIME}", *runtime,
           str(RUNTIME / "tests" / "test_owners_twin.c"), "-o", str(out), "-lm"]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="session")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return compile_driver(tmp_path_factory.mktemp("owners_twin") / "test_owners_twin")


def run_c(exe: Path, script: str, env: dict[str, str] | None = None) -> list[str]:
    done = subprocess.run([str(exe)], input=script, capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout.splitlines()


def show_move(m: int, src: int, dst: int, lo: int, hi: int, tag: int) -> str:
    return f"move {m} {src} {dst} {lo} {hi} {tag}"


def run_python(script: str) -> list[str]:
    """The script on the Python table, printed as test_owners_twin.c prints it."""
    lines = [line.split() for line in script.splitlines() if line.strip()]
    assert lines[0][0] == "size"
    size = int(lines[0][1])
    rows: list[int] = []
    k = 1
    while k < len(lines) and lines[k][0] == "memref":
        rows.append(1 if lines[k][1] == "0d" else int(lines[k][1]))
        k += 1
    o = Owners([(str(m), n) for m, n in enumerate(rows)], size)
    out: list[str] = []
    for word, *args in lines[k:]:
        a = [int(x) for x in args]
        if word == "need":
            moves = o.need(str(a[0]), a[1], a[2], a[3])
            out.append(f"need {a[0]} {a[1]} {a[2]} {a[3]}: {len(moves)}")
            out += [show_move(int(mv.m), mv.src, mv.dst, mv.lo, mv.hi, mv.tag) for mv in moves]
        elif word == "wrote":
            o.wrote(str(a[0]), a[1], a[2], a[3])
            out.append(f"wrote {a[0]} {a[1]} {a[2]} {a[3]}")
        elif word == "holds":
            out.append(f"holds {a[0]} {a[1]} {a[2]} {a[3]}: {int(o.holds(str(a[0]), a[1], a[2], a[3]))}")
        elif word == "block":
            lo, hi = block(*a)
            out.append(f"block {a[0]} {a[1]} {a[2]} {a[3]}: {lo} {hi}")
        else:
            raise AssertionError(word)
    for m in range(len(rows)):
        for s in o.segments[str(m)]:
            out.append(f"segment {m} {s.lo} {s.hi} {s.writer}:" + "".join(f" {r}" for r in sorted(s.ranks)))
    return out


def script_of(size: int, rows: list[int | str], ops: list[str]) -> str:
    return "\n".join([f"size {size}", *(f"memref {n}" for n in rows), *ops]) + "\n"


def moves_of(output: list[str], op: str) -> list[tuple[int, ...]]:
    """The moves printed for the operation line OP (its first occurrence)."""
    at = next(k for k, line in enumerate(output) if line.startswith(op + ":"))
    n = int(output[at].split(": ")[1])
    return [tuple(int(x) for x in line.split()[1:]) for line in output[at + 1:at + 1 + n]]


def blocks_written(m: int, rows: int, size: int) -> list[str]:
    return [f"wrote {m} {q} {' '.join(map(str, block(0, rows, q, size)))}" for q in range(size)]


# ---------------------------------------------------------------------------
# Hand-written scripts with known answers


def test_blocks() -> None:
    assert [block(0, 10, q, 3) for q in range(3)] == [(0, 4), (4, 7), (7, 10)]
    assert [block(5, 7, q, 4) for q in range(4)] == [(5, 6), (6, 7), (7, 7), (7, 7)]
    assert [block(0, 0, q, 2) for q in range(2)] == [(0, 0), (0, 0)]
    assert [block(3, 9, q, 2) for q in range(2)] == [(3, 6), (6, 9)]


def test_blocks_agree(driver: Path) -> None:
    ops = [f"block {lo} {hi} {q} {size}" for lo in (-3, 0, 2) for hi in (-1, 0, 1, 7, 40)
           for size in range(1, 7) for q in range(size + 1)]  # fmt: skip
    got = run_c(driver, script_of(2, [3], ops))
    assert got == run_python(script_of(2, [3], ops))
    assert {"block 0 10 0 3: 0 4", "block 0 40 5 6: 34 40", "block 2 7 5 6: 7 7"} <= set(
        run_c(driver, script_of(3, [], ["block 0 10 0 3", "block 0 40 5 6", "block 2 7 5 6"])))


def test_gather_of_blocks_to_rank_0(driver: Path) -> None:
    script = script_of(3, [10], [*blocks_written(0, 10, 3), "need 0 0 0 10"])
    got = run_c(driver, script)
    assert moves_of(got, "need 0 0 0 10") == [(0, 1, 0, 4, 7, 0), (0, 2, 0, 7, 10, 1)]
    # Rank 0 holds all of it now; ranks 1 and 2 their own blocks.
    assert got[-3:] == ["segment 0 0 4 0: 0", "segment 0 4 7 1: 0 1", "segment 0 7 10 2: 0 2"]
    assert got == run_python(script)


def test_halo_exchange_moves_only_the_neighbour_rows(driver: Path) -> None:
    halos = [f"need 0 {q} {max(lo - 1, 0)} {min(hi + 1, 10)}"
             for q, (lo, hi) in enumerate(block(0, 10, q, 3) for q in range(3))]  # fmt: skip
    assert halos == ["need 0 0 0 5", "need 0 1 3 8", "need 0 2 6 10"]
    script = script_of(3, [10], [*blocks_written(0, 10, 3), *halos, "need 0 1 3 8"])
    got = run_c(driver, script)
    assert moves_of(got, halos[0]) == [(0, 1, 0, 4, 5, 0)]
    assert moves_of(got, halos[1]) == [(0, 0, 1, 3, 4, 1), (0, 2, 1, 7, 8, 2)]
    assert moves_of(got, halos[2]) == [(0, 1, 2, 6, 7, 3)]
    # Asked again: nothing moves (the second "need 0 1 3 8").
    assert got[got.index("need 0 1 3 8: 2") + 3:].count("need 0 1 3 8: 0") == 1
    assert got == run_python(script)


def test_consecutive_segments_from_one_source_are_one_message(driver: Path) -> None:
    # Two writes by rank 1 merge into one segment [0, 8); rank 2 wrote
    # [8, 10).  Rank 0 takes [2, 3), which splits [0, 8) in three by
    # holders: rank 2 still gets [0, 8) from rank 1 as one message, while
    # rank 0 gets [0, 2) and [3, 8) as two (not contiguous) and [8, 10)
    # from rank 2.
    ops = ["wrote 0 1 0 4", "wrote 0 1 4 8", "wrote 0 2 8 10", "need 0 0 2 3", "need 0 2 0 8",
           "need 0 0 0 10"]  # fmt: skip
    script = script_of(3, [10], ops)
    got = run_c(driver, script)
    assert got[2] == "wrote 0 2 8 10"
    assert moves_of(got, "need 0 0 2 3") == [(0, 1, 0, 2, 3, 0)]
    assert moves_of(got, "need 0 2 0 8") == [(0, 1, 2, 0, 8, 1)]
    assert moves_of(got, "need 0 0 0 10") == [(0, 1, 0, 0, 2, 2), (0, 1, 0, 3, 8, 3),
                                             (0, 2, 0, 8, 10, 4)]  # fmt: skip
    assert got[-2:] == ["segment 0 0 8 1: 0 1 2", "segment 0 8 10 2: 0 2"]
    assert got == run_python(script)


def test_source_is_the_last_writer(driver: Path) -> None:
    # Rank 2 gets rows [0, 5) from their writer, rank 3, though rank 1 holds
    # them too; rows [4, 6) come in two messages from two writers.
    ops = ["wrote 0 3 0 5", "need 0 1 0 5", "need 0 2 0 5", "wrote 0 1 5 6", "need 0 0 4 6"]
    script = script_of(4, [6], ops)
    got = run_c(driver, script)
    assert moves_of(got, "need 0 1 0 5") == [(0, 3, 1, 0, 5, 0)]
    assert moves_of(got, "need 0 2 0 5") == [(0, 3, 2, 0, 5, 1)]
    assert moves_of(got, "need 0 0 4 6") == [(0, 3, 0, 4, 5, 2), (0, 1, 0, 5, 6, 3)]
    assert got == run_python(script)


def test_tags_wrap_at_the_tag_limit(driver: Path) -> None:
    ops = []
    for _ in range(16385):  # 32770 messages
        ops += ["wrote 0 1 0 2", "need 0 0 0 2", "need 0 2 0 2"]
    got = run_c(driver, script_of(3, [2], ops))
    tags = [int(line.split()[-1]) for line in got if line.startswith("move")]
    assert tags[:3] == [0, 1, 2] and tags[32766:] == [32766, 32767, 0, 1]
    assert got == run_python(script_of(3, [2], ops))


def test_empty_and_outside_ranges(driver: Path) -> None:
    ops = ["wrote 0 1 3 3", "wrote 0 1 5 2", "need 0 0 4 4", "wrote 0 1 -2 2", "need 0 0 -5 1",
           "need 0 2 1 50", "holds 0 0 0 2", "holds 0 0 0 3", "holds 0 2 7 9", "need 1 2 0 1",
           "wrote 1 1 0 1", "need 1 0 0 1", "wrote 2 0 0 0", "need 2 1 0 0"]  # fmt: skip
    script = script_of(3, [8, "0d", 0], ops)
    got = run_c(driver, script)
    assert got == run_python(script)
    assert moves_of(got, "need 0 0 -5 1") == [(0, 1, 0, 0, 1, 0)]
    assert moves_of(got, "need 0 2 1 50") == [(0, 1, 2, 1, 2, 1)]
    assert "holds 0 0 0 2: 0" in got and "holds 0 2 7 9: 1" in got
    assert moves_of(got, "need 1 2 0 1") == []
    assert moves_of(got, "need 1 0 0 1") == [(1, 1, 0, 0, 1, 2)]
    assert got[-1] == "segment 2 0 0 -1: 0 1 2"


def test_header_compiles_as_cxx(tmp_path: Path) -> None:
    """av_owners.h is included from .cu files too."""
    if shutil.which("g++") is None:
        pytest.skip("g++ not installed")
    src = tmp_path / "use.cpp"
    src.write_text('#include "av_owners.h"\n'
                   "int use(av_owners *o) {\n"
                   "  const av_moves *ms = av_owner_need(o, 0, 1, 0, 4);\n"
                   "  av_owner_wrote(o, 0, 1, 0, 2);\n"
                   "  av_rows b = av_block(0, 10, 1, 3);\n"
                   "  return ms->n + (int)(b.hi - b.lo) + av_owner_holds(o, 0, 0, 0, 1);\n}\n")  # fmt: skip
    flags = subprocess.run(["mpicc", "--showme:compile"], capture_output=True, text=True, timeout=30)
    cmd = ["g++", "-std=c++17", "-Wall", "-Wextra", "-Werror", f"-I{RUNTIME}", *flags.stdout.split(),
           "-fsyntax-only", "-x", "c++", str(src)]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


# ---------------------------------------------------------------------------
# Random scripts shaped like split tasks


@st.composite
def scripts(draw: st.DrawFn) -> str:
    size = draw(st.integers(1, 6))
    rows: list[int | str] = draw(st.lists(st.integers(0, 40) | st.just("0d"), min_size=1, max_size=4))
    n_rows = [1 if n == "0d" else int(n) for n in rows]
    mems = st.integers(0, len(rows) - 1)
    ranks = st.integers(0, size - 1)
    ops: list[str] = []
    for _ in range(draw(st.integers(1, 60))):
        kind = draw(st.sampled_from(["blocks", "halo", "whole", "gather", "need", "wrote", "holds",
                                     "block"]))  # fmt: skip
        m = draw(mems)
        n = n_rows[m]
        shift = draw(st.integers(0, size - 1))  # task k runs on rank k % size: blocks rotate
        spans = [block(0, n, q, size) for q in range(size)]
        if kind == "blocks":
            ops += [f"wrote {m} {(q + shift) % size} {lo} {hi}" for q, (lo, hi) in enumerate(spans)]
        elif kind == "halo":
            ops += [f"need {m} {(q + shift) % size} {max(lo - 1, 0)} {min(hi + 1, n)}"
                    for q, (lo, hi) in enumerate(spans)]  # fmt: skip
        elif kind == "whole":
            ops.append(f"need {m} {draw(ranks)} 0 {n}")
        elif kind == "gather":
            ops += [f"need {k} 0 0 {n_rows[k]}" for k in range(len(rows))]
        elif kind == "block":
            lo, hi = draw(st.integers(-3, 45)), draw(st.integers(-3, 45))
            ops.append(f"block {lo} {hi} {draw(st.integers(0, 7))} {draw(st.integers(1, 6))}")
        else:
            lo = draw(st.integers(-2, n + 2))
            hi = draw(st.integers(lo - 1, n + 2))
            ops.append(f"{kind} {m} {draw(ranks)} {lo} {hi}")
    return script_of(size, rows, ops)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script=scripts())
def test_random_scripts_agree(driver: Path, script: str) -> None:
    assert run_c(driver, script) == run_python(script)


def test_random_scripts_under_sanitizers(tmp_path: Path) -> None:
    """Splitting and merging segments stays within bounds and frees all."""
    try:
        exe = compile_driver(tmp_path / "twin_asan", ["-fsanitize=address,undefined",
                                                      "-fno-omit-frame-pointer", "-g"])  # fmt: skip
    except AssertionError as e:
        if "asan" in str(e).lower() or "sanitize" in str(e).lower():
            pytest.skip(f"sanitizers unavailable: {e}")
        raise
    env = {"UBSAN_OPTIONS": "halt_on_error=1", "ASAN_OPTIONS": "detect_leaks=1"}

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(script=scripts())
    def agree(script: str) -> None:
        assert run_c(exe, script, env) == run_python(script)

    agree()
