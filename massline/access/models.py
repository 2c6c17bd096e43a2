from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from massline.orgs.models import Organization

from .permissions import BUILTIN_ROLES


class DataScope(models.TextChoices):
    ALL = "all", _("all data")
    CUSTOM = "custom", _("custom list of organizations")
    THIS_ORG = "this_org", _("this organization")
    SUBTREE = "subtree", _("this organization and below")
    SELF = "self", _("self only")


class Role(models.Model):
    """A named set of permissions. Where it applies comes from the assignment."""

    code = models.SlugField(_("code"), max_length=48, unique=True)
    name = models.CharField(_("name"), max_length=64)
    permissions = models.JSONField(_("permissions"), default=list)
    is_builtin = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        builtin = BUILTIN_ROLES.get(self.code)
        return str(builtin[0]) if self.is_builtin and builtin else self.name


class RoleAssignment(models.Model):
    """A user holds a role at an organization, with a data scope, for a period."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="role_assignments",
    )
    role = models.ForeignKey(Role, verbose_name=_("role"), on_delete=models.PROTECT)
    org = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.CASCADE, related_name="+"
    )
    scope = models.CharField(_("data scope"), max_length=16, choices=DataScope.choices)
    custom_orgs = models.ManyToManyField(
        Organization,
        verbose_name=_("organizations in the custom list"),
        blank=True,
        related_name="+",
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="assignment_period_order",
            ),
        ]
        indexes = [models.Index(fields=["user", "valid_from"], name="assignment_user_from")]

    def __str__(self) -> str:
        return f"{self.user} · {self.role} @ {self.org}"
