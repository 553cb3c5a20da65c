"""Encryption at rest. The key comes from the environment or a 0600 key file.

Every value is sealed for one place: a table, a row and a column. New values are AES-256-GCM
with that place as associated data, so a value copied to another row or column does not open
there (`Misplaced`), where a Fernet token would have opened anywhere. The AES key is derived
from each configured Fernet key with HKDF-SHA256, so no new key or setting is needed, and
values written before (Fernet tokens, which start with b"gAAAAA") are still read;
`python -m bot rotate-key` seals them again in the new format.

Stored layout of the new format: b"G1", a 4-byte key id (from the derived key, so the key a
value needs is known without trying them all), a 12-byte random nonce, the ciphertext and tag.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from base64 import urlsafe_b64decode
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = b"G1"
_KEY_ID = 4
_NONCE = 12
_HEADER = len(_VERSION) + _KEY_ID + _NONCE
_INFO = b"online-safety-bot: AES-256-GCM at rest, v1"
_PLACE = "online-safety-bot/place/v1"


class CipherError(Exception):
    """A key that cannot be used, or a value that cannot be read; the message says which."""


class Misplaced(CipherError):
    """A value the key opens, but not in this place: moved from another row or column, or
    altered."""


class Row(Protocol):
    """A mapped row with an integer `id` (all of ours): where its own values are sealed."""

    __tablename__: str
    id: int


class Cipher:
    """Seals JSON documents for a place (table, row, column). Several keys may be given: the
    first seals, all open."""

    def __init__(self, keys: list[bytes]) -> None:
        try:
            fernets = [Fernet(key) for key in keys]
            self._fernet = MultiFernet(fernets)
        except (ValueError, TypeError):
            raise CipherError(
                "ENCRYPTION_KEY is not a valid key: it must be 32 url-safe base64-encoded bytes, "
                'as made by: python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())"'
            ) from None
        self._aead: dict[bytes, AESGCM] = {}
        self._newest = b""
        for key in keys:
            key_id, aead = _derive(key)
            self._aead.setdefault(key_id, aead)
            self._newest = self._newest or key_id
        self._fingerprint_key = _derive_fingerprint_key(keys[0]) if keys else b""

    # --- sealing for a place named in full (the row's id is known)

    def encrypt_json(self, document: Any, *, table: str, row: int | str, column: str) -> bytes:
        """Seal `document` for `table`.`column` of row `row` under the newest key."""
        plain = json.dumps(document, separators=(",", ":")).encode()
        nonce = os.urandom(_NONCE)
        sealed = self._aead[self._newest].encrypt(nonce, plain, _place(table, row, column))
        return _VERSION + self._newest + nonce + sealed

    def decrypt_json(self, token: bytes, *, table: str, row: int | str | None, column: str) -> Any:
        """Open a value stored at `table`.`column` of row `row`; raises CipherError (Misplaced
        when the value belongs somewhere else). `row` None: only an old Fernet token opens."""
        token = bytes(token)
        if not token.startswith(_VERSION):
            return self._open_fernet(token)
        key_id = token[len(_VERSION) : len(_VERSION) + _KEY_ID]
        aead = self._aead.get(key_id)
        if aead is None or len(token) < _HEADER:
            raise CipherError(_WRONG_KEY)
        nonce = token[len(_VERSION) + _KEY_ID : _HEADER]
        try:
            if row is None:
                raise InvalidTag
            plain = aead.decrypt(nonce, token[_HEADER:], _place(table, row, column))
        except InvalidTag:
            raise Misplaced(
                f"the value stored in {table}.{column} of row {row} does not belong to that row: "
                "it was moved there from another row or column, or altered"
            ) from None
        return json.loads(plain)

    # --- sealing into and opening from a mapped row, its place read from the row itself

    def seal(self, row: Row, column: str, document: Any) -> None:
        """Seal `document` into `row`.`column` (the row must have its id: flush it first)."""
        if row.id is None:
            raise ValueError(f"{row.__tablename__} row has no id yet: flush it before sealing")
        setattr(row, column, self.encrypt_json(document, **where(row, column)))

    def open(self, row: Row, column: str) -> Any:
        """The document sealed in `row`.`column` (None when there is none)."""
        token = getattr(row, column)
        return None if token is None else self.decrypt_json(token, **where(row, column))

    # --- a keyed digest, to find equal values without storing them

    def fingerprint(self, *parts: str, purpose: str) -> str:
        """HMAC-SHA256 (hex) of `parts` under a key derived from the newest key, for `purpose`:
        equal inputs give equal digests, but nobody without the key can test a guess (a pupil's
        login) against one. A new key gives new digests."""
        message = json.dumps([purpose, *parts], separators=(",", ":")).encode()
        return hmac.new(self._fingerprint_key, message, hashlib.sha256).hexdigest()

    # --- what key rotation needs

    def is_current(self, token: bytes) -> bool:
        """Whether a value is in the new format under the newest key: nothing to rotate."""
        token = bytes(token)
        return token.startswith(_VERSION) and token[2 : 2 + _KEY_ID] == self._newest

    def check_key(self, token: bytes) -> None:
        """Raise CipherError unless one of the keys is the one `token` was sealed with."""
        token = bytes(token)
        if token.startswith(_VERSION):
            if token[2 : 2 + _KEY_ID] not in self._aead:
                raise CipherError(_WRONG_KEY)
            return
        self._open_fernet(token)

    def _open_fernet(self, token: bytes) -> Any:
        try:
            return json.loads(self._fernet.decrypt(token))
        except InvalidToken:
            raise CipherError(_WRONG_KEY) from None


_WRONG_KEY = (
    "stored data cannot be decrypted with this ENCRYPTION_KEY (or key file): "
    "the key is not the one the data was written with"
)


def where(row: Row, column: str) -> dict[str, Any]:
    """The place of `row`.`column`, as `encrypt_json` and `decrypt_json` take it."""
    return {"table": row.__tablename__, "row": row.id, "column": column}


def _place(table: str, row: int | str, column: str) -> bytes:
    return json.dumps([_PLACE, table, str(row), column], separators=(",", ":")).encode()


def _derive(fernet_key: bytes) -> tuple[bytes, AESGCM]:
    secret = urlsafe_b64decode(fernet_key)
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret)
    key_id = hashlib.sha256(b"key id:" + derived).digest()[:_KEY_ID]
    return key_id, AESGCM(derived)


def _derive_fingerprint_key(fernet_key: bytes) -> bytes:
    secret = urlsafe_b64decode(fernet_key)
    info = b"online-safety-bot: keyed fingerprints, v1"
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)


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
