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

# Scopes the emulated app has unless --scopes says otherwise: enough to use every endpoint served
# (admin covers pipelines, stages, fields and webhooks writes, as the SDK's scope lists say).
DEFAULT_SCOPES: Final = (
    "base", "deals:full", "contacts:full", "activities:full", "products:full", "leads:full",
    "users:read", "search:read", "webhooks:full", "admin",
)  # fmt: skip
# OAuth burst limits per 2-second window and access token, by plan (Pipedrive "Rate limiting").
PLANS: Final = {"essential": 80, "advanced": 160, "professional": 320, "power": 400, "enterprise": 480}
SEARCH_BURST: Final = 10  # search endpoints: 10 per 2 s on every plan (same page)
V1_DEALS_MODES: Final = ("deprecated", "gone")

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
    # The address clients reach this emulator at, handed out as the OAuth base URL and api_domain, when
    # that is not its own (a TLS front, a proxy); None: http://HOST:PORT as bound.
    public_url: str | None = None
    auto_approve: bool = False
    auto_deny: bool = False
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    access_token_ttl: int = 3599
    refresh_token_idle_ttl: int = 60 * 86400
    rotate_refresh_tokens: bool = False
    plan: str = "essential"
    burst_limit: int | None = None  # None: the plan's figure
    search_burst_limit: int = SEARCH_BURST
    daily_budget: int | None = None  # tokens per company per day; None: counted, never refused
    retry_after_header: bool = False
    # Seed data (see seed.py): deals, and the rest in proportion unless given.
    seed: int = 1
    deals: int = 0
    persons: int | None = None
    organizations: int | None = None
    activities: int | None = None
    products: int | None = None
    custom_fields: tuple[str, ...] = ()  # "entity:Name:type[:Option|Option]", e.g. "deal:Budget:monetary"
    v1_deals: str = "deprecated"  # "gone": the v1 deal endpoints answer 410, as after their retirement
    webhook_retry_delays: tuple[float, ...] = (10.0, 60.0, 600.0)  # emulated seconds before each retry
    webhook_timeout: float = 10.0  # seconds a subscriber may take to answer a delivery
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
        for name in ("access_token_ttl", "refresh_token_idle_ttl", "search_burst_limit"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be at least 1")
        for name in ("burst_limit", "daily_budget"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                problems.append(f"{name} must be at least 1")
        if self.plan not in PLANS:
            problems.append(f"plan must be one of {', '.join(PLANS)}, got {self.plan!r}")
        for name in ("deals", "persons", "organizations", "activities", "products"):
            if (getattr(self, name) or 0) < 0:
                problems.append(f"{name} must not be negative")
        if self.v1_deals not in V1_DEALS_MODES:
            problems.append(f"v1_deals must be one of {', '.join(V1_DEALS_MODES)}")
        if any(d < 0 for d in self.webhook_retry_delays) or self.webhook_timeout <= 0:
            problems.append("webhook_retry_delays must not be negative and webhook_timeout must be positive")
        problems += _custom_field_problems(self.custom_fields)
        if self.connection_timeout <= 0:
            problems.append("connection_timeout must be positive")
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def burst(self) -> int:
        """The burst limit in force: --burst-limit if given, else the plan's."""
        return self.burst_limit if self.burst_limit is not None else PLANS[self.plan]

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


def _custom_field_problems(specs: tuple[str, ...]) -> list[str]:
    from pdauth.emulator.custom_fields import CustomFieldTable

    try:
        CustomFieldTable(specs)
    except ValueError as exc:
        return [str(exc)]
    return []


def parse_scopes(text: str) -> tuple[str, ...]:
    """Split a scope list given as commas and/or spaces ("base,deals:full" or "base deals:full")."""
    return tuple(s for s in text.replace(",", " ").split() if s)
