"""The bot's packages depend on each other in one direction only: no import cycle between
bot/ packages (a top-level module such as bot.app counts as a package of its own), found by
walking the imports of bot/**/*.py with ast; every bot module imports; handlers do not import
the jobs, use cases no handler."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOT = ROOT / "bot"


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _package(module: str) -> str:
    """bot.handlers.report -> bot.handlers; bot.app -> bot.app; bot -> bot."""
    return ".".join(module.split(".")[:2])


MODULES = {_module(path): path for path in sorted(BOT.rglob("*.py"))}


def _imports(module: str, path: Path) -> set[str]:
    """The bot modules `module` imports, at module level or late (inside a function: a late
    import is still a dependency, and a cycle held together by one is still a cycle); not
    those under `if TYPE_CHECKING:` (annotations only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    is_package = path.name == "__init__.py"
    for child in _walk(tree):
        if isinstance(child, ast.Import):
            found |= {alias.name for alias in child.names}
        elif isinstance(child, ast.ImportFrom):
            base = child.module or ""
            if child.level:
                anchor = module.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[: len(anchor) - child.level + 1]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in child.names}
    return {name for name in found if name in MODULES and name != module}


def _walk(node: ast.AST):  # type: ignore[no-untyped-def]
    yield node
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
            continue
        yield from _walk(child)


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        source = _package(module)
        for target in _imports(module, path):
            if _package(target) != source and source != "bot" and _package(target) != "bot":
                graph.setdefault(source, set()).add(_package(target))
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle_between_bot_packages() -> None:
    assert _cycle(_graph()) is None, " -> ".join(_cycle(_graph()) or [])


def test_handlers_do_not_import_the_jobs() -> None:
    graph = _graph()
    assert "bot.jobs" not in graph.get("bot.handlers", set())
    assert "bot.handlers" not in graph.get("bot.usecases", set())


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}}) is None


@pytest.mark.parametrize("module", sorted(m for m in MODULES if not m.endswith("__main__")))
def test_every_bot_module_imports(module: str) -> None:
    importlib.import_module(module)
