"""avial2c build: the user's compilers and flags, the compilers' warnings, CUDA archs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from e2e import EXAMPLES, check_text, load
from markers import needs_mpi

from avial2c.build import build


@needs_mpi
def test_mpicc_cflags_and_ldflags_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "args.log"
    wrapper = tmp_path / "my-mpicc"
    real = shutil.which("mpicc")
    wrapper.write_text(
        f'#!/bin/sh\necho "$@" >> {log}\necho "my-mpicc: warning: a warning to show" >&2\n'
        f'exec {real} "$@"\n'
    )
    wrapper.chmod(0o755)
    monkeypatch.setenv("MPICC", str(wrapper))
    monkeypatch.setenv("CFLAGS", "-O3 -DAVIAL_FROM_CFLAGS")
    monkeypatch.setenv("LDFLAGS", "-Wl,--as-needed")
    exe = build(load(EXAMPLES / "seed.mlir"), tmp_path / "prog", gpu="emulate")
    assert exe.exists() and os.access(exe, os.X_OK)
    used = log.read_text()
    assert "-O3 -DAVIAL_FROM_CFLAGS" in used and "-Wl,--as-needed" in used
    assert "my-mpicc: warning: a warning to show" in capsys.readouterr().err


def test_newer_cuda_archs_are_accepted() -> None:
    text = (EXAMPLES / "seed_typed.mlir").read_text().replace('"sm_90"', '"sm_120"')
    program = check_text(text, "sm120.mlir")
    assert program.targets[1].arch == "sm_120"
