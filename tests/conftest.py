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

# The long tier: `make test-long` runs it, `make test` leaves it out (to stay
# under about 8 minutes on 2 cores).  Other MPI implementations and installs,
# sanitizers, the measured model report, the StarPU smoke test, the Task
# Bench check (tests/perf/bench_taskbench.py --quick), the fuzzer's
# hunts for each defect class, the C of each task against mlir-runner, and
# the repeats of end-to-end sweeps whose
# core stays in `make test`: the seed's other spellings (the same program),
# the p2p half of the device-copy and heft sweeps, and the Python backend on
# the examples beyond a representative few.
LONG_FILES = {
    "e2e/test_mpich.py", "test_install.py", "e2e/test_model_report.py",
    "e2e/test_peers_starpu.py", "e2e/test_sanitizers.py", "e2e/test_bench_taskbench.py",
}  # fmt: skip
LONG_TESTS = {
    "e2e/test_fuzz.py::test_fuzzer_finds_defect_class",
    # C against mlir-runner per task: make test keeps the interpreter against
    # mlir-runner and the C against the interpreter (e2e), which imply it.
    "printer/test_mlir_oracle.py::test_mlir_matches_c",
}
SEED_SPELLINGS = ("seed_generic", "seed_mlir_opt", "seed_typed", "seed_explicit_cpu")
PY_KEPT = ("seed", "gpu_chain", "gpu_loop", "jacobi_split", "jacobi_loop", "split_then_whole",
           "jacobi_gpu_split")
COMPACT_KEPT = ("jacobi_gpu_split.mlir", "split_then_whole.mlir", "jacobi_loop.mlir")
PRINTED_KEPT = ("seed", "gpu_chain", "jacobi_loop", "reduction", "select_math", "split_broadcast")


def in_long_tier(path: str, name: str, ids: tuple[str, ...]) -> bool:
    """PATH (relative to tests/), the test's NAME and its parameter ids."""
    if path in LONG_FILES or f"{path}::{name}" in LONG_TESTS:
        return True
    if path == "e2e/test_e2e.py" and any(i in SEED_SPELLINGS for i in ids):
        return True
    if path == "e2e/test_e2e.py" and name == "test_printed_outputs_match_interpret_mode":
        return not any(i in PRINTED_KEPT for i in ids)
    if path == "e2e/test_py_backend.py" and name == "test_example_matches_the_interpreter":
        return not any(i in PY_KEPT for i in ids)
    if path == "e2e/test_device_copies.py" and name == "test_traced_copies_are_the_planned_ones":
        return "p2p" in ids
    if path == "e2e/test_heft_runs.py" and name == "test_heft_placed_example_matches_the_interpreter":
        return "p2p" in "-".join(ids)
    if path == "e2e/test_split.py" and name == "test_random_gpu_split_programs_match_the_interpreter":
        return not any(i in ("1", "5") for i in ids)  # keeps a 2-D and a 1-D program
    if path == "e2e/test_compact.py" and name == "test_compact_example_matches_the_interpreter":
        return not any(i in COMPACT_KEPT for i in ids)
    if path == "e2e/test_py_backend.py" and name == "test_traced_device_copies_are_the_planned_ones":
        return not any(i in ("gpu_chain", "jacobi_gpu_split") for i in ids)
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Marks `slow` the build-and-run folders and every test that needs a compiler
    (markers.BUILDING), which `make test-fast` leaves out, and `long` the long
    tier (in_long_tier), which `make test` leaves out."""
    from markers import BUILDING

    root = Path(__file__).resolve().parent
    for item in items:
        parts = item.path.resolve().relative_to(root).parts
        reasons = {m.kwargs.get("reason") for m in item.iter_markers("skipif")}
        if (parts and parts[0] in SLOW_FOLDERS) or reasons & BUILDING:
            item.add_marker(pytest.mark.slow)
        name, _, params = item.name.partition("[")
        ids = tuple(params.rstrip("]").split("-")) if params else ()
        if in_long_tier("/".join(parts), name, ids):
            item.add_marker(pytest.mark.long)
