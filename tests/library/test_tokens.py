"""pdauth.token() and pdauth.token_info(): what `pdauth token` prints, from the same core."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

import pdauth
from tests.conftest import CLI
from tests.library.support import grants
from tests.support.harness import expire_stored

pytestmark = pytest.mark.timeout(60)


def test_token_is_the_string_pdauth_token_prints(logged_in: CLI, emulator: Any) -> None:
    assert pdauth.token() == logged_in("token").stdout.removesuffix("\n")
    printed = json.loads(logged_in("token", "--json").stdout)
    info = pdauth.token_info()
    assert info.access_token == printed["access_token"] == pdauth.token()
    assert info.api_domain == printed["api_domain"] == emulator.base_url
    assert info.profile == printed["profile"] == "default"
    assert info.expires_at is not None and info.expires_at.tzinfo is UTC
    printed_expiry = datetime.fromisoformat(printed["expires_at"].replace("Z", "+00:00"))
    assert abs((info.expires_at - printed_expiry).total_seconds()) < 1  # the CLI prints whole seconds
    assert info.source.startswith("keyring")
    assert "base" in info.scopes
    assert info.access_token not in repr(info)  # a TokenInfo in a log line does not leak the token


def test_a_due_token_is_refreshed_once_and_the_cli_then_prints_the_new_one(
    logged_in: CLI, emulator: Any
) -> None:
    old = expire_stored(logged_in.env, noted=True)["access_token"]
    new = pdauth.token()
    assert new != old
    assert grants(emulator) == 1
    assert logged_in("token").stdout.strip() == new
    assert grants(emulator) == 1


def test_token_of_another_profile_and_from_the_env(logged_in: CLI, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(pdauth.NotLoggedIn):
        pdauth.token_info("staging")
    monkeypatch.setenv("PIPEDRIVE_ACCESS_TOKEN", "v1u:from-the-env-0123456789")
    assert pdauth.token("staging") == "v1u:from-the-env-0123456789"  # the env comes first, as in the CLI
    info = pdauth.token_info(env={"PIPEDRIVE_ACCESS_TOKEN": "v1u:given-0123456789"})
    assert (info.access_token, info.source, info.api_domain) == (
        "v1u:given-0123456789",
        "env PIPEDRIVE_ACCESS_TOKEN",
        None,
    )
