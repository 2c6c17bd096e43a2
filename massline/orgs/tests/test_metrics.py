"""Counter metrics declared once (orgs.metrics): the derived forms of a declaration."""

from __future__ import annotations

import polars as pl
import pytest
from django.db import connection
from django.db.models import Q

from massline.orgs import counters
from massline.orgs.metrics import Counted, counts, difference
from massline.orgs.models import Organization


def test_a_metric_without_a_condition_counts_every_record():
    metric = Counted("things.total", "things")
    assert metric.sql("t") == "1"
    assert metric.value(object()) == 1
    frame = pl.DataFrame({"g": ["a", "a", "b"]})
    assert sorted(frame.group_by("g").agg(metric.polars_count()).rows()) == [("a", 2), ("b", 1)]


def test_conditions_on_codes_and_flags_become_sql():
    metric = Counted("things.odd", "odd", {"kind": "it's", "done": True, "open": False})
    assert metric.sql("t") == (
        "CASE WHEN t.kind = 'it''s' AND t.done AND NOT t.open THEN 1 ELSE 0 END"
    )


def test_one_of_several_codes_in_every_form():
    # given a metric counting records whose status is one of two codes
    metric = Counted("things.open", "open", {"status": ("waiting", "it's")})
    # then each form says "one of them"
    assert metric.sql("t") == "CASE WHEN t.status IN ('waiting', 'it''s') THEN 1 ELSE 0 END"
    assert str(metric.q()) == str(Q(status__in=("waiting", "it's")))
    assert [metric.value({"status": s}) for s in ("waiting", "it's", "done")] == [1, 1, 0]
    frame = pl.DataFrame({"g": ["a", "a", "b"], "status": ["waiting", "done", "it's"]})
    assert sorted(frame.group_by("g").agg(metric.polars_count()).rows()) == [("a", 1), ("b", 1)]


@pytest.mark.parametrize(
    ("when", "error"),
    [({"kind; DROP": "x"}, ValueError), ({"size": 3}, TypeError), ({"s": ("a", 1)}, TypeError)],
)
def test_a_declaration_refuses_what_it_cannot_derive(when, error):
    with pytest.raises(error):
        Counted("things.bad", "bad", when)


def test_a_records_change_is_the_difference_of_its_counts():
    metrics = [Counted("x.total", "x"), Counted("x.done", "done", {"done": True})]
    before = counts(metrics, {"done": False})
    after = counts(metrics, {"done": True})
    assert difference(before, after) == {"x.total": 0, "x.done": 1}


def test_organization_metrics_derived_forms_agree(tree):
    frame = pl.DataFrame(list(Organization.objects.values("id", "kind")), orient="row")
    for metric in counters.org_metrics():
        by_filter = sum(n for _org, n in counters.metrics()[metric.code].source())
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT sum({metric.sql('o')}) FROM orgs_organization o")
            by_sql = int(cursor.fetchone()[0] or 0)
        by_columns = frame.select(metric.polars_count()).item()
        by_row = sum(metric.value(o) for o in Organization.objects.all())
        assert by_filter == by_sql == by_columns == by_row, metric.code
