"""The checked-program type: what the checker returns, and only fully typed.

A raw program (the front end's) may hold values and literals whose type the
seed form leaves to inference (``known_type`` None).  ``CheckedProgram``
refuses to be built from one; ``check_program`` returns one for every
example, or None when it reported an error.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from irb import Body, c, checked, memref, target, task, v

from avial2c.check.checker import check_program
from avial2c.diagnostics import DiagnosticEngine
from avial2c.frontend.parse import parse_program
from avial2c.ir import (
    I32,
    INDEX,
    Block,
    CheckedProgram,
    Const,
    Loop,
    MemRefType,
    Program,
    UntypedError,
    Value,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SEED = (EXAMPLES / "seed.mlir").read_text()


def everything_in(x: object) -> Iterator[Value | Const]:
    """Every Value and Const reachable from X through dataclass fields and
    tuples (independently of ir.program_operands, which the type uses)."""
    seen: set[int] = set()
    stack = [x]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, Value | Const):
            yield item
        if isinstance(item, tuple):
            stack.extend(item)
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            stack.extend(getattr(item, f.name) for f in dataclasses.fields(item))


def simple(store_value: Const, size: int = 4) -> Program:
    """One CPU task storing STORE_VALUE into every element of %m."""
    m = v("m", memref((size,), I32))
    inner = Body()
    i = v("i", INDEX)
    inner.add("memref.store", (store_value, m, i))
    body = Body()
    body.add("scf.parallel", (c(0, INDEX), c(size, INDEX), c(1, INDEX)), (), (inner.block(i),))
    cpu = target("cpu", "x86_64")
    return Program("t.mlir", (m,), (cpu,), (task("t", cpu, (), (m,), body.block()),))


# --------------------------------------------------------------------------
# Construction


def test_a_fully_typed_program_is_accepted() -> None:
    raw = simple(c(7, I32))
    program = CheckedProgram.of(raw)
    assert program.tasks == raw.tasks and program.memrefs == raw.memrefs
    assert isinstance(program, Program)


def test_the_seed_form_as_parsed_is_refused() -> None:
    raw = parse_program(SEED, "seed.mlir")
    assert any(x.known_type is None for x in everything_in(raw))
    with pytest.raises(UntypedError, match=r"'%a' \(seed\.mlir:\d+:\d+\) has no type"):
        CheckedProgram.of(raw)


def test_an_untyped_literal_deep_in_a_body_is_refused() -> None:
    with pytest.raises(UntypedError, match=r"literal 7 has no type"):
        CheckedProgram.of(simple(Const(7, None)))


@pytest.mark.parametrize("where", ["block arg", "op result", "task", "target", "loop iv"])
def test_an_untyped_value_anywhere_is_refused(where: str) -> None:
    typed = simple(c(7, I32))
    t = typed.tasks[0]
    par = t.body.ops[0]
    untyped = Value("u", None)
    if where == "block arg":
        inner = par.regions[0]
        body = Block((untyped,), inner.ops)
        par = dataclasses.replace(par, regions=(body,))
        t = dataclasses.replace(t, body=Block((), (par,)))
    elif where == "op result":
        par = dataclasses.replace(par, results=(untyped,))
        t = dataclasses.replace(t, body=Block((), (par,)))
    elif where == "task":
        t = dataclasses.replace(t, value=untyped)
    elif where == "target":
        t = dataclasses.replace(t, target=dataclasses.replace(t.target, value=untyped))
    items: tuple[Loop, ...] = ()
    if where == "loop iv":
        items = (Loop(untyped, 0, 2, 1, (t,)),)
    program = dataclasses.replace(typed, tasks=(t,), loops_body=items)
    with pytest.raises(UntypedError, match="'%u' has no type"):
        CheckedProgram.of(program)


def test_a_schedule_operand_that_is_not_a_memref_is_refused() -> None:
    typed = simple(c(7, I32))
    with pytest.raises(UntypedError, match="'%s' has no memref type"):
        CheckedProgram.of(dataclasses.replace(typed, memrefs=(*typed.memrefs, v("s", I32))))


def test_reading_the_type_of_an_untyped_value_raises() -> None:
    with pytest.raises(UntypedError):
        _ = Value("x", None).type
    with pytest.raises(UntypedError):
        _ = Const(1, None).type
    assert Value("x", I32).type == I32 and Const(1, I32).type == I32


# --------------------------------------------------------------------------
# What the checker returns


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.mlir")), ids=lambda p: p.name)
def test_check_program_types_every_value_of_every_example(path: Path) -> None:
    text = path.read_text()
    engine = DiagnosticEngine(source=text)
    program = check_program(parse_program(text, path.name), engine)
    assert not engine.has_errors, engine.render()
    assert isinstance(program, CheckedProgram)
    found = list(everything_in(program))
    assert len(found) > len(program.memrefs) + len(program.tasks)
    assert [x for x in found if x.known_type is None] == []
    assert all(isinstance(m.type, MemRefType) for m in program.memrefs)


def test_check_program_types_a_seed_form_program_built_by_hand() -> None:
    program = checked(simple(Const(7, None)))
    (literal,) = [x for x in everything_in(program) if isinstance(x, Const) and x.value == 7]
    assert literal.type == I32


def test_check_program_returns_none_on_errors() -> None:
    bad = SEED.replace('arch = "x86_64"', 'arch = "z80"')
    engine = DiagnosticEngine(source=bad)
    assert check_program(parse_program(bad, "bad.mlir"), engine) is None
    assert engine.has_errors
    # a constant index out of bounds: found once the types are known
    program = simple(c(7, I32), size=4)
    store = Body()
    store.add("memref.store", (c(1, I32), program.memrefs[0], c(9, INDEX)))
    t = dataclasses.replace(program.tasks[0], body=store.block())
    engine = DiagnosticEngine()
    assert check_program(dataclasses.replace(program, tasks=(t,)), engine) is None
    assert "index 9 is out of bounds" in engine.render()
