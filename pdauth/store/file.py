"""The encrypted file store: opt-in, for machines with no OS keyring.

One file holds every secret of every file-store profile, encrypted with AES-256-GCM (authenticated: a
wrong passphrase or a tampered file fails loudly instead of decrypting to garbage) under a key derived
from the passphrase with scrypt (memory-hard, so guessing passphrases offline is expensive). The header
(format, KDF and its parameters, nonce) is the cipher's associated data, so it cannot be edited unnoticed
either. A fresh salt and nonce on every write; written atomically, 0600 in a 0700 directory, under a lock
held across the whole read-modify-write, so two writers (two profiles refreshing at once) lose nothing.
A wrong passphrase never writes.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from pdauth.errors import StoreError, WrongPassphrase
from pdauth.hotpath import trust
from pdauth.hotpath.files import ensure_private_dir, write_private

FORMAT: Final = "pdauth-encrypted-store"
FORMAT_VERSION: Final = 2  # 2: the header is the associated data; 1: a fixed string was
CIPHER: Final = "AES-256-GCM"
# scrypt cost: N * r * 128 bytes of memory per derivation (128 MiB, about 0.4 s here, for these).
SCRYPT_N: Final = 2**17
SCRYPT_R: Final = 8
SCRYPT_P: Final = 1
# What a file may claim. Never more than pdauth's own: the parameters come from the file, and a file
# claiming N=2^20 made every open cost 1 GiB and seconds. Never less than pdauth ever wrote (version 1).
MIN_SCRYPT_N: Final = 2**15
SALT_BYTES: Final = 16
NONCE_BYTES: Final = 12
MAX_FILE_BYTES: Final = 1 << 20  # every profile's secrets fit in a few KiB
LOCK_TIMEOUT: Final = 30.0
_LOCK_HINT: Final = "Another pdauth process is writing the token file; try again, or kill the stuck process"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def _associated_data(envelope: dict[str, Any]) -> bytes:
    """What the tag covers besides the ciphertext: version 1 used a fixed string; from 2 on, the whole
    header, canonically encoded (any field added, removed or changed fails the decryption)."""
    if envelope.get("version") == 1:
        return b"pdauth-file-store-v1"
    header = {k: v for k, v in envelope.items() if k != "ciphertext"}
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")


class _Damaged(ValueError):
    pass


def _int(value: object, low: int, high: int, name: str) -> int:
    if type(value) is not int or not low <= value <= high:
        raise _Damaged(f"scrypt {name}={value!r} is outside what pdauth uses ({low}..{high})")
    return value


def _bytes(value: object, size: int, name: str) -> bytes:
    if not isinstance(value, str):
        raise _Damaged(f"no {name}")
    try:
        data = base64.b64decode(value, validate=True)
    except binascii.Error:
        raise _Damaged(f"the {name} is not base64") from None
    if size and len(data) != size:
        raise _Damaged(f"the {name} is not {size} bytes")
    return data


class _Parsed:
    __slots__ = ("aad", "ciphertext", "n", "nonce", "p", "r", "salt")

    def __init__(self, envelope: object) -> None:
        if not isinstance(envelope, dict) or envelope.get("format") != FORMAT:
            raise _Damaged("not a pdauth token file")
        if envelope.get("version") not in (1, FORMAT_VERSION) or envelope.get("cipher") != CIPHER:
            raise _Damaged("an unknown version or cipher")
        kdf = envelope.get("kdf")
        if not isinstance(kdf, dict) or kdf.get("name") != "scrypt":
            raise _Damaged("an unknown scrypt header")
        self.n = _int(kdf.get("n"), MIN_SCRYPT_N, SCRYPT_N, "N")
        if self.n & (self.n - 1):
            raise _Damaged(f"scrypt N={self.n} is not a power of two")
        self.r = _int(kdf.get("r"), 1, SCRYPT_R, "r")
        self.p = _int(kdf.get("p"), 1, SCRYPT_P, "p")
        self.salt = _bytes(kdf.get("salt"), SALT_BYTES, "salt")
        self.nonce = _bytes(envelope.get("nonce"), NONCE_BYTES, "nonce")
        self.ciphertext = _bytes(envelope.get("ciphertext"), 0, "ciphertext")
        self.aad = _associated_data(envelope)


class FileStore:
    kind = "file"

    def __init__(self, path: Path, passphrase: Callable[[], str]):
        self.path = path
        self._passphrase_source = passphrase
        self._passphrase: str | None = None
        self._keys: dict[tuple[bytes, int, int, int], bytes] = {}  # re-reads under the lock derive once

    def describe(self) -> str:
        return f"encrypted file ({self.path})"

    def _get_passphrase(self) -> str:
        if self._passphrase is None:
            self._passphrase = self._passphrase_source()
        return self._passphrase

    def _key(self, salt: bytes, n: int, r: int, p: int) -> bytes:
        cached = self._keys.get((salt, n, r, p))
        if cached is None:
            cached = self._keys[(salt, n, r, p)] = _derive(self._get_passphrase(), salt, n, r, p)
        return cached

    def _read_raw(self) -> bytes | None:
        """The file's bytes, opened without following a link and checked to be the user's own."""
        try:
            fd = trust.open_trusted(os.fspath(self.path))
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self._unreadable(exc.strerror or str(exc)) from None
        with open(fd, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise self._damaged("larger than any token file pdauth writes")
        return data

    def _read_all(self) -> dict[str, str]:
        raw = self._read_raw()
        if raw is None:
            return {}
        try:
            parsed = _Parsed(json.loads(raw))
        except _Damaged as exc:
            raise self._damaged(str(exc)) from None
        except ValueError as exc:  # not JSON, not UTF-8
            raise self._damaged(f"not JSON: {exc}") from None
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        try:
            key = self._key(parsed.salt, parsed.n, parsed.r, parsed.p)
            plain = AESGCM(key).decrypt(parsed.nonce, parsed.ciphertext, parsed.aad)
        except InvalidTag:
            # The tag cannot tell a wrong key from edited bytes: say both, and that nothing was touched.
            raise WrongPassphrase(f"Cannot decrypt {self.path}: wrong passphrase or damaged file") from None
        try:
            data: Any = json.loads(plain)
        except ValueError:
            data = None
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise self._damaged("its secrets are not what pdauth writes")
        return {str(k): v for k, v in data.items()}

    def _damaged(self, why: str) -> StoreError:
        return StoreError(
            f"The token file {self.path} is damaged ({why})",
            hint="Restore it from a backup, or delete it and run `pdauth login` again",
        )

    def _unreadable(self, why: str) -> StoreError:
        return StoreError(
            f"Cannot read the token file {self.path}: {why}",
            hint="Restore it from a backup, or delete it and run `pdauth login` again",
        )

    def _write_all(self, secrets: dict[str, str]) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        salt, nonce = os.urandom(SALT_BYTES), os.urandom(NONCE_BYTES)
        key = self._key(salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
        envelope: dict[str, Any] = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "kdf": {"name": "scrypt", "salt": _b64(salt), "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P},
            "cipher": CIPHER,
            "nonce": _b64(nonce),
        }
        plain = json.dumps(secrets).encode("utf-8")
        envelope["ciphertext"] = _b64(AESGCM(key).encrypt(nonce, plain, _associated_data(envelope)))
        write_private(self.path, json.dumps(envelope, indent=1) + "\n")

    def _editing(self) -> Any:
        """The lock every read-modify-write of this file holds, across processes (flock)."""
        from pdauth.hotpath.lock import ExclusiveLock

        ensure_private_dir(self.path.parent)
        lock_path = self.path.with_name(f".{self.path.name}.lock")
        return ExclusiveLock(lock_path, LOCK_TIMEOUT, f"the token file's lock ({lock_path})", hint=_LOCK_HINT)

    def get(self, key: str) -> str | None:
        return self._read_all().get(key)  # no lock: a write replaces the file whole (rename)

    def set(self, key: str, value: str) -> None:
        self._get_passphrase()  # a prompt, if any, before the lock: others need not wait for the typing
        with self._editing():
            secrets = self._read_all()  # decrypting first proves the passphrase before anything is written
            secrets[key] = value
            self._write_all(secrets)

    def delete(self, key: str) -> None:
        if self._read_raw() is None:
            return  # nothing to delete, and no passphrase to ask for
        self._get_passphrase()
        with self._editing():
            secrets = self._read_all()
            if secrets.pop(key, None) is not None:
                self._write_all(secrets)
