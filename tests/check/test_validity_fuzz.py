"""Validity fuzzing: avial2c's front end against mlir-opt-22 on mutants of
valid programs (tests/support/mutate.py).

The bases are every example and a few random programs (progen.py, hostile
names included), each in three texts both tools read: avial2c's generic
form, mlir-opt's custom printing of it, and (random programs) the custom
form with the avial ops written generically.  Each mutant is judged by
avial2c (parser and checker) and by ``mlir-opt-22 --allow-unregistered-dialect``;
mlir-opt also prints an accepted mutant back (pretty or generic, with or
without locations), which avial2c must read as the same IR.  The findings:

* *accepts invalid*: avial2c accepts what mlir-opt rejects;
* *rejects valid*: avial2c rejects what mlir-opt accepts, unless its
  message is one of RESTRICTIONS (what the language leaves out on purpose:
  types, ops, avial's own rules);
* *rejects printed* / *printing changes it*: avial2c rejects mlir-opt's
  printing of a mutant it accepted, or reads it as other IR;
* *internal error*: avial2c raised something other than a diagnostic.

`make test` runs a fixed slice (AVIAL_FUZZ_MUTANTS mutants, 160 by default,
of fixed random seeds); `make fuzz` a fresh campaign (AVIAL_FUZZ_FRESH=1).
Findings of the classes in OPEN_DEFECTS (known, not fixed yet) are expected
and counted; any other finding fails test_no_new_finding.  Each open defect
also has a pinned mutant (PINNED) whose test is xfail(strict=True): it turns
red (XPASS) when the fix lands, which is the time to remove the entry (and
the random findings of that class then fail test_no_new_finding if the fix
missed some).  AVIAL_FUZZ_SAVE_DIR=DIR saves every finding's mutant there;
AVIAL_VALIDITY_STATS=FILE.json writes the counts.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from markers import needs_mlir_opt
from mutate import (
    CASTS,
    MUTATORS,
    Base,
    MlirResult,
    Mutant,
    Verdict,
    avial_verdict,
    base_forms,
    mlir_opt,
    mutants,
)
from progen import ProgramSpec, programs, render

from avial2c.printer.generic import print_generic

ROOT = Path(__file__).resolve().parents[2]
COUNT = int(os.environ.get("AVIAL_FUZZ_MUTANTS", "160"))
FRESH = os.environ.get("AVIAL_FUZZ_FRESH") == "1"
SAVE_DIR = os.environ.get("AVIAL_FUZZ_SAVE_DIR")
STATS_FILE = os.environ.get("AVIAL_VALIDITY_STATS")
RANDOM_BASES = 4  # random programs among the bases
# Besides COUNT mutants of every kind, COUNT // 8 of each of these kinds alone,
# whose findings are rarer (a cast's corner, a bad name, a typed rank, ...).
FOCUS_KINDS = ["cast", "const", "name", "nest", "rank", "loc"]
SEED = secrets.token_hex(8) if FRESH else "avial2c-validity-1"

# How mlir-opt prints an accepted mutant back (one, at random, per mutant).
PRINT_FLAGS = [
    (),
    ("--mlir-print-op-generic",),
    ("--mlir-print-debuginfo",),
    ("--mlir-print-op-generic", "--mlir-print-debuginfo"),
    ("--mlir-print-debuginfo", "--mlir-print-local-scope"),
    ("--mlir-print-op-generic", "--mlir-print-debuginfo", "--mlir-print-local-scope"),
]

# What avial2c refuses of valid MLIR on purpose: element types, ops and forms
# it does not translate, and the avial dialect's own rules.
RESTRICTIONS = [
    r"^unsupported type ",
    r"^unsupported operation ",
    r"is not supported",
    r"is not allowed inside",
    r"is not allowed directly in 'avial\.schedule'",
    r"is only allowed inside",
    r"outside 'gpu\.launch'",
    r"^'rank' of ",
    r"^task '%[^']*' runs on GPU target",
    r"is out of bounds for dimension",
    r"workgroup memory",
    r"must be at the top level of a task body",
    r"^the grid and block sizes of 'gpu\.launch' must be",
    r"^'memref\.(load|store)' of '%[^']*', which task '%[^']*' does not declare",
]

# Not a finding: rules of the avial dialect, which mlir-opt does not know (the
# rank of avial.task is a rank number, 0 to 2**31 - 1; a task split by rows
# holds one scf.parallel).
AVIAL_RULE = "avial-rule"

# Known defects the fuzzer finds, not fixed yet: class -> what fails.  D*
# are the defects this fuzzer was widened for, N* the ones it found itself.
OPEN_DEFECTS: dict[str, str] = {}


@dataclass
class Finding:
    mutant: Mutant
    what: str  # accepts invalid | rejects valid | rejects printed | printing changes it | internal error
    avial: str  # avial2c's first error ("" when it accepts)
    mlir: str  # mlir-opt's first error
    mlir_line: str  # the mutant's line mlir-opt's error is on
    flags: tuple[str, ...] = ()  # how mlir-opt printed it back
    printed: str = ""  # what mlir-opt printed, for findings about its printing

    def describe(self) -> str:
        m = self.mutant
        detail = self.avial if self.what != "accepts invalid" else f"mlir-opt: {self.mlir} at `{self.mlir_line.strip()}`"
        return f"[{m.kind} on {m.base}] {self.what}: {detail} ({m.note[:200]})"


# --------------------------------------------------------------------------
# Classification


def loc_depth(text: str) -> int:
    """The deepest nesting of parentheses inside any loc(...) of TEXT."""
    deepest = 0
    for m in re.finditer(r"\bloc\(", text):
        depth, k, in_string = 1, m.end(), False
        while k < len(text) and depth:
            ch = text[k]
            if in_string:
                if ch == "\\":
                    k += 1
                elif ch == '"':
                    in_string = False
            elif ch == '"':
                in_string = True
            elif ch == "(":
                depth += 1
                deepest = max(deepest, depth)
            elif ch == ")":
                depth -= 1
            k += 1
        deepest = max(deepest, 1)
    return deepest


def op_of(line: str) -> str:
    m = re.match(r'^\s*(?:%[^=]*=\s*)?"?(\w+\.[\w.]+)"?', line)
    return m[1] if m else ""


CAST_OPS = {f"arith.{c}" for c in CASTS}
COMPARISONS = {"arith.cmpi", "arith.cmpf"}
MISMATCHED_CONSTANT = re.compile(r'"arith\.constant"\(\) <\{value = [^{}]* : ([^{}>]+)\}> : \(\) -> (\S+)')
TERMINATOR_ERRORS = re.compile(r"must be the last operation in the parent block|expects body to "
                               r"terminate with|block with no terminator|expects parent op|"
                               r"must have an else block if defining values|region successor "
                               r"needs \d+ inputs")  # fmt: skip
MEMREF_TYPE_ERRORS = re.compile(r"memref layout mismatch|memory space to be last in memref type")
PROPERTY_ERRORS = re.compile(r"invalid properties|IntegerOverflowFlags|FastMathFlags|"
                             r"Invalid attribute `predicate`|integer literal not valid for "
                             r"specified type")  # fmt: skip


def mismatched_constant(text: str) -> bool:
    return any(m[1].strip() != m[2] for m in MISMATCHED_CONSTANT.finditer(text))


def classify(f: Finding) -> str | None:
    """The OPEN_DEFECTS class of F, or None for a new kind of finding."""
    op, text = op_of(f.mlir_line), f.mutant.text
    if f.what in ("rejects valid", "rejects printed") and re.search(
        r"^'rank' of 'avial\.task' must be a rank number|^cannot split '%[^']*' by rows", f.avial
    ):
        return AVIAL_RULE
    if f.what == "rejects valid":
        if loc_depth(text) > 3:
            return "D1"
        if re.search(r"^'arith\.bitcast' cannot convert (\S+) to \1$", f.avial):
            return "N10"
    if f.what == "rejects printed" and loc_depth(f.printed) > 3:
        return "D1"
    if f.what == "printing changes it" and re.search(r"\\[89A-F][0-9A-F]", f.printed):
        return "N11"
    if f.what != "accepts invalid":
        return None
    mlir = f.mlir
    if "integer constant out of range for attribute" in mlir:
        return "D9" if re.search(r"\{[^{}]*\brank = ", f.mlir_line) else "D8"
    if "but got 'index'" in mlir and op in CAST_OPS:
        return "D7"
    if "failed to verify that all of {value, result} have same type" in mlir or (
        "expects different type than prior uses" in mlir and mismatched_constant(text)
    ):
        return "N2"
    if "expects different type than prior uses" in mlir:
        return "D6" if op in CAST_OPS | COMPARISONS else "N3"
    if op in COMPARISONS and re.search(r"must be (signless-integer-like|floating-point-like)", mlir):
        return "D6"
    if "unexpected decimal integer literal for a floating point value" in mlir or (
        "expected operation name in quotes" in mlir
        and re.search(r"arith\.constant (true|false) :", text)
    ):
        return "N4"
    if TERMINATOR_ERRORS.search(mlir):
        return "N5"
    if f.mutant.kind == "name" and re.search(r"-> %\d+[A-Za-z_$.]", f.mutant.note):
        return "N6"
    if "redefinition of attribute alias" in mlir:
        return "N12"
    if f.mutant.kind == "loc" and re.search(r"location|FileLineColRange|alias was never defined|undefined symbol alias", mlir):
        return "N13"
    if MEMREF_TYPE_ERRORS.search(mlir):
        return "N7"
    if PROPERTY_ERRORS.search(mlir) or (
        "expected ':'" in mlir and re.search(r" (overflow|fastmath)<", f.mlir_line)
    ):
        return "N8"
    return None


# --------------------------------------------------------------------------
# The campaign


def random_bases(count: int) -> list[Base]:
    """COUNT random programs (derandomized unless fresh), in three texts each."""
    specs: list[ProgramSpec] = []

    @settings(max_examples=count, deadline=None, derandomize=not FRESH, database=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(programs(hostile=True))
    def draw(spec: ProgramSpec) -> None:
        specs.append(spec)

    draw()
    out: list[Base] = []
    for k, spec in enumerate(specs[-count:]):
        name = f"random{k}"
        out += base_forms(name, render(spec))
        out.append(Base.of(f"{name}:mixed", render(spec, mlir_opt=True)))
    return out


def all_bases() -> list[Base]:
    out: list[Base] = []
    for path in sorted((ROOT / "examples").glob("*.mlir")):
        out += base_forms(path.name, path.read_text())
    return out + random_bases(RANDOM_BASES)


def opener(lines: list[str], k: int) -> int:
    """The line opening the region that line K is in (-1 at the top)."""
    indent = len(lines[k]) - len(lines[k].lstrip())
    for j in range(k - 1, -1, -1):
        text = lines[j]
        if text.strip() and len(text) - len(text.lstrip()) < indent and text.rstrip().endswith("{"):
            return j
    return -1


def task_of(lines: list[str], k: int) -> int:
    """The line opening the task whose body holds line K (-1 if none)."""
    while k >= 0 and '"avial.task"' not in lines[k]:
        k = opener(lines, k)
    return k


def unseen_by_mlir_opt(text: str, av: Verdict) -> bool:
    """Is avial2c's error one that mlir-opt cannot see?  It checks no dominance
    in the regions of unregistered ops (to it, a task's body is a graph
    region), so any use of a value defined at a task's top level passes:
    before the definition, or inside the defining op's own regions."""
    m = re.match(r"use of undefined value '(%[^']+)'", av.message)
    if m is None or av.line < 1:
        return False
    lines = text.splitlines()
    task = task_of(lines, av.line - 1)
    defs = [k for k, x in enumerate(lines)
            if re.match(rf"\s*{re.escape(m[1])}(:\d+)? =", x) and task_of(lines, k) == task]  # fmt: skip
    return task >= 0 and len(defs) == 1 and opener(lines, defs[0]) == task


def flags_for(m: Mutant) -> tuple[str, ...]:
    return PRINT_FLAGS[zlib.crc32(m.text.encode()) % len(PRINT_FLAGS)]


def judge(m: Mutant, flags: tuple[str, ...], mlir: MlirResult) -> Finding | None:
    av, program = avial_verdict(m.text)
    line = ""
    if mlir.error_line is not None:
        lines = m.text.splitlines()
        line = lines[mlir.error_line - 1] if mlir.error_line <= len(lines) else ""
    if av.crashed:
        return Finding(m, "internal error", av.message, mlir.verdict.message, line)
    if av.ok and not mlir.verdict.ok:
        return Finding(m, "accepts invalid", "", mlir.verdict.message, line)
    if not av.ok and mlir.verdict.ok:
        if any(re.search(r, av.message) for r in RESTRICTIONS) or unseen_by_mlir_opt(m.text, av):
            return None
        return Finding(m, "rejects valid", av.message, "", "")
    if av.ok and program is not None:
        back, again = avial_verdict(mlir.printed, "printed.mlir")
        if back.crashed:
            return Finding(m, "internal error", back.message, "", "", flags, mlir.printed)
        if not back.ok:
            return Finding(m, "rejects printed", back.message, "", "", flags, mlir.printed)
        if again is not None and print_generic(again) != print_generic(program):
            return Finding(m, "printing changes it", "", "", "", flags, mlir.printed)
    return None


@dataclass
class Campaign:
    mutants: list[Mutant]
    findings: list[Finding]
    accepted: Counter[str]  # mutants mlir-opt accepts, by kind
    seconds: float


def run_campaign(count: int) -> Campaign:
    start = time.monotonic()
    bases = all_bases()
    drawn = mutants(bases, count, SEED)
    for kind in FOCUS_KINDS:
        drawn += mutants(bases, count // 8, f"{SEED}-{kind}", [kind])
    flags = [flags_for(m) for m in drawn]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(mlir_opt, [m.text for m in drawn], flags))
    findings, accepted = [], Counter[str]()
    for m, f, r in zip(drawn, flags, results, strict=True):
        if r.verdict.ok:
            accepted[m.kind] += 1
        finding = judge(m, f, r)
        if finding is not None:
            findings.append(finding)
    if SAVE_DIR:
        save(findings, Path(SAVE_DIR))
    done = Campaign(drawn, findings, accepted, time.monotonic() - start)
    if STATS_FILE:
        classes = Counter(classify(f) or "new" for f in findings)
        stats = {"seed": SEED, "bases": len(bases), "mutants": len(drawn),
                 "by kind": dict(Counter(m.kind for m in drawn)),
                 "accepted by mlir-opt": sum(accepted.values()), "findings": len(findings),
                 "findings by class": dict(classes), "seconds": round(done.seconds, 1)}  # fmt: skip
        Path(STATS_FILE).write_text(json.dumps(stats, indent=2, sort_keys=True) + "\n")
    return done


def save(findings: list[Finding], folder: Path) -> None:
    for f in findings:
        defect = classify(f) or "new"
        where = folder / "validity" / defect
        where.mkdir(parents=True, exist_ok=True)
        name = f"{f.mutant.kind}_{zlib.crc32(f.mutant.text.encode()):08x}.mlir"
        header = f"// {f.describe()}".replace("\n", " ")
        (where / name).write_text(f"{header}\n{f.mutant.text}")


@pytest.fixture(scope="module")
def campaign() -> Iterator[Campaign]:
    yield run_campaign(COUNT)


# --------------------------------------------------------------------------
# Tests


@needs_mlir_opt
def test_every_mutator_makes_mutants_both_tools_judge(campaign: Campaign) -> None:
    """The campaign is not degenerate: every kind of mutant is drawn (when
    there are enough of them), and the kinds meant to keep programs valid
    often do."""
    kinds = Counter(m.kind for m in campaign.mutants)
    assert len(campaign.mutants) == COUNT + len(FOCUS_KINDS) * (COUNT // 8)
    if 10 * len(MUTATORS) <= COUNT:
        assert set(kinds) == set(MUTATORS), kinds
    for kind in ("loc", "name", "rank"):
        if kinds[kind] >= 6:
            assert campaign.accepted[kind] >= kinds[kind] // 3, (kind, campaign.accepted, kinds)


@needs_mlir_opt
def test_no_new_finding(campaign: Campaign) -> None:
    new = [f for f in campaign.findings if classify(f) not in (*OPEN_DEFECTS, AVIAL_RULE)]
    assert not new, f"{len(new)} new findings (seed {SEED}):\n" + "\n".join(
        f"{f.describe()}\n{f.mutant.text}" if k == 0 else f.describe() for k, f in enumerate(new)
    )


class DefectFound(AssertionError):
    """A mutant shows the open defect under test."""


# A small valid program both tools read (avial ops generic, the rest custom),
# and for each open defect a mutant of it that shows the defect: the kind
# of mutation, and (old, new, count) replacements (count -1: every one).
PIN_BASE = """\
func.func @main(%a: memref<8xi32>, %b: memref<8xf32>) {
  "avial.schedule"(%a, %b) ({
    %cpu = "avial.target"() {arch = "x86_64"} : () -> !avial.target
    %t = "avial.task"(%cpu, %a, %b) <{operandSegmentSizes = array<i32: 1, 1, 1>}> ({
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c8 = arith.constant 8 : index
      scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
        %x = memref.load %a[%i] : memref<8xi32>
        %f = arith.sitofp %x : i32 to f32
        memref.store %f, %b[%i] : memref<8xf32>
        scf.reduce
      }
      "avial.yield"() : () -> ()
    }) : (!avial.target, memref<8xi32>, memref<8xf32>) -> !avial.task
    "avial.yield"() : () -> ()
  }) : (memref<8xi32>, memref<8xf32>) -> ()
  return
}
"""
LOAD = "%x = memref.load %a[%i] : memref<8xi32>"
TASK_END = "}) : (!avial.target"
Pin = tuple[str, list[tuple[str, str, int]]]


def after_load(kind: str, op: str) -> Pin:
    return kind, [(LOAD, f"{LOAD}\n        {op}", 1)]


PINNED: dict[str, Pin] = {
    "D1": ("loc", [("to f32\n", 'to f32 loc(callsite(callsite("t"("f.mlir":1:1) at "a":1:1) at "g":2:2))\n', 1)]),
    "D6": after_load("cast", "%e = arith.extsi %x : i8 to i64"),
    "D7": after_load("cast", "%e = arith.sitofp %i : index to f32"),
    "D8": after_load("const", "%e = arith.constant 300 : i8"),
    "D9": ("rank", [(TASK_END, "}) {rank = 100000000000000000000} : (!avial.target", 1)]),
    "N2": after_load("const", '%e = "arith.constant"() <{value = 0 : index}> : () -> i8'),
    "N3": after_load("dup", '%e = "memref.load"(%a, %i) : (memref<8xi32>, i64) -> i32'),
    "N4": after_load("const", "%e = arith.constant 3 : f32"),
    "N5": ("nest", [("scf.reduce\n", "scf.reduce\n        %e = arith.addi %x, %x : i32\n", 1)]),
    "N6": ("name", [("%x", "%1x", -1)]),
    "N7": ("retype", [("memref<8xi32>", "memref<8xi32, affine_map<(d0, d1) -> (d0, d1)>>", -1)]),
    "N8": after_load("arith", "%e = arith.remsi %x, %x overflow<nsw> : i32"),
    "N9": ("rank", [(TASK_END, "}) {rank = 128 : i8} : (!avial.target", 1)]),
    "N10": after_load("cast", "%e = arith.bitcast %x : i32 to i32"),
    "N11": ("name", [("@main", '@"ünïcödé"', 1)]),
    "N12": ("loc", [("func.func", '#loc1 = loc("a":1:1)\n#loc1 = loc("b":2:2)\nfunc.func', 1)]),
    "N13": ("loc", [("to f32\n", 'to f32 loc(callsite("a"))\n', 1)]),
}


def pinned_mutant(defect: str) -> Mutant:
    kind, replacements = PINNED[defect]
    text = PIN_BASE
    for old, new, count in replacements:
        assert old in text, (defect, old)
        text = text.replace(old, new, count)
    note = "; ".join(f"{old.strip()} -> {new.strip()}" for old, new, _ in replacements)
    return Mutant("pinned", kind, note, text)


def judge_pinned(defect: str) -> Finding | None:
    """The finding on DEFECT's pinned mutant (None: both tools agree)."""
    m = pinned_mutant(defect)
    flags = PRINT_FLAGS[-1] if defect == "N11" else PRINT_FLAGS[0]
    return judge(m, flags, mlir_opt(m.text, flags))


def open_defect(defect: str) -> object:
    mark = pytest.mark.xfail(strict=True, raises=DefectFound, reason=OPEN_DEFECTS[defect])
    return pytest.param(defect, marks=mark, id=defect)


@needs_mlir_opt
def test_the_pinned_base_is_valid_for_both() -> None:
    assert judge(Mutant("pinned", "none", "", PIN_BASE), PRINT_FLAGS[-1], mlir_opt(PIN_BASE)) is None
    assert mlir_opt(PIN_BASE).verdict.ok


@needs_mlir_opt
@pytest.mark.parametrize("defect", [open_defect(d) for d in OPEN_DEFECTS])
def test_pinned_mutant_of_open_defect(defect: str) -> None:
    """The open defect's own mutant: judged alike by both tools once it is
    fixed (then XPASS: remove the defect from OPEN_DEFECTS)."""
    f = judge_pinned(defect)
    if f is None:
        return
    found = classify(f)
    if found == defect:
        raise DefectFound(f.describe())
    raise AssertionError(f"the mutant of {defect} shows {found or 'a new finding'}: {f.describe()}")


@needs_mlir_opt
@pytest.mark.parametrize("defect", [d for d in PINNED if d not in OPEN_DEFECTS])
def test_pinned_mutant_of_fixed_defect(defect: str) -> None:
    """A fixed defect's own mutant stays judged alike by both tools."""
    f = judge_pinned(defect)
    assert f is None or classify(f) == AVIAL_RULE, f.describe()


# The classification itself, on hand-written findings.

SEED_TEXT = (ROOT / "examples" / "seed_generic.mlir").read_text()


def finding(what: str, avial: str = "", mlir: str = "", line: str = "", text: str = SEED_TEXT,
            printed: str = "") -> Finding:  # fmt: skip
    return Finding(Mutant("seed", "test", "", text), what, avial, mlir, line, (), printed)


def test_classify_tells_the_open_defects_apart() -> None:
    deep = SEED_TEXT + '// loc(callsite(callsite("t"("f":1:1) at "a":1:1) at "g":2:2))\n'
    assert loc_depth(deep) == 4 and loc_depth(SEED_TEXT) == 0
    assert classify(finding("rejects valid", "expected a value", text=deep)) == "D1"
    assert classify(finding("rejects valid", "expected a value")) is None
    assert classify(finding("rejects printed", "expected a value", printed=deep)) == "D1"
    prior = "use of value '%19' expects different type than prior uses: 'i8' vs 'i32'"
    assert classify(finding("accepts invalid", mlir=prior, line="%9 = arith.extsi %19 : i8 to i64")) == "D6"
    assert classify(finding("accepts invalid", mlir=prior, line='%9 = "arith.cmpi"(%19, %1) <{')) == "D6"
    assert classify(finding("accepts invalid", mlir=prior, line="%9 = arith.addi %19, %1 : i8")) == "N3"
    assert classify(finding("accepts invalid", mlir="custom op 'arith.addi' is unknown")) is None
    index = "'arith.sitofp' op operand #0 must be signless-fixed-width-integer-like, but got 'index'"
    assert classify(finding("accepts invalid", mlir=index, line="%9 = arith.sitofp %i : index to f32")) == "D7"
    rng = "integer constant out of range for attribute"
    assert classify(finding("accepts invalid", mlir=rng, line="%9 = arith.constant 300 : i8")) == "D8"
    task_end = "}) {rank = 100000000000000000000} : (!avial.target) -> !avial.task"
    assert classify(finding("accepts invalid", mlir=rng, line=task_end)) == "D9"
    rule = "'rank' of 'avial.task' must be a rank number from 0 to 2147483647, not -1"
    assert classify(finding("rejects printed", avial=rule)) == AVIAL_RULE
    assert classify(finding("rejects printed", avial="something else")) is None
    assert classify(finding("printing changes it")) is None
