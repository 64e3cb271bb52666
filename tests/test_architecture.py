"""The house rules of bot/: rooms never import each other round about, and no module is too long to read."""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parent.parent / "bot"
MAX_LINES = 500


def room(module: str) -> str:
    """A module's room: its package under bot/ (bot.core, bot.daily, ...) or the top-level module itself."""
    parts = module.split(".")
    return ".".join(parts[:2])


def module_name(path: Path) -> str:
    relative = path.relative_to(BOT.parent).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def imported(path: Path) -> set[str]:
    """Every bot module a file imports, at the top, inside functions or for type checking alike."""
    names: set[str] = set()
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], base]).strip(".")
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module" and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            names.add(node.args[0].value)
    return {n for n in names if n == "bot" or n.startswith("bot.")}


def room_graph() -> dict[str, set[str]]:
    """Room → the other rooms it imports."""
    graph: dict[str, set[str]] = {}
    rooms = {room(module_name(path)) for path in BOT.rglob("*.py")}
    for path in BOT.rglob("*.py"):
        source = room(module_name(path))
        graph.setdefault(source, set()).update(
            target for target in map(room, imported(path)) if target in rooms and target not in (source, "bot"))
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one room (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_two_rooms_import_each_other_even_round_about() -> None:
    graph = room_graph()
    assert {"bot.core", "bot.adapters", "bot.daily", "bot.storage", "bot.app", "bot.runtime"} <= set(graph)
    assert cycles(graph) == []


def test_the_cycle_finder_sees_a_round_about_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_platform_libraries_stay_in_the_adapters() -> None:
    for path in BOT.rglob("*.py"):
        if room(module_name(path)) == "bot.adapters":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        tops = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
        tops |= {(node.module or "").split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and not node.level}
        assert not tops & {"telegram", "discord"}, path


def test_no_module_is_over_the_limit() -> None:
    long = {str(p.relative_to(BOT)): n for p in BOT.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}
