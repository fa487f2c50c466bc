"""The readers of the custom op syntaxes: one per op rule of the grammar.

Each puts its op in MLIR's generic layout (:class:`SynOp`), so the IR
builder (:mod:`avial2c.frontend.build_ir`) only knows that layout.
"""

from __future__ import annotations

from lark import Token, Tree

from avial2c.frontend.properties import flags_problem
from avial2c.frontend.reader import (
    OPERAND_TOKENS,
    TYPE_RULES,
    Attr,
    AttrKind,
    OpReader,
    SynArg,
    SynOp,
    SynRegion,
    SyntaxReader,
    SynType,
    Use,
    subtree,
    subtree_type,
    subtrees,
    token,
    unquote,
)
from avial2c.ir import Span

# --------------------------------------------------------------------------
# One reader per op rule of the grammar.  Each returns the op in generic
# layout: operands in MLIR's order, block arguments of custom syntax made
# explicit, result types as MLIR would print them in generic form.

Entries = tuple[tuple[str, Attr], ...]


def all_attrs(r: SyntaxReader, tree: Tree[Token]) -> Entries:
    """The attribute dictionaries of an op: 'attributes {...}' and bare '{...}'."""
    out: list[tuple[str, Attr]] = []
    for kw in subtrees(tree, "attributes"):
        out.extend(r.attr_dict(subtree(kw, "attr_dict")))
    for d in subtrees(tree, "attr_dict"):
        out.extend(r.attr_dict(d))
    return tuple(out)


def operand_tokens(tree: Tree[Token]) -> list[Token]:
    return [c for c in tree.children if isinstance(c, Token) and c.type in OPERAND_TOKENS]


def types_of(r: SyntaxReader, tree: Tree[Token]) -> list[SynType]:
    return [r.type(c) for c in tree.children if isinstance(c, Tree) and c.data in TYPE_RULES]


def type_list_of(r: SyntaxReader, tree: Tree[Token]) -> tuple[SynType, ...] | None:
    lst = subtree(tree, "type_list")
    return r.type_list(lst) if lst is not None else None


def one_region(
    r: SyntaxReader, tree: Tree[Token], args: tuple[SynArg, ...] | None = None
) -> tuple[SynRegion, ...]:
    reg = subtree(tree, "region")
    return (r.region(reg, args),) if reg is not None else ()


def index_arg(r: SyntaxReader, tok: Token) -> SynArg:
    span = r.tok_span(tok)
    return SynArg(r.def_name(tok), r.named("index", span), span)


def binding(r: SyntaxReader, tree: Tree[Token], is_index: bool) -> tuple[Token, Use]:
    """'%x = operand' → (the defined name, the operand)."""
    toks = operand_tokens(tree)
    return toks[0], r.use(toks[1], is_index)


def read_generic(r: SyntaxReader, tree: Tree[Token]) -> SynOp:
    name_tok = tree.children[0]
    assert isinstance(name_tok, Token)
    attrs: list[tuple[str, Attr]] = []
    props = subtree(tree, "properties")
    if props is not None:
        attrs.extend(r.attr_entry(e, 0) for e in subtrees(props, "attr_entry"))
    properties = len(attrs) if props is not None else None
    attrs.extend(r.attr_dict(subtree(tree, "attr_dict")))
    regs = subtree(tree, "generic_regions")
    regions = tuple(r.region(x) for x in subtrees(regs, "region")) if regs is not None else ()
    ft_tree = subtree(tree, "function_type")
    assert ft_tree is not None
    ft = r.function_type(ft_tree, 0)
    seg = dict(attrs).get("operandSegmentSizes")
    segments = seg.ints if seg is not None and seg.kind == "array" else None
    return SynOp(
        unquote(name_tok),
        r.tree_span(tree),
        operands=r.uses(subtree(tree, "value_list")),
        attrs=tuple(attrs),
        regions=regions,
        result_types=ft.results,
        operand_types=ft.inputs,
        segments=segments,
        has_successors=subtree(tree, "successors") is not None,
        properties=properties,
    )


# ----- avial


def read_schedule(r: SyntaxReader, tree: Tree[Token]) -> SynOp:
    return SynOp(
        "avial.schedule",
        r.tree_span(tree),
        operands=r.uses(subtree(tree, "operand_list")),
        attrs=all_attrs(r, tree),
        regions=one_region(r, tree),
        result_types=(),
        operand_types=type_list_of(r, tree),
        custom=True,
    )


def read_target(r: SyntaxReader, tree: Tree[Token]) -> SynOp:
    types = types_of(r, tree)
    return SynOp(
        "avial.target",
        r.tree_span(tree),
        attrs=all_attrs(r, tree),
        result_types=tuple(types) if types else None,
        custom=True,
    )


def read_task(r: SyntaxReader, tree: Tree[Token]) -> SynOp:
    target = r.use(operand_tokens(tree)[0])
    seed = subtree(tree, "task_seed")
    reads: tuple[Use, ...] = ()
    writes: tuple[Use, ...] = ()
    if seed is not None:
        listed = tuple(r.use(t) for t in operand_tokens(seed))
        reads, writes = listed[:-1], listed[-1:]
    for clause in subtrees(tree, "task_reads"):
        reads = r.uses(subtree(clause, "operand_list"))
    for clause in subtrees(tree, "task_writes"):
        writes = r.uses(subtree(clause, "operand_list"))
    return SynOp(
        "avial.task",
        r.tree_span(tree),
        operands=(target, *reads, *writes),
        attrs=all_attrs(r, tree),
        regions=one_region(r, tree),
        segments=(1, len(reads), len(writes)),
        custom=True,
    )


def read_terminator(name: str) -> OpReader:
    """scf.yield, avial.yield, func.return: an optional operand list."""

    def read(r: SyntaxReader, tree: Tree[Token]) -> SynOp:
        return SynOp(
            name,
            r.tree_span(tree),
            operands=r.uses(subtree(tree, "operand_list")),
            result_types=(),
            operand_types=type_list_of(r, tree),
            custom=True,
        )

    return read


# ----- arith, math


def read_constant(r: SyntaxReader, tree: Tree[Token]) -> SynOp:
    cv = subtree(tree, "constant_value")
    assert cv is not None
    value = constant_attr(r, cv)
    t = value.type if value.type is not None else None
    if value.kind == "bool":
        t = r.named("i1", value.span)
    return SynOp(
        "arith.constant",
        r.tree_span(tree),
        attrs=(*all_attrs(r, tree), ("value", value)),
        result_types=(t,) if t is not None else None,
        custom=True,
    )


def constant_attr(r: SyntaxReader, tree: Tree[Token]) -> Attr:
    tok = tree.children[0]
    assert isinstance(tok, Token)
    kinds: dict[str, AttrKind] = {"INT": "int", "HEX": "hex", "FLOAT": "float", "STRING": "str"}
    if tok.type in kinds:
        return r.typed_number(tree, kinds[tok.type])
    span, text = r.tree_span(tree), r.source(tree)
    t = r.opt_type(tree)
    if tok.type == "BARE_ID" and str(tok) in ("true", "false"):
        if t is not None:
            # MLIR reads 'true' alone (an i1) and then finds ': T' where an op should be.
            raise r.error(
                f"'{tok}' is an i1 constant and takes no type: write 'arith.constant {tok}', "
                f"or 'arith.constant {int(tok == 'true')} : {t.text}'",
                span,
            )
        return Attr("bool", text, span, int_value=int(tok == "true"))
    return Attr("opaque", text, span, str_value=str(tok), type=t)


def check_flags(r: SyntaxReader, tree: Tree[Token], op: str) -> None:
    """'overflow<...>' / 'fastmath<...>' after an op that has them, naming known flags."""
    tok = token(tree, "FLAGS")
    if tok is None:
        return
    kind, _, body = str(tok).partition("<")
    problem = flags_problem(op, kind, body[:-1])
    if problem is not None:
        raise r.error(problem, r.tok_span(tok))


def read_simple(r: SyntaxReader, tree: Tree[Token]) -> SynOp:
    name_tok = tree.children[0]
    assert isinstance(name_tok, Token)
    check_flags(r, tree, str(name_tok))
    types = type_list_of(r, tree)
    return SynOp(
        str(name_tok),
        r.tree_span(tree),
        operands=r.uses(subtree(tree, "operand_list")),
        attrs=all_attrs(r, tree),
        result_types=(types[-1],) if types else None,
        custom=True,
    )


def read_cmp(r: SyntaxReader, tree: Tree[Token]) -> SynOp:
    name_tok = tree.children[0]
    pred = token(tree, "BARE_ID")
    assert isinstance(name_tok, Token) and pred is not None
    check_flags(r, tree, str(name_tok))
    span = r.tree_span(tree)
    predicate = Attr("str", str(pred), r.tok_span(pred), str_value=str(pred))
    types = types_of(r, tree)
    return SynOp(
        str(name_tok),
        span,
        operands=tuple(r.use(t) for t in operand_tokens(tree)),
        attrs=(*all_attrs(r, tree), ("predicate", predicate)),
        result_types=(r.named("i1", span),),
        operand_types=(types[0], types[0]) if types else None,
        custom=True,
    )


def read_cast(r: SyntaxReader, tree: Tree[Token]) -> SynOp:
    name_tok = tree.children[0]
    assert isinstance(name_tok, Token)
    check_flags(r, tree, str(name_tok))
    types = types_of(r, tree)
    return SynOp(
        str(name_tok),
        r.tree_span(tree),
        operands=tuple(r.use(t) for t in operand_tokens(tree)),
        attrs=all_attrs(r, tree),
        result_types=(types[1],) if len(types) == 2 else None,
        operand_types=(types[0],) if types else None,
        custom=True,
    )


# ----- memref


def memref_elem(t: SynType | None) -> tuple[SynType, ...] | None:
    if t is None or t.kind != "shaped" or t.elem is None:
        return None
    return (t.elem,)


def read_load(r: SyntaxReader, tree: Tree[Token]) -> SynOp:
    memref = r.use(operand_tokens(tree)[0])
    t = r.opt_type(tree)
    return SynOp(
        "memref.load",
        r.tree_span(tree),
        operands=(memref, *r.uses(subtree(tree, "operand_list"), True)),
        attrs=all_attrs(r, tree),
        result_types=memref_elem(t),
        operand_types=(t,) if t is not None else None,
        custom=True,
    )


def read_store(r: SyntaxReader, tree: Tree[Token]) -> SynOp:
    value, memref = (r.use(t) for t in operand_tokens(tree)[:2])
    t = r.opt_type(tree)
    return SynOp(
        "memref.store",
        r.tree_span(tree),
        operands=(value, memref, *r.uses(subtree(tree, "operand_list"), True)),
        attrs=all_attrs(r, tree),
        result_types=(),
        operand_types=(t,) if t is not None else None,
        custom=True,
    )


def read_dim(r: SyntaxReader, tree: Tree[Token]) -> SynOp:
    toks = operand_tokens(tree)
    span = r.tree_span(tree)
    return SynOp(
        "memref.dim",
        span,
        operands=(r.use(toks[0]), r.use(toks[1], True)),
        attrs=all_attrs(r, tree),
        result_types=(r.named("index", span),),
        custom=True,
    )


def read_alloc(r: SyntaxReader, tree: Tree[Token]) -> SynOp:
    name_tok = tree.children[0]
    assert isinstance(name_tok, Token)
    sizes = r.uses(subtree(tree, "operand_list"), True)
    sym_tree = subtree(tree, "alloc_symbols")
    symbols = r.uses(subtree(sym_tree, "operand_list"), True) if sym_tree is not None else ()
    t = r.opt_type(tree)
    return SynOp(
        str(name_tok),
        r.tree_span(tree),
        operands=(*sizes, *symbols),
        attrs=all_attrs(r, tree),
        result_types=(t,) if t is not None else None,
        segments=(len(sizes), len(symbols)),
        custom=True,
    )


def read_dealloc(r: SyntaxReader, tree: Tree[Token]) -> SynOp:
    return SynOp(
        "memref.dealloc",
        r.tree_span(tree),
        operands=tuple(r.use(t) for t in operand_tokens(tree)),
        attrs=all_attrs(r, tree),
        result_types=(),
        custom=True,
    )


# ----- scf


def step_use(r: SyntaxReader, tree: Tree[Token], span: Span, is_index: bool) -> Use:
    """The 'step' operand; 1 when the seed form leaves it out."""
    step = subtree(tree, "step")
    if step is None:
        return Use("", 0, span, 1, True, "1")
    return r.use(operand_tokens(step)[0], is_index)


def read_for(r: SyntaxReader, tree: Tree[Token]) -> SynOp:
    span = r.tree_span(tree)
    iv_tok, lb_tok, ub_tok = operand_tokens(tree)[:3]
    iv_type = r.opt_type(tree)
    is_index = iv_type is None
    iv_span = r.tok_span(iv_tok)
    iv = SynArg(r.def_name(iv_tok), iv_type or r.named("index", iv_span), iv_span)
    inits: list[Use] = []
    iter_args: list[SynArg] = []
    result_types: tuple[SynType, ...] = ()
    it = subtree(tree, "iter_args")
    if it is not None:
        result_types = r.result_types(subtree(it, "result_types"))
        for k, b in enumerate(subtrees(it, "binding")):
            name_tok, init = binding(r, b, False)
            t = result_types[k] if k < len(result_types) else None
            iter_args.append(SynArg(r.def_name(name_tok), t, r.tok_span(name_tok)))
            inits.append(init)
    attrs = all_attrs(r, tree)
    if token(tree, "UNSIGNED") is not None:
        attrs = (*attrs, ("unsignedCmp", Attr("unit", "unsigned", span)))
    lb, ub = r.use(lb_tok, is_index), r.use(ub_tok, is_index)
    return SynOp(
        "scf.for",
        span,
        operands=(lb, ub, step_use(r, tree, span, is_index), *inits),
        attrs=attrs,
        regions=one_region(r, tree, (iv, *iter_args)),
        result_types=result_types,
        custom=True,
    )


def read_parallel_seed(r: SyntaxReader, tree: Tree[Token]) -> SynOp:
    span = r.tree_span(tree)
    iv_tok, lb_tok, ub_tok = operand_tokens(tree)[:3]
    return SynOp(
        "scf.parallel",
        span,
        operands=(r.use(lb_tok, True), r.use(ub_tok, True), step_use(r, tree, span, True)),
        attrs=all_attrs(r, tree),
        regions=one_region(r, tree, (index_arg(r, iv_tok),)),
        result_types=(),
        segments=(1, 1, 1, 0),
        custom=True,
    )


def read_parallel(r: SyntaxReader, tree: Tree[Token]) -> SynOp:
    span = r.tree_span(tree)
    ivs_tree = subtree(tree, "value_list")
    assert ivs_tree is not None
    ivs = tuple(index_arg(r, t) for t in operand_tokens(ivs_tree))
    lbs, ubs, steps = (r.uses(lst, True) for lst in subtrees(tree, "operand_list")[:3])
    for what, lst in (("lower bounds", lbs), ("upper bounds", ubs), ("steps", steps)):
        if len(lst) != len(ivs):
            raise r.error(
                f"'scf.parallel' has {len(ivs)} induction variables but {len(lst)} {what}", span
            )
    init_tree = subtree(tree, "par_init")
    inits = r.uses(subtree(init_tree, "operand_list")) if init_tree is not None else ()
    return SynOp(
        "scf.parallel",
        span,
        operands=(*lbs, *ubs, *steps, *inits),
        attrs=all_attrs(r, tree),
        regions=one_region(r, tree, ivs),
        result_types=r.result_types(subtree(tree, "result_arrow")),
        segments=(len(ivs), len(ivs), len(ivs), len(inits)),
        custom=True,
    )


def read_reduce(r: SyntaxReader, tree: Tree[Token]) -> SynOp:
    ops_tree = subtree(tree, "reduce_operands")
    operands = r.uses(subtree(ops_tree, "operand_list")) if ops_tree is not None else ()
    return SynOp(
        "scf.reduce",
        r.tree_span(tree),
        operands=operands,
        regions=tuple(r.region(x) for x in subtrees(tree, "region")),
        result_types=(),
        custom=True,
    )


def read_reduce_return(r: SyntaxReader, tree: Tree[Token]) -> SynOp:
    return SynOp(
        "scf.reduce.return",
        r.tree_span(tree),
        operands=tuple(r.use(t) for t in operand_tokens(tree)),
        result_types=(),
        custom=True,
    )


def read_if(r: SyntaxReader, tree: Tree[Token]) -> SynOp:
    regions = list(one_region(r, tree))
    else_tree = subtree(tree, "else_region")
    if else_tree is not None:
        regions.extend(one_region(r, else_tree))
    return SynOp(
        "scf.if",
        r.tree_span(tree),
        operands=(r.use(operand_tokens(tree)[0]),),
        attrs=all_attrs(r, tree),
        regions=tuple(regions),
        result_types=r.result_types(subtree(tree, "result_arrow")),
        custom=True,
    )


def read_while(r: SyntaxReader, tree: Tree[Token]) -> SynOp:
    span = r.tree_span(tree)
    ft_tree = subtree(tree, "function_type")
    ft = r.function_type(ft_tree, 0) if ft_tree is not None else None
    inits: list[Use] = []
    args: list[SynArg] = []
    b_tree = subtree(tree, "bindings")
    for k, b in enumerate(subtrees(b_tree, "binding") if b_tree is not None else []):
        name_tok, init = binding(r, b, False)
        t = ft.inputs[k] if ft is not None and k < len(ft.inputs) else None
        args.append(SynArg(r.def_name(name_tok), t, r.tok_span(name_tok)))
        inits.append(init)
    before, after = subtrees(tree, "region")
    return SynOp(
        "scf.while",
        span,
        operands=tuple(inits),
        attrs=all_attrs(r, tree),
        regions=(r.region(before, tuple(args)), r.region(after)),
        result_types=ft.results if ft is not None else None,
        custom=True,
    )


def read_condition(r: SyntaxReader, tree: Tree[Token]) -> SynOp:
    cond = r.use(operand_tokens(tree)[0])
    return SynOp(
        "scf.condition",
        r.tree_span(tree),
        operands=(cond, *r.uses(subtree(tree, "operand_list"))),
        result_types=(),
        custom=True,
    )


def read_execute_region(r: SyntaxReader, tree: Tree[Token]) -> SynOp:
    return SynOp(
        "scf.execute_region",
        r.tree_span(tree),
        attrs=all_attrs(r, tree),
        regions=one_region(r, tree),
        result_types=r.result_types(subtree(tree, "result_arrow")),
        custom=True,
    )


# ----- gpu


def read_launch_terse(r: SyntaxReader, tree: Tree[Token]) -> SynOp:
    span = r.tree_span(tree)
    return SynOp(
        "gpu.launch",
        span,
        attrs=(*all_attrs(r, tree), ("terse", Attr("unit", "terse", span))),
        regions=one_region(r, tree, ()),
        result_types=(),
        custom=True,
    )


def read_launch(r: SyntaxReader, tree: Tree[Token]) -> SynOp:
    """Custom order: blocks(ids) in (grid sizes) threads(ids) in (block sizes)."""
    span = r.tree_span(tree)
    groups: list[tuple[list[Token], list[Tree[Token]]]] = []
    for c in tree.children:
        if isinstance(c, Tree) and c.data == "value_list":
            groups.append((operand_tokens(c), []))
        elif isinstance(c, Tree) and c.data == "binding":
            groups[-1][1].append(c)
    ids: list[SynArg] = []
    dims: list[SynArg] = []
    sizes: list[Use] = []
    for what, (id_toks, bindings) in zip(("blocks", "threads"), groups, strict=True):
        if len(id_toks) != 3 or len(bindings) != 3:
            raise r.error(f"'gpu.launch' needs three {what} ids and three sizes (x, y, z)", span)
        ids.extend(index_arg(r, t) for t in id_toks)
        for b in bindings:
            name_tok, size = binding(r, b, True)
            dims.append(index_arg(r, name_tok))
            sizes.append(size)
    return SynOp(
        "gpu.launch",
        span,
        operands=tuple(sizes),
        attrs=all_attrs(r, tree),
        regions=one_region(r, tree, (*ids, *dims)),
        result_types=(),
        custom=True,
    )


def read_gpu_id(r: SyntaxReader, tree: Tree[Token]) -> SynOp:
    name_tok = tree.children[0]
    dim = token(tree, "BARE_ID")
    assert isinstance(name_tok, Token) and dim is not None
    span = r.tree_span(tree)
    dimension = Attr("str", str(dim), r.tok_span(dim), str_value=str(dim))
    return SynOp(
        str(name_tok),
        span,
        attrs=(*all_attrs(r, tree), ("dimension", dimension)),
        result_types=(r.named("index", span),),
        custom=True,
    )


def read_plain(name: str) -> OpReader:
    """Ops without operands, results or regions: gpu.barrier, gpu.terminator."""

    def read(r: SyntaxReader, tree: Tree[Token]) -> SynOp:
        return SynOp(
            name, r.tree_span(tree), attrs=all_attrs(r, tree), result_types=(), custom=True
        )

    return read


# ----- func, builtin


def read_func(r: SyntaxReader, tree: Tree[Token]) -> SynOp:
    sym = token(tree, "SYMBOL_REF")
    assert sym is not None
    args: list[SynArg] = []
    for a in subtrees(tree, "func_arg"):
        name_tok = token(a, "VALUE")
        assert name_tok is not None
        t = subtree_type(a)
        args.append(
            SynArg(r.def_name(name_tok), r.type(t) if t is not None else None, r.tok_span(name_tok))
        )
    span = r.tree_span(tree)
    name = str(sym)[1:]
    sym_name = Attr(
        "str", name, r.tok_span(sym), str_value=unquote(name) if name.startswith('"') else name
    )
    return SynOp(
        "func.func",
        span,
        attrs=(*all_attrs(r, tree), ("sym_name", sym_name)),
        regions=one_region(r, tree, tuple(args)),
        result_types=(),
        custom=True,
    )


def read_module(r: SyntaxReader, tree: Tree[Token]) -> SynOp:
    return SynOp(
        "builtin.module",
        r.tree_span(tree),
        attrs=all_attrs(r, tree),
        regions=one_region(r, tree),
        result_types=(),
        custom=True,
    )


OP_READERS: dict[str, OpReader] = {
    "generic_op": read_generic,
    "schedule_op": read_schedule,
    "target_op": read_target,
    "task_op": read_task,
    "avial_yield_op": read_terminator("avial.yield"),
    "constant_op": read_constant,
    "simple_op": read_simple,
    "cmp_op": read_cmp,
    "cast_op": read_cast,
    "load_op": read_load,
    "store_op": read_store,
    "dim_op": read_dim,
    "alloc_op": read_alloc,
    "dealloc_op": read_dealloc,
    "for_op": read_for,
    "parallel_seed_op": read_parallel_seed,
    "parallel_op": read_parallel,
    "reduce_op": read_reduce,
    "reduce_return_op": read_reduce_return,
    "yield_op": read_terminator("scf.yield"),
    "if_op": read_if,
    "while_op": read_while,
    "condition_op": read_condition,
    "execute_region_op": read_execute_region,
    "launch_terse_op": read_launch_terse,
    "launch_op": read_launch,
    "gpu_id_op": read_gpu_id,
    "barrier_op": read_plain("gpu.barrier"),
    "gpu_terminator_op": read_plain("gpu.terminator"),
    "func_op": read_func,
    "return_op": read_terminator("func.return"),
    "module_op": read_module,
}
