"""Programs that once failed, kept as permanent end-to-end tests.

test_fuzz.py saves the shrunk program of each failure it finds as
tests/regressions/fuzz_<crc>.mlir, and reduced findings of adversarial
programs are kept there too; every .mlir file there runs on 1-4 ranks in
both sync modes on random inputs and must equal the interpreter.  The
machinery that saves and replays fuzz findings is tested below.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest
import test_fuzz
from e2e import EXAMPLES, check_runs, load
from markers import needs_mpi

FOLDER = Path(__file__).resolve().parents[1] / "regressions"


def saved_programs(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.mlir"))


def replay(path: Path, work: Path) -> None:
    program = load(path)
    rng = np.random.default_rng(zlib.crc32(path.read_bytes()))
    cases = [(sync, ranks) for sync in ("barrier", "p2p") for ranks in (1, 2, 3, 4)]
    check_runs(program, work, rng, cases)


@needs_mpi
@pytest.mark.parametrize("path", saved_programs(FOLDER), ids=lambda p: p.stem)
def test_saved_programs_match_the_interpreter(path: Path, tmp_path: Path) -> None:
    replay(path, tmp_path)


@needs_mpi
def test_a_saved_failure_is_replayed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(test_fuzz, "REGRESSIONS", tmp_path / "regressions")
    text = (EXAMPLES / "seed_typed.mlir").read_text()
    path = test_fuzz.save_regression(text, "a note on what failed")
    assert saved_programs(tmp_path / "regressions") == [path]
    assert path.read_text().startswith("// A program test_fuzz.py found failing: a note")
    replay(path, tmp_path / "work")
