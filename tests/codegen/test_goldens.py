"""Golden tests of the C generator: every example in examples/.

For each example the generated C must equal tests/goldens/<example>.c
(`pytest --update-goldens` rewrites them), be byte-identical when generated
again, and compile with the project's warning flags.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import Goldens
from e2e import generate
from markers import needs_mpicc

from avial2c.check.checker import check_program
from avial2c.diagnostics import DiagnosticEngine
from avial2c.frontend.parse import parse_program
from avial2c.ir import CheckedProgram

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.mlir"))
RUNTIME = ROOT / "runtime_c"
GOLDENS = ROOT / "tests" / "goldens"
CFLAGS = ["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-fopenmp", "-ffp-contract=off"]



def load(path: Path) -> CheckedProgram:
    """The checked example, named by its path relative to the repository."""
    text = path.read_text()
    engine = DiagnosticEngine(source=text)
    program = check_program(parse_program(text, f"examples/{path.name}"), engine)
    assert not engine.has_errors, engine.render()
    return program


def test_every_example_has_a_golden() -> None:
    assert EXAMPLES, "no examples found"
    goldens = {p.stem for p in (ROOT / "tests" / "goldens").glob("*.c")}
    stale = goldens - {p.stem for p in EXAMPLES}
    assert not stale, f"golden files without an example: {sorted(stale)}"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_golden(path: Path, goldens: Goldens) -> None:
    goldens.check(f"{path.stem}.c", generate(load(path)).c)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_deterministic(path: Path) -> None:
    first = generate(load(path), sync="p2p").c
    second = generate(load(path), sync="p2p").c
    assert first == second


@needs_mpicc
@pytest.mark.parametrize("sync", ["barrier", "p2p"])
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_compiles(path: Path, sync: str, tmp_path: Path) -> None:
    source = tmp_path / f"{path.stem}.c"
    source.write_text(generate(load(path), sync=sync).c)
    done = subprocess.run(
        ["mpicc", *CFLAGS, f"-I{RUNTIME}", "-c", str(source), "-o", str(tmp_path / "prog.o")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def test_generated_c_that_moves_data_writes_the_mpi_calls() -> None:
    """The transfers are MPI calls in the generated C, not hidden in the runtime."""
    moving = [p for p in sorted(GOLDENS.glob("*.c")) if "av_owner_need(" in p.read_text()]
    assert len(moving) >= 5
    for path in moving:
        text = path.read_text()
        assert "MPI_Isend(" in text and "MPI_Irecv(" in text, path.name
        assert text.count("MPI_Isend(") == text.count("av_owner_need("), path.name
        assert text.count("MPI_Irecv(") == text.count("av_owner_need("), path.name
        assert "av_wait_all(" in text, path.name


def test_the_runtime_makes_no_mpi_data_calls() -> None:
    for path in sorted(RUNTIME.glob("*.c")):
        text = path.read_text()
        for call in ("MPI_Isend(", "MPI_Irecv(", "MPI_Send(", "MPI_Recv(", "MPI_Sendrecv("):
            assert call not in text, f"{path.name} calls {call}"
