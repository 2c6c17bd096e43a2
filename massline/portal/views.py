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
from massline.opinions.follow import alike, excerpt, opinion_follow
from massline.opinions.intake_services import box_org, categories_for, clean_text, opinion_submit
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
    """An organization's opinion box. "Send" first looks for opinions like it (its own step,
    rate-limited): when there are, they are shown with the choice to follow one or to send
    this one as new, the form carried along in hidden fields (nothing is stored before the
    choice); when there are none, the opinion is sent at once. After sending or following, its
    receipt (this response only: the code is kept nowhere to show it again). A form with
    errors comes back with them (200, as in-app browsers may show their own page for an error
    status)."""
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
    if "follow" in request.POST:
        return _follow(request, context, request.POST["follow"])
    if "new" not in request.POST:
        try:
            throttle.check(request, "similar")
            found = alike(org, clean_text(form.cleaned_data["text"]))
        except ApplicationError as exc:
            return _form_error(request, context, exc)
        if found:
            context.update(alike=found, anonymous=form.cleaned_data["anonymous"])
            return render(request, "portal/similar.html", context)
    return _send(request, context)


def _form_error(
    request: HttpRequest, context: dict[str, Any], exc: ApplicationError
) -> HttpResponse:
    """A refused field is shown at the field, like a form error (200); a flood is a 429."""
    form = context["form"]
    if exc.field in form.fields:
        form.add_error(exc.field, exc.message)
        return render(request, "portal/box.html", context)
    context["error"] = exc.message
    return render(request, "portal/box.html", context, status=http_status(exc))


def _sent_already(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    context["error"] = _(
        "This form was sent already: your opinion was received, and its receipt code was "
        "shown after sending. To send another opinion, open the box again."
    )
    return render(request, "portal/box.html", context)


def _send(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    """Store the form's opinion; its receipt page."""
    form = context["form"]
    data = dict(form.cleaned_data)
    once = sent_once(data.pop("once", ""))
    if once is None:
        return _sent_already(request, context)
    try:
        throttle.check(request, "submit")
        _opinion, code = opinion_submit(org=context["org"], **data)
    except ApplicationError as exc:
        forget_once(once)
        return _form_error(request, context, exc)
    context.update(groups=groups(code), anonymous=form.cleaned_data["anonymous"])
    return render(request, "portal/receipt.html", context)


def _follow(request: HttpRequest, context: dict[str, Any], opinion_id: str) -> HttpResponse:
    """A receipt on the opinion chosen among those shown, instead of a new one."""
    form = context["form"]
    once = sent_once(form.cleaned_data["once"])
    if once is None:
        return _sent_already(request, context)
    try:
        throttle.check(request, "submit")
        opinion, code = opinion_follow(
            org=context["org"], opinion_id=opinion_id, text=form.cleaned_data["text"]
        )
    except ApplicationError as exc:
        forget_once(once)
        if exc.field == "text":
            return _form_error(request, context, exc)
        context["error"] = exc.message
        return render(request, "portal/box.html", context, status=http_status(exc))
    context.update(
        groups=groups(code),
        anonymous=True,
        followed={"id": opinion.pk, "excerpt": excerpt(opinion.text), "on": opinion.received_on},
    )
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
