"""A wheel carries the grammar, the templates and the C runtime, and,
installed offline in a fresh venv outside the checkout, its `avial2c`
builds and runs examples/seed.mlir there."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from markers import needs_mpi

ROOT = Path(__file__).resolve().parents[1]


def backend_present() -> bool:
    """setuptools >= 77 (pyproject.toml's build requirement) is importable here."""
    try:
        from importlib.metadata import version

        return int(version("setuptools").split(".")[0]) >= 77
    except (ImportError, ValueError):
        return False


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # Offline when this environment has the build backend pyproject.toml asks
    # for; otherwise pip fetches it into an isolated build environment.
    isolation = ["--no-build-isolation"] if backend_present() else []
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, "-q", "-w", str(out),
         str(ROOT)],
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
    for f in ("av_calibrate.c", "av_calibrate.h", "av_calibrate_gpu.cu"):  # avial2c calibrate
        assert f"avial2c/runtime_c/calibrate/{f}" in names, f
    assert "avial2c/codegen/c.py" in names and "avial2c/transforms/expand_launch.py" in names
    # The Python backend: its templates, its runtime, and mpi4py as the [mpi] extra.
    assert "avial2c/templates/program.py.j2" in names and "avial2c/pyrt.py" in names
    (meta,) = [n for n in names if n.endswith(".dist-info/METADATA")]
    text = zipfile.ZipFile(wheel).read(meta).decode()
    assert "Provides-Extra: mpi" in text
    assert any(line.startswith("Requires-Dist: mpi4py") and 'extra == "mpi"' in line
               for line in text.splitlines())  # fmt: skip


def dependency_paths() -> list[str]:
    """The folders from which this interpreter imports avial2c's dependencies."""
    import jinja2
    import lark
    import markupsafe
    import numpy

    return sorted({str(Path(m.__file__ or "").resolve().parents[1])
                   for m in (jinja2, lark, markupsafe, numpy)})  # fmt: skip


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv outside the checkout with the wheel installed offline
    (--no-index --no-deps) and the dependencies this interpreter already has
    (a .pth file names their folders: nothing is downloaded)."""
    where = tmp_path_factory.mktemp("venv") / "venv"
    done = subprocess.run([sys.executable, "-m", "venv", str(where)],
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    python = where / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout.strip()  # fmt: skip
    Path(site, "avial2c-test-deps.pth").write_text("\n".join(dependency_paths()) + "\n")
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-index", "--no-deps", str(wheel)],
        capture_output=True, text=True, timeout=300, check=False, env=clean_env(),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return where


def clean_env() -> dict[str, str]:
    """This environment without what would make Python find the checkout."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    return env


@pytest.mark.slow
@needs_mpi
def test_the_wheel_in_a_fresh_venv_builds_and_runs_the_seed(venv: Path, tmp_path: Path) -> None:
    work = tmp_path / "elsewhere"
    work.mkdir()
    (work / "seed.mlir").write_text((ROOT / "examples" / "seed.mlir").read_text())
    avial2c = str(venv / "bin" / "avial2c")  # the console script of the wheel
    env = clean_env()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(args), cwd=work, capture_output=True, text=True,
                              timeout=300, env=env, check=False)  # fmt: skip

    version = run(avial2c, "--version")
    assert version.returncode == 0 and version.stdout.startswith("avial2c "), version.stderr
    built = run(avial2c, "build", "seed.mlir", "-o", "prog", "--gpu", "emulate")
    assert built.returncode == 0, built.stderr
    assert (work / "prog").is_file() and (work / "prog.c").is_file()
    ran = run(avial2c, "run", "seed.mlir", "-n", "2", "--gpu", "emulate", "--", "--output-dir",
              "out")  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith("%c = [5, 7, 9, 11, 13, 15, 17, 19, ... (20 elements)]\n")
    assert "%d = [" in ran.stdout and sorted(p.name for p in (work / "out").iterdir()) == [
        "c.npy", "d.npy"
    ]  # fmt: skip
    calibrated = run(avial2c, "calibrate", "-n", "1", "--quick", "-o", "m.toml")
    assert calibrated.returncode == 0, calibrated.stderr
    assert (work / "m.toml").read_text().startswith("# avial2c machine file: measured by")
    # Everything came from the venv: the package, its grammar, templates and C runtime.
    where = run(str(venv / "bin" / "python"), "-c",
                "import avial2c, avial2c.resources as r; print(avial2c.__file__, r.GRAMMAR, "
                "r.RUNTIME)")  # fmt: skip
    paths = where.stdout.split()
    assert len(paths) == 3 and all(p.startswith(str(venv)) for p in paths), where.stdout
    py = run(avial2c, "run", "seed.mlir", "-n", "2", "--backend", "py")
    assert py.returncode == 0, py.stderr
    assert py.stdout.splitlines()[:2] == ran.stdout.splitlines()[:2]
