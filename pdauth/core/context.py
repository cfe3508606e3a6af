"""The side effects one invocation runs with, injected so tests can swap each for a fake.

`Deps` holds what the caller decides (env, options, clock, browser, prompts); `Context` derives the
rest once and lazily: settings, the config file, the store, the HTTP session. Nothing is imported or
opened before a command needs it — the `token` hot path must stay cheap.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pdauth import envvars
from pdauth.core import settings as cfg
from pdauth.core.redact import Redactor
from pdauth.core.vault import Entries, load_tokens, open_store, save_tokens
from pdauth.errors import MissingClientCredentials, NotLoggedIn
from pdauth.hotpath.limits import DEFAULT_LOCK_TIMEOUT
from pdauth.store import SecretStore

if TYPE_CHECKING:
    import requests

    from pdauth.core.oauth import ClientCredentials
    from pdauth.core.report import Reporter
    from pdauth.core.tokens import TokenSet
    from pdauth.hotpath.lock import FileLock


class LineSource(Protocol):
    """Where a login reads a pasted callback address (stdin on a terminal)."""

    def readline(self, size: int = -1, /) -> str: ...


def _plain_reporter() -> Reporter:
    from pdauth.core.report import PlainReporter

    return PlainReporter()


def _default_session(env: Mapping[str, str]) -> requests.Session:
    from pdauth.core.http import new_session

    return new_session(env)


@dataclass
class Deps:
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    profile: str | None = None
    redirect_uri: str | None = None
    oauth_url: str | None = None  # `login --oauth-url`
    client_id: str | None = None  # `login --client-id`
    store: str | None = None
    now: Callable[[], float] = time.time
    # Called with the invocation's env: proxies and the CA bundle come from there (pdauth.core.network).
    session_factory: Callable[[Mapping[str, str]], requests.Session] = _default_session
    # None: chosen for this machine by pdauth.login.browser (BROWSER, SSH, WSL, display); a callable replaces
    # that choice entirely (it returns whether a browser opened).
    open_browser: Callable[[str], bool] | None = None
    machine: Any = None  # a pdauth.login.browser.Machine (platform facts for that choice); None = this one
    # Prompts; None means "not interactive": anything that would need one fails with a hint instead.
    ask: Callable[[str], str] | None = None
    ask_secret: Callable[[str], str] | None = None
    confirm: Callable[[str], bool] | None = None
    ask_yes_no: Callable[[str], bool] | None = None  # a question whose answer defaults to no
    paste_input: LineSource | None = None  # where a pasted callback address is read (login)
    keyring_backend: Any = None  # tests inject an in-memory backend; None = resolve as keyring does
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    # The profile's lock, held exclusively when `pdauth token` took it before loading the core to lead a
    # refresh (pdauth.hotpath.crowd): the refresh protocol then leads with it instead of waiting for itself.
    lead_lock: FileLock | None = None
    reporter: Reporter = field(default_factory=_plain_reporter)  # how the core talks to the user
    redactor: Redactor = field(default_factory=Redactor)  # the secrets seen, kept out of debug logs


class Context:
    def __init__(self, deps: Deps):
        self.deps = deps
        self.env = deps.env
        # The namespace this invocation would give a config dir that has none yet (pdauth.core.binding).
        self.draft_namespace: str | None = None

    @cached_property
    def config_dir(self) -> Path:
        return cfg.config_dir(self.env)

    @cached_property
    def config(self) -> cfg.ConfigFile:
        # Every command reads the config first (ConfigFile.load checks whose the config dir is). keyring's
        # own config file, which can make keyring import code, is checked the same way at the same time.
        from pdauth.hotpath import trust
        from pdauth.hotpath.paths import keyring_config_path

        trust.check_keyring_config(keyring_config_path(self.env))
        return cfg.ConfigFile.load(self.config_dir)

    @cached_property
    def settings(self) -> cfg.Settings:
        return cfg.resolve(
            self.env,
            self.config,
            profile=self.deps.profile,
            redirect_uri=self.deps.redirect_uri,
            store=self.deps.store,
            oauth_url=self.deps.oauth_url,
            client_id=self.deps.client_id,
        )

    @property
    def profile_name(self) -> str:
        return self.settings.profile

    @property
    def saved_profile(self) -> cfg.Profile:
        return self.config.profile(self.profile_name)

    @cached_property
    def store(self) -> SecretStore:
        saved = self.saved_profile
        remembered = saved.keyring_backend if (saved.store or "keyring") == self.settings.store_kind else None
        return open_store(
            self.settings,
            remembered_backend=remembered,
            ask_passphrase=self.deps.ask_secret,
            keyring_backend=self.deps.keyring_backend,
        )

    def use_store(self, kind: str) -> None:
        """Switch this invocation to another store kind (login's fallback when the keyring fails)."""
        self.deps.store = kind
        for derived in ("settings", "store"):
            self.__dict__.pop(derived, None)

    @cached_property
    def session(self) -> requests.Session:
        self.register_proxy_secrets()
        return self.deps.session_factory(self.env)

    def register_proxy_secrets(self) -> None:
        """Proxy passwords (from HTTPS_PROXY and its kin) join the secrets kept out of `-v` logs."""
        from pdauth.core.network import proxy_passwords

        for password in proxy_passwords(self.env):
            self.deps.redactor.register(password)

    def now(self) -> float:
        return self.deps.now()

    def client_credentials(self) -> ClientCredentials:
        from pdauth.core.oauth import ClientCredentials

        client_id = self.settings.client_id
        secret = self.env.get(envvars.ENV_CLIENT_SECRET) or (
            self.stored_client_secret() if client_id else None
        )
        if not client_id or not secret:
            raise MissingClientCredentials(f"No Pipedrive app credentials for profile {self.profile_name!r}")
        self.deps.redactor.register(secret)
        return ClientCredentials(client_id, secret)

    def entries(self, profile: str | None = None, *, create: bool = False) -> Entries:
        """The names of a profile's entries in this config dir's namespace (saved when `create`, or when a
        config file from before namespaces is met)."""
        from pdauth.core import binding

        return binding.entries(self, profile or self.profile_name, create=create)

    def stored_tokens(self, profile: str | None = None) -> TokenSet | None:
        """A profile's stored set (this one's by default), its secrets registered with the redactor.

        TokensBoundElsewhere when the set came from another issuer or client than the profile names.
        """
        from pdauth.core import binding

        name = profile or self.profile_name
        tokens = load_tokens(self.store, self.entries(name))
        if tokens is not None:
            self.deps.redactor.register(tokens.access_token)
            self.deps.redactor.register(tokens.refresh_token)
            binding.check(self, name, tokens)
        return tokens

    def stored_client_secret(self) -> str | None:
        return self.store.get(self.entries().client_secret)

    def save_tokens(self, tokens: TokenSet) -> None:
        save_tokens(self.store, self.entries(create=True), tokens)

    def save_client_secret(self, secret: str) -> None:
        self.store.set(self.entries(create=True).client_secret, secret)

    @property
    def profile_flag(self) -> str:
        """` -p NAME` for a hint's command, or nothing for the default profile."""
        return "" if self.profile_name == cfg.DEFAULT_PROFILE else f" -p {self.profile_name}"

    def not_logged_in(self) -> NotLoggedIn:
        return NotLoggedIn(
            f"Profile {self.profile_name!r} is not logged in", hint=f"Run `pdauth login{self.profile_flag}`"
        )

    def update_profile(self, edit: Callable[[cfg.Profile], None]) -> None:
        with cfg.editing(self.config_dir) as config:
            profile = config.profile(self.profile_name)
            edit(profile)
            config.profiles[self.profile_name] = profile
            self.config.profiles[self.profile_name] = profile


@dataclass(frozen=True)
class Prompts:
    """How to ask the person at the terminal; used only when stdin and stderr both are one."""

    ask: Callable[[str], str] | None = None
    ask_secret: Callable[[str], str] | None = None
    confirm: Callable[[str], bool] | None = None
    ask_yes_no: Callable[[str], bool] | None = None
    paste_input: LineSource | None = None


def interactive() -> bool:
    import sys

    return sys.stdin.isatty() and sys.stderr.isatty()


def make_context(profile: str | None = None, *, prompts: Prompts | None = None, **deps: Any) -> Context:
    """The Context of one invocation, as every front door makes it (the typer CLI, `pdauth token` and
    `pdauth call` without typer, `doctor`, the library): the real environment unless `env` is given,
    and prompts only where someone can answer them."""
    if prompts is not None and interactive():
        names = ("ask", "ask_secret", "confirm", "ask_yes_no", "paste_input")
        asks = {name: getattr(prompts, name) for name in names}
        deps = {**{k: v for k, v in asks.items() if v is not None}, **deps}
    return Context(Deps(profile=profile, **deps))
