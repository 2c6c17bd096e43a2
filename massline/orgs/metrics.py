"""Counter metrics, declared once.

A domain declares each figure it keeps in the organization counters as a `Counted`: a code, a
label, and which of its records count towards it (every record, or those whose fields hold
given values: a code, a flag, or one of a tuple of codes). Every form the code needs is derived from that one declaration, so the forms
cannot drift apart:

- `q()`: the Django filter; the recount (`rebuild-counters`) counts the records it matches;
- `sql(alias)`: a 0/1 SQL expression over one row of the table (or of a staging table with
  the same columns), for set-based counter changes such as an import's;
- `polars_count()`: the bulk form, an aggregation counting the rows of a frame (a block of
  checked import rows, a batch of generated members);
- `value(record)`: 0 or 1 for one record (a model instance, any object with the fields as
  attributes, or a mapping), for a service's counter change.

`counts(metrics, record)` gives one record's figures for every metric; `difference(before,
after)` the change between two such results. `orgs.counters.register_counted` registers the
declarations with the counters, each with its recount derived from `q()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.utils.functional import Promise

if TYPE_CHECKING:
    import polars as pl

#: What a condition may compare a field with: a stored code, a flag, or one of several codes.
Value = str | bool | tuple[str, ...]


@dataclass(frozen=True)
class Counted:
    """A metric counting the records whose fields equal `when` (every record when empty)."""

    code: str
    label: str | Promise
    when: Mapping[str, Value] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, value in self.when.items():
            if not name.isidentifier():
                raise ValueError(f"{self.code}: {name!r} is not a field name")
            codes = value if isinstance(value, tuple) else ()
            if not isinstance(value, bool | str | tuple) or not all(
                isinstance(c, str) for c in codes
            ):
                raise TypeError(f"{self.code}: {name} must be compared with a code or a flag")

    def q(self) -> Q:
        return Q(
            **{
                (f"{name}__in" if isinstance(value, tuple) else name): value
                for name, value in self.when.items()
            }
        )

    def value(self, record: Any) -> int:
        def field(name: str) -> Any:
            return record[name] if isinstance(record, Mapping) else getattr(record, name)

        return int(all(_matches(field(name), value) for name, value in self.when.items()))

    def sql(self, alias: str) -> str:
        if not self.when:
            return "1"
        return f"CASE WHEN {' AND '.join(_sql_test(alias, n, v) for n, v in self.when.items())} THEN 1 ELSE 0 END"

    def polars_test(self) -> pl.Expr:
        """Per row: does it count? (Every row, when the metric has no condition.)"""
        import polars as pl

        if not self.when:
            return pl.int_range(pl.len()) >= 0
        tests = [
            pl.col(name).is_in(list(value)) if isinstance(value, tuple) else pl.col(name) == value
            for name, value in self.when.items()
        ]
        expr = tests[0]
        for test in tests[1:]:
            expr = expr & test
        return expr

    def polars_count(self) -> pl.Expr:
        """Per frame or group: how many rows count (named after the metric)."""
        import polars as pl

        if not self.when:
            return pl.len().cast(pl.Int64).alias(self.code)
        return self.polars_test().cast(pl.Int64).sum().alias(self.code)


def _matches(found: Any, value: Value) -> bool:
    return found in value if isinstance(value, tuple) else found == value


def _sql_literal(code: str) -> str:
    return "'" + code.replace(chr(39), chr(39) * 2) + "'"


def _sql_test(alias: str, name: str, value: Value) -> str:
    column = f"{alias}.{name}"
    if value is True:
        return column
    if value is False:
        return f"NOT {column}"
    if isinstance(value, tuple):
        return f"{column} IN ({', '.join(_sql_literal(c) for c in value)})"
    return f"{column} = {_sql_literal(value)}"


def counts(metrics: Iterable[Counted], record: Any) -> dict[str, int]:
    """One record's figure (0 or 1) for each metric."""
    return {m.code: m.value(record) for m in metrics}


def difference(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, int]:
    """The counter change from one record's figures to its new ones."""
    return {k: after.get(k, 0) - before.get(k, 0) for k in set(before) | set(after)}
