import pytest

from massline.core.errors import ApplicationError
from massline.core.models import AuditEvent
from massline.orgs import counters
from massline.orgs.models import Organization, OrgCounter, OrgKind, UnitType
from massline.orgs.paths import encode_key
from massline.orgs.services import org_create, org_move, org_update


def _tree_state() -> dict[str, tuple[str, int, str | None]]:
    """code -> (path, depth, parent code) of every organization."""
    return {
        o.code: (o.path, o.depth, o.parent.code if o.parent else None)
        for o in Organization.objects.select_related("parent")
    }


def _counter_state() -> dict[tuple[str, str], tuple[int, int]]:
    """(organization code, metric) -> (own, subtree) of every counter row."""
    return {
        (code, metric): (own, sub)
        for code, metric, own, sub in OrgCounter.objects.values_list(
            "org__code", "metric", "own", "subtree"
        )
    }


def _subtree(org: Organization, metric: str = "orgs.total") -> int:
    return counters.read([org.pk]).get(org.pk, {}).get(metric, (0, 0))[1]


def _own(org: Organization, metric: str = "orgs.total") -> int:
    return counters.read([org.pk]).get(org.pk, {}).get(metric, (0, 0))[0]


# org_create


def test_org_create_root_gets_its_own_key_as_path_and_depth_zero(db):
    # given no organizations
    # when
    org = org_create(
        actor=None,
        parent=None,
        code="150000000000",
        name="中共内蒙古自治区委员会",
        kind=OrgKind.COMMITTEE,
        unit_type=UnitType.AGENCY,
    )
    # then
    org.refresh_from_db()
    assert org.path == encode_key(org.pk)
    assert org.depth == 0
    assert org.parent is None


def test_org_create_child_path_is_parent_path_plus_own_key(tree):
    # given the town 中共保合少镇委员会 at depth 3
    # when
    org = org_create(
        actor=None,
        parent=tree.town_a1,
        code="150102101203",
        name="  中共新村支部委员会 ",
        kind=OrgKind.BRANCH,
        unit_type=UnitType.RURAL,
    )
    # then
    org.refresh_from_db()
    assert org.path == tree.town_a1.path + encode_key(org.pk)
    assert org.depth == 4
    assert org.parent == tree.town_a1
    assert org.name == "中共新村支部委员会"


def test_org_create_bumps_counters_of_itself_and_every_ancestor_only(tree):
    # given
    before = _counter_state()
    # when
    org = org_create(
        actor=None,
        parent=tree.town_a1,
        code="150102101203",
        name="中共新村支部委员会",
        kind=OrgKind.BRANCH,
        unit_type=UnitType.RURAL,
    )
    # then
    after = _counter_state()
    ancestors = ["150000000000", "150100000000", "150102000000", "150102101000"]
    for code in ancestors:
        for metric in ("orgs.total", "orgs.branch"):
            own, sub = before.get((code, metric), (0, 0))
            assert after[(code, metric)] == (own, sub + 1), (code, metric)
    assert after[(org.code, "orgs.total")] == (1, 1)
    assert after[(org.code, "orgs.branch")] == (1, 1)
    untouched = {k: v for k, v in after.items() if k[0] not in [*ancestors, org.code]}
    assert untouched == {k: v for k, v in before.items() if k[0] not in ancestors}
    assert counters.rebuild(check_only=True) == []


def test_org_create_of_a_root_counts_it_once(db):
    # given
    # when
    org = org_create(
        actor=None,
        parent=None,
        code="150000000000",
        name="中共内蒙古自治区委员会",
        kind=OrgKind.COMMITTEE,
        unit_type=UnitType.AGENCY,
    )
    # then
    assert counters.read([org.pk]) == {org.pk: {"orgs.total": (1, 1), "orgs.committee": (1, 1)}}


def test_org_create_writes_an_audit_row_with_actor_org_and_snapshot(tree, make_user):
    # given
    actor = make_user()
    # when
    org = org_create(
        actor=actor,
        parent=tree.county_b1,
        code="150202000000-A002",
        name="中共东河区教育局支部委员会",
        kind=OrgKind.BRANCH,
        unit_type=UnitType.AGENCY,
    )
    # then
    event = AuditEvent.objects.get(action="orgs.create", target_id=str(org.pk))
    assert event.actor == actor
    assert event.org_id == org.pk
    assert event.org_path == org.path
    assert event.target_type == "orgs.organization"
    assert event.after["code"] == "150202000000-A002"
    assert event.after["path"] == org.path
    assert event.after["parent"] == tree.county_b1.pk
    assert event.before is None


@pytest.mark.parametrize("code", ["150100000000", " 150100000000 "])
def test_org_create_rejects_a_taken_code_and_writes_nothing(tree, code):
    # given 150100000000 belongs to 中共呼和浩特市委员会
    orgs_before = _tree_state()
    counters_before = _counter_state()
    audit_before = AuditEvent.objects.count()
    # when
    with pytest.raises(ApplicationError) as caught:
        org_create(
            actor=None,
            parent=tree.root,
            code=code,
            name="中共重复市委员会",
            kind=OrgKind.COMMITTEE,
            unit_type=UnitType.AGENCY,
        )
    # then
    assert caught.value.field == "code"
    assert "150100000000" in caught.value.message
    assert _tree_state() == orgs_before
    assert _counter_state() == counters_before
    assert AuditEvent.objects.count() == audit_before


# org_update


def test_org_update_kind_change_moves_counters_along_the_ancestor_path(tree):
    # given village_a1 is a branch
    before = _counter_state()
    # when
    org_update(actor=None, org=tree.village_a1, kind=OrgKind.GENERAL_BRANCH)
    # then
    after = _counter_state()
    ancestors = ["150000000000", "150100000000", "150102000000", "150102101000"]
    for code in ancestors:
        assert after[(code, "orgs.total")] == before[(code, "orgs.total")]
        own, sub = before[(code, "orgs.branch")]
        assert after[(code, "orgs.branch")] == (own, sub - 1)
        assert after.get((code, "orgs.general_branch"), (0, 0))[1] == 1
    assert after[("150102101201", "orgs.total")] == (1, 1)
    assert after[("150102101201", "orgs.branch")] == (0, 0)
    assert after[("150102101201", "orgs.general_branch")] == (1, 1)
    assert after[("150200000000", "orgs.branch")] == before[("150200000000", "orgs.branch")]
    assert counters.rebuild(check_only=True) == []


def test_org_update_without_kind_change_leaves_counters_alone(tree):
    # given
    before = _counter_state()
    # when
    org = org_update(actor=None, org=tree.village_a1, name=" 中共古路板嘎查支部委员会 ")
    # then
    org.refresh_from_db()
    assert org.name == "中共古路板嘎查支部委员会"
    assert org.kind == OrgKind.BRANCH
    assert _counter_state() == before


def test_org_update_records_before_and_after_in_the_audit_trail(tree):
    # given
    # when
    org_update(actor=None, org=tree.county_a2, kind=OrgKind.WORKING_COMMITTEE)
    # then
    event = AuditEvent.objects.get(action="orgs.update", target_id=str(tree.county_a2.pk))
    assert event.before["kind"] == "committee"
    assert event.after["kind"] == "working_committee"
    assert event.org_path == tree.county_a2.path


def test_org_update_rejects_an_unknown_kind_and_changes_nothing(tree):
    # given
    before = _counter_state()
    # when
    with pytest.raises(ApplicationError) as caught:
        org_update(actor=None, org=tree.village_a1, kind="club")
    # then
    assert caught.value.field == "kind"
    assert Organization.objects.get(pk=tree.village_a1.pk).kind == OrgKind.BRANCH
    assert _counter_state() == before


# org_move


def test_org_move_rewrites_paths_of_the_whole_subtree(tree):
    # given county_a1 ── town_a1 ─┬─ village_a1, village_a2 under pref_a
    # when
    org_move(actor=None, org=tree.county_a1, new_parent=tree.pref_b)
    # then
    state = _tree_state()
    county = state["150102000000"][0]
    town = state["150102101000"][0]
    assert county == tree.pref_b.path + encode_key(tree.county_a1.pk)
    assert town == county + encode_key(tree.town_a1.pk)
    assert state["150102101201"][0] == town + encode_key(tree.village_a1.pk)
    assert state["150102101202"][0] == town + encode_key(tree.village_a2.pk)
    assert state["150102000000"][2] == "150200000000"
    assert state["150102101000"][2] == "150102000000"


def test_org_move_leaves_organizations_outside_the_subtree_alone(tree):
    # given
    before = _tree_state()
    moved = {"150102000000", "150102101000", "150102101201", "150102101202"}
    # when
    org_move(actor=None, org=tree.county_a1, new_parent=tree.pref_b)
    # then
    after = _tree_state()
    assert {c: v for c, v in after.items() if c not in moved} == {
        c: v for c, v in before.items() if c not in moved
    }


@pytest.mark.parametrize(
    ("org_name", "parent_name", "depths"),
    [
        # up two levels: the town goes straight under the province
        ("town_a1", "root", {"150102101000": 1, "150102101201": 2, "150102101202": 2}),
        # down one level: the county goes under a county
        (
            "county_a1",
            "county_b1",
            {"150102000000": 3, "150102101000": 4, "150102101201": 5, "150102101202": 5},
        ),
        # same level
        ("branch_a2", "county_b1", {"150103000000-A001": 3}),
    ],
)
def test_org_move_rewrites_depth_of_the_whole_subtree(tree, org_name, parent_name, depths):
    # given
    org = getattr(tree, org_name)
    new_parent = getattr(tree, parent_name)
    # when
    org_move(actor=None, org=org, new_parent=new_parent)
    # then
    state = _tree_state()
    assert {code: state[code][1] for code in depths} == depths
    for path, depth, _parent in state.values():
        assert depth == len(path) // 6 - 1


def test_org_move_returns_the_refreshed_organization(tree):
    # given
    # when
    org = org_move(actor=None, org=tree.town_a1, new_parent=tree.county_b1)
    # then
    assert org.parent_id == tree.county_b1.pk
    assert org.path == tree.county_b1.path + encode_key(tree.town_a1.pk)
    assert org.depth == 3


def test_org_move_rewrites_audit_paths_of_the_subtree_only(tree):
    # given every organization has its orgs.create audit row at its old path
    old = dict(AuditEvent.objects.filter(action="orgs.create").values_list("org_id", "org_path"))
    # when
    org_move(actor=None, org=tree.county_a1, new_parent=tree.pref_b)
    # then
    new_paths = dict(Organization.objects.values_list("pk", "path"))
    audited = dict(
        AuditEvent.objects.filter(action="orgs.create").values_list("org_id", "org_path")
    )
    assert audited == new_paths
    moved = {tree.county_a1.pk, tree.town_a1.pk, tree.village_a1.pk, tree.village_a2.pk}
    for org_id, path in old.items():
        if org_id in moved:
            assert audited[org_id] != path
            assert audited[org_id].startswith(tree.pref_b.path)
        else:
            assert audited[org_id] == path


def test_org_move_writes_an_audit_row_with_old_and_new_path(tree, make_user):
    # given
    actor = make_user()
    old_path = tree.town_a1.path
    # when
    org = org_move(actor=actor, org=tree.town_a1, new_parent=tree.county_a2)
    # then
    event = AuditEvent.objects.get(action="orgs.move")
    assert event.actor == actor
    assert event.org_path == org.path
    assert event.before["path"] == old_path
    assert event.before["parent"] == tree.county_a1.pk
    assert event.after["path"] == org.path
    assert event.after["parent"] == tree.county_a2.pk


def test_org_move_shifts_counters_from_old_to_new_ancestors_exactly(tree):
    # given county_a1's subtree holds 4 organizations: 2 committees and 2 branches
    before = _counter_state()
    # when
    org_move(actor=None, org=tree.county_a1, new_parent=tree.pref_b)
    # then
    after = _counter_state()

    def sub(state, code, metric):
        return state.get((code, metric), (0, 0))[1]

    for metric, n in [("orgs.total", 4), ("orgs.committee", 2), ("orgs.branch", 2)]:
        assert sub(after, "150100000000", metric) == sub(before, "150100000000", metric) - n
        assert sub(after, "150200000000", metric) == sub(before, "150200000000", metric) + n
        assert sub(after, "150000000000", metric) == sub(before, "150000000000", metric)
    moved_and_below = ["150102000000", "150102101000", "150102101201", "150102101202"]
    for code in moved_and_below:
        assert {k: v for k, v in after.items() if k[0] == code} == {
            k: v for k, v in before.items() if k[0] == code
        }
    assert sub(after, "150100000000", "orgs.total") == 3
    assert sub(after, "150200000000", "orgs.total") == 7
    assert counters.rebuild(check_only=True) == []


def test_org_move_between_distant_branches_leaves_no_counter_drift(tree):
    # given a deep subtree moved up and across, then back down
    # when
    org_move(actor=None, org=tree.town_a1, new_parent=tree.root)
    org_move(actor=None, org=tree.pref_a, new_parent=tree.county_b1)
    org_move(actor=None, org=tree.town_a1, new_parent=tree.branch_b1)
    # then
    assert counters.rebuild(check_only=True) == []
    town = Organization.objects.get(pk=tree.town_a1.pk)
    assert town.depth == 4
    assert _subtree(tree.branch_b1) == 4
    assert _own(tree.branch_b1) == 1


def test_org_move_under_the_current_parent_changes_nothing(tree):
    # given
    orgs_before = _tree_state()
    counters_before = _counter_state()
    # when
    org = org_move(actor=None, org=tree.town_a1, new_parent=tree.county_a1)
    # then
    assert org.path == tree.town_a1.path
    assert _tree_state() == orgs_before
    assert _counter_state() == counters_before
    assert not AuditEvent.objects.filter(action="orgs.move").exists()


@pytest.mark.parametrize(
    "target", ["county_a1", "town_a1", "village_a1", "village_a2"], ids=lambda t: f"under-{t}"
)
def test_org_move_into_own_subtree_is_refused_and_changes_nothing(tree, target):
    # given
    orgs_before = _tree_state()
    counters_before = _counter_state()
    audit_before = list(AuditEvent.objects.order_by("pk").values_list("pk", "org_path"))
    # when
    with pytest.raises(ApplicationError) as caught:
        org_move(actor=None, org=tree.county_a1, new_parent=getattr(tree, target))
    # then
    assert caught.value.code == "move_into_own_subtree"
    assert caught.value.field == "parent"
    assert _tree_state() == orgs_before
    assert _counter_state() == counters_before
    assert list(AuditEvent.objects.order_by("pk").values_list("pk", "org_path")) == audit_before


def test_org_move_refuses_moving_the_root_under_any_organization(tree):
    # given
    orgs_before = _tree_state()
    # when
    with pytest.raises(ApplicationError) as caught:
        org_move(actor=None, org=tree.root, new_parent=tree.branch_b1)
    # then
    assert caught.value.code == "move_into_own_subtree"
    assert _tree_state() == orgs_before


def test_org_move_of_a_stale_instance_uses_the_stored_tree(tree):
    # given a copy of town_a1 loaded before its county moved
    stale_town = Organization.objects.get(pk=tree.town_a1.pk)
    org_move(actor=None, org=tree.county_a1, new_parent=tree.pref_b)
    # when
    org = org_move(actor=None, org=stale_town, new_parent=tree.county_a2)
    # then
    county_a2 = Organization.objects.get(pk=tree.county_a2.pk)
    assert org.path == county_a2.path + encode_key(tree.town_a1.pk)
    assert counters.rebuild(check_only=True) == []
