from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from massline.core.fields import PathField

from .paths import subtree_bounds


class DivisionLevel(models.IntegerChoices):
    PROVINCE = 1, _("province")
    PREFECTURE = 2, _("prefecture")
    COUNTY = 3, _("county")
    TOWNSHIP = 4, _("township")
    VILLAGE = 5, _("village or community")


class Division(models.Model):
    """An administrative division (统计用区划代码), keyed by its 12-digit code."""

    code = models.CharField(_("division code"), max_length=12, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.PositiveSmallIntegerField(_("level"), choices=DivisionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    province_code = models.CharField(max_length=2, db_index=True)
    vintage = models.PositiveSmallIntegerField(_("vintage"))
    # Development zones, parks, farms, companies and "virtual" communities: statistical units
    # rather than administrative ones. Kept, and tagged, so a user can show or leave them out.
    non_admin = models.BooleanField(_("non-administrative unit"), default=False, db_index=True)
    non_admin_kind = models.CharField(max_length=16, blank=True, default="")

    class Meta:
        verbose_name = _("division")
        verbose_name_plural = _("divisions")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=5), name="division_level_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class OrgKind(models.TextChoices):
    COMMITTEE = "committee", _("party committee")
    WORKING_COMMITTEE = "working_committee", _("working committee")
    GENERAL_BRANCH = "general_branch", _("general branch")
    BRANCH = "branch", _("branch")


class UnitType(models.TextChoices):
    AGENCY = "agency", _("agency")
    PUBLIC_INSTITUTION = "public_institution", _("public institution")
    STATE_ENTERPRISE = "state_enterprise", _("state-owned enterprise")
    UNIVERSITY = "university", _("university")
    NON_PUBLIC_ENTERPRISE = "non_public_enterprise", _("non-public enterprise")
    SOCIAL_ORGANIZATION = "social_organization", _("social organization")
    RURAL = "rural", _("rural")
    COMMUNITY = "community", pgettext_lazy("unit type", "community")


class AreaType(models.TextChoices):
    FARMING = "farming", _("farming area")
    PASTORAL = "pastoral", _("pastoral area")
    FOREST = "forest", _("forest area")
    MINING = "mining", _("mining area")


class Organization(models.Model):
    """A node of the party-organization tree."""

    code = models.CharField(_("organization code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128, db_index=True)
    kind = models.CharField(_("kind"), max_length=24, choices=OrgKind.choices)
    unit_type = models.CharField(_("unit type"), max_length=32, choices=UnitType.choices)
    area_type = models.CharField(
        _("area type"), max_length=16, choices=AreaType.choices, blank=True, default=""
    )
    division = models.ForeignKey(
        Division,
        verbose_name=_("division"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organizations",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organization"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    depth = models.PositiveSmallIntegerField(default=0)
    path = PathField(max_length=255, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["path"]
        indexes = [models.Index(fields=["parent", "code"], name="org_parent_code")]

    def __str__(self) -> str:
        return self.name

    def subtree_q(self, field: str = "path") -> Q:
        low, high = subtree_bounds(self.path)
        return Q(**{f"{field}__gte": low, f"{field}__lt": high})

    def is_in_subtree_of(self, other: "Organization") -> bool:
        return self.path.startswith(other.path)


class OrgCounter(models.Model):
    """Figures per organization: `own` for the organization itself, `subtree` for it and
    everything below. Kept current by services in the same transaction as the change; rebuilt
    exactly by `massline rebuild-counters`."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="counters")
    metric = models.CharField(max_length=48)
    own = models.BigIntegerField(default=0)
    subtree = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "metric"], name="orgcounter_org_metric"),
        ]

    def __str__(self) -> str:
        return f"{self.org_id} {self.metric}: {self.own}/{self.subtree}"
