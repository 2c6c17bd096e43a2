"""Forms of the staff entry pages. They check the shape of what was typed (a day, a number, a
choice of the page); the rules are `intake_services`' (an ApplicationError is put next to the
field it names by the view)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .intake_services import MAX_CONTACT, MAX_NAME, MAX_NOTES, MAX_PLACE, MAX_TEXT
from .models import Channel, OpinionCategory, SubmitterCategory, Urgency

#: The channels of the entry page; a forum's opinions are entered on the forum's page.
ENTRY_CHANNELS = [(c.value, c.label) for c in (Channel.INTERVIEW, Channel.VISIT, Channel.PAPER)]
ANONYMOUS = "anonymous"
NAMED = "named"


class _Form(forms.Form):
    """Bootstrap classes on the widgets, and `is-invalid` on a field with an error, whether
    the form or the service found it. An error naming no field of the form is the form's."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.RadioSelect):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = css

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field if field in self.fields else None, error)
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["class"] = attrs.get("class", "").replace(" is-invalid", "") + " is-invalid"


def _day_field(label: Any) -> forms.DateField:
    return forms.DateField(
        label=label, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class OpinionForm(_Form):
    """One opinion as heard: the text, who gave it (anonymous or named), its category and
    urgency. The category is any id typed: the service says whether it is used here."""

    text = forms.CharField(
        label=_("Opinion"),
        max_length=MAX_TEXT,
        strip=False,
        required=False,  # the service says an empty text is empty, in its words
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    submitter_category = forms.ChoiceField(
        label=_("Submitted by"), choices=SubmitterCategory.choices, initial=SubmitterCategory.PUBLIC
    )
    identity = forms.ChoiceField(
        label=_("Anonymous or named"),
        choices=[
            (ANONYMOUS, _("anonymous (背靠背): no name, no contact")),
            (NAMED, _("named (面对面): name and contact, stored encrypted")),
        ],
        initial=ANONYMOUS,
        widget=forms.RadioSelect,
    )
    name = forms.CharField(
        label=pgettext_lazy("person", "Name"), required=False, max_length=MAX_NAME
    )
    contact = forms.CharField(
        label=_("Contact"),
        required=False,
        max_length=MAX_CONTACT,
        help_text=_("A mobile number or another way to reach the submitter."),
    )
    category = forms.CharField(
        label=pgettext_lazy("opinion", "Category"),
        required=False,
        max_length=18,
        widget=forms.Select(),
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"), choices=Urgency.choices, initial=Urgency.GENERAL
    )

    def __init__(self, *args: Any, categories: list[OpinionCategory], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].widget.choices = [
            ("", _("not categorized")),
            *((str(c.pk), c.title) for c in categories),
        ]

    def service_args(self) -> dict[str, Any]:
        """What `intake_services.opinion_enter` takes from this form."""
        d = self.cleaned_data
        return {
            "text": d["text"],
            "submitter_category": d["submitter_category"],
            "anonymous": d["identity"] == ANONYMOUS,
            "name": d["name"],
            "contact": d["contact"],
            "category": d["category"] or None,
            "urgency": d["urgency"],
        }


class EntryForm(OpinionForm):
    """An opinion from an individual interview, a visit or the paper suggestion box."""

    channel = forms.ChoiceField(label=_("Channel"), choices=ENTRY_CHANNELS)
    received_on = _day_field(_("Received on"))
    field_order = ["channel", "received_on"]

    def service_args(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {**super().service_args(), "channel": d["channel"], "received_on": d["received_on"]}


class ForumForm(_Form):
    """A forum: its day, place, notes, and how many came of each submitter category."""

    held_on = _day_field(_("Held on"))
    place = forms.CharField(label=_("Place"), required=False, max_length=MAX_PLACE)
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=MAX_NOTES,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: the service's error about the counts as a whole, shown above them
        self.attendees_errors: list[str] = []
        for code, label in SubmitterCategory.choices:
            # any whole number: the service says which counts are possible
            self.fields[f"attendees_{code}"] = forms.IntegerField(
                label=label,
                required=False,
                widget=forms.NumberInput(attrs={"min": 0, "class": "form-control"}),
            )

    def add_error(self, field: str | None, error: Any) -> None:
        if field == "attendees":
            self.attendees_errors.append(str(error))
            return
        super().add_error(field, error)

    @property
    def attendee_fields(self) -> list[forms.BoundField]:
        return [self[f"attendees_{code}"] for code, _label in SubmitterCategory.choices]

    def service_args(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "held_on": d["held_on"],
            "place": d["place"],
            "notes": d["notes"],
            "attendees": {
                code: d[f"attendees_{code}"]
                for code, _label in SubmitterCategory.choices
                if d.get(f"attendees_{code}") is not None
            },
        }
