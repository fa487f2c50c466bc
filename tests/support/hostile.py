"""Hostile names for random programs: MLIR names that C, the headers the
generated program includes, MPI, CUDA or the generated code itself may
already use.  Not a test module; progen.py draws from :func:`name_pool`.

MLIR allows a value or memref name ``%`` followed by a suffix-id,
``[0-9]+ | [a-zA-Z$._-][a-zA-Z0-9$._-]*`` (LangRef, "Identifiers and
keywords").  So every C identifier is a valid MLIR name, and so are names C
cannot spell (``%a.b``, ``%a-b``, ``%$``, ``%0``) that the generator must
mangle, possibly onto another name.  Non-ASCII letters are *not* allowed in
bare identifiers; Unicode can only appear in strings: locations, quoted
symbol names (``@"..."``) and string attributes such as a task's
``{name = "..."}`` (see :data:`HOSTILE_STRINGS`).

The macros come from the preprocessor itself: ``mpicc -dM -E`` on a file
with exactly the includes of a generated program (runtime_c/ headers
included), with the flags avial2c builds with, run once per session.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from avial2c.build import CFLAGS

RUNTIME = Path(__file__).resolve().parents[2] / "runtime_c"

# What templates/program.c.j2 includes, in its order.
PROGRAM_INCLUDES = ["<math.h>", "<stdbool.h>", "<stddef.h>", "<stdint.h>", "<mpi.h>",
                    '"avial_rt.h"', '"av_ops.h"', '"av_owners.h"']  # fmt: skip

MLIR_SUFFIX_ID = re.compile(r"(?:[0-9]+|[A-Za-z$._-][A-Za-z0-9$._-]*)\Z")

# C89 to C23 keywords, GNU extensions, C++ keywords (CUDA sources are C++)
# and identifiers the implementation reserves.
C_WORDS = ["auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "_Alignas", "_Alignof", "_Atomic", "_Bool", "_Complex", "_Generic", "_Imaginary", "_Noreturn", "_Static_assert", "_Thread_local", "_BitInt", "_Decimal32", "bool", "true", "false", "nullptr", "alignas", "alignof", "constexpr", "static_assert", "thread_local", "typeof", "typeof_unqual", "asm", "__asm__", "__attribute__", "__typeof__", "__restrict", "__inline", "__volatile__", "__extension__", "__builtin_expect", "__func__", "__FUNCTION__", "__LINE__", "__FILE__", "__DATE__", "__COUNTER__", "__STDC__", "__STDC_VERSION__", "__GNUC__", "__x86_64__", "__linux__", "linux", "unix", "_Pragma", "defined", "and", "and_eq", "bitand", "bitor", "catch", "class", "compl", "const_cast", "delete", "dynamic_cast", "explicit", "export", "friend", "mutable", "namespace", "new", "noexcept", "not", "not_eq", "operator", "or", "or_eq", "private", "protected", "public", "reinterpret_cast", "static_cast", "template", "this", "throw", "try", "typeid", "typename", "using", "virtual", "xor", "xor_eq", "main", "argc", "argv", "errno", "stdin", "stdout", "stderr", "exit", "abort", "malloc", "free", "memcpy", "memset", "printf", "fprintf", "puts", "size_t", "ptrdiff_t", "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t", "intptr_t", "float_t", "double_t", "NULL", "EOF", "sqrt", "sqrtf", "floor", "ceil", "round", "fabs", "fmin", "fmax", "exp", "tanh", "sin", "isnan", "isinf", "signbit", "omp_get_thread_num", "omp_get_num_threads", "_OPENMP"]

# MPI names that are functions, types or handles rather than macros (the
# macros come from mpicc), and OpenMPI's internal ones.
MPI_WORDS = ["MPI_Init", "MPI_Finalize", "MPI_Comm_rank", "MPI_Comm_size", "MPI_Isend", "MPI_Irecv", "MPI_Waitall", "MPI_Barrier", "MPI_Abort", "MPI_Wtime", "MPI_Request", "MPI_Status", "MPI_Comm", "MPI_Datatype", "MPI_COMM_WORLD", "MPI_INT32_T", "MPI_DOUBLE", "MPI_FLOAT", "MPI_SUCCESS", "MPI_STATUS_IGNORE", "MPI_STATUSES_IGNORE", "MPI_ANY_SOURCE", "MPI_REQUEST_NULL", "PMPI_Init", "PMPI_Isend", "ompi_mpi_comm_world", "ompi_mpi_double", "ompi_request_t", "ompi_communicator_t", "OMPI_MAJOR_VERSION", "OPAL_MAJOR_VERSION", "mpi_init", "mpi_comm_world"]

# CUDA's built-in variables, qualifiers, types and API names (nvcc compiles
# the GPU tasks' kernels; the runtime headers are absent on CPU machines).
CUDA_WORDS = ["threadIdx", "blockIdx", "blockDim", "gridDim", "warpSize", "__syncthreads", "__syncwarp", "__shared__", "__global__", "__device__", "__host__", "__constant__", "__restrict__", "__forceinline__", "__launch_bounds__", "__CUDACC__", "__CUDA_ARCH__", "__NVCC__", "dim3", "uint3", "float2", "float4", "int4", "cudaError_t", "cudaSuccess", "cudaMalloc", "cudaFree", "cudaMemcpy", "cudaMemcpyHostToDevice", "cudaMemcpyDeviceToHost", "cudaGetLastError", "cudaDeviceSynchronize", "cudaStream_t", "cudaSetDevice", "cudaGetDeviceCount", "atomicAdd", "atomicCAS", "__ldg", "__shfl_sync", "__float2int_rz", "__int_as_float", "__double_as_longlong", "CUDART_INF_F", "CUDART_NAN"]

# MLIR names C cannot spell: the generator must mangle them, perhaps onto
# one another (a.b, a_b, a-b, a$b) or onto names it makes up itself (0, v0).
UNSPELLABLE = ["a.b", "a_b", "a-b", "a$b", "a__b", "a..b", "_a", "a_", "__a", "a__", "$", ".", "-", "..", "--", "$$", "_", "__", "___", "x.", ".x", "-x", "$x", "0", "00", "1", "01", "007", "v0", "v1", "v_0", "v", "v_", "MEM_A", "MEM_a", "mem", "N_MEMREFS", "outputs", "ctx", "own", "rs", "mv", "rank", "size", "t", "t0", "i", "j", "k", "tid", "t_t", "x_t", "i0", "j0", "bx", "tx"]

# Strings for string attributes and quoted symbols (MLIR escapes: \\ \" \n \t \XX).
HOSTILE_STRINGS = [
    "ünïcödé", "日本語", "λ-task", "emoji 🚀", "*/ int x; /*", "/* open", "// line",
    'quote \\" inside', "back\\\\slash", "new\\nline", "tab\\tchar", "%s%n%d", "??/",
    "\\22\\5C", "a b", "", "-", "av_task", "main", "task0",
]


@functools.lru_cache(maxsize=1)
def header_macros() -> frozenset[str]:
    """Every macro defined after the generated program's includes, as mpicc
    sees them with avial2c's flags; empty when mpicc is missing."""
    mpicc = shutil.which("mpicc")
    if mpicc is None:
        return frozenset()
    with tempfile.TemporaryDirectory(prefix="avial2c-macros-") as tmp:
        src = Path(tmp) / "includes.c"
        src.write_text("".join(f"#include {h}\n" for h in PROGRAM_INCLUDES))
        done = subprocess.run(
            [mpicc, *CFLAGS, f"-I{RUNTIME}", "-dM", "-E", str(src)],
            capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
    return frozenset(re.findall(r"^#define ([A-Za-z_]\w*)", done.stdout, re.MULTILINE))


@functools.lru_cache(maxsize=1)
def runtime_identifiers() -> frozenset[str]:
    """The identifiers the runtime's headers declare or use (av_*, AV_*, ...)."""
    words: set[str] = set()
    for header in sorted(RUNTIME.glob("*.h")):
        text = re.sub(r"/\*.*?\*/|//[^\n]*", " ", header.read_text(), flags=re.DOTALL)
        words |= set(re.findall(r"\b[A-Za-z_]\w*\b", text))
    return frozenset(words)


def variants(name: str) -> list[str]:
    """Names that differ from NAME only in case or by an underscore."""
    out = [name.upper(), name.lower(), name.swapcase(), f"_{name}", f"{name}_", f"{name}__",
           name.replace("_", ""), name.replace("_", "__")]  # fmt: skip
    return [v for v in out if v != name and v and MLIR_SUFFIX_ID.match(v)]


def long_names() -> list[str]:
    """Names of 100 to 240 characters (a NAME.npy output file stays under the
    usual 255-byte limit); pairs share their first 63 characters, C's
    guaranteed significant length."""
    stem = "x" * 63
    return [stem + "a" * 40, stem + "b" * 40, "L" * 120, "m_" * 60 + "1", "m_" * 60 + "2",
            "Q" * 240, "mem." + "z" * 150]  # fmt: skip


def name_categories() -> dict[str, tuple[str, ...]]:
    """The hostile names by kind, each valid in MLIR, in a fixed order."""
    extra = [v for w in ["INT32_MAX", "size", "rank", "mem", "ctx", "x", "tid", "main", "MPI_Init"]
             for v in variants(w)]  # fmt: skip
    cats = {
        "c": C_WORDS,
        "macro": sorted(header_macros()),
        "mpi": MPI_WORDS,
        "cuda": CUDA_WORDS,
        "unspellable": UNSPELLABLE,
        "runtime": sorted(runtime_identifiers()),
        "variant": extra,
        "long": long_names(),
    }
    return {k: tuple(dict.fromkeys(n for n in v if MLIR_SUFFIX_ID.match(n))) for k, v in cats.items()}


def name_pool() -> tuple[str, ...]:
    """Every hostile name, in a fixed order (for derandomized runs)."""
    return tuple(dict.fromkeys(n for names in name_categories().values() for n in names))


def mangle_collisions() -> list[tuple[str, str]]:
    """Pairs of distinct MLIR names that a naive C mangling maps to one name."""
    return [("a.b", "a_b"), ("a-b", "a$b"), ("x", "X"), ("0", "v0"), ("_a", "a_"),
            ("mem", "MEM"), ("a", "A")]  # fmt: skip
