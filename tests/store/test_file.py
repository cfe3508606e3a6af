from __future__ import annotations

import base64
import json
import os
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pdauth.errors import ExitCode, StoreError, UntrustedPath, WrongPassphrase
from pdauth.hotpath.paths import entry_name
from pdauth.store.file import FileStore
from tests.conftest import CLI
from tests.support.harness import QUIET_BROWSER, pdauth


def test_round_trip_is_encrypted_and_private(tmp_path: Path) -> None:
    path = tmp_path / "d" / "tokens.enc"
    store = FileStore(path, passphrase=lambda: "correct horse")
    store.set("default", "v1u:very-secret-access-token")
    raw = path.read_text()
    assert "very-secret" not in raw and "default" not in raw
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert (
        FileStore(path, passphrase=lambda: "correct horse").get("default") == "v1u:very-secret-access-token"
    )


def test_wrong_passphrase_fails_and_leaves_the_file_untouched(tmp_path: Path) -> None:
    path = tmp_path / "tokens.enc"
    FileStore(path, passphrase=lambda: "right").set("k", "v")
    before = path.read_bytes()
    wrong = FileStore(path, passphrase=lambda: "wrong")
    with pytest.raises(WrongPassphrase):
        wrong.get("k")
    with pytest.raises(WrongPassphrase):
        wrong.set("k", "other")
    assert path.read_bytes() == before


def test_tampering_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "tokens.enc"
    FileStore(path, passphrase=lambda: "pw").set("k", "v")
    text = path.read_text()
    i = text.index('"ciphertext": "') + len('"ciphertext": "')
    path.write_text(text[:i] + ("A" if text[i] != "A" else "B") + text[i + 1 :])
    with pytest.raises(WrongPassphrase):
        FileStore(path, passphrase=lambda: "pw").get("k")


def test_delete_and_missing(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "t.enc", passphrase=lambda: "pw")
    assert store.get("nothing") is None
    store.set("a", "1")
    store.set("b", "2")
    store.delete("a")
    store.delete("a")
    assert (store.get("a"), store.get("b")) == (None, "2")


# -- concurrent writers ----------------------------------------------------------------------------


def test_concurrent_writers_lose_no_update(tmp_path: Path) -> None:
    """Two profiles refreshing at once (each under its own profile lock), or doctor's probe during a
    refresh: each read-modify-writes the one file. Without a common lock one write was lost."""
    path = tmp_path / "tokens.enc"
    FileStore(path, passphrase=lambda: "pw").set("seed", "0")
    for round_ in range(3):
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def write(
            key: str, barrier: threading.Barrier = barrier, errors: list[BaseException] = errors
        ) -> None:
            store = FileStore(path, passphrase=lambda: "pw")  # its own instance, as another process has
            try:
                barrier.wait()
                store.set(key, "new")
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(f"{name}-{round_}",)) for name in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors
        reader = FileStore(path, passphrase=lambda: "pw")
        assert (reader.get(f"a-{round_}"), reader.get(f"b-{round_}")) == ("new", "new"), f"round {round_}"


# -- the envelope ----------------------------------------------------------------------------------


def envelope(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


def test_new_files_use_a_costly_kdf(tmp_path: Path) -> None:
    path = tmp_path / "tokens.enc"
    FileStore(path, passphrase=lambda: "pw").set("k", "v")
    kdf = envelope(path)["kdf"]
    assert kdf["name"] == "scrypt" and kdf["n"] >= 2**17 and kdf["r"] >= 8


@pytest.mark.parametrize(
    "claim",
    [
        {"n": 2**20},
        {"n": 2**30},
        {"r": 1024},
        {"p": 64},
        {"n": 3},
        {"n": 0},
        {"n": "2"},
        {"n": True},
        {"r": 0},
    ],
    ids=str,
)
def test_kdf_parameters_beyond_pdauths_own_are_refused_at_once(tmp_path: Path, claim: dict[str, Any]) -> None:
    """A file claiming n=2^20 cost 1 GiB and seconds to open; pdauth never writes beyond its own."""
    path = tmp_path / "tokens.enc"
    FileStore(path, passphrase=lambda: "pw").set("k", "v")
    data = envelope(path)
    data["kdf"].update(claim)
    path.write_text(json.dumps(data))
    before = path.read_bytes()
    start = time.monotonic()
    for attempt in (lambda s: s.get("k"), lambda s: s.set("k", "w"), lambda s: s.delete("k")):
        with pytest.raises(StoreError) as caught:
            attempt(FileStore(path, passphrase=lambda: "pw"))
        assert "damaged" in caught.value.one_line() and "scrypt" in caught.value.one_line()
    assert time.monotonic() - start < 1.0
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "edit",
    [
        lambda e: e.update(cipher="none"),
        lambda e: e.update(format="something-else"),
        lambda e: e.update(version=1),
        lambda e: e.update(note="added"),
        lambda e: e["kdf"].update(name="scrypt ", extra=1),
    ],
    ids=["cipher", "format", "version", "added field", "kdf fields"],
)
def test_the_header_is_authenticated(tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    path = tmp_path / "tokens.enc"
    FileStore(path, passphrase=lambda: "pw").set("k", "v")
    data = envelope(path)
    edit(data)
    path.write_text(json.dumps(data))
    before = path.read_bytes()
    with pytest.raises(StoreError) as caught:
        FileStore(path, passphrase=lambda: "pw").set("k", "w")
    assert "damaged" in caught.value.one_line()
    assert path.read_bytes() == before


def test_a_failed_decryption_says_wrong_passphrase_or_damaged_file(tmp_path: Path) -> None:
    path = tmp_path / "tokens.enc"
    FileStore(path, passphrase=lambda: "right").set("k", "v")
    with pytest.raises(WrongPassphrase) as caught:
        FileStore(path, passphrase=lambda: "wrong").get("k")
    line = caught.value.one_line()
    assert f"Cannot decrypt {path}: wrong passphrase or damaged file" in line
    assert caught.value.exit_code == ExitCode.AUTH and len(line.splitlines()) == 1


def test_a_file_of_the_first_format_still_opens_and_is_upgraded_on_the_next_write(tmp_path: Path) -> None:
    """pdauth 1's files (scrypt N=2^15, a fixed associated-data string) keep working."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    path = tmp_path / "tokens.enc"
    salt, nonce = os.urandom(16), os.urandom(12)
    key = Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(b"pw")
    ciphertext = AESGCM(key).encrypt(nonce, json.dumps({"k": "v"}).encode(), b"pdauth-file-store-v1")
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    old = {
        "format": "pdauth-encrypted-store",
        "version": 1,
        "kdf": {"name": "scrypt", "salt": b64(salt), "n": 2**15, "r": 8, "p": 1},
        "cipher": "AES-256-GCM",
        "nonce": b64(nonce),
        "ciphertext": b64(ciphertext),
    }
    path.write_text(json.dumps(old))
    path.chmod(0o600)
    store = FileStore(path, passphrase=lambda: "pw")
    assert store.get("k") == "v"
    store.set("k2", "v2")
    assert envelope(path)["kdf"]["n"] >= 2**17 and envelope(path)["version"] > 1
    assert FileStore(path, passphrase=lambda: "pw").get("k") == "v"


# -- whose file ------------------------------------------------------------------------------------


def test_a_link_in_the_files_place_is_not_followed(tmp_path: Path) -> None:
    real = tmp_path / "real.enc"
    FileStore(real, passphrase=lambda: "pw").set("k", "v")
    link = tmp_path / "tokens.enc"
    link.symlink_to(real)
    before = real.read_bytes()
    for attempt in (lambda s: s.get("k"), lambda s: s.set("k", "w")):
        with pytest.raises(UntrustedPath) as caught:
            attempt(FileStore(link, passphrase=lambda: "pw"))
        assert f"Refusing to use {link}: it is a symbolic link" in caught.value.one_line()
    assert real.read_bytes() == before and link.is_symlink()


def test_a_file_others_may_write_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tokens.enc"
    FileStore(path, passphrase=lambda: "pw").set("k", "v")
    path.chmod(0o666)
    with pytest.raises(UntrustedPath) as caught:
        FileStore(path, passphrase=lambda: "pw").get("k")
    assert (
        caught.value.exit_code == ExitCode.USAGE
        and "writable by its group and others" in caught.value.message
    )


@pytest.mark.timeout(180)
def test_two_profiles_refreshing_at_once_both_keep_their_new_tokens(cli: CLI) -> None:
    """The real CLI: `pdauth -p a refresh` and `pdauth -p b refresh` together, each under its own profile
    lock, both rewriting the one tokens.enc. Before the common lock, one of the two new sets was lost."""
    env = {**cli.env, "PDAUTH_PASSPHRASE": "correct horse", "BROWSER": str(QUIET_BROWSER)}
    for name in ("a", "b"):
        r = CLI(env)("-p", name, "login", "--store", "file")
        assert r.returncode == 0, r.stderr
    path = Path(env["PDAUTH_CONFIG_DIR"]) / "tokens.enc"
    for round_ in range(3):
        runs = [pdauth(env, "-p", name, "refresh", "--json") for name in ("a", "b")]
        printed = {}
        for name, run in zip(("a", "b"), runs, strict=True):
            out, err = run.communicate(timeout=60)
            assert run.returncode == 0, err
            printed[name] = json.loads(out)["access_token"]
        store = FileStore(path, passphrase=lambda: "correct horse")
        namespace = json.loads((path.parent / "config.json").read_text())["namespace"]
        kept = {
            name: json.loads(store.get(entry_name(name, namespace)) or "{}").get("access_token")
            for name in ("a", "b")
        }
        assert kept == printed, f"round {round_}: a refreshed set was lost"
