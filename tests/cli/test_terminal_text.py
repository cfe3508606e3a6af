"""What reaches a terminal, a debug log or $GITHUB_ENV from a server: the one sanitiser (terminal_safe),
inert JSON, and GitHub's delimited form. End to end: tests/e2e/test_hostile_server.py."""

from __future__ import annotations

import json
import logging

from pdauth.cli.commands.auth import github_env_entry
from pdauth.cli.ui import terminal_json
from pdauth.core.redact import RedactingFilter
from pdauth.errors import terminal_safe
from tests.support.hostile import CONTROL, parse_github_env

# -- the terminal -------------------------------------------------------------------------------------

HOSTILE = "a\x1b]0;t\x07\x1b[2J\r\n\t\x7f\x9b\u202e\u2066\u200b\u2028b"


def test_terminal_safe_replaces_everything_a_terminal_acts_on() -> None:
    cleaned = terminal_safe(HOSTILE)
    assert not CONTROL.search(cleaned) and "\u200b" not in cleaned and "\u2028" not in cleaned
    assert cleaned == "a?]0;t??[2J" + "?" * 9 + "b"
    assert terminal_safe("Zoë Ünal, 東京 — ok") == "Zoë Ünal, 東京 — ok"  # ordinary text is untouched
    assert terminal_safe("two\nlines\tx", keep="\n\t") == "two\nlines\tx"


def test_terminal_json_is_the_same_value_with_nothing_raw() -> None:
    data = {"name": HOSTILE, "emoji": "😀", "nested": [HOSTILE, 1, None]}
    text = terminal_json(data)
    assert json.loads(text) == data
    assert not CONTROL.search(text.replace("\n", "")) and "😀" in text


def test_debug_log_records_lose_their_escapes() -> None:
    record = logging.LogRecord("x", logging.DEBUG, __file__, 1, "server said %s", (HOSTILE,), None)
    RedactingFilter().filter(record)
    assert not CONTROL.search(record.getMessage())


# -- $GITHUB_ENV --------------------------------------------------------------------------------------


def test_a_value_with_newlines_stays_one_variable_in_github_env() -> None:
    value = "tok\nBASH_ENV=/tmp/pwned\nNODE_OPTIONS<<EOF\n--require=/tmp/pwned\nEOF"
    entry = github_env_entry("PIPEDRIVE_ACCESS_TOKEN", value)
    assert parse_github_env("EARLIER=1\n" + entry) == {"EARLIER": "1", "PIPEDRIVE_ACCESS_TOKEN": value}
    assert github_env_entry("X", "v") != github_env_entry("X", "v")  # a fresh random delimiter each time
