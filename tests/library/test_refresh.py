"""A Session's token across expiries: refreshed before it expires, once more on a 401, once for all the
threads sharing the Session, and under the same cross-process protocol as `pdauth token`.

Time passes on two clocks, moved together by `Clock.advance`: pdauth's (injected as `Session(clock=...)`)
and the emulator's (POST /__emulator/clock). Moving only the emulator's makes a token the Session still
believes valid expire at the server: the API answers 401.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from typing import Any

import pytest

import pdauth
from tests.conftest import CLI
from tests.library.support import Clock, grants, responses
from tests.support.harness import expire_stored, keyring_file

pytestmark = pytest.mark.timeout(120)
THREADS = 16


def together(n: int, work: Any) -> list[Any]:
    """`work()` in `n` threads released at once; their results (an exception fails the test)."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n
    errors: list[BaseException] = []

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    return results


@pytest.mark.parametrize("expiry", ["due", "rejected"])
def test_threads_sharing_a_session_across_a_forced_expiry_make_one_refresh(
    logged_in: CLI, emulator: Any, clock: Clock, expiry: str
) -> None:
    with pdauth.Session(clock=clock) as s:
        before = s.get("/v1/users/me").request.headers["Authorization"]
        if expiry == "due":
            clock.advance(3600)  # both clocks: the Session sees its token due and refreshes first
        else:
            emulator.advance_clock(3600)  # the server's only: every thread's request gets a 401
        used = together(THREADS, lambda: s.get("/v1/users/me").request.headers["Authorization"])
    assert grants(emulator) == 1
    assert len(set(used)) == 1 and used[0] != before
    if expiry == "due":
        assert responses(emulator, 401) == 0
    else:  # a thread that sends after another one renewed the token sends the new one at once
        assert 1 <= responses(emulator, 401) <= THREADS
    assert responses(emulator, 200) == 1 + THREADS  # every request answered, a rejected one after its retry


def test_threads_on_the_env_refresh_token_make_one_refresh(
    logged_in: CLI, emulator: Any, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CI chain (PIPEDRIVE_REFRESH_TOKEN) is refreshed in memory: once for all threads, then kept."""
    from tests.support.harness import stored

    monkeypatch.setenv("PIPEDRIVE_REFRESH_TOKEN", stored(logged_in.env)["refresh_token"])
    with pdauth.Session(clock=clock) as s:
        together(THREADS, lambda: s.get("/v1/users/me").status_code)
        assert grants(emulator) == 1
        clock.advance(3600)
        together(THREADS, lambda: s.get("/v1/users/me").status_code)
        assert s.token_info().source == "env PIPEDRIVE_REFRESH_TOKEN"
    assert grants(emulator) == 2
    assert responses(emulator, 401) == 0


def test_a_long_running_session_keeps_working_across_many_expiries(
    logged_in: CLI, emulator: Any, clock: Clock
) -> None:
    hours = 12
    with pdauth.Session(clock=clock) as s:
        tokens = set()
        for _ in range(hours):
            response = s.get("/v1/users/me")
            assert response.status_code == 200
            tokens.add(response.request.headers["Authorization"])
            clock.advance(3600)
    assert len(tokens) == hours
    assert grants(emulator) == hours - 1  # the first hour used the login's token
    assert responses(emulator, 401) == 0  # each refresh came before the expiry, never after a 401


@pytest.mark.emulator(deals=1200)
def test_a_401_mid_pagination_refreshes_once_and_loses_or_repeats_nothing(
    logged_in: CLI, emulator: Any, clock: Clock
) -> None:
    with pdauth.Session(clock=clock) as s:
        expected = [deal["id"] for deal in s.paginate("/v2/deals", params={"limit": 500})]
        assert len(expected) == 1200
        emulator.reset_stats()
        seen = []
        for deal in s.paginate("/v2/deals", params={"limit": 100}):
            seen.append(deal["id"])
            if len(seen) == 350:  # mid-page 4: page 5 is asked for with a token the server now refuses
                emulator.advance_clock(3600)
    assert seen == expected
    assert grants(emulator) == 1
    assert responses(emulator, 401) == 1
    assert responses(emulator, 200) == 12


def test_a_session_and_pdauth_token_processes_share_one_refresh(
    logged_in: CLI, emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cross-process protocol: a Session's threads and `pdauth token` processes started together on an
    expired stored token make one refresh grant between them, and all use its token."""
    expire_stored(logged_in.env, noted=True)
    processes = 6
    with pdauth.Session() as s:
        started = threading.Barrier(THREADS // 2 + 1)
        printed: list[str] = []

        def run_processes() -> None:
            started.wait()
            procs = [
                subprocess.Popen(
                    [sys.executable, "-m", "pdauth", "token"],
                    env=logged_in.env,
                    stdout=subprocess.PIPE,
                    text=True,
                )
                for _ in range(processes)
            ]
            printed.extend(p.communicate(timeout=60)[0].strip() for p in procs)

        runner = threading.Thread(target=run_processes)
        runner.start()

        def use() -> str:
            started.wait()
            return s.get("/v1/users/me").request.headers["Authorization"].removeprefix("Bearer ")

        used = together(THREADS // 2, use)
        runner.join(90)
    assert grants(emulator) == 1
    assert set(printed) | set(used) == {used[0]}
    assert len(printed) == processes


def test_token_sources_in_the_cli_order_env_access_then_env_refresh_then_store(
    logged_in: CLI, emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.harness import stored

    store_bytes = keyring_file(logged_in.env).read_bytes()
    stored_set = stored(logged_in.env)
    with pdauth.Session() as s:
        assert s.token_info().source.startswith("keyring")
        assert s.token_info().access_token == stored_set["access_token"]

    monkeypatch.setenv("PIPEDRIVE_REFRESH_TOKEN", stored_set["refresh_token"])
    with pdauth.Session() as s:
        assert s.get("/v1/users/me").status_code == 200
        assert s.token_info().source == "env PIPEDRIVE_REFRESH_TOKEN"
        assert s.token_info().access_token != stored_set["access_token"]  # refreshed in memory
    assert grants(emulator) == 1

    monkeypatch.setenv("PIPEDRIVE_ACCESS_TOKEN", stored_set["access_token"])
    monkeypatch.setenv("PIPEDRIVE_API_DOMAIN", emulator.base_url)
    with pdauth.Session() as s:
        assert s.get("/v1/users/me").status_code == 200
        info = s.token_info()
        assert (info.source, info.access_token, info.expires_at) == (
            "env PIPEDRIVE_ACCESS_TOKEN",
            stored_set["access_token"],
            None,
        )
    assert grants(emulator) == 1
    assert keyring_file(logged_in.env).read_bytes() == store_bytes  # no env source ever writes the store


def test_an_env_access_token_the_api_rejects_says_which_variable_to_replace(
    logged_in: CLI, emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.harness import stored

    monkeypatch.setenv("PIPEDRIVE_ACCESS_TOKEN", stored(logged_in.env)["access_token"])
    monkeypatch.setenv("PIPEDRIVE_API_DOMAIN", emulator.base_url)
    emulator.advance_clock(3600)
    with pdauth.Session() as s, pytest.raises(pdauth.AccessTokenRejected) as caught:
        s.get("/v1/users/me")
    assert grants(emulator) == 0
    r = logged_in(
        "call",
        "/v1/users/me",
        PIPEDRIVE_ACCESS_TOKEN=stored(logged_in.env)["access_token"],
        PIPEDRIVE_API_DOMAIN=emulator.base_url,
    )
    assert r.returncode == caught.value.exit_code == 4
    assert r.stderr.strip() == f"error: {caught.value.one_line()}"


def test_a_refresh_the_server_refuses_raises_the_cli_error_and_keeps_the_store(
    logged_in: CLI, emulator: Any, clock: Clock
) -> None:
    store_bytes = keyring_file(logged_in.env).read_bytes()
    body = (
        '{"success": false, "message": "Invalid grant: refresh token is invalid", "error": "invalid_grant"}'
    )
    with pdauth.Session(clock=clock) as s:
        clock.advance(3600)
        emulator.inject_fault(endpoint="token", status=400, body=body, content_type="application/json")
        with pytest.raises(pdauth.RefreshTokenInvalid) as caught:
            s.get("/v1/users/me")
    assert keyring_file(logged_in.env).read_bytes() == store_bytes
    assert "Run `pdauth login`" in caught.value.one_line()
    assert caught.value.exit_code == 4


def test_a_401_that_persists_after_the_refresh_is_one_refresh_then_the_cli_error(
    logged_in: CLI, emulator: Any
) -> None:
    unauthorized = '{"success": false, "error": "unauthorized access", "errorCode": 401}'
    emulator.inject_fault(endpoint="/api/v1/users/me", status=401, count=5, body=unauthorized)
    with pdauth.Session() as s, pytest.raises(pdauth.AccessTokenRejected) as caught:
        s.get("/v1/users/me")
    assert grants(emulator) == 1
    assert emulator.stats()["faults_triggered"] == 2  # the request, and its one repeat
    assert caught.value.one_line() == (
        f"{emulator.base_url} rejected the access token even right after a refresh (401). Run `pdauth login`"
    )
