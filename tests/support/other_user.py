"""A throwaway second OS user, for attacks that need someone other than the victim to own a file.

The tests run as root (CI does), so they can `useradd` a user nobody logs in as, chown planted files to it
and remove it afterwards. Not root: the test skips with the reason (it cannot plant another user's file).
"""

from __future__ import annotations

import os
import pwd
import secrets
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.realtools import unavailable

# useradd's exit codes when another useradd holds /etc/passwd or /etc/group (xdist workers run at once).
_LOCKED = (1, 10)


@contextmanager
def throwaway_user() -> Iterator[pwd.struct_passwd]:
    if os.geteuid() != 0:
        pytest.skip("needs root: the attack needs files owned by a second OS user (useradd)")
    name = f"pdauth-t{secrets.token_hex(4)}"
    command = ["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group", name]
    for _ in range(50):
        try:
            made = subprocess.run(command, capture_output=True, text=True, timeout=30)
        except FileNotFoundError:
            unavailable("useradd is not installed")
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
