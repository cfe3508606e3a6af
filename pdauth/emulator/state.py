"""The OAuth state of the emulated Pipedrive: consent requests, codes, installs and tokens, under one lock."""

from __future__ import annotations

import dataclasses
import hmac
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from pdauth.emulator.clock import Clock
from pdauth.emulator.config import CODE_TTL, CONSENT_TTL, EmulatorConfig, Identity


class OAuthError(Exception):
    """A token-endpoint failure in Pipedrive's words: `error` code, human `message`, HTTP status."""

    def __init__(self, error: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.error = error
        self.message = message
        self.status = status


class ConsentError(Exception):
    """The consent form was stale, replayed or forged; `status` is 400 or 403."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class PendingConsent:
    request_id: str
    csrf_token: str
    redirect_uri: str
    state: str | None
    expires_at: float


@dataclass
class Install:
    """What one authorization code turned into: a refresh token and the access tokens minted from it."""

    client_id: str
    identity: Identity
    scopes: tuple[str, ...]
    refresh_token: str
    refresh_expires_at: float
    access_tokens: set[str] = field(default_factory=set)


@dataclass
class AuthCode:
    client_id: str
    redirect_uri: str
    identity: Identity
    scopes: tuple[str, ...]
    expires_at: float
    install: Install | None = None  # set once redeemed; a replay revokes it


@dataclass
class AccessToken:
    install: Install
    expires_at: float


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    scopes: tuple[str, ...]
    expires_in: int


@dataclass(frozen=True)
class Caller:
    """Who an API request's bearer token speaks for."""

    access_token: str
    identity: Identity
    scopes: tuple[str, ...]

    @property
    def user_id(self) -> int:
        return self.identity.user_id


class AuthState:
    """Thread-safe store of everything OAuth; each public method is one atomic step under `lock`."""

    def __init__(self, config: EmulatorConfig, clock: Clock, lock: threading.Lock) -> None:
        self._config = config
        self._clock = clock
        self._lock = lock
        self._identity = config.identity
        self._consents: dict[str, PendingConsent] = {}
        self._codes: dict[str, AuthCode] = {}
        self._installs: dict[str, Install] = {}  # by refresh token
        self._access: dict[str, AccessToken] = {}

    @property
    def identity(self) -> Identity:
        with self._lock:
            return self._identity

    def set_identity(self, **changes: Any) -> Identity:
        """Change who the next authorization logs in as; tokens already issued keep their identity."""
        with self._lock:
            self._identity = dataclasses.replace(self._identity, **changes)
            return self._identity

    # --- consent page ---------------------------------------------------------------------------

    def open_consent(self, redirect_uri: str, state: str | None) -> PendingConsent:
        pending = PendingConsent(
            request_id=secrets.token_urlsafe(18),
            csrf_token=secrets.token_urlsafe(32),
            redirect_uri=redirect_uri,
            state=state,
            expires_at=self._clock.now() + CONSENT_TTL,
        )
        with self._lock:
            now = self._clock.now()
            for rid in [r for r, p in self._consents.items() if p.expires_at <= now]:
                del self._consents[rid]
            self._consents[pending.request_id] = pending
        return pending

    def take_consent(self, request_id: str, csrf_form: str, csrf_cookie: str | None) -> PendingConsent:
        """Consume a consent request if the form's token matches both the cookie and what we issued."""
        with self._lock:
            pending = self._consents.get(request_id)
            if pending is None or pending.expires_at <= self._clock.now():
                raise ConsentError(
                    "This authorization request has expired or was already answered. "
                    "Start the login again from the application.",
                    400,
                )
            # Double check: the form field proves the page was ours, the SameSite=Strict cookie proves
            # the POST came from a page of this origin, so another site cannot forge the decision.
            if not (
                csrf_cookie is not None
                and hmac.compare_digest(csrf_form.encode(), pending.csrf_token.encode())
                and hmac.compare_digest(csrf_cookie.encode(), pending.csrf_token.encode())
            ):
                raise ConsentError("The consent form could not be verified (CSRF check failed).", 403)
            del self._consents[request_id]
            return pending

    # --- authorization codes ----------------------------------------------------------------------

    def issue_code(self, redirect_uri: str) -> str:
        with self._lock:
            identity = self._identity
            code = f"{identity.company_id}.{identity.user_id}.{secrets.token_hex(20)}"
            self._codes[code] = AuthCode(
                client_id=self._config.client_id,
                redirect_uri=redirect_uri,
                identity=identity,
                scopes=self._config.granted_scopes,
                expires_at=self._clock.now() + CODE_TTL,
            )
            return code

    def redeem_code(self, client_id: str, code: str, redirect_uri: str | None) -> IssuedTokens:
        with self._lock:
            record = self._codes.get(code)
            if record is None or record.client_id != client_id:
                raise OAuthError("invalid_grant", "Invalid grant: authorization code is invalid")
            if record.install is not None:
                # RFC 6749 §4.1.2: a replayed code may mean it was stolen; revoke what it produced.
                self._kill_install(record.install)
                raise OAuthError("invalid_grant", "Invalid grant: authorization code has already been used")
            if record.expires_at <= self._clock.now():
                del self._codes[code]
                raise OAuthError("invalid_grant", "Invalid grant: authorization code has expired")
            if redirect_uri != record.redirect_uri:
                raise OAuthError("invalid_request", "Invalid request: redirect_uri does not match")
            install = Install(
                client_id=client_id,
                identity=record.identity,
                scopes=record.scopes,
                refresh_token=self._new_refresh_token(record.identity),
                refresh_expires_at=self._clock.now() + self._config.refresh_token_idle_ttl,
            )
            record.install = install
            self._installs[install.refresh_token] = install
            return self._mint_access(install)

    # --- refresh, revoke, authenticate ------------------------------------------------------------

    def refresh(self, client_id: str, refresh_token: str) -> IssuedTokens:
        with self._lock:
            install = self._installs.get(refresh_token)
            if install is None or install.client_id != client_id:
                raise OAuthError("invalid_grant", "Invalid grant: refresh token is invalid")
            now = self._clock.now()
            if install.refresh_expires_at <= now:
                self._kill_install(install)
                raise OAuthError("invalid_grant", "Invalid grant: refresh token has expired")
            # Each use restarts the idle expiry (Pipedrive: 60 days without use).
            install.refresh_expires_at = now + self._config.refresh_token_idle_ttl
            if self._config.rotate_refresh_tokens:
                del self._installs[install.refresh_token]
                install.refresh_token = self._new_refresh_token(install.identity)
                self._installs[install.refresh_token] = install
            return self._mint_access(install)

    def revoke(self, token: str) -> str:
        """Revoke a refresh token (the whole install) or one access token; 'unknown' is no error."""
        if token not in self._installs and token not in self._access and "%" in token:
            # The official Node SDK percent-encodes an access token before form-encoding it, so it
            # arrives as "v1u%3A...". Tokens never contain "%", so decoding once cannot misfire.
            token = unquote(token)
        with self._lock:
            install = self._installs.get(token)
            if install is not None:
                self._kill_install(install)
                return "refresh_token"
            access = self._access.pop(token, None)
            if access is not None:
                access.install.access_tokens.discard(token)
                return "access_token"
            return "unknown"

    def authenticate(self, access_token: str) -> Caller | None:
        with self._lock:
            record = self._access.get(access_token)
            if record is None:
                return None
            if record.expires_at <= self._clock.now():
                del self._access[access_token]
                record.install.access_tokens.discard(access_token)
                return None
            return Caller(access_token, record.install.identity, record.install.scopes)

    def counts(self) -> dict[str, int]:
        """Live objects, for the stats endpoint."""
        with self._lock:
            return {"installs": len(self._installs), "access_tokens": len(self._access)}

    # --- helpers (lock held) -------------------------------------------------------------------

    def _mint_access(self, install: Install) -> IssuedTokens:
        # Pipedrive's access tokens are ~400+ URL-safe characters after "v1u:" and keep growing.
        token = "v1u:" + secrets.token_urlsafe(312)
        ttl = self._config.access_token_ttl
        self._access[token] = AccessToken(install, self._clock.now() + ttl)
        install.access_tokens.add(token)
        return IssuedTokens(token, install.refresh_token, install.scopes, ttl)

    def _kill_install(self, install: Install) -> None:
        self._installs.pop(install.refresh_token, None)
        for token in install.access_tokens:
            self._access.pop(token, None)
        install.access_tokens.clear()

    @staticmethod
    def _new_refresh_token(identity: Identity) -> str:
        return f"{identity.company_id}:{identity.user_id}:{secrets.token_hex(20)}"
