"""`avial2c calibrate`: measure this cluster and write a machine file.

    avial2c calibrate [-n N] -o FILE.toml [--quick] [--launcher L] [--launcher-args ARGS]

The measuring program, ``runtime_c/calibrate/av_calibrate.c``, is compiled by
mpicc with the project's CFLAGS into a temporary directory and launched on N
ranks exactly as ``avial2c run`` launches programs (:mod:`avial2c.launch`:
mpirun or srun, ``--oversubscribe`` and ``--bind-to none`` where needed,
``OMP_NUM_THREADS`` = cores / ranks).  Rank 0 prints one ``avcal ...`` record
a line (:func:`parse_output`); from them :func:`machine_of` makes the
:class:`~avial2c.machine.Machine` that :func:`~avial2c.machine.machine_toml`
writes:

* ``[network]``: the median, over the ranks 1 .. N-1, of each one's ping-pong
  with rank 0 (one-way latency of an 8-byte message; bandwidth of an 8 MiB
  message with ``--quick``, else 32 MiB).  With one rank there is no network
  to measure: the defaults are kept and the file's comment says so.
* ``[rates]``: the median over the ranks of one core's rate per element kind
  (each rank measures alone while the others sleep).
* ``[[rank]]``: ``cores`` = the OpenMP threads the rank sees
  (``omp_get_max_threads``), ``speed`` = 1.0 for every rank (each rank's own
  rates are listed in the file's comment: edit ``speed`` for ranks of unequal
  speed), ``gpus`` = the arch of the GPU the rank uses.
* ``[gpu]``, only when nvcc and a CUDA device are found (``av_calibrate_gpu.cu``
  is then linked in): the medians over the ranks of the GPU rate, the host ->
  GPU copy bandwidth and the kernel launch latency.  Without them no GPU is
  listed, and a note says why.

A missing or failing tool, a launch that fails and an output that cannot be
written are errors (``avial2c: error: ...``, exit 2).
"""

from __future__ import annotations

import math
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from avial2c.build import (
    CFLAGS,
    CUDA_HOME,
    CUDA_LIBS,
    NVCC_FLAGS,
    ToolError,
    cuda_usable,
    find_tool,
    nvcc_archs,
    run_tool,
    user_flags,
)
from avial2c.ir import is_gpu_arch
from avial2c.launch import launch_command, this_machine
from avial2c.machine import Machine, RankSpec, machine_toml
from avial2c.resources import RUNTIME

CALIBRATE = RUNTIME / "calibrate"
KINDS = ("f32", "f64", "int")
# Seconds the measuring program may take before it is stopped.
TIMEOUT = {True: 600, False: 3600}


class OutputError(Exception):
    """The measuring program's output lacks or garbles a record."""


@dataclass(frozen=True)
class RankMeasure:
    host: str
    threads: int  # omp_get_max_threads()
    cpus: int  # CPUs it may run on (0: unknown)
    rates: dict[str, float]  # operations per second of one core, by kind


@dataclass(frozen=True)
class NetMeasure:
    peer: int  # the rank that ping-ponged with rank 0
    latency: float  # seconds, one way
    bandwidth: float  # bytes per second
    nbytes: int  # the size of the large message


@dataclass(frozen=True)
class GpuMeasure:
    device: int
    count: int
    arch: str
    name: str
    h2d: float  # bytes per second, host -> device
    d2h: float  # bytes per second, device -> host
    launch: float  # seconds
    rate: float  # operations per second


@dataclass
class Measurements:
    size: int
    quick: bool
    cuda: bool  # the program was built with the GPU measurements
    ranks: list[RankMeasure] = field(default_factory=list)
    net: list[NetMeasure] = field(default_factory=list)
    gpus: dict[int, GpuMeasure] = field(default_factory=dict)
    no_gpu: dict[int, str] = field(default_factory=dict)  # rank -> why


# --------------------------------------------------------------------------
# The measuring program's output


def parse_output(text: str) -> Measurements:
    """The records of TEXT (lines ``avcal KIND NUMBER ...``; others are ignored).
    Raises OutputError when a record is malformed or missing."""
    found: Measurements | None = None
    ranks: dict[int, RankMeasure] = {}
    net: dict[int, NetMeasure] = {}
    ended = False
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split()
        if not words or words[0] != "avcal":
            continue
        where = f"line {number}"
        if len(words) < 3:
            raise OutputError(f"{where}: a record without a kind and a number: {line!r}")
        kind = words[1]
        n = whole(words[2], where)
        if kind == "ranks":
            f = fields(words[3:], where)
            found = Measurements(n, f.get("quick") == "1", f.get("cuda") == "1")
            if n < 1:
                raise OutputError(f"{where}: {n} ranks")
            continue
        if found is None:
            raise OutputError(f"{where}: a '{kind}' record before the 'ranks' record")
        if kind != "end" and not 0 <= n < found.size:
            raise OutputError(f"{where}: rank {n} of a world of {found.size}")
        if kind == "rank":
            f = fields(words[3:], where)
            rates = {k: number_of(f, k, where) for k in KINDS}
            threads = int(number_of(f, "threads", where))
            cpus = whole(f.get("cpus", "0"), where)
            ranks[n] = RankMeasure(f.get("host", "?"), threads, cpus, rates)
        elif kind == "net":
            f = fields(words[3:], where)
            net[n] = NetMeasure(n, number_of(f, "latency_us", where) * 1e-6,
                                number_of(f, "bandwidth_gbs", where) * 1e9,
                                int(number_of(f, "bytes", where)))  # fmt: skip
        elif kind == "gpu":
            f = fields(words[3:], where)
            arch = f.get("arch", "")
            if not is_gpu_arch(arch) or not arch.startswith("sm_"):
                raise OutputError(f"{where}: not a GPU arch: {arch!r}")
            found.gpus[n] = GpuMeasure(
                int(f.get("device", "0")), int(f.get("count", "1")), arch, f.get("name", "?"),
                number_of(f, "h2d_gbs", where) * 1e9, number_of(f, "d2h_gbs", where) * 1e9,
                number_of(f, "launch_us", where) * 1e-6, number_of(f, "rate", where),
            )  # fmt: skip
        elif kind == "nogpu":
            found.no_gpu[n] = line.split(None, 3)[3].strip() if len(words) > 3 else "no GPU"
        elif kind == "end":
            ended = True
        else:
            raise OutputError(f"{where}: unknown record '{kind}'")
    if found is None or not ended:
        raise OutputError("the output stops early (no 'ranks' or 'end' record)")
    missing = [r for r in range(found.size) if r not in ranks]
    if missing:
        raise OutputError(f"no 'rank' record for rank {', '.join(map(str, missing))}")
    missing = [r for r in range(1, found.size) if r not in net]
    if missing:
        raise OutputError(f"no 'net' record for rank {', '.join(map(str, missing))}")
    found.ranks = [ranks[r] for r in range(found.size)]
    found.net = [net[r] for r in range(1, found.size)]
    return found


def whole(word: str, where: str) -> int:
    try:
        return int(word)
    except ValueError:
        raise OutputError(f"{where}: not a whole number: {word!r}") from None


def fields(words: list[str], where: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for w in words:
        key, eq, value = w.partition("=")
        if not eq or not key:
            raise OutputError(f"{where}: not a KEY=VALUE field: {w!r}")
        out[key] = value
    return out


def number_of(f: dict[str, str], key: str, where: str) -> float:
    """The positive, finite number F[KEY]."""
    if key not in f:
        raise OutputError(f"{where}: no {key}=")
    try:
        v = float(f[key])
    except ValueError:
        raise OutputError(f"{where}: {key}={f[key]} is not a number") from None
    if not (math.isfinite(v) and v > 0):
        raise OutputError(f"{where}: {key}={f[key]} is not a positive number")
    return v


# --------------------------------------------------------------------------
# The machine


def machine_of(m: Measurements) -> Machine:
    """The machine file's content: medians over the ranks (see the module)."""
    base = Machine(())
    ranks = tuple(
        RankSpec(r.threads, 1.0, (m.gpus[k].arch,) if k in m.gpus else ())
        for k, r in enumerate(m.ranks)
    )
    rates = {k: statistics.median(r.rates[k] for r in m.ranks) for k in KINDS}
    latency, bandwidth = base.latency, base.bandwidth
    if m.net:
        latency = statistics.median(n.latency for n in m.net)
        bandwidth = statistics.median(n.bandwidth for n in m.net)
    gpus = list(m.gpus.values())
    gpu_rate, gpu_copy, gpu_launch = base.gpu_rate, base.gpu_copy, base.gpu_launch
    if gpus:
        gpu_rate = statistics.median(g.rate for g in gpus)
        gpu_copy = statistics.median(g.h2d for g in gpus)
        gpu_launch = statistics.median(g.launch for g in gpus)
    return Machine(ranks, latency, bandwidth, rates, gpu_rate, gpu_copy, gpu_launch,
                   source="avial2c calibrate")  # fmt: skip


def describe(m: Measurements, command: str, no_cuda_why: str = "") -> str:
    """The file's comment: how it was measured and what each rank measured."""
    stamp = time.strftime("%Y-%m-%d %H:%M")
    lines = [
        f"measured by `{command}` on {platform.node() or '?'}, {stamp}"
        + (" (--quick: short measurements)" if m.quick else ""),
        "rates: one core's operations per second (y[i] = x[i] * a + b, 4 operations an",
        "element, as avial2c/plan/cost.py counts), the median over the ranks; each rank's:",
    ]
    for k, r in enumerate(m.ranks):
        rates = ", ".join(f"{kind} {r.rates[kind]:.3g}" for kind in KINDS)
        cpus = f", {r.cpus} CPUs" if r.cpus else ""
        threads = f"{r.threads} thread" + ("" if r.threads == 1 else "s")
        lines.append(f"  rank {k} on {r.host}: {threads}{cpus}; {rates}")
    lines.append("speed: 1 for every rank; edit it for ranks of unequal speed (rates above)")
    if not m.net:
        lines.append("network: one rank, nothing to measure: the default latency and bandwidth")
    else:
        lines.append("network: the median over the ping-pongs of rank 0 with each rank:")
        for n in m.net:
            lines.append(f"  0 <-> {n.peer}: {n.latency * 1e6:.3f} us, "
                         f"{n.bandwidth / 1e9:.3f} GB/s ({n.nbytes >> 20} MiB messages)")  # fmt: skip
    for k, g in sorted(m.gpus.items()):
        lines.append(f"gpu of rank {k}: device {g.device} of {g.count}, {g.name} ({g.arch}): "
                     f"{g.rate:.3g} op/s, copies {g.h2d / 1e9:.2f} GB/s to it, "
                     f"{g.d2h / 1e9:.2f} GB/s back, launch {g.launch * 1e6:.2f} us")  # fmt: skip
    for k, why in sorted(m.no_gpu.items()):
        lines.append(f"rank {k}: no GPU: {why}")
    if no_cuda_why:
        lines.append(f"no GPU listed: {no_cuda_why}")
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Building and running the measuring program


def build_calibrator(out_dir: Path, cuda: bool) -> Path:
    """Compile av_calibrate.c (with av_calibrate_gpu.cu when CUDA) into OUT_DIR."""
    mpicc = find_tool("mpicc")
    if mpicc is None:
        raise ToolError("mpicc not found; install OpenMPI ('make setup' does)")
    source = CALIBRATE / "av_calibrate.c"
    if not source.is_file():
        raise ToolError(f"the measuring program's source is missing: {source}")
    exe = out_dir / "av_calibrate"
    objects: list[str] = []
    link: list[str] = []
    defines: list[str] = []
    if cuda:
        nvcc = find_tool("nvcc")
        if nvcc is None:
            raise ToolError("nvcc not found")
        obj = out_dir / "av_calibrate_gpu.o"
        run_tool([nvcc, *NVCC_FLAGS, *user_flags("NVCCFLAGS"), *lowest_arch(nvcc),
                  f"-I{CALIBRATE}", "-c", str(CALIBRATE / "av_calibrate_gpu.cu"), "-o", str(obj)],
                 "nvcc")  # fmt: skip
        objects, defines = [str(obj)], ["-DAV_CAL_CUDA"]
        link = [f"-L{CUDA_HOME / 'lib64'}", *CUDA_LIBS]
    run_tool([mpicc, *CFLAGS, *user_flags("CFLAGS"), *defines, f"-I{RUNTIME}", f"-I{CALIBRATE}",
              str(source), *objects, "-o", str(exe), *link, *user_flags("LDFLAGS"), "-lm"],
             "mpicc")  # fmt: skip
    return exe


def lowest_arch(nvcc: str) -> list[str]:
    """-gencode for the oldest arch this nvcc knows, with its PTX, which the
    driver compiles for any newer GPU at load."""
    archs = sorted(nvcc_archs(nvcc), key=lambda a: int("".join(c for c in a if c.isdigit()) or 0))
    if not archs:
        return []
    compute = "compute_" + archs[0].removeprefix("sm_")
    return [f"-gencode=arch={compute},code=[{archs[0]},{compute}]"]


def check_writable(path: Path) -> None:
    """Fail now, before measuring, when PATH cannot be written."""
    parent = path.parent
    if path.is_dir():
        raise ToolError(f"cannot write {path}: it is a directory")
    if not parent.is_dir():
        raise ToolError(f"cannot write {path}: {parent} is not a directory")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise ToolError(f"cannot write {path}: permission denied")


def no_cuda_reason() -> str:
    """Why the GPU measurements are left out; '' when they are not."""
    if find_tool("nvcc") is None:
        return "nvcc not found"
    if not cuda_usable():
        return "no CUDA device found (no /dev/nvidia*)"
    return ""


def calibrate(
    np: int | None, output: str, launcher: str = "auto", launcher_args: str = "",
    quick: bool = False,
) -> int:  # fmt: skip
    """Measure on NP ranks and write the machine file OUTPUT (see the module)."""
    out = Path(output)
    check_writable(out)
    why_no_cuda = no_cuda_reason()
    if why_no_cuda:
        print(f"avial2c: note: calibrate: {why_no_cuda}: the GPU measurements are skipped and "
              "the machine file lists no GPUs", file=sys.stderr)  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="avial2c-calibrate-") as tmp:
        exe = build_calibrator(Path(tmp), cuda=not why_no_cuda)
        cmd, env = launch_command(exe, np, ["--quick"] if quick else [], this_machine(),
                                  os.environ, launcher, launcher_args)  # fmt: skip
        print(f"avial2c: calibrate: measuring: {shlex.join(cmd)}", file=sys.stderr)
        sys.stderr.flush()
        try:
            done = subprocess.run(cmd, env=env, capture_output=True, text=True,
                                  stdin=subprocess.DEVNULL, timeout=TIMEOUT[quick], check=False)  # fmt: skip
        except OSError as e:
            raise ToolError(f"cannot run {cmd[0]}: {e.strerror or e}") from e
        except subprocess.TimeoutExpired:
            raise ToolError(f"the measuring program did not finish in {TIMEOUT[quick]} s: "
                            f"{shlex.join(cmd)}") from None  # fmt: skip
    if done.returncode != 0:
        raise ToolError(f"the measuring program failed (exit status {done.returncode}): "
                        f"{shlex.join(cmd)}\n{tail(done.stdout + done.stderr)}")  # fmt: skip
    if done.stderr.strip():
        print(done.stderr.rstrip(), file=sys.stderr)
    try:
        found = parse_output(done.stdout)
    except OutputError as e:
        raise ToolError(f"the measuring program's output is not understood: {e}\n"
                        f"{tail(done.stdout)}") from e  # fmt: skip
    if found.size == 1:
        print("avial2c: note: calibrate: one rank: the network cannot be measured; the "
              "machine file keeps the default latency and bandwidth", file=sys.stderr)  # fmt: skip
    for k, why in sorted(found.no_gpu.items()):
        print(f"avial2c: note: calibrate: rank {k}: no GPU measured: {why}", file=sys.stderr)
    machine = machine_of(found)
    command = "avial2c calibrate" + (f" -n {np}" if np is not None else "") + (
        " --quick" if quick else "")  # fmt: skip
    text = machine_toml(machine, describe(found, command, why_no_cuda))
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as e:
        raise ToolError(f"cannot write {out}: {e.strerror or e}") from e
    print(summary(machine, out))
    return 0


def summary(m: Machine, out: Path) -> str:
    cores = ", ".join(str(r.cores) for r in m.ranks)
    rates = ", ".join(f"{k} {v:.3g}" for k, v in m.rates.items())
    gpus = sum(len(r.gpus) for r in m.ranks)
    network = (f"latency {m.latency * 1e6:.3f} us, bandwidth {m.bandwidth / 1e9:.3f} GB/s"
               if m.size > 1 else "the default network")  # fmt: skip
    return (f"wrote {out}: {m.size} rank{'' if m.size == 1 else 's'} ({cores} cores), "
            f"{network}, one core {rates} op/s, {gpus or 'no'} GPU{'' if gpus == 1 else 's'}")  # fmt: skip


def tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])
