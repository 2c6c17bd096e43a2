"""The campaign pages' forms: parse and check the shape of what was typed; the rules are the
services'."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from massline.orgs.models import DivisionLevel, OrgKind, UnitType

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _css(widget: forms.Widget) -> str:
    if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
        return "form-check-input"
    return "form-select" if isinstance(widget, forms.Select) else "form-control"


def levels_field(**extra: Any) -> forms.Field:
    """Which organizations something selects: by level, kind and unit type (a batch, an action)."""
    return forms.TypedMultipleChoiceField(
        label=_("Levels"),
        choices=DivisionLevel.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        **extra,
    )


def org_kinds_field() -> forms.Field:
    return forms.MultipleChoiceField(
        label=_("Organization kinds"),
        choices=OrgKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


def unit_types_field() -> forms.Field:
    return forms.MultipleChoiceField(
        label=_("Unit types"),
        choices=UnitType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class _Styled(forms.Form):
    """Bootstrap's classes on the widgets."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = _css(field.widget)


class CampaignForm(_Styled):
    template = forms.ChoiceField(label=_("Template"))
    org = forms.CharField(
        label=_("Organization (code)"),
        max_length=32,
        help_text=_("The campaign covers this organization and everything below it."),
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    starts_on = forms.DateField(label=_("Starts on"), widget=DATE)
    ends_on = forms.DateField(label=_("Ends on"), widget=DATE)

    def __init__(self, *args: Any, templates: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(t.code, t.title) for t in templates]
        self.fields["template"].choices = choices  # type: ignore[attr-defined]


class TemplateCopyForm(_Styled):
    org = forms.CharField(label=_("Owner organization (code)"), max_length=32)
    code = forms.SlugField(label=_("Code"), max_length=64)
    title = forms.CharField(label=_("Title"), max_length=200)
    level_offset_days = forms.IntegerField(
        label=_("Level offset (days)"), min_value=0, max_value=90
    )
    subordinate_offset_days = forms.IntegerField(
        label=_("Subordinate offset (days)"), min_value=0, max_value=90
    )
    min_concentrated_months = forms.IntegerField(
        label=_("Minimum concentrated duration (months)"), min_value=1, max_value=24
    )
    villages_flexible = forms.BooleanField(
        label=_("Villages and communities set their own dates"), required=False
    )


class BatchForm(_Styled):
    name = forms.CharField(label=_("Name"), max_length=50)
    scope = forms.CharField(label=_("Scope (in words)"), max_length=200, required=False)
    starts_on = forms.DateField(label=_("Starts on"), widget=DATE)
    ends_on = forms.DateField(label=_("Ends on"), widget=DATE)
    levels = levels_field()
    kinds = org_kinds_field()
    unit_types = unit_types_field()
    rest = forms.BooleanField(label=_("Every organization not in another batch"), required=False)
    picks = forms.CharField(
        label=_("Picked subtrees"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One organization code a line: +CODE includes its subtree, -CODE leaves it out."
        ),
    )

    def clean_picks(self) -> list[tuple[str, bool]]:
        picks = []
        for number, raw in enumerate(self.cleaned_data["picks"].splitlines(), start=1):
            line = raw.strip()
            if not line:
                continue
            include = not line.startswith("-")
            code = line.lstrip("+-").strip()
            if not code:
                raise forms.ValidationError(
                    _("Line %(n)s names no organization code.") % {"n": number}
                )
            picks.append((code, include))
        return picks


class OverrideForm(_Styled):
    org = forms.CharField(label=_("Organization (code)"), max_length=32)
    subtree = forms.BooleanField(
        label=_("The same dates for its whole subtree"),
        required=False,
        help_text=_("Otherwise its subordinates follow it by the rules."),
    )
    starts_on = forms.DateField(label=_("Starts on"), widget=DATE)
    ends_on = forms.DateField(label=_("Ends on"), widget=DATE)
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


# --- actions (decision 0017) -----------------------------------------------------------------

EVIDENCE_CHOICES = [("", _("not asked")), ("optional", _("optional")), ("required", _("required"))]


class ActionForm(_Styled):
    kind = forms.ChoiceField(label=_("Kind of action"))
    title = forms.CharField(label=_("Title"), max_length=200)
    due_on = forms.DateField(label=_("Due on"), widget=DATE, required=False)
    offset_days = forms.IntegerField(
        label=_("Or: due days after the organization's window starts"),
        min_value=0,
        max_value=1000,
        required=False,
    )
    levels = levels_field(help_text=_("None chosen: every level."))
    kinds = org_kinds_field()
    unit_types = unit_types_field()
    evidence_text = forms.ChoiceField(
        label=_("Written account"), choices=EVIDENCE_CHOICES, required=False
    )
    evidence_file = forms.ChoiceField(label=_("Files"), choices=EVIDENCE_CHOICES, required=False)
    evidence_link = forms.ChoiceField(label=_("Links"), choices=EVIDENCE_CHOICES, required=False)

    def __init__(self, *args: Any, kinds: list[tuple[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind = self.fields["kind"]
        assert isinstance(kind, forms.ChoiceField)
        kind.choices = kinds


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return [] if data in (None, "") else [super().clean(data, initial)]


class CompletionForm(_Styled):
    text = forms.CharField(
        label=_("What was done"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    links = forms.CharField(
        label=_("Links (one a line)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    attachments = MultipleFileField(
        label=_("Files"),
        required=False,
        help_text=_("PDF, JPG, PNG, DOCX or XLSX; at most 20 MB each."),
    )

    def clean_links(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["links"].splitlines() if line.strip()]
