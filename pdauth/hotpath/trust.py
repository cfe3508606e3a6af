"""Whose files are these? The config dir is trusted only when it is the user's own, as ssh trusts `~/.ssh`.

`config.json` says where refresh tokens and client secrets are sent, so a config dir that someone else can
write to hands them that choice: another user who plants `pdauth/config.json` in a world-writable
XDG_CONFIG_HOME would receive the victim's refresh token. Before pdauth reads anything it checks:

- the config dir and what it keeps there (`config.json`, `tokens.enc`, `locks/`) are owned by the current
  user and not writable by group or others, and the files are no symbolic links;
- every existing directory above it, up to the home directory (or `/` when it is not under home), is
  owned by root or the user and not writable by group or others, unless the sticky bit keeps entries
  apart (`/tmp`).

A missing config dir is fine (nothing to read) but the directories above it are checked all the same,
before pdauth creates it. Standard library only and a handful of `lstat` calls: this runs on every
`pdauth token`.
"""

from __future__ import annotations

import os
import stat

TYPE_CHECKING = False  # not `from typing import ...`: see docs/performance.md
if TYPE_CHECKING:
    from pdauth.errors import UntrustedPath

CONFIG_FILE = "config.json"
# What pdauth keeps in its config dir besides config.json: (name, is a directory).
KEPT: tuple[tuple[str, bool], ...] = ((CONFIG_FILE, False), ("tokens.enc", False), ("locks", True))
# Opening without following a symbolic link, and without blocking on a FIFO planted in its place.
OPEN_FLAGS = (
    os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
)

_CHECKS = hasattr(os, "geteuid")  # Windows has no owners to compare: its ACLs are the OS's business


class Problem:
    """One path pdauth will not trust, what is wrong with it, and how to put it right."""

    __slots__ = ("fix", "path", "what")

    def __init__(self, path: str, what: str, fix: str) -> None:
        self.path = path
        self.what = what
        self.fix = fix

    def error(self) -> UntrustedPath:
        from pdauth.errors import UntrustedPath

        return UntrustedPath(f"Refusing to use {self.path}: {self.what}", hint=self.fix, path=self.path)


def check_config_dir(directory: str | os.PathLike[str], home: str | None = None) -> None:
    """Raise UntrustedPath unless the config dir may be read (see above)."""
    found = problems(directory, home)
    if found:
        raise found[0].error()


def problems(directory: str | os.PathLike[str], home: str | None = None) -> list[Problem]:
    """Every reason not to trust the config dir, nearest first (doctor lists them all)."""
    if not _CHECKS:
        return []
    path = os.path.abspath(os.fspath(directory))
    found = chain_problems(path, home)
    try:
        os.lstat(path)
    except OSError:
        return found  # nothing to read yet
    for name, is_dir in KEPT:
        entry = os.path.join(path, name)
        try:
            st = os.lstat(entry)
        except FileNotFoundError:
            continue
        except OSError as exc:
            found.append(Problem(entry, f"it cannot be checked ({exc.strerror})", "Check its permissions"))
            continue
        problem = kept_problem(entry, st, is_dir=is_dir)
        if problem is not None:
            found.append(problem)
    return found


def keyring_config_problems(path: str, home: str | None = None) -> list[Problem]:
    """keyring's own config file (`python_keyring/keyringrc.cfg`, beside pdauth's in XDG_CONFIG_HOME)
    names the backend class keyring imports, and its `keyring-path` what it adds to sys.path: whoever can
    write it runs code as the user at pdauth's next keyring access. It gets the config dir's rule."""
    if not _CHECKS:
        return []
    directory = os.path.dirname(os.path.abspath(path))
    try:
        os.lstat(directory)
    except OSError:
        return []  # no keyring config (the common case: one lstat)
    found = chain_problems(directory, home)
    try:
        st = os.lstat(path)
    except OSError:
        st = None
    problem = kept_problem(path, st, is_dir=False) if st is not None else None
    if problem is not None:
        found.append(problem)
    for each in found:  # keyring finds its config through XDG_CONFIG_HOME, not pdauth's variable
        each.fix = each.fix.replace("PDAUTH_CONFIG_DIR", "XDG_CONFIG_HOME")
    return found


def check_keyring_config(path: str) -> None:
    found = keyring_config_problems(path)
    if found:
        raise found[0].error()


def chain_problems(path: str, home: str | None = None) -> list[Problem]:
    """What is wrong with the directory `path` (when it exists) and the existing directories above it."""
    if not _CHECKS:
        return []
    path = os.path.abspath(path)
    home = os.path.abspath(home or _home())
    found, linked = _walk(path, home)
    if linked:
        # A symbolic link on the way: the directories the link leads through decide as well.
        more, _ = _walk(os.path.realpath(path), os.path.realpath(home))
        found += [p for p in more if p.path not in {q.path for q in found}]
    return found


def _walk(path: str, home: str) -> tuple[list[Problem], bool]:
    under_home = path == home or path.startswith(home.rstrip("/") + "/")
    found: list[Problem] = []
    linked = False
    current, leaf = path, True
    while True:
        try:
            st = os.lstat(current)
        except (FileNotFoundError, NotADirectoryError):
            st = None
        if st is not None:
            if stat.S_ISLNK(st.st_mode):
                linked = True  # the directory holding the link is checked next; its target by realpath
            else:
                problem = dir_problem(current, st, own=leaf)
                if problem is not None:
                    found.append(problem)
        leaf = False  # only `path` itself is pdauth's own, whether or not it exists yet
        if (under_home and current == home) or current == "/":
            return found, linked
        parent = os.path.dirname(current)
        if parent == current:
            return found, linked
        current = parent


def dir_problem(path: str, st: os.stat_result, *, own: bool) -> Problem | None:
    """pdauth's own directory (`own`) must be the user's; one above it may be root's, and sticky."""
    if not stat.S_ISDIR(st.st_mode):
        return None  # not a directory: making or opening it fails with its own clear error
    uid = os.geteuid()
    if st.st_uid != uid and (own or st.st_uid != 0):
        return _not_yours(path, st.st_uid, "directory")
    # The sticky bit lets only an entry's owner rename or remove it, so others may write to /tmp but
    # cannot swap what the user made there. pdauth's own directory gets no such allowance.
    sticky = not own and st.st_mode & stat.S_ISVTX
    if st.st_mode & 0o022 and not sticky:
        return Problem(
            path,
            f"it is writable by {_who(st.st_mode)} (mode {stat.S_IMODE(st.st_mode):04o})",
            f"Run `chmod go-w {path}`",
        )
    return None


def kept_problem(path: str, st: os.stat_result, *, is_dir: bool) -> Problem | None:
    """A file or directory pdauth keeps in its config dir: the user's own, and no link to elsewhere."""
    if stat.S_ISLNK(st.st_mode):
        return Problem(path, "it is a symbolic link", "Replace the link with the file itself")
    if is_dir:
        if not stat.S_ISDIR(st.st_mode):
            return None  # pdauth's own use of it reports that (the lock directory is not a directory)
        return dir_problem(path, st, own=True)
    if not stat.S_ISREG(st.st_mode):
        return Problem(path, "it is not a regular file", "Remove it")
    return file_problem(path, st)


def file_problem(path: str, st: os.stat_result) -> Problem | None:
    """A file pdauth reads (checked on the opened descriptor, so it cannot be swapped after the check)."""
    if not _CHECKS:
        return None
    if not stat.S_ISREG(st.st_mode):
        return Problem(path, "it is not a regular file", "Remove it")
    if st.st_uid != os.geteuid():
        return _not_yours(path, st.st_uid, "file")
    if st.st_mode & 0o022:
        return Problem(
            path,
            f"it is writable by {_who(st.st_mode)} (mode {stat.S_IMODE(st.st_mode):04o})",
            f"Run `chmod 600 {path}`",
        )
    return None


def open_trusted(path: str) -> int:
    """A descriptor on the file at `path` once it passes `file_problem`; FileNotFoundError when missing,
    UntrustedPath when it is a link, someone else's or writable by others."""
    try:
        fd = os.open(path, OPEN_FLAGS)
    except OSError as exc:
        import errno

        if exc.errno == errno.ELOOP:
            raise Problem(
                path, "it is a symbolic link", "Replace the link with the file itself"
            ).error() from None
        raise
    try:
        problem = file_problem(path, os.fstat(fd))
    except BaseException:
        os.close(fd)
        raise
    if problem is not None:
        os.close(fd)
        raise problem.error()
    return fd


def read_trusted(path: str) -> bytes:
    """The bytes of the file at `path`, read through `open_trusted`."""
    with open(open_trusted(path), "rb") as fh:
        return fh.read()


def _not_yours(path: str, owner: int, kind: str) -> Problem:
    me = _user(os.geteuid())
    return Problem(
        path,
        f"it is owned by {_user(owner)}, not by you ({me})",
        f"pdauth uses only a {kind} you own: remove it or `chown {me} {path}`, "
        "or set PDAUTH_CONFIG_DIR to a directory of your own",
    )


def _who(mode: int) -> str:
    return {0o020: "its group", 0o002: "others"}.get(mode & 0o022, "its group and others")


def _user(uid: int) -> str:
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def _home() -> str:
    home = os.environ.get("HOME", "")
    if os.path.isabs(home):
        return home
    import pwd

    return pwd.getpwuid(os.geteuid()).pw_dir
