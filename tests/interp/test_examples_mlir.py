"""The example programs are real MLIR apart from the avial ops.

``mlir-opt`` cannot parse the custom avial syntax, so each typed example is
first rewritten, line by line, into generic avial ops (the form
``mlir-opt --allow-unregistered-dialect`` prints), then handed to
``mlir-opt-22`` twice: once as is and once with ``--mlir-print-op-generic``.
Both must succeed, which proves every upstream op in the task bodies is valid
MLIR 22.  The rewriter relies on the examples' layout: one avial op header
per line, and the closing ``}`` of a schedule or task alone on its line at
the header's indentation.

The CPU-only examples are also run by MLIR itself: their task bodies, in
program order, are lowered to LLVM and run with ``mlir-runner-22``, and the
final memrefs must equal, bit for bit, what the reference interpreter gives.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from e2e import load
from markers import needs_mlir_opt

from avial2c.interp.run import interpret
from avial2c.ops import SUPPORTED_OPS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MLIR_OPT = "mlir-opt-22"
MLIR_RUNNER = "mlir-runner-22"
RUNNER_LIBS = "/usr/lib/llvm-22/lib"

# Seed-form programs are not MLIR by design: no types, integer literals as
# loop bounds, untyped loads and stores, terse gpu.launch.
SEED_FORM = {
    "seed.mlir": "seed form: untyped ops and literal loop bounds are not MLIR",
    "seed_explicit_cpu.mlir": "seed form: untyped ops and literal loop bounds are not MLIR",
    "jacobi_gpu_split.mlir": "terse gpu.launch (what a split GPU task takes) is not MLIR; "
    "`avial2c --emit mlir` prints it in the full form",
}

ALL_EXAMPLES = sorted(p.name for p in EXAMPLES.glob("*.mlir"))
MLIR_EXAMPLES = [name for name in ALL_EXAMPLES if name not in SEED_FORM]

# Ops outside the task bodies: the program's frame.
FRAME_OPS = {
    "builtin.module",
    "func.func",
    "func.return",
    "avial.schedule",
    "avial.target",
    "avial.task",
    "avial.yield",
}

SELECT_MATH_OPS = """
scf.if scf.while scf.condition scf.execute_region arith.select arith.sitofp
arith.fptosi arith.extf arith.truncf arith.index_cast arith.extsi arith.trunci
arith.uitofp arith.bitcast math.sqrt math.exp math.log math.sin math.cos math.tanh
math.absf math.powf math.fma math.floor math.ceil math.round math.rsqrt math.exp2
math.log2 math.log10 math.tan math.absi arith.cmpi arith.cmpf arith.divsi
arith.remsi arith.floordivsi arith.ceildivsi arith.divui arith.remui arith.andi
arith.ori arith.xori arith.shli arith.shrsi arith.shrui arith.minsi arith.maxsi
arith.minui arith.maxui arith.negf arith.remf arith.minimumf arith.maximumf
arith.minnumf arith.maxnumf
"""

# What each example is there to show, as ops its generic form must contain.
REQUIRED_OPS: dict[str, set[str]] = {
    "jacobi2d.mlir": {"scf.parallel", "scf.if", "arith.addf", "arith.mulf"},
    "reduction.mlir": {"scf.parallel", "scf.reduce.return", "scf.for", "arith.maxsi"},
    "select_math.mlir": set(SELECT_MATH_OPS.split()),
    "matmul_gpu.mlir": {"gpu.launch", "gpu.barrier", "memref.alloca", "scf.for"},
    "pipeline.mlir": {"gpu.launch", "gpu.global_id", "arith.extsi", "arith.shrsi"},
    "multiwrite.mlir": {"arith.trunci", "arith.cmpi", "arith.select", "arith.sitofp"},
}

# Spellings each example must keep, checked in mlir-opt's pretty output.
REQUIRED_TEXT: dict[str, list[str]] = {
    "jacobi2d.mlir": ["scf.parallel (%arg2, %arg3) = (%c0, %c0) to (%c16, %c16)", ": f64"],
    "reduction.mlir": ["init (%cst) -> f32", "scf.reduce(", "memref<f32>", "iter_args("],
    "select_math.mlir": ["scf.if", "-> (f32)", "#0", "#1"],
    "matmul_gpu.mlir": ["#gpu.address_space<workgroup>", "threads(", '"sm_80"', '"x86_64"'],
    "pipeline.mlir": ["{rank = 1 : i64}", "{rank = 3 : i64}", "i64", "i32"],
    "multiwrite.mlir": ["array<i32: 1, 0, 1>", "array<i32: 1, 2, 3>", "memref<8x8xi1>"],
    "bigexchange.mlir": ["memref<2097152xf32>"],
    "bigexchange_small.mlir": ["memref<4096xf32>"],
}


# --------------------------------------------------------------------------
# The rewriter: custom avial syntax -> generic avial ops


SCHEDULE_RE = re.compile(r"^(\s*)avial\.schedule\s+(.*?)\s*:\s*(.*?)\s*\{\s*$")
TARGET_RE = re.compile(r"^(\s*)(%[\w.$-]+)\s*=\s*avial\.target\s*(\{.*\})\s*$")
TASK_RE = re.compile(
    r"^(\s*)(%[\w.$-]+)\s*=\s*avial\.task\s+(%[\w.$-]+)"
    r"(?:\s+reads\(([^)]*)\))?(?:\s+writes\(([^)]*)\))?"
    r"\s*(\{[^{}]*\})?\s*\{\s*$"
)
YIELD_RE = re.compile(r"^(\s*)avial\.yield\s*$")
CLOSE_RE = re.compile(r"^(\s*)\}\s*$")


def split_top(text: str) -> list[str]:
    """Split on the commas that are not nested in brackets."""
    parts: list[str] = []
    depth = 0
    current = ""
    for ch in text:
        if ch in "<([{":
            depth += 1
        elif ch in ">)]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        current += ch
    if current.strip():
        parts.append(current.strip())
    return parts


@dataclass
class Rewriter:
    """Turns one file's avial ops into generic ops, keeping everything else."""

    types: dict[str, str]
    closers: list[tuple[str, str]]

    def line(self, text: str) -> str:
        for rule in (self.schedule, self.target, self.task, self.avial_yield, self.close):
            out = rule(text)
            if out is not None:
                return out
        return text

    def schedule(self, text: str) -> str | None:
        m = SCHEDULE_RE.match(text)
        if m is None:
            return None
        indent, names, types = m.group(1), split_top(m.group(2)), split_top(m.group(3))
        assert len(names) == len(types), text
        self.types.update(zip(names, types, strict=True))
        self.closers.append((indent, f"}}) : ({', '.join(types)}) -> ()"))
        return f'{indent}"avial.schedule"({", ".join(names)}) ({{'

    def target(self, text: str) -> str | None:
        m = TARGET_RE.match(text)
        if m is None:
            return None
        indent, name, attrs = m.groups()
        self.types[name] = "!avial.target"
        return f'{indent}{name} = "avial.target"() {attrs} : () -> !avial.target'

    def task(self, text: str) -> str | None:
        m = TASK_RE.match(text)
        if m is None:
            return None
        indent, name, target = m.group(1), m.group(2), m.group(3)
        reads = split_top(m.group(4) or "")
        writes = split_top(m.group(5) or "")
        attrs = f" {m.group(6)}" if m.group(6) else ""
        operands = [target, *reads, *writes]
        types = ", ".join(self.types[v] for v in operands)
        sizes = f"array<i32: 1, {len(reads)}, {len(writes)}>"
        self.closers.append((indent, f"}}){attrs} : ({types}) -> !avial.task"))
        return (
            f'{indent}{name} = "avial.task"({", ".join(operands)}) '
            f"<{{operandSegmentSizes = {sizes}}}> ({{"
        )

    def avial_yield(self, text: str) -> str | None:
        m = YIELD_RE.match(text)
        if m is None:
            return None
        return f'{m.group(1)}"avial.yield"() : () -> ()'

    def close(self, text: str) -> str | None:
        m = CLOSE_RE.match(text)
        if m is None or not self.closers or self.closers[-1][0] != m.group(1):
            return None
        indent, closer = self.closers.pop()
        return indent + closer


def to_generic_avial(text: str) -> str:
    """The program with its custom-syntax avial ops written as generic ops."""
    rewriter = Rewriter({}, [])
    lines = [rewriter.line(line) for line in text.splitlines()]
    assert not rewriter.closers, "unclosed avial op"
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# Running mlir-opt




def mlir_opt(text: str, *flags: str) -> str:
    proc = subprocess.run(
        [MLIR_OPT, "--allow-unregistered-dialect", *flags],
        input=text,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def generic_of(name: str) -> str:
    text = to_generic_avial((EXAMPLES / name).read_text())
    return mlir_opt(text, "--mlir-print-op-generic")


def op_names(generic: str) -> list[str]:
    return re.findall(r'"([a-z_][a-z0-9_]*\.[a-z0-9_.]+)"\(', generic)


def without_yields(generic: str) -> list[str]:
    return [line for line in generic.splitlines() if '"avial.yield"' not in line]


# --------------------------------------------------------------------------
# Tests


def test_every_example_opens_with_a_comment_block() -> None:
    for name in ALL_EXAMPLES:
        first = (EXAMPLES / name).read_text().splitlines()[0]
        assert first.startswith("//"), name


def test_rewriter_turns_custom_avial_ops_into_generic_ones() -> None:
    text = (
        "avial.schedule %a, %b : memref<4xi32>, memref<2x2xf32> {\n"
        '  %cpu = avial.target {arch = "x86_64"}\n'
        "  %t = avial.task %cpu reads(%a) writes(%b) {rank = 1} {\n"
        "    avial.yield\n"
        "  }\n"
        "}\n"
    )
    assert to_generic_avial(text).splitlines() == [
        '"avial.schedule"(%a, %b) ({',
        '  %cpu = "avial.target"() {arch = "x86_64"} : () -> !avial.target',
        '  %t = "avial.task"(%cpu, %a, %b) <{operandSegmentSizes = array<i32: 1, 1, 1>}> ({',
        '    "avial.yield"() : () -> ()',
        "  }) {rank = 1} : (!avial.target, memref<4xi32>, memref<2x2xf32>) -> !avial.task",
        "}) : (memref<4xi32>, memref<2x2xf32>) -> ()",
    ]


def test_rewriter_handles_empty_and_missing_access_lists() -> None:
    text = (
        "avial.schedule %a : memref<4xi32> {\n"
        '  %cpu = avial.target{arch = "cpu"}\n'
        "  %t = avial.task %cpu reads() writes(%a) {\n"
        "  }\n"
        "  %u = avial.task %cpu {\n"
        "  }\n"
        "}\n"
    )
    out = to_generic_avial(text)
    assert '"avial.task"(%cpu, %a) <{operandSegmentSizes = array<i32: 1, 0, 1>}>' in out
    assert '"avial.task"(%cpu) <{operandSegmentSizes = array<i32: 1, 0, 0>}>' in out


@needs_mlir_opt
def test_rewritten_seed_matches_the_mlir_opt_seed() -> None:
    typed = to_generic_avial((EXAMPLES / "seed_typed.mlir").read_text())
    reference = (EXAMPLES / "seed_mlir_opt.mlir").read_text()
    # avial.yield is optional; seed_typed.mlir leaves out the schedule's one.
    assert without_yields(mlir_opt(typed, "--mlir-print-op-generic")) == without_yields(
        mlir_opt(reference, "--mlir-print-op-generic")
    )


@needs_mlir_opt
@pytest.mark.parametrize("name", MLIR_EXAMPLES)
def test_example_is_accepted_by_mlir_opt(name: str) -> None:
    text = to_generic_avial((EXAMPLES / name).read_text())
    pretty = mlir_opt(text)
    generic = mlir_opt(text, "--mlir-print-op-generic")
    assert '"avial.schedule"' in pretty
    assert generic.count('"avial.schedule"(') == 1


@needs_mlir_opt
@pytest.mark.parametrize("name", MLIR_EXAMPLES)
def test_example_uses_only_supported_ops(name: str) -> None:
    allowed = SUPPORTED_OPS | FRAME_OPS
    unsupported = sorted(set(op_names(generic_of(name))) - allowed)
    assert unsupported == []


@needs_mlir_opt
@pytest.mark.parametrize("name", MLIR_EXAMPLES)
def test_example_keeps_every_task(name: str) -> None:
    source = (EXAMPLES / name).read_text()
    custom = [line for line in source.splitlines() if TASK_RE.match(line)]
    declared = len(custom) + source.count('"avial.task"(')
    assert op_names(generic_of(name)).count("avial.task") == declared


@needs_mlir_opt
@pytest.mark.parametrize("name", sorted(SEED_FORM))
def test_seed_form_example_is_not_mlir(name: str) -> None:
    """The seed-form files are left out of the checks above for SEED_FORM's reason."""
    text = to_generic_avial((EXAMPLES / name).read_text())
    proc = subprocess.run(
        [MLIR_OPT, "--allow-unregistered-dialect"],
        input=text,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode != 0


@needs_mlir_opt
@pytest.mark.parametrize("name", sorted(REQUIRED_OPS))
def test_example_contains_what_it_shows(name: str) -> None:
    missing = sorted(REQUIRED_OPS[name] - set(op_names(generic_of(name))))
    assert missing == []


@needs_mlir_opt
@pytest.mark.parametrize("name", sorted(REQUIRED_TEXT))
def test_example_keeps_its_spellings(name: str) -> None:
    pretty = mlir_opt(to_generic_avial((EXAMPLES / name).read_text()))
    missing = [text for text in REQUIRED_TEXT[name] if text not in pretty]
    assert missing == []


@needs_mlir_opt
def test_small_exchange_has_the_structure_of_the_big_one() -> None:
    big = generic_of("bigexchange.mlir").replace("2097152", "4096")
    assert big == generic_of("bigexchange_small.mlir")


# --------------------------------------------------------------------------
# MLIR as the oracle of the examples' meaning

LOWERING = [
    "--convert-scf-to-cf",
    "--convert-math-to-funcs",
    "--convert-math-to-llvm",
    "--convert-math-to-libm",
    "--convert-arith-to-llvm",
    "--finalize-memref-to-llvm",
    "--convert-cf-to-llvm",
    "--convert-func-to-llvm",
    "--reconcile-unrealized-casts",
]
MEMREF_RE = re.compile(r"memref<((?:\d+x)*)(\w+)>")
# Too big to interpret op by op (a communication test; see its comment).
TOO_BIG = {"bigexchange.mlir"}
# Examples whose GPU launches have no barrier or shared memory: their threads
# are independent, so each launch runs as an scf.parallel over the grid.
# Only the typed custom form is read (the generic seeds are the same program).
RUNNABLE_EXAMPLES = [
    name
    for name in MLIR_EXAMPLES
    if name not in TOO_BIG
    and "gpu.barrier" not in (text := (EXAMPLES / name).read_text())
    and any(SCHEDULE_RE.match(line) for line in text.splitlines())
]
RUNNER_LIB_NAMES = ("libmlir_runner_utils.so.22.1", "libmlir_c_runner_utils.so.22.1")
NUMPY_TYPES = {
    "i1": np.bool_,
    "i8": np.int8,
    "i16": np.int16,
    "i32": np.int32,
    "i64": np.int64,
    "index": np.int64,
    "f32": np.float32,
    "f64": np.float64,
}


@dataclass(frozen=True)
class Schedule:
    names: list[str]  # with '%'
    types: list[str]
    bodies: list[list[str]]  # each task's body lines, avial.yield left out
    # The schedule region in order: task bodies, and the lines of its time
    # loops kept as written (index constants, scf.for headers, their braces).
    steps: list[list[str] | str]


FRAME_RE = re.compile(r"^\s*(%[\w.$-]+ = arith\.constant .* : index|scf\.for .*\{)\s*$")


def read_schedule(text: str) -> Schedule:
    lines = text.splitlines()
    names: list[str] = []
    types: list[str] = []
    bodies: list[list[str]] = []
    steps: list[list[str] | str] = []
    loops: list[str] = []  # the closing lines of the open time loops
    i = 0
    while i < len(lines):
        line = lines[i]
        if m := SCHEDULE_RE.match(line):
            names, types = split_top(m.group(2)), split_top(m.group(3))
        elif m := TASK_RE.match(line):
            closing = m.group(1) + "}"
            bodies.append(task_body(lines, i + 1, closing))
            steps.append(bodies[-1])
            i = lines.index(closing, i + 1)
        elif names and FRAME_RE.match(line):
            steps.append(line)
            if "scf.for" in line:
                loops.append(line[: len(line) - len(line.lstrip())] + "}")
        elif loops and line == loops[-1]:
            steps.append(loops.pop())
        i += 1
    return Schedule(names, types, bodies, steps)


def task_body(lines: list[str], start: int, closing: str) -> list[str]:
    end = lines.index(closing, start)
    body = [line for line in lines[start:end] if not YIELD_RE.match(line)]
    return launches_as_loops(body)


NAME = r"(%[\w.$-]+)"
LAUNCH_RE = re.compile(
    rf"^(\s*)gpu\.launch\s+blocks\({NAME}, {NAME}, {NAME}\)\s+in\s+"
    rf"\({NAME} = {NAME}, {NAME} = {NAME}, {NAME} = {NAME}\)\s+"
    rf"threads\({NAME}, {NAME}, {NAME}\)\s+in\s+"
    rf"\({NAME} = {NAME}, {NAME} = {NAME}, {NAME} = {NAME}\)\s*\{{$"
)
GPU_ID_RE = re.compile(rf"^(\s*){NAME} = gpu\.(\w+) ([xyz])$")


@dataclass(frozen=True)
class Launch:
    blocks: list[str]  # block ids x y z
    threads: list[str]  # thread ids
    grid: list[str]  # grid sizes (the launch's names for them)
    block: list[str]  # block sizes

    def id_op(self, indent: str, result: str, op: str, dim: str) -> list[str]:
        d = "xyz".index(dim)
        if op == "global_id":
            product = f"{result}_base"
            return [
                f"{indent}{product} = arith.muli {self.blocks[d]}, {self.block[d]} : index",
                f"{indent}{result} = arith.addi {product}, {self.threads[d]} : index",
            ]
        sources = {"block_id": self.blocks, "thread_id": self.threads}
        sources |= {"grid_dim": self.grid, "block_dim": self.block}
        return [f"{indent}{result} = arith.addi {sources[op][d]}, %launch_zero : index"]


def launches_as_loops(body: list[str]) -> list[str]:
    """Rewrite each full-form gpu.launch (headers joined) into an scf.parallel."""
    out: list[str] = []
    launch: Launch | None = None
    closing = ""
    pending = ""
    for line in body:
        if "gpu.launch" in line or pending:
            pending = f"{pending} {line.strip()}" if pending else line
            if not pending.endswith("{"):
                continue
            line, pending = pending, ""
        if m := LAUNCH_RE.match(line):
            launch, header = launch_header(m.groups())
            closing = m.group(1) + "}"
            out += header
        elif launch is not None and line == closing:
            out += [closing, f"{closing[:-1]}  scf.yield", closing]
            launch = None
        elif launch is not None and (g := GPU_ID_RE.match(line)):
            out += launch.id_op(*g.groups())
        elif "gpu.terminator" not in line:
            out.append(line)
    return out


def launch_header(g: tuple[str, ...]) -> tuple[Launch, list[str]]:
    indent = g[0]
    grid_bind, block_bind = g[4:10], g[13:19]
    launch = Launch(list(g[1:4]), list(g[10:13]), list(grid_bind[::2]), list(block_bind[::2]))
    sizes = [*grid_bind[1::2], *block_bind[1::2]]
    ivs = ", ".join(launch.blocks + launch.threads)
    zeros, ones = ", ".join(["%launch_zero"] * 6), ", ".join(["%launch_one"] * 6)
    lines = [
        f"{indent}scf.execute_region {{",
        f"{indent}%launch_zero = arith.constant 0 : index",
        f"{indent}%launch_one = arith.constant 1 : index",
        f"{indent}scf.parallel ({ivs}) = ({zeros}) to ({', '.join(sizes)}) step ({ones}) {{",
    ]
    names = launch.grid + launch.block
    lines += [
        f"{indent}  {name} = arith.addi {size}, %launch_zero : index"
        for name, size in zip(names, sizes, strict=True)
    ]
    return launch, lines


def shape_of(memref: str) -> tuple[list[int], str]:
    m = MEMREF_RE.fullmatch(memref)
    assert m is not None, memref
    return [int(d) for d in m.group(1).split("x") if d], m.group(2)


def loop_nest(tag: str, dims: list[int], body: list[str]) -> list[str]:
    """Loops over every element; %{tag}_f is the flat index, ivs %{tag}_i<d>."""
    lines = [f"    %{tag}_n{d} = arith.constant {n} : index" for d, n in enumerate(dims)]
    lines += [f"    scf.for %{tag}_i{d} = %c0 to %{tag}_n{d} step %c1 {{" for d in range(len(dims))]
    flat = "%c0"
    for d in range(len(dims)):
        lines.append(f"    %{tag}_m{d} = arith.muli {flat}, %{tag}_n{d} : index")
        lines.append(f"    %{tag}_a{d} = arith.addi %{tag}_m{d}, %{tag}_i{d} : index")
        flat = f"%{tag}_a{d}"
    lines.append(f"    %{tag}_f = arith.addi {flat}, %c0 : index")
    return lines + body + ["    }"] * len(dims)


def fill_default(k: int, name: str, memref: str) -> list[str]:
    """Store ((i + 3k) mod 11) + 1 (i1: mod 2) at every flat index i."""
    dims, elem = shape_of(memref)
    tag = f"in{k}"
    ivs = ", ".join(f"%{tag}_i{d}" for d in range(len(dims)))
    modulus = "%c2" if elem == "i1" else "%c12"
    body = [
        f"    %{tag}_s = arith.addi %{tag}_f, %c{3 * k} : index",
        f"    %{tag}_r = arith.remui %{tag}_s, %c11 : index",
        f"    %{tag}_v = arith.addi %{tag}_r, %c1 : index",
        f"    %{tag}_w = arith.remui %{tag}_v, {modulus} : index",
        f"    %{tag}_l = arith.index_cast %{tag}_w : index to i64",
        f"    %{tag}_e = {from_i64(f'%{tag}_l', elem)}",
        f"    memref.store %{tag}_e, {name}[{ivs}] : {memref}",
    ]
    return [f"    {name} = memref.alloc() : {memref}", *loop_nest(tag, dims, body)]


def from_i64(value: str, elem: str) -> str:
    if elem.startswith("f"):
        return f"arith.sitofp {value} : i64 to {elem}"
    if elem == "i64":
        return f"arith.addi {value}, %c0_i64 : i64"
    if elem == "index":
        return f"arith.index_cast {value} : i64 to index"
    return f"arith.trunci {value} : i64 to {elem}"


def dump_bits(k: int, name: str, memref: str) -> list[str]:
    """Print the memref's elements as i64 bit patterns, flattened."""
    dims, elem = shape_of(memref)
    tag = f"out{k}"
    numel = int(np.prod(dims))
    ivs = ", ".join(f"%{tag}_i{d}" for d in range(len(dims)))
    body = [
        f"    %{tag}_x = memref.load {name}[{ivs}] : {memref}",
        *to_i64(tag, elem),
        f"    memref.store %{tag}_y, %{tag}[%{tag}_f] : memref<{numel}xi64>",
    ]
    return [
        f"    %{tag} = memref.alloc() : memref<{numel}xi64>",
        *loop_nest(tag, dims, body),
        f"    %{tag}_u = memref.cast %{tag} : memref<{numel}xi64> to memref<*xi64>",
        f"    func.call @printMemrefI64(%{tag}_u) : (memref<*xi64>) -> ()",
    ]


def to_i64(tag: str, elem: str) -> list[str]:
    x, y = f"%{tag}_x", f"%{tag}_y"
    if elem == "f64":
        return [f"    {y} = arith.bitcast {x} : f64 to i64"]
    if elem == "f32":
        return [
            f"    %{tag}_b = arith.bitcast {x} : f32 to i32",
            f"    {y} = arith.extui %{tag}_b : i32 to i64",
        ]
    if elem == "i64":
        return [f"    {y} = arith.addi {x}, %c0_i64 : i64"]
    if elem == "index":
        return [f"    {y} = arith.index_cast {x} : index to i64"]
    ext = "extui" if elem == "i1" else "extsi"
    return [f"    {y} = arith.{ext} {x} : {elem} to i64"]


def sequential_module(schedule: Schedule) -> str:
    """The tasks' bodies, one after another, on freshly filled memrefs."""
    args = ", ".join(f"{n}: {t}" for n, t in zip(schedule.names, schedule.types, strict=True))
    lines = ["func.func private @printMemrefI64(memref<*xi64>)", f"func.func @run({args}) {{"]
    for step in schedule.steps:
        if isinstance(step, str):  # a time loop's constant, header or closing brace
            lines.append(step)
            continue
        lines += ["  scf.execute_region {", *step, "    scf.yield", "  }"]
    lines += ["  return", "}", "func.func @main() {", "    %c0_i64 = arith.constant 0 : i64"]
    top = max(12, 3 * len(schedule.names))
    lines += [f"    %c{n} = arith.constant {n} : index" for n in range(top + 1)]
    memrefs = list(enumerate(zip(schedule.names, schedule.types, strict=True)))
    for k, (name, memref) in memrefs:
        lines += fill_default(k, name, memref)
    types = ", ".join(schedule.types)
    lines.append(f"    func.call @run({', '.join(schedule.names)}) : ({types}) -> ()")
    for k, (name, memref) in memrefs:
        lines += dump_bits(k, name, memref)
    lines += ["    return", "}"]
    return "\n".join(lines) + "\n"


def run_with_mlir(schedule: Schedule) -> list[np.ndarray]:
    llvm = mlir_opt(sequential_module(schedule), *LOWERING)
    libs = ",".join(f"{RUNNER_LIBS}/{lib}" for lib in RUNNER_LIB_NAMES)
    proc = subprocess.run(
        [MLIR_RUNNER, "-e", "main", "-entry-point-result=void", f"-shared-libs={libs}"],
        input=llvm,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    dumps = proc.stdout.split("Unranked Memref")[1:]
    assert len(dumps) == len(schedule.types)
    return [from_bits(dump, memref) for dump, memref in zip(dumps, schedule.types, strict=True)]


def from_bits(dump: str, memref: str) -> np.ndarray:
    dims, elem = shape_of(memref)
    data = dump.split("data =", 1)[1]
    bits = np.array([int(v) for v in re.findall(r"-?\d+", data)], dtype=np.int64)
    if elem == "f64":
        return bits.view(np.float64).reshape(dims)
    if elem == "f32":
        return bits.astype(np.uint32).view(np.float32).reshape(dims)
    return bits.astype(NUMPY_TYPES[elem]).reshape(dims)


def default_inputs(schedule: Schedule) -> dict[str, np.ndarray]:
    """The default initial contents (EXECUTION.md), by memref name."""
    inputs: dict[str, np.ndarray] = {}
    for k, (name, memref) in enumerate(zip(schedule.names, schedule.types, strict=True)):
        dims, elem = shape_of(memref)
        values = (np.arange(int(np.prod(dims)), dtype=np.int64) + 3 * k) % 11 + 1
        if elem == "i1":
            values %= 2
        inputs[name[1:]] = values.astype(NUMPY_TYPES[elem]).reshape(dims)
    return inputs


def interpret_example(name: str, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    result: dict[str, np.ndarray] = interpret(load(EXAMPLES / name), inputs)
    return result


needs_mlir_runner = pytest.mark.skipif(
    shutil.which(MLIR_RUNNER) is None
    or not all(Path(RUNNER_LIBS, lib).exists() for lib in RUNNER_LIB_NAMES),
    reason=f"{MLIR_RUNNER} or its runtime libraries are not installed",
)


def test_runnable_examples_include_gpu_programs() -> None:
    assert {"jacobi2d.mlir", "select_math.mlir", "pipeline.mlir"} <= set(RUNNABLE_EXAMPLES)
    assert "matmul_gpu.mlir" not in RUNNABLE_EXAMPLES
    # Time loops run as scf.for around the task bodies: MLIR runs the loop too.
    assert {"jacobi_loop.mlir", "gpu_loop.mlir"} <= set(RUNNABLE_EXAMPLES)
    steps = read_schedule((EXAMPLES / "jacobi_loop.mlir").read_text()).steps
    assert [s.strip() for s in steps if isinstance(s, str)][-2:] == [
        "scf.for %t = %first to %sweeps step %one {", "}"
    ]


@needs_mlir_opt
@needs_mlir_runner
@pytest.mark.parametrize("name", RUNNABLE_EXAMPLES)
def test_interpreter_agrees_with_mlir(name: str) -> None:
    schedule = read_schedule((EXAMPLES / name).read_text())
    assert schedule.names and schedule.bodies
    expected = run_with_mlir(schedule)
    inputs = default_inputs(schedule)
    got = interpret_example(name, inputs)
    for memref, want in zip(schedule.names, expected, strict=True):
        have = got[memref[1:]]
        assert have.dtype == want.dtype, memref
        assert have.tobytes() == want.tobytes(), f"{memref}: {have} != {want}"
