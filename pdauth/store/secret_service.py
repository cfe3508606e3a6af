"""A read-only path to the freedesktop Secret Service that skips keyring's import and backend discovery.

`import keyring` loads much more than a lookup needs (docs/performance.md has the figures). The keyring
layer reads a Secret Service entry with libsecret's `secret-tool` where it is installed
(pdauth.hotpath.secret_tool, which the token fast path uses too) and in-process through secretstorage
here where it is not. Both look up exactly the attributes keyring writes ({"service", "username"}), so
entries stay interchangeable with keyring. Anything unusual (locked collection, no bus, no item) returns
None and the caller asks keyring, which gives the authoritative answer or error.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


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
