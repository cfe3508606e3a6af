"""libsecret's `secret-tool lookup`, run the cheapest safe way: the Secret Service read of `pdauth token`.

A Python Secret Service client costs more than the rest of a `pdauth token` (secretstorage pulls in
jeepney and cryptography for the session's key exchange); libsecret's own C client does the same lookup,
encrypted session included, for the cost of starting a small process. It is started with
`os.posix_spawn` on a pipe (the `subprocess` module's import is a measurable part of the whole run), by
absolute path from absolute PATH entries only (an empty or relative entry would run whatever a shared
directory holds), with only the variables it needs to find the session bus (no passphrase, no client
secret), and killed if it does not answer in time (an unlock prompt nobody can see).

The secret reaches pdauth through the pipe: never an argument, never a file. Entries are the ones keyring
writes ({"service", "username"}), so they stay interchangeable with keyring.
"""

from __future__ import annotations

import os
import select
import time

TYPE_CHECKING = False  # not `from typing import ...`: see docs/performance.md
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

SERVICE = "pdauth"  # keyring's "service" of every pdauth entry
SECRET_SERVICE_BACKEND = "keyring.backends.SecretService.Keyring"
# What secret-tool needs to reach the user's Secret Service (and print its own messages), nothing else.
_PASSED_ON = ("DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR", "HOME", "LANG", "LC_ALL", "LC_MESSAGES")
_MAX_SECRET = 1 << 20  # a token set is well under 4 KiB; more than this is not ours


class SecretToolTimeout(Exception):
    """secret-tool did not answer in time; it was killed."""


def find(env: Mapping[str, str]) -> str | None:
    """The absolute path of `secret-tool` on the absolute entries of PATH, or None."""
    for directory in env.get("PATH", os.defpath).split(os.pathsep):
        if not os.path.isabs(directory):
            continue  # "" and relative entries mean the current directory: never run from there
        candidate = os.path.join(directory, "secret-tool")
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def minimal_env(env: Mapping[str, str]) -> dict[str, str]:
    passed = {name: env[name] for name in _PASSED_ON if name in env}
    search = [d for d in env.get("PATH", os.defpath).split(os.pathsep) if os.path.isabs(d)]
    passed["PATH"] = os.pathsep.join(search)  # for what it may run itself; never the current directory
    return passed


def lookup(tool: str, username: str, env: Mapping[str, str], timeout: float) -> str | None:
    """The secret of entry (SERVICE, `username`); None when there is none or secret-tool failed.

    SecretToolTimeout when it does not answer within `timeout` seconds.
    """
    return _run(tool, ["lookup", "service", SERVICE, "username", username], minimal_env(env), timeout)


def _run(tool: str, args: Sequence[str], env: dict[str, str], timeout: float) -> str | None:
    read_end, write_end = os.pipe()  # both close-on-exec: the child keeps only what is dup'ed below
    devnull = os.open(os.devnull, os.O_RDWR)
    try:
        pid = os.posix_spawn(
            tool,
            [tool, *args],
            env,
            file_actions=[
                (os.POSIX_SPAWN_DUP2, devnull, 0),
                (os.POSIX_SPAWN_DUP2, write_end, 1),
                (os.POSIX_SPAWN_DUP2, devnull, 2),
            ],
        )
    except OSError:
        os.close(read_end)
        return None
    finally:
        os.close(write_end)
        os.close(devnull)
    try:
        output = _read_until_eof(read_end, time.monotonic() + timeout)
    except SecretToolTimeout:
        import signal  # here only: the module builds its enums at import

        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise
    finally:
        os.close(read_end)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:  # 1 with no output: no such item
        return None
    try:
        return output.decode("utf-8")  # written as is when stdout is not a terminal: no newline
    except UnicodeDecodeError:
        return None


def _read_until_eof(fd: int, deadline: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLHUP)
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not poller.poll(remaining * 1000):
            raise SecretToolTimeout
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > _MAX_SECRET:
            return b""
        chunks.append(chunk)
