"""`pdauth token` on a token that is due for a refresh: lead the refresh, or take the leader's result.

A shell's `xargs -P 32` or a CI matrix can start many `pdauth token` at the moment the token expires.
One of them must refresh; the others only wait for its result, so they should cost little more than
starting Python. This runs before the core is loaded. When the config file's note says the profile's
token is due, it takes the profile's lock without waiting:

- got it: this process leads. It goes on into the core, which finds the lock already held
  (`Deps.profile_lock`), refreshes, and hands the result to the others (pdauth.hotpath.handoff);
- did not: another process leads. This one waits for the leader's token and prints it without ever
  loading the core.

Anything else (a token from the env, no note or a note that says valid, an unreadable config, a leader
that hands nothing over) falls through to the core, which decides as it always does.
"""

from __future__ import annotations

import time

from pdauth.hotpath import handoff
from pdauth.hotpath import paths as locate
from pdauth.hotpath.files import ensure_private_dir
from pdauth.hotpath.limits import DEFAULT_LOCK_TIMEOUT, REFRESH_MARGIN_SECONDS
from pdauth.hotpath.lock import FileLock
from pdauth.hotpath.plain_token import PlainToken, is_epoch, valid_from_json

TYPE_CHECKING = False  # not `from typing import ...`: see docs/performance.md
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from types import TracebackType


class Turn:
    """`with take_turn(...) as turn:` one of: `turn.lock` held (lead), `turn.handed` (joined), neither."""

    def __init__(self, lock: FileLock | None = None, handed: PlainToken | None = None):
        self.lock = lock
        self.handed = handed

    def __enter__(self) -> Turn:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.lock is not None:
            self.lock.__exit__(exc_type, exc, tb)  # a no-op once the core has released it


def take_turn(
    profile_option: str | None,
    env: Mapping[str, str],
    *,
    now: Callable[[], float] = time.time,
    timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> Turn:
    due = _due_profile(profile_option, env, now())
    if due is None:
        return Turn()
    directory, name = due
    lock = FileLock(locate.lock_path(directory, name), timeout, f"the lock of profile {name!r}")
    try:
        ensure_private_dir(locate.lock_dir(directory))
    except OSError:
        return Turn()  # the core meets the same problem and reports it
    lock.__enter__()  # ConfigError when the lock file cannot be opened
    if lock.acquire(wait=False):
        return Turn(lock=lock)
    try:
        text = handoff.await_handoff(handoff.socket_path(lock.path), lock)
    finally:
        lock.__exit__(None, None, None)  # a joiner holds nothing; one that gets nothing asks the core
    return Turn(handed=valid_from_json(text, name, now()) if text else None)


def _due_profile(option: str | None, env: Mapping[str, str], now: float) -> tuple[str, str] | None:
    """(config dir, profile) when the profile's stored token is noted as due for a refresh."""
    found = locate.profile_entry(option, env)
    if found is None:
        return None
    directory, name, entry, _namespace = found
    noted = entry.get("expires_at")
    if not is_epoch(noted):
        return None
    return (directory, name) if noted - now < REFRESH_MARGIN_SECONDS else None
