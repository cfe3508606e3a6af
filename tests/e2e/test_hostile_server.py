"""The real CLI against a hostile OAuth/API server (tests/support/hostile.py): what it may make us send,
print or store. Every refused operation is one line, the right exit code, and leaves the stored tokens
byte-for-byte as they were."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CLI, CLIENT_ID, CLIENT_SECRET, FAKE_BROWSER, REPO, Result, unused_fixed_port
from tests.support.entries import token_entry
from tests.support.hostile import (
    CONTROL,
    ESCAPES,
    HostileServer,
    Reply,
    identity_body,
    parse_github_env,
    serve,
    token_body,
)

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def server() -> Iterator[HostileServer]:
    yield from serve()


@pytest.fixture
def elsewhere() -> Iterator[HostileServer]:
    """Another origin: where a hostile server would like a secret to go."""
    yield from serve()


@pytest.fixture
def hcli(tmp_path: Path, server: HostileServer) -> CLI:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(REPO),
        PYTHON_KEYRING_BACKEND="tests.support.keyrings.JsonFileKeyring",
        PDAUTH_TEST_KEYRING_FILE=str(tmp_path / "keyring.json"),
        PDAUTH_OAUTH_URL=server.base_url,
        PDAUTH_REDIRECT_URI=f"http://127.0.0.1:{unused_fixed_port()}/callback",
        PIPEDRIVE_CLIENT_ID=CLIENT_ID,
        PIPEDRIVE_CLIENT_SECRET=CLIENT_SECRET,
        BROWSER=str(FAKE_BROWSER),
        NO_COLOR="1",
        COLUMNS="200",
    )
    return CLI(env)


def snapshot(cli: CLI) -> dict[str, bytes | None]:
    """Every byte pdauth keeps: the (test) keyring file and the config file."""
    files = {
        "keyring": Path(cli.env["PDAUTH_TEST_KEYRING_FILE"]),
        "config": Path(cli.env["PDAUTH_CONFIG_DIR"]) / "config.json",
    }
    return {name: path.read_bytes() if path.exists() else None for name, path in files.items()}


def login(cli: CLI, server: HostileServer, *tokens: Reply, identity: dict[str, Any] | None = None) -> Result:
    server.answer("POST", "/oauth/token", *(tokens or (Reply(200, token_body(api_domain=server.base_url)),)))
    server.answer("GET", "/api/v1/users/me", Reply(200, identity or identity_body()))
    return cli("login", "--timeout", "30")


def logged_in(cli: CLI, server: HostileServer, **identity: Any) -> dict[str, bytes | None]:
    r = login(cli, server, identity=identity_body(**identity) if identity else None)
    assert r.returncode == 0, r.stderr
    return snapshot(cli)


def pdauth_lines(text: str) -> list[str]:
    """What pdauth wrote, without the test's fake browser's report of the page it ended on."""
    return [line for line in text.splitlines() if line.strip() and not line.startswith("fake browser:")]


def assert_one_line_error(r: Result, code: int, *words: str, login: bool = False) -> str:
    """The command failed with `code` and one `error:` line; for login it follows the login's own lines
    (the OAuth URL, the browser), for anything else it is all of stderr."""
    assert r.returncode == code, (r.returncode, r.stdout, r.stderr)
    lines = pdauth_lines(r.stderr)
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1 and lines[-1] == errors[0], r.stderr
    if not login:
        assert len(lines) == 1, r.stderr
    for word in words:
        assert word in errors[0], errors[0]
    assert not CONTROL.search("\n".join(lines)), repr(r.stderr)
    return errors[0]


# -- where may a secret go? ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["http://oauth.example.com", "http://10.0.0.1:8080", "http://127.evil.example"]
)
def test_login_refuses_a_plain_http_oauth_url_off_the_loopback(hcli: CLI, url: str) -> None:
    for r in (hcli("login", "--oauth-url", url), hcli("login", PDAUTH_OAUTH_URL=url)):
        assert_one_line_error(r, 2, "plain http", url)
    assert snapshot(hcli) == {"keyring": None, "config": None}


def test_a_remembered_plain_http_oauth_url_is_refused_before_a_refresh(
    hcli: CLI, server: HostileServer
) -> None:
    logged_in(hcli, server)
    config = Path(hcli.env["PDAUTH_CONFIG_DIR"]) / "config.json"
    data = json.loads(config.read_text())
    data["profiles"]["default"]["oauth_url"] = "http://oauth.example.com"  # a hand edit, or an old pdauth
    config.write_text(json.dumps(data))
    # A login carried over from an old pdauth takes the profile's remembered issuer: bind the set to it, so
    # the refusal below is the plain-http rule's and not the binding's.
    keyring = Path(hcli.env["PDAUTH_TEST_KEYRING_FILE"])
    entries = json.loads(keyring.read_text())
    name = f"pdauth/{token_entry(config.parent)}"
    carried = {"issuer": "http://oauth.example.com", "api_domain": "https://acme.pipedrive.com"}
    entries[name] = json.dumps({**json.loads(entries[name]), **carried})
    keyring.write_text(json.dumps(entries))
    before = snapshot(hcli)
    env = {k: v for k, v in hcli.env.items() if k != "PDAUTH_OAUTH_URL"}
    sent = len(server.seen)
    for command in (("refresh",), ("logout", "--revoke"), ("login", "--timeout", "5")):
        r = CLI(env)(*command)
        assert_one_line_error(r, 2, "plain http", "pdauth login --oauth-url", login=command[0] == "login")
    assert snapshot(hcli) == before and len(server.seen) == sent
    # Nothing is sent there, but the profile can still be looked at and forgotten.
    assert CLI(env)("status").returncode == 0
    assert CLI(env)("logout").returncode == 0
    assert json.loads(snapshot(hcli)["keyring"] or b"{}") == {}


def test_an_access_token_from_the_environment_goes_only_to_an_https_api_domain(hcli: CLI) -> None:
    r = hcli(
        "call",
        "/v1/users/me",
        PIPEDRIVE_ACCESS_TOKEN="env-token",
        PIPEDRIVE_API_DOMAIN="http://api.example.com",
    )
    assert_one_line_error(r, 2, "plain http", "PIPEDRIVE_API_DOMAIN")


@pytest.mark.parametrize(
    "api_domain",
    [
        "http://api.example.com",  # plain http off the loopback: the token would travel in clear
        "http://10.0.0.1:8080",
        "ftp://127.0.0.1",
        "https://",
        "https://user:pw@acme.pipedrive.com",
        "https://acme.pipedrive.com/path?x=1",
    ],
)
def test_a_token_response_with_an_unusable_api_domain_stores_nothing(
    hcli: CLI, server: HostileServer, api_domain: str
) -> None:
    before = snapshot(hcli)
    r = login(hcli, server, Reply(200, token_body(api_domain=api_domain)))
    assert_one_line_error(r, 1, "api_domain", login=True)
    assert snapshot(hcli) == before
    assert not server.requests_to("/api/v1/users/me")  # the access token went nowhere


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_the_token_endpoint_is_not_followed_through_a_redirect(
    hcli: CLI, server: HostileServer, elsewhere: HostileServer, status: int
) -> None:
    before = logged_in(hcli, server)
    location = f"{elsewhere.base_url}/oauth/token"
    server.answer("POST", "/oauth/token", Reply(status, b"", {"Location": location}))
    r = hcli("refresh")
    assert_one_line_error(r, 1, str(status))
    assert elsewhere.seen == []  # neither the refresh token nor the client secret went there
    assert snapshot(hcli) == before


def test_revoke_does_not_follow_a_307_with_the_refresh_token(
    hcli: CLI, server: HostileServer, elsewhere: HostileServer
) -> None:
    before = logged_in(hcli, server)
    elsewhere.answer("POST", "/steal", Reply(200, b""))
    location = f"{elsewhere.base_url}/steal"
    server.answer("POST", "/oauth/revoke", Reply(307, b"", {"Location": location}))
    r = hcli("logout", "--revoke")
    assert_one_line_error(r, 1, "revoke", "307")
    assert elsewhere.seen == []  # the refresh token was not re-posted to another origin
    assert snapshot(hcli) == before


def test_revoke_redirected_to_a_page_that_answers_200_is_not_revoked(
    hcli: CLI, server: HostileServer, elsewhere: HostileServer
) -> None:
    before = logged_in(hcli, server)
    elsewhere.answer("GET", "/ok", Reply(200, "<html>fine</html>"))
    server.answer("POST", "/oauth/revoke", Reply(302, b"", {"Location": f"{elsewhere.base_url}/ok"}))
    r = hcli("logout", "--revoke")
    assert_one_line_error(r, 1, "302")
    assert "revoked" not in r.stdout
    assert elsewhere.seen == []
    assert snapshot(hcli) == before  # the local tokens are still there: nothing was revoked


def test_revoke_counts_only_a_200_from_the_revoke_endpoint(hcli: CLI, server: HostileServer) -> None:
    logged_in(hcli, server)
    server.answer("POST", "/oauth/revoke", Reply(200, b""))
    r = hcli("logout", "--revoke")
    assert r.returncode == 0, r.stderr
    assert "revoked its refresh token" in r.stderr
    (seen,) = server.requests_to("/oauth/revoke")
    assert b"hostile-refresh-token" in seen.body
    assert json.loads(snapshot(hcli)["keyring"] or b"{}") == {}


@pytest.mark.parametrize(
    "path",
    [
        "/v1/%2e%2e/%2e%2e/oauth/token",
        "/v1/%2E%2E/%2e./oauth/token",
        "/api/v1/deals/.%2e/.%2E/../oauth/token",
        "/v1/%252e%252e/%252e%252e/oauth/token",  # decoded twice by a proxy and a server
        "/v1/..%2f..%2foauth/token",  # an encoded slash inside a segment
        "/v1/..%5c..%5coauth/token",  # a backslash, which some servers take for a slash
    ],
)
def test_call_refuses_dot_segments_however_they_are_encoded(
    hcli: CLI, server: HostileServer, path: str
) -> None:
    before = logged_in(hcli, server)
    sent = len(server.seen)
    r = hcli("call", path)
    assert_one_line_error(r, 2, "'.' or '..'")
    assert len(server.seen) == sent  # nothing went out, with or without the token
    assert snapshot(hcli) == before


def test_call_still_sends_an_ordinary_encoded_path(hcli: CLI, server: HostileServer) -> None:
    logged_in(hcli, server)
    server.answer("GET", "/api/v1/persons/search%20me", Reply(200, {"success": True, "data": []}))
    r = hcli("call", "/v1/persons/search%20me")
    assert r.returncode == 0, r.stderr
    assert server.seen[-1].path == "/api/v1/persons/search%20me"


# -- what may a server make us print? -----------------------------------------------------------------

HOSTILE_NAME = f"Mallory{ESCAPES}"
FORGED = "x\nerror: forged line\r\x1b[1A"


def test_login_shows_a_hostile_identity_without_its_escapes(hcli: CLI, server: HostileServer) -> None:
    identity = identity_body(name=HOSTILE_NAME, email=f"m@{FORGED}", company_name=f"Evil{ESCAPES}")
    r = login(hcli, server, identity=identity)
    assert r.returncode == 0, r.stderr
    shown = "\n".join(pdauth_lines(r.stderr + r.stdout))
    assert not CONTROL.search(shown), repr(shown)
    assert "Mallory" in shown and "Evil" in shown
    assert not any(line.startswith("error:") for line in r.stderr.splitlines())


@pytest.mark.parametrize("command", [("whoami",), ("status",)])
def test_whoami_and_status_show_server_strings_without_escapes(
    hcli: CLI, server: HostileServer, command: tuple[str, ...]
) -> None:
    logged_in(hcli, server, name=HOSTILE_NAME, email=f"m@{FORGED}", company_name=f"Evil{ESCAPES}")
    r = hcli(*command)
    assert r.returncode == 0, r.stderr
    assert "Mallory" in r.stdout and "Evil" in r.stdout
    assert not CONTROL.search(r.stdout + r.stderr), repr(r.stdout)
    assert not any(line.startswith("error:") for line in (r.stdout + r.stderr).splitlines())


@pytest.mark.parametrize("command", [("whoami", "--json"), ("status", "--json")])
def test_json_output_escapes_server_strings_as_json_does(
    hcli: CLI, server: HostileServer, command: tuple[str, ...]
) -> None:
    logged_in(hcli, server, name=HOSTILE_NAME, company_name=f"Evil{ESCAPES}")
    r = hcli(*command)
    assert r.returncode == 0, r.stderr
    assert not CONTROL.search(r.stdout), repr(r.stdout)
    data = json.loads(r.stdout)
    names = [data["name"]] if isinstance(data, dict) else [data[0]["user"]["name"]]
    assert names == [HOSTILE_NAME]  # the data itself is unchanged: only its rendering is escaped


def test_a_hostile_error_message_from_the_token_endpoint_is_one_clean_line(
    hcli: CLI, server: HostileServer
) -> None:
    before = logged_in(hcli, server)
    body = {"error": f"invalid_request{ESCAPES}", "message": FORGED}
    server.answer("POST", "/oauth/token", Reply(400, body))
    r = hcli("refresh")
    assert_one_line_error(r, 1, "invalid_request")
    assert snapshot(hcli) == before


def test_a_hostile_api_error_message_is_one_clean_line(hcli: CLI, server: HostileServer) -> None:
    logged_in(hcli, server)
    server.answer("GET", "/api/v1/users/me", Reply(500, {"success": False, "error": FORGED + ESCAPES}))
    r = hcli("whoami")
    assert_one_line_error(r, 1, "users/me")


def on_a_terminal(cli: CLI, *args: str) -> str:
    """What the real `pdauth` writes to its stdout when that is a terminal (a pty): the pretty output."""
    import pty
    import select
    import subprocess
    import sys
    import time

    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pdauth", *args],
        env={**cli.env, "TERM": "dumb"},  # no styling of its own: every escape left would be the server's
        stdout=slave,
        stderr=subprocess.PIPE,
    )
    os.close(slave)
    seen = bytearray()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if select.select([master], [], [], 0.2)[0]:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed its end
                break
            if not chunk:
                break
            seen.extend(chunk)
        elif proc.poll() is not None:
            break
    os.close(master)
    assert proc.wait(10) == 0, proc.stderr.read() if proc.stderr else ""
    return seen.decode("utf-8", "replace")


def test_call_on_a_terminal_shows_a_hostile_json_body_inert(hcli: CLI, server: HostileServer) -> None:
    logged_in(hcli, server)
    data = {"success": True, "data": {"name": HOSTILE_NAME, "note": "\x7f\x9b2J\u2066x"}}
    server.answer("GET", "/api/v1/deals/1", Reply(200, data))
    shown = on_a_terminal(hcli, "call", "/v1/deals/1")
    assert "Mallory" in shown and not CONTROL.search(shown.replace("\r\n", "")), repr(shown)
    assert json.loads(shown) == data  # the same JSON value, its characters escaped as JSON allows
    piped = hcli("call", "/v1/deals/1")  # piped output stays the server's exact data
    assert json.loads(piped.stdout) == data


def test_call_on_a_terminal_shows_a_hostile_text_body_inert(hcli: CLI, server: HostileServer) -> None:
    logged_in(hcli, server)
    server.answer("GET", "/api/v1/deals/2", Reply(200, f"line one{ESCAPES}\nline two".encode()))
    shown = on_a_terminal(hcli, "call", "/v1/deals/2")
    assert "line one" in shown and "line two" in shown
    assert not CONTROL.search(shown.replace("\r\n", "")), repr(shown)


# -- what may a server make us store? -----------------------------------------------------------------

INJECTIONS = [
    {"access_token": "tok\nBASH_ENV=/tmp/pwned"},
    {"access_token": "tok\rNODE_OPTIONS=--require=/tmp/pwned"},
    {"access_token": "tok\x1b[2J"},
    {"access_token": "tok en"},
    {"refresh_token": "ref\nBASH_ENV=/tmp/pwned"},
    {"api_domain": "https://acme.pipedrive.com\nBASH_ENV=/tmp/pwned"},
    {"api_domain": "https://acme.pipedrive.com\r"},
    {"api_domain": "https://acme\x1b[2J.pipedrive.com"},
    {"scope": "base,deals:full\nBASH_ENV=/tmp/pwned"},
    {"scope": ["base", "deals:full\x1b[2J"]},
    {"scope": "base\tdeals:full"},
]


@pytest.mark.parametrize("field", INJECTIONS, ids=lambda f: repr(f)[:40])
def test_control_characters_in_a_refreshed_token_set_are_refused(
    hcli: CLI, server: HostileServer, field: dict[str, Any]
) -> None:
    before = logged_in(hcli, server)
    server.answer("POST", "/oauth/token", Reply(200, token_body(**{"api_domain": server.base_url, **field})))
    r = hcli("refresh")
    assert_one_line_error(r, 1, "malformed")
    assert snapshot(hcli) == before


@pytest.mark.parametrize("field", INJECTIONS[:3], ids=lambda f: repr(f)[:40])
def test_control_characters_in_a_login_token_set_store_nothing(
    hcli: CLI, server: HostileServer, field: dict[str, Any]
) -> None:
    before = snapshot(hcli)
    r = login(hcli, server, Reply(200, token_body(**{"api_domain": server.base_url, **field})))
    assert_one_line_error(r, 1, "malformed", login=True)
    assert snapshot(hcli) == before


@pytest.mark.parametrize(
    "expires_in",
    ['"nan"', "NaN", "Infinity", "-Infinity", '"inf"', "1e300", "1" + "0" * 400, "-5", "0", "true", '"soon"'],
)
def test_an_insane_expires_in_is_one_line_and_stores_nothing(
    hcli: CLI, server: HostileServer, expires_in: str
) -> None:
    before = logged_in(hcli, server)
    body = json.dumps(token_body(api_domain=server.base_url)).replace(
        '"expires_in": 3599', f'"expires_in": {expires_in}'
    )
    assert expires_in in body
    server.answer("POST", "/oauth/token", Reply(200, body))
    r = hcli("refresh")
    assert_one_line_error(r, 1, "expires_in")
    assert snapshot(hcli) == before
    # And every profile stays readable: nothing NaN or out of range reached status or doctor.
    assert hcli("status").returncode == 0
    assert "Traceback" not in hcli("doctor").stderr


def test_a_numeric_string_expires_in_still_works(hcli: CLI, server: HostileServer) -> None:
    logged_in(hcli, server)
    server.answer(
        "POST", "/oauth/token", Reply(200, token_body(api_domain=server.base_url, expires_in="3599"))
    )
    assert hcli("refresh").returncode == 0


# -- refresh --github-env ---------------------------------------------------------------------------


def test_github_env_uses_delimited_values_and_masks_the_token(
    hcli: CLI, server: HostileServer, tmp_path: Path
) -> None:
    logged_in(hcli, server)
    github_env = tmp_path / "github_env"
    github_env.write_text("EARLIER=kept\n")
    server.answer("POST", "/oauth/token", Reply(200, token_body("fresh-access", api_domain=server.base_url)))
    r = hcli("refresh", "--github-env", GITHUB_ENV=str(github_env))
    assert r.returncode == 0, r.stderr
    text = github_env.read_text()
    values = parse_github_env(text)
    assert values["EARLIER"] == "kept"
    assert values["PIPEDRIVE_ACCESS_TOKEN"] == "fresh-access"
    assert values["PIPEDRIVE_API_DOMAIN"] == server.base_url
    assert set(values) == {
        "EARLIER",
        "PIPEDRIVE_ACCESS_TOKEN",
        "PIPEDRIVE_API_DOMAIN",
        "PIPEDRIVE_TOKEN_EXPIRES_AT",
    }
    headers = [line for line in text.splitlines() if line.startswith("PIPEDRIVE_")]
    assert len(headers) == 3 and all("<<" in line for line in headers)
    delimiters = {line.split("<<", 1)[1] for line in headers}
    assert len(delimiters) == 3  # a fresh random delimiter for each value, as GitHub's own toolkit does
    assert all(re.fullmatch(r"ghadelimiter_[0-9a-f]{32}", d) for d in delimiters)
    assert "::add-mask::fresh-access" in r.stdout.splitlines()


def test_a_token_with_newlines_never_reaches_github_env(
    hcli: CLI, server: HostileServer, tmp_path: Path
) -> None:
    """A token with a newline never reaches $GITHUB_ENV: it is refused when the response is read."""
    logged_in(hcli, server)
    github_env = tmp_path / "github_env"
    github_env.write_text("")
    token = "fresh\nBASH_ENV=/tmp/pwned\nNODE_OPTIONS=--require=/tmp/pwned"
    server.answer("POST", "/oauth/token", Reply(200, token_body(token, api_domain=server.base_url)))
    r = hcli("refresh", "--github-env", GITHUB_ENV=str(github_env))
    assert_one_line_error(r, 1, "malformed")
    assert "BASH_ENV" not in github_env.read_text()
