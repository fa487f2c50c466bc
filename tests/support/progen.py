"""Random valid avial programs, for differential testing (test_fuzz.py).

A program is drawn as a small description (:class:`ProgramSpec`: memrefs,
targets, tasks with their reads, writes, loop kind and one expression per
written memref) by the hypothesis strategy :func:`programs`, then rendered as
text in one of three spellings:

* ``explicit``: typed custom form, ``avial.task %t reads(...) writes(...)``;
* ``seed``: the seed form's task header ``avial.task %t, %r1, ..., %w`` (the
  last operand is written) for tasks with one write, typed bodies;
* ``generic``: MLIR's generic form, as avial2c's printer writes it.

Bodies use the ops of LANGUAGE.md that the C generator and the interpreter
must agree on bit for bit: integer and float arithmetic (division by zero,
overflow and out-of-range shifts included), comparisons, select, casts
between all element types and a few math functions, inside ``scf.parallel``
(full or partial cover), ``scf.for`` nests, ``scf.for`` reductions with
``iter_args``, or a ``gpu.launch`` with a bound guard.  Not a test module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
KINDS = ["parallel", "partial", "for", "reduce", "preduce", "launch", "shared"]
CPU_KINDS = ["parallel", "partial", "for", "reduce", "preduce"]
GPU_KINDS = ["launch", "shared"]
SPELLINGS = ["explicit", "seed", "generic"]

BITS = {"i1": 1, "i8": 8, "i16": 16, "i32": 32, "i64": 64, "index": 64}


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
    around), ``const`` (value), ``bin``/``un``/``select``/``if`` (operation or
    predicate in ``arg``), ``while`` (bit length of the operand by halving)."""

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


@dataclass(frozen=True)
class ProgramSpec:
    shapes: tuple[tuple[int, ...], ...]
    elems: tuple[str, ...]
    targets: tuple[str, ...]  # archs
    tasks: tuple[TaskSpec, ...]
    spelling: str = "explicit"


# --------------------------------------------------------------------------
# Strategies


def exprs(reads: tuple[int, ...], depth: int) -> st.SearchStrategy[Expr]:
    leaves: list[st.SearchStrategy[Expr]] = [
        st.builds(Expr, st.just("const"), st.integers(-9, 9)),
        st.builds(Expr, st.just("const"), st.sampled_from([0.5, -2.25, 3.0, 1e30])),
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


@st.composite
def task_specs(draw: st.DrawFn, shapes: tuple[tuple[int, ...], ...], targets: tuple[str, ...]) -> TaskSpec:
    n = len(shapes)
    first = draw(st.integers(0, n - 1))
    same = [k for k in range(n) if shapes[k] == shapes[first] and k != first]
    extra = draw(st.lists(st.sampled_from(same), max_size=1, unique=True)) if same else []
    writes = tuple([first, *extra])
    reads = tuple(draw(st.lists(st.integers(0, n - 1), max_size=3, unique=True)))
    target = draw(st.integers(0, len(targets) - 1))
    gpu = targets[target] in GPU_ARCHS
    if gpu:
        kind = draw(st.sampled_from(GPU_KINDS))
    elif shapes[first] == ():
        kind = draw(st.sampled_from(["parallel", "reduce"]))
    else:
        kind = draw(st.sampled_from(CPU_KINDS))
    body = tuple(draw(exprs(reads, 2)) for _ in writes)
    rank = draw(st.none() | st.none() | st.integers(0, 5))
    return TaskSpec(kind, target, reads, writes, body, rank)


@st.composite
def programs(draw: st.DrawFn) -> ProgramSpec:
    n = draw(st.integers(2, 8))
    shapes = tuple(draw(st.lists(st.sampled_from(SHAPES), min_size=n, max_size=n)))
    elems = tuple(draw(st.lists(st.sampled_from(ELEMS), min_size=n, max_size=n)))
    cpu = draw(st.sampled_from(CPU_ARCHS))
    targets = (cpu, draw(st.sampled_from(GPU_ARCHS))) if draw(st.booleans()) else (cpu,)
    tasks = tuple(draw(st.lists(task_specs(shapes, targets), min_size=1, max_size=6)))
    return ProgramSpec(shapes, elems, targets, tasks, draw(st.sampled_from(SPELLINGS)))


# --------------------------------------------------------------------------
# Rendering


def memref_type(spec: ProgramSpec, k: int) -> str:
    dims = "".join(f"{d}x" for d in spec.shapes[k])
    return f"memref<{dims}{spec.elems[k]}>"


def render(spec: ProgramSpec) -> str:
    """The program as text in the typed custom form; ``spelling`` generic is
    done by the caller with avial2c's printer (see test_fuzz.py)."""
    n = len(spec.shapes)
    args = ", ".join(f"%m{k}: {memref_type(spec, k)}" for k in range(n))
    names = ", ".join(f"%m{k}" for k in range(n))
    types = ", ".join(memref_type(spec, k) for k in range(n))
    lines = [
        "// generated by tests/progen.py",
        f"func.func @main({args}) {{",
        f"  avial.schedule {names} : {types} {{",
    ]
    for j, arch in enumerate(spec.targets):
        lines.append(f'    %tgt{j} = avial.target {{arch = "{arch}"}}')
    for i, task in enumerate(spec.tasks):
        lines += TaskWriter(spec, task, f"t{i}").lines()
    lines += ["  }", "  return", "}", ""]
    return "\n".join(lines)


@dataclass
class TaskWriter:
    spec: ProgramSpec
    task: TaskSpec
    name: str
    out: list[str] = field(default_factory=list)
    count: int = 0
    ivs: list[str] = field(default_factory=list)
    loop_shape: tuple[int, ...] = ()  # the extents the ivs run over
    indent: str = "      "

    # values

    def fresh(self) -> str:
        self.count += 1
        return f"%v{self.count}"

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
        self.emit(f"{v} = memref.load %m{k}[{idx}] : {memref_type(self.spec, k)}")
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
        self.emit(f"{v} = memref.load %m{k}[{idx}] : {memref_type(self.spec, k)}")
        return v

    # expressions

    def expr(self, e: Expr, t: str) -> str:
        """E as a value of type T."""
        if e.kind == "const":
            return self.const(e.arg if is_float(t) else int(e.arg), t)
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

    # stores

    def stores(self) -> None:
        for w, e in zip(self.task.writes, self.task.exprs, strict=True):
            t = self.spec.elems[w]
            v = self.expr(e, t)
            idx = self.indices(w)
            self.emit(f"memref.store {v}, %m{w}[{idx}] : {memref_type(self.spec, w)}")

    # the task

    def header(self) -> str:
        t = self.task
        reads = ", ".join(f"%m{k}" for k in t.reads)
        writes = ", ".join(f"%m{k}" for k in t.writes)
        attrs = f" {{rank = {t.rank}}}" if t.rank is not None else ""
        if self.spec.spelling == "seed" and len(t.writes) == 1:
            operands = "".join(f", %m{k}" for k in [*t.reads, t.writes[0]])
            return f"    %{self.name} = avial.task %tgt{t.target}{operands}{attrs} {{"
        return f"    %{self.name} = avial.task %tgt{t.target} reads({reads}) writes({writes}){attrs} {{"

    def lines(self) -> list[str]:
        shape = self.spec.shapes[self.task.writes[0]]
        {
            "parallel": self.parallel,
            "partial": self.partial,
            "for": self.for_nest,
            "reduce": self.reduce,
            "preduce": self.parallel_reduce,
            "launch": self.launch,
            "shared": self.shared,
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
            self.emit(f"{r} = scf.for %k = {c0} to {ub} step {c1} iter_args({acc} = {init}) -> ({acc_t}) {{")
            self.indent += "  "
            self.ivs = ["%k"]
            self.loop_shape = (extent,)
            x = self.expr(e, acc_t)
            s = self.fresh()
            self.emit(f"{s} = arith.{'addf' if is_float(acc_t) else 'addi'} {acc}, {x} : {acc_t}")
            self.emit(f"scf.yield {s} : {acc_t}")
            self.indent = self.indent[:-2]
            self.emit("}")
            results.append((w, self.cast_any(r, acc_t, t)))
        self.ivs = []
        for w, v in results:
            idx = self.indices(w)
            self.emit(f"memref.store {v}, %m{w}[{idx}] : {memref_type(self.spec, w)}")

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
            self.emit(f"{r} = scf.parallel ({ivs}) = ({lb}) to ({ub}) step ({step}) init ({init}) -> {acc_t} {{")
            self.indent += "  "
            x = self.expr(e, acc_t)
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
            self.emit(f"memref.store {v}, %m{w}[{idx}] : {memref_type(self.spec, w)}")

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
            self.emit(f"{tile} = memref.alloca() : memref<{block}x{t}, #gpu.address_space<workgroup>>")
            tiles.append(tile)
        g = self.fresh()
        self.emit(f"{g} = gpu.global_id x")
        self.ivs = self.split(g, shape)
        self.loop_shape = shape
        for tile, w, e in zip(tiles, self.task.writes, self.task.exprs, strict=True):
            t = self.spec.elems[w]
            v = self.expr(e, t)
            self.emit(f"memref.store {v}, {tile}[%tx] : memref<{block}x{t}, #gpu.address_space<workgroup>>")
        self.emit("gpu.barrier")
        mirror = self.fresh()
        self.emit(f"{mirror} = arith.subi {self.index_const(block - 1)}, %tx : index")
        for tile, w in zip(tiles, self.task.writes, strict=True):
            t = self.spec.elems[w]
            v = self.fresh()
            self.emit(f"{v} = memref.load {tile}[{mirror}] : memref<{block}x{t}, #gpu.address_space<workgroup>>")
            idx = self.indices(w)
            self.emit(f"memref.store {v}, %m{w}[{idx}] : {memref_type(self.spec, w)}")
        self.emit("gpu.terminator")
        self.indent = self.indent[:-2]
        self.emit("}")

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
