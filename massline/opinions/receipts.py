"""Receipt codes (回执码): a submitter's only handle on an opinion (decision 0021).

A code is 16 characters drawn with `secrets` from 30 letters and digits that cannot be
mistaken for one another when read aloud or typed on a phone (no 0/O, 1/I/L, and no U, which
is read like V): 30^16 ≈ 2^78 codes, shown as four groups of four
(`K7MQ-3XPA-9WDE-TR4H`). What a person types back is normalized first: case, spaces, dashes
and full-width characters do not matter. Only `crypto.lookup_hash` of the normalized code is
stored (`Receipt.code_hash`); the code itself is shown once.

Looking a code up costs the same whether it exists or not: one keyed hash and one query on a
unique index, whatever the input looks like (a malformed code is hashed and looked up too),
and an unknown code gets the same answer as any other miss."""

from __future__ import annotations

import secrets

from massline.core import crypto
from massline.core.normalize import to_halfwidth

from .models import Opinion, Receipt

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 16
GROUP = 4
#: What a typed code may be at most before it is not even hashed (the same answer anyway).
MAX_INPUT = 64
_DROP = str.maketrans("", "", " -_\t\r\n.\u3000\u2010\u2011\u2012\u2013\u2014\u2212")


def new_code() -> str:
    """A fresh code, normalized (no dashes): 16 characters, about 78.5 bits."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize(text: str) -> str:
    """What a person typed, as the code it means: half width, upper case, no separators."""
    return to_halfwidth(str(text)[:MAX_INPUT]).translate(_DROP).upper()


def grouped(code: str) -> str:
    """`K7MQ-3XPA-9WDE-TR4H`, to show and read aloud."""
    code = normalize(code)
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def groups(code: str) -> list[str]:
    return grouped(code).split("-")


def code_hash(code: str) -> str:
    return crypto.lookup_hash(normalize(code))


def receipt_create(opinion: Opinion) -> str:
    """A new receipt for `opinion` (inside the caller's transaction); the code, to show once."""
    code = new_code()
    Receipt.objects.create(code_hash=code_hash(code), opinion=opinion)
    return code


def opinion_by_receipt(text: str) -> Opinion | None:
    """The opinion a typed code follows (after a merge, the one it was merged into), or None.
    Every miss does the same work: one hash, one query on the unique index."""
    receipt = (
        Receipt.objects.select_related("opinion", "opinion__merged_into")
        .filter(code_hash=code_hash(text))
        .first()
    )
    if receipt is None:
        return None
    opinion = receipt.opinion
    seen = {opinion.pk}
    while opinion.merged_into_id is not None and opinion.merged_into_id not in seen:
        opinion = opinion.merged_into or Opinion.objects.get(pk=opinion.merged_into_id)
        seen.add(opinion.pk)
    return opinion
