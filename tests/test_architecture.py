"""The package's import graph, read from the source with ``ast``: no circle, and
every part imports only what it may (DESIGN.md, docs/architecture.md).

Every import counts: at module level, under ``if TYPE_CHECKING:``, inside
functions, and the module names that a module passes as strings to
``importlib.import_module`` or ``__import__``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "cellflux"
JS = ROOT / "js"
JS_FOLDERS = ("src", "tests")
"""The front end's own code and its tests (js/node_modules is not ours; js/tests/fixtures holds data)."""
FACE = {"cellflux", "cellflux.views", "cellflux.wiring"}
"""The public face and the wiring: the only top-level modules that may import the store and the boards."""
FENCED = ("cellflux.store", "cellflux.display", "cellflux.integrations")
MAX_LINES = 300

_MODULE_NAME = re.compile(r"^cellflux(\.\w+)+")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _absolute(name: str, is_package: bool, module: str | None, level: int) -> str:
    """The absolute name of ``from <level dots><module> import ...`` written in module ``name``."""
    if level == 0:
        return module or ""
    base = name.split(".") if is_package else name.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def _calls_import_module(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if called in ("import_module", "__import__"):
                return True
    return False


def imports_in(name: str, source: str, *, is_package: bool = False) -> set[str]:
    """Every module, of this package or not, that ``source`` (module ``name``) imports."""
    tree = ast.parse(source)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = _absolute(name, is_package, node.module, node.level)
            for alias in node.names:
                # ``from . import execution`` imports a module; ``from .x import y`` a name of x.
                submodule = f"{target}.{alias.name}"
                found.add(submodule if submodule in MODULES else target)
    if _calls_import_module(tree):
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                match = _MODULE_NAME.match(node.value)
                if match:
                    found.add(match.group(0))
    return found


def imports_of(name: str) -> set[str]:
    path = MODULES[name]
    return imports_in(name, path.read_text(encoding="utf-8"), is_package=path.name == "__init__.py")


def in_package(name: str, imports: set[str]) -> set[str]:
    """The modules of this package among ``imports`` (a package stands for its __init__)."""
    out = set()
    for target in imports:
        while target and target not in MODULES:
            target = target.rpartition(".")[0]
        if target and target != name:
            out.add(target)
    return out


GRAPH = {name: in_package(name, imports_of(name)) for name in MODULES}
CORE = sorted(
    name for name in MODULES if name.count(".") == 1 and MODULES[name].name != "__init__.py" and name not in FACE
)
"""Every module directly in the package but the face: a new one is core unless it is added to FACE."""


def _cycles() -> Iterator[list[str]]:
    """Each circle of imports once, as the list of its modules (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(node: str) -> Iterator[list[str]]:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(GRAPH[node]):
            if target not in index:
                yield from visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                yield sorted(component)

    for node in sorted(GRAPH):
        if node not in index:
            yield from visit(node)


def test_the_reader_sees_every_kind_of_import() -> None:
    # The checks below are only as good as this reader: it must see imports under
    # TYPE_CHECKING, inside functions, relative ones of every depth, and strings
    # given to importlib.
    source = (
        "from typing import TYPE_CHECKING\n"
        "import importlib\n"
        "import cellflux.throttle\n"
        "from .. import execution as ex\n"
        "from . import routes\n"
        "from ..series import Series\n"
        "if TYPE_CHECKING:\n    from .records import Store\n"
        "def f():\n    from ..display.board import Board\n"
        "PLUGINS = ('cellflux.display.text:make_sink',)\n"
        "def g(path):\n    return importlib.import_module(path.partition(':')[0])\n"
    )
    name = "cellflux.store.probe"
    assert in_package(name, imports_in(name, source)) == {
        "cellflux.throttle", "cellflux.execution", "cellflux.store.routes", "cellflux.series",
        "cellflux.store.records", "cellflux.display.board", "cellflux.display.text",
    }


def test_no_circle_of_imports() -> None:
    circles = list(_cycles())
    assert not circles, "modules that import each other in a circle: " + "; ".join(", ".join(c) for c in circles)


@pytest.mark.parametrize("name", CORE)
def test_the_core_imports_neither_store_nor_display_nor_integrations(name: str) -> None:
    reached = sorted(target for target in GRAPH[name] if target.startswith(FENCED))
    assert reached == [], f"{name} imports {reached}: the core must work without them"


def test_the_core_is_what_the_design_says() -> None:
    # A new top-level module is core unless it is added to FACE: this keeps that list honest.
    assert {"cellflux.metric", "cellflux.runtime", "cellflux.execution", "cellflux.sink", "cellflux.config"} <= set(CORE)


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith("cellflux.store")))
def test_the_store_never_imports_the_display(name: str) -> None:
    reached = sorted(target for target in GRAPH[name] if target.startswith("cellflux.display"))
    assert reached == [], f"{name} imports {reached}: the store serves any reader"


def test_bqplot_is_imported_by_the_chart_module_only() -> None:
    importers = sorted(
        name for name in MODULES if any(t == "bqplot" or t.startswith("bqplot.") for t in imports_of(name))
    )
    assert importers == ["cellflux.display.chart"]


@pytest.mark.parametrize("relative", [path.relative_to(PACKAGE).as_posix() for path in MODULES.values()])
def test_modules_stay_under_300_lines(relative: str) -> None:
    lines = len((PACKAGE / relative).read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{relative} has {lines} lines: split it by job"


JS_MODULES = sorted(path.relative_to(JS).as_posix() for folder in JS_FOLDERS for path in (JS / folder).rglob("*.js"))


def test_the_js_modules_are_found() -> None:
    # The size check below passes on an empty list: make sure it sees the front end's modules.
    assert {"src/controls.js", "src/progress.js", "tests/progress.test.js"} <= set(JS_MODULES)


@pytest.mark.parametrize("relative", JS_MODULES)
def test_js_modules_stay_under_300_lines(relative: str) -> None:
    lines = len((JS / relative).read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"js/{relative} has {lines} lines: split it by job"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith("cellflux.integrations.")))
def test_integrations_use_only_the_public_api(name: str) -> None:
    reached = sorted(t for t in GRAPH[name] if t != "cellflux" and not t.startswith("cellflux.integrations"))
    assert reached == [], f"{name} imports {reached}: an integration uses `import cellflux as cf` only"
