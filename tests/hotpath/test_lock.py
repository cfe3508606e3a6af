"""pdauth.hotpath.lock: flock semantics the refresh relies on (separate FileLocks conflict like processes do)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pdauth.errors import LockTimeout
from pdauth.hotpath.lock import ExclusiveLock, FileLock


def test_the_lock_file_is_owner_only_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        with ExclusiveLock(tmp_path / "p.lock", 1, "the lock"):
            pass
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "p.lock").stat().st_mode) == 0o600


def test_exclusive_excludes_everyone_and_leaving_the_block_releases(tmp_path: Path) -> None:
    path = tmp_path / "p.lock"
    with ExclusiveLock(path, 1, "the lock"), FileLock(path, 1, "the lock") as other:
        assert not other.acquire(wait=False)
        assert not other.acquire(shared=True, wait=False)
    with FileLock(path, 1, "the lock") as other:
        assert other.acquire(wait=False)


def test_shared_holders_coexist_and_keep_an_exclusive_out(tmp_path: Path) -> None:
    path = tmp_path / "p.lock"
    with FileLock(path, 1, "the lock") as a, FileLock(path, 0.1, "the lock") as b:
        assert a.acquire(shared=True) and b.acquire(shared=True, wait=False)
        with FileLock(path, 1, "the lock") as writer:
            assert not writer.acquire(wait=False)
        with pytest.raises(LockTimeout):
            b.acquire()  # converting to exclusive must wait for a to let go


def test_waiters_in_shared_mode_all_wake_when_the_holder_lets_go(tmp_path: Path) -> None:
    path = tmp_path / "p.lock"
    both_inside = threading.Barrier(3, timeout=5)

    def waiter() -> None:
        with FileLock(path, 5, "the lock") as lock:
            lock.acquire(shared=True)
            both_inside.wait()  # only passes if the two waiters hold the lock at the same time

    with ExclusiveLock(path, 1, "the lock"):
        threads = [threading.Thread(target=waiter) for _ in range(2)]
        for t in threads:
            t.start()
        time.sleep(0.1)
        assert not both_inside.n_waiting  # nobody got in while the exclusive holder was there
    both_inside.wait()
    for t in threads:
        t.join(5)


def test_timeout_is_a_one_line_error_with_the_next_step(tmp_path: Path) -> None:
    path = tmp_path / "p.lock"
    with ExclusiveLock(path, 1, "the lock"):
        started = time.monotonic()
        with pytest.raises(LockTimeout) as err, ExclusiveLock(path, 0.2, "the lock of profile 'work'"):
            pass
    assert time.monotonic() - started >= 0.2
    assert err.value.one_line().startswith("Waited 0.2 s for the lock of profile 'work'. Another pdauth")


def test_the_kernel_releases_the_lock_of_a_killed_holder(tmp_path: Path) -> None:
    path = tmp_path / "p.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from pdauth.hotpath.lock import ExclusiveLock\n"
            "with ExclusiveLock(Path(sys.argv[1]), 5, 'x'):\n    print('held', flush=True); time.sleep(60)",
            str(path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with FileLock(path, 1, "the lock") as lock:
            assert not lock.acquire(wait=False)
            holder.kill()
            holder.wait(5)
            assert lock.acquire(wait=True)
    finally:
        holder.kill()


def test_two_shared_holders_converting_to_exclusive_do_not_deadlock(tmp_path: Path) -> None:
    """After a failed refresh every waiter holds the lock shared and asks for it exclusively: one after
    the other, each must get it (none may wait for a shared lock that is itself waiting)."""
    path = tmp_path / "p.lock"
    both_shared = threading.Barrier(2, timeout=5)
    got: list[float] = []

    def waiter() -> None:
        with FileLock(path, 5, "the lock") as lock:
            lock.acquire(shared=True)
            both_shared.wait()
            lock.acquire()
            got.append(time.monotonic())
            time.sleep(0.05)

    threads = [threading.Thread(target=waiter) for _ in range(2)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(got) == 2 and max(got) - started < 2


def test_a_lock_knows_its_file_however_the_path_is_spelt(tmp_path: Path) -> None:
    """The token fast path hands its held lock to the core, which spells the path its own way."""
    (tmp_path / "locks").mkdir()
    (tmp_path / "elsewhere").symlink_to(tmp_path / "locks")
    path = tmp_path / "locks" / "p.lock"
    spellings = [f"{tmp_path}//locks/./p.lock", tmp_path / "elsewhere" / "p.lock", path]
    unopened = FileLock(str(tmp_path / "locks" / "." / "p.lock"), 1, "the lock")
    assert unopened.is_on(path) and not unopened.is_on(tmp_path / "locks" / "q.lock")
    with FileLock(f"{tmp_path}//locks/p.lock", 1, "the lock") as lock:
        assert all(lock.is_on(spelling) for spelling in spellings)
        (tmp_path / "locks" / "q.lock").touch()
        assert not lock.is_on(tmp_path / "locks" / "q.lock")
        assert not lock.is_on(tmp_path / "locks" / "missing.lock")
