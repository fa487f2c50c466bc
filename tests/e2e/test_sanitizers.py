"""Every example, built with -fsanitize=address,undefined, runs cleanly on 2 ranks.

UndefinedBehaviorSanitizer aborts on the first report (-fno-sanitize-recover),
so signed overflow, bad shifts, misaligned or out-of-bounds accesses in
generated code or the runtime fail the run.  Leak checking is off: OpenMPI
keeps allocations alive until the process exits, and those are not ours.
The outputs must still be the ones the unsanitized program prints.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from e2e import EXAMPLES, build_example, load, mpi_env
from markers import needs_mpi

from avial2c.build import ToolError

SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer", "-g"]
CASES = sorted(EXAMPLES.glob("*.mlir"))
TIMEOUT = 300

pytestmark = needs_mpi


def run(exe: Path, ranks: int, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    cmd = ["mpirun", "-n", str(ranks), "--oversubscribe", str(exe)]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, env=env,
                              check=False)  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail(f"{exe} did not finish in {TIMEOUT}s")


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_example_is_clean_under_asan_and_ubsan(path: Path, tmp_path: Path) -> None:
    program = load(path)
    try:
        exe = build_example(program, tmp_path / "asan", "barrier", extra_cflags=SANITIZE)
    except ToolError as e:
        if "libasan" in str(e) or "libubsan" in str(e):
            pytest.skip(f"the sanitizer runtimes are not installed: {e}")
        raise
    env = mpi_env()
    env["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=0:exitcode=86"
    env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1:exitcode=87"
    done = run(exe, 2, env)
    report = done.stdout + done.stderr
    assert "Sanitizer" not in report and "runtime error" not in report, report
    assert done.returncode == 0, report
    plain = run(build_example(program, tmp_path / "plain", "barrier"), 2, mpi_env())
    assert plain.returncode == 0, plain.stderr

    def values(text: str) -> list[str]:
        return [line for line in text.splitlines() if line.startswith("%")]

    assert values(done.stdout), done.stdout  # every example writes some memref
    assert values(done.stdout) == values(plain.stdout)
