"""Opinions (征求意见) collected from the public, members and cadres through every channel,
anonymous (背靠背) or named (面对面), with their receipt codes, merging (并单), dispatch to a
responsible organization (派单), return (退单), reassignment (改派), first contact and reply
(decision 0021). An anonymous opinion stores nothing that links it to a person: no account,
no address, no device, and no time finer than the day it was received."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from massline.core.fields import BytewiseCharField, PathField
from massline.orgs.models import Organization


class Channel(models.TextChoices):
    BOX = "box", _("opinion box (QR code or link)")
    FORUM = "forum", _("forum")
    INTERVIEW = "interview", _("individual interview")
    VISIT = "visit", _("visit")
    PAPER = "paper", _("paper suggestion box")
    HOTLINE = "hotline", _("hotline or petition")


class SubmitterCategory(models.TextChoices):
    PUBLIC = "public", _("the public")
    MEMBER = "member", _("party member")
    CADRE = "cadre", _("grassroots cadre")
    RETIRED = "retired", _("retired cadre")
    SERVICE_USER = "service_user", _("service user")


class Urgency(models.TextChoices):
    URGENT = "urgent", _("urgent")
    GENERAL = "general", _("general")
    COMPLEX = "complex", _("complex")


class OpinionStatus(models.TextChoices):
    """The states of the opinion workflow (opinions.workflow declares the moves)."""

    RECEIVED = "received", _("received")
    DISPATCHED = "dispatched", _("dispatched")
    RETURNED = "returned", _("returned")
    HANDLING = "handling", _("being handled")
    REPLIED = "replied", _("replied")
    CLOSED = "closed", _("closed")
    MERGED = "merged", _("merged into another")


class CategorySource(models.TextChoices):
    FOUR_WINDS = "four_winds", _("four winds")
    SPECIAL_2019 = "special_2019", _("2019 special rectification")
    WEAK_ORG = "weak_org", _("weak and lax organizations")
    LOCAL = "local", _("local")


class OpinionCategory(models.Model):
    """What an opinion is about: the dated checklists (seeded as the project's own data) and
    the categories an organization adds for its subtree."""

    source = models.CharField(_("source"), max_length=16, choices=CategorySource.choices)
    code = models.SlugField(_("code"), max_length=64)
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), blank=True, default="")
    effective_from = models.DateField(_("effective from"), null=True, blank=True)
    org = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    org_path = PathField(max_length=255, blank=True, default="")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("opinion category")
        verbose_name_plural = _("opinion categories")
        ordering = ["source", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["source", "code", "org"], name="opinioncategory_code"),
        ]

    def __str__(self) -> str:
        return self.title


class Forum(models.Model):
    """A forum (座谈会) held to hear opinions: when, where, who came by category (counts), and
    the opinions raised there (`Opinion.forum`)."""

    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    org_path = PathField(max_length=255, db_index=True)
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    held_on = models.DateField(_("held on"))
    place = models.CharField(_("place"), max_length=200, blank=True, default="")
    attendees = models.JSONField(_("attendees by category"), default=dict, blank=True)
    notes = models.TextField(_("notes"), blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("forum")
        verbose_name_plural = _("forums")

    def __str__(self) -> str:
        return f"{self.org_id} {self.held_on}"


class Response(models.TextChoices):
    """Whether the responsible organization answered in time (the response rate's figures):
    set once, at the first contact or reply (in time when at or before `due_at`) or by the
    escalation sweep when the time limit passed with neither (late)."""

    NONE = "", _("not yet due")
    IN_TIME = "in_time", _("answered in time")
    LATE = "late", _("answered late or not at all")


class Opinion(models.Model):
    """One opinion. `org` is the organization it was addressed to (its box, its forum); the
    organization responsible for it once dispatched is `lead_org`. Named submitters' details
    are encrypted, with masked forms for display; an anonymous opinion has none, no account and
    only the day it was received."""

    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    org_path = PathField(max_length=255)
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    submitter_category = models.CharField(
        _("submitted by"), max_length=16, choices=SubmitterCategory.choices
    )
    anonymous = models.BooleanField(_("anonymous"), default=True)
    text = models.TextField(_("opinion"))
    text_folded = models.TextField(default="")  # simplified and half-width, for duplicates
    category = models.ForeignKey(
        OpinionCategory,
        verbose_name=_("opinion category"),  # "category" alone is a member's (人员类别)
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    urgency = models.CharField(
        _("urgency"), max_length=8, choices=Urgency.choices, default=Urgency.GENERAL
    )
    status = models.CharField(
        _("status"), max_length=16, choices=OpinionStatus.choices, default=OpinionStatus.RECEIVED
    )
    received_on = models.DateField(_("received on"))  # the day only, whatever the channel
    # named (面对面) only: encrypted, with a masked form to show
    name_enc = models.TextField(blank=True, default="")
    name_masked = models.CharField(_("name"), max_length=64, blank=True, default="")
    contact_enc = models.TextField(blank=True, default="")
    contact_masked = models.CharField(_("contact"), max_length=64, blank=True, default="")
    forum = models.ForeignKey(
        Forum, null=True, blank=True, on_delete=models.SET_NULL, related_name="opinions"
    )
    # staff channels: who entered it (never for the opinion box)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged"
    )
    # dispatch (派单): the responsible organization, its time limit, what it has done
    lead_org = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lead_path = PathField(max_length=255, blank=True, default="")
    dispatched_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    first_contact_at = models.DateTimeField(_("first contact"), null=True, blank=True)
    replied_at = models.DateTimeField(_("replied"), null=True, blank=True)
    overdue = models.BooleanField(_("overdue"), default=False)
    response = models.CharField(
        _("response"), max_length=8, choices=Response.choices, blank=True, default=""
    )
    escalated_to = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reply = models.TextField(_("reply"), blank=True, default="")
    reply_published = models.BooleanField(_("reply published"), default=False)
    # an imported hotline or petition record: the hotline's own ticket number (工单编号)
    source_ref = models.CharField(_("ticket number"), max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("opinion")
        constraints = [
            # a ticket is imported once per organization
            models.UniqueConstraint(
                fields=["org", "source_ref"],
                name="opinion_source_ref_once",
                condition=~Q(source_ref=""),
            ),
        ]
        verbose_name_plural = _("opinions")
        indexes = [
            # the inbox of a subtree: a range on the path, keyset on (path, id)
            models.Index(fields=["org_path", "id"], name="opinion_path_id"),
            # the responsible organization's list
            models.Index(
                fields=["lead_path", "id"], name="opinion_lead_id", condition=~Q(lead_path="")
            ),
            # the escalation sweep: open and dispatched, by time limit
            models.Index(
                fields=["due_at"],
                name="opinion_open_due",
                condition=Q(status__in=["dispatched", "handling"], overdue=False),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"


class Receipt(models.Model):
    """A submitter's handle on an opinion: only a keyed hash of the code is stored (the code
    itself is shown once, to the submitter). After a merge the receipt keeps pointing at its
    own opinion, which points at the one it was merged into."""

    code_hash = BytewiseCharField(max_length=64, unique=True)
    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="receipts")

    def __str__(self) -> str:
        return f"receipt of #{self.opinion_id}"


class CoOrganization(models.Model):
    """An organization dispatched to work on an opinion with the lead (协办)."""

    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="co_orgs")
    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    org_path = PathField(max_length=255)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["opinion", "org"], name="coorg_once"),
        ]

    def __str__(self) -> str:
        return f"{self.opinion_id}/{self.org_id}"


class OpinionStepKind(models.TextChoices):
    TRIAGED = "triaged", _("categorized")
    MERGED = "merged", _("merged")
    DISPATCHED = "dispatched", _("dispatched")
    RETURNED = "returned", _("returned")
    REASSIGNED = "reassigned", _("reassigned")
    CONTACTED = "contacted", _("first contact made")
    REPLIED = "replied", _("replied")
    PUBLISHED = "published", _("reply published")
    ESCALATED = "escalated", _("escalated (overdue)")
    CLOSED = "closed", _("closed")


class OpinionStep(models.Model):
    """One staff step of an opinion's handling: what, by whom, when, at which organization, why.
    Steps are the staff's own acts; none records anything about the submitter."""

    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(_("step"), max_length=16, choices=OpinionStepKind.choices)
    org = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("when"))
    note = models.TextField(_("note"), blank=True, default="")

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.opinion_id} {self.kind}"


from .box_models import BoxClosure  # noqa: E402, F401
