"""Read what Chinese users type and export: cells, dates and search text.

These run once per cell of a roster import (1.3 million rows), so they are written for speed:
one precomputed `str.translate` table per job, precompiled patterns, an early return for the
common case, and no allocation that the common case does not need. Invalid input raises
`ValueError` with a translated message; the caller adds the row and the column.
"""

from __future__ import annotations

import datetime as _dt
import functools
import math
import re
import warnings
from collections.abc import Callable

from django.utils.translation import gettext as _

__all__ = [
    "CELL_TABLE",
    "EXCEL_DAY_LIMITS",
    "YEAR_LIMITS",
    "clean_cell",
    "fold_for_search",
    "fold_table",
    "parse_date",
    "parse_month",
    "to_halfwidth",
]

# -- full width -------------------------------------------------------------------------------

# U+FF01..U+FF5E are ASCII 0x21..0x7E in full width; U+3000 is the ideographic space.
_HALFWIDTH: dict[int, int | str | None] = {0xFF01 + i: 0x21 + i for i in range(0x7E - 0x21 + 1)}
_HALFWIDTH[0x3000] = 0x20

# For cells: full width to half width, and the invisible characters that Excel, Word and web
# pages leave in copied text deleted (zero-width space, joiners, word joiner, byte order mark).
CELL_TABLE: dict[int, int | str | None] = dict(_HALFWIDTH)
CELL_TABLE.update(dict.fromkeys((0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF)))


def to_halfwidth(text: str) -> str:
    """Full-width digits, letters, punctuation and the ideographic space in half width:
    `２０１９／０９` becomes `2019/09`. Everything else is left as it is."""
    if text.isascii():
        return text
    return text.translate(_HALFWIDTH)


def clean_cell(value: object) -> str:
    """A spreadsheet or CSV cell as text: half width, invisible characters removed, stripped,
    runs of whitespace (any kind, line breaks included) made one space. None and blank cells
    give "". A float that holds a whole number (Excel's 13800138000.0) gives its digits."""
    if value is None:
        return ""
    if isinstance(value, str):
        if not value.isascii():
            value = value.translate(CELL_TABLE)
        return " ".join(value.split())
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# -- dates ------------------------------------------------------------------------------------

#: Dates outside these years are refused: a roster has none, and outside them a typo is likely.
YEAR_LIMITS = (1900, 2100)
_FIRST = _dt.date(YEAR_LIMITS[0], 1, 1)
_LAST = _dt.date(YEAR_LIMITS[1], 12, 31)

# Excel's 1900 date system counts 1900-01-01 as day 1 and, as Lotus 1-2-3 did, counts a
# 29 February 1900 that never was as day 60; from day 61 (1900-03-01) on, day n is
# 1899-12-30 + n. Day 60 names no real date and is refused.
_EXCEL_BEFORE_60 = _dt.date(1899, 12, 31).toordinal()
_EXCEL_FROM_61 = _dt.date(1899, 12, 30).toordinal()
#: The Excel day numbers accepted: 1900-01-01 to 2100-12-31, day 60 excepted.
EXCEL_DAY_LIMITS = (1, _LAST.toordinal() - _EXCEL_FROM_61)

_Invalid = Callable[[object], ValueError]

# Digits only, so that other scripts' digits (which int() would accept) are refused.
_DATE = re.compile(
    r"([0-9]{4})\s*"
    r"(?:([-/.])\s*([0-9]{1,2})\s*\2\s*([0-9]{1,2})"  # 2019-09-01, 2019/9/1, 2019.9.1
    r"|年\s*([0-9]{1,2})\s*月\s*([0-9]{1,2})\s*日?)"  # 2019年9月1日
    # a time after the date, as databases and Excel's CSV write it, is ignored
    r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?)?"
)
_MONTH = re.compile(r"([0-9]{4})\s*(?:([-/.])|年)\s*([0-9]{1,2})\s*(?(2)|月?)")
_SERIAL = re.compile(r"[0-9]{1,5}(?:\.[0-9]*)?")  # 43709, 43709.0, 43709.5 (noon)


def _shown(value: object) -> object:
    """The value as a message quotes it: long text cut short."""
    if isinstance(value, str) and len(value) > 40:
        return value[:40] + "…"
    return value


def _not_a_date(value: object) -> ValueError:
    if not clean_cell(value):
        return ValueError(_("No date given (write it like 2019-09-01 or 2019年9月1日)."))
    return ValueError(
        _("%(value)r is not a date (write it like 2019-09-01 or 2019年9月1日).")
        % {"value": _shown(value)}
    )


def _not_a_month(value: object) -> ValueError:
    if not clean_cell(value):
        return ValueError(_("No month given (write it like 2019-09 or 2019年9月)."))
    return ValueError(
        _("%(value)r is not a month (write it like 2019-09 or 2019年9月).")
        % {"value": _shown(value)}
    )


def _no_such_day(value: object) -> ValueError:
    return ValueError(
        _("%(value)r is not a day of the calendar (check the month and the day).")
        % {"value": _shown(value)}
    )


def _out_of_range(value: object) -> ValueError:
    return ValueError(
        _("%(value)r is outside the years %(first)d to %(last)d.")
        % {"value": _shown(value), "first": YEAR_LIMITS[0], "last": YEAR_LIMITS[1]}
    )


def _ymd(year: int, month: int, day: int, value: object) -> _dt.date:
    if not YEAR_LIMITS[0] <= year <= YEAR_LIMITS[1]:
        raise _out_of_range(value)
    try:
        return _dt.date(year, month, day)
    except ValueError:
        raise _no_such_day(value) from None


def _excel_day(serial: int, value: object) -> _dt.date:
    """Excel's day `serial` (1 to 99,999) in the 1900 date system."""
    if serial > 60:
        if serial > EXCEL_DAY_LIMITS[1]:
            raise _out_of_range(value)
        return _dt.date.fromordinal(_EXCEL_FROM_61 + serial)
    if serial == 60:
        raise ValueError(
            _(
                "%(value)r is Excel's day 60, the 29 February 1900 that never was: "
                "write the date out, like 1900-03-01."
            )
            % {"value": _shown(value)}
        )
    return _dt.date.fromordinal(_EXCEL_BEFORE_60 + serial)


def _from_number(number: int, value: object, invalid: _Invalid) -> _dt.date:
    """A whole number: an Excel day, or 20190901 typed into a cell that kept it as a number.
    1900 to 2100 read as a bare year, which is not a date (as Excel days they would all fall
    in 1905, a year no roster holds)."""
    if 10_000_000 <= number <= 99_999_999:
        return _ymd(number // 10000, number // 100 % 100, number % 100, value)
    if number < 1 or number > 99_999 or YEAR_LIMITS[0] <= number <= YEAR_LIMITS[1]:
        raise invalid(value)
    return _excel_day(number, value)


def _check_range(day: _dt.date, value: object) -> _dt.date:
    if _FIRST <= day <= _LAST:
        return day
    raise _out_of_range(value)


def parse_date(value: object) -> _dt.date:
    """A date from a cell: a `date` or `datetime` (a workbook's date cell), an Excel day
    number (43709, as a number or as text; 1900 date system), or text: 2019-09-01, 2019/09/01, 2019/9/1,
    2019.9.1, 20190901, 2019年9月1日, in half or full width; a time after the date is ignored.
    Raises ValueError, with a translated message, for anything else, for a day the calendar
    does not have (2019-02-30) and for a year outside YEAR_LIMITS."""
    return _parse_date(value, _not_a_date)


def _text_date(text: str, value: object, invalid: _Invalid) -> _dt.date | None:
    """The date `text` writes, or None when it is written in no form we know."""
    size = len(text)
    # the common case first: ISO 8601, which date.fromisoformat reads in C
    if size == 10 and text[4] == "-" and text[7] == "-" and text.isascii():
        try:
            day = _dt.date.fromisoformat(text)
        except ValueError:
            pass  # a bad day, or not digits: the pattern below tells which
        else:
            return _check_range(day, value)
    match = _DATE.fullmatch(text)
    if match is not None:
        year, _sep, month, day_of_month, cn_month, cn_day = match.groups()
        if cn_month is not None:
            month, day_of_month = cn_month, cn_day
        return _ymd(int(year), int(month), int(day_of_month), value)
    if text.isascii():
        if text.isdigit():
            if size == 8:  # 20190901
                return _ymd(int(text[:4]), int(text[4:6]), int(text[6:]), value)
            if size <= 5:  # an Excel day
                return _from_number(int(text), value, invalid)
            raise invalid(value)  # 201909 is a month, not a date
        if _SERIAL.fullmatch(text) is not None:  # an Excel day with a time: 43709.5
            return _from_number(int(text.partition(".")[0]), value, invalid)
    return None


def _parse_date(value: object, invalid: _Invalid) -> _dt.date:
    if isinstance(value, str):
        text = value.strip()
        day = _text_date(text, value, invalid)
        if day is None and not text.isascii():
            # full-width digits, or invisible characters: a second look, in half width
            day = _text_date(text.translate(CELL_TABLE).strip(), value, invalid)
        if day is None:
            raise invalid(value)
        return day
    if isinstance(value, _dt.datetime):
        return _check_range(value.date(), value)
    if isinstance(value, _dt.date):
        return _check_range(value, value)
    if isinstance(value, bool):
        raise invalid(value)
    if isinstance(value, int):
        return _from_number(value, value, invalid)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise invalid(value)
        # the fraction of an Excel day is the time of day
        return _from_number(math.floor(value), value, invalid)
    raise invalid(value)


def _ambiguous_month(value: object) -> ValueError:
    return ValueError(
        _(
            "%(value)r could be January or October, as a spreadsheet drops the 0 of 2019.10: "
            "write 2019.01 or 2019.10 as text, or 2019年1月 or 2019年10月."
        )
        % {"value": _shown(value)}
    )


def _year_month(year: int, month: int, value: object) -> _dt.date:
    if not YEAR_LIMITS[0] <= year <= YEAR_LIMITS[1]:
        raise _out_of_range(value)
    if not 1 <= month <= 12:
        raise _not_a_month(value)
    return _dt.date(year, month, 1)


def _text_month(text: str, value: object) -> _dt.date | None:
    """The first day of the month `text` writes, or None when it writes no month."""
    match = _MONTH.fullmatch(text)
    if match is not None:
        year, separator, month = match.groups()
        if separator == "." and month == "1":
            raise _ambiguous_month(value)
        return _year_month(int(year), int(month), value)
    if len(text) == 6 and text.isascii() and text.isdigit():  # 201909
        return _year_month(int(text[:4]), int(text[4:]), value)
    return None


def parse_month(value: object) -> _dt.date:
    """A month from a cell, as the first day of that month: 2019年9月, 2019.09, 2019-9,
    2019/09, 201909, in half or full width, or 2019.09 kept as a number by a spreadsheet.
    A full date (anything parse_date takes) is returned as it is, day included.

    2019.1 is refused: a spreadsheet that keeps 2019.10 as a number shows and exports it as
    2019.1, so it may be October as well as January."""
    if isinstance(value, str):
        text = value.strip()
        month = _text_month(text, value)
        if month is None and not text.isascii():
            month = _text_month(text.translate(CELL_TABLE).strip(), value)
        if month is not None:
            return month
    elif (
        isinstance(value, float)
        and math.isfinite(value)
        and not value.is_integer()
        and 1000 <= value < 10000
    ):
        # 2019.09 typed into a cell that kept it as a number (2019.1 may be 2019.10); an Excel
        # day with a time of day would be 1902 to 1927 here, which no month column holds
        year = int(value)
        hundredths = round((value - year) * 100)
        if abs(value - year - hundredths / 100) > 1e-6:
            raise _not_a_month(value)
        if hundredths % 10 == 0:  # 2019.1 .. 2019.9 (2019.10 reads the same as 2019.1)
            if hundredths == 10:
                raise _ambiguous_month(value)
            return _year_month(year, hundredths // 10, value)
        return _year_month(year, hundredths, value)
    elif isinstance(value, int) and not isinstance(value, bool) and 100_000 <= value <= 999_999:
        return _year_month(value // 100, value % 100, value)  # 201909 kept as a number
    return _parse_date(value, _not_a_month)


# -- search -----------------------------------------------------------------------------------


@functools.cache
def fold_table() -> dict[int, int | str | None]:
    """The search folding table: full width to half width, and traditional characters to
    simplified ones from zhconv's MediaWiki table (zh2Hans), its one-character entries (8,500
    traditional and variant characters). Characters, not phrases, so that folding keeps
    substrings: when a is in b, fold(a) is in fold(b).

    Built on first use, as importing zhconv takes a fifth of a second (most of it in
    pkg_resources), which every process that reads a date need not pay."""
    with warnings.catch_warnings():
        # zhconv imports pkg_resources (deprecated in newer setuptools) and leaves its
        # dictionary file open: neither is ours to report.
        warnings.simplefilter("ignore")
        from zhconv import zhconv

        table = zhconv.getdict("zh-hans")
    fold: dict[int, int | str | None] = {
        ord(k): v for k, v in table.items() if len(k) == 1 and len(v) == 1 and k != v
    }
    fold.update(_HALFWIDTH)
    return fold


def fold_for_search(text: str) -> str:
    """Text as a search compares it: traditional characters in their simplified form, full
    width in half width, lower case, whitespace stripped and runs of it made one space.
    Fold both the query and what it is compared with: 張偉 and ＺＨＡＮＧ find 张伟 and zhang."""
    if text.isascii():
        return " ".join(text.lower().split())
    return " ".join(text.translate(fold_table()).lower().split())
