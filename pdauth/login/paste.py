"""The pasted-URL path of a login: when the browser's redirect cannot reach the listener (another machine,
no tunnel), the user pastes the address the browser ended on.

Reading stdin blocks, so a daemon thread reads lines and offers each to the same `CallbackInbox` the
listener feeds: the main thread keeps waiting on the inbox with its timeout, and whichever arrives first —
the listener's callback or a pasted URL — completes the login. On a terminal the thread reads only once
a line is there (select), so when the listener wins it stops without reading: the next line typed is
left for whatever the login asks next (replacing the profile's account), not swallowed. The inbox is the
one judge (state in constant time, error handling, duplicates); a rejected paste gets its one-line reason
and the prompt again.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Final, Protocol

if TYPE_CHECKING:
    from pdauth.core.context import LineSource
    from pdauth.login.loopback import CallbackInbox

# A pasted address is a few hundred characters; anything longer is not one, and is not kept whole.
MAX_LINE: Final = 16384
# How often a reader waiting for a line looks whether the listener has won meanwhile.
POLL: Final = 0.05

NOT_AN_ADDRESS: Final = (
    "That is not the address from the browser: copy the whole address bar "
    "(it starts with http:// and contains code= and state=)."
)


class PasteUI(Protocol):
    def prompt_paste(self) -> None: ...
    def paste_rejected(self, message: str) -> None: ...


AUTHORIZE_ADDRESS: Final = (
    "That is the address to open in the browser, not the one to paste back: open it, approve, then paste "
    "the address the browser shows at the end (it contains code=)"
)


def is_authorize_address(text: str, query: str) -> bool:
    """The login's own authorize URL (pasted back by mistake): it asks for a code rather than carrying one."""
    from urllib.parse import parse_qs

    fields = parse_qs(query)
    return "/oauth/authorize" in text or ("response_type" in fields and "code" not in fields)


def pasted_query(text: str) -> str | None:
    """The query string of a pasted address (or of a bare `code=…&state=…`), or None for anything else."""
    text = text.strip().strip("<>\"'").strip()
    if "?" in text:
        query = text.split("?", 1)[1]
    elif "=" in text and "://" not in text and " " not in text:
        query = text
    else:
        return None
    return query.split("#", 1)[0] or None


class PasteReader:
    """Offers lines read from `source` to `inbox` until one is accepted, the inbox fills, or input ends."""

    def __init__(
        self,
        source: LineSource,
        inbox: CallbackInbox,
        prompt: Callable[[], None],
        rejected: Callable[[str], None],
    ) -> None:
        self._source = source
        self._inbox = inbox
        self._prompt = prompt
        self._rejected = rejected
        self._thread = threading.Thread(target=self._run, name="pdauth-paste", daemon=True)

    def start(self) -> PasteReader:
        self._thread.start()
        return self

    def join(self, timeout: float) -> None:
        """Wait (briefly) for the reader to stop, once the inbox has its callback: on a terminal it stops
        without reading another line."""
        self._thread.join(timeout)

    def _line_ready(self) -> bool:
        """Wait until a line can be read without blocking: False once the login needs none. Only on a
        terminal (where a line arrives whole); other sources are read as they come."""
        import select

        try:
            fd = self._source.fileno()  # type: ignore[attr-defined]
            if not os.isatty(fd):
                return True
            while not self._inbox.arrived:
                if select.select([fd], [], [], POLL)[0]:
                    return True
        except (AttributeError, OSError, ValueError):  # no descriptor (a test's typist), or no select
            return True
        return False

    def _run(self) -> None:
        try:
            self._prompt()
            while not self._inbox.arrived:
                if not self._line_ready():
                    return
                line = self._source.readline(MAX_LINE)
                if not line or self._inbox.arrived:
                    return  # end of input (the listener may still deliver), or the listener won
                if not line.strip():
                    continue
                if self._judge(line):
                    return
                self._prompt()
        except (OSError, ValueError):  # stdin closed under us: the listener still works
            return

    def _judge(self, line: str) -> bool:
        query = pasted_query(line)
        if query is None:
            self._rejected(NOT_AN_ADDRESS)
            return False
        if is_authorize_address(line, query):
            self._rejected(AUTHORIZE_ADDRESS)
            return False
        status, text = self._inbox.offer(query)
        if status in (200, 302):  # 302: a code was accepted; 200: an error (denied) ends the login
            return True
        self._rejected(text)
        return False


def start_paste(source: LineSource | None, inbox: CallbackInbox, ui: PasteUI) -> PasteReader | None:
    """Start reading pasted addresses; None when there is no interactive input (the listener only)."""
    if source is None:
        return None
    return PasteReader(source, inbox, ui.prompt_paste, ui.paste_rejected).start()
