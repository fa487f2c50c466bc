"""The machine model: what ``--machine FILE.toml`` describes, or the defaults.

A machine is a list of ranks, each with its cores, its relative speed and
its GPUs (by arch), plus the network between ranks (latency and bandwidth)
and the rates the cost model divides work by: arithmetic operations per
second of one core, per element type, and of one GPU, and the bandwidth of
host <-> GPU copies.  ``avial2c calibrate`` measures them where it runs.

The file (TOML)::

    # avial2c machine file
    [network]
    latency_us = 2.0            # one-way latency of a small MPI message
    bandwidth_gbs = 5.0         # GB/s of a large one

    [rates]                     # operations per second of one core
    f32 = 1.0e9
    f64 = 1.0e9
    int = 1.5e9                 # i1 ... i64 and index

    [gpu]                       # only when some rank has a GPU
    rate = 1.0e12               # operations per second of one GPU
    copy_gbs = 20.0             # host <-> GPU copies
    launch_us = 5.0             # a kernel launch, beyond its work

    [[rank]]                    # one table per rank, in rank order
    cores = 2
    speed = 1.0                 # relative: 2.0 runs the same work in half the time
    gpus = ["sm_90"]

``[[rank]]`` may instead be given once with ``count = N``; every other key is
optional and has the default shown by :data:`DEFAULTS`.  A file that cannot
be read, or holds an unknown key or a value of the wrong kind, is an input
error: ``FILE: error: ...`` and exit 2.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from avial2c.ir import is_gpu_arch


class MachineError(Exception):
    """A machine file that cannot be used; the message says why."""


@dataclass(frozen=True)
class RankSpec:
    cores: int = 1
    speed: float = 1.0
    gpus: tuple[str, ...] = ()  # the archs of its GPUs


@dataclass(frozen=True)
class Machine:
    ranks: tuple[RankSpec, ...]
    latency: float = 2e-6  # seconds
    bandwidth: float = 5e9  # bytes per second
    rates: Mapping[str, float] = field(
        default_factory=lambda: {"f32": 1e9, "f64": 1e9, "int": 1.5e9}
    )
    gpu_rate: float = 1e12  # operations per second of one GPU
    gpu_copy: float = 20e9  # bytes per second, host <-> GPU
    gpu_launch: float = 5e-6  # seconds from a kernel launch to its end, beyond its work
    source: str = "defaults"  # the file it came from

    @property
    def size(self) -> int:
        return len(self.ranks)

    @property
    def lists_gpus(self) -> bool:
        return any(r.gpus for r in self.ranks)

    def rate(self, elem: str) -> float:
        """Operations per second of one core on elements of type ELEM."""
        key = elem if elem in ("f32", "f64") else "int"
        return self.rates[key]

    def transfer_time(self, nbytes: int) -> float:
        return self.latency + nbytes / self.bandwidth


def physical_cores(
    cpuinfo: str | None = None, allowed: int | Iterable[int] | None = None
) -> int:
    """Cores, not hardware threads: distinct (physical id, core id) of the CPUs
    of /proc/cpuinfo this process may run on (ALLOWED: their numbers, default
    its affinity; a number only caps the count).  A cpuset of 4 hardware
    threads on 2 cores is 2 cores."""
    if allowed is None and hasattr(os, "sched_getaffinity"):
        allowed = os.sched_getaffinity(0)
    cap = allowed if isinstance(allowed, int) else None
    cpus = None if allowed is None or isinstance(allowed, int) else set(allowed)
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            cpuinfo = ""
    cores = set()
    processor, package, core = -1, "", ""
    for line in [*cpuinfo.splitlines(), ""]:
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "processor":
            processor = int(value) if value.strip().isdigit() else -1
        elif key == "physical id":
            package = value.strip()
        elif key == "core id":
            core = value.strip()
        elif not line.strip():
            if core and (cpus is None or processor in cpus):
                cores.add((package, core))
            processor, package, core = -1, "", ""
    count = len(cores) or (len(cpus) if cpus else 0) or cap or os.cpu_count() or 1
    return max(1, min(count, cap) if cap else count)


def default_machine(size: int, cores: int | None = None) -> Machine:
    """SIZE ranks sharing CORES (default: the CPUs this process may use) evenly,
    no GPUs listed, the default rates and network."""
    each = max(1, (cores if cores is not None else physical_cores()) // max(size, 1))
    return Machine(tuple(RankSpec(each) for _ in range(size)))


RANK_KEYS = {"cores", "speed", "gpus", "count"}
SECTIONS = {"network": {"latency_us", "bandwidth_gbs"}, "rates": {"f32", "f64", "int"},
            "gpu": {"rate", "copy_gbs", "launch_us"}, "rank": RANK_KEYS}  # fmt: skip


def load_machine(path: str) -> Machine:
    """The machine of the TOML file PATH (raises MachineError)."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise MachineError(f"{path}: error: cannot read the machine file: {e.strerror or e}") from e
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise MachineError(f"{path}: error: not a valid TOML file: {e}") from e
    try:
        return machine_of(data, path)
    except MachineError as e:
        raise MachineError(f"{path}: error: {e}") from e


def machine_of(data: Mapping[str, Any], source: str) -> Machine:
    for key, value in data.items():
        if key not in SECTIONS:
            raise MachineError(f"unknown section [{key}] (expected {', '.join(sorted(SECTIONS))})")
        tables = value if key == "rank" else [value]
        if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
            raise MachineError(
                f"[{key}] must be a table" + (" array ([[rank]])" if key == "rank" else "")
            )
        for t in tables:
            for k in t:
                if k not in SECTIONS[key]:
                    raise MachineError(f"unknown key '{k}' in [{key}] (expected "
                                       f"{', '.join(sorted(SECTIONS[key]))})")  # fmt: skip
    net = data.get("network", {})
    rates = data.get("rates", {})
    gpu = data.get("gpu", {})
    ranks: list[RankSpec] = []
    for t in data.get("rank", []):
        count = integer(t, "count", 1, "rank")
        cores = integer(t, "cores", 1, "rank")
        speed = positive(t, "speed", 1.0, "rank")
        gpus = t.get("gpus", [])
        if not isinstance(gpus, list) or not all(
            isinstance(g, str) and is_gpu_arch(g) for g in gpus
        ):
            raise MachineError('gpus of [[rank]] must be a list of CUDA archs, e.g. ["sm_90"]')
        ranks += [RankSpec(cores, speed, tuple(gpus))] * count
    if not ranks:
        raise MachineError("no [[rank]] table: the file must list the ranks")
    base = Machine(tuple(ranks))
    return Machine(
        tuple(ranks),
        latency=positive(net, "latency_us", base.latency * 1e6, "network") * 1e-6,
        bandwidth=positive(net, "bandwidth_gbs", base.bandwidth / 1e9, "network") * 1e9,
        rates={k: positive(rates, k, v, "rates") for k, v in base.rates.items()},
        gpu_rate=positive(gpu, "rate", base.gpu_rate, "gpu"),
        gpu_copy=positive(gpu, "copy_gbs", base.gpu_copy / 1e9, "gpu") * 1e9,
        gpu_launch=positive(gpu, "launch_us", base.gpu_launch * 1e6, "gpu") * 1e-6,
        source=source,
    )


def integer(t: Mapping[str, Any], key: str, default: int, section: str) -> int:
    v = t.get(key, default)
    if not isinstance(v, int) or isinstance(v, bool) or v < 1:
        raise MachineError(f"{key} of [{section}] must be a positive integer, not {v!r}")
    return v


def positive(t: Mapping[str, Any], key: str, default: float, section: str) -> float:
    v = t.get(key, default)
    if not isinstance(v, int | float) or isinstance(v, bool) or not v > 0:
        raise MachineError(f"{key} of [{section}] must be a positive number, not {v!r}")
    return float(v)


def machine_toml(m: Machine, comment: str = "") -> str:
    """M as a machine file (what calibrate writes); COMMENT's first line ends the
    file's first line, its other lines follow it as comments."""
    first, *more = comment.splitlines() or [""]
    lines = ["# avial2c machine file" + (f": {first}" if first else "")]
    lines += [f"# {line}".rstrip() for line in more]
    lines += ["", "[network]", f"latency_us = {m.latency * 1e6:.3f}",
             f"bandwidth_gbs = {m.bandwidth / 1e9:.3f}", "", "[rates]"]  # fmt: skip
    lines += [f"{k} = {v:.4g}" for k, v in m.rates.items()]
    if m.lists_gpus:
        lines += ["", "[gpu]", f"rate = {m.gpu_rate:.4g}", f"copy_gbs = {m.gpu_copy / 1e9:.3f}",
                  f"launch_us = {m.gpu_launch * 1e6:.3f}"]  # fmt: skip
    for r in m.ranks:
        gpus = ", ".join(f'"{g}"' for g in r.gpus)
        lines += ["", "[[rank]]", f"cores = {r.cores}", f"speed = {r.speed:g}", f"gpus = [{gpus}]"]
    return "\n".join(lines) + "\n"
