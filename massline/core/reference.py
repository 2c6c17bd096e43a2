"""National reference codes: ethnic groups (GB/T 3304-1991) and gender (GB/T 2261.1-2003).

We store the code and show the name. The parsers read what a roster holds: a name, a short
name or the code, in half or full width, in simplified or traditional characters.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from massline.core.normalize import clean_cell, fold_for_search

__all__ = [
    "ETHNICITY_CODES",
    "ETHNIC_GROUPS",
    "GENDERS",
    "ethnicity_name",
    "parse_ethnicity",
    "parse_gender",
]

#: The 56 ethnic groups with their two-digit codes, in the order of GB/T 3304-1991.
#: Usable as `choices` of a model field.
ETHNIC_GROUPS: tuple[tuple[str, str], ...] = (
    ("01", "汉族"),
    ("02", "蒙古族"),
    ("03", "回族"),
    ("04", "藏族"),
    ("05", "维吾尔族"),
    ("06", "苗族"),
    ("07", "彝族"),
    ("08", "壮族"),
    ("09", "布依族"),
    ("10", "朝鲜族"),
    ("11", "满族"),
    ("12", "侗族"),
    ("13", "瑶族"),
    ("14", "白族"),
    ("15", "土家族"),
    ("16", "哈尼族"),
    ("17", "哈萨克族"),
    ("18", "傣族"),
    ("19", "黎族"),
    ("20", "傈僳族"),
    ("21", "佤族"),
    ("22", "畲族"),
    ("23", "高山族"),
    ("24", "拉祜族"),
    ("25", "水族"),
    ("26", "东乡族"),
    ("27", "纳西族"),
    ("28", "景颇族"),
    ("29", "柯尔克孜族"),
    ("30", "土族"),
    ("31", "达斡尔族"),
    ("32", "仫佬族"),
    ("33", "羌族"),
    ("34", "布朗族"),
    ("35", "撒拉族"),
    ("36", "毛南族"),
    ("37", "仡佬族"),
    ("38", "锡伯族"),
    ("39", "阿昌族"),
    ("40", "普米族"),
    ("41", "塔吉克族"),
    ("42", "怒族"),
    ("43", "乌孜别克族"),
    ("44", "俄罗斯族"),
    ("45", "鄂温克族"),
    ("46", "德昂族"),
    ("47", "保安族"),
    ("48", "裕固族"),
    ("49", "京族"),
    ("50", "塔塔尔族"),
    ("51", "独龙族"),
    ("52", "鄂伦春族"),
    ("53", "赫哲族"),
    ("54", "门巴族"),
    ("55", "珞巴族"),
    ("56", "基诺族"),
)

_NAMES: dict[str, str] = dict(ETHNIC_GROUPS)


def _short_names() -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """Names without 族 (蒙古 for 蒙古族), and those short names that are not safe to read:
    土 starts 土家族 as well as being short for 土族, so it is refused, not guessed."""
    short = {name[:-1]: code for code, name in ETHNIC_GROUPS}
    ambiguous = {}
    for prefix in list(short):
        names = tuple(
            name for _code, name in ETHNIC_GROUPS if name.startswith(prefix) and len(name) > 1
        )
        if len(names) > 1:
            ambiguous[prefix] = names
            del short[prefix]
    return short, ambiguous


_SHORT, _AMBIGUOUS = _short_names()

# Every accepted spelling, code or name, to its code. Codes also without their leading zero,
# as a spreadsheet that kept 01 as a number gives 1.
ETHNICITY_CODES: dict[str, str] = {
    **{name: code for code, name in ETHNIC_GROUPS},
    **_SHORT,
    **{code: code for code, _name in ETHNIC_GROUPS},
    **{code.lstrip("0"): code for code, _name in ETHNIC_GROUPS},
}


def _shown(value: object) -> object:
    """The value as a message quotes it: long text cut short."""
    if isinstance(value, str) and len(value) > 40:
        return value[:40] + "…"
    return value


def parse_ethnicity(value: object) -> str:
    """The two-digit code of an ethnic group from a cell: its name (蒙古族), its name without
    族 (蒙古) unless that could be another group too (土), or its code (02, or 2 from a cell
    that lost the 0). Raises ValueError, with a translated message, otherwise."""
    if isinstance(value, str):
        code = ETHNICITY_CODES.get(value)
        if code is not None:
            return code
    elif isinstance(value, int) and not isinstance(value, bool):
        code = ETHNICITY_CODES.get(str(value))
        if code is not None:
            return code
    text = fold_for_search(clean_cell(value))  # full width, traditional characters, spaces
    code = ETHNICITY_CODES.get(text)
    if code is not None:
        return code
    if text in _AMBIGUOUS:
        raise ValueError(
            _("%(value)r may mean %(names)s: write the full name.")
            % {"value": _shown(value), "names": " / ".join(_AMBIGUOUS[text])}
        )
    if not text:
        raise ValueError(
            _("No ethnic group given (write its name, like 汉族, or its code, like 01).")
        )
    raise ValueError(
        _(
            "%(value)r is not one of the 56 ethnic groups "
            "(write its name, like 汉族, or its code, like 01)."
        )
        % {"value": _shown(value)}
    )


def ethnicity_name(code: str) -> str:
    """The name of the ethnic group with this code: 汉族 for 01. KeyError for a code that is
    not one of the 56 (a stored code is checked when it is written)."""
    return _NAMES[code]


#: Stored values of gender, with their labels.
GENDERS: tuple[tuple[str, str], ...] = (("male", "男"), ("female", "女"))

# GB/T 2261.1: 1 male, 2 female; M and F; our own stored values, so an export reads back.
_GENDER: dict[str, str] = {
    "男": "male",
    "男性": "male",
    "m": "male",
    "1": "male",
    "male": "male",
    "女": "female",
    "女性": "female",
    "f": "female",
    "2": "female",
    "female": "female",
}


def parse_gender(value: object) -> str:
    """ "male" or "female" from a cell: 男, 女, 男性, 女性, M, F (any case, any width), or the
    GB/T 2261.1 code 1 or 2. Raises ValueError, with a translated message, otherwise."""
    if isinstance(value, str):
        gender = _GENDER.get(value)
        if gender is not None:
            return gender
    elif isinstance(value, int) and not isinstance(value, bool):
        gender = _GENDER.get(str(value))
        if gender is not None:
            return gender
    text = fold_for_search(clean_cell(value))
    gender = _GENDER.get(text)
    if gender is not None:
        return gender
    if not text:
        raise ValueError(_("No gender given (write 男 or 女)."))
    raise ValueError(_("%(value)r is not a gender (write 男 or 女).") % {"value": _shown(value)})
