"""Another user's files are not pdauth's config: a config dir planted in a world-writable place is refused.

The attack (issue "Trust boundaries"): the victim's XDG_CONFIG_HOME or PDAUTH_CONFIG_DIR names a directory
anyone may write to; another OS user plants `pdauth/config.json` there, with an `oauth_url` of their own
and `expires_at: 0`. Before the fix, `pdauth token` sent the victim's refresh token and client secret (from
the victim's keyring) to that server and stored the attacker's token; `pdauth login` sent the code and the
client secret there. Now every command refuses in one line, exit 2, before reading anything.
"""

from __future__ import annotations

import json
import os
import pwd
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from pdauth.errors import ExitCode
from tests.conftest import CLI, CLIENT_ID
from tests.support.harness import expire_stored, keyring_file
from tests.support.second_user import chown_tree, throwaway_user


class Recorder:
    """The attacker's OAuth server: it records every request and answers as a real one would."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, str]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                recorder.requests.append(("GET", self.path, ""))
                query = parse_qs(urlsplit(self.path).query)
                back = query.get("redirect_uri", [""])[0]
                state = query.get("state", [""])[0]
                self.send_response(302)
                self.send_header("Location", f"{back}?{urlencode({'code': 'attacker-code', 'state': state})}")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                recorder.requests.append(
                    ("POST", self.path, body + " " + self.headers.get("Authorization", ""))
                )
                answer = json.dumps(
                    {
                        "access_token": "attacker-access-token",
                        "refresh_token": "attacker-refresh-token",
                        "expires_in": 3600,
                        "api_domain": f"http://127.0.0.1:{self.server.server_address[1]}",
                        "token_type": "Bearer",
                        "scope": "base",
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def attacker_server() -> Iterator[Recorder]:
    recorder = Recorder()
    thread = threading.Thread(target=recorder.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield recorder
    finally:
        recorder.server.shutdown()
        recorder.server.server_close()


@pytest.fixture(scope="module")
def attacker() -> Iterator[pwd.struct_passwd]:
    with throwaway_user() as user:
        yield user


def plant(shared: Path, oauth_url: str, attacker: pwd.struct_passwd) -> Path:
    """What the other user does: make `pdauth/` in the shared dir, with a config of their own."""
    planted = shared / "pdauth"
    planted.mkdir()
    profile = {"client_id": CLIENT_ID, "oauth_url": oauth_url, "expires_at": 0, "store": "keyring"}
    (planted / "config.json").write_text(json.dumps({"profiles": {"default": profile}}))
    chown_tree(planted, attacker)
    return planted


@pytest.mark.timeout(120)
@pytest.mark.parametrize("variable", ["XDG_CONFIG_HOME", "PDAUTH_CONFIG_DIR"])
@pytest.mark.parametrize(
    "command", [["token"], ["token", "--json"], ["-v", "token"], ["status"], ["login"]], ids=" ".join
)
def test_a_config_dir_another_user_planted_is_refused_before_anything_is_read_or_sent(
    cli: CLI,
    tmp_path: Path,
    attacker: pwd.struct_passwd,
    attacker_server: Recorder,
    variable: str,
    command: list[str],
) -> None:
    r = cli("login")  # the victim's own login: tokens and client secret in the victim's keyring
    assert r.returncode == 0, r.stderr
    expire_stored(cli.env)  # an hour later: the next `pdauth token` refreshes
    keyring_before = keyring_file(cli.env).read_bytes()
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)  # noqa: S103 - like /tmp: anyone may create entries, the sticky bit keeps them apart
    planted = plant(shared, attacker_server.url, attacker)
    config_before = (planted / "config.json").read_bytes()

    # The victim's everyday environment: no OAuth URL or app credentials in the env, only where to look.
    env = {
        k: v
        for k, v in cli.env.items()
        if k
        not in ("PDAUTH_CONFIG_DIR", "PDAUTH_OAUTH_URL", "PIPEDRIVE_CLIENT_ID", "PIPEDRIVE_CLIENT_SECRET")
    }
    env[variable] = str(shared if variable == "XDG_CONFIG_HOME" else planted)
    victim = CLI(env)
    r = victim(*command, timeout=60)

    assert r.returncode == int(ExitCode.USAGE), (r.stdout, r.stderr)
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert str(planted) in lines[0] and f"owned by {attacker.pw_name}" in lines[0], lines[0]
    assert attacker_server.requests == [], "something was sent to the planted config's server"
    assert keyring_file(cli.env).read_bytes() == keyring_before
    assert (planted / "config.json").read_bytes() == config_before


EVIL = """
import pathlib
pathlib.Path({marker!r}).write_text("ran as the victim")
from keyring.backends.fail import Keyring as Evil
"""


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    "command", [["-p", "fresh", "login"], ["token"], ["status"], ["logout"], ["doctor"]], ids=" ".join
)
def test_a_keyring_config_another_user_planted_beside_pdauths_is_refused(
    cli: CLI, tmp_path: Path, attacker: pwd.struct_passwd, command: list[str]
) -> None:
    """keyring reads `python_keyring/keyringrc.cfg` from XDG_CONFIG_HOME and puts its `keyring-path` on
    sys.path, where its backend discovery (entry points) finds and imports whatever is planted: the other
    user's code ran as the victim at pdauth's first keyring access without a remembered backend."""
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)  # noqa: S103 - the shared XDG_CONFIG_HOME of the attack
    env = {k: v for k, v in cli.env.items() if k != "PDAUTH_CONFIG_DIR"}
    env["XDG_CONFIG_HOME"] = str(shared)
    r = CLI(env)("login")  # the victim's own config dir, shared/pdauth, 0700
    assert r.returncode == 0, r.stderr
    keyring_before = keyring_file(cli.env).read_bytes()

    marker = tmp_path / "evil-ran"
    lib = tmp_path / "attacker-lib"
    (lib / "evil-1.0.dist-info").mkdir(parents=True)
    (lib / "evil.py").write_text(EVIL.format(marker=str(marker)))
    (lib / "evil-1.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n")
    (lib / "evil-1.0.dist-info" / "entry_points.txt").write_text("[keyring.backends]\nevil = evil\n")
    planted = shared / "python_keyring"
    planted.mkdir()
    (planted / "keyringrc.cfg").write_text(f"[backend]\nkeyring-path = {lib}\n")
    chown_tree(planted, attacker)
    chown_tree(lib, attacker)

    env.pop("PYTHON_KEYRING_BACKEND")  # the victim lets keyring choose, as most do
    r = CLI(env)(*command)
    assert not marker.exists(), "the planted keyring config ran its code"
    if command == ["doctor"]:  # a report: the blocking row says whose the file is
        assert r.returncode == int(ExitCode.ERROR), r.stderr
        assert "owned by" in r.stdout and "config permissions" in r.stdout
    else:
        assert r.returncode == int(ExitCode.USAGE), (r.stdout, r.stderr)
        assert r.stderr.startswith(f"error: Refusing to use {planted}: it is owned by {attacker.pw_name}")
        assert "XDG_CONFIG_HOME" in r.stderr and len(r.stderr.splitlines()) == 1
    assert keyring_file(cli.env).read_bytes() == keyring_before
