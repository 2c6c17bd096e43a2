from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from massline.core.audit import action_label
from massline.core.errors import Forbidden
from massline.core.models import AuditEvent

from .permissions import AUDIT_VIEW
from .policy import can_anywhere, scoped

PAGE = 50


@login_required
def audit(request: HttpRequest) -> HttpResponse:
    """The audit trail within the viewer's scope, newest first, keyset-paginated."""
    if not can_anywhere(request.user, AUDIT_VIEW):
        raise Forbidden()
    qs = scoped(AuditEvent.objects.select_related("actor"), request.user, AUDIT_VIEW)
    action = request.GET.get("action", "").strip()
    if action:
        qs = qs.filter(action__startswith=action)
    before = request.GET.get("before", "")
    if before.isdigit():
        qs = qs.filter(pk__lt=int(before))
    events = list(qs.order_by("-pk")[: PAGE + 1])
    more = len(events) > PAGE
    events = events[:PAGE]
    context = {
        "nav": "audit",
        "events": [{"event": e, "label": action_label(e.action)} for e in events],
        "action": action,
        "next_before": events[-1].pk if more else None,
    }
    return render(request, "access/audit.html", context)
