"""Random valid avial programs, for differential testing (test_fuzz.py).

A program is drawn as a small description (:class:`ProgramSpec`: memrefs,
targets, tasks with their reads, writes, loop kind and one expression per
written memref) by the hypothesis strategy :func:`programs`, then rendered as
text in one of three spellings:

* ``explicit``: typed custom form, ``avial.task %t reads(...) writes(...)``;
* ``seed``: the seed form's task header ``avial.task %t, %r1, ..., %w`` (the
  last operand is written) for tasks with one write, typed bodies;
* ``generic``: MLIR's generic form, as avial2c's printer writes it.

Names are either plain (``%m0``, ``%t0``, ``%v1``) or *hostile*
(:mod:`hostile`): memrefs, tasks and body values named like C keywords,
macros of the headers the generated C includes, MPI and CUDA names, names
that differ only in case or by an underscore, names C cannot spell, very
long names; task ``{name = "..."}`` labels are hostile strings (Unicode,
comment closers, escapes).  Constants include each type's edge values.

Bodies use the ops of LANGUAGE.md that the C generator and the interpreter
must agree on bit for bit: integer and float arithmetic (division by zero,
overflow and out-of-range shifts included), comparisons, select, casts
between all element types and a few math functions, inside ``scf.parallel``
(full or partial cover), ``scf.for`` nests, ``scf.for`` reductions with
``iter_args``, or a ``gpu.launch``: with a bound guard, staging in workgroup
memory around ``gpu.barrier``, barriers inside ``scf.for`` loops whose
bounds are computed from uniform values (``%bx + 1``, ``%bx * 2``,
``%c1 + %c1``, ``gpu.grid_dim``), nested such loops (phases within
phases), and thread-private ``memref.alloca`` buffers live across
barriers.

With ``programs(loops=True)`` the schedule also holds *time loops*
(:class:`LoopSpec`): ``scf.for`` around contiguous runs of tasks, nested or
side by side, with zero to a few trips, steps of 1 or 2 and lower bounds
that are not always 0 (bounds are integer literals in the seed spelling,
``arith.constant`` index values of the schedule region otherwise).  Tasks
are then drawn alone or as *ping-pong* pairs (one reads u and writes v, the
next reads v and writes u), and written values often build on the value
read, so that the results depend on the number of iterations; a task in a
loop may add an enclosing loop's induction variable to what it stores
(``TaskSpec.iv``).  Not a test module.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from hostile import HOSTILE_STRINGS, mangle_collisions, name_categories
from hypothesis import strategies as st

SHAPES = [(), (1,), (6,), (16,), (4, 4), (3, 5), (2, 3, 2)]
ELEMS = ["i1", "i8", "i16", "i32", "i64", "index", "f32", "f64"]
INT_BINARY = ["addi", "subi", "muli", "divsi", "divui", "remsi", "remui", "ceildivsi",
              "floordivsi", "andi", "ori", "xori", "shli", "shrsi", "shrui", "minsi", "maxsi",
              "minui", "maxui"]  # fmt: skip
FLOAT_BINARY = ["addf", "subf", "mulf", "divf", "remf", "minimumf", "maximumf", "minnumf",
                "maxnumf"]  # fmt: skip
FLOAT_UNARY = ["negf", "math.absf", "math.floor", "math.ceil", "math.round", "math.sqrt",
               "math.sin", "math.exp", "math.tanh"]  # fmt: skip
INT_PREDICATES = ["eq", "ne", "slt", "sle", "sgt", "sge", "ult", "ule", "ugt", "uge"]
FLOAT_PREDICATES = ["oeq", "one", "olt", "ole", "ogt", "oge", "ord", "ueq", "une", "ult",
                    "ule", "ugt", "uge", "uno"]  # fmt: skip
CPU_ARCHS = ["x86_64", "aarch64", "cpu"]
GPU_ARCHS = ["sm_80", "sm_90", "gpu"]
CPU_KINDS = ["parallel", "partial", "for", "reduce", "preduce"]
# barrier_loop: an scf.for with computed uniform bounds around barrier phases;
# phases: two such loops nested; private: a thread-private alloca live across them.
GPU_KINDS = ["launch", "shared", "barrier_loop", "phases", "private"]
KINDS = CPU_KINDS + GPU_KINDS
# How a barrier loop's bounds are computed from values uniform in a block.
UNIFORM_BOUNDS = ["const", "bx+1", "bx*2", "c1+c1", "grid", "min", "bx..bx+2"]
# Task ranks: small ones, and ones at the largest rank number (2**31 - 1).
RANKS = [2**31 - 1, 2**31 - 2]  # larger ones are errors: see the validity fuzzer
SPELLINGS = ["explicit", "seed", "generic"]

BITS = {"i1": 1, "i8": 8, "i16": 16, "i32": 32, "i64": 64, "index": 64}

# Float constants at the edges: the largest finite f32, beyond it (inf as
# f32), the smallest normal and subnormal values, negative zero.
FLOAT_EDGES = [3.4028234663852886e38, 1e39, 1.1754943508222875e-38, 1e-45, 5e-324, -0.0,
               1.7976931348623157e308]  # fmt: skip
N_EDGES = 8  # the integer edges: see TaskWriter.edge_const


def is_float(t: str) -> bool:
    return t in ("f32", "f64")


def float_text(x: float) -> str:
    """An MLIR float literal (it needs a decimal point: 1.0e+30, not 1e+30)."""
    text = repr(x)
    if "." not in text:
        text = text.replace("e", ".0e") if "e" in text else text + ".0"
    return text


# --------------------------------------------------------------------------
# The description


@dataclass(frozen=True)
class Expr:
    """``load`` (memref index; ``shifted`` reads the next element, wrapping
    around), ``const`` (value), ``edge`` (the type's ARG-th edge value),
    ``bin``/``un``/``select``/``if`` (operation or predicate in ``arg``),
    ``while`` (bit length of the operand by halving)."""

    kind: str
    arg: int | float | str = 0
    kids: tuple[Expr, ...] = ()


@dataclass(frozen=True)
class TaskSpec:
    kind: str  # one of KINDS
    target: int  # index into ProgramSpec.targets
    reads: tuple[int, ...]
    writes: tuple[int, ...]
    exprs: tuple[Expr, ...]  # one per write
    rank: int | None = None
    bound: str = "const"  # GPU barrier loops: one of UNIFORM_BOUNDS
    label: str | None = None  # {name = "..."}, an MLIR string body (escapes kept)
    # Inside time loops: each written value gets the induction variable of
    # the IV-th enclosing loop (0: the innermost; modulo their number) added.
    iv: int | None = None
    split: bool = False  # {split = "rows"} (programs(split=True); see splittable)


@dataclass(frozen=True)
class LoopSpec:
    """A time loop: ``scf.for %iv = lb to ub step step`` around the tasks
    ``first .. last - 1`` of the schedule.  Two loops of a program are
    disjoint or nested; of two loops around the same tasks, the earlier in
    ``ProgramSpec.loops`` is the outer one."""

    first: int
    last: int  # exclusive; > first
    lb: int
    ub: int
    step: int  # > 0

    @property
    def trips(self) -> int:
        return max(0, -(-(self.ub - self.lb) // self.step))


@dataclass(frozen=True)
class ProgramSpec:
    shapes: tuple[tuple[int, ...], ...]
    elems: tuple[str, ...]
    targets: tuple[str, ...]  # archs
    tasks: tuple[TaskSpec, ...]
    spelling: str = "explicit"
    # Names without '%' (empty: m0.., t0.., v1..): of the memrefs, of the
    # tasks, and those the first values of every task body take.
    memref_names: tuple[str, ...] = ()
    task_names: tuple[str, ...] = ()
    value_names: tuple[str, ...] = ()
    func_name: str = "@main"
    loops: tuple[LoopSpec, ...] = ()  # time loops around runs of tasks
    loop_names: tuple[str, ...] = ()  # of their induction variables (empty: time0..)

    def memref(self, k: int) -> str:
        return "%" + (self.memref_names[k] if self.memref_names else f"m{k}")

    def task_name(self, i: int) -> str:
        return "%" + (self.task_names[i] if self.task_names else f"t{i}")

    def iv_name(self, j: int) -> str:
        return "%" + (self.loop_names[j] if self.loop_names else f"time{j}")


# --------------------------------------------------------------------------
# Strategies


def exprs(reads: tuple[int, ...], depth: int) -> st.SearchStrategy[Expr]:
    leaves: list[st.SearchStrategy[Expr]] = [
        st.builds(Expr, st.just("const"), st.integers(-9, 9)),
        st.builds(Expr, st.just("const"), st.sampled_from([0.5, -2.25, 3.0, 1e30])),
        st.builds(Expr, st.just("edge"), st.integers(0, N_EDGES - 1)),
    ]
    if reads:
        leaves.append(st.builds(Expr, st.just("load"), st.sampled_from(reads)))
        leaves.append(st.builds(Expr, st.just("load"), st.sampled_from(reads)))
        leaves.append(st.builds(Expr, st.just("shifted"), st.sampled_from(reads)))
    leaf = st.one_of(leaves)
    if depth == 0:
        return leaf
    sub = exprs(reads, depth - 1)
    return st.one_of(
        leaf,
        st.builds(Expr, st.just("bin"), st.sampled_from(INT_BINARY + FLOAT_BINARY),
                  st.tuples(sub, sub)),
        st.builds(Expr, st.just("un"), st.sampled_from(FLOAT_UNARY), st.tuples(sub)),
        st.builds(Expr, st.just("select"), st.sampled_from(INT_PREDICATES + FLOAT_PREDICATES),
                  st.tuples(sub, sub, sub, sub)),
        st.builds(Expr, st.just("if"), st.sampled_from(INT_PREDICATES + FLOAT_PREDICATES),
                  st.tuples(sub, sub, sub, sub)),
        st.builds(Expr, st.just("while"), st.just(0), st.tuples(sub)),
    )  # fmt: skip


# How an *update* combines the value read with the rest of the expression:
# written values that build on the old ones make results depend on how often
# a time loop runs its tasks.
UPDATE_OPS = ["addi", "addf", "subi", "subf", "xori"]


@st.composite
def task_specs(
    draw: st.DrawFn,
    shapes: tuple[tuple[int, ...], ...],
    targets: tuple[str, ...],
    gpu_kinds: tuple[str, ...] = tuple(GPU_KINDS),
    hostile: bool = False,
    loops: bool = False,
    io: tuple[tuple[int, ...], tuple[int, ...]] | None = None,
) -> TaskSpec:
    """A task.  LOOPS: for a program with time loops (the task may update a
    memref and use an induction variable); IO: its reads and writes, given
    (then its first write is an update of its first read)."""
    n = len(shapes)
    if io is None:
        first = draw(st.integers(0, n - 1))
        same = [k for k in range(n) if shapes[k] == shapes[first] and k != first]
        extra = draw(st.lists(st.sampled_from(same), max_size=1, unique=True)) if same else []
        writes = tuple([first, *extra])
        reads = tuple(draw(st.lists(st.integers(0, n - 1), max_size=3, unique=True)))
    else:
        reads, writes = io
        first = writes[0]
    target = draw(st.integers(0, len(targets) - 1))
    gpu = targets[target] in GPU_ARCHS
    if gpu:
        kind = draw(st.sampled_from(gpu_kinds))
    elif shapes[first] == ():
        kind = draw(st.sampled_from(["parallel", "reduce"]))
    else:
        kind = draw(st.sampled_from(CPU_KINDS))
    if not loops:
        body = tuple(draw(exprs(reads, 2)) for _ in writes)
    else:
        source = reads[0] if io is not None else (first if draw(st.booleans()) else None)
        if source is not None and source not in reads:
            reads = (source, *reads)
        body = tuple(draw(exprs(reads, 2)) for _ in writes[1:])
        if source is None:
            body = (draw(exprs(reads, 2)), *body)
        else:
            op = draw(st.sampled_from(UPDATE_OPS))
            more = draw(exprs(reads, 1))
            body = (Expr("bin", op, (Expr("load", source), more)), *body)
    rank = draw(st.none() | st.none() | st.integers(0, 5) | st.sampled_from(RANKS))
    bound = draw(st.sampled_from(UNIFORM_BOUNDS))
    label = draw(st.none() | st.sampled_from(HOSTILE_STRINGS)) if hostile else None
    iv = draw(st.none() | st.integers(0, 2)) if loops else None
    return TaskSpec(kind, target, reads, writes, body, rank, bound, label, iv)


@st.composite
def loop_bounds(draw: st.DrawFn) -> tuple[int, int, int]:
    """(lb, ub, step) of a time loop: 0 to 4 trips (0: ub == lb, or below
    it), step 1 or 2, an upper bound that is sometimes not lb + trips * step."""
    trips = draw(st.sampled_from([1, 2, 3, 4, 2, 3, 0]))
    step = draw(st.integers(1, 2))
    lb = draw(st.sampled_from([0, 0, 0, 1, 3, -2]))
    slack = draw(st.integers(0, step - 1 if trips else 1))
    return lb, lb + trips * step - slack, step


@st.composite
def ping_pong(
    draw: st.DrawFn,
    shapes: tuple[tuple[int, ...], ...],
    targets: tuple[str, ...],
    gpu_kinds: tuple[str, ...],
    hostile: bool,
) -> tuple[TaskSpec, TaskSpec]:
    """Two tasks, the first reads U and writes V, the second reads V and
    writes U, each updating what it reads (U and V may be the same memref)."""
    n = len(shapes)
    u, v = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
    others = tuple(draw(st.lists(st.integers(0, n - 1), max_size=1)))
    there = draw(task_specs(shapes, targets, gpu_kinds, hostile, True, ((u, *others), (v,))))
    back = draw(task_specs(shapes, targets, gpu_kinds, hostile, True, ((v,), (u,))))
    return there, back


def laminar(a: LoopSpec, b: LoopSpec) -> bool:
    """Whether A and B are disjoint or one holds the other."""
    if a.last <= b.first or b.last <= a.first:
        return True
    return (a.first <= b.first and b.last <= a.last) or (b.first <= a.first and a.last <= b.last)


@st.composite
def looped_tasks(
    draw: st.DrawFn,
    shapes: tuple[tuple[int, ...], ...],
    targets: tuple[str, ...],
    gpu_kinds: tuple[str, ...],
    hostile: bool,
) -> tuple[tuple[TaskSpec, ...], tuple[LoopSpec, ...]]:
    """Tasks (alone or in ping-pong pairs) and at least one time loop: most
    pairs in a loop of their own, a few more loops around runs of tasks
    (nested in those or around them; one that would cross another is left out)."""
    single = task_specs(shapes, targets, gpu_kinds, hostile, loops=True).map(lambda t: (t,))
    pair = ping_pong(shapes, targets, gpu_kinds, hostile)
    bounds = loop_bounds()
    groups = draw(st.lists(st.tuples(st.one_of(single, pair, pair), st.none() | bounds | bounds),
                           min_size=1, max_size=4))  # fmt: skip
    tasks: list[TaskSpec] = []
    loops: list[LoopSpec] = []
    for group, around in groups:
        if around is not None:
            loops.append(LoopSpec(len(tasks), len(tasks) + len(group), *around))
        tasks += group
    n = len(tasks)
    more = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(1, n), bounds),
                         min_size=0 if loops else 1, max_size=2))  # fmt: skip
    for first, last, around in more:
        loop = LoopSpec(first, max(first + 1, last), *around)
        if all(laminar(loop, other) for other in loops):
            loops.append(loop)
    return tuple(tasks), tuple(loops)


# The names progen itself gives (targets, loop variables, launch ids, the
# fallback value names, time loops' induction variables and bounds): hostile
# names must not take them.
OWN_NAMES = re.compile(r"(?:tgt\d+|t\d+|time\d+|tc\d+|i\d+|j\d+|k|it\d+|[bgst][xyz]|v\d+|m\d+)\Z")


@st.composite
def hostile_names(
    draw: st.DrawFn, n_memrefs: int, n_tasks: int, names: tuple[str, ...] | None = None
) -> tuple[tuple[str, ...], ...]:
    """Unique hostile names for the memrefs, the tasks, and a pool for body
    values: from NAMES, or from one to three kinds of hostile names."""
    if names is None:
        cats = name_categories()
        kinds = draw(st.lists(st.sampled_from(sorted(cats)), min_size=1, max_size=3, unique=True))
        names = tuple(n for k in kinds for n in cats[k])
        collide = draw(st.booleans())
    else:
        collide = False
    pool = [x for x in names if not OWN_NAMES.match(x)] or ["x"]
    need = n_memrefs + n_tasks
    least = min(len(pool), need)
    drawn = draw(st.lists(st.sampled_from(pool), min_size=least,
                          max_size=max(least, min(len(pool), need + 12)), unique=True))  # fmt: skip
    # A small pool is stretched with suffixes (still names starting like the pool's).
    drawn += [f"{drawn[k % len(drawn)]}_{k}" for k in range(len(drawn), need)]
    if n_memrefs >= 2 and collide:
        a, b = draw(st.sampled_from(mangle_collisions()))
        drawn = [a, b, *[x for x in drawn if x not in (a, b)]]
    return (tuple(drawn[:n_memrefs]), tuple(drawn[n_memrefs:need]), tuple(drawn[need:]))


@st.composite
def programs(
    draw: st.DrawFn,
    hostile: bool | None = None,
    gpu: bool | None = None,
    gpu_kinds: tuple[str, ...] = tuple(GPU_KINDS),
    shapes: tuple[tuple[int, ...], ...] = tuple(SHAPES),
    targets: str = "any",
    names: tuple[str, ...] | None = None,
    loops: bool = False,
    split: bool = False,
) -> ProgramSpec:
    """A random program.  HOSTILE (None: drawn) gives hostile names; GPU (None:
    drawn) adds a GPU target, whose tasks are of GPU_KINDS (TARGETS "gpu":
    the only target, so every task is a GPU task); SHAPES are the memref
    shapes drawn from; NAMES, if given, the hostile names; LOOPS: time loops
    in the schedule (see :func:`looped_tasks`; without, none are drawn);
    SPLIT: CPU tasks over a memref with rows become, each with probability
    1/2, unpinned scf.parallel tasks that ask for {split = "rows"}
    (:func:`splittable` then drops the requests the checker refuses)."""
    n = draw(st.integers(2, 8))
    shape_list = tuple(draw(st.lists(st.sampled_from(shapes), min_size=n, max_size=n)))
    elems = tuple(draw(st.lists(st.sampled_from(ELEMS), min_size=n, max_size=n)))
    cpu = draw(st.sampled_from(CPU_ARCHS))
    with_gpu = draw(st.booleans()) if gpu is None else gpu
    arch = draw(st.sampled_from(GPU_ARCHS))
    chosen = (cpu, arch) if with_gpu else (cpu,)
    if targets == "gpu":
        chosen = (arch,)
    is_hostile = draw(st.booleans()) if hostile is None else hostile
    time_loops: tuple[LoopSpec, ...] = ()
    if loops:
        tasks, time_loops = draw(looped_tasks(shape_list, chosen, gpu_kinds, is_hostile))
    else:
        tasks = tuple(draw(st.lists(task_specs(shape_list, chosen, gpu_kinds, is_hostile),
                                    min_size=1, max_size=6)))  # fmt: skip
    if split:
        tasks = tuple(
            replace(t, kind="parallel", split=True)
            if t.kind in CPU_KINDS and chosen[t.target] not in GPU_ARCHS
            and shape_list[t.writes[0]] != () and draw(st.booleans())
            else t
            for t in tasks
        )  # fmt: skip
        tasks = tuple(replace(t, rank=None) if t.split else t for t in tasks)
    spelling = draw(st.sampled_from(SPELLINGS))
    if not is_hostile:
        return ProgramSpec(shape_list, elems, chosen, tasks, spelling, loops=time_loops)
    n_named = len(tasks) + len(time_loops)
    memref_names, named, value_names = draw(hostile_names(n, n_named, names))
    func_name = draw(st.sampled_from(["@main", '@"ünïcödé main"', "@MPI_Init", "@_start",
                                      '@"a b"', "@INT32_MAX"]))  # fmt: skip
    return ProgramSpec(shape_list, elems, chosen, tasks, spelling, memref_names,
                       named[: len(tasks)], value_names, func_name, time_loops,
                       named[len(tasks) :])  # fmt: skip


def splittable(spec: ProgramSpec, refused: Callable[[str], int | None]) -> ProgramSpec:
    """SPEC without the split requests the checker refuses.  REFUSED takes the
    rendered text and returns the index of a task whose split it refuses (a
    load whose row index is not the row plus a constant, ...), or None."""
    for _ in spec.tasks:
        k = refused(render(spec))
        if k is None:
            return spec
        tasks = list(spec.tasks)
        tasks[k] = replace(tasks[k], split=False)
        spec = replace(spec, tasks=tuple(tasks))
    return spec


# --------------------------------------------------------------------------
# Rendering


def memref_type(spec: ProgramSpec, k: int) -> str:
    dims = "".join(f"{d}x" for d in spec.shapes[k])
    return f"memref<{dims}{spec.elems[k]}>"


def frame(spec: ProgramSpec, mlir_opt: bool = False) -> tuple[list[str], list[str]]:
    """The lines before the tasks (the function, the schedule and its
    targets) and those after them, as :func:`render` writes them."""
    n = len(spec.shapes)
    args = ", ".join(f"{spec.memref(k)}: {memref_type(spec, k)}" for k in range(n))
    names = ", ".join(spec.memref(k) for k in range(n))
    types = ", ".join(memref_type(spec, k) for k in range(n))
    head = [
        "// generated by tests/progen.py",
        f"func.func {spec.func_name}({args}) {{",
        f'  "avial.schedule"({names}) ({{'
        if mlir_opt
        else f"  avial.schedule {names} : {types} {{",
    ]
    for j, arch in enumerate(spec.targets):
        if mlir_opt:
            head.append(f'    %tgt{j} = "avial.target"() {{arch = "{arch}"}} : () -> !avial.target')
        else:
            head.append(f'    %tgt{j} = avial.target {{arch = "{arch}"}}')
    close = ['    "avial.yield"() : () -> ()', f"  }}) : ({types}) -> ()"] if mlir_opt else ["  }"]
    return head, [*close, "  return", "}", ""]


def task_lines(
    spec: ProgramSpec,
    i: int,
    name: str | None = None,
    loop_ivs: tuple[str, ...] = (),
    mlir_opt: bool = False,
    depth: int = 0,
) -> list[str]:
    """Task I, named NAME (its own name if None), in the schedule region
    (indented for DEPTH loops); LOOP_IVS are the values its ``iv`` picks
    from: the induction variables of its loops, outermost first."""
    writer = TaskWriter(spec, spec.tasks[i], name or spec.task_name(i), loop_ivs=loop_ivs)
    lines = writer.generic_lines() if mlir_opt else writer.lines()
    return ["  " * depth + line for line in lines]


@dataclass(frozen=True)
class Nest:
    """A time loop (index into ``ProgramSpec.loops``) and its body: task
    indices and nested loops, in program order."""

    loop: int
    items: tuple[int | Nest, ...]


def schedule_items(spec: ProgramSpec) -> tuple[int | Nest, ...]:
    """The schedule region of SPEC as a tree: task indices and loops."""
    n = len(spec.tasks)
    for j, loop in enumerate(spec.loops):
        if not (0 <= loop.first < loop.last <= n and loop.step > 0):
            raise ValueError(f"loop {j} ({loop}) is not around tasks of the program")
        if not all(laminar(loop, other) for other in spec.loops):
            raise ValueError(f"loop {j} ({loop}) crosses another")
    # Outer loops first: the earliest start, then the latest end, then list order.
    order = sorted(range(len(spec.loops)),
                   key=lambda j: (spec.loops[j].first, -spec.loops[j].last, j))  # fmt: skip
    top: list[int | Nest] = []
    open_loops: list[tuple[int, list[int | Nest]]] = []

    def close() -> None:
        j, items = open_loops.pop()
        (open_loops[-1][1] if open_loops else top).append(Nest(j, tuple(items)))

    for i in range(n):
        while open_loops and spec.loops[open_loops[-1][0]].last <= i:
            close()
        while order and spec.loops[order[0]].first == i:
            open_loops.append((order.pop(0), []))
        (open_loops[-1][1] if open_loops else top).append(i)
    while open_loops:
        close()
    return tuple(top)


@dataclass
class ScheduleWriter:
    """The schedule region's tasks and time loops.  Loop bounds are integer
    literals in the seed spelling, else ``arith.constant`` index values
    written before the loop (%tc0, %tc1, ...)."""

    spec: ProgramSpec
    mlir_opt: bool
    out: list[str] = field(default_factory=list)
    consts: int = 0

    def items(self, items: tuple[int | Nest, ...], ivs: tuple[str, ...], depth: int) -> None:
        for item in items:
            if isinstance(item, Nest):
                self.loop(item, ivs, depth)
            else:
                self.out += task_lines(self.spec, item, None, ivs, self.mlir_opt, depth)

    def loop(self, nest: Nest, ivs: tuple[str, ...], depth: int) -> None:
        j, loop = nest.loop, self.spec.loops[nest.loop]
        pad = "    " + "  " * depth
        iv = self.spec.iv_name(j)
        literals = self.spec.spelling == "seed" and not self.mlir_opt
        if literals:
            step = "" if loop.step == 1 and j % 2 else f" step {loop.step}"
            self.out.append(f"{pad}scf.for {iv} = {loop.lb} to {loop.ub}{step} {{")
        else:
            lb, ub, step = (self.const(x, pad) for x in (loop.lb, loop.ub, loop.step))
            self.out.append(f"{pad}scf.for {iv} = {lb} to {ub} step {step} {{")
        self.items(nest.items, (*ivs, iv), depth + 1)
        if j % 2 and not literals:
            self.out.append(f"{pad}  scf.yield")
        self.out.append(f"{pad}}}")

    def const(self, value: int, pad: str) -> str:
        name = f"%tc{self.consts}"
        self.consts += 1
        self.out.append(f"{pad}{name} = arith.constant {value} : index")
        return name


def render(spec: ProgramSpec, mlir_opt: bool = False) -> str:
    """The program as text in the typed custom form (time loops in the
    schedule: see :class:`ScheduleWriter`); ``spelling`` generic is
    done by the caller with avial2c's printer (see test_fuzz.py).  MLIR_OPT
    writes the avial ops in the generic form (the upstream ops stay in their
    custom syntax, the names stay), which mlir-opt reads too."""
    head, tail = frame(spec, mlir_opt)
    writer = ScheduleWriter(spec, mlir_opt)
    writer.items(schedule_items(spec), (), 0)
    return "\n".join([*head, *writer.out, *tail])


@dataclass
class TaskWriter:
    spec: ProgramSpec
    task: TaskSpec
    name: str  # with its '%'
    out: list[str] = field(default_factory=list)
    count: int = 0
    ivs: list[str] = field(default_factory=list)
    loop_shape: tuple[int, ...] = ()  # the extents the ivs run over
    indent: str = "      "
    loop_ivs: tuple[str, ...] = ()  # of the enclosing time loops, outermost first

    # values

    def fresh(self) -> str:
        """A new value name: the spec's hostile names first, then %v1, %v2..."""
        self.count += 1
        pool = self.spec.value_names
        if self.count <= len(pool):
            return "%" + pool[self.count - 1]
        return f"%v{self.count}"

    def mem(self, k: int) -> str:
        return self.spec.memref(k)

    def emit(self, text: str) -> None:
        self.out.append(self.indent + text)

    def const(self, value: int | float, t: str) -> str:
        v = self.fresh()
        if is_float(t):
            self.emit(f"{v} = arith.constant {float_text(float(value))} : {t}")
            return v
        n = int(value) if abs(value) < 100 else 7
        if t == "i1":
            self.emit(f"{v} = arith.constant {'true' if n % 2 else 'false'}")
        else:
            self.emit(f"{v} = arith.constant {n} : {t}")
        return v

    def edge_const(self, k: int, t: str) -> str:
        """The K-th edge value of type T, sometimes in its unsigned spelling
        (255 : i8 is -1) or as a hexadecimal bit pattern."""
        v = self.fresh()
        if t == "i1":
            text = ["true", "false", "1 : i1", "-1 : i1", "0 : i1"][k % 5]
            self.emit(f"{v} = arith.constant {text}")
            return v
        if is_float(t):
            if k == N_EDGES - 1:  # a NaN with a payload, as a bit pattern
                text = "0x7FC00001" if t == "f32" else "0x7FF8000000000001"
            else:
                text = float_text(FLOAT_EDGES[k % len(FLOAT_EDGES)])
            self.emit(f"{v} = arith.constant {text} : {t}")
            return v
        b = BITS[t]
        lo, hi = -(1 << (b - 1)), (1 << (b - 1)) - 1
        value = [lo, hi, -1, lo + 1, (1 << b) - 1, 1 << (b - 1), 1 << (b // 2), 0][k % N_EDGES]
        if t == "index" and value > hi:  # MLIR reads index constants as signed only
            value -= 1 << b
        self.emit(f"{v} = arith.constant {value} : {t}")
        return v

    def cast(self, v: str, src: str, dst: str) -> str:
        if src == dst:
            return v
        if is_float(src) and is_float(dst):
            op = "extf" if dst == "f64" else "truncf"
        elif is_float(src):
            op = "fptosi" if dst != "index" else None
            if op is None:
                v = self.cast(v, src, "i64")
                return self.cast(v, "i64", "index")
        elif is_float(dst):
            if src == "index":
                v = self.cast(v, "index", "i64")
                src = "i64"
            op = "sitofp"
        elif src == "index" or dst == "index":
            op = "index_cast"
        else:
            op = "extsi" if BITS[dst] > BITS[src] else "trunci"
        r = self.fresh()
        self.emit(f"{r} = arith.{op} {v} : {src} to {dst}")
        return r

    # indices

    def index_const(self, value: int) -> str:
        return self.const(value, "index")

    def indices(self, k: int) -> str:
        """Indices of memref k at the loop position (clamped to its extents)."""
        shape = self.spec.shapes[k]
        if self.ivs and shape == self.loop_shape:
            return ", ".join(self.ivs)
        out = []
        for d, extent in enumerate(shape):
            if not self.ivs:
                out.append(self.index_const(min(d, extent - 1)))
                continue
            iv = self.ivs[d % len(self.ivs)]
            v = self.fresh()
            self.emit(f"{v} = arith.minui {iv}, {self.index_const(extent - 1)} : index")
            out.append(v)
        return ", ".join(out)

    def load(self, k: int) -> str:
        v = self.fresh()
        idx = self.indices(k)
        self.emit(f"{v} = memref.load {self.mem(k)}[{idx}] : {memref_type(self.spec, k)}")
        return v

    def load_next(self, k: int) -> str:
        """Memref k at the loop position plus one in its last dimension, wrapping."""
        shape = self.spec.shapes[k]
        if not shape:
            return self.load(k)
        parts = self.indices(k).split(", ")
        last = self.fresh()
        self.emit(f"{last} = arith.addi {parts[-1]}, {self.index_const(1)} : index")
        wrapped = self.fresh()
        self.emit(f"{wrapped} = arith.remui {last}, {self.index_const(shape[-1])} : index")
        v = self.fresh()
        idx = ", ".join([*parts[:-1], wrapped])
        self.emit(f"{v} = memref.load {self.mem(k)}[{idx}] : {memref_type(self.spec, k)}")
        return v

    # expressions

    def expr(self, e: Expr, t: str) -> str:
        """E as a value of type T."""
        if e.kind == "const":
            return self.const(e.arg if is_float(t) else int(e.arg), t)
        if e.kind == "edge":
            return self.edge_const(int(e.arg), t)
        if e.kind in ("load", "shifted"):
            k = int(e.arg)
            # Another iteration's element of a memref the task writes would be
            # a race in scf.parallel and gpu.launch (the author's bug, as in
            # MLIR); only the sequential loops may read it.
            racy = k in self.task.writes and self.task.kind not in ("for", "reduce")
            v = self.load_next(k) if e.kind == "shifted" and not racy else self.load(k)
            return self.cast(v, self.spec.elems[k], t)
        if e.kind == "if":
            return self.if_expr(str(e.arg), e.kids, t)
        if e.kind == "while":
            return self.while_expr(e.kids[0], t)
        if e.kind == "bin":
            return self.binary(str(e.arg), e.kids, t)
        if e.kind == "un":
            return self.unary(str(e.arg), e.kids[0], t)
        return self.select(str(e.arg), e.kids, t)

    def binary(self, op: str, kids: tuple[Expr, ...], t: str) -> str:
        work = t
        if op in FLOAT_BINARY and not is_float(t):
            work = "f64"
        elif op in INT_BINARY and is_float(t):
            work = "i32"
        if t == "i1" and op in ("divsi", "divui", "remsi", "remui", "ceildivsi", "floordivsi"):
            work = "i8"
        a, b = self.expr(kids[0], work), self.expr(kids[1], work)
        v = self.fresh()
        self.emit(f"{v} = arith.{op} {a}, {b} : {work}")
        return self.cast_any(v, work, t)

    def unary(self, op: str, kid: Expr, t: str) -> str:
        work = t if is_float(t) else "f32"
        x = self.expr(kid, work)
        v = self.fresh()
        name = op if "." in op else f"arith.{op}"
        self.emit(f"{v} = {name} {x} : {work}")
        return self.cast_any(v, work, t)

    def select(self, pred: str, kids: tuple[Expr, ...], t: str) -> str:
        floats = pred in FLOAT_PREDICATES and pred not in INT_PREDICATES
        ctype = ("f64" if floats else "i64") if t == "i1" else t
        if floats and not is_float(ctype):
            ctype = "f32"
        if not floats and is_float(ctype):
            ctype = "i16"
        a, b = self.expr(kids[0], ctype), self.expr(kids[1], ctype)
        c = self.fresh()
        op = "cmpf" if is_float(ctype) else "cmpi"
        p = pred if (op == "cmpf") == floats else ("olt" if op == "cmpf" else "slt")
        self.emit(f"{c} = arith.{op} {p}, {a}, {b} : {ctype}")
        x, y = self.expr(kids[2], t), self.expr(kids[3], t)
        v = self.fresh()
        self.emit(f"{v} = arith.select {c}, {x}, {y} : {t}")
        return v

    def condition(self, pred: str, kids: tuple[Expr, ...], t: str) -> str:
        floats = pred in FLOAT_PREDICATES and pred not in INT_PREDICATES
        ctype = "f64" if floats else ("i64" if t in ("i1",) or is_float(t) else t)
        a, b = self.expr(kids[0], ctype), self.expr(kids[1], ctype)
        c = self.fresh()
        self.emit(f"{c} = arith.{'cmpf' if floats else 'cmpi'} {pred}, {a}, {b} : {ctype}")
        return c

    def if_expr(self, pred: str, kids: tuple[Expr, ...], t: str) -> str:
        """scf.if with a result: each branch computes its own value."""
        c = self.condition(pred, kids, t)
        r = self.fresh()
        self.emit(f"{r} = scf.if {c} -> ({t}) {{")
        self.indent += "  "
        x = self.expr(kids[2], t)
        self.emit(f"scf.yield {x} : {t}")
        self.indent = self.indent[:-2]
        self.emit("} else {")
        self.indent += "  "
        y = self.expr(kids[3], t)
        self.emit(f"scf.yield {y} : {t}")
        self.indent = self.indent[:-2]
        self.emit("}")
        return r

    def while_expr(self, kid: Expr, t: str) -> str:
        """How many halvings (shrui by 1) take the i32 value to zero: an
        scf.while that always ends (at most 32 iterations)."""
        x = self.expr(kid, "i32")
        zero, one = self.const(0, "i32"), self.const(1, "i32")
        r = self.fresh()
        a, b, p, q = self.fresh(), self.fresh(), self.fresh(), self.fresh()
        self.emit(f"{r}:2 = scf.while ({a} = {x}, {b} = {zero}) : (i32, i32) -> (i32, i32) {{")
        self.indent += "  "
        more = self.fresh()
        self.emit(f"{more} = arith.cmpi ne, {a}, {zero} : i32")
        self.emit(f"scf.condition({more}) {a}, {b} : i32, i32")
        self.indent = self.indent[:-2]
        self.emit("} do {")
        self.emit(f"^bb0({p}: i32, {q}: i32):")
        self.indent += "  "
        h, n = self.fresh(), self.fresh()
        self.emit(f"{h} = arith.shrui {p}, {one} : i32")
        self.emit(f"{n} = arith.addi {q}, {one} : i32")
        self.emit(f"scf.yield {h}, {n} : i32, i32")
        self.indent = self.indent[:-2]
        self.emit("}")
        return self.cast_any(f"{r}#1", "i32", t)

    def cast_any(self, v: str, src: str, dst: str) -> str:
        if dst == "i1" and src != "i1":
            if is_float(src):
                v = self.cast(v, src, "i32")
                src = "i32"
            if src == "index":
                v = self.cast(v, "index", "i64")
                src = "i64"
            r = self.fresh()
            self.emit(f"{r} = arith.trunci {v} : {src} to i1")
            return r
        if src == "i1" and dst != "i1":
            wide = "i8" if not is_float(dst) and dst != "index" else "i32"
            r = self.fresh()
            self.emit(f"{r} = arith.extui {v} : i1 to {wide}")
            return self.cast(r, wide, dst)
        return self.cast(v, src, dst)

    def value(self, e: Expr, t: str) -> str:
        """E as a value of type T, to be written: plus the induction variable
        of an enclosing time loop if the task uses one (``TaskSpec.iv``)."""
        v = self.expr(e, t)
        if self.task.iv is None or not self.loop_ivs:
            return v
        iv = self.loop_ivs[-1 - self.task.iv % len(self.loop_ivs)]
        n = self.cast_any(iv, "index", t)
        r = self.fresh()
        self.emit(f"{r} = arith.{'addf' if is_float(t) else 'addi'} {v}, {n} : {t}")
        return r

    # stores

    def stores(self) -> None:
        for w, e in zip(self.task.writes, self.task.exprs, strict=True):
            t = self.spec.elems[w]
            v = self.value(e, t)
            idx = self.indices(w)
            self.emit(f"memref.store {v}, {self.mem(w)}[{idx}] : {memref_type(self.spec, w)}")

    # the task

    def attributes(self) -> str:
        t = self.task
        entries = [f"rank = {t.rank}"] if t.rank is not None else []
        if t.label is not None:
            entries.append(f'name = "{t.label}"')
        if t.split:
            entries.append('split = "rows"')
        return f" {{{', '.join(entries)}}}" if entries else ""

    def header(self) -> str:
        t = self.task
        reads = ", ".join(self.mem(k) for k in t.reads)
        writes = ", ".join(self.mem(k) for k in t.writes)
        attrs = self.attributes()
        if self.spec.spelling == "seed" and len(t.writes) == 1:
            operands = "".join(f", {self.mem(k)}" for k in [*t.reads, t.writes[0]])
            return f"    {self.name} = avial.task %tgt{t.target}{operands}{attrs} {{"
        return (
            f"    {self.name} = avial.task %tgt{t.target} reads({reads}) writes({writes}){attrs} {{"
        )

    def generic_lines(self) -> list[str]:
        """The task with the avial ops in the generic form."""
        t = self.task
        self.lines()
        operands = ", ".join([f"%tgt{t.target}", *(self.mem(k) for k in [*t.reads, *t.writes])])
        types = ", ".join(
            ["!avial.target", *(memref_type(self.spec, k) for k in [*t.reads, *t.writes])]
        )
        sizes = f"array<i32: 1, {len(t.reads)}, {len(t.writes)}>"
        return [
            f'    {self.name} = "avial.task"({operands}) <{{operandSegmentSizes = {sizes}}}> ({{',
            *self.out,
            '      "avial.yield"() : () -> ()',
            f"    }}){self.attributes()} : ({types}) -> !avial.task",
        ]

    def lines(self) -> list[str]:
        if self.out:
            raise ValueError("a TaskWriter writes its task once")
        shape = self.spec.shapes[self.task.writes[0]]
        {
            "parallel": self.parallel,
            "partial": self.partial,
            "for": self.for_nest,
            "reduce": self.reduce,
            "preduce": self.parallel_reduce,
            "launch": self.launch,
            "shared": self.shared,
            "barrier_loop": lambda shape: self.barrier_loops(shape, depth=1),
            "phases": lambda shape: self.barrier_loops(shape, depth=2),
            "private": lambda shape: self.barrier_loops(shape, depth=1, private=True),
        }[self.task.kind](shape)
        return [self.header(), *self.out, "      avial.yield", "    }"]

    def bounds(self, shape: tuple[int, ...], first_lb: int = 0) -> tuple[str, str, str]:
        lbs = [self.index_const(first_lb if d == 0 else 0) for d in range(len(shape))]
        ubs = [self.index_const(e) for e in shape]
        steps = [self.index_const(1) for _ in shape]
        return ", ".join(lbs), ", ".join(ubs), ", ".join(steps)

    def parallel(self, shape: tuple[int, ...], first_lb: int = 0) -> None:
        if not shape:
            self.stores()
            return
        lb, ub, step = self.bounds(shape, first_lb)
        self.ivs = [f"%i{d}" for d in range(len(shape))]
        self.loop_shape = shape
        self.emit(f"scf.parallel ({', '.join(self.ivs)}) = ({lb}) to ({ub}) step ({step}) {{")
        self.indent += "  "
        self.stores()
        self.indent = self.indent[:-2]
        self.emit("}")

    def partial(self, shape: tuple[int, ...]) -> None:
        self.parallel(shape, first_lb=1 if shape[0] > 1 else 0)

    def for_nest(self, shape: tuple[int, ...]) -> None:
        c0, c1 = self.index_const(0), self.index_const(1)
        for d, extent in enumerate(shape):
            ub = self.index_const(extent)
            iv = f"%j{d}"
            self.emit(f"scf.for {iv} = {c0} to {ub} step {c1} {{")
            self.ivs.append(iv)
            self.loop_shape = shape
            self.indent += "  "
        self.stores()
        for _ in shape:
            self.indent = self.indent[:-2]
            self.emit("}")

    def reduce(self, shape: tuple[int, ...]) -> None:
        """The sum (wrapping, or in float order) of the expression over the
        first read memref's elements, stored at the first index of each write."""
        src = self.task.reads[0] if self.task.reads else self.task.writes[0]
        extent = max(1, len(self.spec.shapes[src]) and self.spec.shapes[src][0])
        c0, c1, ub = self.index_const(0), self.index_const(1), self.index_const(extent)
        results = []
        for w, e in zip(self.task.writes, self.task.exprs, strict=True):
            t = self.spec.elems[w]
            acc_t = "i8" if t == "i1" else t
            init = self.const(0, acc_t)
            r, acc = self.fresh(), self.fresh()
            self.emit(
                f"{r} = scf.for %k = {c0} to {ub} step {c1} iter_args({acc} = {init}) -> ({acc_t}) {{"
            )
            self.indent += "  "
            self.ivs = ["%k"]
            self.loop_shape = (extent,)
            x = self.value(e, acc_t)
            s = self.fresh()
            self.emit(f"{s} = arith.{'addf' if is_float(acc_t) else 'addi'} {acc}, {x} : {acc_t}")
            self.emit(f"scf.yield {s} : {acc_t}")
            self.indent = self.indent[:-2]
            self.emit("}")
            results.append((w, self.cast_any(r, acc_t, t)))
        self.ivs = []
        for w, v in results:
            idx = self.indices(w)
            self.emit(f"memref.store {v}, {self.mem(w)}[{idx}] : {memref_type(self.spec, w)}")

    def launch(self, shape: tuple[int, ...]) -> None:
        """A 1-D grid over the elements, a guard, the flat index split into
        indices (row-major)."""
        total = 1
        for e in shape:
            total *= e
        block = min(total, 32)
        grid = -(-total // block)
        c1 = self.index_const(1)
        cg, cb, cn = self.index_const(grid), self.index_const(block), self.index_const(total)
        self.emit(f"gpu.launch blocks(%bx, %by, %bz) in (%gx = {cg}, %gy = {c1}, %gz = {c1})")
        self.emit(f"           threads(%tx, %ty, %tz) in (%sx = {cb}, %sy = {c1}, %sz = {c1}) {{")
        self.indent += "  "
        g = self.fresh()
        self.emit(f"{g} = gpu.global_id x")
        inside = self.fresh()
        self.emit(f"{inside} = arith.cmpi ult, {g}, {cn} : index")
        self.emit(f"scf.if {inside} {{")
        self.indent += "  "
        self.ivs = self.split(g, shape)
        self.loop_shape = shape
        self.stores()
        self.indent = self.indent[:-2]
        self.emit("}")
        self.emit("gpu.terminator")
        self.indent = self.indent[:-2]
        self.emit("}")

    def parallel_reduce(self, shape: tuple[int, ...]) -> None:
        """scf.parallel over the written shape with init and scf.reduce (a sum,
        or the maximum for integers), stored at the first index of each write."""
        lb, ub, step = self.bounds(shape)
        self.ivs = [f"%i{d}" for d in range(len(shape))]
        self.loop_shape = shape
        results = []
        for w, e in zip(self.task.writes, self.task.exprs, strict=True):
            t = self.spec.elems[w]
            acc_t = "i8" if t == "i1" else t
            init = self.const(0, acc_t)
            r = self.fresh()
            ivs = ", ".join(self.ivs)
            self.emit(
                f"{r} = scf.parallel ({ivs}) = ({lb}) to ({ub}) step ({step}) init ({init}) -> {acc_t} {{"
            )
            self.indent += "  "
            x = self.value(e, acc_t)
            self.emit(f"scf.reduce({x} : {acc_t}) {{")
            lhs, rhs, s = self.fresh(), self.fresh(), self.fresh()
            self.emit(f"^bb0({lhs}: {acc_t}, {rhs}: {acc_t}):")
            self.indent += "  "
            op = "addf" if is_float(acc_t) else ("maxsi" if self.count % 2 else "addi")
            self.emit(f"{s} = arith.{op} {lhs}, {rhs} : {acc_t}")
            self.emit(f"scf.reduce.return {s} : {acc_t}")
            self.indent = self.indent[:-2]
            self.emit("}")
            self.indent = self.indent[:-2]
            self.emit("}")
            results.append((w, self.cast_any(r, acc_t, t)))
        self.ivs = []
        for w, v in results:
            idx = self.indices(w)
            self.emit(f"memref.store {v}, {self.mem(w)}[{idx}] : {memref_type(self.spec, w)}")

    def shared(self, shape: tuple[int, ...]) -> None:
        """Each thread stages its value in workgroup memory; after gpu.barrier it
        stores the value of the thread mirrored within its block."""
        total = 1
        for e in shape:
            total *= e
        block = max(b for b in range(1, min(total, 16) + 1) if total % b == 0)
        c1 = self.index_const(1)
        cg, cb = self.index_const(total // block), self.index_const(block)
        self.emit(f"gpu.launch blocks(%bx, %by, %bz) in (%gx = {cg}, %gy = {c1}, %gz = {c1})")
        self.emit(f"           threads(%tx, %ty, %tz) in (%sx = {cb}, %sy = {c1}, %sz = {c1}) {{")
        self.indent += "  "
        tiles = []
        for w in self.task.writes:
            tile = self.fresh()
            t = self.spec.elems[w]
            self.emit(
                f"{tile} = memref.alloca() : memref<{block}x{t}, #gpu.address_space<workgroup>>"
            )
            tiles.append(tile)
        g = self.fresh()
        self.emit(f"{g} = gpu.global_id x")
        self.ivs = self.split(g, shape)
        self.loop_shape = shape
        for tile, w, e in zip(tiles, self.task.writes, self.task.exprs, strict=True):
            t = self.spec.elems[w]
            v = self.value(e, t)
            self.emit(
                f"memref.store {v}, {tile}[%tx] : memref<{block}x{t}, #gpu.address_space<workgroup>>"
            )
        self.emit("gpu.barrier")
        mirror = self.fresh()
        self.emit(f"{mirror} = arith.subi {self.index_const(block - 1)}, %tx : index")
        for tile, w in zip(tiles, self.task.writes, strict=True):
            t = self.spec.elems[w]
            v = self.fresh()
            self.emit(
                f"{v} = memref.load {tile}[{mirror}] : memref<{block}x{t}, #gpu.address_space<workgroup>>"
            )
            idx = self.indices(w)
            self.emit(f"memref.store {v}, {self.mem(w)}[{idx}] : {memref_type(self.spec, w)}")
        self.emit("gpu.terminator")
        self.indent = self.indent[:-2]
        self.emit("}")

    def uniform_bounds(self, style: str) -> tuple[str, str]:
        """Lower and upper bounds of a loop around barriers, the same for
        every thread of a block: computed from constants, the block id and
        the grid size as STYLE (one of UNIFORM_BOUNDS) says."""
        c0, c1, c2, c3 = (self.index_const(x) for x in (0, 1, 2, 3))
        ub = self.fresh()
        if style == "const":
            return c0, c2
        if style == "bx+1":
            self.emit(f"{ub} = arith.addi %bx, {c1} : index")
        elif style == "bx*2":
            self.emit(f"{ub} = arith.muli %bx, {c2} : index")
        elif style == "c1+c1":
            self.emit(f"{ub} = arith.addi {c1}, {c1} : index")
        elif style == "grid":
            self.emit(f"{ub} = gpu.grid_dim x")
        elif style == "min":
            m = self.fresh()
            self.emit(f"{m} = arith.minui %bx, {c3} : index")
            self.emit(f"{ub} = arith.addi {m}, {c1} : index")
        else:  # bx..bx+2
            self.emit(f"{ub} = arith.addi %bx, {c2} : index")
            return "%bx", ub
        return c0, ub

    def combine(self, acc: str, other: str, iv: str, t: str) -> str:
        """A new value of type T from ACC, another thread's value and the iteration IV."""
        v = self.fresh()
        if t == "i1":
            self.emit(f"{v} = arith.xori {acc}, {other} : i1")
            return v
        if is_float(t):
            self.emit(f"{v} = arith.addf {acc}, {other} : {t}")
            return v
        n = self.cast(iv, "index", t)
        w = self.fresh()
        self.emit(f"{w} = arith.xori {acc}, {other} : {t}")
        self.emit(f"{v} = arith.addi {w}, {n} : {t}")
        return v

    def barrier_loops(self, shape: tuple[int, ...], depth: int, private: bool = False) -> None:
        """Each thread computes its values, then an scf.for with uniform computed
        bounds (DEPTH loops nested) exchanges them through workgroup memory:
        store, gpu.barrier, load the mirrored thread's value, gpu.barrier,
        combine.  PRIVATE also keeps the first values in a thread-private
        memref.alloca across all those barriers and adds them back at the end."""
        total = 1
        for e in shape:
            total *= e
        block = max(b for b in range(1, min(total, 16) + 1) if total % b == 0)
        c1 = self.index_const(1)
        cg, cb = self.index_const(total // block), self.index_const(block)
        self.emit(f"gpu.launch blocks(%bx, %by, %bz) in (%gx = {cg}, %gy = {c1}, %gz = {c1})")
        self.emit(f"           threads(%tx, %ty, %tz) in (%sx = {cb}, %sy = {c1}, %sz = {c1}) {{")
        self.indent += "  "
        writes = self.task.writes
        types = [self.spec.elems[w] for w in writes]
        tiles = []
        for t in types:
            tile = self.fresh()
            self.emit(
                f"{tile} = memref.alloca() : memref<{block}x{t}, #gpu.address_space<workgroup>>"
            )
            tiles.append(tile)
        g = self.fresh()
        self.emit(f"{g} = gpu.global_id x")
        self.ivs = self.split(g, shape)
        self.loop_shape = shape
        mirror = self.fresh()
        self.emit(f"{mirror} = arith.subi {self.index_const(block - 1)}, %tx : index")
        values = [self.value(e, t) for e, t in zip(self.task.exprs, types, strict=True)]
        keep: list[str] = []
        if private:
            c0 = self.index_const(0)
            for v, t in zip(values, types, strict=True):
                buf = self.fresh()
                self.emit(f"{buf} = memref.alloca() : memref<1x{t}>")
                self.emit(f"memref.store {v}, {buf}[{c0}] : memref<1x{t}>")
                keep.append(buf)
        results = self.exchange_loop(values, types, tiles, block, mirror, depth)
        if private:
            c0 = self.index_const(0)
            for k, (buf, t) in enumerate(zip(keep, types, strict=True)):
                old = self.fresh()
                self.emit(f"{old} = memref.load {buf}[{c0}] : memref<1x{t}>")
                results[k] = self.combine(results[k], old, c0, t)
        for w, v in zip(writes, results, strict=True):
            idx = self.indices(w)
            self.emit(f"memref.store {v}, {self.mem(w)}[{idx}] : {memref_type(self.spec, w)}")
        self.emit("gpu.terminator")
        self.indent = self.indent[:-2]
        self.emit("}")

    def exchange_loop(self, values: list[str], types: list[str], tiles: list[str], block: int,
                      mirror: str, depth: int) -> list[str]:  # fmt: skip
        lb, ub = self.uniform_bounds(self.task.bound)
        c1 = self.index_const(1)
        iv = f"%it{depth}"
        results = [self.fresh() for _ in values]
        accs = [self.fresh() for _ in values]
        if len(results) == 1:
            head, selected = results[0], results
        else:
            head = f"{results[0]}:{len(results)}"
            selected = [f"{results[0]}#{k}" for k in range(len(results))]
        inits = ", ".join(f"{a} = {v}" for a, v in zip(accs, values, strict=True))
        tlist = ", ".join(types)
        self.emit(
            f"{head} = scf.for {iv} = {lb} to {ub} step {c1} iter_args({inits}) -> ({tlist}) {{"
        )
        self.indent += "  "
        for acc, tile, t in zip(accs, tiles, types, strict=True):
            mt = f"memref<{block}x{t}, #gpu.address_space<workgroup>>"
            self.emit(f"memref.store {acc}, {tile}[%tx] : {mt}")
        self.emit("gpu.barrier")
        others = []
        for tile, t in zip(tiles, types, strict=True):
            o = self.fresh()
            self.emit(
                f"{o} = memref.load {tile}[{mirror}] : memref<{block}x{t}, #gpu.address_space<workgroup>>"
            )
            others.append(o)
        self.emit("gpu.barrier")
        new = [self.combine(a, o, iv, t) for a, o, t in zip(accs, others, types, strict=True)]
        if depth > 1:
            new = self.exchange_loop(new, types, tiles, block, mirror, depth - 1)
        self.emit(f"scf.yield {', '.join(new)} : {tlist}")
        self.indent = self.indent[:-2]
        self.emit("}")
        return selected

    def split(self, flat: str, shape: tuple[int, ...]) -> list[str]:
        """Row-major indices of the flat index FLAT."""
        rest = flat
        ivs: list[str] = []
        for d in reversed(range(len(shape))):
            ce = self.index_const(shape[d])
            i, q = self.fresh(), self.fresh()
            self.emit(f"{i} = arith.remui {rest}, {ce} : index")
            self.emit(f"{q} = arith.divui {rest}, {ce} : index")
            ivs.insert(0, i)
            rest = q
        return ivs
