"""Every message a true next step: usage errors are one line (exit 2), specific causes get specific
words, global flags work after the command, Ctrl-C at a prompt is one line (exit 130)."""

from __future__ import annotations

import time

import pytest

from tests.conftest import CLI, Result, free_port
from tests.support.harness import expire_stored
from tests.support.remote import Terminal

pytestmark = pytest.mark.timeout(90)


def only_line(r: Result) -> str:
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    return lines[0]


def test_global_flags_work_after_the_command(cli: CLI) -> None:
    assert cli("login").returncode == 0
    whoami = cli("whoami", "-v")
    assert whoami.returncode == 0 and "DEBUG" in whoami.stderr, whoami.stderr
    quiet = cli("token", "-q")
    assert quiet.returncode == 0 and quiet.stdout.strip() and quiet.stderr == ""
    # `call -q` stays call's --query.
    query = cli("--verbose", "call", "/v1/deals", "-q", "limit=1")
    assert query.returncode == 0 and "limit=1" in query.stderr


def test_verbose_token_logs_what_it_does_without_the_token(cli: CLI) -> None:
    assert cli("login").returncode == 0
    r = cli("-v", "token")
    assert r.returncode == 0
    token = r.stdout.strip()
    assert "valid; no refresh" in r.stderr and token not in r.stderr
    expire_stored(cli.env)
    r = cli("-v", "token")
    assert r.returncode == 0 and "refreshing" in r.stderr and r.stdout.strip() not in r.stderr


@pytest.mark.parametrize(
    ("args", "env", "words"),
    [
        (("login",), {"PDAUTH_OAUTH_URL": "not-a-url"}, "PDAUTH_OAUTH_URL"),
        (("whoami",), {"PDAUTH_OAUTH_URL": "ftp://x"}, "not an http(s) URL"),
        (("token",), {"PIPEDRIVE_ACCESS_TOKEN": "v1u:abc", "PIPEDRIVE_API_DOMAIN": "not-a-url"}, "PIPEDRIVE_API_DOMAIN"),
        (("call", "/v1/deals"), {"PIPEDRIVE_ACCESS_TOKEN": "v1u:abc", "PIPEDRIVE_API_DOMAIN": "x:/"}, "PIPEDRIVE_API_DOMAIN"),
        (("token",), {"PIPEDRIVE_ACCESS_TOKEN": "v1u:abc", "PIPEDRIVE_TOKEN_EXPIRES_AT": "garbage"}, "PIPEDRIVE_TOKEN_EXPIRES_AT"),
        (("-p", "", "whoami"), {}, "empty profile name"),
        (("whoami", "-p", ""), {}, "empty profile name"),
        (("token", "-p", ""), {}, "empty profile name"),
        (("call", "POST", "/v1/deals", "--input", "-", "-f", "title=x"), {}, "--input and -f/-F"),
        (("login", "--oauth-url", "oauth.pipedrive.com"), {}, "--oauth-url"),
    ],
)  # fmt: skip
def test_malformed_values_are_one_line_usage_errors(
    cli: CLI, args: tuple[str, ...], env: dict[str, str], words: str
) -> None:
    r = cli(*args, input='{"title": "y"}', **env)
    assert r.returncode == 2, r.stderr
    assert words in only_line(r)


def test_an_env_token_past_its_stated_expiry_warns(cli: CLI) -> None:
    past = str(int(time.time()) - 3600)
    r = cli("token", PIPEDRIVE_ACCESS_TOKEN="v1u:abcdef", PIPEDRIVE_TOKEN_EXPIRES_AT=past)
    assert r.returncode == 0 and r.stdout.strip() == "v1u:abcdef"
    assert "PIPEDRIVE_ACCESS_TOKEN expired at" in r.stderr and "v1u:abcdef" not in r.stderr


def test_an_unreachable_token_endpoint_does_not_blame_the_client_secret(cli: CLI, emulator: object) -> None:
    assert cli("login").returncode == 0
    expire_stored(cli.env, noted=True)
    emulator.stop()  # type: ignore[attr-defined]
    r = cli("refresh")
    assert r.returncode == 1
    line = only_line(r)
    assert "Could not reach" in line and "client id/secret" not in line and "secret" not in line


def test_a_post_that_could_not_connect_says_it_was_not_sent(cli: CLI) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    r = cli(
        "call",
        "POST",
        "/v1/deals",
        "-f",
        "title=x",
        PIPEDRIVE_ACCESS_TOKEN="v1u:abcdef",
        PIPEDRIVE_API_DOMAIN=dead,
    )
    assert r.returncode == 1
    (line,) = [line for line in r.stderr.splitlines() if line.startswith("error:")]  # after the retries
    assert "it was not sent" in line and "may have taken effect" not in line


def test_ctrl_c_at_a_prompt_is_one_line_and_exit_130(cli: CLI) -> None:
    env = {k: v for k, v in cli.env.items() if k not in ("PIPEDRIVE_CLIENT_ID", "PIPEDRIVE_CLIENT_SECRET")}
    term = Terminal(env, "login", timeout=30)
    try:
        assert term.read_until(rb"client id:"), term.text
        term.type("\x03")
        assert term.read_until(rb"error:[^\n]*\n"), term.text
        assert term.proc.wait(20) == 130
    finally:
        term.close()
    assert "Aborted" not in term.text and "Traceback" not in term.text
    assert term.text.count("error:") == 1 and "Cancelled at the prompt" in term.text


def test_usage_errors_are_one_plain_line_off_a_terminal(cli: CLI) -> None:
    r = cli("whoami", "--bogus")
    assert r.returncode == 2
    assert (
        r.stderr == "error: No such option: --bogus. Run `pdauth whoami --help` for the options\n"
    )  # as every error line: no period after the hint
    r = cli("call")
    assert r.returncode == 2 and only_line(r).startswith("error: Missing argument")


@pytest.mark.parametrize("command", [(), ("login",), ("refresh",), ("call",), ("logout",), ("doctor",)])
def test_flags_show_no_bool_metavar(cli: CLI, command: tuple[str, ...]) -> None:
    r = cli(*command, "--help")
    assert r.returncode == 0 and "--help" in r.stdout
    assert "<bool>" not in r.stdout


def test_logout_revoke_asks_first_on_a_terminal(cli: CLI) -> None:
    assert cli("login").returncode == 0
    term = Terminal(cli.env, "logout", "--revoke", timeout=30)
    try:
        assert term.read_until(rb"uninstalls the app.*\[y/N\]"), term.text
        term.type("n")
        assert term.read_until(rb"Nothing was revoked"), term.text
        assert term.proc.wait(20) == 1
    finally:
        term.close()
    assert cli("whoami").returncode == 0  # still logged in
    term = Terminal(cli.env, "logout", "--revoke", timeout=30)
    try:
        assert term.read_until(rb"\[y/N\]"), term.text
        term.type("y")
        assert term.read_until(rb"revoked its refresh token"), term.text
        assert term.proc.wait(20) == 0
    finally:
        term.close()


def test_logout_succeeds_on_a_corrupt_keyring_entry(cli: CLI) -> None:
    import json

    from tests.support.harness import entry_key, keyring_file

    assert cli("login").returncode == 0
    path = keyring_file(cli.env)
    entries = json.loads(path.read_text())
    key = entry_key(cli.env)
    entries[key] = "{not json"
    path.write_text(json.dumps(entries))
    broken = cli("whoami")
    assert broken.returncode != 0 and "`pdauth logout` and `pdauth login`" in only_line(broken)
    r = cli("logout")
    assert r.returncode == 0, r.stderr
    assert key not in json.loads(path.read_text())
    assert cli("login").returncode == 0


def test_a_second_login_is_told_another_login_holds_the_port(cli: CLI, tmp_path: object) -> None:
    import subprocess
    import sys

    first = subprocess.Popen(
        [sys.executable, "-m", "pdauth", "login", "--timeout", "30"],
        env={**cli.env, "BROWSER": "/bin/true"},  # "opens" and never comes back: the login waits
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert first.stderr is not None
        for line in first.stderr:
            if "Opened your browser" in line:
                break
        second = cli("login", "--timeout", "5")
        assert second.returncode == 1
        assert "Another `pdauth login` is waiting on port" in only_line(second)
    finally:
        first.kill()
        first.wait()
    # Something else on the port keeps the generic message.
    import socket

    port = int(cli.env["PDAUTH_REDIRECT_URI"].split(":")[2].split("/")[0])
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # the first login's probe: TIME_WAIT
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        other = cli("login", "--timeout", "5")
    assert other.returncode == 1 and "is in use" in only_line(other)


@pytest.mark.parametrize(
    ("words", "cword", "expected"),
    [("pdauth switch w", "2", ["wonder", "work"]), ("pdauth whoami -p ", "3", ["default", "wonder", "work"])],
)
def test_switch_and_p_complete_profile_names(cli: CLI, words: str, cword: str, expected: list[str]) -> None:
    import json
    from pathlib import Path

    config = Path(cli.env["PDAUTH_CONFIG_DIR"])
    config.mkdir(mode=0o700, parents=True, exist_ok=True)
    (config / "config.json").write_text(json.dumps({"profiles": {"work": {}, "wonder": {}, "default": {}}}))
    (config / "config.json").chmod(0o600)
    r = cli(_PDAUTH_COMPLETE="complete_bash", COMP_WORDS=words, COMP_CWORD=cword)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == expected


def test_hints_carry_the_profile_when_it_is_not_the_default(cli: CLI) -> None:
    r = cli("-p", "work", "whoami")
    assert r.returncode == 4 and "`pdauth login -p work`" in only_line(r)
    r = cli("whoami")
    assert r.returncode == 4 and "`pdauth login`" in only_line(r) and "-p default" not in r.stderr
    assert cli("-p", "work", "login").returncode == 0
    expire_stored(cli.env, "work", noted=True)
    r = cli("-p", "work", "refresh", PIPEDRIVE_CLIENT_SECRET="a-wrong-secret-value")
    assert r.returncode == 4 and "PIPEDRIVE_CLIENT_SECRET" in only_line(r)
