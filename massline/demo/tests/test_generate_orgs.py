import re

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from massline.core.errors import ApplicationError
from massline.core.models import AuditEvent
from massline.demo.skeleton import generate_orgs, plan
from massline.orgs import counters
from massline.orgs.divisions import load_divisions
from massline.orgs.models import Division, Organization, OrgKind
from massline.orgs.paths import encode_key
from massline.orgs.services import org_create

pytestmark = pytest.mark.django_db

RELEASE = [
    ("150000000000", "内蒙古自治区", "1", ""),
    ("150100000000", "呼和浩特市", "2", "150000000000"),
    ("150102000000", "新城区", "3", "150100000000"),
    ("150102001000", "海拉尔东路街道", "4", "150102000000"),
    ("150102001001", "锡林南路社区居委会", "5", "150102001000"),
    ("150102100000", "保合少镇", "4", "150102000000"),
    ("150102100201", "古路板村村民委员会", "5", "150102100000"),
    ("150102100202", "哈拉沁嘎查委员会", "5", "150102100000"),
    ("150102100203", "罗家营村委会", "5", "150102100000"),
    # a development zone (county code 71) with a plainly named township
    ("150172000000", "呼和浩特经济技术开发区", "3", "150100000000"),
    ("150172001000", "金桥", "4", "150172000000"),
    ("150172001001", "金桥社区居委会", "5", "150172001000"),
    # another province, in the file but not loaded
    ("110000000000", "北京市", "1", ""),
]


@pytest.fixture
def divisions(tmp_path):
    """The small release above, loaded for province 15."""
    path = tmp_path / "divisions.csv"
    lines = ["code,name,level,parent_code,vintage"]
    lines += [",".join([*row, "2023"]) for row in RELEASE]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    load_divisions(actor=None, directory=None, file=path, province="15")
    return dict(Division.objects.values_list("code", "name"))


def _skeleton() -> dict[str, tuple[str, str, str, str, str | None, str | None]]:
    """code -> (name, kind, unit type, area type, parent code, division code)."""
    return {
        o.code: (
            o.name,
            o.kind,
            o.unit_type,
            o.area_type,
            o.parent.code if o.parent else None,
            o.division_id,
        )
        for o in Organization.objects.select_related("parent")
    }


def _delete_all_orgs() -> None:
    depths = sorted(set(Organization.objects.values_list("depth", flat=True)), reverse=True)
    for depth in depths:
        Organization.objects.filter(depth=depth).delete()


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("150000000000", ("中共内蒙古自治区委员会", "committee", "agency", "", None)),
        ("150100000000", ("中共呼和浩特市委员会", "committee", "agency", "", "150000000000")),
        ("150102000000", ("中共新城区委员会", "committee", "agency", "", "150100000000")),
        (
            "150102001000",
            ("中共海拉尔东路街道工作委员会", "working_committee", "community", "", "150102000000"),
        ),
        (
            "150102001001",
            ("中共锡林南路社区支部委员会", "branch", "community", "", "150102001000"),
        ),
        (
            "150102100000",
            ("中共保合少镇委员会", "committee", "rural", "farming", "150102000000"),
        ),
        (
            "150102100201",
            ("中共古路板村支部委员会", "branch", "rural", "farming", "150102100000"),
        ),
        (
            "150102100202",
            ("中共哈拉沁嘎查支部委员会", "branch", "rural", "pastoral", "150102100000"),
        ),
        (
            "150102100203",
            ("中共罗家营村支部委员会", "branch", "rural", "farming", "150102100000"),
        ),
        (
            "150172000000",
            (
                "中共呼和浩特经济技术开发区工作委员会",
                "working_committee",
                "agency",
                "",
                "150100000000",
            ),
        ),
        (
            "150172001000",
            ("中共金桥工作委员会", "working_committee", "agency", "", "150172000000"),
        ),
        (
            "150172001001",
            ("中共金桥社区支部委员会", "branch", "community", "", "150172001000"),
        ),
    ],
)
def test_each_division_gets_an_organization_of_the_kind_its_level_calls_for(
    divisions, code, expected
):
    # given the small release loaded
    # when
    generate_orgs(actor=None, province="15", seed=1)
    # then
    assert _skeleton()[code] == (*expected, code)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("150102000000-WA", ("working_committee", "agency", "150102000000")),
        ("150102000000-A001", ("branch", "agency", "150102000000-WA")),
        ("150102000000-WE", ("working_committee", "public_institution", "150102000000")),
        ("150102000000-E001", ("branch", "public_institution", "150102000000-WE")),
        ("150102000000-WS", ("committee", "state_enterprise", "150102000000")),
        ("150102000000-S001", ("general_branch", "state_enterprise", "150102000000-WS")),
        ("150102000000-S004", ("branch", "state_enterprise", "150102000000-WS")),
        ("150102000000-WN", ("working_committee", "non_public_enterprise", "150102000000")),
        ("150102000000-N001", ("branch", "non_public_enterprise", "150102000000-WN")),
        ("150102000000-O001", ("branch", "social_organization", "150102000000-WN")),
        ("150000000000-WA", ("working_committee", "agency", "150000000000")),
        ("150100000000-WN", ("working_committee", "non_public_enterprise", "150100000000")),
        ("150172000000-WA", ("working_committee", "agency", "150172000000")),
        ("150102100000-A01", ("branch", "agency", "150102100000")),
        ("150102001000-A01", ("branch", "agency", "150102001000")),
    ],
)
def test_institutions_hang_under_working_committees_of_their_division(divisions, code, expected):
    # given
    # when
    generate_orgs(actor=None, province="15", seed=1)
    # then
    name, kind, unit_type, _area, parent, division = _skeleton()[code]
    assert (kind, unit_type, parent) == expected
    assert division == code[:12]
    assert name.startswith("中共" + divisions[code[:12]])


def test_villages_and_zone_townships_get_no_agency_branches(divisions):
    # given
    # when
    generate_orgs(actor=None, province="15", seed=1)
    # then
    codes = set(Organization.objects.values_list("code", flat=True))
    assert not {c for c in codes if c.startswith("150172001000-")}
    assert not {c for c in codes if c[:12] in {"150102001001", "150102100201"} and "-" in c}


def test_every_code_is_derived_from_a_division_code(divisions):
    # given
    # when
    generate_orgs(actor=None, province="15", seed=1)
    # then
    pattern = re.compile(r"^(\d{12})(-(WA|WE|WS|WN|[AESNO]\d{2,3}))?$")
    loaded = set(Division.objects.values_list("code", flat=True))
    orgs = list(Organization.objects.values_list("code", "division_id"))
    assert {c for c, _d in orgs if c in loaded} == loaded
    for code, division in orgs:
        match = pattern.match(code)
        assert match, code
        assert match.group(1) in loaded
        assert division == match.group(1)


def test_the_skeleton_is_one_tree_with_consistent_paths_and_depths(divisions):
    # given
    # when
    generate_orgs(actor=None, province="15", seed=1)
    # then
    orgs = {o.pk: o for o in Organization.objects.all()}
    roots = [o for o in orgs.values() if o.parent_id is None]
    assert [r.code for r in roots] == ["150000000000"]
    for org in orgs.values():
        parent_path = orgs[org.parent_id].path if org.parent_id else ""
        assert org.path == parent_path + encode_key(org.pk), org.code
        assert org.depth == len(org.path) // 6 - 1


def test_generate_reports_planned_and_created_and_counts_kinds(divisions):
    # given
    # when
    result = generate_orgs(actor=None, province="15", seed=1)
    # then
    total = Organization.objects.count()
    assert result.created == result.planned == total
    root = Organization.objects.get(code="150000000000")
    figures = counters.read([root.pk])[root.pk]
    assert figures["orgs.total"] == (1, total)
    for kind in OrgKind:
        assert figures.get(f"orgs.{kind.value}", (0, 0))[1] == (
            Organization.objects.filter(kind=kind).count()
        )


def test_generate_counters_match_a_rebuild(divisions):
    # given
    # when
    generate_orgs(actor=None, province="15", seed=1)
    # then
    assert counters.rebuild(check_only=True) == []


def test_same_seed_gives_identical_codes_and_names(divisions):
    # given a skeleton generated with seed 7, then removed
    generate_orgs(actor=None, province="15", seed=7)
    first = _skeleton()
    _delete_all_orgs()
    assert Organization.objects.count() == 0
    # when
    generate_orgs(actor=None, province="15", seed=7)
    # then
    assert _skeleton() == first
    assert counters.rebuild(check_only=True) == []


def test_same_seed_plans_the_same_list_in_the_same_order(divisions):
    # given / when
    first = plan(province="15", seed=3)
    second = plan(province="15", seed=3)
    # then
    assert first == second


def test_another_seed_changes_names_but_not_the_division_organizations(divisions):
    # given / when
    one = {o.code: o.name for o in plan(province="15", seed=1)}
    two = {o.code: o.name for o in plan(province="15", seed=2)}
    # then
    assert {c: one[c] for c in divisions} == {c: two[c] for c in divisions}
    assert one != two


def test_running_again_creates_nothing(divisions):
    # given
    first = generate_orgs(actor=None, province="15", seed=1)
    before = _skeleton()
    paths = dict(Organization.objects.values_list("code", "path"))
    stored = sorted(
        (code, metric, own, sub)
        for code, metric, own, sub in Organization.objects.values_list(
            "code", "counters__metric", "counters__own", "counters__subtree"
        )
    )
    # when
    again = generate_orgs(actor=None, province="15", seed=1)
    # then
    assert (again.planned, again.created) == (first.planned, 0)
    assert _skeleton() == before
    assert dict(Organization.objects.values_list("code", "path")) == paths
    assert (
        sorted(
            Organization.objects.values_list(
                "code", "counters__metric", "counters__own", "counters__subtree"
            )
        )
        == stored
    )


def test_generate_fills_in_around_organizations_that_already_exist(divisions):
    # given the province committee was created by hand with another name
    province = org_create(
        actor=None,
        parent=None,
        code="150000000000",
        name="中共内蒙古自治区委员会（手工）",
        kind=OrgKind.COMMITTEE,
        unit_type="agency",
    )
    # when
    result = generate_orgs(actor=None, province="15", seed=1)
    # then
    assert result.created == result.planned - 1
    province.refresh_from_db()
    assert province.name == "中共内蒙古自治区委员会（手工）"
    prefecture = Organization.objects.get(code="150100000000")
    assert prefecture.parent_id == province.pk
    assert prefecture.path == province.path + encode_key(prefecture.pk)
    assert counters.rebuild(check_only=True) == []


@pytest.mark.parametrize("province", ["11", "99"], ids=["not-loaded", "unknown"])
def test_generate_for_a_province_without_divisions_is_refused(divisions, province):
    # given only province 15 is loaded
    # when
    with pytest.raises(ApplicationError) as caught:
        generate_orgs(actor=None, province=province, seed=1)
    # then
    assert caught.value.code == "no_divisions"
    assert caught.value.field == "province"
    assert province in caught.value.message
    assert Organization.objects.count() == 0


def test_generate_orgs_command_reports_counts_and_audits(divisions, capsys):
    # given
    # when
    with translation.override("en"):
        call_command("generate-orgs", "--province", "15", "--seed", "1")
    # then
    total = Organization.objects.count()
    out = capsys.readouterr().out
    assert f"Province 15: {total} organizations in the skeleton, {total} created." in out
    event = AuditEvent.objects.get(action="orgs.generate")
    assert event.after == {"seed": 1, "created": total}


def test_generate_orgs_command_turns_a_missing_province_into_a_command_error(divisions):
    # given / when / then
    with pytest.raises(CommandError, match="11"):
        call_command("generate-orgs", "--province", "11")
    assert not AuditEvent.objects.filter(action="orgs.generate").exists()


def test_inner_mongolia_skeleton_has_about_seventy_thousand_organizations_and_no_drift():
    # given the real release of Inner Mongolia
    call_command("load-divisions", "--province", "15")
    # when
    result = generate_orgs(actor=None, province="15", seed=1)
    # then
    total = Organization.objects.count()
    assert result.created == result.planned == total
    assert 66_000 <= total <= 76_000
    assert Organization.objects.filter(kind=OrgKind.BRANCH, division__level=5).count() == 14592
    assert counters.rebuild(check_only=True) == []
    root = Organization.objects.get(code="150000000000")
    assert counters.read([root.pk])[root.pk]["orgs.total"] == (1, total)
    # 770 villages are named like 一家村村民委员会: their branch is 中共一家村支部委员会
    assert Organization.objects.filter(name="中共一家村支部委员会").exists()
    assert not Organization.objects.filter(name__contains="村村支部").exists()


def test_generate_orgs_for_all_builds_every_loaded_province_once(tmp_path, capsys):
    # given the small release for every province, with a placeholder that repeats 新城区
    path = tmp_path / "divisions.csv"
    rows = [*RELEASE, ("150102000000", "新城区", "4", "150102000000")]
    lines = ["code,name,level,parent_code,vintage", *(",".join([*r, "2023"]) for r in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    loaded = load_divisions(actor=None, directory=None, file=path, province=None)
    assert [r.code for r in loaded.placeholders] == ["150102000000"]
    # when
    with translation.override("en"):
        call_command("generate-orgs", "--province", "all", "--seed", "1")
    # then one root per province, one organization per division, and no drift
    roots = Organization.objects.filter(parent__isnull=True).order_by("code")
    assert [r.code for r in roots] == ["110000000000", "150000000000"]
    assert (
        Organization.objects.filter(division_id="150102000000").exclude(code__contains="-").count()
        == 1
    )
    out = capsys.readouterr().out
    assert "Province 11:" in out and "Province 15:" in out
    assert counters.rebuild(check_only=True) == []
