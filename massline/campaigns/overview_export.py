"""A list of the overview (not started, …) to `.xlsx`: a background job
(`campaigns.list_export`, the audit export's shape) that walks the list by path in chunks
with the reader's rights as they are when the job runs, and is itself audited."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext as _

from massline.access.permissions import CAMPAIGNS_VIEW
from massline.access.policy import can
from massline.core import jobs
from massline.core.audit import audit_record
from massline.core.errors import ApplicationError
from massline.core.models import Job
from massline.orgs.models import Organization

from .models import Campaign, Participation
from .overview import level_label, org_list

if TYPE_CHECKING:
    from massline.accounts.models import User

JOB_KIND = "campaigns.list_export"
FILENAME = "organizations.xlsx"
CHUNK = 2_000


def export_start(*, actor: User, campaign: Campaign, org: Organization, code: str) -> Job:
    return jobs.enqueue(
        JOB_KIND, actor=actor, params={"campaign": campaign.pk, "org": org.pk, "list": code}
    )


def _rows(qs: Any) -> Iterator[Participation]:
    after = ""
    while True:
        chunk = list(qs.filter(org_path__gt=after).order_by("org_path")[:CHUNK])
        yield from chunk
        if len(chunk) < CHUNK:
            return
        after = chunk[-1].org_path


def write_workbook(rows: Iterator[Participation], path: Any, title: str) -> int:
    import xlsxwriter  # only exports need it

    part = f"{path}.part"
    count = 0
    try:
        book = xlsxwriter.Workbook(part, {"constant_memory": True, "strings_to_formulas": False})
        bold = book.add_format({"bold": True})
        sheet = book.add_worksheet(title[:31])
        heads = [_("Organization"), _("Code"), _("Level"), _("Batch"), _("Starts on"), _("Ends on")]
        for col, head in enumerate(heads):
            sheet.set_column(col, col, 30 if col == 0 else 14)
            sheet.write_string(0, col, head, bold)
        sheet.freeze_panes(1, 0)
        for count, r in enumerate(rows, start=1):
            cells = [r.org.name, r.org.code, level_label(r.level), r.batch.name]
            cells += [r.starts_on.isoformat(), r.ends_on.isoformat()]
            for col, value in enumerate(cells):
                sheet.write_string(count, col, value)
        book.close()
        os.replace(part, path)
    except BaseException:
        if os.path.exists(part):
            os.unlink(part)
        raise
    return count


def run_list_export(job: Job, progress: jobs.Progress) -> dict[str, Any]:
    user = job.actor
    campaign = Campaign.objects.filter(pk=job.params.get("campaign")).first()
    org = Organization.objects.filter(pk=job.params.get("org")).first()
    if (
        user is None
        or not user.is_active
        or campaign is None
        or org is None
        or not can(user, CAMPAIGNS_VIEW, org)
    ):
        raise ApplicationError(_("You may no longer view this list."), code="forbidden")
    lst = org_list(job.params.get("list", ""))
    today = timezone.localdate()
    qs = lst.rows_fn(campaign, org, today).select_related("org", "batch")
    progress(0, None, phase="writing")
    count = write_workbook(_rows(qs), jobs.folder(job) / FILENAME, str(lst.label))
    audit_record(
        actor=user,
        action=JOB_KIND,
        org=org,
        target=campaign,
        after={"count": count, "format": "xlsx", "list": lst.code},
    )
    stamp = today.strftime("%Y%m%d")
    return {
        "count": count,
        "files": [
            {"name": FILENAME, "label": "Excel (.xlsx)", "filename": f"{lst.label}-{stamp}.xlsx"}
        ],
    }
