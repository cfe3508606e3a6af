"""pdauth's own files: directories made owner-only and files written atomically, owner-only.

Standard library only: the token fast path makes the lock directory with these.
"""

from __future__ import annotations

import errno
import os


def ensure_private_dir(directory: str | os.PathLike[str]) -> None:
    """Make `directory` 0700, and every missing directory above it too, whatever the umask.

    `os.makedirs(path, 0o700)` gives only the last directory that mode: the ones above it (`~/.config`,
    an XDG_CONFIG_HOME that does not exist yet) follow the umask, 0777 under `umask 000`, and whoever can
    write to them can swap pdauth's directory. The existing directories above are checked first
    (pdauth.hotpath.trust): pdauth creates nothing inside a directory others may write to.
    """
    from pdauth.hotpath import trust

    path = os.path.abspath(os.fspath(directory))
    missing = []
    probe = path
    while not os.path.lexists(probe):
        missing.append(probe)
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    found = trust.chain_problems(path)
    if found:
        raise found[0].error()
    for step in reversed(missing):
        try:  # noqa: SIM105 - contextlib costs an import here
            os.mkdir(step, 0o700)
        except FileExistsError:
            pass  # made meanwhile, by this user or another: the check below decides
        made = os.lstat(step)
        problem = trust.dir_problem(step, made, own=True) or trust.kept_problem(step, made, is_dir=True)
        if problem is not None:
            raise problem.error()
        os.chmod(step, 0o700)  # mkdir's mode is masked by the umask
    if not missing:
        if not os.path.isdir(path):
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), path)
        os.chmod(path, 0o700)  # an existing one (checked above: the user's own) is made owner-only too


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
