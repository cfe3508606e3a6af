"""Server faults, table-driven: each (command, fault) gives ONE clear `error:` line on stderr, the
documented exit code, and leaves the stored token set byte-for-byte as it was.

One emulator and one login for the whole module (faults are injected per test and cleared after); every
test runs on its own copy of the logged-in config dir and test keyring file.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pdauth.emulator import Emulator, EmulatorConfig
from pdauth.errors import ExitCode
from tests.conftest import CLIENT_ID, CLIENT_SECRET, REPO, free_port
from tests.support.harness import QUIET_BROWSER, entry_key, expire_stored, stderr_lines, stored

READ_TIMEOUT = 0.3  # pdauth's read timeouts in the timeout cases (tests/support/short_timeouts.py)
SLOW = READ_TIMEOUT * 10  # an injected delay well past it
CALL = ("call", "--max-wait", "0", "/v1/users/me")  # no retry waits: one attempt, one answer


def json_body(**fields: Any) -> dict[str, Any]:
    return {"body": json.dumps(fields), "content_type": "application/json"}


@dataclass(frozen=True)
class Fault:
    spec: dict[str, Any]
    message: str  # what the error line must name (a regex; whoami and call word API errors alike)
    auth_exit: bool = False  # exit 4 (log in again) rather than 1, for the stored-token commands


TOKEN_FAULTS: dict[str, Fault] = {
    "token-500": Fault({"status": 500}, r"token endpoint is failing \(HTTP 500"),
    "token-502-html": Fault(
        {"status": 502, "body": "<html><h1>502 Bad Gateway</h1></html>", "content_type": "text/html"},
        r"token endpoint is failing \(HTTP 502\)",
    ),
    "token-503": Fault(
        {"status": 503, "body": "", "content_type": "text/plain"}, r"token endpoint is failing \(HTTP 503\)"
    ),
    "token-timeout": Fault({"status": None, "delay": SLOW}, "did not answer in time"),
    "token-html-200": Fault(
        {"status": 200, "body": "<html>Down for maintenance</html>", "content_type": "text/html"},
        r"not JSON \(text/html\)",
    ),
    "token-invalid-json": Fault(
        {"status": 200, "body": '{"access_token": "v1u:x", ', "content_type": "application/json"},
        r"not JSON \(application/json\)",
    ),
    "token-no-access_token": Fault(
        {
            "status": 200,
            **json_body(
                token_type="Bearer",
                refresh_token="1:2:" + "ab" * 20,
                expires_in=3599,
                api_domain="http://127.0.0.1:9",
            ),
        },
        "malformed: the token response has no access_token",
    ),
    "token-no-api_domain": Fault(
        {
            "status": 200,
            **json_body(
                access_token="v1u:" + "x" * 40,
                token_type="Bearer",
                refresh_token="1:2:" + "ab" * 20,
                expires_in=3599,
            ),
        },
        "malformed: the token response has no usable api_domain",
    ),
    "token-invalid_client": Fault(
        {
            "status": 401,
            **json_body(
                success=False, message="Invalid client: client authentication failed", error="invalid_client"
            ),
        },
        "invalid_client",
    ),
    "token-invalid_grant": Fault(
        {
            "status": 400,
            **json_body(
                success=False, message="Invalid grant: refresh token is invalid", error="invalid_grant"
            ),
        },
        "invalid_grant",
        auth_exit=True,
    ),
}
API_FAULTS: dict[str, Fault] = {
    "api-500": Fault({"status": 500}, r"users/me(: | failed: )HTTP 500"),
    "api-502": Fault(
        {"status": 502, "body": "<html>Bad Gateway</html>", "content_type": "text/html"},
        r"users/me(: | failed: )HTTP 502",
    ),
    "api-503": Fault({"status": 503}, r"users/me(: | failed: )HTTP 503"),
    "api-429": Fault(
        {"status": 429, **json_body(success=False, error="Request over limit")}, "HTTP 429 Request over limit"
    ),
    "api-403": Fault(
        {"status": 403, **json_body(success=False, error="Scope and URL mismatch")},
        "HTTP 403 Scope and URL mismatch",
    ),
    # Twice: the first 401 makes pdauth refresh once and retry; the retry gets the second.
    "api-401": Fault(
        {"status": 401, "count": 2, **json_body(success=False, error="unauthorized access")},
        r"rejected the access token.*\(401\)",
        auth_exit=True,
    ),
    "api-timeout": Fault({"status": None, "delay": SLOW}, "ReadTimeout"),
}


@dataclass(frozen=True)
class Case:
    command: tuple[str, ...]
    fault_name: str
    expire_first: bool = False  # make the stored token stale, so the command must refresh

    @property
    def fault(self) -> Fault:
        return {**TOKEN_FAULTS, **API_FAULTS}[self.fault_name]

    @property
    def endpoint(self) -> str:
        return "token" if self.fault_name.startswith("token-") else "/api/v1/users/me"

    @property
    def id(self) -> str:
        stale = "-stale" if self.expire_first else ""
        return f"{self.command[0]}{stale}-{self.fault_name}"

    @property
    def exit_code(self) -> int:
        if self.fault_name == "token-invalid_client":
            return ExitCode.AUTH  # the app's secret is rejected: a new one must be entered, wherever it was
        if self.fault.auth_exit and (self.command[0] != "login" or self.fault_name == "api-401"):
            return ExitCode.AUTH  # invalid_grant on a refresh, or a 401 even after one
        return ExitCode.ERROR


# login reaches the token endpoint and users/me through the same code as refresh and whoami, which get
# every fault; login (the slowest to run) gets one of each kind, with its URL lines checked each time.
LOGIN_SKIPS = ("token-503", "token-invalid-json", "token-no-access_token", "api-502", "api-503")
LOGIN_FAULTS = tuple(name for name in (*TOKEN_FAULTS, *API_FAULTS) if name not in LOGIN_SKIPS)
CASES = (
    [Case(("login",), name) for name in LOGIN_FAULTS]
    + [Case(("token",), name, expire_first=True) for name in TOKEN_FAULTS]
    + [Case(("refresh",), name) for name in TOKEN_FAULTS]
    + [Case(("whoami",), name) for name in API_FAULTS]
    + [
        Case(("whoami",), name, expire_first=True)
        for name in ("token-503", "token-timeout", "token-invalid-json", "token-invalid_grant")
    ]
    + (
        [Case(CALL, name) for name in API_FAULTS]
        + [
            Case(CALL, name, expire_first=True)
            for name in ("token-503", "token-timeout", "token-invalid_grant")
        ]
        if (REPO / "pdauth" / "cli" / "commands" / "call.py").exists()
        else []
    )
)


@dataclass
class World:
    emulator: Emulator
    template: Path  # a logged-in config dir and keyring file
    base_env: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    redirect_uri = f"http://127.0.0.1:{free_port()}/callback"
    config = EmulatorConfig(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uri=redirect_uri,
        port=0,
        auto_approve=True,
        log_stream=io.StringIO(),
    )
    template = tmp_path_factory.mktemp("faults-template")
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PDAUTH_", "PIPEDRIVE_", "PYTHON_KEYRING", "GITHUB_")) and k != "BROWSER"
    }
    with Emulator(config) as emulator:
        env = {
            **base,
            "PYTHONPATH": str(REPO),
            "PYTHON_KEYRING_BACKEND": "tests.support.keyrings.JsonFileKeyring",
            "PDAUTH_OAUTH_URL": emulator.base_url,
            "PDAUTH_REDIRECT_URI": redirect_uri,
            "PIPEDRIVE_CLIENT_ID": CLIENT_ID,
            "PIPEDRIVE_CLIENT_SECRET": CLIENT_SECRET,
            "BROWSER": str(QUIET_BROWSER),  # silent, so stderr holds only pdauth's own lines
            "NO_COLOR": "1",
            "COLUMNS": "200",
            "XDG_CONFIG_HOME": str(template / "xdg"),
            "PDAUTH_TEST_READ_TIMEOUT": str(READ_TIMEOUT),
        }
        r = run({**env, **paths(template)}, "login")
        assert r.returncode == 0, r.stderr
        yield World(emulator, template, env)


def paths(root: Path) -> dict[str, str]:
    return {"PDAUTH_CONFIG_DIR": str(root / "config"), "PDAUTH_TEST_KEYRING_FILE": str(root / "keyring.json")}


def run(env: dict[str, str], *args: str, short_timeouts: bool = False) -> subprocess.CompletedProcess[str]:
    # The real entry point; for the timeout cases with read timeouts short enough to wait for.
    module = "tests.support.short_timeouts" if short_timeouts else "pdauth"
    return subprocess.run(
        [sys.executable, "-m", module, *args], env=env, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def env(world: World, tmp_path: Path) -> Iterator[dict[str, str]]:
    shutil.copytree(world.template / "config", tmp_path / "config")
    shutil.copy2(world.template / "keyring.json", tmp_path / "keyring.json")
    yield {**world.base_env, **paths(tmp_path)}
    world.emulator.clear_faults()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fault_gives_one_clear_line_the_documented_exit_code_and_an_untouched_store(
    case: Case, world: World, env: dict[str, str]
) -> None:
    if case.expire_first:
        expire_stored(env)
    keyring = Path(env["PDAUTH_TEST_KEYRING_FILE"])
    before = keyring.read_bytes()
    world.emulator.inject_fault(endpoint=case.endpoint, **{"count": 5, **case.fault.spec})

    r = run(env, *case.command, short_timeouts="timeout" in case.fault_name)

    lines = stderr_lines(r.stderr)
    assert r.returncode == case.exit_code, r.stderr
    if case.command[0] != "call":  # call prints an error response's body on stdout: it is data
        assert r.stdout == ""
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1 and lines[-1] == errors[0], r.stderr
    assert re.search(case.fault.message, errors[0]), errors[0]
    if r.returncode == ExitCode.AUTH:  # the only way out, named: a new login, or the variable to fix
        assert "pdauth login" in errors[0] or "PIPEDRIVE_CLIENT_SECRET" in errors[0], errors[0]
    assert "Traceback" not in r.stderr
    if case.command[0] == "login":  # what it uses, then the URL lines, and nothing else
        assert lines[0].startswith("Logging in profile default at "), lines
        assert lines[1:-1] == ["Opened your browser at:", lines[2]] and "/oauth/authorize?" in lines[2], lines
    else:
        assert len(lines) == 1, lines

    if case.fault_name == "api-401" and case.command[0] != "login":
        # The one case that legitimately writes: the first 401 made pdauth refresh (successfully).
        old, new = json.loads(json.loads(before)[entry_key(env)]), stored(env)
        assert new["refresh_token"] == old["refresh_token"] and new["access_token"] != old["access_token"]
    else:
        assert keyring.read_bytes() == before
