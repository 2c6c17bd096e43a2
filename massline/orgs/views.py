"""Organization pages. Permission checks come from the access app (docs/decisions/0002)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from massline.access.permissions import (
    MEMBERS_MANAGE,
    MEMBERS_VIEW,
    ORGS_MANAGE,
    ORGS_VIEW,
    STATS_VIEW,
)
from massline.access.policy import (
    access_org,
    access_org_by_code,
    can,
    scope_roots,
    scoped,
    sees_whole_subtree,
)
from massline.accounts.requests import request_user
from massline.core.errors import ApplicationError, Forbidden, NotFound
from massline.core.htmx import wants_fragment

from .authority import (
    LEVEL_ABOVE_FIELDS,
    can_change_structure,
    can_move,
    refuse_own_structure_changes,
)
from .forms import OrgEditForm, OrgForm, OrgMoveForm
from .models import Organization, OrgKind
from .selectors import (
    CHILDREN_PAGE,
    administrative_only,
    org_ancestors,
    org_children,
    org_figures,
    org_search,
)
from .services import org_create, org_move, org_update


def _nodes(request: HttpRequest, orgs: list[Organization], visible) -> list[dict]:  # type: ignore[no-untyped-def]
    """Tree rows: the organization, its subtree size, and whether expanding it shows anything
    (under a custom list or `this_org` the subordinates may all be out of view: one query
    tells which of those have a visible child)."""
    figures = org_figures(org_ids=[o.pk for o in orgs])
    partial = [
        o.pk
        for o in orgs
        if figures[o.pk].get("orgs.total") > 1
        and not sees_whole_subtree(request.user, ORGS_VIEW, o)
    ]
    with_visible_children = (
        set(visible.filter(parent_id__in=partial).values_list("parent_id", flat=True).distinct())
        if partial
        else set()
    )
    return [
        {
            "org": o,
            "subtree": figures[o.pk].get("orgs.total"),
            "has_children": figures[o.pk].get("orgs.total") > 1
            and (o.pk not in partial or o.pk in with_visible_children),
        }
        for o in orgs
    ]


SEARCH_LIMIT = 50


def _visible(request: HttpRequest) -> tuple:  # type: ignore[type-arg]
    """The organizations in view, and whether non-administrative units are left out
    (`?admin_only=1`)."""
    visible = scoped(Organization.objects.all(), request.user, ORGS_VIEW)
    admin_only = request.GET.get("admin_only") == "1"
    return (administrative_only(visible) if admin_only else visible), admin_only


@login_required
def tree(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    visible, admin_only = _visible(request)
    # One more than shown, to tell "50 results" from "the first 50 of more".
    found = org_search(visible=visible, q=q, limit=SEARCH_LIMIT + 1) if q else []
    search = {
        "q": q,
        "results": _nodes(request, found[:SEARCH_LIMIT], visible) if q else None,
        "truncated": len(found) > SEARCH_LIMIT,
        "limit": SEARCH_LIMIT,
        "admin_only": admin_only,
    }
    if wants_fragment(request, "search-results"):
        return render(request, "orgs/tree.html#search-results", search)
    roots = scope_roots(request.user, ORGS_VIEW)
    return render(
        request,
        "orgs/tree.html",
        {"nav": "orgs", **search, "nodes": _nodes(request, roots, visible)},
    )


@login_required
def children(request: HttpRequest, org_id: int) -> HttpResponse:
    org = access_org(request.user, org_id, ORGS_VIEW)
    visible, admin_only = _visible(request)
    kids = list(org_children(org=org, visible=visible)[: CHILDREN_PAGE + 1])
    more = len(kids) > CHILDREN_PAGE
    return render(
        request,
        "orgs/tree.html#nodes",
        {
            "nodes": _nodes(request, kids[:CHILDREN_PAGE], visible),
            "more": more,
            "parent": org,
            "admin_only": admin_only,
        },
    )


@login_required
def detail(request: HttpRequest, org_id: int) -> HttpResponse:
    org = access_org(request.user, org_id, ORGS_VIEW)
    visible, admin_only = _visible(request)
    page = Paginator(org_children(org=org, visible=visible), 100).get_page(request.GET.get("page"))
    kids = list(page.object_list)
    figures = org_figures(org_ids=[org.pk, *[k.pk for k in kids]])
    ancestors = org_ancestors(org=org, visible=visible)
    context = {
        "nav": "orgs",
        "org": org,
        "ancestors": ancestors,
        # The parent only when the viewer may see it (a custom list can skip levels).
        "parent": ancestors[-1] if ancestors and ancestors[-1].pk == org.parent_id else None,
        "figures": figures[org.pk] if can(request.user, STATS_VIEW, org) else None,
        "can_manage": can(request.user, ORGS_MANAGE, org),
        "can_view_members": can(request.user, MEMBERS_VIEW, org),
        # Members are held by branches and general branches.
        "can_add_member": org.kind in (OrgKind.BRANCH, OrgKind.GENERAL_BRANCH)
        and can(request.user, MEMBERS_MANAGE, org),
        "can_add_child": org.kind != OrgKind.BRANCH and can(request.user, ORGS_MANAGE, org),
        "can_move": can_move(request.user, org),
        "page": page,
        "admin_only": admin_only,
        "children": [{"org": k, "subtree": figures[k.pk].get("orgs.total")} for k in kids],
    }
    if wants_fragment(request, "children-table"):
        return render(request, "orgs/detail.html#children-table", context)
    return render(request, "orgs/detail.html", context)


def _apply_error(form, exc: ApplicationError) -> None:  # type: ignore[no-untyped-def]
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


@login_required
def create_child(request: HttpRequest, org_id: int) -> HttpResponse:
    parent = access_org(request.user, org_id, ORGS_MANAGE)
    form = OrgForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            org = org_create(actor=request_user(request), parent=parent, **form.cleaned_data)
        except ApplicationError as exc:
            _apply_error(form, exc)
        else:
            return redirect("orgs:detail", org.pk)
    return render(
        request,
        "orgs/form.html",
        {
            "nav": "orgs",
            "form": form,
            "org": parent,
            "mode": "create",
        },
    )


@login_required
def edit(request: HttpRequest, org_id: int) -> HttpResponse:
    org = access_org(request.user, org_id, ORGS_MANAGE)
    initial = {
        "name": org.name,
        "kind": org.kind,
        "unit_type": org.unit_type,
        "area_type": org.area_type,
    }
    locked = () if can_change_structure(request.user, org) else LEVEL_ABOVE_FIELDS
    form = OrgEditForm(request.POST or None, initial=initial, locked=locked)
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        try:
            refuse_own_structure_changes(request.user, org, changes)
            org_update(actor=request_user(request), org=org, **changes)
        except ApplicationError as exc:
            _apply_error(form, exc)
        else:
            return redirect("orgs:detail", org.pk)
    return render(
        request, "orgs/form.html", {"nav": "orgs", "form": form, "org": org, "mode": "edit"}
    )


@login_required
def move(request: HttpRequest, org_id: int) -> HttpResponse:
    org = access_org(request.user, org_id, ORGS_MANAGE)
    if not can_move(request.user, org):
        raise Forbidden()
    form = OrgMoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            new_parent = access_org_by_code(
                request.user, form.cleaned_data["parent_code"].strip(), ORGS_MANAGE
            )
            org_move(actor=request_user(request), org=org, new_parent=new_parent)
        except NotFound:
            form.add_error("parent_code", _("No organization with this code in your scope."))
        except Forbidden:
            form.add_error("parent_code", _("You may not place organizations under that one."))
        except ApplicationError as exc:
            _apply_error(form, exc)
        else:
            return redirect("orgs:detail", org.pk)
    return render(
        request, "orgs/form.html", {"nav": "orgs", "form": form, "org": org, "mode": "move"}
    )
