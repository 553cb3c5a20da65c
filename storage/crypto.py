"""Encryption at rest with Fernet. The key comes from the environment or a 0600 key file."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class CipherError(Exception):
    """A key that cannot be used; the message says what to do."""


class Cipher:
    """Encrypts JSON documents. Several keys may be given: the first encrypts, all decrypt."""

    def __init__(self, keys: list[bytes]) -> None:
        try:
            self._fernet = MultiFernet([Fernet(key) for key in keys])
        except (ValueError, TypeError):
            raise CipherError(
                "ENCRYPTION_KEY is not a valid key: it must be 32 url-safe base64-encoded bytes, "
                'as made by: python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())"'
            ) from None

    def encrypt_json(self, document: Any) -> bytes:
        return self._fernet.encrypt(json.dumps(document, separators=(",", ":")).encode())

    def decrypt_json(self, token: bytes) -> Any:
        try:
            return json.loads(self._fernet.decrypt(token))
        except InvalidToken:
            raise CipherError(
                "stored data cannot be decrypted with this ENCRYPTION_KEY (or key file): "
                "the key is not the one the data was written with"
            ) from None


def load_cipher(*, configured: str | None, key_file: Path) -> Cipher:
    """Use the configured key(s) (comma separated), else the key file, creating it if missing."""
    if configured:
        return Cipher(split_keys(configured.encode()))
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(Fernet.generate_key())
    return Cipher(read_key_file(key_file))


def read_key_file(path: Path) -> list[bytes]:
    """The keys in a key file, newest first: one per line (after a rotation, the old ones stay
    below the new one, so what was sealed under them can still be read)."""
    return split_keys(path.read_bytes())


def split_keys(text: bytes) -> list[bytes]:
    return [key for key in text.replace(b",", b"\n").split() if key]
