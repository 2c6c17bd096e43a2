"""Rectification (整改, decision 0022): problems found by review or raised by the public
(`Problem`), the fixes that answer them with an owner, a kind and a deadline (`Fix`), their
history (`FixStep`) with evidence files, public commitments (on the fix), and the evaluations
of the people who raised them (`Evaluation`, with their receipt codes or one-time
`EvaluationToken`s). A fix the public does not accept is reworked as a new round; every round's
steps and evaluations are kept with their round number."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from massline.core.fields import BytewiseCharField, PathField
from massline.orgs.models import Organization


class ProblemSource(models.TextChoices):
    OPINION = "opinion", _("raised by the public")
    TEAM_REVIEW = "team_review", _("leadership team's self-review")
    SELF_REVIEW = "self_review", _("individual self-review")
    SUPERVISION = "supervision", _("supervision finding")
    ASSIGNED = "assigned", _("assigned from above")


class ProblemStatus(models.TextChoices):
    OPEN = "open", _("owned here")
    ESCALATED = "escalated", _("escalated, awaiting the level above")


class Problem(models.Model):
    """A problem (问题) to fix. `org` owns it (责任主体); `origin_org` is where it was found or
    raised, and keeps seeing it after the level above claims it (问题在下面、根子在上面)."""

    org = models.ForeignKey(
        Organization,
        verbose_name=_("responsible organization"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    org_path = PathField(max_length=255)
    origin_org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    origin_path = PathField(max_length=255)
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(_("source"), max_length=16, choices=ProblemSource.choices)
    description = models.TextField(_("problem"))
    # the checklist item it is tagged with (the four winds, the 2019 special areas, local items)
    category = models.ForeignKey(
        "opinions.OpinionCategory",
        verbose_name=_("checklist item"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    responsible_person = models.CharField(_("responsible person"), max_length=64)
    status = models.CharField(
        _("status"), max_length=16, choices=ProblemStatus.choices, default=ProblemStatus.OPEN
    )
    escalated_to = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    escalation_reason = models.TextField(_("why the cause sits above"), blank=True, default="")
    opinions = models.ManyToManyField(
        "opinions.Opinion", blank=True, related_name="+", verbose_name=_("opinions")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded"))
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        indexes = [
            models.Index(fields=["org_path", "id"], name="problem_path_id"),
            models.Index(fields=["origin_path", "id"], name="problem_origin_id"),
        ]

    def __str__(self) -> str:
        return f"P{self.pk}"


class FixKind(models.TextChoices):
    IMMEDIATE = "immediate", _("fix at once")  # 立行立改
    TIME_LIMITED = "time_limited", _("fix by a deadline")  # 限期整改
    ONGOING = "ongoing", _("keep at it")  # 长期坚持


class FixState(models.TextChoices):
    IN_PROGRESS = "in_progress", _("being fixed")
    EXTENSION_REQUESTED = "extension_requested", _("extension requested")
    CLOSE_REQUESTED = "close_requested", _("close-out requested")
    CLOSED = "closed", _("closed out")


class Audience(models.TextChoices):
    NONE = "", _("not a commitment")
    SUBMITTERS = "submitters", _("the people who raised it")
    PUBLIC = "public", _("the public")


class Fix(models.Model):
    """A fix (整改措施) of a problem: what will be done, by whom, by when. `round` counts the
    rework rounds (返工补课); `version` goes up with every change, so two people acting on the
    same fix at once cannot both succeed."""

    problem = models.ForeignKey(Problem, on_delete=models.PROTECT, related_name="fixes")
    org = models.ForeignKey(
        Organization,
        verbose_name=_("responsible organization"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    org_path = PathField(max_length=255)
    origin_org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    origin_path = PathField(max_length=255)
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    measure = models.TextField(_("measures"))
    kind = models.CharField(_("kind"), max_length=16, choices=FixKind.choices)
    deadline = models.DateField(_("deadline"), null=True, blank=True)  # none when ongoing
    responsible_person = models.CharField(_("responsible person"), max_length=64)
    state = models.CharField(
        _("state"), max_length=24, choices=FixState.choices, default=FixState.IN_PROGRESS
    )
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    reworked = models.BooleanField(_("reworked"), default=False)
    overdue = models.BooleanField(_("overdue"), default=False)
    version = models.PositiveIntegerField(default=1)
    # the organization of a later batch that takes it over when its window opens (承接)
    handover_org = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    extension_until = models.DateField(_("extension asked until"), null=True, blank=True)
    close_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_on = models.DateField(_("closed out on"), null=True, blank=True)
    # the public commitment (公开承诺): prepared, then published (often many at once)
    audience = models.CharField(
        _("commitment to"), max_length=16, choices=Audience.choices, blank=True, default=""
    )
    promised_on = models.DateField(_("promised by"), null=True, blank=True)
    commitment = models.TextField(_("commitment"), blank=True, default="")
    commitment_prepared_at = models.DateTimeField(null=True, blank=True)
    commitment_published_at = models.DateTimeField(null=True, blank=True)
    published = models.BooleanField(_("commitment published"), default=False)
    # the evaluations of the present round (the figures; every evaluation is its own row)
    satisfied = models.PositiveIntegerField(default=0)
    basically_satisfied = models.PositiveIntegerField(default=0)
    unsatisfied = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded"))

    class Meta:
        verbose_name = _("fix")
        verbose_name_plural = _("fixes")
        indexes = [
            models.Index(fields=["org_path", "id"], name="fix_path_id"),
            models.Index(fields=["origin_path", "id"], name="fix_origin_id"),
            # the overdue sweep: open fixes by deadline
            models.Index(
                fields=["deadline"],
                name="fix_open_deadline",
                condition=Q(state__in=["in_progress", "extension_requested"], overdue=False),
            ),
            # the handover sweep
            models.Index(
                fields=["handover_org"],
                name="fix_handover",
                condition=Q(handover_org__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"F{self.pk}"

    @property
    def evaluated(self) -> int:
        return self.satisfied + self.basically_satisfied + self.unsatisfied


class CoOrganization(models.Model):
    """An organization named to work on a fix with the responsible one (配合单位)."""

    fix = models.ForeignKey(Fix, on_delete=models.CASCADE, related_name="co_orgs")
    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    org_path = PathField(max_length=255)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["fix", "org"], name="fix_coorg_once")]

    def __str__(self) -> str:
        return f"{self.fix_id}/{self.org_id}"


class FixStepKind(models.TextChoices):
    CREATED = "created", _("fix recorded")
    PROGRESS = "progress", _("progress reported")
    EXTENSION_REQUESTED = "extension_requested", _("extension requested")
    EXTENSION_APPROVED = "extension_approved", _("extension approved")
    EXTENSION_REFUSED = "extension_refused", _("extension refused")
    CLOSE_REQUESTED = "close_requested", _("close-out requested")
    CLOSE_APPROVED = "close_approved", _("closed out")
    CLOSE_REFUSED = "close_refused", _("close-out refused")
    COMMITMENT_PREPARED = "commitment_prepared", _("commitment prepared")
    COMMITMENT_PUBLISHED = "commitment_published", _("commitment published")
    REWORK = "rework", _("sent back for rework")
    OVERDUE = "overdue", _("past its deadline")
    CLAIMED = "claimed", _("claimed by the level above")
    HANDED_OVER = "handed_over", _("taken over by the next batch")


class FixStep(models.Model):
    """One step of a fix's history: what, in which round, by whom, when, where, with what
    note; `public` steps (progress the organization chose to publish) show on the board."""

    fix = models.ForeignKey(Fix, on_delete=models.CASCADE, related_name="steps")
    round = models.PositiveSmallIntegerField(default=1)
    kind = models.CharField(_("step"), max_length=24, choices=FixStepKind.choices)
    org = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("when"))
    note = models.TextField(_("note"), blank=True, default="")
    public = models.BooleanField(_("public"), default=False)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.fix_id} {self.kind}"


class FixEvidence(models.Model):
    """A file attached to a step (progress or close-out), stored like campaign evidence: by
    checksum under the evidence folder, checked by its content when it came in."""

    step = models.ForeignKey(FixStep, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    stored = models.CharField(max_length=300)

    class Meta:
        ordering = ["step", "id"]

    def __str__(self) -> str:
        return self.name


class Verdict(models.TextChoices):
    SATISFIED = "satisfied", _("satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("basically satisfied")
    UNSATISFIED = "unsatisfied", _("unsatisfied")


class EvaluationToken(models.Model):
    """A one-time evaluation slip the organization hands out (at a forum, on a visit): only a
    keyed hash of its code is stored. It evaluates one round of one fix, once."""

    fix = models.ForeignKey(Fix, on_delete=models.CASCADE, related_name="tokens")
    round = models.PositiveSmallIntegerField(default=1)
    code_hash = BytewiseCharField(max_length=64, unique=True)
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    used = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"token of F{self.fix_id}"


class Evaluation(models.Model):
    """One person's judgement of one round of a fix (群众评议), counted at the organization
    responsible for the fix when it was given. Like an anonymous opinion, it keeps no account,
    no address and no time finer than the day."""

    fix = models.ForeignKey(Fix, on_delete=models.CASCADE, related_name="evaluations")
    round = models.PositiveSmallIntegerField(default=1)
    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    org_path = PathField(max_length=255)
    verdict = models.CharField(_("verdict"), max_length=24, choices=Verdict.choices)
    reason = models.TextField(_("reason"), blank=True, default="")
    given_on = models.DateField(_("given on"))
    receipt = models.ForeignKey(
        "opinions.Receipt", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    token = models.OneToOneField(
        EvaluationToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        constraints = [
            # one evaluation per receipt and round; a token evaluates once (OneToOne)
            models.UniqueConstraint(
                fields=["fix", "round", "receipt"],
                name="evaluation_receipt_once",
                condition=Q(receipt__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["fix", "round"], name="evaluation_fix_round")]

    def __str__(self) -> str:
        return f"{self.fix_id}/{self.round} {self.verdict}"
