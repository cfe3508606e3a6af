"""oauth.pipedrive.com: the authorize/consent pages, the token endpoint and RFC 7009 revocation."""

from __future__ import annotations

import base64
import binascii
import hmac
from typing import TYPE_CHECKING, Final
from urllib.parse import urlencode, urlsplit, urlunsplit

from pdauth.emulator.pages import SECURITY_HEADERS, consent_page, error_response
from pdauth.emulator.state import ConsentError, IssuedTokens, OAuthError
from pdauth.emulator.web import FORM_TYPE, BadInput, Request, Response, json_response, redirect

if TYPE_CHECKING:
    from pdauth.emulator.hub import Hub

CSRF_COOKIE_PREFIX: Final = "pdemu_csrf_"
_COOKIE_PATH: Final = "/oauth/authorize"
_BASIC_CHALLENGE: Final = ("WWW-Authenticate", 'Basic realm="Pipedrive OAuth"')


# --- GET /oauth/authorize and POST /oauth/authorize/decision ---------------------------------------


def authorize(app: Hub, request: Request) -> Response:
    if request.method != "GET":
        return _html_405("GET")
    try:
        params = request.query_params()
    except BadInput as exc:
        return error_response(400, "Invalid authorization request", str(exc))
    config = app.config
    # RFC 6749 §4.1.2.1: until client and redirect_uri are verified, never redirect anywhere.
    client_id = params.get("client_id", "")
    if not _same(client_id, config.client_id):
        return error_response(400, "Unknown app", f"No app is registered with client_id {client_id!r}.")
    redirect_uri = params.get("redirect_uri")
    if redirect_uri != config.redirect_uri:
        return error_response(
            400,
            "Callback URL mismatch",
            f"redirect_uri {redirect_uri!r} is not the callback URL registered for this app.",
        )
    state = params.get("state")
    response_type = params.get("response_type")
    if response_type is not None and response_type != "code":
        return redirect(_with_params(redirect_uri, error="unsupported_response_type", state=state))
    if config.auto_approve:
        return _allow(app, redirect_uri, state)
    if config.auto_deny:
        return _deny(app, redirect_uri, state)
    pending = app.auth.open_consent(redirect_uri, state)
    page = consent_page(
        app_name=config.app_name,
        scopes=config.granted_scopes,
        identity=app.auth.identity,
        request_id=pending.request_id,
        csrf_token=pending.csrf_token,
    )
    cookie = (
        f"{CSRF_COOKIE_PREFIX}{pending.request_id}={pending.csrf_token}; Path={_COOKIE_PATH}; "
        "Max-Age=600; HttpOnly; SameSite=Strict"
    )
    return Response(200, page, "text/html; charset=utf-8", [*SECURITY_HEADERS, ("Set-Cookie", cookie)])


def decision(app: Hub, request: Request) -> Response:
    if request.method != "POST":
        return _html_405("POST")
    if request.media_type != FORM_TYPE:
        return error_response(400, "Invalid consent form", "The form must be posted as a form.")
    try:
        form = request.form()
    except BadInput as exc:
        return error_response(400, "Invalid consent form", str(exc))
    choice = form.get("decision")
    if choice not in ("allow", "cancel"):
        return error_response(400, "Invalid consent form", "decision must be 'allow' or 'cancel'.")
    request_id = form.get("request_id", "")
    try:
        pending = app.auth.take_consent(
            request_id, form.get("csrf_token", ""), request.cookie(CSRF_COOKIE_PREFIX + request_id)
        )
    except ConsentError as exc:
        return error_response(exc.status, "Authorization failed", str(exc))
    expire = (
        "Set-Cookie",
        f"{CSRF_COOKIE_PREFIX}{request_id}=; Path={_COOKIE_PATH}; Max-Age=0; HttpOnly; SameSite=Strict",
    )
    if choice == "allow":
        response = _allow(app, pending.redirect_uri, pending.state)
    else:
        response = _deny(app, pending.redirect_uri, pending.state)
    response.headers.append(expire)
    return response


def _allow(app: Hub, redirect_uri: str, state: str | None) -> Response:
    app.stats.incr_key("consents", "allow")
    code = app.auth.issue_code(redirect_uri)
    return redirect(_with_params(redirect_uri, code=code, state=state))


def _deny(app: Hub, redirect_uri: str, state: str | None) -> Response:
    app.stats.incr_key("consents", "cancel")
    return redirect(_with_params(redirect_uri, error="user_denied", state=state))


def _with_params(uri: str, **params: str | None) -> str:
    parts = urlsplit(uri)
    extra = urlencode({k: v for k, v in params.items() if v is not None})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit(parts._replace(query=query))


def _html_405(allowed: str) -> Response:
    response = error_response(405, "Method not allowed", f"Use {allowed}.")
    response.headers.append(("Allow", allowed))
    return response


# --- POST /oauth/token and POST /oauth/revoke --------------------------------------------------


def token(app: Hub, request: Request) -> Response:
    try:
        form = _oauth_form(request)
        client_id = _authenticate_client(app, request, form, body_allowed=True)
        grant_type = form.get("grant_type")
        if not grant_type:
            raise OAuthError("invalid_request", "Invalid request: missing parameter grant_type")
        tokens = _grant(app, client_id, grant_type, form)
    except OAuthError as exc:
        app.stats.incr_key("grant_errors", exc.error)
        return _oauth_error(exc)
    app.stats.incr_key("grants", grant_type)
    payload = {
        "access_token": tokens.access_token,
        "token_type": "Bearer",
        "refresh_token": tokens.refresh_token,
        "scope": ",".join(tokens.scopes),
        "expires_in": tokens.expires_in,
        "api_domain": app.base_url,
    }
    return json_response(200, payload, no_store=True)


def _grant(app: Hub, client_id: str, grant_type: str, form: dict[str, str]) -> IssuedTokens:
    if grant_type == "authorization_code":
        code = form.get("code")
        if not code:
            raise OAuthError("invalid_request", "Invalid request: missing parameter code")
        return app.auth.redeem_code(client_id, code, form.get("redirect_uri"))
    if grant_type == "refresh_token":
        refresh_token = form.get("refresh_token")
        if not refresh_token:
            raise OAuthError("invalid_request", "Invalid request: missing parameter refresh_token")
        return app.auth.refresh(client_id, refresh_token)
    raise OAuthError("unsupported_grant_type", f"Unsupported grant type: {grant_type}")


def revoke(app: Hub, request: Request) -> Response:
    try:
        form = _oauth_form(request)
        # Pipedrive's revoke endpoint takes client credentials by HTTP Basic only.
        _authenticate_client(app, request, form, body_allowed=False)
        value = form.get("token")
        if not value:
            raise OAuthError("invalid_request", "Invalid request: missing parameter token")
    except OAuthError as exc:
        return _oauth_error(exc)
    # RFC 7009 §2.2: 200 whether or not the token existed; token_type_hint only speeds up a lookup.
    app.auth.revoke(value)
    app.stats.incr("revocations")
    return Response(200, b"", None, [("Cache-Control", "no-store"), ("Pragma", "no-cache")])


def _oauth_form(request: Request) -> dict[str, str]:
    if request.method != "POST":
        raise OAuthError("invalid_request", f"Invalid request: method {request.method} not allowed", 405)
    if request.media_type != FORM_TYPE:
        raise OAuthError(
            "invalid_request", "Invalid request: content type must be application/x-www-form-urlencoded"
        )
    try:
        return request.form()
    except BadInput as exc:
        raise OAuthError("invalid_request", f"Invalid request: {exc}") from None


def _authenticate_client(app: Hub, request: Request, form: dict[str, str], *, body_allowed: bool) -> str:
    """The client_id, once its secret checks out (HTTP Basic, or form fields where allowed)."""
    header = request.header("Authorization")
    if header is not None:
        if "client_secret" in form:
            raise OAuthError("invalid_request", "Invalid request: use one client authentication method")
        client_id, secret = _parse_basic(header)
        if not _client_ok(app, client_id, secret):
            raise OAuthError("invalid_client", "Invalid client: client authentication failed", 401)
        return client_id
    if not body_allowed:
        raise OAuthError("invalid_client", "Invalid client: HTTP Basic client authentication required", 401)
    body_id, body_secret = form.get("client_id"), form.get("client_secret")
    if body_id is None or body_secret is None:
        raise OAuthError("invalid_client", "Invalid client: missing client credentials")
    if not _client_ok(app, body_id, body_secret):
        raise OAuthError("invalid_client", "Invalid client: client authentication failed")
    return body_id


def _parse_basic(header: str) -> tuple[str, str]:
    scheme, _, value = header.strip().partition(" ")
    try:
        if scheme.lower() != "basic":
            raise ValueError(scheme)
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise OAuthError("invalid_client", "Invalid client: malformed Basic authorization", 401) from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise OAuthError("invalid_client", "Invalid client: malformed Basic authorization", 401)
    return client_id, secret


def _client_ok(app: Hub, client_id: str, secret: str) -> bool:
    id_ok = _same(client_id, app.config.client_id)
    secret_ok = _same(secret, app.config.client_secret)
    return id_ok and secret_ok


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _oauth_error(exc: OAuthError) -> Response:
    headers = [_BASIC_CHALLENGE] if exc.status == 401 else []
    if exc.status == 405:
        headers.append(("Allow", "POST"))
    body = {"success": False, "message": exc.message, "error": exc.error}
    return json_response(exc.status, body, headers, no_store=True)
