"""pdauth.Session against the emulator: a real requests.Session that sends the stored login's token to the
profile's api_domain, and only there."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter

import pdauth
from tests.conftest import CLI
from tests.library.support import Recorder

pytestmark = pytest.mark.timeout(60)


def test_paths_of_every_spelling_go_to_the_profiles_api_domain(session: Any, emulator: Any) -> None:
    assert isinstance(session, requests.Session)
    api_domain = session.token_info().api_domain
    assert api_domain == emulator.base_url
    for path in ("/v1/users/me", "v1/users/me", "/api/v1/users/me", f"{api_domain}/api/v1/users/me"):
        response = session.get(path)
        assert response.status_code == 200
        assert response.json()["data"]["name"] == "Demo User"
        assert response.request.url == f"{api_domain}/api/v1/users/me"
    assert session.get("/v2/deals", params={"limit": 1}).request.url == f"{api_domain}/api/v2/deals?limit=1"
    assert emulator.stats()["api_responses"] == {"200": 5}


@pytest.mark.emulator(deals=3)
def test_post_patch_delete_with_json_bodies(session: Any) -> None:
    created = session.post("/v2/deals", json={"title": "Big deal", "value": 2300})
    assert created.status_code in (200, 201)
    deal = created.json()["data"]
    assert (deal["title"], deal["value"]) == ("Big deal", 2300)
    patched = session.patch(f"/v2/deals/{deal['id']}", json={"title": "Bigger deal"}).json()["data"]
    assert patched["title"] == "Bigger deal"
    assert session.get(f"/v2/deals/{deal['id']}").json()["data"]["title"] == "Bigger deal"
    session.delete(f"/v2/deals/{deal['id']}")
    with pytest.raises(pdauth.PipedriveHTTPError) as caught:
        session.get(f"/v2/deals/{deal['id']}")
    assert caught.value.status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{other}/api/v1/users/me",  # same host, another port: another origin
        "https://{host}/api/v1/users/me",  # another scheme
        "http://localhost:{port}/api/v1/users/me",  # another name for the same place is another origin
    ],
)
def test_a_full_url_for_another_origin_raises_and_nothing_reaches_it(
    session: Any, emulator: Any, logged_in: CLI, recorder: Recorder, url: str
) -> None:
    host, port = "127.0.0.1", emulator.port
    target = url.format(other=recorder.server.server_port, host=host, port=port)
    with pytest.raises(pdauth.ForeignHostRefused) as caught:
        session.get(target)
    assert recorder.requests == []
    assert emulator.stats()["api_requests"] == 0
    # The line `pdauth call` prints for the same URL.
    r = logged_in("call", target)
    assert r.returncode == 2
    assert r.stderr.strip() == f"error: {caught.value.one_line()}"


def test_a_prepared_request_for_another_origin_never_gets_the_token(session: Any, recorder: Recorder) -> None:
    """requests' own API (prepare_request, then send) passes through the same rule."""
    with pytest.raises(pdauth.ForeignHostRefused):
        session.prepare_request(requests.Request("GET", f"{recorder.url}/api/v1/users/me"))
    assert recorder.requests == []


@pytest.mark.parametrize(
    "path", ["/oauth/token", "/users/me", "/v1/../../oauth/token", "ftp://example.com/v1/x"]
)
def test_what_is_no_api_path_is_refused(session: Any, emulator: Any, path: str) -> None:
    with pytest.raises(pdauth.RequestSpecError):
        session.get(path)
    assert emulator.stats()["requests"] == 0


def test_adapters_mounts_hooks_and_headers_work_as_in_requests(session: Any) -> None:
    sent: list[requests.PreparedRequest] = []
    hooked: list[int] = []

    class Counting(HTTPAdapter):
        def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
            sent.append(request)
            return super().send(request, *args, **kwargs)

    api_domain = session.token_info().api_domain
    session.mount(api_domain, Counting())
    session.hooks["response"].append(lambda response, **kwargs: hooked.append(response.status_code))
    session.headers["X-Trace"] = "abc"
    assert session.get("/v1/users/me", headers={"X-Request": "1"}).status_code == 200
    (request,) = sent
    assert request.headers["X-Trace"] == "abc"
    assert request.headers["X-Request"] == "1"
    assert request.headers["Authorization"] == f"Bearer {session.token_info().access_token}"
    assert request.headers["User-Agent"].startswith("pdauth/")
    assert hooked == [200]


def test_a_caller_header_never_replaces_the_token(session: Any) -> None:
    response = session.get("/v1/users/me", headers={"Authorization": "Bearer something-else"})
    assert response.status_code == 200
    assert response.request.headers["Authorization"] == f"Bearer {session.token_info().access_token}"


def test_redirects_are_returned_never_followed(monkeypatch: pytest.MonkeyPatch, recorder: Recorder) -> None:
    """An api_domain that redirects (hostile, or misconfigured) never sends the token on."""
    elsewhere = Recorder()
    try:
        same_origin = f"{recorder.url}/api/v1/users/me?again=1"
        targets = iter([f"{elsewhere.url}/steal", same_origin])
        recorder.answer = lambda path: (302, {"Location": next(targets)}, b"")
        monkeypatch.setenv("PIPEDRIVE_ACCESS_TOKEN", "v1u:env-token-0123456789")
        monkeypatch.setenv("PIPEDRIVE_API_DOMAIN", recorder.url)
        with pdauth.Session() as s:
            for _ in range(2):
                response = s.get("/v1/users/me")
                assert response.status_code == 302
        assert elsewhere.requests == []
        assert [r["path"] for r in recorder.requests] == ["/api/v1/users/me"] * 2
    finally:
        elsewhere.close()


def test_query_values_are_spelled_as_pipedrive_reads_them(
    monkeypatch: pytest.MonkeyPatch, recorder: Recorder
) -> None:
    monkeypatch.setenv("PIPEDRIVE_ACCESS_TOKEN", "v1u:env-token-0123456789")
    monkeypatch.setenv("PIPEDRIVE_API_DOMAIN", recorder.url)
    with pdauth.Session() as s:
        s.get("/v2/deals?status=open", params={"include_labels": True, "ids": [1, 2], "owner_id": None})
        s.get("/v2/deals", params=[("archived", False)])
    assert [r["path"] for r in recorder.requests] == [
        "/api/v2/deals?status=open&include_labels=true&ids=1&ids=2",
        "/api/v2/deals?archived=false",
    ]


def test_the_profile_is_chosen_as_the_cli_chooses_it(
    logged_in: CLI, emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`profile=`, else PDAUTH_PROFILE, else the config file's default profile (`pdauth switch`)."""
    from tests.library.conftest import log_in

    emulator.set_identity(user_id=42, user_name="Staging User")
    monkeypatch.setenv("PDAUTH_PROFILE", "staging")
    log_in()  # as the staging profile
    monkeypatch.delenv("PDAUTH_PROFILE")

    def user(**kwargs: Any) -> int:
        with pdauth.Session(**kwargs) as s:
            return int(s.get("/v1/users/me").json()["data"]["id"])

    assert (user(), user(profile="staging")) == (777, 42)
    monkeypatch.setenv("PDAUTH_PROFILE", "staging")
    assert (user(), user(profile="default")) == (42, 777)
    monkeypatch.delenv("PDAUTH_PROFILE")
    assert logged_in("switch", "staging").returncode == 0
    assert user() == 42


@pytest.mark.emulator(deals=250)
def test_paginate_follows_v1_offsets_and_v2_cursors_alike(session: Any, emulator: Any) -> None:
    v2 = [d["id"] for d in session.paginate("/v2/deals", params={"limit": 100})]
    v1 = [d["id"] for d in session.paginate("/api/v1/deals", params={"limit": 100})]
    assert len(v2) == 250 and sorted(v1) == sorted(v2)
    assert emulator.stats()["api_responses"] == {"200": 6}  # three pages each
    first_v1 = session.get("/v1/deals", params={"limit": 100}).json()["additional_data"]
    assert first_v1["pagination"]["next_start"] == 100  # v1's offsets, really
    assert [d["id"] for d in session.paginate("/v2/deals?limit=100", params={"status": "open"})] == [
        d["id"] for d in session.paginate("/v2/deals") if d["status"] == "open"
    ]
