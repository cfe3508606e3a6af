"""The README's emulator quick-start runs unattended, exactly as written, in a fresh shell."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.realtools import REPO, STARTING_ENV


def quick_start() -> tuple[list[str], list[str]]:
    """(commands, expected output lines) of the README block after <!-- emulator-quick-start -->."""
    text = (REPO / "README.md").read_text()
    block = re.search(r"<!-- emulator-quick-start -->\n```console\n(.*?)```", text, re.S)
    assert block, "the README lost its emulator quick-start block"
    commands, outputs = [], []
    for line in block.group(1).splitlines():
        (commands if line.startswith("$ ") else outputs).append(line[2:] if line.startswith("$ ") else line)
    return commands, outputs


@pytest.mark.timeout(180)
def test_readme_emulator_quick_start_runs_as_written(tmp_path: Path) -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    commands, expected = quick_start()
    home = tmp_path / "home"
    home.mkdir()
    env = {
        k: v
        for k, v in STARTING_ENV.items()
        if not k.startswith(("PDAUTH_", "PIPEDRIVE_", "XDG_CONFIG", "PYTEST_")) and k != "BROWSER"
    }
    env["HOME"] = str(home)
    if STARTING_ENV.get("PDAUTH_SECRET_SERVICE") != "1":
        # No private Secret Service here: a file keyring stands in for the OS keyring (the block is unchanged).
        env.update(
            PYTHON_KEYRING_BACKEND="tests.support.keyrings.JsonFileKeyring",
            PDAUTH_TEST_KEYRING_FILE=str(tmp_path / "keyring.json"),
            PYTHONPATH=str(REPO),
        )
    else:
        env["PDAUTH_SECRET_SERVICE"] = "1"
    # Never reinstall the venv from inside a test run (make test made it before pytest started).
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "make").write_text(f'#!/bin/sh\nexec {shutil.which("make")} -o .venv/.installed "$@"\n')
    (shim / "make").chmod(0o755)
    env["PATH"] = f"{shim}{os.pathsep}{env.get('PATH', '')}"
    script = "set -e -o pipefail\nset -m\n" + "\n".join(commands) + "\n"
    proc = subprocess.run(
        ["bash", "-c", script],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [line.strip() for line in proc.stdout.splitlines() if line.strip()]
    assert lines == [e.strip() for e in expected], proc.stdout + proc.stderr
    # Its own profile: nothing of the emulator's is remembered for `default`.
    config = home / ".config" / "pdauth" / "config.json"
    assert not config.exists() or '"default"' not in config.read_text()
