"""The staff entry pages (decision 0021, "Staff entry pages"): one opinion heard in an
individual interview, a visit or from the paper suggestion box; an organization's forums
(座谈会), a new forum, and a forum's page where the opinions raised there are entered one after
another. Each asks access first; the rules are `intake_services`'.

A saved opinion's receipt code is shown once, in the answer to the form that saved it: never
in an address, a cookie or the session (like the portal's receipt page), so that answer is a
page (200, not stored by the browser) with the saved opinion, its possible duplicates and a
fresh form keeping the channel and the day."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from massline.access.permissions import OPINIONS_ENTER, OPINIONS_VIEW
from massline.access.policy import access_org, can
from massline.accounts.requests import request_user
from massline.core.errors import ApplicationError, Forbidden
from massline.orgs.models import Organization

from . import intake_services
from .entry_forms import ENTRY_CHANNELS, EntryForm, ForumForm, OpinionForm
from .entry_selectors import duplicates_for, forum_of, forum_opinions, forums_of
from .models import Channel, Forum, Opinion
from .receipts import grouped


def _saved(request: HttpRequest, opinion: Opinion, code: str) -> dict[str, Any]:
    """What the answer to a saved form shows of the opinion: its number, receipt code and
    possible duplicates (the triage's, when the user may merge it)."""
    return {
        "saved": opinion,
        "receipt": grouped(code),
        "duplicates": duplicates_for(request_user(request), opinion),
    }


def _enter(
    request: HttpRequest, org: Organization, form: OpinionForm, **extra: Any
) -> dict[str, Any] | None:
    """Enter the form's opinion at `org`; what the page shows of it, or None with the
    service's refusal put next to its field (nothing was written)."""
    if not form.is_valid():
        return None
    try:
        opinion, code = intake_services.opinion_enter(
            actor=request_user(request), org=org, **form.service_args(), **extra
        )
    except Forbidden:
        raise
    except ApplicationError as exc:
        form.add_error(exc.field, exc.message)
        return None
    return _saved(request, opinion, code)


@login_required
@never_cache
def entry_page(request: HttpRequest, org_id: int) -> HttpResponse:
    """Enter an opinion heard at the organization (opinions.enter there)."""
    user = request_user(request)
    org = access_org(user, org_id, OPINIONS_ENTER)
    categories = intake_services.categories_for(org)
    today = timezone.localdate()
    saved: dict[str, Any] | None = None
    if request.method == "POST":
        form = EntryForm(request.POST, categories=categories)
        saved = _enter(request, org, form)
        if saved is not None:
            # enter another: the same channel and day
            o = saved["saved"]
            form = EntryForm(
                initial={"channel": o.channel, "received_on": o.received_on},
                categories=categories,
            )
    else:
        channel = request.GET.get("channel", "")
        if channel not in dict(ENTRY_CHANNELS):
            channel = Channel.INTERVIEW
        form = EntryForm(initial={"channel": channel, "received_on": today}, categories=categories)
    return render(
        request,
        "opinions/entry.html",
        {"nav": "opinions", "org": org, "form": form, "today": today, **(saved or {})},
    )


@login_required
def forum_list(request: HttpRequest, org_id: int) -> HttpResponse:
    """The forums the organization held (opinions.view there)."""
    user = request_user(request)
    org = access_org(user, org_id, OPINIONS_VIEW)
    return render(
        request,
        "opinions/forums.html",
        {
            "nav": "opinions",
            "org": org,
            "forums": forums_of(org),
            "can_enter": can(user, OPINIONS_ENTER, org),
        },
    )


@login_required
def forum_new(request: HttpRequest, org_id: int) -> HttpResponse:
    """Record a forum the organization held (opinions.enter there), then enter its
    opinions on its page."""
    user = request_user(request)
    org = access_org(user, org_id, OPINIONS_ENTER)
    if request.method == "POST":
        form = ForumForm(request.POST)
        if form.is_valid():
            try:
                forum = intake_services.forum_create(actor=user, org=org, **form.service_args())
            except Forbidden:
                raise
            except ApplicationError as exc:
                form.add_error(exc.field, exc.message)
            else:
                return redirect("opinions:forum", org.pk, forum.pk)
    else:
        form = ForumForm(initial={"held_on": timezone.localdate()})
    return render(request, "opinions/forum_new.html", {"nav": "opinions", "org": org, "form": form})


def _forum_context(request: HttpRequest, org: Organization, forum: Forum) -> dict[str, Any]:
    return {
        "nav": "opinions",
        "org": org,
        "forum": forum,
        "opinions": forum_opinions(forum),
        "can_enter": can(request_user(request), OPINIONS_ENTER, org),
    }


@login_required
@never_cache
def forum_page(request: HttpRequest, org_id: int, forum_id: int) -> HttpResponse:
    """A forum and the opinions raised at it (opinions.view); those who hold opinions.enter
    add the opinions one after another."""
    user = request_user(request)
    posted = request.method == "POST"
    org = access_org(user, org_id, OPINIONS_ENTER if posted else OPINIONS_VIEW)
    forum = forum_of(org, forum_id)
    categories = intake_services.categories_for(org)
    form = OpinionForm(request.POST if posted else None, categories=categories)
    saved = None
    if posted:
        saved = _enter(request, org, form, channel=Channel.FORUM, forum=forum)
        if saved is not None:
            form = OpinionForm(categories=categories)
    return render(
        request,
        "opinions/forum.html",
        {**_forum_context(request, org, forum), "form": form, **(saved or {})},
    )
