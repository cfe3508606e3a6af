"""`pdauth emulator` / `python -m pdauth.emulator`: run the emulator in the foreground until Ctrl-C.

Kept light to import: the server is imported inside the command, so registering this command costs
the CLI nothing on its other paths.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from pdauth.emulator.server import Emulator

ENV_SECRET = "PDAUTH_EMULATOR_CLIENT_SECRET"
# Repeated here rather than imported: importing config would cost every other CLI command.
_DEFAULT_SCOPES = "base,deals:full,contacts:full,activities:full,products:full,leads:full,users:read,search:read,webhooks:full,admin"
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def emulator(
    port: Annotated[int, typer.Option(help="Port to listen on; 0 picks a free one (printed).")] = 8977,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    public_url: Annotated[
        str | None,
        typer.Option(help="The URL clients reach it at (behind TLS or a proxy): handed out as api_domain."),
    ] = None,
    client_id: Annotated[str, typer.Option(help="The registered app's client id.")] = "demo-client-id",
    client_secret: Annotated[
        str,
        typer.Option(
            envvar=ENV_SECRET,
            help="The registered app's client secret (a demo value of this fake server).",
        ),
    ] = "demo-client-secret",  # noqa: S107 - the demo secret of a fake server
    redirect_uri: Annotated[
        str, typer.Option(help="The app's one registered callback URL (compared exactly).")
    ] = "http://127.0.0.1:8976/callback",
    auto_approve: Annotated[
        bool, typer.Option("--auto-approve", help="Skip the consent page, as if Allow was clicked.")
    ] = False,
    auto_deny: Annotated[
        bool, typer.Option("--auto-deny", help="Skip the consent page, as if Cancel was clicked.")
    ] = False,
    scopes: Annotated[
        str, typer.Option(help="Scopes the app was registered with, comma-separated (base is implied).")
    ] = _DEFAULT_SCOPES,
    access_token_ttl: Annotated[int, typer.Option(help="Access token lifetime, seconds.")] = 3599,
    refresh_token_idle_ttl: Annotated[
        int, typer.Option(help="Refresh token expiry after this many idle seconds.")
    ] = 60 * 86400,
    rotate_refresh_tokens: Annotated[
        bool,
        typer.Option("--rotate-refresh-tokens", help="Issue a new refresh token on every refresh."),
    ] = False,
    plan: Annotated[
        str,
        typer.Option(
            help="Pipedrive plan whose burst limit applies: essential, advanced, professional, power, enterprise."
        ),
    ] = "essential",
    burst_limit: Annotated[
        int | None, typer.Option(help="API requests per access token per 2 seconds (default: the plan's).")
    ] = None,
    daily_budget: Annotated[
        int | None, typer.Option(help="Daily API token budget per company (default: counted, never refused).")
    ] = None,
    retry_after_header: Annotated[
        bool, typer.Option("--retry-after-header", help="Send Retry-After with burst-limit 429 responses.")
    ] = False,
    seed: Annotated[int, typer.Option(help="Seed of the generated company data (same seed, same data).")] = 1,
    deals: Annotated[
        int, typer.Option(help="Number of deals to seed (other objects follow in proportion).")
    ] = 0,
    persons: Annotated[int | None, typer.Option(help="Persons to seed (default: deals / 4).")] = None,
    organizations: Annotated[
        int | None, typer.Option(help="Organizations to seed (default: deals / 10).")
    ] = None,
    activities: Annotated[int | None, typer.Option(help="Activities to seed (default: deals / 4).")] = None,
    products: Annotated[int | None, typer.Option(help="Products to seed (default: up to 6).")] = None,
    custom_field: Annotated[
        list[str] | None,
        typer.Option(
            help="Declare a custom field, entity:Name:type[:Opt|Opt], e.g. deal:Budget:monetary (repeatable)."
        ),
    ] = None,
    v1_deals: Annotated[
        str, typer.Option(help="deprecated: serve the v1 deal endpoints; gone: answer them 410.")
    ] = "deprecated",
    webhook_retry_delays: Annotated[
        str, typer.Option(help="Seconds (emulated clock) before each webhook retry, comma-separated.")
    ] = "10,60,600",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Do not log requests.")] = False,
) -> None:
    """Run a local Pipedrive OAuth server + REST API (the emulator) until Ctrl-C.

    Prints `PDAUTH_EMULATOR_URL=<base URL>` on stdout once it is listening.
    """
    from pdauth.emulator.config import EmulatorConfig, parse_scopes
    from pdauth.emulator.server import Emulator

    try:
        config = EmulatorConfig(
            client_id=client_id,
            client_secret=client_secret,
            redirect_uri=redirect_uri,
            host=host,
            public_url=public_url.rstrip("/") if public_url else None,
            port=port,
            auto_approve=auto_approve,
            auto_deny=auto_deny,
            scopes=parse_scopes(scopes),
            access_token_ttl=access_token_ttl,
            refresh_token_idle_ttl=refresh_token_idle_ttl,
            rotate_refresh_tokens=rotate_refresh_tokens,
            plan=plan,
            burst_limit=burst_limit,
            daily_budget=daily_budget,
            retry_after_header=retry_after_header,
            seed=seed,
            deals=deals,
            persons=persons,
            organizations=organizations,
            activities=activities,
            products=products,
            custom_fields=tuple(custom_field or ()),
            v1_deals=v1_deals,
            webhook_retry_delays=_delays(webhook_retry_delays),
            log_stream=None if quiet else sys.stderr,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    emu = Emulator(config)
    # SIGTERM (kill, a service manager) stops as cleanly as Ctrl-C. SIGINT is set explicitly too: a
    # shell script's `&` job starts with SIGINT ignored, and `kill -INT $pid` should still stop it.
    # Both are in place before the URL line goes out, so a script may signal as soon as it reads it.
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = {sig: signal.signal(sig, _interrupt) for sig in _STOP_SIGNALS} if in_main_thread else {}
    try:
        try:
            emu.start()
        except OSError as exc:
            reason = exc.strerror or exc
            print(f"Cannot listen on {host}:{port}: {reason}. Try another --port (0 = any).", file=sys.stderr)
            raise typer.Exit(1) from None
        _announce(emu)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if emu.running:
            emu.stop()
            print("pdauth emulator stopped.", file=sys.stderr)


def _delays(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise typer.BadParameter(f"--webhook-retry-delays: {text!r} is not a list of seconds") from None


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _announce(emu: Emulator) -> None:
    config = emu.config
    consent = "auto-approve" if config.auto_approve else "auto-deny" if config.auto_deny else "consent page"
    lines = [
        f"pdauth emulator (a fake Pipedrive) listening on {emu.base_url}",
        f"  client id:     {config.client_id}",
        f"  client secret: {config.client_secret}",
        f"  redirect URI:  {config.redirect_uri}",
        f"  scopes:        {','.join(config.granted_scopes)}  ({consent})",
        f"  plan:          {config.plan} (burst {config.burst} per 2 s)"
        + (f", daily budget {config.daily_budget} tokens" if config.daily_budget else ""),
        f"  stats:         {emu.base_url}/__emulator/stats",
        "Point pdauth at it:",
        f"  export PDAUTH_OAUTH_URL={emu.base_url}",
        "Press Ctrl-C to stop.",
    ]
    print("\n".join(lines), file=sys.stderr, flush=True)
    print(f"PDAUTH_EMULATOR_URL={emu.base_url}", flush=True)
