"""The pinyin sort key: the order people expect, one form per column and per name alike."""

import random

import polars as pl

from massline.core.collation import KEY_LENGTH, char_key, name_sort_key, name_sort_keys
from massline.core.normalize import fold_for_search


def test_names_in_pinyin_order():
    names = ["赵六", "张三", "章四", "李明", "林立", "李", "吕布", "卢俊义", "王小二", "王", "安娜"]
    assert sorted(names, key=name_sort_key) == [
        "安娜",  # an
        "李",  # li3, the shorter name first
        "李明",
        "林立",  # lin2 after li3
        "卢俊义",  # lu before lü
        "吕布",
        "王",
        "王小二",
        "张三",  # zhang1 张 before zhang1 章: the character's code point
        "章四",
        "赵六",
    ]


def test_surnames_are_read_as_surnames_and_only_first():
    assert name_sort_key("单雄信").startswith("shan4")
    assert name_sort_key("曾国藩").startswith("zeng1")
    assert "dan1" in name_sort_key("王单")  # not a surname here: the usual reading
    assert sorted(["单雄信", "石敬瑭", "曹操"], key=name_sort_key) == ["曹操", "单雄信", "石敬瑭"]


def test_traditional_and_full_width_sort_as_simplified():
    assert name_sort_key("張偉") == name_sort_key("张伟")
    assert name_sort_key("張 偉") == name_sort_key("张伟")


def test_characters_without_a_reading_sort_first_and_keys_are_ascii():
    key = name_sort_key("阿依古丽·买买提")
    assert key.isascii() and key.isalnum()
    assert char_key("·").startswith("0")
    assert name_sort_key("Anna") < name_sort_key("阿依古丽")
    assert len(name_sort_key("张" * 64)) == KEY_LENGTH


def test_the_column_form_agrees_with_the_name_form():
    rnd = random.Random(7)
    pool = "王李张刘陈杨黄赵单曾張偉·伟芳娜敏 静丽ABc強磊军"
    names = ["".join(rnd.choice(pool) for _ in range(rnd.randint(1, 6))) for _ in range(3000)]
    names += ["张" * 64, "·王", "W"]
    folded = pl.Series([fold_for_search(n) for n in names])
    assert name_sort_keys(folded).to_list() == [name_sort_key(n) for n in names]
