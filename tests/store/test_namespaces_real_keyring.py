"""Config dirs and bindings against a REAL Secret Service (`.ci/with-secret-service`): entries carry
their config dir's namespace, `pdauth token`'s fast path reads only its own dir's entry and refuses a
set bound elsewhere, and `make demo` (scripts/demo.py) leaves every other entry alone.

Skips without that private Secret Service; fails instead when CI is set (tests/support/realtools.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CLI, CLIENT_SECRET, REPO
from tests.support.entries import namespace, secret_entry, token_entry
from tests.support.harness import QUIET_BROWSER
from tests.support.realtools import require_secret_service

pytestmark = [pytest.mark.real_keyring, pytest.mark.timeout(180)]


@pytest.fixture
def env(cli: CLI) -> dict[str, str]:
    require_secret_service()
    test_keyring = ("PYTHON_KEYRING_BACKEND", "PDAUTH_TEST_KEYRING_FILE")
    env = {k: v for k, v in cli.env.items() if k not in test_keyring}
    env["BROWSER"] = str(QUIET_BROWSER)
    return env


def pdauth(env: dict[str, str], *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pdauth", *args],
        env={**env, **extra},
        capture_output=True,
        text=True,
        timeout=60,
    )


def lookup(username: str) -> str:
    r = subprocess.run(
        ["secret-tool", "lookup", "service", "pdauth", "username", username],
        capture_output=True,
        text=True,
        timeout=30,
    )
    return r.stdout


def plant(env: dict[str, str], username: str, secret: str) -> None:
    """An entry written as pdauth before namespaces wrote it: through keyring (its item attributes)."""
    code = "import keyring, sys; keyring.set_password('pdauth', sys.argv[1], sys.stdin.read())"
    subprocess.run(
        [sys.executable, "-c", code, username], env=env, input=secret, text=True, check=True, timeout=30
    )


def clear(username: str) -> None:
    subprocess.run(
        ["secret-tool", "clear", "service", "pdauth", "username", username], timeout=30, check=False
    )


def one_error_line(r: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    return lines[0]


def with_recording_secret_tool(env: dict[str, str], where: Path) -> tuple[dict[str, str], Path]:
    """`env` with a secret-tool on PATH that records its arguments before running the real one."""
    where.mkdir()
    calls = where / "calls"
    wrapper = where / "secret-tool"
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> {calls}\nexec {shutil.which("secret-tool")} "$@"\n')
    wrapper.chmod(0o755)
    return {**env, "PATH": f"{where}{os.pathsep}{env.get('PATH', '')}"}, calls


def test_each_config_dir_reads_only_its_own_entries_on_the_fast_path(
    env: dict[str, str], tmp_path: Path
) -> None:
    profile = f"ci-{uuid.uuid4().hex[:10]}"
    a, b, fresh = tmp_path / "a", tmp_path / "b", tmp_path / "fresh"
    try:
        assert pdauth(env, "-p", profile, "login", PDAUTH_CONFIG_DIR=str(a)).returncode == 0
        assert pdauth(env, "-p", profile, "login", PDAUTH_CONFIG_DIR=str(b)).returncode == 0
        a_set, b_set = (
            json.loads(lookup(token_entry(a, profile))),
            json.loads(lookup(token_entry(b, profile))),
        )
        assert a_set["access_token"] != b_set["access_token"]
        assert lookup(secret_entry(a, profile)) == CLIENT_SECRET
        assert lookup(profile) == "" and lookup(f"{profile}:client_secret") == ""  # nothing un-namespaced

        recording, calls = with_recording_secret_tool(env, tmp_path / "tools")
        r = pdauth(recording, "-p", profile, "token", PDAUTH_CONFIG_DIR=str(a))
        assert r.stdout == a_set["access_token"] + "\n", r.stderr
        assert calls.read_text() == f"lookup service pdauth username {token_entry(a, profile)}\n"

        r = pdauth(recording, "-p", profile, "token", PDAUTH_CONFIG_DIR=str(fresh))
        assert (r.returncode, r.stdout) == (4, ""), r.stderr
        assert "not logged in" in one_error_line(r)
    finally:
        for directory in (a, b):
            pdauth(env, "-p", profile, "logout", PDAUTH_CONFIG_DIR=str(directory))
    assert lookup(f"{profile}@{namespace(a)}") == "" and lookup(f"{profile}@{namespace(b)}") == ""


@pytest.mark.parametrize("field", ["oauth_url", "client_id"])
def test_the_fast_path_refuses_a_set_bound_to_another_issuer_or_client(
    env: dict[str, str], tmp_path: Path, field: str
) -> None:
    profile = f"ci-{uuid.uuid4().hex[:10]}"
    config_dir = tmp_path / "config"
    try:
        assert pdauth(env, "-p", profile, "login").returncode == 0
        config_file = config_dir / "config.json"
        config = json.loads(config_file.read_text())
        other = "http://127.0.0.1:9" if field == "oauth_url" else "another-client"
        config["profiles"][profile][field] = other
        config_file.write_text(json.dumps(config))
        before = lookup(token_entry(config_dir, profile))

        recording, calls = with_recording_secret_tool(env, tmp_path / "tools")
        r = pdauth(recording, "-p", profile, "token", PDAUTH_OAUTH_URL="", PIPEDRIVE_CLIENT_ID="")
        assert (r.returncode, r.stdout) == (4, ""), r.stderr
        assert other in one_error_line(r)
        # The fast path looked (and did not serve what it found); the core refused.
        assert calls.read_text().startswith(
            f"lookup service pdauth username {token_entry(config_dir, profile)}"
        )
        assert lookup(token_entry(config_dir, profile)) == before
    finally:
        pdauth(env, "-p", profile, "logout")


def test_make_demo_leaves_other_dirs_entries_and_un_namespaced_ones_alone(
    env: dict[str, str], tmp_path: Path, emulator: Any
) -> None:
    real_dir = tmp_path / "real"  # the user's own config dir, logged in as `default`
    assert pdauth(env, "login", PDAUTH_CONFIG_DIR=str(real_dir)).returncode == 0
    theirs = {name: lookup(name) for name in (token_entry(real_dir), secret_entry(real_dir))}
    assert all(theirs.values())
    # What a version before namespaces left for a user's own `demo` and `default` profiles.
    planted = {
        "demo": '{"access_token":"v1u:users-own-demo-profile","api_domain":"https://x.pipedrive.com"}',
        "demo:client_secret": "users-own-demo-secret",
        "default": '{"access_token":"v1u:users-own-default","api_domain":"https://x.pipedrive.com"}',
        "default:client_secret": "users-own-default-secret",
    }
    try:
        for name, secret in planted.items():
            plant(env, name, secret)
        demo_env = {k: v for k, v in env.items() if not k.startswith(("PDAUTH_", "PIPEDRIVE_"))}
        demo_env.pop("BROWSER", None)
        r = subprocess.run(
            [sys.executable, str(REPO / "scripts" / "demo.py")],
            env=demo_env,
            capture_output=True,
            text=True,
            timeout=150,
        )
        assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
        assert "secrets in the keyring store" in r.stdout  # the demo really used this Secret Service
        assert {name: lookup(name) for name in theirs} == theirs
        assert {name: lookup(name) for name in planted} == planted
    finally:
        for name in planted:
            clear(name)
        pdauth(env, "logout", PDAUTH_CONFIG_DIR=str(real_dir))
