"""login, token, refresh, whoami, status, logout, switch: parse options, call one flow, render."""

from __future__ import annotations

import json
import os
import shlex
import sys
from typing import Annotated

import typer

from pdauth.cli import ui
from pdauth.cli.app import JsonOpt, ProfileOpt, app, complete_profile, make_context, reporter
from pdauth.core import account
from pdauth.core.sources import AccessToken, current_token
from pdauth.core.sources import refresh as refresh_token
from pdauth.envvars import ENV_ACCESS_TOKEN, ENV_API_DOMAIN, ENV_TOKEN_EXPIRES_AT
from pdauth.errors import ExitCode, LoginCancelled, PdauthError, terminal_safe
from pdauth.hotpath.times import iso_utc
from pdauth.login import flow


@app.command()
def login(
    cli: typer.Context,
    profile: ProfileOpt = None,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Print the URL instead of opening a browser.")
    ] = False,
    redirect_uri: Annotated[
        str | None,
        typer.Option(
            "--redirect-uri",
            help="Callback URL registered in Developer Hub (env PDAUTH_REDIRECT_URI).",
            show_default=False,
        ),
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", min=1, help="Seconds to wait for the browser.")
    ] = 300,
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            help="Where secrets go: keyring (default) or file (encrypted; env PDAUTH_STORE).",
            show_default=False,
        ),
    ] = None,
    oauth_url: Annotated[
        str | None,
        typer.Option(
            "--oauth-url",
            help="OAuth server (env PDAUTH_OAUTH_URL; default https://oauth.pipedrive.com, or the last login's).",
            show_default=False,
        ),
    ] = None,
    client_id: Annotated[
        str | None,
        typer.Option(
            "--client-id",
            help="The app's client id from Developer Hub (env PIPEDRIVE_CLIENT_ID; default: the last login's).",
            show_default=False,
        ),
    ] = None,
    new_client_secret: Annotated[
        bool,
        typer.Option(
            "--new-client-secret",
            help="Ask for the client secret again instead of using the stored one.",
        ),
    ] = False,
) -> None:
    """Log in through the browser and store the tokens (OS keyring by default)."""
    ctx = make_context(
        cli, profile, redirect_uri=redirect_uri, store=store, oauth_url=oauth_url, client_id=client_id
    )
    try:
        result = flow.login(
            ctx,
            ui.TerminalLoginUI(reporter(cli)),
            timeout=timeout,
            open_browser=not no_browser,
            new_secret=new_client_secret,
        )
    except KeyboardInterrupt:
        raise LoginCancelled("Login cancelled") from None
    if result.replaced is not None:
        reporter(cli).say(
            f"Profile {result.profile} was logged in to {result.replaced.describe()}; replaced."
        )
    reporter(cli).rich(
        f"[green]✓[/] Logged in to {ui.markup_safe(result.identity.describe())} (profile {result.profile})"
    )


@app.command()
def token(cli: typer.Context, profile: ProfileOpt = None, as_json: JsonOpt = False) -> None:
    """Print a valid access token (refreshing it first if needed), and nothing else."""
    from pdauth.cli.token_output import token_output

    sys.stdout.write(token_output(current_token(make_context(cli, profile)), as_json))


@app.command()
def refresh(
    cli: typer.Context,
    profile: ProfileOpt = None,
    as_json: JsonOpt = False,
    export: Annotated[
        bool, typer.Option("--export", help="Print `export …` lines for a shell or CI step.")
    ] = False,
    github_env: Annotated[
        bool,
        typer.Option(
            "--github-env", help="Append the variables to $GITHUB_ENV and mask the token in the log."
        ),
    ] = False,
) -> None:
    """Refresh the access token now and save it."""
    ctx = make_context(cli, profile)
    access = refresh_token(ctx)
    variables = _exported_variables(access)
    # A rotated env refresh token is warned about by the core (pdauth.core.sources.refresh_env).
    if github_env:
        # Masked before the values exist anywhere a later step could print them.
        for line in access.token.splitlines() or [access.token]:
            print(f"::add-mask::{line}", flush=True)
        _write_github_env(variables)
    if export:
        for name, value in variables.items():
            print(f"export {name}={shlex.quote(value)}")
    elif as_json:
        print(json.dumps({**json.loads(_token_json(access)), "source": access.source}))
    if not (export or as_json):
        reporter(cli).say(
            f"Refreshed profile {access.profile}; the access token is valid until {_when(access.expires_at)}."
        )


def _token_json(access: AccessToken) -> str:
    from pdauth.cli.token_output import token_output

    return token_output(access, as_json=True)


def _exported_variables(access: AccessToken) -> dict[str, str]:
    variables = {ENV_ACCESS_TOKEN: access.token}
    if access.api_domain:
        variables[ENV_API_DOMAIN] = access.api_domain
    if access.expires_at is not None:
        variables[ENV_TOKEN_EXPIRES_AT] = iso_utc(access.expires_at)
    return variables


def _write_github_env(variables: dict[str, str]) -> None:
    path = os.environ.get("GITHUB_ENV")
    if not path:
        raise PdauthError(
            "--github-env needs $GITHUB_ENV", hint="Use it inside a GitHub Actions step, or use --export"
        )
    text = "".join(github_env_entry(name, value) for name, value in variables.items())
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(text)


def github_env_entry(name: str, value: str) -> str:
    """`NAME<<DELIMITER`, the value, `DELIMITER` (GitHub's multiline form), with a random delimiter: a
    value cannot end its own entry and start another variable (BASH_ENV, NODE_OPTIONS…) with a newline,
    as `NAME=value` lets it."""
    import secrets

    delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
    if delimiter in value or "\n" in name or "<<" in name:  # never true of a random 128-bit delimiter
        raise PdauthError(f"Cannot write {name} to $GITHUB_ENV safely")
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def _when(epoch: float | None) -> str:
    return iso_utc(epoch) if epoch is not None else "unknown"


@app.command()
def whoami(cli: typer.Context, profile: ProfileOpt = None, as_json: JsonOpt = False) -> None:
    """Show the Pipedrive user and company this profile acts as."""
    identity, access = account.whoami(make_context(cli, profile))
    data = {
        "name": identity.name,
        "email": identity.email,
        "user_id": identity.user_id,
        "company": identity.company_name,
        "company_id": identity.company_id,
        "company_domain": identity.company_domain,
        "access": identity.describe_access(),
        "api_domain": access.api_domain,
        "profile": access.profile,
    }
    if as_json:
        apps = [{"app": app, "admin": admin} for app, admin in identity.access]
        print(json.dumps({**data, "access": apps}))
        return
    width = max(map(len, data)) + 2
    for key, value in data.items():  # names, emails and api_domain are the server's: no escapes
        print(f"{key + ':':<{width}}{terminal_safe(str(value))}")


@app.command()
def status(cli: typer.Context, profile: ProfileOpt = None, as_json: JsonOpt = False) -> None:
    """Show every profile (or -p one): identity, scopes, expiry, token source. Never a token."""
    ctx = make_context(cli, profile)
    statuses = account.status(ctx, only_selected=profile is not None)
    if as_json:
        print(json.dumps([_status_dict(s) for s in statuses], indent=2))
    else:
        _print_status_table(statuses)
    selected = next(s for s in statuses if s.selected)
    if not selected.usable:
        raise typer.Exit(int(ExitCode.AUTH))


def _status_dict(s: account.ProfileStatus) -> dict[str, object]:
    ident = s.identity
    return {
        "profile": s.profile,
        "default": s.is_default,
        "selected": s.selected,
        "user": {"id": ident.user_id, "name": ident.name, "email": ident.email} if ident else None,
        "company": {"id": ident.company_id, "name": ident.company_name, "domain": ident.company_domain}
        if ident
        else None,
        "api_domain": s.api_domain,
        "scopes": list(s.scopes),
        "access_token_expires_at": iso_utc(s.expires_at) if s.expires_at else None,
        "refresh_token_idle_deadline": iso_utc(s.refresh_deadline) if s.refresh_deadline else None,
        "source": s.source,
        "usable": s.usable,
        "problem": s.problem,
    }


def _print_status_table(statuses: list[account.ProfileStatus]) -> None:
    """One block per profile, like `gh auth status`: readable in any terminal width."""
    console = ui.out()
    for i, s in enumerate(statuses):
        mark = "[green]✓[/]" if s.usable else "[red]✗[/]"
        default = " (default)" if s.is_default else ""
        console.print(("\n" if i else "") + f"{mark} [bold]{s.profile}[/]{default}")
        rows = {
            "account": s.identity.describe() if s.identity else (s.problem or "not logged in"),
            "api_domain": s.api_domain or "-",
            "scopes": ", ".join(s.scopes) or "-",
            "access token": f"valid until {_when(s.expires_at)}" if s.expires_at else "-",
            "refresh token": f"expires if unused until {_when(s.refresh_deadline)}"
            if s.refresh_deadline
            else "-",
            "source": s.source,
        }
        if s.problem and s.identity:
            rows["problem"] = s.problem
        for key, value in rows.items():
            console.print(f"  {key + ':':<15}{ui.markup_safe(value)}")


@app.command()
def logout(
    cli: typer.Context,
    profile: ProfileOpt = None,
    revoke: Annotated[
        bool,
        typer.Option(
            "--revoke",
            help="First revoke the refresh token at Pipedrive. WARNING: this uninstalls the app for that user.",
        ),
    ] = False,
) -> None:
    """Forget the profile's tokens, client secret and data (idempotent)."""
    ctx = make_context(cli, profile)
    if revoke and ctx.deps.confirm is not None:  # a person at a terminal: this one cannot be undone
        question = (
            f"Revoking uninstalls the app from Pipedrive for the user of profile {ctx.profile_name} "
            "(every token of it stops working). Revoke and log out?"
        )
        if not ui.ask_yes_no(question):
            reporter(cli).say("Nothing was revoked or forgotten.")
            raise typer.Exit(1)
    result = account.logout(ctx, revoke=revoke)
    if not result.was_logged_in:
        reporter(cli).say(f"Profile {result.profile} was not logged in; nothing to do.")
        return
    revoked = (
        " and revoked its refresh token (the app is uninstalled for that user)" if result.revoked else ""
    )
    reporter(cli).say(f"Logged out of profile {result.profile}{revoked}.")


@app.command()
def switch(
    cli: typer.Context,
    name: Annotated[
        str, typer.Argument(help="Profile to make the default.", autocompletion=complete_profile)
    ],
) -> None:
    """Make NAME the default profile."""
    account.switch(make_context(cli, name), name)
    reporter(cli).say(f"Default profile is now {name}.")
