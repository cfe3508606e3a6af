"""Cross-process locks on `flock`: the kernel drops them when their holder dies, so none goes stale.

Hand-written on purpose: `import filelock` loads typing, logging and inspect (docs/performance.md), and
the 31 processes that wait for a 32nd's refresh would each pay that for a lock they hold for a
millisecond. `flock` also offers what the refresh needs and filelock does not: a *shared* mode, so that every waiter wakes
when the refresher is done and re-reads the store in parallel instead of one at a time. Where there is
no `fcntl` (Windows) filelock is used, and shared degrades to exclusive.

Imports only what taking a lock needs: processes that wait for a refresh load this and little else
(see pdauth.hotpath.crowd).
"""

from __future__ import annotations

import os
import time

TYPE_CHECKING = False  # not `from typing import TYPE_CHECKING`: see docs/performance.md
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType
    from typing import TypeVar

    from pdauth.errors import ConfigError, LockTimeout

    T = TypeVar("T")

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

# Waiting polls a non-blocking flock (a blocking one cannot time out). Short first polls keep the
# hand-over quick; the cap keeps a crowd of waiters from spinning.
_FIRST_POLL = 0.002
_MAX_POLL = 0.02
# A lock file is never a symbolic link pdauth made: one in its place is refused, not followed.
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class FileLock:
    """`with FileLock(...) as lock: lock.acquire(...)`; leaving the block releases whatever is held.

    The lock file is created owner-only. To go from shared to exclusive, `release` and `acquire` again
    (flock itself would drop the shared lock first anyway): re-read what the lock protects after it.
    """

    def __init__(self, path: str | os.PathLike[str], timeout: float, what: str, hint: str | None = None):
        self.path = path
        self.timeout = timeout
        self.what = what  # "the lock of profile 'x'", for the timeout message
        self.hint = hint
        self._fd: int | None = None
        self._fallback: object | None = None

    def __enter__(self) -> FileLock:
        if fcntl is not None and self._fd is None:  # entering a lock that is already open keeps it
            try:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | _NOFOLLOW, 0o600)
            except OSError as exc:
                raise unusable(f"{self.what} ({os.fspath(self.path)})", exc) from None
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the lock
            self._fd = None
        if self._fallback is not None:  # pragma: no cover - Windows
            self._fallback.release(force=True)  # type: ignore[attr-defined]
            self._fallback = None

    def acquire(self, *, shared: bool = False, wait: bool = True) -> bool:
        """Take the lock; False without `wait` when someone else holds it. LockTimeout after `timeout`."""
        if self._fd is None:  # pragma: no cover - Windows
            return self._acquire_fallback(wait)
        fd = self._fd
        operation = (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB

        def attempt(_deadline: float) -> bool | None:
            try:
                fcntl.flock(fd, operation)
                return True
            except BlockingIOError:
                return None if wait else False

        return self.wait_for(attempt)

    def release(self) -> None:
        """Let go of whatever is held, keeping the file open to take it again (a join becoming a lead)."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        elif self._fallback is not None:  # pragma: no cover - Windows
            self._fallback.release(force=True)  # type: ignore[attr-defined]

    def wait_for(self, attempt: Callable[[float], T | None]) -> T:
        """`attempt(deadline)` until it returns something other than None, polled as this lock's own
        waiting is; LockTimeout after `timeout`. pdauth.hotpath.handoff waits for a holder's token this way."""
        deadline = time.monotonic() + self.timeout
        poll = _FIRST_POLL
        while (result := attempt(deadline)) is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self.timeout_error()
            time.sleep(min(poll, remaining))
            poll = min(poll * 2, _MAX_POLL)
        return result

    def is_on(self, path: str | os.PathLike[str]) -> bool:
        """Whether this lock is open on the file at `path` (the same file however the path is spelt)."""
        if self._fd is None:  # not open, or Windows' fallback lock: compare the spelling, normalised
            return _normalised(path) == _normalised(self.path)
        try:
            return os.path.samestat(os.fstat(self._fd), os.stat(path))
        except OSError:
            return False

    def timeout_error(self) -> LockTimeout:
        from pdauth.errors import LockTimeout

        return LockTimeout(f"Waited {self.timeout:g} s for {self.what}", hint=self.hint)

    def _acquire_fallback(self, wait: bool) -> bool:  # pragma: no cover - Windows
        import filelock

        if self._fallback is None:
            self._fallback = filelock.FileLock(os.fspath(self.path), mode=0o600)
        elif self._fallback.is_locked:  # type: ignore[attr-defined]
            return True  # shared is exclusive here: already held
        try:
            self._fallback.acquire(timeout=self.timeout if wait else 0)  # type: ignore[attr-defined]
        except filelock.Timeout:
            if not wait:
                return False
            raise self.timeout_error() from None
        return True


def _normalised(path: str | os.PathLike[str]) -> str:
    return os.path.normcase(os.path.abspath(path))


def unusable(place: str, exc: OSError) -> ConfigError:
    """The error for a lock file or directory that cannot be opened or made: one line with a way out."""
    from pdauth.errors import ConfigError

    return ConfigError(
        f"Cannot use {place}: {exc.strerror or exc}",
        hint="Make the config dir writable (PDAUTH_CONFIG_DIR sets another one)",
    )


class ExclusiveLock(FileLock):
    """A FileLock held exclusively for the whole `with` block: `with ExclusiveLock(path, ...):`."""

    def __enter__(self) -> FileLock:
        super().__enter__()
        try:
            self.acquire()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self
