"""Secrets stay secret: the redacting log filter, a leak scan over everything a session leaves behind, and
owner-only permissions on everything pdauth writes."""

from __future__ import annotations

import base64
import http.client
import io
import json
import logging
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import requests

from pdauth.core import account
from pdauth.core.context import Context, Deps
from pdauth.core.redact import REDACTED, RedactingFilter, Redactor, enable_debug_logging, redact
from pdauth.core.sources import refresh
from pdauth.login import flow as flows
from tests.conftest import CLI, CLIENT_ID, CLIENT_SECRET, REPO
from tests.support.entries import of_profile
from tests.support.fakes import QuietLoginUI
from tests.support.harness import QUIET_BROWSER, stored
from tests.support.keyrings import MemoryKeyring

# Shaped like Pipedrive's, and never registered with pdauth: only the filter's patterns can catch them.
ACCESS = "v1u:AbCdEf0123456789-_unregisteredAccessTokenValue"
REFRESH = "987:654:0123456789abcdef0123456789abcdef01234567"
CODE = "987.654.fedcba9876543210fedcba9876543210fedcba98"
SECRET = "unregistered-client-secret-xyz"
BASIC = base64.b64encode(f"client-id:{SECRET}".encode()).decode()


# -- the filter -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "secret"),
    [
        (f"GET /api/v1/users/me headers={{'Authorization': 'Bearer {ACCESS}'}}", ACCESS),
        (f"Authorization: Bearer {ACCESS}", ACCESS),
        (f"authorization=Bearer {ACCESS[4:]}", ACCESS[4:]),
        (f"Authorization: Basic {BASIC}", BASIC),
        (f"send: b'POST /oauth/token HTTP/1.1\\r\\nAuthorization: Basic {BASIC}\\r\\n'", BASIC),
        (f"body=grant_type=refresh_token&refresh_token={REFRESH}", REFRESH),
        (f"body=grant_type=refresh_token&refresh_token={quote(REFRESH)}", quote(REFRESH)),
        (f'{{"access_token": "{ACCESS}", "refresh_token": "{REFRESH}", "expires_in": 3599}}', REFRESH),
        (f"grant_type=authorization_code&code={CODE}&redirect_uri=http%3A%2F%2F127.0.0.1", CODE),
        (f"GET /callback?code={CODE}&state=abcdefgh", CODE),
        (f"client_secret={SECRET}", SECRET),
        (f"a token {ACCESS} in plain text", ACCESS),
    ],
)
def test_the_filter_removes_unregistered_secrets_by_shape(message: str, secret: str) -> None:
    out = io.StringIO()
    logger = logging.getLogger("tests.secrets.filter")
    handler = logging.StreamHandler(out)
    handler.addFilter(RedactingFilter())
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("%s", message)  # through args, as library code logs
        logger.warning(message.replace("%", "%%"))
    finally:
        logger.removeHandler(handler)
    assert secret not in out.getvalue() and REDACTED in out.getvalue()
    assert secret not in redact(message)


@pytest.fixture
def redactor() -> Redactor:
    return Redactor()


@pytest.fixture
def debug_log(redactor: Redactor) -> Iterator[io.StringIO]:
    """`-v` as the CLI enables it (with the redactor the Contexts share), captured; logging restored afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    http.client.HTTPConnection.debuglevel = 1  # as if some library had switched header dumps on
    enable_debug_logging(redactor, stream)
    try:
        yield stream
    finally:
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)
        http.client.HTTPConnection.debuglevel = 0


def test_debug_logging_of_requests_and_urllib3_never_prints_a_secret(
    debug_log: io.StringIO,
    emulator: Any,
    client_env: dict[str, str],
    capfd: pytest.CaptureFixture[str],
    redactor: Redactor,
) -> None:
    keyring = MemoryKeyring()
    env = client_env

    def make() -> Context:
        return Context(Deps(env=env, keyring_backend=keyring, open_browser=browser, redactor=redactor))

    def browser(url: str) -> bool:
        requests.get(url, timeout=30)
        return True

    flows.login(make(), QuietLoginUI(), timeout=20)
    entry = ("pdauth", make().entries().tokens)  # type: ignore[union-attr]
    first = json.loads(keyring.entries[entry])
    refresh(make())
    account.whoami(make())
    second = json.loads(keyring.entries[entry])
    account.logout(make(), revoke=True)

    log = debug_log.getvalue()
    captured = capfd.readouterr()
    assert http.client.HTTPConnection.debuglevel == 0  # header dumps (print(), not logging) kept off
    assert "urllib3.connectionpool" in log and "/oauth/token" in log and "/api/v1/users/me" in log
    for secret in secrets_of(first, second, codes_issued(emulator)):
        for where, text in (("log", log), ("stdout", captured.out), ("stderr", captured.err)):
            assert secret not in text, f"a secret leaked into the {where}"


# -- the leak scan ----------------------------------------------------------------------------------


def codes_issued(emulator: Any) -> list[str]:
    """Every authorization code the emulator issued (read from its state: the code never touches disk)."""
    return list(emulator._app.auth._codes)


def secrets_of(*sources: Any) -> set[str]:
    values = {CLIENT_SECRET, base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()}
    for source in sources:
        if isinstance(source, dict):
            values |= {source["access_token"], source["refresh_token"]}
        else:
            values |= set(source)
    # As they would appear URL-encoded in a logged query or form, too.
    return values | {quote(v, safe="") for v in values}


def scan(root: Path, secrets: set[str], skip: set[Path]) -> list[str]:
    hits = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path in skip or any(path.name.startswith(s.name + ".") for s in skip):
            continue
        data = path.read_bytes()
        hits += [f"{path.relative_to(root)}" for secret in secrets if secret.encode() in data]
    return hits


def test_a_whole_session_with_v_leaks_no_secret_to_any_output_or_file(
    cli: CLI, emulator: Any, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    record = tmp_path / "browser-argv.jsonl"
    dirs = {
        "HOME": home,
        "XDG_CONFIG_HOME": home / ".config",
        "XDG_CACHE_HOME": home / ".cache",
        "XDG_DATA_HOME": home / ".local/share",
        "XDG_STATE_HOME": home / ".local/state",
        "TMPDIR": tmp_path / "tmp",
    }
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    env = {
        **{k: str(v) for k, v in dirs.items()},
        "BROWSER": str(QUIET_BROWSER),
        "QUIET_BROWSER_RECORD": str(record),
    }

    outputs: list[tuple[str, str]] = []
    seen: list[dict[str, Any]] = []

    def step(*args: str, keep_stdout: bool = True, network: bool = True) -> None:
        r = cli("-v", *args, **env)
        assert r.returncode == 0, (args, r.stderr[-2000:])
        assert "DEBUG" in r.stderr or not network, "-v must really log"
        outputs.append((f"{args[0]} stderr", r.stderr))
        if keep_stdout:
            outputs.append((f"{args[0]} stdout", r.stdout))
        keyring = tmp_path / "keyring.json"
        if keyring.exists() and of_profile(json.loads(keyring.read_text()), "default"):
            seen.append(stored(cli.env))

    step("login")
    step("whoami")
    step("refresh")
    step("token", keep_stdout=False, network=False)  # its stdout IS the token
    step("status", network=False)
    call_available = (REPO / "pdauth" / "cli" / "commands" / "call.py").exists()
    if call_available:
        step("call", "/v1/users/me")
        step("call", "--dry-run", "/v1/users/me", network=False)
    step("logout", "--revoke")

    secrets = secrets_of(*seen, codes_issued(emulator))
    assert len(codes_issued(emulator)) == 1 and len({s["access_token"] for s in seen}) >= 2
    for name, text in outputs:
        leaked = [s[:12] for s in secrets if s in text]
        assert not leaked, f"{name} shows secrets starting {leaked}"
    written = [
        str(p.relative_to(tmp_path))
        for d in ("XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "TMPDIR")
        for p in dirs[d].rglob("*")
    ]
    assert not written, f"pdauth keeps nothing in cache, data, state or temp dirs: {written}"
    hits = scan(tmp_path, secrets, skip={tmp_path / "keyring.json"})
    assert not hits, f"secrets written to {hits}"
    assert (Path(cli.env["PDAUTH_CONFIG_DIR"]) / "config.json").exists()  # the scan saw pdauth's files

    # The browser was started with the one-time start address and nothing else: its command line is
    # readable by every local user, so it holds no `state` (the start address redirects to the authorize URL).
    (argv,) = [json.loads(line) for line in record.read_text().splitlines()]
    assert len(argv) == 2 and Path(argv[0]) == QUIET_BROWSER
    url = urlsplit(argv[1])
    port = urlsplit(cli.env["PDAUTH_REDIRECT_URI"]).port
    assert (url.scheme, url.netloc, url.query) == ("http", f"127.0.0.1:{port}", "")
    assert url.path.startswith("/pdauth/start/") and len(url.path.rsplit("/", 1)[1]) >= 43
    assert "state" not in argv[1] and CLIENT_ID not in argv[1]


# -- permissions ------------------------------------------------------------------------------------


def test_everything_pdauth_writes_is_owner_only_even_under_umask_0(cli: CLI, tmp_path: Path) -> None:
    """Config dir and every dir in it 0700; config.json, tokens.enc, lock files 0600 — whatever the umask."""
    config_dir = Path(cli.env["PDAUTH_CONFIG_DIR"])
    env = {**cli.env, "BROWSER": str(QUIET_BROWSER), "PDAUTH_PASSPHRASE": "correct horse battery"}

    def run(*args: str) -> None:
        command = ["sh", "-c", 'umask 000 && exec "$@"', "sh", sys.executable, "-m", "pdauth", *args]
        r = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, (args, r.stderr)

    run("login")  # keyring profile
    run("refresh")  # takes the profile lock
    run("-p", "vault", "login", "--store", "file")  # encrypted file store
    run("-p", "vault", "refresh")

    expected = {"config.json", "tokens.enc", "locks/default.lock", "locks/vault.lock"}
    found = {str(p.relative_to(config_dir)) for p in config_dir.rglob("*") if p.is_file()}
    assert expected <= found, found
    modes = {
        str(p.relative_to(config_dir)) or ".": stat.S_IMODE(p.stat().st_mode)
        for p in [config_dir, *config_dir.rglob("*")]
    }
    wrong = {
        name: oct(mode)
        for name, mode in modes.items()
        if mode != (0o700 if (config_dir / name).is_dir() else 0o600)
    }
    assert not wrong, f"not owner-only: {wrong}"
