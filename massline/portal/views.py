"""The public portal (decision 0021): an organization's opinion box, the receipt shown once,
and tracking by receipt code. No login, no session, no cookie but the form's CSRF token;
phone-first pages with the portal's own small layout and stylesheet."""

from __future__ import annotations

import hmac
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from massline.core.errors import ApplicationError, http_status
from massline.opinions import throttle
from massline.opinions.intake_services import box_org, categories_for, opinion_submit
from massline.opinions.receipts import groups
from massline.opinions.tracking import tracked

from .forms import OpinionForm, TrackForm


def sent_once(once: str) -> str | None:
    """The cache key marking this form as sent, or None when it was sent already (a double
    tap, a reload of the receipt page). The key is a keyed hash of the form's random value,
    kept a day in the cache; a form without one, or a cache that fails, is not checked."""
    if not once:
        return ""
    digest = hmac.new(settings.SECRET_KEY.encode(), b"portal once " + once.encode(), "sha256")
    key = f"portal-once:{digest.hexdigest()[:32]}"
    try:
        return key if cache.add(key, 1, timeout=24 * 3600) else None
    except Exception:
        return ""


def forget_once(key: str) -> None:
    """The submission was refused: the same form may be sent again once corrected."""
    if key:
        cache.delete(key)


def _refused(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    return render(request, "portal/refused.html", {"message": exc.message}, status=http_status(exc))


@require_http_methods(["GET", "HEAD", "POST"])
def box(request: HttpRequest, org_id: str) -> HttpResponse:
    """An organization's opinion box; after a submission, its receipt (this response only:
    the code is kept nowhere to show it again). A form with errors comes back with them (200,
    as in-app browsers may show their own page for an error status)."""
    try:
        org = box_org(org_id)
    except ApplicationError as exc:
        return _refused(request, exc)
    categories = categories_for(org)
    context: dict[str, Any] = {"org": org}
    if request.method != "POST":
        context["form"] = OpinionForm(categories=categories)
        return render(request, "portal/box.html", context)
    form = OpinionForm(request.POST, categories=categories)
    context["form"] = form
    if not form.is_valid():
        return render(request, "portal/box.html", context)
    data = dict(form.cleaned_data)
    once = sent_once(data.pop("once", ""))
    if once is None:
        context["error"] = _(
            "This form was sent already: your opinion was received, and its receipt code was "
            "shown after sending. To send another opinion, open the box again."
        )
        return render(request, "portal/box.html", context)
    try:
        throttle.check(request, "submit")
        _opinion, code = opinion_submit(org=org, **data)
    except ApplicationError as exc:
        forget_once(once)
        # a refused field is shown at the field, like a form error (200); a flood is a 429
        if exc.field in form.fields:
            form.add_error(exc.field, exc.message)
            return render(request, "portal/box.html", context)
        context["error"] = exc.message
        return render(request, "portal/box.html", context, status=http_status(exc))
    context.update(groups=groups(code), anonymous=form.cleaned_data["anonymous"])
    return render(request, "portal/receipt.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    """Follow an opinion by its receipt code. The code is sent in the body (POST), never in
    the address, so it reaches no history, bookmark or log."""
    if request.method != "POST":
        return render(request, "portal/track.html", {"form": TrackForm()})
    form = TrackForm(request.POST)
    context: dict[str, Any] = {"form": form}
    if not form.is_valid():
        return render(request, "portal/track.html", context)
    try:
        throttle.check(request, "lookup")
        context["found"] = tracked(form.cleaned_data["receipt"])
    except ApplicationError as exc:
        context["error"] = exc.message
        return render(request, "portal/track.html", context, status=http_status(exc))
    return render(request, "portal/track.html", context)
