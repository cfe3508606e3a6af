"""The use cases behind the commands: login, whoami, status, logout, switch. Never prints.

Each takes a Context (settings, store, session, clock, browser, prompts) and returns data for the CLI to
render; failures are PdauthError subclasses.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

from pdauth import envvars
from pdauth.core import settings as cfg
from pdauth.core.context import Context
from pdauth.core.identity import Identity
from pdauth.core.tokens import TokenSet
from pdauth.errors import (
    AuthorizationDenied,
    CallbackTimeout,
    KeyringUnavailable,
    MissingClientCredentials,
)
from pdauth.login import plan
from pdauth.login.fallback import offer_file_store
from pdauth.login.persist import confirm_replacement, save_login
from pdauth.login.preflight import check_redirect_registered

if TYPE_CHECKING:
    from pdauth.core.oauth import ClientCredentials
    from pdauth.login.loopback import CallbackInbox, CallbackResult
    from pdauth.login.paste import PasteReader

log = logging.getLogger(__name__)
T = TypeVar("T")

# How long to wait for the browser opener to report whether it could open anything.
BROWSER_START_WAIT = 2.0
# After this long without a callback from a browser that reportedly opened, offer the paste prompt too.
PASTE_OFFER_AFTER = 8.0


class LoginUI(Protocol):
    def show_url(self, url: str, browser_opened: bool) -> None: ...
    def waiting(self) -> contextlib.AbstractContextManager[None]: ...
    # Remote logins: the port forward to run over SSH; the pasted-address prompt and its rejections.
    # These three are called from the paste reader's thread too.
    def show_ssh_tunnel(self, command: str) -> None: ...
    def prompt_paste(self) -> None: ...
    def paste_rejected(self, message: str) -> None: ...


@dataclass(frozen=True)
class LoginResult:
    profile: str
    identity: Identity
    replaced: Identity | None
    store: str


def login(
    ctx: Context,
    ui: LoginUI,
    *,
    timeout: float = 300.0,
    open_browser: bool = True,
    new_secret: bool = False,
) -> LoginResult:
    from pdauth.core import oauth
    from pdauth.core.identity import fetch_identity
    from pdauth.login import browser
    from pdauth.login.loopback import CallbackInbox, CallbackListener, start_aborted
    from pdauth.login.paste import start_paste

    settings = ctx.settings
    client_id = settings.client_id or _ask(ctx, "Pipedrive app client id", secret=False)
    env_secret = ctx.env.get(envvars.ENV_CLIENT_SECRET)
    secret = plan.Secret(env_secret, plan.SECRET_FROM_ENV) if env_secret else None
    reuse = not new_secret and plan.stored_secret_applies(ctx, client_id)
    if secret is None and (not reuse or not ctx.saved_profile.client_id):
        # Nothing stored can serve (a first login, another app or host, --new-client-secret): ask now,
        # before the store is touched, so a keyring problem's question comes after the app's own ones.
        secret = plan.ask_secret(ctx)
    # Touch the store before the browser opens: a missing keyring or a wrong passphrase fails now,
    # not after the user has clicked "Allow and install".
    try:
        stored_secret = ctx.stored_client_secret()
    except KeyringUnavailable as exc:
        offer_file_store(ctx, exc)
        stored_secret = ctx.stored_client_secret()
    if secret is None:
        secret = plan.Secret(stored_secret, plan.SECRET_STORED) if stored_secret else plan.ask_secret(ctx)
    client = oauth.ClientCredentials(client_id, secret.value)
    ctx.deps.redactor.register(secret.value)

    # The config dir too: a login that could not be saved would spend the user's approval for nothing.
    cfg.check_writable(ctx.config_dir)

    state = oauth.new_state()
    url = oauth.authorize_url(settings.oauth_url, client_id, settings.redirect_uri, state)
    inbox = CallbackInbox(state, url)
    listener = CallbackListener(settings.redirect_uri, inbox)  # binds now: a busy port fails here
    plan.announce(ctx, client_id)
    machine = ctx.deps.machine or browser.Machine()
    tunnel = browser.ssh_tunnel_command(ctx.env, machine, listener.host, listener.port)
    with listener:  # serving before the browser opens, or a blocking BROWSER command deadlocks
        check_redirect_registered(ctx, client_id)  # rather than waiting out the timeout on a mismatch
        if tunnel:
            ui.show_ssh_tunnel(tunnel)
        opener = ctx.deps.open_browser or browser.system_opener(ctx.env, machine)
        # The browser gets the one-time start address, not the authorize URL: its command line is readable
        # by every local user, and the authorize URL holds `state`. The terminal (the user's own) shows
        # the authorize URL, which also works in a browser on another machine (pasted back, or tunnelled).
        opened = _open_browser(opener, listener.start_url, inbox) if open_browser and opener else False
        ui.show_url(url, opened)
        # Where the browser may not reach the listener, the address it ends on can be pasted instead.
        paste = start_paste(ctx.deps.paste_input, inbox, ui) if not opened or tunnel else None
        if paste is None and ctx.deps.paste_input is not None:
            result, paste = _wait_then_offer_paste(ctx, inbox, ui, timeout)
        else:
            with ui.waiting() if paste is None else contextlib.nullcontext():
                result = inbox.wait(timeout)
        if result.aborted:
            raise start_aborted()
        if result.error is not None:
            inbox.finish(False, "Pipedrive did not authorize pdauth. You can close this tab.")
            raise AuthorizationDenied(f"Authorization was denied in the browser ({result.error})")
        assert result.code is not None
        try:
            tokens, client = _exchange(ctx, client, secret, result.code)
            identity = fetch_identity(ctx.session, tokens.api_domain, tokens.access_token)
            if paste is not None:  # let go of the terminal first: the question's answer is not a paste
                paste.join(0.5)
            replaced = confirm_replacement(ctx, identity)
            if inbox.aborted:  # the start address's second fetch came after a code did: whose code?
                raise start_aborted()
            try:
                save_login(ctx, client, tokens, identity)
            except KeyringUnavailable as exc:  # e.g. locked since; the single-use code is spent already
                offer_file_store(ctx, exc)
                save_login(ctx, client, tokens, identity)
        except Exception as exc:
            inbox.finish(False, "pdauth could not complete the login; see your terminal for details.")
            raise exc from None
        inbox.finish(True, f"Logged in to {identity.describe()}. You can close this tab.")
    return LoginResult(ctx.profile_name, identity, replaced, ctx.store.describe())


def _wait_then_offer_paste(
    ctx: Context, inbox: CallbackInbox, ui: LoginUI, timeout: float
) -> tuple[CallbackResult, PasteReader | None]:
    """A browser that "opened" may show nothing (DISPLAY set, but no browser that can use it): after a
    while without a callback, a person at the terminal is offered the paste prompt as well."""
    from pdauth.login.paste import start_paste

    started = time.monotonic()
    try:
        with ui.waiting():
            return inbox.wait(min(timeout, PASTE_OFFER_AFTER)), None
    except CallbackTimeout:
        if timeout <= PASTE_OFFER_AFTER:
            raise
    paste = start_paste(ctx.deps.paste_input, inbox, ui)
    try:
        return inbox.wait(timeout - (time.monotonic() - started)), paste
    except CallbackTimeout:
        raise CallbackTimeout(f"No answer from the browser within {timeout:g} seconds") from None


def _exchange(
    ctx: Context, client: ClientCredentials, secret: plan.Secret, code: str
) -> tuple[TokenSet, ClientCredentials]:
    """The code exchanged for tokens; on invalid_client, one chance to type the secret again (on a
    terminal, for a secret that did not come from the environment): a rejected client spends no code."""
    from pdauth.core import oauth

    def exchange(credentials: ClientCredentials) -> TokenSet:
        s = ctx.settings
        return oauth.exchange_code(
            ctx.session, s.oauth_url, credentials, code, s.redirect_uri, ctx.now(), redactor=ctx.deps.redactor
        )

    try:
        return exchange(client), client
    except oauth.OAuthError as exc:
        if exc.error != "invalid_client":
            raise
        confirm = ctx.deps.confirm
        again = (
            secret.origin != plan.SECRET_FROM_ENV
            and ctx.deps.ask_secret is not None
            and confirm is not None
            and confirm(f"Pipedrive rejected the {secret.origin} client secret. Enter it again?")
        )
        if not again:
            raise plan.rejected(ctx, client.client_id, secret) from None
    secret = plan.ask_secret(ctx)
    client = oauth.ClientCredentials(client.client_id, secret.value)
    ctx.deps.redactor.register(secret.value)
    try:
        return exchange(client), client
    except oauth.OAuthError as exc:
        if exc.error != "invalid_client":
            raise
        raise plan.rejected(ctx, client.client_id, secret) from None


def _open_browser(opener: Callable[[str], bool], url: str, inbox: CallbackInbox) -> bool:
    """Open the browser off the main thread: a BROWSER command may block until its page has loaded,
    and that page (the completion page) waits for this very login to finish."""
    import threading

    outcome: list[bool] = []

    def run() -> None:
        try:
            outcome.append(bool(opener(url)))
        except Exception:  # a broken browser setup is not a failed login: the URL is printed anyway
            log.debug("opening the browser failed", exc_info=True)
            outcome.append(False)

    thread = threading.Thread(target=run, daemon=True, name="pdauth-browser")
    thread.start()
    deadline = time.monotonic() + BROWSER_START_WAIT
    while thread.is_alive() and not inbox.arrived and time.monotonic() < deadline:
        thread.join(0.02)
    # Still running means a browser command started and is busy with the page: it did open.
    return outcome[0] if outcome else True


def _ask(ctx: Context, prompt: str, *, secret: bool) -> str:
    ask = ctx.deps.ask_secret if secret else ctx.deps.ask
    if ask is None:
        raise MissingClientCredentials(f"No Pipedrive app credentials for profile {ctx.profile_name!r}")
    value = ask(prompt).strip()
    if not value:
        raise MissingClientCredentials(f"An empty {prompt} was given")
    return value
