"""One label per value: a member's fields and their values read the same in Chinese on the
member's pages, in the audit log and in the roster template and its exports."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.text import capfirst

from massline.members import template
from massline.members.models import Category, Education, Gender, Member, MemberStatus

# template column -> the model field that holds it (where one does)
FIELD_OF_COLUMN = {
    "name": "name",
    "gender": "gender",
    "ethnicity": "ethnicity",
    "id_number": "id_masked",
    "birth_date": "birth_date",
    "education": "education",
    "category": "category",
    "join_date": "join_date",
    "full_date": "full_date",
    "status": "status",
    "phone": "phone_masked",
    "mobility": "mobility",
    "mobility_place": "mobility_place",
}


@pytest.mark.parametrize(("header", "column"), template.COLUMNS)
def test_a_field_is_called_what_the_template_calls_it(header, column):
    if column not in FIELD_OF_COLUMN:
        pytest.skip("no model field of its own (an organization code, a yes/no question)")
    field = Member._meta.get_field(FIELD_OF_COLUMN[column])
    with translation.override("zh-hans"):
        assert str(capfirst(field.verbose_name)) == header


@pytest.mark.parametrize(
    ("choices", "labels"),
    [
        (Gender, template.GENDER_LABELS),
        (Education, template.EDUCATION_LABELS),
        (Category, template.CATEGORY_LABELS),
        (MemberStatus, template.STATUS_LABELS),
    ],
    ids=["gender", "education", "category", "status"],
)
def test_a_value_is_called_what_the_template_calls_it(choices, labels):
    with translation.override("zh-hans"):
        shown = {value: str(label) for value, label in choices.choices}
    assert shown == {str(k): v for k, v in labels.items()}
