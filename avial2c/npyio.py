"""Initial values, `.npy` input and output, and the report lines of a program.

These follow the interface of the generated programs (docs/execution.md) and the
C runtime (``runtime_c/avial_rt.h``) exactly, so that ``avial2c run
--interpret`` prints and writes what a compiled program does.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from avial2c.ir import CheckedProgram, MemRefType, ScalarType

NPY_MAGIC = b"\x93NUMPY"
MAX_SHOWN = 8

_DTYPES = {
    "i1": np.dtype(np.bool_),
    "i8": np.dtype(np.int8),
    "i16": np.dtype(np.int16),
    "i32": np.dtype(np.int32),
    "i64": np.dtype(np.int64),
    "index": np.dtype(np.int64),
    "f32": np.dtype(np.float32),
    "f64": np.dtype(np.float64),
}


class InputError(Exception):
    """A bad `--input`; the message is complete and has no 'error:' prefix."""


def numpy_dtype(t: ScalarType) -> np.dtype[np.generic]:
    return _DTYPES[t.name]


def memref_type_at(program: CheckedProgram, k: int) -> MemRefType:
    return program.memref_type(program.memrefs[k])


def default_value(program: CheckedProgram, k: int) -> np.ndarray:
    """Memref k's initial value: ((i + 3k) mod 11) + 1 at flat index i (i1: mod 2)."""
    return default_array(k, memref_type_at(program, k))


def default_array(k: int, t: MemRefType) -> np.ndarray:
    """The initial value of the k-th schedule memref, of type t (see default_value)."""
    values = (np.arange(t.numel, dtype=np.int64) + 3 * k) % 11 + 1
    if t.elem.name == "i1":
        values %= 2
    return values.astype(numpy_dtype(t.elem)).reshape(t.shape)


# --------------------------------------------------------------------------
# --input NAME=FILE.npy


def load_input(program: CheckedProgram, spec: str) -> tuple[str, np.ndarray]:
    """Read `--input NAME=FILE.npy`; dtype and shape must be exactly the memref's."""
    types = {m.name: memref_type_at(program, k) for k, m in enumerate(program.memrefs)}
    return load_typed_input(types, spec)


def load_typed_input(types: Mapping[str, MemRefType], spec: str) -> tuple[str, np.ndarray]:
    """`--input NAME=FILE.npy` for the schedule memrefs TYPES (by name, without %)."""
    name, sep, path = spec.partition("=")
    name = name.removeprefix("%")
    if not sep or not name or not path:
        raise InputError(f"--input {spec}: expected NAME=FILE.npy")
    if name not in types:
        raise InputError(f"--input {spec}: no schedule memref named '{name}'")
    t = types[name]
    try:
        return name, read_npy(Path(path), t)
    except InputError as e:
        raise InputError(f"--input {spec}: {e}") from None


def read_npy(path: Path, t: MemRefType) -> np.ndarray:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror or e}") from None
    descr, fortran, shape, offset = parse_npy_header(data)
    want = numpy_dtype(t.elem)
    found = _dtype_of(descr)
    if found != want or shape != t.shape:
        shown = _dtype_text(found) if found is not None else repr(descr)
        raise InputError(
            f"expected {want.name} {shape_text(t.shape)}, found {shown} {shape_text(shape)}"
        )
    if fortran:
        raise InputError("cannot read: Fortran-ordered arrays are not supported")
    expected = t.numel * want.itemsize
    body = data[offset:]
    if len(body) != expected:
        what = "truncated" if len(body) < expected else "too long"
        raise InputError(f"cannot read: {what}: expected {expected} data bytes, found {len(body)}")
    array = np.frombuffer(body, dtype=want).reshape(t.shape).copy()
    if t.elem.name == "i1":
        array = array.view(np.uint8).astype(np.bool_)
    return array


def parse_npy_header(data: bytes) -> tuple[str, bool, tuple[int, ...], int]:
    """(descr, fortran_order, shape, data offset) of a .npy file's bytes."""
    bad = InputError("cannot read: not a .npy file")
    if len(data) < 10 or not data.startswith(NPY_MAGIC):
        raise bad
    major = data[6]
    if major == 1:
        size, start = int.from_bytes(data[8:10], "little"), 10
    elif major in (2, 3) and len(data) >= 12:
        size, start = int.from_bytes(data[8:12], "little"), 12
    else:
        raise bad
    try:
        header = ast.literal_eval(data[start : start + size].decode("latin1"))
        descr, fortran, shape = header["descr"], header["fortran_order"], header["shape"]
    except (ValueError, SyntaxError, KeyError, TypeError, MemoryError, RecursionError):
        raise bad from None
    if not (
        isinstance(descr, str)
        and isinstance(fortran, bool)
        and isinstance(shape, tuple)
        and all(isinstance(d, int) for d in shape)
    ):
        raise bad
    return descr, fortran, shape, start + size


def _dtype_of(descr: str) -> np.dtype[np.generic] | None:
    try:
        return np.dtype(descr)
    except (TypeError, ValueError):
        return None


def _dtype_text(dt: np.dtype[np.generic]) -> str:
    return dt.name if dt.isnative else dt.str


def shape_text(shape: tuple[int, ...]) -> str:
    """A shape as NumPy and the generated program write it: (3,), (2, 4), ()."""
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ", ".join(str(d) for d in shape) + ")"


# --------------------------------------------------------------------------
# outputs


def written_memrefs(program: CheckedProgram) -> list[str]:
    """Names of the memrefs that some task writes, in schedule order."""
    written = {m for task in program.tasks for m in task.writes}
    return [m.name for m in program.memrefs if m in written]


def format_value(v: float | int | bool) -> str:
    """An element as C prints it: integers in decimal, floats as %.6g."""
    if isinstance(v, float):
        return "nan" if math.isnan(v) else format(v, ".6g")
    return str(int(v))


def format_memref(name: str, array: np.ndarray) -> str:
    """`%NAME = [v0, v1, ...]`: at most 8 values, then `... (N elements)`."""
    flat = array.reshape(-1)
    values = [format_value(v) for v in flat[:MAX_SHOWN].tolist()]
    if flat.size > MAX_SHOWN:
        values.append(f"... ({flat.size} elements)")
    return f"%{name} = [{', '.join(values)}]"


def write_outputs(directory: str | Path, arrays: Mapping[str, np.ndarray]) -> None:
    """Write each array as DIRECTORY/NAME.npy, creating DIRECTORY."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        # Not np.ascontiguousarray: it turns a 0-d array into shape (1,).
        np.save(out / f"{name}.npy", np.array(array, order="C", copy=True), allow_pickle=False)
