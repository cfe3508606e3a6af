"""pdauth.hotpath.handoff and pdauth.hotpath.crowd: the lock holder hands its token over a Unix socket to those waiting.

Real Unix sockets and real flock locks in tmp_path; threads play the other processes (separate FileLocks
conflict like processes do). Every wait is on an event or a poll with a deadline, never on a bare sleep.
"""

from __future__ import annotations

import _socket
import contextlib
import json
import os
import socket
import stat
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pdauth import envvars
from pdauth.errors import LockTimeout
from pdauth.hotpath import crowd, handoff
from pdauth.hotpath import paths as locate
from pdauth.hotpath.crowd import Turn, take_turn
from pdauth.hotpath.files import ensure_private_dir
from pdauth.hotpath.lock import FileLock

# Where there is no SO_PEERCRED (macOS, Windows) there is no socket: waiters only wait for the lock.
needs_peercred = pytest.mark.skipif(not handoff.SUPPORTED, reason="no SO_PEERCRED here: no handoff")

WAIT = 5.0  # the lock timeout of waiters that must not time out, and the bound of every sync wait
NOW = 1_750_000_000
TOKEN_SET = json.dumps(
    {
        "access_token": "handed-access-token",
        "expires_at": NOW + 3600,
        "api_domain": "https://x.pipedrive.com",
        "token_type": "Bearer",
        "scopes": [],
        "refresh_token": None,
    }
)
AF_UNIX_PATH_MAX = 108  # sizeof(sockaddr_un.sun_path) on Linux


def wait_until(condition: Callable[[], bool], timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.002)
    return True


class WatchedLock(FileLock):
    """A real FileLock that also tells when `await_handoff` has looked for the lock: it found no socket
    to connect to (none yet, or a dead one) and polls. Only that loop asks for it shared without waiting."""

    def __init__(self, path: str | os.PathLike[str], timeout: float, what: str = "the lock") -> None:
        super().__init__(path, timeout, what)
        self.polled = threading.Event()

    def acquire(self, *, shared: bool = False, wait: bool = True) -> bool:
        got = super().acquire(shared=shared, wait=wait)
        if shared and not wait:
            self.polled.set()
        return got


class Waiter(threading.Thread):
    """Another process: its own lock on the same path, found taken, then `await_handoff`.

    It keeps its lock open (with whatever it holds) until `release` is set.
    """

    def __init__(self, lock_path: Path, timeout: float = WAIT) -> None:
        super().__init__(daemon=True)
        self.lock = WatchedLock(lock_path, timeout)
        self.release = threading.Event()
        self.returned = threading.Event()
        self.returned_at = 0.0
        self.result: str | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        with self.lock:
            try:
                if self.lock.acquire(wait=False):
                    raise AssertionError("the lock was free: this is no waiter")
                self.result = handoff.await_handoff(handoff.socket_path(self.lock.path), self.lock)
            except BaseException as exc:
                self.error = exc
            finally:
                self.returned_at = time.monotonic()
                self.returned.set()
            self.release.wait(WAIT)

    def outcome(self) -> str | None:
        """What `await_handoff` returned (its exception re-raised), once the thread is done."""
        self.release.set()
        self.join(WAIT)
        assert not self.is_alive(), "the waiter is still waiting"
        if self.error is not None:
            raise self.error
        return self.result


class Arrivals:
    """Counts the waiters connected to a holder's socket: each checks its peer right after connecting,
    so a holder that has seen n arrivals finds n connections to accept. Delegates to the real check."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        self._changed = threading.Condition()
        real = handoff._same_user

        def counting(sock: _socket.socket) -> bool:
            same = real(sock)
            if not sock.getsockname():  # the waiter's end is unbound; the holder's carries the path
                with self._changed:
                    self.count += 1
                    self._changed.notify_all()
            return same

        monkeypatch.setattr(handoff, "_same_user", counting)

    def wait_for(self, n: int, timeout: float = WAIT) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self.count >= n, timeout)


@pytest.fixture
def arrivals(monkeypatch: pytest.MonkeyPatch) -> Arrivals:
    return Arrivals(monkeypatch)


@pytest.fixture
def lock_path(tmp_path: Path) -> Path:
    directory = tmp_path / "locks"
    ensure_private_dir(directory)
    return directory / "default.lock"


@pytest.fixture
def held(lock_path: Path) -> Iterator[FileLock]:
    """The lock, held exclusively by this test: the refreshing process."""
    with FileLock(lock_path, WAIT, "the lock") as lock:
        assert lock.acquire(wait=False)
        yield lock


def start_waiters(lock_path: Path, n: int, timeout: float = WAIT) -> list[Waiter]:
    waiters = [Waiter(lock_path, timeout) for _ in range(n)]
    for waiter in waiters:
        waiter.start()
    return waiters


def start_polling_waiters(lock_path: Path, n: int) -> list[Waiter]:
    """Waiters that have found no socket and are polling for one."""
    waiters = start_waiters(lock_path, n)
    for waiter in waiters:
        assert waiter.lock.polled.wait(WAIT), "the waiter never polled"
        assert not waiter.returned.is_set()
    return waiters


def cannot_take(lock_path: str | os.PathLike[str], *, shared: bool) -> bool:
    with FileLock(lock_path, WAIT, "the lock") as other:
        return not other.acquire(shared=shared, wait=False)


def leave_stale_socket(path: str) -> None:
    """What a killed holder leaves: a socket file nobody listens on."""
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(path)
    dead.close()


class exclusive(FileLock):  # a class named like a function: it reads `with exclusive(path):`
    """Another process holds the lock (taken without waiting: it must be free)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(path, WAIT, "the lock")

    def __enter__(self) -> FileLock:
        super().__enter__()
        if not self.acquire(wait=False):
            self.__exit__(None, None, None)
            raise AssertionError("the lock was already taken")
        return self


def write_config(config: Path, data: object) -> None:
    config.mkdir(parents=True, exist_ok=True)
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    (config / locate.CONFIG_FILE).write_bytes(raw)


def due_note(
    *profiles: str, expires_at: float = NOW - 10, default_profile: str | None = None
) -> dict[str, object]:
    """A config whose note says the token of `profiles` is due (or expires at `expires_at`)."""
    note: dict[str, object] = {
        "profiles": {name: {"expires_at": expires_at} for name in profiles or ("default",)}
    }
    if default_profile is not None:
        note["default_profile"] = default_profile
    return note


def env_for(config: Path, **extra: str) -> dict[str, str]:
    return {envvars.ENV_CONFIG_DIR: str(config), **extra}


# -- the holder hands over --------------------------------------------------------------------------


@needs_peercred
def test_the_holder_hands_the_text_to_every_waiter_including_those_that_came_before_its_socket(
    lock_path: Path, held: FileLock, arrivals: Arrivals
) -> None:
    early = start_polling_waiters(lock_path, 3)  # waiting before the holder opened its socket
    with handoff.Offer(handoff.socket_path(lock_path)) as offer:
        late = start_waiters(lock_path, 3)
        assert arrivals.wait_for(6), f"only {arrivals.count} of 6 waiters connected"
        assert offer.deliver(TOKEN_SET) == 6
    results = [waiter.outcome() for waiter in early + late]
    assert results == [TOKEN_SET] * 6


def test_deliver_with_nobody_waiting_hands_nothing_and_returns_at_once(
    lock_path: Path, held: FileLock
) -> None:
    with handoff.Offer(handoff.socket_path(lock_path)) as offer:
        started = time.monotonic()
        assert offer.deliver(TOKEN_SET) == 0
        assert time.monotonic() - started < 1


def test_a_waiter_arriving_after_the_offer_closed_finds_no_socket_and_waits_for_the_lock(
    lock_path: Path, held: FileLock
) -> None:
    path = handoff.socket_path(lock_path)
    with handoff.Offer(path) as offer:
        assert offer.deliver(TOKEN_SET) == 0
    assert not os.path.lexists(path)
    [waiter] = start_polling_waiters(lock_path, 1)
    held.__exit__(None, None, None)
    assert waiter.returned.wait(WAIT)
    assert waiter.outcome() is None


# -- the holder hands nothing ---------------------------------------------------------------------


@pytest.mark.parametrize("socket_file", ["none", "stale socket"])
def test_when_the_holder_lets_go_without_handing_anything_waiters_get_none_and_share_the_lock(
    lock_path: Path, socket_file: str
) -> None:
    if socket_file == "stale socket":  # a holder killed earlier: connecting to it is refused
        leave_stale_socket(handoff.socket_path(lock_path))
    with FileLock(lock_path, WAIT, "the lock") as holder:
        assert holder.acquire(wait=False)
        waiters = start_polling_waiters(lock_path, 3)
    released_at = time.monotonic()
    for waiter in waiters:
        assert waiter.returned.wait(WAIT)
        assert waiter.returned_at - released_at < 1, "the lock timeout is 5 s; polling is much faster"
    assert [waiter.error for waiter in waiters] == [None] * 3
    assert [waiter.result for waiter in waiters] == [None] * 3
    # The waiters hold the lock together (shared): a writer stays out, another reader gets in.
    assert cannot_take(lock_path, shared=False)
    assert not cannot_take(lock_path, shared=True)
    for waiter in waiters:
        waiter.outcome()
    assert not cannot_take(lock_path, shared=False)


@needs_peercred
def test_connected_waiters_get_none_as_soon_as_the_offer_closes_undelivered(
    lock_path: Path, held: FileLock, arrivals: Arrivals
) -> None:
    with handoff.Offer(handoff.socket_path(lock_path)):
        waiters = start_waiters(lock_path, 3)
        assert arrivals.wait_for(3)
    closed_at = time.monotonic()
    for waiter in waiters:  # the holder still holds the lock: this None is the socket's reset
        assert waiter.returned.wait(WAIT)
        assert waiter.returned_at - closed_at < 1
    assert [waiter.outcome() for waiter in waiters] == [None] * 3


@pytest.mark.parametrize(
    "socket_open", [False, pytest.param(True, marks=needs_peercred)], ids=["no-socket", "socket-open"]
)
def test_a_holder_that_keeps_the_lock_and_never_delivers_times_the_waiter_out(
    lock_path: Path, held: FileLock, socket_open: bool
) -> None:
    """Without a socket the waiter polls the lock; with one it waits to read: both end at the timeout."""
    offer = handoff.Offer(handoff.socket_path(lock_path)) if socket_open else contextlib.nullcontext()
    with offer, FileLock(lock_path, 0.3, "the lock of profile 'work'") as lock:
        assert not lock.acquire(wait=False)
        started = time.monotonic()
        with pytest.raises(LockTimeout) as err:
            handoff.await_handoff(handoff.socket_path(lock_path), lock)
        assert 0.2 <= time.monotonic() - started < 3
    assert err.value.message == "Waited 0.3 s for the lock of profile 'work'"


@needs_peercred
def test_a_holder_whose_backlog_is_full_times_the_waiter_out_instead_of_blocking_it(
    lock_path: Path, held: FileLock
) -> None:
    """A connect to a full AF_UNIX backlog blocks forever on a blocking socket; the waiter must not."""
    path = handoff.socket_path(lock_path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(0)  # never accepts: a holder stuck before its deliver
    fillers: list[socket.socket] = []
    try:
        for _ in range(4):  # fill the backlog (the kernel allows backlog + 1)
            filler = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            filler.setblocking(False)
            try:
                filler.connect(path)
            except BlockingIOError:
                filler.close()
                break
            fillers.append(filler)
        with FileLock(lock_path, 0.3, "the lock") as lock:
            assert not lock.acquire(wait=False)
            started = time.monotonic()
            with pytest.raises(LockTimeout):
                handoff.await_handoff(path, lock)
            assert time.monotonic() - started < 3
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


# -- the socket file --------------------------------------------------------------------------------


def test_the_socket_path_is_the_lock_path_with_its_extension_swapped() -> None:
    assert handoff.socket_path("/c/locks/default.lock") == "/c/locks/default.handoff"
    assert handoff.socket_path(Path("/c/locks/my.profile.lock")) == "/c/locks/my.profile.handoff"


@needs_peercred
def test_the_socket_file_exists_only_while_the_offer_is_open(lock_path: Path, held: FileLock) -> None:
    path = handoff.socket_path(lock_path)
    assert stat.S_IMODE(lock_path.parent.stat().st_mode) == 0o700
    with handoff.Offer(path):
        assert stat.S_ISSOCK(os.lstat(path).st_mode)
        assert Path(path).parent == lock_path.parent
    assert not os.path.lexists(path)


@needs_peercred
def test_the_socket_file_is_removed_when_the_offer_block_raises(lock_path: Path, held: FileLock) -> None:
    path = handoff.socket_path(lock_path)
    with pytest.raises(RuntimeError), handoff.Offer(path):
        assert os.path.lexists(path)
        raise RuntimeError("the refresh failed")
    assert not os.path.lexists(path)


@needs_peercred
@pytest.mark.parametrize("stale", ["socket", "plain file"])
def test_a_stale_socket_file_is_replaced_and_waiters_polling_past_it_get_the_text(
    lock_path: Path, held: FileLock, arrivals: Arrivals, stale: str
) -> None:
    path = handoff.socket_path(lock_path)
    if stale == "socket":
        leave_stale_socket(path)
    else:
        Path(path).write_text("left behind")
    [waiter] = start_polling_waiters(lock_path, 1)  # refused by the stale file, it keeps polling
    with handoff.Offer(path) as offer:
        assert stat.S_ISSOCK(os.lstat(path).st_mode)
        assert arrivals.wait_for(1)
        assert offer.deliver(TOKEN_SET) == 1
    assert waiter.outcome() == TOKEN_SET
    assert not os.path.lexists(path)


# -- a path too long for AF_UNIX ------------------------------------------------------------------


@pytest.fixture
def long_lock_path(tmp_path: Path) -> Path:
    directory = tmp_path / ("d" * AF_UNIX_PATH_MAX) / "locks"
    ensure_private_dir(directory)
    path = directory / "default.lock"
    assert len(os.fsencode(handoff.socket_path(path))) > AF_UNIX_PATH_MAX
    return path


def test_an_offer_on_a_path_too_long_for_af_unix_opens_without_a_socket_and_hands_nothing(
    long_lock_path: Path,
) -> None:
    path = handoff.socket_path(long_lock_path)
    with exclusive(long_lock_path), handoff.Offer(path) as offer:
        assert not os.path.lexists(path)
        assert offer.deliver(TOKEN_SET) == 0


@needs_peercred
def test_a_waiter_on_a_path_too_long_for_af_unix_falls_back_to_the_lock(long_lock_path: Path) -> None:
    with exclusive(long_lock_path):
        [waiter] = start_waiters(long_lock_path, 1)
        assert wait_until(lambda: waiter.lock.polled.is_set() or waiter.returned.is_set())
    assert waiter.outcome() is None


@needs_peercred
def test_a_joiner_under_a_config_dir_too_long_for_af_unix_waits_like_any_other(long_lock_path: Path) -> None:
    config = long_lock_path.parent.parent
    write_config(config, due_note())
    with exclusive(long_lock_path), pytest.raises(LockTimeout):
        take_turn(None, env_for(config), now=lambda: NOW, timeout=0.3)


# -- peer checks and the size cap ----------------------------------------------------------------


@needs_peercred
def test_a_waiter_whose_peer_is_another_user_takes_nothing_from_it(
    lock_path: Path, held: FileLock, monkeypatch: pytest.MonkeyPatch
) -> None:
    [waiter] = start_polling_waiters(lock_path, 1)
    real_getuid = os.getuid
    # In the waiter's thread this process runs as someone else, so the holder's uid is not its own.
    monkeypatch.setattr(
        os, "getuid", lambda: real_getuid() + 1 if threading.current_thread() is waiter else real_getuid()
    )
    with handoff.Offer(handoff.socket_path(lock_path)) as offer:
        # Keep offering until the waiter is done: without its own check it would take the text.
        deadline = time.monotonic() + WAIT
        while not waiter.returned.wait(0.005):
            assert time.monotonic() < deadline, "the waiter never returned"
            offer.deliver(TOKEN_SET)
    assert waiter.outcome() is None


@needs_peercred
def test_a_holder_hands_nothing_to_a_peer_of_another_user(
    lock_path: Path, held: FileLock, arrivals: Arrivals, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder = threading.current_thread()
    real_getuid = os.getuid
    monkeypatch.setattr(
        os, "getuid", lambda: real_getuid() + 1 if threading.current_thread() is holder else real_getuid()
    )
    with handoff.Offer(handoff.socket_path(lock_path)) as offer:
        [waiter] = start_waiters(lock_path, 1)
        assert arrivals.wait_for(1)
        assert offer.deliver(TOKEN_SET) == 0
    assert waiter.outcome() is None


@needs_peercred
@pytest.mark.parametrize(("size", "received"), [(64 * 1024, True), (64 * 1024 + 1, False)])
def test_a_message_over_64_kib_is_not_from_pdauth_and_gives_none(
    lock_path: Path, held: FileLock, arrivals: Arrivals, size: int, received: bool
) -> None:
    text = "x" * size
    with handoff.Offer(handoff.socket_path(lock_path)) as offer:
        [waiter] = start_waiters(lock_path, 1)
        assert arrivals.wait_for(1)
        offer.deliver(text)  # the waiter may hang up before the end: the count does not matter
    assert waiter.outcome() == (text if received else None)


# -- pdauth.hotpath.crowd.take_turn -------------------------------------------------------------------------


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return tmp_path / "cfg"


def turn_of(profile: str | None, env: dict[str, str]) -> Turn:
    return take_turn(profile, env, now=lambda: NOW, timeout=WAIT)


def is_neither(turn: Turn) -> bool:
    return turn.lock is None and turn.handed is None


class Leader(threading.Thread):
    """The `pdauth token` that leads the refresh of `profile`: holds its lock, opens its socket, and once
    a joiner connected hands `text` over (or nothing), keeping the lock until `done`."""

    def __init__(self, config: Path, profile: str, text: str | None, arrivals: Arrivals) -> None:
        super().__init__(daemon=True)
        self.lock_path = locate.lock_path(config, profile)
        self.text = text
        self.arrivals = arrivals
        self.ready = threading.Event()
        self.done = threading.Event()
        self.delivered = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            ensure_private_dir(os.path.dirname(self.lock_path))
            with exclusive(self.lock_path), handoff.Offer(handoff.socket_path(self.lock_path)) as offer:
                self.ready.set()
                deadline = time.monotonic() + WAIT
                while not self.arrivals.wait_for(1, 0.005) and not self.done.is_set():
                    assert time.monotonic() < deadline, "no joiner connected"
                if self.text is not None:
                    self.delivered = offer.deliver(self.text)
            self.done.wait(WAIT)
        except BaseException as exc:
            self.error = exc
        finally:
            self.ready.set()

    def join_turn(self, profile: str | None, env: dict[str, str]) -> Turn:
        """`take_turn` in this (the joiner's) thread, while this leader leads."""
        self.start()
        assert self.ready.wait(WAIT)
        try:
            return turn_of(profile, env)
        finally:
            self.done.set()
            self.join(WAIT)
            assert not self.is_alive()
            if self.error is not None:
                raise self.error


def test_take_turn_without_a_config_file_falls_through_and_makes_nothing(config: Path) -> None:
    assert is_neither(turn_of(None, env_for(config)))
    assert not config.exists()


@pytest.mark.parametrize(
    ("expires_at", "due"),
    [(NOW - 10, True), (NOW + 299, True), (NOW + 300, False), (NOW + 3600, False)],
)
def test_take_turn_leads_only_when_the_note_is_within_the_300_s_margin(
    config: Path, expires_at: int, due: bool
) -> None:
    write_config(config, due_note(expires_at=expires_at))
    with turn_of(None, env_for(config)) as turn:
        assert turn.handed is None
        assert (turn.lock is not None) == due


@pytest.mark.parametrize("variable", [envvars.ENV_ACCESS_TOKEN, envvars.ENV_REFRESH_TOKEN])
def test_take_turn_falls_through_when_the_env_provides_a_token(config: Path, variable: str) -> None:
    write_config(config, due_note())
    assert is_neither(turn_of(None, env_for(config, **{variable: "from-env"})))


def test_take_turn_on_a_due_note_and_a_free_lock_leads_holding_the_lock_until_the_block_ends(
    config: Path,
) -> None:
    write_config(config, due_note())
    lock_file = Path(locate.lock_path(config, "default"))
    with turn_of(None, env_for(config)) as turn:
        assert turn.lock is not None and turn.handed is None
        assert Path(turn.lock.path) == lock_file
        assert cannot_take(lock_file, shared=True)
        assert stat.S_IMODE(lock_file.parent.stat().st_mode) == 0o700
    assert not cannot_take(lock_file, shared=False)


@needs_peercred
@pytest.mark.parametrize(
    ("option", "env", "default_profile", "resolved"),
    [
        ("work", {envvars.ENV_PROFILE: "ci"}, "team", "work"),
        (None, {envvars.ENV_PROFILE: "ci"}, "team", "ci"),
        (None, {}, "team", "team"),
        (None, {}, None, "default"),
    ],
)
def test_take_turn_joins_the_leader_of_the_resolved_profile_and_takes_its_token(
    config: Path,
    arrivals: Arrivals,
    option: str | None,
    env: dict[str, str],
    default_profile: str | None,
    resolved: str,
) -> None:
    write_config(config, due_note("work", "ci", "team", "default", default_profile=default_profile))
    leader = Leader(config, resolved, TOKEN_SET, arrivals)
    turn = leader.join_turn(option, env_for(config, **env))
    assert turn.lock is None and turn.handed is not None
    assert leader.delivered == 1
    handed = turn.handed
    assert (handed.token, handed.expires_at, handed.api_domain, handed.profile) == (
        "handed-access-token",
        NOW + 3600,
        "https://x.pipedrive.com",
        resolved,
    )
    assert not cannot_take(leader.lock_path, shared=False)  # the joiner keeps no lock


@needs_peercred
@pytest.mark.parametrize(
    "text",
    [
        json.dumps({"access_token": "nearly-due", "expires_at": NOW + 299, "api_domain": None}),
        json.dumps({"access_token": "", "expires_at": NOW + 3600}),
        json.dumps({"expires_at": NOW + 3600}),
        json.dumps(["handed-access-token"]),
        "not json",
    ],
    ids=["within-the-margin", "empty-token", "no-token", "not-an-object", "not-json"],
)
def test_take_turn_refuses_a_handed_token_it_could_not_print(
    config: Path, arrivals: Arrivals, text: str
) -> None:
    write_config(config, due_note())
    leader = Leader(config, "default", text, arrivals)
    turn = leader.join_turn(None, env_for(config))
    assert leader.delivered == 1
    assert is_neither(turn)


@needs_peercred
def test_take_turn_falls_through_when_the_leader_hands_nothing(config: Path, arrivals: Arrivals) -> None:
    write_config(config, due_note())
    leader = Leader(config, "default", None, arrivals)
    assert is_neither(leader.join_turn(None, env_for(config)))


def test_take_turn_falls_through_when_the_leader_lets_go_without_a_socket_and_keeps_no_lock(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(config, due_note())
    lock_file = locate.lock_path(config, "default")
    joiners: list[WatchedLock] = []

    def watched(path: str | os.PathLike[str], timeout: float, what: str) -> WatchedLock:
        joiners.append(WatchedLock(path, timeout, what))
        return joiners[-1]

    monkeypatch.setattr(crowd, "FileLock", watched)  # still a real lock: it only says when it polls
    ensure_private_dir(os.path.dirname(lock_file))
    leader = exclusive(lock_file)
    leader.__enter__()

    def let_go_once_the_joiner_polls() -> None:
        wait_until(lambda: bool(joiners) and joiners[0].polled.is_set())
        leader.__exit__(None, None, None)

    release = threading.Thread(target=let_go_once_the_joiner_polls, daemon=True)
    try:
        release.start()  # the leader lets go once the joiner polls: the joiner then takes it, shared
        turn = turn_of(None, env_for(config))
    finally:
        release.join(WAIT)
        leader.__exit__(None, None, None)
    assert joiners[0].polled.is_set()
    assert is_neither(turn)
    assert not cannot_take(lock_file, shared=False)  # what the joiner held it let go of


@pytest.mark.parametrize(
    ("option", "env", "default_profile"),
    [("../x", {}, None), (None, {envvars.ENV_PROFILE: "../x"}, None), (None, {}, "../x")],
)
def test_take_turn_falls_through_on_an_invalid_profile_name(
    config: Path, option: str | None, env: dict[str, str], default_profile: str | None
) -> None:
    write_config(config, due_note("../x", default_profile=default_profile))
    assert is_neither(turn_of(option, env_for(config, **env)))
    assert [p.name for p in config.rglob("*")] == [locate.CONFIG_FILE]  # no lock made, here or above


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"\xff\xfe",
        b"[]",
        b'"default"',
        b'{"profiles": []}',
        b'{"profiles": {"default": []}}',
        b'{"profiles": {"default": {"expires_at": "soon"}}}',
        b'{"profiles": {"default": {}}}',
        b'{"profiles": {"other": {"expires_at": 0}}}',
    ],
)
def test_take_turn_falls_through_on_a_malformed_or_silent_config(config: Path, raw: bytes) -> None:
    write_config(config, raw)
    assert is_neither(turn_of(None, env_for(config)))
