"""Checking the rows: the column engine and the careful path agree, the checking processes come
from a fork server, and the numbers are encrypted and the names folded as one at a time."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection

from massline.core import crypto
from massline.core.collation import name_sort_key
from massline.members.idnumber import make_id
from massline.members.models import Member
from massline.members.roster_import import import_roster

from .test_import import ID_A, row, woman, write_csv, wrong_checksum


@pytest.mark.parametrize(
    "cell",
    ["巴特尔", " 巴特尔", "巴特尔 ", "巴 特尔", "巴  特尔", "巴\t特尔", "巴\u3000特尔", "巴\u200b特尔",
     "ＡＢ", "a\nb", "\xa0x", "", " ", "x\x1fy"],
)  # fmt: skip
def test_the_fast_path_cleans_exactly_as_clean_cell(cell):
    import polars as pl

    from massline.core.normalize import clean_cell
    from massline.members.roster_import.columns import dirty_pattern

    for line in (f"ok,{cell},ok", f"{cell},ok", f"ok,{cell}", cell):
        dirty = pl.Series([line]).str.contains(dirty_pattern())[0]
        assert dirty == (clean_cell(cell) != cell), line


@pytest.mark.parametrize("cell", ["=1+1", "'0123", "=", "'"])
def test_the_fast_path_leaves_formulas_and_text_marks_to_the_careful_path(cell):
    import polars as pl

    from massline.members.roster_import.columns import dirty_pattern

    for line in (f"ok,{cell},ok", f"{cell},ok"):
        assert pl.Series([line]).str.contains(dirty_pattern())[0]
    assert not pl.Series(["ok,a=1,b'c"]).str.contains(dirty_pattern())[0]


def test_fast_and_careful_paths_agree_on_every_bad_row(tree):
    from django.utils import timezone

    from massline.members.roster_import import columns
    from massline.members.roster_import.context import Context
    from massline.members.roster_import.importing import scope_orgs
    from massline.members.roster_import.rows import check_row

    ctx = Context(orgs=scope_orgs(None), today=timezone.localdate(), postgres=False)
    cases = [row(), woman()] + [row(**{h: v}) for h, v in [
        ("公民身份号码", wrong_checksum(ID_A)), ("出生日期", "1985-03-15"), ("性别", "女"),
        ("民族", "火星族"), ("所在党组织编码", "150102101000"), ("入党日期", "2000-01-01"),
        ("转正日期", "2009-01-01"), ("党员状态", "党员"), ("手机号码", "12345"),
        ("流动情况", "外出"), ("流入流出地", "北京"), ("是否失联", "不知道"), ("姓名", "=1"),
        ("姓名", " 巴特尔 "), ("公民身份号码", " " + ID_A), ("入党日期", "2010年7月1日"),
        ("支部职务", "书记员"), ("支部职务", "secretary"), ("党小组", "组" * 65),
    ]]  # fmt: skip
    rows = [(2 + i, list(cells)) for i, cells in enumerate(cases)]
    accepted, rejected = columns.check(columns.frame_from_rows(rows), ctx)
    fast = {r[0]: r for r in accepted.rows()}
    assert len(fast) + len(rejected) == len(rows)
    for row_no, cells in rows:
        careful, problems = check_row(row_no, list(cells), ctx)
        if row_no in fast:
            assert careful == fast[row_no] and not problems, cells
        else:
            assert careful is not None or problems
    # the first row; the second writes its dates as 1990年11月2日 and 2019.9.1, which the
    # careful path reads; every other row has something wrong
    assert list(fast) == [2]


LEAP = make_id("150102", date(1988, 2, 29), 101)


@pytest.mark.parametrize("split", ["lines", "rows"])
def test_fast_and_careful_paths_agree_on_rows_written_otherwise(tree, split):
    """Right rows written in other ways than the template writes them: whatever the fast path
    accepts, it accepts with the careful path's values; the rest the careful path reads."""
    from django.utils import timezone

    from massline.members.roster_import import columns
    from massline.members.roster_import.context import Context
    from massline.members.roster_import.importing import scope_orgs
    from massline.members.roster_import.rows import check_row

    ctx = Context(orgs=scope_orgs(None), today=timezone.localdate(), postgres=False)
    cases = [row(**over) for over in [
        {"出生日期": ""}, {"性别": ""}, {"学历": ""}, {"转正日期": ""},
        {"公民身份号码": ID_A[:-1] + ID_A[-1].lower()}, {"手机号码": "+8613800138000"},
        {"手机号码": "138 0013 8000"}, {"手机号码": ""}, {"姓名": "張偉"}, {"姓名": "BATU"},
        {"姓名": "巴特尔·图门"}, {"公民身份号码": LEAP, "出生日期": "1988-02-29",
                              "入党日期": "2006-02-28"},
        {"公民身份号码": LEAP, "出生日期": "1988-02-29", "入党日期": "2006-03-01"},
        {"入党日期": "2003-03-14"}, {"入党日期": "2003-03-13"}, {"民族": "蒙古"}, {"民族": "02"},
        {"民族": "2"}, {"流动情况": "流出", "流入流出地": "北京市朝阳区"},
        {"流动情况": "流入", "流入流出地": "包头市"}, {"是否失联": "是"}, {"是否失联": ""},
        {"党员状态": "预备党员", "转正日期": ""}, {"出生日期": "1985-3-14"},
        {"入党日期": "2010-07-01 00:00:00"}, {"所在党组织编码": "１５０１０２１０１２０１"},
        {"转正日期": "2010-07-01"}, {"转正日期": "2010-06-30"},
        {"党小组": "第一党小组", "支部职务": "支部书记"}, {"支部职务": "副书记"},
        {"支部职务": "支委委员"}, {"党小组": "组" * 64}, {"党小组": " 第一党小组"},
    ]]  # fmt: skip
    rows = [(2 + i, [str(c) for c in cells]) for i, cells in enumerate(cases)]
    if split == "lines":
        frame = columns.frame_from_lines([",".join(cells) for _n, cells in rows], 2)
    else:
        frame = columns.frame_from_rows(rows)
    accepted, rejected = columns.check(frame, ctx)
    fast = {r[0]: r for r in accepted.rows()}
    assert sorted([*fast, *(2 + i for i in rejected)]) == [n for n, _cells in rows]
    for row_no, cells in rows:
        careful, problems = check_row(row_no, list(cells), ctx)
        if row_no in fast:
            assert careful == fast[row_no] and not problems, cells
        else:
            assert careful is not None or problems, cells
    # what the template writes goes the fast way
    assert {2, 3, 4, 5, 9, 10, 11, 12, 15, 17, 18, 19, 20, 21, 22, 23, 24, 28} <= set(fast)
    assert {30, 31, 32, 33} <= set(fast)
    assert not {7, 8, 13, 14, 16, 25, 26, 27, 34} & set(fast)


@pytest.mark.django_db(transaction=True)
def test_imported_names_are_folded_for_search_as_the_services_fold_them(tree, tmp_path):
    from massline.core.normalize import fold_for_search

    names = ["張偉", "BATU Erdene", "巴特尔", "王丽"]
    ids = [make_id("150102", date(1980, 1, 1 + i), 101 + 2 * i) for i in range(len(names))]
    path = write_csv(
        tmp_path / "r.csv",
        [
            row(**{"姓名": n, "公民身份号码": i, "出生日期": ""})
            for n, i in zip(names, ids, strict=True)
        ],
    )
    import_roster(path, actor=None, dry_run=False, workers=0)
    folded = dict(Member.objects.values_list("name", "name_folded"))
    assert folded == {n: fold_for_search(n) for n in names}
    assert folded["張偉"] == "张伟" and folded["BATU Erdene"] == "batu erdene"
    keys = dict(Member.objects.values_list("name", "name_key"))
    assert keys == {n: name_sort_key(n) for n in names}


def test_bulk_encryption_and_hashing_agree_with_one_at_a_time():
    values = ["150102198503141011", "13800138000", "", "巴特尔"]
    tokens = crypto.encrypt_column(values).to_list()
    assert [crypto.decrypt(t) for t in tokens] == values
    assert all(t.startswith("v1:") and "=" not in t for t in tokens)
    assert len(set(crypto.encrypt_column(["x", "x"]).to_list())) == 2  # a nonce each
    assert crypto.lookup_hash_many(values) == [crypto.lookup_hash(v) for v in values]


@pytest.mark.django_db(transaction=True)
def test_workers_started_from_a_thread_come_from_a_fork_server(tree, tmp_path):
    """A job in a web process runs in a thread; its checking processes must not be forked
    from it (they would copy locks other threads hold), and must set Django up themselves."""
    import threading

    path = write_csv(tmp_path / "r.csv", [row(), woman(**{"出生日期": "1990-11-03"})])
    out = {}

    def run():
        out["report"] = import_roster(path, actor=None, dry_run=True, workers=1)

    def run_and_close():
        try:
            run()
        finally:
            connection.close()

    thread = threading.Thread(target=run_and_close)
    thread.start()
    thread.join(60)
    report = out["report"]
    assert report.valid_rows == 1
    assert [(p.row, p.column) for p in report.problems] == [(3, "出生日期")]
    assert "身份证" in report.problems[0].message or "出生" in report.problems[0].message


def test_each_import_checks_against_its_own_scope():
    """The column checks keep the organizations of the import at hand; a later import, with
    another importer's scope, never gets the earlier one's (its dict may take the same
    address once the earlier one is freed)."""
    import datetime as dt

    from massline.members.roster_import import columns
    from massline.members.roster_import.context import Context

    for n in range(1, 40):
        orgs = {f"C{i}": (i, f"P{i}", "branch") for i in range(n)}
        ctx = Context(orgs=orgs, today=dt.date(2026, 1, 1), postgres=False)
        assert sorted(columns.orgs_frame(ctx)["code"].to_list()) == sorted(orgs)
        del ctx, orgs
