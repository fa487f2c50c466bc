"""tests/perf/bench_model.py, the cost model against traced runs, works: on
two examples it gets positive predictions and measurements and prints its
report.  Timings are never asserted (they depend on the machine and its load)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from e2e import EXAMPLES
from markers import needs_mpi

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "perf"))

import bench_model

pytestmark = needs_mpi

NAMES = ("pipeline.mlir", "jacobi_loop.mlir")


def test_predictions_and_measurements_are_positive(tmp_path: Path) -> None:
    rows = []
    for name in NAMES:
        src = bench_model.Source(name, (EXAMPLES / name).read_text())
        row = bench_model.measure(src, tmp_path, repeat=1, sync="barrier")
        assert row.predicted > 0 and row.traced > 0 and row.wall > 0, row
        ran = [t for t in row.tasks if t.measured is not None]
        assert ran, f"{name}: no task in the trace"
        for t in row.tasks:
            assert t.predicted > 0, t
        for t in ran:
            assert t.measured is not None and t.measured > 0 and t.runs > 0, t
        rows.append(row)
    text = bench_model.report(rows)
    assert all(name in text for name in NAMES) and "pred/traced" in text


def test_the_command_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_model.main(["--only", "seed_explicit_cpu", "--no-bench", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "load average" in out and "seed_explicit_cpu.mlir" in out and "pred/traced" in out
