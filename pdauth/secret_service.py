"""A fast, read-only path to the freedesktop Secret Service for the `token` hot path.

`import keyring` alone costs ~80 ms here (jaraco.context pulls in urllib.request, ssl, email...), before
any lookup. secretstorage, which keyring's own SecretService backend uses underneath, costs ~25 ms. This
reads an item with exactly the attributes keyring writes ({"service", "username"}), so entries stay
interchangeable with keyring and `secret-tool`. Anything unusual (locked collection, no bus, no item)
returns None and the caller asks keyring, which gives the authoritative answer or error.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def read_secret(service: str, username: str) -> str | None:
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
