"""The front end on every example, the seed's three spellings, and robustness."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from avial2c.check.checker import check_program
from avial2c.diagnostics import CompileError, DiagnosticEngine
from avial2c.driver import main
from avial2c.frontend.parse import parse_program
from avial2c.ir import MemRefType, Program, Span
from avial2c.printer.canonical import canonical
from avial2c.printer.generic import print_generic

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ALL = sorted(EXAMPLES.glob("*.mlir"))
SEEDS = ["seed.mlir", "seed_typed.mlir", "seed_generic.mlir", "seed_mlir_opt.mlir"]


def check_file(path: Path) -> tuple[Program, DiagnosticEngine]:
    text = path.read_text()
    engine = DiagnosticEngine(source=text)
    program = check_program(parse_program(text, str(path)), engine)
    return program, engine


@pytest.mark.parametrize("path", ALL, ids=[p.name for p in ALL])
def test_every_example_checks(path: Path) -> None:
    program, engine = check_file(path)
    assert not engine.has_errors, engine.render()
    assert program.tasks
    assert all(isinstance(m.type, MemRefType) for m in program.memrefs)


def test_three_spellings_of_the_seed_give_equal_ir() -> None:
    texts = {name: canonical(check_file(EXAMPLES / name)[0]) for name in SEEDS}
    assert len(set(texts.values())) == 1, texts


def test_seed_infers_memref_20xi32_with_one_note_per_memref() -> None:
    program, engine = check_file(EXAMPLES / "seed.mlir")
    assert [str(m.type) for m in program.memrefs] == ["memref<20xi32>"] * 4
    notes = [d for d in engine.diagnostics if d.severity == "note"]
    assert len(notes) == 4
    assert all("inferred type memref<20xi32>" in d.message for d in notes)


def test_seed_reads_and_writes() -> None:
    program, _ = check_file(EXAMPLES / "seed.mlir")
    shape = [([m.name for m in t.reads], [m.name for m in t.writes]) for t in program.tasks]
    assert shape == [(["a", "b"], ["c"]), (["a", "b"], ["d"]), (["c", "d"], ["d"])]


def test_infer_accesses_ignores_declared_lists(tmp_path: Path) -> None:
    src = tmp_path / "p.mlir"
    src.write_text(
        "avial.schedule %a, %b : memref<4xi32>, memref<4xi32> {\n"
        '  %cpu = avial.target {arch = "x86_64"}\n'
        "  %t = avial.task %cpu {\n"
        "    %c0 = arith.constant 0 : index\n"
        "    %x = memref.load %a[%c0] : memref<4xi32>\n"
        "    memref.store %x, %b[%c0] : memref<4xi32>\n"
        "  }\n"
        "}\n"
    )
    assert main([str(src)]) == 1
    assert main([str(src), "--infer-accesses"]) == 0


def test_unused_declared_access_is_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "p.mlir"
    src.write_text(
        "avial.schedule %a, %b : memref<4xi32>, memref<4xi32> {\n"
        '  %cpu = avial.target {arch = "x86_64"}\n'
        "  %t = avial.task %cpu reads(%a) writes(%b) {\n"
        "    %c0 = arith.constant 0 : index\n"
        "    %v = arith.constant 3 : i32\n"
        "    memref.store %v, %b[%c0] : memref<4xi32>\n"
        "  }\n"
        "}\n"
    )
    assert main([str(src)]) == 0
    err = capsys.readouterr().err
    assert f"{src}:3:8: warning: task '%t' declares '%a' read but never accesses it" in err


# --------------------------------------------------------------------------
# Robustness: random and mutated text gets diagnostics, never an exception.


SEED_TEXTS = [p.read_text() for p in ALL]


def front_end_never_raises(text: str) -> None:
    engine = DiagnosticEngine(source=text)
    try:
        check_program(parse_program(text, "fuzz.mlir"), engine)
    except CompileError as e:
        assert_inside(e.diagnostic.span, text)


def assert_inside(span: Span, text: str) -> None:
    """SPAN points into TEXT (or just past its end, for 'unexpected end of file')."""
    lines = text.split("\n")
    assert 1 <= span.line <= len(lines), (span, len(lines))
    assert 1 <= span.col <= len(lines[span.line - 1]) + 1, (span, lines[span.line - 1])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_random_text_only_gets_diagnostics(text: str) -> None:
    front_end_never_raises(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(SEED_TEXTS),
    st.integers(min_value=0, max_value=10_000),
    st.integers(min_value=0, max_value=40),
    st.text(alphabet="{}()[]<>%^#:,=\"-.0123456789abxyz \n", max_size=6),
)
def test_mutated_examples_only_get_diagnostics(base: str, at: int, cut: int, insert: str) -> None:
    at %= max(1, len(base))
    front_end_never_raises(base[:at] + insert + base[at + cut :])


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\x00\x01\x02",
        "{" * 10_000,
        "avial.schedule %a {" + "scf.execute_region {" * 3_000,
        "avial.schedule",
        "// only a comment\n",
    ],
    ids=["empty", "binary", "braces", "deep", "truncated", "comment"],
)
def test_pathological_inputs(text: str) -> None:
    front_end_never_raises(text)


def test_binary_file_exits_1_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "bin.mlir"
    src.write_bytes(b"\xff\xfe\x00garbage")
    assert main([str(src)]) == 1
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err


def deep_location(depth: int) -> str:
    """A location nested DEPTH levels deep, of every kind MLIR prints."""
    loc = '"f.mlir":1:1'
    for k in range(depth):
        kind = k % 4
        if kind == 0:
            loc = f'callsite({loc} at "g.mlir":{k}:2)'
        elif kind == 1:
            loc = f'"name{k}"({loc})'
        elif kind == 2:
            loc = f'fused<"pass">[{loc}, "h.mlir":3:{k}, unknown]'
        else:
            loc = f'fused[{loc}, "s \\" ) ( loc(":1:1]'
    return f"loc({loc})"


def with_locations(text: str, depth: int) -> str:
    """TEXT with a location of DEPTH levels after every op of the typed form."""
    lines = []
    for line in text.splitlines():
        bare = line.rstrip()
        is_op = (
            " = " in bare
            and ": " in bare
            and "gpu.launch" not in bare
            and not bare.endswith(("{", ",", "("))
            and not bare.lstrip().startswith("//")
        )
        lines.append(f"{bare} {deep_location(depth)}" if is_op else line)
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("depth", [1, 3, 8, 40])
def test_locations_of_any_depth_are_accepted(depth: int) -> None:
    text = (EXAMPLES / "seed_typed.mlir").read_text()
    located = with_locations(text, depth)
    assert located.count("loc(") >= 10
    plain = check_program(parse_program(text, "a.mlir"), DiagnosticEngine(source=text))
    engine = DiagnosticEngine(source=located)
    deep = check_program(parse_program(located, "b.mlir"), engine)
    assert not engine.has_errors, engine.render()
    assert canonical(deep) == canonical(plain)


def test_mlir_opt_accepts_the_deep_locations_too() -> None:
    import shutil
    import subprocess

    if shutil.which("mlir-opt-22") is None:
        pytest.skip("mlir-opt-22 is not installed")
    typed = (EXAMPLES / "seed_typed.mlir").read_text()
    generic = print_generic(check_program(parse_program(typed, "a.mlir"), DiagnosticEngine()))
    text = with_locations(generic, 8)
    assert text.count("loc(") >= 10
    engine = DiagnosticEngine(source=text)
    check_program(parse_program(text, "b.mlir"), engine)
    assert not engine.has_errors, engine.render()
    done = subprocess.run(["mlir-opt-22", "--allow-unregistered-dialect", "-"], input=text,
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_errors_after_a_location_keep_their_line_and_column() -> None:
    text = 'avial.schedule %a {\n  %t = avial.target {arch = "x86_64"} loc(callsite("a"("f":1:1) at "g":2:2))\n  %x = }\n}\n'
    with pytest.raises(CompileError) as info:
        parse_program(text, "e.mlir")
    span = info.value.diagnostic.span
    assert (span.line, span.col) == (3, 8)
