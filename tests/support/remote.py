"""Helpers for the remote-login, keyring-trouble and doctor tests: contexts against the emulator, a recording
login UI, a typist standing in for stdin, and fake machines."""

from __future__ import annotations

import queue
import re
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from pdauth.core.context import Context, Deps
from pdauth.login.browser import Machine
from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.support.keyrings import MemoryKeyring

WSL_OSRELEASE = "5.15.153.1-microsoft-standard-WSL2"


def emulator_env(emulator: Any, redirect_uri: str, config_dir: Path, **extra: str) -> dict[str, str]:
    return {
        "PDAUTH_CONFIG_DIR": str(config_dir),
        "PDAUTH_OAUTH_URL": emulator.base_url,
        "PDAUTH_REDIRECT_URI": redirect_uri,
        "PIPEDRIVE_CLIENT_ID": CLIENT_ID,
        "PIPEDRIVE_CLIENT_SECRET": CLIENT_SECRET,
        **extra,
    }


def context(env: dict[str, str], keyring: Any = None, **deps: Any) -> Context:
    return Context(Deps(env=env, keyring_backend=MemoryKeyring() if keyring is None else keyring, **deps))


class RecordingUI:
    """A LoginUI that records every call, in order, and lets a test wait for the URL."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.url_shown = threading.Event()
        self.url = ""
        self.opened: bool | None = None

    def show_url(self, url: str, browser_opened: bool) -> None:
        self.url, self.opened = url, browser_opened
        self.calls.append(("url", browser_opened))
        self.url_shown.set()

    def waiting(self) -> Any:
        import contextlib

        self.calls.append(("waiting", None))
        return contextlib.nullcontext()

    def show_ssh_tunnel(self, command: str) -> None:
        self.calls.append(("tunnel", command))

    def prompt_paste(self) -> None:
        self.calls.append(("prompt", None))

    def paste_rejected(self, message: str) -> None:
        self.calls.append(("rejected", message))

    def of(self, kind: str) -> list[Any]:
        return [value for k, value in self.calls if k == kind]

    def state(self) -> str:
        return parse_qs(urlsplit(self.url).query)["state"][0]


class Typist:
    """Stands in for stdin: readline blocks until the test types a line (or closes: end of input)."""

    def __init__(self) -> None:
        self._lines: queue.Queue[str] = queue.Queue()
        self.reads = 0

    def type(self, line: str) -> None:
        self._lines.put(line + "\n")

    def close(self) -> None:
        self._lines.put("")

    def readline(self, size: int = -1, /) -> str:
        self.reads += 1
        return self._lines.get()


def machine(
    platform: str = "linux",
    *,
    wsl: bool = False,
    on_path: Sequence[str] = (),
    launched: list[list[str]] | None = None,
    opened: list[str] | None = None,
    launch: Callable[[Sequence[str]], bool] | None = None,
    browse: Callable[[str], bool] | None = None,
) -> Machine:
    """A fake machine: WSL or not, these helpers on PATH, and recorders instead of launching anything."""
    launched = launched if launched is not None else []
    opened = opened if opened is not None else []

    def record_launch(argv: Sequence[str]) -> bool:
        launched.append(list(argv))
        return True

    def record_open(url: str) -> bool:
        opened.append(url)
        return True

    return Machine(
        platform=platform,
        which=lambda name: f"/fake/bin/{name}" if name in on_path else None,
        read_text=lambda path: WSL_OSRELEASE if wsl and path.endswith("osrelease") else "",
        hostname=lambda: "devbox",
        launch=launch or record_launch,
        webbrowser_open=browse or record_open,
    )


def callback_url_for(authorize_url: str) -> str:
    """What the browser's address bar shows after approving: the emulator's redirect, not followed."""
    response = requests.get(authorize_url, allow_redirects=False, timeout=10)
    assert response.status_code in (302, 303), response.text
    return str(response.headers["Location"])


def run_in_thread(fn: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    box: dict[str, Any] = {}

    def target() -> None:
        started = time.monotonic()
        try:
            box["result"] = fn()
        except BaseException as exc:
            box["error"] = exc
        box["elapsed"] = time.monotonic() - started

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, box


def _take_controlling_tty() -> None:
    import fcntl
    import termios

    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    """The real `pdauth` with a pty as stdin and stderr (stdout stays a pipe), as a person at a terminal."""

    def __init__(self, env: dict[str, str], *args: str, timeout: float = 20) -> None:
        import os
        import pty
        import subprocess
        import sys

        self._master, slave = pty.openpty()
        # Its own session with the pty as controlling terminal: getpass talks to /dev/tty, which must be
        # this pty and not whatever terminal runs the tests.
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pdauth", *args],
            env=env,
            stdin=slave,
            stdout=subprocess.PIPE,
            stderr=slave,
            start_new_session=True,
            preexec_fn=_take_controlling_tty,
        )
        os.close(slave)
        self.seen = bytearray()
        self._deadline = time.monotonic() + timeout

    def read_until(self, pattern: bytes) -> re.Match[bytes] | None:
        import os
        import select

        while (match := re.search(pattern, self.seen)) is None and time.monotonic() < self._deadline:
            if select.select([self._master], [], [], 0.2)[0]:
                try:
                    self.seen.extend(os.read(self._master, 4096))
                except OSError:  # the child is gone
                    return None
        return match

    def type(self, text: str) -> None:
        import os

        os.write(self._master, text.encode() + b"\n")

    @property
    def text(self) -> str:
        return self.seen.decode(errors="replace")

    def close(self) -> None:
        import os

        self.proc.kill()
        self.proc.wait()
        os.close(self._master)
