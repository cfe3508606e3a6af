"""Running one `pdauth call` from its parsed options: build the request, send it (or every page), write
stdout, return the exit code. Shared by the typer command and the framework-free fast path
(`pdauth.cli.fast_call`); PdauthErrors propagate to whichever of them prints errors.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from queue import Queue
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pdauth.errors import ApiHttpError, ExitCode, RequestSpecError

if TYPE_CHECKING:
    from pdauth.call.caller import ApiCaller
    from pdauth.call.output import Output
    from pdauth.call.spec import RequestSpec
    from pdauth.core.context import Context

T = TypeVar("T")


@dataclass(frozen=True)
class CallOptions:
    first: str
    second: str | None = None
    query: tuple[str, ...] = ()
    field: tuple[str, ...] = ()
    typed_field: tuple[str, ...] = ()
    input_file: str | None = None
    header: tuple[str, ...] = ()
    paginate: bool = False
    limit_per_page: int = 500
    jsonl: bool = False
    include: bool = False
    dry_run: bool = False
    max_wait: float = 60.0
    profile: str | None = None


def run_call(options: CallOptions, make_context: Callable[[str | None], Context]) -> int:
    """Do what `options` say; 0, or 141 when the reader of stdout went away."""
    from pdauth.call.caller import ApiCaller
    from pdauth.call.output import Output
    from pdauth.call.retry import RetryPolicy
    from pdauth.call.spec import build_spec

    o = options
    method, path = (o.first, o.second) if o.second is not None else (None, o.first)
    if o.include and o.paginate:
        raise RequestSpecError("--include cannot be combined with --paginate: the output would not be JSON")
    spec = build_spec(
        method,
        path,
        query=o.query,
        fields=o.field,
        typed_fields=o.typed_field,
        input_name=o.input_file,
        headers=o.header,
    )
    if o.paginate and spec.method != "GET":
        raise RequestSpecError(f"--paginate works with GET only, not {spec.method}")
    ctx = make_context(o.profile)
    reporter = ctx.deps.reporter
    caller = ApiCaller(ctx, RetryPolicy(max_wait=o.max_wait, sleep=reporter.wait))
    out = Output(pretty=sys.stdout.isatty(), reporter=reporter)
    try:
        if o.dry_run:
            out.preview(caller.preview(spec, paginate_limit=o.limit_per_page if o.paginate else None))
        elif o.paginate:
            _paginate(caller, spec, o.limit_per_page, out, o.jsonl)
        else:
            _single(caller, spec, out, o.include, o.jsonl)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader left (`| head`): stop fetching, and keep Python from complaining at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return int(ExitCode.BROKEN_PIPE)
    finally:
        caller.close()
    return 0


def _single(caller: ApiCaller, spec: RequestSpec, out: Output, include: bool, jsonl: bool) -> None:
    from pdauth.call.caller import ApiResponse

    error: ApiHttpError | None = None
    try:
        response: ApiResponse | None = caller.send(spec)
    except ApiHttpError as exc:
        error, response = exc, exc.response if isinstance(exc.response, ApiResponse) else None
    if include:
        out.preview(caller.preview(spec), to_stderr=True, prefix="> ")
    if response is not None:  # an error's body is data too: it goes to stdout, the message to stderr
        out.response(response, include=include, jsonl=jsonl and error is None)
    if error is not None:
        raise error


def _paginate(caller: ApiCaller, spec: RequestSpec, limit: int, out: Output, jsonl: bool) -> None:
    from pdauth.call.caller import ApiResponse

    started = False
    # Each page is encoded and written while the request for the next one is out.
    writer: WriteBehind[list[Any]] = WriteBehind(lambda items: out.items(items, jsonl=jsonl))
    try:
        for items in caller.pages(spec, limit):
            started = True
            writer.put(items)
    except ApiHttpError as exc:
        writer.close(raise_error=False)
        # Before the first page the error body is all there is; after it, stdout holds a partial
        # result, left unterminated so that a JSON consumer fails rather than take it as complete.
        if not started and isinstance(exc.response, ApiResponse):
            out.response(exc.response, include=False, jsonl=False)
        raise
    except Exception:
        writer.close(raise_error=False)  # what arrived is written before the error is told
        raise
    writer.close()
    out.end(jsonl=jsonl)


class WriteBehind(Generic[T]):
    """Calls `write` on each value put, in a worker thread, while the caller goes on to get the next one.

    Fetching a page mostly waits on the network (the GIL is free meanwhile), so encoding and writing one
    page overlaps the request for the next; the fetching, its waits and Ctrl-C stay in the main thread.
    At most one value waits in the queue, so memory stays flat. An exception from `write` (a closed
    pipe) is raised to the caller by its next put() or by close(); values after it are dropped.
    """

    def __init__(self, write: Callable[[T], None]) -> None:
        self._write = write
        self._queue: Queue[tuple[bool, T | None]] = Queue(maxsize=1)  # (is_last, value)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="pdauth-writer", daemon=True)
        self._thread.start()

    def put(self, value: T) -> None:
        self._raise_error()
        self._queue.put((False, value))

    def close(self, *, raise_error: bool = True) -> None:
        """Wait until every value put has been written; then raise the writer's exception, if any."""
        self._queue.put((True, None))
        self._thread.join()
        if raise_error:
            self._raise_error()

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while True:
            is_last, value = self._queue.get()
            if is_last:
                return
            if self._error is None:
                try:
                    self._write(value)  # type: ignore[arg-type]  # every value but the last one's is a T
                except BaseException as exc:  # handed to the caller's thread
                    self._error = exc
