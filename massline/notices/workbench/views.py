"""The workbench page (工作台, `/`): the to-dos waiting for the user, the key figures and the
charts of the organization it is for (the first of the user's scope roots, or another in
view chosen with `?org=`), each a block from the registry, in a bounded number of queries
whatever the size of the tree below."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from massline.access.permissions import ORGS_VIEW, STATS_VIEW
from massline.access.policy import access_org, can, scope_roots
from massline.accounts.requests import request_user

from .registry import Scope, blocks

#: At most this many scope roots are offered to switch between.
ROOTS_SHOWN = 20


def workbench_scope(request: HttpRequest) -> Scope:
    user = request_user(request)
    roots = scope_roots(user, ORGS_VIEW)[:ROOTS_SHOWN]
    chosen = request.GET.get("org", "")
    org = access_org(user, chosen, ORGS_VIEW) if chosen else (roots[0] if roots else None)
    return Scope(
        user=user,
        org=org,
        roots=roots,
        may_see_figures=org is not None and can(user, STATS_VIEW, org),
    )


@login_required
@require_GET
def workbench(request: HttpRequest) -> HttpResponse:
    scope = workbench_scope(request)
    shown = []
    for block in blocks():
        context = block.context_fn(scope)
        if context is not None:
            shown.append({"code": block.code, "template": block.template, "context": context})
    return render(
        request,
        "notices/workbench.html",
        {"nav": "workbench", "scope": scope, "blocks": shown},
    )
