"""`pdauth call` without the CLI framework, for scripts and pipes.

typer, click, rich and pydantic take longer to import than a short API call takes to run, and a script
that pages through a list pays that on every run. The plain shapes of `call` (the options of
`pdauth.cli.commands.call`, in their ordinary spellings) are recognised here and run through the same
`pdauth.call.run.run_call`; errors are printed by the same `pdauth.errors.report` as the full CLI. Anything else — help,
an unknown or malformed option, a value typer would reject, `-i`, a terminal on stdout (coloured
output), an interactive session (prompts), shell completion — returns None and goes to the full CLI,
which then produces exactly its usual output.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any, Final

from pdauth.call.run import CallOptions

_REPEATED: Final = {
    "-q": "query",
    "--query": "query",
    "-f": "field",
    "--field": "field",
    "-F": "typed_field",
    "--typed-field": "typed_field",
    "-H": "header",
    "--header": "header",
}
_SINGLE: Final = {
    "--input": "input_file",
    "--limit-per-page": "limit_per_page",
    "--max-wait": "max_wait",
    "-p": "profile",
    "--profile": "profile",
}
_FLAGS: Final = {"--paginate": "paginate", "--jsonl": "jsonl", "--dry-run": "dry_run"}
_GLOBAL_PROFILE: Final = ("-p", "--profile")
_COUNT: Final = re.compile(r"[0-9]{1,3}")
_SECONDS: Final = re.compile(r"[0-9]{1,6}(\.[0-9]{1,6})?")


def parse_plain_call(argv: list[str]) -> CallOptions | None:
    """The options of `[-p NAME] call …` in the shapes this module handles; None for anything else."""
    args = iter(argv)
    global_profile: str | None = None
    for arg in args:
        if arg == "call":
            break
        name, value = _split(arg, args, _GLOBAL_PROFILE)
        if name not in _GLOBAL_PROFILE or value is None:
            return None
        global_profile = value
    else:
        return None
    values: dict[str, Any] = {"query": [], "field": [], "typed_field": [], "header": []}
    positional: list[str] = []
    for arg in args:
        if arg == "-" or not arg.startswith("-"):
            positional.append(arg)
        elif arg in _FLAGS:
            values[_FLAGS[arg]] = True
        else:
            name, value = _split(arg, args, (*_REPEATED, *_SINGLE))
            if value is None:
                return None
            if name in _REPEATED:
                values[_REPEATED[name]].append(value)
            elif not _store_single(values, _SINGLE[name], value):
                return None
    if not 1 <= len(positional) <= 2:
        return None
    for key in ("query", "field", "typed_field", "header"):
        values[key] = tuple(values[key])
    values["profile"] = values.get("profile") or global_profile  # as make_context: the command's wins
    return CallOptions(positional[0], positional[1] if len(positional) > 1 else None, **values)


def fast_call(argv: list[str]) -> int | None:
    """Run a plain `pdauth call` and return its exit code; None when the full CLI must handle it."""
    if os.environ.get("_PDAUTH_COMPLETE") or sys.stdout.isatty():
        return None
    if sys.stdin.isatty() and sys.stderr.isatty():  # the full CLI would offer prompts: leave it to it
        return None
    options = parse_plain_call(argv)
    if options is None:
        return None
    from pdauth.call.run import run_call
    from pdauth.core.context import make_context
    from pdauth.errors import ExitCode, PdauthError, report

    try:
        return run_call(options, make_context)
    except PdauthError as exc:
        return report(exc)
    except KeyboardInterrupt:
        return int(ExitCode.INTERRUPTED)


def _split(arg: str, rest: Any, names: tuple[str, ...]) -> tuple[str, str | None]:
    """(option, value) for `--name=value` or `-n value`; value None when it is missing or looks like an
    option (typer would take it as the value: let it, and its messages, deal with that)."""
    name, eq, inline = arg.partition("=")
    if eq and name.startswith("--") and name in names:
        return name, inline
    if arg not in names:
        return arg, None
    value = next(rest, None)
    if value is None or (value.startswith("-") and value != "-"):
        return arg, None
    return arg, value


def _store_single(values: dict[str, Any], key: str, value: str) -> bool:
    """Store a single-valued option (the last one wins, as in typer); False when typer would reject it."""
    if key == "limit_per_page":
        if not _COUNT.fullmatch(value) or not 1 <= int(value) <= 500:
            return False
        values[key] = int(value)
    elif key == "max_wait":
        if not _SECONDS.fullmatch(value):
            return False
        values[key] = float(value)
    else:
        values[key] = value
    return True
