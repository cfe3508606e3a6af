"""The `pdauth` entry point: a fast path for the commonest call, then the full CLI for everything else.

`pdauth token` runs inside shell loops, so with a valid token it must not pay for typer, rich, requests
or keyring's backend discovery (~250 ms together). The fast path recognises only the plain shapes of
that one command; it runs the same core code as the full CLI (`sources`, `store`, `token_output`), and
whenever it is unsure — another shape of arguments, a token needing a refresh, any error — it steps
aside and the full CLI handles the call from scratch, so behaviour and error messages have one source.
"""

from __future__ import annotations

import sys


def main() -> None:
    code = fast_token(sys.argv[1:])
    if code is not None:
        sys.exit(code)
    from pdauth.cli import main as cli_main

    cli_main()


def parse_plain_token_call(argv: list[str]) -> tuple[str | None, bool] | None:
    """(profile, as_json) for `[-p NAME] token [--json] [-p NAME]`; None for anything else."""
    profile: str | None = None
    as_json = seen_command = False
    args = iter(argv)
    for arg in args:
        if arg == "token" and not seen_command:
            seen_command = True
        elif arg in ("-p", "--profile"):
            profile = next(args, None)
            if profile is None or profile.startswith("-"):
                return None
        elif arg.startswith("--profile="):
            profile = arg.partition("=")[2]
        elif arg == "--json" and seen_command:
            as_json = True
        else:
            return None
    return (profile, as_json) if seen_command else None


def fast_token(argv: list[str]) -> int | None:
    parsed = parse_plain_token_call(argv)
    if parsed is None:
        return None
    profile, as_json = parsed
    try:
        from pdauth.context import Context, Deps
        from pdauth.sources import cached_token
        from pdauth.token_output import token_output

        access = cached_token(Context(Deps(profile=profile)))
        if access is None:
            return None  # a refresh is due: the full path does it
        sys.stdout.write(token_output(access, as_json))
        sys.stdout.flush()
        return 0
    except Exception:
        return None  # the full CLI repeats the work and reports the error properly
