"""Shared pytest configuration.

``pytest --update-goldens`` rewrites the golden files under tests/goldens/
instead of comparing against them; tests use the ``goldens`` fixture.
"""

from __future__ import annotations

import atexit
import difflib
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

GOLDENS = Path(__file__).resolve().parent / "goldens"

# The helpers every test folder shares: e2e, irb, progen, mlir_oracle.
sys.path.insert(0, str(Path(__file__).resolve().parent / "support"))

# Open MPI keeps each job's session files under $TMPDIR/ompi.HOST.UID; two
# mpiruns that start and end at the same moment (a job still cleaning up
# while the next starts, or two pytest workers) can trip over each other's
# directory ("mkdir: File exists").  Every pytest process gets its own base
# (tests/support/e2e.mpi_env goes further: one per mpirun).
if "OMPI_MCA_orte_tmpdir_base" not in os.environ:
    _OMPI_TMP = tempfile.mkdtemp(prefix="avial2c-ompi-")
    atexit.register(shutil.rmtree, _OMPI_TMP, ignore_errors=True)
    os.environ["OMPI_MCA_orte_tmpdir_base"] = _OMPI_TMP  # noqa: SIM112 (Open MPI reads this spelling only)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite tests/goldens/* from the current output instead of comparing",
    )


@dataclass(frozen=True)
class Goldens:
    """Compares generated text with tests/goldens/NAME, or rewrites it."""

    update: bool
    root: Path = GOLDENS

    def check(self, name: str, actual: str) -> None:
        path = self.root / name
        if self.update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual)
            return
        if not path.exists():
            pytest.fail(f"missing golden file {path}; run `pytest --update-goldens`")
        expected = path.read_text()
        if actual != expected:
            diff = difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                fromfile=f"tests/goldens/{name} (golden)",
                tofile=f"{name} (generated now)",
            )
            pytest.fail(
                "generated text differs from the golden file "
                "(if the change is intended: pytest --update-goldens):\n" + "".join(diff),
                pytrace=False,
            )


@pytest.fixture
def goldens(request: pytest.FixtureRequest) -> Goldens:
    return Goldens(update=bool(request.config.getoption("--update-goldens")))


# Folders whose every test builds programs and runs them under mpirun.
SLOW_FOLDERS = ("e2e", "runtime")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Marks `slow` the build-and-run folders and every test that needs a compiler
    (markers.BUILDING); `make test-fast` leaves them out."""
    from markers import BUILDING

    root = Path(__file__).resolve().parent
    for item in items:
        parts = item.path.resolve().relative_to(root).parts
        reasons = {m.kwargs.get("reason") for m in item.iter_markers("skipif")}
        if (parts and parts[0] in SLOW_FOLDERS) or reasons & BUILDING:
            item.add_marker(pytest.mark.slow)
