import random
import re
import traceback
from datetime import date, datetime

import pytest
from django.utils import timezone, translation

from massline.members.idnumber import (
    IdInfo,
    InvalidNumber,
    check_digit,
    id_matches_birth_date,
    make_id,
    mask_id,
    mask_phone,
    normalize_id,
    normalize_phone,
    validate_id,
    validate_phone,
)

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CODES = "10X98765432"
# The only numbers an error message may contain: the rule's own figures.
ID_MESSAGE_FIGURES = {"15", "17", "18", "1900"}
PHONE_MESSAGE_FIGURES = {"11", "13", "19"}
FULL_WIDTH = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")


def _with_check_digit_ending(region: str, birth_date: date, last: str) -> str:
    """The first ID number for this region and date whose check digit is `last`."""
    for seq in range(1000):
        number = make_id(region, birth_date, seq)
        if number[-1] == last:
            return number
    raise AssertionError(f"no sequence gives {last}")


def _replace(number: str, index: int, char: str) -> str:
    return number[:index] + char + number[index + 1 :]


# make_id and the check digit


def test_check_digit_is_iso_7064_mod_11_2_with_the_standard_weights():
    # given random 17-digit prefixes
    rng = random.Random(7064)
    for _ in range(2000):
        first17 = "".join(rng.choice("0123456789") for _ in range(17))
        # when / then the fast check digit equals the weighted sum of GB 11643
        expected = CHECK_CODES[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]
        assert check_digit(first17) == expected


def test_check_digit_of_the_standards_example():
    # given the example of GB 11643-1999 (北京市朝阳区, 1949-12-31)
    # when / then
    assert check_digit("11010519491231002") == "X"


@pytest.mark.parametrize(
    ("region", "birth_date", "seq", "gender"),
    [
        ("150102", date(1990, 3, 7), 123, "male"),
        ("150102", date(1990, 3, 7), 124, "female"),
        ("110105", date(1949, 10, 1), 1, "male"),
        ("440305", date(2000, 2, 29), 998, "female"),
        ("652901", date(1900, 1, 1), 0, "female"),
    ],
)
def test_make_id_builds_a_number_validate_id_reads_back(region, birth_date, seq, gender):
    # given
    number = make_id(region, birth_date, seq)
    # when
    info = validate_id(number)
    # then
    assert info == IdInfo(number=number, birth_date=birth_date, gender=gender, region_code=region)
    assert len(number) == 18
    assert number[14:17] == f"{seq:03d}"


@pytest.mark.parametrize(
    ("region", "seq"),
    [("15010", 1), ("1501021", 1), ("15O102", 1), ("150102", -1), ("150102", 1000)],
)
def test_make_id_refuses_bad_parts(region, seq):
    # when / then
    with pytest.raises(ValueError):
        make_id(region, date(1990, 1, 1), seq)


# validate_id: what it accepts


def test_validate_id_accepts_the_standards_example_with_check_digit_x():
    # when
    info = validate_id("11010519491231002X")
    # then
    assert info.birth_date == date(1949, 12, 31)
    assert info.gender == "female"
    assert info.region_code == "110105"


def test_validate_id_accepts_a_lower_case_x_and_returns_upper_case():
    # given a number whose check digit is X, typed with x
    number = _with_check_digit_ending("150102", date(1985, 6, 15), "X")
    # when
    info = validate_id(number.lower())
    # then
    assert info.number == number
    assert info.number.endswith("X")


def test_validate_id_accepts_full_width_digits_and_x():
    # given a number typed with a Chinese input method
    number = _with_check_digit_ending("150102", date(1985, 6, 15), "X")
    typed = number.translate(FULL_WIDTH)
    assert typed.startswith("１５０１０２") and typed.endswith("Ｘ")
    # when / then
    assert validate_id(typed).number == number
    assert validate_id(typed[:-1] + "ｘ").number == number


@pytest.mark.parametrize(
    "typed",
    [
        "  {n}  ",
        "\u3000{n}\u3000",
        "{n}\n",
        "{a} {b} {c}",
        "{a}\u3000{b}\u3000{c}",
    ],
    ids=["spaces", "ideographic-spaces", "newline", "grouped", "grouped-ideographic"],
)
def test_validate_id_ignores_spaces_around_and_between_groups(typed):
    # given
    number = make_id("150102", date(1990, 3, 7), 123)
    text = typed.format(n=number, a=number[:6], b=number[6:14], c=number[14:])
    # when / then
    assert validate_id(text).number == number


@pytest.mark.parametrize("check", "0123456789X")
def test_validate_id_accepts_every_check_code(check):
    # given
    number = _with_check_digit_ending("320102", date(1970, 1, 1), check)
    # when / then
    assert validate_id(number).number == number


def test_validate_id_accepts_someone_born_today():
    # given
    number = make_id("150102", timezone.localdate(), 1)
    # when / then
    assert validate_id(number).birth_date == timezone.localdate()


# validate_id: what it refuses


VALID = make_id("150102", date(1990, 3, 7), 123)  # 150102199003071237


def _with_right_check(first17: str) -> str:
    """An 18-character number whose check digit is right, whatever else is wrong."""
    return first17 + check_digit(first17)


def _with_wrong_check(first17: str) -> str:
    right = check_digit(first17)
    return first17 + ("0" if right != "0" else "1")


INVALID = [
    ("", "id_format"),
    (VALID[:17], "id_format"),
    (VALID + "1", "id_format"),
    (_replace(VALID, 3, "A"), "id_format"),
    (_replace(VALID, 9, "X"), "id_format"),
    (VALID[:17] + "Y", "id_format"),
    (_replace(VALID, 5, "\u0663"), "id_format"),  # ARABIC-INDIC DIGIT THREE
    (_replace(VALID, 5, "²"), "id_format"),
    ("-" + VALID[1:], "id_format"),
    ("150102900307123", "id_old_format"),
    (_with_wrong_check(VALID[:17]), "id_checksum"),
    # two neighbouring digits swapped
    (VALID[:14] + VALID[15] + VALID[14] + VALID[16:], "id_checksum"),
    (_replace(VALID, 0, "2"), "id_checksum"),
    # the check digit is checked before the date
    (_with_wrong_check("15010219900230123"), "id_checksum"),
    (_with_right_check("15010219900230001"), "id_birth_date"),
    (_with_right_check("15010219901301001"), "id_birth_date"),
    (_with_right_check("15010219900001001"), "id_birth_date"),
    (_with_right_check("15010219010229001"), "id_birth_date"),
    (_with_right_check("15010200000101001"), "id_birth_date"),
    (make_id("150102", date(1899, 12, 31), 1), "id_birth_date"),
    (make_id("150102", date(2999, 1, 1), 1), "id_birth_date"),
]


@pytest.mark.parametrize(("text", "code"), INVALID, ids=[c for _, c in INVALID])
def test_validate_id_refuses_with_a_code(text, code):
    # when / then
    with pytest.raises(InvalidNumber) as caught:
        validate_id(text)
    assert caught.value.code == code
    assert isinstance(caught.value, ValueError)


def test_validate_id_refuses_the_standards_1880_example_only_for_the_1900_rule():
    # given the second example of GB 11643-1999, born 1880-01-01 (its check digit is right)
    number = "440524188001010014"
    assert check_digit(number[:17]) == number[17]
    # when / then
    with pytest.raises(InvalidNumber, match="1900"), translation.override("en"):
        validate_id(number)


def test_validate_id_catches_every_single_digit_error():
    # given every way to mistype one of the 18 characters
    for index in range(18):
        for char in "0123456789X":
            if char == VALID[index] or (char == "X" and index < 17):
                continue
            # when / then
            with pytest.raises(InvalidNumber):
                validate_id(_replace(VALID, index, char))


def test_validate_id_refuses_a_birth_date_after_the_given_today():
    # given
    number = make_id("150102", date(2020, 5, 1), 1)
    # when / then
    with pytest.raises(InvalidNumber) as caught:
        validate_id(number, today=date(2020, 4, 30))
    assert caught.value.code == "id_birth_date"
    assert validate_id(number, today=date(2020, 5, 1)).birth_date == date(2020, 5, 1)


def test_validate_id_refuses_someone_born_tomorrow():
    # given
    tomorrow = date.fromordinal(timezone.localdate().toordinal() + 1)
    number = make_id("150102", tomorrow, 1)
    # when / then
    with pytest.raises(InvalidNumber) as caught:
        validate_id(number)
    assert caught.value.code == "id_birth_date"


# The number never leaks through an error


def _leaks(text: str, number: str, allowed: set[str]) -> list[str]:
    """Figures in `text` that are not the rule's own, and the number's pieces found in it."""
    found = [figure for figure in re.findall(r"\d+", text) if figure not in allowed]
    digits = re.sub(r"\D", "", number)
    found += [digits[i : i + 4] for i in range(len(digits) - 3) if digits[i : i + 4] in text]
    return found


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(("text", "code"), INVALID, ids=[c for _, c in INVALID])
def test_id_error_messages_contain_no_digit_of_the_number(language, text, code):
    # given an invalid number
    # when
    with translation.override(language), pytest.raises(InvalidNumber) as caught:
        validate_id(text)
    # then neither the message nor the whole traceback holds a figure from it
    error = caught.value
    assert error.message
    assert _leaks(error.message, text, ID_MESSAGE_FIGURES) == []
    assert _leaks(str(error), text, ID_MESSAGE_FIGURES) == []
    assert _leaks(repr(error.args), text, ID_MESSAGE_FIGURES) == []
    if len(text) == 18:
        assert text not in "".join(traceback.format_exception(error))
        assert text[6:14] not in "".join(traceback.format_exception(error))


def test_id_error_messages_are_translated_into_chinese():
    # given an ID number with a wrong check digit
    # when
    with translation.override("zh-hans"), pytest.raises(InvalidNumber) as caught:
        validate_id(_with_wrong_check(VALID[:17]))
    # then
    assert re.search(r"[\u4e00-\u9fff]", caught.value.message)


# id_matches_birth_date


def test_id_matches_the_birth_date_it_holds():
    # given
    info = validate_id(make_id("150102", date(1990, 3, 7), 123))
    # when / then
    assert id_matches_birth_date(info, date(1990, 3, 7))
    assert id_matches_birth_date(info, datetime(1990, 3, 7, 12, 0))
    assert not id_matches_birth_date(info, date(1990, 7, 3))


# mask_id


def test_mask_id_keeps_the_region_and_the_last_four():
    # given
    number = _with_check_digit_ending("150102", date(1985, 6, 15), "X")
    # when
    masked = mask_id(number)
    # then
    assert masked == f"150102********{number[14:]}"
    assert re.fullmatch(r"150102\*{8}\d{3}X", masked)
    assert "19850615" not in masked


def test_mask_id_normalizes_first():
    # given
    number = _with_check_digit_ending("150102", date(1985, 6, 15), "X")
    # when / then
    assert mask_id(" " + number.lower().translate(FULL_WIDTH) + " ") == mask_id(number)


@pytest.mark.parametrize("text", ["", "1501021985", "150102198506151230123"])
def test_mask_id_hides_everything_that_is_not_18_characters(text):
    # when / then
    assert mask_id(text) == "*" * len(text)


# normalize_id


def test_normalize_id_does_not_validate():
    # when / then
    assert normalize_id(" １２３ｘ ") == "123X"
    assert normalize_id("abc") == "ABC"


# Phones


@pytest.mark.parametrize(
    "typed",
    [
        "13812345678",
        " 13812345678 ",
        "138 1234 5678",
        "138-1234-5678",
        "138－1234－5678",
        "+86 138 1234 5678",
        "+86-138-1234-5678",
        "+8613812345678",
        "8613812345678",
        "86 138 1234 5678",
        "008613812345678",
        "(+86) 138 1234 5678",
        "（＋８６）１３８１２３４５６７８",
        "１３８１２３４５６７８",
        "138\u30001234\u30005678",
    ],
)
def test_validate_phone_accepts_what_people_type(typed):
    # when / then
    assert validate_phone(typed) == "13812345678"


@pytest.mark.parametrize("second", "3456789")
def test_validate_phone_accepts_every_mobile_prefix(second):
    # when / then
    assert validate_phone(f"1{second}012345678") == f"1{second}012345678"


INVALID_PHONES = [
    "",
    "1381234567",
    "138123456789",
    "12812345678",
    "10812345678",
    "23812345678",
    "1381234567a",
    "010-12345678",
    "+85 138 1234 5678",
    "8613812345",
    "１３８１２３４５６７",
    "138\u0663234567",
]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("text", INVALID_PHONES)
def test_validate_phone_refuses_and_the_message_holds_no_digit_of_it(language, text):
    # when
    with translation.override(language), pytest.raises(InvalidNumber) as caught:
        validate_phone(text)
    # then
    assert caught.value.code == "phone_format"
    assert _leaks(caught.value.message, text, PHONE_MESSAGE_FIGURES) == []


def test_normalize_phone_does_not_validate():
    # when / then
    assert normalize_phone("+86 (010) 1234-5678") == "01012345678"


@pytest.mark.parametrize("typed", ["13812345678", "+86 138-1234-5678", "１３８１２３４５６７８"])
def test_mask_phone_keeps_the_first_three_and_last_four(typed):
    # when / then
    assert mask_phone(typed) == "138****5678"


@pytest.mark.parametrize("text", ["", "12345", "138123456789"])
def test_mask_phone_hides_everything_that_is_not_11_digits(text):
    # when / then
    assert mask_phone(text) == "*" * len(text)
