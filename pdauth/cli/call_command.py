"""`pdauth call`: parse the request, hand it to `pdauth.call`, write the response (stdout: data only).

Piped, the output is compact JSON (the server's JSON re-serialised with `separators=(",", ":")` and
UTF-8 kept as is), so it is stable for jq and diffs; on a terminal it is indented and coloured.
With --paginate the array (or the JSON Lines) is written page by page as the pages arrive.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand

from pdauth.cli import ui
from pdauth.cli.app import ProfileOpt, app, make_context

if TYPE_CHECKING:
    from pdauth.call import ApiCaller, ApiResponse, RequestPreview
    from pdauth.call_request import RequestSpec

_EPILOG = (
    "Examples:\n\n"
    "  pdauth call /v1/users/me\n\n"
    "  pdauth call POST /v1/deals -f title='Big deal' -F value=5000\n\n"
    "  pdauth call /v2/deals --paginate --jsonl | jq -r .title"
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
    first: FirstArg,
    second: PathArg = None,
    query: QueryOpt = None,
    field: FieldOpt = None,
    typed_field: TypedFieldOpt = None,
    input_file: InputOpt = None,
    header: HeaderOpt = None,
    paginate: PaginateOpt = False,
    limit_per_page: LimitOpt = 500,
    jsonl: JsonlOpt = False,
    include: IncludeOpt = False,
    dry_run: DryRunOpt = False,
    max_wait: MaxWaitOpt = 60.0,
    profile: ProfileOpt = None,
) -> None:
    """Make an authenticated request to the Pipedrive API and print the response."""
    from pdauth.call import ApiCaller
    from pdauth.call_request import build_spec
    from pdauth.errors import RequestSpecError
    from pdauth.retry import RetryPolicy

    method, path = (first, second) if second is not None else (None, first)
    if include and paginate:
        raise RequestSpecError("--include cannot be combined with --paginate: the output would not be JSON")
    spec = build_spec(
        method,
        path,
        query=query or (),
        fields=field or (),
        typed_fields=typed_field or (),
        input_name=input_file,
        headers=header or (),
    )
    if paginate and spec.method != "GET":
        raise RequestSpecError(f"--paginate works with GET only, not {spec.method}")
    caller = ApiCaller(make_context(profile), RetryPolicy(max_wait=max_wait, sleep=_sleep_with_spinner))
    out = Output(pretty=sys.stdout.isatty())
    try:
        if dry_run:
            out.preview(caller.preview(spec, paginate_limit=limit_per_page if paginate else None))
        elif paginate:
            _paginate(caller, spec, limit_per_page, out, jsonl)
        else:
            _single(caller, spec, out, include, jsonl)
        _flush()
    except BrokenPipeError:
        # The reader left (`| head`): stop fetching, and keep Python from complaining at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(141) from None


def _single(caller: ApiCaller, spec: RequestSpec, out: Output, include: bool, jsonl: bool) -> None:
    from pdauth.call import ApiResponse
    from pdauth.errors import ApiHttpError

    error: ApiHttpError | None = None
    try:
        response: ApiResponse | None = caller.send(spec)
    except ApiHttpError as exc:
        error, response = exc, exc.response if isinstance(exc.response, ApiResponse) else None
    if include and not ui.quiet():
        out.preview(caller.preview(spec), stream=ui.err(), prefix="> ")
    if response is not None:  # an error's body is data too: it goes to stdout, the message to stderr
        out.response(response, include=include, jsonl=jsonl and error is None)
    if error is not None:
        raise error


def _paginate(caller: ApiCaller, spec: RequestSpec, limit: int, out: Output, jsonl: bool) -> None:
    from pdauth.call import ApiResponse
    from pdauth.errors import ApiHttpError

    started = False
    try:
        for items in caller.pages(spec, limit):
            started = True
            out.items(items, jsonl=jsonl)
    except ApiHttpError as exc:
        # Before the first page the error body is all there is; after it, stdout holds a partial
        # result, left unterminated so that a JSON consumer fails rather than take it as complete.
        if not started and isinstance(exc.response, ApiResponse):
            out.response(exc.response, include=False, jsonl=False)
        raise
    out.end(jsonl=jsonl)


def _sleep_with_spinner(seconds: float, reason: str) -> None:
    import time

    message = f"{reason} {seconds:.1f} s…"
    if ui.err().is_terminal:
        with ui.spinner(message + " (Ctrl-C to stop)"):
            time.sleep(seconds)
    else:
        ui.say(message)
        time.sleep(seconds)


class Output:
    """Writes to stdout: exact compact JSON when piped, indented and coloured JSON on a terminal."""

    def __init__(self, pretty: bool) -> None:
        self.pretty = pretty
        self._count = -1  # items written by items(); -1 = the array is not open yet

    def response(self, response: ApiResponse, *, include: bool, jsonl: bool) -> None:
        if include:
            head = [f"{response.http_version} {response.status} {response.reason}".rstrip()]
            head += [f"{name}: {value}" for name, value in response.headers]
            self._text("\n".join(head) + "\n\n", style="dim" if self.pretty else None)
        if not response.content:
            return
        if not response.is_json:
            self._text(response.content.decode("utf-8", "replace"))
            return
        if jsonl:
            from pdauth.pagination import page_items

            self.items(page_items(response.json), jsonl=True)
        elif self.pretty:
            self._pretty(response.json)
        else:
            self._text(_compact(response.json) + "\n")

    def items(self, items: list[Any], *, jsonl: bool) -> None:
        """One page of items; for the array, `[` comes with the first page and `,` between items."""
        if jsonl:
            self._text("".join(_compact(item) + "\n" for item in items))
            _flush()  # a reader downstream sees each page as it arrives
            return
        if self._count < 0:
            self._text("[" if not self.pretty else "[\n")
            self._count = 0
        for item in items:
            if self.pretty:
                self._text(",\n" if self._count else "")
                self._pretty(item, indent="  ", end="")
            else:
                self._text(("," if self._count else "") + _compact(item))
            self._count += 1
        _flush()

    def end(self, *, jsonl: bool) -> None:
        if jsonl:
            return
        if self._count < 0:
            self.items([], jsonl=False)
        self._text(("\n]\n" if self._count else "]\n") if self.pretty else "]\n")
        _flush()

    def preview(self, preview: RequestPreview, *, stream: Any = None, prefix: str = "") -> None:
        lines = [f"{preview.method} {preview.url}", *(f"{k}: {v}" for k, v in preview.headers)]
        text = "".join(f"{prefix}{line}\n" for line in lines)
        if preview.body is not None:
            text += "\n" + preview.body.decode("utf-8", "replace").rstrip("\n") + "\n"
        if stream is not None:
            stream.print(text, end="", markup=False, highlight=False, soft_wrap=True)
        else:
            self._text(text)

    def _pretty(self, data: Any, indent: str = "", end: str = "\n") -> None:
        import textwrap

        from rich.highlighter import JSONHighlighter
        from rich.text import Text

        text = textwrap.indent(json.dumps(data, indent=2, ensure_ascii=False), indent)
        ui.out().print(JSONHighlighter()(Text(text)), end=end)

    def _text(self, text: str, style: str | None = None) -> None:
        if self.pretty:
            ui.out().print(text, end="", style=style, markup=False, highlight=False)
        else:
            sys.stdout.buffer.write(text.encode("utf-8"))


def _flush() -> None:
    sys.stdout.flush()  # the text layer (rich writes there) flushes its buffer too


def _compact(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
