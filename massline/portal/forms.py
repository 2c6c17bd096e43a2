"""The opinion box's form and the tracking form: what a phone shows; the rules are the
service's (`opinions.intake_services`), which answers every bad input."""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from massline.opinions.intake_services import MAX_TEXT
from massline.opinions.models import CategorySource, OpinionCategory


class OpinionForm(forms.Form):
    text = forms.CharField(
        label=_("Your opinion"),
        max_length=MAX_TEXT * 2,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": MAX_TEXT}),
    )
    anonymous = forms.TypedChoiceField(
        label=_("Anonymous or named"),
        choices=[
            ("1", _("Anonymous: nothing about me is kept")),
            ("0", _("Named: I give a way to contact me")),
        ],
        coerce=lambda v: v == "1",
        initial="1",
        widget=forms.RadioSelect,
    )
    name = forms.CharField(label=_("Name (optional)"), max_length=200, required=False)
    contact = forms.CharField(
        label=_("Phone or other contact"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    category = forms.TypedChoiceField(
        label=_("What is it about? (optional)"), required=False, coerce=int, empty_value=None
    )
    # a random value for this one form, so that a double tap or a reload sends it once
    once = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args: Any, categories: list[OpinionCategory], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(CategorySource.choices)
        groups: dict[str, list[tuple[int, str]]] = {}
        for c in categories:
            groups.setdefault(str(labels.get(c.source, c.source)), []).append((c.pk, c.title))
        if not self.is_bound:
            self.initial["once"] = secrets.token_urlsafe(16)
        self.fields["category"].choices = [("", _("Not sure")), *groups.items()]  # type: ignore[attr-defined]


class TrackForm(forms.Form):
    receipt = forms.CharField(
        label=_("Receipt code"),
        max_length=64,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
