"""Each encrypted value is sealed for its place (table, row, column): AES-GCM with the place as
associated data, under a key derived from the configured Fernet key. Old Fernet values still
open; a value moved elsewhere does not, and says why."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from storage.crypto import Cipher, CipherError, Misplaced

HERE = {"table": "reports", "row": 1, "column": "answers_enc"}


def test_a_value_opens_in_its_own_place_only():
    cipher = Cipher([Fernet.generate_key()])
    token = cipher.encrypt_json({"answers": {"a": "b"}}, **HERE)
    assert cipher.decrypt_json(token, **HERE) == {"answers": {"a": "b"}}
    for elsewhere in (
        {**HERE, "row": 2},
        {**HERE, "column": "excluded_enc"},
        {**HERE, "table": "events", "column": "detail_enc"},
    ):
        with pytest.raises(Misplaced, match="does not belong to that row"):
            cipher.decrypt_json(token, **elsewhere)


def test_an_altered_value_does_not_open():
    cipher = Cipher([Fernet.generate_key()])
    token = bytearray(cipher.encrypt_json({"a": 1}, **HERE))
    token[-1] ^= 1
    with pytest.raises(Misplaced):
        cipher.decrypt_json(bytes(token), **HERE)


def test_old_fernet_values_still_open_and_are_not_current():
    key = Fernet.generate_key()
    cipher = Cipher([key])
    old = Fernet(key).encrypt(b'{"a":1}')
    assert old.startswith(b"gAAAAA")
    assert cipher.decrypt_json(old, **HERE) == {"a": 1}
    assert not cipher.is_current(old)
    assert cipher.is_current(cipher.encrypt_json({"a": 1}, **HERE))


def test_the_newest_key_seals_and_every_key_opens():
    old, new = Fernet.generate_key(), Fernet.generate_key()
    sealed_before = Cipher([old]).encrypt_json({"a": 1}, **HERE)
    both = Cipher([new, old])
    assert both.decrypt_json(sealed_before, **HERE) == {"a": 1}
    assert not both.is_current(sealed_before)
    both.check_key(sealed_before)
    with pytest.raises(CipherError, match="not the one the data was written with"):
        Cipher([new]).decrypt_json(sealed_before, **HERE)
    with pytest.raises(CipherError, match="not the one the data was written with"):
        Cipher([new]).check_key(sealed_before)
