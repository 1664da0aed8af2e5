"""The package reads in floors: imports only go down, and never in a circle."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "mtlsynth"


def _modules():
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _imports(path):
    """Modules of the package that a file imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "mtlsynth"
        ):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in MODULES else node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("mtlsynth")}
    return found


GRAPH = {name: _imports(path) for name, path in MODULES.items()}


def _floor(name):
    """0: utils; 1: estimators; 2: speech; 3: benchmark; 4: command line."""
    for prefix, floor in (
        ("mtlsynth.utils", 0),
        ("mtlsynth.speech", 2),
        ("mtlsynth.bench", 3),
        ("mtlsynth.cli", 4),
    ):
        if name == prefix or name.startswith(prefix + "."):
            return floor
    return 1


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_only_go_down(name):
    upward = [m for m in GRAPH[name] if _floor(m) > _floor(name)]
    assert not upward, f"{name} imports {upward} from a floor above it"


def test_no_import_circles():
    state = {}

    def visit(name, path):
        state[name] = "open"
        for other in sorted(GRAPH[name]):
            if other not in MODULES or other == name:
                continue
            if state.get(other) == "open":
                raise AssertionError(" -> ".join([*path, name, other]))
            if other not in state:
                visit(other, [*path, name])
        state[name] = "done"

    for name in sorted(MODULES):
        if name not in state:
            visit(name, [])


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_needs_scrolling_through_topics(name):
    lines = MODULES[name].read_text().count("\n")
    assert lines <= 900, f"{name}: {lines} lines; split it by concern"
