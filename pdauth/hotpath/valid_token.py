"""`pdauth token` on a stored token that is still valid, with the standard library alone.

Most `pdauth token` runs find a valid token in the keyring, and they run in shell loops. Such a run must
not load the core (dataclasses, logging, typing, pathlib, enum, the store's keyring layer...): importing
that costs several times what the lookup itself does. So when everything is ordinary — no token in the
environment, the profile's secrets in a Secret Service keyring that keyring itself would use, the
config file noting a token valid for more than the refresh margin, `secret-tool` installed — this module
reads the config dir's own entry (named with its namespace) with `secret-tool` (pdauth.hotpath.secret_tool)
and checks it, including that the set is bound to the issuer and client id the profile names. Anything else, and every
doubt (an unreadable note, an unexpected entry, a timeout), answers None: the core then does what it
always does and says what is wrong. This never refreshes, writes or prints anything.
"""

from __future__ import annotations

import os

from pdauth import envvars
from pdauth.hotpath import paths, secret_tool
from pdauth.hotpath.limits import REFRESH_MARGIN_SECONDS, keyring_timeout_setting
from pdauth.hotpath.plain_token import PlainToken, is_epoch, valid_from_json

TYPE_CHECKING = False  # not `from typing import ...`: see docs/performance.md
if TYPE_CHECKING:
    from collections.abc import Mapping


def read(option: str | None, env: Mapping[str, str], now: float) -> PlainToken | None:
    """The profile's stored access token when it is valid and was read the ordinary way; else None."""
    found = paths.profile_entry(option, env)
    if found is None:
        return None
    _directory, name, entry, namespace = found
    issuer, client_id = entry.get("oauth_url"), entry.get("client_id")
    if namespace is None or not isinstance(issuer, str) or not isinstance(client_id, str):
        return None  # a config dir from before namespaces (the core carries it over), or a hand-made entry
    noted = entry.get("expires_at")
    if not is_epoch(noted) or noted - now < REFRESH_MARGIN_SECONDS:
        return None  # due (pdauth.hotpath.crowd), or no note: the core decides
    if (entry.get("store") or "keyring") != "keyring" or _backend(
        entry, env
    ) != secret_tool.SECRET_SERVICE_BACKEND:
        return None
    tool = secret_tool.find(env)
    timeout = keyring_timeout_setting(env)
    if tool is None or timeout is None:
        return None
    try:
        text = secret_tool.lookup(tool, paths.entry_name(name, namespace), env, timeout)
    except (secret_tool.SecretToolTimeout, OSError):
        return None  # the core asks keyring, which waits and reports as it does
    # Only a set bound to the issuer and client the profile names is served; the core refuses the others.
    return valid_from_json(text, name, now, bound_to=(issuer, client_id)) if text else None


def _backend(entry: dict[str, object], env: Mapping[str, str]) -> object:
    """The keyring backend the keyring layer would use for this profile (it honours the same choices)."""
    explicit = env.get(envvars.ENV_KEYRING_BACKEND)
    if explicit:
        return explicit
    if os.path.exists(paths.keyring_config_path(env)):
        return None  # keyringrc.cfg may choose another backend: the keyring layer reads it
    return entry.get("keyring_backend")
