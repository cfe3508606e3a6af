"""A throwaway second OS user for attack tests: another local account on the same machine.

Creating users needs root (CI runs as root); elsewhere the tests that need one skip with that reason.
The user's processes run the system's /usr/bin/python3, not the project's virtualenv (which may live
where only its owner can read), so what they run is standard library only.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.realtools import unavailable

SYSTEM_PYTHON = "/usr/bin/python3"


# useradd's exit codes when another useradd holds /etc/passwd or /etc/group (xdist workers run at once).
_LOCKED = (1, 10)


def require_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to create a second OS user (useradd)")
    for tool in ("useradd", "userdel", "runuser"):
        if shutil.which(tool) is None:
            unavailable(f"needs {tool} to act as a second OS user")
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        unavailable(f"needs {SYSTEM_PYTHON} for the second user's processes")


@contextlib.contextmanager
def throwaway_user() -> Iterator[pwd.struct_passwd]:
    """A new user with no home and no login shell (and a group of its own), removed afterwards."""
    require_root()
    name = f"pdt{secrets.token_hex(4)}"
    command = ["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group", name]
    for _ in range(50):
        made = subprocess.run(command, capture_output=True, text=True, timeout=30)
        if made.returncode == 0:
            break
        if made.returncode not in _LOCKED:
            pytest.fail(f"useradd failed: {made.stderr.strip()}")
        time.sleep(0.1)
    else:
        pytest.fail(f"useradd kept failing: {made.stderr.strip()}")
    try:
        yield pwd.getpwnam(name)
    finally:
        for _ in range(50):
            if subprocess.run(["userdel", name], capture_output=True, timeout=30).returncode not in _LOCKED:
                break
            time.sleep(0.1)


def chown_tree(root: Path, user: pwd.struct_passwd) -> None:
    """Give `root` and everything under it to `user`, as if that user had made them."""
    for path in [root, *root.rglob("*")]:
        os.lchown(path, user.pw_uid, user.pw_gid)


def run_as(user: str, code: str, *args: str) -> subprocess.Popen[str]:
    """`python3 -c code args...` as `user`, stdout piped (line-buffered text)."""
    return subprocess.Popen(
        ["runuser", "-u", user, "--", SYSTEM_PYTHON, "-u", "-c", code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd="/",
        start_new_session=True,  # runuser does not pass a kill on to its child: stop() kills the group
    )


def stop(proc: subprocess.Popen[str]) -> str:
    """Kill a run_as process (runuser and the user's process both) and return what it printed."""
    import signal

    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    out, _ = proc.communicate(timeout=10)
    return out


# Listens on [::1]:PORT and reports every connection it gets (and the first line of each request).
SQUATTER = r"""
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.bind(("::1", int(sys.argv[1])))
s.listen(16)
print("listening", flush=True)
s.settimeout(float(sys.argv[2]))
try:
    while True:
        conn, _ = s.accept()
        conn.settimeout(2)
        try:
            data = conn.recv(4096)
        except OSError:
            data = b""
        print("got", data.split(b"\r\n", 1)[0].decode("latin-1"), flush=True)
        conn.close()
except socket.timeout:
    pass
"""
