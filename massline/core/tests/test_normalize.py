import datetime as dt

import pytest
from django.utils import translation

from massline.core.normalize import (
    EXCEL_DAY_LIMITS,
    clean_cell,
    fold_for_search,
    fold_table,
    parse_date,
    parse_month,
    to_halfwidth,
)

SEP_1 = dt.date(2019, 9, 1)


@pytest.fixture(autouse=True)
def english():
    """The messages in English, whatever LANGUAGE_CODE says; a test may switch to Chinese."""
    with translation.override("en"):
        yield


# -- to_halfwidth -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("２０１９", "2019"),
        ("ＡＢＣｘｙｚ", "ABCxyz"),
        ("１５０１０２１９９００３０７１２３Ｘ", "15010219900307123X"),
        ("！＂＃＄％＆＇（）＊＋，－．／", "!\"#$%&'()*+,-./"),
        ("：；＜＝＞？＠［＼］＾＿｀｛｜｝～", ":;<=>?@[\\]^_`{|}~"),
        ("张\u3000伟", "张 伟"),
        ("2019年9月", "2019年9月"),  # Chinese and half width untouched
        ("、。「」￥", "、。「」￥"),  # outside U+FF01..U+FF5E: left alone
        ("", ""),
    ],
)
def test_to_halfwidth_maps_full_width_ascii_and_the_ideographic_space(text, expected):
    # given a text typed with a Chinese input method / when / then
    assert to_halfwidth(text) == expected


def test_to_halfwidth_covers_the_whole_full_width_ascii_block():
    # given every character from U+FF01 to U+FF5E
    full = "".join(chr(c) for c in range(0xFF01, 0xFF5F))
    # when
    half = to_halfwidth(full)
    # then they are ASCII 0x21 to 0x7E, in order
    assert half == "".join(chr(c) for c in range(0x21, 0x7F))


def test_to_halfwidth_returns_ascii_text_itself():
    # given
    text = "already half width"
    # when / then: no copy is made
    assert to_halfwidth(text) is text


# -- clean_cell -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("", ""),
        ("   ", ""),
        ("\u3000\t\n", ""),
        ("\u200b\ufeff", ""),
        ("  张伟  ", "张伟"),
        ("欧阳\u3000 修", "欧阳 修"),
        ("a\r\nb\t\tc", "a b c"),
        ("\ufeff姓名", "姓名"),  # the byte order mark a CSV leaves in its first cell
        ("１３８\u200b００１３８０００", "13800138000"),
        ("non\xa0breaking", "non breaking"),
        (13800138000.0, "13800138000"),
        (1.5, "1.5"),
        (42, "42"),
        (True, "True"),
        (dt.date(2019, 9, 1), "2019-09-01"),
    ],
)
def test_clean_cell_gives_stripped_half_width_text_with_single_spaces(value, expected):
    # given a cell as openpyxl or the CSV reader gives it / when / then
    assert clean_cell(value) == expected


# -- parse_date -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2019-09-01",
        "2019-9-1",
        "2019/09/01",
        "2019/9/1",
        "2019.9.1",
        "2019.09.01",
        "20190901",
        "2019年9月1日",
        "2019年09月01日",
        "2019年9月1",
        "2019 年 9 月 1 日",
        " 2019-09-01 ",
        "2019-09-01 00:00:00",
        "2019-09-01 08:30",
        "2019-09-01T08:30:15.123",
        "2019年9月1日 00:00:00",
        "２０１９－０９－０１",
        "２０１９／９／１",
        "２０１９．９．１",
        "２０１９０９０１",
        "２０１９年９月１日",
        "２０１９年０９月０１日",
        "\u3000２０１９-09-01\u3000",
        "\ufeff2019-09-01",
    ],
)
def test_parse_date_reads_the_ways_people_write_a_date(value):
    # given a date as typed / when / then
    assert parse_date(value) == SEP_1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (SEP_1, SEP_1),
        (dt.datetime(2019, 9, 1, 0, 0), SEP_1),
        (dt.datetime(2019, 9, 1, 23, 59, tzinfo=dt.UTC), SEP_1),
        (dt.date(1900, 1, 1), dt.date(1900, 1, 1)),
        (dt.date(2100, 12, 31), dt.date(2100, 12, 31)),
    ],
)
def test_parse_date_takes_date_objects_from_openpyxl(value, expected):
    # given a date cell / when / then
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (43709, SEP_1),
        (43709.0, SEP_1),
        (43709.999, SEP_1),  # the fraction is the time of day
        ("43709", SEP_1),
        ("43709.0", SEP_1),
        ("43709.5", SEP_1),
        ("４３７０９", SEP_1),
        (1, dt.date(1900, 1, 1)),
        (59, dt.date(1900, 2, 28)),
        (61, dt.date(1900, 3, 1)),  # Excel's false 29 February 1900 is day 60
        (25569, dt.date(1970, 1, 1)),
        (36526, dt.date(2000, 1, 1)),
        (45658, dt.date(2025, 1, 1)),
        (EXCEL_DAY_LIMITS[1], dt.date(2100, 12, 31)),
    ],
)
def test_parse_date_reads_excel_day_numbers_in_the_1900_system(value, expected):
    # given a date cell that a spreadsheet kept as a number / when / then
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", [20190901, 20190901.0])
def test_parse_date_reads_an_eight_digit_number_as_year_month_day(value):
    # given 20190901 typed into a cell that kept it as a number / when / then
    assert parse_date(value) == SEP_1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2020-02-29", dt.date(2020, 2, 29)),
        ("2000年2月29日", dt.date(2000, 2, 29)),
        ("1900.1.1", dt.date(1900, 1, 1)),
        ("2100/12/31", dt.date(2100, 12, 31)),
        ("19491001", dt.date(1949, 10, 1)),
    ],
)
def test_parse_date_takes_leap_days_and_the_ends_of_the_range(value, expected):
    # given / when / then
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "2019-02-30",
        "2019-02-29",
        "1900-02-29",
        "2019/13/01",
        "2019年4月31日",
        "2019.0.1",
        "2019-09-00",
        "20190230",
        20190230,
        "２０１９－０２－３０",
    ],
)
def test_parse_date_refuses_a_day_the_calendar_does_not_have(value):
    # given a date that does not exist / when / then
    with pytest.raises(ValueError, match="not a day of the calendar"):
        parse_date(value)


@pytest.mark.parametrize(
    "value",
    [
        "abc",
        "2019",  # a year alone
        2019,
        2019.0,
        "201909",  # a month alone
        "2019年9月",
        "2019.09",
        "19-09-01",
        "2019-09/01",  # two separators
        "2019-09-01-",
        "2019-009-01",
        "9/1/2019",
        "01/09/2019",
        "2019-09-01 abc",
        "٢٠١٩-٠٩-٠١",  # digits of another script
        "二〇一九年九月一日",
        "43709abc",
        "0",
        0,
        -1,
        123456,
        1234567890,
        True,
        False,
        float("nan"),
        float("inf"),
        dt.time(8, 30),
        dt.timedelta(days=1),
        object(),
        [2019, 9, 1],
    ],
)
def test_parse_date_refuses_what_is_not_a_date(value):
    # given / when / then
    with pytest.raises(ValueError, match="is not a date"):
        parse_date(value)


@pytest.mark.parametrize("value", [None, "", "   ", "\u3000", "\u200b"])
def test_parse_date_refuses_an_empty_cell(value):
    # given / when / then
    with pytest.raises(ValueError, match="No date given"):
        parse_date(value)


@pytest.mark.parametrize("value", [60, 60.0, 60.5, "60", "６０"])
def test_parse_date_refuses_excel_day_60_which_was_never_a_day(value):
    # given Excel's 29 February 1900 / when / then
    with pytest.raises(ValueError, match="Excel's day 60"):
        parse_date(value)


@pytest.mark.parametrize(
    "value",
    [
        "1899-12-31",
        "2101-01-01",
        "1000/1/1",
        "9999年12月31日",
        "18991231",
        21010101,
        EXCEL_DAY_LIMITS[1] + 1,
        99999,
        dt.date(1899, 12, 30),  # openpyxl's day 0
        dt.datetime(2101, 1, 1),
    ],
)
def test_parse_date_refuses_years_outside_1900_to_2100(value):
    # given / when / then
    with pytest.raises(ValueError, match="outside the years 1900 to 2100"):
        parse_date(value)


def test_parse_date_quotes_a_long_value_cut_short():
    # given a cell holding a paragraph
    value = "这不是日期" * 50
    # when
    with pytest.raises(ValueError) as error:
        parse_date(value)
    # then
    assert len(str(error.value)) < 120
    assert "…" in str(error.value)


@pytest.mark.parametrize(
    ("call", "value", "chinese"),
    [
        (parse_date, "abc", "'abc' 不是日期"),
        (parse_date, "", "未填写日期"),
        (parse_date, "2019-02-30", "'2019-02-30' 不是日历上有的日子"),
        (parse_date, "1899-12-31", "不在 1900 年至 2100 年之间"),
        (parse_date, 60, "Excel 的第 60 天"),
        (parse_month, "abc", "'abc' 不是年月"),
        (parse_month, "", "未填写年月"),
        (parse_month, "2019.1", "可能是 1 月，也可能是 10 月"),
    ],
)
def test_date_errors_speak_chinese(call, value, chinese):
    # given the Chinese interface / when
    with translation.override("zh-hans"), pytest.raises(ValueError) as error:
        call(value)
    # then
    assert chinese in str(error.value)


# -- parse_month ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2019年9月",
        "2019年09月",
        "2019年9",
        "2019 年 9 月",
        "2019.09",
        "2019.9",
        "2019-9",
        "2019-09",
        "2019/09",
        "2019/9",
        "201909",
        "２０１９年９月",
        "２０１９．０９",
        "２０１９－９",
        "２０１９／０９",
        "２０１９０９",
        " 2019-09 ",
        201909,
        2019.09,
        2019.9,  # 2019.9 typed into a number cell: 2019.90 is no month
        SEP_1,
        43709,
        "2019-09-01",
        "2019年9月1日",
    ],
)
def test_parse_month_reads_the_ways_people_write_a_month(value):
    # given a month as typed / when / then: the first day of the month
    assert parse_month(value) == SEP_1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2019.10", dt.date(2019, 10, 1)),
        ("2019.01", dt.date(2019, 1, 1)),
        ("2019.12", dt.date(2019, 12, 1)),
        ("2019-1", dt.date(2019, 1, 1)),
        ("2019/1", dt.date(2019, 1, 1)),
        ("2019年1月", dt.date(2019, 1, 1)),
        ("2019年10月", dt.date(2019, 10, 1)),
        (2019.01, dt.date(2019, 1, 1)),
        (2019.11, dt.date(2019, 11, 1)),
        (2019.12, dt.date(2019, 12, 1)),
        (2019.2, dt.date(2019, 2, 1)),
        ("1900-01", dt.date(1900, 1, 1)),
        ("2100.12", dt.date(2100, 12, 1)),
    ],
)
def test_parse_month_reads_each_month(value, expected):
    # given / when / then
    assert parse_month(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2019-09-15", dt.date(2019, 9, 15)),
        ("2019年9月15日", dt.date(2019, 9, 15)),
        (dt.datetime(2019, 9, 15, 10, 0), dt.date(2019, 9, 15)),
        (43723, dt.date(2019, 9, 15)),
    ],
)
def test_parse_month_keeps_the_day_of_a_full_date(value, expected):
    # given a full date where a month is asked for / when / then
    assert parse_month(value) == expected


@pytest.mark.parametrize("value", ["2019.1", "２０１９．１", " 2019.1 ", 2019.1, 2019.10])
def test_parse_month_refuses_2019_1_which_may_be_october(value):
    # given what a spreadsheet shows for 2019.10 kept as a number / when / then
    with pytest.raises(ValueError, match="January or October"):
        parse_month(value)


@pytest.mark.parametrize(
    "value",
    [
        "2019",
        2019,
        2019.0,
        "2019-13",
        "2019年13月",
        "2019.00",
        "2019-0",
        "201913",
        201913,
        2019.123,
        2019.13,
        "19-09",
        "2019-09-",
        "2019-09-01-01",
        "九月",
        "٢٠١٩-٠٩",
        True,
        float("nan"),
        "2019/02/30",
    ],
)
def test_parse_month_refuses_what_is_not_a_month(value):
    # given / when / then
    with pytest.raises(ValueError):
        parse_month(value)


@pytest.mark.parametrize("value", ["abc", "2019", 2019, "2019-13", "201913"])
def test_parse_month_says_month_not_date_when_it_refuses(value):
    # given / when / then
    with pytest.raises(ValueError, match="is not a month"):
        parse_month(value)


@pytest.mark.parametrize("value", [None, "", "  ", "\u3000"])
def test_parse_month_refuses_an_empty_cell(value):
    # given / when / then
    with pytest.raises(ValueError, match="No month given"):
        parse_month(value)


@pytest.mark.parametrize("value", ["1899-12", "2101年1月", "189912", 2101.01])
def test_parse_month_refuses_years_outside_1900_to_2100(value):
    # given / when / then
    with pytest.raises(ValueError, match="outside the years"):
        parse_month(value)


# -- fold_for_search --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("張偉", "张伟"),
        ("劉德華", "刘德华"),
        ("歐陽修", "欧阳修"),
        ("鄭國強", "郑国强"),
        ("陳麗華", "陈丽华"),
        ("鐘錶", "钟表"),
        ("黨支部", "党支部"),
        ("內蒙古自治區", "内蒙古自治区"),
        ("張偉 ＺＨＡＮＧ", "张伟 zhang"),
        ("ＺｈａｎｇＷｅｉ", "zhangwei"),
        ("  Zhang   Wei ", "zhang wei"),
        ("张伟", "张伟"),
        ("１５０１０２１９９００３０７１２３Ｘ", "15010219900307123x"),
        ("", ""),
    ],
)
def test_fold_for_search_gives_simplified_half_width_lower_case(text, expected):
    # given / when / then
    assert fold_for_search(text) == expected


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("張", "张伟"),
        ("偉", "张伟"),
        ("乾", "乾隆"),  # character by character: 乾 folds the same alone and in a word
        ("髮", "头发"),
        ("發", "发展"),
        ("陳麗", "陈丽华"),
        ("ｗｅｉ", "Zhang Wei"),
    ],
)
def test_traditional_or_full_width_query_finds_the_simplified_name(query, name):
    # given a query typed in traditional characters or full width / when both are folded
    # then the query is found in the name
    assert fold_for_search(query) in fold_for_search(name)


def test_fold_for_search_is_idempotent_over_its_whole_table():
    # given every character the fold maps, and every character it maps to
    table = fold_table()
    targets = (chr(v) if isinstance(v, int) else v or "" for v in table.values())
    text = "".join(chr(c) for c in table) + "".join(targets)
    # when folded twice
    once = fold_for_search(text)
    # then the second fold changes nothing
    assert fold_for_search(once) == once


def test_fold_for_search_leaves_simplified_chinese_alone():
    # given common simplified characters of names and organizations
    text = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤党委支部总"
    # when / then
    assert fold_for_search(text) == text
