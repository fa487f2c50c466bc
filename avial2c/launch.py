"""Launching a built program: mpirun (Open MPI or MPICH) or srun, as users expect.

:func:`launch_command` decides the command line and the environment from
what it finds (it runs nothing but ``mpirun --version`` and ``srun
--mpi=list``); :func:`launch` runs them.

* **Which launcher.** ``--launcher auto`` uses ``srun`` inside a Slurm
  allocation (``SLURM_JOB_ID``) and ``mpirun`` elsewhere.
* **How many ranks.** ``-n`` when given, else ``SLURM_NTASKS`` inside an
  allocation, else 2.
* **srun.** ``--mpi=TYPE`` from ``SLURM_MPI_TYPE``, else ``pmix`` when
  ``srun --mpi=list`` offers it: with Debian's default ``MpiDefault=none``,
  Open MPI aborts without it.
* **mpirun.** The implementation is read from ``mpirun --version``.  Open MPI
  gets cores of its own for each rank when they fit (see Binding), else
  ``--oversubscribe`` when there are more ranks than physical cores and
  ``--bind-to none`` (it would bind each rank to one core otherwise, so
  OpenMP would run one thread); MPICH's Hydra oversubscribes and does not
  bind by default, and knows neither flag.
* **OpenMP threads.** Each rank gets ``OMP_NUM_THREADS`` = physical cores /
  ranks (at least 1), unless the user set ``OMP_NUM_THREADS`` or passed
  ``--threads``.
* **Binding.** When every thread of every rank has a core of its own, Open
  MPI's mpirun gives each rank that many cores (``--map-by slot:PE=T
  --bind-to core``) and a rank's threads are bound to them and spin between
  parallel loops (``OMP_PROC_BIND=close OMP_PLACES=cores
  OMP_WAIT_POLICY=active``, each unless the user set it); not when the user
  passes ``--bind-to``, ``--map-by`` or ``--cpus-per-*`` in
  ``--launcher-args``, nor when ranks x threads exceed the cores
  (``--oversubscribe --bind-to none``; see :func:`pinned_threads`).
* ``--launcher-args "..."`` are added to the launcher's own arguments.
* ``MPIRUN`` in the environment names another mpirun (``MPIRUN=mpirun.mpich``),
  as ``MPICC`` names another compiler for ``avial2c build``.
* **Open MPI's exit banners.** A generated program exits with status 2 on
  every rank, through ``MPI_Finalize``, after printing what was wrong with
  its command line or its input files; Open MPI's mpirun then adds two
  boxed banners (the job "terminated normally, but 1 process returned a
  non-zero exit code", "mpirun detected that one or more processes exited
  with non-zero status") that only repeat the status.  :func:`launch` leaves
  those two out when the job's status is 2, and passes every other line of
  mpirun's standard error through as it comes (:class:`BannerFilter`).
* **Python programs** (``run --backend py``): the same command line with
  this Python interpreter before the script (:func:`python_program`), and
  ``PYTHONPATH`` led by the folder that holds this ``avial2c`` package, so
  every rank imports the runtime (``avial2c.pyrt``) of the translator that
  wrote the script.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from avial2c.machine import physical_cores

LAUNCHERS = ("auto", "mpirun", "srun")
DEFAULT_RANKS = 2
# The status of a generated program that refused its command line or an
# input file, on every rank, after saying why (runtime_c/av_ctx.c).
EXIT_BAD_INPUT = 2
# The folder that holds the avial2c package (a checkout, or site-packages).
PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)


class LaunchError(Exception):
    """A launcher is missing or cannot be used; the message says what to do."""


@dataclass(frozen=True)
class Machine:
    """What the launch depends on, found once (tests pass their own)."""

    cores: int  # physical cores this process may use
    mpirun: str | None  # path of mpirun
    mpi: str  # "openmpi" | "mpich" | "unknown"
    srun: str | None  # path of srun
    srun_mpi_types: tuple[str, ...]  # what `srun --mpi=list` offers


def mpi_kind(version_text: str) -> str:
    text = version_text.lower()
    if "open mpi" in text or "open-mpi" in text or "openrte" in text:
        return "openmpi"
    if "hydra" in text or "mpich" in text or "intel" in text:
        return "mpich"
    return "unknown"


def probe(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout + done.stderr


def find_mpirun(environ: Mapping[str, str]) -> str | None:
    """``MPIRUN`` when set (a name on PATH or a path), else ``mpirun`` on PATH."""
    chosen = environ.get("MPIRUN", "")
    if chosen:
        return shutil.which(chosen) or (chosen if Path(chosen).exists() else None)
    return shutil.which("mpirun")


def this_machine() -> Machine:
    mpirun = find_mpirun(os.environ)
    srun = shutil.which("srun")
    kind = mpi_kind(probe([mpirun, "--version"])) if mpirun else "unknown"
    types: tuple[str, ...] = ()
    if srun:
        listed = probe([srun, "--mpi=list"])
        types = tuple(
            w.strip(":,") for line in listed.splitlines() for w in line.split() if w.strip(":,")
        )
    return Machine(physical_cores(), mpirun, kind, srun, types)


def ranks_wanted(np: int | None, environ: Mapping[str, str]) -> int:
    if np is not None:
        return np
    tasks = environ.get("SLURM_NTASKS", "")
    return int(tasks) if environ.get("SLURM_JOB_ID") and tasks.isdigit() else DEFAULT_RANKS


def launch_command(
    exe: Path,
    np: int | None,
    args: Sequence[str],
    machine: Machine,
    environ: Mapping[str, str],
    launcher: str = "auto",
    launcher_args: str = "",
    threads: int | None = None,
    interpreter: Sequence[str] = (),
) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that run EXE on NP ranks (see the module);
    INTERPRETER, when given, runs EXE (a Python script)."""
    if launcher not in LAUNCHERS:
        raise LaunchError(f"unknown launcher '{launcher}' (expected {', '.join(LAUNCHERS)})")
    ranks = ranks_wanted(np, environ)
    if ranks < 1:
        raise LaunchError(f"the number of ranks must be at least 1, not {ranks}")
    env = dict(environ)
    if threads is not None:
        env["OMP_NUM_THREADS"] = str(threads)
    elif "OMP_NUM_THREADS" not in env:
        env["OMP_NUM_THREADS"] = str(max(1, machine.cores // ranks))
    try:
        per_rank = int(env["OMP_NUM_THREADS"].split(",")[0])
    except ValueError:
        per_rank = 0
    extra = shlex.split(launcher_args)
    program = [*interpreter, str(exe.resolve())]
    if interpreter:
        paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
        env["PYTHONPATH"] = os.pathsep.join([PACKAGE_ROOT, *paths])
    use_srun = launcher == "srun" or (launcher == "auto" and environ.get("SLURM_JOB_ID"))
    if use_srun:
        if machine.srun is None:
            raise LaunchError("srun not found; use --launcher mpirun outside Slurm")
        cmd = [machine.srun]
        mpi_type = environ.get("SLURM_MPI_TYPE") or ("pmix" if "pmix" in machine.srun_mpi_types else "")
        if mpi_type:
            cmd.append(f"--mpi={mpi_type}")
        return [*cmd, "-n", str(ranks), *extra, *program, *args], env
    if machine.mpirun is None:
        if environ.get("MPIRUN"):
            raise LaunchError(f"MPIRUN={environ['MPIRUN']} not found")
        raise LaunchError("mpirun not found; install OpenMPI ('make setup' does)")
    cmd = [machine.mpirun, "-n", str(ranks)]
    if machine.mpi == "openmpi":
        # Open MPI takes its long options with one dash too (-bind-to, -map-by).
        user_binds = any(
            a.lstrip("-").startswith(("bind-to", "map-by", "cpus-per")) for a in extra
        )
        if per_rank > 0 and ranks * per_rank <= machine.cores and not user_binds:
            cmd += pinned_threads(per_rank, env)
        else:
            if ranks > machine.cores:
                cmd.append("--oversubscribe")
            cmd += ["--bind-to", "none"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            # Open MPI refuses to start as root unless told to (containers, CI).
            env.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
            env.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    return [*cmd, *extra, *program, *args], env


def pinned_threads(per_rank: int, env: dict[str, str]) -> list[str]:
    """Open MPI options giving each rank PER_RANK cores of its own, and the
    OpenMP settings (unless the user set them) that bind its threads to them
    and keep them spinning between parallel loops.

    Unbound, an OpenMP thread could share a core with another thread of its
    rank (a spinning one starved the rank's main thread for milliseconds) or
    sleep between loops (waking it took about a millisecond on a virtual
    machine): a chain of small tasks on 1 rank x 2 threads ran 10-50 times
    slower than on one thread, and 0.5-0.6 ms against 0.6 ms with this."""
    if per_rank > 1:
        env.setdefault("OMP_PROC_BIND", "close")
        env.setdefault("OMP_PLACES", "cores")
        env.setdefault("OMP_WAIT_POLICY", "active")
    return ["--map-by", f"slot:PE={per_rank}", "--bind-to", "core"]


def python_program(script: Path) -> tuple[Path, list[str]]:
    """What runs SCRIPT on every rank: this Python interpreter."""
    return script, [sys.executable]


class BannerFilter:
    """Open MPI mpirun's standard error, line by line, less the two banners
    that only repeat a status-2 exit (see the module).

    A banner is a box: a line of dashes, its text, a line of dashes.  Lines
    outside boxes pass at once, boxes when they close, except those two,
    which are held until the job's status is known: :meth:`finish` gives
    them back unless the status is 2."""

    RULE = b"-" * 20
    REPEATS_STATUS = (
        b"terminated normally, but",
        b"detected that one or more processes exited with non-zero status",
    )

    def __init__(self) -> None:
        self.box: list[bytes] | None = None  # the open box, its first rule included
        self.held: list[bytes] = []

    def feed(self, line: bytes) -> list[bytes]:
        """The lines to print now, given the next LINE of mpirun's stderr."""
        ruled = line.strip().startswith(self.RULE) and not line.strip().strip(b"-")
        if self.box is None:
            if ruled:
                self.box = [line]
                return []
            return [line]
        self.box.append(line)
        if not ruled:
            return []
        box, self.box = self.box, None
        text = b" ".join(box[1:2])
        if any(words in text for words in self.REPEATS_STATUS):
            self.held += box
            return []
        return box

    def finish(self, status: int) -> list[bytes]:
        """The lines still to print once mpirun has ended with STATUS."""
        rest = [] if status == EXIT_BAD_INPUT else self.held
        return [*rest, *(self.box or [])]


def _to_stderr(lines: list[bytes]) -> None:
    if not lines:
        return
    out = getattr(sys.stderr, "buffer", None)
    if out is None:  # a text stream without bytes underneath (tests)
        sys.stderr.write(b"".join(lines).decode(errors="replace"))
    else:
        sys.stderr.flush()
        out.writelines(lines)
        out.flush()


def run_filtered(cmd: list[str], env: Mapping[str, str]) -> int:
    """Run CMD, its standard error through a :class:`BannerFilter`; its status."""
    banners = BannerFilter()
    status = 1
    with subprocess.Popen(cmd, env=dict(env), stderr=subprocess.PIPE) as proc:
        try:
            assert proc.stderr is not None
            for line in iter(proc.stderr.readline, b""):
                _to_stderr(banners.feed(line))
            status = proc.wait()
        finally:
            if proc.poll() is None:
                proc.terminate()
                proc.wait()
    _to_stderr(banners.finish(status))
    return status


def launch(
    exe: Path,
    np: int | None,
    args: list[str],
    launcher: str = "auto",
    launcher_args: str = "",
    threads: int | None = None,
    interpreter: Sequence[str] = (),
) -> int:
    """Run EXE (with INTERPRETER, for a Python script) on NP ranks; its exit status."""
    machine = this_machine()
    cmd, env = launch_command(exe, np, args, machine, os.environ, launcher,
                              launcher_args, threads, interpreter)  # fmt: skip
    sys.stdout.flush()
    sys.stderr.flush()
    if machine.mpi == "openmpi" and cmd[0] == machine.mpirun:
        return run_filtered(cmd, env)
    return subprocess.run(cmd, check=False, env=env).returncode
