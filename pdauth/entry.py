"""The `pdauth` console script: plain `pdauth token` and `pdauth call` go to the typer-free front doors
(pdauth.cli.fast_token, pdauth.cli.fast_call), everything else to the full CLI (pdauth.cli.main).
"""

from __future__ import annotations

import sys


def main() -> None:
    argv = sys.argv[1:]
    from pdauth.cli.fast_token import fast_token

    code = fast_token(argv)
    if code is None and "call" in argv:  # scripts paging through lists
        from pdauth.cli.fast_call import fast_call

        code = fast_call(argv)
    if code is not None:
        sys.exit(code)
    from pdauth.cli.main import main as cli_main

    cli_main()
