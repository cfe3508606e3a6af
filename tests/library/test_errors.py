"""Errors: pdauth's own types with the CLI's one line and hint; HTTP errors a requests.HTTPError too,
carrying Pipedrive's error envelope."""

from __future__ import annotations

from typing import Any

import pytest
import requests

import pdauth
from tests.conftest import CLI
from tests.library.support import Recorder

pytestmark = pytest.mark.timeout(60)


def test_a_404_is_an_http_error_with_the_envelope_and_the_line_call_prints(
    session: Any, logged_in: CLI
) -> None:
    with pytest.raises(requests.HTTPError) as caught:  # what code written for requests catches
        session.get("/v2/deals/999999")
    error = caught.value
    assert isinstance(error, pdauth.PipedriveHTTPError)
    assert isinstance(error, pdauth.ApiHttpError) and isinstance(error, pdauth.PdauthError)
    assert error.response is not None and error.response.status_code == error.status_code == 404
    assert error.request is error.response.request
    assert error.envelope == {
        "success": False,
        "error": "Deal not found",
        "error_info": "Please check developers.pipedrive.com",
        "data": None,
        "additional_data": None,
    }
    assert (error.success, error.error, error.error_info, error.error_code) == (
        False,
        "Deal not found",
        "Please check developers.pipedrive.com",
        None,
    )
    assert error.exit_code == pdauth.ExitCode.ERROR
    r = logged_in("call", "/v2/deals/999999")
    assert r.returncode == 1
    assert r.stderr.strip() == f"error: {error.one_line()}"
    assert str(error) == error.message == "GET /api/v2/deals/999999: HTTP 404 Deal not found"


@pytest.mark.emulator(scopes=("base", "contacts:read"))
def test_a_403_names_the_scope_it_needs_as_call_does(session: Any, logged_in: CLI) -> None:
    with pytest.raises(pdauth.PipedriveHTTPError) as caught:
        session.get("/v2/deals")
    error = caught.value
    assert (error.status_code, error.error_code, error.error) == (403, 403, "Scope and URL mismatch")
    assert "needs the deals:read or deals:full scope; this login has base, contacts:read" in error.hint
    assert logged_in("call", "/v2/deals").stderr.strip() == f"error: {error.one_line()}"


def test_not_logged_in_is_the_error_pdauth_token_prints(cli: CLI, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "PDAUTH_CONFIG_DIR",
        "PDAUTH_OAUTH_URL",
        "PYTHON_KEYRING_BACKEND",
        "PDAUTH_TEST_KEYRING_FILE",
    ):
        monkeypatch.setenv(name, cli.env[name])
    with pdauth.Session(profile="staging") as s, pytest.raises(pdauth.NotLoggedIn) as caught:
        s.get("/v1/users/me")
    r = cli("token", "-p", "staging")
    assert r.returncode == caught.value.exit_code == 4
    assert r.stderr.strip() == f"error: {caught.value.one_line()}"
    with pytest.raises(pdauth.NotLoggedIn):
        pdauth.token("staging")


def test_a_bad_profile_name_fails_when_the_session_is_made(cli: CLI) -> None:
    with pytest.raises(pdauth.ConfigError) as caught:
        pdauth.Session(profile="no/such")
    assert caught.value.one_line() == "Invalid profile name 'no/such'. Use letters, digits, '-', '_' or '.'"


def test_server_text_in_an_error_cannot_drive_a_terminal(
    monkeypatch: pytest.MonkeyPatch, recorder: Recorder
) -> None:
    recorder.answer = lambda path: (
        400,
        {"Content-Type": "application/json"},
        b'{"success": false, "error": "bad\\u001b]0;owned\\u0007\\u001b[2J input"}',
    )
    monkeypatch.setenv("PIPEDRIVE_ACCESS_TOKEN", "v1u:env-token-0123456789")
    monkeypatch.setenv("PIPEDRIVE_API_DOMAIN", recorder.url)
    with pdauth.Session() as s, pytest.raises(pdauth.PipedriveHTTPError) as caught:
        s.get("/v2/deals")
    assert str(caught.value) == "GET /api/v2/deals: HTTP 400 bad?]0;owned??[2J input"
    assert caught.value.error == "bad\x1b]0;owned\x07\x1b[2J input"  # the envelope itself stays as sent


def test_an_error_that_is_not_json_still_says_what_happened(
    monkeypatch: pytest.MonkeyPatch, recorder: Recorder
) -> None:
    recorder.answer = lambda path: (502, {"Content-Type": "text/html"}, b"<html>Bad gateway</html>")
    monkeypatch.setenv("PIPEDRIVE_ACCESS_TOKEN", "v1u:env-token-0123456789")
    monkeypatch.setenv("PIPEDRIVE_API_DOMAIN", recorder.url)
    with pdauth.Session(sleep=lambda s: None) as s, pytest.raises(pdauth.PipedriveHTTPError) as caught:
        s.get("/v1/users/me")
    assert caught.value.message == "GET /api/v1/users/me: HTTP 502 Bad Gateway"
    assert caught.value.envelope == {} and caught.value.error is None
    assert len(recorder.requests) == 4  # a GET: retried three times
