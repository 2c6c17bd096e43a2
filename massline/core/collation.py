"""A sort key that puts Chinese names in the order people look them up in: by the pinyin of
each character, then its tone, then the character (so 张 stands before 章 and both before
赵, and 李 before 林), as a dictionary or a printed roster orders them.

The key is plain ASCII (`[0-9a-z]`), compared byte by byte, so an index on it serves a sorted,
keyset-paged list on SQLite and PostgreSQL alike. Each character gives one part: its reading
with the tone as a digit (neutral tone 5; ü written v), then its code point as five hex
digits. A shorter reading is a prefix of a longer one up to its tone digit, and digits sort
before letters, so "li3" comes before "lin2" and the key of 李 before that of 林; equal readings
fall to the code point, which groups one character's names together. A character without a
reading (a letter, the middle dot of 阿依古丽·买买提) gives "0" and its code point, before every
reading.

The first character is read as a surname where its surname reading differs (单 shàn, 曾 zēng,
解 xiè, 仇 qiú, …); the others by their usual reading. Names are folded first (traditional to
simplified, full width to half width), so 張偉 and 张伟 sort together."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from .normalize import fold_for_search

if TYPE_CHECKING:
    import polars as pl

#: The longest key stored; names whose first characters give a longer key are ordered by
#: those characters, then by their row id.
KEY_LENGTH = 160

#: Surnames whose reading differs from the character's usual one, in tone-number form.
SURNAME_READINGS = {
    "单": "shan4",
    "曾": "zeng1",
    "解": "xie4",
    "仇": "qiu2",
    "区": "ou1",
    "朴": "piao2",
    "查": "zha1",
    "盖": "ge3",
    "华": "hua4",
    "缪": "miao4",
    "翟": "zhai2",
    "乐": "yue4",
    "员": "yun4",
    "重": "chong2",
    "种": "chong2",
    "秘": "bi4",
    "折": "she2",
    "繁": "po2",
    "覃": "qin2",
    "任": "ren2",
    "宁": "ning4",
    "召": "shao4",
    "纪": "ji3",
    "薄": "bo2",
    "卜": "bu3",
    "冼": "xian3",
    "隗": "wei3",
    "柏": "bai3",
    "句": "gou1",
    "阚": "kan4",
    "逄": "pang2",
    "燕": "yan1",
    "尉": "yu4",
    "乜": "nie4",
    "长": "chang2",
    "万": "wan4",
    "沈": "shen3",
    "贾": "jia3",
    "车": "che1",
    "都": "du1",
    "藏": "zang4",
    "蕃": "pi2",
    "粘": "nian2",
}


@lru_cache(maxsize=50_000)
def char_key(char: str, *, surname: bool = False) -> str:
    """One character's part of the key."""
    point = f"{ord(char):05x}"
    if surname and char in SURNAME_READINGS:
        return SURNAME_READINGS[char] + point
    from pypinyin.contrib.tone_convert import to_tone3
    from pypinyin.pinyin_dict import pinyin_dict

    readings = pinyin_dict.get(ord(char))
    if not readings:
        return "0" + point
    reading = to_tone3(readings.split(",")[0], v_to_u=False, neutral_tone_with_five=True)
    reading = reading.replace("ü", "v")
    if not reading.isascii() or not reading.isalnum():
        return "0" + point
    return reading + point


def name_sort_key(name: str) -> str:
    """The sort key of a name (see the module's words)."""
    folded = fold_for_search(name).replace(" ", "")
    key = "".join(char_key(c, surname=i == 0) for i, c in enumerate(folded))
    return key[:KEY_LENGTH]


def name_sort_keys(folded: pl.Series) -> pl.Series:
    """`name_sort_key` of a column of names already folded for search (`fold_for_search`), as
    column operations: each distinct character is read once, whatever the column's length."""
    import polars as pl

    chars = folded.str.replace_all(" ", "", literal=True).str.split("")
    distinct = chars.explode().drop_nulls().unique().to_list()
    first = {c: char_key(c, surname=True) for c in distinct}
    rest = {c: char_key(c) for c in distinct}
    frame = pl.DataFrame({"chars": chars})
    keys = frame.select(
        (
            pl.col("chars").list.first().replace_strict(first, default="", return_dtype=pl.String)
            + pl.col("chars")
            .list.slice(1)
            .list.eval(pl.element().replace_strict(rest, default="", return_dtype=pl.String))
            .list.join("")
        )
        .fill_null("")
        .str.slice(0, KEY_LENGTH)
        .alias("name_key")
    )
    return keys.to_series()
