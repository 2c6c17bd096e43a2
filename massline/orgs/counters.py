"""Per-organization counters: every figure a page shows at any level is read from here.

Each domain registers its metrics with a `source` that recounts them from the records (used
only by `rebuild`), and bumps them from its services in the same transaction as the write.
A bump is one statement over the organization and its ancestors, whose ids come from the
path. Bulk operations collect their changes first and write one change per organization."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Model
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from massline.core.db import copy_rows

from .metrics import Counted, counts
from .paths import KEY_WIDTH, ancestor_ids

# (org_id, own count) pairs, computed set-based from the records.
Source = Callable[[], Iterable[tuple[int, int]]]


@dataclass(frozen=True)
class Metric:
    code: str
    label: str | Promise
    source: Source = field(compare=False)


_METRICS: dict[str, Metric] = {}


def register_metric(code: str, label: str | Promise, source: Source) -> None:
    _METRICS[code] = Metric(code, label, source)


def metrics() -> dict[str, Metric]:
    return dict(_METRICS)


# (org_id, metric code, own count) triples: a family recounts all of its codes at once.
FamilySource = Callable[[], Iterable[tuple[int, str, int]]]


@dataclass(frozen=True)
class Family:
    """Figures kept per record of a domain, such as one per campaign: codes `prefix` + key
    (`campaign.12.reached`), registered once as a family rather than code by code. A family's
    codes are not listed among an organization's figures; the domain reads its own."""

    prefix: str
    label: str | Promise
    source: FamilySource = field(compare=False)


_FAMILIES: dict[str, Family] = {}


def register_family(prefix: str, label: str | Promise, source: FamilySource) -> None:
    if not prefix.endswith("."):
        raise ValueError(f"a family's prefix ends with a dot: {prefix!r}")
    clash = [code for code in _METRICS if code.startswith(prefix)]
    if clash:
        raise ValueError(f"{prefix!r} would take in the metric {clash[0]!r}")
    _FAMILIES[prefix] = Family(prefix, label, source)


def label_of(code: str) -> str:
    """A metric's label, or its family's followed by the code's key."""
    if code in _METRICS:
        return str(_METRICS[code].label)
    for prefix, family in _FAMILIES.items():
        if code.startswith(prefix):
            return f"{family.label} ({code[len(prefix) :]})"
    return code


def register_counted(
    model: type[Model], metrics: Iterable[Counted], *, org_field: str = "org_id"
) -> None:
    """Register declared metrics of `model`, each recounted from its own filter: the records
    it matches grouped by `org_field` (the owning organization; "pk" for organizations)."""
    for metric in metrics:
        register_metric(metric.code, metric.label, _recount(model, metric, org_field))


def _recount(model: type[Model], metric: Counted, org_field: str) -> Source:
    def source() -> Iterable[tuple[int, int]]:
        rows = model._default_manager.filter(metric.q())
        if org_field == "pk":
            return ((pk, 1) for pk in rows.values_list("pk", flat=True).iterator(5000))
        grouped = rows.values(org_field).annotate(n=Count("pk")).order_by()
        return ((r[org_field], r["n"]) for r in grouped.iterator())

    return source


@cache
def org_metrics() -> tuple[Counted, ...]:
    """The organization figures: all organizations, and those of each kind (built once: the
    organization generator asks for every organization it writes)."""
    from .models import OrgKind

    return (
        Counted("orgs.total", _("organizations")),
        *(Counted(f"orgs.{kind.value}", kind.label, {"kind": kind.value}) for kind in OrgKind),
    )


def register_org_metrics() -> None:
    from .models import Organization

    register_counted(Organization, org_metrics(), org_field="pk")


def org_metric_deltas(kind: str, sign: int = 1) -> dict[str, int]:
    """The counter changes one organization of this kind brings with it."""
    return {code: sign * n for code, n in counts(org_metrics(), {"kind": kind}).items() if n}


_UPSERT = (
    "INSERT INTO orgs_orgcounter (org_id, metric, own, subtree) VALUES (%s, %s, %s, %s) "
    "ON CONFLICT (org_id, metric) DO UPDATE SET "
    "own = orgs_orgcounter.own + excluded.own, subtree = orgs_orgcounter.subtree + excluded.subtree"
)

# the rows as four arrays, in their order (the order the rows are locked in)
_UPSERT_ARRAYS = _UPSERT.replace(
    "VALUES (%s, %s, %s, %s)",
    "SELECT * FROM unnest(%s::bigint[], %s::varchar[], %s::bigint[], %s::bigint[])",
)


def _rows(changes: Mapping[tuple[int, str], tuple[int, int]]) -> list[tuple[int, str, int, int]]:
    rows = [
        (org_id, metric, own, sub) for (org_id, metric), (own, sub) in changes.items() if own or sub
    ]
    rows.sort()  # a fixed order keeps concurrent writers from deadlocking on the same rows
    return rows


def _write(changes: Mapping[tuple[int, str], tuple[int, int]]) -> None:
    rows = _rows(changes)
    if not rows:
        return
    with connection.cursor() as cursor:
        if len(rows) == 1:
            cursor.execute(_UPSERT, rows[0])
        elif len(rows) <= 200 and connection.vendor == "postgresql":
            # one statement text whatever the number of rows: psycopg converts a statement of
            # more than 50 parameters anew on every call, and PostgreSQL plans it anew
            cursor.execute(_UPSERT_ARRAYS, [list(column) for column in zip(*rows, strict=True)])
        elif len(rows) <= 200:
            values = ", ".join(["(%s, %s, %s, %s)"] * len(rows))
            sql = _UPSERT.replace("VALUES (%s, %s, %s, %s)", f"VALUES {values}")
            cursor.execute(sql, [v for row in rows for v in row])
        elif connection.vendor == "postgresql":
            # Bulk: COPY into a staging table, then one set-based upsert.
            cursor.execute(
                "CREATE TEMP TABLE counter_stage (org_id bigint, metric varchar(48), "
                "own bigint, subtree bigint) ON COMMIT DROP"
            )
            copy_rows("counter_stage", ["org_id", "metric", "own", "subtree"], rows)
            cursor.execute(
                _UPSERT.replace(
                    "VALUES (%s, %s, %s, %s)",
                    "SELECT org_id, metric, own, subtree FROM counter_stage ORDER BY org_id, metric",
                )
            )
            cursor.execute("DROP TABLE counter_stage")
        else:
            cursor.executemany(_UPSERT, rows)


def upsert_statement(
    changes_by_path: Mapping[str, Mapping[str, int]],
) -> tuple[str, list[Any]] | None:
    """`bump_many`'s change as one statement and its parameters, for a caller that sends it
    together with its own writes (a data-modifying `WITH`, PostgreSQL's); None on other
    databases, or when nothing changes. The rows are locked in their sorted order, as
    `bump_many` locks them."""
    rows = _rows(fold(changes_by_path))
    if not rows or connection.vendor != "postgresql":
        return None
    return _UPSERT_ARRAYS, [list(column) for column in zip(*rows, strict=True)]


def bump(*, path: str, deltas: Mapping[str, int]) -> None:
    """Add `deltas` to the organization at `path` (own and subtree) and to every ancestor
    (subtree): one statement. Call inside the transaction that made the change."""
    bump_many({path: deltas})


def bump_many(changes_by_path: Mapping[str, Mapping[str, int]]) -> None:
    """Bulk form of `bump`: changes for many organizations folded per organization first."""
    _write(fold(changes_by_path))


#: From this many organizations on, changes are folded as columns (a province's first roster
#: import brings changes for 68,000 branches: about 1.5 s folded one by one, 0.4 s as columns).
FOLD_IN_COLUMNS = 1000


def fold(
    changes_by_path: Mapping[str, Mapping[str, int]],
) -> dict[tuple[int, str], tuple[int, int]]:
    """Changes per organization path as {(org_id, metric): (own, subtree)}: each change
    counts in its own organization's own and subtree figures and in its ancestors' subtree
    figures."""
    if len(changes_by_path) >= FOLD_IN_COLUMNS:
        return _fold_columns(changes_by_path)
    folded: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for path, deltas in changes_by_path.items():
        ids = ancestor_ids(path)
        own_id = ids[-1]
        for metric, delta in deltas.items():
            if not delta:
                continue
            folded[(own_id, metric)][0] += delta
            for org_id in ids:
                folded[(org_id, metric)][1] += delta
    return {k: (v[0], v[1]) for k, v in folded.items()}


def _fold_columns(
    changes_by_path: Mapping[str, Mapping[str, int]],
) -> dict[tuple[int, str], tuple[int, int]]:
    """`fold` for many organizations, as column operations: the path's keys exploded into
    one row per ancestor, then summed per organization and metric."""
    import polars as pl

    changes = pl.DataFrame(
        [(p, m, d) for p, deltas in changes_by_path.items() for m, d in deltas.items() if d],
        schema={"path": pl.String, "metric": pl.String, "delta": pl.Int64},
        orient="row",
    ).with_columns(pl.col("path").str.extract_all(f".{{{KEY_WIDTH}}}").alias("keys"))
    key = [pl.col("org_id"), pl.col("metric")]
    own = (
        changes.select(
            pl.col("keys").list.last().str.to_integer(base=36).alias("org_id"),
            pl.col("metric"),
            pl.col("delta"),
        )
        .group_by(key)
        .agg(pl.col("delta").sum().alias("own"))
    )
    subtree = (
        changes.explode("keys")
        .select(pl.col("keys").str.to_integer(base=36).alias("org_id"), "metric", "delta")
        .group_by(key)
        .agg(pl.col("delta").sum().alias("subtree"))
    )
    # every organization with an own change is in its own subtree: a left join keeps all
    both = subtree.join(own, on=key, how="left").fill_null(0)
    return {
        (org_id, metric): (own_n, sub_n)
        for org_id, metric, sub_n, own_n in both.select("org_id", "metric", "subtree", "own").rows()
    }


def shift_subtree(*, old_parent_path: str, new_parent_path: str, totals: Mapping[str, int]) -> None:
    """A subtree with these totals moved: take them off the old ancestors, add them to the new."""
    folded: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for metric, value in totals.items():
        if old_parent_path:
            for org_id in ancestor_ids(old_parent_path):
                folded[(org_id, metric)][1] -= value
        if new_parent_path:
            for org_id in ancestor_ids(new_parent_path):
                folded[(org_id, metric)][1] += value
    _write({k: (v[0], v[1]) for k, v in folded.items()})


def read(
    org_ids: Iterable[int], *, codes: Iterable[str] | None = None
) -> dict[int, dict[str, tuple[int, int]]]:
    """Counters of these organizations: {org_id: {metric: (own, subtree)}}; only `codes`
    when given (a page reading a few figures of an organization with many)."""
    from .models import OrgCounter

    result: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
    ids = list(org_ids)
    if not ids:
        return {}
    rows = OrgCounter.objects.filter(org_id__in=ids)
    if codes is not None:
        rows = rows.filter(metric__in=list(codes))
    for org_id, metric, own, sub in rows.values_list("org_id", "metric", "own", "subtree"):
        result[org_id][metric] = (own, sub)
    return dict(result)


@dataclass
class Drift:
    org_id: int
    metric: str
    stored: tuple[int, int]
    expected: tuple[int, int]


def expected_counters() -> dict[tuple[int, str], tuple[int, int]]:
    """Recount every metric from the records: own counts from each source, subtree totals by
    adding each own count to the organization's ancestors (read from its path)."""
    from .models import Organization

    paths = dict(Organization.objects.values_list("pk", "path").iterator(20000))
    folded: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])

    def owns() -> Iterable[tuple[int, str, int]]:
        for metric in _METRICS.values():
            yield from ((org_id, metric.code, own) for org_id, own in metric.source())
        for family in _FAMILIES.values():
            yield from family.source()

    for org_id, code, own in owns():
        if not own:
            continue
        folded[(org_id, code)][0] += own
        for anc in ancestor_ids(paths[org_id]):
            folded[(anc, code)][1] += own
    return {k: (v[0], v[1]) for k, v in folded.items() if v[0] or v[1]}


def rebuild(*, check_only: bool = False) -> list[Drift]:
    """Compare stored counters with a recount; unless `check_only`, replace them exactly."""
    from .models import OrgCounter

    expected = expected_counters()
    stored = {
        (org_id, metric): (own, sub)
        for org_id, metric, own, sub in OrgCounter.objects.values_list(
            "org_id", "metric", "own", "subtree"
        ).iterator(20000)
    }
    drift = [
        Drift(key[0], key[1], stored.get(key, (0, 0)), expected.get(key, (0, 0)))
        for key in sorted(set(expected) | set(stored))
        if stored.get(key, (0, 0)) != expected.get(key, (0, 0))
    ]
    if drift and not check_only:
        with transaction.atomic():
            OrgCounter.objects.all().delete()
            copy_rows(
                "orgs_orgcounter",
                ["org_id", "metric", "own", "subtree"],
                ((k[0], k[1], v[0], v[1]) for k, v in sorted(expected.items())),
            )
    return drift
