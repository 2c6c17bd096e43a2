from massline.conftest import api_client, login_client


def test_county_user_sees_own_subtree_on_tree_page(tree, make_user):
    # given
    user = make_user("campaign_office", tree.county_a1)
    # when
    response = login_client(user).get("/orgs/")
    # then
    assert response.status_code == 200
    assert "中共新城区委员会" in response.content.decode()


def test_api_stats_reads_counters(tree, make_user):
    user = make_user("campaign_office", tree.root)
    response = api_client(user).get(f"/api/v1/orgs/{tree.root.pk}/stats")
    assert response.status_code == 200
    assert response.json()["metrics"]["orgs.total"] == {"own": 1, "subtree": 11}
