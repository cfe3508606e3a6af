"""`Session(emulator=...)`: logging in to a local pdauth emulator in memory, for tests and demos.

The Session does what a browser would: it asks /oauth/authorize, answers the consent page with "Allow and
install" (an emulator started with --auto-approve redirects at once), and exchanges the code. The token
set is never stored. The Session then runs as the CI env chain does (PIPEDRIVE_REFRESH_TOKEN with the
client id and secret, refreshed in memory) in a private temporary config dir, so nothing of the user's
own config, profiles or keyring is read or written. Only loopback addresses are accepted: this is for an
emulator on this machine, never for a real Pipedrive.
"""

from __future__ import annotations

import hmac
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol
from urllib.parse import parse_qsl, urlsplit

from pdauth import envvars
from pdauth.core import oauth
from pdauth.core.http import TIMEOUT
from pdauth.core.settings import is_loopback_url
from pdauth.core.sources import SOURCE_ENV_REFRESH, AccessToken
from pdauth.errors import AuthorizationDenied, ConfigError, LoginError

if TYPE_CHECKING:
    import requests

    from pdauth.core.context import Context

# `pdauth emulator`'s own defaults (its --client-id, --client-secret, --redirect-uri).
DEMO_CLIENT_ID: Final = "demo-client-id"
DEMO_CLIENT_SECRET: Final = "demo-client-secret"  # the emulator's published demo credential
DEMO_REDIRECT_URI: Final = "http://127.0.0.1:8976/callback"
_FIELD: Final = r'name="{}" value="([^"]*)"'


class AppConfig(Protocol):
    @property
    def client_id(self) -> str: ...
    @property
    def client_secret(self) -> str: ...
    @property
    def redirect_uri(self) -> str: ...


class EmulatorLike(Protocol):
    """A running pdauth.emulator.Emulator (its base URL and the app it registered)."""

    @property
    def base_url(self) -> str: ...
    @property
    def config(self) -> AppConfig: ...


@dataclass(frozen=True)
class Target:
    base_url: str
    client_id: str
    client_secret: str
    redirect_uri: str

    @classmethod
    def of(cls, emulator: str | EmulatorLike, env: Mapping[str, str]) -> Target:
        """An emulator object's own app; for a URL, the app `pdauth login` would use (PIPEDRIVE_CLIENT_ID,
        PIPEDRIVE_CLIENT_SECRET, PDAUTH_REDIRECT_URI), else the emulator's defaults."""
        if isinstance(emulator, str):
            target = cls(
                emulator.strip().rstrip("/"),
                env.get(envvars.ENV_CLIENT_ID) or DEMO_CLIENT_ID,
                env.get(envvars.ENV_CLIENT_SECRET) or DEMO_CLIENT_SECRET,
                env.get(envvars.ENV_REDIRECT_URI) or DEMO_REDIRECT_URI,
            )
        else:
            app = emulator.config
            target = cls(emulator.base_url.rstrip("/"), app.client_id, app.client_secret, app.redirect_uri)
        target.check()
        return target

    def check(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not is_loopback_url(self.base_url):
            raise ConfigError(
                f"emulator={self.base_url!r} is not an emulator on this machine",
                hint="Give the URL `pdauth emulator` prints (http://127.0.0.1:PORT); for Pipedrive itself, "
                "log in with `pdauth login` and use Session() or Session(profile=...)",
            )

    def env(self, base: Mapping[str, str], config_dir: str) -> dict[str, str]:
        """`base` without any pdauth or Pipedrive setting, and this emulator's app in their place (the
        network settings, proxies and CA bundle, stay as they are)."""
        env = {k: v for k, v in base.items() if not k.startswith(("PDAUTH_", "PIPEDRIVE_"))}
        env.update(
            {
                envvars.ENV_CONFIG_DIR: config_dir,
                envvars.ENV_OAUTH_URL: self.base_url,
                envvars.ENV_REDIRECT_URI: self.redirect_uri,
                envvars.ENV_CLIENT_ID: self.client_id,
                envvars.ENV_CLIENT_SECRET: self.client_secret,
            }
        )
        return env


def login(ctx: Context, target: Target) -> AccessToken:
    """Authorize the app at the emulator and exchange the code: the token set, held in memory only.
    `ctx` runs on `target.env(...)`, which gains the refresh token (the CI env chain's variable)."""
    import requests

    session = ctx.session
    state = oauth.new_state()
    url = oauth.authorize_url(target.base_url, target.client_id, target.redirect_uri, state)
    try:
        answer = session.get(url, allow_redirects=False, timeout=TIMEOUT)
        if answer.status_code == 200:
            answer = _allow(session, target, answer)
    except requests.RequestException as exc:
        raise LoginError(
            f"Could not reach the emulator at {target.base_url} ({type(exc).__name__})",
            hint="Start it first: `pdauth emulator` (or pdauth.emulator.Emulator in the test)",
        ) from None
    query = dict(parse_qsl(urlsplit(answer.headers.get("Location", "")).query))
    if not answer.is_redirect or not query:
        raise LoginError(
            f"The emulator at {target.base_url} did not authorize the app (HTTP {answer.status_code})",
            hint="Its client id, secret and redirect URI must be the ones given (PIPEDRIVE_CLIENT_ID, "
            "PIPEDRIVE_CLIENT_SECRET, PDAUTH_REDIRECT_URI, or the emulator's defaults)",
        )
    if "error" in query:
        raise AuthorizationDenied(f"The emulator at {target.base_url} denied the authorization")
    if not hmac.compare_digest(query.get("state", ""), state) or "code" not in query:
        raise LoginError(f"The emulator at {target.base_url} answered the authorization with another state")
    client = oauth.ClientCredentials(target.client_id, target.client_secret)
    tokens = oauth.exchange_code(
        session,
        target.base_url,
        client,
        query["code"],
        target.redirect_uri,
        ctx.now(),
        redactor=ctx.deps.redactor,
    )
    if isinstance(ctx.env, dict) and tokens.refresh_token:
        ctx.env[envvars.ENV_REFRESH_TOKEN] = tokens.refresh_token
    return AccessToken(
        tokens.access_token,
        tokens.api_domain,
        tokens.expires_at,
        ctx.profile_name,
        SOURCE_ENV_REFRESH,
        tokens,
    )


def _allow(session: requests.Session, target: Target, page: requests.Response) -> requests.Response:
    """Click "Allow and install" on the emulator's consent page (its cookie is in the session's jar)."""
    fields = {name: re.search(_FIELD.format(name), page.text) for name in ("request_id", "csrf_token")}
    if not all(fields.values()):
        raise LoginError(
            f"{target.base_url} answered /oauth/authorize with a page that is not a consent page"
        )
    form = {name: html.unescape(match.group(1)) for name, match in fields.items() if match}
    return session.post(
        f"{target.base_url}/oauth/authorize/decision",
        data={**form, "decision": "allow"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
