"""Choosing how to open a browser on this machine, and what to tell a user who is not sitting at it.

Order: BROWSER (the user's explicit choice) always wins; over SSH a browser here would open on the wrong
machine, or launch a console browser into the very terminal running pdauth; under WSL the Windows browser
is reached through `wslview` or `powershell.exe Start-Process`; Linux with no DISPLAY/WAYLAND_DISPLAY has
nothing to show a window on; otherwise Python's `webbrowser`. Every fact (env, platform, `which`,
/proc files, hostname, how a helper is launched) comes in through `Machine`, so tests inject them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

log = logging.getLogger(__name__)

SSH_VARS: Final = ("SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY")
WSL_FILES: Final = ("/proc/sys/kernel/osrelease", "/proc/version")
# How long a helper (wslview, powershell.exe) may take to hand the URL over before we call it failed.
HELPER_TIMEOUT: Final = 15.0


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read(4096)
    except OSError:
        return ""


# The login's listener is on this machine: a browser that honours HTTP_PROXY (text browsers, curl-based
# scripts, a BROWSER helper) must not send its callback to a company proxy, which cannot reach it.
LOOPBACK_NAMES: Final = ("127.0.0.1", "localhost", "::1")


def loopback_unproxied(environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` with the loopback names added to NO_PROXY and no_proxy, when any proxy is set."""
    env = dict(environ)
    if not any(env.get(f"{n}_proxy") or env.get(f"{n.upper()}_PROXY") for n in ("http", "https", "all")):
        return env
    for name in ("no_proxy", "NO_PROXY"):
        entries = [e.strip() for e in (env.get(name) or "").split(",") if e.strip()]
        env[name] = ",".join([*entries, *(n for n in LOOPBACK_NAMES if n not in entries)])
    return env


@contextlib.contextmanager
def _loopback_unproxied_environ() -> Iterator[None]:
    """webbrowser starts its child processes with os.environ: extend it while one is started."""
    saved = {name: os.environ.get(name) for name in ("no_proxy", "NO_PROXY")}
    os.environ.update({k: v for k, v in loopback_unproxied(os.environ).items() if k in saved})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _launch(argv: Sequence[str]) -> bool:
    try:
        done = subprocess.run(
            list(argv),
            env=loopback_unproxied(os.environ),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=HELPER_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _webbrowser_open(url: str) -> bool:
    import webbrowser

    with _loopback_unproxied_environ():
        return webbrowser.open(url)


@dataclass(frozen=True)
class Machine:
    """The platform facts the choice depends on; the defaults are this machine's."""

    platform: str = sys.platform
    which: Callable[[str], str | None] = shutil.which
    read_text: Callable[[str], str] = _read_text
    hostname: Callable[[], str] = socket.gethostname
    launch: Callable[[Sequence[str]], bool] = _launch
    webbrowser_open: Callable[[str], bool] = field(default=_webbrowser_open)

    def is_wsl(self) -> bool:
        if not self.platform.startswith("linux"):
            return False
        return any("microsoft" in self.read_text(path).lower() for path in WSL_FILES)


@dataclass(frozen=True)
class BrowserChoice:
    how: str  # "BROWSER", "wslview", "powershell.exe", "webbrowser", or "none"
    reason: str  # one line for `doctor` and the debug log
    command: tuple[str, ...] = ()  # the helper to run with the URL appended (wslview, powershell.exe)

    @property
    def can_open(self) -> bool:
        return self.how != "none"


def ssh_session(env: Mapping[str, str]) -> bool:
    return any(env.get(name) for name in SSH_VARS)


def has_display(env: Mapping[str, str], machine: Machine) -> bool:
    # Only X11/Wayland systems need a display variable; macOS and Windows always have their desktop.
    if not machine.platform.startswith(("linux", "freebsd", "openbsd", "netbsd", "sunos")):
        return True
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


def choose(env: Mapping[str, str], machine: Machine) -> BrowserChoice:
    browser = env.get("BROWSER", "").strip()
    if browser:
        return BrowserChoice("BROWSER", f"BROWSER is set ({browser})")
    if ssh_session(env):
        return BrowserChoice("none", "SSH session: a browser here would not open in front of you")
    if machine.is_wsl():
        wslview = machine.which("wslview")
        if wslview:
            return BrowserChoice("wslview", "WSL: the Windows browser, through wslview", (wslview,))
        powershell = machine.which("powershell.exe")
        if powershell:
            return BrowserChoice(
                "powershell.exe",
                "WSL: the Windows browser, through powershell.exe",
                (powershell, "-NoProfile", "-NonInteractive", "-Command"),
            )
        return BrowserChoice("none", "WSL without wslview or powershell.exe on PATH")
    if not has_display(env, machine):
        return BrowserChoice("none", "no display (neither DISPLAY nor WAYLAND_DISPLAY is set)")
    return BrowserChoice("webbrowser", f"the system's default browser ({machine.platform})")


def opener(choice: BrowserChoice, machine: Machine) -> Callable[[str], bool] | None:
    """A function that opens a URL as chosen (True if something opened it), or None: print the URL only."""
    if choice.how in ("BROWSER", "webbrowser"):
        return machine.webbrowser_open  # webbrowser itself honours BROWSER
    if choice.how == "wslview":
        return lambda url: machine.launch([*choice.command, url])
    if choice.how == "powershell.exe":
        # One PowerShell string literal: inside single quotes only a single quote needs doubling.
        return lambda url: machine.launch([*choice.command, "Start-Process '" + url.replace("'", "''") + "'"])
    return None


def system_opener(env: Mapping[str, str], machine: Machine) -> Callable[[str], bool] | None:
    choice = choose(env, machine)
    log.debug("browser: %s (%s)", choice.how, choice.reason)
    return opener(choice, machine)


def ssh_tunnel_command(env: Mapping[str, str], machine: Machine, bind_host: str, port: int) -> str | None:
    """Over SSH, the command to run on the user's own machine so the browser's redirect reaches us."""
    if not ssh_session(env):
        return None
    # SSH_CONNECTION = "client_ip client_port server_ip server_port": the address the user reached us at.
    parts = env.get("SSH_CONNECTION", "").split()
    host = parts[2] if len(parts) == 4 else ""
    ssh_port = parts[3] if len(parts) == 4 else "22"
    if not host:
        try:
            host = machine.hostname()
        except OSError:
            host = "THIS-HOST"
    user = env.get("USER") or env.get("LOGNAME")
    target = f"{user}@{host}" if user else host
    forward_host = f"[{bind_host}]" if ":" in bind_host else bind_host
    port_flag = f" -p {ssh_port}" if ssh_port != "22" else ""
    return f"ssh -L {port}:{forward_host}:{port}{port_flag} {target}"
