"""The three rates (decision 0022, "The three rates"): the formulas (defaults, overrides, bad
overrides), the k rule, the minimum sample of a ranking, from the counters of a subtree."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from massline.core.errors import ApplicationError
from massline.rectification import rates
from massline.rectification.rates import ranking, rates_of, require_breakdown

from .conftest import no_drift
from .rates_data import a_village_fix, evaluate, responses


@pytest.fixture
def filled(tree):
    """village_a1: 12 evaluations (6 satisfied, 4 basically, 2 unsatisfied), 8 of 10 opinions
    answered in time; village_a2: 3 evaluations (all satisfied), 1 late opinion."""
    evaluate(a_village_fix(tree.village_a1), 6, 4, 2)
    evaluate(a_village_fix(tree.village_a2), 3)
    responses(tree.village_a1, in_time=8, late=2)
    responses(tree.village_a2, late=1)


def test_the_default_formulas_over_a_subtree(tree, filled):
    f = rates_of(tree.village_a1)
    assert f.rates["response_rate"].value == pytest.approx(0.8)
    assert f.rates["resolution_rate"].value == pytest.approx(10 / 12)
    assert f.rates["satisfaction_rate"].value == pytest.approx((6 + 0.5 * 4) / 12)
    assert f.rates["satisfaction_rate"].sample == 12
    assert f.counts["evaluations.satisfied"] == 6 and f.broken_down
    # the town: both villages (15 evaluations, 11 opinions due)
    town = rates_of(tree.town_a1)
    assert town.rates["satisfaction_rate"].value == pytest.approx((9 + 2) / 15)
    assert town.rates["response_rate"].value == pytest.approx(8 / 11)
    assert town.counts["opinions.response.due"] == 11
    assert town.overdue == {"fixes": 0, "opinions": 0}
    no_drift()


def test_a_rate_with_nothing_to_count_is_none_with_its_reason(tree):
    f = rates_of(tree.pref_b)
    assert all(r.value is None and r.reason for r in f.rates.values())
    assert f.rates["response_rate"].reason == "no_sample"
    assert f.rates["response_rate"].percent == "—"


def test_an_override_replaces_one_rate(tree, filled, settings):
    settings.RECTIFICATION_RATES = {
        "satisfaction_rate": {
            "numerator": {"evaluations.satisfied": 1, "evaluations.basically_satisfied": 0.8},
            "denominator": {"evaluations.total": 1},
        }
    }
    f = rates_of(tree.village_a1)
    assert f.rates["satisfaction_rate"].value == pytest.approx((6 + 0.8 * 4) / 12)
    assert f.rates["resolution_rate"].value == pytest.approx(10 / 12)  # the default kept
    assert "0.8 × " in rates.formulas()["satisfaction_rate"].words()


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ({"speed_rate": {}}, "unknown rate 'speed_rate'"),
        (
            {
                "response_rate": {
                    "numerator": {"opinions.nope": 1},
                    "denominator": {"opinions.total": 1},
                }
            },
            "response_rate.numerator names the unknown counter 'opinions.nope'",
        ),
        (
            {
                "response_rate": {
                    "numerator": {"opinions.total": "1"},
                    "denominator": {"opinions.total": 1},
                }
            },
            "the weight of 'opinions.total' must be a number",
        ),
        (
            {"response_rate": {"numerator": {"opinions.total": 1}}},
            "response_rate must have exactly a 'numerator' and a 'denominator'",
        ),
        (
            {"response_rate": {"numerator": {"opinions.total": 1}, "denominator": {}}},
            "response_rate.denominator must be a non-empty mapping",
        ),
        (["response_rate"], "must be a mapping"),
    ],
)
def test_a_bad_override_is_refused_saying_where(given, says):
    with pytest.raises(ImproperlyConfigured, match="RECTIFICATION_RATES") as e:
        rates.formulas(given)
    assert says in str(e.value)


def test_the_setting_is_read_and_checked_as_the_app_starts_it(settings):
    # RectificationConfig.ready() calls formulas() with the setting (calling ready() again
    # here would register the app's counters and paths twice)
    import inspect

    from massline.rectification.apps import RectificationConfig

    assert "formulas()" in inspect.getsource(RectificationConfig.ready)
    settings.RECTIFICATION_RATES = {
        "resolution_rate": {"numerator": {"x.y": 1}, "denominator": {"x.y": 1}}
    }
    with pytest.raises(ImproperlyConfigured, match=r"unknown counter 'x\.y'"):
        rates.formulas()


def test_below_k_the_verdicts_and_the_rates_reading_them_are_withheld(tree, filled):
    f = rates_of(tree.village_a2)  # 3 evaluations < 5
    assert not f.broken_down
    assert f.counts["evaluations.total"] == 3
    assert [f.counts[c] for c in rates.VERDICTS] == [None, None, None]
    assert f.rates["satisfaction_rate"].value is None
    assert f.rates["satisfaction_rate"].reason == "below_k"
    assert f.rates["resolution_rate"].reason == "below_k"
    assert f.rates["response_rate"].value == 0  # 0 of 1 in time: no verdict in it
    with translation.override("zh-hans"), pytest.raises(ApplicationError) as e:
        require_breakdown(f)
    assert e.value.code == "below_k" and "5" in e.value.message and "评价" in e.value.message


def test_k_is_a_setting(tree, filled, settings):
    settings.RECTIFICATION_EVALUATION_K = 3
    f = rates_of(tree.village_a2)
    assert f.broken_down and f.rates["satisfaction_rate"].value == 1


def test_a_ranking_leaves_out_a_sample_below_the_minimum(tree, filled):
    r = ranking(tree.town_a1, "satisfaction_rate")
    assert [(i.figures.org, i.rank) for i in r.ranked] == [(tree.village_a1, 1)]
    assert [(i.figures.org, i.rank) for i in r.too_small] == [(tree.village_a2, None)]
    assert r.min_sample == 10


def test_a_ranking_orders_by_the_rate_then_the_sample(tree, filled, settings):
    settings.RECTIFICATION_RATES_MIN_SAMPLE = 1
    r = ranking(tree.town_a1, "response_rate")
    # village_a1 80% of 10 first; village_a2 0% of 1 second
    assert [(i.figures.org, i.rank) for i in r.ranked] == [
        (tree.village_a1, 1),
        (tree.village_a2, 2),
    ]
    assert r.too_small == []
    # below k the satisfaction rate is withheld: listed apart even with a small minimum
    r = ranking(tree.town_a1, "satisfaction_rate")
    assert [i.figures.org for i in r.too_small] == [tree.village_a2]


def test_an_unknown_sort_is_refused():
    with pytest.raises(ApplicationError) as e:
        rates.check_sort("speed")
    assert e.value.field == "sort"


@pytest.mark.parametrize("level", ["root", "county_a1", "village_a1"])
def test_a_ranking_takes_two_queries_at_any_level(tree, filled, level):
    with CaptureQueriesContext(connection) as q:
        ranking(getattr(tree, level))
    assert len(q.captured_queries) == 2


def test_nothing_to_count_says_so_rather_than_below_k(tree):
    f = rates_of(tree.county_b1)
    assert {r.reason for r in f.rates.values()} == {"no_sample"}
    assert f.counts["evaluations.satisfied"] is None  # 0 < k: not given either


def test_an_override_reading_verdicts_over_another_denominator_hides_its_numerator(
    tree, filled, settings
):
    settings.RECTIFICATION_RATES = {
        "response_rate": {
            "numerator": {"evaluations.satisfied": 1},
            "denominator": {"opinions.response.due": 1},
        }
    }
    r = rates_of(tree.village_a2).rates["response_rate"]  # 3 evaluations, 1 opinion due
    assert (r.value, r.numerator, r.reason) == (None, 0, "below_k")
