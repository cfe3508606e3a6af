"""`python -m tests.support.short_timeouts ARGS...`: the real pdauth entry point with short HTTP timeouts.

pdauth's read timeouts (30 s for the token endpoint, 60 s for the API) are module constants; a fault test
that makes the server slower than them would wait that long. This sets both to
PDAUTH_TEST_READ_TIMEOUT seconds (default 0.5) before handing over to `pdauth.entry.main`.
"""

from __future__ import annotations

import os


def main() -> None:
    import pdauth.core.http
    import pdauth.core.oauth

    seconds = float(os.environ.get("PDAUTH_TEST_READ_TIMEOUT", "0.5"))
    pdauth.core.oauth.TIMEOUT = (5.0, seconds)  # type: ignore[misc]
    pdauth.core.http.TIMEOUT = (5.0, seconds)  # type: ignore[misc]
    from pdauth.entry import main as pdauth_main

    pdauth_main()


if __name__ == "__main__":
    main()
