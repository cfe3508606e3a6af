"""Fixtures of the library tests: a stored login made by pdauth's login flow, used by Sessions here.

A Session reads its environment as a user's script does (os.environ): `logged_in` logs in to the emulator
and puts the CLI fixture's environment (config dir, OAuth URL, the test keyring through
PYTHON_KEYRING_BACKEND) into os.environ for the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import CLI
from tests.library.support import PASSED_ON, Clock, Recorder


def log_in() -> None:
    """A login to the emulator by pdauth's login flow, in this process, on os.environ as it is."""
    import os

    from pdauth.core.context import Context, Deps
    from pdauth.login import flow
    from tests.call.support import browser
    from tests.support.fakes import QuietLoginUI

    flow.login(Context(Deps(env=dict(os.environ), open_browser=browser)), QuietLoginUI(), timeout=20)


@pytest.fixture
def cli_env(cli: CLI, monkeypatch: pytest.MonkeyPatch) -> CLI:
    """os.environ is the CLI fixture's (config dir, OAuth URL, the test keyring), not yet logged in."""
    for name, value in cli.env.items():
        if name.startswith(PASSED_ON):
            monkeypatch.setenv(name, value)
    return cli


@pytest.fixture
def logged_in(cli_env: CLI, emulator: Any) -> CLI:
    """A login done into the store the CLI fixture uses (in this process: a CLI login costs seconds a
    test); os.environ is the CLI's; the emulator's stats count only what follows."""
    log_in()
    emulator.reset_stats()
    return cli_env


@pytest.fixture
def clock(emulator: Any) -> Clock:
    return Clock(emulator)


@pytest.fixture
def session(logged_in: CLI) -> Iterator[Any]:
    import pdauth

    with pdauth.Session() as s:
        yield s


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    r = Recorder()
    yield r
    r.close()
