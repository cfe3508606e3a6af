from __future__ import annotations

import stat
from pathlib import Path

import pytest

from pdauth.errors import WrongPassphrase
from pdauth.store.file import FileStore


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
