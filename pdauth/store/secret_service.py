"""A fast, read-only path to the freedesktop Secret Service for the `token` hot path.

`import keyring` alone costs ~80 ms here (jaraco.context pulls in urllib.request, ssl, email...), before
any lookup. A Python Secret Service client is not cheap either: secretstorage pulls in jeepney and
cryptography (for the session's DH key exchange), ~50 ms of CPU per process, which is most of what a
crowd of 32 `pdauth token` processes costs. libsecret's own client, `secret-tool` (C), does the same
lookup, encrypted session included, in ~10 ms. So the reader uses `secret-tool` when it is installed,
and secretstorage when it is not.

Both look up exactly the attributes keyring writes ({"service", "username"}), so entries stay
interchangeable with keyring. Anything unusual (locked collection, no bus, no item) returns None and the
caller asks keyring, which gives the authoritative answer or error. The secret reaches pdauth through a
pipe: never an argument, never a file.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

log = logging.getLogger(__name__)


def find_secret_tool(env: Mapping[str, str]) -> str | None:
    """`secret-tool` on the PATH of `env` (shutil.which would import shutil, bz2, lzma...)."""
    for directory in env.get("PATH", os.defpath).split(os.pathsep):
        candidate = os.path.join(directory or ".", "secret-tool")
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


class SecretToolTimeout(Exception):
    """secret-tool did not answer in time (e.g. waiting on an unlock prompt nobody can see); killed."""


def lookup_with_secret_tool(
    tool: str, service: str, username: str, env: Mapping[str, str], timeout: float
) -> str | None:
    import subprocess

    try:
        done = subprocess.run(
            [tool, "lookup", "service", service, "username", username],
            env=dict(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise SecretToolTimeout from None
    except OSError as exc:
        log.debug("secret service: secret-tool did not run (%s)", type(exc).__name__)
        return None
    if done.returncode != 0:  # 1 with no output: no such item; anything else: let keyring explain
        log.debug("secret service: secret-tool exited %s", done.returncode)
        return None
    try:
        return done.stdout.decode("utf-8")  # written as is when stdout is not a terminal: no newline
    except UnicodeDecodeError:
        return None


def read_secret(service: str, username: str) -> str | None:
    """The same lookup through secretstorage (in-process; the caller bounds its time)."""
    try:
        import secretstorage
    except ImportError:
        return None
    try:
        connection = secretstorage.dbus_init()
    except Exception as exc:  # no session bus, daemon not activatable: keyring will explain
        log.debug("secret service: no connection (%s)", type(exc).__name__)
        return None
    try:
        collection = secretstorage.get_default_collection(connection)
        if collection.is_locked():
            return None  # unlocking may prompt: leave that to keyring
        for item in collection.search_items({"service": service, "username": username}):
            if item.is_locked():
                return None
            secret: bytes = item.get_secret()
            return secret.decode("utf-8")
        return None
    except Exception as exc:
        log.debug("secret service: lookup failed (%s)", type(exc).__name__)
        return None
    finally:
        connection.close()
