from __future__ import annotations

import socket
import threading
import time

import pytest
import requests

from pdauth.errors import CallbackTimeout, ConfigError, PortInUse
from pdauth.login.loopback import (
    COMPLETE_PATH,
    CallbackInbox,
    CallbackListener,
    RedirectTarget,
    is_loopback_host,
)
from tests.conftest import free_port

STATE = "s" * 43


@pytest.fixture
def listener() -> object:
    port = free_port()
    inbox = CallbackInbox(STATE)
    # A short linger: most tests here never fetch the page a good callback is owed (tests of the linger
    # itself make their own listener), and each would otherwise wait the full 5 s for it at the end.
    with CallbackListener(f"http://127.0.0.1:{port}/callback", inbox, linger=0.2) as lst:
        lst.base = f"http://127.0.0.1:{port}"  # type: ignore[attr-defined]
        yield lst


def get(url: str, **kw: object) -> requests.Response:
    return requests.get(url, allow_redirects=False, timeout=5, **kw)  # type: ignore[arg-type]


def test_good_callback_redirects_to_a_clean_page_that_shows_the_outcome(listener: CallbackListener) -> None:
    base = listener.base  # type: ignore[attr-defined]
    response = get(f"{base}/callback?code=1.2.abc&state={STATE}")
    assert response.status_code == 302 and response.headers["Location"].startswith(COMPLETE_PATH + "/")
    assert listener.inbox.wait(1).code == "1.2.abc"
    listener.inbox.finish(True, "Logged in to <Acme>")
    page = get(base + response.headers["Location"])
    assert page.status_code == 200
    assert "Logged in to &lt;Acme&gt;" in page.text and "<Acme>" not in page.text
    assert "1.2.abc" not in page.text


@pytest.mark.parametrize(
    "query",
    [
        f"code=1.2.abc&state=wrong{STATE}",
        "code=1.2.abc",
        f"code=1.2.abc&state={STATE}&state={STATE}",
        f"code=a&code=b&state={STATE}",
        f"state={STATE}",
        "error=user_denied&state=mismatch",
    ],
)
def test_bad_callbacks_are_refused_and_the_wait_goes_on(listener: CallbackListener, query: str) -> None:
    base = listener.base  # type: ignore[attr-defined]
    assert get(f"{base}/callback?{query}").status_code == 400
    assert not listener.inbox.arrived
    assert get(f"{base}/callback?code=9.9.good&state={STATE}").status_code == 302
    assert listener.inbox.wait(1).code == "9.9.good"


def test_stray_paths_get_404_and_do_not_end_the_wait(listener: CallbackListener) -> None:
    base = listener.base  # type: ignore[attr-defined]
    for path in ("/", "/favicon.ico", f"/other?code=1&state={STATE}", COMPLETE_PATH):
        assert get(base + path).status_code == 404
    assert requests.post(f"{base}/callback?code=1&state={STATE}", timeout=5).status_code == 405
    assert not listener.inbox.arrived


@pytest.mark.parametrize("error", ["user_denied", "access_denied"])
def test_error_callback_with_or_without_state(listener: CallbackListener, error: str) -> None:
    base = listener.base  # type: ignore[attr-defined]
    response = get(f"{base}/callback?error={error}&error_description=<script>x</script>")
    assert response.status_code == 200 and "<script>" not in response.text
    result = listener.inbox.wait(1)
    assert (result.error, result.code) == (error, None)


def test_silent_client_does_not_block_the_real_callback(listener: CallbackListener) -> None:
    base = listener.base  # type: ignore[attr-defined]
    silent = socket.create_connection(("127.0.0.1", listener.port))
    try:
        assert get(f"{base}/callback?code=1.1.x&state={STATE}").status_code == 302
    finally:
        silent.close()


def test_timeout_raises() -> None:
    inbox = CallbackInbox(STATE)
    start = time.monotonic()
    with pytest.raises(CallbackTimeout):
        inbox.wait(0.3)
    assert time.monotonic() - start < 2


def test_port_in_use_names_the_port() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(PortInUse, match=str(port)) as err:
            CallbackListener(f"http://127.0.0.1:{port}/callback", CallbackInbox(STATE))
        assert "--redirect-uri" in err.value.hint


@pytest.mark.parametrize(
    "uri",
    [
        "https://127.0.0.1:1/cb",
        "http://example.com:8976/cb",
        "http://10.0.0.1:8976/cb",
        "http://127.0.0.1:x/",
    ],
)
def test_only_loopback_http_redirects(uri: str) -> None:
    with pytest.raises(ConfigError):
        RedirectTarget.parse(uri)


def test_localhost_binds_both_loopback_literals() -> None:
    target = RedirectTarget.parse("http://localhost:8976/cb")
    assert target.bind_hosts == ("127.0.0.1", "::1") and target.bind_host == "127.0.0.1"


IDENTITY = "Acme Ltd as Jane Doe <jane@acme.example>"


def test_the_completion_page_is_served_once_and_only_at_its_own_address(listener: CallbackListener) -> None:
    """Any local client can connect; only the browser that delivered the callback learns the nonce."""
    base = listener.base  # type: ignore[attr-defined]
    location = get(f"{base}/callback?code=1.2.abc&state={STATE}").headers["Location"]
    nonce = location.rsplit("/", 1)[1]
    assert len(nonce) >= 43  # 256 bits
    listener.inbox.finish(True, f"Logged in to {IDENTITY}. You can close this tab.")
    strays = [
        COMPLETE_PATH,
        COMPLETE_PATH + "/",
        f"{COMPLETE_PATH}/{'A' * len(nonce)}",
        f"{location}x",
        location[:-1],
    ]
    for path in strays:
        response = get(base + path)
        assert response.status_code == 404 and "Jane" not in response.text and "acme" not in response.text, (
            path
        )
    page = get(base + location)
    assert page.status_code == 200 and "Jane Doe" in page.text
    again = get(base + location)
    assert again.status_code == 404 and "Jane" not in again.text
    assert listener.inbox.page_sent.is_set()


def test_the_completion_page_waits_for_a_code() -> None:
    inbox = CallbackInbox(STATE)
    assert not inbox.claim_complete(inbox.complete_path.rsplit("/", 1)[1])  # no code yet: nothing to show


def test_the_start_address_redirects_once_and_a_second_fetch_aborts_the_login() -> None:
    port = free_port()
    authorize = f"http://127.0.0.1:9/oauth/authorize?state={STATE}"
    inbox = CallbackInbox(STATE, authorize)
    with CallbackListener(f"http://127.0.0.1:{port}/callback", inbox, linger=0.2) as listener:
        start = listener.start_url
        assert start.startswith(f"http://127.0.0.1:{port}/pdauth/start/") and STATE not in start
        wrong = get(start[:-1] + ("B" if start[-1] != "B" else "C"))
        assert wrong.status_code == 404 and not inbox.aborted  # guessing cannot abort anyone's login
        first = get(start)
        assert first.status_code == 302 and first.headers["Location"] == authorize
        second = get(start)
        assert second.status_code == 410 and STATE not in second.text and "Location" not in second.headers
        assert inbox.aborted and inbox.wait(1).aborted
        late = get(f"http://127.0.0.1:{port}/callback?code=1.2.abc&state={STATE}")
        assert late.status_code == 400 and inbox.wait(1).code is None


def test_first_good_callback_wins_under_a_race(listener: CallbackListener) -> None:
    base = listener.base  # type: ignore[attr-defined]
    codes = [f"1.1.{i}" for i in range(8)]
    threads = [threading.Thread(target=get, args=(f"{base}/callback?code={c}&state={STATE}",)) for c in codes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    first = listener.inbox.wait(1).code
    assert first in codes and listener.inbox.wait(1).code == first


@pytest.mark.parametrize(
    ("host", "accepted"),
    [
        ("127.0.0.1:8080", True),
        ("127.0.0.1", True),
        ("LOCALHOST:1", True),
        ("[::1]:9", True),
        (None, False),
        ("", False),
        ("evil.example", False),
        ("evil.example:8080", False),
        ("127.0.0.1.evil.example:80", False),
        ("localhost.evil.example", False),
        ("[::2]:1", False),
        ("10.0.0.1:80", False),
    ],
)
def test_only_loopback_names_are_answered(host: str | None, accepted: bool) -> None:
    assert is_loopback_host(host) is accepted
