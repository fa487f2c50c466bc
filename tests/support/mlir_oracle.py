"""Task bodies run by real MLIR (mlir-opt-22 + mlir-runner-22), as an oracle.

Not a test module itself; imported by test_mlir_oracle.py.

A task body becomes a standalone MLIR module:

* ``func.func @task(%a: memref<..>, ...)`` holds the body exactly as the
  custom printer writes it (the upstream ops in MLIR's own syntax), taking
  every schedule memref the task touches as an argument;
* ``func.func @main()`` allocates those memrefs, fills them from private
  constant globals, calls ``@task`` and prints every memref the task writes.

Values cross the boundary bit for bit: each input global holds the raw bytes
of the array (``dense<"0x...">``, i1 stored as i8), and each written memref
is printed as a flat ``memref<Nxi64>`` of the elements' bit patterns (floats
through ``arith.bitcast``, narrow integers sign-extended, i1 zero-extended)
with ``printMemrefI64``.  So MLIR's results are compared exactly, not through
the six significant digits that ``printMemrefF32`` would give.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from irb import checked

from avial2c.ir import (
    CheckedProgram,
    MemRefType,
    Program,
    ScalarType,
    Task,
    Value,
    is_gpu_arch,
    walk_ops,
)
from avial2c.npyio import default_value, numpy_dtype
from avial2c.printer.common import literal, task_constants
from avial2c.printer.custom import CustomPrinter

MLIR_OPT = "mlir-opt-22"
MLIR_RUNNER = "mlir-runner-22"
RUNNER_LIB_DIRS = (Path("/usr/lib/llvm-22/lib"),)
RUNNER_LIBS = ("libmlir_runner_utils.so", "libmlir_c_runner_utils.so")
TIMEOUT = 120  # seconds for each of mlir-opt and mlir-runner

# The lowering to the LLVM dialect.  arith-expand rewrites ceildivsi /
# floordivsi (and friends) into ops with an LLVM lowering; math ops with an
# LLVM intrinsic become that intrinsic, the rest (tan, tanh) libm calls.
LOWERING = (
    "--arith-expand",
    "--convert-scf-to-cf",
    "--convert-math-to-llvm",
    "--convert-math-to-libm",
    "--expand-strided-metadata",
    "--finalize-memref-to-llvm",
    "--convert-arith-to-llvm",
    "--convert-index-to-llvm",
    "--convert-cf-to-llvm",
    "--convert-func-to-llvm",
    "--reconcile-unrealized-casts",
)


class OracleError(Exception):
    """mlir-opt or mlir-runner failed; the message holds their output."""


# --------------------------------------------------------------------------
# Tools


def runner_libs() -> list[Path] | None:
    """The runtime libraries mlir-runner needs (printMemrefI64 and friends)."""
    found: list[Path] = []
    for name in RUNNER_LIBS:
        hits = [d / name for d in RUNNER_LIB_DIRS if (d / name).exists()]
        hits += [p for d in RUNNER_LIB_DIRS for p in sorted(d.glob(name + ".*"))]
        if not hits:
            return None
        found.append(hits[0])
    return found


def missing_tools() -> str | None:
    """Why the oracle cannot run here, or None when it can."""
    for tool in (MLIR_OPT, MLIR_RUNNER):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    if runner_libs() is None:
        return f"MLIR runner libraries ({', '.join(RUNNER_LIBS)}) not found"
    return None


# --------------------------------------------------------------------------
# Which tasks


def oracle_tasks(program: Program) -> list[Task]:
    """The tasks on CPU targets whose bodies contain no gpu.launch."""
    return [
        t for t in program.tasks
        if not is_gpu_arch(t.target.arch)
        and not any(op.name == "gpu.launch" for op in walk_ops(t.body))
    ]  # fmt: skip


def sub_program(program: CheckedProgram, task: Task) -> CheckedProgram:
    """PROGRAM reduced to TASK alone (same memrefs and targets), checked."""
    return checked(
        Program(
            program.file, program.memrefs, program.targets, (task,), program.span, program.func_name
        )
    )


def touched_memrefs(program: Program, task: Task) -> list[Value]:
    """The schedule memrefs TASK declares or uses, in schedule order."""
    used = set(task.reads) | set(task.writes)
    used |= {x for op in walk_ops(task.body) for x in op.operands if isinstance(x, Value)}
    return [m for m in program.memrefs if m in used]


def memref_type(m: Value) -> MemRefType:
    if not isinstance(m.type, MemRefType):
        raise ValueError(f"'%{m.name}' is not a memref")
    return m.type


# --------------------------------------------------------------------------
# Inputs


def default_inputs(program: Program) -> dict[str, np.ndarray]:
    """The generated program's initial values, ((i + 3k) mod 11) + 1."""
    return {m.name: default_value(program, k) for k, m in enumerate(program.memrefs)}


def safe_random_inputs(program: Program, seed: int) -> dict[str, np.ndarray]:
    """Random contents on which the example bodies stay well defined in MLIR.

    Integers in 1..100 and floats in 0.5..8: no division by zero, no
    signed-division overflow, no fptosi out of range, no overlong shift.
    """
    rng = np.random.default_rng(seed)
    out: dict[str, np.ndarray] = {}
    for m in program.memrefs:
        t = memref_type(m)
        dtype = numpy_dtype(t.elem)
        if t.elem.name == "i1":
            a = rng.integers(0, 2, size=t.shape).astype(dtype)
        elif t.elem.is_float:
            a = rng.uniform(0.5, 8.0, size=t.shape).astype(dtype)
        else:
            a = rng.integers(1, 100, size=t.shape, endpoint=True).astype(dtype)
        out[m.name] = np.array(a, dtype=dtype).reshape(t.shape)
    return out


# --------------------------------------------------------------------------
# The module


STORAGE = {"i1": "i8", "index": "i64"}  # element type of the input globals


def storage_type(t: ScalarType) -> str:
    return STORAGE.get(t.name, t.name)


def raw_bytes(array: np.ndarray, t: MemRefType) -> bytes:
    """The little-endian bytes of ARRAY as the input global stores them."""
    flat = np.ascontiguousarray(array).reshape(-1)
    if t.elem.name == "i1":
        flat = flat.astype(np.uint8)
    return flat.astype(flat.dtype.newbyteorder("<")).tobytes()


def decode(t: ScalarType, raw: str) -> tuple[list[str], str]:
    """Ops turning %RAW (the global's element) into an element of type T; (lines, result)."""
    if t.name == "i1":
        return [f"%v = arith.trunci {raw} : i8 to i1"], "%v"
    if t.name == "index":
        return [f"%v = arith.index_cast {raw} : i64 to index"], "%v"
    return [], raw


def encode(t: ScalarType, value: str) -> tuple[list[str], str]:
    """Ops turning %VALUE of type T into the i64 that is printed; (lines, result)."""
    name = t.name
    if name == "i64":
        return [], value
    if name == "index":
        return [f"%w = arith.index_cast {value} : index to i64"], "%w"
    if name == "f64":
        return [f"%w = arith.bitcast {value} : f64 to i64"], "%w"
    if name == "f32":
        return [
            f"%b = arith.bitcast {value} : f32 to i32",
            "%w = arith.extui %b : i32 to i64",
        ], "%w"
    ext = "extui" if name == "i1" else "extsi"
    return [f"%w = arith.{ext} {value} : {name} to i64"], "%w"


@dataclass
class ModuleWriter:
    program: Program
    task: Task
    inputs: Mapping[str, np.ndarray]
    lines: list[str]

    def add(self, depth: int, text: str) -> None:
        self.lines.append("  " * depth + text)

    def globals(self, memrefs: list[Value]) -> None:
        for k, m in enumerate(memrefs):
            t = memref_type(m)
            data = raw_bytes(self.inputs[m.name], t).hex().upper()
            kind = f"memref<{t.numel}x{storage_type(t.elem)}>"
            self.add(1, f'memref.global "private" constant @in{k} : {kind} = dense<"0x{data}">')
        self.add(
            1, "func.func private @printMemrefI64(memref<*xi64>) attributes {llvm.emit_c_interface}"
        )

    def body(self, memrefs: list[Value]) -> None:
        printer = CustomPrinter()
        args = ", ".join(f"{printer.names.define(m)}: {memref_type(m)}" for m in memrefs)
        printer.out.add(1, f"func.func @task({args}) {{")
        printer.names.push()
        for c in task_constants(self.task.body):
            printer.out.add(2, f"{printer.names.define_constant(c)} = arith.constant {literal(c)}")
        for op in self.task.body.ops:
            printer.op(op, 2)
        printer.names.pop()
        printer.out.add(2, "return")
        printer.out.add(1, "}")
        self.lines.extend(printer.out.lines)

    def main(self, memrefs: list[Value]) -> None:
        self.add(1, "func.func @main() {")
        self.add(2, "%c0 = arith.constant 0 : index")
        self.add(2, "%c1 = arith.constant 1 : index")
        for k, m in enumerate(memrefs):
            self.fill(k, memref_type(m))
        args = ", ".join(f"%m{k}" for k in range(len(memrefs)))
        types = ", ".join(str(memref_type(m)) for m in memrefs)
        self.add(2, f"call @task({args}) : ({types}) -> ()")
        for k, m in enumerate(memrefs):
            if m in self.task.writes:
                self.show(k, memref_type(m))
        self.add(2, "return")
        self.add(1, "}")

    def flat(self, k: int, t: MemRefType) -> str:
        """Define %fK, memref %mK seen as one dimension; return its type."""
        flat = f"memref<{t.numel}x{t.elem}>"
        self.add(
            2,
            f"%f{k} = memref.reinterpret_cast %m{k} to offset: [0], sizes: [{t.numel}],"
            f" strides: [1] : {t} to {flat}",
        )
        self.add(2, f"%n{k} = arith.constant {t.numel} : index")
        return flat

    def fill(self, k: int, t: MemRefType) -> None:
        self.add(2, f"%m{k} = memref.alloc() : {t}")
        flat = self.flat(k, t)
        raw = f"memref<{t.numel}x{storage_type(t.elem)}>"
        self.add(2, f"%g{k} = memref.get_global @in{k} : {raw}")
        self.add(2, f"scf.for %i = %c0 to %n{k} step %c1 {{")
        self.add(3, f"%r = memref.load %g{k}[%i] : {raw}")
        ops, v = decode(t.elem, "%r")
        for line in ops:
            self.add(3, line)
        self.add(3, f"memref.store {v}, %f{k}[%i] : {flat}")
        self.add(2, "}")

    def show(self, k: int, t: MemRefType) -> None:
        out = f"memref<{t.numel}xi64>"
        self.add(2, f"%o{k} = memref.alloc() : {out}")
        self.add(2, f"scf.for %i = %c0 to %n{k} step %c1 {{")
        self.add(3, f"%x = memref.load %f{k}[%i] : memref<{t.numel}x{t.elem}>")
        ops, w = encode(t.elem, "%x")
        for line in ops:
            self.add(3, line)
        self.add(3, f"memref.store {w}, %o{k}[%i] : {out}")
        self.add(2, "}")
        self.add(2, f"%u{k} = memref.cast %o{k} : {out} to memref<*xi64>")
        self.add(2, f"call @printMemrefI64(%u{k}) : (memref<*xi64>) -> ()")


def module_text(program: Program, task: Task, inputs: Mapping[str, np.ndarray]) -> str:
    """The standalone MLIR module that runs TASK's body on INPUTS and prints its writes."""
    memrefs = touched_memrefs(program, task)
    writer = ModuleWriter(program, task, inputs, ["module {"])
    writer.globals(memrefs)
    writer.body(memrefs)
    writer.main(memrefs)
    writer.add(0, "}")
    return "\n".join(writer.lines) + "\n"


# --------------------------------------------------------------------------
# Running it


def lower(module: str) -> str:
    """MODULE lowered to the LLVM dialect by mlir-opt."""
    done = subprocess.run(
        [MLIR_OPT, *LOWERING], input=module, capture_output=True, text=True,
        timeout=TIMEOUT, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise OracleError(f"{MLIR_OPT} failed:\n{done.stderr}")
    return done.stdout


def execute(lowered: str) -> str:
    """Run the lowered module's @main with mlir-runner; its stdout."""
    libs = runner_libs()
    if libs is None:
        raise OracleError("MLIR runner libraries not found")
    cmd = [
        MLIR_RUNNER, "-e", "main", "-entry-point-result=void",
        f"-shared-libs={','.join(str(p) for p in libs)}",
    ]  # fmt: skip
    done = subprocess.run(
        cmd, input=lowered, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    if done.returncode != 0:
        raise OracleError(f"{MLIR_RUNNER} failed (exit {done.returncode}):\n{done.stderr}")
    return done.stdout


PRINTED = re.compile(r"Unranked Memref[^\n]*data =\s*\[([^\]]*)\]")


def parse_printed(stdout: str) -> list[np.ndarray]:
    """The flat i64 arrays printed by printMemrefI64, in order."""
    return [np.fromstring(body, dtype=np.int64, sep=",") for body in PRINTED.findall(stdout)]


def from_bits(bits: np.ndarray, t: MemRefType) -> np.ndarray:
    """The printed i64 patterns back as an array of T's dtype and shape."""
    name = t.elem.name
    if name == "f32":
        values = bits.astype(np.uint32).view(np.float32)
    elif name == "f64":
        values = bits.view(np.float64)
    else:
        values = bits.astype(numpy_dtype(t.elem))
    return values.reshape(t.shape)


def run_task(
    program: Program, task: Task, inputs: Mapping[str, np.ndarray], keep: Path | None = None
) -> dict[str, np.ndarray]:
    """The memrefs TASK writes, by name, after MLIR ran its body on INPUTS.

    With KEEP, the module and its lowering are written there (task.mlir,
    task.llvm.mlir) for inspection.
    """
    module = module_text(program, task, inputs)
    lowered = lower(module)
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        (keep / "task.mlir").write_text(module)
        (keep / "task.llvm.mlir").write_text(lowered)
    printed = parse_printed(execute(lowered))
    written = [m for m in program.memrefs if m in task.writes]
    if len(printed) != len(written):
        raise OracleError(f"expected {len(written)} printed memrefs, found {len(printed)}")
    return {
        m.name: from_bits(bits, memref_type(m)) for m, bits in zip(written, printed, strict=True)
    }
