"""C spellings: types, identifiers and constants of the generated code.

* Scalar types: ``i1`` is ``bool`` (memref storage ``uint8_t``, 0 or 1),
  ``iN`` is ``intN_t``, ``index`` is ``int64_t``, ``f32``/``f64`` are
  ``float``/``double``.
* Identifiers come from the MLIR names (``%x`` → ``x``, ``%0`` → ``v0``);
  a :class:`Namer` keeps them unique within one C scope (a function) and
  away from C keywords and the names the generated code and its headers use.
* Constants are printed so that the C compiler reads back exactly the value
  the reference interpreter uses (shortest round-trip text; f32 constants are
  rounded to float32 first, as the interpreter does).
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Iterable

import numpy as np

from avial2c.ir import Const, ScalarType

C_TYPES = {
    "i1": "bool",
    "i8": "int8_t",
    "i16": "int16_t",
    "i32": "int32_t",
    "i64": "int64_t",
    "index": "int64_t",
    "f32": "float",
    "f64": "double",
}

# The element type of a memref in memory (i1 is one byte holding 0 or 1).
STORAGE_TYPES = {**C_TYPES, "i1": "uint8_t"}

UNSIGNED_TYPES = {
    "i1": "bool",
    "i8": "uint8_t",
    "i16": "uint16_t",
    "i32": "uint32_t",
    "i64": "uint64_t",
    "index": "uint64_t",
}

# The MPI datatype of each element type in memory.
MPI_TYPES = {
    "i1": "MPI_UINT8_T",
    "i8": "MPI_INT8_T",
    "i16": "MPI_INT16_T",
    "i32": "MPI_INT32_T",
    "i64": "MPI_INT64_T",
    "index": "MPI_INT64_T",
    "f32": "MPI_FLOAT",
    "f64": "MPI_DOUBLE",
}

# The runtime's av_dtype names (avial_rt.h).
DTYPES = {
    "i1": "AV_I1",
    "i8": "AV_I8",
    "i16": "AV_I16",
    "i32": "AV_I32",
    "i64": "AV_I64",
    "index": "AV_INDEX",
    "f32": "AV_F32",
    "f64": "AV_F64",
}


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


C_KEYWORDS = _words(
    """auto break case char const continue default do double else enum extern float for
    goto if inline int long register restrict return short signed sizeof static struct
    switch typedef union unsigned void volatile while _Alignas _Alignof _Atomic _Bool
    _Complex _Generic _Imaginary _Noreturn _Static_assert _Thread_local bool true false
    asm typeof"""
)

# C++ keywords too: task bodies are also compiled as CUDA C++.
CXX_KEYWORDS = _words(
    """and and_eq bitand bitor catch class compl const_cast delete dynamic_cast explicit
    export friend mutable namespace new noexcept not not_eq nullptr operator or or_eq private
    protected public reinterpret_cast static_cast template this throw try typeid typename
    using virtual xor xor_eq"""
)

# Names that generated code or the headers it includes already use.
RESERVED = (
    C_KEYWORDS
    | CXX_KEYWORDS
    | _words(
        """main argc argv ctx rank size mem outputs own rs t NULL errno
    abs div exp exp2 log log2 log10 sin cos tan tanh sqrt pow fma floor ceil round fabs
    fmod fmin fmax expf exp2f logf log2f log10f sinf cosf tanf tanhf sqrtf powf fmaf
    floorf ceilf roundf fabsf fmodf isnan isinf signbit isunordered isgreater isless
    isgreaterequal islessequal islessgreater INFINITY NAN memcpy memset malloc calloc free
    printf int8_t int16_t int32_t int64_t uint8_t uint16_t uint32_t uint64_t"""
    )
    | _words(
        # Lowercase macros of the C library headers the C and CUDA files include
        # (found with `mpicc -dM -E` and `nvcc -E -Xcompiler -dM`; tests/codegen
        # checks the list against the installed headers).
        """alloca assert assert_perror be16toh be32toh be64toh fpclassify htobe16 htobe32
    htobe64 htole16 htole32 htole64 isalnum_l isalpha_l isascii isascii_l isblank_l
    iscntrl_l isdigit_l isfinite isgraph_l islower_l isnormal isprint_l ispunct_l
    isspace_l issubnormal isupper_l isxdigit_l le16toh le32toh le64toh math_errhandling
    offsetof stderr stdin stdout strdupa strndupa toascii toascii_l static_assert
    alignas alignof noreturn complex imaginary thread_local linux unix i386 setjmp
    va_start va_arg va_end va_copy EOF"""
    )
)

# Name families that MPI implementations, CUDA, libm and the runtime define
# (types, functions and macros alike): a program's name that starts with one
# gets "v_" in front.
RESERVED_PREFIXES = (
    "av_", "AV_", "MPI_", "PMPI_", "MPIO_", "MPIX_", "MPIR_", "MPICH_", "mpich_", "OMPI_",
    "ompi_", "OPAL_", "opal_", "ORTE_", "orte_", "PMIX_", "pmix_", "omp_", "cuda", "CUDA",
    "CU_", "M_", "L_", "P_", "__",
)  # fmt: skip
_PREFIX_CU = re.compile(r"cu[A-Z]")

_NOT_IDENT = re.compile(r"[^A-Za-z0-9_]")


def c_type(t: ScalarType) -> str:
    return C_TYPES[t.name]


def storage_type(t: ScalarType) -> str:
    return STORAGE_TYPES[t.name]


def unsigned_type(t: ScalarType) -> str:
    return UNSIGNED_TYPES[t.name]


def type_suffix(t: ScalarType) -> str:
    """The suffix of the av_ops.h helpers: i1 i8 i16 i32 i64 (index) f32 f64."""
    return "i64" if t.name == "index" else t.name


def sanitize(name: str) -> str:
    """A C identifier for an MLIR name (without '%'); not yet unique."""
    ident = re.sub("_+", "_", _NOT_IDENT.sub("_", name)).strip("_") or "v"
    if ident[0].isdigit():
        ident = f"v{ident}"
    if ident.startswith(RESERVED_PREFIXES) or _PREFIX_CU.match(ident):
        ident = f"v_{ident}"
    return ident


def clear_of_macros(ident: str) -> str:
    """IDENT, or IDENT_ when it is spelled like a macro: headers name their
    macros in capitals (INT32_MAX, HUGE_VAL, FP_NAN, MATH_ERRNO, WNOHANG), and
    no header defines a macro ending in '_'; capitals shorter than four
    letters without '_' are macros only as EOF and NAN.  The lowercase macros and the
    macro families of MPI, CUDA and libm are in RESERVED and RESERVED_PREFIXES."""
    if any(c.islower() for c in ident) or (len(ident) < 4 and "_" not in ident):
        return ident  # A, B, C and RHS stay (EOF and NAN are in RESERVED)
    return f"{ident}_"


class Namer:
    """Unique C identifiers in nested C scopes.

    A name is free when no enclosing scope uses it, so nothing is shadowed,
    while sibling scopes (two loops one after the other) may reuse a name.
    A wanted name that C or the generated code reserves gets a trailing
    underscore (``sqrt`` → ``sqrt_``); a name taken in scope gets ``_2``, ``_3``...
    """

    def __init__(self, taken: Iterable[str] = ()) -> None:
        self.scopes: list[set[str]] = [set(taken)]

    def push(self) -> None:
        self.scopes.append(set())

    def pop(self) -> None:
        self.scopes.pop()

    def is_taken(self, name: str) -> bool:
        return name in RESERVED or any(name in scope for scope in self.scopes)

    @property
    def taken(self) -> set[str]:
        return set().union(*self.scopes)

    def fresh(self, wanted: str, ours: bool = False) -> str:
        """A new name for WANTED; OURS: a name the generator made up (MEM_A),
        which may be in capitals, rather than one taken from the program."""
        base = sanitize(wanted)
        if not ours:
            base = clear_of_macros(base)
        if base in RESERVED:
            base += "_"
        name = base
        n = 2
        while self.is_taken(name):
            name = f"{base}_{n}"
            n += 1
        self.scopes[-1].add(name)
        return name


# --------------------------------------------------------------------------
# Constants


def int_literal(value: int, t: ScalarType) -> str:
    """An integer constant of type t (value in the signed range, i1 0 or 1)."""
    if t.name == "i1":
        return "true" if value else "false"
    bits = t.bits
    if value == -(1 << (bits - 1)) and bits >= 32:
        return f"INT{bits}_MIN"
    if bits == 64 and not -(1 << 31) <= value < (1 << 31):
        return f"INT64_C({value})"
    return str(value)


def float_literal(value: float, t: ScalarType) -> str:
    """A float constant of type t; f32 values are rounded to float32 first."""
    if t.name == "f32":
        with np.errstate(over="ignore"):  # beyond the f32 range: inf, as MLIR rounds it
            value = float(np.float32(value))
    if math.isnan(value):
        return nan_literal(value, t)
    if math.isinf(value):
        return "INFINITY" if value > 0 else "-INFINITY"
    if t.name == "f32":
        text = str(np.float32(value))
        return f"{_with_point(text)}f"
    return _with_point(repr(value))


def _with_point(text: str) -> str:
    """'1' → '1.0', '1e+20' stays (valid C), '0.5' stays."""
    if any(c in text for c in ".eE"):
        return text
    return f"{text}.0"


def nan_literal(value: float, t: ScalarType) -> str:
    """A NaN with its exact bits (they survive a bitcast)."""
    if t.name == "f32":
        bits = struct.unpack("<I", struct.pack("<f", value))[0]
        return f"av_bitcast_i32_f32((int32_t)0x{bits:08X}u)"
    bits = struct.unpack("<Q", struct.pack("<d", value))[0]
    return f"av_bitcast_i64_f64((int64_t)0x{bits:016X}u)"


def const_expr(c: Const) -> str:
    """A C expression for a constant operand; negative values parenthesised."""
    if c.type.is_float:
        text = float_literal(float(c.value), c.type)
    else:
        text = int_literal(int(c.value), c.type)
    return f"({text})" if text.startswith("-") else text
