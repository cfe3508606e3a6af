"""Settings and profiles: option > env var > config file > default. Holds no secrets.

The config file is JSON (`config.json` in the config dir): stdlib-only to read and write, so the `token`
hot path pays nothing for it. It keeps each profile's non-secret data: client id, redirect URI, OAuth URL,
which store holds its secrets, who it is logged in as, and when its tokens expire.
"""

from __future__ import annotations

import contextlib
import json
import os
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
CONFIG_LOCK: Final = ".config.lock"

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
    # When Pipedrive last answered invalid_grant to this profile's refresh token (no secret: a time). Until
    # the next login, status and doctor say so instead of showing a healthy profile.
    refresh_rejected_at: float | None = None

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
    # This config dir's part of every secret-store entry's name (pdauth.hotpath.paths.entry_name), made
    # at the first write that needs it; and the profiles a version before namespaces left, whose
    # un-namespaced entries may still be carried over once (pdauth.core.binding).
    namespace: str | None = None
    carry_over: list[str] = field(default_factory=list)

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
        namespace = raw.get("namespace")
        if namespace is not None and not locate.is_valid_namespace(namespace):
            raise ConfigError(
                f"{path} names an invalid keyring namespace {namespace!r}",
                hint='Restore the file, or remove its "namespace" and run `pdauth login` again',
            )
        carry_over = raw.get("carry_over")
        return cls(
            path=path,
            default_profile=raw.get("default_profile"),
            namespace=namespace,
            carry_over=[n for n in carry_over if isinstance(n, str)] if isinstance(carry_over, list) else [],
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
        if self.namespace:
            data["namespace"] = self.namespace
        if self.carry_over:
            data["carry_over"] = sorted(self.carry_over)
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
    # Where each of oauth_url, client_id, store_kind came from, in words: "--oauth-url", "PDAUTH_OAUTH_URL",
    # "remembered from the last login", "the default". `login` says so before it opens the browser.
    origins: Mapping[str, str] = field(default_factory=dict)

    @property
    def lock_dir(self) -> Path:
        return Path(locate.lock_dir(self.config_dir))


def resolve_profile_name(option: str | None, env: Mapping[str, str], config: ConfigFile) -> str:
    if option is not None and not option.strip():
        raise ConfigError("An empty profile name was given (-p '')", hint="Name a profile, or leave -p out")
    name = locate.profile_name(option, env, config.default_profile)
    if not locate.is_valid_profile_name(name):
        raise ConfigError(f"Invalid profile name {name!r}", hint="Use letters, digits, '-', '_' or '.'")
    return name


REMEMBERED: Final = "remembered from the last login"
DEFAULT: Final = "the default"


def _first(*candidates: tuple[str | None, str]) -> tuple[str | None, str]:
    """The first (value, origin) whose value is set; (None, "") when none is."""
    return next(((v, o) for v, o in candidates if v), (None, ""))


def resolve(
    env: Mapping[str, str],
    config: ConfigFile,
    *,
    profile: str | None = None,
    redirect_uri: str | None = None,
    store: str | None = None,
    oauth_url: str | None = None,
    client_id: str | None = None,
) -> Settings:
    name = resolve_profile_name(profile, env, config)
    saved = config.profile(name)
    store_kind, store_origin = _first(
        (store, "--store"), (env.get(ENV_STORE), ENV_STORE), (saved.store, REMEMBERED), ("keyring", DEFAULT)
    )
    assert store_kind is not None
    if store_kind not in STORE_KINDS:
        raise ConfigError(f"Unknown store {store_kind!r}", hint="Use --store keyring or --store file")
    url, url_origin = _first(
        (oauth_url, "--oauth-url"),
        (env.get(ENV_OAUTH_URL), ENV_OAUTH_URL),
        (saved.oauth_url, REMEMBERED),
        (DEFAULT_OAUTH_URL, DEFAULT),
    )
    assert url is not None
    # A remembered URL is checked where a secret would go to it (pdauth.core.oauth), so that `logout`
    # and `status` still work on a config file whose URL is refused.
    check_url(url, url_origin, OAUTH_URL_EXAMPLE, secure=url_origin != REMEMBERED)
    client, client_origin = _first(
        (client_id, "--client-id"), (env.get(ENV_CLIENT_ID), ENV_CLIENT_ID), (saved.client_id, REMEMBERED)
    )
    return Settings(
        profile=name,
        config_dir=config.path.parent,
        oauth_url=url.rstrip("/"),
        redirect_uri=redirect_uri or env.get(ENV_REDIRECT_URI) or saved.redirect_uri or DEFAULT_REDIRECT_URI,
        client_id=client,
        store_kind=store_kind,
        env=env,
        origins={"oauth_url": url_origin, "client_id": client_origin, "store": store_origin},
    )


OAUTH_URL_EXAMPLE: Final = "https://oauth.pipedrive.com"


def check_url(url: str, origin: str, example: str, *, secure: bool = True) -> None:
    """A base URL must be http(s)://host[:port], and (with `secure`) plain http only on the loopback:
    anything else is a usage error naming where it came from."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        parts = None
    where = {REMEMBERED: "the config file", DEFAULT: "the default"}.get(origin, origin)
    hint = f"Use a URL like {example}" + (f", or unset {origin}" if origin.isupper() else "")
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{url!r} (from {where}) is not an http(s) URL", hint=hint)
    if secure and parts.scheme == "http" and not is_loopback_url(url.strip()):
        if origin == REMEMBERED:
            hint = f"Log in again with an https OAuth URL (`pdauth login --oauth-url {example}`)"
        # Secrets (client secret, refresh and access tokens) would cross the network in clear.
        raise ConfigError(
            f"{url!r} (from {where}) is plain http: pdauth sends secrets only over https (http only to "
            "this machine: 127.0.0.1, ::1, localhost)",
            hint=hint,
        )


def is_loopback_url(url: str | None) -> bool:
    """An emulator's (or a test's) address: 127.0.0.0/8, ::1 or localhost (by address, not by name prefix:
    `127.evil.example` is somebody else's host)."""
    import ipaddress
    from urllib.parse import urlsplit

    try:
        host = (urlsplit(url or "").hostname or "").lower()
    except ValueError:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def api_domain_allowed(api_domain: str, oauth_url: str) -> bool:
    """Where an issuer may send the access token: an https origin, or a loopback one if it is loopback
    itself (an emulator); plain http anywhere else would carry the token in clear."""
    if api_domain.startswith("https://"):
        return True
    return api_domain.startswith("http://") and is_loopback_url(api_domain) and is_loopback_url(oauth_url)


_CONFIG_LOCK_HINT: Final = (
    "Another pdauth process is writing the config file; try again, or kill the stuck process"
)


@contextlib.contextmanager
def editing(directory: Path) -> Iterator[ConfigFile]:
    """Read-modify-write the config file under a lock, so two processes never lose each other's edit."""
    from pdauth.hotpath.lock import ExclusiveLock

    ensure_private_dir(directory)
    with ExclusiveLock(directory / CONFIG_LOCK, 30, "the config file's lock", hint=_CONFIG_LOCK_HINT):
        config = ConfigFile.load(directory)
        yield config
        config.save()


def check_writable(directory: Path) -> None:
    """ConfigError now if `editing` could not save the config file later: the directory cannot be made or
    written, its lock file cannot be opened, or config.json is not a file. `login` asks this before the
    browser opens, so a config dir it cannot use fails before the user approves anything."""
    import errno
    import tempfile

    try:
        ensure_private_dir(directory)
        os.close(os.open(directory / CONFIG_LOCK, os.O_RDWR | os.O_CREAT, 0o600))
        fd, probe = tempfile.mkstemp(prefix=f".{CONFIG_FILE}.", suffix=".tmp", dir=directory)
        os.close(fd)
        os.unlink(probe)
        if (directory / CONFIG_FILE).is_dir():
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(directory / CONFIG_FILE))
    except OSError as exc:
        where = exc.filename or directory
        raise ConfigError(
            f"pdauth cannot write its config directory: {where}: {exc.strerror or exc}",
            hint=f"Make {directory} a directory you own and can write (or set PDAUTH_CONFIG_DIR), then log in "
            "again; nothing was stored",
        ) from None
