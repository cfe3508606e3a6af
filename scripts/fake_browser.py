#!/usr/bin/env python3
"""A scripted "browser" for `make demo` and the tests: BROWSER=scripts/fake_browser.py (one executable path).

Python's webbrowser passes the authorize URL as the last argument. This follows it like a person would:
on Pipedrive's (or the emulator's) consent page it submits the form with "Allow and install" (or
"Cancel" when FAKE_BROWSER_DECISION=cancel), then follows the redirects to pdauth's loopback listener
and prints the final page's text on stderr. Standard library only, so it runs with any Python 3.
"""

from __future__ import annotations

import html.parser
import http.cookiejar
import os
import sys
import urllib.error
import urllib.parse
import urllib.request


class _Form(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = a.get("action") or ""
        elif tag == "input" and a.get("type") == "hidden" and a.get("name"):
            self.fields[a["name"] or ""] = a.get("value") or ""

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.text.append(" ".join(data.split()))

    def summary(self) -> str:
        """The page's text as one line, without the title and heading that the message repeats."""
        kept: list[str] = []
        for i, chunk in enumerate(self.text):
            if chunk not in kept and not any(later.startswith(chunk) for later in self.text[i + 1 :]):
                kept.append(chunk)
        return " ".join(kept)


def main(url: str) -> int:
    decision = os.environ.get("FAKE_BROWSER_DECISION", "allow")
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    try:
        with opener.open(url, timeout=30) as response:
            final_url, body = response.geturl(), response.read().decode("utf-8", "replace")
        page = _Form()
        page.feed(body)
        if page.action is not None and "request_id" in page.fields:  # the consent page
            form = urllib.parse.urlencode({**page.fields, "decision": decision}).encode()
            target = urllib.parse.urljoin(final_url, page.action)
            with opener.open(target, data=form, timeout=60) as response:
                body = response.read().decode("utf-8", "replace")
            page = _Form()
            page.feed(body)
    except urllib.error.HTTPError as exc:
        page = _Form()
        page.feed(exc.read().decode("utf-8", "replace"))
        print(f"fake browser: HTTP {exc.code}: {page.summary()}", file=sys.stderr)
        return 0  # a browser shows error pages; it does not fail
    except OSError as exc:
        print(f"fake browser: {exc}", file=sys.stderr)
        return 1
    print(f"fake browser: {page.summary()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[-1]))
