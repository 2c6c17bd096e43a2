"""The workbench at /: where a user lands after signing in, its blocks for each role, its
registries, and a number of queries that does not grow with the tree."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from massline.access.models import DataScope
from massline.conftest import PASSWORD, login_client, make_org
from massline.members.transfers.tests.test_services import add_member
from massline.notices.workbench import registry
from massline.orgs.models import OrgKind, UnitType

from .helpers import remind


@pytest.fixture
def users(tree, make_user):
    return {
        "admin": make_user("system_admin", tree.root, DataScope.ALL),
        "province": make_user("campaign_office", tree.root),
        "branch": make_user("org_admin", tree.village_a1, DataScope.THIS_ORG),
        "supervisor": make_user(
            "supervisor", tree.county_a1, DataScope.CUSTOM, custom=[tree.county_a1, tree.branch_b1]
        ),
        "member": make_user("member", tree.village_a1, DataScope.SELF),
        "nobody": make_user(),
    }


def figure(page: str, code: str) -> str:
    found = re.search(rf'data-figure="{re.escape(code)}">([^<]*)<', page)
    return found.group(1) if found else ""


def test_signing_in_lands_on_the_workbench(tree, make_user, client):
    make_user("campaign_office", tree.root, username="office")
    response = client.post("/accounts/login/", {"username": "office", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    page = client.get("/").content.decode()
    assert "<h1" in page and "工作台" in page and 'data-testid="nav-workbench"' in page


def test_the_tree_stays_at_its_own_address_and_in_the_menu(users):
    client = login_client(users["province"])
    page = client.get("/").content.decode()
    assert 'href="/orgs/"' in page
    assert "党组织树" in client.get("/orgs/").content.decode()


@pytest.mark.parametrize(
    "who, org_shown, orgs_figure, members_figure",
    [
        ("admin", "中共内蒙古自治区委员会", "11", "2"),
        ("province", "中共内蒙古自治区委员会", "11", "2"),
        ("branch", "中共古路板村支部委员会", "1", "1"),
        ("supervisor", "中共新城区委员会", "4", "2"),
    ],
)
def test_each_role_sees_its_own_scope(tree, users, who, org_shown, orgs_figure, members_figure):
    add_member(tree.village_a1, 1)
    add_member(tree.village_a2, 2, status="probationary", name="李红")
    page = login_client(users[who]).get("/").content.decode()
    assert re.search(r'data-testid="workbench-org">([^<]*)<', page).group(1) == org_shown
    assert figure(page, "orgs.total") == orgs_figure
    assert figure(page, "members.total") == members_figure
    assert 'data-testid="roster-makeup"' in page and "ml-chart" in page
    assert "没有待办事项" in page


def test_a_custom_scope_switches_between_its_roots(tree, users):
    client = login_client(users["supervisor"])
    page = client.get("/").content.decode()
    assert 'data-testid="workbench-roots"' in page and "中共东河区财政局支部委员会" in page
    page = client.get(f"/?org={tree.branch_b1.pk}").content.decode()
    assert "中共东河区财政局支部委员会</span>" in page
    assert client.get(f"/?org={tree.county_b1.pk}").status_code == 404  # outside the scope


@pytest.mark.parametrize("who", ["member", "nobody"])
def test_a_user_without_figures_still_has_a_workbench(users, who):
    page = login_client(users[who]).get("/").content.decode()
    assert "没有待办事项" in page
    assert 'data-testid="roster-makeup"' not in page
    assert 'data-figure="members.total"' not in page


def test_the_todos_count_unread_notices_and_finished_jobs_apart(users):
    from massline.notices.job_notices import JOB_FINISHED
    from massline.notices.services import send

    user = users["branch"]
    for i in range(3):
        remind([user], f"e{i}")
    send([user], JOB_FINISHED, "job:1", params={"job_kind": "x", "status": "done"}, link="/jobs/1/")
    page = login_client(user).get("/").content.decode()
    todos = dict(
        re.findall(r'data-todo="([^"]+)"[^>]*>\s*<span>[^<]*</span>\s*<span[^>]*>([^<]*)<', page)
    )
    assert todos == {"jobs.finished": "1", "notices.unread": "3"}
    assert "/notices/?unread=1&amp;kind=jobs.finished" in page


def test_todo_counts_show_99_plus(users):
    user = users["branch"]
    for i in range(101):
        remind([user], f"e{i}")
    page = login_client(user).get("/").content.decode()
    assert re.search(r'data-todo="notices.unread".*?>(99\+)<', page, re.S)


def test_an_app_adds_a_todo_a_figure_and_a_block_from_its_registry(
    users, monkeypatch, tmp_path, settings
):
    monkeypatch.setattr(registry, "_todos", dict(registry._todos))
    monkeypatch.setattr(registry, "_figures", dict(registry._figures))
    monkeypatch.setattr(registry, "_blocks", dict(registry._blocks))
    (tmp_path / "progress.html").write_text('<div data-testid="progress">{{ block.word }}</div>')
    engine = dict(settings.TEMPLATES[0])
    engine["DIRS"] = [*engine["DIRS"], tmp_path]
    settings.TEMPLATES = [engine]
    registry.register_todo("tests.due", "到期", lambda user: 7, lambda user: "/due/", order=1)
    registry.register_figure("tests.orgs_twice", "两遍", ("orgs.total", "orgs.total"))
    registry.register_workbench_block(
        "tests.progress", "progress.html", lambda scope: {"word": scope.org.code}, order=5
    )
    registry.register_workbench_block("tests.hidden", "progress.html", lambda scope: None)
    page = login_client(users["province"]).get("/").content.decode()
    assert 'data-todo="tests.due"' in page and 'href="/due/"' in page
    assert figure(page, "tests.orgs_twice") == "22"
    assert page.count('data-testid="progress"') == 1 and "150000000000" in page
    # blocks in their order: the new one (5) before the to-dos (10)
    assert page.index('data-block="tests.progress"') < page.index('data-block="todos"')


def queries_for(client, url: str = "/") -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("who", ["admin", "province", "branch", "supervisor"])
def test_the_workbench_costs_the_same_queries_whatever_the_tree_holds(tree, users, who):
    client = login_client(users[who])
    queries_for(client)  # what is cached per process
    before = queries_for(client)
    # when the tree grows under every scope, with members, notices and a transfer
    for i in range(20):
        make_org(
            tree.town_a1,
            f"150102101{300 + i}",
            f"中共新增{i}村支部委员会",
            OrgKind.BRANCH,
            UnitType.RURAL,
        )
        make_org(tree.county_b1, f"150202000000-B{i:03d}", f"中共新增{i}支部委员会", OrgKind.BRANCH)
    for i in range(10):
        add_member(tree.village_a1, 10 + i, name=f"党员{i}")
        add_member(tree.branch_b1, 40 + i, name=f"成员{i}")
    for i in range(30):
        remind([users[who]], f"e{i}")
    # then
    assert queries_for(client) == before
    # the session, the user, the assignments, the bell, each to-do's capped count (notices,
    # finished jobs, transfers, campaign actions), the counters, the campaign block's two, and
    # the counters below the user's own organizations (what awaits their decision one level up)
    assert before <= 13
