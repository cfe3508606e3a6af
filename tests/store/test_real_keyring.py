"""pdauth against a REAL Secret Service (gnome-keyring on a private session bus): `.ci/with-secret-service`.

No PYTHON_KEYRING_BACKEND here: keyring discovers the Secret Service itself, as on a user's desktop.
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

from pdauth.hotpath.secret_tool import SECRET_SERVICE_BACKEND
from tests.conftest import CLI, CLIENT_SECRET
from tests.support.entries import secret_entry, token_entry
from tests.support.harness import QUIET_BROWSER
from tests.support.realtools import require_secret_service

pytestmark = [pytest.mark.real_keyring, pytest.mark.timeout(120)]


@pytest.fixture
def env(cli: CLI) -> dict[str, str]:
    require_secret_service()
    test_keyring = ("PYTHON_KEYRING_BACKEND", "PDAUTH_TEST_KEYRING_FILE")
    env = {k: v for k, v in cli.env.items() if k not in test_keyring}
    env["BROWSER"] = str(QUIET_BROWSER)
    return env


def pdauth(
    env: dict[str, str], *args: str, python_flags: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *python_flags, "-m", "pdauth", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def secret_tool_lookup(username: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["secret-tool", "lookup", "service", "pdauth", "username", username],
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_login_stores_in_the_secret_service_and_a_new_process_reads_it_back(
    env: dict[str, str], emulator: Any
) -> None:
    profile = f"ci-{uuid.uuid4().hex[:10]}"  # never collides with anything already in that keyring
    try:
        r = pdauth(env, "-p", profile, "login")
        assert r.returncode == 0, r.stderr

        # The entry is where any Secret Service client finds it, under keyring's own attributes.
        config_dir = Path(env["PDAUTH_CONFIG_DIR"])
        looked_up = secret_tool_lookup(token_entry(config_dir, profile))
        assert looked_up.returncode == 0, looked_up.stderr
        tokens = json.loads(looked_up.stdout)
        assert tokens["access_token"].startswith("v1u:") and tokens["api_domain"] == emulator.base_url
        assert secret_tool_lookup(secret_entry(config_dir, profile)).stdout == CLIENT_SECRET

        config = json.loads((Path(env["PDAUTH_CONFIG_DIR"]) / "config.json").read_text())
        assert config["profiles"][profile]["keyring_backend"] == SECRET_SERVICE_BACKEND
        assert tokens["access_token"] not in json.dumps(config)

        # A new process reads it back on the fast path, keyring never imported: through libsecret's
        # secret-tool when it is installed (a wrapper on PATH records that it ran), and through
        # secretstorage, in-process, when it is not.
        tools = Path(env["PDAUTH_CONFIG_DIR"]).parent / "tools"
        tools.mkdir()
        calls = tools / "calls"
        wrapper = tools / "secret-tool"
        real_tool = shutil.which("secret-tool")
        wrapper.write_text(f'#!/bin/sh\necho "$*" >> {calls}\nexec {real_tool} "$@"\n')
        wrapper.chmod(0o755)
        with_tool = {**env, "PATH": f"{tools}{os.pathsep}{env.get('PATH', '')}"}
        without_tool = {**env, "PATH": str(tools / "empty")}
        for path_env, in_process in ((with_tool, False), (without_tool, True)):
            r = pdauth(path_env, "-p", profile, "token", python_flags=("-X", "importtime"))
            assert r.returncode == 0, r.stderr[-2000:]
            assert r.stdout == tokens["access_token"] + "\n"
            imported = {line.rsplit("|", 1)[-1].strip() for line in r.stderr.splitlines() if "|" in line}
            assert ("secretstorage" in imported) == in_process
            assert not any(name == "keyring" or name.startswith("keyring.") for name in imported), sorted(
                n for n in imported if n.startswith("keyring")
            )
        # once, no secret in it
        assert calls.read_text() == f"lookup service pdauth username {token_entry(config_dir, profile)}\n"

        # A refresh writes through to the Secret Service, and the next reader sees it.
        r = pdauth(env, "-p", profile, "refresh")
        assert r.returncode == 0, r.stderr
        refreshed = json.loads(secret_tool_lookup(token_entry(config_dir, profile)).stdout)
        assert refreshed["access_token"] != tokens["access_token"]
        assert pdauth(env, "-p", profile, "token").stdout == refreshed["access_token"] + "\n"
    finally:
        r = pdauth(env, "-p", profile, "logout")
    assert r.returncode == 0, r.stderr
    config_dir = Path(env["PDAUTH_CONFIG_DIR"])
    assert secret_tool_lookup(token_entry(config_dir, profile)).stdout == ""
    assert secret_tool_lookup(secret_entry(config_dir, profile)).stdout == ""
