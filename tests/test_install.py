"""A wheel carries the grammar, the templates and the C runtime, and an
installed copy translates and builds outside the repository."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from markers import needs_mpi

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.fail(f"pip wheel failed:\n{done.stdout}{done.stderr}")
    (path,) = out.glob("avial2c-*.whl")
    return path


@pytest.mark.slow
def test_the_wheel_holds_the_package_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "avial2c/grammar/avial.lark" in names
    assert "avial2c/templates/program.c.j2" in names
    for f in ("avial_rt.h", "av_owners.c", "av_cuda.cu", "av_ops.h"):
        assert f"avial2c/runtime_c/{f}" in names, f
    assert "avial2c/codegen/c.py" in names and "avial2c/transforms/expand_launch.py" in names
    # The Python backend: its templates, its runtime, and mpi4py as the [mpi] extra.
    assert "avial2c/templates/program.py.j2" in names and "avial2c/pyrt.py" in names
    (meta,) = [n for n in names if n.endswith(".dist-info/METADATA")]
    text = zipfile.ZipFile(wheel).read(meta).decode()
    assert "Provides-Extra: mpi" in text
    assert any(line.startswith("Requires-Dist: mpi4py") and 'extra == "mpi"' in line
               for line in text.splitlines())  # fmt: skip


@pytest.mark.slow
@needs_mpi
def test_an_installed_copy_builds_and_runs_outside_the_repository(
    wheel: Path, tmp_path: Path
) -> None:
    target = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
         str(wheel)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    work = tmp_path / "elsewhere"
    work.mkdir()
    (work / "seed.mlir").write_text((ROOT / "examples" / "seed.mlir").read_text())
    env = dict(os.environ, PYTHONPATH=str(target),
               OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")  # fmt: skip
    run = subprocess.run(
        [sys.executable, "-m", "avial2c", "run", "seed.mlir", "-n", "2", "--gpu", "emulate"],
        cwd=work, capture_output=True, text=True, timeout=300, env=env, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "%c = [" in run.stdout and "%d = [" in run.stdout
    py = subprocess.run(
        [sys.executable, "-m", "avial2c", "run", "seed.mlir", "-n", "2", "--backend", "py"],
        cwd=work, capture_output=True, text=True, timeout=300, env=env, check=False,
    )  # fmt: skip
    assert py.returncode == 0, py.stderr
    assert py.stdout.splitlines()[:2] == run.stdout.splitlines()[:2]
    where = subprocess.run(
        [sys.executable, "-c", "import avial2c.resources as r; print(r.GRAMMAR)"],
        cwd=work, capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert where.stdout.strip().startswith(str(target)), where.stdout
