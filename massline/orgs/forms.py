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
    code = None  # type: ignore[assignment]


class OrgMoveForm(forms.Form):
    parent_code = forms.CharField(label=_("New parent organization code"), max_length=32)
