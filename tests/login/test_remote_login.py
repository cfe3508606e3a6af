"""Logging in from elsewhere: SSH, no display, WSL, --no-browser, and a pasted address racing the listener.

The emulator auto-approves, so "the browser" is a plain HTTP request: following the authorize URL lands on
the listener; fetching it without following redirects yields what the address bar would show.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from pdauth.errors import AuthorizationDenied, CallbackTimeout
from pdauth.login import browser
from pdauth.login import flow as flows
from pdauth.login.paste import NOT_AN_ADDRESS, pasted_query
from tests.conftest import CLI
from tests.support.remote import (
    RecordingUI,
    Terminal,
    Typist,
    callback_url_for,
    context,
    emulator_env,
    machine,
    run_in_thread,
)

SSH = {"SSH_CONNECTION": "10.1.2.3 51234 10.9.8.7 22", "USER": "dev"}
URL = "http://127.0.0.1:9/oauth/authorize?client_id=c&state=s"


@pytest.fixture
def env(emulator: Any, redirect_uri: str, isolated_env: Path) -> dict[str, str]:
    return emulator_env(emulator, redirect_uri, isolated_env)


def port_of(uri: str) -> int:
    return int(uri.rsplit(":", 1)[1].split("/")[0])


# -- the pasted address, racing the listener ----------------------------------------------------------


def start_remote_login(env: dict[str, str], **deps: Any) -> tuple[RecordingUI, Any, dict[str, Any]]:
    ui = RecordingUI()
    deps.setdefault("machine", machine())
    ctx = context({**env, **SSH}, **deps)
    thread, box = run_in_thread(lambda: flows.login(ctx, ui, timeout=20))
    assert ui.url_shown.wait(10)
    return ui, thread, box


def test_garbage_then_wrong_state_then_the_right_address(env: dict[str, str]) -> None:
    typist, opened, launched = Typist(), [], []  # type: ignore[var-annotated]
    fake = machine(opened=opened, launched=launched)
    ui, thread, box = start_remote_login(env, paste_input=typist, machine=fake)
    address = callback_url_for(ui.url)
    typist.type("hello, is this thing on?")
    typist.type(address.replace(ui.state(), "x" * 43))
    typist.type(f'  "{address}"  ')
    thread.join(15)
    assert "error" not in box, box.get("error")
    assert box["result"].identity.company_id == 123
    rejected = ui.of("rejected")
    assert rejected[0] == NOT_AN_ADDRESS and "does not belong" in rejected[1] and len(rejected) == 2
    assert len(ui.of("prompt")) == 3  # asked again after each rejection
    assert opened == [] and launched == []  # over SSH nothing was opened on this machine
    assert ("waiting", None) not in ui.calls  # no spinner over the prompt
    assert box["elapsed"] < 5  # no lingering for a completion page that no browser will ask for


def test_pasted_error_address_ends_the_login_as_denied(env: dict[str, str], redirect_uri: str) -> None:
    typist = Typist()
    ui, thread, box = start_remote_login(env, paste_input=typist)
    typist.type(f"{redirect_uri}?error=user_denied&state={ui.state()}")
    thread.join(15)
    assert isinstance(box.get("error"), AuthorizationDenied)


def test_pasted_error_with_a_foreign_state_is_refused(env: dict[str, str], redirect_uri: str) -> None:
    typist = Typist()
    ui, thread, box = start_remote_login(env, paste_input=typist)
    typist.type(f"{redirect_uri}?error=user_denied&state=someone-elses")
    typist.type(callback_url_for(ui.url))
    thread.join(15)
    assert "error" not in box, box.get("error")
    assert "does not belong" in ui.of("rejected")[0]


def test_the_listener_wins_while_the_paste_prompt_waits(env: dict[str, str]) -> None:
    typist = Typist()  # nobody ever types
    ui, thread, box = start_remote_login(env, paste_input=typist)
    requests.get(ui.url, timeout=20)  # the redirect reaches the listener (as through an ssh -L tunnel)
    thread.join(15)
    assert "error" not in box, box.get("error")
    assert typist.reads == 1 and ui.of("rejected") == []


def test_end_of_input_leaves_the_listener_waiting(env: dict[str, str]) -> None:
    typist = Typist()
    typist.close()
    ui, thread, box = start_remote_login(env, paste_input=typist)
    time.sleep(0.1)  # the reader sees end of input and stops; the login must not end with it
    assert thread.is_alive()
    requests.get(ui.url, timeout=20)
    thread.join(15)
    assert "error" not in box, box.get("error")


def test_not_interactive_means_no_prompt(env: dict[str, str]) -> None:
    ui, thread, box = start_remote_login(env, paste_input=None)
    requests.get(ui.url, timeout=20)
    thread.join(15)
    assert "error" not in box, box.get("error")
    assert ui.of("prompt") == [] and ("waiting", None) in ui.calls


def test_a_local_browser_gets_no_paste_prompt(env: dict[str, str]) -> None:
    typist, ui = Typist(), RecordingUI()

    def real_browser(url: str) -> bool:
        requests.get(url, timeout=20)
        return True

    ctx = context({**env, "DISPLAY": ":0"}, machine=machine(browse=real_browser), paste_input=typist)
    flows.login(ctx, ui, timeout=20)
    assert ui.opened is True and ui.of("prompt") == [] and typist.reads == 0


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("http://127.0.0.1:8976/callback?code=1.2.ab&state=s\n", "code=1.2.ab&state=s"),
        ("  <http://127.0.0.1:8976/callback?code=c&state=s#frag>  ", "code=c&state=s"),
        ("code=c&state=s", "code=c&state=s"),
        ("http://127.0.0.1:8976/pdauth/complete", None),
        ("hello", None),
        ("a=b c=d", None),
        ("", None),
    ],
)
def test_pasted_query(text: str, query: str | None) -> None:
    assert pasted_query(text) == query


# -- what login shows and opens, by situation ---------------------------------------------------------


@pytest.mark.parametrize(
    ("situation", "extra_env", "fake", "opened", "tunnel", "launches"),
    [
        ("ssh", SSH, {}, False, True, False),
        ("ssh over tty only", {"SSH_TTY": "/dev/pts/3", "USER": "dev"}, {}, False, True, False),
        ("ssh with BROWSER", {**SSH, "BROWSER": "my-forwarder"}, {}, True, True, False),
        ("no display", {}, {}, False, False, False),
        ("X11", {"DISPLAY": ":0"}, {}, True, False, False),
        ("Wayland", {"WAYLAND_DISPLAY": "wayland-0"}, {}, True, False, False),
        ("macOS", {}, {"platform": "darwin"}, True, False, False),
        ("WSL with wslview", {}, {"wsl": True, "on_path": ["wslview", "powershell.exe"]}, True, False, True),
        ("WSL with powershell", {}, {"wsl": True, "on_path": ["powershell.exe"]}, True, False, True),
        ("WSL with neither", {}, {"wsl": True}, False, False, False),
    ],
)
def test_each_situation_shows_and_opens_the_right_thing(
    env: dict[str, str],
    redirect_uri: str,
    situation: str,
    extra_env: dict[str, str],
    fake: dict[str, Any],
    opened: bool,
    tunnel: bool,
    launches: bool,
) -> None:
    ui, browsed, launched = RecordingUI(), [], []  # type: ignore[var-annotated]
    ctx = context({**env, **extra_env}, machine=machine(opened=browsed, launched=launched, **fake))
    with pytest.raises(CallbackTimeout):
        flows.login(ctx, ui, timeout=0.3)
    assert ui.opened is opened
    port = port_of(redirect_uri)
    host = "dev@10.9.8.7" if "SSH_CONNECTION" in extra_env else "dev@devbox"
    expected = [("tunnel", f"ssh -L {port}:127.0.0.1:{port} {host}")] if tunnel else []
    assert [c for c in ui.calls if c[0] == "tunnel"] == expected
    if tunnel:
        assert ui.calls.index(expected[0]) < ui.calls.index(("url", opened))  # the tunnel comes first
    # A browser (or helper) is given the one-time start address; the terminal shows the authorize URL.
    start = f"http://127.0.0.1:{port}/pdauth/start/"
    assert (len(launched) == 1 and start in launched[0][-1]) is launches
    assert (len(browsed) == 1 and browsed[0].startswith(start)) is (opened and not launches)
    assert "/oauth/authorize?" in ui.url and "state=" in ui.url


def test_no_browser_option_opens_nothing(env: dict[str, str]) -> None:
    ui, browsed = RecordingUI(), []  # type: ignore[var-annotated]
    ctx = context({**env, "DISPLAY": ":0"}, machine=machine(opened=browsed))
    with pytest.raises(CallbackTimeout):
        flows.login(ctx, ui, timeout=0.3, open_browser=False)
    assert browsed == [] and ui.opened is False


def test_wsl_openers_get_the_url_intact(env: dict[str, str]) -> None:
    launched: list[list[str]] = []

    def windows_browser(argv: Any) -> bool:  # wslview hands the URL to the Windows browser
        launched.append(list(argv))
        requests.get(argv[-1], timeout=20)
        return True

    ui = RecordingUI()
    ctx = context(env, machine=machine(wsl=True, on_path=["wslview"], launch=windows_browser))
    flows.login(ctx, ui, timeout=20)
    ((helper, url),) = launched
    assert helper == "/fake/bin/wslview" and url.startswith("http://127.0.0.1:") and "/pdauth/start/" in url

    ps = browser.choose({}, machine(wsl=True, on_path=["powershell.exe"]))
    recorded: list[list[str]] = []

    def record(argv: Any) -> bool:
        recorded.append(list(argv))
        return True

    opener = browser.opener(ps, machine(launch=record))
    assert opener is not None and opener("http://x/?a=1&b='2'")
    assert recorded == [
        [
            "/fake/bin/powershell.exe",
            "-NoProfile",
            "-NonInteractive",
            "-Command",
            "Start-Process 'http://x/?a=1&b=''2'''",
        ]
    ]


def test_wslview_is_really_launched(tmp_path: Path) -> None:
    """The default launcher runs the helper found on PATH with the URL as its one argument."""
    record = tmp_path / "args"
    helper = tmp_path / "wslview"
    helper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {record}\n')
    helper.chmod(0o755)
    real = browser.Machine(
        platform="linux",
        read_text=lambda p: "Linux 5.15 (Microsoft@Microsoft.com)",
        which=lambda name: shutil.which(name, path=str(tmp_path)),
    )
    choice = browser.choose({}, real)
    assert choice.how == "wslview"
    opener = browser.opener(choice, real)
    assert opener is not None and opener(URL) is True
    assert record.read_text() == URL + "\n"


@pytest.mark.parametrize(
    ("env", "bind_host", "expected"),
    [
        (SSH, "127.0.0.1", "ssh -L 8976:127.0.0.1:8976 dev@10.9.8.7"),
        (
            {**SSH, "SSH_CONNECTION": "10.1.2.3 51234 10.9.8.7 2222"},
            "127.0.0.1",
            "ssh -L 8976:127.0.0.1:8976 -p 2222 dev@10.9.8.7",
        ),
        ({"SSH_TTY": "/dev/pts/1", "LOGNAME": "ann"}, "127.0.0.1", "ssh -L 8976:127.0.0.1:8976 ann@devbox"),
        ({"SSH_CLIENT": "10.1.2.3 51234 22"}, "::1", "ssh -L 8976:[::1]:8976 devbox"),
        ({"DISPLAY": ":0", "USER": "dev"}, "127.0.0.1", None),
    ],
)
def test_ssh_tunnel_command(env: dict[str, str], bind_host: str, expected: str | None) -> None:
    assert browser.ssh_tunnel_command(env, machine(), bind_host, 8976) == expected


def test_wsl_is_detected_from_proc_version_too() -> None:
    facts = browser.Machine(
        platform="linux", read_text=lambda p: "Linux 4.4.0-19041-Microsoft" if "version" in p else ""
    )
    assert facts.is_wsl()
    assert not browser.Machine(platform="darwin", read_text=lambda p: "microsoft").is_wsl()


# -- the real CLI -------------------------------------------------------------------------------------


def test_cli_no_browser_over_ssh_prints_url_and_tunnel(cli: CLI, redirect_uri: str) -> None:
    # BROWSER (the scripted browser) stays unused; and --quiet keeps what a remote login cannot do without.
    r = cli("-q", "login", "--no-browser", "--timeout", "1", SSH_CONNECTION=SSH["SSH_CONNECTION"], USER="dev")
    port = port_of(redirect_uri)
    assert r.returncode == 1 and "within 1 seconds" in r.stderr
    assert "Open this URL in a browser" in r.stderr and "/oauth/authorize?" in r.stderr
    assert f"ssh -L {port}:127.0.0.1:{port} dev@10.9.8.7" in r.stderr
    assert "Paste" not in r.stderr  # stdin is not a terminal: the listener only


def test_cli_over_ssh_completes_through_the_listener(cli: CLI, redirect_uri: str) -> None:
    env = {k: v for k, v in cli.env.items() if k != "BROWSER"} | SSH
    proc = subprocess.Popen(
        [sys.executable, "-m", "pdauth", "login", "--timeout", "20"],
        env=env,
        text=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    lines = []
    assert proc.stderr is not None
    for line in proc.stderr:
        lines.append(line)
        if "/oauth/authorize?" in line:
            requests.get(line.strip(), timeout=20)  # the user's browser, through the tunnel
            break
    rest = proc.communicate(timeout=20)[1]
    text = "".join(lines) + rest
    assert proc.returncode == 0, text
    assert "ssh -L" in text and "Logged in to" in text


@pytest.mark.parametrize("winner", ["paste", "listener"])
def test_cli_in_a_real_terminal(cli: CLI, winner: str) -> None:
    """The whole path with a pty as stdin and stderr, as a person over SSH has it. When the listener wins,
    the paste reader is still blocked reading the terminal: pdauth must still exit promptly and cleanly."""
    term = Terminal({k: v for k, v in cli.env.items() if k != "BROWSER"} | SSH, "login", "--timeout", "20")
    try:
        url = term.read_until(rb"(http://\S+/oauth/authorize\?\S+)")
        assert url is not None, term.text
        assert term.read_until(rb"Paste the address your browser shows")
        term.type("not an address")
        assert term.read_until(rb"Not accepted")
        if winner == "paste":
            term.type(callback_url_for(url.group(1).decode()))
        else:
            requests.get(url.group(1).decode(), timeout=20)  # through the tunnel
        assert term.read_until(rb"Logged in to"), term.text
        assert term.proc.wait(10) == 0
    finally:
        term.close()
