#!/usr/bin/env python3
"""A BROWSER for attack tests: before the real browser loads the start address, another local program
(which read it from the browser's command line in /proc) fetches it. Standard library only.

PEEK_MODE=peek: the peeker fetches the start address (learning the authorize URL and its `state`); then
the browser loads it; then the peeker tries a callback of its own with that state.
PEEK_MODE=code-first: the peeker fetches the start address, gets a code for that state at the authorize
endpoint (the emulator auto-approves) and delivers it to the callback before the browser loads the start
address at all.
Every step's HTTP status goes as one JSON object to $PEEK_RECORD.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def fetch(url: str, follow: bool) -> tuple[int | None, str, str]:
    """(status, Location, body) of one GET; status None when nothing listens any more."""
    opener = urllib.request.build_opener() if follow else urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=30) as response:
            return response.status, response.headers.get("Location") or "", response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Location") or "", exc.read().decode("utf-8", "replace")
    except OSError:  # the login is over and its listener closed
        return None, "", ""


def main(start: str) -> int:
    mode = os.environ.get("PEEK_MODE", "peek")
    steps: dict[str, object] = {}
    status, authorize, _ = fetch(start, follow=False)
    steps["peeker start"] = status
    if mode == "code-first":
        status, callback, _ = fetch(authorize, follow=False)  # auto-approved: the callback with a code
        steps["peeker callback"] = fetch(callback, follow=False)[0]
    status, _, body = fetch(start, follow=True)  # the real browser, second
    steps["browser start"] = status
    steps["browser page"] = body
    if mode == "peek":
        status, callback, _ = fetch(authorize, follow=False)
        steps["peeker callback"] = fetch(callback, follow=False)[0]
    with open(os.environ["PEEK_RECORD"], "w", encoding="utf-8") as fh:
        json.dump(steps, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[-1]))
