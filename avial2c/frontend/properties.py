"""Op properties and flags as MLIR 22 checks them.

MLIR keeps an op's inherent attributes in its *properties*: ``<{...}>`` in
the generic form, or the attribute dictionary when ``<{...}>`` is not
written.  An op without any (``arith.remsi``, ``scf.yield``, ...) refuses
``<{...}>``, even empty; the inherent attributes avial2c knows must have
their kind (``overflowFlags = #arith.overflow<nsw>``, ``predicate = 3 :
i64``, ...).  In the custom form, ``overflow<...>`` and ``fastmath<...>``
only follow the ops that have those flags, and name known flags.  Other
keys of an attribute dictionary are discardable attributes: anything goes.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from avial2c.frontend.reader import Attr
from avial2c.ops import CMPF_PREDICATES, CMPI_PREDICATES, FASTMATH_OPS, OVERFLOW_OPS

# Ops avial2c reads that have no properties in MLIR 22.
NO_PROPERTIES = frozenset(
    [f"arith.{n}" for n in ("andi", "ori", "xori", "remsi", "remui", "ceildivsi", "floordivsi",
                            "maxsi", "maxui", "minsi", "minui", "select", "extsi", "extui",
                            "fptosi", "fptoui", "index_cast", "index_castui", "sitofp", "uitofp",
                            "bitcast")]
    + ["math.absi", "gpu.barrier", "gpu.terminator", "memref.dim", "memref.dealloc"]
    + [f"scf.{n}" for n in ("if", "while", "condition", "reduce", "reduce.return", "yield")]
)  # fmt: skip

# Ops with fastmath flags: the float ops, comparisons and float casts.
FASTMATH_FLAG_OPS = FASTMATH_OPS | {"arith.extf", "arith.truncf"}
OVERFLOW_FLAGS = ("none", "nsw", "nuw")
FASTMATH_FLAGS = ("none", "reassoc", "nnan", "ninf", "nsz", "arcp", "contract", "afn", "fast")
FLAGS = {"overflow": OVERFLOW_FLAGS, "fastmath": FASTMATH_FLAGS}


def flags_problem(op: str, kind: str, body: str) -> str | None:
    """What is wrong with the custom-form flags 'KIND<BODY>' on OP, or None."""
    ops = OVERFLOW_OPS if kind == "overflow" else FASTMATH_FLAG_OPS
    if op not in ops:
        return f"'{op}' takes no {kind}<...> flags"
    problem = flag_list_problem(kind, body)
    return f"{kind}<...> {problem}" if problem is not None else None


def flag_list_problem(kind: str, body: str) -> str | None:
    """What is wrong with the comma-separated flags BODY of KIND, or None."""
    words = [w.strip() for w in body.split(",")]
    known = FLAGS[kind]
    bad = next((w for w in words if w not in known), None)
    if bad is None:
        return None
    return f"takes the flags {', '.join(known)}; found {f'{bad!r}' if bad else 'nothing'}"


def enum_attr(kind: str) -> Callable[[str, Attr], str | None]:
    """A check of '#arith.KIND<flags>'."""
    spelled = re.compile(rf"#arith\.{kind}<(.*)>", re.S)

    def check(op: str, a: Attr) -> str | None:
        m = spelled.fullmatch(a.text.strip())
        if m is None:
            return f"must be #arith.{kind}<...>, not '{a.text}'"
        return flag_list_problem(kind, m[1])

    return check


def predicate_attr(op: str, a: Attr) -> str | None:
    count = len(CMPI_PREDICATES if op == "arith.cmpi" else CMPF_PREDICATES)
    typed = a.type is None or a.type.text == "i64"
    if a.kind != "int" or not typed or not 0 <= a.int_value < count:
        return f"must be an i64 from 0 to {count - 1}, not '{a.text}'"
    return None


def i64_attr(op: str, a: Attr) -> str | None:
    if a.kind != "int" or (a.type is not None and a.type.text != "i64"):
        return f"must be an i64, not '{a.text}'"
    return None


def bool_attr(op: str, a: Attr) -> str | None:
    return None if a.kind == "bool" else f"must be true or false, not '{a.text}'"


CHECKS: dict[str, tuple[frozenset[str], Callable[[str, Attr], str | None]]] = {
    "overflowFlags": (OVERFLOW_OPS, enum_attr("overflow")),
    "fastmath": (FASTMATH_FLAG_OPS, enum_attr("fastmath")),
    "predicate": (frozenset(["arith.cmpi", "arith.cmpf"]), predicate_attr),
    "workgroup_attributions": (frozenset(["gpu.launch"]), i64_attr),
    "nontemporal": (frozenset(["memref.load", "memref.store"]), bool_attr),
}


def properties_problem(
    op: str, properties: tuple[tuple[str, Attr], ...] | None, attrs: tuple[tuple[str, Attr], ...]
) -> tuple[str, Attr | None] | None:
    """What is wrong with OP's properties (PROPERTIES: the entries of its
    '<{...}>', None when not written; ATTRS: its attribute dictionary), and
    the attribute at fault, or None."""
    if properties is not None and op in NO_PROPERTIES:
        first = properties[0][1] if properties else None
        return f"'{op}' has no properties: remove its '<{{...}}>'", first
    inherent = properties if properties is not None else attrs
    seen: set[str] = set()
    for key, a in inherent:
        entry = CHECKS.get(key)
        if entry is None or op not in entry[0] or key in seen:
            continue
        seen.add(key)
        problem = entry[1](op, a)
        if problem is not None:
            return f"'{key}' of '{op}' {problem}", a
    return None
