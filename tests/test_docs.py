"""docs/language.md and docs/execution.md against the code, where drift is
easy to see: the ops, the options of the commands and of the generated
program, and the features that do not exist."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from avial2c.driver import EMIT_KINDS, build_parser, calibrate_parser, run_parser, translate_parser
from avial2c.launch import LAUNCHERS
from avial2c.ops import SUPPORTED_OPS
from avial2c.plan.schedule import SPLIT_MODES, SYNC_MODES

ROOT = Path(__file__).resolve().parents[1]
LANGUAGE = (ROOT / "docs" / "language.md").read_text()
EXECUTION = (ROOT / "docs" / "execution.md").read_text()
README = (ROOT / "README.md").read_text()
AV_ARGS = (ROOT / "runtime_c" / "av_args.c").read_text()

AVIAL_OPS = {"avial.schedule", "avial.target", "avial.task", "avial.yield"}
# Ops of the enclosing function or module, named where the page says where a
# schedule may stand.
CONTAINER_OPS = {"func.func", "func.return", "builtin.module"}
# Options of other tools that the pages name (launchers, compilers, pip).
OTHER_TOOLS = {
    "--allow-unregistered-dialect", "--mlir-print-op-generic",  # mlir-opt
    "--bind-to", "--oversubscribe", "--map-by", "--cpus-per-proc",  # Open MPI's mpirun
    "--mpi", "--mpi=list",  # srun
    "--fmad=false",  # nvcc
    "--strict",  # mypy
}  # fmt: skip
# Named only under "Not implemented" in docs/execution.md.
NOT_IMPLEMENTED: set[str] = set()

OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*(?:=[\w-]+)?)")


def parsers() -> dict[str, argparse.ArgumentParser]:
    return {"avial2c": translate_parser(), "avial2c build": build_parser(),
            "avial2c run": run_parser(), "avial2c calibrate": calibrate_parser()}  # fmt: skip


def options(parser: argparse.ArgumentParser) -> set[str]:
    return {o for a in parser._actions for o in a.option_strings}


def program_options() -> set[str]:
    """The options the generated program's command line parser knows."""
    return set(re.findall(r'"(--[a-z-]+|-h)"', AV_ARGS))


def mentioned(text: str, word: str) -> bool:
    return re.search(rf"(?<![\w.-]){re.escape(word)}(?![\w-])", text) is not None


def test_every_op_avial2c_accepts_is_in_the_language_reference() -> None:
    missing = sorted(op for op in SUPPORTED_OPS | AVIAL_OPS if not mentioned(LANGUAGE, op))
    assert not missing, f"docs/language.md does not name {missing}"


def test_every_op_the_language_reference_names_is_accepted() -> None:
    op_name = r"(?<![#\w])(?:arith|math|memref|scf|gpu|avial|func|builtin)\.[a-z_]+(?:\.[a-z_]+)*"
    named = set(re.findall(op_name, LANGUAGE))
    unknown = sorted(named - SUPPORTED_OPS - AVIAL_OPS - CONTAINER_OPS)
    assert not unknown, f"docs/language.md names ops avial2c does not accept: {unknown}"


def test_the_element_types_and_task_attributes_are_described() -> None:
    for word in ("i1", "i8", "i16", "i32", "i64", "index", "f32", "f64"):
        assert mentioned(LANGUAGE, word), word
    for attr in ("`arch`", "`rank`", "`name`", "`split`", '`"rows"`', "inferred-type",
                 "unused-access"):  # fmt: skip
        assert attr in LANGUAGE, attr


@pytest.mark.parametrize("command", ["avial2c", "avial2c build", "avial2c run", "avial2c calibrate"])
def test_every_option_of_the_commands_is_in_the_execution_reference(command: str) -> None:
    for option in sorted(options(parsers()[command])):
        if option == "-W":
            assert "-Wno-ID" in EXECUTION
            continue
        assert mentioned(EXECUTION, option), (
            f"docs/execution.md does not describe {command} {option}"
        )


def test_every_choice_of_the_commands_is_described() -> None:
    for kind in EMIT_KINDS:
        assert f"| `{kind}` |" in EXECUTION, f"--emit {kind}"
    bar = "\\|"  # a | inside a Markdown table cell
    for name, values in (("--sync", SYNC_MODES), ("--split", SPLIT_MODES),
                         ("--launcher", LAUNCHERS)):  # fmt: skip
        assert f"`{name} {bar.join(values)}`" in EXECUTION, name


def test_every_option_of_the_generated_program_is_described() -> None:
    found = program_options()
    assert {"--input", "--output-dir", "--trace", "--help", "-h"} <= found
    for option in found:
        assert mentioned(EXECUTION, option), option


def test_the_pages_name_no_option_that_does_not_exist() -> None:
    known = set().union(*(options(p) for p in parsers().values()), program_options())
    known |= OTHER_TOOLS | NOT_IMPLEMENTED
    for name, text in (("language.md", LANGUAGE), ("execution.md", EXECUTION)):
        named = {
            m
            for m in OPTION.findall(text)
            if m.startswith("--") or m in ("-n", "-o", "-v", "-q", "-h")
        }
        unknown = sorted(m for m in named if m not in known and m.split("=")[0] not in known)
        assert not unknown, f"docs/{name} names options that do not exist: {unknown}"


def test_what_is_not_implemented_is_said_only_where_it_is_said() -> None:
    head, _, tail = EXECUTION.partition("\n## Not implemented\n")
    assert tail, "docs/execution.md has no 'Not implemented' section"
    for option in NOT_IMPLEMENTED:
        assert not mentioned(head, option) and mentioned(tail, option), option
        assert all(option not in options(p) for p in parsers().values()), (
            f"{option} exists now: describe it and take it out of 'Not implemented'"
        )
    assert "py" in EMIT_KINDS and "| `py` |" in head
    assert not mentioned(LANGUAGE, "--fuse") and not mentioned(LANGUAGE, "heft")


def test_the_readme_links_both_pages() -> None:
    assert "docs/language.md" in README and "docs/execution.md" in README
