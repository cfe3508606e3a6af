"""The names of a profile's entries in a store, as a test finds them: each config dir has its own
namespace (config.json's top-level "namespace"), part of every entry's name (pdauth.core.vault)."""

from __future__ import annotations

import json
from pathlib import Path


def namespace(config_dir: str | Path) -> str:
    value = json.loads((Path(config_dir) / "config.json").read_text())["namespace"]
    assert isinstance(value, str) and value
    return value


def token_entry(config_dir: str | Path, profile: str = "default") -> str:
    return f"{profile}@{namespace(config_dir)}"


def secret_entry(config_dir: str | Path, profile: str = "default") -> str:
    return f"{profile}:client_secret@{namespace(config_dir)}"


def of_profile(names: object, profile: str) -> list[str]:
    """Those of `names` (keyring usernames, or the test keyring file's `pdauth/<username>` keys) that are
    entries of `profile`: in any config dir's namespace, or un-namespaced as before namespaces."""
    found = []
    for name in names:  # type: ignore[attr-defined]
        username = name[1] if isinstance(name, tuple) else str(name).removeprefix("pdauth/")
        if username.split("@", 1)[0] in (profile, f"{profile}:client_secret"):
            found.append(str(name))
    return found


def note_login(config_dir: str | Path, profile: str = "default", **entry: object) -> None:
    """A config file as a login leaves it (a namespace, the profile's settings), without touching any
    store: so a command goes to the store for the profile's entries, as it does for a logged-in one."""
    directory = Path(config_dir)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    settings = {"client_id": "test-client-id", "oauth_url": "https://oauth.pipedrive.com", **entry}
    config = {"namespace": "0123456789abcdef0123456789abcdef", "profiles": {profile: settings}}
    (directory / "config.json").write_text(json.dumps(config))
    (directory / "config.json").chmod(0o600)
