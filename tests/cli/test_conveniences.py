"""The conveniences, through the real CLI: NO_COLOR, -v (debug logs with secrets redacted), -q, completion."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.conftest import CLI, CLIENT_SECRET
from tests.support.entries import token_entry

COLOUR = re.compile(r"\x1b\[[\d;]*(3[0-8]|9[0-7])[;m]")  # an SGR foreground colour


def stored(tmp_path: Path) -> dict[str, str]:
    key = f"pdauth/{token_entry(tmp_path / 'config')}"
    return dict(json.loads(json.loads((tmp_path / "keyring.json").read_text())[key]))


def test_no_color_is_respected(cli: CLI) -> None:
    # FORCE_COLOR makes rich colour a pipe as it would a terminal; NO_COLOR must still win.
    coloured = cli("switch", "nope", FORCE_COLOR="1", NO_COLOR="")
    assert COLOUR.search(coloured.stderr), coloured.stderr  # the test can fail: colour is really there
    plain = cli("switch", "nope", FORCE_COLOR="1", NO_COLOR="1")
    assert plain.returncode == 2 and "error:" in plain.stderr and not COLOUR.search(plain.stderr)
    table = cli("doctor", FORCE_COLOR="1", NO_COLOR="1")
    assert "✓" in table.stdout and not COLOUR.search(table.stdout + table.stderr)


def test_verbose_logs_debug_lines_without_secrets(cli: CLI, tmp_path: Path) -> None:
    login = cli("-v", "login")
    assert login.returncode == 0, login.stderr
    refresh = cli("-v", "refresh")
    whoami = cli("-v", "whoami")
    assert refresh.returncode == 0 and whoami.returncode == 0
    logs = login.stderr + refresh.stderr + whoami.stderr
    assert "DEBUG" in logs and "/oauth/token" in logs  # requests/urllib3 lines are there...
    tokens = stored(tmp_path)
    for secret in (tokens["access_token"], tokens["refresh_token"], CLIENT_SECRET):
        assert secret not in logs  # ...with every secret taken out
    assert not re.search(r"(?i)bearer (?!\[REDACTED\])\S{8,}", logs)


def test_quiet_keeps_errors_only(cli: CLI) -> None:
    login = cli("-q", "login")
    # Only the scripted browser's own line ("fake browser: …") may remain on the shared stderr.
    ours = [line for line in login.stderr.splitlines() if not line.startswith("fake browser:")]
    assert login.returncode == 0 and ours == [], login.stderr
    refresh = cli("-q", "refresh")
    assert (refresh.returncode, refresh.stderr) == (0, "")
    failing = cli("-q", "token", "-p", "nobody")
    assert failing.returncode == 4 and "error:" in failing.stderr
    assert "pdauth login -p nobody" in failing.stderr
    # A headless login keeps what it cannot work without, -q or not: see test_remote_login.


def test_shell_completion_knows_the_commands(cli: CLI) -> None:
    r = cli(_PDAUTH_COMPLETE="complete_bash", COMP_WORDS="pdauth doc", COMP_CWORD="1")
    assert r.returncode == 0 and r.stdout.split() == ["doctor"]
