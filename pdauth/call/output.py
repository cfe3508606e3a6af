"""`pdauth call`'s stdout: the server's JSON re-serialised compactly when piped, indented and coloured on a
terminal; for --paginate, one array (or JSON Lines) written page by page as the pages arrive.

Piped output is plain bytes and needs no CLI framework: a page of items is encoded in one C-level
`json` call and written in one piece. Terminal output goes through the injected Reporter (rich, in the CLI).
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any, BinaryIO, Final

from pdauth.call.pagination import page_items
from pdauth.core.report import PlainReporter, Reporter

if TYPE_CHECKING:
    from pdauth.call.caller import ApiResponse, RequestPreview

# Keys in the server's order, UTF-8 kept as is: stable for jq and for diffs.
_COMPACT: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def compact(data: Any) -> str:
    return _COMPACT.encode(data)


def write_all(stream: BinaryIO, data: bytes) -> None:
    """Write every byte: an unbuffered stdout (PYTHONUNBUFFERED, -u) is a raw file that may take part."""
    view = memoryview(data)
    while view:
        written = stream.write(view)
        view = view[written if written is not None else 0 :]


class Output:
    """Writes to stdout: exact compact JSON when piped, indented and coloured JSON on a terminal."""

    def __init__(
        self, pretty: bool, stream: BinaryIO | None = None, reporter: Reporter | None = None
    ) -> None:
        self.pretty = pretty
        self._stream = stream
        self._reporter = reporter or PlainReporter()
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
            self.items(page_items(response.json), jsonl=True)
        elif self.pretty:
            self._pretty(response.json)
        else:
            self._text(compact(response.json) + "\n")

    def items(self, items: list[Any], *, jsonl: bool) -> None:
        """One page of items; for the array, `[` comes with the first page and `,` between items."""
        if jsonl:
            self._text("".join(compact(item) + "\n" for item in items))
            self.flush()  # a reader downstream sees each page as it arrives
            return
        if self.pretty:
            self._pretty_items(items)
        else:
            # The whole page in one encoder call: "[a,b,c]" without its brackets is "a,b,c".
            inner = compact(items)[1:-1]
            opening = "[" if self._count < 0 else ("," if self._count and inner else "")
            self._count = max(self._count, 0) + len(items)
            self._text(opening + inner)
        self.flush()

    def end(self, *, jsonl: bool) -> None:
        if jsonl:
            return
        if self._count < 0:
            self.items([], jsonl=False)
        self._text(("\n]\n" if self._count else "]\n") if self.pretty else "]\n")
        self.flush()

    def preview(self, preview: RequestPreview, *, to_stderr: bool = False, prefix: str = "") -> None:
        """The request as it goes out: on stdout for --dry-run, on stderr (with "> ") for -i."""
        lines = [f"{preview.method} {preview.url}", *(f"{k}: {v}" for k, v in preview.headers)]
        text = "".join(f"{prefix}{line}\n" for line in lines)
        if preview.body is not None:
            text += "\n" + preview.body.decode("utf-8", "replace").rstrip("\n") + "\n"
        if to_stderr:
            self._reporter.echo(text)
        else:
            self._text(text)

    def flush(self) -> None:
        if self.pretty:
            sys.stdout.flush()  # the text layer (rich writes there) flushes its buffer too
        else:
            self._binary().flush()

    # -- internals ---------------------------------------------------------------------------------

    def _pretty_items(self, items: list[Any]) -> None:
        if self._count < 0:
            self._text("[\n")
            self._count = 0
        for item in items:
            self._text(",\n" if self._count else "")
            self._pretty(item, indent="  ", end="")
            self._count += 1

    def _pretty(self, data: Any, indent: str = "", end: str = "\n") -> None:
        self._reporter.show_json(data, indent=indent, end=end)

    def _text(self, text: str, style: str | None = None) -> None:
        if self.pretty:
            self._reporter.show_text(text, style=style)
        elif text:
            write_all(self._binary(), text.encode("utf-8"))

    def _binary(self) -> BinaryIO:
        # Looked up late: tests (and capsys) replace sys.stdout after this object is made.
        return self._stream if self._stream is not None else sys.stdout.buffer
