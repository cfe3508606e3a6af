"""What a login will use, said before the browser opens, and which client secret it sends.

After the emulator walk-through, a later `pdauth login` would otherwise go back to the emulator with the
demo's client id and stored secret without a word: so login names the OAuth host, the client id and the
store with where each came from, warns when remembered settings point at a loopback (emulator) URL, and
asks for the secret again whenever the stored one cannot be the right one (another client id or host).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from pdauth import envvars
from pdauth.core import settings as cfg
from pdauth.core.context import Context
from pdauth.errors import AuthRequired, MissingClientCredentials

SECRET_FROM_ENV: Final = envvars.ENV_CLIENT_SECRET
SECRET_STORED: Final = "stored"
SECRET_ENTERED: Final = "entered"


@dataclass(frozen=True)
class Secret:
    value: str
    origin: str  # SECRET_FROM_ENV, SECRET_STORED or SECRET_ENTERED


class ClientSecretRejected(AuthRequired):
    """Pipedrive answered invalid_client: the client id or secret is not the app's."""


def announce(ctx: Context, client_id: str) -> None:
    """One line of what this login uses (and why), and a warning when it would go to an emulator by habit."""
    s = ctx.settings
    origins = s.origins
    store = "the encrypted file store" if s.store_kind == "file" else "the OS keyring"
    ctx.deps.reporter.say(
        f"Logging in profile {s.profile} at {s.oauth_url} ({origins.get('oauth_url') or cfg.DEFAULT}) with "
        f"client id {client_id} ({origins.get('client_id') or 'entered now'}); secrets go to {store} "
        f"({origins.get('store') or cfg.DEFAULT})."
    )
    if origins.get("oauth_url") == cfg.REMEMBERED and cfg.is_loopback_url(s.oauth_url):
        ctx.deps.reporter.warn(
            f"Profile {s.profile} remembers a local OAuth host ({s.oauth_url}, an emulator?) from an earlier "
            f"login. For the real Pipedrive: pdauth login{ctx.profile_flag} --oauth-url "
            f"{cfg.DEFAULT_OAUTH_URL} --client-id YOUR_ID --new-client-secret (or log in another profile "
            "with -p NAME)."
        )


def stored_secret_applies(ctx: Context, client_id: str) -> bool:
    """A stored secret belongs to the client id and host it was stored with: not to another app or server."""
    saved = ctx.saved_profile
    if saved.client_id and saved.client_id != client_id:
        return False
    return not (saved.oauth_url and saved.oauth_url.rstrip("/") != ctx.settings.oauth_url)


def ask_secret(ctx: Context, prompt: str = "Pipedrive app client secret") -> Secret:
    ask = ctx.deps.ask_secret
    if ask is None:
        raise MissingClientCredentials(
            f"The client secret for profile {ctx.profile_name!r} must be entered",
            hint=f"Run `pdauth login{ctx.profile_flag}` in a terminal, or set {envvars.ENV_CLIENT_SECRET}",
        )
    value = ask(prompt).strip()
    if not value:
        raise MissingClientCredentials("An empty client secret was given")
    return Secret(value, SECRET_ENTERED)


def rejected(ctx: Context, client_id: str, secret: Secret) -> ClientSecretRejected:
    """The message of an invalid_client: which secret was sent, and how to replace it."""
    if secret.origin == SECRET_FROM_ENV:
        which = f"the secret in {envvars.ENV_CLIENT_SECRET}"
        hint = f"Fix or unset {envvars.ENV_CLIENT_SECRET} (Developer Hub shows the app's secret)"
    else:
        which = "the stored client secret" if secret.origin == SECRET_STORED else "the client secret entered"
        hint = f"Run `pdauth login{ctx.profile_flag} --new-client-secret` and enter the secret Developer Hub shows"
    return ClientSecretRejected(
        f"Pipedrive rejected the app's credentials (invalid_client): client id {client_id} with {which} "
        f"(at {ctx.settings.oauth_url})",
        hint=hint,
    )
