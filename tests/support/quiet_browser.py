#!/usr/bin/env python3
"""A silent scripted browser for tests: BROWSER=tests/support/quiet_browser.py (one executable path).

Unlike scripts/fake_browser.py it prints nothing (so a test can assert pdauth's stderr line by line),
and it can record what it was started with: with QUIET_BROWSER_RECORD set, it appends its argv as one
JSON line to that file before doing anything. It follows the authorize URL and every redirect (the
emulator must auto-approve or auto-deny) and stops after the last page. Standard library only.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request


def main(argv: list[str]) -> int:
    record = os.environ.get("QUIET_BROWSER_RECORD")
    if record:
        with open(record, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(argv) + "\n")
    try:
        with urllib.request.urlopen(argv[-1], timeout=60) as response:
            response.read()
    except urllib.error.HTTPError:
        pass  # a browser shows error pages; it does not fail
    except OSError:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
