"""`pdauth token` on a valid stored token, read without the core: what it loads, what it runs, and every
case it leaves to the core.

A scripted `secret-tool` stands in for libsecret's (it answers the one lookup pdauth makes and records
how it was run), so these run anywhere; tests/store/test_real_keyring.py does the same against a real
Secret Service.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from pdauth.hotpath import secret_tool, valid_token
from pdauth.hotpath.secret_tool import SECRET_SERVICE_BACKEND
from tests.support.fast_path import LOADED_PROBE, fast_path_extras, loaded_modules

NOW = time.time()
TOKEN = "v1u:valid-access-token-0123456789"
NAMESPACE = "0123456789abcdef0123456789abcdef"
ISSUER = "https://oauth.pipedrive.com"
TOKEN_SET = {
    "access_token": TOKEN,
    "refresh_token": "1:1:refresh-0123456789",
    "api_domain": "https://acme.pipedrive.com",
    "expires_at": NOW + 3600,
    "token_type": "Bearer",
    "scopes": ["base"],
    "issuer": ISSUER,
    "client_id": "the-client",
    "v": 1,
}

# pdauth runs secret-tool with a minimal environment, so the script's answers come from files beside it:
# `entry` (the username it knows), `secret` (what it prints for it), `sleep` (how long it hangs first).
FAKE_SECRET_TOOL = """#!/bin/sh
here=$(dirname "$0")
printf '%s\\n' "$*" >> "$here/argv"
env >> "$here/env"
if [ -s "$here/sleep" ]; then sleep "$(cat "$here/sleep")"; fi
if [ "$*" = "lookup service pdauth username $(cat "$here/entry")" ]; then
    cat "$here/secret"
    exit 0
fi
exit 1
"""


def write_config(directory: Path, namespace: str | None = NAMESPACE, **entry: Any) -> None:
    profile = {
        "store": "keyring",
        "keyring_backend": SECRET_SERVICE_BACKEND,
        "expires_at": NOW + 3600,
        "oauth_url": ISSUER,
        "client_id": "the-client",
    }
    profile.update(entry)
    directory.mkdir(mode=0o700, exist_ok=True)
    config = {"profiles": {"default": profile}, "namespace": namespace}
    (directory / "config.json").write_text(json.dumps({k: v for k, v in config.items() if v is not None}))


@pytest.fixture
def setup(tmp_path: Path) -> dict[str, Any]:
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "secret-tool").write_text(FAKE_SECRET_TOOL)
    (tools / "secret-tool").chmod(0o755)
    answer(tools)
    config = tmp_path / "config"
    write_config(config)
    env = {
        "PATH": f"{tools}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
        "PDAUTH_CONFIG_DIR": str(config),
        "PDAUTH_PASSPHRASE": "a passphrase that must not travel",
        "PIPEDRIVE_CLIENT_SECRET": "a client secret that must not travel",
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
    }
    return {
        "env": env,
        "config": config,
        "record": tools,
        "tools": tools,
        "tmp": tmp_path,
    }  # record: argv, env


def answer(
    tools: Path, *, entry: str = f"default@{NAMESPACE}", secret: str | None = None, sleep: str = ""
) -> None:
    """What the scripted secret-tool in `tools` answers."""
    (tools / "entry").write_text(entry)
    (tools / "secret").write_text(json.dumps(TOKEN_SET) if secret is None else secret)
    (tools / "sleep").write_text(sleep)


def run_token(env: dict[str, str], *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", LOADED_PROBE, "token", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        cwd=cwd,
    )


def test_a_valid_token_is_printed_without_loading_the_core_or_heavy_modules(setup: dict[str, Any]) -> None:
    r = run_token(setup["env"])
    assert (r.returncode, r.stdout) == (0, TOKEN + "\n"), r.stderr
    assert fast_path_extras(loaded_modules(r.stderr)) == []
    # The config dir's own entry: the profile's name in the dir's namespace.
    assert (setup["record"] / "argv").read_text() == f"lookup service pdauth username default@{NAMESPACE}\n"


def test_json_output_is_the_full_clis(setup: dict[str, Any]) -> None:
    r = run_token(setup["env"], "--json")
    assert r.returncode == 0, r.stderr
    printed = json.loads(r.stdout)
    assert printed == {
        "access_token": TOKEN,
        "expires_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(TOKEN_SET["expires_at"])),
        "api_domain": "https://acme.pipedrive.com",
        "profile": "default",
    }


def test_secret_tool_gets_a_minimal_environment(setup: dict[str, Any]) -> None:
    env = {
        **setup["env"],
        "DBUS_SESSION_BUS_ADDRESS": "unix:path=/run/user/0/bus",
        "PATH": f"{setup['tools']}:relative/bin::/usr/bin",
    }
    assert run_token(env).returncode == 0
    seen = (setup["record"] / "env").read_text()
    assert "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/0/bus" in seen
    for secret in ("a passphrase that must not travel", "a client secret that must not travel"):
        assert secret not in seen
    (path_line,) = [line for line in seen.splitlines() if line.startswith("PATH=")]
    assert path_line == f"PATH={setup['tools']}:/usr/bin"  # no relative or empty entry


def test_secret_tool_is_never_run_from_the_current_directory(setup: dict[str, Any]) -> None:
    planted = setup["tmp"] / "shared"
    planted.mkdir()
    marker = setup["tmp"] / "planted-ran"
    (planted / "secret-tool").write_text(f"#!/bin/sh\ntouch {marker}\nprintf stolen\n")
    (planted / "secret-tool").chmod(0o755)
    for path in ("", ":/nonexistent", "./:/nonexistent", ".:/nonexistent"):
        assert secret_tool.find({"PATH": path}) is None
        env = {**setup["env"], "PATH": path}
        run_token(env, cwd=planted)
        assert not marker.exists(), path


def read(env: dict[str, str]) -> object:
    return valid_token.read(None, env, NOW)


@pytest.mark.parametrize(
    ("entry", "why"),
    [
        ({"expires_at": NOW + 60}, "due: the crowd or the core refreshes"),
        ({"expires_at": None}, "no note"),
        ({"expires_at": True}, "a boolean is no time"),
        ({"store": "file"}, "the encrypted file store"),
        ({"keyring_backend": "keyring.backends.kwallet.DBusKeyring"}, "another backend"),
        ({"namespace": None}, "a config dir from before namespaces: the core carries it over"),
        ({"oauth_url": "http://127.0.0.1:8977"}, "the profile names another issuer: the core refuses"),
        ({"client_id": "another-client"}, "the profile names another client: the core refuses"),
        ({"oauth_url": None}, "no issuer noted"),
    ],
)
def test_the_core_decides_what_the_config_entry_does_not_make_ordinary(
    setup: dict[str, Any], entry: dict[str, Any], why: str
) -> None:
    assert read(setup["env"]) is not None  # the setup itself is ordinary
    write_config(setup["config"], **entry)
    assert read(setup["env"]) is None, why


@pytest.mark.parametrize(
    ("extra", "why"),
    [
        ({"PIPEDRIVE_ACCESS_TOKEN": "env-token"}, "the env's token comes first"),
        ({"PIPEDRIVE_REFRESH_TOKEN": "env-refresh"}, "the env's refresh token comes first"),
        ({"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}, "an explicit other backend"),
        ({"PDAUTH_KEYRING_TIMEOUT": "soon"}, "a bad timeout: the keyring layer says what is wrong"),
        ({"PATH": "/usr/bin:/bin"}, "no secret-tool"),
    ],
)
def test_the_core_decides_when_the_environment_is_not_ordinary(
    setup: dict[str, Any], extra: dict[str, str], why: str
) -> None:
    assert read(setup["env"]) is not None
    assert read({**setup["env"], **extra}) is None, why


@pytest.mark.parametrize(
    ("stored", "why"),
    [
        ({"secret": json.dumps({**TOKEN_SET, "expires_at": NOW - 5})}, "the stored set is expired"),
        ({"secret": json.dumps({**TOKEN_SET, "access_token": ""})}, "no access token"),
        ({"secret": '{"access_token": "x", "expires_at": NaN}'}, "NaN is no expiry"),
        ({"secret": '{"access_token": "x", "expires_at": 1e400}'}, "nor is an infinity"),
        ({"secret": "not json"}, "an unreadable entry: the core reports it"),
        ({"entry": "someone-else"}, "no entry"),
        ({"entry": "default"}, "an un-namespaced entry is not this config dir's"),
        ({"secret": json.dumps({**TOKEN_SET, "issuer": "http://127.0.0.1:1"})}, "issued elsewhere"),
        ({"secret": json.dumps({**TOKEN_SET, "client_id": "another"})}, "issued to another client"),
        ({"secret": json.dumps({k: v for k, v in TOKEN_SET.items() if k != "issuer"})}, "no issuer recorded"),
    ],
)
def test_the_core_decides_every_unusual_entry(
    setup: dict[str, Any], stored: dict[str, str], why: str
) -> None:
    assert read(setup["env"]) is not None
    answer(setup["tools"], **stored)
    assert read(setup["env"]) is None, why


def test_a_keyringrc_file_leaves_the_backend_choice_to_the_keyring_layer(setup: dict[str, Any]) -> None:
    rc = Path(setup["env"]["XDG_CONFIG_HOME"]) / "python_keyring" / "keyringrc.cfg"
    rc.parent.mkdir(parents=True)
    rc.write_text("[backend]\ndefault-keyring=keyring.backends.fail.Keyring\n")
    assert read(setup["env"]) is None


def test_a_secret_tool_that_hangs_is_killed_at_the_keyring_timeout(setup: dict[str, Any]) -> None:
    answer(setup["tools"], sleep="30")
    env = {**setup["env"], "PDAUTH_KEYRING_TIMEOUT": "0.3"}
    started = time.monotonic()
    assert read(env) is None
    assert time.monotonic() - started < 5
