"""Shared fixtures: an isolated environment for every test, the emulator, and ways to run pdauth."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FAKE_BROWSER = REPO / "scripts" / "fake_browser.py"
CLIENT_ID = "test-client-id"
CLIENT_SECRET = "test-client-secret-0123456789"


# A developer's proxy or CA settings must not route the tests' loopback traffic (the network tests set
# their own), nor BROWSER open a real browser.
NETWORK_VARS = frozenset(
    {
        "BROWSER",
        *(f"{n}_proxy" for n in ("http", "https", "all", "no")),
        *(f"{n}_PROXY" for n in ("HTTP", "HTTPS", "ALL", "NO")),
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
        "SSL_CERT_FILE",
    }
)


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No test sees the developer's config, keyring choice or Pipedrive env vars."""
    for name in list(os.environ):
        if name.startswith(("PDAUTH_", "PIPEDRIVE_", "PYTHON_KEYRING", "GITHUB_")) or name in NETWORK_VARS:
            monkeypatch.delenv(name)
    config = tmp_path / "config"
    monkeypatch.setenv("PDAUTH_CONFIG_DIR", str(config))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))  # keyring's own config file
    return config


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def unused_fixed_port() -> int:
    """A free port below the kernel's ephemeral range, for an address a test fixes before it listens.

    A port from `free_port()` comes from the ephemeral range, where a server another test worker starts
    on port 0 (an emulator, say) may take it before this test's listener binds it.
    """
    import random

    low, high = 20000, 32000  # Linux hands out 32768 and up for port 0
    for _ in range(100):
        port = random.randint(low, high)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    return free_port()


@pytest.fixture
def redirect_uri() -> str:
    return f"http://127.0.0.1:{unused_fixed_port()}/callback"


@pytest.fixture
def emulator_log() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def emulator(
    redirect_uri: str, emulator_log: io.StringIO, request: pytest.FixtureRequest
) -> Iterator[object]:
    """A running emulator that auto-approves; `@pytest.mark.emulator(**config)` overrides its config."""
    from pdauth.emulator import Emulator, EmulatorConfig

    marker = request.node.get_closest_marker("emulator")
    overrides = dict(marker.kwargs) if marker else {}
    config = EmulatorConfig(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uri=redirect_uri,
        port=0,
        auto_approve=overrides.pop("auto_approve", not overrides.get("auto_deny", False)),
        log_stream=emulator_log,
        **overrides,
    )
    with Emulator(config) as emu:
        yield emu


@pytest.fixture
def client_env(emulator: object, redirect_uri: str, isolated_env: Path) -> dict[str, str]:
    """The environment an in-process Context needs to log in to the emulator fixture."""
    return {
        "PDAUTH_CONFIG_DIR": str(isolated_env),
        "PDAUTH_OAUTH_URL": emulator.base_url,  # type: ignore[attr-defined]
        "PDAUTH_REDIRECT_URI": redirect_uri,
        "PIPEDRIVE_CLIENT_ID": CLIENT_ID,
        "PIPEDRIVE_CLIENT_SECRET": CLIENT_SECRET,
    }


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@dataclass
class CLI:
    """Runs the real `pdauth` in a subprocess, as users do, with a test keyring through PYTHON_KEYRING_BACKEND."""

    env: dict[str, str] = field(default_factory=dict)

    def __call__(self, *args: str, input: str | None = None, timeout: float = 60, **extra_env: str) -> Result:
        env = {**self.env, **extra_env}
        proc = subprocess.run(
            [sys.executable, "-m", "pdauth", *args],
            env=env,
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def cli(tmp_path: Path, emulator: object, redirect_uri: str) -> CLI:
    env = {k: v for k, v in os.environ.items()}
    env.update(
        PYTHONPATH=str(REPO),
        PYTHON_KEYRING_BACKEND="tests.support.keyrings.JsonFileKeyring",
        PDAUTH_TEST_KEYRING_FILE=str(tmp_path / "keyring.json"),
        PDAUTH_OAUTH_URL=emulator.base_url,  # type: ignore[attr-defined]
        PDAUTH_REDIRECT_URI=redirect_uri,
        PIPEDRIVE_CLIENT_ID=CLIENT_ID,
        PIPEDRIVE_CLIENT_SECRET=CLIENT_SECRET,
        BROWSER=str(FAKE_BROWSER),  # webbrowser takes one executable path, no arguments
        NO_COLOR="1",
        COLUMNS="200",
    )
    return CLI(env)
