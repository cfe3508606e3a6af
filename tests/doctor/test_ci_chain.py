"""The CI env chain (PIPEDRIVE_REFRESH_TOKEN, no keyring): doctor reports what CI needs, status does not
call it "not logged in", and a rotated refresh token is warned about by `token` as by `refresh`."""

from __future__ import annotations

import pytest

from tests.conftest import CLI
from tests.support.harness import stored

pytestmark = pytest.mark.timeout(90)
NO_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


def ci_env(cli: CLI) -> dict[str, str]:
    assert cli("login").returncode == 0
    return {**NO_KEYRING, "PIPEDRIVE_REFRESH_TOKEN": stored(cli.env)["refresh_token"]}


def test_doctor_reports_what_ci_needs(cli: CLI) -> None:
    env = ci_env(cli)
    r = cli("doctor", **env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "block" not in r.stderr
    for name in ("store", "keyring backend", "browser", "redirect URI"):
        row = next(line for line in r.stdout.splitlines() if f" {name} " in line)
        assert "not needed: the tokens come from PIPEDRIVE_REFRESH_TOKEN" in row, row
    missing = cli("doctor", **env, PIPEDRIVE_CLIENT_SECRET="")
    assert missing.returncode == 1
    assert "block the tokens from PIPEDRIVE_REFRESH_TOKEN" in missing.stderr
    assert "PIPEDRIVE_CLIENT_SECRET missing" in missing.stdout


def test_status_under_the_env_chain_is_not_not_logged_in(cli: CLI) -> None:
    env = ci_env(cli)
    r = cli("status", **env)
    assert r.returncode == 0
    assert "not logged in" not in r.stdout
    assert "not checked: the token comes from PIPEDRIVE_REFRESH_TOKEN" in r.stdout


@pytest.mark.emulator(rotate_refresh_tokens=True)
def test_token_warns_when_pipedrive_rotates_the_env_refresh_token(cli: CLI) -> None:
    env = ci_env(cli)
    r = cli("token", **env)
    assert r.returncode == 0 and r.stdout.startswith("v1u:")
    warnings = [line for line in r.stderr.splitlines() if "issued a new refresh token" in line]
    assert len(warnings) == 1 and "PIPEDRIVE_REFRESH_TOKEN" in warnings[0]
    assert env["PIPEDRIVE_REFRESH_TOKEN"] not in r.stderr
    # `refresh` says it once too (the core says it; the command no longer repeats it). A fresh login's
    # refresh token: the one above was used up by the rotation.
    env2 = ci_env(cli)
    r = cli("refresh", **env2)
    assert r.returncode == 0, r.stderr
    assert sum("issued a new refresh token" in line for line in r.stderr.splitlines()) == 1
