"""The package's layering: every import (module level, inside functions, under TYPE_CHECKING) goes down the
layer order written in docs/architecture.md, never up and never in a circle; nobody outside training/ imports
training/; no backend switch."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import fashiongan

PACKAGE = Path(fashiongan.__file__).parent
ARCHITECTURE = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"
SUBPACKAGES = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
ROOT = "__init__"  # the package root, fashiongan/__init__.py: the public names


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(source: str) -> set[str]:
    """Every fashiongan module ``source`` imports, wherever the import statement stands."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("fashiongan"):
            for alias in node.names:  # `from fashiongan.cli import train` imports the module cli.train
                submodule = PACKAGE.parent / (node.module.replace(".", "/") + f"/{alias.name}.py")
                found.add(f"{node.module}.{alias.name}" if submodule.is_file() else node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("fashiongan")}
    return found


def import_graph() -> dict[str, set[str]]:
    graph = {module_name(p): imports(p.read_text()) for p in PACKAGE.rglob("*.py")}
    graph["fashiongan"] |= set(fashiongan._LAZY.values())  # the root's lazy names are imports too
    return graph


def part(module: str) -> str:
    """The layer-table name of a module: its subpackage, its top-level module, or the root."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ROOT


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, targets in import_graph().items():
        graph.setdefault(part(module), set()).update(part(t) for t in targets if part(t) != part(module))
    return graph


def layers() -> dict[str, int]:
    """Each part's layer (0 = bottom), from the table between the layer markers in docs/architecture.md."""
    text = ARCHITECTURE.read_text()
    table = re.search(r"<!-- layers -->\n```\n(.*?)```", text, re.S)
    assert table, f"{ARCHITECTURE} has no layer table"
    rows = [line.split("|")[0].split() for line in table.group(1).splitlines() if line.strip()]
    order = {}
    for level, row in enumerate(reversed(rows)):  # the table lists the top layer first
        for name in row[1:]:
            order[name.removesuffix("/").removesuffix(".py").replace("__init__", ROOT)] = level
    return order


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    visiting, done, found = set(), set(), []

    def visit(node: str, trail: list[str]) -> None:
        if node in done or node not in graph:
            return
        if node in visiting:
            found.append(trail[trail.index(node):] + [node])
            return
        visiting.add(node)
        for target in sorted(graph[node]):
            visit(target, trail + [node])
        visiting.discard(node)
        done.add(node)

    for node in sorted(graph):
        visit(node, [])
    return found


def test_imports_are_read_everywhere_a_module_can_import():
    source = (
        "import fashiongan.a\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from fashiongan.b import B\n"
        "def f():\n    from fashiongan.c import d\n"
        "class K:\n    def g(self):\n        import fashiongan.e\n"
    )
    assert imports(source) == {"fashiongan.a", "fashiongan.b", "fashiongan.c", "fashiongan.e"}


def test_no_module_outside_training_imports_training():
    offenders = {}
    for path in PACKAGE.rglob("*.py"):
        name = module_name(path)
        allowed = name in ("fashiongan.cli.train", "fashiongan")  # the train command; the lazy `fashiongan.train`
        if name.startswith(("fashiongan.training", "fashiongan.bench")) or allowed:  # bench times the train step
            continue
        text = path.read_text()
        if "fashiongan.training" in text:
            offenders[name] = [line.strip() for line in text.splitlines() if "fashiongan.training" in line]
    assert not offenders, offenders


def test_no_import_cycle_between_modules():
    assert not cycles(import_graph())


def test_no_import_cycle_between_packages():
    assert not cycles(package_graph())


def test_every_part_has_a_layer_and_imports_go_down():
    order = layers()
    graph = package_graph()
    assert set(graph) - set(order) == set(), "parts missing from the layer table in docs/architecture.md"
    upward = {f"{source} -> {target}" for source, targets in graph.items() for target in targets
              if target in order and order[target] > order[source]}
    assert not upward, sorted(upward)


def test_each_subpackage_imports_alone_and_the_backend_is_left_alone():
    script = f"""
import importlib, sys
import matplotlib
for name in {SUBPACKAGES!r} + ["generate"]:
    for loaded in [m for m in sys.modules if m == "fashiongan" or m.startswith("fashiongan.")]:
        del sys.modules[loaded]
    module = importlib.import_module("fashiongan." + name)
    for sub in getattr(module, "__path__", []) and __import__("pkgutil").iter_modules(module.__path__):
        importlib.import_module(f"fashiongan.{{name}}.{{sub.name}}")
from fashiongan.viz.plots import plot_training
import tempfile
plot_training([{{"epoch": 1, "d_loss": 1.0, "g_loss": 2.0}}], tempfile.mkdtemp())
print(matplotlib.get_backend())
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                            env={**__import__("os").environ, "MPLBACKEND": "template"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "template"
