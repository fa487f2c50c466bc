"""One table of facts about the ops task bodies may contain.

Every stage reads its op facts here: the front end (which names exist, the
predicates' integer encodings), the checker (operand and result kinds of
casts, the GPU id layout of ``gpu.launch``), the interpreter and the C
generator (the same layout; C operators), the printers (MLIR 22 spellings,
which ops carry overflow or fastmath flags).  A new op is a row of
:data:`OPS` plus its semantics in ``interp/`` and its C in ``codegen/``;
``tests/test_ops.py`` fails until every stage knows every row.
"""

from __future__ import annotations

from dataclasses import dataclass

# --------------------------------------------------------------------------
# The table


@dataclass(frozen=True)
class OpFacts:
    """What every stage may rely on about one op."""

    name: str  # "arith.addi"
    kind: str  # see KINDS
    operands: int | None  # how many; None: any number
    results: int  # how many


# kind: what the operands and results are.
KINDS = {
    "int_binary": "two integers (or index) of one type, a result of that type",
    "float_binary": "two floats of one type, a result of that type",
    "float_unary": "one float, a result of its type",
    "int_unary": "one integer, a result of its type",
    "float_ternary": "three floats of one type, a result of that type",
    "cast": "one scalar, a result of the type the op names",
    "cmp": "two scalars of one type, an i1",
    "select": "an i1 and two values of one type, a result of that type",
    "constant": "no operand, one result of the attribute's type",
    "memory": "memref access or allocation",
    "control": "structured control flow with regions",
    "gpu_id": "no operand, one index: a thread, block or grid coordinate",
    "gpu": "a launch, a barrier or a terminator",
}

ARITH_INT_BINARY = frozenset(
    ["addi", "subi", "muli", "divsi", "divui", "remsi", "remui", "ceildivsi", "floordivsi",
     "andi", "ori", "xori", "shli", "shrsi", "shrui", "minsi", "maxsi", "minui", "maxui"]
)  # fmt: skip
ARITH_FLOAT_BINARY = frozenset(
    ["addf", "subf", "mulf", "divf", "remf", "minimumf", "maximumf", "minnumf", "maxnumf",
     "minf", "maxf"]
)  # fmt: skip
ARITH_CASTS = frozenset(
    ["index_cast", "index_castui", "sitofp", "uitofp", "fptosi", "fptoui", "extsi", "extui",
     "trunci", "extf", "truncf", "bitcast"]
)  # fmt: skip
MATH_UNARY = frozenset(
    ["sqrt", "rsqrt", "exp", "exp2", "log", "log2", "log10", "sin", "cos", "tan", "tanh",
     "absf", "absi", "floor", "ceil", "round"]
)  # fmt: skip
MATH_OPS = MATH_UNARY | {"powf", "fma"}
GPU_IDS = frozenset(["thread_id", "block_id", "block_dim", "grid_dim", "global_id"])


def _rows() -> list[OpFacts]:
    rows = [OpFacts(f"arith.{n}", "int_binary", 2, 1) for n in sorted(ARITH_INT_BINARY)]
    rows += [OpFacts(f"arith.{n}", "float_binary", 2, 1) for n in sorted(ARITH_FLOAT_BINARY)]
    rows += [OpFacts(f"arith.{n}", "cast", 1, 1) for n in sorted(ARITH_CASTS)]
    rows += [
        OpFacts(f"math.{n}", "int_unary" if n == "absi" else "float_unary", 1, 1)
        for n in sorted(MATH_UNARY)
    ]
    rows += [
        OpFacts("math.powf", "float_binary", 2, 1),
        OpFacts("math.fma", "float_ternary", 3, 1),
        OpFacts("arith.negf", "float_unary", 1, 1),
        OpFacts("arith.constant", "constant", 0, 1),
        OpFacts("arith.cmpi", "cmp", 2, 1),
        OpFacts("arith.cmpf", "cmp", 2, 1),
        OpFacts("arith.select", "select", 3, 1),
        OpFacts("memref.load", "memory", None, 1),
        OpFacts("memref.store", "memory", None, 0),
        OpFacts("memref.dim", "memory", 2, 1),
        OpFacts("memref.alloca", "memory", 0, 1),
        OpFacts("memref.alloc", "memory", 0, 1),
        OpFacts("memref.dealloc", "memory", 1, 0),
    ]
    rows += [
        OpFacts(f"scf.{n}", "control", None, 0)
        for n in ("for", "parallel", "reduce", "reduce.return", "if", "yield", "while",
                  "condition", "execute_region")
    ]  # fmt: skip
    rows += [OpFacts(f"gpu.{n}", "gpu_id", 0, 1) for n in sorted(GPU_IDS)]
    rows += [OpFacts(f"gpu.{n}", "gpu", None, 0) for n in ("launch", "barrier", "terminator")]
    return rows


OPS: dict[str, OpFacts] = {row.name: row for row in _rows()}
SUPPORTED_OPS: frozenset[str] = frozenset(OPS)


def ops_of_kind(*kinds: str) -> frozenset[str]:
    return frozenset(name for name, row in OPS.items() if row.kind in kinds)


# --------------------------------------------------------------------------
# Comparison predicates, in the order of MLIR's integer encoding (generic form)

CMPI_PREDICATES = ("eq", "ne", "slt", "sle", "sgt", "sge", "ult", "ule", "ugt", "uge")
CMPF_PREDICATES = (
    "false", "oeq", "ogt", "oge", "olt", "ole", "one", "ord",
    "ueq", "ugt", "uge", "ult", "ule", "une", "uno", "true",
)  # fmt: skip

# The C operator of each cmpi predicate (the operands already read as signed or unsigned).
CMPI_OPERATORS = {
    "eq": "==", "ne": "!=",
    "slt": "<", "sle": "<=", "sgt": ">", "sge": ">=",
    "ult": "<", "ule": "<=", "ugt": ">", "uge": ">=",
}  # fmt: skip

# --------------------------------------------------------------------------
# Casts: what kind of scalar each takes and gives (the checker's type rule)

CAST_OPERAND_KIND = {
    "sitofp": "int", "uitofp": "int", "fptosi": "float", "fptoui": "float",
    "extf": "float", "truncf": "float", "extsi": "int", "extui": "int", "trunci": "int",
    "index_cast": "int", "index_castui": "int",
}  # fmt: skip
CAST_RESULT_KIND = {
    "sitofp": "float", "uitofp": "float", "fptosi": "int", "fptoui": "int",
    "extf": "float", "truncf": "float", "extsi": "int", "extui": "int", "trunci": "int",
    "index_cast": "int", "index_castui": "int",
}  # fmt: skip

# --------------------------------------------------------------------------
# GPU ids: the layout of gpu.launch's twelve block arguments

DIM_NAMES = "xyz"
DIMS = {d: k for k, d in enumerate(DIM_NAMES)}
LAUNCH_ARG_NAMES = ("bx", "by", "bz", "tx", "ty", "tz", "gx", "gy", "gz", "sx", "sy", "sz")
# The block argument of id op `gpu.NAME` in dimension d is ID_ARG_BASE[NAME] + d.
ID_ARG_BASE = {"block_id": 0, "thread_id": 3, "grid_dim": 6, "block_dim": 9}
GPU_ID_OPS = frozenset(f"gpu.{n}" for n in GPU_IDS)

# --------------------------------------------------------------------------
# Printer spellings (MLIR 22)

# LLVM 16 spellings and the ops MLIR 22 has for them.
RENAMED_OPS = {"arith.minf": "arith.minimumf", "arith.maxf": "arith.maximumf"}
# Ops that take `overflow<...>` flags; ops that take `fastmath<...>`.
OVERFLOW_OPS = frozenset(["arith.addi", "arith.subi", "arith.muli", "arith.shli", "arith.trunci"])
FASTMATH_OPS = frozenset(
    [f"arith.{n}" for n in ARITH_FLOAT_BINARY | {"negf", "cmpf"}]
    + [f"math.{n}" for n in MATH_OPS - {"absi"}]
)

# --------------------------------------------------------------------------
# Integer values


def int_fits(value: int, bits: int, signed_only: bool = False) -> bool:
    """MLIR's rule for an integer attribute of a BITS-wide type: the value
    fits as a signed or as an unsigned integer (``255 : i8`` is -1); an
    ``index`` (SIGNED_ONLY) only as a signed one."""
    return -(1 << (bits - 1)) <= value < 1 << (bits - signed_only)


def normalize_int(value: int, bits: int) -> int:
    """VALUE wrapped into the signed range of a BITS-wide integer (i1: 0 or 1)."""
    if bits == 1:
        return value & 1
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >= 1 << (bits - 1) else value
