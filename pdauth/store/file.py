"""The encrypted file store: opt-in, for machines with no OS keyring.

One file holds every secret of every file-store profile, encrypted with AES-256-GCM (authenticated: a
wrong passphrase or a tampered file fails loudly instead of decrypting to garbage) under a key derived
from the passphrase with scrypt (memory-hard, so guessing passphrases offline is expensive). A fresh salt
and nonce on every write; written atomically, 0600 in a 0700 directory. A wrong passphrase never writes.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from pdauth.errors import StoreError, WrongPassphrase
from pdauth.hotpath.files import write_private

FORMAT_VERSION: Final = 1
# scrypt cost: N * r * 128 bytes of memory per derivation (32 MiB for these).
SCRYPT_N: Final = 2**15
SCRYPT_R: Final = 8
SCRYPT_P: Final = 1


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


class FileStore:
    kind = "file"

    def __init__(self, path: Path, passphrase: Callable[[], str]):
        self.path = path
        self._passphrase_source = passphrase
        self._passphrase: str | None = None

    def describe(self) -> str:
        return f"encrypted file ({self.path})"

    def _get_passphrase(self) -> str:
        if self._passphrase is None:
            self._passphrase = self._passphrase_source()
        return self._passphrase

    def _read_all(self) -> dict[str, str]:
        try:
            envelope = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise StoreError(
                f"Cannot read the token file {self.path}: {exc}",
                hint="Restore it from a backup, or delete it and run `pdauth login` again",
            ) from None
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        try:
            kdf = envelope["kdf"]
            key = _derive(self._get_passphrase(), base64.b64decode(kdf["salt"]), kdf["n"], kdf["r"], kdf["p"])
            plain = AESGCM(key).decrypt(
                base64.b64decode(envelope["nonce"]),
                base64.b64decode(envelope["ciphertext"]),
                self._aad(),
            )
        except InvalidTag:
            raise WrongPassphrase(f"Wrong passphrase for {self.path}") from None
        except (KeyError, TypeError, ValueError) as exc:
            raise StoreError(f"The token file {self.path} is damaged ({exc})") from None
        data: Any = json.loads(plain)
        return {str(k): str(v) for k, v in data.items()}

    @staticmethod
    def _aad() -> bytes:
        return f"pdauth-file-store-v{FORMAT_VERSION}".encode()

    def _write_all(self, secrets: dict[str, str]) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        salt, nonce = os.urandom(16), os.urandom(12)
        key = _derive(self._get_passphrase(), salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
        ciphertext = AESGCM(key).encrypt(nonce, json.dumps(secrets).encode("utf-8"), self._aad())
        envelope = {
            "format": "pdauth-encrypted-store",
            "version": FORMAT_VERSION,
            "kdf": {"name": "scrypt", "salt": _b64(salt), "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P},
            "cipher": "AES-256-GCM",
            "nonce": _b64(nonce),
            "ciphertext": _b64(ciphertext),
        }
        write_private(self.path, json.dumps(envelope, indent=1) + "\n")

    def get(self, key: str) -> str | None:
        return self._read_all().get(key)

    def set(self, key: str, value: str) -> None:
        secrets = self._read_all()  # decrypting first proves the passphrase before anything is written
        secrets[key] = value
        self._write_all(secrets)

    def delete(self, key: str) -> None:
        secrets = self._read_all()
        if secrets.pop(key, None) is not None:
            self._write_all(secrets)
