"""`pdauth token` without the CLI framework: the plain shapes of that one command, for shell loops.

`pdauth token` runs inside shell loops and in bursts of parallel jobs, so it must not pay for typer, rich,
requests or keyring's backend discovery when a stored token is valid, and processes waiting for another
one's refresh must stay cheap (pdauth.hotpath.crowd decides that before the core is loaded). The plain
shapes (`[-p NAME] token [--json] [-p NAME]`) run here through the same core the full CLI uses; any
other shape (`--help`, `-v`, a typo) goes to the full CLI.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # not `from typing import ...`: see docs/performance.md
if TYPE_CHECKING:
    from pdauth.core.sources import AccessToken
    from pdauth.hotpath.crowd import Turn
    from pdauth.hotpath.plain_token import PlainToken


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
            if profile is None or profile.startswith("-") or not profile.strip():
                return None  # the full CLI says what is wrong (an empty name is a usage error)
        elif arg.startswith("--profile="):
            profile = arg.partition("=")[2]
            if not profile.strip():
                return None
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
    import time

    from pdauth.cli.token_output import token_output
    from pdauth.hotpath import valid_token
    from pdauth.hotpath.crowd import take_turn

    try:
        # A valid stored token is read without loading the core (pdauth.hotpath.valid_token), and a crowd
        # waiting for one refresh gets the leader's token the same way (pdauth.hotpath.crowd).
        access: PlainToken | AccessToken | None = valid_token.read(profile, os.environ, time.time())
        if access is None:
            with take_turn(profile, os.environ) as turn:
                access = turn.handed or _current_token(profile, turn)
        sys.stdout.write(token_output(access, as_json))
        sys.stdout.flush()
    except KeyboardInterrupt:  # one line, exit 130, as everywhere else
        from pdauth.errors import Interrupted, report

        return report(Interrupted("Interrupted", hint=""))
    except Exception as exc:  # pdauth's own errors end as one line; anything else is a bug: re-raised
        from pdauth.errors import PdauthError

        if not isinstance(exc, PdauthError):
            raise
        from pdauth.errors import report

        return report(exc)
    return 0


def _current_token(profile: str | None, turn: Turn) -> AccessToken:
    from pdauth.core.context import Prompts, make_context
    from pdauth.core.sources import current_token

    # The file store may need its passphrase: ask on the terminal, as the full CLI would.
    ctx = make_context(profile, prompts=Prompts(ask_secret=_ask_secret), lead_lock=turn.lock)
    return current_token(ctx)


def _ask_secret(prompt: str) -> str:
    import getpass

    return getpass.getpass(f"{prompt}: ", stream=sys.stderr)
