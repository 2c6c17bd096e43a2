from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Notice(models.Model):
    """One in-app notice to one user. What it says is rendered when it is read, from its
    registered kind and `params` (massline.notices.kinds), so it reads in the reader's
    language of the moment. `key` names the event it tells of: one notice per recipient and
    key, so a sender that runs twice sends nothing twice."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notices",
    )
    kind = models.CharField(_("kind"), max_length=64)
    key = models.CharField(max_length=200)
    organization = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    params = models.JSONField(default=dict, blank=True)
    # A path on this site ("/jobs/12/"), never another site's address.
    link = models.CharField(_("link"), max_length=300, blank=True, default="")
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="notice_recipient_key"),
        ]
        indexes = [
            # a user's notices, newest first (the page and the API)
            models.Index(fields=["recipient", "-id"], name="notice_recipient_id"),
            # a user's unread notices, newest first, and the bell's count
            models.Index(
                fields=["recipient", "-id"],
                condition=Q(read_at__isnull=True),
                name="notice_unread_id",
            ),
            # a user's unread notices of some kinds (the workbench's to-dos)
            models.Index(
                fields=["recipient", "kind"],
                condition=Q(read_at__isnull=True),
                name="notice_unread_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id} ({self.key})"

    @property
    def unread(self) -> bool:
        return self.read_at is None
