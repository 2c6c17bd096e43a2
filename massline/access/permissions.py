"""Permission codes, and the roles the platform ships with."""

from django.utils.translation import gettext_lazy as _

ORGS_VIEW = "orgs.view"
ORGS_MANAGE = "orgs.manage"
STATS_VIEW = "stats.view"
AUDIT_VIEW = "audit.view"
ACCESS_MANAGE = "access.manage"
MEMBERS_VIEW = "members.view"
MEMBERS_MANAGE = "members.manage"
MEMBERS_VIEW_SENSITIVE = "members.view_sensitive"
MEMBERS_TRANSFER = "members.transfer"
ACCOUNTS_MANAGE = "accounts.manage"
CAMPAIGNS_VIEW = "campaigns.view"
CAMPAIGNS_MANAGE = "campaigns.manage"
CAMPAIGNS_RECORD = "campaigns.record"
OPINIONS_VIEW = "opinions.view"
OPINIONS_ENTER = "opinions.enter"
OPINIONS_DISPATCH = "opinions.dispatch"
OPINIONS_HANDLE = "opinions.handle"
RECTIFICATION_VIEW = "rectification.view"
RECTIFICATION_MANAGE = "rectification.manage"
RECTIFICATION_APPROVE = "rectification.approve"

ALL_PERMISSIONS = {
    ORGS_VIEW: _("view organizations"),
    ORGS_MANAGE: _("create, edit and move organizations"),
    STATS_VIEW: _("view figures"),
    AUDIT_VIEW: _("view the audit log"),
    ACCESS_MANAGE: _("assign roles"),
    MEMBERS_VIEW: _("view the member roster"),
    MEMBERS_MANAGE: _("keep the member roster"),
    MEMBERS_VIEW_SENSITIVE: _("see full ID and phone numbers"),
    MEMBERS_TRANSFER: _("request and approve member transfers"),
    ACCOUNTS_MANAGE: _("reset passwords and unlock the accounts of users under it"),
    CAMPAIGNS_VIEW: _("view campaigns and their schedules"),
    CAMPAIGNS_MANAGE: _("set up campaigns, batches, schedules and phases"),
    CAMPAIGNS_RECORD: _("record and withdraw completed campaign actions with evidence"),
    OPINIONS_VIEW: _("read opinions and how they are handled"),
    OPINIONS_ENTER: _("enter opinions heard at forums, interviews, visits and paper boxes"),
    OPINIONS_DISPATCH: _("categorize, merge, dispatch and reassign opinions"),
    OPINIONS_HANDLE: _("handle opinions dispatched here: contact, reply, return"),
    RECTIFICATION_VIEW: _("read problems, fixes, commitments and their results"),
    RECTIFICATION_MANAGE: _(
        "record problems and fixes, report progress, ask for extensions and close-outs, "
        "publish commitments and hand out evaluation slips"
    ),
    RECTIFICATION_APPROVE: _(
        "approve or refuse the extensions and close-outs of the level below, claim problems "
        "escalated from it, send fixes back for rework"
    ),
}

# code: (label, permissions)
BUILTIN_ROLES = {
    "system_admin": (_("system administrator"), list(ALL_PERMISSIONS)),
    "campaign_office": (
        _("campaign office"),
        [
            ORGS_VIEW,
            ORGS_MANAGE,
            STATS_VIEW,
            AUDIT_VIEW,
            ACCESS_MANAGE,
            MEMBERS_VIEW,
            CAMPAIGNS_VIEW,
            CAMPAIGNS_MANAGE,
            CAMPAIGNS_RECORD,
            OPINIONS_VIEW,
            OPINIONS_ENTER,
            OPINIONS_DISPATCH,
            OPINIONS_HANDLE,
            RECTIFICATION_VIEW,
            RECTIFICATION_MANAGE,
            RECTIFICATION_APPROVE,
        ],
    ),
    "org_admin": (
        _("organization administrator"),
        [
            ORGS_VIEW,
            ORGS_MANAGE,
            STATS_VIEW,
            AUDIT_VIEW,
            MEMBERS_VIEW,
            MEMBERS_MANAGE,
            MEMBERS_VIEW_SENSITIVE,
            MEMBERS_TRANSFER,
            ACCOUNTS_MANAGE,
            CAMPAIGNS_VIEW,
            CAMPAIGNS_RECORD,
            OPINIONS_VIEW,
            OPINIONS_ENTER,
            OPINIONS_HANDLE,
            RECTIFICATION_VIEW,
            RECTIFICATION_MANAGE,
            RECTIFICATION_APPROVE,
        ],
    ),
    "supervisor": (
        _("supervision team member"),
        [ORGS_VIEW, STATS_VIEW, MEMBERS_VIEW, CAMPAIGNS_VIEW, OPINIONS_VIEW, RECTIFICATION_VIEW],
    ),
    "member": (_("party member"), [ORGS_VIEW]),
}
