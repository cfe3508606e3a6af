"""Keyring trouble: a keyring that hangs, one that is locked, bad backend names, and login's offer of the
encrypted file store. None of it may ever read as "not logged in"."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from pdauth.core.sources import current_token
from pdauth.envvars import ENV_KEYRING_TIMEOUT
from pdauth.errors import ConfigError, KeyringUnavailable, NotLoggedIn
from pdauth.hotpath.secret_tool import SECRET_SERVICE_BACKEND
from pdauth.login import flow as flows
from pdauth.store.guard import keyring_timeout
from pdauth.store.keyring import KeyringStore
from tests.conftest import CLI, CLIENT_SECRET
from tests.support.fakes import QuietLoginUI
from tests.support.keyrings import FailingKeyring, MemoryKeyring
from tests.support.remote import Terminal, context, emulator_env
from tests.support.trouble_keyrings import HangingKeyring, LockedKeyring, no_keyring

THREE_WAYS_OUT = ("Secret Service", "--store file", "PIPEDRIVE_REFRESH_TOKEN")


def browse(url: str) -> bool:
    import requests

    requests.get(url, timeout=20)
    return True


@pytest.fixture
def env(emulator: Any, redirect_uri: str, isolated_env: Path) -> dict[str, str]:
    return emulator_env(emulator, redirect_uri, isolated_env)


@pytest.fixture
def hanging() -> Any:
    keyring = HangingKeyring()
    yield keyring
    keyring.released.set()


# -- the timeout ------------------------------------------------------------------------------------


def test_a_hanging_keyring_fails_within_the_timeout_and_says_why(hanging: HangingKeyring) -> None:
    store = KeyringStore({ENV_KEYRING_TIMEOUT: "0.2"}, backend=hanging)
    started = time.monotonic()
    with pytest.raises(KeyringUnavailable) as err:
        store.get("default")
    assert time.monotonic() - started < 1.0
    assert err.value.message.startswith("Keyring unavailable: ")
    assert "did not answer within 0.2 s" in err.value.message and ENV_KEYRING_TIMEOUT in err.value.message
    assert all(way in err.value.hint for way in THREE_WAYS_OUT)

    # While that call is still stuck, the next one fails at once instead of waiting again...
    started = time.monotonic()
    with pytest.raises(KeyringUnavailable, match="still waiting"):
        store.set("default", "x")
    assert time.monotonic() - started < 0.1 and hanging.calls == 1
    # ...and once the keyring answers again, calls go through.
    hanging.released.set()
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        try:
            assert store.get("default") is None
            break
        except KeyringUnavailable:
            time.sleep(0.02)
    else:
        pytest.fail("the keyring never became usable again")


def test_a_hanging_keyring_is_never_not_logged_in(env: dict[str, str], hanging: HangingKeyring) -> None:
    ctx = context({**env, ENV_KEYRING_TIMEOUT: "0.2"}, keyring=hanging)
    with pytest.raises(KeyringUnavailable) as err:
        current_token(ctx)
    assert not isinstance(err.value, NotLoggedIn) and err.value.exit_code == 1


def test_a_hanging_keyring_fails_login_before_the_browser(env: dict[str, str], hanging: Any) -> None:
    opened: list[str] = []
    ctx = context({**env, ENV_KEYRING_TIMEOUT: "0.2"}, keyring=hanging, open_browser=opened.append)
    with pytest.raises(KeyringUnavailable, match="did not answer"):
        flows.login(ctx, QuietLoginUI(), timeout=5)
    assert opened == []


def test_cli_token_with_a_hanging_keyring(cli: CLI) -> None:
    started = time.monotonic()
    r = cli(
        "token",
        PYTHON_KEYRING_BACKEND="tests.support.trouble_keyrings.HangingKeyring",
        PDAUTH_TEST_KEYRING_SLEEP="3",
        PDAUTH_KEYRING_TIMEOUT="0.3",
    )
    assert time.monotonic() - started < 2.5  # one wait, not one per code path, and no waiting for the sleeper
    assert r.returncode == 1 and r.stdout == ""
    assert "Keyring unavailable" in r.stderr and "did not answer within 0.3 s" in r.stderr
    assert "not logged in" not in r.stderr


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan", "inf"])
def test_a_bad_timeout_is_a_config_error(value: str) -> None:
    with pytest.raises(ConfigError, match=ENV_KEYRING_TIMEOUT):
        keyring_timeout({ENV_KEYRING_TIMEOUT: value})
    assert keyring_timeout({}) == 5.0 and keyring_timeout({ENV_KEYRING_TIMEOUT: "12.5"}) == 12.5


# -- locked -----------------------------------------------------------------------------------------


def test_a_locked_keyring_says_locked(env: dict[str, str]) -> None:
    with pytest.raises(KeyringUnavailable) as err:
        current_token(context(env, keyring=LockedKeyring()))
    assert err.value.message.startswith("Keyring locked: ") and "unlock" in err.value.message
    assert all(way in err.value.hint for way in THREE_WAYS_OUT)


def test_cli_token_with_a_locked_keyring(cli: CLI) -> None:
    r = cli("token", PYTHON_KEYRING_BACKEND="tests.support.trouble_keyrings.LockedKeyring")
    assert r.returncode == 1 and "Keyring locked" in r.stderr and "--store file" in r.stderr


# -- choosing the backend ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["no.such.module.Keyring", "keyring.backends.fail.NoSuchClass", "nodots"])
def test_a_bad_backend_name_is_a_clear_config_error(name: str) -> None:
    with pytest.raises(ConfigError) as err:
        KeyringStore({"PYTHON_KEYRING_BACKEND": name}).get("default")
    assert name in err.value.message and "PYTHON_KEYRING_BACKEND" in err.value.hint
    assert err.value.exit_code == 2


def write_keyringrc(xdg: Path, name: str) -> None:
    (xdg / "python_keyring").mkdir(parents=True)
    (xdg / "python_keyring" / "keyringrc.cfg").write_text(f"[backend]\ndefault-keyring = {name}\n")


def test_keyrings_own_config_file_is_honoured_and_the_env_var_wins(tmp_path: Path) -> None:
    write_keyringrc(tmp_path, "tests.support.keyrings.MemoryKeyring")
    env = {"XDG_CONFIG_HOME": str(tmp_path)}
    assert KeyringStore(env).backend_name == "tests.support.keyrings.MemoryKeyring"
    chosen = {**env, "PYTHON_KEYRING_BACKEND": "tests.support.trouble_keyrings.LockedKeyring"}
    assert KeyringStore(chosen).backend_name == "tests.support.trouble_keyrings.LockedKeyring"


def test_a_bad_name_in_keyringrc_is_a_config_error(tmp_path: Path) -> None:
    write_keyringrc(tmp_path, "no.such.Backend")
    with pytest.raises(ConfigError, match=r"no\.such\.Backend"):
        KeyringStore({"XDG_CONFIG_HOME": str(tmp_path)}).get("default")


def test_cli_bad_backend_name_exits_2(cli: CLI) -> None:
    r = cli("token", PYTHON_KEYRING_BACKEND="no.such.module.Keyring")
    assert r.returncode == 2 and "Cannot load keyring backend 'no.such.module.Keyring'" in r.stderr


# -- login's offer of the file store ----------------------------------------------------------------


class Answers:
    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.questions: list[str] = []

    def __call__(self, question: str) -> bool:
        self.questions.append(question)
        return self.answer


def test_login_offers_the_file_store_without_a_keyring(env: dict[str, str], isolated_env: Path) -> None:
    confirm = Answers(True)
    ctx = context(
        env,
        keyring=no_keyring(),
        open_browser=browse,
        confirm=confirm,
        ask_secret=lambda prompt: "a passphrase",
    )
    result = flows.login(ctx, QuietLoginUI(), timeout=20)
    assert len(confirm.questions) == 1 and "Keyring unavailable" in confirm.questions[0]
    assert "encrypted file store" in confirm.questions[0]
    assert result.store.startswith("encrypted file") and (isolated_env / "tokens.enc").exists()
    # The choice is remembered: later commands use the file store without being told.
    later = context({**env, "PDAUTH_PASSPHRASE": "a passphrase"}, keyring=no_keyring())
    assert later.store.kind == "file" and current_token(later).token


def test_declining_the_offer_fails_and_stores_nothing(env: dict[str, str], isolated_env: Path) -> None:
    opened: list[str] = []
    ctx = context(env, keyring=no_keyring(), open_browser=opened.append, confirm=Answers(False))
    with pytest.raises(KeyringUnavailable) as err:
        flows.login(ctx, QuietLoginUI(), timeout=5)
    assert all(way in err.value.hint for way in THREE_WAYS_OUT)
    assert opened == [] and not (isolated_env / "tokens.enc").exists()


def test_no_offer_without_a_terminal(env: dict[str, str]) -> None:
    ctx = context(env, keyring=LockedKeyring(), open_browser=browse, confirm=None)
    with pytest.raises(KeyringUnavailable, match="Keyring locked"):
        flows.login(ctx, QuietLoginUI(), timeout=5)


def test_a_keyring_that_locks_after_the_browser_is_offered_the_file_store_too(
    env: dict[str, str],
    isolated_env: Path,
) -> None:
    """The code is single-use and already spent: the tokens in hand go to the file store, not to waste."""
    confirm = Answers(True)
    keyring = FailingKeyring()  # reads work, writes raise KeyringLocked
    ctx = context(
        env, keyring=keyring, open_browser=browse, confirm=confirm, ask_secret=lambda prompt: "a passphrase"
    )
    result = flows.login(ctx, QuietLoginUI(), timeout=20)
    assert len(confirm.questions) == 1 and confirm.questions[0].startswith("Keyring locked")
    assert result.store.startswith("encrypted file") and keyring.entries == {}
    assert current_token(context({**env, "PDAUTH_PASSPHRASE": "a passphrase"}, keyring=MemoryKeyring())).token


def test_cli_offers_the_file_store_at_a_terminal(cli: CLI, tmp_path: Path) -> None:
    """The real prompts: yes to the offer, a new passphrase twice; then the file store is used."""
    no_keyring_env = {
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "PDAUTH_CONFIG_DIR": str(tmp_path),
    }
    term = Terminal(cli.env | no_keyring_env, "login")
    try:
        assert term.read_until(rb"Keyring unavailable: no usable OS keyring.*\[Y/n\]"), term.text
        term.type("y")
        # getpass writes its " " after switching echo off and flushing pending input: type after that.
        assert term.read_until(
            rb"New passphrase for pdauth's encrypted token file \(it is created now\): "
        ), term.text
        term.type("correct horse")
        assert term.read_until(rb"The same passphrase again: "), term.text
        term.type("correct horse")
        assert term.read_until(rb"Logged in to"), term.text
        assert term.proc.wait(10) == 0
        assert "correct horse" not in term.text  # typed blind
    finally:
        term.close()
    assert (tmp_path / "tokens.enc").exists()
    r = cli("token", PDAUTH_PASSPHRASE="correct horse", **no_keyring_env)
    assert r.returncode == 0 and r.stdout.startswith("v1u:")


# -- the fast reader's secret-tool --------------------------------------------------------------------


def fake_secret_tool(tmp_path: Path, body: str) -> dict[str, str]:
    """An env whose PATH holds only a fake `secret-tool` (sh), and which chose the Secret Service backend,
    so KeyringStore.get takes the fast path through it."""
    tools = tmp_path / "tools"
    tools.mkdir()
    tool = tools / "secret-tool"
    tool.write_text(f"#!/bin/sh\n{body}\n")
    tool.chmod(0o755)
    return {"PATH": str(tools), "PYTHON_KEYRING_BACKEND": SECRET_SERVICE_BACKEND, ENV_KEYRING_TIMEOUT: "0.5"}


def test_a_hanging_secret_tool_is_killed_and_says_why_within_the_timeout(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    env = fake_secret_tool(tmp_path, f"echo $$ > {pid_file}\nexec /bin/sleep 30")
    started = time.monotonic()
    with pytest.raises(KeyringUnavailable) as err:
        KeyringStore(env).get("default")
    assert time.monotonic() - started < 3  # one timeout, not the fast path's and then keyring's
    assert "did not answer within 0.5 s" in err.value.message
    with pytest.raises(ProcessLookupError):  # killed, not left waiting on a prompt
        for _ in range(50):
            os.kill(int(pid_file.read_text()), 0)
            time.sleep(0.05)


def test_what_secret_tool_prints_is_the_secret_and_its_arguments_hold_none(tmp_path: Path) -> None:
    argv = tmp_path / "argv"
    env = fake_secret_tool(tmp_path, f'echo "$*" > {argv}\nprintf \'{{"v": 1}}\'')
    assert KeyringStore(env).get("work") == '{"v": 1}'
    assert argv.read_text() == "lookup service pdauth username work\n"


def test_no_item_for_secret_tool_defers_to_keyrings_answer(tmp_path: Path, monkeypatch: Any) -> None:
    env = fake_secret_tool(tmp_path, "exit 1")
    store = KeyringStore(env)
    asked: list[str] = []
    monkeypatch.setattr(store, "_call", lambda fn: asked.append("keyring") or "from keyring")
    assert store.get("default") == "from keyring" and asked == ["keyring"]


def test_first_login_without_a_keyring_asks_in_a_sensible_order(cli: CLI, tmp_path: Path) -> None:
    """The app's secret first, then the keyring question, then a new file's passphrase twice; a mismatch
    creates nothing; later the prompt says it opens the existing file."""
    no_keyring_env = {
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "PDAUTH_CONFIG_DIR": str(tmp_path),
    }
    env = {k: v for k, v in (cli.env | no_keyring_env).items() if k != "PIPEDRIVE_CLIENT_SECRET"}
    term = Terminal(env, "login")
    try:
        assert term.read_until(rb"client secret: "), term.text
        assert b"Keyring unavailable" not in term.seen  # not yet: the secret comes first
        term.type(CLIENT_SECRET)
        assert term.read_until(rb"Keyring unavailable.*\[Y/n\]"), term.text
        term.type("y")
        assert term.read_until(rb"\(it is created now\): "), term.text
        term.type("one passphrase")
        assert term.read_until(rb"The same passphrase again: "), term.text
        term.type("another passphrase")
        assert term.read_until(rb"The two passphrases differ; nothing was created"), term.text
        assert term.proc.wait(10) == 2
    finally:
        term.close()
    assert not (tmp_path / "tokens.enc").exists()
    term = Terminal(cli.env | no_keyring_env | {"PDAUTH_STORE": "file"}, "login")
    try:
        assert term.read_until(rb"\(it is created now\): "), term.text
        term.type("right one")
        assert term.read_until(rb"again: "), term.text
        term.type("right one")
        assert term.read_until(rb"Logged in to"), term.text
        assert term.proc.wait(10) == 0
    finally:
        term.close()
    term = Terminal(cli.env | no_keyring_env | {"PDAUTH_STORE": "file"}, "whoami")
    try:
        assert term.read_until(rb"Passphrase to open pdauth's encrypted token file: "), term.text
        term.type("right one")
        assert term.proc.wait(20) == 0
        assert term.proc.stdout is not None and b"Demo User" in term.proc.stdout.read()
    finally:
        term.close()
