"""Transfer pages (组织关系转接): the list with its tabs, a transfer with its history and the
steps the viewer may take, and the two ways to start one (from the member's page by the
sending side, or by ID number by the receiving side). Permission checks: access app."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from massline.access.permissions import MEMBERS_TRANSFER, MEMBERS_VIEW
from massline.access.policy import access_scoped, can, can_anywhere, scoped
from massline.accounts.requests import request_user
from massline.core.errors import ApplicationError, Forbidden, NotFound, http_status
from massline.core.normalize import parse_month, to_halfwidth
from massline.orgs.models import Organization

from ..idnumber import InvalidNumber, validate_id
from ..models import OPEN_TRANSFER_STATUSES, Member, Transfer, TransferStatus
from ..services import MEMBER_ORG_KINDS
from . import workflow
from .letter_pdf import letter_pdf
from .orgsearch import org_search
from .selectors import (
    BOXES,
    member_by_id_number,
    org_by_code,
    transfer_box,
    transfer_detail_queryset,
    transfer_list,
)
from .services import letter_printable, transfer_letter_print, transfer_request, transfer_step

ORG_SUGGESTIONS = 20


class TransferRequestForm(forms.Form):
    to_org = forms.CharField(
        label=gettext_lazy("Receiving organization (code or name)"),
        max_length=64,
        help_text=gettext_lazy("Type part of the name or the code, then choose from the list."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    on = forms.DateField(
        label=gettext_lazy("Request date"),
        required=False,
        help_text=gettext_lazy("Leave empty for today."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class IncomingTransferForm(TransferRequestForm):
    id_number = forms.CharField(label=gettext_lazy("Member's citizen ID number"), max_length=32)
    name = forms.CharField(label=gettext_lazy("Member's name"), max_length=64)
    field_order = ["id_number", "name", "to_org", "reason", "on"]


class StepForm(forms.Form):
    note = forms.CharField(required=False, max_length=500)
    status = forms.CharField(max_length=24)
    letter_no = forms.CharField(required=False, max_length=40)
    # <input type="month"> sends "2026-11"; where a browser shows a text field instead,
    # 2026年11月 and 2026.11 are taken too.
    dues_paid_to = forms.CharField(required=False, max_length=20)
    confirmed = forms.BooleanField(required=False)

    def clean_dues_paid_to(self) -> dt.date | None:
        text = self.cleaned_data["dues_paid_to"].strip()
        if not text:
            return None
        try:
            return parse_month(text)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


#: The step form's inputs, as the services name them in errors.
STEP_INPUTS = ("letter_no", "confirmed", "reason", "dues_paid_to")


def _apply_error(form: forms.Form, exc: ApplicationError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


@login_required
def transfer_list_view(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not can_anywhere(user, MEMBERS_VIEW):
        raise Forbidden()
    may_transfer = can_anywhere(user, MEMBERS_TRANSFER)
    box = request.GET.get("box", "")
    if box not in BOXES:
        box = "waiting" if may_transfer else "all"
    qs = transfer_box(scoped(Transfer.objects.all(), user, MEMBERS_VIEW), user, box)
    status = request.GET.get("status", "")
    if status not in ("open", "closed", *TransferStatus.values):
        status = ""
    overdue = request.GET.get("overdue") == "1"
    rows, cursor = transfer_list(
        visible=qs, status=status, overdue=overdue, after=request.GET.get("after", "")
    )
    query = {k: v for k, v in request.GET.items() if k != "after" and v}
    return render(
        request,
        "members/transfers/list.html",
        {
            "nav": "transfers",
            "box": box,
            "boxes": [
                ("waiting", _("Waiting for me")),
                ("outgoing", _("Outgoing")),
                ("incoming", _("Incoming")),
                ("all", _("All")),
            ],
            "transfers": rows,
            "cursor": cursor,
            "status": status,
            "statuses": [
                ("open", _("under way")),
                ("closed", _("closed")),
                *TransferStatus.choices,
            ],
            "overdue": overdue,
            "query": query,
            "may_transfer": may_transfer,
        },
    )


def _detail_context(request: HttpRequest, transfer: Transfer) -> dict[str, Any]:
    user = request_user(request)
    actions = workflow.actions_for(user, transfer)
    return {
        "nav": "transfers",
        "t": transfer,
        "steps": list(transfer.steps.select_related("actor")),
        "actions": actions,
        # The forms of the steps the user may take, as the workflow map describes them.
        "buttons": [workflow.TRANSITIONS[(transfer.status, a)] for a in actions],
        "turn": workflow.turn(transfer),
        "turn_org": workflow.turn_org(transfer),
        "letter_printable": letter_printable(user, transfer),
        "member_visible": can(user, MEMBERS_VIEW, transfer.member.org),
    }


def _get_transfer(request: HttpRequest, transfer_id: int) -> Transfer:
    return access_scoped(
        transfer_detail_queryset(),
        request.user,
        transfer_id,
        MEMBERS_VIEW,
        view_perm=MEMBERS_VIEW,
    )


@login_required
def transfer_detail(request: HttpRequest, transfer_id: int) -> HttpResponse:
    transfer = _get_transfer(request, transfer_id)
    return render(request, "members/transfers/detail.html", _detail_context(request, transfer))


@login_required
@require_POST
def transfer_act(request: HttpRequest, transfer_id: int, action: str) -> HttpResponse:
    """Take a step the workflow allows the user: approve, send back or withdraw."""
    user = request_user(request)
    transfer = _get_transfer(request, transfer_id)
    if action not in workflow.ACTIONS:
        raise NotFound()
    form = StepForm(request.POST)
    status = 400
    if form.is_valid():
        seen = form.cleaned_data["status"]
        step = workflow.TRANSITIONS.get((seen, action))
        try:
            if step is not None and step.confirm and not form.cleaned_data["confirmed"]:
                raise ApplicationError(
                    _("Tick the box to confirm: %(step)s.") % {"step": step.button},
                    field="confirmed",
                )
            done = transfer_step(
                actor=user,
                transfer=transfer,
                action=action,
                note=form.cleaned_data["note"],
                seen=seen,
                letter_no=form.cleaned_data["letter_no"],
                dues_paid_to=form.cleaned_data["dues_paid_to"],
            )
        except ApplicationError as exc:
            # What the user typed or ticked comes back with its error (200, as any form);
            # a refused step keeps its status.
            error = exc.message
            status = 200 if exc.field in STEP_INPUTS else http_status(exc)
        else:
            step = workflow.TRANSITIONS[(seen, action)]
            names = {"name": transfer.member.name, "org": transfer.to_org.name}
            messages.success(request, str(step.done) % names)
            return redirect("members:transfer", done.pk)
    elif "dues_paid_to" in form.errors:
        error, status = str(form.errors["dues_paid_to"][0]), 200
    else:
        error = _("This transfer changed while you were looking at it; check it again.")
    transfer = _get_transfer(request, transfer_id)
    context = {
        **_detail_context(request, transfer),
        "error": error,
        "error_action": action,
        "letter_typed": request.POST.get("letter_no", "")[:40],
    }
    return render(request, "members/transfers/detail.html", context, status=status)


@login_required
def transfer_letter(request: HttpRequest, transfer_id: int) -> HttpResponse:
    """The introduction letter with its receipt stub, as a PDF for the sending side."""
    transfer = _get_transfer(request, transfer_id)
    content = transfer_letter_print(actor=request_user(request), transfer=transfer)
    response = HttpResponse(letter_pdf(content), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="letter-{content.number}.pdf"'
    return response


def _start(
    request: HttpRequest, form: TransferRequestForm, member: Member | None
) -> Transfer | None:
    """Create the request from a valid form; errors go onto the form."""
    assert member is not None
    to_org = org_by_code(form.cleaned_data["to_org"])
    if to_org is None or to_org.kind not in MEMBER_ORG_KINDS:
        form.add_error(
            "to_org", _("No branch or general branch has this code. Choose one from the list.")
        )
        return None
    try:
        return transfer_request(
            actor=request_user(request),
            member=member,
            to_org=to_org,
            reason=form.cleaned_data["reason"],
            on=form.cleaned_data["on"],
        )
    except Forbidden:  # neither side is the user's
        form.add_error("to_org", _("You may not receive members at that organization."))
    except ApplicationError as exc:
        _apply_error(form, exc)
    return None


@login_required
def transfer_request_view(request: HttpRequest, member_id: int) -> HttpResponse:
    """The sending side starts a transfer from the member's page."""
    member = access_scoped(
        Member.objects.select_related("org"),
        request.user,
        member_id,
        MEMBERS_TRANSFER,
        view_perm=MEMBERS_VIEW,
    )
    form = TransferRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        transfer = _start(request, form, member)
        if transfer is not None:
            messages.success(request, _("Transfer requested."))
            return redirect("members:transfer", transfer.pk)
    open_transfer = member.transfers.filter(status__in=OPEN_TRANSFER_STATUSES).first()
    return render(
        request,
        "members/transfers/request.html",
        {"nav": "transfers", "form": form, "member": member, "open_transfer": open_transfer},
    )


@login_required
@sensitive_post_parameters("id_number")
@sensitive_variables("number")
def transfer_incoming_view(request: HttpRequest) -> HttpResponse:
    """The receiving side starts a transfer for a member who has come to one of its
    branches: the member is named by their ID number, the branch must be in the user's scope."""
    if not can_anywhere(request.user, MEMBERS_TRANSFER):
        raise Forbidden()
    form = IncomingTransferForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        member = None
        # The receiving branch first: nothing about the roster is said to a user who has
        # not named a branch of their own.
        to_org = org_by_code(form.cleaned_data.get("to_org", ""))
        if to_org is None or not can(request.user, MEMBERS_TRANSFER, to_org):
            form.add_error("to_org", _("Choose a branch in your scope to receive the member."))
        else:
            try:
                number = validate_id(form.cleaned_data["id_number"]).number
            except InvalidNumber as exc:
                form.add_error("id_number", str(exc))
            else:
                member = member_by_id_number(number, name=form.cleaned_data["name"])
                if member is None:
                    form.add_error(
                        "id_number",
                        _("No member with this ID number and this name is in the roster."),
                    )
        if member is not None:
            transfer = _start(request, form, member)
            if transfer is not None:
                messages.success(request, _("Transfer requested."))
                return redirect("members:transfer", transfer.pk)
    return render(
        request,
        "members/transfers/request.html",
        {"nav": "transfers", "form": form, "member": None, "incoming": True},
    )


@login_required
def org_suggestions(request: HttpRequest) -> HttpResponse:
    """Branches for the receiving-organization field, as <option>s of a datalist: by code
    (its beginning), name (a part of it, 党支部 finding 支部委员会) or pinyin initials
    ("glbc"), across the whole tree, since a member may move
    anywhere in the province (decision 0006); `mine=1` keeps to the user's transfer scope."""
    if not can_anywhere(request.user, MEMBERS_TRANSFER):
        raise Forbidden()
    q = to_halfwidth(request.GET.get("to_org", request.GET.get("q", ""))).strip()[:64]
    qs = Organization.objects.filter(kind__in=MEMBER_ORG_KINDS)
    if request.GET.get("mine") == "1":
        qs = scoped(qs, request.user, MEMBERS_TRANSFER)
    orgs = org_search(query=q, candidates=qs, kinds=MEMBER_ORG_KINDS, limit=ORG_SUGGESTIONS)
    return render(request, "members/transfers/org_options.html", {"orgs": orgs})
