"""The spine, in process, against the real emulator over real sockets (the browser is a requests call)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
import requests

from pdauth.core import account
from pdauth.core.context import Context, Deps
from pdauth.core.sources import current_token, refresh
from pdauth.core.vault import load_tokens
from pdauth.errors import (
    AuthorizationDenied,
    CallbackTimeout,
    KeyringUnavailable,
    MissingClientCredentials,
    NotLoggedIn,
    PortInUse,
    RefreshTokenInvalid,
)
from pdauth.login import flow as flows
from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.support.entries import namespace, of_profile
from tests.support.fakes import QuietLoginUI
from tests.support.keyrings import FailingKeyring, MemoryKeyring


def browser(url: str) -> bool:
    """Follows the authorize URL like a browser would (the emulator auto-approves)."""
    requests.get(url, timeout=30)
    return True


class Clock:
    def __init__(self) -> None:
        import time

        self.t = time.time()

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def keyring() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def make_ctx(client_env: dict[str, str], keyring: MemoryKeyring):
    def make(**overrides: Any) -> Context:
        env = {**client_env, **overrides.pop("env", {})}
        overrides.setdefault("open_browser", browser)
        overrides.setdefault("keyring_backend", keyring)
        return Context(Deps(env=env, **overrides))

    return make


def do_login(make_ctx: Any, **kw: Any) -> flows.LoginResult:
    return flows.login(make_ctx(**kw), QuietLoginUI(), timeout=20)


def test_login_stores_one_entry_and_token_needs_no_network(
    make_ctx: Any, emulator: Any, keyring: MemoryKeyring
) -> None:
    result = do_login(make_ctx)
    assert result.identity.company_id and result.replaced is None
    ctx = make_ctx()
    names = ctx.entries()
    entry = keyring.entries[("pdauth", names.tokens)]
    tokens = load_tokens(ctx.store, names)
    assert tokens is not None and tokens.to_json() == entry
    assert tokens.api_domain == emulator.base_url
    assert keyring.entries[("pdauth", names.client_secret)] == CLIENT_SECRET
    assert names.tokens == f"default@{namespace(ctx.config_dir)}"
    before = emulator.stats()["token_requests"]
    assert current_token(make_ctx()).token == tokens.access_token
    assert emulator.stats()["token_requests"] == before


def test_config_file_holds_no_secret(make_ctx: Any, isolated_env: Path) -> None:
    do_login(make_ctx)
    tokens = make_ctx().stored_tokens()
    text = (isolated_env / "config.json").read_text()
    assert tokens is not None
    for secret in (tokens.access_token, tokens.refresh_token, CLIENT_SECRET):
        assert secret and secret not in text
    assert CLIENT_ID in text


@pytest.mark.emulator(auto_deny=True)
def test_denied_login_raises_auth_error_and_stores_nothing(make_ctx: Any, keyring: MemoryKeyring) -> None:
    with pytest.raises(AuthorizationDenied) as err:
        do_login(make_ctx)
    assert err.value.exit_code == 4
    assert not of_profile(keyring.entries, "default")


def test_a_login_that_fails_after_the_callback_still_shows_the_browser_its_page(
    make_ctx: Any, emulator: Any, keyring: MemoryKeyring
) -> None:
    """The exchange fails (users/me answers 403) while the browser is slow to follow its redirect to the
    completion page: login must not return, and so the process must not exit, before that page is out."""
    import time

    emulator.inject_fault(endpoint="api", status=403, count=5)
    pages: list[str] = []
    page_at: list[float] = []

    def slow_browser(url: str) -> bool:
        def run() -> None:
            start = requests.get(url, timeout=30, allow_redirects=False)  # the start address: to authorize
            consent = requests.get(start.headers["Location"], timeout=30, allow_redirects=False)  # approved
            callback = requests.get(consent.headers["Location"], timeout=30, allow_redirects=False)
            time.sleep(1.0)  # the tab is slow: login has failed and wants to exit by now
            base = consent.headers["Location"].split("/callback")[0]
            pages.append(requests.get(base + callback.headers["Location"], timeout=30).text)
            page_at.append(time.monotonic())

        tabs.append(threading.Thread(target=run, daemon=True))
        tabs[-1].start()
        return True

    tabs: list[threading.Thread] = []
    with pytest.raises(Exception, match="403"):
        do_login(make_ctx, open_browser=slow_browser)
    returned = time.monotonic()
    tabs[0].join(10)  # the page is out; the tab may still be reading it
    assert len(pages) == 1 and "Login failed" in pages[0] and "see your terminal" in pages[0]
    assert returned - page_at[0] < 2.5  # it waited for the page to go out, not for the whole linger (5 s)
    assert not of_profile(keyring.entries, "default")


def test_timeout_when_the_browser_never_comes_back(make_ctx: Any) -> None:
    with pytest.raises(CallbackTimeout):
        flows.login(make_ctx(open_browser=lambda url: True), QuietLoginUI(), timeout=0.5)


def test_port_in_use_fails_before_the_browser_opens(make_ctx: Any, redirect_uri: str) -> None:
    import socket
    from urllib.parse import urlsplit

    opened: list[str] = []
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", urlsplit(redirect_uri).port or 0))
        busy.listen()
        with pytest.raises(PortInUse):
            flows.login(make_ctx(open_browser=opened.append), QuietLoginUI(), timeout=5)
    assert opened == []


def test_missing_credentials_without_a_prompt(make_ctx: Any) -> None:
    ctx = make_ctx(env={"PIPEDRIVE_CLIENT_ID": "", "PIPEDRIVE_CLIENT_SECRET": ""})
    with pytest.raises(MissingClientCredentials):
        flows.login(ctx, QuietLoginUI(), timeout=5)


def test_prompted_credentials_are_remembered(make_ctx: Any, keyring: MemoryKeyring) -> None:
    env = {"PIPEDRIVE_CLIENT_ID": "", "PIPEDRIVE_CLIENT_SECRET": ""}
    asked: list[str] = []

    def ask(prompt: str) -> str:
        asked.append(prompt)
        return CLIENT_ID

    flows.login(make_ctx(env=env, ask=ask, ask_secret=lambda p: CLIENT_SECRET), QuietLoginUI(), timeout=20)
    assert len(asked) == 1
    ctx = make_ctx(env=env)  # no prompts: everything must come from config + store
    assert ctx.client_credentials().client_secret == CLIENT_SECRET
    assert refresh(ctx).token


def test_expiry_driven_refresh(make_ctx: Any, emulator: Any) -> None:
    clock = Clock()
    do_login(make_ctx, now=clock)
    first = current_token(make_ctx(now=clock)).token
    clock.t += 3599 - 299  # inside the five-minute margin
    emulator.reset_stats()
    second = current_token(make_ctx(now=clock))
    assert second.token != first
    assert emulator.stats()["grants"]["refresh_token"] == 1
    assert current_token(make_ctx(now=clock)).token == second.token  # stored: no second refresh
    assert emulator.stats()["grants"]["refresh_token"] == 1


class CountingKeyring(MemoryKeyring):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def get_password(self, service: str, username: str) -> str | None:
        self.reads += 1
        return super().get_password(service, username)


def test_when_the_configs_note_says_expired_the_store_is_read_once_not_twice(
    make_ctx: Any, emulator: Any
) -> None:
    """A crowd waiting for one refresh pays one store read each: the one under the lock."""
    keyring = CountingKeyring()
    clock = Clock()
    do_login(make_ctx, now=clock, keyring_backend=keyring)
    clock.t += 3599 - 299  # the stored set and the config's note of it both say: refresh now
    keyring.reads = 0
    fresh = current_token(make_ctx(now=clock, keyring_backend=keyring))
    assert emulator.stats()["grants"]["refresh_token"] == 1
    assert keyring.reads == 1  # under the lock only (the client secret comes from the env here)
    keyring.reads = 0
    assert current_token(make_ctx(now=clock, keyring_backend=keyring)).token == fresh.token
    assert keyring.reads == 1 and emulator.stats()["grants"]["refresh_token"] == 1


def test_a_stale_note_in_the_config_costs_a_read_but_never_a_refresh(
    make_ctx: Any, emulator: Any, isolated_env: Path
) -> None:
    """The note is a hint: the store decides. (A config write that failed after a refresh leaves it stale.)"""
    import json

    do_login(make_ctx)
    token = current_token(make_ctx()).token
    config = json.loads((isolated_env / "config.json").read_text())
    config["profiles"]["default"]["expires_at"] = 0
    (isolated_env / "config.json").write_text(json.dumps(config))
    assert current_token(make_ctx()).token == token
    assert emulator.stats()["grants"]["refresh_token"] == 0


def test_invalid_grant_is_exit_4_and_keeps_the_store(
    make_ctx: Any, emulator: Any, keyring: MemoryKeyring
) -> None:
    do_login(make_ctx)
    before = dict(keyring.entries)
    emulator.advance_clock(61 * 86400)
    with pytest.raises(RefreshTokenInvalid) as err:
        refresh(make_ctx())
    assert err.value.exit_code == 4 and "60 idle days" in err.value.message
    assert "pdauth login" in err.value.hint
    assert keyring.entries == before


@pytest.mark.emulator(rotate_refresh_tokens=True)
def test_rotated_refresh_token_is_stored(make_ctx: Any) -> None:
    do_login(make_ctx)
    old = make_ctx().stored_tokens()
    refresh(make_ctx())
    new = make_ctx().stored_tokens()
    assert old and new and new.refresh_token != old.refresh_token
    refresh(make_ctx())  # the stored (new) refresh token works


def test_env_access_token_is_used_as_is(make_ctx: Any) -> None:
    access = current_token(
        make_ctx(
            env={"PIPEDRIVE_ACCESS_TOKEN": "v1u:given", "PIPEDRIVE_API_DOMAIN": "https://x.pipedrive.com/"}
        )
    )
    assert (access.token, access.api_domain, access.refreshable) == (
        "v1u:given",
        "https://x.pipedrive.com",
        False,
    )


def test_env_refresh_token_never_touches_a_store(
    make_ctx: Any, emulator: Any, keyring: MemoryKeyring
) -> None:
    do_login(make_ctx)
    refresh_token = make_ctx().stored_tokens().refresh_token  # type: ignore[union-attr]
    keyring.entries.clear()
    writes = keyring.writes
    access = current_token(make_ctx(env={"PIPEDRIVE_REFRESH_TOKEN": refresh_token}))
    assert access.token.startswith("v1u:") and access.api_domain == emulator.base_url
    assert keyring.entries == {} and keyring.writes == writes


def test_not_logged_in(make_ctx: Any) -> None:
    with pytest.raises(NotLoggedIn) as err:
        current_token(make_ctx(profile="nobody"))
    assert err.value.exit_code == 4 and "-p nobody" in err.value.hint


def test_no_keyring_gives_the_three_ways_out(make_ctx: Any) -> None:
    from keyring.backends.fail import Keyring as NoKeyring

    with pytest.raises(KeyringUnavailable) as err:
        flows.login(make_ctx(keyring_backend=NoKeyring()), QuietLoginUI(), timeout=5)
    hint = err.value.hint
    assert "Secret Service" in hint and "--store file" in hint and "PIPEDRIVE_REFRESH_TOKEN" in hint


def test_failed_keyring_write_during_refresh_keeps_old_tokens(make_ctx: Any, keyring: MemoryKeyring) -> None:
    do_login(make_ctx)
    failing = FailingKeyring()
    failing.entries = dict(keyring.entries)
    with pytest.raises(KeyringUnavailable):
        refresh(make_ctx(keyring_backend=failing))
    assert failing.entries == keyring.entries


def test_file_store_login_and_wrong_passphrase(
    make_ctx: Any, isolated_env: Path, keyring: MemoryKeyring
) -> None:
    env = {"PDAUTH_PASSPHRASE": "demo passphrase"}
    do_login(make_ctx, env=env, store="file")
    assert keyring.entries == {}
    assert current_token(make_ctx(env=env)).token  # the remembered store is used
    path = isolated_env / "tokens.enc"
    before = path.read_bytes()
    from pdauth.errors import WrongPassphrase

    with pytest.raises(WrongPassphrase):
        refresh(make_ctx(env={"PDAUTH_PASSPHRASE": "wrong"}))
    assert path.read_bytes() == before


def test_login_as_someone_else_replaces_and_says_so(make_ctx: Any, emulator: Any) -> None:
    first = do_login(make_ctx)
    emulator.set_identity(
        user_id=4242, user_name="Other", user_email="o@x.test", company_id=99, company_name="OtherCo"
    )
    second = do_login(make_ctx)
    assert second.replaced == first.identity and second.identity.company_name == "OtherCo"
    assert do_login(make_ctx).replaced is None  # same account again: nothing replaced


def test_status_logout_switch(make_ctx: Any, emulator: Any, keyring: MemoryKeyring) -> None:
    do_login(make_ctx)
    do_login(make_ctx, profile="work")
    statuses = account.status(make_ctx(), only_selected=False)
    assert [s.profile for s in statuses] == ["default", "work"] and all(s.usable for s in statuses)
    account.switch(make_ctx(), "work")
    assert make_ctx().profile_name == "work"
    result = account.logout(make_ctx(), revoke=True)
    assert (
        result.revoked and not of_profile(keyring.entries, "work") and of_profile(keyring.entries, "default")
    )
    assert emulator.stats()["revocations"] == 1
    assert make_ctx().profile_name == "default"
    assert account.logout(make_ctx(profile="work"), revoke=False).was_logged_in is False
    with pytest.raises(Exception, match="No profile named"):
        account.switch(make_ctx(), "work")


def test_whoami_refreshes_once_on_401(make_ctx: Any, emulator: Any) -> None:
    do_login(make_ctx)
    emulator.inject_fault(
        endpoint="/api/v1/users/me",
        status=401,
        count=1,
        body='{"success": false, "error": "unauthorized access"}',
        content_type="application/json",
    )
    emulator.reset_stats()
    identity, _ = account.whoami(make_ctx())
    assert identity.name and emulator.stats()["grants"]["refresh_token"] == 1


def test_concurrent_token_calls_refresh_once(make_ctx: Any, emulator: Any) -> None:
    clock = Clock()
    do_login(make_ctx, now=clock)
    clock.t += 4000
    emulator.reset_stats()
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(current_token(make_ctx(now=clock)).token))
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1 and len(results) == 8
    assert emulator.stats()["grants"]["refresh_token"] == 1
