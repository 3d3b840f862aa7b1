"""The direction of imports, one way (issue #16): core <- index <- rag <- ui; components, eval and
the command line on top; nothing imports the command line. Read from the source, so it fails the
moment someone imports upward."""

from __future__ import annotations

import ast

import pytest
from conftest import REPO

CORE = ("newsrag.settings", "newsrag.messages", "newsrag.offline")
# Folder -> the newsrag modules its files may import (prefixes).
ALLOWED = {
    "core": CORE,
    "index": (*CORE, "newsrag.index"),
    "rag": (*CORE, "newsrag.index", "newsrag.rag"),
    "ui": (*CORE, "newsrag.index", "newsrag.rag", "newsrag.ui"),
    "eval": (*CORE, "newsrag.index", "newsrag.rag", "newsrag.eval", "newsrag.components"),
}
LAYERS = {
    "core": [REPO / "newsrag" / f"{name}.py" for name in ("settings", "messages", "offline")],
    "index": sorted((REPO / "index").glob("*.py")),
    "rag": sorted((REPO / "rag").rglob("*.py")),
    "ui": sorted((REPO / "ui").glob("*.py")),
    "eval": sorted((REPO / "eval").glob("*.py")),
}


def _our_imports(path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


@pytest.mark.parametrize("layer", list(LAYERS))
def test_each_layer_imports_only_what_is_below_it(layer):
    wrong = [
        f"{path.relative_to(REPO)} imports {module}"
        for path in LAYERS[layer]
        for module in _our_imports(path)
        if module.split(".")[0] == "newsrag" and module != "newsrag" and not module.startswith(ALLOWED[layer])
    ]
    assert not wrong, wrong
