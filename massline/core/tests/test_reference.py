import re

import pytest
from django.utils import translation

from massline.core.reference import (
    ETHNIC_GROUPS,
    GENDERS,
    ethnicity_name,
    parse_ethnicity,
    parse_gender,
)

# GB/T 3304-1991, written out again here so that a slip in either list shows.
GB_T_3304 = """
01 汉族 02 蒙古族 03 回族 04 藏族 05 维吾尔族 06 苗族 07 彝族 08 壮族 09 布依族 10 朝鲜族
11 满族 12 侗族 13 瑶族 14 白族 15 土家族 16 哈尼族 17 哈萨克族 18 傣族 19 黎族 20 傈僳族
21 佤族 22 畲族 23 高山族 24 拉祜族 25 水族 26 东乡族 27 纳西族 28 景颇族 29 柯尔克孜族 30 土族
31 达斡尔族 32 仫佬族 33 羌族 34 布朗族 35 撒拉族 36 毛南族 37 仡佬族 38 锡伯族 39 阿昌族
40 普米族 41 塔吉克族 42 怒族 43 乌孜别克族 44 俄罗斯族 45 鄂温克族 46 德昂族 47 保安族
48 裕固族 49 京族 50 塔塔尔族 51 独龙族 52 鄂伦春族 53 赫哲族 54 门巴族 55 珞巴族 56 基诺族
"""


@pytest.fixture(autouse=True)
def english():
    """The messages in English, whatever LANGUAGE_CODE says; a test may switch to Chinese."""
    with translation.override("en"):
        yield


def test_ethnic_groups_are_the_56_of_gb_t_3304_in_order():
    # given the standard's list / when / then
    expected = tuple(re.findall(r"([0-9]{2}) (\S+)", GB_T_3304))
    assert expected == ETHNIC_GROUPS
    assert len(ETHNIC_GROUPS) == 56
    assert [code for code, _ in ETHNIC_GROUPS] == [f"{n:02d}" for n in range(1, 57)]
    assert len({name for _, name in ETHNIC_GROUPS}) == 56
    assert all(name.endswith("族") for _, name in ETHNIC_GROUPS)


@pytest.mark.parametrize(("code", "name"), ETHNIC_GROUPS)
def test_parse_ethnicity_reads_every_name_and_code(code, name):
    # given / when / then
    assert parse_ethnicity(name) == code
    assert parse_ethnicity(code) == code
    assert parse_ethnicity(int(code)) == code
    assert parse_ethnicity(f" {name}\u3000") == code
    assert ethnicity_name(code) == name


@pytest.mark.parametrize(
    ("code", "name"), [(code, name) for code, name in ETHNIC_GROUPS if name != "土族"]
)
def test_parse_ethnicity_reads_every_name_without_zu(code, name):
    # given the name without 族 / when / then
    assert parse_ethnicity(name[:-1]) == code


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("蒙古", "02"),
        ("维吾尔", "05"),
        ("土家", "15"),
        ("土族", "30"),
        ("土家族", "15"),
        ("1", "01"),  # 01 kept as a number loses its 0
        (1, "01"),
        (1.0, "01"),
        ("０１", "01"),
        ("５６", "56"),
        ("維吾爾族", "05"),  # traditional characters
        ("滿族", "11"),
        ("壯", "08"),
        ("　汉族　", "01"),
        ("\ufeff汉族", "01"),
    ],
)
def test_parse_ethnicity_reads_short_names_codes_full_width_and_traditional(value, expected):
    # given / when / then
    assert parse_ethnicity(value) == expected


def test_parse_ethnicity_refuses_tu_which_may_be_tu_or_tujia():
    # given 土, short for 土族 and the start of 土家族 / when / then
    with pytest.raises(ValueError, match="土家族 / 土族"):
        parse_ethnicity("土")


@pytest.mark.parametrize(
    "value",
    ["穿青人", "其他", "汉人", "汉族人", "00", "0", "57", "97", 0, 57, "族", "Han", True, 1.5],
)
def test_parse_ethnicity_refuses_what_is_not_one_of_the_56(value):
    # given / when / then
    with pytest.raises(ValueError, match="not one of the 56 ethnic groups"):
        parse_ethnicity(value)


@pytest.mark.parametrize("value", [None, "", "  ", "\u3000"])
def test_parse_ethnicity_refuses_an_empty_cell(value):
    # given / when / then
    with pytest.raises(ValueError, match="No ethnic group given"):
        parse_ethnicity(value)


@pytest.mark.parametrize("code", ["00", "57", "1", "汉族", ""])
def test_ethnicity_name_refuses_a_code_that_is_not_stored(code):
    # given / when / then
    with pytest.raises(KeyError):
        ethnicity_name(code)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("男", "male"),
        ("女", "female"),
        ("男性", "male"),
        ("女性", "female"),
        ("M", "male"),
        ("F", "female"),
        ("m", "male"),
        ("f", "female"),
        ("Ｍ", "male"),
        ("ｆ", "female"),
        ("1", "male"),
        ("2", "female"),
        ("１", "male"),
        ("２", "female"),
        (1, "male"),
        (2, "female"),
        (1.0, "male"),
        (" 男 ", "male"),
        ("\u3000女", "female"),
        ("male", "male"),
        ("Female", "female"),
    ],
)
def test_parse_gender_reads_chinese_letters_and_codes(value, expected):
    # given / when / then
    assert parse_gender(value) == expected


@pytest.mark.parametrize("value", ["男女", "0", "9", 0, 3, "x", "先生", True, "man"])
def test_parse_gender_refuses_anything_else(value):
    # given / when / then
    with pytest.raises(ValueError, match="is not a gender"):
        parse_gender(value)


@pytest.mark.parametrize("value", [None, "", " "])
def test_parse_gender_refuses_an_empty_cell(value):
    # given / when / then
    with pytest.raises(ValueError, match="No gender given"):
        parse_gender(value)


def test_genders_are_the_stored_values_parse_gender_gives():
    # given / when / then
    assert [value for value, _ in GENDERS] == [parse_gender("男"), parse_gender("女")]


@pytest.mark.parametrize(
    ("call", "value", "chinese"),
    [
        (parse_ethnicity, "穿青人", "'穿青人' 不是 56 个民族之一"),
        (parse_ethnicity, "", "未填写民族"),
        (parse_ethnicity, "土", "'土' 可能指 土家族 / 土族"),
        (parse_gender, "x", "'x' 不是性别"),
        (parse_gender, "", "未填写性别"),
    ],
)
def test_reference_errors_speak_chinese(call, value, chinese):
    # given the Chinese interface / when
    with translation.override("zh-hans"), pytest.raises(ValueError) as error:
        call(value)
    # then
    assert chinese in str(error.value)
