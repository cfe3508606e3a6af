"""`pdauth call`'s options for typer; `pdauth.call.run` does the work and `pdauth.call.output` the writing.

`pdauth.cli.fast_call` parses the common shapes of the same command line without typer (start-up time is
most of a short call): tests/cli/test_fast_call.py holds its option table to this declaration, and the
defaults of both are CallOptions' own.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperCommand

from pdauth.call.run import CallOptions
from pdauth.cli.app import ProfileOpt, app, make_context

DEFAULTS = CallOptions(first="")  # the one place call's defaults are written

_EPILOG = (
    "Examples (API v2 where Pipedrive has it, v1 for users/me, notes and webhooks):\n\n"
    "  pdauth call /v1/users/me\n\n"
    "  pdauth call POST /v2/deals -f title='Big deal' -F value=5000\n\n"
    "  pdauth call PATCH /v2/deals/4 -F value=7500\n\n"
    "  pdauth call /v2/deals --paginate --jsonl | jq -r .title\n\n"
    "  pdauth call /v2/persons/search -q term=Berg"
)


def _many(*names: str, help: str, metavar: str = "KEY=VALUE") -> Any:
    return typer.Option(*names, metavar=metavar, show_default=False, help=help)


Strings = list[str] | None
FirstArg = Annotated[
    str,
    typer.Argument(
        metavar="[METHOD] PATH",
        show_default=False,
        help="METHOD (default GET, or POST with fields or --input) and PATH: /v1/…, /v2/…, /api/v1/…, "
        "or a full URL on the profile's api_domain.",
    ),
]
PathArg = Annotated[str | None, typer.Argument(metavar="", show_default=False, hidden=True)]
QueryOpt = Annotated[Strings, _many("--query", "-q", help="Query parameter (repeatable).")]
FieldOpt = Annotated[
    Strings,
    _many(
        "--field",
        "-f",
        help="String field: JSON body for POST/PUT/PATCH, query string for GET/DELETE. "
        "key[]=v appends to a list, a\\[b]=v nests.",
    ),
]
TypedFieldOpt = Annotated[
    Strings,
    _many(
        "--typed-field",
        "-F",
        help="Like -f, but true/false/null and numbers become JSON literals; @FILE (@- for stdin) reads a file.",
    ),
]
InputOpt = Annotated[
    str | None,
    _many(
        "--input", metavar="FILE", help="Raw JSON body from FILE, or - for stdin (checked to be JSON first)."
    ),
]
HeaderOpt = Annotated[
    Strings,
    _many(
        "--header",
        "-H",
        metavar="'NAME: VALUE'",
        help="Extra request header (repeatable); not Authorization.",
    ),
]
PaginateOpt = Annotated[
    bool,
    typer.Option(
        "--paginate", help="Fetch every page (v1 start/limit or v2 cursor): one array of all `data` items."
    ),
]
LimitOpt = Annotated[
    int, typer.Option("--limit-per-page", min=1, max=500, metavar="N", help="Page size with --paginate.")
]
JsonlOpt = Annotated[bool, typer.Option("--jsonl", help="Print the `data` items, one JSON value per line.")]
IncludeOpt = Annotated[
    bool, typer.Option("--include", "-i", help="Print the status line and response headers before the body.")
]
DryRunOpt = Annotated[
    bool,
    typer.Option("--dry-run", help="Print the request that would be sent (token redacted) and send nothing."),
]
MaxWaitOpt = Annotated[
    float,
    typer.Option(
        "--max-wait", min=0, metavar="SECONDS", help="Total time to spend waiting on rate limits and retries."
    ),
]


class _CallCommand(TyperCommand):
    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        # "[METHOD] PATH": one optional positional before a required one, which typer cannot spell.
        return ["[OPTIONS]", "[METHOD]", "PATH"]


@app.command(cls=_CallCommand, epilog=_EPILOG)
def call(
    cli: typer.Context,
    first: FirstArg,
    second: PathArg = None,
    query: QueryOpt = None,
    field: FieldOpt = None,
    typed_field: TypedFieldOpt = None,
    input_file: InputOpt = None,
    header: HeaderOpt = None,
    paginate: PaginateOpt = False,
    limit_per_page: LimitOpt = DEFAULTS.limit_per_page,
    jsonl: JsonlOpt = False,
    include: IncludeOpt = False,
    dry_run: DryRunOpt = False,
    max_wait: MaxWaitOpt = DEFAULTS.max_wait,
    profile: ProfileOpt = None,
) -> None:
    """Make an authenticated request to the Pipedrive API and print the response."""
    from pdauth.call.run import run_call

    options = CallOptions(
        first,
        second,
        query=tuple(query or ()),
        field=tuple(field or ()),
        typed_field=tuple(typed_field or ()),
        input_file=input_file,
        header=tuple(header or ()),
        paginate=paginate,
        limit_per_page=limit_per_page,
        jsonl=jsonl,
        include=include,
        dry_run=dry_run,
        max_wait=max_wait,
        profile=profile,
    )
    code = run_call(options, lambda chosen: make_context(cli, chosen))
    if code:
        raise typer.Exit(code)
