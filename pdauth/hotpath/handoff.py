"""Hand a freshly refreshed token from the process that refreshed it to the processes waiting for it.

When a crowd of `pdauth token` processes meets an expired token, one of them refreshes under the
profile's lock. Each of the others would then read the store for the result, and on a Secret Service
that read (a D-Bus session with a keyring daemon that serves one client at a time) costs more than the
rest of such a process. So the lock's holder also listens on a Unix socket next to the lock, and once
the new token is stored it writes it to every process that connected. A waiter that gets nothing that
way (the holder failed, died, or found nothing to do) goes on as it would have without this: it takes
the lock in turn and reads the store.

What crosses the socket is what a waiter would have read from the store, minus the refresh token. It is
never written to disk, and only the same user can reach it: the socket lives in the owner-only lock
directory, and each end checks the other's uid with SO_PEERCRED (any process of that user could read the
keyring anyway). Where SO_PEERCRED does not exist (macOS, Windows) there is no handoff.

Waiting processes import this module and little else, so it uses `_socket`, the C module under `socket`:
`socket` itself builds its enums at import, a large part of a waiter's whole run.
"""

from __future__ import annotations

import os
import struct
import time

try:
    import _socket
except ImportError:  # pragma: no cover - a Python built without sockets
    _socket = None  # type: ignore[assignment]

TYPE_CHECKING = False  # not `from typing import ...`: see above
if TYPE_CHECKING:
    from types import TracebackType

    from pdauth.hotpath.lock import FileLock

_PEERCRED: int | None = getattr(_socket, "SO_PEERCRED", None)
SUPPORTED = _PEERCRED is not None and hasattr(_socket, "AF_UNIX")
_CREDENTIALS = struct.Struct("3i")  # struct ucred: pid, uid, gid
_MAX_MESSAGE = 64 * 1024  # a token set is under 1 KiB; anything bigger is not from pdauth


def socket_path(lock_path: str | os.PathLike[str]) -> str:
    return os.path.splitext(os.fspath(lock_path))[0] + ".handoff"


def _same_user(sock: _socket.socket) -> bool:
    assert _PEERCRED is not None  # only called where SUPPORTED
    _pid, uid, _gid = _CREDENTIALS.unpack(sock.getsockopt(_socket.SOL_SOCKET, _PEERCRED, _CREDENTIALS.size))
    return bool(uid == os.getuid())


class Offer:
    """The lock holder's side: `with Offer(path) as offer: ...; offer.deliver(text)`.

    Enter it only while holding the profile's lock exclusively: whoever holds the lock owns the socket
    path, so a socket file left behind by a holder that was killed is simply replaced.
    """

    def __init__(self, path: str):
        self.path = path
        self._listener: _socket.socket | None = None

    def __enter__(self) -> Offer:
        if not SUPPORTED:
            return self
        listener = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        try:
            _unlink(self.path)
            listener.bind(self.path)  # in the owner-only lock directory
            listener.listen(_socket.SOMAXCONN)
        except OSError:  # e.g. a path longer than AF_UNIX allows: the waiters read the store instead
            listener.close()
            return self
        self._listener = listener
        return self

    def deliver(self, text: str) -> int:
        """Write `text` to every process waiting on the socket; how many got it."""
        if self._listener is None:
            return 0
        payload = text.encode()
        self._listener.setblocking(False)
        delivered = 0
        while True:
            try:
                fd, _ = self._listener._accept()  # type: ignore[attr-defined]  # socket.accept's own primitive
            except (BlockingIOError, InterruptedError):
                return delivered
            conn = _socket.socket(fileno=fd)
            try:
                conn.settimeout(1.0)  # a waiter that stopped reading must not hold up the others
                if _same_user(conn):
                    conn.sendall(payload)
                    delivered += 1
            except OSError:
                pass  # that waiter went away
            finally:
                conn.close()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._listener is None:
            return
        # Unlink before closing: a waiter arriving now finds no socket and waits for the lock instead.
        _unlink(self.path)
        self._listener.close()  # connections not accepted yet are reset: those waiters read the store
        self._listener = None


def await_handoff(path: str, lock: FileLock) -> str | None:
    """What the holder of `lock` hands over; None when it hands nothing (then wait on the lock as usual).

    Call it after failing to take `lock`. Until the holder opens its socket, this looks for the socket
    and for the lock in turn, and gives up when the lock is free. LockTimeout after the lock's timeout,
    as waiting on the lock itself would.
    """

    def attempt(deadline: float) -> str | None:  # "" when nothing was handed over
        if SUPPORTED:
            try:
                return _receive(path, deadline)
            except TimeoutError:
                raise lock.timeout_error() from None
            except OSError:
                # No socket yet, a dead holder's file, a full backlog (tried again at the next poll), or
                # a path too long for AF_UNIX (then the holder has no socket either): wait on the lock.
                pass
        return "" if lock.acquire(shared=True, wait=False) else None

    return lock.wait_for(attempt) or None


def _receive(path: str, deadline: float) -> str:
    """The holder's message ("" for none); the connect's own OSError when it is not listening."""
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        # With a timeout the socket is non-blocking: a full backlog fails the connect (EAGAIN) instead of
        # blocking it past the lock's timeout.
        sock.settimeout(max(deadline - time.monotonic(), 0.001))
        sock.connect(path)
        try:
            if not _same_user(sock):
                return ""
            chunks: list[bytes] = []
            size = 0
            while True:
                sock.settimeout(max(deadline - time.monotonic(), 0.001))
                chunk = sock.recv(4096)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
                if size > _MAX_MESSAGE:
                    return ""
        except TimeoutError:
            raise
        except OSError:  # the holder closed without handing anything over (its refresh failed): reset
            return ""
        return b"".join(chunks).decode(errors="replace")
    finally:
        sock.close()


def _unlink(path: str) -> None:
    try:  # noqa: SIM105 - contextlib.suppress would cost every waiting process an import
        os.unlink(path)
    except FileNotFoundError:
        pass
