"""Development zones, parks and farms are kept and tagged; a user can leave them out."""

import pytest

from massline.conftest import api_client, login_client, make_org
from massline.orgs.models import Division


@pytest.fixture
def zone(tree):
    """A development zone (county code ending 71) with a branch, under 呼和浩特市."""
    province = Division.objects.create(
        code="150000000000", name="内蒙古自治区", level=1, province_code="15", vintage=2023
    )
    city = Division.objects.create(
        code="150100000000",
        name="呼和浩特市",
        level=2,
        parent=province,
        province_code="15",
        vintage=2023,
    )
    zone_div = Division.objects.create(
        code="150172000000",
        name="呼和浩特经济技术开发区",
        level=3,
        parent=city,
        province_code="15",
        vintage=2023,
        non_admin=True,
        non_admin_kind="zone",
    )
    zone_org = make_org(
        tree.pref_a,
        "150172000000",
        "中共呼和浩特经济技术开发区工作委员会",
        kind="working_committee",
    )
    zone_org.division = zone_div
    zone_org.save(update_fields=["division"])
    return zone_org


def test_tree_children_leave_out_zones_when_asked(tree, zone, make_user):
    # given
    client = login_client(make_user("campaign_office", tree.root))
    # when
    everything = client.get(f"/orgs/{tree.pref_a.pk}/children/").content.decode()
    admin_only = client.get(f"/orgs/{tree.pref_a.pk}/children/?admin_only=1").content.decode()
    # then
    assert zone.name in everything
    assert zone.name not in admin_only
    assert "中共新城区委员会" in admin_only


def test_org_page_and_search_leave_out_zones_when_asked(tree, zone, make_user):
    client = login_client(make_user("campaign_office", tree.root))
    assert zone.name not in client.get(f"/orgs/{tree.pref_a.pk}/?admin_only=1").content.decode()
    assert zone.name in client.get(f"/orgs/{tree.pref_a.pk}/").content.decode()
    found = client.get("/orgs/", {"q": "开发区"}).content.decode()
    assert zone.name in found and "非行政区划单位" in found
    assert (
        zone.name not in client.get("/orgs/", {"q": "开发区", "admin_only": "1"}).content.decode()
    )


def test_api_leaves_out_zones_when_asked(tree, zone, make_user):
    client = api_client(make_user("campaign_office", tree.root))
    codes = {o["code"] for o in client.get(f"/api/v1/orgs/{tree.pref_a.pk}/children").json()}
    admin_codes = {
        o["code"]
        for o in client.get(f"/api/v1/orgs/{tree.pref_a.pk}/children?admin_only=true").json()
    }
    listed = {
        o["code"] for o in client.get("/api/v1/orgs?admin_only=true&limit=500").json()["items"]
    }
    assert zone.code in codes and zone.code not in admin_codes and zone.code not in listed
