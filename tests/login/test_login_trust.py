"""Trust boundaries of `pdauth login`, through the real CLI against the emulator: what other local users can
see or fetch during a login, asking before a profile changes accounts, and saving all of it or nothing.

Every refused or failed login leaves the stored tokens byte for byte as they were.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from keyring.errors import KeyringLocked

from tests.conftest import CLI, REPO, Result
from tests.support.harness import QUIET_BROWSER, stderr_lines
from tests.support.keyrings import MemoryKeyring
from tests.support.remote import Terminal

pytestmark = pytest.mark.timeout(120)
PEEKING_BROWSER = REPO / "tests" / "support" / "peeking_browser.py"


def keyring_bytes(cli: CLI) -> bytes | None:
    path = Path(cli.env["PDAUTH_TEST_KEYRING_FILE"])
    return path.read_bytes() if path.exists() else None


def config_bytes(cli: CLI) -> bytes | None:
    path = Path(cli.env["PDAUTH_CONFIG_DIR"]) / "config.json"
    return path.read_bytes() if path.exists() else None


def one_line_error(r: Result, code: int) -> str:
    assert r.returncode == code, r.stderr
    assert "Traceback" not in r.stderr, r.stderr
    return stderr_lines(r.stderr)[-1]


def login_quietly(cli: CLI, **env: str) -> Result:
    r = cli("login", BROWSER=str(QUIET_BROWSER), **env)
    assert r.returncode == 0, r.stderr
    return r


# -- the one-time start address ------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["peek", "code-first"])
def test_a_second_fetch_of_the_start_address_aborts_the_login(
    cli: CLI, emulator: Any, tmp_path: Path, mode: str
) -> None:
    """Another local user reads the start address from the browser's command line and fetches it first.
    `peek`: it learns `state` and tries a callback later. `code-first`: it even delivers a code before the
    browser loads the start address (the token endpoint is slowed so the browser's fetch lands before
    anything is saved). Either way the login stops, and nothing is stored."""
    login_quietly(cli)  # a profile to keep intact
    before = keyring_bytes(cli), config_bytes(cli)
    record = tmp_path / "peek.json"
    if mode == "code-first":
        emulator.inject_fault(endpoint="token", status=None, delay=1.5)
    r = cli("login", BROWSER=str(PEEKING_BROWSER), PEEK_MODE=mode, PEEK_RECORD=str(record))
    line = one_line_error(r, 1)
    assert "start address was opened twice" in line and "Nothing was stored" in line, line
    steps = json.loads(record.read_text())
    assert steps["peeker start"] == 302 and steps["browser start"] == 410, steps
    assert "state=" not in steps["browser page"] and "stopped" in steps["browser page"]
    if mode == "peek":
        # The state it learnt opens nothing now (or the listener has already closed).
        assert steps["peeker callback"] in (400, None), steps
    assert (keyring_bytes(cli), config_bytes(cli)) == before


def test_the_terminal_shows_the_authorize_url_the_browser_only_the_start_address(
    cli: CLI, tmp_path: Path, emulator: Any
) -> None:
    """The printed URL is the authorize URL (it works in a browser on another machine, pasted back); the
    browser's command line, which every local user can read, holds only the one-time start address."""
    record = tmp_path / "argv.jsonl"
    r = login_quietly(cli, QUIET_BROWSER_RECORD=str(record))
    ((_, started),) = [json.loads(line) for line in record.read_text().splitlines()]
    assert "/pdauth/start/" in started and "state" not in started and "oauth" not in started
    shown = [line for line in r.stderr.splitlines() if "/oauth/authorize?" in line]
    assert len(shown) == 1 and "state=" in shown[0] and shown[0].startswith(emulator.base_url)


# -- replacing the account a profile is logged in to ------------------------------------------------------


def switch_account(emulator: Any) -> None:
    emulator.set_identity(
        user_id=777,
        user_name="Other Person",
        user_email="other@other.example",
        company_id=888,
        company_name="OtherCo",
        company_domain="otherco",
    )


@pytest.mark.parametrize("answer", ["n", ""], ids=["no", "just-enter"])
def test_a_terminal_is_asked_before_a_profile_changes_accounts_and_no_keeps_everything(
    cli: CLI, emulator: Any, answer: str
) -> None:
    login_quietly(cli)
    before = keyring_bytes(cli), config_bytes(cli)
    switch_account(emulator)
    term = Terminal({**cli.env, "BROWSER": str(QUIET_BROWSER)}, "login", timeout=60)
    try:
        question = term.read_until(rb"Replace it with OtherCo[^\n]*\?")
        assert question is not None, term.text
        assert b"Acme" in question.group(0) or b"Acme" in term.seen
        term.type(answer)
        assert term.proc.wait(30) == 1, term.text
        term.read_until(rb"NAME`")
    finally:
        term.close()
    assert "Kept profile default logged in to" in term.text and "pdauth login -p NAME" in term.text
    assert (keyring_bytes(cli), config_bytes(cli)) == before


def test_a_terminal_that_says_yes_replaces_the_account(cli: CLI, emulator: Any) -> None:
    login_quietly(cli)
    switch_account(emulator)
    term = Terminal({**cli.env, "BROWSER": str(QUIET_BROWSER)}, "login", timeout=60)
    try:
        assert term.read_until(rb"Replace it with OtherCo[^\n]*\?") is not None, term.text
        term.type("y")
        assert term.proc.wait(30) == 0, term.text
    finally:
        term.close()
    profile = json.loads(config_bytes(cli) or b"{}")["profiles"]["default"]
    assert profile["identity"]["company_name"] == "OtherCo"


def test_a_script_replaces_the_account_and_says_so_on_stderr(cli: CLI, emulator: Any) -> None:
    login_quietly(cli)
    switch_account(emulator)
    r = login_quietly(cli)
    assert r.stdout == ""
    assert any("was logged in to Acme" in line and "replaced" in line for line in r.stderr.splitlines())
    profile = json.loads(config_bytes(cli) or b"{}")["profiles"]["default"]
    assert profile["identity"]["company_name"] == "OtherCo"


# -- nothing half-written ---------------------------------------------------------------------------------


def test_an_unusable_config_dir_fails_before_the_browser_opens(
    cli: CLI, tmp_path: Path, emulator: Any
) -> None:
    """The config file's lock is in the way (a directory): saving would fail, so the login must not start."""
    login_quietly(cli)
    before = keyring_bytes(cli), config_bytes(cli)
    config_dir = Path(cli.env["PDAUTH_CONFIG_DIR"])
    (config_dir / ".config.lock").unlink()
    (config_dir / ".config.lock").mkdir()
    record = tmp_path / "argv.jsonl"
    emulator.reset_stats()
    r = cli("login", BROWSER=str(QUIET_BROWSER), QUIET_BROWSER_RECORD=str(record))
    assert not record.exists(), "the browser must not be opened"
    assert emulator.stats()["token_requests"] == 0
    assert (keyring_bytes(cli), config_bytes(cli)) == before
    line = one_line_error(r, 2)
    assert str(config_dir) in line and "nothing was stored" in line, line


BREAKING_KEYRING = "tests.support.keyrings.ConfigBreakingKeyring"


@pytest.mark.parametrize("existing", [True, False], ids=["over-a-profile", "first-login"])
def test_a_config_write_failing_after_the_exchange_leaves_nothing_of_the_new_login(
    cli: CLI, emulator: Any, existing: bool
) -> None:
    """The config dir breaks between the token exchange and the config write (the test keyring turns the
    config file's lock into a directory the moment the new token set is stored): the keyring must be back
    to exactly what it was, the earlier profile's entries included."""
    if existing:
        login_quietly(cli)
    else:  # a first login of this profile; another profile's entries must stay untouched too
        login_quietly(cli, PDAUTH_PROFILE="other")
    before = keyring_bytes(cli), config_bytes(cli)
    config_dir = Path(cli.env["PDAUTH_CONFIG_DIR"])
    r = cli(
        "login",
        BROWSER=str(QUIET_BROWSER),
        PYTHON_KEYRING_BACKEND=BREAKING_KEYRING,
        PDAUTH_TEST_BREAK_ON_WRITE=str(config_dir / ".config.lock"),
    )
    assert emulator.stats()["grants"]["authorization_code"] == 2  # the exchange did happen
    assert (keyring_bytes(cli), config_bytes(cli)) == before
    line = one_line_error(r, 2)
    assert "nothing of this login was kept" in line and "profile default" in line, line


@pytest.mark.emulator(auto_approve=False)  # the consent page is shown: the scripted browser clicks
@pytest.mark.parametrize("how", ["denied", "timed-out"])
def test_a_refused_login_leaves_the_stored_login_byte_for_byte(cli: CLI, how: str) -> None:
    from tests.conftest import FAKE_BROWSER

    assert cli("login", BROWSER=str(FAKE_BROWSER)).returncode == 0
    before = keyring_bytes(cli), config_bytes(cli)
    if how == "denied":
        r = cli("login", BROWSER=str(FAKE_BROWSER), FAKE_BROWSER_DECISION="cancel")
        assert "denied" in one_line_error(r, 4)
    else:
        r = cli("login", "--timeout", "1", BROWSER="/bin/true")
        assert "No answer from the browser" in one_line_error(r, 1)
    assert (keyring_bytes(cli), config_bytes(cli)) == before


class LocksBeforeTheSecret(MemoryKeyring):
    """Stores the token set, then locks: the client secret's write fails (as a keyring locking mid-login)."""

    locked = False

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.locked and ":client_secret" in username:
            raise KeyringLocked("the collection is locked")
        super().set_password(service, username, password)


def test_a_keyring_that_locks_between_the_two_writes_gets_the_earlier_token_set_back(
    client_env: dict[str, str], emulator: Any
) -> None:
    import requests

    from pdauth.core.context import Context, Deps
    from pdauth.errors import KeyringUnavailable
    from pdauth.login import flow
    from tests.support.fakes import QuietLoginUI

    def browser(url: str) -> bool:
        requests.get(url, timeout=30)
        return True

    keyring = LocksBeforeTheSecret()

    def login() -> object:
        ctx = Context(Deps(env=client_env, open_browser=browser, keyring_backend=keyring))
        return flow.login(ctx, QuietLoginUI(), timeout=20)

    login()
    before = dict(keyring.entries)
    keyring.locked = True
    with pytest.raises(KeyringUnavailable):
        login()  # no terminal: no offer of the file store
    assert keyring.entries == before
    assert emulator.stats()["grants"]["authorization_code"] == 2


@pytest.mark.parametrize("answer", ["n", "y"])
def test_over_ssh_the_question_is_answered_once_even_while_the_paste_prompt_reads_the_terminal(
    cli: CLI, emulator: Any, answer: str
) -> None:
    """Over SSH the paste reader is blocked reading the terminal when the callback comes through the
    tunnel: the one line typed in answer to the question must reach the question, not the paste reader."""
    import threading

    import requests

    login_quietly(cli)
    before = keyring_bytes(cli), config_bytes(cli)
    switch_account(emulator)
    ssh = {"SSH_CONNECTION": "10.1.2.3 50000 10.9.8.7 22", "USER": "dev"}
    term = Terminal({k: v for k, v in cli.env.items() if k != "BROWSER"} | ssh, "login", timeout=60)
    try:
        url = term.read_until(rb"(http://\S+/oauth/authorize\?\S+)")
        assert url is not None and term.read_until(rb"Paste the address"), term.text
        # The user's browser, through the tunnel; its last page waits for the answer, so it runs aside.
        tab = threading.Thread(target=requests.get, args=(url.group(1).decode(),), kwargs={"timeout": 40})
        tab.start()
        assert term.read_until(rb"Replace it with OtherCo[^\n]*\?") is not None, term.text
        term.type(answer)
        assert term.proc.wait(10) == (1 if answer == "n" else 0), term.text
        tab.join(10)
    finally:
        term.close()
    if answer == "n":
        assert (keyring_bytes(cli), config_bytes(cli)) == before
    else:
        assert json.loads(config_bytes(cli) or b"{}")["profiles"]["default"]["identity"]["company_id"] == 888


def test_a_first_file_store_login_that_cannot_be_saved_leaves_no_encrypted_file(
    client_env: dict[str, str], isolated_env: Path
) -> None:
    """A first login to the encrypted file store creates tokens.enc (with the passphrase just chosen); when
    the config write then fails, the file goes too: the next login must not ask to open a file that holds
    nothing but a forgotten passphrase."""
    import requests

    from pdauth.core.context import Context, Deps
    from pdauth.errors import ConfigError
    from pdauth.login import flow
    from tests.support.fakes import QuietLoginUI

    class ConfigBreaksAfterTheStore(Context):
        def update_profile(self, edit: Any) -> None:
            lock = isolated_env / ".config.lock"  # a real failure, at exactly this moment
            lock.unlink(missing_ok=True)
            lock.mkdir()
            super().update_profile(edit)

    def browser(url: str) -> bool:
        requests.get(url, timeout=30)
        return True

    env = {**client_env, "PDAUTH_STORE": "file", "PDAUTH_PASSPHRASE": "correct horse battery"}
    ctx = ConfigBreaksAfterTheStore(Deps(env=env, open_browser=browser))
    with pytest.raises(ConfigError, match="nothing of this login was kept"):
        flow.login(ctx, QuietLoginUI(), timeout=20)
    assert not (isolated_env / "tokens.enc").exists()
    config = isolated_env / "config.json"  # at most the config dir's keyring namespace, made first
    assert not config.exists() or json.loads(config.read_text()).get("profiles", {}) == {}
