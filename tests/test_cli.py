"""The command line: version, help, verbosity, standard input, option order, --emit py."""

from __future__ import annotations

import io
import re
import sys
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pytest

from avial2c.driver import (
    ProgramArgs,
    UsageError,
    cmd_build,
    cmd_run,
    main,
    parse_args,
    parse_program_args,
)

SEED = str(Path(__file__).resolve().parents[1] / "examples" / "seed.mlir")


def stderr_of(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = main(argv)
    return status, capsys.readouterr().err


def stdout_of(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = main(argv)
    return status, capsys.readouterr().out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip().startswith("avial2c ")


def test_help_lists_the_commands_and_run_shows_program_args(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "avial2c build FILE -o PROG" in out and "avial2c run FILE" in out
    assert "--sync" in out and "MPI_Barrier" in out and "--gpu" in out
    assert main(["run", "--help"]) == 0
    assert "[-- PROGRAM-ARGS]" in capsys.readouterr().out


def test_inferred_types_are_one_summary_line_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    status, err = stderr_of([SEED], capsys)
    assert status == 0
    assert err.count("note:") == 1 and "inferred the types of 4 memrefs" in err
    status, err = stderr_of([SEED, "-v"], capsys)
    assert err.count("note: inferred type memref<20xi32>") == 4
    assert stderr_of([SEED, "-q"], capsys) == (0, "")
    assert stderr_of([SEED, "-Wno-inferred-type"], capsys) == (0, "")


def test_errors_are_shown_even_when_quiet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.mlir"
    bad.write_text("avial.schedule %a {\n  %x = }\n")
    status, err = stderr_of([str(bad), "-q"], capsys)
    assert status == 1 and f"{bad}:2:8: error:" in err


def test_standard_input(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    text = Path(SEED).read_text()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    assert main(["-", "--emit", "plan", "-q"]) == 0
    assert "3 tasks in 2 levels" in capsys.readouterr().out


def test_options_may_come_before_the_command() -> None:
    ns = parse_args(["--gpu", "emulate", "--sync", "p2p", "build", SEED, "-o", "prog"])
    assert ns.command is cmd_build and ns.gpu == "emulate" and ns.sync == "p2p"
    ns = parse_args(["-q", "run", SEED, "-n", "3", "--", "--trace", "t.json"])
    assert ns.command is cmd_run and ns.np == 3 and ns.quiet
    assert ns.program_args == ["--trace", "t.json"]


def test_heft_needs_a_number_of_ranks(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code = main(["build", str(SEED), "--placement", "heft", "-o", str(tmp_path / "p")])
    assert code == 2
    assert "--placement heft places the tasks for one number of ranks" in capsys.readouterr().err


def test_heft_plan_from_a_machine_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    m = tmp_path / "m.toml"
    m.write_text('[[rank]]\ncores = 2\n\n[[rank]]\ncores = 2\ngpus = ["sm_90"]\n\n[[rank]]\n')
    assert main([str(SEED), "--emit", "plan", "--placement", "heft", "--machine", str(m)]) == 0
    out = capsys.readouterr().out
    assert "on 3 ranks; placement heft" in out
    assert f"machine: {m}" in out
    # Every GPU task of the seed goes to rank 1, the only one with a GPU.
    assert "on %gpu (sm_90) -> rank 1" in out and "on %gpu (sm_90) -> rank 0" not in out
    code = main([str(SEED), "--emit", "plan", "--placement", "heft", "--machine", str(m),
                 "--ranks", "2"])  # fmt: skip
    assert code == 2
    assert "describes 3 ranks, but 2 are asked for" in capsys.readouterr().err


DASHED = """\
avial.schedule %-x, %b : memref<4xi32>, memref<4xi32> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu reads(%-x) writes(%b) {
    %c0 = arith.constant 0 : index
    %v = memref.load %-x[%c0] : memref<4xi32>
    memref.store %v, %b[%c0] : memref<4xi32>
  }
}
"""


def test_interpret_reads_program_args_as_the_program_does() -> None:
    """'--input VALUE' takes the next argument whatever it is, as the
    generated program's runtime_c/av_args.c does: a memref may be named %-x."""
    a = parse_program_args(["--input", "-x=a.npy", "--input=%b=b.npy", "--output-dir", "-o"])
    assert a.inputs == ["-x=a.npy", "%b=b.npy"] and a.output_dir == "-o" and not a.help
    assert parse_program_args(["--trace=t.json", "-h"]) == ProgramArgs(trace="t.json", help=True)
    for argv, message in [
        (["--input"], "--input needs a value"),
        (["--input", "x"], "--input 'x': expected NAME=FILE.npy"),
        (["--input", "%=f.npy"], "--input '%=f.npy': expected NAME=FILE.npy"),
        (["--input", "x=f", "--input", "%x=g"], "--input x given more than once"),
        (["--trace", "a", "--trace=b"], "--trace given more than once"),
        (["--output-dir="], "--output-dir needs a non-empty value"),
        (["--inputs=x=f"], "unknown option '--inputs=x=f'"),
        (["extra"], "unexpected argument 'extra'"),
    ]:
        with pytest.raises(UsageError, match=re.escape(message)):
            parse_program_args(argv)


def test_interpret_with_a_dashed_memref_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "dashed.mlir"
    src.write_text(DASHED)
    np.save(tmp_path / "x.npy", np.array([40, 41, 42, 43], np.int32))
    argv = ["run", str(src), "--interpret", "--", "--input", f"-x={tmp_path / 'x.npy'}"]
    assert main([*argv, "--output-dir", str(tmp_path / "out")]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "%b = [40, 5, 6, 7]"
    assert np.load(tmp_path / "out" / "b.npy").tolist() == [40, 5, 6, 7]
    assert main(["run", str(src), "--interpret", "--", "--help"]) == 0
    assert "  %-x  int32 (4,)\n  %b  int32 (4,)\n" in capsys.readouterr().out
    assert main([*argv, "--input", f"%-x={tmp_path / 'x.npy'}"]) == 2
    assert "--input -x given more than once" in capsys.readouterr().err
def test_emit_py_writes_an_executable_script(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "prog.py"
    status, err = stderr_of([SEED, "--emit", "py", "-o", str(out)], capsys)
    assert status == 0, err
    assert "--gpu auto: GPU tasks run on the CPU unless --gpu cuda is given, using 'emulate'" in err
    assert out.stat().st_mode & 0o111
    assert out.read_text().startswith("#!/usr/bin/env python3\n")
    compile(out.read_text(), str(out), "exec")


def test_the_python_backend_under_gpu_cuda(capsys: pytest.CaptureFixture[str]) -> None:
    """--emit py --gpu cuda writes the kernels (no device needed); running it needs pycuda."""
    status, text = stdout_of([SEED, "--emit", "py", "--gpu", "cuda"], capsys)
    assert status == 0
    assert "KERNELS.launch(" in text and "KERNELS_SOURCE = (" in text
    if find_spec("pycuda") is None:
        status, err = stderr_of(["run", SEED, "--backend", "py", "--gpu", "cuda"], capsys)
        assert status == 2
        assert "avial2c: error: --backend py --gpu cuda needs pycuda" in err


def test_run_knows_the_backends(capsys: pytest.CaptureFixture[str]) -> None:
    assert parse_args(["run", SEED]).backend == "c"
    assert parse_args(["run", SEED, "--backend", "py", "-n", "3"]).backend == "py"
    status, err = stderr_of(["run", SEED, "--backend", "rust"], capsys)
    assert status == 2 and "invalid choice: 'rust'" in err
