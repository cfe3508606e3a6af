"""A `localhost` redirect URI: browsers may send its callback to 127.0.0.1 or to ::1, so pdauth listens on
both, and refuses to start (before any browser opens) when either is taken — by another local user, say,
who would otherwise receive the code and `state` Chromium sends to [::1]:PORT while pdauth waits on
127.0.0.1 (RFC 8252 §8.3).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from pdauth.login.loopback import CallbackInbox, CallbackListener
from tests.conftest import CLI, unused_fixed_port
from tests.login.test_hostile_listener import listening_addresses
from tests.login.test_real_browser import browser_env, final_page
from tests.login.test_real_browser import login as chromium_login
from tests.support.harness import QUIET_BROWSER, stored
from tests.support.second_user import SQUATTER, run_as, stop, throwaway_user

pytestmark = pytest.mark.timeout(120)
__all__ = ["browser_env"]  # a fixture, used by name


def _free_on_both(port: int) -> bool:
    import socket

    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        with socket.socket(family) as s:
            try:
                s.bind((host, port))
            except OSError:
                return False
    return True


@pytest.fixture
def redirect_uri() -> str:
    """Overrides conftest's: the emulator and the CLI use a `localhost` callback in this module."""
    port = unused_fixed_port()
    while not _free_on_both(port):
        port = unused_fixed_port()
    return f"http://localhost:{port}/callback"


def port_of(uri: str) -> int:
    from urllib.parse import urlsplit

    return urlsplit(uri).port or 0


def test_a_localhost_listener_binds_both_loopback_addresses(redirect_uri: str) -> None:
    with CallbackListener(redirect_uri, CallbackInbox("s" * 43), linger=0) as listener:
        assert sorted(listening_addresses(listener.port)) == ["127.0.0.1", "::1"]


def test_a_localhost_login_completes_through_either_address(cli: CLI, tmp_path: Path) -> None:
    r = cli("login", BROWSER=str(QUIET_BROWSER))
    assert r.returncode == 0, r.stderr
    assert stored(cli.env)["access_token"]


def test_another_user_on_ipv6_loopback_makes_login_fail_before_the_browser_opens(
    cli: CLI, redirect_uri: str, tmp_path: Path, emulator: Any
) -> None:
    """The attack: a second local user listens on [::1]:PORT. pdauth must refuse to wait on 127.0.0.1 alone."""
    assert cli("login", BROWSER=str(QUIET_BROWSER)).returncode == 0  # a profile to keep intact
    keyring = tmp_path / "keyring.json"
    before = keyring.read_bytes()
    record = tmp_path / "browser-argv.jsonl"
    emulator.reset_stats()
    port = port_of(redirect_uri)
    with throwaway_user() as user:
        squatter = run_as(user.pw_name, SQUATTER, str(port), "20")
        try:
            assert squatter.stdout is not None
            assert squatter.stdout.readline().strip() == "listening", squatter.stderr.read()  # type: ignore[union-attr]
            r = cli("login", BROWSER=str(QUIET_BROWSER), QUIET_BROWSER_RECORD=str(record))
            time.sleep(0.3)  # a browser started anyway would have connected by now
        finally:
            out = stop(squatter)
    assert r.returncode == 1, r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert "[::1]" in lines[-1] and str(port) in lines[-1] and "in use" in lines[-1], r.stderr
    assert "Traceback" not in r.stderr
    assert not record.exists(), "no browser may be started"
    # pdauth's own probe (is it another pdauth login?) asks for "/" and carries nothing of a login.
    requests = [line for line in out.splitlines() if line.startswith("got")]
    assert all(line == "got GET / HTTP/1.1" for line in requests), f"the squatter received: {out}"
    assert emulator.stats()["token_requests"] == 0
    assert keyring.read_bytes() == before


@pytest.mark.real_browser
@pytest.mark.timeout(180)
def test_chromium_completes_a_localhost_login(browser_env: dict[str, str], emulator: Any) -> None:
    """Chromium resolves `localhost` itself (to ::1 first where it can): either way it reaches pdauth."""
    r = chromium_login(browser_env)
    assert r.returncode == 0, r.stderr
    page = final_page(browser_env)
    assert "Logged in" in page and emulator.config.company_name in page, page
