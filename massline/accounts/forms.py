from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


def _password(label: Any, autocomplete: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
    )


class NewPasswordForm(forms.Form):
    """A new password, twice (an administrator's reset)."""

    new_password1 = _password(_("New password"), "new-password")
    new_password2 = _password(_("New password again"), "new-password")


class PasswordChangeForm(NewPasswordForm):
    """A user's own change: the current password first."""

    old_password = _password(_("Current password"), "current-password")
    field_order = ["old_password", "new_password1", "new_password2"]
