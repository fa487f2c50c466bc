"""The table of op facts (avial2c/ops.py) is complete: every stage knows every row."""

from __future__ import annotations

from avial2c import ops
from avial2c.codegen.body import Translator
from avial2c.codegen.expr import _dispatch
from avial2c.codegen.names import Namer
from avial2c.frontend.syntax_errors import KNOWN_OPS
from avial2c.interp import compile as interp_compile

# Ops that the builder folds away (constants become operands) or whose parent
# op handles them (terminators, reductions' bodies, barriers inside launches).
HANDLED_BY_PARENT = frozenset(
    ["arith.constant", "scf.yield", "scf.reduce", "scf.reduce.return", "scf.condition",
     "gpu.terminator", "gpu.barrier"]
)  # fmt: skip


def test_every_op_has_a_kind_and_a_consistent_arity() -> None:
    assert ops.OPS
    for name, row in ops.OPS.items():
        assert row.name == name
        assert row.kind in ops.KINDS, name
        if row.kind.endswith("binary") or row.kind == "cmp":
            assert row.operands == 2, name
        if row.kind == "cast":
            assert row.operands == 1 and row.results == 1, name


def test_the_front_end_knows_every_op() -> None:
    assert ops.SUPPORTED_OPS <= KNOWN_OPS


def test_the_interpreter_knows_every_op() -> None:
    known = (
        set(interp_compile.HANDLERS)
        | set(interp_compile.GEN_HANDLERS)
        | interp_compile.TERMINATORS
        | interp_compile.NO_EFFECT
        | HANDLED_BY_PARENT
    )
    assert sorted(ops.SUPPORTED_OPS - known) == []


def test_the_c_generator_knows_every_op() -> None:
    statements = set(Translator(Namer(), {}, set()).handlers) | HANDLED_BY_PARENT
    missing = []
    for name in sorted(ops.SUPPORTED_OPS - statements):
        dialect, _, short = name.partition(".")
        if _dispatch(dialect, short) is None:
            missing.append(name)
    assert missing == []


def test_printer_flags_name_only_ops_of_the_table() -> None:
    assert ops.OVERFLOW_OPS <= ops.SUPPORTED_OPS
    assert ops.FASTMATH_OPS <= ops.SUPPORTED_OPS
    assert set(ops.RENAMED_OPS) <= ops.SUPPORTED_OPS
    assert set(ops.RENAMED_OPS.values()) <= ops.SUPPORTED_OPS


def test_predicates_and_gpu_id_layout() -> None:
    assert len(ops.CMPI_PREDICATES) == 10 and len(ops.CMPF_PREDICATES) == 16
    assert set(ops.CMPI_OPERATORS) == set(ops.CMPI_PREDICATES)
    assert ops.LAUNCH_ARG_NAMES[ops.ID_ARG_BASE["thread_id"] + ops.DIMS["y"]] == "ty"
    assert ops.LAUNCH_ARG_NAMES[ops.ID_ARG_BASE["block_dim"] + ops.DIMS["z"]] == "sz"
    assert set(ops.CAST_OPERAND_KIND) == set(ops.CAST_RESULT_KIND) == ops.ARITH_CASTS - {"bitcast"}


def test_normalize_int_wraps_to_the_signed_range() -> None:
    assert ops.normalize_int(300, 8) == 44
    assert ops.normalize_int(255, 8) == -1
    assert ops.normalize_int(-129, 8) == 127
    assert ops.normalize_int(3, 1) == 1
    assert ops.normalize_int(2**63, 64) == -(2**63)
