"""Campaign templates (rules as data), campaigns, their batches, phases and the rollout
schedule: one participation row per organization per campaign (decision 0015)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from massline.core.fields import PathField
from massline.orgs.models import Organization


class CampaignKind(models.TextChoices):
    MASS_LINE = "mass_line", _("mass line education campaign")
    THEME_EDUCATION = "theme_education", _("theme education")
    TWO_STUDIES = "two_studies", _("two studies, one action")
    OTHER = "other", _("other education campaign")


class PhaseCode(models.TextChoices):
    """The phases the phase map knows (campaigns.phases); a phased template names its phases
    with these codes, in order, and gives each its own title."""

    LEARN = "learn", _("study and hear opinions")
    REVIEW = "review", _("find problems and criticise")
    RECTIFY = "rectify", _("rectify and build rules")


class RolloutRules(models.Model):
    """The staggered rollout (梯次展开、压茬推进), shared by templates and campaigns."""

    level_offset_days = models.PositiveSmallIntegerField(_("level offset (days)"), default=10)
    subordinate_offset_days = models.PositiveSmallIntegerField(
        _("subordinate offset (days)"), default=10
    )
    min_concentrated_months = models.PositiveSmallIntegerField(
        _("minimum concentrated duration (months)"), default=3
    )
    villages_flexible = models.BooleanField(
        _("villages and communities set their own dates"), default=True
    )
    throughout = models.JSONField(_("actions that run throughout"), default=list, blank=True)

    class Meta:
        abstract = True


class CampaignTemplate(RolloutRules):
    """How a kind of campaign runs: phases (or none), batches and rollout rules. Built-in
    templates are seeded from the record of past campaigns; users copy one to make their own."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=24, choices=CampaignKind.choices)
    phased = models.BooleanField(_("phased"), default=False)
    routine = models.BooleanField(_("routine (carried by regular meetings)"), default=False)
    builtin = models.BooleanField(_("built in"), default=False)
    requirements = models.JSONField(_("requirements"), default=list, blank=True)
    general_requirement = models.CharField(
        _("general requirement"), max_length=200, blank=True, default=""
    )
    special_rectification = models.CharField(
        _("special rectification"), max_length=64, blank=True, default=""
    )
    copied_from = models.ForeignKey(
        "self",
        verbose_name=_("copied from"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    owner = models.ForeignKey(
        Organization,
        verbose_name=_("owner organization"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    owner_path = PathField(max_length=255, blank=True, default="", db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("campaign template")
        verbose_name_plural = _("campaign templates")
        ordering = ["-builtin", "code"]

    def __str__(self) -> str:
        return self.title


class PhaseFields(models.Model):
    """A phase in its order: one of the map's codes (campaigns.phases) and its own title."""

    position = models.PositiveSmallIntegerField()
    code = models.CharField(_("phase"), max_length=16, choices=PhaseCode.choices)
    title = models.CharField(_("title"), max_length=100)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.title


class TemplatePhase(PhaseFields):
    template = models.ForeignKey(CampaignTemplate, on_delete=models.CASCADE, related_name="phases")

    class Meta:
        ordering = ["template", "position"]
        constraints = [
            models.UniqueConstraint(fields=["template", "position"], name="tphase_position"),
            models.UniqueConstraint(fields=["template", "code"], name="tphase_code"),
        ]


class TemplateBatch(models.Model):
    """A batch as the template describes it: its name, the scope in words, and when."""

    template = models.ForeignKey(CampaignTemplate, on_delete=models.CASCADE, related_name="batches")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(_("name"), max_length=50)
    scope = models.CharField(_("scope"), max_length=200, blank=True, default="")
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    duration_months = models.PositiveSmallIntegerField(
        _("duration (months)"), null=True, blank=True
    )

    class Meta:
        ordering = ["template", "position"]
        constraints = [
            models.UniqueConstraint(fields=["template", "position"], name="tbatch_position"),
        ]

    def __str__(self) -> str:
        return self.name


class Campaign(RolloutRules):
    """A campaign run by a campaign office at its organization, over that subtree. Its rules
    and phases are copied from the template when it is created."""

    template = models.ForeignKey(
        CampaignTemplate, verbose_name=_("template"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=CampaignKind.choices)
    title = models.CharField(_("title"), max_length=200)
    org = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="+"
    )
    org_path = PathField(max_length=255, db_index=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    phased = models.BooleanField(_("phased"), default=False)
    scheduled_at = models.DateTimeField(_("schedule stored at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="campaign_period_order"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class CampaignPhase(PhaseFields):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="phases")

    class Meta:
        ordering = ["campaign", "position"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "position"], name="cphase_position"),
            models.UniqueConstraint(fields=["campaign", "code"], name="cphase_code"),
        ]


class Batch(models.Model):
    """Organizations that run the campaign in turn, chosen by level (the division level of
    the organization: 1 province … 5 village or community), kind, unit type, and explicit
    picks of subtrees to include or exclude; the batch window bounds their dates."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="batches")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(_("name"), max_length=50)
    scope = models.CharField(_("scope"), max_length=200, blank=True, default="")
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    levels = models.JSONField(_("levels"), default=list, blank=True)
    kinds = models.JSONField(_("organization kinds"), default=list, blank=True)
    unit_types = models.JSONField(_("unit types"), default=list, blank=True)
    rest = models.BooleanField(_("every organization not in another batch"), default=False)

    class Meta:
        verbose_name = _("batch")
        verbose_name_plural = _("batches")
        ordering = ["campaign", "position"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "position"], name="batch_position"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="batch_period_order"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class BatchPick(models.Model):
    """An explicit pick: the organization's subtree is included in (or excluded from) the
    batch, whatever the level and type rules say."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="picks")
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    org_path = PathField(max_length=255)
    include = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["batch", "org"], name="batchpick_org"),
        ]

    def __str__(self) -> str:
        return f"{'+' if self.include else '-'}{self.org_id}"


class Participation(models.Model):
    """One organization in one campaign: its batch, its window and its phase. Written in bulk
    by the schedule; later domains hang their per-organization figures (actions done, late,
    coverage) on this row's id and read the Gantt chart from (campaign, level, starts_on)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    org_path = PathField(max_length=255)
    parent_org_id = models.IntegerField(null=True, blank=True)
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField(_("level"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    flexible = models.BooleanField(_("sets its own dates"), default=False)
    override_reason = models.CharField(_("reason for the dates"), max_length=500, blank=True)
    phase = models.CharField(_("phase"), max_length=16, blank=True, default="")
    phase_since = models.DateField(_("in this phase since"), null=True, blank=True)

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "org"], name="participation_org"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="participation_window_order"
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "org_path"], name="participation_path"),
            models.Index(fields=["campaign", "level", "starts_on"], name="participation_wave"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.org_id}"


class ScheduleOverride(models.Model):
    """Dates set by hand for an organization (its subordinates follow it by the rules) or for
    its whole subtree (every organization in it gets these dates), with the reason."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="overrides")
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    org_path = PathField(max_length=255)
    subtree = models.BooleanField(_("whole subtree"), default=False)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    reason = models.CharField(_("reason"), max_length=500)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("schedule override")
        verbose_name_plural = _("schedule overrides")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "org"], name="override_org"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="override_period_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.org_id}"


class SubtreeWave(models.Model):
    """A rollup for the overview (decision 0018): how many organizations of `org`'s subtree
    (itself included) at one level, in one batch, start on one day, and the latest end among
    them. Rewritten with the schedule, so the overview's figures (participating, started and
    not started by level and batch, the span of a subtree's windows) read an organization's
    own rows and its children's, never the subtree."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    org_id = models.IntegerField()
    level = models.PositiveSmallIntegerField()
    batch_id = models.IntegerField()
    starts_on = models.DateField()
    last_end = models.DateField()
    count = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["campaign", "org_id"], name="subtreewave_org"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.org_id}/{self.level}/{self.starts_on}"


# The actions' models live in their own module (decision 0017); Django finds them here.
from .action_models import ActionDefinition, Completion, EvidenceFile  # noqa: E402, F401
from .coverage_models import Reach, ReachWay  # noqa: E402, F401
