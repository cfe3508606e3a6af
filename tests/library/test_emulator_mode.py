"""Session(emulator=...): a login to a local emulator held in memory, for tests; nothing of the user's
own config or keyring is read or written."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

import pdauth
from pdauth.emulator import Emulator, EmulatorConfig
from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.library.support import Clock, grants

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("approve", [True, False], ids=["auto-approve", "consent-page"])
def test_a_session_on_an_emulator_object(approve: bool, isolated_env: Path) -> None:
    config = EmulatorConfig(auto_approve=approve, deals=20, log_stream=None)
    with Emulator(config) as emu, pdauth.Session(emulator=emu) as s:
        assert s.get("/v1/users/me").json()["data"]["company_name"] == "Acme Demo Ltd"
        assert len(list(s.paginate("/v2/deals"))) == 20
        info = s.token_info()
        assert (info.api_domain, info.source) == (emu.base_url, f"emulator {emu.base_url} (in memory)")
        assert emu.stats()["grants"] == {"authorization_code": 1, "refresh_token": 0}
    assert not isolated_env.exists()  # the user's config dir: never created, never read


def test_a_session_on_an_emulator_url_takes_the_app_from_the_env(
    emulator: Any, redirect_uri: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """For `pdauth emulator` started with its own --client-id/--client-secret/--redirect-uri, the
    variables `pdauth login` reads; any token source in the env is ignored."""
    monkeypatch.setenv("PIPEDRIVE_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("PIPEDRIVE_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("PDAUTH_REDIRECT_URI", redirect_uri)
    monkeypatch.setenv("PIPEDRIVE_ACCESS_TOKEN", "v1u:not-this-one-0123456789")
    with pdauth.Session(emulator=emulator.base_url + "/") as s:
        assert s.get("/v1/users/me").status_code == 200
        scratch = Path(s._ctx.settings.config_dir)
        assert scratch.is_dir() and oct(scratch.stat().st_mode & 0o777) == "0o700"
        assert os.listdir(scratch) == []
    assert not scratch.exists()
    assert os.environ["PIPEDRIVE_ACCESS_TOKEN"] == "v1u:not-this-one-0123456789"


def test_a_wrong_app_says_what_to_set(emulator: Any) -> None:
    with pytest.raises(pdauth.LoginError) as caught:
        pdauth.Session(emulator=emulator.base_url)  # the demo app, which this emulator does not have
    assert "did not authorize the app (HTTP 400)" in caught.value.message
    assert "PIPEDRIVE_CLIENT_ID" in caught.value.hint


@pytest.mark.parametrize("url", ["https://api.pipedrive.com", "http://10.0.0.1:8977", "file:///tmp/x"])
def test_only_an_emulator_on_this_machine(url: str) -> None:
    with pytest.raises(pdauth.ConfigError) as caught:
        pdauth.Session(emulator=url)
    assert "is not an emulator on this machine" in caught.value.message


def test_an_emulator_that_rotates_refresh_tokens_keeps_a_long_session_working() -> None:
    config = EmulatorConfig(auto_approve=True, rotate_refresh_tokens=True, log_stream=None)
    with Emulator(config) as emu:
        clock = Clock(emu)
        with pdauth.Session(emulator=emu, clock=clock) as s:
            for _ in range(5):
                assert s.get("/v1/users/me").status_code == 200
                clock.advance(3600)
        assert grants(emu) == 4
