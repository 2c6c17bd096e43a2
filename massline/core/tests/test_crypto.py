import base64
import hashlib
import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from massline.core import crypto
from massline.core.crypto import (
    DecryptionError,
    decrypt,
    decrypt_many,
    encrypt,
    encrypt_many,
    lookup_hash,
    lookup_hash_many,
)

ID_NUMBER = "11010519491231002X"
TOKEN_RE = re.compile(r"v1:[A-Za-z0-9_-]+")
VALUES = [ID_NUMBER, "13812345678", "张三·内蒙古自治区呼和浩特市新城区", "", "x" * 1000]


def _body(token: str) -> bytes:
    body = token[len("v1:") :]
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))


def _flip(token: str, index: int) -> str:
    """The token with one byte of its nonce, ciphertext or tag changed."""
    raw = bytearray(_body(token))
    raw[index] ^= 0x01
    return "v1:" + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


# encrypt and decrypt


@pytest.mark.parametrize("text", VALUES, ids=["id", "phone", "chinese", "empty", "long"])
def test_decrypt_returns_what_was_encrypted(text):
    # when
    token = encrypt(text)
    # then
    assert decrypt(token) == text


def test_token_is_compact_ascii_that_fits_a_text_column():
    # when
    token = encrypt(ID_NUMBER)
    # then: "v1:" + base64 of 12 nonce + 18 text + 16 tag bytes, without padding
    assert TOKEN_RE.fullmatch(token)
    assert len(token) == 65
    assert len(_body(token)) == 12 + 18 + 16
    assert ID_NUMBER not in token


def test_encrypting_the_same_value_twice_gives_different_tokens_and_nonces():
    # when
    first, second = encrypt(ID_NUMBER), encrypt(ID_NUMBER)
    # then
    assert first != second
    assert _body(first)[:12] != _body(second)[:12]


@pytest.mark.parametrize("index", [0, 11, 12, 29, 30, 45], ids=lambda i: f"byte{i}")
def test_decrypt_detects_tampering(index):
    # given a token with one bit changed (nonce, ciphertext or tag)
    token = _flip(encrypt(ID_NUMBER), index)
    # when / then
    with pytest.raises(DecryptionError, match="changed"):
        decrypt(token)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "v1:",
        "v2:" + "A" * 62,
        ID_NUMBER,
        "v1:not base64!",
        "v1:AAAA",
        "v1:" + "A" * 37,
        "v1:数据",
    ],
    ids=[
        "empty",
        "prefix-only",
        "other-version",
        "plain-text",
        "bad-b64",
        "short",
        "odd-length",
        "non-ascii",
    ],
)
def test_decrypt_refuses_malformed_tokens(token):
    # when / then
    with pytest.raises(DecryptionError):
        decrypt(token)


def test_decrypt_with_another_key_fails():
    # given
    with override_settings(FIELD_ENCRYPTION_KEY="key-of-province-15"):
        token = encrypt(ID_NUMBER)
    # when / then
    with (
        override_settings(FIELD_ENCRYPTION_KEY="key-of-province-11"),
        pytest.raises(DecryptionError, match="another"),
    ):
        decrypt(token)
    with override_settings(FIELD_ENCRYPTION_KEY="key-of-province-15"):
        assert decrypt(token) == ID_NUMBER


def test_decryption_error_does_not_hold_the_token_or_text():
    # given
    token = _flip(encrypt(ID_NUMBER), 20)
    # when
    with pytest.raises(DecryptionError) as caught:
        decrypt(token)
    # then
    assert token[3:] not in str(caught.value)
    assert ID_NUMBER not in str(caught.value)
    assert isinstance(caught.value, ValueError)


# lookup_hash


def test_lookup_hash_is_deterministic_hex():
    # when
    first, second = lookup_hash(ID_NUMBER), lookup_hash(ID_NUMBER)
    # then
    assert first == second
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert lookup_hash("11010519491231002x") != first
    assert lookup_hash("13812345678") != first


def test_lookup_hash_is_keyed():
    # given
    with override_settings(FIELD_ENCRYPTION_KEY="key-a"):
        under_a = lookup_hash(ID_NUMBER)
    with override_settings(FIELD_ENCRYPTION_KEY="key-b"):
        under_b = lookup_hash(ID_NUMBER)
    # then: it depends on the key, and is not a plain hash anyone could compute
    assert under_a != under_b
    assert under_a != hashlib.sha256(ID_NUMBER.encode()).hexdigest()


def test_encryption_and_lookup_use_separate_derived_keys():
    # when
    material = "one-setting"
    encryption_key = crypto._derive(material, crypto._INFO_ENCRYPT)
    lookup_key = crypto._derive(material, crypto._INFO_LOOKUP)
    # then
    assert len(encryption_key) == len(lookup_key) == 32
    assert encryption_key != lookup_key
    assert material.encode() not in (encryption_key, lookup_key)


# Batches


def test_encrypt_many_gives_tokens_that_decrypt_to_the_values_in_order():
    # when
    tokens = encrypt_many(VALUES)
    # then
    assert [decrypt(t) for t in tokens] == VALUES
    assert decrypt_many(tokens) == VALUES
    assert all(TOKEN_RE.fullmatch(t) for t in tokens)


def test_decrypt_many_reads_single_tokens():
    # when / then
    assert decrypt_many([encrypt(v) for v in VALUES]) == VALUES


def test_encrypt_many_uses_a_fresh_nonce_for_every_value():
    # when
    tokens = encrypt_many([ID_NUMBER] * 1000)
    # then
    assert len({_body(t)[:12] for t in tokens}) == 1000
    assert len({encrypt(ID_NUMBER) for _ in range(3)} | set(tokens)) == 1003


def test_lookup_hash_many_equals_lookup_hash_in_order():
    # when / then
    assert lookup_hash_many(VALUES) == [lookup_hash(v) for v in VALUES]


def test_batches_accept_any_iterable_and_empty_input():
    # when / then
    assert decrypt_many(encrypt_many(v for v in VALUES)) == VALUES
    assert lookup_hash_many(iter(VALUES)) == [lookup_hash(v) for v in VALUES]
    assert encrypt_many([]) == []
    assert lookup_hash_many([]) == []
    assert decrypt_many([]) == []


def test_decrypt_many_detects_one_tampered_token():
    # given
    tokens = encrypt_many(VALUES)
    tokens[2] = _flip(tokens[2], 13)
    # when / then
    with pytest.raises(DecryptionError):
        decrypt_many(tokens)


# The key follows the setting


def test_a_changed_setting_takes_effect_and_reverting_restores_it():
    # given
    before = lookup_hash(ID_NUMBER)
    token = encrypt(ID_NUMBER)
    # when
    with override_settings(FIELD_ENCRYPTION_KEY="another-key"):
        inside = lookup_hash(ID_NUMBER)
        inside_batch = lookup_hash_many([ID_NUMBER])
        with pytest.raises(DecryptionError):
            decrypt(token)
        with pytest.raises(DecryptionError):
            decrypt_many([token])
    # then
    assert inside != before
    assert inside_batch == [inside]
    assert lookup_hash(ID_NUMBER) == before
    assert decrypt(token) == ID_NUMBER


def test_pytest_settings_fixture_changes_the_key_too(settings):
    # given
    before = lookup_hash(ID_NUMBER)
    # when
    settings.FIELD_ENCRYPTION_KEY = "fixture-key"
    # then
    assert lookup_hash(ID_NUMBER) != before


@pytest.mark.parametrize("material", ["", None])
def test_an_empty_key_is_a_configuration_error(material):
    # when / then
    with override_settings(FIELD_ENCRYPTION_KEY=material), pytest.raises(ImproperlyConfigured):
        encrypt(ID_NUMBER)
