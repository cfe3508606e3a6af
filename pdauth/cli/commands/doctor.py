"""`pdauth doctor`: run the checks, print a table (or JSON) on stdout, exit 1 if a login is blocked."""

from __future__ import annotations

import json
from dataclasses import asdict

import typer

from pdauth.cli import ui
from pdauth.cli.app import JsonOpt, ProfileOpt, app, make_context, reporter
from pdauth.doctor import run as doctor_run
from pdauth.doctor.check import Check, blocking_failures


@app.command()
def doctor(cli: typer.Context, profile: ProfileOpt = None, as_json: JsonOpt = False) -> None:
    """Check what a login needs (store, keyring, browser, port, network, clock, tokens) and how to fix it."""
    # No prompts: a diagnosis never waits for input (a file store without PDAUTH_PASSPHRASE is reported).
    ctx = make_context(cli, profile, prompts=False)
    checks = doctor_run.run(ctx)
    blocked = blocking_failures(checks)
    if as_json:
        print(json.dumps({"ok": not blocked, "checks": [asdict(c) for c in checks]}, indent=2))
    else:
        _print_table(checks)
        failed = sum(not c.ok for c in checks)
        from pdauth.core.sources import env_source

        source = env_source(ctx)
        what = f"the tokens from {source.removeprefix('env ')}" if source else "a login"
        if blocked:
            reporter(cli).rich(
                f"[red]✗[/] {len(blocked)} problem(s) block {what}; {failed} check(s) failed in all."
            )
        elif failed:
            reporter(cli).rich(f"[green]✓[/] Nothing blocks {what}; {failed} check(s) have warnings.")
        else:
            reporter(cli).rich("[green]✓[/] Everything looks fine.")
    if blocked:
        raise typer.Exit(1)


def _print_table(checks: list[Check]) -> None:
    from rich.table import Table

    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for column in ("", "check", "detail", "fix"):
        table.add_column(column, overflow="fold")
    for c in checks:
        mark = "[green]✓[/]" if c.ok else ("[red]✗[/]" if c.blocking else "[yellow]✗[/]")
        table.add_row(mark, c.name, ui.markup_safe(c.detail), ui.markup_safe(c.fix or "") if not c.ok else "")
    ui.out().print(table)
