"""Field encryption for sensitive personal data (ID numbers, phone numbers).

A value is stored twice: encrypted (`encrypt`, AES-256-GCM with a random 96-bit nonce, so equal
values give different tokens) and as a lookup hash (`lookup_hash`, HMAC-SHA256, deterministic),
which a unique constraint and an exact search use without decrypting anything. Hash the
*normalized* value (what `validate_id` or `validate_phone` returns), or equal numbers typed
differently will not match.

A token is ASCII and fits a text column: `v1:` and the unpadded URL-safe base64 of
nonce + ciphertext + tag (an 18-character ID number gives 65 characters). The version prefix
leaves room for another algorithm or key later.

Both keys are derived with HKDF-SHA256 from the setting FIELD_ENCRYPTION_KEY (environment
variable MASSLINE_FIELD_KEY, falling back to SECRET_KEY), one for encryption and one for the
hash. Changing that setting makes every stored token unreadable and every lookup hash
different: it is not rotated like SECRET_KEY.

The `_many` variants serve bulk imports and exports (1.3 million rows in seconds): they look
the keys up once, draw all nonces with one `os.urandom` call and bind the methods to locals.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "v1:"
_NONCE_SIZE = 12
_TAG_SIZE = 16
_SALT = b"massline field encryption"
_INFO_ENCRYPT = b"massline v1 aes-256-gcm"
_INFO_LOOKUP = b"massline v1 lookup hmac-sha256"
# base64 → URL-safe base64, without the padding.
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")


class DecryptionError(ValueError):
    """A token that is malformed, was changed, or was encrypted with another key."""


@dataclass(frozen=True, slots=True)
class _Keys:
    material: str
    aead: AESGCM
    # An HMAC keyed with the lookup key and fed nothing: each hash starts from a copy of it,
    # twice as fast as hmac.digest(), which sets the key up again on every call.
    lookup: hmac.HMAC
    # The same HMAC as its two SHA-256 states (key XOR ipad, key XOR opad), for bulk hashing
    # without the hmac module's Python layer: H(outer ‖ H(inner ‖ text)) (RFC 2104).
    inner: Any
    outer: Any


_keys: _Keys | None = None


def _derive(material: str, info: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=info)
    return hkdf.derive(material.encode())


def _current_keys() -> _Keys:
    """The derived keys for the current setting, cached until the setting changes
    (override_settings in tests, a reload in production)."""
    global _keys
    material = settings.FIELD_ENCRYPTION_KEY
    keys = _keys
    if keys is not None and keys.material == material:
        return keys
    if not isinstance(material, str) or not material:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY must be a non-empty string.")
    lookup_key = _derive(material, _INFO_LOOKUP)
    keys = _Keys(
        material=material,
        aead=AESGCM(_derive(material, _INFO_ENCRYPT)),
        lookup=hmac.new(lookup_key, digestmod=hashlib.sha256),
        inner=hashlib.sha256(_padded(lookup_key, 0x36)),
        outer=hashlib.sha256(_padded(lookup_key, 0x5C)),
    )
    _keys = keys
    return keys


def _padded(key: bytes, pad: int) -> bytes:
    # a 32-byte key, padded to SHA-256's 64-byte block and XORed with the pad byte
    return bytes(b ^ pad for b in key.ljust(64, b"\0"))


def encrypt(text: str) -> str:
    """An ASCII token for `text`; a new random nonce every time."""
    nonce = os.urandom(_NONCE_SIZE)
    sealed = _current_keys().aead.encrypt(nonce, text.encode(), None)
    return PREFIX + _b64encode(nonce + sealed)


def _seal_many(texts: Iterable[str]) -> list[bytes]:
    """Nonce, ciphertext and tag of each value: the bytes of its token."""
    values = texts if isinstance(texts, list | tuple) else list(texts)
    seal = _current_keys().aead.encrypt
    nonces = os.urandom(_NONCE_SIZE * len(values))
    sealed: list[bytes] = []
    append = sealed.append
    start = 0
    for text in values:
        end = start + _NONCE_SIZE
        nonce = nonces[start:end]
        start = end
        append(nonce + seal(nonce, text.encode(), None))
    return sealed


def encrypt_many(texts: Iterable[str]) -> list[str]:
    """`encrypt` for each value, in order, for bulk imports."""
    return [PREFIX + _b64encode(sealed) for sealed in _seal_many(texts)]


def encrypt_column(texts: Sequence[str]) -> Any:
    """`encrypt` for each value, as a polars Series of tokens, for bulk imports: the
    tokens are encoded for the whole column at once."""
    import polars as pl

    b64 = pl.Series(_seal_many(texts), dtype=pl.Binary).bin.encode("base64").str
    return PREFIX + b64.replace_all("+", "-", literal=True).str.replace_all(
        "/", "_", literal=True
    ).str.strip_chars_end("=")


def decrypt(token: str) -> str:
    """The text inside a token; DecryptionError if it is malformed, was changed or was
    encrypted with another key."""
    return _open(_current_keys().aead, token)


def decrypt_many(tokens: Iterable[str]) -> list[str]:
    """`decrypt` for each token, in order, for bulk exports."""
    aead = _current_keys().aead
    return [_open(aead, token) for token in tokens]


def lookup_hash(text: str) -> str:
    """HMAC-SHA256 of `text` in hex (64 characters): equal texts give equal hashes under the
    same key, and nobody without the key can compute or test one."""
    mac = _current_keys().lookup.copy()
    mac.update(text.encode())
    return mac.hexdigest()


def lookup_hash_many(texts: Iterable[str]) -> list[str]:
    """`lookup_hash` for each value, in order, for bulk imports."""
    keys = _current_keys()
    inner, outer = keys.inner.copy, keys.outer.copy
    out: list[str] = []
    append = out.append
    for text in texts:
        mac = inner()
        mac.update(text.encode())
        digest = outer()
        digest.update(mac.digest())
        append(digest.hexdigest())
    return out


def _b64encode(data: bytes) -> str:
    return (
        binascii.b2a_base64(data, newline=False).translate(_TO_URLSAFE).rstrip(b"=").decode("ascii")
    )


def _open(aead: AESGCM, token: str) -> str:
    if not isinstance(token, str) or not token.startswith(PREFIX):
        raise DecryptionError("not an encrypted value (it should start with 'v1:')")
    body = token[len(PREFIX) :]
    try:
        raw = binascii.a2b_base64(
            (body + "=" * (-len(body) % 4)).encode("ascii").translate(_FROM_URLSAFE),
            strict_mode=True,
        )
    except (binascii.Error, UnicodeEncodeError):
        raise DecryptionError("the encrypted value is not valid base64") from None
    if len(raw) < _NONCE_SIZE + _TAG_SIZE:
        raise DecryptionError("the encrypted value is too short")
    try:
        plain = aead.decrypt(raw[:_NONCE_SIZE], raw[_NONCE_SIZE:], None)
    except InvalidTag:
        raise DecryptionError(
            "the encrypted value was changed, or was encrypted with another "
            "FIELD_ENCRYPTION_KEY (MASSLINE_FIELD_KEY)"
        ) from None
    return plain.decode()
