import csv
import gc
import random
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from massline.core import crypto
from massline.core.collation import name_sort_key
from massline.core.errors import ApplicationError
from massline.core.models import AuditEvent
from massline.core.reference import ETHNIC_GROUPS
from massline.demo.members import generate_members
from massline.demo.members.people import Branch, IdBlocks, allocate, region_of
from massline.members import template
from massline.members.idnumber import make_id, mask_id, mask_phone, validate_id, validate_phone
from massline.members.models import Member
from massline.members.services import member_create
from massline.orgs import counters
from massline.orgs.models import OrgCounter

pytestmark = pytest.mark.django_db

TODAY = date(2025, 6, 30)
BRANCH_REGIONS = {
    "150102101201": "150102",
    "150102101202": "150102",
    "150103000000-A001": "150103",
    "150202000000-A001": "150202",
}


def _roster() -> list[tuple[str, str, str, str, date]]:
    """(org code, name, ID number, phone, join date) of every member, in id order."""
    members = list(Member.objects.select_related("org").order_by("id"))
    numbers = crypto.decrypt_many(m.id_number_enc for m in members)
    phones = [crypto.decrypt(m.phone_enc) if m.phone_enc else "" for m in members]
    return [
        (m.org.code, m.name, number, phone, m.join_date)
        for m, number, phone in zip(members, numbers, phones, strict=True)
    ]


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


# Determinism


def test_the_same_seed_gives_the_same_members_on_a_fresh_tree(tree):
    # given a roster generated with seed 5
    generate_members(actor=None, count=300, seed=5, today=TODAY)
    first = _roster()
    # when the roster is emptied and generated again with the same seed
    Member.objects.all().delete()
    counters.rebuild()
    generate_members(actor=None, count=300, seed=5, today=TODAY)
    # then the same people, with the same ID numbers, are in the same branches
    assert _roster() == first
    assert len(first) == 300


def test_another_seed_gives_other_members(tree):
    # given
    generate_members(actor=None, count=200, seed=1, today=TODAY)
    first = _roster()
    Member.objects.all().delete()
    # when
    generate_members(actor=None, count=200, seed=2, today=TODAY)
    # then
    assert [row[1:3] for row in _roster()] != [row[1:3] for row in first]


def test_csv_output_holds_the_members_the_database_would_get(tree, tmp_path):
    # given the same seed written to a file first, into the database then
    path = tmp_path / "roster.csv"
    generate_members(actor=None, count=120, seed=9, output=path, today=TODAY)
    generate_members(actor=None, count=120, seed=9, today=TODAY)
    # when
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    # then
    expected = [(code, name, number, phone) for code, name, number, phone, _join in _roster()]
    assert [(r["所在党组织编码"], r["姓名"], r["公民身份号码"], r["手机号码"]) for r in rows] == (
        expected
    )


# What each member is


def test_every_generated_member_keeps_the_rules_of_the_roster(tree):
    # given
    generate_members(actor=None, count=1500, seed=3, today=TODAY)
    members = list(Member.objects.select_related("org").order_by("id"))
    numbers = crypto.decrypt_many(m.id_number_enc for m in members)
    # when / then
    assert len(members) == 1500
    for member, number in zip(members, numbers, strict=True):
        info = validate_id(number, today=TODAY)
        assert info.birth_date == member.birth_date
        assert info.gender == member.gender
        assert info.region_code == BRANCH_REGIONS[member.org.code]
        assert member.id_masked == mask_id(number)
        assert member.id_tail == number[-4:]
        assert member.id_number_hash == crypto.lookup_hash(number)
        assert member.org_path == member.org.path
        assert member.name_folded == member.name
        assert member.name_key == name_sort_key(member.name)
        assert date(1935, 1, 1) <= member.birth_date <= date(2005, 12, 31)
        assert _add_years(member.birth_date, 18) <= member.join_date <= TODAY
        if member.status == "full":
            assert member.full_date == _add_years(member.join_date, 1)
            assert member.full_date <= TODAY
        else:
            assert member.full_date is None
            assert (TODAY - member.join_date).days <= 365
        if member.phone_enc:
            phone = validate_phone(crypto.decrypt(member.phone_enc))
            assert member.phone_hash == crypto.lookup_hash(phone)
            assert member.phone_masked == mask_phone(phone)
        else:
            assert member.phone_hash == member.phone_masked == ""
        if member.mobility:
            assert member.mobility_since is not None
            assert member.join_date <= member.mobility_since <= TODAY
            assert member.mobility_place
            assert member.attached_org_id == (
                member.org_id if member.mobility == "inflow" else None
            )
        else:
            assert member.mobility_since is None and member.attached_org_id is None
        if member.lost_contact:
            assert member.lost_since is not None and member.lost_since <= TODAY
        else:
            assert member.lost_since is None
        member.full_clean()


def test_lookup_hashes_are_unique(tree):
    # given
    generate_members(actor=None, count=2000, seed=4, today=TODAY)
    # when
    hashes = list(Member.objects.values_list("id_number_hash", flat=True))
    # then
    assert len(hashes) == len(set(hashes)) == 2000


def test_each_branch_has_one_secretary(tree):
    # given
    generate_members(actor=None, count=400, seed=6, today=TODAY)
    # when
    secretaries = Counter(
        Member.objects.filter(position="secretary").values_list("org__code", flat=True)
    )
    # then
    assert secretaries == dict.fromkeys(BRANCH_REGIONS, 1)
    assert not Member.objects.filter(position="secretary", status="probationary").exists()


def test_the_proportions_are_those_of_the_region(tree):
    # given
    generate_members(actor=None, count=5000, seed=11, today=TODAY)
    members = list(Member.objects.select_related("org"))
    n = len(members)

    def share(predicate) -> float:
        return sum(1 for m in members if predicate(m)) / n

    # when / then
    assert n == 5000
    assert 0.76 <= share(lambda m: m.ethnicity == "01") <= 0.82
    assert 0.14 <= share(lambda m: m.ethnicity == "02") <= 0.20
    assert 0.01 <= share(lambda m: m.ethnicity in ("11", "03", "31", "45", "10", "52")) <= 0.06
    assert 0.24 <= share(lambda m: m.gender == "female") <= 0.32
    assert 0.05 <= share(lambda m: m.status == "probationary") <= 0.11
    assert 0.85 <= share(lambda m: m.phone_enc != "") <= 0.95
    assert 0.015 <= share(lambda m: m.mobility != "") <= 0.045
    assert share(lambda m: m.mobility == "outflow") > share(lambda m: m.mobility == "inflow")
    assert 0.001 <= share(lambda m: m.lost_contact) <= 0.012
    assert 0.05 <= share(lambda m: m.party_group != "") <= 1
    working_age = share(lambda m: 1960 <= m.birth_date.year <= 1995)
    assert working_age >= 0.6
    rural = [m for m in members if m.org.unit_type == "rural"]
    others = [m for m in members if m.org.unit_type != "rural"]
    assert sum(m.category == "farmer_herder" for m in rural) / len(rural) >= 0.75
    assert not any(m.category == "farmer_herder" for m in others)
    assert {m.education for m in members} <= set(template.EDUCATION_LABELS)
    mongolian_names = [m.name for m in members if m.ethnicity == "02"]
    assert any(name in ("巴特尔", "其其格", "乌日娜", "斯琴", "苏和") for name in mongolian_names)


def test_region_of_an_organization():
    # given / when / then
    assert region_of("150102101201", "150102101201") == "150102"
    assert region_of("150103000000-A001", "150103000000") == "150103"
    assert region_of("X-17", "152502000000") == "152502"
    assert region_of("X-17", None) == "150102"


# Sizes


def _branches(n_large: int, n_small: int, prefix: str = "1501") -> list[Branch]:
    found = [Branch(i + 1, f"{prefix}{i:08d}", "", "150102", "rural") for i in range(n_large)]
    found += [
        Branch(n_large + i + 1, f"{prefix}{n_large + i:08d}-A", "", "150102", "agency")
        for i in range(n_small)
    ]
    return found


def test_allocate_fills_every_branch_in_proportion_to_its_natural_size():
    # given
    found = _branches(500, 500)
    # when
    sizes = allocate(found, 25_000, random.Random(1))
    # then
    assert sum(sizes) == 25_000
    assert min(sizes) >= 5
    large = sum(sizes[:500]) / 500
    small = sum(sizes[500:]) / 500
    assert 1.4 <= large / small <= 1.9  # about 40 against 24


def test_allocate_fills_some_branches_at_their_natural_size_when_members_are_few():
    # given
    found = _branches(500, 500)
    # when
    sizes = allocate(found, 3000, random.Random(1), favour="15010000001")
    # then
    assert sum(sizes) == 3000
    assert 60 <= sum(1 for s in sizes if s) <= 200
    assert all(s <= 60 for s in sizes)
    assert all(sizes[i] for i in range(10, 20))  # the favoured codes 15010000001x


# ID blocks


def test_the_generator_leaves_the_roster_s_id_numbers_alone(tree):
    # given a member whose ID number is the first one the generator would try
    taken = make_id("150102", date(1980, 5, 17), 1)
    member_create(
        actor=None,
        org=tree.village_a1,
        name="张三",
        gender="male",
        ethnicity="01",
        id_number=taken,
        join_date=date(2005, 7, 1),
        status="full",
        full_date=date(2006, 7, 1),
        category="farmer_herder",
    )
    blocks = IdBlocks()
    assert blocks.load_roster() == 1
    blocks.enter("150102")
    birth = date(1980, 5, 17).toordinal()
    # when the draw starts at sequence 1 (men: odd numbers)
    first = blocks.take(lambda: 0.0, birth, True, birth - 10, birth + 10)
    second = blocks.take(lambda: 0.0, birth, True, birth - 10, birth + 10)
    women = blocks.take(lambda: 0.0, birth, False, birth - 10, birth + 10)
    # then the roster's number is skipped, and none is given twice
    assert first == (birth, 3)
    assert second == (birth, 5)
    assert women == (birth, 0)


def test_a_full_block_moves_to_the_nearest_day():
    # given every odd sequence number of a day taken
    blocks = IdBlocks()
    blocks.enter("150102")
    birth = date(1990, 1, 1).toordinal()
    for _ in range(500):
        blocks.take(lambda: 0.0, birth, True, birth, birth + 3)
    # when
    day, seq = blocks.take(lambda: 0.0, birth, True, birth, birth + 3)
    # then
    assert (day, seq) == (birth + 1, 1)


def test_running_twice_with_other_seeds_adds_without_collisions(tree):
    # given
    generate_members(actor=None, count=600, seed=1, today=TODAY)
    # when
    generate_members(actor=None, count=600, seed=2, today=TODAY)
    generate_members(actor=None, count=600, seed=1, today=TODAY)  # the same draws again
    # then
    numbers = crypto.decrypt_many(Member.objects.values_list("id_number_enc", flat=True))
    assert len(numbers) == len(set(numbers)) == 1800
    for number in numbers:
        validate_id(number, today=TODAY)
    assert counters.rebuild(check_only=True) == []


# Counters and audit


def test_counters_match_a_recount(tree):
    # given
    generate_members(actor=None, count=3000, seed=8, today=TODAY)
    # when
    drift = counters.rebuild(check_only=True)
    # then
    assert drift == []
    root = counters.read([tree.root.pk])[tree.root.pk]
    assert root["members.total"] == (0, 3000)
    assert root["members.outflow"][1] == Member.objects.filter(mobility="outflow").count()
    assert root["members.probationary"][1] == Member.objects.filter(status="probationary").count()


def test_counters_are_written_once_per_batch(tree, monkeypatch):
    # given
    from massline.demo.members import load as generate

    calls = []
    real = generate.org_counters.bump_many
    monkeypatch.setattr(generate, "BATCH_SIZE", 700)
    monkeypatch.setattr(
        generate.org_counters, "bump_many", lambda changes: (calls.append(changes), real(changes))
    )
    # when
    generate_members(actor=None, count=2000, seed=8, today=TODAY)
    # then: 700 + 700 + 600, each folded per organization
    assert len(calls) == 3
    assert all(
        set(c)
        <= {b.path for b in (tree.village_a1, tree.village_a2, tree.branch_a2, tree.branch_b1)}
        for c in calls
    )
    assert sum(d["members.total"] for c in calls for d in c.values()) == 2000
    assert counters.rebuild(check_only=True) == []


def test_a_run_is_audited(tree):
    # given
    # when
    generate_members(actor=None, count=50, seed=1, today=TODAY)
    # then
    event = AuditEvent.objects.get(action="members.generate")
    assert event.after == {"seed": 1, "count": 50, "province": ""}


def test_province_limits_the_branches(tree):
    # given / when
    generate_members(actor=None, count=50, seed=1, province="15", today=TODAY)
    # then
    assert Member.objects.count() == 50
    with pytest.raises(ApplicationError) as raised:
        generate_members(actor=None, count=50, seed=1, province="11", today=TODAY)
    assert raised.value.code == "no_branches"


# Output mode


def test_output_writes_the_import_template_and_nothing_to_the_database(tree, tmp_path):
    # given
    path = tmp_path / "roster.csv"
    counters_before = list(OrgCounter.objects.values_list("org_id", "metric", "own", "subtree"))
    audits_before = AuditEvent.objects.count()
    # when
    result = generate_members(actor=None, count=250, seed=2, output=path, today=TODAY)
    # then
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == [
        "姓名",
        "性别",
        "民族",
        "公民身份号码",
        "出生日期",
        "学历",
        "人员类别",
        "入党日期",
        "转正日期",
        "党员状态",
        "所在党组织编码",
        "手机号码",
        "流动情况",
        "流入流出地",
        "是否失联",
        "党小组",
        "支部职务",
    ]
    assert tuple(rows[0]) == template.HEADERS
    assert len(rows) == 251
    assert result.created == 250 and result.output == path
    assert not Member.objects.exists()
    assert AuditEvent.objects.count() == audits_before
    assert list(OrgCounter.objects.values_list("org_id", "metric", "own", "subtree")) == (
        counters_before
    )
    assert not list(tmp_path.glob("*.part"))
    ethnic_names = {name for _code, name in ETHNIC_GROUPS}
    for row in rows[1:]:
        cells = dict(zip(template.HEADERS, row, strict=True))
        info = validate_id(cells["公民身份号码"], today=TODAY)
        assert cells["出生日期"] == info.birth_date.isoformat()
        assert template.GENDER_CODES[cells["性别"]] == info.gender
        assert cells["民族"] in ethnic_names
        assert cells["学历"] in template.EDUCATION_CODES
        assert cells["人员类别"] in template.CATEGORY_CODES
        assert cells["党员状态"] in template.STATUS_CODES
        assert cells["流动情况"] in template.MOBILITY_CODES
        assert cells["是否失联"] in template.LOST_CONTACT_CODES
        assert (cells["转正日期"] == "") == (cells["党员状态"] == "预备党员")
        date.fromisoformat(cells["入党日期"])
        assert cells["所在党组织编码"] in BRANCH_REGIONS
        if cells["流动情况"]:
            assert cells["流入流出地"]
        assert cells["支部职务"] in template.POSITION_CODES


def test_template_labels_go_both_ways():
    # given / when / then
    for labels, codes in [
        (template.GENDER_LABELS, template.GENDER_CODES),
        (template.EDUCATION_LABELS, template.EDUCATION_CODES),
        (template.CATEGORY_LABELS, template.CATEGORY_CODES),
        (template.STATUS_LABELS, template.STATUS_CODES),
        (template.MOBILITY_LABELS, template.MOBILITY_CODES),
        (template.ETHNICITY_LABELS, template.ETHNICITY_CODES),
    ]:
        assert {codes[label] for label in labels.values()} == set(labels)
    assert template.ETHNICITY_LABELS["02"] == "蒙古族"
    assert template.LOST_CONTACT_CODES == {"是": True, "否": False}


# The command


def test_command_generates_and_reports(tree, capsys):
    # given
    # when
    with translation.override("en"):
        call_command("generate-members", "--count", "80", "--seed", "3")
    # then
    captured = capsys.readouterr()
    assert Member.objects.count() == 80
    assert "80 members generated in 4 branches" in captured.out
    assert "80 of 80 members" in captured.err


def test_command_writes_a_file(tree, tmp_path, capsys):
    # given
    path = tmp_path / "out.csv"
    # when
    with translation.override("en"):
        call_command("generate-members", "--count", "30", "--output", str(path), "--no-progress")
    # then
    assert len(path.read_text(encoding="utf-8-sig").splitlines()) == 31
    assert f"to {path}." in capsys.readouterr().out
    assert not Member.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--count", "0"], "at least 1"),
        (["--count", "5", "--province", "abc"], "not a province code"),
        (["--count", "5", "--output", "roster.xlsx"], ".csv"),
        (["--count", "5", "--output", "/no/such/folder/roster.csv"], "does not exist"),
    ],
)
def test_command_errors(tree, args, message):
    # given / when / then
    with translation.override("en"), pytest.raises(CommandError, match=message):
        call_command("generate-members", *args, "--no-progress")


def test_command_without_branches(db):
    # given no organizations
    # when / then
    with translation.override("en"), pytest.raises(CommandError, match="generate-orgs"):
        call_command("generate-members", "--count", "5", "--no-progress")


def test_output_path_relative_to_the_current_folder(tree, tmp_path, monkeypatch):
    # given
    monkeypatch.chdir(tmp_path)
    # when
    generate_members(actor=None, count=10, seed=1, output=Path("roster.csv"), today=TODAY)
    # then
    assert (tmp_path / "roster.csv").exists()


# Failures


def test_a_failure_while_generating_writes_nothing(tree, monkeypatch):
    # given the second batch fails while it is prepared
    from massline.demo.members import load as generate

    real = generate._rows
    calls = []

    def failing(batch, first_id, now):
        calls.append(first_id)
        if len(calls) == 2:
            raise RuntimeError("boom")
        return real(batch, first_id, now)

    monkeypatch.setattr(generate, "BATCH_SIZE", 100)
    monkeypatch.setattr(generate, "_rows", failing)
    counters_before = list(OrgCounter.objects.values_list("org_id", "metric", "own", "subtree"))
    # when / then
    with pytest.raises(RuntimeError, match="boom"):
        generate_members(actor=None, count=500, seed=1, today=TODAY)
    assert not Member.objects.exists()
    assert list(OrgCounter.objects.values_list("org_id", "metric", "own", "subtree")) == (
        counters_before
    )


def test_a_failure_while_writing_writes_nothing(tree, monkeypatch):
    # given the second write fails
    from massline.demo.members import load as generate

    real = generate.copy_rows
    calls = []

    def failing(table, columns, rows):
        calls.append(len(rows))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        real(table, columns, rows)

    monkeypatch.setattr(generate, "BATCH_SIZE", 100)
    monkeypatch.setattr(generate, "copy_rows", failing)
    # when / then
    with pytest.raises(RuntimeError, match="disk full"):
        generate_members(actor=None, count=2000, seed=1, today=TODAY)
    assert not Member.objects.exists()
    assert gc.isenabled()  # collection paused for the load only


def test_a_load_into_an_empty_roster_keeps_the_table_s_indexes(tree):
    # given an empty roster, whose indexes a load builds again after the rows
    from django.db import connection

    def indexes() -> dict[str, tuple]:
        with connection.cursor() as cursor:
            found = connection.introspection.get_constraints(cursor, "members_member")
        return {name: (tuple(c["columns"]), c["unique"]) for name, c in found.items()}

    before = indexes()
    # when
    generate_members(actor=None, count=300, seed=1, today=TODAY)
    # then
    assert indexes() == before
    some = Member.objects.order_by("id")[150]
    assert Member.objects.filter(name_folded=some.name_folded).exists()
    assert Member.objects.filter(id_tail=some.id_tail).exists()
