"""Forms of the roster pages. They check the shape of what was typed (dates in the forms
people write them, lengths, choices); the rules are the services' (errors come back as
ApplicationError and are put next to their field by the view)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from massline.core.normalize import parse_date
from massline.core.reference import ETHNIC_GROUPS

from .models import Category, Education, Gender, MemberStatus, Mobility, Position

DATE_HELP = _("For example 2019-09-01, 2019.9.1 or 2019年9月1日.")


class RosterDateField(forms.Field):
    """A date as people type it: 2019-09-01, 2019/9/1, 2019.9.1, 20190901, 2019年9月1日, in
    half or full width (core.normalize.parse_date)."""

    widget = forms.TextInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", DATE_HELP)
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {"placeholder": "2019-09-01", "autocomplete": "off", "maxlength": "32"}
        )

    def prepare_value(self, value: Any) -> Any:
        return value.isoformat() if isinstance(value, dt.date) else value

    def to_python(self, value: Any) -> dt.date | None:
        text = str(value).strip() if value is not None else ""
        if not text:
            return None
        if len(text) > 32:
            raise forms.ValidationError(DATE_HELP, code="invalid_date")
        try:
            return parse_date(text)
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="invalid_date") from None


class StyledForm(forms.Form):
    """Bootstrap classes on every widget, and `is-invalid` on those with an error, however
    the error arrived (the form's own checks or a service's ApplicationError)."""

    #: Service field names that this form shows under another name.
    field_aliases: dict[str, str] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.Select):
                css = "form-select"
            elif isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            else:
                css = "form-control"
            widget.attrs["class"] = css

    def add_error(self, field: str | None, error: Any) -> None:
        if field is not None:
            field = self.field_aliases.get(field, field)
            if field not in self.fields:
                field = None
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                if "is-invalid" not in attrs.get("class", ""):
                    attrs["class"] = (attrs.get("class", "") + " is-invalid").strip()


class MakeFullForm(StyledForm):
    full_date = RosterDateField(label=_("Full member since"))


class MobilityForm(StyledForm):
    field_aliases = {
        "mobility_since": "since",
        "mobility_place": "place",
        "mobility_contact": "contact",
    }

    mobility = forms.ChoiceField(
        label=_("Mobility"),
        choices=[("", _("not mobile")), *Mobility.choices],
        required=False,
    )
    since = RosterDateField(label=_("Since"), required=False)
    place = forms.CharField(
        label=_("Where"),
        max_length=128,
        required=False,
        help_text=_(
            "Outflow: where the member lives or works now. Inflow: the place and "
            "organization the member comes from."
        ),
    )
    contact = forms.CharField(
        label=_("Contact"),
        max_length=128,
        required=False,
        help_text=_("How the branch keeps in touch: a phone, an address, a contact person."),
    )
    attached_org = forms.CharField(
        label=_("Takes part at (local organization)"),
        max_length=128,
        required=False,
        help_text=_("Inflow only: the code or the name of a branch in your scope."),
        # As the user types, htmx fills the list of matching branches the browser offers.
        widget=forms.TextInput(
            attrs={
                "list": "org-options",
                "autocomplete": "off",
                "hx-get": reverse_lazy("members:org_options"),
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#org-options",
                "hx-swap": "outerHTML",
            }
        ),
    )


class LostForm(StyledForm):
    lost_since = RosterDateField(label=_("Lost contact since"))
    lost_notes = forms.CharField(
        label=_("Tracing notes"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Who was asked, what was tried, what is known of where the member is."),
    )


class FoundForm(StyledForm):
    found_on = RosterDateField(label=_("Found again on"))
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Added to the tracing notes."),
    )


class TracingForm(StyledForm):
    field_aliases = {"lost_notes": "notes"}

    notes = forms.CharField(
        label=_("Tracing notes"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class MemberCreateForm(StyledForm):
    name = forms.CharField(label=_("Full name"), max_length=64)
    id_number = forms.CharField(
        label=_("Citizen ID number"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("18 characters; gender and birth date are read from it."),
    )
    gender = forms.ChoiceField(
        label=_("Gender"),
        choices=[("", _("as in the ID number")), *Gender.choices],
        required=False,
    )
    birth_date = RosterDateField(
        label=_("Birth date"),
        required=False,
        help_text=_("Optional: checked against the ID number."),
    )
    ethnicity = forms.ChoiceField(label=_("Ethnicity"), choices=ETHNIC_GROUPS, initial="01")
    join_date = RosterDateField(label=_("Join date"))
    status = forms.ChoiceField(label=_("Member status"), choices=MemberStatus.choices)
    full_date = RosterDateField(
        label=_("Full member since"),
        required=False,
        help_text=_("Full members only."),
    )
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    education = forms.ChoiceField(
        label=_("Education"), choices=[("", "—"), *Education.choices], required=False
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    party_group = forms.CharField(label=_("Party group"), max_length=64, required=False)
    position = forms.ChoiceField(
        label=_("Branch position"), choices=[("", "—"), *Position.choices], required=False
    )
