"""What an export may hold and how it is delivered: the formats, full numbers only where
`members.view_sensitive` reaches everything it covers, sent at once or made by a job, and
the name the file is saved under."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from massline.access.permissions import MEMBERS_VIEW, MEMBERS_VIEW_SENSITIVE
from massline.access.policy import can_anywhere, reaches_all_of
from massline.core.errors import ApplicationError
from massline.members.selectors import MemberFilter

FORMATS = ("csv", "xlsx")


def stream_max() -> int:
    """Up to this many rows a web export is sent at once; above it, a background job."""
    return int(getattr(settings, "MEMBER_EXPORT_STREAM_MAX", 10_000))


def format_of(path: Path) -> str:
    """The format a file name asks for (.csv or .xlsx)."""
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ApplicationError(
            _("The roster is written as a .csv or .xlsx file, not %(name)s.") % {"name": path.name},
            field="output",
            code="bad_format",
        )
    return fmt


def may_show_full(user: Any, filters: MemberFilter) -> bool:
    """Full ID and phone numbers only when `members.view_sensitive` reaches every member the
    export can hold (everything the user's roster view reaches, within the filtered org)."""
    return can_anywhere(user, MEMBERS_VIEW_SENSITIVE) and reaches_all_of(
        user, MEMBERS_VIEW_SENSITIVE, of_perm=MEMBERS_VIEW, under=filters.org
    )


def download_name(filters: MemberFilter, fmt: str) -> str:
    """党员花名册-<organization>-<date>.<format>: what the user's browser saves."""
    parts = ["党员花名册"]
    if filters.org is not None:
        parts.append(re.sub(r'[\\/:*?"<>|\s]+', "_", filters.org.name))
    parts.append(timezone.localdate().strftime("%Y%m%d"))
    return "-".join(parts) + "." + fmt


def format_label(fmt: str) -> str:
    return _("Excel workbook (.xlsx)") if fmt == "xlsx" else _("CSV file (.csv)")
