"""Whose tokens these are: each config dir has its own keyring namespace, and every stored token set
is bound to the issuer (`oauth_url`) and client id it came from (docs/security.md, "Whose tokens these
are"). The real CLI in subprocesses, the real emulator, the test keyring file shared by every config
dir as one OS keyring is; tests/store/test_namespaces_real_keyring.py does the same against a real
Secret Service and `pdauth token`'s fast path.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CLI, CLIENT_ID, CLIENT_SECRET, Result, unused_fixed_port
from tests.support.entries import namespace, of_profile, secret_entry, token_entry
from tests.support.harness import keyring_file
from tests.support.second_user import throwaway_user

pytestmark = pytest.mark.timeout(120)


def one_error_line(r: Result) -> str:
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    return lines[0]


def entries(cli: CLI) -> dict[str, str]:
    path = keyring_file(cli.env)
    return dict(json.loads(path.read_text())) if path.exists() else {}


def in_dir(directory: Path) -> dict[str, str]:
    return {"PDAUTH_CONFIG_DIR": str(directory)}


def stored(cli: CLI, directory: Path, profile: str = "default") -> dict[str, Any]:
    return dict(json.loads(entries(cli)[f"pdauth/{token_entry(directory, profile)}"]))


def test_logins_in_two_config_dirs_neither_see_nor_overwrite_each_other(cli: CLI, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert cli("login", **in_dir(a)).returncode == 0
    a_tokens = stored(cli, a)
    assert cli("login", **in_dir(b)).returncode == 0
    b_tokens = stored(cli, b)

    assert namespace(a) != namespace(b)
    assert a_tokens["access_token"] != b_tokens["access_token"]
    assert stored(cli, a) == a_tokens  # B's login wrote its own entries, not A's
    assert entries(cli)[f"pdauth/{secret_entry(a)}"] == CLIENT_SECRET
    assert cli("token", **in_dir(a)).stdout == a_tokens["access_token"] + "\n"
    assert cli("token", **in_dir(b)).stdout == b_tokens["access_token"] + "\n"
    # Each records where it came from.
    assert (a_tokens["issuer"], a_tokens["client_id"]) == (cli.env["PDAUTH_OAUTH_URL"], CLIENT_ID)

    # Logging out of B leaves A's entries alone.
    assert cli("logout", **in_dir(b)).returncode == 0
    assert stored(cli, a) == a_tokens
    assert not any(namespace(b) in name for name in entries(cli))


def test_a_fresh_config_dir_is_not_served_another_dirs_token(cli: CLI, tmp_path: Path) -> None:
    assert cli("login", **in_dir(tmp_path / "a")).returncode == 0
    before = keyring_file(cli.env).read_bytes()
    fresh = in_dir(tmp_path / "fresh")
    r = cli("token", **fresh)
    assert (r.returncode, r.stdout) == (4, ""), r.stderr
    assert "not logged in" in one_error_line(r)
    status = cli("status", "--json", **fresh)
    assert "not logged in" in status.stdout
    assert keyring_file(cli.env).read_bytes() == before


def test_deleting_a_config_dir_leaves_its_tokens_unserved(cli: CLI, tmp_path: Path) -> None:
    b = tmp_path / "b"
    assert cli("login", **in_dir(b)).returncode == 0
    shutil.rmtree(b)
    r = cli("token", **in_dir(b))
    assert (r.returncode, r.stdout) == (4, ""), r.stderr
    assert "not logged in" in one_error_line(r)


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("oauth_url", "http://127.0.0.1:9", "http://127.0.0.1:9"),
        ("client_id", "another-client", "another-client"),
    ],
)
def test_a_token_set_from_another_issuer_or_client_is_refused(
    cli: CLI, tmp_path: Path, field: str, value: str, named: str
) -> None:
    config_dir = tmp_path / "config"
    assert cli("login").returncode == 0
    config_file = config_dir / "config.json"
    config = json.loads(config_file.read_text())
    config["profiles"]["default"][field] = value  # the profile now points elsewhere
    config_file.write_text(json.dumps(config))
    before = keyring_file(cli.env).read_bytes()
    for command in (["token"], ["refresh"], ["whoami"], ["logout", "--revoke"]):
        # No PDAUTH_OAUTH_URL / PIPEDRIVE_CLIENT_ID: the profile alone says where it points.
        r = cli(*command, PDAUTH_OAUTH_URL="", PIPEDRIVE_CLIENT_ID="")
        assert (r.returncode, r.stdout) == (4, ""), (command, r.stderr)
        line = one_error_line(r)
        assert named in line and "pdauth login" in line, line
        assert keyring_file(cli.env).read_bytes() == before, command
    # Forgetting them locally is still possible: that sends nothing anywhere.
    assert cli("logout", PDAUTH_OAUTH_URL="", PIPEDRIVE_CLIENT_ID="").returncode == 0
    assert not of_profile(entries(cli), "default")


class Listener:
    """Who listens on a port a test names: a bare TCP listener, as this user or as another OS user, that
    records whether anything connected (and what it sent)."""

    def __init__(self, port: int, user: str | None) -> None:
        self.port = port
        self.user = user
        self.received: list[bytes] = []
        self._proc: subprocess.Popen[str] | None = None
        self._sock: socket.socket | None = None

    def __enter__(self) -> Listener:
        if self.user is None:
            self._sock = socket.socket()
            self._sock.bind(("127.0.0.1", self.port))
            self._sock.listen(8)
            self._sock.settimeout(0.2)
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._serve, daemon=True)
            self._thread.start()
            return self
        script = (
            "import socket, sys\n"
            f"s = socket.socket(); s.bind(('127.0.0.1', {self.port})); s.listen(8)\n"
            "print('READY', flush=True)\n"
            "while True:\n"
            "    c, _ = s.accept(); c.settimeout(2)\n"
            "    try: data = c.recv(65536)\n"
            "    except OSError: data = b''\n"
            "    print('GOT', data.hex(), flush=True); c.close()\n"
        )
        python = "/usr/bin/python3"  # not a shim in root's home: the other user cannot run those
        self._proc = subprocess.Popen(
            ["runuser", "-u", self.user, "--", python, "-I", "-c", script],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._proc.stdout is not None
        assert self._proc.stdout.readline().strip() == "READY"
        return self

    def _serve(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    self.received.append(conn.recv(65536))
                except OSError:
                    self.received.append(b"")

    def __exit__(self, *exc: object) -> None:
        if self._sock is not None:
            self._stop.set()
            self._thread.join(5)
            self._sock.close()
        if self._proc is not None:
            self._proc.terminate()
            out, _ = self._proc.communicate(timeout=10)
            self.received += [
                bytes.fromhex(line.split()[1] if len(line.split()) > 1 else "")
                for line in out.splitlines()
                if line.startswith("GOT")
            ]


@pytest.fixture
def other_user() -> Iterator[str]:
    """A throwaway second OS user (the tests run as root in CI), removed afterwards."""
    with throwaway_user() as user:
        yield user.pw_name


def expire_noted(cli: CLI, directory: Path) -> None:
    """The stored access token due for a refresh, and the config file's note saying so."""
    path = keyring_file(cli.env)
    all_entries = json.loads(path.read_text())
    name = f"pdauth/{token_entry(directory)}"
    tokens = json.loads(all_entries[name])
    tokens["expires_at"] = time.time() - 60
    all_entries[name] = json.dumps(tokens, separators=(",", ":"), sort_keys=True)
    path.write_text(json.dumps(all_entries))
    config_file = directory / "config.json"
    config = json.loads(config_file.read_text())
    config["profiles"]["default"]["expires_at"] = tokens["expires_at"]
    config_file.write_text(json.dumps(config))


def _env_issuer_is_refused(cli: CLI, tmp_path: Path, user: str | None) -> None:
    config_dir = tmp_path / "config"
    assert cli("login").returncode == 0
    expire_noted(cli, config_dir)
    before = keyring_file(cli.env).read_bytes()
    port = unused_fixed_port()
    squatter = f"http://127.0.0.1:{port}"
    with Listener(port, user) as listener:
        for command in (["token"], ["refresh"], ["whoami"], ["logout", "--revoke"]):
            r = cli(*command, PDAUTH_OAUTH_URL=squatter)
            assert (r.returncode, r.stdout) == (2, ""), (command, r.stderr)
            line = one_error_line(r)
            assert "PDAUTH_OAUTH_URL" in line and squatter in line, line
            assert cli.env["PDAUTH_OAUTH_URL"] in line  # the issuer the tokens came from
            assert keyring_file(cli.env).read_bytes() == before, command
        with socket.create_connection(("127.0.0.1", port), timeout=5) as probe:
            probe.sendall(b"probe")  # the listener does record what reaches it
        time.sleep(0.5)
    assert listener.received == [b"probe"]  # and nothing else: no refresh token, no client secret
    # The environment chooses the server for a new login only; the stored issuer still works.
    assert cli("refresh", PDAUTH_OAUTH_URL="").returncode == 0


def test_an_env_oauth_url_never_receives_the_refresh_token_or_client_secret(cli: CLI, tmp_path: Path) -> None:
    _env_issuer_is_refused(cli, tmp_path, None)


def test_another_users_listener_on_the_env_oauth_url_gets_nothing(
    cli: CLI, tmp_path: Path, other_user: str
) -> None:
    _env_issuer_is_refused(cli, tmp_path, other_user)


def test_an_env_client_id_other_than_the_tokens_is_refused_for_refresh(cli: CLI, tmp_path: Path) -> None:
    config_dir = tmp_path / "config"
    assert cli("login").returncode == 0
    expire_noted(cli, config_dir)
    before = keyring_file(cli.env).read_bytes()
    r = cli("refresh", PIPEDRIVE_CLIENT_ID="demo-client-id")
    assert (r.returncode, r.stdout) == (2, ""), r.stderr
    assert "PIPEDRIVE_CLIENT_ID" in one_error_line(r)
    assert keyring_file(cli.env).read_bytes() == before


def file_store_entries(path: Path, passphrase: str) -> dict[str, str]:
    from pdauth.store.file import FileStore

    return FileStore(path, passphrase=lambda: passphrase)._read_all()


@pytest.mark.parametrize("moves", [("keyring", "file", "keyring"), ("file", "keyring", "file")])
def test_logout_after_moving_between_stores_leaves_no_copy_in_either(
    cli: CLI, tmp_path: Path, moves: tuple[str, ...]
) -> None:
    config_dir = tmp_path / "config"
    passphrase = "a passphrase for the file store"
    for kind in moves:
        r = cli("login", "--store", kind, PDAUTH_PASSPHRASE=passphrase)
        assert r.returncode == 0, r.stderr
    ns = namespace(config_dir)
    r = cli("logout", PDAUTH_PASSPHRASE=passphrase)
    assert r.returncode == 0, r.stderr
    assert not [name for name in entries(cli) if name.startswith("pdauth/default")]
    assert file_store_entries(config_dir / "tokens.enc", passphrase) == {}
    assert ns  # the namespace stays: other profiles of this dir may still use it


def test_an_existing_login_is_carried_over_once(cli: CLI, tmp_path: Path) -> None:
    """A config dir and keyring entry written before namespaces (entry `default`, no issuer or client in
    the set, no namespace in config.json) keep working: the entry moves into the dir's new namespace."""
    config_dir = tmp_path / "config"
    assert cli("login").returncode == 0
    legacy = make_legacy(cli, config_dir)
    r = cli("token", PDAUTH_OAUTH_URL="")
    assert (r.returncode, r.stdout) == (0, legacy["access_token"] + "\n"), r.stderr
    now = entries(cli)
    assert "pdauth/default" not in now and "pdauth/default:client_secret" not in now
    adopted = stored(cli, config_dir)
    assert adopted == {**legacy, "issuer": cli.env["PDAUTH_OAUTH_URL"], "client_id": CLIENT_ID}
    assert now[f"pdauth/{secret_entry(config_dir)}"] == CLIENT_SECRET
    assert "carry_over" not in json.loads((config_dir / "config.json").read_text())
    assert cli("refresh", PDAUTH_OAUTH_URL="").returncode == 0


def test_a_legacy_entry_another_dir_wrote_is_not_carried_over(cli: CLI, tmp_path: Path) -> None:
    """The config file's note of the set (its expiry) must match the legacy entry: one written by
    another config dir (a test, a demo) last is not this dir's, and stays where it is."""
    config_dir = tmp_path / "config"
    assert cli("login").returncode == 0
    make_legacy(cli, config_dir)
    config_file = config_dir / "config.json"
    config = json.loads(config_file.read_text())
    config["profiles"]["default"]["expires_at"] += 1  # another dir's login wrote the entry since
    config_file.write_text(json.dumps(config))
    before = keyring_file(cli.env).read_bytes()
    r = cli("token", PDAUTH_OAUTH_URL="")
    assert (r.returncode, r.stdout) == (4, ""), r.stderr
    assert "not logged in" in one_error_line(r)
    assert keyring_file(cli.env).read_bytes() == before


def make_legacy(cli: CLI, config_dir: Path) -> dict[str, Any]:
    """Turn this dir's login into what a version before namespaces left: un-namespaced entries holding a
    set without issuer or client id, and a config file without a namespace."""
    path = keyring_file(cli.env)
    all_entries = json.loads(path.read_text())
    tokens = json.loads(all_entries.pop(f"pdauth/{token_entry(config_dir)}"))
    secret = all_entries.pop(f"pdauth/{secret_entry(config_dir)}")
    tokens.pop("issuer")
    tokens.pop("client_id")
    all_entries["pdauth/default"] = json.dumps(tokens, separators=(",", ":"), sort_keys=True)
    all_entries["pdauth/default:client_secret"] = secret
    path.write_text(json.dumps(all_entries))
    config_file = config_dir / "config.json"
    config = json.loads(config_file.read_text())
    config.pop("namespace")
    config_file.write_text(json.dumps(config))
    return dict(tokens)


def test_logout_without_the_file_stores_passphrase_says_a_copy_may_remain(cli: CLI, tmp_path: Path) -> None:
    config_dir = tmp_path / "config"
    passphrase = "a passphrase for the file store"
    assert cli("login", "--store", "file", PDAUTH_PASSPHRASE=passphrase).returncode == 0
    assert cli("login", "--store", "keyring").returncode == 0
    r = cli("logout")  # no PDAUTH_PASSPHRASE, no terminal to ask on
    assert r.returncode == 0, r.stderr
    assert "tokens.enc" in r.stderr and "PDAUTH_STORE=file pdauth logout" in r.stderr
    assert not of_profile(entries(cli), "default")  # the keyring's copy is gone
    left = file_store_entries(config_dir / "tokens.enc", passphrase)
    assert sorted(left) == sorted([token_entry(config_dir), secret_entry(config_dir)])
    # The way out it names works, though the profile has left config.json.
    r = cli("logout", PDAUTH_STORE="file", PDAUTH_PASSPHRASE=passphrase)
    assert r.returncode == 0, r.stderr
    assert file_store_entries(config_dir / "tokens.enc", passphrase) == {}


def test_a_file_store_login_is_carried_over_too(cli: CLI, tmp_path: Path) -> None:
    from pdauth.store.file import FileStore

    config_dir = tmp_path / "config"
    passphrase = "a passphrase for the file store"
    assert cli("login", "--store", "file", PDAUTH_PASSPHRASE=passphrase).returncode == 0
    store = FileStore(config_dir / "tokens.enc", passphrase=lambda: passphrase)
    tokens = json.loads(store.get(token_entry(config_dir)) or "{}")
    del tokens["issuer"], tokens["client_id"]
    store.set("default", json.dumps(tokens))
    store.set("default:client_secret", store.get(secret_entry(config_dir)) or "")
    store.delete(token_entry(config_dir))
    store.delete(secret_entry(config_dir))
    config = json.loads((config_dir / "config.json").read_text())
    del config["namespace"]
    (config_dir / "config.json").write_text(json.dumps(config))

    r = cli("token", PDAUTH_OAUTH_URL="", PDAUTH_PASSPHRASE=passphrase)
    assert (r.returncode, r.stdout) == (0, tokens["access_token"] + "\n"), r.stderr
    held = file_store_entries(config_dir / "tokens.enc", passphrase)
    assert sorted(held) == sorted([token_entry(config_dir), secret_entry(config_dir)])
    assert json.loads(held[token_entry(config_dir)])["issuer"] == cli.env["PDAUTH_OAUTH_URL"]


def test_a_stored_set_whose_api_domain_is_plain_http_off_the_loopback_is_not_used(
    cli: CLI, tmp_path: Path
) -> None:
    """A set saved before the https rule (an old pdauth's, carried over) may name a plain-http API:
    neither the core nor the token fast path hands its access token out for it, and nothing is sent."""
    config_dir = tmp_path / "config"
    assert cli("login").returncode == 0
    store = keyring_file(cli.env)
    data = json.loads(store.read_text())
    name = f"pdauth/{token_entry(config_dir)}"
    data[name] = json.dumps({**json.loads(data[name]), "api_domain": "http://api.example.com"})
    store.write_text(json.dumps(data))
    before = store.read_bytes()
    for command in (["token"], ["whoami"], ["call", "/v1/users/me"]):
        r = cli(*command)
        assert (r.returncode, r.stdout) == (4, ""), (command, r.stderr)
        line = one_error_line(r)
        assert "http://api.example.com" in line and "not an https origin" in line and "pdauth login" in line
        assert store.read_bytes() == before, command
