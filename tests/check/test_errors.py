"""Every file under tests/errors/ is a bad input with its exact expected diagnostic.

Each file holds one line `// expect: LINE:COL: error: MESSAGE`; the first error
avial2c reports must be exactly that, with the source line and a caret, and the
exit status must be 1.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from avial2c.driver import main

ERRORS = Path(__file__).resolve().parents[1] / "errors"
EXPECT = re.compile(r"^// expect: (\d+):(\d+): error: (.*)$", re.M)
CASES = sorted(ERRORS.glob("*.mlir"))


def expectation(path: Path) -> tuple[int, int, str]:
    m = EXPECT.search(path.read_text(encoding="utf-8", errors="replace"))
    assert m, f"{path.name} has no '// expect: LINE:COL: error: MESSAGE' line"
    return int(m[1]), int(m[2]), m[3]


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_bad_input_gets_its_diagnostic(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line, col, message = expectation(path)
    status = main([str(path)])
    err = capsys.readouterr().err
    assert status == 1, err
    assert "Traceback" not in err and "internal error" not in err
    first = next(ln for ln in err.splitlines() if ": error: " in ln)
    assert first == f"{path}:{line}:{col}: error: {message}"
    lines = err.splitlines()
    at = lines.index(first)
    source = path.read_text(encoding="utf-8").splitlines()[line - 1]
    assert lines[at + 1] == source.expandtabs(1)
    assert lines[at + 2].index("^") == col - 1
