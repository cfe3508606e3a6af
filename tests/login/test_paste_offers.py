"""The paste prompt where a person needs it: a pasted authorize address is told apart from the one to
paste back, and a browser that "opened" but shows nothing (DISPLAY set, no usable browser) still leads
to the paste prompt on a terminal."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from pdauth.login import flow as flows
from pdauth.login.paste import AUTHORIZE_ADDRESS
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

pytestmark = pytest.mark.timeout(90)
SSH = {"SSH_CONNECTION": "10.1.2.3 51234 10.9.8.7 22", "USER": "dev"}


def test_a_pasted_authorize_address_is_told_apart(
    emulator: Any, redirect_uri: str, isolated_env: Path
) -> None:
    env = emulator_env(emulator, redirect_uri, isolated_env)
    typist, ui = Typist(), RecordingUI()
    ctx = context({**env, **SSH}, paste_input=typist, machine=machine())
    thread, box = run_in_thread(lambda: flows.login(ctx, ui, timeout=20))
    assert ui.url_shown.wait(10)
    typist.type(ui.url)  # the address it was asked to open, pasted back
    typist.type(callback_url_for(ui.url))
    thread.join(15)
    assert "error" not in box, box.get("error")
    assert ui.of("rejected") == [AUTHORIZE_ADDRESS]
    assert "not the one to paste back" in AUTHORIZE_ADDRESS


def test_a_browser_that_shows_nothing_still_gets_the_paste_prompt(cli: CLI) -> None:
    # DISPLAY is set and the "browser" starts fine, but nothing ever shows the page.
    env = {**cli.env, "DISPLAY": ":99", "BROWSER": "/bin/true"}
    term = Terminal(env, "login", "--timeout", "40", timeout=60)
    try:
        opened = term.read_until(rb"(http://\S+/oauth/authorize\?\S+)")
        assert opened, term.text
        url = opened.group(1).decode()
        assert term.read_until(rb"Paste the address"), term.text
        term.type(callback_url_for(url))
        assert term.read_until(rb"Logged in to"), term.text
        assert term.proc.wait(20) == 0
    finally:
        term.close()
    assert re.search(r"Opened your browser", term.text)
