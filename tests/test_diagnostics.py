from avial2c.diagnostics import Diagnostic, DiagnosticEngine
from avial2c.ir import I1, I8, I32, INDEX, Span
from avial2c.ops import normalize_int


def test_render_has_location_source_line_and_caret() -> None:
    d = Diagnostic("error", "use of undefined value '%x'", Span("f.mlir", 2, 5, 2, 7))
    text = d.render(["line one", "abc %x + 1"])
    assert text.splitlines() == [
        "f.mlir:2:5: error: use of undefined value '%x'",
        "abc %x + 1",
        "    ^~",
    ]


def test_warning_carries_its_stable_id() -> None:
    engine = DiagnosticEngine(source="a\n")
    engine.warning("unused", Span("f.mlir", 1, 1, 1, 2), "unused-access")
    assert engine.render().startswith("f.mlir:1:1: warning: unused [-Wunused-access]")
    assert not engine.has_errors


def test_span_outside_source_renders_header_only() -> None:
    d = Diagnostic("note", "n", Span("f.mlir", 9, 1, 9, 1))
    assert d.render(["x"]) == "f.mlir:9:1: note: n"


def test_integer_constants_wrap_to_signed_range() -> None:
    assert normalize_int(255, I8.bits) == -1
    assert normalize_int(128, I8.bits) == -128
    assert normalize_int(2**31, I32.bits) == -(2**31)
    assert normalize_int(3, I1.bits) == 1
    assert normalize_int(-1, INDEX.bits) == -1
