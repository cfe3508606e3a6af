"""EmulatorConfig: every knob of the emulated Pipedrive app, validated once, shared read-only."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Final, TextIO

# Pipedrive's published scope names; an unknown one is almost always a typo in --scopes.
KNOWN_SCOPES: Final = (
    "base",
    "deals:read",
    "deals:full",
    "mail:read",
    "mail:full",
    "activities:read",
    "activities:full",
    "contacts:read",
    "contacts:full",
    "products:read",
    "products:full",
    "deal-fields:full",
    "product-fields:full",
    "contact-fields:full",
    "users:read",
    "recents:read",
    "search:read",
    "admin",
    "leads:read",
    "leads:full",
    "phone-integration",
    "goals:read",
    "goals:full",
    "video-calls",
    "messengers-integration",
    "projects:read",
    "projects:full",
    "webhooks:read",
    "webhooks:full",
)

CODE_TTL: Final = 300  # Pipedrive: authorization codes expire after 5 minutes
CONSENT_TTL: Final = 600  # how long a rendered consent page stays usable
BURST_WINDOW: Final = 2.0  # Pipedrive's burst limit counts requests per 2-second window


@dataclass(frozen=True)
class Identity:
    """The Pipedrive user (and company) an authorization logs in as."""

    user_id: int = 777
    user_name: str = "Demo User"
    user_email: str = "demo.user@example.com"
    company_id: int = 123
    company_name: str = "Acme Demo Ltd"
    company_domain: str = "acme"


@dataclass(frozen=True)
class EmulatorConfig:
    """Settings of one emulator instance: the registered app, token lifetimes, limits, seed data."""

    client_id: str = "demo-client-id"
    client_secret: str = "demo-client-secret"
    redirect_uri: str = "http://127.0.0.1:8976/callback"
    host: str = "127.0.0.1"
    port: int = 0
    auto_approve: bool = False
    auto_deny: bool = False
    scopes: tuple[str, ...] = ("base", "deals:full")
    access_token_ttl: int = 3599
    refresh_token_idle_ttl: int = 60 * 86400
    rotate_refresh_tokens: bool = False
    burst_limit: int = 80
    retry_after_header: bool = False
    deals: int = 0
    user_id: int = Identity.user_id
    user_name: str = Identity.user_name
    user_email: str = Identity.user_email
    company_id: int = Identity.company_id
    company_name: str = Identity.company_name
    company_domain: str = Identity.company_domain
    app_name: str = "pdauth (emulated app)"
    timezone_name: str = "Europe/Tallinn"
    # An idle or silent connection is closed after this many seconds; each one has its own thread,
    # so a silent client never blocks others, this only bounds how long it holds a thread.
    connection_timeout: float = 15.0
    log_stream: TextIO | None = field(default_factory=lambda: sys.stderr)

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not self.client_id or not self.client_secret:
            problems.append("client_id and client_secret must not be empty")
        if not self.redirect_uri.startswith(("http://", "https://")):
            problems.append(f"redirect_uri must be an http(s) URL, got {self.redirect_uri!r}")
        if self.auto_approve and self.auto_deny:
            problems.append("auto_approve and auto_deny exclude each other")
        unknown = [s for s in self.scopes if s not in KNOWN_SCOPES]
        if unknown:
            problems.append(f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(KNOWN_SCOPES)}")
        if not 0 <= self.port <= 65535:
            problems.append(f"port must be 0..65535, got {self.port}")
        for name in ("access_token_ttl", "refresh_token_idle_ttl", "burst_limit"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be at least 1")
        if self.deals < 0:
            problems.append("deals must not be negative")
        if self.connection_timeout <= 0:
            problems.append("connection_timeout must be positive")
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def granted_scopes(self) -> tuple[str, ...]:
        """The scopes every authorization grants: `base` always, first, then the rest without repeats."""
        rest = [s for s in dict.fromkeys(self.scopes) if s != "base"]
        return ("base", *rest)

    @property
    def identity(self) -> Identity:
        return Identity(
            user_id=self.user_id,
            user_name=self.user_name,
            user_email=self.user_email,
            company_id=self.company_id,
            company_name=self.company_name,
            company_domain=self.company_domain,
        )


def parse_scopes(text: str) -> tuple[str, ...]:
    """Split a scope list given as commas and/or spaces ("base,deals:full" or "base deals:full")."""
    return tuple(s for s in text.replace(",", " ").split() if s)
