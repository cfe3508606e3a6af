"""docs/security.md promises only what a test checks: every statement in it names its test, and every
name resolves to a test module or test function that exists.

A reference is `[test_module]`, `[test_module: what it checks]` or `[test_function]`, several separated
by `;` or `,`. The intro and the section on what pdauth does not protect against make no promises.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "security.md"
TESTS = REPO / "tests"
# Sections that state limits, not promises.
UNPROMISED = ("what this does not protect against", "security model")
REFERENCE = re.compile(r"\[(test_[^\]]*)\]")


@cache
def known_tests() -> frozenset[str]:
    names: set[str] = set()
    for path in TESTS.rglob("test_*.py"):
        if "node_modules" in path.parts:
            continue
        names.add(path.stem)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_"):
                names.add(node.name)
    return frozenset(names)


def statements() -> list[tuple[str, str]]:
    """(section heading, text) of every paragraph, list item and table row outside the unpromised sections."""
    found: list[tuple[str, str]] = []
    heading, block, fenced = "", [], False

    def flush() -> None:
        text = " ".join(block).strip()
        if text and not heading.lower().startswith(UNPROMISED):
            found.append((heading, text))
        block.clear()

    for line in DOC.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            continue
        if stripped.startswith("#"):
            flush()
            heading = stripped.lstrip("#").strip()
        elif not stripped:
            flush()
        elif stripped.startswith(("- ", "* ")) or re.match(r"\d+\. ", stripped):
            flush()
            block.append(stripped)
        elif stripped.startswith("|"):
            flush()
            if not re.fullmatch(r"\|[\s|:-]*\|", stripped) and not _is_header_row(stripped):
                block.append(stripped)
                flush()
        else:
            block.append(stripped)
    flush()
    return found


def _is_header_row(row: str) -> bool:
    return row.replace(" ", "").lower().startswith("|what|")


def test_every_statement_names_its_test() -> None:
    untested = [f"{heading}: {text[:90]}…" for heading, text in statements() if not REFERENCE.search(text)]
    assert not untested, "statements in docs/security.md without a [test…] reference:\n" + "\n".join(untested)


def test_every_reference_names_a_test_that_exists() -> None:
    missing = []
    for _heading, text in statements():
        for reference in REFERENCE.findall(text):
            for part in re.split(r"[;,]", reference):
                name = part.split(":", 1)[0].strip()
                if name.startswith("test_") and name not in known_tests():
                    missing.append(name)
    assert not missing, f"docs/security.md names tests that do not exist: {sorted(set(missing))}"
