"""A real login after the demo: login says where it goes and why, warns when that is an emulator by habit,
takes --oauth-url/--client-id/--new-client-secret, and an invalid_client says which secret was sent."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CLI, CLIENT_ID, CLIENT_SECRET, Result
from tests.support.harness import keyring_file
from tests.support.remote import Terminal

pytestmark = pytest.mark.timeout(90)

NEW_SHELL = ("PDAUTH_OAUTH_URL", "PIPEDRIVE_CLIENT_ID", "PIPEDRIVE_CLIENT_SECRET")


def new_shell(cli: CLI) -> CLI:
    """The same user later, in a shell without the walk-through's exports."""
    return CLI({k: v for k, v in cli.env.items() if k not in NEW_SHELL})


def one_error_line(r: Result) -> str:
    lines = [line for line in r.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    return lines[0]


def test_login_says_what_it_uses_and_where_each_came_from(cli: CLI, emulator: object) -> None:
    r = cli("login")
    assert r.returncode == 0, r.stderr
    url = emulator.base_url  # type: ignore[attr-defined]
    plan = (
        f"Logging in profile default at {url} (PDAUTH_OAUTH_URL) with client id {CLIENT_ID} "
        "(PIPEDRIVE_CLIENT_ID); secrets go to the OS keyring (the default)."
    )
    assert plan in r.stderr
    assert r.stderr.index(plan) < r.stderr.index("Opened your browser")
    assert "emulator?" not in r.stderr  # set explicitly: no warning


def test_remembered_emulator_settings_are_said_and_warned(cli: CLI, emulator: object) -> None:
    assert cli("login").returncode == 0
    later = new_shell(cli)("login")
    assert later.returncode == 0, later.stderr
    url = emulator.base_url  # type: ignore[attr-defined]
    assert f"at {url} (remembered from the last login)" in later.stderr
    assert f"client id {CLIENT_ID} (remembered from the last login)" in later.stderr
    warning = next(line for line in later.stderr.splitlines() if "emulator?" in line)
    assert "--oauth-url https://oauth.pipedrive.com --client-id YOUR_ID --new-client-secret" in warning
    assert later.stderr.index(warning) < later.stderr.index("Opened your browser")


@pytest.fixture
def second_emulator(redirect_uri: str) -> Iterator[object]:
    from pdauth.emulator import Emulator, EmulatorConfig

    config = EmulatorConfig(
        client_id="real-app-id",
        client_secret="real-app-secret-9876543210",
        redirect_uri=redirect_uri,
        port=0,
        auto_approve=True,
        company_name="Real Co",
        log_stream=io.StringIO(),
    )
    with Emulator(config) as emu:
        yield emu


def test_options_choose_another_host_and_app_and_the_stored_secret_is_not_reused(
    cli: CLI, second_emulator: object
) -> None:
    assert cli("login").returncode == 0
    shell = new_shell(cli)
    other = second_emulator.base_url  # type: ignore[attr-defined]
    # Another app: the stored secret is the demo app's, so it must be entered (no terminal here: say how).
    r = shell("login", "--oauth-url", other, "--client-id", "real-app-id")
    assert r.returncode == 2
    assert "PIPEDRIVE_CLIENT_SECRET" in one_error_line(r)
    r = shell(
        "login", "--oauth-url", other, "--client-id", "real-app-id",
        PIPEDRIVE_CLIENT_SECRET="real-app-secret-9876543210",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert f"at {other} (--oauth-url) with client id real-app-id (--client-id)" in r.stderr
    assert "Real Co" in r.stderr
    config = json.loads((Path(cli.env["PDAUTH_CONFIG_DIR"]) / "config.json").read_text())
    assert config["profiles"]["default"]["oauth_url"] == other
    assert config["profiles"]["default"]["client_id"] == "real-app-id"
    # From now on the remembered host is not a loopback one... in real life; here: no option needed.
    assert shell("whoami").returncode == 0


def test_invalid_client_from_the_environment_names_the_variable(cli: CLI) -> None:
    r = cli("login", PIPEDRIVE_CLIENT_SECRET="not-the-secret-at-all")
    assert r.returncode == 4
    line = one_error_line(r)
    assert "invalid_client" in line and "the secret in PIPEDRIVE_CLIENT_SECRET" in line
    assert "Fix or unset PIPEDRIVE_CLIENT_SECRET" in line and "Try again in a moment" not in line
    assert "not-the-secret-at-all" not in r.stderr


def _spoil_stored_secret(cli: CLI) -> None:
    path = keyring_file(cli.env)
    entries = json.loads(path.read_text())
    key = next(k for k in entries if k.endswith("client_secret") or "secret" in k)
    entries[key] = "an-outdated-secret-123"
    path.write_text(json.dumps(entries))


def test_a_rejected_stored_secret_says_how_to_replace_it(cli: CLI) -> None:
    assert cli("login").returncode == 0
    _spoil_stored_secret(cli)
    shell = new_shell(cli)
    r = shell("login")
    assert r.returncode == 4
    line = one_error_line(r)
    assert "the stored client secret" in line and "pdauth login --new-client-secret" in line
    r = shell("-p", "work", "login", PDAUTH_OAUTH_URL=cli.env["PDAUTH_OAUTH_URL"],
              PIPEDRIVE_CLIENT_ID=CLIENT_ID, PIPEDRIVE_CLIENT_SECRET="wrong-secret-xyz")  # fmt: skip
    assert r.returncode == 4 and "PIPEDRIVE_CLIENT_SECRET" in one_error_line(r)


def test_login_on_a_terminal_offers_to_enter_a_rejected_secret_again(cli: CLI) -> None:
    assert cli("login").returncode == 0
    _spoil_stored_secret(cli)
    term = Terminal(new_shell(cli).env, "login", "--timeout", "30", timeout=40)
    try:
        assert term.read_until(rb"Enter it again\?"), term.text
        term.type("y")
        assert term.read_until(rb"app client secret: "), term.text
        term.type(CLIENT_SECRET)
        assert term.read_until(rb"Logged in to"), term.text
        assert term.proc.wait(30) == 0, term.text
    finally:
        term.close()
    assert CLIENT_SECRET not in term.text
    assert new_shell(cli)("refresh").returncode == 0  # the new secret was stored


def test_new_client_secret_asks_again_on_a_terminal(cli: CLI) -> None:
    assert cli("login").returncode == 0
    _spoil_stored_secret(cli)
    term = Terminal(new_shell(cli).env, "login", "--new-client-secret", "--timeout", "30", timeout=40)
    try:
        assert term.read_until(rb"app client secret: "), term.text
        term.type(CLIENT_SECRET)
        assert term.read_until(rb"Logged in to"), term.text
        assert term.proc.wait(30) == 0, term.text
    finally:
        term.close()


def test_a_redirect_uri_that_is_not_registered_fails_at_once(cli: CLI, emulator: object) -> None:
    import time

    from tests.conftest import free_port

    unregistered = f"http://127.0.0.1:{free_port()}/callback"
    started = time.monotonic()
    r = cli("login", "--timeout", "30", PDAUTH_REDIRECT_URI=unregistered)
    assert time.monotonic() - started < 20  # not the 30 s timeout
    assert r.returncode == 2
    line = one_error_line(r)
    assert "Callback URL mismatch" in line and f"Callback URL to exactly {unregistered}" in line
    # The probe issues no code and asks no consent: the next login with the right URI works as ever.
    assert cli("login").returncode == 0
