"""`pdauth call`'s stdout: exact compact JSON page by page, pretty on a terminal, written behind the fetching."""

from __future__ import annotations

import io
import json
import re
import threading
from typing import Any

import pytest

from pdauth.call.output import Output, write_all
from pdauth.call.run import WriteBehind


@pytest.mark.parametrize(
    ("pages", "jsonl", "expected"),
    [
        ([], False, "[]\n"),
        ([[]], False, "[]\n"),
        ([[{"a": 1}], [], [{"b": "é"}, 2]], False, '[{"a":1},{"b":"é"},2]\n'),
        ([[{"a": 1}], [{"b": [1, 2]}]], True, '{"a":1}\n{"b":[1,2]}\n'),
        ([[]], True, ""),
    ],
)
def test_streamed_items_are_exact_compact_json(
    capsysbinary: pytest.CaptureFixture[bytes], pages: list[Any], jsonl: bool, expected: str
) -> None:
    out = Output(pretty=False)
    for page in pages:
        out.items(page, jsonl=jsonl)
    out.end(jsonl=jsonl)
    assert capsysbinary.readouterr().out.decode() == expected


def test_pretty_array_on_a_terminal_is_the_same_json(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    from pdauth.cli import ui

    screen = io.StringIO()
    monkeypatch.setattr(
        ui, "out", lambda: Console(file=screen, force_terminal=True, color_system="standard", soft_wrap=True)
    )
    out = Output(pretty=True, reporter=ui.TerminalReporter())
    out.items([{"id": 1, "tags": ["x"]}], jsonl=False)
    out.items([{"id": 2}], jsonl=False)
    out.end(jsonl=False)
    text = screen.getvalue()
    assert "\x1b[" in text  # coloured
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
    assert json.loads(plain) == [{"id": 1, "tags": ["x"]}, {"id": 2}]
    assert plain.startswith('[\n  {\n    "id": 1,')


class Trickle(io.RawIOBase):
    """A raw stdout (PYTHONUNBUFFERED) that takes at most a few bytes per write, as a pipe may."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.writes = 0

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        self.writes += 1
        chunk = bytes(b[:7])
        self.data += chunk
        return len(chunk)


def test_short_writes_are_completed() -> None:
    stream = Trickle()
    out = Output(pretty=False, stream=stream)  # type: ignore[arg-type]
    page = [{"id": n, "title": f"Deal {n}"} for n in range(50)]
    out.items(page, jsonl=False)
    out.items(page, jsonl=False)
    out.end(jsonl=False)
    assert json.loads(stream.data) == page + page  # every byte, though each write took 7 at most
    writes = stream.writes
    write_all(stream, b"")
    assert stream.writes == writes  # nothing to write is no write


def test_a_page_is_one_write() -> None:
    class Counting(io.BytesIO):
        writes = 0

        def write(self, b: Any) -> int:
            Counting.writes += 1
            return super().write(b)

    stream = Counting()
    out = Output(pretty=False, stream=stream)
    out.items([{"id": n} for n in range(500)], jsonl=False)
    out.items([{"id": n} for n in range(500)], jsonl=True)
    assert Counting.writes == 2


def test_write_behind_writes_every_value_in_order_before_close_returns() -> None:
    written: list[int] = []
    writer: WriteBehind[int] = WriteBehind(written.append)
    for n in range(100):
        writer.put(n)
    writer.close()
    assert written == list(range(100))


def test_write_behind_holds_at_most_one_value_waiting() -> None:
    release = threading.Event()
    started = threading.Event()

    def slow(value: int) -> None:
        started.set()
        release.wait(5)

    writer: WriteBehind[int] = WriteBehind(slow)
    writer.put(1)  # taken by the writer, which blocks on it
    assert started.wait(5)
    writer.put(2)  # waits in the queue
    blocked = threading.Thread(target=writer.put, args=(3,))
    blocked.start()
    blocked.join(0.2)
    assert blocked.is_alive()  # the caller is held back instead of piling pages up
    release.set()
    blocked.join(5)
    writer.close()


def test_a_writer_error_reaches_the_caller_and_later_values_are_dropped() -> None:
    written: list[int] = []

    def write(value: int) -> None:
        if value == 2:
            raise BrokenPipeError
        written.append(value)

    writer: WriteBehind[int] = WriteBehind(write)
    writer.put(1)
    writer.put(2)
    with pytest.raises(BrokenPipeError):
        for n in range(3, 100):
            writer.put(n)
    with pytest.raises(BrokenPipeError):
        writer.close()
    assert written == [1]


def test_close_without_raising_still_waits_for_the_values() -> None:
    written: list[int] = []
    writer: WriteBehind[int] = WriteBehind(written.append)
    writer.put(1)
    writer.close(raise_error=False)
    assert written == [1]
