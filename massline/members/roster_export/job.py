"""The export as a service: its audit row, and the background job (`members.export`) that
writes a large export into the job's folder."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from massline.access.permissions import MEMBERS_VIEW
from massline.access.policy import can_anywhere, covered_orgs, scoped
from massline.core import jobs
from massline.core.audit import audit_record
from massline.core.errors import ApplicationError, Forbidden, NotFound
from massline.core.models import Job
from massline.members.models import Member
from massline.members.selectors import (
    FILTER_PARAMS,
    MemberFilter,
    filter_members,
    filters_from_params,
)

from .policy import FORMATS, download_name, format_label, may_show_full
from .rows import iter_rows
from .writers import write_file

if TYPE_CHECKING:
    from massline.accounts.models import User

JOB_KIND = "members.export"


def describe_filters(filters: MemberFilter) -> dict[str, Any]:
    """The filters for the audit row; a search that holds digits (maybe an ID number) is
    recorded only as having been given."""
    out: dict[str, Any] = {}
    if filters.org is not None:
        out["org"] = filters.org.code
    q = filters.q.strip()
    if q:
        out["q"] = "***" if any(c.isdigit() for c in q) else q
    for key in ("status", "category", "ethnicity", "age", "mobility"):
        value = getattr(filters, key)
        if value:
            out[key] = value
    if filters.lost_contact is not None:
        out["lost_contact"] = filters.lost_contact
    return out


@transaction.atomic
def record_export(
    *, actor: User | None, filters: MemberFilter, fmt: str, count: int, full_numbers: bool
) -> None:
    """The audit row of an export: how many rows, the filters, the format, and whether the
    numbers were in full; never a number. It is recorded against the organization filtered
    on, else against each organization at the top of the user's view (the export covers
    their members), so that every level above sees it in its log."""
    after = {
        "count": count,
        "format": fmt,
        "full_numbers": full_numbers,
        "filters": describe_filters(filters),
    }
    for org in covered_orgs(actor, MEMBERS_VIEW, filters.org):
        audit_record(
            actor=actor, action="members.export", org=org, target_type="members.member", after=after
        )


def job_params(query: dict[str, str], fmt: str, language: str) -> dict[str, Any]:
    return {
        "filters": {k: query[k] for k in FILTER_PARAMS if query.get(k)},
        "format": fmt,
        "language": language,
    }


def run_export_job(job: Job, progress: jobs.Progress) -> dict[str, Any]:
    """`members.export`: the requesting user's filtered roster into the job's folder, with
    the user's rights as they are when the job runs."""
    user = job.actor
    fmt = job.params.get("format")
    if user is None or not user.is_active or fmt not in FORMATS:
        raise ApplicationError(_("This export can no longer be made."), code="invalid_job")
    if not can_anywhere(user, MEMBERS_VIEW):
        raise ApplicationError(_("You may no longer view the member roster."), code="forbidden")
    try:
        filters = filters_from_params(user, job.params.get("filters") or {})
    except (NotFound, Forbidden):
        raise ApplicationError(
            _("The organization of this export is no longer in your view."), code="forbidden"
        ) from None
    members = filter_members(scoped(Member.objects.all(), user, MEMBERS_VIEW), filters)
    full = may_show_full(user, filters)
    total = members.count()
    progress(0, total, phase="writing")
    name = f"members.{fmt}"
    count = write_file(
        iter_rows(members, full_numbers=full),
        jobs.folder(job) / name,
        fmt,
        counter=lambda done: progress(done, max(total, done)),
    )
    record_export(actor=user, filters=filters, fmt=fmt, count=count, full_numbers=full)
    return {
        "count": count,
        "format": fmt,
        "full_numbers": full,
        "files": [
            {
                "name": name,
                "label": format_label(fmt),
                "filename": download_name(filters, fmt),
            }
        ],
    }
