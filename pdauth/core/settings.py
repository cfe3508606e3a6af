"""Settings and profiles: option > env var > config file > default. Holds no secrets.

The config file is JSON (`config.json` in the config dir): stdlib-only to read and write, so the `token`
hot path pays nothing for it. It keeps each profile's non-secret data: client id, redirect URI, OAuth URL,
which store holds its secrets, who it is logged in as, and when its tokens expire.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Final

from pdauth.core.identity import Identity
from pdauth.envvars import ENV_CLIENT_ID, ENV_OAUTH_URL, ENV_REDIRECT_URI, ENV_STORE
from pdauth.errors import ConfigError
from pdauth.hotpath import paths as locate
from pdauth.hotpath.files import ensure_private_dir, write_private

# Shared with the token fast path, which reads them before the core: see pdauth.hotpath.paths.
DEFAULT_PROFILE: Final = locate.DEFAULT_PROFILE
CONFIG_FILE: Final = locate.CONFIG_FILE

DEFAULT_OAUTH_URL: Final = "https://oauth.pipedrive.com"
# A fixed port, because Pipedrive compares the one registered callback URL as an exact string.
# 127.0.0.1, not localhost: localhost can resolve to ::1 first (RFC 8252 §8.3).
DEFAULT_REDIRECT_URI: Final = "http://127.0.0.1:8976/callback"
STORE_KINDS: Final = ("keyring", "file")


def config_dir(env: Mapping[str, str]) -> Path:
    return Path(locate.config_dir(env))


@dataclass
class Profile:
    name: str
    client_id: str | None = None
    redirect_uri: str | None = None
    oauth_url: str | None = None
    store: str | None = None
    keyring_backend: str | None = None
    api_domain: str | None = None
    identity: Identity | None = None
    scopes: list[str] = field(default_factory=list)
    expires_at: float | None = None
    refresh_used_at: float | None = None

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any]) -> Profile:
        known = {f.name for f in fields(cls)} - {"name", "identity"}
        profile = cls(name=name, **{k: v for k, v in data.items() if k in known})
        ident = data.get("identity")
        if isinstance(ident, dict):
            with contextlib.suppress(TypeError):
                profile.identity = Identity(**ident)
        return profile

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("name")
        return {k: v for k, v in data.items() if v not in (None, [])}


@dataclass
class ConfigFile:
    """The parsed config file; `save` writes it atomically with owner-only permissions."""

    path: Path
    default_profile: str | None = None
    profiles: dict[str, Profile] = field(default_factory=dict)

    @classmethod
    def load(cls, directory: Path) -> ConfigFile:
        path = directory / CONFIG_FILE
        try:
            raw = locate.read_config(directory)
        except FileNotFoundError:
            return cls(path=path)
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"Cannot read {path}: {exc}", hint="Fix or delete the file (it holds no secrets)"
            ) from None
        if not isinstance(raw, dict):
            raise ConfigError(f"{path} is not a JSON object", hint="Fix or delete the file")
        profiles = raw.get("profiles")
        if not isinstance(profiles, dict):
            profiles = {}
        return cls(
            path=path,
            default_profile=raw.get("default_profile"),
            profiles={
                name: Profile.from_dict(name, data)
                for name, data in profiles.items()
                if isinstance(data, dict)
            },
        )

    def profile(self, name: str) -> Profile:
        return self.profiles.get(name) or Profile(name=name)

    def save(self) -> None:
        data: dict[str, Any] = {"profiles": {n: p.to_dict() for n, p in sorted(self.profiles.items())}}
        if self.default_profile:
            data["default_profile"] = self.default_profile
        write_private(self.path, json.dumps(data, indent=2, sort_keys=True) + "\n")


@dataclass(frozen=True)
class Settings:
    """Everything a command needs to know about where to go, resolved once per invocation."""

    profile: str
    config_dir: Path
    oauth_url: str
    redirect_uri: str
    client_id: str | None
    store_kind: str
    env: Mapping[str, str]

    @property
    def lock_dir(self) -> Path:
        return Path(locate.lock_dir(self.config_dir))


def resolve_profile_name(option: str | None, env: Mapping[str, str], config: ConfigFile) -> str:
    name = locate.profile_name(option, env, config.default_profile)
    if not locate.is_valid_profile_name(name):
        raise ConfigError(f"Invalid profile name {name!r}", hint="Use letters, digits, '-', '_' or '.'")
    return name


def resolve(
    env: Mapping[str, str],
    config: ConfigFile,
    *,
    profile: str | None = None,
    redirect_uri: str | None = None,
    store: str | None = None,
) -> Settings:
    name = resolve_profile_name(profile, env, config)
    saved = config.profile(name)
    store_kind = store or env.get(ENV_STORE) or saved.store or "keyring"
    if store_kind not in STORE_KINDS:
        raise ConfigError(f"Unknown store {store_kind!r}", hint="Use --store keyring or --store file")
    return Settings(
        profile=name,
        config_dir=config.path.parent,
        oauth_url=(env.get(ENV_OAUTH_URL) or saved.oauth_url or DEFAULT_OAUTH_URL).rstrip("/"),
        redirect_uri=redirect_uri or env.get(ENV_REDIRECT_URI) or saved.redirect_uri or DEFAULT_REDIRECT_URI,
        client_id=env.get(ENV_CLIENT_ID) or saved.client_id,
        store_kind=store_kind,
        env=env,
    )


_CONFIG_LOCK_HINT: Final = (
    "Another pdauth process is writing the config file; try again, or kill the stuck process"
)


@contextlib.contextmanager
def editing(directory: Path) -> Iterator[ConfigFile]:
    """Read-modify-write the config file under a lock, so two processes never lose each other's edit."""
    from pdauth.hotpath.lock import ExclusiveLock

    ensure_private_dir(directory)
    with ExclusiveLock(directory / ".config.lock", 30, "the config file's lock", hint=_CONFIG_LOCK_HINT):
        config = ConfigFile.load(directory)
        yield config
        config.save()
