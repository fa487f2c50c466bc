"""`avial2c calibrate`: the measuring program's output, the machine file it
becomes, the command's errors, and a real measurement under mpirun."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from markers import needs_mpi, needs_nvcc

from avial2c.build import NVCC_FLAGS, find_tool
from avial2c.calibrate import (
    CALIBRATE,
    OutputError,
    build_calibrator,
    describe,
    machine_of,
    parse_output,
)
from avial2c.driver import main, parse_args
from avial2c.launch import launch_command, this_machine
from avial2c.machine import load_machine, machine_toml

ROOT = Path(__file__).resolve().parents[1]
SEED = str(ROOT / "examples" / "seed.mlir")

# What rank 0 prints for 3 ranks, rank 2 without a GPU, with a launcher's
# chatter in between (ignored).
OUTPUT = """\
Warning: something the launcher says
avcal ranks 3 quick=1 cuda=1
avcal rank 0 host=node1 threads=4 cpus=4 f32=2.000000e+09 f64=1.000000e+09 int=3.000000e+09
avcal gpu 0 device=0 count=2 arch=sm_90 name=NVIDIA_H200 h2d_gbs=2.0e+01 d2h_gbs=1.8e+01 launch_us=5.0e+00 rate=1.0e+12
avcal rank 1 host=node1 threads=4 cpus=4 f32=4.000000e+09 f64=3.000000e+09 int=1.000000e+09
avcal gpu 1 device=1 count=2 arch=sm_80 name=A100 h2d_gbs=1.0e+01 d2h_gbs=1.0e+01 launch_us=7.0e+00 rate=5.0e+11
avcal rank 2 host=node2 threads=2 cpus=0 f32=3.000000e+09 f64=2.000000e+09 int=2.000000e+09
avcal nogpu 2 no CUDA device (cudaGetDeviceCount: no CUDA-capable device is detected)
avcal net 1 latency_us=5.000000e-01 bandwidth_gbs=1.000000e+01 bytes=33554432
avcal net 2 latency_us=2.500000e+00 bandwidth_gbs=4.000000e+00 bytes=33554432
avcal end 0
"""

ONE_RANK = """\
avcal ranks 1 quick=0 cuda=0
avcal rank 0 host=laptop threads=8 cpus=8 f32=1.5e+09 f64=1.2e+09 int=2.0e+09
avcal end 0
"""


def test_the_output_is_parsed_record_by_record() -> None:
    m = parse_output(OUTPUT)
    assert (m.size, m.quick, m.cuda) == (3, True, True)
    assert [r.threads for r in m.ranks] == [4, 4, 2]
    assert m.ranks[0].host == "node1" and m.ranks[2].cpus == 0
    assert m.ranks[1].rates == {"f32": 4e9, "f64": 3e9, "int": 1e9}
    assert [(n.peer, n.latency, n.bandwidth, n.nbytes) for n in m.net] == [
        (1, pytest.approx(0.5e-6), 10e9, 32 << 20),
        (2, pytest.approx(2.5e-6), 4e9, 32 << 20),
    ]
    assert m.gpus[0].arch == "sm_90" and m.gpus[1].launch == pytest.approx(7e-6)
    assert m.no_gpu == {
        2: "no CUDA device (cudaGetDeviceCount: no CUDA-capable device is detected)"
    }


def test_the_machine_takes_medians_and_lists_each_ranks_gpu(tmp_path: Path) -> None:
    m = parse_output(OUTPUT)
    machine = machine_of(m)
    assert [(r.cores, r.speed, r.gpus) for r in machine.ranks] == [
        (4, 1.0, ("sm_90",)), (4, 1.0, ("sm_80",)), (2, 1.0, ()),
    ]  # fmt: skip
    assert machine.rates == {"f32": 3e9, "f64": 2e9, "int": 2e9}
    assert machine.latency == pytest.approx(1.5e-6) and machine.bandwidth == pytest.approx(7e9)
    assert machine.gpu_rate == pytest.approx(7.5e11) and machine.gpu_copy == pytest.approx(15e9)
    assert machine.gpu_launch == pytest.approx(6e-6)
    path = tmp_path / "m.toml"
    path.write_text(machine_toml(machine, describe(m, "avial2c calibrate -n 3")))
    again = load_machine(str(path))
    assert again.ranks == machine.ranks and again.lists_gpus
    assert again.latency == pytest.approx(machine.latency, rel=1e-3)
    text = path.read_text()
    assert text.startswith("# avial2c machine file: measured by `avial2c calibrate -n 3`")
    assert "rank 2 on node2: 2 threads; f32 3e+09" in text and "0 <-> 2: 2.500 us" in text
    assert "rank 2: no GPU: no CUDA device" in text


def test_one_rank_keeps_the_default_network(tmp_path: Path) -> None:
    m = parse_output(ONE_RANK)
    machine = machine_of(m)
    defaults = load_machine(str(write(tmp_path / "d.toml", "[[rank]]\n")))
    assert (machine.latency, machine.bandwidth) == (defaults.latency, defaults.bandwidth)
    assert machine.size == 1 and machine.ranks[0].cores == 8 and not machine.lists_gpus
    text = machine_toml(machine, describe(m, "avial2c calibrate -n 1", "nvcc not found"))
    assert (
        "network: one rank, nothing to measure" in text and "no GPU listed: nvcc not found" in text
    )
    assert "[gpu]" not in text
    assert load_machine(str(write(tmp_path / "m.toml", text))).size == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "stops early"),
        (ONE_RANK.replace("avcal end 0\n", ""), "stops early"),
        ("avcal rank 0 host=a threads=1 f32=1 f64=1 int=1\navcal end 0\n", "before the 'ranks'"),
        (ONE_RANK.replace("avcal rank 0", "avcal rank 1"), "rank 1 of a world of 1"),
        (ONE_RANK.replace("f32=1.5e+09", "f32=0"), "f32=0 is not a positive number"),
        (ONE_RANK.replace("f32=1.5e+09", "f32=nan"), "f32=nan is not a positive number"),
        (ONE_RANK.replace("f32=1.5e+09", "f32=fast"), "f32=fast is not a number"),
        (ONE_RANK.replace(" int=2.0e+09", ""), "no int="),
        (ONE_RANK.replace("host=laptop", "laptop"), "not a KEY=VALUE field"),
        (ONE_RANK.replace("ranks 1", "ranks 2"), "no 'rank' record for rank 1"),
        (OUTPUT.replace("avcal net 2 ", "avcal other 2 "), "unknown record 'other'"),
        (OUTPUT.replace("avcal net 2 ", "# avcal net 2 "), "no 'net' record for rank 2"),
        (OUTPUT.replace("arch=sm_90", "arch=x86_64"), "not a GPU arch"),
        ("avcal ranks two\n", "not a whole number"),
    ],
)
def test_bad_output_is_an_error(text: str, message: str) -> None:
    with pytest.raises(OutputError, match=message):
        parse_output(text)


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# --------------------------------------------------------------------------
# The command line


def test_the_command_is_parsed_and_listed(capsys: pytest.CaptureFixture[str]) -> None:
    ns = parse_args(["calibrate", "-o", "m.toml"])
    assert (ns.np, ns.output, ns.quick, ns.launcher, ns.launcher_args) == (
        None, "m.toml", False, "auto", ""
    )  # fmt: skip
    ns = parse_args(["calibrate", "-n", "4", "--quick", "--output", "x.toml",
                     "--launcher", "mpirun", "--launcher-args=--map-by core"])  # fmt: skip
    assert (ns.np, ns.quick, ns.launcher, ns.launcher_args) == (4, True, "mpirun", "--map-by core")
    assert main(["--help"]) == 0
    assert "avial2c calibrate -n N -o FILE.toml" in capsys.readouterr().out
    assert main(["calibrate", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--quick" in out and "--launcher-args" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["calibrate", "-n", "0", "-o", "m.toml"], "-n must be at least 1, not 0"),
        (["calibrate", "-n", "2"], "the following arguments are required: -o/--output"),
        (["calibrate", "-o", "m.toml", "--", "x"], "takes no program arguments"),
    ],
)
def test_bad_command_lines(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "avial2c calibrate: error:" in err and message in err and "Traceback" not in err


def test_an_unwritable_output_fails_before_measuring(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = write(tmp_path / "file", "")
    for out, why in [(blocker / "m.toml", "is not a directory"), (tmp_path, "it is a directory"),
                     (tmp_path / "no" / "m.toml", "is not a directory")]:  # fmt: skip
        assert main(["calibrate", "-n", "2", "--quick", "-o", str(out)]) == 2
        err = capsys.readouterr().err
        assert f"avial2c: error: cannot write {out}: " in err and why in err, err
        assert "measuring" not in err and "Traceback" not in err


def test_a_missing_mpicc_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MPICC", str(tmp_path / "no-mpicc"))
    assert main(["calibrate", "-n", "2", "--quick", "-o", str(tmp_path / "m.toml")]) == 2
    assert "avial2c: error: mpicc not found" in capsys.readouterr().err
    assert not (tmp_path / "m.toml").exists()


# --------------------------------------------------------------------------
# Real measurements


@pytest.mark.slow
@needs_mpi
def test_calibrate_on_two_ranks_writes_a_usable_machine_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "m.toml"
    assert main(["calibrate", "-n", "2", "--quick", "-o", str(out)]) == 0, capsys.readouterr().err
    assert f"wrote {out}: 2 ranks" in capsys.readouterr().out
    m = load_machine(str(out))
    assert m.size == 2
    assert 0 < m.latency < 1 and m.bandwidth > 1e6
    assert all(v > 0 for v in m.rates.values()) and all(r.cores >= 1 for r in m.ranks)
    assert "0 <-> 1:" in out.read_text()
    assert main([SEED, "--emit", "plan", "--placement", "heft", "--machine", str(out), "-q"]) == 0
    plan = capsys.readouterr().out
    assert "on 2 ranks; placement heft" in plan and "est." in plan


@pytest.mark.slow
@needs_mpi
def test_a_failing_launch_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["calibrate", "-n", "1", "--quick", "-o", str(tmp_path / "m.toml"), "--launcher",
            "mpirun", "--launcher-args=--no-such-option"]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "avial2c: error: the measuring program failed" in err and "Traceback" not in err
    assert not (tmp_path / "m.toml").exists()


@pytest.mark.slow
@needs_nvcc
def test_the_gpu_measurements_compile(tmp_path: Path) -> None:
    nvcc = find_tool("nvcc")
    assert nvcc is not None
    done = subprocess.run(
        [nvcc, *NVCC_FLAGS, "-Werror", "all-warnings", "-Xcompiler", "-Werror", f"-I{CALIBRATE}", "-c",
         str(CALIBRATE / "av_calibrate_gpu.cu"), "-o", str(tmp_path / "gpu.o")],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
@needs_nvcc
@needs_mpi
def test_a_cuda_build_reports_a_missing_device_or_measures_it(tmp_path: Path) -> None:
    """Built with CUDA, the program measures the device, or says why there is none."""
    exe = build_calibrator(tmp_path, cuda=True)
    cmd, env = launch_command(exe, 1, ["--quick"], this_machine(), os.environ)
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    m = parse_output(done.stdout)
    assert m.cuda
    if m.gpus:
        assert m.gpus[0].arch.startswith("sm_") and m.gpus[0].rate > 0
        assert machine_of(m).ranks[0].gpus == (m.gpus[0].arch,)
    else:
        assert "no CUDA device" in m.no_gpu[0] or "failed" in m.no_gpu[0]
        assert machine_of(m).ranks[0].gpus == ()
