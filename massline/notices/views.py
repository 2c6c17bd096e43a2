"""The notices page: the user's own notices newest first (keyset pages), unread ones
highlighted; opening one marks it read and goes to what it is about; marking read (some or
all). Nobody sees another user's notices: every read and write is narrowed to the user."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_POST

from massline.accounts.requests import request_user
from massline.core.errors import NotFound

from .kinds import notice_kinds
from .selectors import notice_for, notice_page
from .services import mark_all_read, mark_read


def _back(request: HttpRequest) -> HttpResponse:
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(back)
    return redirect("notices:list")


@login_required
@require_GET
def notice_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    unread = request.GET.get("unread") == "1"
    kind = request.GET.get("kind", "")
    if kind not in notice_kinds():
        kind = ""
    after_text = request.GET.get("after", "")
    after = int(after_text) if after_text.isdigit() and len(after_text) < 19 else None
    rows, cursor = notice_page(user, unread=unread, kind=kind, after=after)
    query = {k: v for k, v in (("unread", "1" if unread else ""), ("kind", kind)) if v}
    return render(
        request,
        "notices/list.html",
        {
            "nav": "notices",
            "notices": rows,
            "cursor": cursor,
            "unread": unread,
            "kind": kind,
            "kind_label": notice_kinds()[kind].label if kind else "",
            "query": urlencode(query),
            "first_page": after is None,
        },
    )


@login_required
@require_POST
def notice_open(request: HttpRequest, notice_id: int) -> HttpResponse:
    user = request_user(request)
    notice = notice_for(user, notice_id)
    if notice is None:
        raise NotFound()
    mark_read(user, [notice.pk])
    return HttpResponseRedirect(notice.link or "/notices/")


@login_required
@require_POST
def notices_read(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if request.POST.get("all") == "1":
        mark_all_read(user)
    else:
        mark_read(user, [int(i) for i in request.POST.getlist("id") if i.isdigit()])
    return _back(request)
