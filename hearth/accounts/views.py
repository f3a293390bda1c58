"""HTML views of the accounts app: sign-up/in/out, password reset, staff TOTP, My Stuff.

Views parse forms and call services/selectors; sensitive actions (data download, erasure, email
and password change) need the password entered again within the last few minutes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hearth.accounts import auth, forms, second_factor, selectors, services
from hearth.accounts.models import Address, User
from hearth.core import clock
from hearth.core.errors import DomainError
from hearth.core.languages import choose_language, remember_language, supported_language
from hearth.devices import selectors as devices_selectors
from hearth.privacy import inventory
from hearth.privacy import selectors as privacy_selectors
from hearth.privacy import services as privacy_services
from hearth.privacy.models import ConsentKind, Purpose

REAUTH_SESSION_KEY = auth.REAUTH_SESSION_KEY
PREFERENCE_PURPOSES = ("marketing_email", "market_research", "product_usage_analytics")


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# --- Sign-up, sign-in, sign-out ------------------------------------------------------------


def _site(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def sign_up(request: HttpRequest) -> HttpResponse:
    """The same answer whether or not the address has an account (issue #10 item 2): "check
    your email". A new address gets a verification link; an existing one a note to its owner."""
    if request.user.is_authenticated:
        return redirect("accounts:my_stuff")
    form = forms.SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.request_sign_up(
                email=data["email"],
                password=data["password"],
                full_name=data.get("full_name") or "",
                adult_attested=bool(data["adult_attestation"]),
                marketing_email=bool(data.get("marketing_email")),
                at=clock.now(),
                site=_site(request),
                actor=None,
            )
        except DomainError as exc:
            forms.apply_domain_error(form, exc)
        else:
            return render(
                request,
                "accounts/check_email.html",
                {"email": services.normalise_email(data["email"]), "purpose": "sign_up"},
            )
    return render(request, "accounts/sign_up.html", {"form": form})


def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed proof link: a page with one button (so that mail scanners fetching the link
    prove nothing); the POST proves the email and links what was created under it."""
    if request.method == "POST":
        try:
            user = services.verify_email(token=token, at=clock.now(), actor=None)
        except DomainError as exc:
            return render(
                request, "accounts/verify_email.html", {"error": exc.message}, status=exc.status
            )
        messages.success(request, _("Your email address is confirmed."))
        if request.user.is_authenticated and request.user.pk == user.pk:
            return redirect("accounts:my_stuff")
        return redirect("accounts:sign_in")
    return render(request, "accounts/verify_email.html", {"error": None})


@login_required
@require_POST
def resend_verification(request: HttpRequest) -> HttpResponse:
    services.send_email_verification(
        user=request.user,  # type: ignore[arg-type]
        site=_site(request),
        at=clock.now(),
    )
    messages.info(request, _("We sent the confirmation link again. Check your email."))
    return redirect("accounts:my_stuff")


def sign_in(request: HttpRequest) -> HttpResponse:
    form = forms.SignInForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        user = form.user_cache
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        target = _safe_next(request, reverse("accounts:my_stuff"))
        if privacy_selectors.pending_acknowledgements(user=user, at=clock.now()):
            # PP-21: a material policy change is acknowledged at the next sign-in.
            query = urlencode({"next": target})
            target = f"{reverse('privacy:acknowledge')}?{query}"
        response = HttpResponseRedirect(target)
        if supported_language(getattr(user, "language", "")):
            # Issue #16: the site speaks the language the customer chose, on any device.
            remember_language(response, user.language)
        return response
    status = 429 if any(e.code == "throttled" for e in form.non_field_errors().as_data()) else 200
    return render(
        request,
        "accounts/sign_in.html",
        {"form": form, "next": request.GET.get("next", "")},
        status=status,
    )


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You are signed out."))
    return redirect("/")


class PasswordResetView(auth_views.PasswordResetView):
    form_class = forms.PasswordResetForm
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        # The reset link went to the account's email: following it proves the email (PP-15).
        services.email_proven_by_reset(user=form.user, at=clock.now())
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


# --- Staff second factor -------------------------------------------------------------------


@login_required
def two_step(request: HttpRequest) -> HttpResponse:
    """Set up the staff second factor: the secret for the authenticator app, a first code to
    confirm it, then the ten backup codes, shown this once."""
    user: User = request.user  # type: ignore[assignment]
    if not user.is_staff:
        raise Http404
    if second_factor.confirmed(user):
        return render(request, "accounts/two_step.html", {"enrolled": True})
    device = second_factor.start_enrolment(user=user, actor=user)
    form = forms.TOTPConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = second_factor.confirm_enrolment(
                user=user, code=form.cleaned_data["code"], actor=user
            )
        except DomainError as exc:
            forms.apply_domain_error(form, exc)
        else:
            messages.success(request, _("Two-step sign-in is on. Use it to enter the back office."))
            return render(
                request, "accounts/two_step.html", {"enrolled": True, "backup_codes": codes}
            )
    return render(
        request,
        "accounts/two_step.html",
        {
            "enrolled": False,
            "form": form,
            "secret": second_factor.secret_of(device),
            "uri": device.config_url,
        },
    )


# --- Re-authentication for sensitive actions -----------------------------------------------


def recent_password_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Send the customer to enter the password again unless they did in the last 5 minutes."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect(f"{reverse('accounts:sign_in')}?{urlencode({'next': request.path})}")
        if not auth.reauth_fresh(request):
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('accounts:confirm_password')}?{query}")
        return view(request, *args, **kwargs)

    return login_required(wrapper)


@login_required
def confirm_password(request: HttpRequest) -> HttpResponse:
    form = forms.ReauthForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        at = clock.now()
        try:
            services.verify_password(
                user=request.user,  # type: ignore[arg-type]
                password=form.cleaned_data["password"],
                client=services.client_of(request),
                at=at,
            )
        except DomainError as exc:
            forms.apply_domain_error(form, exc)
            status = exc.status if exc.status == 429 else 200
        else:
            auth.note_reauth(request, at)
            return HttpResponseRedirect(_safe_next(request, reverse("accounts:my_stuff")))
    return render(
        request,
        "accounts/confirm_password.html",
        {"form": form, "next": request.GET.get("next", "")},
        status=status,
    )


# --- My Stuff ------------------------------------------------------------------------------


def _consents(user: User) -> dict[str, bool]:
    at = clock.now()
    states = privacy_selectors.current_consents(at=at, user=user)
    result: dict[str, bool] = {}
    for purpose in PREFERENCE_PURPOSES:
        state = states.get(purpose)
        result[purpose] = bool(state is not None and getattr(state, "granted", False))
    # Usage statistics are shared per household: the box shows ticked while any of the owner's
    # households shares them, so that unticking it withdraws for all of them.
    if not result[Purpose.PRODUCT_USAGE_ANALYTICS]:
        result[Purpose.PRODUCT_USAGE_ANALYTICS] = devices_selectors.shares_usage(user, at)
    return result


@login_required
def my_stuff(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    return render(
        request,
        "accounts/my_stuff.html",
        {
            "profile": user,
            "addresses": selectors.addresses_for(user=user),
            "consents": _consents(user),
        },
    )


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = forms.ProfileForm(
        request.POST or None,
        initial={
            "full_name": user.full_name,
            "language": choose_language(user.language, translation.get_language()),
        },
    )
    if request.method == "POST" and form.is_valid():
        services.update_profile(user=user, full_name=form.cleaned_data["full_name"], actor=user)
        language = form.cleaned_data["language"]
        if not language:  # not given: unchanged
            messages.success(request, _("Your profile is saved."))
            return redirect("accounts:my_stuff")
        services.set_language(user=user, language=language, actor=user)
        with translation.override(language):  # said in the language just chosen
            messages.success(request, _("Your profile is saved."))
        response = redirect("accounts:my_stuff")
        remember_language(response, language)
        return response
    return render(request, "accounts/profile.html", {"form": form})


@recent_password_required
def change_email(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = forms.EmailChangeForm(request.POST or None, initial={"email": user.email})
    if request.method == "POST" and form.is_valid():
        email = services.normalise_email(form.cleaned_data["email"])
        services.request_email_change(
            user=user, email=email, at=clock.now(), site=_site(request), actor=user
        )
        return render(request, "accounts/check_email.html", {"email": email, "purpose": "change"})
    return render(request, "accounts/change_email.html", {"form": form})


@recent_password_required
def change_password(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = forms.PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        update_session_auth_hash(request, user)
        messages.success(request, _("Your password is changed."))
        return redirect("accounts:my_stuff")
    return render(request, "accounts/change_password.html", {"form": form})


def _own_address(request: HttpRequest, address_id: int) -> Address:
    try:
        return selectors.address_for(user=request.user, address_id=address_id)  # type: ignore[arg-type]
    except DomainError:
        raise Http404 from None


def _address_initial(address: Address) -> dict[str, str]:
    return {name: getattr(address, name) for name in services.ADDRESS_FIELDS}


@login_required
def address_add(request: HttpRequest) -> HttpResponse:
    form = forms.AddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_address(
                user=request.user,  # type: ignore[arg-type]
                data=form.to_input(),
                at=clock.now(),
                actor=request.user,  # type: ignore[arg-type]
            )
        except DomainError as exc:
            forms.apply_domain_error(form, exc)
        else:
            messages.success(request, _("Address added."))
            return redirect("accounts:my_stuff")
    return render(request, "accounts/address_form.html", {"form": form, "address": None})


@login_required
def address_change(request: HttpRequest, address_id: int) -> HttpResponse:
    address = _own_address(request, address_id)
    form = forms.AddressForm(request.POST or None, initial=_address_initial(address))
    if request.method == "POST" and form.is_valid():
        try:
            services.change_address(
                address=address,
                data=form.to_input(),
                at=clock.now(),
                actor=request.user,  # type: ignore[arg-type]
            )
        except DomainError as exc:
            forms.apply_domain_error(form, exc)
        else:
            messages.success(request, _("Address saved."))
            return redirect("accounts:my_stuff")
    return render(request, "accounts/address_form.html", {"form": form, "address": address})


@login_required
def address_remove(request: HttpRequest, address_id: int) -> HttpResponse:
    address = _own_address(request, address_id)
    if request.method == "POST":
        services.remove_address(address=address, actor=request.user)  # type: ignore[arg-type]
        messages.success(request, _("Address removed."))
        return redirect("accounts:my_stuff")
    return render(request, "accounts/address_remove.html", {"address": address})


@login_required
def contact_preferences(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    current = _consents(user)
    form = forms.ContactPreferencesForm(request.POST or None, initial=current)
    if request.method == "POST" and form.is_valid():
        at = clock.now()
        for purpose in PREFERENCE_PURPOSES:
            wanted = bool(form.cleaned_data.get(purpose))
            if wanted != current[purpose]:
                privacy_services.record_consent(
                    purpose=Purpose(purpose),
                    granted=wanted,
                    kind=ConsentKind.EXPRESS,
                    source="my_stuff:contact_preferences",
                    at=at,
                    user=user,
                    evidence="My Stuff contact preferences form: box "
                    + ("ticked" if wanted else "unticked"),
                    actor=user,
                )
        messages.success(request, _("Your contact preferences are saved."))
        return redirect("accounts:my_stuff")
    return render(request, "accounts/contact_preferences.html", {"form": form})


def _my_data(user: User) -> dict[str, Any]:
    return inventory.export_subject(user)


@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/my_data.html", {"data": _my_data(request.user)})  # type: ignore[arg-type]


@recent_password_required
def my_data_download(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    body = json.dumps(_my_data(user), cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    stamp = clock.now().date().isoformat()
    response["Content-Disposition"] = f'attachment; filename="my-data-{stamp}.json"'
    response["Cache-Control"] = "no-store"
    return response


@recent_password_required
def erasure(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = forms.ErasureForm(request.POST or None)
    outcome = None
    if request.method == "POST" and form.is_valid():
        outcome = privacy_services.request_erasure(user=user, at=clock.now(), actor=user)
        if getattr(outcome, "erased", False):
            logout(request)
            return render(request, "accounts/erasure_done.html", {"outcome": outcome})
    return render(request, "accounts/erasure.html", {"form": form, "outcome": outcome})
