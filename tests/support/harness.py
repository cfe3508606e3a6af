"""Helpers for the end-to-end reliability tests: the test keyring file, expiring a stored token, and
starting the real `pdauth` as a process the test can kill."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[2]
QUIET_BROWSER = REPO / "tests" / "support" / "quiet_browser.py"


def keyring_file(env: dict[str, str]) -> Path:
    return Path(env["PDAUTH_TEST_KEYRING_FILE"])


def entry_key(env: dict[str, str], profile: str = "default") -> str:
    """The test keyring file's key of `profile`'s token set in the config dir of `env`."""
    from tests.support.entries import token_entry

    return f"pdauth/{token_entry(env['PDAUTH_CONFIG_DIR'], profile)}"


def stored(env: dict[str, str], profile: str = "default") -> dict[str, Any]:
    """The token set of `profile` as the test keyring file holds it (raises if missing or unreadable)."""
    entries = json.loads(keyring_file(env).read_text())
    return dict(json.loads(entries[entry_key(env, profile)]))


def expire_stored(
    env: dict[str, str], profile: str = "default", ago: float = 60.0, *, noted: bool = False
) -> dict[str, Any]:
    """Make the stored access token look expired to pdauth (whose clock is the real one).

    With `noted`, the config file's note of the expiry says so too, as it does when time has passed;
    without, only the store knows (as after a refresh whose config update failed).
    """
    path = keyring_file(env)
    entries = json.loads(path.read_text())
    tokens = json.loads(entries[entry_key(env, profile)])
    tokens["expires_at"] = time.time() - ago
    entries[entry_key(env, profile)] = json.dumps(tokens, separators=(",", ":"), sort_keys=True)
    path.write_text(json.dumps(entries))
    if noted:
        config_file = Path(env["PDAUTH_CONFIG_DIR"]) / "config.json"
        config = json.loads(config_file.read_text())
        config["profiles"][profile]["expires_at"] = tokens["expires_at"]
        config_file.write_text(json.dumps(config))
    return dict(tokens)


def pdauth(env: dict[str, str], *args: str, **popen: Any) -> subprocess.Popen[str]:
    """Start the real CLI (as `python -m pdauth`) without waiting for it."""
    return subprocess.Popen(
        [sys.executable, "-m", "pdauth", *args],
        env=env,
        stdout=popen.pop("stdout", subprocess.PIPE),
        stderr=popen.pop("stderr", subprocess.PIPE),
        text=True,
        **popen,
    )


def refresh_token_works(oauth_url: str, client_id: str, client_secret: str, refresh_token: str) -> bool:
    """Ask the token endpoint directly. Only for emulators that do NOT rotate: then this changes nothing."""
    response = requests.post(
        f"{oauth_url}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(client_id, client_secret),
        timeout=10,
    )
    return response.status_code == 200


def stderr_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]
