"""The nightly counter drift check: what `rebuild-counters --check` does, as a periodic task
whose findings reach the system administrators (massline.core.schedule)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from massline.core.outcome import Outcome

from .counters import label_of, rebuild

#: How many drifted counters a run lists (the count is always whole).
SHOWN = 50


def drift_check() -> Outcome:
    """Recount every figure and compare; change nothing. Findings when any counter differs
    from its recount."""
    from .models import Organization

    drift = rebuild(check_only=True)
    if not drift:
        return Outcome(message=_("Every counter matches a recount of the records."))
    shown = drift[:SHOWN]
    names = dict(
        Organization.objects.filter(pk__in={d.org_id for d in shown}).values_list("pk", "name")
    )
    return Outcome(
        findings=True,
        message=ngettext(
            "%(count)d counter differs from a recount of the records. Run `massline "
            "rebuild-counters` to correct it, and look for the write that missed it.",
            "%(count)d counters differ from a recount of the records. Run `massline "
            "rebuild-counters` to correct them, and look for the write that missed them.",
            len(drift),
        )
        % {"count": len(drift)},
        details={
            "count": len(drift),
            "drift": [
                {
                    "org_id": d.org_id,
                    "org": names.get(d.org_id, ""),
                    "metric": d.metric,
                    "metric_label": label_of(d.metric),
                    "stored": list(d.stored),
                    "counted": list(d.expected),
                    # as the page shows them: own / including subordinate organizations
                    "stored_text": "/".join(map(str, d.stored)),
                    "counted_text": "/".join(map(str, d.expected)),
                }
                for d in shown
            ],
        },
    )
