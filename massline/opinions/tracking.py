"""What a submitter sees of an opinion through a receipt code: its status and, once
published, the reply. The same for the page and the API; nothing about other submitters,
the staff or the organizations handling it."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from massline.core.errors import ApplicationError

from .models import Opinion, OpinionStatus
from .receipts import opinion_by_receipt

# What each status means to the person who wrote the opinion.
PUBLIC_STATUS: dict[str, str] = {
    OpinionStatus.RECEIVED.value: "received",
    OpinionStatus.DISPATCHED.value: "handling",
    OpinionStatus.RETURNED.value: "handling",
    OpinionStatus.HANDLING.value: "handling",
    OpinionStatus.REPLIED.value: "replied",
    OpinionStatus.CLOSED.value: "closed",
    OpinionStatus.MERGED.value: "handling",
}


def status_labels() -> dict[str, str]:
    return {
        "received": _("Received, waiting to be handled"),
        "handling": _("Being handled"),
        "replied": _("Replied"),
        "closed": _("Closed"),
    }


def not_found() -> ApplicationError:
    return ApplicationError(
        _("No opinion has this receipt code. Check the code you wrote down and try again."),
        code="not_found",
        field="receipt",
    )


def tracked(code: Any) -> dict[str, Any]:
    """The public view of the opinion a code follows; the same error for any miss."""
    opinion: Opinion | None = opinion_by_receipt(str(code or ""))
    if opinion is None:
        raise not_found()
    status = PUBLIC_STATUS.get(opinion.status, "handling")
    published = opinion.reply_published and bool(opinion.reply)
    return {
        "status": status,
        "status_label": status_labels()[status],
        "received_on": opinion.received_on,
        "org_name": opinion.org.name,
        "reply": opinion.reply if published else None,
    }
