"""The package's shape: each stage one folder, no import cycle, no hidden import."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "avial2c"
STAGES = ("frontend", "check", "transforms", "plan", "interp", "printer", "codegen")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    assert node.level == 0, "relative imports are not used in the package"
    base = node.module or ""
    return [base] + [f"{base}.{a.name}" for a in node.names]


def import_graph() -> tuple[dict[str, set[str]], list[str]]:
    """Module -> the package modules it imports; and every import made inside a function."""
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    local: list[str] = []
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        deps: set[str] = set()
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            targets = [t for t in imported(node) if t in files and t != name]
            if targets and node not in tree.body:
                local.append(f"{name}:{node.lineno} imports {', '.join(targets)}")
            deps.update(targets)
        graph[name] = deps
    return graph, local


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for d in sorted(graph[m]):
            if state.get(d) == 1:
                return [*stack[stack.index(d) :], d]
            if d not in state and (cycle := visit(d)):
                return cycle
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (cycle := visit(m)):
            return cycle
    return None


def test_no_import_cycle() -> None:
    graph, _ = import_graph()
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_inside_a_function() -> None:
    _, local = import_graph()
    assert local == [], "imports hidden inside functions:\n" + "\n".join(local)


def test_each_stage_is_a_folder_and_only_the_shared_modules_are_at_the_top() -> None:
    top = sorted(p.stem for p in PACKAGE.glob("*.py"))
    assert top == [
        "__init__", "__main__", "build", "calibrate", "diagnostics", "driver", "ir", "launch",
        "machine", "npyio", "ops", "pyrt", "resources",
    ]  # fmt: skip
    folders = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists())
    assert folders == sorted(STAGES)


def test_stages_do_not_import_the_driver() -> None:
    graph, _ = import_graph()
    for m, deps in graph.items():
        if m.split(".")[1:2] and m.split(".")[1] in STAGES:
            assert not deps & {"avial2c.driver", "avial2c.build"}, m


def test_every_package_folder_ships_in_the_wheel() -> None:
    import tomllib

    config = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    folders = {"avial2c"} | {
        f"avial2c.{p.name}" for p in PACKAGE.iterdir() if (p / "__init__.py").exists()
    }
    assert folders <= listed
    assert set(config["package-dir"].values()) == {
        "grammar", "templates", "runtime_c", "runtime_c/calibrate"
    }  # fmt: skip


# Where a value's type may still be unknown (``Value.known_type`` None): the
# IR itself, the front end and the checker.  Every later stage takes a
# CheckedProgram and reads ``.type``, never None.
RAW_IR_MODULES = ("avial2c.ir", "avial2c.frontend", "avial2c.check.checker")


def raw_type_reads() -> list[str]:
    """`.known_type` reads, and `.type is (not) None` tests, outside RAW_IR_MODULES."""
    found: list[str] = []
    for path in PACKAGE.rglob("*.py"):
        name = module_name(path)
        if name.startswith(RAW_IR_MODULES):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "known_type":
                found.append(f"{name}:{node.lineno} reads known_type")
            if (
                isinstance(node, ast.Compare)
                and isinstance(node.left, ast.Attribute)
                and node.left.attr == "type"
                and any(isinstance(op, ast.Is | ast.IsNot) for op in node.ops)
                and any(isinstance(x, ast.Constant) and x.value is None for x in node.comparators)
            ):
                found.append(f"{name}:{node.lineno} tests a type for None")
    return found


def test_the_stages_after_the_checker_never_meet_an_untyped_value() -> None:
    assert raw_type_reads() == []
