"""The reveal service: full numbers only for a role that may see them, each reveal audited."""

import datetime as dt

import pytest

from massline.core.errors import Forbidden
from massline.core.models import AuditEvent
from massline.members.idnumber import make_id
from massline.members.services import member_create, member_reveal

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(tree):
    return member_create(
        actor=None, org=tree.village_a1, name="乌云", gender="female", ethnicity="02",
        id_number=make_id("150102", dt.date(1970, 5, 17), 102), category="retired",
        join_date=dt.date(1995, 7, 1), full_date=dt.date(1996, 7, 1), status="full",
        phone="13800138000",
    )  # fmt: skip


def test_member_reveal_returns_the_numbers_and_audits_without_them(tree, member, make_user):
    # given the branch secretary of the member's village
    secretary = make_user("org_admin", tree.village_a1, "this_org")
    # when
    number, phone = member_reveal(actor=secretary, member=member)
    # then
    assert number == make_id("150102", dt.date(1970, 5, 17), 102)
    assert phone == "13800138000"
    event = AuditEvent.objects.get(action="members.reveal")
    assert event.actor == secretary and event.org_id == tree.village_a1.pk
    assert event.target_id == str(member.pk)
    assert event.after == {"fields": ["id_number", "phone"]}
    assert number not in str(event.after) and number not in event.target_label


def test_member_reveal_is_forbidden_without_view_sensitive_at_the_members_org(
    tree, member, make_user
):
    # given a supervisor (sees the roster, not the full numbers) and an admin of another branch
    supervisor = make_user("supervisor", tree.root)
    elsewhere = make_user("org_admin", tree.branch_b1, "this_org")
    # when / then
    for actor in (supervisor, elsewhere):
        with pytest.raises(Forbidden):
            member_reveal(actor=actor, member=member)
    assert not AuditEvent.objects.filter(action="members.reveal").exists()
