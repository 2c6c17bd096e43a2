"""Campaign actions (decision 0017): what a campaign office asks its subtree to do (规定动作
at the campaign's organization, 自选动作 below it), and the completions organizations record,
with their evidence. Checklists are computed from definitions and windows; a row is written
only when an organization records a completion."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from massline.core.fields import PathField
from massline.orgs.models import Organization


class EvidenceNeed(models.TextChoices):
    NONE = "", _("not asked")
    OPTIONAL = "optional", _("optional")
    REQUIRED = "required", _("required")


class ActionDefinition(models.Model):
    """An action defined at `org` for its subtree in a campaign: required when `org` is the
    campaign's organization, optional (自选动作) when a level below adds it. Due on a date or
    `offset_days` after each organization's window starts; applies to the organizations of
    the chosen levels, kinds and unit types (all when empty)."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="+")
    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    org_path = PathField(max_length=255)
    required = models.BooleanField(_("required action"), default=False)
    kind = models.CharField(_("kind"), max_length=24)  # a kind of campaigns.phases
    title = models.CharField(_("title"), max_length=200)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    offset_days = models.PositiveSmallIntegerField(
        _("due days after the window starts"), null=True, blank=True
    )
    levels = models.JSONField(_("levels"), default=list, blank=True)
    kinds = models.JSONField(_("organization kinds"), default=list, blank=True)
    unit_types = models.JSONField(_("unit types"), default=list, blank=True)
    evidence_text = models.CharField(
        _("written account"), max_length=8, choices=EvidenceNeed.choices, blank=True, default=""
    )
    evidence_file = models.CharField(
        _("files"), max_length=8, choices=EvidenceNeed.choices, blank=True, default=""
    )
    evidence_link = models.CharField(
        _("links"), max_length=8, choices=EvidenceNeed.choices, blank=True, default=""
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("campaign action")
        verbose_name_plural = _("campaign actions")
        ordering = ["campaign", "org_path", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_on__isnull=True) ^ Q(offset_days__isnull=True),
                name="action_due_or_offset",
            ),
        ]
        indexes = [models.Index(fields=["campaign", "org_path"], name="action_campaign_path")]

    def __str__(self) -> str:
        return self.title


class Completion(models.Model):
    """An organization's record that it has done an action, with its written account and
    links (files are `EvidenceFile`s). `late` is fixed when it is recorded: done after the
    day it was due. Withdrawing deletes the row (the audit keeps what it was)."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="+")
    action = models.ForeignKey(ActionDefinition, on_delete=models.PROTECT, related_name="+")
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    org_path = PathField(max_length=255)
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"))
    late = models.BooleanField(_("late"), default=False)
    text = models.TextField(_("written account"), blank=True, default="")
    links = models.JSONField(_("links"), default=list, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("action completion")
        verbose_name_plural = _("action completions")
        constraints = [
            models.UniqueConstraint(fields=["action", "org"], name="completion_action_org"),
        ]
        indexes = [models.Index(fields=["campaign", "org"], name="completion_campaign_org")]

    def __str__(self) -> str:
        return f"{self.action_id}/{self.org_id}"


class EvidenceFile(models.Model):
    """A file attached to a completion, stored under the evidence folder (evidence.py) by
    its checksum, checked by its content when it came in."""

    completion = models.ForeignKey(Completion, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    stored = models.CharField(max_length=300)

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["completion", "id"]

    def __str__(self) -> str:
        return self.name
