"""The developer's first commands: `make install`, `make demo`, `make test` say what matters and nothing else."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.realtools import REPO, STARTING_ENV, unavailable

ESCAPE = re.compile(r"\x1b\[")


def _plain_env() -> dict[str, str]:
    """The starting environment without pdauth's, Pipedrive's or a private Secret Service's variables."""
    return {
        k: v
        for k, v in STARTING_ENV.items()
        if not k.startswith(("PDAUTH_", "PIPEDRIVE_", "PYTEST_", "DBUS_", "PYTHON_KEYRING"))
        and k not in ("BROWSER", "XDG_RUNTIME_DIR", "XDG_DATA_HOME")
    }


@pytest.mark.timeout(180)
def test_demo_output_is_clean_when_not_on_a_terminal() -> None:
    """`make demo` into a pipe or log: no raw escape codes, no emulator banner, one clean browser line."""
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "demo.py")],
        env=_plain_env(),
        capture_output=True,
        text=True,
        timeout=150,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert not ESCAPE.search(output), output
    assert "listening on" not in output and "Press Ctrl-C" not in output  # the emulator's banner
    browser = [line for line in output.splitlines() if line.startswith("fake browser:")]
    assert browser == [
        "fake browser: Logged in to Acme Demo Ltd as Demo User <demo.user@example.com>. You can close this tab."
    ]
    assert "demo: every step passed" in proc.stdout


@pytest.mark.timeout(300)
def test_editable_install_prints_no_warning_box(tmp_path: Path) -> None:
    """The editable install `make install` does: no build-backend warning box, one plain .pth path entry
    (no import hook that every `pdauth token` process would pay for at start-up)."""
    prefix = tmp_path / "prefix"
    # --ignore-installed: without it pip uninstalls the pdauth of the running environment first (the one
    # `make install` made), and every later test that runs .venv/bin/pdauth would find none.
    install = ["install", "--no-deps", "--ignore-installed", "--prefix", str(prefix), "-e", str(REPO)]
    proc = subprocess.run(
        [sys.executable, "-m", "pip", *install],
        env={**_plain_env(), "PIP_NO_INPUT": "1"},
        capture_output=True,
        text=True,
        timeout=280,
    )
    output = proc.stdout + proc.stderr
    if proc.returncode != 0 and "No matching distribution" in output:
        unavailable(f"the build backend cannot be installed here: {output[-300:]}")
    assert proc.returncode == 0, output
    assert "BuildBackendWarning" not in output and "!!" not in output, output
    pths = [p for p in prefix.rglob("*.pth") if "pdauth" in p.name]
    assert len(pths) == 1, pths
    lines = [line for line in pths[0].read_text().splitlines() if line.strip()]
    assert lines == [str(REPO)]
    assert not [p for p in prefix.rglob("*.py") if "editable" in p.name]  # no finder module


@pytest.mark.timeout(240)
def test_make_test_runs_the_real_keyring_tests() -> None:
    """`make test` is what CI runs: it starts a private Secret Service, so the real-keyring tests run
    rather than skip (here, started without one)."""
    if not (shutil.which("make") and shutil.which("dbus-daemon") and shutil.which("gnome-keyring-daemon")):
        unavailable("make, dbus-daemon or gnome-keyring-daemon is not installed (apt: dbus gnome-keyring)")
    env = {k: v for k, v in _plain_env().items() if not k.startswith("MAKE")} | {
        "CI": ""
    }  # inside: a missing Secret Service must show as a skip, not a failure
    proc = subprocess.run(
        # -o: never reinstall the venv from inside a test run
        [
            "make",
            "-o",
            ".venv/.installed",
            "test",
            "PYTEST_ARGS=-n0 -q -p no:cacheprovider -rs tests/store/test_real_keyring.py",
        ],
        cwd=REPO,
        env={**env, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"},
        capture_output=True,
        text=True,
        timeout=220,
    )
    # The pytest summary line (make, when run from `make test`, adds its directory lines around it).
    summary = next(
        (line for line in reversed(proc.stdout.splitlines()) if " in " in line and "passed" in line), ""
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "passed" in summary and "skipped" not in summary, proc.stdout[-2000:]
