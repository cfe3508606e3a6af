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
from pdauth.errors import ClientSecretRejected, MissingClientCredentials

SECRET_FROM_ENV: Final = envvars.ENV_CLIENT_SECRET  # the same words as pdauth.core.oauth's
SECRET_STORED: Final = "stored"
SECRET_ENTERED: Final = "entered"


@dataclass(frozen=True)
class Secret:
    value: str
    origin: str  # SECRET_FROM_ENV, SECRET_STORED or SECRET_ENTERED


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
    from pdauth.core.oauth import client_rejected

    return client_rejected(client_id, secret.origin, ctx.settings.oauth_url, ctx.profile_flag)
