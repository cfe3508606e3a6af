"""pdauth's own files: directories made owner-only and files written atomically, owner-only.

Standard library only: the token fast path makes the lock directory with these.
"""

from __future__ import annotations

import os


def ensure_private_dir(directory: str | os.PathLike[str]) -> None:
    os.makedirs(directory, mode=0o700, exist_ok=True)
    # makedirs' mode is masked by umask and ignored for an existing dir: set it explicitly.
    os.chmod(directory, 0o700)


def write_private(path: str | os.PathLike[str], text: str | bytes) -> None:
    """Write atomically (temp file + rename in the same dir) with mode 0600, in a 0700 directory.

    A crash at any moment leaves either the old file or the new one, never a torn one.
    """
    directory, name = os.path.split(os.fspath(path))
    ensure_private_dir(directory)
    data = text.encode("utf-8") if isinstance(text, str) else text
    import tempfile  # writes only: it pulls in shutil, random, bz2, lzma... which reads do not need

    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:  # noqa: SIM105 - contextlib costs an import here
            os.unlink(tmp)
        except OSError:
            pass
        raise
