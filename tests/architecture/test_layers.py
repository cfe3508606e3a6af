"""The import contract: dependencies point one way, read from the code itself (imports at any depth).

    cli → {doctor → {login, call}, library → call} → core → store → hotpath → errors
    (envvars and version, two leaves of constants, may be imported by every layer)

Nothing outside `cli` imports typer or rich (the emulator's own command excepted); `hotpath` imports only
the standard library and `errors`; the emulator imports nothing of the client (tests/emulator has its
own, stricter check); and no two modules import each other, however indirectly.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).resolve().parents[2] / "pdauth"

# Each layer, and the pdauth layers its modules may import (besides their own).
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "hotpath": {"errors"},
    "store": {"errors", "hotpath"},
    "core": {"errors", "hotpath", "store"},
    "login": {"errors", "hotpath", "store", "core"},
    "call": {"errors", "hotpath", "store", "core"},
    "library": {"errors", "hotpath", "store", "core", "call"},
    "doctor": {"errors", "hotpath", "store", "core", "login", "call"},
    "cli": {"errors", "hotpath", "store", "core", "login", "call", "doctor", "emulator", "__init__"},
    "entry": {"errors", "hotpath", "cli"},
    "__main__": {"entry"},
    "__init__": {"errors", "library", "core", "hotpath"},
    "emulator": set(),
    "envvars": set(),
    "version": set(),
}
# Leaves every client layer may import: names of environment variables, the version string.
for name, allowed in ALLOWED.items():
    if name not in ("emulator", "envvars", "version"):
        allowed |= {"envvars", "version"}
UI_PACKAGES = {"typer", "rich", "click"}
# Where the standard library has no answer, and only there: Windows has no flock (filelock stands in), and
# only platformdirs knows the config dir of macOS and Windows (Linux's XDG rule is pdauth's own).
HOTPATH_PLATFORM_FALLBACKS = {"pdauth.hotpath.lock": {"filelock"}, "pdauth.hotpath.paths": {"platformdirs"}}
UI_ALLOWED = {"cli", "emulator.command", "emulator.__main__"}


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE_DIR.rglob("*.py"):
        parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = modules()


def imports(name: str, path: Path) -> Iterator[str]:
    """Every module `name` imports, at any depth (function bodies and TYPE_CHECKING blocks included)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            submodules = [f"{module}.{alias.name}" in MODULES for alias in node.names]
            if module != "pdauth" or not all(submodules):  # `from pdauth import errors`: only errors
                yield module
            for alias in node.names:  # `from pdauth.core import oauth` imports pdauth.core.oauth
                if f"{module}.{alias.name}" in MODULES:
                    yield f"{module}.{alias.name}"


def layer(module: str) -> str:
    """The layer of a pdauth module: its first segment under pdauth ("__init__" for pdauth itself)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def internal(target: str) -> str | None:
    """The pdauth module `target` names (a package's __init__ for an attribute import), or None."""
    while target and target not in MODULES:
        target = target.rpartition(".")[0]
    return target or None


GRAPH = {
    name: {t for raw in imports(name, path) if (t := internal(raw)) and t != name}
    for name, path in MODULES.items()
}
EXTERNAL = {
    name: {raw.split(".")[0] for raw in imports(name, path) if raw and not raw.startswith("pdauth")}
    for name, path in MODULES.items()
}


def test_the_contract_reads_the_whole_package() -> None:
    assert len(MODULES) > 40
    assert {layer(m) for m in MODULES} <= set(ALLOWED)


def test_dependencies_point_one_way() -> None:
    wrong = sorted(
        f"{name} imports {target}"
        for name, targets in GRAPH.items()
        for target in targets
        if layer(target) != layer(name) and layer(target) not in ALLOWED[layer(name)]
    )
    assert wrong == []


def test_only_the_cli_imports_typer_or_rich() -> None:
    def allowed(name: str) -> bool:
        rest = name.split(".", 1)[1] if "." in name else ""
        return any(rest == a or rest.startswith(a + ".") for a in UI_ALLOWED)

    wrong = sorted(
        f"{name}: {sorted(EXTERNAL[name] & UI_PACKAGES)}"
        for name in MODULES
        if EXTERNAL[name] & UI_PACKAGES and not allowed(name)
    )
    assert wrong == []


def test_the_hot_path_uses_only_the_standard_library() -> None:
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    wrong = sorted(
        f"{name}: {sorted(extra)}"
        for name in MODULES
        if layer(name) in ("hotpath", "errors", "envvars", "version")
        and (extra := EXTERNAL[name] - stdlib - HOTPATH_PLATFORM_FALLBACKS.get(name, set()))
    )
    assert wrong == []


def cycles() -> list[tuple[str, str]]:
    def reaches(start: str, goal: str) -> bool:
        seen, stack = set(), [start]
        while stack:
            node = stack.pop()
            if node == goal:
                return True
            if node not in seen:
                seen.add(node)
                stack.extend(GRAPH[node])
        return False

    return sorted({tuple(sorted((a, b))) for a in GRAPH for b in GRAPH[a] if reaches(b, a)})  # type: ignore[misc]


def test_no_module_imports_itself_through_others() -> None:
    assert cycles() == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import typer", {"typer"}),
        ("def f():\n    from rich.console import Console", {"rich.console"}),
        ("from pdauth.core import oauth", {"pdauth.core", "pdauth.core.oauth"}),
        ("if TYPE_CHECKING:\n    from pdauth.cli import ui", {"pdauth.cli", "pdauth.cli.ui"}),
        ("from . import lock", {"pdauth.hotpath", "pdauth.hotpath.lock"}),
        ("from ..core.tokens import TokenSet", {"pdauth.core.tokens"}),
    ],
)
def test_the_reader_sees_every_kind_of_import(tmp_path: Path, source: str, expected: set[str]) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(source)
    assert set(imports("pdauth.hotpath.probe", probe)) == expected
