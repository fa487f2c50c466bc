"""Syntax records (generic layout) → the raw IR :class:`~avial2c.ir.Program`.

Resolves SSA names (a value is visible in the region that defines it and in
the regions nested in it), folds ``arith.constant`` into :class:`Const`
operands, drops operand-less terminators, normalises the ops to
``ir.OP_LAYOUTS`` and rejects unsupported ops and types with an error at
their span.  Types stay ``None`` where the seed form leaves them out; the
checker infers them.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from contextlib import contextmanager

from avial2c.diagnostics import CompileError
from avial2c.frontend.properties import properties_problem
from avial2c.frontend.reader import (
    MAX_NESTING,
    Attr,
    SynArg,
    SynBlock,
    SynFile,
    SynOp,
    SynRegion,
    SynType,
    Use,
    walk_syn,
)
from avial2c.ir import (
    EMPTY_BLOCK,
    I1,
    INDEX,
    SCALAR_NAMES,
    AttrValue,
    Block,
    Const,
    ConstValue,
    Item,
    Loop,
    MemRefType,
    Op,
    Operand,
    Program,
    ScalarType,
    Span,
    Target,
    TargetType,
    Task,
    TaskType,
    Type,
    Value,
)
from avial2c.ops import (
    ARITH_CASTS,
    ARITH_FLOAT_BINARY,
    ARITH_INT_BINARY,
    CMPF_PREDICATES,
    CMPI_PREDICATES,
    GPU_IDS,
    MATH_OPS,
    OPS,
    SUPPORTED_OPS,
    int_fits,
    normalize_int,
)

MAX_RANK = 4

# Custom forms whose type annotation names the operands' type.
ANNOTATED_OPERANDS = frozenset(["arith.cmpi", "arith.cmpf", *(f"arith.{n}" for n in ARITH_CASTS)])


# Terminators that carry nothing once their operands are gone.
DROPPED_TERMINATORS = frozenset(
    ["scf.yield", "scf.reduce", "gpu.terminator", "avial.yield", "func.return"]
)

# Where each terminator may stand: last in a block of one of these ops.
TERMINATOR_PARENTS = {
    "scf.yield": ("scf.for", "scf.if", "scf.while", "scf.execute_region"),
    "scf.condition": ("scf.while",),
    "scf.reduce": ("scf.parallel",),
    "scf.reduce.return": ("scf.reduce",),
    "gpu.terminator": ("gpu.launch",),
}

# The terminator that ends each region of an op, as MLIR requires it
# written: always (WRITTEN_TERMINATORS), or in the generic form, where no op
# has an implicit terminator (GENERIC_TERMINATORS).
WRITTEN_TERMINATORS = {
    "scf.execute_region": ("scf.yield",),
    "scf.while": ("scf.condition", "scf.yield"),
    "gpu.launch": ("gpu.terminator",),
}
GENERIC_TERMINATORS = {
    **WRITTEN_TERMINATORS,
    "scf.for": ("scf.yield",),
    "scf.if": ("scf.yield", "scf.yield"),
    "scf.parallel": ("scf.reduce",),
}

ONE_RESULT = frozenset(
    [f"arith.{n}" for n in ARITH_INT_BINARY | ARITH_FLOAT_BINARY | ARITH_CASTS]
    + ["arith.cmpi", "arith.cmpf", "arith.select", "arith.negf"]
    + [f"math.{n}" for n in MATH_OPS]
    + ["memref.load", "memref.dim", "memref.alloca", "memref.alloc"]
    + [f"gpu.{n}" for n in GPU_IDS]
)
NO_RESULT = frozenset(
    ["memref.store", "memref.dealloc", "scf.reduce", "scf.reduce.return", "scf.yield",
     "scf.condition", "gpu.barrier", "gpu.terminator", "gpu.launch"]
)  # fmt: skip


# --------------------------------------------------------------------------
# Types


def unsupported_type(t: SynType, why: str) -> CompileError:
    return CompileError(f"unsupported type '{t.text}': {why}", t.span)


def ir_type(t: SynType) -> Type:
    """The IR type of a written type; unsupported types are errors."""
    if t.kind == "named":
        return scalar_type(t)
    if t.kind == "dialect":
        if t.name == "!avial.target":
            return TargetType()
        if t.name == "!avial.task":
            return TaskType()
        raise unsupported_type(t, "only '!avial.target' and '!avial.task' are known dialect types")
    if t.kind == "function":
        raise unsupported_type(t, "a function type is not a value type")
    return memref_type(t)


def scalar_type(t: SynType) -> ScalarType:
    if t.kind == "named" and t.name in SCALAR_NAMES:
        return ScalarType(t.name)
    if t.kind != "named":
        raise unsupported_type(t, "expected a scalar type")
    raise unsupported_type(t, f"supported element types are {', '.join(SCALAR_NAMES)}")


def memref_type(t: SynType) -> MemRefType:
    if t.name != "memref":
        raise unsupported_type(t, f"{t.name} types are not supported, only memrefs")
    if t.shape is None:
        raise unsupported_type(t, "unranked memrefs are not supported")
    if any(d is None for d in t.shape):
        raise unsupported_type(t, "dynamic shapes are not supported")
    if len(t.shape) > MAX_RANK:
        raise unsupported_type(t, f"rank {len(t.shape)} exceeds the maximum of {MAX_RANK}")
    assert t.elem is not None
    if t.elem.kind != "named" or t.elem.name not in SCALAR_NAMES:
        why = (
            f"element type '{t.elem.text}' is not supported (use one of {', '.join(SCALAR_NAMES)})"
        )
        raise unsupported_type(t, why)
    shape = tuple(d for d in t.shape if d is not None)
    check_memref_params(t, shape)
    space: str | None = None
    for p in t.params:
        space = memref_param(t, shape, p, space)
    return MemRefType(shape, ScalarType(t.elem.name), space)


def is_layout(p: Attr) -> bool:
    return p.text.strip().startswith(("strided<", "affine_map<"))


def check_memref_params(t: SynType, shape: tuple[int, ...]) -> None:
    """What MLIR's parser and verifier require of a memref's layout and
    memory space: the memory space last and once, an affine map with one
    dimension per dimension of the memref."""
    spaces = 0
    for p in t.params:
        if is_layout(p) and spaces:
            raise CompileError(
                f"invalid type '{t.text}': the memory space must come after the layout", p.span
            )
        if not is_layout(p) and spaces:
            raise CompileError(f"invalid type '{t.text}': two memory spaces", p.span)
        spaces += not is_layout(p)
        dims = affine_map_dims(p.text.strip())
        if dims is not None and dims != len(shape):
            raise CompileError(
                f"invalid type '{t.text}': its layout map has {dims} dimension(s), but the "
                f"memref has rank {len(shape)}",
                p.span,
            )


def affine_map_dims(text: str) -> int | None:
    """The number of dimensions of 'affine_map<(d0, ...)[s0, ...] -> (...)>', or None."""
    m = re.match(r"affine_map<\s*\(([^)]*)\)", text)
    if m is None:
        return None
    return len([d for d in m.group(1).split(",") if d.strip()])


def memref_param(t: SynType, shape: tuple[int, ...], p: Attr, space: str | None) -> str | None:
    """Check a layout or memory space; return the memory space so far."""
    text = p.text.strip()
    if p.kind == "int" and p.int_value in (0, 3):
        return "workgroup" if p.int_value == 3 else space
    if text.replace(" ", "") in ("#gpu.address_space<workgroup>", "#gpu<address_spaceworkgroup>"):
        return "workgroup"
    if text.replace(" ", "") == "#gpu.address_space<global>":
        return space
    if text.startswith("strided<") and is_identity_strided(text, shape):
        return space
    if text.startswith("affine_map<") and is_identity_map(text):
        return space
    if text.startswith(("strided<", "affine_map<")):
        raise unsupported_type(t, "only the identity (row-major) layout is supported")
    raise unsupported_type(
        t, f"memory space or layout '{text}' is not supported (only #gpu.address_space<workgroup>)"
    )


def is_identity_strided(text: str, shape: tuple[int, ...]) -> bool:
    m = re.fullmatch(r"strided<\[([^\]]*)\](?:\s*,\s*offset\s*:\s*([^>]*))?>", text)
    if m is None:
        return False
    try:
        strides = [int(s) for s in m.group(1).split(",") if s.strip()]
        offset = int(m.group(2)) if m.group(2) is not None else 0
    except ValueError:
        return False
    expected = []
    n = 1
    for d in reversed(shape):
        expected.append(n)
        n *= d
    return offset == 0 and strides == list(reversed(expected))


def is_identity_map(text: str) -> bool:
    m = re.fullmatch(r"affine_map<\s*\(([^)]*)\)\s*->\s*\(([^)]*)\)\s*>", text)
    if m is None:
        return False
    dims = [d.strip() for d in m.group(1).split(",") if d.strip()]
    return dims == [d.strip() for d in m.group(2).split(",") if d.strip()]


# --------------------------------------------------------------------------
# Constants


def decode_float_bits(bits: int, t: ScalarType, a: Attr) -> float:
    width = 4 if t.name == "f32" else 8
    if bits >= 1 << (8 * width):
        raise CompileError(f"hexadecimal constant '{a.text}' does not fit in {t}", a.span)
    fmt = "<f" if width == 4 else "<d"
    value: float = struct.unpack(fmt, bits.to_bytes(width, "little"))[0]
    return value


def typed_int(a: Attr) -> int:
    """An integer attribute's value as MLIR reads it: `128 : i8` is -128, and
    a value its type cannot hold is an error."""
    m = re.search(r":\s*(i[0-9]+|si[0-9]+|ui[0-9]+|index)\s*$", a.text)
    if m is None:
        return a.int_value
    name = m.group(1)
    bits = 64 if name == "index" else int(name.lstrip("su").lstrip("i"))
    if bits < 1 or not int_fits(a.int_value, bits, signed_only=name == "index"):
        raise CompileError(f"integer constant {a.int_value} is out of range for {name}", a.span)
    return a.int_value if name.startswith("ui") else normalize_int(a.int_value, bits)


def fold_constant(a: Attr, t: ScalarType | None) -> ConstValue:
    if a.kind == "bool":
        return a.int_value
    if a.kind == "hex" and t is not None and t.is_float:
        return decode_float_bits(a.int_value, t, a)
    if a.kind in ("int", "hex"):
        if t is not None and t.is_float:
            return float(a.int_value)
        if t is None:
            return a.int_value
        if not int_fits(a.int_value, t.bits, signed_only=t == INDEX):
            raise CompileError(f"integer constant {a.int_value} is out of range for {t}", a.span)
        return normalize_int(a.int_value, t.bits)
    if a.kind == "float":
        if t is not None and not t.is_float:
            raise CompileError(
                f"expected an integer constant for type {t}, found '{a.text}'", a.span
            )
        return a.float_value
    raise CompileError(f"unsupported constant '{a.text}'", a.span)


# The type MLIR gives an attribute written without one: `0` is i64, `1.5` f64.
DEFAULT_ATTR_TYPES = {"int": "i64", "hex": "i64", "float": "f64", "bool": "i1"}


def check_constant_type(value: Attr, result: SynType) -> None:
    """A generic `arith.constant`'s value must have its result type, as MLIR
    verifies: `<{value = 0 : index}> : () -> i8` is an error."""
    written = value.type.text if value.type is not None else DEFAULT_ATTR_TYPES.get(value.kind)
    if written is None:
        return  # not a number: fold_constant says so
    have, want = re.sub(r"\s+", "", written), re.sub(r"\s+", "", result.text)
    if have != want:
        raise CompileError(
            f"the value of 'arith.constant' has type {have}, but its result has type {want}",
            value.span,
        )


# --------------------------------------------------------------------------
# The builder


class Builder:
    def __init__(self, filename: str) -> None:
        self.file = filename
        self.env: dict[str, tuple[Operand, ...]] = {}
        self.frames: list[list[str]] = []
        self.memref_set: set[Value] = set()
        self.targets: dict[Value, Target] = {}
        self.depth = 0
        self.fresh_count = 0

    # ----- names

    @contextmanager
    def scope(self) -> Iterator[None]:
        self.frames.append([])
        try:
            yield
        finally:
            for name in self.frames.pop():
                del self.env[name]

    def define(self, name: str, values: tuple[Operand, ...], span: Span) -> None:
        if name in self.env:
            raise CompileError(f"redefinition of value '%{name}'", span)
        self.env[name] = values
        self.frames[-1].append(name)

    def lookup(self, u: Use) -> Operand:
        group = self.env.get(u.name)
        if group is None:
            raise CompileError(f"use of undefined value '%{u.name}'", u.span)
        if u.number >= len(group):
            raise CompileError(
                f"'%{u.name}' has only {len(group)} result(s); '{u.text}' does not exist", u.span
            )
        return group[u.number]

    def use(self, u: Use) -> Operand:
        if u.name:
            return self.lookup(u)
        assert u.literal is not None
        if u.is_index and isinstance(u.literal, float):
            raise CompileError(f"expected an integer index, found '{u.text}'", u.span)
        return Const(u.literal, INDEX if u.is_index else None, u.span)

    def fresh(self, base: str) -> str:
        self.fresh_count += 1
        return f"{base}{self.fresh_count}"

    def define_arg(self, a: SynArg) -> Value:
        v = Value(a.name, ir_type(a.type) if a.type is not None else None, a.span)
        self.define(a.name, (v,), a.span)
        return v

    # ----- the file

    def program(self, syn: SynFile) -> Program:
        schedules = [op for op in walk_syn(syn.ops) if op.name == "avial.schedule"]
        if not schedules:
            raise CompileError(
                "no 'avial.schedule' in the file; avial2c translates one schedule per file",
                Span(self.file, 1, 1, 1, 1),
            )
        if len(schedules) > 1:
            raise CompileError(
                "more than one 'avial.schedule' in the file; avial2c translates one schedule per file",
                schedules[1].span,
            )
        found = find_container(syn.ops, schedules[0], None)
        if found is None:
            raise CompileError(
                "'avial.schedule' must be at the top level of the file, of a module or of a 'func.func'",
                schedules[0].span,
            )
        parent, siblings = found
        return self.enclosing(parent, siblings, schedules[0])

    def enclosing(
        self, parent: SynOp | None, siblings: tuple[SynOp, ...], schedule: SynOp
    ) -> Program:
        """The function (or module, or file) around the schedule."""
        func_name: str | None = None
        with self.scope():
            if parent is not None and parent.name == "func.func":
                sym = parent.attr("sym_name")
                func_name = sym.str_value if sym is not None else None
                for a in parent.regions[0].blocks[0].args:
                    self.define_arg(a)
            at = next(i for i, op in enumerate(siblings) if op is schedule)
            for op in siblings[:at]:
                self.prologue_op(op)
            program = self.schedule(schedule, func_name)
            for op in siblings[at + 1 :]:
                self.epilogue_op(op)
        return program

    def prologue_op(self, s: SynOp) -> None:
        if s.name in ("func.func", "builtin.module"):
            return
        if s.name == "arith.constant":
            self.constant(s)
            return
        if s.name in ("memref.alloc", "memref.alloca"):
            self.body_op(s, "func.func")
            return
        self.check_known(s)
        raise CompileError(
            f"'{s.name}' before 'avial.schedule' is not supported; only 'arith.constant' and "
            "'memref.alloc' may come before it (put computations in an 'avial.task')",
            s.span,
        )

    def epilogue_op(self, s: SynOp) -> None:
        if s.name in ("func.func", "builtin.module", "memref.dealloc", "func.return"):
            return
        self.check_known(s)
        raise CompileError(
            f"'{s.name}' after 'avial.schedule' is not supported; only 'memref.dealloc' and "
            "'return' may follow it",
            s.span,
        )

    def check_known(self, s: SynOp) -> None:
        if s.name not in SUPPORTED_OPS and not s.name.startswith(("avial.", "func.", "builtin.")):
            raise CompileError(f"unsupported operation '{s.name}'", s.span)

    # ----- the schedule

    def schedule(self, s: SynOp, func_name: str | None) -> Program:
        self.no_results(s)
        types = s.operand_types
        if types is not None and len(types) != len(s.operands):
            raise CompileError(
                f"'avial.schedule' has {len(s.operands)} memrefs but {len(types)} types", s.span
            )
        memrefs: list[Value] = []
        for i, u in enumerate(s.operands):
            v = self.schedule_memref(u, types[i] if types is not None else None)
            if v in self.memref_set:
                raise CompileError(f"'{u.text}' appears more than once in 'avial.schedule'", u.span)
            self.memref_set.add(v)
            memrefs.append(v)
        targets: list[Target] = []
        tasks: list[Task] = []
        items: list[Item] = []
        block = self.single_block(s, "avial.schedule")
        with self.scope():
            for op in block.ops:
                self.schedule_op(op, targets, tasks, items)
        looped = tuple(items) if any(isinstance(x, Loop) for x in items) else ()
        return Program(
            self.file, tuple(memrefs), tuple(targets), tuple(tasks), s.span, func_name, looped
        )

    def schedule_memref(self, u: Use, t: SynType | None) -> Value:
        if not u.name:
            raise CompileError(
                f"operands of 'avial.schedule' must be memrefs, but '{u.text}' is a constant",
                u.span,
            )
        declared = self.declared_memref(u, t) if t is not None else None
        if u.name not in self.env:
            v = Value(u.name, declared, u.span)
            self.define(u.name, (v,), u.span)
            return v
        found = self.lookup(u)
        if isinstance(found, Value) and isinstance(found.known_type, MemRefType):
            if declared is not None and declared != found.known_type:
                raise CompileError(
                    f"type mismatch: '{u.text}' is {found.known_type} where it is defined but "
                    f"{declared} in 'avial.schedule'",
                    u.span,
                )
            return found
        if isinstance(found, Value) and found.known_type is None:
            return found
        raise CompileError(
            f"operands of 'avial.schedule' must be memrefs, but '{u.text}' is {describe(found)}",
            u.span,
        )

    def declared_memref(self, u: Use, t: SynType) -> MemRefType:
        it = ir_type(t)
        if not isinstance(it, MemRefType):
            raise CompileError(
                f"operands of 'avial.schedule' must be memrefs, but '{u.text}' has type {it}",
                t.span,
            )
        return it

    def single_block(self, s: SynOp, what: str) -> SynBlock:
        """The one block of the one region of S, which takes no arguments."""
        if len(s.regions) != 1:
            raise CompileError(f"'{what}' needs one region (its body)", s.span)
        region = s.regions[0]
        if not region.blocks:
            return SynBlock((), (), region.span)
        if len(region.blocks) > 1:
            raise CompileError(
                "a region with more than one block is not supported", region.blocks[1].span
            )
        block = region.blocks[0]
        if block.args:
            raise CompileError(f"the body of '{what}' takes no block arguments", block.args[0].span)
        return block

    def schedule_op(
        self,
        s: SynOp,
        targets: list[Target],
        tasks: list[Task],
        items: list[Item],
        in_loop: bool = False,
    ) -> None:
        """One op of the schedule region, or of a loop's body when IN_LOOP."""
        if s.name == "avial.target":
            targets.append(self.target(s, len(targets) + 1))
        elif s.name == "avial.task":
            task = self.task(s, len(tasks) + 1)
            tasks.append(task)
            items.append(task)
        elif s.name == "arith.constant":
            self.constant(s)
        elif s.name == "scf.for":
            items.append(self.schedule_loop(s, targets, tasks))
        elif s.name == "avial.yield" and not s.operands:
            return
        elif s.name == "scf.yield" and in_loop:
            if s.operands:
                raise CompileError(
                    "'scf.yield' of 'scf.for' in 'avial.schedule' cannot yield values: tasks "
                    "communicate through memrefs",
                    s.span,
                )
        else:
            self.check_known(s)
            if in_loop:
                raise CompileError(
                    f"'{s.name}' is not allowed in a loop of 'avial.schedule'; a loop holds "
                    "'avial.task' ops and nested 'scf.for' loops (put computations in a task)",
                    s.span,
                )
            raise CompileError(
                f"'{s.name}' is not allowed directly in 'avial.schedule'; it holds 'avial.target' "
                "and 'avial.task' ops and 'scf.for' loops around tasks (put computations in a task)",
                s.span,
            )

    def schedule_loop(self, s: SynOp, targets: list[Target], tasks: list[Task]) -> Loop:
        """A time loop: ``scf.for`` with constant bounds around tasks."""
        check_for(self, s, "avial.schedule")
        if len(s.operands) > 3 or s.results or (s.result_types or ()):
            raise CompileError(
                "'scf.for' in 'avial.schedule' cannot carry values ('iter_args'): tasks "
                "communicate through memrefs",
                s.span,
            )
        bounds: list[int] = []
        for what, u in zip(("lower bound", "upper bound", "step"), s.operands, strict=True):
            x = self.use(u)
            if isinstance(x, Const) and x.known_type is not None and x.known_type != INDEX:
                raise CompileError(
                    f"the {what} of 'scf.for' in 'avial.schedule' must be an index, but "
                    f"'{u.text}' is {x.known_type}",
                    u.span,
                )
            if (
                not isinstance(x, Const)
                or not isinstance(x.value, int)
                or isinstance(x.value, bool)
            ):
                raise CompileError(
                    f"the {what} of 'scf.for' in 'avial.schedule' must be a constant index "
                    f"('arith.constant' in the schedule region, or an integer literal), but "
                    f"'{u.text}' is {describe(x)}",
                    u.span,
                )
            if not int_fits(int(x.value), 64, signed_only=True):
                raise CompileError(f"'{u.text}' does not fit in an index", u.span)
            bounds.append(int(x.value))
        if bounds[2] <= 0:
            raise CompileError(
                f"the step of 'scf.for' in 'avial.schedule' must be positive, not {bounds[2]}",
                s.operands[2].span,
            )
        if len(s.regions) != 1 or len(s.regions[0].blocks) != 1:
            raise CompileError("'scf.for' needs one region with one block (its body)", s.span)
        block = s.regions[0].blocks[0]
        if len(block.args) != 1:
            raise CompileError(
                "the body of 'scf.for' in 'avial.schedule' takes one argument, the induction "
                "variable",
                block.span,
            )
        items: list[Item] = []
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise CompileError(f"nesting too deep (more than {MAX_NESTING} nested regions)", s.span)
        try:
            with self.scope():
                iv = self.define_arg(block.args[0])
                if iv.known_type is not None and iv.known_type != INDEX:
                    raise CompileError(
                        f"the induction variable of 'scf.for' in 'avial.schedule' must be an "
                        f"index, not {iv.known_type}",
                        block.args[0].span,
                    )
                if iv.known_type is None:
                    iv = Value(iv.name, INDEX, iv.span)
                    self.env[iv.name] = (iv,)
                for op in block.ops:
                    if op.name == "avial.target":
                        raise CompileError(
                            "'avial.target' must be outside the loops of the schedule", op.span
                        )
                    self.schedule_op(op, targets, tasks, items, in_loop=True)
        finally:
            self.depth -= 1
        lb, ub, step = bounds
        return Loop(iv, lb, ub, step, tuple(items), s.span)

    def result_names(self, s: SynOp) -> list[tuple[str, Span]]:
        """One (name, span) per result; '%r:2' gives r_0, r_1."""
        out: list[tuple[str, Span]] = []
        for r in s.results:
            if r.count == 1:
                out.append((r.name, r.span))
            else:
                out.extend((f"{r.name}_{i}", r.span) for i in range(r.count))
        return out

    def bind_results(self, s: SynOp, values: tuple[Operand, ...]) -> None:
        """Bind each written result name (or group '%r:N') to its values."""
        at = 0
        for r in s.results:
            self.define(r.name, values[at : at + r.count], r.span)
            at += r.count

    def no_results(self, s: SynOp) -> None:
        if s.results:
            raise CompileError(f"'{s.name}' has no results", s.results[0].span)

    # ----- targets and tasks

    def target(self, s: SynOp, k: int) -> Target:
        arch = s.attr("arch")
        if arch is None:
            raise CompileError(
                "'avial.target' needs an 'arch' attribute, e.g. {arch = \"x86_64\"}", s.span
            )
        if arch.kind != "str":
            raise CompileError(
                "the 'arch' of 'avial.target' must be a string, e.g. {arch = \"x86_64\"}", arch.span
            )
        if s.operands:
            raise CompileError("'avial.target' takes no operands", s.operands[0].span)
        self.expect_type(s, TargetType())
        value = self.single_result(s, TargetType(), f"target{k}")
        target = Target(value, arch.str_value, s.span)
        self.targets[value] = target
        return target

    def expect_type(self, s: SynOp, t: Type) -> None:
        if not s.result_types:
            return
        if len(s.result_types) != 1 or ir_type(s.result_types[0]) != t:
            raise CompileError(f"'{s.name}' produces one '{t}' value", s.span)

    def single_result(self, s: SynOp, t: Type, default: str) -> Value:
        names = self.result_names(s)
        if len(names) > 1:
            raise CompileError(
                f"'{s.name}' has one result, but {len(names)} names are given", s.span
            )
        name, span = names[0] if names else (default, s.span)
        value = Value(name, t, span)
        if names:
            self.bind_results(s, (value,))
        return value

    def task(self, s: SynOp, k: int) -> Task:
        n = len(s.operands)
        segs = s.segments if s.segments is not None else (1, max(n - 2, 0), min(n - 1, 1))
        if n == 0 or len(segs) != 3 or segs[0] != 1 or sum(segs) != n:
            raise CompileError(
                "'avial.task' operands must be a target, the memrefs read and the memrefs "
                "written (operandSegmentSizes = array<i32: 1, R, W>)",
                s.span,
            )
        target = self.task_target(s.operands[0])
        reads = self.accesses(s.operands[1 : 1 + segs[1]], "reads")
        writes = self.accesses(s.operands[1 + segs[1] :], "writes")
        rank, display, split = self.task_attrs(s)
        self.expect_type(s, TaskType())
        block = self.single_block(s, "avial.task")
        body = self.block(block, (), "avial.task")
        value = self.single_result(s, TaskType(), f"task{k}")
        return Task(value, target, reads, writes, body, rank, display, s.span, split=split)

    def task_target(self, u: Use) -> Target:
        what = "a constant"
        if u.name:
            v = self.lookup(u)
            if isinstance(v, Value) and v in self.targets:
                return self.targets[v]
            what = describe(v, self.memref_set)
        raise CompileError(
            f"first operand of 'avial.task' must be an '!avial.target' value, but '{u.text}' is {what}",
            u.span,
        )

    def accesses(self, uses: tuple[Use, ...], which: str) -> tuple[Value, ...]:
        out: list[Value] = []
        for u in uses:
            v = self.lookup(u) if u.name else None
            if not isinstance(v, Value) or v not in self.memref_set:
                raise CompileError(
                    f"'{u.text}' in the {which} of 'avial.task' is not a memref of the schedule",
                    u.span,
                )
            if v not in out:
                out.append(v)
        return tuple(out)

    def task_attrs(self, s: SynOp) -> tuple[int | None, str | None, str | None]:
        rank: int | None = None
        display: str | None = None
        split: str | None = None
        for key, a in s.attrs:
            if key == "rank":
                if a.kind != "int":
                    raise CompileError(
                        "'rank' of 'avial.task' must be an integer, e.g. {rank = 1}", a.span
                    )
                value = typed_int(a)
                if not 0 <= value < 1 << 31:
                    raise CompileError(
                        f"'rank' of 'avial.task' must be a rank number from 0 to 2147483647, "
                        f"not {value}",
                        a.span,
                    )
                rank = value
            elif key == "name":
                if a.kind != "str":
                    raise CompileError(
                        "'name' of 'avial.task' must be a string, e.g. {name = \"sum\"}", a.span
                    )
                display = a.str_value
            elif key == "split":
                if a.kind != "str" or a.str_value != "rows":
                    raise CompileError(
                        "'split' of 'avial.task' must be \"rows\", e.g. {split = \"rows\"}",
                        a.span,
                    )
                split = a.str_value
            elif key != "operandSegmentSizes":
                raise CompileError(
                    f"unknown attribute '{key}' on 'avial.task'; expected 'rank', 'name' or "
                    "'split'",
                    a.span,
                )
        if split is not None and rank is not None:
            raise CompileError(
                "a task split by rows runs on every rank: it cannot also have 'rank'", s.span
            )
        return rank, display, split

    # ----- blocks and ops

    def block(self, b: SynBlock, args: tuple[SynArg, ...], parent: str) -> Block:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise CompileError(f"nesting too deep (more than {MAX_NESTING} nested regions)", b.span)
        try:
            with self.scope():
                values = tuple(self.define_arg(a) for a in (*args, *b.args))
                check_terminator_places(b, parent)
                ops = [op for op in (self.body_op(s, parent) for s in b.ops) if op is not None]
            return Block(values, tuple(ops))
        finally:
            self.depth -= 1

    def region(self, r: SynRegion, parent: str) -> Block:
        if not r.blocks:
            return EMPTY_BLOCK
        if len(r.blocks) > 1:
            raise CompileError(
                "a region with more than one block is not supported", r.blocks[1].span
            )
        return self.block(r.blocks[0], (), parent)

    def check_allowed(self, s: SynOp) -> None:
        if s.name in SUPPORTED_OPS or s.name == "avial.yield":
            return
        if s.name in ("avial.schedule", "avial.target", "avial.task"):
            raise CompileError(
                f"'{s.name}' is only allowed directly inside 'avial.schedule'", s.span
            )
        if s.name in ("func.func", "func.return", "builtin.module"):
            raise CompileError(f"'{s.name}' is not allowed inside an 'avial.task'", s.span)
        raise CompileError(f"unsupported operation '{s.name}'", s.span)

    def body_op(self, s: SynOp, parent: str) -> Op | None:
        """The IR op for S, or None when S is folded (constant) or dropped."""
        self.check_allowed(s)
        check_operand_count(s)
        if s.has_successors:
            raise CompileError(f"'{s.name}' with successor blocks is not supported", s.span)
        if s.name == "arith.constant":
            self.constant(s)
            return None
        if s.name in DROPPED_TERMINATORS and not s.operands and not s.regions:
            self.no_results(s)
            return None
        check_terminators(s)
        check_properties(s)
        check = OP_CHECKS.get(s.name)
        if check is not None:
            check(self, s, parent)
        operands = tuple(self.use(u) for u in s.operands)
        self.check_operand_types(s, operands)
        regions = self.op_regions(s)
        results = self.results(s)
        op = Op(s.name, operands, results, self.op_attrs(s), regions, s.span)
        return normalize_parallel(op) if s.name == "scf.parallel" else op

    def check_operand_types(self, s: SynOp, operands: tuple[Operand, ...]) -> None:
        """The written operand types (generic form; the type annotation of a
        cast or a comparison) must be those of the operands."""
        declared = s.operand_types
        if declared is None or (s.custom and s.name not in ANNOTATED_OPERANDS):
            return
        if len(declared) != len(operands):
            raise CompileError(
                f"'{s.name}' has {len(operands)} operands but {len(declared)} operand types",
                s.span,
            )
        for k, (x, written) in enumerate(zip(operands, declared, strict=True)):
            if x.known_type is None:
                continue  # seed form: the checker infers it
            want = ir_type(written)
            if want != x.known_type:
                what = f"'%{x.name}'" if isinstance(x, Value) else f"operand #{k}"
                raise CompileError(
                    f"type mismatch: '{s.name}' is written for {want}, but {what} is "
                    f"{x.known_type}",
                    s.operands[k].span,
                )

    def op_regions(self, s: SynOp) -> tuple[Block, ...]:
        regions = tuple(self.region(r, s.name) for r in s.regions)
        if s.name == "scf.if" and len(regions) == 1:
            regions = (*regions, EMPTY_BLOCK)
        return regions

    def results(self, s: SynOp) -> tuple[Value, ...]:
        names = self.result_names(s)
        types = s.result_types
        count = len(types) if types is not None else len(names)
        if types is None and s.name in ONE_RESULT:
            count = 1
        if names and len(names) != count:
            raise CompileError(
                f"'{s.name}' has {count} result(s), but {len(names)} names are given", s.span
            )
        if s.name in ONE_RESULT and count != 1:
            raise CompileError(f"'{s.name}' has exactly one result", s.span)
        if s.name in NO_RESULT and count != 0:
            raise CompileError(f"'{s.name}' has no results", s.span)
        values: list[Value] = []
        for i in range(count):
            t = ir_type(types[i]) if types is not None else None
            name, span = names[i] if names else (self.fresh("_"), s.span)
            values.append(Value(name, t, span))
        if names:
            self.bind_results(s, tuple(values))
        return tuple(values)

    def op_attrs(self, s: SynOp) -> tuple[tuple[str, AttrValue], ...]:
        if s.name in ("arith.cmpi", "arith.cmpf"):
            return (("predicate", predicate(s)),)
        if s.name.startswith("gpu.") and s.name[4:] in GPU_IDS:
            return (("dimension", dimension(s)),)
        if s.name == "gpu.launch" and s.attr("terse") is not None:
            return (("terse", True),)
        return ()

    def constant(self, s: SynOp) -> None:
        value = s.attr("value")
        if value is None:
            raise CompileError("'arith.constant' needs a value", s.span)
        if not s.custom and s.result_types:
            check_constant_type(value, s.result_types[0])
        written = value.type or (s.result_types[0] if s.result_types else None)
        t = scalar_type(written) if written is not None else None
        if t is None and value.kind == "bool":
            t = I1
        c = Const(fold_constant(value, t), t, s.span)
        names = self.result_names(s)
        if len(names) > 1:
            raise CompileError(
                f"'arith.constant' has one result, but {len(names)} names are given", s.span
            )
        if names:
            self.bind_results(s, (c,))


# --------------------------------------------------------------------------
# Per-op checks and normalisation


def check_for(b: Builder, s: SynOp, parent: str) -> None:
    if s.attr("unsignedCmp") is not None:
        raise CompileError("unsigned 'scf.for' loops are not supported", s.span)
    if len(s.operands) < 3:
        raise CompileError("'scf.for' needs a lower bound, an upper bound and a step", s.span)


def check_parallel(b: Builder, s: SynOp, parent: str) -> None:
    n = len(s.regions[0].blocks[0].args) if s.regions and s.regions[0].blocks else 0
    segs = s.segments
    if segs is None:
        segs = (n, n, n, len(s.operands) - 3 * n)
    if (
        n == 0
        or len(segs) != 4
        or segs[:3] != (n, n, n)
        or segs[3] < 0
        or sum(segs) != len(s.operands)
    ):
        raise CompileError(
            f"'scf.parallel' operands do not match its {n} induction variable(s): expected "
            "lower bounds, upper bounds and steps for each, then the initial values",
            s.span,
        )


def is_llvm16_parallel_body(ops: tuple[SynOp, ...]) -> bool:
    """Does an scf.parallel body read as LLVM 16 wrote it: reductions
    (scf.reduce with a value, anywhere) and then 'scf.yield'?"""
    return (
        bool(ops) and ops[-1].name == "scf.yield" and not ops[-1].operands
        and any(s.name == "scf.reduce" and s.operands for s in ops)
    )  # fmt: skip


def check_operand_count(s: SynOp) -> None:
    """An op of a fixed arity (avial2c/ops.py) has that many operands."""
    facts = OPS.get(s.name)
    if facts is None or facts.operands is None or len(s.operands) == facts.operands:
        return
    raise CompileError(
        f"'{s.name}' takes {facts.operands} operand(s), but {len(s.operands)} are given",
        s.operands[facts.operands].span if len(s.operands) > facts.operands else s.span,
    )


def check_properties(s: SynOp) -> None:
    """S's properties as MLIR checks them (avial2c/frontend/properties.py)."""
    if s.properties is not None:
        found = properties_problem(s.name, s.attrs[: s.properties], s.attrs[s.properties :])
    else:  # the custom syntax sets the predicate; a dictionary's may be anything
        attrs = s.attrs if not s.custom else tuple(e for e in s.attrs if e[0] != "predicate")
        found = properties_problem(s.name, None, attrs)
    if found is not None:
        problem, at = found
        raise CompileError(problem, at.span if at is not None else s.span)


def check_terminator_places(b: SynBlock, parent: str) -> None:
    """Each terminator of B stands last, in a block of an op it may end."""
    llvm16 = parent == "scf.parallel" and is_llvm16_parallel_body(b.ops)
    for k, s in enumerate(b.ops):
        parents = TERMINATOR_PARENTS.get(s.name)
        if parents is None or (llvm16 and s.name in ("scf.reduce", "scf.yield")):
            continue
        if parent not in parents:
            where = " or ".join(f"'{p}'" for p in parents)
            raise CompileError(f"'{s.name}' must be directly inside {where}", s.span)
        if k != len(b.ops) - 1:
            raise CompileError(
                f"'{s.name}' must be the last operation in its block; "
                f"'{b.ops[k + 1].name}' follows it",
                b.ops[k + 1].span,
            )


def check_terminators(s: SynOp) -> None:
    """The terminators MLIR needs written (all of them in the generic form;
    scf.execute_region, scf.while and gpu.launch in the custom form too) are
    there, and an scf.if with results has an else region."""
    if s.name == "scf.if" and s.result_types and (len(s.regions) < 2 or not s.regions[1].blocks):
        raise CompileError("'scf.if' with results needs an 'else' region", s.span)
    table = WRITTEN_TERMINATORS if s.custom else GENERIC_TERMINATORS
    needed = table.get(s.name, ())
    if s.name == "gpu.launch" and s.attr("terse") is not None:
        needed = ()  # avial2c's own terse form
    for region, name in zip(s.regions, needed, strict=False):
        if not region.blocks:
            continue
        ops = region.blocks[-1].ops
        if s.name == "scf.parallel" and is_llvm16_parallel_body(ops):
            continue
        if not ops or ops[-1].name != name:
            found = f"'{ops[-1].name}'" if ops else "nothing"
            form = "" if s.name in WRITTEN_TERMINATORS else " in the generic form"
            raise CompileError(
                f"a region of '{s.name}' must end with '{name}'{form}, but it ends with {found}",
                ops[-1].span if ops else region.span,
            )


def check_reduce(b: Builder, s: SynOp, parent: str) -> None:
    if len(s.regions) != len(s.operands):
        raise CompileError(
            f"'scf.reduce' has {len(s.operands)} value(s) but {len(s.regions)} reduction region(s)",
            s.span,
        )


def check_launch(b: Builder, s: SynOp, parent: str) -> None:
    if s.attr("terse") is not None:
        return
    segs = s.segments
    if segs is not None and (
        len(segs) < 7 or segs[0] != 0 or segs[1:7] != (1,) * 6 or any(segs[7:])
    ):
        raise CompileError(
            "'gpu.launch' with async dependencies, clusters or dynamic shared memory is not supported",
            s.span,
        )
    wa = s.attr("workgroup_attributions")
    if wa is not None and wa.int_value != 0:
        raise CompileError(
            "'gpu.launch' workgroup attributions are not supported; use 'memref.alloca' with "
            "#gpu.address_space<workgroup> in the body",
            s.span,
        )
    nargs = len(s.regions[0].blocks[0].args) if s.regions and s.regions[0].blocks else 0
    if len(s.operands) != 6 or nargs != 12:
        raise CompileError(
            "'gpu.launch' needs 6 launch sizes (grid x, y, z, block x, y, z) and 12 body arguments",
            s.span,
        )


def check_alloc(b: Builder, s: SynOp, parent: str) -> None:
    if s.operands:
        raise CompileError(f"'{s.name}' with dynamic sizes or symbols is not supported", s.span)
    if not s.result_types:
        raise CompileError(f"'{s.name}' needs its memref type, e.g. ': memref<16xf32>'", s.span)


OP_CHECKS = {
    "scf.for": check_for,
    "scf.parallel": check_parallel,
    "scf.reduce": check_reduce,
    "gpu.launch": check_launch,
    "memref.alloc": check_alloc,
    "memref.alloca": check_alloc,
}


def normalize_parallel(op: Op) -> Op:
    """Both scf.reduce spellings → one scf.reduce with k operands and k regions, last."""
    body = op.regions[0]
    reduces = [o for o in body.ops if o.name == "scf.reduce"]
    if not reduces:
        return op
    others = tuple(o for o in body.ops if o.name != "scf.reduce")
    merged = Op(
        "scf.reduce",
        tuple(x for r in reduces for x in r.operands),
        (),
        (),
        tuple(region for r in reduces for region in r.regions),
        reduces[0].span,
    )
    return Op(
        op.name, op.operands, op.results, op.attrs, (Block(body.args, (*others, merged)),), op.span
    )


def predicate(s: SynOp) -> str:
    names = CMPI_PREDICATES if s.name == "arith.cmpi" else CMPF_PREDICATES
    a = s.attr("predicate")
    if a is None:
        raise CompileError(f"'{s.name}' needs a predicate", s.span)
    if a.kind == "int" and 0 <= a.int_value < len(names):
        return names[a.int_value]
    if a.kind == "str" and a.str_value in names:
        return a.str_value
    raise CompileError(
        f"unknown predicate '{a.text}' for '{s.name}'; expected one of {', '.join(names)}", a.span
    )


def dimension(s: SynOp) -> str:
    a = s.attr("dimension")
    if a is None:
        raise CompileError(f"'{s.name}' needs a dimension: x, y or z", s.span)
    m = re.fullmatch(r"#gpu<\s*dim\s+(\w+)\s*>", a.text.strip())
    dim = m.group(1) if m is not None else a.str_value
    if dim not in ("x", "y", "z"):
        raise CompileError(
            f"expected dimension 'x', 'y' or 'z' for '{s.name}', found '{a.text}'", a.span
        )
    return dim


def describe(v: Operand, memrefs: set[Value] | None = None) -> str:
    """What a value is, for messages: 'a memref', 'a task', 'a value of type i32'."""
    if isinstance(v, Const):
        return "a constant"
    if isinstance(v.known_type, MemRefType) or (memrefs is not None and v in memrefs):
        return "a memref"
    if isinstance(v.known_type, TaskType):
        return "a task"
    if v.known_type is None:
        return "not a target"
    return f"a value of type {v.known_type}"


def find_container(
    ops: tuple[SynOp, ...], target: SynOp, parent: SynOp | None
) -> tuple[SynOp | None, tuple[SynOp, ...]] | None:
    """(the op whose block holds TARGET, that block's ops), looking through modules and functions."""
    for op in ops:
        if op is target:
            return parent, ops
        if op.name not in ("builtin.module", "func.func"):
            continue
        for region in op.regions:
            for block in region.blocks:
                found = find_container(block.ops, target, op)
                if found is not None:
                    return found
    return None


def build_program(syn: SynFile, filename: str) -> Program:
    return Builder(filename).program(syn)
