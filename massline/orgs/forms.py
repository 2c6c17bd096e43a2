from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AreaType, OrgKind, UnitType


class OrgForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_("Unique and stable; used by imports, exports and the API."),
    )
    name = forms.CharField(label=_("Name"), max_length=128)
    kind = forms.ChoiceField(label=_("Kind"), choices=OrgKind.choices)
    unit_type = forms.ChoiceField(label=_("Unit type"), choices=UnitType.choices)
    area_type = forms.ChoiceField(
        label=_("Area type"), choices=[("", "—"), *AreaType.choices], required=False
    )

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip().upper()


class OrgEditForm(OrgForm):
    """The organization's own administrators see the fields that only the level above changes
    (`locked`) but cannot send them: the page shows them disabled, and what the form returns
    (`changes`) holds only the fields a request sent."""

    code = None  # type: ignore[assignment]

    def __init__(self, *args: Any, locked: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in locked:
            field = self.fields[name]
            field.required = False
            field.widget.attrs["disabled"] = True
            field.help_text = _("Changed by the organization above this one.")

    def changes(self) -> dict[str, str]:
        return {name: value for name, value in self.cleaned_data.items() if name in self.data}


class OrgMoveForm(forms.Form):
    parent_code = forms.CharField(label=_("New parent organization code"), max_length=32)
