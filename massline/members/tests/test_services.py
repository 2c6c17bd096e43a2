"""The roster services against a real database: what they store, what they refuse (writing
nothing and never echoing an ID number), the counters they move along the ancestor path, and
how members follow their organization when it moves and when a user's scope is applied."""

from __future__ import annotations

import json
import re
import traceback
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from massline.access.models import DataScope
from massline.access.policy import scoped
from massline.core import crypto
from massline.core.collation import name_sort_key
from massline.core.errors import ApplicationError
from massline.core.models import AuditEvent
from massline.members.idnumber import check_digit, make_id, normalize_id
from massline.members.models import (
    Category,
    Gender,
    Member,
    MemberEvent,
    MemberEventKind,
    MemberStatus,
    Mobility,
)
from massline.members.services import (
    member_create,
    member_make_full,
    member_mark_found,
    member_mark_lost,
    member_set_mobility,
    member_set_tracing_notes,
)
from massline.orgs import counters
from massline.orgs.models import Organization, OrgCounter, OrgKind, UnitType
from massline.orgs.paths import ancestor_ids
from massline.orgs.services import org_create, org_move

REGION = "150102"
BIRTH = date(1990, 5, 17)
JOIN = date(2015, 7, 1)
TODAY = date.today()
FULL_WIDTH = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")
MASKED_ID = re.compile(r"^\d{6}\*{8}\d{3}[\dX]$")
METRICS = (
    "members.total",
    "members.probationary",
    "members.outflow",
    "members.inflow",
    "members.lost_contact",
)


def _ending_in(last: str, birth: date = BIRTH) -> str:
    """The first ID number for REGION and this birth date whose check character is `last`."""
    return next(n for seq in range(1000) if (n := make_id(REGION, birth, seq))[-1] == last)


def _with_check_digit(first17: str) -> str:
    return first17 + check_digit(first17)


def _wrong_check(number: str) -> str:
    return number[:-1] + ("0" if number[-1] != "0" else "1")


ID_X = _ending_in("X")  # the `150102********123X` style
ID_MALE = make_id(REGION, BIRTH, 123)
ID_FEMALE = make_id(REGION, BIRTH, 124)
ID_OTHER = make_id("150202", date(1985, 3, 8), 301)
ID_LEAP = make_id(REGION, date(2000, 2, 29), 125)


def _create(*, org: Organization, **overrides: Any) -> Member:
    fields: dict[str, Any] = {
        "actor": None,
        "name": "张伟",
        "gender": "",
        "ethnicity": "01",
        "id_number": ID_X,
        "join_date": JOIN,
        "status": MemberStatus.PROBATIONARY,
        "category": Category.EMPLOYED,
    }
    fields.update(overrides)
    return member_create(org=org, **fields)


def _fresh(org: Organization) -> Organization:
    return Organization.objects.get(pk=org.pk)


def _counter_state() -> dict[tuple[str, str], tuple[int, int]]:
    """(organization code, metric) -> (own, subtree) of every member counter row."""
    return {
        (code, metric): (own, sub)
        for code, metric, own, sub in OrgCounter.objects.filter(
            metric__startswith="members."
        ).values_list("org__code", "metric", "own", "subtree")
    }


def _changes(
    before: dict[tuple[str, str], tuple[int, int]], after: dict[tuple[str, str], tuple[int, int]]
) -> dict[tuple[str, str], tuple[int, int]]:
    """What moved between two counter states, zero changes left out."""
    changes = {}
    for key in set(before) | set(after):
        old, new = before.get(key, (0, 0)), after.get(key, (0, 0))
        delta = (new[0] - old[0], new[1] - old[1])
        if delta != (0, 0):
            changes[key] = delta
    return changes


def _summed(
    *changes: dict[tuple[str, str], tuple[int, int]],
) -> dict[tuple[str, str], tuple[int, int]]:
    total: dict[tuple[str, str], tuple[int, int]] = {}
    for change in changes:
        for key, (own, sub) in change.items():
            old = total.get(key, (0, 0))
            total[key] = (old[0] + own, old[1] + sub)
    return total


def _along(org: Organization, deltas: dict[str, int]) -> dict[tuple[str, str], tuple[int, int]]:
    """The counter changes `deltas` at `org` make: own and subtree there, subtree above."""
    org = _fresh(org)
    by_id = Organization.objects.in_bulk(ancestor_ids(org.path))
    expected = {}
    for org_id in ancestor_ids(org.path):
        for metric, delta in deltas.items():
            if delta:
                expected[(by_id[org_id].code, metric)] = (
                    delta if org_id == org.pk else 0,
                    delta,
                )
    return expected


def _figure(org: Organization, metric: str) -> tuple[int, int]:
    return counters.read([org.pk]).get(org.pk, {}).get(metric, (0, 0))


def _everything() -> dict[str, Any]:
    """Every row a roster service may write, to show that a refusal wrote nothing."""
    return {
        "members": list(Member.objects.order_by("pk").values()),
        "member_events": MemberEvent.objects.count(),
        "audit_events": AuditEvent.objects.count(),
        "counters": _counter_state(),
    }


def _assert_never_shown(exc: ApplicationError, *secrets: str) -> None:
    """No secret (nor, for an ID number, the birth date inside it) in the error, its
    traceback, any audit row or any member history."""
    hidden = set()
    for secret in secrets:
        if secret.strip():
            hidden |= {secret, normalize_id(secret)}
            if len(normalize_id(secret)) >= 14:
                hidden.add(normalize_id(secret)[6:14])
    shown = [
        str(exc),
        exc.message,
        json.dumps(exc.as_dict(), ensure_ascii=False),
        "".join(traceback.format_exception(exc)),
        json.dumps(
            list(AuditEvent.objects.values("before", "after", "target_label")),
            ensure_ascii=False,
            default=str,
        ),
        json.dumps(list(MemberEvent.objects.values("detail")), ensure_ascii=False),
    ]
    for text in shown:
        for secret in hidden:
            assert secret not in text


@pytest.fixture
def general_branch(tree) -> Organization:
    return org_create(
        actor=None,
        parent=tree.town_a1,
        code="150102101299",
        name="中共保合少镇机关总支部委员会",
        kind=OrgKind.GENERAL_BRANCH,
        unit_type=UnitType.AGENCY,
    )


@pytest.fixture
def roster(tree) -> SimpleNamespace:
    """Members in every branch: two in village_a1 (one full and away), one in village_a2
    (come from elsewhere), one in branch_a2, one in branch_b1 (lost contact)."""
    r = SimpleNamespace()
    r.a1_probationary = _create(org=tree.village_a1, id_number=make_id(REGION, BIRTH, 11))
    r.a1_full = _create(
        org=tree.village_a1,
        id_number=make_id(REGION, BIRTH, 12),
        status=MemberStatus.FULL,
        full_date=date(2016, 7, 1),
    )
    member_set_mobility(
        actor=None,
        member=r.a1_full,
        mobility=Mobility.OUTFLOW,
        since=date(2020, 3, 1),
        place="北京市海淀区",
    )
    r.a2 = _create(org=tree.village_a2, id_number=make_id(REGION, BIRTH, 13))
    member_set_mobility(
        actor=None,
        member=r.a2,
        mobility=Mobility.INFLOW,
        since=date(2021, 4, 1),
        place="河北省张家口市",
        attached_org=tree.village_a2,
    )
    r.branch_a2 = _create(org=tree.branch_a2, id_number=make_id("150103", BIRTH, 14))
    r.branch_b1 = _create(org=tree.branch_b1, id_number=make_id("150202", BIRTH, 15))
    member_mark_lost(actor=None, member=r.branch_b1, since=date(2022, 1, 10))
    return r


# member_create: what is stored


def test_member_create_stores_name_and_the_person_from_the_id_number(tree):
    # given a female ID number and a name typed in traditional characters with spaces
    # when
    member = _create(org=tree.village_a1, name="  張麗 ", id_number=ID_FEMALE)
    # then
    member.refresh_from_db()
    assert member.name == "張麗"
    assert member.name_folded == "张丽"
    assert member.name_key == name_sort_key("张丽")
    assert member.gender == Gender.FEMALE
    assert member.birth_date == BIRTH
    assert member.org == tree.village_a1
    assert member.org_path == tree.village_a1.path
    assert member.status == MemberStatus.PROBATIONARY
    assert member.full_date is None


@pytest.mark.parametrize(
    ("number", "gender"),
    [(ID_MALE, Gender.MALE), (ID_FEMALE, Gender.FEMALE)],
    ids=["odd-17th-digit", "even-17th-digit"],
)
def test_member_create_takes_gender_from_the_17th_digit(tree, number, gender):
    # given no gender typed
    # when
    member = _create(org=tree.village_a1, id_number=number, gender="")
    # then
    assert Member.objects.get(pk=member.pk).gender == gender


def test_member_create_accepts_a_birth_date_and_gender_that_agree_with_the_id(tree):
    # given
    # when
    member = _create(org=tree.village_a1, id_number=ID_MALE, birth_date=BIRTH, gender="male")
    # then
    member.refresh_from_db()
    assert (member.birth_date, member.gender) == (BIRTH, Gender.MALE)


def test_member_create_stores_the_id_number_masked_encrypted_and_hashed(tree):
    # given an ID number whose check character is X
    # when
    member = _create(org=tree.village_a1, id_number=ID_X)
    # then
    member.refresh_from_db()
    assert member.id_masked == f"{REGION}********{ID_X[-4:]}"
    assert MASKED_ID.match(member.id_masked)
    assert member.id_masked.endswith("X")
    assert member.id_tail == ID_X[-4:]
    assert member.id_number_enc != ID_X
    assert ID_X not in member.id_number_enc
    assert crypto.decrypt(member.id_number_enc) == ID_X
    assert member.id_number_hash == crypto.lookup_hash(ID_X)


def test_member_create_keeps_the_clear_id_number_out_of_every_column(tree):
    # given
    # when
    member = _create(org=tree.village_a1, id_number=ID_X)
    # then
    row = Member.objects.filter(pk=member.pk).values().get()
    for value in row.values():
        assert ID_X not in str(value)
        assert ID_X[6:14] not in str(value)


@pytest.mark.parametrize(
    "typed",
    [
        ID_X.translate(FULL_WIDTH),
        ID_X.lower(),
        ID_X[:-1].translate(FULL_WIDTH) + "ｘ",
        f" {ID_X[:6]} {ID_X[6:14]} {ID_X[14:]} ",
        f"{ID_X[:6]}\u3000{ID_X[6:]}",
    ],
    ids=["full-width", "lower-case-x", "full-width-lower-case-x", "spaces", "ideographic-space"],
)
def test_member_create_normalizes_an_id_number_as_typed(tree, typed):
    # given an ID number as people type it
    # when
    member = _create(org=tree.village_a1, id_number=typed)
    # then it is stored as the plain ASCII number
    member.refresh_from_db()
    assert crypto.decrypt(member.id_number_enc) == ID_X
    assert member.id_number_hash == crypto.lookup_hash(ID_X)
    assert member.id_masked == f"{REGION}********{ID_X[-4:]}"
    assert member.id_tail == ID_X[-4:]
    assert member.birth_date == BIRTH


@pytest.mark.parametrize("phone", ["", "   "], ids=["empty", "blank"])
def test_member_create_without_a_phone_stores_none(tree, phone):
    # given
    # when
    member = _create(org=tree.village_a1, phone=phone)
    # then
    member.refresh_from_db()
    assert (member.phone_enc, member.phone_hash, member.phone_masked) == ("", "", "")


@pytest.mark.parametrize(
    "typed",
    [
        "13812341234",
        "+86 138 1234 1234",
        "+8613812341234",
        "0086 13812341234",
        "8613812341234",
        "138-1234-1234",
        "１３８１２３４１２３４",
        "＋８６　１３８　１２３４　１２３４",
    ],
)
def test_member_create_stores_a_phone_normalized_masked_encrypted_and_hashed(tree, typed):
    # given a mobile number as people type it
    # when
    member = _create(org=tree.village_a1, phone=typed)
    # then
    member.refresh_from_db()
    assert member.phone_masked == "138****1234"
    assert member.phone_enc != "13812341234"
    assert crypto.decrypt(member.phone_enc) == "13812341234"
    assert member.phone_hash == crypto.lookup_hash("13812341234")


@pytest.mark.parametrize(
    ("status", "probationary"),
    [(MemberStatus.PROBATIONARY, 1), (MemberStatus.FULL, 0)],
)
def test_member_create_counts_the_member_at_the_branch_and_every_ancestor(
    tree, status, probationary
):
    # given
    before = _counter_state()
    full_date = date(2016, 7, 1) if status == MemberStatus.FULL else None
    # when
    _create(org=tree.village_a1, status=status, full_date=full_date)
    # then only the branch and its ancestors moved
    assert _changes(before, _counter_state()) == _along(
        tree.village_a1, {"members.total": 1, "members.probationary": probationary}
    )
    assert _figure(tree.village_a1, "members.total") == (1, 1)
    for ancestor in (tree.town_a1, tree.county_a1, tree.pref_a, tree.root):
        assert _figure(ancestor, "members.total") == (0, 1)
        assert _figure(ancestor, "members.probationary") == (0, probationary)
    for other in (tree.village_a2, tree.county_a2, tree.branch_a2, tree.pref_b, tree.branch_b1):
        assert _figure(other, "members.total") == (0, 0)
    assert counters.rebuild(check_only=True) == []


def test_member_create_in_a_general_branch_is_counted_there(tree, general_branch):
    # given a general branch under the town
    before = _counter_state()
    # when
    member = _create(org=general_branch)
    # then
    assert member.org_path == general_branch.path
    assert _changes(before, _counter_state()) == _along(
        general_branch, {"members.total": 1, "members.probationary": 1}
    )
    assert counters.rebuild(check_only=True) == []


def test_member_create_records_joined_roster_in_the_history(tree, make_user):
    # given
    actor = make_user()
    # when
    member = _create(org=tree.village_a1, actor=actor)
    # then
    event = MemberEvent.objects.get(member=member)
    assert event.kind == MemberEventKind.JOINED_ROSTER
    assert event.on == timezone.localdate()
    assert event.actor == actor
    assert event.detail == {"org": tree.village_a1.code}


def test_member_create_writes_an_audit_row_with_the_masked_id_only(tree, make_user):
    # given
    actor = make_user()
    # when
    member = _create(org=tree.village_a1, actor=actor, phone="13812341234")
    # then
    audit = AuditEvent.objects.get(action="members.create")
    assert audit.actor == actor
    assert audit.org_id == tree.village_a1.pk
    assert audit.org_path == tree.village_a1.path
    assert (audit.target_type, audit.target_id) == ("members.member", str(member.pk))
    assert audit.before is None
    assert audit.after["id_number"] == f"{REGION}********{ID_X[-4:]}"
    assert audit.after["phone"] == "138****1234"
    assert audit.after["status"] == MemberStatus.PROBATIONARY
    stored = json.dumps([audit.before, audit.after, audit.target_label], ensure_ascii=False)
    for secret in (ID_X, ID_X[6:14], "13812341234", member.id_number_hash):
        assert secret not in stored


@pytest.mark.parametrize(
    ("number", "join_date"),
    [(ID_X, date(2008, 5, 17)), (ID_LEAP, date(2018, 3, 1))],
    ids=["on-the-18th-birthday", "born-29-february-on-1-march"],
)
def test_member_create_accepts_a_join_date_on_the_18th_birthday(tree, number, join_date):
    # given
    # when
    member = _create(org=tree.village_a1, id_number=number, join_date=join_date)
    # then
    assert Member.objects.get(pk=member.pk).join_date == join_date


# member_create: what is refused


BAD_INPUTS = [
    pytest.param({"id_number": _wrong_check(ID_X)}, "id_number", "id_checksum", id="checksum"),
    pytest.param({"id_number": ID_X[:-1]}, "id_number", "id_format", id="17-characters"),
    pytest.param({"id_number": ID_X + "1"}, "id_number", "id_format", id="19-characters"),
    pytest.param({"id_number": ""}, "id_number", "id_format", id="empty"),
    pytest.param(
        {"id_number": ID_X[:6] + "A" + ID_X[7:]}, "id_number", "id_format", id="letter-inside"
    ),
    pytest.param(
        {"id_number": ID_X[:6] + ID_X[8:17]}, "id_number", "id_old_format", id="15-digit-old"
    ),
    pytest.param(
        {"id_number": _with_check_digit(f"{REGION}19900230123")},
        "id_number",
        "id_birth_date",
        id="30-february",
    ),
    pytest.param(
        {"id_number": _with_check_digit(f"{REGION}19901301123")},
        "id_number",
        "id_birth_date",
        id="month-13",
    ),
    pytest.param(
        {"id_number": _with_check_digit(f"{REGION}19890229123")},
        "id_number",
        "id_birth_date",
        id="29-february-not-leap",
    ),
    pytest.param(
        {"id_number": make_id(REGION, date(1899, 12, 31), 123)},
        "id_number",
        "id_birth_date",
        id="before-1900",
    ),
    pytest.param(
        {"id_number": make_id(REGION, TODAY + timedelta(days=30), 123)},
        "id_number",
        "id_birth_date",
        id="born-in-the-future",
    ),
    pytest.param(
        {"birth_date": BIRTH + timedelta(days=1)}, "birth_date", "invalid", id="birth-date"
    ),
    pytest.param(
        {"id_number": ID_MALE, "gender": Gender.FEMALE}, "gender", "invalid", id="gender-female"
    ),
    pytest.param(
        {"id_number": ID_FEMALE, "gender": Gender.MALE}, "gender", "invalid", id="gender-male"
    ),
    pytest.param(
        {"join_date": date(2008, 5, 16)}, "join_date", "invalid", id="day-before-18th-birthday"
    ),
    pytest.param({"join_date": date(2001, 7, 1)}, "join_date", "invalid", id="joined-as-a-child"),
    pytest.param(
        {"id_number": ID_LEAP, "join_date": date(2018, 2, 28)},
        "join_date",
        "invalid",
        id="born-29-february-joined-28-february",
    ),
    pytest.param(
        {"status": MemberStatus.PROBATIONARY, "full_date": date(2016, 7, 1)},
        "full_date",
        "invalid",
        id="probationary-with-full-date",
    ),
    pytest.param({"phone": "12812341234"}, "phone", "phone_format", id="phone-12"),
    pytest.param({"phone": "1381234123"}, "phone", "phone_format", id="phone-10-digits"),
    pytest.param({"phone": "138123412345"}, "phone", "phone_format", id="phone-12-digits"),
    pytest.param({"phone": "010-12345678"}, "phone", "phone_format", id="phone-landline"),
    pytest.param({"phone": "+1 138 1234 1234"}, "phone", "phone_format", id="phone-foreign"),
    pytest.param({"phone": "138abcd1234"}, "phone", "phone_format", id="phone-letters"),
]


@pytest.mark.parametrize(("overrides", "field", "code"), BAD_INPUTS)
def test_member_create_refuses_bad_input_and_writes_nothing(tree, overrides, field, code):
    # given a roster with one member in another branch
    _create(org=tree.branch_b1, id_number=ID_OTHER)
    before = _everything()
    # when
    with pytest.raises(ApplicationError) as caught:
        _create(org=tree.village_a1, **overrides)
    # then
    assert caught.value.field == field
    assert caught.value.code == code
    assert _everything() == before
    assert counters.rebuild(check_only=True) == []
    _assert_never_shown(caught.value, overrides.get("id_number", ID_X), overrides.get("phone", ""))


@pytest.mark.parametrize("org_name", ["town_a1", "county_a1", "pref_a", "root"])
def test_member_create_refuses_an_organization_that_is_not_a_branch(tree, org_name):
    # given a party committee
    committee = getattr(tree, org_name)
    before = _everything()
    # when
    with pytest.raises(ApplicationError) as caught:
        _create(org=committee)
    # then
    assert caught.value.field == "org"
    assert _everything() == before
    _assert_never_shown(caught.value, ID_X)


@pytest.mark.parametrize(
    "typed",
    [
        ID_X,
        ID_X.translate(FULL_WIDTH),
        ID_X.lower(),
        ID_X[:-1].translate(FULL_WIDTH) + "ｘ",
        f"{ID_X[:6]} {ID_X[6:14]} {ID_X[14:]}",
    ],
    ids=["same", "full-width", "lower-case-x", "full-width-lower-case-x", "spaces"],
)
def test_member_create_refuses_an_id_number_already_in_the_roster(tree, typed):
    # given a member with this ID number in another branch
    _create(org=tree.branch_b1, id_number=ID_X, name="李强")
    before = _everything()
    # when the same number is entered again, however it is typed
    with pytest.raises(ApplicationError) as caught:
        _create(org=tree.village_a1, id_number=typed)
    # then
    assert caught.value.field == "id_number"
    assert caught.value.code == "duplicate_id"
    assert f"{REGION}********{ID_X[-4:]}" in str(caught.value)
    assert _everything() == before
    _assert_never_shown(caught.value, ID_X, typed)


# member_make_full


def test_member_make_full_turns_a_probationary_member_full(tree, make_user):
    # given
    actor = make_user()
    member = _create(org=tree.village_a1, actor=actor)
    # when
    member_make_full(actor=actor, member=member, on=date(2016, 7, 1))
    # then
    member.refresh_from_db()
    assert member.status == MemberStatus.FULL
    assert member.full_date == date(2016, 7, 1)
    event = MemberEvent.objects.get(member=member, kind=MemberEventKind.STATUS)
    assert (event.on, event.actor, event.detail) == (date(2016, 7, 1), actor, {"status": "full"})
    audit = AuditEvent.objects.get(action="members.status")
    assert audit.before["status"] == MemberStatus.PROBATIONARY
    assert audit.after["status"] == MemberStatus.FULL
    assert audit.after["full_date"] == "2016-07-01"
    assert audit.after["id_number"] == member.id_masked


def test_member_make_full_drops_probationary_along_the_ancestors(tree):
    # given
    member = _create(org=tree.village_a1)
    _create(org=tree.village_a2, id_number=ID_OTHER)
    before = _counter_state()
    # when
    member_make_full(actor=None, member=member, on=date(2016, 7, 1))
    # then the total stays, probationary drops at the branch and every ancestor only
    assert _changes(before, _counter_state()) == _along(
        tree.village_a1, {"members.probationary": -1}
    )
    assert _figure(tree.town_a1, "members.probationary") == (0, 1)
    assert _figure(tree.town_a1, "members.total") == (0, 2)
    assert counters.rebuild(check_only=True) == []


def test_member_make_full_on_the_join_date_is_accepted(tree):
    # given
    member = _create(org=tree.village_a1)
    # when
    member_make_full(actor=None, member=member, on=JOIN)
    # then
    assert Member.objects.get(pk=member.pk).full_date == JOIN


def test_member_make_full_refuses_a_full_member_and_writes_nothing(tree):
    # given
    member = _create(org=tree.village_a1, status=MemberStatus.FULL, full_date=date(2016, 7, 1))
    before = _everything()
    # when
    with pytest.raises(ApplicationError) as caught:
        member_make_full(actor=None, member=member, on=date(2017, 1, 1))
    # then
    assert caught.value.field == "status"
    assert _everything() == before
    assert counters.rebuild(check_only=True) == []
    _assert_never_shown(caught.value, ID_X)


def test_member_make_full_refuses_a_second_promotion(tree):
    # given a member already made full
    member = _create(org=tree.village_a1)
    member_make_full(actor=None, member=member, on=date(2016, 7, 1))
    before = _everything()
    # when the stale object is promoted again
    with pytest.raises(ApplicationError) as caught:
        member_make_full(actor=None, member=member, on=date(2016, 8, 1))
    # then
    assert caught.value.field == "status"
    assert _everything() == before
    assert counters.rebuild(check_only=True) == []


def test_member_make_full_refuses_a_date_before_the_join_date(tree):
    # given
    member = _create(org=tree.village_a1)
    before = _everything()
    # when
    with pytest.raises(ApplicationError) as caught:
        member_make_full(actor=None, member=member, on=JOIN - timedelta(days=1))
    # then
    assert caught.value.field == "full_date"
    assert _everything() == before
    assert counters.rebuild(check_only=True) == []
    _assert_never_shown(caught.value, ID_X)


# member_set_mobility


def test_member_set_mobility_outflow_records_where_and_since(tree, make_user):
    # given
    actor = make_user()
    member = _create(org=tree.village_a1)
    # when
    member_set_mobility(
        actor=actor,
        member=member,
        mobility=Mobility.OUTFLOW,
        since=date(2020, 3, 1),
        place=" 北京市海淀区 ",
        contact=" 13812341234 ",
    )
    # then
    member.refresh_from_db()
    assert member.mobility == Mobility.OUTFLOW
    assert member.mobility_since == date(2020, 3, 1)
    assert member.mobility_place == "北京市海淀区"
    assert member.mobility_contact == "13812341234"
    assert member.attached_org is None
    event = MemberEvent.objects.get(member=member, kind=MemberEventKind.MOBILITY)
    assert (event.on, event.actor) == (date(2020, 3, 1), actor)
    assert event.detail == {"mobility": "outflow", "place": "北京市海淀区"}
    audit = AuditEvent.objects.get(action="members.mobility")
    assert (audit.before["mobility"], audit.after["mobility"]) == ("", "outflow")


def test_member_set_mobility_outflow_ignores_an_attached_organization(tree):
    # given
    member = _create(org=tree.village_a1)
    # when
    member_set_mobility(
        actor=None,
        member=member,
        mobility=Mobility.OUTFLOW,
        since=date(2020, 3, 1),
        place="北京市海淀区",
        attached_org=tree.village_a2,
    )
    # then
    assert Member.objects.get(pk=member.pk).attached_org is None


def test_member_set_mobility_inflow_attaches_the_member_to_a_branch(tree):
    # given
    member = _create(org=tree.village_a1)
    # when
    member_set_mobility(
        actor=None,
        member=member,
        mobility=Mobility.INFLOW,
        since=date(2021, 4, 1),
        place="河北省张家口市",
        attached_org=tree.village_a2,
    )
    # then
    member.refresh_from_db()
    assert member.mobility == Mobility.INFLOW
    assert member.attached_org == tree.village_a2
    assert member.mobility_place == "河北省张家口市"


@pytest.mark.parametrize(
    ("mobility", "extra"),
    [
        (Mobility.OUTFLOW, {"place": "北京市海淀区"}),
        (Mobility.INFLOW, {"attached_org": "village_a2"}),
    ],
)
def test_member_set_mobility_counts_along_the_ancestors_and_back(tree, mobility, extra):
    # given
    member = _create(org=tree.village_a1)
    extra = {k: getattr(tree, v) if k == "attached_org" else v for k, v in extra.items()}
    start = _counter_state()
    # when
    member_set_mobility(
        actor=None, member=member, mobility=mobility, since=date(2020, 3, 1), **extra
    )
    # then
    expected = _along(tree.village_a1, {f"members.{mobility}": 1})
    if mobility == Mobility.INFLOW:
        # attached to another branch: counted away at home, hosted where they take part
        expected = _summed(
            _along(tree.village_a1, {f"members.{mobility}": 1, "members.away": 1}),
            _along(tree.village_a2, {"members.hosted": 1}),
        )
    assert _changes(start, _counter_state()) == expected
    assert counters.rebuild(check_only=True) == []
    # when back to none
    member_set_mobility(actor=None, member=member, mobility="")
    # then
    assert _changes(start, _counter_state()) == {}
    assert counters.rebuild(check_only=True) == []


def test_member_set_mobility_back_to_none_clears_every_detail(tree):
    # given an inflow member
    member = _create(org=tree.village_a1)
    member_set_mobility(
        actor=None,
        member=member,
        mobility=Mobility.INFLOW,
        since=date(2021, 4, 1),
        place="河北省张家口市",
        contact="张家口市委组织部",
        attached_org=tree.village_a2,
    )
    # when
    member_set_mobility(actor=None, member=member, mobility="", since=date(2022, 1, 1))
    # then
    member.refresh_from_db()
    assert member.mobility == ""
    assert member.mobility_since is None
    assert member.mobility_place == ""
    assert member.mobility_contact == ""
    assert member.attached_org is None
    assert MemberEvent.objects.filter(member=member, kind=MemberEventKind.MOBILITY).count() == 2


def test_member_set_mobility_from_outflow_to_inflow_moves_one_counter_to_the_other(tree):
    # given an outflow member
    member = _create(org=tree.village_a1)
    member_set_mobility(
        actor=None, member=member, mobility=Mobility.OUTFLOW, since=date(2020, 3, 1), place="京"
    )
    before = _counter_state()
    # when
    member_set_mobility(
        actor=None,
        member=member,
        mobility=Mobility.INFLOW,
        since=date(2021, 4, 1),
        attached_org=tree.village_a2,
    )
    # then
    assert _changes(before, _counter_state()) == _summed(
        _along(tree.village_a1, {"members.outflow": -1, "members.inflow": 1, "members.away": 1}),
        _along(tree.village_a2, {"members.hosted": 1}),
    )
    assert counters.rebuild(check_only=True) == []


def test_member_set_mobility_again_with_the_same_kind_leaves_counters_alone(tree):
    # given an outflow member
    member = _create(org=tree.village_a1)
    member_set_mobility(
        actor=None, member=member, mobility=Mobility.OUTFLOW, since=date(2020, 3, 1), place="京"
    )
    before = _counter_state()
    # when the member moves on to another place
    member_set_mobility(
        actor=None, member=member, mobility=Mobility.OUTFLOW, since=date(2021, 3, 1), place="津"
    )
    # then
    assert _changes(before, _counter_state()) == {}
    assert Member.objects.get(pk=member.pk).mobility_place == "津"
    assert counters.rebuild(check_only=True) == []


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"mobility": Mobility.OUTFLOW, "place": "北京市海淀区"}, "since"),
        ({"mobility": Mobility.OUTFLOW, "since": date(2020, 3, 1)}, "place"),
        ({"mobility": Mobility.OUTFLOW, "since": date(2020, 3, 1), "place": " \u3000"}, "place"),
        ({"mobility": Mobility.INFLOW, "attached_org": "village_a2"}, "since"),
        ({"mobility": Mobility.INFLOW, "since": date(2020, 3, 1)}, "attached_org"),
        (
            {"mobility": Mobility.INFLOW, "since": date(2020, 3, 1), "attached_org": "town_a1"},
            "attached_org",
        ),
        (
            {"mobility": Mobility.INFLOW, "since": date(2020, 3, 1), "attached_org": "county_b1"},
            "attached_org",
        ),
        ({"mobility": "abroad", "since": date(2020, 3, 1), "place": "x"}, "mobility"),
    ],
    ids=[
        "outflow-without-since",
        "outflow-without-place",
        "outflow-blank-place",
        "inflow-without-since",
        "inflow-without-branch",
        "inflow-at-a-town-committee",
        "inflow-at-a-county-committee",
        "unknown-mobility",
    ],
)
def test_member_set_mobility_refuses_incomplete_input_and_writes_nothing(tree, arguments, field):
    # given
    member = _create(org=tree.village_a1)
    arguments = {k: getattr(tree, v) if k == "attached_org" else v for k, v in arguments.items()}
    before = _everything()
    # when
    with pytest.raises(ApplicationError) as caught:
        member_set_mobility(actor=None, member=member, **arguments)
    # then
    assert caught.value.field == field
    assert _everything() == before
    assert counters.rebuild(check_only=True) == []
    _assert_never_shown(caught.value, ID_X)


# member_mark_lost and member_mark_found


def test_member_mark_lost_records_since_and_notes_and_counts(tree, make_user):
    # given
    actor = make_user()
    member = _create(org=tree.village_a1)
    before = _counter_state()
    # when
    member_mark_lost(actor=actor, member=member, since=date(2022, 1, 10), notes=" 电话停机 ")
    # then
    member.refresh_from_db()
    assert member.lost_contact is True
    assert member.lost_since == date(2022, 1, 10)
    assert member.lost_notes == "电话停机"
    assert member.found_on is None
    assert _changes(before, _counter_state()) == _along(
        tree.village_a1, {"members.lost_contact": 1}
    )
    event = MemberEvent.objects.get(member=member, kind=MemberEventKind.LOST)
    assert (event.on, event.actor) == (date(2022, 1, 10), actor)
    audit = AuditEvent.objects.get(action="members.lost")
    assert (audit.before["lost_contact"], audit.after["lost_contact"]) == (False, True)
    assert counters.rebuild(check_only=True) == []


def test_member_mark_found_clears_lost_contact_and_counts(tree, make_user):
    # given a member who lost contact
    actor = make_user()
    member = _create(org=tree.village_a1)
    member_mark_lost(actor=None, member=member, since=date(2022, 1, 10), notes="电话停机")
    before = _counter_state()
    # when
    member_mark_found(actor=actor, member=member, on=date(2022, 6, 1), notes="已回村")
    # then
    member.refresh_from_db()
    assert member.lost_contact is False
    assert member.found_on == date(2022, 6, 1)
    assert member.lost_since == date(2022, 1, 10)
    assert member.lost_notes == "电话停机\n已回村"
    assert _changes(before, _counter_state()) == _along(
        tree.village_a1, {"members.lost_contact": -1}
    )
    event = MemberEvent.objects.get(member=member, kind=MemberEventKind.FOUND)
    assert (event.on, event.actor) == (date(2022, 6, 1), actor)
    audit = AuditEvent.objects.get(action="members.found")
    assert (audit.before["lost_contact"], audit.after["lost_contact"]) == (True, False)
    assert counters.rebuild(check_only=True) == []


def test_member_mark_found_on_the_day_contact_was_lost_is_accepted(tree):
    # given
    member = _create(org=tree.village_a1)
    member_mark_lost(actor=None, member=member, since=date(2022, 1, 10))
    # when
    member_mark_found(actor=None, member=member, on=date(2022, 1, 10))
    # then
    assert Member.objects.get(pk=member.pk).lost_contact is False


def test_member_mark_lost_again_after_being_found_starts_afresh(tree):
    # given a member found again
    member = _create(org=tree.village_a1)
    member_mark_lost(actor=None, member=member, since=date(2022, 1, 10))
    member_mark_found(actor=None, member=member, on=date(2022, 6, 1))
    # when contact is lost once more
    member_mark_lost(actor=None, member=member, since=date(2023, 2, 1))
    # then
    member.refresh_from_db()
    assert (member.lost_contact, member.lost_since, member.found_on) == (
        True,
        date(2023, 2, 1),
        None,
    )
    assert _figure(tree.root, "members.lost_contact") == (0, 1)
    assert counters.rebuild(check_only=True) == []


def test_member_mark_lost_twice_is_refused_and_writes_nothing(tree):
    # given a member who lost contact
    member = _create(org=tree.village_a1)
    member_mark_lost(actor=None, member=member, since=date(2022, 1, 10))
    before = _everything()
    # when
    with pytest.raises(ApplicationError) as caught:
        member_mark_lost(actor=None, member=member, since=date(2022, 2, 1))
    # then
    assert caught.value.field == "lost_contact"
    assert _everything() == before
    assert counters.rebuild(check_only=True) == []
    _assert_never_shown(caught.value, ID_X)


@pytest.mark.parametrize("ever_lost", [False, True], ids=["never-lost", "already-found"])
def test_member_mark_found_of_a_member_in_contact_is_refused_and_writes_nothing(tree, ever_lost):
    # given a member in contact
    member = _create(org=tree.village_a1)
    if ever_lost:
        member_mark_lost(actor=None, member=member, since=date(2022, 1, 10))
        member_mark_found(actor=None, member=member, on=date(2022, 6, 1))
    before = _everything()
    # when
    with pytest.raises(ApplicationError) as caught:
        member_mark_found(actor=None, member=member, on=date(2022, 7, 1))
    # then
    assert caught.value.field == "lost_contact"
    assert _everything() == before
    assert counters.rebuild(check_only=True) == []


def test_member_mark_found_before_contact_was_lost_is_refused_and_writes_nothing(tree):
    # given
    member = _create(org=tree.village_a1)
    member_mark_lost(actor=None, member=member, since=date(2022, 1, 10))
    before = _everything()
    # when
    with pytest.raises(ApplicationError) as caught:
        member_mark_found(actor=None, member=member, on=date(2022, 1, 9))
    # then
    assert caught.value.field == "found_on"
    assert _everything() == before
    assert counters.rebuild(check_only=True) == []
    _assert_never_shown(caught.value, ID_X)


def test_member_set_tracing_notes_rewrites_the_notes_of_a_member_still_lost(tree, make_user):
    # given a member who lost contact
    actor = make_user()
    member = _create(org=tree.village_a1)
    member_mark_lost(actor=None, member=member, since=date(2022, 1, 10), notes="电话停机")
    before = _counter_state()
    # when
    member_set_tracing_notes(actor=actor, member=member, notes=" 电话停机；已问其亲属 ")
    # then the notes changed, the status and the counters did not
    member.refresh_from_db()
    assert member.lost_notes == "电话停机；已问其亲属"
    assert (member.lost_contact, member.lost_since) == (True, date(2022, 1, 10))
    assert _changes(before, _counter_state()) == {}
    event = MemberEvent.objects.get(member=member, kind=MemberEventKind.UPDATED)
    assert (event.on, event.actor, event.detail) == (
        timezone.localdate(),
        actor,
        {"fields": ["lost_notes"]},
    )
    audit = AuditEvent.objects.get(action="members.tracing")
    assert audit.target_id == str(member.pk)
    assert counters.rebuild(check_only=True) == []


@pytest.mark.parametrize("ever_lost", [False, True], ids=["never-lost", "already-found"])
def test_member_set_tracing_notes_of_a_member_in_contact_is_refused(tree, ever_lost):
    # given a member in contact
    member = _create(org=tree.village_a1)
    if ever_lost:
        member_mark_lost(actor=None, member=member, since=date(2022, 1, 10), notes="电话停机")
        member_mark_found(actor=None, member=member, on=date(2022, 6, 1))
    before = _everything()
    # when
    with pytest.raises(ApplicationError) as caught:
        member_set_tracing_notes(actor=None, member=member, notes="新的线索")
    # then
    assert caught.value.field == "lost_contact"
    assert _everything() == before


def test_every_kind_of_change_in_turn_leaves_no_counter_drift(tree, roster):
    # given members in every branch, some away, inflow or lost
    # when each of them goes through more changes
    member_make_full(actor=None, member=roster.a1_probationary, on=date(2016, 7, 1))
    member_set_mobility(actor=None, member=roster.a1_full, mobility="")
    member_mark_lost(actor=None, member=roster.a2, since=date(2023, 1, 1))
    member_mark_found(actor=None, member=roster.branch_b1, on=date(2023, 5, 1))
    member_set_mobility(
        actor=None,
        member=roster.branch_a2,
        mobility=Mobility.INFLOW,
        since=date(2023, 2, 1),
        attached_org=tree.branch_b1,
    )
    # then
    assert counters.rebuild(check_only=True) == []
    assert _figure(tree.root, "members.total") == (0, 5)
    assert _figure(tree.root, "members.probationary") == (0, 3)
    assert _figure(tree.root, "members.outflow") == (0, 0)
    assert _figure(tree.root, "members.inflow") == (0, 2)
    assert _figure(tree.root, "members.lost_contact") == (0, 1)


# org_move carries the members


def test_org_move_rewrites_member_paths_of_the_whole_subtree(tree, roster):
    # given members under county_a1 (village_a1, village_a2) and elsewhere
    outside = {m.pk: m.org_path for m in (roster.branch_a2, roster.branch_b1)}
    # when county_a1 moves from pref_a to pref_b
    org_move(actor=None, org=tree.county_a1, new_parent=tree.pref_b)
    # then every member's path is its organization's path again
    for member in Member.objects.select_related("org"):
        assert member.org_path == member.org.path
    moved = Member.objects.filter(org__in=[tree.village_a1, tree.village_a2])
    assert moved.count() == 3
    for member in moved:
        assert member.org_path.startswith(_fresh(tree.pref_b).path)
    for pk, path in outside.items():
        assert Member.objects.get(pk=pk).org_path == path


def test_org_move_rewrites_the_audit_paths_of_the_members(tree, roster):
    # given
    # when
    org_move(actor=None, org=tree.county_a1, new_parent=tree.pref_b)
    # then
    audit = AuditEvent.objects.get(action="members.create", target_id=str(roster.a2.pk))
    assert audit.org_path == _fresh(tree.village_a2).path


def test_org_move_moves_the_member_counters_to_the_new_ancestors(tree, roster):
    # given
    before = {
        (name, metric): _figure(getattr(tree, name), metric)
        for name in ("root", "pref_a", "pref_b", "county_a1", "village_a1")
        for metric in METRICS
    }
    # when
    org_move(actor=None, org=tree.county_a1, new_parent=tree.pref_b)
    # then the subtree's figures left pref_a for pref_b; the root and the subtree kept theirs
    moved = {m: before[("county_a1", m)][1] for m in METRICS}
    assert moved == {
        "members.total": 3,
        "members.probationary": 2,
        "members.outflow": 1,
        "members.inflow": 1,
        "members.lost_contact": 0,
    }
    for metric in METRICS:
        old_a, old_b = before[("pref_a", metric)], before[("pref_b", metric)]
        assert _figure(tree.pref_a, metric) == (old_a[0], old_a[1] - moved[metric])
        assert _figure(tree.pref_b, metric) == (old_b[0], old_b[1] + moved[metric])
        for name in ("root", "county_a1", "village_a1"):
            assert _figure(getattr(tree, name), metric) == before[(name, metric)]
    assert _figure(tree.pref_a, "members.total") == (0, 1)
    assert _figure(tree.pref_b, "members.total") == (0, 4)
    assert counters.rebuild(check_only=True) == []


def test_members_created_and_changed_after_a_move_count_under_the_new_ancestors(tree, roster):
    # given county_a1 moved under pref_b
    org_move(actor=None, org=tree.county_a1, new_parent=tree.pref_b)
    village = _fresh(tree.village_a1)
    # when
    member = _create(org=village, id_number=ID_X)
    member_mark_lost(actor=None, member=roster.a1_full, since=date(2023, 1, 1))
    # then
    assert member.org_path == village.path
    assert _figure(tree.pref_b, "members.total") == (0, 5)
    assert _figure(tree.pref_a, "members.total") == (0, 1)
    assert _figure(tree.pref_b, "members.lost_contact") == (0, 2)
    assert counters.rebuild(check_only=True) == []


def test_org_move_that_fails_leaves_member_paths_and_counters_as_they_were(
    tree, roster, monkeypatch
):
    # given a move that fails at its last step (the audit row)
    before = _everything()
    paths = dict(Organization.objects.values_list("pk", "path"))

    def broken_audit(**kwargs: Any) -> None:
        raise RuntimeError("audit unavailable")

    monkeypatch.setattr("massline.orgs.services.audit_record", broken_audit)
    # when
    with pytest.raises(RuntimeError):
        org_move(actor=None, org=tree.county_a1, new_parent=tree.pref_b)
    # then the member paths were rewritten in the same transaction, and rolled back with it
    assert _everything() == before
    assert dict(Organization.objects.values_list("pk", "path")) == paths
    assert counters.rebuild(check_only=True) == []


# scoped


@pytest.mark.parametrize(
    ("org_name", "scope", "expected"),
    [
        ("root", DataScope.SUBTREE, {"a1_probationary", "a1_full", "a2", "branch_a2", "branch_b1"}),
        ("pref_a", DataScope.SUBTREE, {"a1_probationary", "a1_full", "a2", "branch_a2"}),
        ("county_a1", DataScope.SUBTREE, {"a1_probationary", "a1_full", "a2"}),
        ("town_a1", DataScope.SUBTREE, {"a1_probationary", "a1_full", "a2"}),
        ("village_a1", DataScope.SUBTREE, {"a1_probationary", "a1_full"}),
        ("pref_b", DataScope.SUBTREE, {"branch_b1"}),
        ("village_a1", DataScope.THIS_ORG, {"a1_probationary", "a1_full"}),
        ("village_a2", DataScope.THIS_ORG, {"a2"}),
        ("branch_b1", DataScope.THIS_ORG, {"branch_b1"}),
        ("town_a1", DataScope.THIS_ORG, set()),
        ("county_a1", DataScope.THIS_ORG, set()),
    ],
)
def test_scoped_members_are_those_the_users_scope_covers(
    tree, roster, make_user, org_name, scope, expected
):
    # given
    user = make_user("org_admin", getattr(tree, org_name), scope)
    # when
    seen = scoped(Member.objects.all(), user, "orgs.view")
    # then
    assert set(seen.values_list("pk", flat=True)) == {getattr(roster, n).pk for n in expected}


def test_scoped_members_for_a_user_without_a_role_is_empty(tree, roster, make_user):
    # given
    user = make_user()
    # when
    seen = scoped(Member.objects.all(), user, "orgs.view")
    # then
    assert not seen.exists()


def test_scoped_members_follow_their_organization_when_it_moves(tree, roster, make_user):
    # given users over both prefectures
    over_a = make_user("org_admin", tree.pref_a, DataScope.SUBTREE)
    over_b = make_user("org_admin", tree.pref_b, DataScope.SUBTREE)
    # when county_a1 moves under pref_b
    org_move(actor=None, org=tree.county_a1, new_parent=tree.pref_b)
    # then its members are seen from pref_b and no longer from pref_a
    seen_a = set(scoped(Member.objects.all(), over_a, "orgs.view").values_list("pk", flat=True))
    seen_b = set(scoped(Member.objects.all(), over_b, "orgs.view").values_list("pk", flat=True))
    assert seen_a == {roster.branch_a2.pk}
    assert seen_b == {
        roster.a1_probationary.pk,
        roster.a1_full.pk,
        roster.a2.pk,
        roster.branch_b1.pk,
    }


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"full_date": date(2004, 1, 1)}, "full_date"),
        ({"ethnicity": "99"}, "ethnicity"),
        ({"category": "astronaut"}, "category"),
        ({"status": "honorary"}, "status"),
    ],
)
def test_bad_codes_and_dates_answer_with_an_application_error(tree, changes, field):
    # given a member whose join date is 2005-07-01
    data = {
        "actor": None,
        "org": tree.village_a1,
        "name": "王芳",
        "gender": "",
        "ethnicity": "01",
        "id_number": make_id("150102", date(1980, 1, 2), 7),
        "join_date": date(2005, 7, 1),
        "status": "full",
        "category": "employed",
        "full_date": date(2006, 7, 1),
        **changes,
    }
    # when / then
    with pytest.raises(ApplicationError) as caught:
        member_create(**data)
    assert caught.value.field == field
    assert not Member.objects.exists()
