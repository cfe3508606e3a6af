"""The emulator shares no code with pdauth's client: no module of it imports pdauth.* outside itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import pdauth.emulator

PACKAGE_DIR = Path(pdauth.emulator.__file__).parent
PACKAGE = "pdauth.emulator"


def _allowed(module: str) -> bool:
    return not (module == "pdauth" or module.startswith("pdauth.")) or (
        module == PACKAGE or module.startswith(PACKAGE + ".")
    )


def forbidden_imports(source: str, filename: str) -> list[str]:
    """Every import in `source` that reaches pdauth outside pdauth.emulator, as 'line: module'."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            found += [f"{node.lineno}: {alias.name}" for alias in node.names if not _allowed(alias.name)]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative, from a module of pdauth/emulator: level 1 = the package, 2 = pdauth
                parts = PACKAGE.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1]) or "pdauth"
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            names = [module] if node.module or node.level else []
            if module == "pdauth":  # `from pdauth import emulator` is fine, `import tokens` is not
                names = [f"pdauth.{alias.name}" for alias in node.names]
            found += [f"{node.lineno}: {name}" for name in names if not _allowed(name)]
        elif isinstance(node, ast.Call):  # importlib.import_module("pdauth.x") / __import__("pdauth.x")
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__") and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and not _allowed(arg.value):
                    found.append(f"{node.lineno}: {arg.value}")
    return found


def test_the_emulator_imports_nothing_from_the_client():
    modules = sorted(PACKAGE_DIR.rglob("*.py"))
    assert len(modules) >= 10  # the walk really found the package
    problems = {
        str(path.relative_to(PACKAGE_DIR)): bad
        for path in modules
        if (bad := forbidden_imports(path.read_text(encoding="utf-8"), str(path)))
    }
    assert problems == {}


@pytest.mark.parametrize(
    "source",
    [
        "import pdauth.core.tokens",
        "import pdauth",
        "from pdauth import tokens",
        "from pdauth.core.oauth import exchange",
        "from .. import tokens",
        "from ..errors import PdauthError",
        "import importlib\nimportlib.import_module('pdauth.login.flow')",
        "__import__('pdauth.core.api')",
        "def f():\n    from pdauth.store.keyring import TokenStore",
    ],
)
def test_the_checker_catches_client_imports(source):
    assert forbidden_imports(source, "<probe>")


@pytest.mark.parametrize(
    "source",
    [
        "import pdauth.emulator.state",
        "from pdauth.emulator import server",
        "from pdauth import emulator",
        "from . import state",
        "from .config import EmulatorConfig",
        "import json, http.server",
        "import pdauthx",
    ],
)
def test_the_checker_allows_emulator_and_stdlib_imports(source):
    assert forbidden_imports(source, "<probe>") == []
