from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from massline.core.errors import ApplicationError

from .forms import LoginForm, PasswordChangeForm
from .requests import request_user
from .services import password_change, user_authenticate


def client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = ""
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = user_authenticate(
                request=request,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                address=client_address(request),
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
            status = 429 if exc.code == "throttled" else 200
        else:
            login(request, user)
            return redirect(next_url or "home")
    return render(request, "accounts/login.html", {"form": form, "next": next_url}, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("accounts:login")


@sensitive_post_parameters()
@login_required
def password_view(request: HttpRequest) -> HttpResponse:
    """A signed-in user changes their own password; they stay signed in here."""
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = password_change(
                user=request_user(request),
                old_password=data["old_password"],
                new_password=data["new_password1"],
                repeated=data["new_password2"],
            )
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            update_session_auth_hash(request, user)
            messages.success(request, _("Your password has been changed."))
            return redirect("profile")
    return render(request, "accounts/password.html", {"form": form, "nav": "profile"})
