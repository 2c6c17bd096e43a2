"""Permission codes, and the roles the platform ships with."""

from django.utils.translation import gettext_lazy as _

ORGS_VIEW = "orgs.view"
ORGS_MANAGE = "orgs.manage"
STATS_VIEW = "stats.view"
AUDIT_VIEW = "audit.view"
ACCESS_MANAGE = "access.manage"

ALL_PERMISSIONS = {
    ORGS_VIEW: _("view organizations"),
    ORGS_MANAGE: _("create, edit and move organizations"),
    STATS_VIEW: _("view figures"),
    AUDIT_VIEW: _("view the audit log"),
    ACCESS_MANAGE: _("assign roles"),
}

# code: (label, permissions)
BUILTIN_ROLES = {
    "system_admin": (_("system administrator"), list(ALL_PERMISSIONS)),
    "campaign_office": (
        _("campaign office"),
        [ORGS_VIEW, ORGS_MANAGE, STATS_VIEW, AUDIT_VIEW, ACCESS_MANAGE],
    ),
    "org_admin": (
        _("organization administrator"),
        [ORGS_VIEW, ORGS_MANAGE, STATS_VIEW, AUDIT_VIEW],
    ),
    "supervisor": (_("supervision team member"), [ORGS_VIEW, STATS_VIEW]),
    "member": (_("party member"), [ORGS_VIEW]),
}
