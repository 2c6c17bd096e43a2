from massline.conftest import login_client
from massline.orgs import views

HTMX = {"HX-Request": "true", "HX-Target": "search-results"}


def test_search_says_when_it_shows_only_the_first_results(tree, make_user, monkeypatch):
    # given: three organizations under 150102101, and room for two
    monkeypatch.setattr(views, "SEARCH_LIMIT", 2)
    user = make_user("campaign_office", tree.root)
    # when
    response = login_client(user).get("/orgs/", {"q": "150102101"}, headers=HTMX)
    # then
    content = response.content.decode()
    assert response.status_code == 200
    assert "“150102101”的前 2 条结果" in content
    assert content.count('<li class="list-group-item">') == 2


def test_search_counts_the_results_when_all_are_shown(tree, make_user):
    # given
    user = make_user("campaign_office", tree.root)
    # when
    response = login_client(user).get("/orgs/", {"q": "150102101"}, headers=HTMX)
    # then
    content = response.content.decode()
    assert "“150102101”共 3 条结果" in content
    assert content.count('<li class="list-group-item">') == 3
