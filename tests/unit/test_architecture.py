"""The layering docs/architecture.md describes, checked on the source so it cannot drift.

Core (`bot/` outside `bot/slack/`, `bot/devtools/` and the CLI entry points) knows nothing of Slack; the Slack
adapter knows the core; listeners in `handlers/` see only the flows they are given; one composition root joins them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENTRY_POINTS = {
    "bot/cli.py", "bot/cli_dev.py", "bot/cli_cache.py", "bot/cli_jobs.py", "bot/cli_followup.py", "bot/cli_compare.py",
}
COMPOSITION_ROOT = "bot/slack/app.py"
LIMITS = {"bot/devtools/": 600}
DEFAULT_LIMIT = 400


def _modules(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _imports(path: Path, *, runtime_only: bool) -> Iterator[str]:
    """Every module `path` imports; with `runtime_only`, not those inside `if TYPE_CHECKING:`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    if runtime_only:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                skipped.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def _core() -> list[Path]:
    return [
        p for p in _modules("bot")
        if not _rel(p).startswith(("bot/slack/", "bot/devtools/")) and _rel(p) not in ENTRY_POINTS
    ]


def _starts(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize("path", _core(), ids=_rel)
def test_the_core_never_imports_slack_code(path: Path) -> None:
    forbidden = ("slack_sdk", "slack_bolt", "handlers", "bot.slack", "bot.devtools", "bot.cli")
    assert [name for name in _imports(path, runtime_only=False) if _starts(name, *forbidden)] == []


def test_only_the_composition_root_imports_the_listeners() -> None:
    importers = [
        _rel(p) for p in _modules("bot") if any(_starts(n, "handlers") for n in _imports(p, runtime_only=True))
    ]
    assert importers == [COMPOSITION_ROOT]


@pytest.mark.parametrize("path", _modules("handlers"), ids=_rel)
def test_listeners_depend_on_slack_and_each_other_only(path: Path) -> None:
    # The flows are injected through register(app, flows); at run time handlers/ never reaches into bot/.
    assert [n for n in _imports(path, runtime_only=True) if _starts(n, "bot")] == []


@pytest.mark.parametrize("path", _modules("bot", "handlers"), ids=_rel)
def test_modules_stay_small(path: Path) -> None:
    limit = next((n for prefix, n in LIMITS.items() if _rel(path).startswith(prefix)), DEFAULT_LIMIT)
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= limit, f"{_rel(path)} has {lines} lines; split it by what its parts do (limit {limit})"
