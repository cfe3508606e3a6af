"""Pipedrive's OAuth endpoints: authorize URL, code exchange, refresh, revoke.

Client authentication is HTTP Basic and bodies are form-encoded, as Pipedrive requires (a JSON body gets
400; credentials in a URL would end up in logs). The requests.Session is injected so callers choose
retries, timeouts and connection reuse, and tests can count what was sent.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlencode

from pdauth.core.tokens import MalformedTokenResponse, TokenSet
from pdauth.errors import ClientSecretRejected, PdauthError, TokenRequestFailed

if TYPE_CHECKING:
    import requests

    from pdauth.core.redact import Redactor

log = logging.getLogger(__name__)

# (connect, read) seconds: a token endpoint that takes longer than this is down, not slow.
TIMEOUT: Final = (5.0, 30.0)
_UNREACHABLE_HINT: Final = (
    "Check the network connection (and PDAUTH_OAUTH_URL or a proxy variable, if set), then try again"
)


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    client_secret: str

    def __repr__(self) -> str:  # never let the secret reach a log or a traceback
        return f"ClientCredentials(client_id={self.client_id!r}, client_secret='***')"


class OAuthError(TokenRequestFailed):
    """The token endpoint answered with an OAuth error (`error` field), e.g. invalid_grant."""

    def __init__(self, error: str, description: str, status: int) -> None:
        super().__init__(f"Pipedrive rejected the token request: {error} ({description})")
        self.error = error
        self.description = description
        self.status = status


SECRET_FROM_ENV: Final = "PIPEDRIVE_CLIENT_SECRET"
SECRET_STORED: Final = "stored"
SECRET_ENTERED: Final = "entered"


def client_rejected(
    client_id: str, secret_origin: str, oauth_url: str, profile_flag: str
) -> ClientSecretRejected:
    """The message of an invalid_client: which secret was sent (env, stored, just typed) and how to replace it."""
    if secret_origin == SECRET_FROM_ENV:
        which = f"the secret in {SECRET_FROM_ENV}"
        hint = f"Fix or unset {SECRET_FROM_ENV} (Developer Hub shows the app's secret)"
    else:
        which = "the stored client secret" if secret_origin == SECRET_STORED else "the client secret entered"
        hint = (
            f"Run `pdauth login{profile_flag} --new-client-secret` and enter the secret Developer Hub shows"
        )
    return ClientSecretRejected(
        f"Pipedrive rejected the app's credentials (invalid_client): client id {client_id} with {which} "
        f"(at {oauth_url})",
        hint=hint,
    )


def new_state() -> str:
    """256 random bits, URL-safe: the CSRF guard of the authorization request (RFC 6749 §10.12)."""
    return secrets.token_urlsafe(32)


def authorize_url(oauth_url: str, client_id: str, redirect_uri: str, state: str) -> str:
    query = urlencode(
        {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "state": state}
    )
    return f"{oauth_url}/oauth/authorize?{query}"


def exchange_code(
    session: requests.Session,
    oauth_url: str,
    client: ClientCredentials,
    code: str,
    redirect_uri: str,
    now: float,
    *,
    redactor: Redactor,
) -> TokenSet:
    """The token set for a login's authorization code (its secrets registered with `redactor`)."""
    redactor.register(code)
    redactor.register(client.client_secret)
    payload = _token_request(
        session,
        oauth_url,
        client,
        {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
    )
    return _parse(payload, now, None, redactor).bound_to(oauth_url, client.client_id)


def refresh(
    session: requests.Session,
    oauth_url: str,
    client: ClientCredentials,
    refresh_token: str,
    now: float,
    *,
    redactor: Redactor,
) -> TokenSet:
    """A new token set for `refresh_token` (every secret involved registered with `redactor`)."""
    redactor.register(refresh_token)
    redactor.register(client.client_secret)
    payload = _token_request(
        session, oauth_url, client, {"grant_type": "refresh_token", "refresh_token": refresh_token}
    )
    return _parse(payload, now, refresh_token, redactor).bound_to(oauth_url, client.client_id)


def revoke(
    session: requests.Session, oauth_url: str, client: ClientCredentials, token: str, hint: str
) -> None:
    import requests

    try:
        response = session.post(
            f"{oauth_url}/oauth/revoke",
            data={"token": token, "token_type_hint": hint},
            auth=(client.client_id, client.client_secret),
            timeout=TIMEOUT,
        )
    except requests.RequestException as exc:
        raise TokenRequestFailed(
            f"Could not reach {oauth_url} to revoke the token ({type(exc).__name__})"
        ) from None
    if response.status_code != 200:
        raise _error_from(response)


def _parse(payload: Any, now: float, previous_refresh: str | None, redactor: Redactor) -> TokenSet:
    if isinstance(payload, dict):
        for name in ("access_token", "refresh_token"):
            value = payload.get(name)
            redactor.register(value if isinstance(value, str) else None)
    try:
        return TokenSet.from_response(payload, now, previous_refresh)
    except MalformedTokenResponse as exc:
        raise TokenRequestFailed(f"Pipedrive's token response was malformed: {exc}") from None


def _token_request(
    session: requests.Session, oauth_url: str, client: ClientCredentials, form: dict[str, str]
) -> Any:
    import requests

    url = f"{oauth_url}/oauth/token"
    log.debug("POST %s grant_type=%s", url, form["grant_type"])
    try:
        response = session.post(
            url,
            data=form,  # form-encoded: Pipedrive answers 400 to JSON
            auth=(client.client_id, client.client_secret),
            headers={"Accept": "application/json"},
            timeout=TIMEOUT,
            allow_redirects=False,
        )
    except requests.Timeout:
        raise TokenRequestFailed(
            f"Pipedrive's token endpoint ({url}) did not answer in time", hint=_UNREACHABLE_HINT
        ) from None
    except requests.RequestException as exc:
        # Nothing was answered: the client id/secret are not in question (only an answer could say so).
        raise TokenRequestFailed(
            f"Could not reach Pipedrive's token endpoint {url} ({type(exc).__name__})", hint=_UNREACHABLE_HINT
        ) from None
    log.debug("token endpoint answered %s", response.status_code)
    if response.status_code != 200:
        raise _error_from(response)
    try:
        return response.json()
    except ValueError:
        raise TokenRequestFailed(
            f"Pipedrive's token endpoint answered 200 with something that is not JSON "
            f"({_content_type(response)})"
        ) from None


def _content_type(response: requests.Response) -> str:
    return response.headers.get("Content-Type", "no content type").split(";")[0]


def _error_from(response: requests.Response) -> PdauthError:
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if response.status_code >= 500:
        # A server failure whatever the body says, not a verdict on the request (RFC 6749 §5.2 ones are 4xx).
        detail = f": {error}" if isinstance(error, str) else ""
        status = response.status_code
        return TokenRequestFailed(f"Pipedrive's token endpoint is failing (HTTP {status}{detail})")
    if isinstance(body, dict) and isinstance(error, str):
        description = str(body.get("message") or body.get("error_description") or error)
        return OAuthError(error, description, response.status_code)
    return TokenRequestFailed(
        f"Pipedrive's token endpoint answered HTTP {response.status_code} ({_content_type(response)})"
    )
