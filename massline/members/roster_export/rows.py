"""An export's rows: the members in tree order, read in keyset batches, as the template's
cells (`template.cells`), with the numbers masked or decrypted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet

from massline.core import crypto
from massline.members import template
from massline.members.models import Member

# Where each template column is read from, when it is not the member's field of that name.
_SOURCE = {"id_number": "id_masked", "org_code": "org__code", "phone": "phone_masked"}
# What one export row is read from: (id, org_path) first, for the keyset, then the encrypted
# numbers, then the template's columns in order (numbers masked).
_FIELDS = (
    "id",
    "org_path",
    "id_number_enc",
    "phone_enc",
    *(_SOURCE.get(field, field) for field in template.FIELDS),
)
_FIRST = 4
_ID = _FIRST + template.FIELDS.index("id_number")
_PHONE = _FIRST + template.FIELDS.index("phone")

Row = tuple[str, ...]


def batch_size() -> int:
    return int(getattr(settings, "MEMBER_EXPORT_BATCH", 5_000))


def iter_rows(
    members: QuerySet[Member], *, full_numbers: bool, batch: int | None = None
) -> Iterator[Row]:
    """The members as template rows (without the header), in tree order, read in keyset
    batches of `batch` rows: the list is never loaded whole."""
    size = batch or batch_size()
    base = members.order_by("org_path", "id").values_list(*_FIELDS)
    last: tuple[str, int] | None = None
    while True:
        page = base
        if last is not None:
            path, pk = last
            # The cursor's bound comes first in the WHERE clause, before the scope's: SQLite
            # takes the first bounds on org_path as the index range (see member_queryset).
            page = (
                (Member.objects.filter(org_path__gte=path) & members)
                .filter(Q(org_path__gt=path) | Q(org_path=path, id__gt=pk))
                .order_by("org_path", "id")
                .values_list(*_FIELDS)
            )
        rows = list(page[:size])
        if not rows:
            return
        yield from _format(rows, full_numbers)
        if len(rows) < size:
            return
        last = (rows[-1][1], rows[-1][0])


def _format(rows: list[tuple[Any, ...]], full_numbers: bool) -> Iterator[Row]:
    cells = template.cells
    if not full_numbers:
        for r in rows:
            yield cells(r[_FIRST:])
        return
    numbers = crypto.decrypt_many([r[2] for r in rows])
    phones = iter(crypto.decrypt_many([r[3] for r in rows if r[3]]))
    for r, number in zip(rows, numbers, strict=True):
        values = list(r[_FIRST:])
        values[_ID - _FIRST] = number
        values[_PHONE - _FIRST] = next(phones) if r[3] else ""
        yield cells(values)
