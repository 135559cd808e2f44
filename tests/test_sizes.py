"""Files you can read whole and functions you can see whole: no module over 300 lines, no function over 80."""

from __future__ import annotations

import ast
from pathlib import Path

import fashiongan

PACKAGE = Path(fashiongan.__file__).parent
MAX_FILE_LINES = 300
MAX_FUNCTION_LINES = 80


def test_no_module_is_longer_than_300_lines():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > MAX_FILE_LINES}
    assert not long, long


def test_no_function_is_longer_than_80_lines():
    long = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                if node.end_lineno - first + 1 > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(PACKAGE)}:{node.name}"] = node.end_lineno - first + 1
    assert not long, long
