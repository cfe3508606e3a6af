"""Refresh under concurrency and crashes: real `pdauth` processes, the real emulator, the test keyring file.

pdauth's clock is the real one, so "expired" is made by editing `expires_at` in the stored token set.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock, Timeout

from pdauth.core.context import Context, Deps
from pdauth.core.sources import refresh
from pdauth.core.tokens import TokenSet
from pdauth.errors import ExitCode, LockTimeout
from tests.conftest import CLI, CLIENT_ID, CLIENT_SECRET
from tests.support.fast_path import LOADED_PROBE, fast_path_extras, loaded_modules
from tests.support.harness import (
    QUIET_BROWSER,
    entry_key,
    expire_stored,
    keyring_file,
    pdauth,
    refresh_token_works,
    stderr_lines,
    stored,
)
from tests.support.keyrings import JsonFileKeyring

PROCESSES = 32
KILL_ITERATIONS = 15
ROTATING_KILL_ITERATIONS = 8

rotating = pytest.mark.emulator(rotate_refresh_tokens=True)


@pytest.fixture
def env(cli: CLI) -> dict[str, str]:
    """The CLI's environment with a silent browser, after one successful login."""
    env = {**cli.env, "BROWSER": str(QUIET_BROWSER)}
    r = subprocess.run(
        [sys.executable, "-m", "pdauth", "login"], env=env, capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0, r.stderr
    return env


def lock_path(env: dict[str, str], profile: str = "default") -> Path:
    return Path(env["PDAUTH_CONFIG_DIR"]) / "locks" / f"{profile}.lock"


def run(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pdauth", *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


# -- many processes, one refresh ------------------------------------------------------------------


@pytest.mark.parametrize("noted", [True, False], ids=["noted", "store-only"])
@pytest.mark.parametrize("rotate", [False, pytest.param(True, marks=rotating)], ids=["fixed", "rotating"])
def test_32_processes_on_an_expired_token_refresh_exactly_once(
    env: dict[str, str], emulator: Any, rotate: bool, noted: bool
) -> None:
    """`noted`: the config file says the token is due, so the crowd sorts itself out before loading the
    core (pdauth.hotpath.crowd); `store-only`: only the store says so, and the core does it (pdauth.core.sources)."""
    before = expire_stored(env, noted=noted)
    emulator.reset_stats()

    procs = [pdauth(env, "token") for _ in range(PROCESSES)]
    outputs = [p.communicate(timeout=60) for p in procs]

    failures = [(p.returncode, err) for p, (_, err) in zip(procs, outputs, strict=True) if p.returncode]
    assert not failures, failures
    after = stored(env)
    assert {out for out, _ in outputs} == {after["access_token"] + "\n"}, "all print the same token"
    assert all(err == "" for _, err in outputs)
    assert after["access_token"] != before["access_token"]
    stats = emulator.stats()
    assert stats["grants"]["refresh_token"] == 1, stats
    assert stats["token_requests"] == 1, stats

    # The printed token is valid at the API, and the stored refresh token (rotated or not) still works.
    as_env = {"PIPEDRIVE_ACCESS_TOKEN": after["access_token"], "PIPEDRIVE_API_DOMAIN": emulator.base_url}
    r = run({**env, **as_env}, "whoami", "--json")
    assert r.returncode == 0, r.stderr
    assert (after["refresh_token"] != before["refresh_token"]) is rotate
    r = run(env, "refresh")
    assert r.returncode == 0, r.stderr
    assert emulator.stats()["grants"]["refresh_token"] == 2


# -- SIGKILL at random moments ----------------------------------------------------------------------


def calibrate(env: dict[str, str], emulator: Any) -> tuple[float, float]:
    """(seconds until the refresh request reaches the server, seconds for the whole run) of one refresh."""
    expire_stored(env)
    before = emulator.stats()["token_requests"]
    start = time.monotonic()
    proc = pdauth(env, "token", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: emulator.stats()["token_requests"] > before, 30, "the refresh request")
    reached = time.monotonic() - start
    assert proc.wait(timeout=30) == 0
    return reached, time.monotonic() - start


def kill_refresh_after(env: dict[str, str], delay: float) -> int:
    proc = pdauth(env, "token", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    return proc.wait(timeout=10)


def load_stored_set(env: dict[str, str]) -> TokenSet:
    """The stored entry parsed as pdauth parses it (raises if the store were torn or unreadable)."""
    return TokenSet.from_json(json.loads(keyring_file(env).read_text())[entry_key(env)])


def kill_delays(rng: random.Random, reached: float, total: float, count: int) -> list[float]:
    """Half spread over the whole run (0–300 ms), half around the moment the refresh request reaches the
    server, where a kill can fall between Pipedrive's answer and pdauth's write."""
    spread = [rng.uniform(0, min(0.3, total)) for _ in range(count - count // 2)]
    focused = [rng.uniform(max(0.0, reached - 0.01), reached + 0.04) for _ in range(count // 2)]
    delays = spread + focused
    rng.shuffle(delays)
    return delays


def seeded() -> tuple[int, random.Random]:
    seed = int(os.environ.get("PDAUTH_TEST_SEED", time.time_ns() % 10**6))
    return seed, random.Random(seed)


def test_sigkill_at_any_moment_leaves_a_working_refresh_token(env: dict[str, str], emulator: Any) -> None:
    """Without rotation the old refresh token stays valid, so every kill must leave a loadable store with a
    working refresh token, holding either the old token set or a complete new one — never a torn mix."""
    seed, rng = seeded()
    reached, total = calibrate(env, emulator)
    outcomes = {
        "before the request": 0,
        "after the grant, before the write": 0,
        "after the write": 0,
        "finished first": 0,
    }
    for i, delay in enumerate(kill_delays(rng, reached, total, KILL_ITERATIONS)):
        refresh_before = load_stored_set(env).refresh_token
        expired = expire_stored(env)
        grants = emulator.stats()["grants"]["refresh_token"]
        code = kill_refresh_after(env, delay)
        context = f"seed={seed} iteration={i} delay={delay:.3f}s"

        now = load_stored_set(env)  # loads: never torn
        granted = emulator.stats()["grants"]["refresh_token"] - grants
        assert now.refresh_token == refresh_before, context
        assert refresh_token_works(emulator.base_url, CLIENT_ID, CLIENT_SECRET, now.refresh_token), context
        if now.access_token == expired["access_token"]:  # the old set, untouched
            assert now.expires_at == pytest.approx(expired["expires_at"]), context
            outcomes["after the grant, before the write" if granted else "before the request"] += 1
        else:  # a complete new set
            assert granted == 1 and now.expires_at > time.time() + 1000, context
            outcomes["finished first" if code == 0 else "after the write"] += 1

    # A kill never leaves the lock behind: the next run refreshes at once.
    expire_stored(env)
    start = time.monotonic()
    r = run(env, "token")
    assert r.returncode == 0 and time.monotonic() - start < 10, r.stderr
    print(f"\nSIGKILL, fixed refresh token, seed {seed}: {outcomes}")


@rotating
def test_sigkill_with_rotating_refresh_tokens_never_corrupts_and_fails_clearly(
    env: dict[str, str], emulator: Any
) -> None:
    """With rotation the server retires the old refresh token the moment it issues the new one, so a kill
    after the server's answer and before the local write loses the new one: no client can prevent that.
    What pdauth still guarantees: the store loads, and the next call fails with one clear line and exit 4
    (log in again) without writing anything — never a crash, never a corrupt store."""
    seed, rng = seeded()
    reached, total = calibrate(env, emulator)
    lost = 0
    for i, delay in enumerate(kill_delays(rng, reached, total, ROTATING_KILL_ITERATIONS)):
        expire_stored(env)
        kill_refresh_after(env, delay)
        context = f"seed={seed} iteration={i} delay={delay:.3f}s"
        before = keyring_file(env).read_bytes()
        load_stored_set(env)

        r = run(env, "token")
        if r.returncode == 0:
            assert r.stdout.strip() == stored(env)["access_token"], context
            continue
        lost += 1
        lines = stderr_lines(r.stderr)
        assert r.returncode == ExitCode.AUTH and len(lines) == 1, (context, r.stderr)
        assert lines[0].startswith("error:") and "invalid_grant" in lines[0] and "pdauth login" in lines[0]
        assert keyring_file(env).read_bytes() == before, context
        r = run(env, "login")
        assert r.returncode == 0, r.stderr
    print(
        f"\nSIGKILL, rotating refresh token, seed {seed}: {lost} of {ROTATING_KILL_ITERATIONS} kills "
        "fell between the grant and the write"
    )


# -- the lock -------------------------------------------------------------------------------------


def test_a_lock_left_by_a_killed_process_never_blocks_the_next_run(
    env: dict[str, str], emulator: Any
) -> None:
    expire_stored(env)
    emulator.reset_stats()
    emulator.inject_fault(endpoint="token", status=None, delay=30)  # the refresh hangs inside the lock
    holder = pdauth(env, "token", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: emulator.stats()["token_requests"] >= 1, 20, "the holder's token request")
        with pytest.raises(Timeout):  # it really holds the lock
            FileLock(str(lock_path(env)), timeout=0).acquire()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    assert lock_path(env).exists()  # the file stays; the lock (flock) died with its holder

    start = time.monotonic()
    r = run(env, "token")
    elapsed = time.monotonic() - start
    assert r.returncode == 0, r.stderr
    assert elapsed < 10, f"took {elapsed:.1f} s: the dead holder's lock was waited for"
    assert r.stdout.strip() == stored(env)["access_token"]


def test_a_lock_held_by_a_live_process_gives_a_bounded_wait_and_a_clear_error(
    env: dict[str, str], emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PDAUTH_TEST_KEYRING_FILE", env["PDAUTH_TEST_KEYRING_FILE"])
    expire_stored(env)
    emulator.reset_stats()
    emulator.inject_fault(endpoint="token", status=None, delay=30)
    holder = pdauth(env, "token", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: emulator.stats()["token_requests"] >= 1, 20, "the holder's token request")
        before = keyring_file(env).read_bytes()
        ctx = Context(Deps(env=env, keyring_backend=JsonFileKeyring(), lock_timeout=0.5))
        start = time.monotonic()
        with pytest.raises(LockTimeout) as err:
            refresh(ctx)
        elapsed = time.monotonic() - start
        assert 0.4 < elapsed < 3, elapsed
        assert err.value.exit_code == ExitCode.ERROR
        line = err.value.one_line()
        assert "lock of profile 'default'" in line and "Another pdauth process is refreshing" in line
        assert keyring_file(env).read_bytes() == before
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    emulator.clear_faults()
    assert refresh(Context(Deps(env=env, keyring_backend=JsonFileKeyring(), lock_timeout=5))).token


# -- the refresher hands its token to the waiters (pdauth.hotpath.handoff, pdauth.hotpath.crowd) --------------------


# What a waiter that joins a refresh in progress loads: the entry point and the few modules that let it
# wait, nothing of the core (no config types, no store, no dataclasses, no logging).
def refresh_in_progress(env: dict[str, str], emulator: Any, delay: float) -> subprocess.Popen[str]:
    """A `pdauth token` that leads a refresh which the emulator holds for `delay` seconds."""
    expire_stored(env, noted=True)
    emulator.reset_stats()
    emulator.inject_fault(endpoint="token", status=None, delay=delay)
    leader = pdauth(env, "token")
    wait_for(lambda: emulator.stats()["token_requests"] >= 1, 20, "the leader's token request")
    return leader


def test_a_waiter_gets_the_leaders_token_without_loading_the_core(env: dict[str, str], emulator: Any) -> None:
    leader = refresh_in_progress(env, emulator, delay=3)  # ample time for the joiner to arrive first
    joiner = subprocess.run(
        [sys.executable, "-c", LOADED_PROBE, "token"], env=env, capture_output=True, text=True, timeout=60
    )
    out, err = leader.communicate(timeout=60)
    assert leader.returncode == 0, err
    assert joiner.returncode == 0, joiner.stderr
    assert fast_path_extras(loaded_modules(joiner.stderr)) == []
    new_token = stored(env)["access_token"]
    assert joiner.stdout == out == new_token + "\n"
    assert emulator.stats()["grants"]["refresh_token"] == 1
    assert not lock_path(env).with_suffix(".handoff").exists(), "the socket goes with its refresh"


def test_what_crosses_the_socket_is_the_new_access_token_and_never_the_refresh_token(
    env: dict[str, str], emulator: Any
) -> None:
    from pdauth.hotpath.handoff import await_handoff, socket_path
    from pdauth.hotpath.lock import FileLock

    leader = refresh_in_progress(env, emulator, delay=2)
    with FileLock(lock_path(env), 30, "the lock") as lock:
        assert not lock.acquire(wait=False), "the leader holds the profile's lock"
        handed = await_handoff(socket_path(lock.path), lock)
    assert leader.wait(timeout=60) == 0
    assert handed is not None
    message = json.loads(handed)
    after = stored(env)
    assert message["access_token"] == after["access_token"]
    assert message["refresh_token"] is None
    assert after["refresh_token"] not in handed


def test_when_the_leader_fails_the_waiters_fail_the_same_way_and_the_store_is_kept(
    env: dict[str, str], emulator: Any
) -> None:
    before = expire_stored(env, noted=True)
    emulator.reset_stats()
    invalid_grant = json.dumps({"error": "invalid_grant", "error_description": "Invalid grant: revoked"})
    emulator.inject_fault(endpoint="token", status=400, body=invalid_grant, delay=1.0, count=1000)
    leader = pdauth(env, "token")
    wait_for(lambda: emulator.stats()["token_requests"] >= 1, 20, "the leader's token request")
    waiters = [pdauth(env, "token") for _ in range(4)]
    results = [(p, *p.communicate(timeout=60)) for p in [leader, *waiters]]
    codes = {p.returncode for p, _, _ in results}
    lines = {err.strip().splitlines()[-1] for _, _, err in results}
    assert codes == {int(ExitCode.AUTH)}, results
    assert len(lines) == 1 and "invalid_grant" in lines.pop()
    assert all(out == "" for _, out, _ in results)
    assert stored(env) == before, "a failed refresh loses nothing"


def test_waiters_of_a_leader_that_is_killed_go_on_and_refresh_once(
    env: dict[str, str], emulator: Any
) -> None:
    leader = refresh_in_progress(env, emulator, delay=30)
    waiters = [pdauth(env, "token") for _ in range(3)]
    time.sleep(0.5)  # not needed for correctness: gives the waiters time to connect to the leader first
    leader.send_signal(signal.SIGKILL)
    leader.wait(timeout=10)
    outputs = [p.communicate(timeout=60) for p in waiters]
    assert all(p.returncode == 0 for p in waiters), outputs
    assert {out for out, _ in outputs} == {stored(env)["access_token"] + "\n"}
    # the killed leader's request, then exactly one more by whichever waiter took the lock next
    assert emulator.stats()["token_requests"] == 2


def test_a_leader_does_not_wait_for_itself_however_its_config_dir_is_spelt(
    env: dict[str, str], emulator: Any
) -> None:
    """The lead takes the lock before the core resolves the same path its own way (Path normalises)."""
    expire_stored(env, noted=True)
    emulator.reset_stats()
    config_dir = env["PDAUTH_CONFIG_DIR"]
    odd = {**env, "PDAUTH_CONFIG_DIR": config_dir.replace("/", "//") + "/./"}
    start = time.monotonic()
    r = run(odd, "token")
    assert r.returncode == 0, r.stderr
    assert time.monotonic() - start < 10, "the leader waited on its own lock"
    assert r.stdout.strip() == stored(env)["access_token"]
    assert emulator.stats()["grants"]["refresh_token"] == 1


@pytest.mark.parametrize("noted", [True, False], ids=["noted", "store-only"])
@pytest.mark.parametrize("blocker", ["locks-is-a-file", "lock-is-a-directory"])
def test_an_unusable_lock_directory_is_one_clear_line_and_loses_nothing(
    env: dict[str, str], emulator: Any, blocker: str, noted: bool
) -> None:
    before = expire_stored(env, noted=noted)
    emulator.reset_stats()
    locks = Path(env["PDAUTH_CONFIG_DIR"]) / "locks"
    if locks.exists():
        for leftover in locks.iterdir():
            leftover.unlink()
        locks.rmdir()
    if blocker == "locks-is-a-file":
        locks.write_text("not a directory")
    else:
        (locks / "default.lock").mkdir(parents=True)
    r = run(env, "token")
    assert r.returncode == int(ExitCode.USAGE), r.stderr
    expected = "the lock directory" if blocker == "locks-is-a-file" else "the lock of profile 'default' ("
    assert r.stderr.startswith(f"error: Cannot use {expected}") and len(r.stderr.splitlines()) == 1
    assert "PDAUTH_CONFIG_DIR" in r.stderr
    assert stored(env) == before
    assert emulator.stats()["token_requests"] == 0


def test_a_refresh_whose_config_note_cannot_be_written_still_prints_and_stores_the_new_token(
    env: dict[str, str], emulator: Any
) -> None:
    """The config file only notes the expiry: failing to update it must not fail the refresh."""
    expire_stored(env, noted=True)
    emulator.reset_stats()
    config_lock = Path(env["PDAUTH_CONFIG_DIR"]) / ".config.lock"
    config_lock.unlink()
    config_lock.mkdir()  # the config file's lock cannot be opened
    r = run(env, "token")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == stored(env)["access_token"]
    assert emulator.stats()["grants"]["refresh_token"] == 1
