"""A closed opinion box (decision 0021, "Intake and the portal"): an organization that takes
no opinions through its box any more (merged, renamed, its poster withdrawn). The row is the
closure; reopening deletes it. Staff channels are not affected."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from massline.orgs.models import Organization


class BoxClosure(models.Model):
    org = models.OneToOneField(
        Organization, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    closed_on = models.DateField(_("closed on"))
    reason = models.CharField(_("reason"), max_length=200)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("closed opinion box")
        verbose_name_plural = _("closed opinion boxes")

    def __str__(self) -> str:
        return f"{self.org_id} closed {self.closed_on}"
