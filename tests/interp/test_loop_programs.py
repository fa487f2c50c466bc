"""Random programs with time loops (``progen.programs(loops=True)``): they
read and check in every spelling progen writes, the front end sees the loops
as drawn, and the interpreter runs them as unrolling says (an unrolled text
written here from the spec, each induction variable an ``arith.constant``)."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import numpy as np
from e2e import check_text, random_inputs
from hypothesis import HealthCheck, Phase, given, settings
from progen import (
    Expr,
    LoopSpec,
    Nest,
    ProgramSpec,
    TaskSpec,
    frame,
    programs,
    render,
    schedule_items,
    task_lines,
)

from avial2c.interp.run import interpret
from avial2c.ir import Item, Loop, Program

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))  # fmt: skip

Outputs = dict[str, np.ndarray]


def outputs(program: Program, seed: int = 0) -> Outputs:
    """The interpreter's memrefs after PROGRAM, on random inputs from SEED."""
    return interpret(program, random_inputs(program, np.random.default_rng(seed)))


def assert_same(got: Outputs, want: Outputs, what: str) -> None:
    """Bit for bit (NaN payloads and signed zeros included)."""
    assert got.keys() == want.keys(), what
    for name, a in want.items():
        b = got[name]
        assert (b.dtype, b.shape) == (a.dtype, a.shape), f"{what}: %{name}"
        assert b.tobytes() == a.tobytes(), f"{what}: %{name} is {b}, expected {a}"


def runs(spec: ProgramSpec) -> list[tuple[int, tuple[int, ...]]]:
    """The tasks of SPEC in the order its loops run them, each with the
    values of the induction variables of its loops (outermost first).  Of
    two loops around the same tasks, the one listed first is the outer."""
    loops = spec.loops
    out: list[tuple[int, tuple[int, ...]]] = []

    def walk(lo: int, hi: int, entered: frozenset[int], ivs: tuple[int, ...]) -> None:
        i = lo
        while i < hi:
            here = [j for j, loop in enumerate(loops) if j not in entered and loop.first == i]
            if not here:
                out.append((i, ivs))
                i += 1
                continue
            j = min(here, key=lambda j: (-loops[j].last, j))
            for t in range(loops[j].lb, loops[j].ub, loops[j].step):
                walk(i, loops[j].last, entered | {j}, (*ivs, t))
            i = loops[j].last

    walk(0, len(spec.tasks), frozenset(), ())
    return out


def unrolled(spec: ProgramSpec) -> str:
    """SPEC without its loops: each run of a task a task of its own, its
    loops' induction variables index constants of the schedule region.
    (%t and %tc names: progen's own, which hostile names never take.)"""
    head, tail = frame(spec)
    body: list[str] = []
    for n, (i, ivs) in enumerate(runs(spec)):
        names = []
        for value in ivs:
            names.append(f"%tc{len(body)}")
            body.append(f"    {names[-1]} = arith.constant {value} : index")
        body += task_lines(spec, i, f"%t{n}", tuple(names))
    return "\n".join([*head, *body, *tail])


def loops_of(items: tuple[Item, ...]) -> list[object]:
    """The schedule's structure: task names, and (lb, ub, step, body) per loop."""
    return [
        (x.lb, x.ub, x.step, loops_of(x.body)) if isinstance(x, Loop) else x.value.name
        for x in items
    ]


def drawn_loops(spec: ProgramSpec, items: tuple[int | Nest, ...]) -> list[object]:
    out: list[object] = []
    for x in items:
        if isinstance(x, Nest):
            loop = spec.loops[x.loop]
            out.append((loop.lb, loop.ub, loop.step, drawn_loops(spec, x.items)))
        else:
            out.append(spec.task_name(x)[1:])
    return out


@SETTINGS
@given(programs(loops=True))
def test_loop_programs_read_and_interpret(spec: ProgramSpec) -> None:
    """Every spelling reads with the loops as drawn and runs alike."""
    program = check_text(render(spec), "loops.mlir")
    assert program.has_loops
    assert loops_of(program.items) == drawn_loops(spec, schedule_items(spec))
    assert len(program.tasks) == len(spec.tasks)
    want = outputs(program)
    other = replace(spec, spelling="explicit" if spec.spelling == "seed" else "seed")
    for what, text in [("avial ops generic", render(spec, mlir_opt=True)),
                       (f"spelled {other.spelling}", render(other))]:  # fmt: skip
        again = check_text(text, "loops.mlir")
        assert loops_of(again.items) == loops_of(program.items), what
        assert_same(outputs(again), want, what)


@SETTINGS
@given(programs(loops=True))
def test_loops_run_as_unrolled(spec: ProgramSpec) -> None:
    """The interpreter runs a loop program as its unrolled text."""
    looped = check_text(render(spec), "loops.mlir")
    flat = check_text(unrolled(spec), "unrolled.mlir")
    assert not flat.has_loops
    assert len(flat.tasks) == len(runs(spec))
    assert_same(outputs(looped, 7), outputs(flat, 7), "unrolled")


def test_loop_programs_depend_on_their_loops() -> None:
    """Most drawn programs give other results when their loops run one more
    time (ping-pong tasks, updates, induction variables)."""
    changed: list[bool] = []

    @SETTINGS
    @given(programs(loops=True, hostile=False))
    def draw(spec: ProgramSpec) -> None:
        more = replace(
            spec, loops=tuple(replace(x, ub=max(x.lb, x.ub) + x.step) for x in spec.loops)
        )
        before = outputs(check_text(render(spec)), 3)
        after = outputs(check_text(render(more)), 3)
        changed.append(any(a.tobytes() != after[k].tobytes() for k, a in before.items()))

    draw()
    assert sum(changed) >= 0.5 * len(changed), f"{sum(changed)} of {len(changed)}"


def depth(items: tuple[int | Nest, ...]) -> int:
    return max([0, *(1 + depth(x.items) for x in items if isinstance(x, Nest))])


def ping_pong(spec: ProgramSpec, loop: LoopSpec) -> bool:
    """Whether LOOP holds two tasks in a row, one reading what the other writes and back."""
    pairs = pairwise(inside(spec, loop))
    return any(a.writes[0] in b.reads and b.writes[0] in a.reads for a, b in pairs)


def inside(spec: ProgramSpec, loop: LoopSpec) -> tuple[TaskSpec, ...]:
    return spec.tasks[loop.first : loop.last]


def test_loop_programs_have_every_feature() -> None:
    """Among 60 drawn programs: nested and side-by-side loops, zero-trip
    loops (lb == ub and ub < lb), uneven steps, lower bounds other than 0,
    induction variables used, ping-pong pairs in loops, hostile names."""
    seen: set[str] = set()

    @settings(max_examples=60, derandomize=True, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(programs(loops=True))
    def draw(spec: ProgramSpec) -> None:
        items = schedule_items(spec)
        features = {
            "nested": depth(items) >= 2,
            "three deep": depth(items) >= 3,
            "side by side": sum(isinstance(x, Nest) for x in items) >= 2,
            "lb == ub": any(x.lb == x.ub for x in spec.loops),
            "ub < lb": any(x.ub < x.lb for x in spec.loops),
            "one trip": any(x.trips == 1 for x in spec.loops),
            "four trips": any(x.trips == 4 for x in spec.loops),
            "step 2": any(x.step == 2 and x.trips > 1 for x in spec.loops),
            "uneven": any((x.ub - x.lb) % x.step for x in spec.loops if x.trips),
            "lb < 0": any(x.lb < 0 for x in spec.loops),
            "lb > 0": any(x.lb > 0 for x in spec.loops),
            "iv used": any(t.iv is not None for x in spec.loops for t in inside(spec, x)),
            "ping-pong": any(ping_pong(spec, x) for x in spec.loops),
            "tasks outside loops": any(isinstance(x, int) for x in items),
            "hostile iv names": bool(spec.loop_names),
            "literal bounds": spec.spelling == "seed",
        }
        seen.update(name for name, present in features.items() if present)

    draw()
    assert {"nested", "three deep", "side by side", "lb == ub", "ub < lb", "one trip",
            "four trips", "step 2", "uneven", "lb < 0", "lb > 0", "iv used", "ping-pong",
            "tasks outside loops", "hostile iv names", "literal bounds"} <= seen  # fmt: skip


def test_ping_pong_by_hand() -> None:
    """scf.for %t = 1 to 6 step 2 (t = 1, 3, 5) around: m1 = m0 + 1 + t, then
    m0 = m1 + 1, so m0 grows by 2 + t a trip: by 15 in all."""
    bump = Expr("bin", "addi", (Expr("load", 0), Expr("const", 1)))
    back = Expr("bin", "addi", (Expr("load", 1), Expr("const", 1)))
    spec = ProgramSpec(
        shapes=((4,), (4,)),
        elems=("i32", "i32"),
        targets=("x86_64",),
        tasks=(
            TaskSpec("parallel", 0, (0,), (1,), (bump,), iv=0),
            TaskSpec("for", 0, (1,), (0,), (back,)),
        ),
        loops=(LoopSpec(0, 2, 1, 6, 2),),
    )
    m0 = np.array([10, 20, 30, -40], dtype=np.int32)
    inputs = {"m0": m0, "m1": np.zeros(4, dtype=np.int32)}
    for s in (spec, replace(spec, spelling="seed")):
        for text in (render(s), render(s, mlir_opt=True), unrolled(s)):
            got = interpret(check_text(text), inputs)
            assert got["m0"].tolist() == (m0 + 15).tolist(), text
            assert got["m1"].tolist() == (m0 + 14).tolist(), text
