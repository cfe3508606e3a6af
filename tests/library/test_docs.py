"""The Python in docs/library.md and the README's library section runs as written.

docs/library.md's pytest fixture is the pattern users copy into their own suites: its two files (the
```python blocks whose first line is `# conftest.py` and `# test_….py`) are written to a directory of
their own and run by pytest in a fresh process, with an environment that knows nothing of pdauth. The
quick starts (the first ```python block of docs/library.md, and the README's under "Python library") run
as scripts against the emulator with a stored login.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CLI, REPO

pytestmark = pytest.mark.timeout(180)
LIBRARY_DOC = REPO / "docs" / "library.md"
README = REPO / "README.md"


def python_blocks(path: Path, *, heading: str | None = None) -> list[str]:
    """The ```python blocks of a markdown file (only those under `heading`, if given)."""
    blocks, section, current = [], None, None
    for line in path.read_text(encoding="utf-8").splitlines():
        if current is not None:
            if line.strip() == "```":
                if heading is None or section == heading:
                    blocks.append("\n".join(current) + "\n")
                current = None
            else:
                current.append(line)
        elif line.startswith("#"):
            section = line.lstrip("#").strip()
        elif line.strip() == "```python":
            current = []
    return blocks


def test_the_docs_pytest_fixture_runs_as_written(tmp_path: Path) -> None:
    files = {}
    for block in python_blocks(LIBRARY_DOC):
        name = re.fullmatch(r"# (conftest\.py|test_\w+\.py)", block.splitlines()[0])
        if name:
            files[name.group(1)] = block
    assert set(files) == {"conftest.py", "test_deals.py"}
    suite = tmp_path / "suite"
    suite.mkdir()
    for name, text in files.items():
        (suite / name).write_text(text)
    # What a user's CI has: no pdauth configuration, no Pipedrive variables, a HOME of its own.
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PDAUTH_", "PIPEDRIVE_", "PYTHON_KEYRING"))
    }
    env.update(HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "home" / ".config"))
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", str(suite)],
        cwd=suite,
        env=env,
        capture_output=True,
        text=True,
        timeout=170,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"\b5 passed\b", r.stdout), r.stdout
    assert not (tmp_path / "home").exists()  # nothing of the user's config or keyring was touched


@pytest.mark.emulator(deals=5)
@pytest.mark.parametrize("source", ["docs/library.md", "README.md"], ids=["docs-quick-start", "readme"])
def test_the_quick_starts_run_against_a_stored_login(
    logged_in: CLI, emulator: Any, tmp_path: Path, source: str
) -> None:
    blocks = (
        python_blocks(LIBRARY_DOC)
        if source == "docs/library.md"
        else python_blocks(README, heading="Python library")
    )
    script = tmp_path / "quick_start.py"
    script.write_text(blocks[0])
    r = subprocess.run(
        [sys.executable, str(script)], env=logged_in.env, capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0, r.stderr
    import pdauth

    with pdauth.Session() as s:
        open_deals = [f"{d['id']} {d['title']}" for d in s.paginate("/v2/deals", params={"status": "open"})]
    assert open_deals[-1].endswith(" Big deal")  # created by the quick start, after it listed the others
    assert r.stdout.splitlines()[: len(open_deals) - 1] == open_deals[:-1]
