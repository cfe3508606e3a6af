"""The `pdauth` entry point: `pdauth token` (and plain `pdauth call`) without the CLI framework, then
the full CLI for the rest.

`pdauth token` runs inside shell loops and in bursts of parallel jobs, so it must not pay for typer, rich,
requests or keyring's backend discovery (~250 ms together) when a stored token is valid, and processes
waiting for another one's refresh must stay cheap. The plain shapes of that one command are recognised
here and run through the same core the full CLI uses (`sources.current_token`, `token_output`, the
error's own one-line text); any other argument shape (`--help`, `-v`, a typo) goes to the full CLI.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # not `from typing import ...`: see above
if TYPE_CHECKING:
    from pdauth.core.sources import AccessToken
    from pdauth.hotpath.crowd import Turn


def main() -> None:
    argv = sys.argv[1:]
    code = fast_token(argv)
    if code is None and "call" in argv:  # scripts paging through lists: see pdauth/call_fast.py
        from pdauth.cli.fast_call import fast_call

        code = fast_call(argv)
    if code is not None:
        sys.exit(code)
    from pdauth.cli.main import main as cli_main

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
    """Run a plain `pdauth token` call and return its exit code; None when it is not one."""
    parsed = parse_plain_token_call(argv)
    if parsed is None:
        return None
    profile, as_json = parsed
    import os

    from pdauth.cli.token_output import token_output
    from pdauth.hotpath.crowd import take_turn

    try:
        # A crowd waiting for one refresh gets its token here, without loading the core (pdauth.hotpath.crowd).
        with take_turn(profile, os.environ) as turn:
            access = turn.handed or _current_token(profile, turn)
            sys.stdout.write(token_output(access, as_json))
            sys.stdout.flush()
    except KeyboardInterrupt:
        from pdauth.errors import ExitCode

        return int(ExitCode.INTERRUPTED)
    except Exception as exc:  # pdauth's own errors end as one line; anything else is a bug: re-raised
        from pdauth.errors import PdauthError

        if not isinstance(exc, PdauthError):
            raise
        sys.stderr.write(f"error: {exc.one_line()}\n")
        return int(exc.exit_code)
    return 0


def _current_token(profile: str | None, turn: Turn) -> AccessToken:
    from pdauth.core.context import Context, Deps
    from pdauth.core.sources import current_token

    # The file store may need its passphrase: ask on the terminal, as the full CLI would.
    ask_secret = _ask_secret if sys.stdin.isatty() and sys.stderr.isatty() else None
    return current_token(Context(Deps(profile=profile, ask_secret=ask_secret, profile_lock=turn.lock)))


def _ask_secret(prompt: str) -> str:
    import getpass

    return getpass.getpass(f"{prompt}: ", stream=sys.stderr)
