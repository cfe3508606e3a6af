"""Short outages and known-bad state, through the real CLI: a still-valid token is served while the OAuth
host is down; a rejected refresh token is remembered (no secret) until the next login."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import CLI, Result
from tests.support.harness import entry_key, expire_stored, keyring_file

pytestmark = pytest.mark.timeout(90)


def error_lines(r: Result) -> list[str]:
    return [line for line in r.stderr.splitlines() if line.startswith("error:")]


def test_token_serves_a_still_valid_token_while_the_oauth_host_is_down(cli: CLI, emulator: object) -> None:
    assert cli("login").returncode == 0
    tokens = expire_stored(cli.env, ago=-120, noted=True)  # 2 minutes left: inside the 5-minute margin
    before = keyring_file(cli.env).read_bytes()
    emulator.stop()  # type: ignore[attr-defined]
    r = cli("token")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == tokens["access_token"]
    warnings = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(warnings) == 1 and "Could not refresh" in warnings[0] and "1 more minute" in warnings[0]
    assert tokens["access_token"] not in r.stderr
    assert keyring_file(cli.env).read_bytes() == before
    # Really expired: now it fails, as before.
    expire_stored(cli.env, ago=10, noted=True)
    r = cli("token")
    assert r.returncode == 1 and len(error_lines(r)) == 1 and r.stdout == ""


def _spoil_refresh_token(cli: CLI) -> None:
    path = keyring_file(cli.env)
    entries = json.loads(path.read_text())
    tokens = json.loads(entries[entry_key(cli.env)])
    tokens["refresh_token"] = "1:777:not-a-refresh-token"
    tokens["expires_at"] = 0
    entries[entry_key(cli.env)] = json.dumps(tokens)
    path.write_text(json.dumps(entries))


def test_a_rejected_refresh_token_is_remembered_until_the_next_login(cli: CLI) -> None:
    assert cli("login").returncode == 0
    _spoil_refresh_token(cli)
    r = cli("whoami")
    assert r.returncode == 4 and "invalid_grant" in error_lines(r)[0]
    config = (Path(cli.env["PDAUTH_CONFIG_DIR"]) / "config.json").read_text()
    assert "refresh_rejected_at" in config and "not-a-refresh-token" not in config
    status = cli("status")
    assert status.returncode == 4
    assert "✓" not in status.stdout and "rejected the refresh token" in status.stdout
    doctor = cli("doctor")
    assert "Everything looks fine" not in doctor.stderr
    assert "rejected the refresh token" in doctor.stdout and "pdauth login" in doctor.stdout
    assert cli("login").returncode == 0
    assert "refresh_rejected_at" not in (Path(cli.env["PDAUTH_CONFIG_DIR"]) / "config.json").read_text()
    assert cli("status").returncode == 0
