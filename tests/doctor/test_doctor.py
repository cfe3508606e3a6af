"""`pdauth doctor` against the emulator: every check passing, then each failing as it does for users."""

from __future__ import annotations

import json
import os
import pwd
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from pdauth.doctor import local
from pdauth.doctor import run as doctor
from pdauth.doctor.check import Check, blocking_failures
from pdauth.login import flow as flows
from tests.conftest import CLI, free_port
from tests.support.fakes import QuietLoginUI
from tests.support.keyrings import MemoryKeyring
from tests.support.remote import context, emulator_env, machine
from tests.support.second_user import throwaway_user
from tests.support.trouble_keyrings import ForgetfulKeyring, HangingKeyring, no_keyring

ALL_CHECKS = {
    "pdauth",
    "config permissions",
    "store",
    "keyring backend",
    "browser",
    "redirect URI",
    "proxy",
    "CA bundle",
    "OAuth host",
    "clock",
    "api_domain",
    "profile default",
    "token source",
}


def browse(url: str) -> bool:
    requests.get(url, timeout=20)
    return True


@pytest.fixture
def keyring() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def env(emulator: Any, redirect_uri: str, isolated_env: Path) -> dict[str, str]:
    return emulator_env(emulator, redirect_uri, isolated_env, DISPLAY=":0")


@pytest.fixture
def logged_in(env: dict[str, str], keyring: MemoryKeyring) -> dict[str, str]:
    flows.login(context(env, keyring=keyring, open_browser=browse), QuietLoginUI(), timeout=20)
    return env


def run(env: dict[str, str], keyring: Any, **deps: Any) -> dict[str, Check]:
    deps.setdefault("machine", machine())
    checks = doctor.run(context(env, keyring=keyring, **deps), network_timeout=2)
    return {c.name: c for c in checks}


def failed(checks: dict[str, Check]) -> set[str]:
    return {name for name, c in checks.items() if not c.ok}


def blocked(checks: dict[str, Check]) -> bool:
    return bool(blocking_failures(checks.values()))


def test_everything_passes_after_a_login(
    logged_in: dict[str, str],
    keyring: MemoryKeyring,
    emulator: Any,
) -> None:
    before = dict(keyring.entries)
    checks = run(logged_in, keyring)
    assert set(checks) == ALL_CHECKS and failed(checks) == set(), [c for c in checks.values() if not c.ok]
    assert not blocked(checks)
    assert "write, read and delete" in checks["store"].detail
    assert keyring.entries == before  # the probe cleaned up after itself
    assert "MemoryKeyring" in checks["keyring backend"].detail
    assert "answered HTTP 401" in checks["api_domain"].detail
    assert emulator.base_url in checks["api_domain"].detail
    assert "access token valid until" in checks["profile default"].detail
    assert "the built-in default" in checks["token source"].detail


def test_before_any_login_nothing_blocks(env: dict[str, str], keyring: MemoryKeyring) -> None:
    checks = run(env, keyring)
    assert failed(checks) == {"profile default"} and not blocked(checks)
    assert checks["profile default"].fix == "Run `pdauth login`"
    assert "does not exist yet" in checks["config permissions"].detail


def test_port_busy(env: dict[str, str], keyring: MemoryKeyring, redirect_uri: str) -> None:
    port = int(redirect_uri.rsplit(":", 1)[1].split("/")[0])
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", port))
        busy.listen()
        checks = run(env, keyring)
    check = checks["redirect URI"]
    assert not check.ok and check.blocking and blocked(checks)
    assert f"Port {port}" in check.detail and check.fix and "lsof" in check.fix
    assert run(env, keyring)["redirect URI"].ok  # and free again


def test_redirect_uri_that_is_not_loopback(env: dict[str, str], keyring: MemoryKeyring) -> None:
    checks = run({**env, "PDAUTH_REDIRECT_URI": "https://example.com/callback"}, keyring)
    assert not checks["redirect URI"].ok and checks["redirect URI"].blocking
    assert "127.0.0.1" in (checks["redirect URI"].fix or "")


def test_unreachable_oauth_host(env: dict[str, str], keyring: MemoryKeyring) -> None:
    checks = run({**env, "PDAUTH_OAUTH_URL": f"http://127.0.0.1:{free_port()}"}, keyring)
    assert not checks["OAuth host"].ok and checks["OAuth host"].blocking and blocked(checks)
    assert "cannot reach" in checks["OAuth host"].detail
    assert "PDAUTH_OAUTH_URL" in (checks["OAuth host"].fix or "")
    assert not checks["clock"].ok and not checks["clock"].blocking and "not checked" in checks["clock"].detail


def test_unreachable_api_domain_only_warns(logged_in: dict[str, str], keyring: MemoryKeyring) -> None:
    checks = run({**logged_in, "PIPEDRIVE_API_DOMAIN": f"http://127.0.0.1:{free_port()}"}, keyring)
    assert failed(checks) == {"api_domain"} and not blocked(checks)


def test_clock_skew(env: dict[str, str], keyring: MemoryKeyring) -> None:
    checks = run(env, keyring, now=lambda: time.time() + 600)
    assert not checks["clock"].ok and not checks["clock"].blocking
    assert re.search(r"\+(599|600|601) s", checks["clock"].detail) and "ntp" in (checks["clock"].fix or "")


def test_bad_permissions(logged_in: dict[str, str], keyring: MemoryKeyring, isolated_env: Path) -> None:
    os.chmod(isolated_env, 0o755)  # noqa: S103 - the very mistake doctor must catch
    os.chmod(isolated_env / "config.json", 0o644)
    checks = run(logged_in, keyring)
    check = checks["config permissions"]
    assert failed(checks) == {"config permissions"} and not blocked(checks)
    assert "0755" in check.detail and "0644" in check.detail
    assert check.fix == f"chmod 700 {isolated_env}; chmod 600 {isolated_env / 'config.json'}"


@pytest.fixture(scope="module")
def other_user() -> Iterator[pwd.struct_passwd]:
    with throwaway_user() as user:
        yield user


@pytest.mark.parametrize(
    "spoiled", ["config.json", "", "..", "locks"], ids=["file", "dir", "parent", "locks"]
)
def test_ownership_is_checked_not_only_the_mode(
    logged_in: dict[str, str],
    keyring: MemoryKeyring,
    isolated_env: Path,
    other_user: pwd.struct_passwd,
    spoiled: str,
) -> None:
    """A config dir, file or ancestor another user owns is not pdauth's: doctor says whose it is, and that
    pdauth refuses it (blocking), without reading anything there (no other check runs)."""
    (isolated_env / "locks").mkdir(mode=0o700, exist_ok=True)
    target = os.path.normpath(isolated_env / spoiled)
    mode = os.stat(target).st_mode
    os.chown(target, other_user.pw_uid, other_user.pw_gid)
    assert os.stat(target).st_mode == mode  # only the owner differs: a mode check alone passes it
    writes = keyring.writes
    checks = run(logged_in, keyring)
    check = checks["config permissions"]
    assert set(checks) == {"pdauth", "config permissions"}
    assert not check.ok and check.blocking
    assert f"{target}: it is owned by {other_user.pw_name}" in check.detail
    assert f"chown root {target}" in (check.fix or "")
    assert keyring.writes == writes  # no probe entry written


def test_doctor_on_the_command_line_shows_whose_file_it_is(
    cli: CLI, isolated_env: Path, other_user: pwd.struct_passwd
) -> None:
    assert cli("login").returncode == 0
    os.chown(isolated_env / "config.json", other_user.pw_uid, other_user.pw_gid)
    r = cli("doctor", "--json")
    assert r.returncode == 1, r.stderr
    rows = {c["name"]: c for c in json.loads(r.stdout)["checks"]}
    assert not rows["config permissions"]["ok"] and other_user.pw_name in rows["config permissions"]["detail"]


def test_no_keyring(env: dict[str, str]) -> None:
    checks = run(env, no_keyring())
    assert {"store", "keyring backend"} <= failed(checks) and blocked(checks)
    assert checks["store"].detail.startswith("Keyring unavailable")
    for name in ("store", "keyring backend"):
        assert "--store file" in (checks[name].fix or "") and checks[name].blocking


def test_no_keyring_is_fine_with_the_file_store(env: dict[str, str]) -> None:
    checks = run({**env, "PDAUTH_STORE": "file", "PDAUTH_PASSPHRASE": "pw"}, no_keyring())
    assert checks["store"].ok and "encrypted file" in checks["store"].detail
    assert not checks["keyring backend"].ok and not checks["keyring backend"].blocking
    assert not blocked(checks)


def test_file_store_without_a_passphrase_is_a_warning(env: dict[str, str]) -> None:
    checks = run({**env, "PDAUTH_STORE": "file"}, MemoryKeyring())
    assert not checks["store"].ok and not checks["store"].blocking
    assert "PDAUTH_PASSPHRASE" in (checks["store"].fix or "")


def test_a_keyring_that_forgets_fails_the_probe(env: dict[str, str]) -> None:
    checks = run(env, ForgetfulKeyring())
    assert not checks["store"].ok and checks["store"].blocking
    assert "did not read back" in checks["store"].detail


def test_a_hanging_keyring_is_reported_in_bounded_time(env: dict[str, str]) -> None:
    hanging = HangingKeyring()
    try:
        started = time.monotonic()
        checks = run({**env, "PDAUTH_KEYRING_TIMEOUT": "0.2"}, hanging)
        assert time.monotonic() - started < 3
        assert not checks["store"].ok and "did not answer within 0.2 s" in checks["store"].detail
    finally:
        hanging.released.set()


@pytest.mark.parametrize(
    ("extra", "ok", "words"),
    [
        ({"DISPLAY": ":0"}, True, "default browser"),
        ({"DISPLAY": ""}, False, "no display"),
        ({"SSH_CONNECTION": "10.1.2.3 5 10.9.8.7 22"}, False, "ssh -L"),
        ({"BROWSER": "w3m"}, True, "BROWSER is set"),
    ],
)
def test_browser(
    env: dict[str, str],
    keyring: MemoryKeyring,
    extra: dict[str, str],
    ok: bool,
    words: str,
) -> None:
    check = run({**env, **extra}, keyring)["browser"]
    assert check.ok is ok and not check.blocking
    assert words in check.detail + (check.fix or "")


def test_wsl_browser(env: dict[str, str], keyring: MemoryKeyring) -> None:
    check = run({**env, "DISPLAY": ""}, keyring, machine=machine(wsl=True, on_path=["wslview"]))["browser"]
    assert check.ok and "wslview" in check.detail and "WSL yes" in check.detail


def test_refresh_token_idle_deadline_passed(logged_in: dict[str, str], keyring: MemoryKeyring) -> None:
    checks = run(logged_in, keyring, now=lambda: time.time() + 61 * 86400)
    profile = checks["profile default"]
    assert not profile.ok and "passed" in profile.detail and profile.fix == "Run `pdauth login`"
    assert not blocked(checks)
    expired = run(logged_in, keyring, now=lambda: time.time() + 2 * 3600)["profile default"]
    assert expired.ok and "expired" in expired.detail and "refreshed on next use" in expired.detail


@pytest.mark.parametrize(
    ("extra", "ok", "words"),
    [
        (
            {"PIPEDRIVE_ACCESS_TOKEN": "v1u:x", "PIPEDRIVE_API_DOMAIN": "http://127.0.0.1:9"},
            True,
            "used as it is",
        ),
        ({"PIPEDRIVE_ACCESS_TOKEN": "v1u:x"}, False, "PIPEDRIVE_API_DOMAIN is missing"),
        ({"PIPEDRIVE_REFRESH_TOKEN": "1:1:x"}, True, "refreshed in memory"),
        (
            {"PIPEDRIVE_REFRESH_TOKEN": "1:1:x", "PIPEDRIVE_CLIENT_SECRET": ""},
            False,
            "PIPEDRIVE_CLIENT_SECRET missing",
        ),
        ({"PDAUTH_PROFILE": "default"}, True, "chosen by PDAUTH_PROFILE"),
    ],
)
def test_token_source(
    env: dict[str, str], keyring: MemoryKeyring, extra: dict[str, str], ok: bool, words: str
) -> None:
    check = run({**env, **extra}, keyring)["token source"]
    assert check.ok is ok and words in check.detail


# -- the command ------------------------------------------------------------------------------------


def test_cli_doctor_passes_then_fails(cli: CLI, redirect_uri: str) -> None:
    assert cli("login").returncode == 0
    r = cli("doctor")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "✗" not in r.stdout and r.stdout.count("✓") == len(ALL_CHECKS)
    assert "Everything looks fine" in r.stderr

    r = cli("doctor", PDAUTH_OAUTH_URL=f"http://127.0.0.1:{free_port()}")
    assert r.returncode == 1 and "cannot reach" in r.stdout and "block a login" in r.stderr

    r = cli("doctor", "--json", PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    data = json.loads(r.stdout)
    assert r.returncode == 1 and data["ok"] is False and {c["name"] for c in data["checks"]} == ALL_CHECKS
    store = next(c for c in data["checks"] if c["name"] == "store")
    assert store["ok"] is False and "--store file" in store["fix"]


def test_cli_doctor_never_prompts(cli: CLI) -> None:
    r = cli("doctor", PDAUTH_STORE="file", input="")
    assert r.returncode == 0 and "PDAUTH_PASSPHRASE" in r.stdout


def test_the_keyring_check_says_how_token_reads_a_secret_service_entry(tmp_path: Path) -> None:
    from pdauth.hotpath.secret_tool import SECRET_SERVICE_BACKEND

    tools = tmp_path / "bin"
    tools.mkdir()
    assert "install secret-tool" in local.fast_reader_note(SECRET_SERVICE_BACKEND, {"PATH": str(tools)})
    (tools / "secret-tool").write_text("#!/bin/sh\n")
    (tools / "secret-tool").chmod(0o755)
    assert "reads it with secret-tool" in local.fast_reader_note(SECRET_SERVICE_BACKEND, {"PATH": str(tools)})
    assert local.fast_reader_note("keyring.backends.macOS.Keyring", {"PATH": str(tools)}) == ""
