"""The staff pages through the test client: the ledger with its filters, figures, paging and
the publish button; a new problem (from an opinion too); a problem's page with its forms; a
fix's page with its timeline and the buttons of the map; every bad input comes back at its
field with what was typed, and nothing is written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from massline.conftest import login_client
from massline.opinions.models import OpinionCategory
from massline.opinions.tests.dispatch_fixtures import make_opinion
from massline.rectification import workflow
from massline.rectification.fix_services import fix_act
from massline.rectification.models import (
    Fix,
    FixEvidence,
    FixKind,
    FixState,
    FixStep,
    Problem,
    ProblemSource,
    ProblemStatus,
)
from massline.rectification.problem_services import problem_escalate

from .conftest import a_fix, a_problem, no_drift

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def today() -> dt.date:
    return timezone.localdate()


def later(n: int = 30) -> str:
    return (today() + dt.timedelta(days=n)).isoformat()


def fix_at(org, actor=None, **kw):
    kw.setdefault("today", today())
    kw.setdefault("deadline", today() + dt.timedelta(days=30))
    return a_fix(a_problem(org, actor=actor), actor=actor, **kw)


# --- the ledger ------------------------------------------------------------------------


def test_the_ledger_lists_problems_and_fixes_with_figures(tree, people):
    f = fix_at(tree.village_a1, people.village)
    a_problem(tree.town_a1, description="镇机关文件多会议多")
    client = login_client(people.town)
    response = client.get(f"/rectification/orgs/{tree.town_a1.pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "整改台账" in body and "村务公开栏长期不更新" in body and "镇机关文件多会议多" in body
    assert f"/rectification/fixes/{f.pk}/" in body
    assert 'data-testid="figure-fixes.open">1<' in body
    assert 'data-testid="new-problem"' in body


def test_the_home_redirects_to_the_own_ledger(tree, people):
    response = login_client(people.town).get("/rectification/")
    assert response.status_code == 302
    assert response["Location"] == f"/rectification/orgs/{tree.town_a1.pk}/"
    assert login_client(people.nobody).get("/rectification/").status_code == 403


def test_an_empty_ledger_says_so(tree, people):
    body = login_client(people.village).get(f"/rectification/orgs/{tree.village_a1.pk}/")
    assert "尚未记录问题" in body.content.decode()


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("state=closed", "关闭的", "开着的"),
        ("state=open", "开着的", "关闭的"),
        ("kind=ongoing", "关闭的", "开着的"),
        ("overdue=1", "开着的", "关闭的"),
        ("source=team_review", "关闭的", "开着的"),
        ("q=公开栏", "开着的", "关闭的"),
        ("q=长期坚持的措施", "关闭的", "开着的"),
    ],
)
def test_the_ledger_filters(tree, people, query, shown, hidden):
    cat = OpinionCategory.objects.create(source="local", code="x", title="本地清单")
    a = a_problem(tree.village_a1, description="开着的：公开栏")
    fa = a_fix(a, deadline=today() + dt.timedelta(days=3), today=today())
    Fix.objects.filter(pk=fa.pk).update(overdue=True)
    b = a_problem(
        tree.village_a1, description="关闭的", source=ProblemSource.TEAM_REVIEW, category=cat
    )
    fb = a_fix(b, kind=FixKind.ONGOING, deadline=None, measure="长期坚持的措施", today=today())
    Fix.objects.filter(pk=fb.pk).update(state=FixState.CLOSED)
    body = login_client(people.town).get(f"/rectification/orgs/{tree.town_a1.pk}/?{query}")
    text = body.content.decode()
    assert body.status_code == 200
    assert shown in text and hidden not in text


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("state=lost", "state"),
        ("kind=someday", "kind"),
        ("overdue=maybe", "overdue"),
        ("source=rumour", "source"),
        ("category=abc", "category"),
        ("q=" + "长" * 101, "q"),
        ("after=x1", "after"),
    ],
)
def test_bad_filters_are_named(tree, people, query, field):
    fix_at(tree.village_a1)
    response = login_client(people.town).get(f"/rectification/orgs/{tree.town_a1.pk}/?{query}")
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="error"' in body and "村务公开栏" not in body
    if field in ("state", "kind", "overdue", "source", "category", "q"):
        assert f'id="f-{field}"' in body and "is-invalid" in body


def test_the_ledger_pages_by_keyset(tree, people, settings):
    for i in range(32):
        a_problem(tree.village_a1, description=f"问题{i:02d}号")
    client = login_client(people.town)
    first = client.get(f"/rectification/orgs/{tree.town_a1.pk}/?source=supervision")
    text = first.content.decode()
    assert "问题31号" in text and "问题01号" not in text
    after = first.context["next_after"]
    second = client.get(f"/rectification/orgs/{tree.town_a1.pk}/?source=supervision&after={after}")
    text2 = second.content.decode()
    assert "问题01号" in text2 and "问题00号" in text2 and "问题31号" not in text2
    assert second.context["next_after"] == ""


def test_the_ledger_sees_both_sides(tree, people):
    # a problem found at the village and claimed by the town: the village keeps seeing it
    p = a_problem(tree.village_a1, description="根子在上面的问题")
    problem_escalate(actor=people.village, problem=p, reason="镇里的规定")
    from massline.rectification.problem_services import problem_claim

    problem_claim(actor=people.town, problem=p, responsible_person="李镇长")
    body = login_client(people.village).get(f"/rectification/orgs/{tree.village_a1.pk}/")
    assert "根子在上面的问题" in body.content.decode()
    page = login_client(people.village).get(f"/rectification/problems/{p.pk}/")
    assert page.status_code == 200 and "李镇长" in page.content.decode()


def test_publishing_all_prepared_commitments(tree, people):
    f = fix_at(tree.village_a1, people.village)
    fix_act(
        actor=people.village,
        fix=f,
        action=workflow.PREPARE_COMMITMENT,
        note="月底前完成",
        audience="public",
        promised_on=today() + dt.timedelta(days=10),
    )
    client = login_client(people.village)
    ledger = client.get(f"/rectification/orgs/{tree.village_a1.pk}/").content.decode()
    assert 'data-testid="publish"' in ledger
    response = client.post(f"/rectification/orgs/{tree.village_a1.pk}/publish/", follow=True)
    assert "1 项承诺已公开" in response.content.decode()
    assert Fix.objects.get(pk=f.pk).published
    # the supervisor reads the ledger but has no button and may not post
    sup = login_client(people.supervisor)
    assert (
        'data-testid="publish"'
        not in sup.get(f"/rectification/orgs/{tree.village_a1.pk}/").content.decode()
    )
    assert sup.post(f"/rectification/orgs/{tree.village_a1.pk}/publish/").status_code == 403


# --- a new problem ---------------------------------------------------------------------


def test_a_problem_from_an_opinion(tree, people):
    cat = OpinionCategory.objects.create(source="local", code="lights", title="路灯")
    o = make_opinion(tree.village_a1, text="村里路灯坏了半年没人修", category=cat)
    client = login_client(people.village)
    detail = client.get(f"/opinions/{o.pk}/").content.decode()
    assert f"/rectification/orgs/{tree.village_a1.pk}/problems/new/?opinion={o.pk}" in detail
    form = client.get(f"/rectification/orgs/{tree.village_a1.pk}/problems/new/?opinion={o.pk}")
    assert form.status_code == 200
    assert form.context["form"].initial["opinions"] == str(o.pk)
    assert f'<option value="{cat.pk}" selected>路灯</option>' in form.content.decode()
    response = client.post(
        f"/rectification/orgs/{tree.village_a1.pk}/problems/new/",
        {
            "source": "opinion",
            "description": "路灯长期失修",
            "responsible_person": "王书记",
            "opinions": str(o.pk),
        },
    )
    p = Problem.objects.get()
    assert (
        response.status_code == 302 and response["Location"] == f"/rectification/problems/{p.pk}/"
    )
    assert list(p.opinions.all()) == [o]
    page = client.get(f"/rectification/problems/{p.pk}/").content.decode()
    assert f"/opinions/{o.pk}/" in page


def test_the_supervisor_gets_no_link_from_the_opinion(tree, people):
    o = make_opinion(tree.county_a1, text="意见")
    detail = login_client(people.supervisor).get(f"/opinions/{o.pk}/").content.decode()
    assert 'data-testid="to-problem"' not in detail


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"description": "  "}, "description"),
        ({"responsible_person": ""}, "responsible_person"),
        ({"source": "rumour"}, "source"),
        ({"source": "team_review", "opinions": ""}, "category"),
        ({"category": "999999"}, "category"),
        ({"opinions": "12a"}, "opinions"),
        ({"opinions": "999999"}, "opinions"),
        ({"opinions": ""}, "opinions"),
        ({"description": "长" * 5001}, "description"),
        ({"responsible_person": "王" * 65}, "responsible_person"),
    ],
)
def test_bad_problems_are_refused_at_their_field(tree, people, data, field):
    o = make_opinion(tree.village_a1, text="意见")
    post = {
        "source": "opinion",
        "description": "路灯长期失修",
        "responsible_person": "王书记",
        "opinions": str(o.pk),
        **data,
    }
    response = login_client(people.village).post(
        f"/rectification/orgs/{tree.village_a1.pk}/problems/new/", post
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert f'data-testid="error-{field}"' in body
    if field != "description":
        assert "路灯长期失修" in body  # what was typed is kept
    assert not Problem.objects.exists()
    no_drift()


def test_an_opinion_of_another_county_cannot_be_linked(tree, people):
    o = make_opinion(tree.county_b1, text="外地意见")
    response = login_client(people.village).post(
        f"/rectification/orgs/{tree.village_a1.pk}/problems/new/",
        {"source": "opinion", "description": "x", "responsible_person": "王", "opinions": o.pk},
    )
    assert response.status_code == 200
    assert 'data-testid="error-opinions"' in response.content.decode()
    assert not Problem.objects.exists()


# --- a problem's page ------------------------------------------------------------------


def test_escalate_claim_and_add_a_fix(tree, people):
    p = a_problem(tree.village_a1, description="问题在下面")
    village = login_client(people.village)
    page = village.get(f"/rectification/problems/{p.pk}/").content.decode()
    assert 'data-testid="step-escalate"' in page and 'data-testid="fix-form"' in page
    assert 'data-testid="step-claim"' not in page
    r = village.post(
        f"/rectification/problems/{p.pk}/escalate/", {"reason": "镇里的规定", "version": p.version}
    )
    assert r.status_code == 302
    town = login_client(people.town)
    page = town.get(f"/rectification/problems/{p.pk}/").content.decode()
    assert 'data-testid="step-claim"' in page and 'data-testid="step-decline"' in page
    p.refresh_from_db()
    r = town.post(
        f"/rectification/problems/{p.pk}/claim/",
        {"responsible_person": "李镇长", "version": p.version},
    )
    assert r.status_code == 302
    p.refresh_from_db()
    assert p.org == tree.town_a1 and p.status == ProblemStatus.OPEN
    r = town.post(
        f"/rectification/problems/{p.pk}/fix/",
        {
            "measure": "修订镇里的规定",
            "kind": "time_limited",
            "deadline": later(),
            "responsible_person": "李镇长",
            "org": tree.village_a1.code,
            "co_orgs": tree.village_a2.code,
        },
    )
    fix = Fix.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/rectification/fixes/{fix.pk}/"
    assert fix.org == tree.village_a1
    assert [c.org for c in fix.co_orgs.all()] == [tree.village_a2]


@pytest.mark.parametrize(
    ("action", "data", "field"),
    [
        ("escalate", {"reason": " "}, "reason"),
        ("escalate", {"reason": "原因", "version": "99"}, "version"),
        ("escalate", {"reason": "原因", "version": "x"}, "version"),
    ],
)
def test_bad_problem_steps_keep_what_was_typed(tree, people, action, data, field):
    p = a_problem(tree.village_a1)
    response = login_client(people.village).post(
        f"/rectification/problems/{p.pk}/{action}/", {"version": p.version, **data}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="error' in body
    if data.get("reason", "").strip():
        assert data["reason"] in body
    p.refresh_from_db()
    assert p.status == ProblemStatus.OPEN and p.version == 1


def test_a_claim_without_a_person_is_refused(tree, people):
    p = a_problem(tree.village_a1)
    problem_escalate(actor=people.village, problem=p, reason="原因")
    response = login_client(people.town).post(
        f"/rectification/problems/{p.pk}/claim/", {"responsible_person": " ", "version": 2}
    )
    assert response.status_code == 200
    assert 'data-testid="error-responsible_person"' in response.content.decode()
    p.refresh_from_db()
    assert p.status == ProblemStatus.ESCALATED


def test_the_village_may_not_claim_its_own_escalation(tree, people):
    p = a_problem(tree.village_a1)
    problem_escalate(actor=people.village, problem=p, reason="原因")
    village = login_client(people.village)
    assert (
        'data-testid="step-claim"'
        not in village.get(f"/rectification/problems/{p.pk}/").content.decode()
    )
    response = village.post(
        f"/rectification/problems/{p.pk}/claim/", {"responsible_person": "王", "version": 2}
    )
    assert response.status_code == 403
    assert (
        login_client(people.village)
        .post(f"/rectification/problems/{p.pk}/nonsense/", {})
        .status_code
        == 404
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"measure": ""}, "measure"),
        ({"responsible_person": ""}, "responsible_person"),
        ({"kind": "someday"}, "kind"),
        ({"deadline": ""}, "deadline"),
        ({"deadline": "2020-01-01"}, "deadline"),
        ({"deadline": "明天"}, "deadline"),
        ({"org": "999999999999"}, "org"),
        ({"org": "150202000000"}, "org"),  # another county: out of scope
        ({"org": "150102101202"}, "org"),  # within scope, not below the problem's village
        ({"co_orgs": "150102101201"}, "co_orgs"),  # the responsible one itself
        ({"co_orgs": "nope"}, "co_orgs"),
        ({"handover_org": "150102101202"}, "handover_org"),  # not a campaign's fix
        ({"handover_org": "a b"}, "handover_org"),
    ],
)
def test_bad_fixes_are_refused_at_their_field(tree, people, data, field):
    p = a_problem(tree.village_a1)
    post = {
        "measure": "每月更新公开栏",
        "kind": "time_limited",
        "deadline": later(),
        "responsible_person": "王书记",
        **data,
    }
    response = login_client(people.town).post(f"/rectification/problems/{p.pk}/fix/", post)
    assert response.status_code == 200
    body = response.content.decode()
    assert f'data-testid="error-{field}"' in body, body[body.find("fix-form") :][:3000]
    if field != "measure":
        assert "每月更新公开栏" in body
    assert not Fix.objects.exists() and not FixStep.objects.exists()
    no_drift()


# --- a fix's page ----------------------------------------------------------------------


def test_the_fix_page_shows_the_buttons_of_the_map(tree, people):
    f = fix_at(tree.village_a1, people.village)
    village = login_client(people.village).get(f"/rectification/fixes/{f.pk}/").content.decode()
    for action in ("progress", "request_extension", "request_close", "prepare_commitment"):
        assert f'data-testid="step-{action}"' in village
    assert 'data-testid="step-approve_close"' not in village
    assert 'name="version" value="1"' in village
    sup = login_client(people.supervisor).get(f"/rectification/fixes/{f.pk}/").content.decode()
    assert 'data-testid="actions"' not in sup and "村务公开栏" in sup


def test_the_loop_through_the_pages_with_files(tree, people):
    f = fix_at(tree.village_a1, people.village)
    village = login_client(people.village)
    upload = SimpleUploadedFile("公开栏照片.pdf", PDF, content_type="application/pdf")
    r = village.post(
        f"/rectification/fixes/{f.pk}/progress/",
        {"version": 1, "note": "已更新三月公开栏", "public": "1", "attachments": upload},
    )
    assert r.status_code == 302
    file = FixEvidence.objects.get()
    page = village.get(f"/rectification/fixes/{f.pk}/").content.decode()
    assert "已更新三月公开栏" in page and f"/rectification/files/{file.pk}/" in page
    download = village.get(f"/rectification/files/{file.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    # a person of another village sees neither the fix nor its file
    other = login_client(people.other_village)
    assert other.get(f"/rectification/files/{file.pk}/").status_code == 404
    assert other.get(f"/rectification/fixes/{f.pk}/").status_code == 404
    r = village.post(
        f"/rectification/fixes/{f.pk}/request_close/", {"version": 2, "note": "全部完成"}
    )
    assert r.status_code == 302
    town = login_client(people.town)
    page = town.get(f"/rectification/fixes/{f.pk}/").content.decode()
    assert 'data-testid="step-approve_close"' in page
    r = town.post(f"/rectification/fixes/{f.pk}/approve_close/", {"version": 3, "confirmed": "1"})
    assert r.status_code == 302
    f.refresh_from_db()
    assert f.state == FixState.CLOSED
    page = town.get(f"/rectification/fixes/{f.pk}/").content.decode()
    assert "第 1 轮" in page and 'data-testid="step-rework"' in page
    r = town.post(
        f"/rectification/fixes/{f.pk}/rework/",
        {"version": 4, "confirmed": "1", "note": "群众不满意"},
    )
    page = town.get(f"/rectification/fixes/{f.pk}/").content.decode()
    assert 'data-testid="round-2"' in page and 'data-testid="round-1"' in page
    no_drift()


@pytest.mark.parametrize(
    ("action", "data", "field"),
    [
        ("progress", {"note": " "}, "note"),
        ("progress", {"note": "长" * 5001}, "note"),
        ("request_extension", {"note": "需要更多时间", "until": ""}, "until"),
        ("request_extension", {"note": "需要更多时间", "until": "2020-01-01"}, "until"),
        ("request_extension", {"note": "需要更多时间", "until": "下个月"}, "until"),
        ("request_extension", {"note": " ", "until": "+40"}, "note"),
        ("prepare_commitment", {"note": "承诺", "audience": "", "promised_on": "+5"}, "audience"),
        ("prepare_commitment", {"note": "承诺", "audience": "x", "promised_on": "+5"}, "audience"),
        (
            "prepare_commitment",
            {"note": "承诺", "audience": "public", "promised_on": "2020-01-01"},
            "promised_on",
        ),
        ("prepare_commitment", {"note": " ", "audience": "public", "promised_on": "+5"}, "note"),
        ("request_close", {"note": " "}, "note"),
        ("progress", {"note": "进展", "version": "7"}, "version"),
        ("progress", {"note": "进展", "version": ""}, "version"),
    ],
)
def test_bad_steps_are_refused_at_their_field_keeping_the_words(tree, people, action, data, field):
    f = fix_at(tree.village_a1, people.village)
    post = {"version": 1, **data}
    for k in ("until", "promised_on"):
        if str(post.get(k, "")).startswith("+"):
            post[k] = later(int(post[k][1:]))
    response = login_client(people.village).post(f"/rectification/fixes/{f.pk}/{action}/", post)
    assert response.status_code == 200
    body = response.content.decode()
    assert f'data-testid="error-{field}"' in body
    note = str(post.get("note", "")).strip()
    if note and len(note) < 100:
        assert note in body
    assert FixStep.objects.filter(fix=f).count() == 1
    assert Fix.objects.get(pk=f.pk).version == 1
    no_drift()


def test_a_file_of_the_wrong_kind_is_refused_at_its_field(tree, people):
    f = fix_at(tree.village_a1, people.village)
    upload = SimpleUploadedFile("照片.pdf", b"<html>not a pdf</html>")
    response = login_client(people.village).post(
        f"/rectification/fixes/{f.pk}/progress/",
        {"version": 1, "note": "已整改", "attachments": upload},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="error-attachments"' in body and "已整改" in body
    assert not FixEvidence.objects.exists() and FixStep.objects.filter(fix=f).count() == 1


def test_a_step_taken_first_by_someone_else_is_refused_keeping_the_words(tree, people):
    f = fix_at(tree.village_a1, people.village)
    fix_act(actor=people.village, fix=f, action="request_close", note="完成", version=1)
    # town2 approves first; town, looking at version 2, refuses the close-out
    fix_act(actor=people.town2, fix=f, action="approve_close", version=2)
    response = login_client(people.town).post(
        f"/rectification/fixes/{f.pk}/refuse_close/", {"version": 2, "note": "证据不足，请补充"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    with translation.override("zh-hans"):
        message = gettext(
            "This fix was changed by someone else while you were looking at it (it is now "
            "%(state)s); look at it again before you act."
        ) % {"state": FixState.CLOSED.label}
    assert escape(message) in body
    assert 'data-testid="lost-note"' in body and "证据不足，请补充" in body
    assert Fix.objects.get(pk=f.pk).state == FixState.CLOSED


def test_the_same_person_cannot_approve_their_own_close_out(tree, people):
    f = fix_at(tree.village_a1, people.town)  # the town may act on both sides of its village
    fix_act(actor=people.town, fix=f, action="request_close", note="完成", version=1)
    response = login_client(people.town).post(
        f"/rectification/fixes/{f.pk}/approve_close/", {"version": 2, "confirmed": "1"}
    )
    assert response.status_code == 400
    assert 'data-testid="error"' in response.content.decode()
    assert Fix.objects.get(pk=f.pk).state == FixState.CLOSE_REQUESTED


def test_a_confirmed_step_needs_its_box(tree, people):
    f = fix_at(tree.village_a1, people.village)
    fix_act(actor=people.village, fix=f, action="request_close", note="完成", version=1)
    response = login_client(people.town).post(
        f"/rectification/fixes/{f.pk}/approve_close/", {"version": 2}
    )
    assert response.status_code == 200
    assert 'data-testid="error-confirmed"' in response.content.decode()
    assert Fix.objects.get(pk=f.pk).state == FixState.CLOSE_REQUESTED


def test_an_unknown_step_or_fix_is_not_found(tree, people):
    f = fix_at(tree.village_a1, people.village)
    client = login_client(people.village)
    assert client.post(f"/rectification/fixes/{f.pk}/explode/", {}).status_code == 404
    assert client.get("/rectification/fixes/999999/").status_code == 404
    assert client.get("/rectification/files/999999/").status_code == 404


def test_the_navigation_links_the_ledger_for_those_who_read_it(tree, people, make_user):
    town = login_client(people.town).get(f"/opinions/orgs/{tree.town_a1.pk}/").content.decode()
    assert 'data-testid="nav-rectification"' in town and 'href="/rectification/"' in town
    member = login_client(make_user("member", tree.town_a1)).get("/").content.decode()
    assert 'data-testid="nav-rectification"' not in member
