import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from massline.orgs import counters
from massline.orgs.counters import Drift
from massline.orgs.models import OrgCounter


def _widgets(org_ids) -> dict[int, tuple[int, int]]:
    read = counters.read(org_ids)
    return {pk: read[pk]["test.widgets"] for pk in read if "test.widgets" in read[pk]}


# bump, bump_many, read


def test_bump_adds_to_own_and_subtree_of_the_org_and_subtree_of_each_ancestor(tree):
    # given
    # when
    counters.bump(path=tree.town_a1.path, deltas={"test.widgets": 3})
    # then
    all_ids = [o.pk for o in vars(tree).values()]
    assert _widgets(all_ids) == {
        tree.root.pk: (0, 3),
        tree.pref_a.pk: (0, 3),
        tree.county_a1.pk: (0, 3),
        tree.town_a1.pk: (3, 3),
    }


def test_bump_accumulates_and_takes_negative_deltas(tree):
    # given
    counters.bump(path=tree.village_a1.path, deltas={"test.widgets": 5})
    # when
    counters.bump(path=tree.village_a1.path, deltas={"test.widgets": 2})
    counters.bump(path=tree.village_a1.path, deltas={"test.widgets": -4})
    # then
    assert _widgets([tree.village_a1.pk, tree.town_a1.pk, tree.root.pk]) == {
        tree.village_a1.pk: (3, 3),
        tree.town_a1.pk: (0, 3),
        tree.root.pk: (0, 3),
    }


def test_bump_with_zero_delta_writes_no_row(tree):
    # given
    rows_before = OrgCounter.objects.count()
    # when
    counters.bump(path=tree.village_a1.path, deltas={"test.widgets": 0})
    # then
    assert OrgCounter.objects.count() == rows_before
    assert not OrgCounter.objects.filter(metric="test.widgets").exists()


def test_bump_updates_several_metrics_at_once(tree):
    # given
    # when
    counters.bump(path=tree.branch_b1.path, deltas={"test.widgets": 2, "test.gadgets": 7})
    # then
    read = counters.read([tree.branch_b1.pk, tree.pref_b.pk])
    assert read[tree.branch_b1.pk]["test.widgets"] == (2, 2)
    assert read[tree.branch_b1.pk]["test.gadgets"] == (7, 7)
    assert read[tree.pref_b.pk]["test.widgets"] == (0, 2)
    assert read[tree.pref_b.pk]["test.gadgets"] == (0, 7)


def test_bump_many_folds_changes_of_siblings_into_their_shared_ancestors(tree):
    # given two villages under the same town
    # when
    counters.bump_many(
        {
            tree.village_a1.path: {"test.widgets": 1},
            tree.village_a2.path: {"test.widgets": 2},
            tree.branch_b1.path: {"test.widgets": 10},
        }
    )
    # then
    all_ids = [o.pk for o in vars(tree).values()]
    assert _widgets(all_ids) == {
        tree.village_a1.pk: (1, 1),
        tree.village_a2.pk: (2, 2),
        tree.town_a1.pk: (0, 3),
        tree.county_a1.pk: (0, 3),
        tree.pref_a.pk: (0, 3),
        tree.branch_b1.pk: (10, 10),
        tree.county_b1.pk: (0, 10),
        tree.pref_b.pk: (0, 10),
        tree.root.pk: (0, 13),
    }


def test_bump_many_over_many_rows_matches_one_bump_per_org(tree):
    # given more than 200 (organization, metric) pairs, the executemany path
    orgs = list(vars(tree).values())
    metrics = [f"test.m{i:02d}" for i in range(20)]
    changes = {o.path: {m: i + 1 for i, m in enumerate(metrics)} for o in orgs}
    # when
    counters.bump_many(changes)
    bulk = counters.read([o.pk for o in orgs])
    OrgCounter.objects.filter(metric__startswith="test.").delete()
    for path, deltas in changes.items():
        counters.bump(path=path, deltas=deltas)
    one_by_one = counters.read([o.pk for o in orgs])
    # then
    assert len(orgs) * len(metrics) > 200
    assert bulk == one_by_one
    assert bulk[tree.root.pk]["test.m00"] == (1, 11)
    assert bulk[tree.town_a1.pk]["test.m19"] == (20, 60)


def test_read_of_no_ids_is_empty(db):
    # given / when / then
    assert counters.read([]) == {}


def test_read_leaves_out_organizations_without_counters(tree):
    # given
    OrgCounter.objects.filter(org=tree.village_a2).delete()
    # when
    read = counters.read([tree.village_a1.pk, tree.village_a2.pk])
    # then
    assert set(read) == {tree.village_a1.pk}
    assert read[tree.village_a1.pk] == {"orgs.total": (1, 1), "orgs.branch": (1, 1)}


def test_org_metric_deltas_count_total_and_kind():
    # given / when / then
    assert counters.org_metric_deltas("branch") == {"orgs.total": 1, "orgs.branch": 1}
    assert counters.org_metric_deltas("committee", -1) == {"orgs.total": -1, "orgs.committee": -1}


def test_org_metrics_are_registered_for_total_and_every_kind():
    # given / when
    codes = set(counters.metrics())
    # then
    assert {
        "orgs.total",
        "orgs.committee",
        "orgs.working_committee",
        "orgs.general_branch",
        "orgs.branch",
    } <= codes


# rebuild


def test_rebuild_finds_no_drift_on_counters_kept_by_services(tree):
    # given / when
    drift = counters.rebuild(check_only=True)
    # then
    assert drift == []
    assert counters.read([tree.root.pk])[tree.root.pk]["orgs.total"] == (1, 11)


def test_rebuild_check_only_reports_a_corrupted_counter_and_leaves_it(tree):
    # given
    OrgCounter.objects.filter(org=tree.root, metric="orgs.total").update(subtree=999)
    # when
    drift = counters.rebuild(check_only=True)
    # then
    assert drift == [Drift(tree.root.pk, "orgs.total", (1, 999), (1, 11))]
    assert counters.read([tree.root.pk])[tree.root.pk]["orgs.total"] == (1, 999)


def test_rebuild_corrects_a_corrupted_counter(tree):
    # given
    OrgCounter.objects.filter(org=tree.pref_a, metric="orgs.branch").update(own=5, subtree=999)
    # when
    drift = counters.rebuild()
    # then
    assert drift == [Drift(tree.pref_a.pk, "orgs.branch", (5, 999), (0, 3))]
    assert counters.read([tree.pref_a.pk])[tree.pref_a.pk]["orgs.branch"] == (0, 3)
    assert counters.rebuild(check_only=True) == []


def test_rebuild_restores_a_missing_counter_row(tree):
    # given
    OrgCounter.objects.filter(org=tree.county_b1).delete()
    # when
    drift = counters.rebuild()
    # then
    assert {(d.org_id, d.metric, d.stored, d.expected) for d in drift} == {
        (tree.county_b1.pk, "orgs.total", (0, 0), (1, 2)),
        (tree.county_b1.pk, "orgs.committee", (0, 0), (1, 1)),
        (tree.county_b1.pk, "orgs.branch", (0, 0), (0, 1)),
    }
    assert counters.read([tree.county_b1.pk])[tree.county_b1.pk] == {
        "orgs.total": (1, 2),
        "orgs.committee": (1, 1),
        "orgs.branch": (0, 1),
    }


def test_rebuild_removes_a_counter_nothing_accounts_for(tree):
    # given a stray counter of an unregistered metric
    counters.bump(path=tree.village_a1.path, deltas={"test.widgets": 4})
    # when
    drift = counters.rebuild()
    # then
    assert len(drift) == 5
    assert {d.metric for d in drift} == {"test.widgets"}
    assert all(d.expected == (0, 0) for d in drift)
    assert not OrgCounter.objects.filter(metric="test.widgets").exists()
    assert counters.rebuild(check_only=True) == []


def test_rebuild_keeps_every_correct_counter_as_it_was(tree):
    # given
    before = set(OrgCounter.objects.values_list("org_id", "metric", "own", "subtree"))
    OrgCounter.objects.filter(org=tree.root, metric="orgs.total").update(subtree=999)
    # when
    counters.rebuild()
    # then
    assert set(OrgCounter.objects.values_list("org_id", "metric", "own", "subtree")) == before


# the rebuild-counters command


def test_rebuild_counters_check_says_counters_match_when_clean(tree, capsys):
    # given
    # when
    with translation.override("en"):
        call_command("rebuild-counters", "--check")
    # then
    assert "Counters match the records." in capsys.readouterr().out


def test_rebuild_counters_speaks_chinese_by_default(tree, capsys):
    # given
    # when
    call_command("rebuild-counters", "--check")
    # then
    assert "计数与记录一致。" in capsys.readouterr().out


def test_rebuild_counters_check_fails_on_drift_and_changes_nothing(tree, capsys):
    # given
    OrgCounter.objects.filter(org=tree.root, metric="orgs.total").update(subtree=999)
    # when
    with translation.override("en"), pytest.raises(CommandError, match="1 counters drifted"):
        call_command("rebuild-counters", "--check")
    # then
    out = capsys.readouterr().out
    assert f"organization {tree.root.pk}, orgs.total: stored (1, 999), counted (1, 11)" in out
    assert counters.read([tree.root.pk])[tree.root.pk]["orgs.total"] == (1, 999)


def test_rebuild_counters_without_check_corrects_drift(tree, capsys):
    # given
    OrgCounter.objects.filter(org=tree.town_a1, metric="orgs.total").update(own=0)
    # when
    with translation.override("en"):
        call_command("rebuild-counters")
    # then
    assert "1 counters corrected." in capsys.readouterr().out
    assert counters.read([tree.town_a1.pk])[tree.town_a1.pk]["orgs.total"] == (1, 3)
    call_command("rebuild-counters", "--check")


def test_folding_as_columns_agrees_with_folding_one_by_one(monkeypatch):
    """The column fold (for many organizations) and the loop give the same figures, on
    random changes over a random tree, zero and negative deltas included."""
    import random

    from massline.orgs.paths import child_path

    rng = random.Random(7)
    paths = [child_path("", 1)]
    for org_id in range(2, 400):
        paths.append(child_path(rng.choice(paths), org_id))
    changes = {
        p: {m: rng.randint(-3, 5) for m in rng.sample(["a", "b", "c", "d"], rng.randint(1, 4))}
        for p in rng.sample(paths, 300)
    }
    columns = counters._fold_columns(changes)
    monkeypatch.setattr(counters, "FOLD_IN_COLUMNS", 10**9)
    loop = counters.fold(changes)
    assert columns == loop
    assert len(loop) > 300
