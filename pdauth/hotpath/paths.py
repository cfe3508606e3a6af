"""Where a profile's files are, and what its config entry says, using only `os` and `json`.

`pdauth token` reads a valid token (pdauth.hotpath.valid_token) or decides whether it leads or joins a
refresh (pdauth.hotpath.crowd) before it loads the core, so the facts those need live here, and
pdauth.core.settings builds its richer types on top of them: one definition of the config file's place
and format, of profile names, and of the profile entry a command acts on.
"""

from __future__ import annotations

import os
import sys

from pdauth.envvars import ENV_ACCESS_TOKEN, ENV_CONFIG_DIR, ENV_PROFILE, ENV_REFRESH_TOKEN
from pdauth.hotpath import trust
from pdauth.hotpath.json_read import loads

TYPE_CHECKING = False  # not `from typing import ...`: see docs/performance.md
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Final

DEFAULT_PROFILE: Final = "default"
CONFIG_FILE: Final = "config.json"
LOCK_DIR: Final = "locks"


def config_dir(env: Mapping[str, str]) -> str:
    explicit = env.get(ENV_CONFIG_DIR)
    if explicit:
        return explicit
    if sys.platform.startswith("linux") and not _is_android(env):
        # The XDG rule, as platformdirs applies it (a test holds the two together): importing
        # platformdirs imports pathlib, tempfile and shutil, more than the rest of `pdauth token` loads.
        return os.path.join(_xdg_config_home(env), "pdauth")
    import platformdirs

    return platformdirs.user_config_dir("pdauth", appauthor=False)


def _xdg_config_home(env: Mapping[str, str]) -> str:
    explicit = env.get("XDG_CONFIG_HOME", "")
    if os.path.isabs(explicit):  # the spec: a relative path is invalid and ignored
        return explicit
    home = env.get("HOME")
    if home is None or not os.path.isabs(home):  # a relative HOME counts as unset
        import pwd

        home = pwd.getpwuid(os.getuid()).pw_dir
    return home.rstrip("/") + "/.config"


def _is_android(env: Mapping[str, str]) -> bool:
    return env.get("ANDROID_DATA") == "/data" and env.get("ANDROID_ROOT") == "/system"


def keyring_config_path(env: Mapping[str, str]) -> str:
    """keyring's own config file (keyringrc.cfg), located as keyring does on Linux and macOS."""
    root = env.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(root, "python_keyring", "keyringrc.cfg")


def entry_name(profile: str, namespace: str, *, client_secret: bool = False) -> str:
    """A profile's entry in a secret store: `<profile>@<namespace>` (its token set) or
    `<profile>:client_secret@<namespace>`. The namespace is the config dir's own (config.json's top-level
    "namespace"), so two config dirs never read or overwrite each other's entries in the one OS keyring."""
    return f"{profile}:client_secret@{namespace}" if client_secret else f"{profile}@{namespace}"


def is_valid_namespace(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 64 and value.isascii() and value.isalnum()


def profile_entry(
    option: str | None, env: Mapping[str, str]
) -> tuple[str, str, dict[str, object], str | None] | None:
    """(config dir, profile name, its config entry, the dir's namespace or None) for a command that reads
    the store; None when the environment supplies the token, or the config file has no such profile or
    cannot be read (the core then says what is wrong)."""
    if env.get(ENV_ACCESS_TOKEN) or env.get(ENV_REFRESH_TOKEN):
        return None  # tokens from the env come first and never touch the store
    trust.check_keyring_config(keyring_config_path(env))  # valid_token consults it; keyring imports from it
    directory = config_dir(env)
    try:
        raw = read_config(directory)
    except (OSError, ValueError):
        return None
    if not isinstance(raw, dict):
        return None
    name = profile_name(option, env, raw.get("default_profile"))
    profiles = raw.get("profiles")
    entry = profiles.get(name) if isinstance(profiles, dict) else None
    if not isinstance(entry, dict) or not is_valid_profile_name(name):
        return None
    namespace = raw.get("namespace")
    return directory, name, entry, namespace if is_valid_namespace(namespace) else None


def read_config(directory: str | os.PathLike[str]) -> object:
    """The config file's JSON; FileNotFoundError when there is none, OSError or ValueError when unreadable.

    UntrustedPath first when the config dir is not the user's own (pdauth.hotpath.trust): every front
    door reads the config through here before anything else, so the check cannot be skipped.
    """
    trust.check_config_dir(directory)
    data = trust.read_trusted(os.path.join(directory, CONFIG_FILE))
    return loads(data.decode("utf-8"))


def profile_name(option: str | None, env: Mapping[str, str], default_profile: object) -> str:
    """The profile a command acts on: option > env var > the config file's default > "default"."""
    chosen = default_profile if isinstance(default_profile, str) else None
    return option or env.get(ENV_PROFILE) or chosen or DEFAULT_PROFILE


def is_valid_profile_name(name: str) -> bool:
    return name.replace("-", "").replace("_", "").replace(".", "").isalnum()


def lock_dir(directory: str | os.PathLike[str]) -> str:
    return os.path.join(directory, LOCK_DIR)


def lock_path(directory: str | os.PathLike[str], profile: str) -> str:
    return os.path.join(lock_dir(directory), f"{profile}.lock")
