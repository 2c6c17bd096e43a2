"""A member reached by a campaign (decision 0020): one row per campaign per member, at the
organization where the member takes part (their branch, or where an inflow member lives)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from massline.core.fields import PathField
from massline.orgs.models import Organization


class ReachWay(models.TextChoices):
    """How the member took part: with the others, brought to them, or online (送学上门 and
    online study reach the old, the sick and members living away)."""

    MEETING = "meeting", _("took part with the organization")
    VISIT = "visit", _("brought to the member (visit)")
    ONLINE = "online", _("online")


class Reach(models.Model):
    # (campaign, member) is unique: that index serves the campaign's own lookups
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    # where the member takes part; follows the member when that changes (orgs.placement)
    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    org_path = PathField(max_length=255)
    reached_on = models.DateField(_("reached on"))
    way = models.CharField(_("how"), max_length=16, choices=ReachWay.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("member reached")
        verbose_name_plural = _("members reached")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "member"], name="reach_member"),
        ]
        indexes = [
            models.Index(fields=["campaign", "org_path"], name="reach_path"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.member_id}"
