"""The embedded emulator as a child process, for `make demo` and `make bench` (standard library only).

A free port for the login's redirect URI, `pdauth emulator` on a port of its own, its base URL read from
the first line it prints, and a stop that always runs.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import tempfile
from collections.abc import Iterator


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running_emulator(pdauth: list[str], env: dict[str, str], *options: str) -> Iterator[tuple[str, str]]:
    """(base URL, redirect URI) of `pdauth emulator --quiet [options]` while the block runs.

    The emulator's banner (its stderr) goes to a file, shown only when it fails to start: the caller
    says what it needs of it, and the demo's output stays the demo's.
    """
    redirect_uri = f"http://127.0.0.1:{free_port()}/callback"
    with tempfile.TemporaryFile("w+") as banner:
        emulator = subprocess.Popen(
            [*pdauth, "emulator", "--port", "0", "--quiet", "--redirect-uri", redirect_uri, *options],
            env=env,
            stdout=subprocess.PIPE,
            stderr=banner,
            text=True,
        )
        try:
            assert emulator.stdout is not None
            line = emulator.stdout.readline().strip()
            if not line.startswith("PDAUTH_EMULATOR_URL="):
                emulator.wait(10)
                banner.seek(0)
                raise SystemExit(f"the emulator did not start ({line!r}): {banner.read().strip()}")
            yield line.partition("=")[2], redirect_uri
        finally:
            emulator.terminate()
            emulator.wait(10)
