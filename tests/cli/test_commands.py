"""The real `pdauth` in subprocesses against the emulator, with BROWSER set to the scripted browser."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CLI
from tests.support.entries import of_profile, token_entry


def stored(tmp_path: Path, profile: str = "default") -> dict[str, Any]:
    entries = json.loads((tmp_path / "keyring.json").read_text())
    return dict(json.loads(entries[f"pdauth/{token_entry(tmp_path / 'config', profile)}"]))


@pytest.mark.emulator(auto_approve=False)  # through the consent page, "Allow and install"
def test_full_login_then_token_whoami_status(cli: CLI, tmp_path: Path, emulator: Any) -> None:
    r = cli("login")
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    assert re.search(r"Logged in to .+ as .+ <.+@.+> \(profile default\)", r.stderr)
    assert "/oauth/authorize?" in r.stderr  # the URL is always printed

    tokens = stored(tmp_path)
    r = cli("token")
    assert (r.returncode, r.stdout, r.stderr) == (0, tokens["access_token"] + "\n", "")

    r = cli("token", "--json")
    data = json.loads(r.stdout)
    assert data["access_token"] == tokens["access_token"] and data["profile"] == "default"
    assert data["api_domain"] == emulator.base_url and data["expires_at"].endswith("Z")

    r = cli("whoami", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["api_domain"] == emulator.base_url

    r = cli("status")
    assert r.returncode == 0 and "default" in r.stdout
    assert tokens["access_token"] not in r.stdout + r.stderr
    assert tokens["refresh_token"] not in r.stdout + r.stderr


@pytest.mark.emulator(auto_approve=False)  # the scripted browser meets the consent page and cancels
def test_deny_exits_4(cli: CLI, tmp_path: Path) -> None:
    r = cli("login", FAKE_BROWSER_DECISION="cancel")
    assert r.returncode == 4, r.stderr
    assert "denied" in r.stderr and "pdauth login" in r.stderr
    assert not (tmp_path / "keyring.json").exists() or not of_profile(
        json.loads((tmp_path / "keyring.json").read_text()), "default"
    )


def test_not_logged_in_exits_4_with_hint(cli: CLI) -> None:
    for command in (["token"], ["whoami"], ["status", "-p", "default"], ["refresh"]):
        r = cli(*command)
        assert r.returncode == 4, (command, r.stderr)
        assert r.stdout == "" or command[0] == "status"
    assert "pdauth login" in cli("token").stderr


def test_usage_errors_exit_2(cli: CLI) -> None:
    assert cli("login", "--store", "s3").returncode == 2
    assert cli("token", "--nope").returncode == 2
    assert cli("login", "--redirect-uri", "https://example.com/cb").returncode == 2


def test_timeout(cli: CLI) -> None:
    r = cli("login", "--timeout", "1", BROWSER="true")
    assert r.returncode == 1 and "within 1 seconds" in r.stderr


def test_refresh_export_and_github_env(cli: CLI, tmp_path: Path) -> None:
    assert cli("login").returncode == 0
    before = stored(tmp_path)["access_token"]
    r = cli("refresh", "--export")
    assert r.returncode == 0, r.stderr
    exports = dict(line.removeprefix("export ").split("=", 1) for line in r.stdout.splitlines())
    token = shlex.split(exports["PIPEDRIVE_ACCESS_TOKEN"])[0]
    assert token != before and token == stored(tmp_path)["access_token"]
    assert set(exports) == {"PIPEDRIVE_ACCESS_TOKEN", "PIPEDRIVE_API_DOMAIN", "PIPEDRIVE_TOKEN_EXPIRES_AT"}
    # The exported lines work in a shell, and a later step uses the token as is.
    shell = subprocess.run(
        ["bash", "-c", r.stdout + 'echo "$PIPEDRIVE_ACCESS_TOKEN"'], capture_output=True, text=True
    )
    assert shell.stdout.strip() == token

    github_env = tmp_path / "github_env"
    r = cli("refresh", "--github-env", GITHUB_ENV=str(github_env))
    assert r.returncode == 0
    new = stored(tmp_path)["access_token"]
    assert f"::add-mask::{new}" in r.stdout
    assert f"PIPEDRIVE_ACCESS_TOKEN={new}" in github_env.read_text()


def test_ci_env_chain(cli: CLI, tmp_path: Path, emulator: Any) -> None:
    assert cli("login").returncode == 0
    refresh_token = stored(tmp_path)["refresh_token"]
    keyring_file = tmp_path / "keyring.json"
    keyring_file.unlink()  # CI has no stored login at all

    r = cli("token", PIPEDRIVE_ACCESS_TOKEN="v1u:from-env")
    assert (r.returncode, r.stdout) == (0, "v1u:from-env\n")

    r = cli("whoami", PIPEDRIVE_REFRESH_TOKEN=refresh_token)
    assert r.returncode == 0, r.stderr
    r = cli("refresh", "--export", PIPEDRIVE_REFRESH_TOKEN=refresh_token)
    assert r.returncode == 0 and "export PIPEDRIVE_ACCESS_TOKEN=" in r.stdout
    assert not keyring_file.exists()  # never touched a store
    assert cli("status", PIPEDRIVE_REFRESH_TOKEN=refresh_token).returncode == 0


@pytest.mark.emulator(rotate_refresh_tokens=True)
def test_ci_is_told_when_the_refresh_token_rotates(cli: CLI, tmp_path: Path) -> None:
    assert cli("login").returncode == 0
    refresh_token = stored(tmp_path)["refresh_token"]
    r = cli("refresh", "--export", PIPEDRIVE_REFRESH_TOKEN=refresh_token)
    assert r.returncode == 0 and "update the PIPEDRIVE_REFRESH_TOKEN secret" in r.stderr


def test_profiles_switch_and_logout(cli: CLI, tmp_path: Path) -> None:
    assert cli("login").returncode == 0
    assert cli("-p", "work", "login").returncode == 0
    assert cli("switch", "work").returncode == 0
    assert json.loads(cli("token", "--json").stdout)["profile"] == "work"
    assert json.loads(cli("token", "--json", "-p", "default").stdout)["profile"] == "default"
    assert json.loads(cli("token", "--json", PDAUTH_PROFILE="default").stdout)["profile"] == "default"
    assert cli("switch", "nope").returncode == 2
    r = cli("logout")
    assert r.returncode == 0 and "work" in r.stderr
    assert not of_profile(json.loads((tmp_path / "keyring.json").read_text()), "work")
    assert of_profile(json.loads((tmp_path / "keyring.json").read_text()), "default")
    assert cli("logout", "-p", "work").returncode == 0  # idempotent
    statuses = json.loads(cli("status", "--json").stdout)
    assert [s["profile"] for s in statuses] == ["default"]


def test_logout_revoke_uninstalls(cli: CLI, tmp_path: Path, emulator: Any) -> None:
    assert cli("login").returncode == 0
    access = stored(tmp_path)["access_token"]
    assert "uninstalls" in cli("logout", "--help").stdout
    assert cli("logout", "--revoke").returncode == 0
    assert emulator.stats()["revocations"] == 1
    r = cli("whoami", PIPEDRIVE_ACCESS_TOKEN=access, PIPEDRIVE_API_DOMAIN=emulator.base_url)
    assert r.returncode == 4  # the revoked token is dead at the server


def test_version_and_module_entry(cli: CLI) -> None:
    from pdauth import __version__

    r = cli("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"pdauth {__version__}"
