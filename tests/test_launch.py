"""How `avial2c run` launches: the launcher, its flags, the ranks, the threads, Python."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from avial2c.launch import (
    PACKAGE_ROOT,
    BannerFilter,
    LaunchError,
    Machine,
    find_mpirun,
    launch_command,
    mpi_kind,
    python_program,
)
from avial2c.machine import physical_cores

EXE = Path("/tmp/prog")
OPENMPI = Machine(2, "/usr/bin/mpirun", "openmpi", None, ())
MPICH = Machine(8, "/usr/bin/mpirun", "mpich", None, ())
SLURM = Machine(16, "/usr/bin/mpirun", "openmpi", "/usr/bin/srun", ("none", "pmi2", "pmix", "pmix_v4"))


def test_open_mpi_binds_ranks_to_cores_of_their_own_or_oversubscribes_unbound() -> None:
    cmd, env = launch_command(EXE, 2, ["--trace", "t.json"], OPENMPI, {})
    assert cmd[:3] == ["/usr/bin/mpirun", "-n", "2"] and "--oversubscribe" not in cmd
    assert cmd[3:7] == ["--map-by", "slot:PE=1", "--bind-to", "core"]
    assert cmd[-2:] == ["--trace", "t.json"]
    assert env["OMP_NUM_THREADS"] == "1" and "OMP_PROC_BIND" not in env
    cmd, env = launch_command(EXE, 4, [], OPENMPI, {})
    assert "--oversubscribe" in cmd and env["OMP_NUM_THREADS"] == "1"
    assert cmd[cmd.index("--bind-to") + 1] == "none" and "--map-by" not in cmd
    # The user's own mapping or binding wins, in either spelling.
    cmd, _ = launch_command(EXE, 2, [], OPENMPI, {}, launcher_args="--bind-to socket")
    assert "--map-by" not in cmd and cmd.count("--bind-to") == 2
    cmd, _ = launch_command(EXE, 2, [], OPENMPI, {}, launcher_args="-map-by socket")
    assert "--map-by" not in cmd and cmd[cmd.index("--bind-to") + 1] == "none"


def test_one_rank_gets_every_core_as_openmp_threads() -> None:
    _, env = launch_command(EXE, 1, [], OPENMPI, {})
    assert env["OMP_NUM_THREADS"] == "2"
    _, env = launch_command(EXE, 3, [], MPICH, {})
    assert env["OMP_NUM_THREADS"] == "2"


def test_threads_that_each_have_a_core_are_bound_and_spin() -> None:
    """When ranks x threads fit the cores, each rank gets its cores and its
    threads are bound and spin (never over the user's settings); MPICH and
    oversubscribed runs are left unbound."""
    cmd, env = launch_command(EXE, 1, [], OPENMPI, {})  # 1 rank x 2 threads on 2 cores
    assert cmd[3:7] == ["--map-by", "slot:PE=2", "--bind-to", "core"]
    assert (env["OMP_PROC_BIND"], env["OMP_PLACES"], env["OMP_WAIT_POLICY"]) == (
        "close", "cores", "active")  # fmt: skip
    _, env = launch_command(EXE, 2, [], OPENMPI, {})
    assert "OMP_WAIT_POLICY" not in env  # one thread per rank: nothing to bind or spin
    cmd, env = launch_command(EXE, 1, [], OPENMPI, {}, threads=4)
    assert "OMP_WAIT_POLICY" not in env and "--map-by" not in cmd  # 4 threads on 2 cores
    _, env = launch_command(EXE, 1, [], OPENMPI, {"OMP_WAIT_POLICY": "passive"})
    assert env["OMP_WAIT_POLICY"] == "passive" and env["OMP_PROC_BIND"] == "close"
    cmd, env = launch_command(EXE, 4, [], MPICH, {})
    assert "OMP_PROC_BIND" not in env and "--map-by" not in cmd


def test_the_user_s_threads_win() -> None:
    _, env = launch_command(EXE, 1, [], OPENMPI, {"OMP_NUM_THREADS": "7"})
    assert env["OMP_NUM_THREADS"] == "7"
    _, env = launch_command(EXE, 1, [], OPENMPI, {"OMP_NUM_THREADS": "7"}, threads=3)
    assert env["OMP_NUM_THREADS"] == "3"


def test_mpich_gets_no_open_mpi_flags() -> None:
    cmd, _ = launch_command(EXE, 16, [], MPICH, {})
    assert cmd == ["/usr/bin/mpirun", "-n", "16", str(EXE.resolve())]


def test_inside_slurm_srun_with_pmix_and_the_allocation_s_tasks() -> None:
    environ = {"SLURM_JOB_ID": "42", "SLURM_NTASKS": "4"}
    cmd, env = launch_command(EXE, None, ["--output-dir", "out"], SLURM, environ)
    assert cmd == ["/usr/bin/srun", "--mpi=pmix", "-n", "4", str(EXE.resolve()), "--output-dir", "out"]
    assert env["OMP_NUM_THREADS"] == "4"
    cmd, _ = launch_command(EXE, 1, [], SLURM, {**environ, "SLURM_MPI_TYPE": "pmi2"})
    assert cmd[:4] == ["/usr/bin/srun", "--mpi=pmi2", "-n", "1"]
    no_pmix = Machine(16, None, "unknown", "/usr/bin/srun", ("none",))
    cmd, _ = launch_command(EXE, None, [], no_pmix, environ)
    assert cmd[:3] == ["/usr/bin/srun", "-n", "4"]


def test_outside_slurm_two_ranks_by_default_and_launcher_arguments() -> None:
    cmd, _ = launch_command(EXE, None, [], OPENMPI, {"SLURM_NTASKS": "9"})
    assert cmd[:3] == ["/usr/bin/mpirun", "-n", "2"]
    cmd, _ = launch_command(EXE, 2, [], OPENMPI, {}, launcher_args="--map-by socket --report-bindings")
    assert cmd[-4:] == ["--map-by", "socket", "--report-bindings", str(EXE.resolve())]


def test_missing_launchers_are_clear_errors() -> None:
    with pytest.raises(LaunchError, match="srun not found"):
        launch_command(EXE, 2, [], OPENMPI, {}, launcher="srun")
    with pytest.raises(LaunchError, match="mpirun not found"):
        launch_command(EXE, 2, [], Machine(2, None, "unknown", None, ()), {})


def test_mpi_kind_and_physical_cores() -> None:
    assert mpi_kind("mpirun (Open MPI) 4.1.6\n\nReport bugs to ...") == "openmpi"
    assert mpi_kind("HYDRA build details:\n    Version: 4.1.2") == "mpich"
    assert mpi_kind("") == "unknown"
    # Two cores with two hardware threads each: 4 CPUs, 2 cores.
    cpuinfo = "".join(
        f"processor\t: {k}\nphysical id\t: 0\ncore id\t\t: {k % 2}\n\n" for k in range(4)
    )
    assert physical_cores(cpuinfo, allowed=4) == 2
    assert physical_cores(cpuinfo, allowed=1) == 1
    assert physical_cores("", allowed=3) == 3
    # A cpuset: only the cores of the CPUs this process may use count.
    eight = "".join(
        f"processor\t: {k}\nphysical id\t: 0\ncore id\t\t: {k % 4}\n\n" for k in range(8)
    )  # 4 cores, CPUs k and k + 4 on core k
    assert physical_cores(eight, allowed={0, 1, 4, 5}) == 2
    assert physical_cores(eight, allowed={0, 1, 2, 3}) == 4
    assert physical_cores(eight, allowed={2}) == 1
    assert physical_cores("", allowed={0, 1, 2}) == 3  # no cpuinfo: the CPUs


def test_mpirun_from_the_environment() -> None:
    assert find_mpirun({"MPIRUN": "/bin/sh"}) == "/bin/sh"
    assert find_mpirun({"MPIRUN": "sh"}) is not None
    assert find_mpirun({"MPIRUN": "/no/such/mpirun"}) is None
    with pytest.raises(LaunchError, match="MPIRUN=/no/such/mpirun not found"):
        nothing = Machine(2, None, "unknown", None, ())
        launch_command(EXE, 2, [], nothing, {"MPIRUN": "/no/such/mpirun"})


RULE = b"-" * 74 + b"\n"
# What Open MPI 4.1's mpirun adds when the ranks exit with status 2.
STATUS_BANNERS = [
    RULE,
    b"Primary job  terminated normally, but 1 process returned\n",
    b"a non-zero exit code. Per user-direction, the job has been aborted.\n",
    RULE,
    RULE,
    b"mpirun detected that one or more processes exited with non-zero status, thus causing\n",
    b"the job to be terminated. The first process to do so was:\n",
    b"\n",
    b"  Process name: [[8756,1],1]\n",
    b"  Exit code:    2\n",
    RULE,
]
OTHER_BANNER = [RULE, b"mpirun noticed that process rank 1 with PID 7 exited on signal 9.\n", RULE]


def filtered(lines: list[bytes], status: int) -> list[bytes]:
    banners = BannerFilter()
    out = [piece for line in lines for piece in banners.feed(line)]
    return out + banners.finish(status)


def test_open_mpi_banners_that_repeat_status_2_are_left_out() -> None:
    error = [b"error: --input v=f32.npy: expected float64 (16, 16), found float32 (16, 16)\n"]
    assert filtered(error + STATUS_BANNERS, 2) == error
    # Any other status: everything, in order.
    assert filtered(error + STATUS_BANNERS, 3) == error + STATUS_BANNERS
    # Other boxes and plain lines pass, boxes when they close.
    lines = [b"warning: something\n", *OTHER_BANNER, *STATUS_BANNERS]
    assert filtered(lines, 2) == lines[:4]
    banners = BannerFilter()
    assert banners.feed(OTHER_BANNER[0]) == [] and banners.feed(OTHER_BANNER[1]) == []
    assert banners.feed(OTHER_BANNER[2]) == OTHER_BANNER
    # A box cut short by the end of the output is printed all the same.
    assert filtered([RULE, b"half a box\n"], 2) == [RULE, b"half a box\n"]
def test_a_python_program_runs_with_this_python_and_this_avial2c() -> None:
    exe, interpreter = python_program(Path("build/seed.py"))
    cmd, env = launch_command(exe, 2, ["--output-dir", "o"], OPENMPI, {"PYTHONPATH": "/x"},
                              interpreter=interpreter)  # fmt: skip
    assert cmd[:3] == ["/usr/bin/mpirun", "-n", "2"]
    assert cmd[-4:] == [sys.executable, str(exe.resolve()), "--output-dir", "o"]
    assert env["PYTHONPATH"].split(os.pathsep) == [PACKAGE_ROOT, "/x"]
    cmd, env = launch_command(exe, 3, [], SLURM, {"SLURM_JOB_ID": "1"}, interpreter=interpreter)
    assert cmd[:4] == ["/usr/bin/srun", "--mpi=pmix", "-n", "3"]
    assert cmd[4:] == [sys.executable, str(exe.resolve())]
    assert env["PYTHONPATH"] == PACKAGE_ROOT
