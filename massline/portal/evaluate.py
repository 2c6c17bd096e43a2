"""The public evaluation page (decision 0022, "Evaluation by the public"): a receipt code or an
evaluation code (prefilled from `?t=`, the slip's QR code) → the fix it leads to (its
measures, the commitment and its promised day, the progress the organization published, the
day it was closed out) → 满意 / 基本满意 / 不满意 with a reason → thanks. No login, nothing
stored before the choice; the code travels in the form's body after the first page.
Rate-limited per address ("evaluate"), like the opinion box."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from massline.core.errors import ApplicationError, http_status
from massline.opinions import throttle
from massline.rectification.evaluation_services import (
    REASON_MAX,
    Target,
    check_round_and_state,
    evaluation_submit,
    evaluation_target,
    is_token_code,
)
from massline.rectification.models import Fix, FixStep, FixStepKind, Verdict


class EvaluationForm(forms.Form):
    code = forms.CharField(
        label=_("Receipt code or evaluation code"),
        max_length=64,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    fix = forms.IntegerField(required=False, min_value=1, max_value=2**62, widget=forms.HiddenInput)
    verdict = forms.ChoiceField(
        label=_("Your verdict"),
        choices=[
            (Verdict.SATISFIED.value, _("Satisfied")),
            (Verdict.BASICALLY_SATISFIED.value, _("Basically satisfied")),
            (Verdict.UNSATISFIED.value, _("Not satisfied")),
        ],
        required=False,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Why? (required when not satisfied)"),
        max_length=REASON_MAX * 2,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": REASON_MAX}),
    )


def _codes(code: str) -> tuple[str, str]:
    """(receipt, token): the one field's code, by its length."""
    return ("", code) if is_token_code(code) else (code, "")


def public_fix(fix_id: int) -> dict[str, Any]:
    """What the public sees of a fix: no person, no time finer than the day."""
    fix = Fix.objects.select_related("org").get(pk=fix_id)
    steps = FixStep.objects.filter(fix=fix, public=True, kind=FixStepKind.PROGRESS)
    return {
        "fix": fix,
        "org": fix.org.name,
        "measure": fix.measure,
        "commitment": fix.commitment if fix.published else "",
        "promised_on": fix.promised_on if fix.published else None,
        "deadline": fix.deadline,
        "progress": [{"on": s.at.date(), "note": s.note} for s in steps],
        "closed_on": fix.closed_on,
    }


def _page(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, "portal/evaluate.html", context, status=status)


def _refusal(
    request: HttpRequest, context: dict[str, Any], exc: ApplicationError, target: Target | None
) -> HttpResponse:
    """A refused code or verdict: at its field when the form has it, else above the form."""
    form: EvaluationForm = context["form"]
    if exc.code == "choose_fix":
        context["choices"] = exc.extra.get("fixes", [])
        context["error"] = exc.message
        return _page(request, context)
    if exc.field in ("verdict", "reason") and target is not None:
        form.add_error(exc.field, exc.message)
        context.update(public_fix(target.fix_id), step="judge")
        return _page(request, context)
    if exc.code == "throttled":
        context["error"] = exc.message
        return _page(request, context, status=http_status(exc))
    form.add_error("code", exc.message)
    return _page(request, context)


@require_http_methods(["GET", "HEAD", "POST"])
def evaluate(request: HttpRequest) -> HttpResponse:
    """Enter a code (GET, `?t=` prefills it), see the fix (POST without a verdict), judge it
    (POST with one). A form with errors comes back with them (200, as the opinion box does)."""
    if request.method != "POST":
        form = EvaluationForm(initial={"code": request.GET.get("t", "")[:64]})
        return _page(request, {"form": form, "step": "code"})
    form = EvaluationForm(request.POST)
    context: dict[str, Any] = {"form": form, "step": "code"}
    if not form.is_valid():
        return _page(request, context)
    data = form.cleaned_data
    target = None
    try:
        throttle.check(request, "evaluate")
        receipt, token = _codes(data["code"])
        target = evaluation_target(receipt=receipt, token=token, fix_id=data["fix"])
        check_round_and_state(
            Fix.objects.only("state", "round", "promised_on", "deadline").get(pk=target.fix_id),
            target,
        )
        if not data["verdict"]:
            context.update(public_fix(target.fix_id), step="judge")
            return _page(request, context)
        evaluation = evaluation_submit(
            receipt=receipt,
            token=token,
            verdict=data["verdict"],
            reason=data["reason"],
            fix_id=target.fix_id,
        )
    except ApplicationError as exc:
        return _refusal(request, context, exc, target)
    context.update(
        public_fix(evaluation.fix_id),
        step="thanks",
        verdict=dict(form.fields["verdict"].choices)[evaluation.verdict],  # type: ignore[attr-defined]
    )
    return _page(request, context)
