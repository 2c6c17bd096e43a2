"""A new row as the ORM's insert would send it, for a write that must be one statement (the
public opinion box: the opinion, its receipt and its counters in one round trip, decision
0021, "The public box under load").

`insert_values(obj)` gives the quoted columns and the values of every concrete field of a
model instance but its automatic primary key, each value prepared exactly as Django's own
insert prepares it (`pre_save` with `add=True`, then `get_db_prep_save`): defaults, automatic
dates, encodings and conversions are the ORM's. The caller writes the statement; after it,
`saved(obj, pk)` marks the instance as saved, as `Model.save` would."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Model


def insert_values(obj: Model) -> tuple[str, list[Any]]:
    """The columns (quoted, comma-separated) and the prepared values of a new row for `obj`."""
    fields = [f for f in obj._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    return columns, values


def saved(obj: Model, pk: Any) -> None:
    """Mark `obj` as the row just inserted with primary key `pk`."""
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = connection.alias
