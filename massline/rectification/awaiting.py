"""Notices of what waits for the level above (decision 0022): a problem escalated to it, an
extension or a close-out asked for by the level below. Each goes to the users whose assignment
at that organization holds `rectification.approve`, once per event (the notice key), inside the
transaction of the step that caused it."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from massline.access.permissions import RECTIFICATION_APPROVE
from massline.access.users import holders_at
from massline.notices.kinds import register_notice_kind
from massline.notices.services import send
from massline.orgs.models import Organization

from . import workflow
from .models import Fix, Problem

AWAITING_NOTICE = "rectification.awaiting"


def register() -> None:
    register_notice_kind(
        AWAITING_NOTICE,
        _("Rectification: awaiting your decision"),
        title=_("%(what)s at %(org)s awaits your decision"),
        body=_("%(text)s"),
    )


def _send(
    upper: Organization, key: str, what: str, org: Organization, text: str, link: str
) -> None:
    users = holders_at([upper.pk], RECTIFICATION_APPROVE).get(upper.pk)
    if users:
        send(
            users,
            AWAITING_NOTICE,
            key,
            params={"what": what, "org": org.name, "text": text[:200]},
            link=link,
            organization=upper.pk,
        )


def problem_escalated(p: Problem) -> None:
    if p.escalated_to is not None:
        _send(
            p.escalated_to,
            f"problem:{p.pk}:escalated:{p.version}",
            str(_("A problem escalated from below")),
            p.org,
            p.description,
            reverse("rectification:problem", args=[p.pk]),
        )


def fix_asked(fix: Fix, action: str) -> None:
    """After `request_extension` or `request_close`: tell the level above."""
    what = {
        workflow.REQUEST_EXTENSION: _("An extension of a fix"),
        workflow.REQUEST_CLOSE: _("A fix's close-out"),
    }.get(action)
    if what is None:
        return
    _send(
        workflow.upper_org(fix.org),
        f"fix:{fix.pk}:{action}:{fix.version}",
        str(what),
        fix.org,
        fix.measure,
        reverse("rectification:fix", args=[fix.pk]),
    )
