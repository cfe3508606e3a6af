"""`pdauth login` with a REAL headless Chromium as the browser (BROWSER=scripts/chromium_browser).

Chromium follows the authorize URL through the emulator's redirect to pdauth's loopback listener and on
to the page pdauth shows at the end; the wrapper dumps that final DOM to $PDAUTH_BROWSER_DOM.
Skips without Chromium; fails instead when CI is set (tests/support/realtools.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CLI
from tests.support.harness import entry_key
from tests.support.realtools import CHROMIUM_WRAPPER, require_chromium

pytestmark = [pytest.mark.real_browser, pytest.mark.timeout(180)]


@pytest.fixture
def browser_env(cli: CLI, tmp_path: Path) -> Iterator[dict[str, str]]:
    import shutil
    import tempfile

    binary = require_chromium()
    # Chromium's throw-away profile goes here, and goes away with it. Not under tmp_path: with pytest-xdist
    # that is long enough for Chromium's singleton socket path to pass the 107-byte AF_UNIX limit (abort).
    profiles = tempfile.mkdtemp(prefix="pdc-", dir="/tmp")
    yield {
        **cli.env,
        "BROWSER": str(CHROMIUM_WRAPPER),
        "PDAUTH_CHROMIUM": binary,
        "PDAUTH_BROWSER_DOM": str(tmp_path / "final-page.html"),
        "PDAUTH_BROWSER_LOG": str(tmp_path / "chromium.log"),
        "TMPDIR": profiles,
    }
    shutil.rmtree(profiles, ignore_errors=True)


def login(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pdauth", "login", "--timeout", "90"],
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
    )


def final_page(env: dict[str, str], timeout: float = 60) -> str:
    """The DOM Chromium ended on. pdauth may exit before Chromium has written it: wait for the file."""
    path = Path(env["PDAUTH_BROWSER_DOM"])
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            log = Path(env["PDAUTH_BROWSER_LOG"])
            text = log.read_text()[-2000:] if log.exists() else ""
            raise AssertionError(f"Chromium wrote no page; its log: {text}")
        time.sleep(0.05)
    return path.read_text()


def stored_tokens(env: dict[str, str]) -> dict[str, Any] | None:
    path = Path(env["PDAUTH_TEST_KEYRING_FILE"])
    if not path.exists():
        return None
    entry = json.loads(path.read_text()).get(entry_key(env))
    return json.loads(entry) if entry else None


def test_chromium_login_ends_on_the_success_page(browser_env: dict[str, str], emulator: Any) -> None:
    r = login(browser_env)
    assert r.returncode == 0, r.stderr
    page = final_page(browser_env)
    assert "Logged in" in page and emulator.config.company_name in page, page
    assert "code=" not in page and "state=" not in page  # the clean page: the code left the address bar
    tokens = stored_tokens(browser_env)
    assert tokens is not None
    r = subprocess.run(
        [sys.executable, "-m", "pdauth", "token"], env=browser_env, capture_output=True, text=True, timeout=60
    )
    assert r.stdout == tokens["access_token"] + "\n"


@pytest.mark.emulator(auto_deny=True)
def test_chromium_deny_exits_4_and_ends_on_the_cancelled_page(browser_env: dict[str, str]) -> None:
    r = login(browser_env)
    assert r.returncode == 4, r.stderr
    assert "denied" in r.stderr.splitlines()[-1] and "pdauth login" in r.stderr.splitlines()[-1]
    page = final_page(browser_env)
    assert "Login cancelled" in page and "user_denied" in page, page
    assert stored_tokens(browser_env) is None


def test_another_local_client_cannot_read_the_completion_page_and_chromium_still_gets_it(
    browser_env: dict[str, str], emulator: Any, redirect_uri: str
) -> None:
    """While Chromium logs in, a local client fetches the completion page as fast as it can (the old fixed
    address, and a made-up nonce). It must learn nothing of the account, and Chromium must still be served."""
    import threading
    from urllib.parse import urlsplit

    import requests

    port = urlsplit(redirect_uri).port
    seen: list[tuple[int, str]] = []
    done = threading.Event()

    def snoop() -> None:
        paths = ["/pdauth/complete", "/pdauth/complete/" + "A" * 43]
        while not done.is_set():
            for path in paths:
                try:
                    r = requests.get(f"http://127.0.0.1:{port}{path}", timeout=40, allow_redirects=False)
                except requests.RequestException:
                    continue
                seen.append((r.status_code, r.text))
            time.sleep(0.01)

    snooper = threading.Thread(target=snoop, daemon=True)
    snooper.start()
    try:
        r = login(browser_env)
    finally:
        done.set()
        snooper.join(60)
    assert r.returncode == 0, r.stderr
    page = final_page(browser_env)
    assert "Logged in" in page and emulator.config.company_name in page, page
    assert seen, "the snooper reached the listener"
    leaks = [text for _, text in seen if emulator.config.company_name in text or "@" in text]
    assert leaks == [] and {status for status, _ in seen} == {404}, seen[:3]
