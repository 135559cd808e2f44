"""The package's layering: no import cycles, nobody outside training/ imports training/, no backend switch."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import fashiongan

PACKAGE = Path(fashiongan.__file__).parent
SUBPACKAGES = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_level_imports(path: Path) -> set[str]:
    """fashiongan modules imported at module level (imports inside functions are deliberate and lazy)."""
    found = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("fashiongan"):
            for alias in node.names:  # `from fashiongan.cli import train` imports the module cli.train
                submodule = PACKAGE.parent / (node.module.replace(".", "/") + f"/{alias.name}.py")
                found.add(f"{node.module}.{alias.name}" if submodule.is_file() else node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("fashiongan")}
    return found


def import_graph() -> dict[str, set[str]]:
    return {module_name(p): module_level_imports(p) for p in PACKAGE.rglob("*.py")}


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


def test_module_level_imports_have_no_cycle():
    graph = import_graph()
    visiting, done, cycles = set(), set(), []

    def visit(node: str, trail: list[str]) -> None:
        if node in done or node not in graph:
            return
        if node in visiting:
            cycles.append(trail[trail.index(node):] + [node])
            return
        visiting.add(node)
        for target in graph[node]:
            visit(target, trail + [node])
        visiting.discard(node)
        done.add(node)

    for module in graph:
        visit(module, [])
    assert not cycles, cycles


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
