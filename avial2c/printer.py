"""Printers of checked programs.

* :func:`print_custom` — the typed custom form (``examples/seed_typed.mlir``):
  custom syntax for the avial ops, MLIR's own custom syntax for the upstream
  ops, one ``arith.constant`` per distinct constant at the top of each task.
* :func:`print_generic` — MLIR's generic op form, exactly as
  ``mlir-opt --allow-unregistered-dialect --mlir-print-op-generic`` prints it
  (``examples/seed_generic.mlir``), values numbered the way MLIR numbers them.
* :func:`canonical` — a name-free, span-free text of the IR itself, for
  comparing programs (:func:`programs_equal`).

Every printer is deterministic: the same program always gives the same text.
"""

from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass, field

from .ir import (
    ARITH_CASTS,
    ARITH_FLOAT_BINARY,
    ARITH_INT_BINARY,
    MATH_OPS,
    AttrValue,
    Block,
    Const,
    Op,
    Operand,
    Program,
    ScalarType,
    Task,
    Type,
    Value,
    walk_ops,
)

# --------------------------------------------------------------------------
# Op tables

CMPI_PREDICATES = ("eq", "ne", "slt", "sle", "sgt", "sge", "ult", "ule", "ugt", "uge")
CMPF_PREDICATES = (
    "false", "oeq", "ogt", "oge", "olt", "ole", "one", "ord",
    "ueq", "ugt", "uge", "ult", "ule", "une", "uno", "true",
)  # fmt: skip

# LLVM 16 spellings and the ops MLIR 22 has for them.
RENAMED_OPS = {"arith.minf": "arith.minimumf", "arith.maxf": "arith.maximumf"}

OVERFLOW_OPS = frozenset(["arith.addi", "arith.subi", "arith.muli", "arith.shli", "arith.trunci"])
FASTMATH_OPS = frozenset(
    [f"arith.{n}" for n in ARITH_FLOAT_BINARY | {"negf", "cmpf"}]
    + [f"math.{n}" for n in MATH_OPS - {"absi"}]
)
BINARY_OPS = frozenset(
    [f"arith.{n}" for n in ARITH_INT_BINARY | ARITH_FLOAT_BINARY]
    + [f"math.{n}" for n in MATH_OPS]
    + ["arith.negf"]
)
CAST_OPS = frozenset(f"arith.{n}" for n in ARITH_CASTS)
GPU_ID_OPS = frozenset(
    f"gpu.{n}" for n in ("thread_id", "block_id", "block_dim", "grid_dim", "global_id")
)
LAUNCH_SEGMENTS = "array<i32: 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0>"

# The terminator MLIR requires at the end of region K of an op, when the IR
# dropped it (because it had no operands).
TERMINATORS = {
    ("scf.for", 0): "scf.yield",
    ("scf.parallel", 0): "scf.reduce",
    ("scf.if", 0): "scf.yield",
    ("scf.if", 1): "scf.yield",
    ("scf.while", 1): "scf.yield",
    ("scf.execute_region", 0): "scf.yield",
    ("gpu.launch", 0): "gpu.terminator",
}

# Order of constants at the top of a task body.
TYPE_ORDER = ("index", "i1", "i8", "i16", "i32", "i64", "f32", "f64")


def op_name(op: Op) -> str:
    """The MLIR 22 name of OP (LLVM 16 spellings renamed)."""
    return RENAMED_OPS.get(op.name, op.name)


def terminator_needed(parent: Op, index: int) -> str | None:
    """The operand-less terminator to print at the end of region INDEX of PARENT."""
    name = TERMINATORS.get((parent.name, index))
    if name is None:
        return None
    block = parent.regions[index]
    if block.ops and block.ops[-1].name == name:
        return None
    return name


def is_empty_else(parent: Op, index: int) -> bool:
    """An scf.if without results and without an else: MLIR prints an empty region."""
    return (
        parent.name == "scf.if" and index == 1 and not parent.results
        and not parent.regions[1].ops
    )  # fmt: skip


# --------------------------------------------------------------------------
# Literals


def type_text(t: Type | None) -> str:
    if t is None:
        raise ValueError("the program is not checked: a value has no type")
    return str(t)


def escape(text: str) -> str:
    """A string literal in MLIR's escaping (llvm::printEscapedString)."""
    out = []
    for byte in text.encode("utf-8"):
        if byte == 0x5C:
            out.append("\\\\")
        elif 0x20 <= byte <= 0x7E and byte != 0x22:
            out.append(chr(byte))
        else:
            out.append(f"\\{byte:02X}")
    return '"' + "".join(out) + '"'


def to_f32(value: float) -> float:
    """VALUE rounded to the nearest f32 (overflow gives an infinity)."""
    try:
        return float(struct.unpack("<f", struct.pack("<f", value))[0])
    except OverflowError:
        return math.copysign(math.inf, value)


def float_bits(value: float, t: ScalarType) -> int:
    if t.name == "f32":
        return int(struct.unpack("<I", struct.pack("<f", to_f32(value)))[0])
    return int(struct.unpack("<Q", struct.pack("<d", value))[0])


def float_text(value: float, t: ScalarType) -> str:
    """VALUE as MLIR prints a float of type T (AsmPrinter's printFloatValue)."""
    if t.name == "f32":
        value = to_f32(value)
    precision = 24 if t.name == "f32" else 53
    if math.isfinite(value):
        short = apfloat_string(value, precision, 6, 0, False)
        if float_bits(float(short), t) == float_bits(value, t):
            return short
        full = apfloat_string(value, precision, 0, 3, True)
        if "." in full:
            return full
    return f"0x{float_bits(value, t):X}"


def decimal_digits(value: float, precision: int, fmt_precision: int) -> tuple[list[int], int]:
    """The digits (most significant first) and exponent of |VALUE| as APFloat makes them."""
    m, e = math.frexp(abs(value))
    sig, exp = int(m * (1 << precision)), e - precision
    while sig % 2 == 0:
        sig, exp = sig >> 1, exp + 1
    if exp >= 0:
        sig, exp = sig << exp, 0
    else:
        sig *= 5**-exp
    bits_required = (fmt_precision * 196 + 58) // 59
    if sig.bit_length() > bits_required:
        removable = (sig.bit_length() - bits_required) * 59 // 196
        sig, exp = sig // 10**removable, exp + removable
    digits = [int(d) for d in str(sig)]
    while digits[-1] == 0:
        digits.pop()
        exp += 1
    return round_digits(digits, exp, fmt_precision)


def round_digits(digits: list[int], exp: int, keep: int) -> tuple[list[int], int]:
    """Round DIGITS to KEEP digits, half up, dropping trailing zeros (APFloat's rule)."""
    if len(digits) <= keep:
        return digits, exp
    exp += len(digits) - keep
    round_up = digits[keep] >= 5
    digits = digits[:keep]
    if round_up:
        while digits and digits[-1] == 9:
            digits.pop()
            exp += 1
        if not digits:
            return [1], exp
        digits[-1] += 1
        return digits, exp
    while digits[-1] == 0:
        digits.pop()
        exp += 1
    return digits, exp


def apfloat_string(
    value: float, precision: int, fmt_precision: int, max_padding: int, truncate_zero: bool
) -> str:
    """llvm::APFloat::toString for a finite VALUE."""
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    if value == 0:
        if max_padding:
            return sign + "0"
        if truncate_zero:
            return sign + "0.0E+0"
        return sign + "0." + "0" * max(fmt_precision, 1) + "e+00"
    if not fmt_precision:
        fmt_precision = 2 + precision * 59 // 196
    digits, exp = decimal_digits(value, precision, fmt_precision)
    text = "".join(str(d) for d in digits)
    if use_scientific(len(digits), exp, fmt_precision, max_padding):
        return sign + scientific(text, exp, fmt_precision, truncate_zero)
    if exp >= 0:
        return sign + text + "0" * exp
    whole = exp + len(text)
    if whole > 0:
        return sign + text[:whole] + "." + text[whole:]
    return sign + "0." + "0" * -whole + text


def use_scientific(ndigits: int, exp: int, fmt_precision: int, max_padding: int) -> bool:
    if not max_padding:
        return True
    if exp >= 0:
        return exp > max_padding or ndigits + exp > fmt_precision
    msd = exp + ndigits - 1
    return msd < 0 and -msd > max_padding


def scientific(text: str, exp: int, fmt_precision: int, truncate_zero: bool) -> str:
    exp += len(text) - 1
    frac = text[1:]
    if not frac and truncate_zero:
        frac = "0"
    if not truncate_zero and fmt_precision > len(frac):
        frac += "0" * (fmt_precision - len(frac))
    digits = str(abs(exp))
    if not truncate_zero and len(digits) < 2:
        digits = "0" + digits
    mark = "E" if truncate_zero else "e"
    return f"{text[0]}.{frac}{mark}{'+' if exp >= 0 else '-'}{digits}"


def const_type(c: Const) -> ScalarType:
    if c.type is None:
        raise ValueError("the program is not checked: a constant has no type")
    return c.type


def literal(c: Const) -> str:
    """The attribute text of a constant: `true`, `0 : index`, `1.500000e+00 : f32`."""
    t = const_type(c)
    if t.is_float:
        return f"{float_text(float(c.value), t)} : {t}"
    if t.name == "i1":
        return "true" if int(c.value) & 1 else "false"
    return f"{int(c.value)} : {t}"


ConstKey = tuple[str, int]


def const_key(c: Const) -> ConstKey:
    """Constants with equal keys are the same constant (floats compared bitwise)."""
    t = const_type(c)
    if t.is_float:
        return (t.name, float_bits(float(c.value), t))
    return (t.name, int(c.value))


def const_order(c: Const) -> tuple[int, int, float, int]:
    t = const_type(c)
    rank = TYPE_ORDER.index(t.name)
    if not t.is_float:
        return (rank, 0, int(c.value), 0)
    value = to_f32(float(c.value)) if t.name == "f32" else float(c.value)
    if math.isnan(value):
        return (rank, 1, 0.0, float_bits(value, t))
    return (rank, 0, value, float_bits(value, t))


def task_constants(body: Block) -> list[Const]:
    """One constant per distinct (value, type) used in BODY, in a fixed order."""
    seen: dict[ConstKey, Const] = {}
    for op in walk_ops(body):
        for x in op.operands:
            if isinstance(x, Const):
                seen.setdefault(const_key(x), x)
    return sorted(seen.values(), key=const_order)


def operand_type(x: Operand) -> str:
    return type_text(x.type)


def types_text(xs: tuple[Operand, ...]) -> str:
    return ", ".join(operand_type(x) for x in xs)


def results_signature(results: tuple[Value, ...]) -> str:
    if len(results) == 1:
        return operand_type(results[0])
    return f"({types_text(results)})"


# --------------------------------------------------------------------------
# Output with indentation


@dataclass
class Lines:
    lines: list[str] = field(default_factory=list)

    def add(self, depth: int, text: str) -> None:
        self.lines.append("  " * depth + text)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


# --------------------------------------------------------------------------
# Generic form


@dataclass
class GenericNames:
    """Names as MLIR's SSANameState gives them in generic form.

    Regions are numbered from a stack (the last region pushed first), block
    arguments as %argN and op results as %N with one number per op, and
    numbers are never reused (--mlir-print-op-generic implies unique ids).
    """

    values: dict[Value, str] = field(default_factory=dict)
    constants: dict[Task, dict[ConstKey, str]] = field(default_factory=dict)
    next_value: int = 0
    next_arg: int = 0

    @classmethod
    def of(cls, program: Program) -> GenericNames:
        names = cls()
        for m in program.memrefs:
            names.arg(m)
        for t in program.targets:
            names.result(t.value)
        for task in program.tasks:
            names.result(task.value)
        pending: list[Task | Block] = list(program.tasks)
        while pending:
            pending.extend(names.region(pending.pop()))
        return names

    def task_constants(self, task: Task) -> None:
        table = self.constants[task] = {}
        for c in task_constants(task.body):
            table[const_key(c)] = f"%{self.next_value}"
            self.next_value += 1

    def arg(self, v: Value) -> None:
        self.values[v] = f"%arg{self.next_arg}"
        self.next_arg += 1

    def result(self, v: Value) -> None:
        self.values[v] = f"%{self.next_value}"
        self.next_value += 1

    def op_results(self, op: Op) -> None:
        if len(op.results) == 1:
            self.result(op.results[0])
            return
        for k, r in enumerate(op.results):
            self.values[r] = f"%{self.next_value}#{k}"
        self.next_value += 1

    def region(self, item: Task | Block) -> list[Block]:
        """Number one region (a task body starts with its constants); return its nested regions."""
        if isinstance(item, Task):
            self.task_constants(item)
        block = item.body if isinstance(item, Task) else item
        for a in block.args:
            self.arg(a)
        for op in block.ops:
            if op.results:
                self.op_results(op)
        return [r for op in block.ops for r in op.regions]


def result_group(names: list[str]) -> str:
    """`%5 = `, `%5:2 = ` or nothing, from the names of an op's results."""
    if not names:
        return ""
    if len(names) == 1:
        return f"{names[0]} = "
    return f"{names[0].partition('#')[0]}:{len(names)} = "


def generic_properties(op: Op) -> list[str]:
    name = op_name(op)
    props: list[str] = []
    if name in FASTMATH_OPS:
        props.append("fastmath = #arith.fastmath<none>")
    if name in OVERFLOW_OPS:
        props.append("overflowFlags = #arith.overflow<none>")
    if name == "arith.cmpi":
        props.append(f"predicate = {CMPI_PREDICATES.index(str(op.attr('predicate')))} : i64")
    elif name == "arith.cmpf":
        props.append(f"predicate = {CMPF_PREDICATES.index(str(op.attr('predicate')))} : i64")
    elif name == "scf.parallel":
        n = len(op.regions[0].args)
        props.append(f"operandSegmentSizes = array<i32: {n}, {n}, {n}, {len(op.operands) - 3 * n}>")
    elif name in ("memref.alloca", "memref.alloc"):
        props.append("operandSegmentSizes = array<i32: 0, 0>")
    elif name in GPU_ID_OPS:
        props.append(f"dimension = #gpu<dim {op.attr('dimension', 'x')}>")
    elif name == "gpu.launch":
        props.append(f"operandSegmentSizes = {LAUNCH_SEGMENTS}")
    return props


@dataclass
class GenericPrinter:
    names: GenericNames
    out: Lines = field(default_factory=Lines)
    constants: dict[ConstKey, str] = field(default_factory=dict)

    def use(self, x: Operand) -> str:
        if isinstance(x, Const):
            return self.constants[const_key(x)]
        name = self.names.values.get(x)
        if name is None:
            raise ValueError(f"value '%{x.name}' is used but not defined")
        return name

    def uses(self, xs: tuple[Operand, ...]) -> str:
        return ", ".join(self.use(x) for x in xs)

    def program(self, program: Program) -> str:
        func = program.func_name or "main"
        memrefs = program.memrefs
        sig = f"({types_text(memrefs)}) -> ()"
        self.out.add(0, '"builtin.module"() ({')
        self.out.add(
            1, f'"func.func"() <{{function_type = {sig}, sym_name = {escape(func)}}}> ({{'
        )
        if memrefs:
            args = ", ".join(f"{self.use(m)}: {operand_type(m)}" for m in memrefs)
            self.out.add(1, f"^bb0({args}):")
        self.out.add(2, f'"avial.schedule"({self.uses(memrefs)}) ({{')
        for target in program.targets:
            self.out.add(
                3,
                f'{self.use(target.value)} = "avial.target"() {{arch = {escape(target.arch)}}}'
                " : () -> !avial.target",
            )
        for task in program.tasks:
            self.task(task)
        self.out.add(3, '"avial.yield"() : () -> ()')
        self.out.add(2, f"}}) : ({types_text(memrefs)}) -> ()")
        self.out.add(2, '"func.return"() : () -> ()')
        self.out.add(1, "}) : () -> ()")
        self.out.add(0, "}) : () -> ()")
        return self.out.text()

    def task(self, task: Task) -> None:
        operands = (task.target.value, *task.reads, *task.writes)
        sizes = f"array<i32: 1, {len(task.reads)}, {len(task.writes)}>"
        self.out.add(
            3,
            f'{self.use(task.value)} = "avial.task"({self.uses(operands)}) '
            f"<{{operandSegmentSizes = {sizes}}}> ({{",
        )
        self.constants = self.names.constants[task]
        for c in task_constants(task.body):
            t = const_type(c)
            self.out.add(
                4,
                f'{self.use(c)} = "arith.constant"() <{{value = {literal(c)}}}> : () -> {t}',
            )
        for op in task.body.ops:
            self.op(op, 4)
        self.out.add(4, '"avial.yield"() : () -> ()')
        self.out.add(3, f"}}){task_attributes(task, True)} : ({types_text(operands)}) -> !avial.task")

    def op(self, op: Op, depth: int) -> None:
        head = result_group([self.use(r) for r in op.results])
        props = generic_properties(op)
        head += f'"{op_name(op)}"({self.uses(op.operands)})'
        if props:
            head += f" <{{{', '.join(props)}}}>"
        tail = f" : ({types_text(op.operands)}) -> {results_signature(op.results)}"
        if op.name == "gpu.launch":
            tail = " {workgroup_attributions = 0 : i64}" + tail
        if not op.regions:
            self.out.add(depth, head + tail)
            return
        self.out.add(depth, head + " ({")
        for k, region in enumerate(op.regions):
            if k:
                self.out.add(depth, "}, {")
            self.region(op, k, region, depth)
        self.out.add(depth, "})" + tail)

    def region(self, parent: Op, index: int, block: Block, depth: int) -> None:
        if is_empty_else(parent, index):
            return
        if block.args:
            args = ", ".join(f"{self.use(a)}: {operand_type(a)}" for a in block.args)
            self.out.add(depth, f"^bb0({args}):")
        for op in block.ops:
            self.op(op, depth + 1)
        term = terminator_needed(parent, index)
        if term is not None:
            self.out.add(depth + 1, f'"{term}"() : () -> ()')


def task_attributes(task: Task, typed: bool) -> str:
    """` {name = "x", rank = 1 : i64}` (sorted, as MLIR prints them), or nothing."""
    attrs = []
    if task.display_name is not None:
        attrs.append(f"name = {escape(task.display_name)}")
    if task.rank is not None:
        attrs.append(f"rank = {task.rank}{' : i64' if typed else ''}")
    return f" {{{', '.join(attrs)}}}" if attrs else ""


def print_generic(program: Program) -> str:
    """PROGRAM in MLIR's generic op form, as mlir-opt --mlir-print-op-generic prints it
    (byte for byte, the blank line at the end included)."""
    return GenericPrinter(GenericNames.of(program)).program(program) + "\n"


# --------------------------------------------------------------------------
# Custom form: names


NAME_RE = re.compile(r"[A-Za-z_$.\-][\w$.\-]*|[0-9]+", re.ASCII)
SYMBOL_RE = re.compile(r"[A-Za-z_][\w$.]*", re.ASCII)


def constant_name(c: Const) -> str:
    """The name MLIR gives an arith.constant: %c0, %c1_i32, %true, %cst."""
    t = const_type(c)
    if t.is_float:
        return "cst"
    if t.name == "i1":
        return "true" if int(c.value) & 1 else "false"
    suffix = "" if t.name == "index" else f"_{t.name}"
    return f"c{int(c.value)}{suffix}"


@dataclass
class CustomNames:
    """Names in the custom form, unique in every scope as MLIR requires.

    A name stays visible in the regions nested below its definition and is
    free again once its region is closed, so sibling regions may reuse it.
    """

    scopes: list[set[str]] = field(default_factory=lambda: [set()])
    values: dict[Value, str] = field(default_factory=dict)
    constants: dict[ConstKey, str] = field(default_factory=dict)
    counter: int = 0

    def push(self) -> None:
        self.scopes.append(set())

    def pop(self) -> None:
        self.scopes.pop()

    def taken(self, name: str) -> bool:
        return any(name in scope for scope in self.scopes)

    def claim(self, name: str) -> str:
        self.scopes[-1].add(name)
        return name

    def fresh(self) -> str:
        while self.taken(str(self.counter)):
            self.counter += 1
        return self.claim(str(self.counter))

    def preferred(self, want: str) -> str:
        """WANT when it is a valid free name, else a fresh number."""
        if NAME_RE.fullmatch(want) and not self.taken(want):
            return self.claim(want)
        return self.fresh()

    def define(self, v: Value) -> str:
        name = "%" + self.preferred(v.name)
        self.values[v] = name
        return name

    def define_results(self, results: tuple[Value, ...]) -> str:
        """Name an op's results, one name each: `%r` or `%sum, %count`."""
        return ", ".join(self.define(r) for r in results)

    def define_constant(self, c: Const) -> str:
        want = constant_name(c)
        name = want
        k = 0
        while self.taken(name):
            name = f"{want}_{k}"
            k += 1
        self.constants[const_key(c)] = "%" + self.claim(name)
        return self.constants[const_key(c)]


# --------------------------------------------------------------------------
# Custom form: ops


@dataclass
class CustomPrinter:
    names: CustomNames = field(default_factory=CustomNames)
    out: Lines = field(default_factory=Lines)

    def use(self, x: Operand) -> str:
        if isinstance(x, Const):
            return self.names.constants[const_key(x)]
        name = self.names.values.get(x)
        if name is None:
            raise ValueError(f"value '%{x.name}' is used but not defined")
        return name

    def uses(self, xs: tuple[Operand, ...]) -> str:
        return ", ".join(self.use(x) for x in xs)

    def typed_uses(self, xs: tuple[Operand, ...]) -> str:
        """`%a, %b : i32, f32`."""
        return f"{self.uses(xs)} : {types_text(xs)}"

    def program(self, program: Program) -> str:
        func = program.func_name or "main"
        shown = func if SYMBOL_RE.fullmatch(func) else escape(func)
        args = ", ".join(f"{self.names.define(m)}: {operand_type(m)}" for m in program.memrefs)
        self.out.add(0, f"func.func @{shown}({args}) {{")
        memrefs = program.memrefs
        head = "avial.schedule"
        if memrefs:
            head += f" {self.uses(memrefs)} : {types_text(memrefs)}"
        self.out.add(1, head + " {")
        for target in program.targets:
            name = self.names.define(target.value)
            self.out.add(2, f"{name} = avial.target {{arch = {escape(target.arch)}}}")
        for task in program.tasks:
            self.out.add(0, "")
            self.task(task)
        self.out.add(1, "}")
        self.out.add(1, "return")
        self.out.add(0, "}")
        return self.out.text()

    def task(self, task: Task) -> None:
        head = f"{self.names.define(task.value)} = avial.task {self.use(task.target.value)}"
        if task.reads:
            head += f" reads({self.uses(task.reads)})"
        if task.writes:
            head += f" writes({self.uses(task.writes)})"
        self.out.add(2, head + task_attributes(task, False) + " {")
        self.names.push()
        for c in task_constants(task.body):
            self.out.add(3, f"{self.names.define_constant(c)} = arith.constant {literal(c)}")
        for op in task.body.ops:
            self.op(op, 3)
        self.out.add(3, "avial.yield")
        self.names.pop()
        self.out.add(2, "}")

    # One line per op; ops with regions print their own lines.

    def op(self, op: Op, depth: int) -> None:
        printer = REGION_OPS.get(op.name)
        if printer is not None:
            printer(self, op, depth)
            return
        body = self.simple(op)
        if body is None:
            self.generic(op, depth)
            return
        prefix = f"{self.names.define_results(op.results)} = " if op.results else ""
        self.out.add(depth, prefix + body)

    def simple(self, op: Op) -> str | None:
        """The text after `%r = ` of an op without regions, or None when unknown."""
        name, xs = op_name(op), op.operands
        if name in ("arith.cmpi", "arith.cmpf"):
            return f"{name} {op.attr('predicate')}, {self.uses(xs)} : {operand_type(xs[0])}"
        if name in BINARY_OPS or name == "arith.select":
            return f"{name} {self.uses(xs)} : {operand_type(op.results[0])}"
        if name in CAST_OPS:
            return f"{name} {self.use(xs[0])} : {operand_type(xs[0])} to {operand_type(op.results[0])}"
        return self.simple_memory(op, name, xs) or self.simple_control(op, name, xs)

    def simple_memory(self, op: Op, name: str, xs: tuple[Operand, ...]) -> str | None:
        if name == "memref.load":
            return f"{name} {self.use(xs[0])}[{self.uses(xs[1:])}] : {operand_type(xs[0])}"
        if name == "memref.store":
            return (
                f"{name} {self.use(xs[0])}, {self.use(xs[1])}[{self.uses(xs[2:])}]"
                f" : {operand_type(xs[1])}"
            )
        if name == "memref.dim":
            return f"{name} {self.uses(xs)} : {operand_type(xs[0])}"
        if name in ("memref.alloca", "memref.alloc") and not xs:
            return f"{name}() : {operand_type(op.results[0])}"
        if name == "memref.dealloc":
            return f"{name} {self.use(xs[0])} : {operand_type(xs[0])}"
        return None

    def simple_control(self, op: Op, name: str, xs: tuple[Operand, ...]) -> str | None:
        if name in GPU_ID_OPS:
            return f"{name} {op.attr('dimension', 'x')}"
        if name in ("gpu.barrier", "gpu.terminator") and not xs:
            return name
        if name == "scf.yield":
            return f"{name} {self.typed_uses(xs)}" if xs else name
        if name == "scf.reduce.return":
            return f"{name} {self.typed_uses(xs)}"
        if name == "scf.condition":
            rest = f" {self.typed_uses(xs[1:])}" if len(xs) > 1 else ""
            return f"{name}({self.use(xs[0])}){rest}"
        return None

    def generic(self, op: Op, depth: int) -> None:
        """An op without custom syntax here: MLIR's generic form, valid anywhere."""
        prefix = f"{self.names.define_results(op.results)} = " if op.results else ""
        props = generic_properties(op)
        attrs = [
            f"{k} = {attr_text(v)}" for k, v in op.attrs
            if not (op.name in GPU_ID_OPS and k == "dimension")
            and not (op.name in ("arith.cmpi", "arith.cmpf") and k == "predicate")
        ]  # fmt: skip
        head = f'{prefix}"{op_name(op)}"({self.uses(op.operands)})'
        if props:
            head += f" <{{{', '.join(props)}}}>"
        tail = f" {{{', '.join(attrs)}}}" if attrs else ""
        tail += f" : ({types_text(op.operands)}) -> {results_signature(op.results)}"
        if not op.regions:
            self.out.add(depth, head + tail)
            return
        self.out.add(depth, head + " ({")
        for k, region in enumerate(op.regions):
            if k:
                self.out.add(depth, "}, {")
            self.region(op, k, region, depth, labelled=True)
        self.out.add(depth, "})" + tail)

    # Regions

    def region(self, parent: Op, index: int, block: Block, depth: int, labelled: bool) -> None:
        """The body of region INDEX of PARENT; its args are defined already unless LABELLED."""
        if labelled:
            self.names.push()
            if block.args:
                args = ", ".join(f"{self.names.define(a)}: {operand_type(a)}" for a in block.args)
                self.out.add(depth, f"^bb0({args}):")
        for op in block.ops:
            self.op(op, depth + 1)
        term = terminator_needed(parent, index)
        if term is not None and term in EXPLICIT_TERMINATORS.get(parent.name, ()):
            self.out.add(depth + 1, term)
        if labelled:
            self.names.pop()

    def open_scope(self, args: tuple[Value, ...]) -> list[str]:
        """Open the scope of a region and define its ARGS in it; return their names."""
        self.names.push()
        return [self.names.define(a) for a in args]

    def close(self, op: Op, index: int, depth: int) -> None:
        self.region(op, index, op.regions[index], depth, labelled=False)
        self.names.pop()

    def results_prefix(self, op: Op) -> str:
        return f"{self.names.define_results(op.results)} = " if op.results else ""

    def scf_for(self, op: Op, depth: int) -> None:
        prefix = self.results_prefix(op)
        lb, ub, step, *inits = op.operands
        bounds = f"{self.use(lb)} to {self.use(ub)} step {self.use(step)}"
        block = op.regions[0]
        names = self.open_scope(block.args)
        head = f"{prefix}scf.for {names[0]} = {bounds}"
        if inits:
            pairs = ", ".join(f"{n} = {self.use(x)}" for n, x in zip(names[1:], inits, strict=True))
            head += f" iter_args({pairs}) -> ({types_text(op.results)})"
        iv_type = operand_type(block.args[0])
        if iv_type != "index":
            head += f" : {iv_type}"
        self.out.add(depth, head + " {")
        self.close(op, 0, depth)
        self.out.add(depth, "}")

    def scf_parallel(self, op: Op, depth: int) -> None:
        prefix = self.results_prefix(op)
        n = len(op.regions[0].args)
        lbs, ubs, steps = (self.uses(op.operands[k * n : (k + 1) * n]) for k in range(3))
        inits = op.operands[3 * n :]
        names = self.open_scope(op.regions[0].args)
        head = f"{prefix}scf.parallel ({', '.join(names)}) = ({lbs}) to ({ubs}) step ({steps})"
        if inits:
            head += f" init ({self.uses(inits)}) -> {results_signature(op.results)}"
        self.out.add(depth, head + " {")
        self.close(op, 0, depth)
        self.out.add(depth, "}")

    def scf_reduce(self, op: Op, depth: int) -> None:
        self.out.add(depth, f"scf.reduce({self.typed_uses(op.operands)}) {{")
        for k, region in enumerate(op.regions):
            if k:
                self.out.add(depth, "}, {")
            self.region(op, k, region, depth, labelled=True)
        self.out.add(depth, "}")

    def scf_if(self, op: Op, depth: int) -> None:
        prefix = self.results_prefix(op)
        types = f" -> ({types_text(op.results)})" if op.results else ""
        self.out.add(depth, f"{prefix}scf.if {self.use(op.operands[0])}{types} {{")
        self.open_scope(())
        self.close(op, 0, depth)
        if not is_empty_else(op, 1):
            self.out.add(depth, "} else {")
            self.open_scope(())
            self.close(op, 1, depth)
        self.out.add(depth, "}")

    def scf_while(self, op: Op, depth: int) -> None:
        prefix = self.results_prefix(op)
        before, after = op.regions
        names = self.open_scope(before.args)
        pairs = ", ".join(f"{n} = {self.use(x)}" for n, x in zip(names, op.operands, strict=True))
        inits = f" ({pairs})" if op.operands else ""
        sig = f"({types_text(op.operands)}) -> {results_signature(op.results)}"
        self.out.add(depth, f"{prefix}scf.while{inits} : {sig} {{")
        self.close(op, 0, depth)
        self.out.add(depth, "} do {")
        self.region(op, 1, after, depth, labelled=True)
        self.out.add(depth, "}")

    def scf_execute_region(self, op: Op, depth: int) -> None:
        prefix = self.results_prefix(op)
        types = f" -> {results_signature(op.results)}" if op.results else ""
        self.out.add(depth, f"{prefix}scf.execute_region{types} {{")
        self.open_scope(())
        self.close(op, 0, depth)
        self.out.add(depth, "}")

    def gpu_launch(self, op: Op, depth: int) -> None:
        if len(op.operands) != 6 or len(op.regions[0].args) != 12:
            self.generic(op, depth)  # not the checked, full form
            return
        names = self.open_scope(op.regions[0].args)
        sizes = [self.use(x) for x in op.operands]
        grid = ", ".join(f"{names[6 + d]} = {sizes[d]}" for d in range(3))
        block = ", ".join(f"{names[9 + d]} = {sizes[3 + d]}" for d in range(3))
        head = "gpu.launch "
        self.out.add(depth, f"{head}blocks({', '.join(names[0:3])}) in ({grid})")
        pad = " " * len(head)
        self.out.add(depth, f"{pad}threads({', '.join(names[3:6])}) in ({block}) {{")
        self.close(op, 0, depth)
        self.out.add(depth, "}")


# Terminators that the custom form writes out (MLIR's parser adds the others).
EXPLICIT_TERMINATORS: dict[str, tuple[str, ...]] = {
    "scf.while": ("scf.yield",),
    "scf.execute_region": ("scf.yield",),
    "gpu.launch": ("gpu.terminator",),
}

REGION_OPS = {
    "scf.for": CustomPrinter.scf_for,
    "scf.parallel": CustomPrinter.scf_parallel,
    "scf.reduce": CustomPrinter.scf_reduce,
    "scf.if": CustomPrinter.scf_if,
    "scf.while": CustomPrinter.scf_while,
    "scf.execute_region": CustomPrinter.scf_execute_region,
    "gpu.launch": CustomPrinter.gpu_launch,
}


def print_custom(program: Program) -> str:
    """PROGRAM in the typed custom form."""
    return CustomPrinter().program(program)


# --------------------------------------------------------------------------
# Canonical form


def attr_text(v: AttrValue) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return escape(v)
    if isinstance(v, tuple):
        return "[" + ", ".join(str(x) for x in v) + "]"
    if isinstance(v, float):
        return float_text(v, ScalarType("f64"))
    return str(v)


def canonical_type(t: Type | None) -> str:
    return "?" if t is None else str(t)


def canonical_const(c: Const) -> str:
    if c.type is None:
        return f"const({c.value!r} : ?)"
    return f"const({literal(c)})"


@dataclass
class Canonical:
    """The IR as text, values numbered %v0, %v1, … in definition order."""

    values: dict[Value, str] = field(default_factory=dict)
    out: Lines = field(default_factory=Lines)

    def define(self, v: Value) -> str:
        self.values[v] = name = f"%v{len(self.values)}"
        return name

    def typed(self, v: Value) -> str:
        return f"{self.define(v)}: {canonical_type(v.type)}"

    def use(self, x: Operand) -> str:
        if isinstance(x, Const):
            return canonical_const(x)
        return self.values.get(x, f"<undefined {x.name}>")

    def uses(self, xs: tuple[Operand, ...]) -> str:
        return ", ".join(self.use(x) for x in xs)

    def program(self, program: Program) -> str:
        self.out.add(0, f"schedule({', '.join(self.typed(m) for m in program.memrefs)})")
        for t in program.targets:
            self.out.add(0, f"target {self.define(t.value)} arch {escape(t.arch)}")
        for task in program.tasks:
            self.task(task)
        return self.out.text()

    def task(self, task: Task) -> None:
        name = "none" if task.display_name is None else escape(task.display_name)
        rank = "none" if task.rank is None else str(task.rank)
        self.out.add(
            0,
            f"task {self.define(task.value)} on {self.use(task.target.value)}"
            f" reads({self.uses(task.reads)}) writes({self.uses(task.writes)})"
            f" rank {rank} name {name} {{",
        )
        self.block(task.body, 1)
        self.out.add(0, "}")

    def block(self, block: Block, depth: int) -> None:
        if block.args:
            self.out.add(depth, f"^({', '.join(self.typed(a) for a in block.args)})")
        for op in block.ops:
            self.op(op, depth)

    def op(self, op: Op, depth: int) -> None:
        results = ", ".join(self.define(r) for r in op.results)
        head = f"{results} = " if results else ""
        attrs = ", ".join(f"{k} = {attr_text(v)}" for k, v in sorted(op.attrs))
        sig = " : ({}) -> ({})".format(
            ", ".join(canonical_type(x.type) for x in op.operands),
            ", ".join(canonical_type(r.type) for r in op.results),
        )
        line = f"{head}{op_name(op)}({self.uses(op.operands)}) {{{attrs}}}{sig}"
        if not op.regions:
            self.out.add(depth, line)
            return
        self.out.add(depth, line + " {")
        for k, region in enumerate(op.regions):
            if k:
                self.out.add(depth, "} {")
            self.block(region, depth + 1)
        self.out.add(depth, "}")


def canonical(program: Program) -> str:
    """A name- and span-free text of PROGRAM: equal programs give equal text."""
    return Canonical().program(program)


def programs_equal(a: Program, b: Program) -> bool:
    return canonical(a) == canonical(b)

