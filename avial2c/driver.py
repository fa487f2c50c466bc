"""The command line: translate, build, run, calibrate.

    avial2c FILE --emit {mlir,generic,plan,plan-json,dot,c,py} [-o OUT] [--ranks N] [--sync MODE]
                 [--split declared|auto|none]
    avial2c build FILE -o PROG [--gpu auto|cuda|emulate] [--sync MODE] [--split MODE]
    avial2c run FILE [-n NP] [--interpret] [--sync MODE] [--gpu MODE] [--split MODE] [-- PROGRAM-ARGS]
    avial2c calibrate [-n NP] -o FILE.toml [--quick] [--launcher L] [--launcher-args ARGS]
    avial2c run FILE [-n NP] [--interpret | --backend c|py] [--sync MODE] [--gpu MODE]
                [--split MODE] [-- PROGRAM-ARGS]

Exit status: 0 success, 1 the input has errors, 2 bad runtime input (e.g. a
wrong .npy), 3 internal error.  A Python traceback never reaches the user.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path

from avial2c import __version__
from avial2c.build import ToolError, build, cuda_usable, has_gpu_tasks
from avial2c.calibrate import calibrate
from avial2c.check.checker import check_program
from avial2c.codegen.c import generate
from avial2c.codegen.py import generate_py
from avial2c.diagnostics import CompileError, DiagnosticEngine
from avial2c.frontend.parse import parse_program
from avial2c.interp.run import interpret
from avial2c.ir import NO_SPAN, CheckedProgram, Span
from avial2c.launch import LAUNCHERS, LaunchError, launch, python_program
from avial2c.machine import Machine, MachineError, default_machine, load_machine, physical_cores
from avial2c.npyio import (
    InputError,
    format_memref,
    load_input,
    memref_type_at,
    numpy_dtype,
    shape_text,
    write_outputs,
    written_memrefs,
)
from avial2c.plan.emit import plan_dot, plan_json, plan_text
from avial2c.plan.heft import NoRank
from avial2c.plan.plan import heft_schedule, place
from avial2c.plan.schedule import PLACEMENTS, SPLIT_MODES, Schedule, make_schedule
from avial2c.printer.custom import print_custom
from avial2c.printer.generic import print_generic
from avial2c.transforms.fuse import fuse_program

EXIT_OK, EXIT_INPUT_ERRORS, EXIT_RUNTIME_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
EMIT_KINDS = ("mlir", "generic", "plan", "plan-json", "dot", "c", "py")
BACKENDS = ("c", "py")


class UsageError(Exception):
    """A bad command line; reported with exit status 2, like argparse does."""


@dataclass
class Stage:
    """What the driver is working on, for `internal error:` messages."""

    what: str = "starting"
    file: str = ""


_stage = Stage()


# --------------------------------------------------------------------------
# Front end


def read_source(path: str) -> str:
    """The text of PATH; unreadable or non-UTF-8 files are input errors."""
    span = Span(path, 1, 1, 1, 1)
    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as e:
        raise CompileError(f"cannot read file: {e.strerror or e}", span) from e
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise CompileError(f"file is not UTF-8 text (byte {e.start})", span) from e


def load_program(
    path: str, *, infer_accesses: bool = False, args: argparse.Namespace | None = None
) -> CheckedProgram:
    """Parse and check PATH, printing diagnostics; raise SystemExit(1) on errors."""
    _stage.file = path
    engine = DiagnosticEngine()
    try:
        _stage.what = "reading"
        engine.source = read_source(path)

        _stage.what = "parsing"
        raw = parse_program(engine.source, "<stdin>" if path == "-" else path)
        _stage.what = "checking"
        program = check_program(raw, engine, infer_accesses=infer_accesses)
    except CompileError as e:
        engine.diagnostics.append(e.diagnostic)
        program = None
    shown = engine.render(*verbosity(args)) if engine.diagnostics else ""
    if shown:
        print(shown, file=sys.stderr)
    if program is None or engine.has_errors:
        raise SystemExit(EXIT_INPUT_ERRORS)
    return program


def machine_of(args: argparse.Namespace) -> Machine | None:
    """The machine of --machine, or the default one for --placement heft on
    the world size given (--ranks, run's -n); None when neither is needed."""
    machine = None
    if args.machine is not None:
        try:
            machine = load_machine(args.machine)
        except MachineError as e:
            raise UsageError(str(e)) from e
    size = world_size(args)
    if machine is not None and size is not None and size != machine.size:
        raise UsageError(
            f"avial2c: error: {args.machine} describes {machine.size} ranks, but "
            f"{size} are asked for"
        )
    if machine is None and args.placement == "heft":
        if size is None:
            raise UsageError(
                "avial2c: error: --placement heft places the tasks for one number of "
                "ranks: give it with --ranks N (run: -n N) or --machine FILE.toml"
            )
        machine = default_machine(size, physical_cores())
    return machine


def world_size(args: argparse.Namespace) -> int | None:
    """The number of ranks asked for on the command line, if any."""
    if getattr(args, "np", None) is not None:
        return int(args.np)
    if getattr(args, "ranks", None) is not None:
        return int(args.ranks)
    return None


def fused(program: CheckedProgram, args: argparse.Namespace) -> CheckedProgram:
    """PROGRAM with --fuse applied (a note per fusion); PROGRAM itself without it."""
    if not getattr(args, "fuse", False):
        return program
    _stage.what = "fusing tasks"
    result, done = fuse_program(program)
    if not args.quiet:
        for f in done:
            kind = "tasks and loops" if f.loops else "tasks"
            print(f"{program.file}: note: --fuse: {kind} '{f.first}' and '{f.second}' run as "
                  f"one: {f.why}", file=sys.stderr)  # fmt: skip
    return result


def schedule_of(program: CheckedProgram, args: argparse.Namespace) -> Schedule:
    """The schedule for --sync, --split and --placement; --split auto notes why
    big tasks stay whole."""
    machine = machine_of(args)
    try:
        if args.placement == "heft":
            assert machine is not None
            schedule = heft_schedule(program, args.sync, args.split, machine)
        else:
            schedule = make_schedule(program, args.sync, args.split, args.placement, machine)
    except NoRank as e:
        task = program.tasks[e.task]
        raise CompileError(f"--placement heft: no rank can run '%{task.value.name}': {e.why}",
                           task.span) from e  # fmt: skip
    if schedule.placement_note:
        print(f"avial2c: note: --placement heft: {schedule.placement_note}", file=sys.stderr)
    for k, why in schedule.notes:
        task = program.tasks[k]
        span = task.span
        print(f"{span.file}:{span.line}:{span.col}: note: '%{task.value.name}' is not split by "
              f"rows: {why}", file=sys.stderr)  # fmt: skip
    return schedule


def verbosity(args: argparse.Namespace | None) -> tuple[bool, bool, frozenset[str]]:
    """(verbose, quiet, disabled ids) from -v, -q and -Wno-ID."""
    if args is None:
        return True, False, frozenset()
    off = frozenset(w.removeprefix("no-") for w in args.warnings if w.startswith("no-"))
    return args.verbose, args.quiet, off


# --------------------------------------------------------------------------
# Commands


def emit(program: CheckedProgram, kind: str, args: argparse.Namespace) -> str:
    _stage.what = f"emitting {kind}"
    if kind == "mlir":
        return print_custom(program)
    if kind == "generic":
        return print_generic(program)
    program = fused(program, args)
    if kind == "c":
        out = generate(program, schedule_of(program, args), _emit_gpu_mode(args.gpu))
        if out.cuda is not None and args.output:
            cu = Path(args.output).with_suffix(".cu")
            cu.write_text(out.cuda)
        elif out.cuda is not None:
            print(
                "avial2c: note: the GPU tasks' CUDA sources are written beside the C only "
                "with -o PROG.c (as PROG.cu); --gpu emulate gives one self-contained C file",
                file=sys.stderr,
            )
        return out.c
    if kind == "py":
        gpu = py_gpu_mode(program, args.gpu, running=False)
        return generate_py(program, schedule_of(program, args), gpu)

    schedule = schedule_of(program, args)
    machine = machine_of(args)
    size = schedule.size or args.ranks or (machine.size if machine is not None else 2)
    plan = place(schedule, size, machine)
    return {"plan": plan_text, "plan-json": plan_json, "dot": plan_dot}[kind](plan)


def _emit_gpu_mode(mode: str) -> str:
    """`--emit c` writes sources only, so `auto` means CUDA sources for GPU tasks."""
    return "cuda" if mode == "auto" else mode


PYCUDA_NEEDED = (
    "--backend py --gpu cuda needs pycuda: pip install 'avial2c[cuda]' (pycuda builds "
    "only where the CUDA toolkit is installed), or use --gpu emulate"
)


def py_gpu_mode(program: CheckedProgram, mode: str, running: bool) -> str:
    """The Python backend's GPU mode.  `cuda` runs the kernels through pycuda
    (which `run` needs); `auto` is `cuda` when running where pycuda and a CUDA
    device are found, else `emulate` (GPU tasks on the CPU), and says which
    when there are GPU tasks; `--emit py` alone never needs a device."""
    has_gpu = has_gpu_tasks(program)
    if mode == "cuda":
        if running and has_gpu and find_spec("pycuda") is None:
            raise UsageError(f"avial2c: error: {PYCUDA_NEEDED}")
        return mode
    if mode == "emulate" or not has_gpu:
        return "emulate"
    if not running:
        why = "GPU tasks run on the CPU unless --gpu cuda is given"
        chosen = "emulate"
    elif find_spec("pycuda") is None:
        why, chosen = "pycuda not found", "emulate"
    elif not cuda_usable():
        why, chosen = "no CUDA device found", "emulate"
    else:
        why, chosen = "pycuda and a CUDA device found", "cuda"
    print(f"avial2c: --gpu auto: {why}, using '{chosen}'", file=sys.stderr)
    return chosen


def cmd_translate(args: argparse.Namespace) -> int:
    program = load_program(args.file, infer_accesses=args.infer_accesses, args=args)
    if args.emit is None:
        return EXIT_OK
    text = emit(program, args.emit, args)
    if text and not text.endswith("\n"):
        text += "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        if args.emit == "py":  # it starts with #!/usr/bin/env python3
            Path(args.output).chmod(Path(args.output).stat().st_mode | 0o111)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_build(args: argparse.Namespace) -> int:
    program = load_program(args.file, infer_accesses=args.infer_accesses, args=args)

    _stage.what = "building"
    program = fused(program, args)
    build(program, Path(args.output), sync=args.sync, gpu=args.gpu,
          schedule=schedule_of(program, args))  # fmt: skip
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    program = load_program(args.file, infer_accesses=args.infer_accesses, args=args)
    if args.interpret:
        return run_interpreted(program, args.program_args)

    _stage.what = "building"
    stem = "stdin" if args.file == "-" else Path(args.file).stem
    program = fused(program, args)
    if args.backend == "py":
        return run_python(program, stem, args)
    schedule = schedule_of(program, args)
    exe = build(program, Path("build") / stem, sync=args.sync, gpu=args.gpu, schedule=schedule)
    _stage.what = "running"
    np = args.np if args.np is not None else schedule.size  # heft: the size it is placed for
    return launch(exe, np, args.program_args, args.launcher, args.launcher_args, args.threads)


def cmd_calibrate(args: argparse.Namespace) -> int:
    _stage.what = "calibrating"
    return calibrate(args.np, args.output, args.launcher, args.launcher_args, args.quick)
def run_python(program: CheckedProgram, stem: str, args: argparse.Namespace) -> int:
    """`run --backend py`: writes build/STEM.py and launches it as the C program is."""
    if find_spec("mpi4py") is None:
        raise UsageError("avial2c: error: --backend py needs mpi4py: pip install 'avial2c[mpi]'")
    gpu = py_gpu_mode(program, args.gpu, running=True)
    schedule = schedule_of(program, args)
    script = Path("build") / f"{stem}.py"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(generate_py(program, schedule, gpu), encoding="utf-8")
    _stage.what = "running"
    exe, interpreter = python_program(script)
    np = args.np if args.np is not None else schedule.size
    return launch(exe, np, args.program_args, args.launcher, args.launcher_args, args.threads,
                  interpreter)  # fmt: skip


def run_interpreted(program: CheckedProgram, program_args: Sequence[str]) -> int:
    """`run --interpret`: the reference interpreter with the program's interface."""

    opts = parse_program_args(program_args)
    if opts.help:
        print_program_help(program)
        return EXIT_OK
    try:
        inputs = dict(load_input(program, spec) for spec in opts.inputs)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_RUNTIME_INPUT
    _stage.what = "interpreting"
    start = time.perf_counter()
    try:
        final = interpret(program, inputs)
    except CompileError as e:  # e.g. an out-of-bounds index found while running
        print(e.diagnostic.render(read_source(program.file).splitlines()), file=sys.stderr)
        return EXIT_INPUT_ERRORS
    elapsed = time.perf_counter() - start
    names = written_memrefs(program)
    for name in names:
        print(format_memref(name, final[name]))
    print(f"wall time: {elapsed:.6f} s")
    if opts.output_dir:
        try:
            write_outputs(opts.output_dir, {n: final[n] for n in names})
        except OSError as e:
            print(f"error: cannot write outputs to {opts.output_dir}: {e}", file=sys.stderr)
            return EXIT_RUNTIME_INPUT
    return EXIT_OK


@dataclass
class ProgramArgs:
    inputs: list[str] = field(default_factory=list)
    output_dir: str | None = None
    trace: str | None = None
    help: bool = False


PROGRAM_OPTIONS = ("--input", "--output-dir", "--trace")


def parse_program_args(argv: Sequence[str]) -> ProgramArgs:
    """The generated program's own options (docs/execution.md), for `--interpret`,
    read as the program reads them (runtime_c/av_args.c): '--opt VALUE' takes
    the next argument whatever it is ('--input -x=FILE.npy' for a memref
    named %-x), '--opt=VALUE' works too, and a bad command line is status 2."""
    out = ProgramArgs()
    given: set[str] = set()
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg in ("--help", "-h"):
            out.help = True
            continue
        opt = next((o for o in PROGRAM_OPTIONS if arg == o or arg.startswith(o + "=")), None)
        if opt is None:
            what = "unknown option" if arg.startswith("-") else "unexpected argument"
            raise UsageError(f"PROGRAM: error: {what} '{arg}' (try --help)")
        if arg == opt:
            if i >= len(argv):
                raise UsageError(f"PROGRAM: error: {opt} needs a value")
            value = argv[i]
            i += 1
        else:
            value = arg[len(opt) + 1 :]
        if opt == "--input":
            name, eq, path = value.partition("=")
            name = name.removeprefix("%")
            if not eq or not name or not path:
                raise UsageError(f"PROGRAM: error: --input '{value}': expected NAME=FILE.npy")
            if name in given:
                raise UsageError(f"PROGRAM: error: --input {name} given more than once")
            given.add(name)
            out.inputs.append(value)
            continue
        if (out.output_dir if opt == "--output-dir" else out.trace) is not None:
            raise UsageError(f"PROGRAM: error: {opt} given more than once")
        if not value:
            raise UsageError(f"PROGRAM: error: {opt} needs a non-empty value")
        if opt == "--output-dir":
            out.output_dir = value
        else:
            out.trace = value
    return out


def print_program_help(program: CheckedProgram) -> None:
    """What the generated program's --help prints (runtime_c/av_ctx.c)."""
    print(
        "usage: PROGRAM [--input NAME=FILE.npy]... [--output-dir DIR] [--trace FILE.json]\n\n"
        "  --input NAME=FILE.npy  initial contents of schedule memref %NAME (repeatable)\n"
        "  --output-dir DIR       write every memref a task writes as DIR/NAME.npy\n"
        "  --trace FILE.json      write a Chrome/Perfetto trace of all ranks\n"
        "  --help                 print this help\n\n"
        "schedule memrefs (without --input, memref k holds ((i + 3k) mod 11) + 1 at index i):"
    )
    for k, m in enumerate(program.memrefs):
        t = memref_type_at(program, k)
        print(f"  %{m.name}  {numpy_dtype(t.elem).name} {shape_text(t.shape)}")


# --------------------------------------------------------------------------
# Argument parsing


class _ArgParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: error: {message}")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="an .mlir file holding one avial.schedule")
    p.add_argument("--version", action="version", version=f"avial2c {__version__}")
    p.add_argument(
        "--sync", choices=("barrier", "p2p"), default="barrier",
        help="an MPI_Barrier after each level (barrier), or point-to-point ordering only",
    )  # fmt: skip
    p.add_argument(
        "--split",
        choices=SPLIT_MODES,
        default="declared",
        help="which tasks run split by rows over all ranks: those with {split = \"rows\"} "
        "(declared), also every large task that can be (auto), or none",
    )
    p.add_argument(
        "--gpu", choices=("auto", "cuda", "emulate"), default="auto",
        help="GPU tasks as CUDA kernels (cuda), as loop nests on the CPU (emulate), or cuda "
        "when nvcc and a device are there (auto)",
    )  # fmt: skip
    p.add_argument(
        "--placement", choices=PLACEMENTS, default="roundrobin",
        help="task k of a level on rank k %% size, for any size (roundrobin), or each task on "
        "the rank where it finishes first for one size (heft: --ranks N or --machine)",
    )  # fmt: skip
    p.add_argument(
        "--machine", metavar="FILE.toml", default=None,
        help="the ranks (cores, speed, GPUs) and network the cost model uses "
        "(avial2c calibrate writes one)",
    )  # fmt: skip
    p.add_argument(
        "--fuse", action="store_true",
        help="run a task and the next one, when it consumes the first's output, as one task "
        "(their loops fused when elementwise)",
    )  # fmt: skip
    p.add_argument("-v", "--verbose", action="store_true", help="every note, one by one")
    p.add_argument("-q", "--quiet", action="store_true", help="errors only")
    p.add_argument(
        "-W", dest="warnings", action="append", default=[], metavar="no-ID",
        help="-Wno-ID hides the warnings and notes of kind ID (shown as [-WID])",
    )  # fmt: skip
    p.add_argument(
        "--infer-accesses",
        action="store_true",
        help="ignore the declared reads/writes and use what the task bodies do",
    )


def translate_parser() -> argparse.ArgumentParser:
    p = _ArgParser(
        prog="avial2c",
        description="Translate an AVIAL schedule (FILE, or - for standard input).",
        epilog="commands:\n"
        "  avial2c FILE [--emit KIND]        check, or print the IR, the plan, the DAG, the C or\n"
        "                                    the Python\n"
        "  avial2c build FILE -o PROG        translate and compile (avial2c build --help)\n"
        "  avial2c run FILE [-n NP] [-- PROGRAM-ARGS]\n"
        "                                    build and launch (avial2c run --help)\n"
        "  avial2c calibrate -n N -o FILE.toml\n"
        "                                    measure this cluster into a machine file for\n"
        "                                    --machine (avial2c calibrate --help)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(p)
    p.add_argument("--emit", choices=EMIT_KINDS, help="what to print (default: only check)")
    p.add_argument("-o", "--output", help="write to this file instead of standard output")
    p.add_argument(
        "--ranks", type=int, default=None,
        help="world size the plan is made for (default: the machine file's, else 2)",
    )  # fmt: skip
    return p


def build_parser() -> argparse.ArgumentParser:
    p = _ArgParser(prog="avial2c build", description="Translate and compile a program.")
    _common(p)
    p.add_argument("-o", "--output", required=True, metavar="PROG")
    p.add_argument(
        "--ranks", type=int, default=None,
        help="--placement heft: the number of ranks the program is placed for (and runs on)",
    )  # fmt: skip
    return p


def run_parser() -> argparse.ArgumentParser:
    p = _ArgParser(
        prog="avial2c run",
        usage="%(prog)s [options] FILE [-- PROGRAM-ARGS]",
        description="Build and run a program with mpirun or srun; PROGRAM-ARGS (after --) go "
        "to the program: --input NAME=FILE.npy, --output-dir DIR, --trace FILE.json.",
    )
    _common(p)
    p.add_argument(
        "-n", "--np", type=int, default=None,
        help="number of MPI ranks (default: SLURM_NTASKS inside a Slurm allocation, else 2)",
    )  # fmt: skip
    _launcher_options(p)
    p.add_argument(
        "--threads", type=int, default=None, metavar="N",
        help="OpenMP threads per rank (default: OMP_NUM_THREADS, else cores / ranks)",
    )  # fmt: skip
    p.add_argument(
        "--interpret", action="store_true", help="run the reference interpreter instead"
    )
    p.add_argument(
        "--backend", choices=BACKENDS, default="c",
        help="run the generated C (c, the default) or the generated Python with mpi4py (py)",
    )  # fmt: skip
    return p


def _launcher_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--launcher", choices=LAUNCHERS, default="auto",
        help="srun inside a Slurm allocation, else mpirun (auto), or the one named",
    )  # fmt: skip
    p.add_argument(
        "--launcher-args", default="", metavar="ARGS",
        help="more arguments for the launcher, e.g. --launcher-args='--map-by socket'",
    )  # fmt: skip


def calibrate_parser() -> argparse.ArgumentParser:
    p = _ArgParser(
        prog="avial2c calibrate",
        description="Measure, on NP ranks launched as `avial2c run` launches programs, the "
        "network (ping-pong latency and bandwidth), one core's rate per element kind, each "
        "rank's cores and GPUs, and write them as a machine file for --machine FILE.toml.",
    )
    p.add_argument("--version", action="version", version=f"avial2c {__version__}")
    p.add_argument(
        "-n", "--np", type=int, default=None,
        help="number of MPI ranks (default: SLURM_NTASKS inside a Slurm allocation, else 2)",
    )  # fmt: skip
    p.add_argument("-o", "--output", required=True, metavar="FILE.toml",
                   help="the machine file to write")  # fmt: skip
    _launcher_options(p)
    p.add_argument(
        "--quick", action="store_true",
        help="short measurements (seconds; rougher figures), e.g. for tests",
    )  # fmt: skip
    return p


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    argv = list(argv)
    program_args: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, program_args = argv[:cut], argv[cut + 1 :]
    # Options may come before the command: avial2c --gpu emulate run FILE.
    command = next((k for k, a in enumerate(argv) if a in ("build", "run")), None)
    if (
        command is not None
        and argv[0].startswith("-")
        and not any(a.endswith(".mlir") or a == "-" for a in argv[:command])
    ):
        argv = [argv[command], *argv[:command], *argv[command + 1 :]]
    if argv and argv[0] == "build":
        ns = build_parser().parse_args(argv[1:])
        ns.command = cmd_build
    elif argv and argv[0] == "run":
        ns = run_parser().parse_args(argv[1:])
        ns.command = cmd_run
    elif argv and argv[0] == "calibrate":
        ns = calibrate_parser().parse_args(argv[1:])
        ns.command = cmd_calibrate
        if ns.np is not None and ns.np < 1:
            raise UsageError(f"avial2c calibrate: error: -n must be at least 1, not {ns.np}")
        if program_args:
            raise UsageError("avial2c calibrate: error: it takes no program arguments (after --)")
    else:
        ns = translate_parser().parse_args(argv)
        ns.command = cmd_translate
    if getattr(ns, "ranks", None) is not None and ns.ranks < 1:
        raise UsageError("avial2c: error: --ranks must be at least 1")
    if any(getattr(ns, k, None) is not None and getattr(ns, k) < 1 for k in ("np", "threads")):
        raise UsageError("avial2c run: error: -n and --threads must be at least 1")
    ns.program_args = program_args
    return ns


def main(argv: Sequence[str]) -> int:
    try:
        args = parse_args(argv)
        result: int = args.command(args)
        return result
    except UsageError as e:
        print(e, file=sys.stderr)
        return EXIT_RUNTIME_INPUT
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else EXIT_INPUT_ERRORS
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except CompileError as e:
        print(e.diagnostic.render(None), file=sys.stderr)
        return EXIT_INPUT_ERRORS
    except (ToolError, LaunchError) as e:
        print(f"avial2c: error: {e}", file=sys.stderr)
        return EXIT_RUNTIME_INPUT
    except Exception as e:  # the last line of defence: never a traceback
        where = f"{_stage.file}: " if _stage.file else ""
        print(
            f"{where}internal error: while {_stage.what}: {type(e).__name__}: {e}",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


__all__ = ["NO_SPAN", "load_program", "main"]
