"""Where a profile's files are, and what its config entry says, using only `os` and `json`.

`pdauth token` decides whether it leads or joins a refresh (pdauth.hotpath.crowd) before it loads the core, so
the facts that decision needs live here, and pdauth.core.settings builds its richer types on top of them:
one definition of the config file's place and format, of profile names, and of the refresh margin.
"""

from __future__ import annotations

import json
import os
import sys

from pdauth.envvars import ENV_CONFIG_DIR, ENV_PROFILE

TYPE_CHECKING = False  # not `from typing import ...`: typing costs a waiting process ~5 ms
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Final

DEFAULT_PROFILE: Final = "default"
CONFIG_FILE: Final = "config.json"
LOCK_DIR: Final = "locks"

# How long a process waits for another one's refresh of the same profile.
DEFAULT_LOCK_TIMEOUT: Final = 30.0

# A stored access token is refreshed when less than this is left of it.
REFRESH_MARGIN_SECONDS: Final = 300


def config_dir(env: Mapping[str, str]) -> str:
    explicit = env.get(ENV_CONFIG_DIR)
    if explicit:
        return explicit
    if sys.platform.startswith("linux") and not _is_android(env):
        # The XDG rule, as platformdirs applies it (a test holds the two together): importing
        # platformdirs costs ~25 ms (pathlib, tempfile, shutil), as much as the rest of `pdauth token`.
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


def read_config(directory: str | os.PathLike[str]) -> object:
    """The config file's JSON; FileNotFoundError when there is none, OSError or ValueError when unreadable."""
    with open(os.path.join(directory, CONFIG_FILE), encoding="utf-8") as fh:
        return json.loads(fh.read())


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
