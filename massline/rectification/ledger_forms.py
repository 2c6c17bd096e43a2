"""Forms of the staff pages: a new problem and a new fix. They check the shape of what was
typed (a day, a choice of the page, numbers and codes that name something); the rules are the
services' (`problem_services`, `fix_services`): an ApplicationError is put next to the field
it names by the view."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from massline.core.errors import ApplicationError
from massline.opinions.dispatch_selectors import visible
from massline.opinions.models import Opinion, OpinionCategory
from massline.orgs.models import Organization

from .fix_services import CO_ORGS_MAX, MEASURE_MAX, PERSON_MAX
from .models import FixKind, ProblemSource
from .problem_services import OPINIONS_MAX

SEPARATORS = r"[\s,，、;；]+"


class StaffForm(forms.Form):
    """Bootstrap classes on the widgets, and `is-invalid` on a field with an error, whether
    the form or the service found it. An error naming no field of the form is the form's."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            select = isinstance(field.widget, forms.Select)
            field.widget.attrs["class"] = "form-select" if select else "form-control"

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field if field in self.fields else None, error)
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["class"] = attrs.get("class", "").replace(" is-invalid", "") + " is-invalid"

    def refused(self, exc: ApplicationError) -> None:
        self.add_error(exc.field, exc.message)


def _words(value: str) -> list[str]:
    return [w for w in re.split(SEPARATORS, (value or "")[:4000]) if w]


def opinions_named(user: Any, value: str) -> list[Opinion]:
    """The opinions named by their numbers, each one the user sees."""
    numbers = _words(value)
    if len(numbers) > OPINIONS_MAX:
        raise ApplicationError(_("At most %(n)d opinions.") % {"n": OPINIONS_MAX}, field="opinions")
    for n in numbers:
        if not n.isdigit() or len(n) > 18:
            raise ApplicationError(
                _("“%(value)s” is not an opinion number.") % {"value": n[:20]}, field="opinions"
            )
    wanted = list(dict.fromkeys(int(n) for n in numbers))
    found = {o.pk: o for o in visible(user).filter(pk__in=wanted)}
    for pk in wanted:
        if pk not in found:
            raise ApplicationError(
                _("No opinion %(n)s within your scope.") % {"n": pk}, field="opinions"
            )
    return [found[pk] for pk in wanted]


def orgs_coded(value: str, field: str) -> list[Organization]:
    """The organizations named by their codes, in order; an unknown code names its field."""
    codes = list(dict.fromkeys(_words(value)))
    found = {o.code: o for o in Organization.objects.filter(code__in=codes[: CO_ORGS_MAX + 1])}
    for c in codes:
        if c not in found:
            raise ApplicationError(
                _("No organization has the code %(code)s.") % {"code": c[:40]}, field=field
            )
    return [found[c] for c in codes]


class ProblemForm(StaffForm):
    source = forms.ChoiceField(label=gettext_lazy("Source"), choices=ProblemSource.choices)
    description = forms.CharField(
        label=gettext_lazy("Problem"),
        required=False,  # the service says an empty one is empty, in its words
        max_length=MEASURE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    category = forms.ChoiceField(
        label=gettext_lazy("Checklist item"),
        required=False,
        help_text=gettext_lazy("Required for a problem found in a self-review."),
    )
    responsible_person = forms.CharField(
        label=gettext_lazy("Responsible person"), required=False, max_length=PERSON_MAX
    )
    opinions = forms.CharField(
        label=gettext_lazy("Opinions it was raised in"),
        required=False,
        max_length=4000,
        help_text=gettext_lazy("Opinion numbers, separated by spaces."),
    )

    def __init__(self, *args: Any, categories: list[OpinionCategory], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.categories = {str(c.pk): c for c in categories}
        field = self.fields["category"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—"), *((str(c.pk), c.title) for c in categories)]

    def service_args(self, user: Any) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "source": d["source"],
            "description": d["description"],
            "responsible_person": d["responsible_person"],
            "category": self.categories.get(d["category"]),
            "opinions": opinions_named(user, d["opinions"]),
        }


class FixForm(StaffForm):
    measure = forms.CharField(
        label=gettext_lazy("Measures"),
        required=False,
        max_length=MEASURE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind of fix"), choices=FixKind.choices)
    deadline = forms.DateField(
        label=gettext_lazy("Deadline"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("Not needed for a fix kept at."),
    )
    org = forms.CharField(
        label=gettext_lazy("Responsible organization (code)"),
        required=False,
        max_length=40,
        help_text=gettext_lazy("Empty: the problem's own organization."),
    )
    responsible_person = forms.CharField(
        label=gettext_lazy("Responsible person"), required=False, max_length=PERSON_MAX
    )
    co_orgs = forms.CharField(
        label=gettext_lazy("Co-organizations (codes)"),
        required=False,
        max_length=1000,
        help_text=gettext_lazy("Organization codes, separated by spaces."),
    )
    handover_org = forms.CharField(
        label=gettext_lazy("Taken over by (code)"),
        required=False,
        max_length=40,
        help_text=gettext_lazy("A later batch's organization that takes the fix over."),
    )

    def service_args(self) -> dict[str, Any]:
        d = self.cleaned_data
        org = orgs_coded(d["org"], "org")
        handover = orgs_coded(d["handover_org"], "handover_org")
        if len(org) > 1 or len(handover) > 1:
            raise ApplicationError(
                _("Name one organization."), field="org" if len(org) > 1 else "handover_org"
            )
        return {
            "measure": d["measure"],
            "kind": d["kind"],
            "deadline": d["deadline"],
            "responsible_person": d["responsible_person"],
            "org": org[0] if org else None,
            "co_orgs": orgs_coded(d["co_orgs"], "co_orgs"),
            "handover_org": handover[0] if handover else None,
        }
