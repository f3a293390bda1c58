"""HTML forms of the accounts app. Every form collecting personal information states its
purposes through privacy's ``NoticeFormMixin`` (PP-4)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import forms as auth_forms
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from hearth.accounts import rules, second_factor, services
from hearth.core import clock
from hearth.core.errors import DomainError
from hearth.core.fields import EmailAddressField
from hearth.core.languages import choose_language
from hearth.privacy.notices import NoticeFormMixin


def apply_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a DomainError beside its field (or at the top of the form)."""
    placed = False
    for name, message in exc.fields.items():
        if name in form.fields:
            form.add_error(name, message)
            placed = True
    if not placed:
        form.add_error(None, str(exc.message))


class SignUpForm(NoticeFormMixin, forms.Form):
    collection_point = "signup"

    email = EmailAddressField(label=_("Email address"), max_length=254)
    full_name = forms.CharField(label=_("Full name"), max_length=200, required=False)
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters, not only digits, not a common password."),
    )
    password_again = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    adult_attestation = forms.BooleanField(
        label=_("I am 18 or older."),
        error_messages={"required": _("You must confirm that you are 18 or older.")},
    )
    marketing_email = forms.BooleanField(
        label=_("Send me news and offers by email. I can unsubscribe at any time."),
        required=False,
        initial=False,
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return data


class SignInForm(NoticeFormMixin, forms.Form):
    collection_point = "signin"

    email = EmailAddressField(
        label=_("Email address"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, request: Any = None, **kwargs: Any) -> None:
        self.request = request
        self.user_cache: Any = None
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.errors:
            return data
        try:
            self.user_cache = services.authenticate_user(
                request=self.request,
                email=data["email"],
                password=data["password"],
                client=services.client_of(self.request),
                at=clock.now(),
            )
        except DomainError as exc:
            raise forms.ValidationError(str(exc.message), code=exc.code) from None
        return data


class AdminTOTPAuthenticationForm(AdminAuthenticationForm):
    """The back office's sign-in: password, then the authenticator's 6-digit code (or one of the
    backup codes)."""

    otp_device = None

    otp_code = forms.CharField(
        label=_("Authenticator code"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code"}  # 6 digits, or a backup code
        ),
    )

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        code = self.cleaned_data.get("otp_code")
        if not username or not password:
            return self.cleaned_data
        at = clock.now()
        try:
            user = services.authenticate_user(
                request=self.request,
                email=username,
                password=password,
                client=services.client_of(self.request) if self.request else "",
                at=at,
            )
        except DomainError as exc:
            raise forms.ValidationError(str(exc.message), code=exc.code) from None
        self.user_cache = user
        self.confirm_login_allowed(user)  # staff only, active only
        if not code:
            return self.cleaned_data
        try:
            device = second_factor.verify(user=user, code=code)
        except DomainError as exc:
            self.user_cache = None
            raise forms.ValidationError(str(exc.message), code=exc.code) from None
        self.otp_device = device
        if self.request is not None:  # the admin site marks the session with it once signed in
            self.request._hearth_otp_device = device  # type: ignore[attr-defined]
        return self.cleaned_data


class ReauthForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ProfileForm(NoticeFormMixin, forms.Form):
    collection_point = "profile"

    full_name = forms.CharField(label=_("Full name"), max_length=200, required=False)
    language = forms.ChoiceField(
        label=_("Language"),
        choices=settings.LANGUAGES,
        help_text=_("The language of this site and of every email we send you."),
        required=False,  # not given: unchanged
    )


class EmailChangeForm(NoticeFormMixin, forms.Form):
    collection_point = "profile"

    email = EmailAddressField(label=_("New email address"), max_length=254)


class PasswordChangeForm(auth_forms.SetPasswordForm):
    """New password twice; the current one was just entered on the re-auth step."""


PROVINCE_CHOICES = [("", _("Choose…"))] + [(code, code) for code in rules.PROVINCES]


class AddressForm(NoticeFormMixin, forms.Form):
    collection_point = "address"

    label = forms.CharField(
        label=_("Label"), max_length=60, required=False, help_text=_("For example: Home, Cottage.")
    )
    name = forms.CharField(label=_("Recipient's name"), max_length=200)
    lines = forms.CharField(
        label=_("Street address"),
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
        help_text=_("One line per row: number and street, then unit or suite."),
    )
    city = forms.CharField(label=_("City"), max_length=100)
    province = forms.ChoiceField(label=_("Province or territory"), choices=PROVINCE_CHOICES)
    postal_code = forms.CharField(label=_("Postal code"), max_length=10)
    country = forms.ChoiceField(label=_("Country"), choices=[("CA", _("Canada"))], initial="CA")
    phone = forms.CharField(
        label=_("Phone"),
        max_length=30,
        required=False,
        help_text=_("For the carrier, if they cannot find the address."),
    )

    def to_input(self) -> services.AddressInput:
        return services.AddressInput(
            **{k: self.cleaned_data.get(k) or "" for k in services.ADDRESS_FIELDS}
        )


class ContactPreferencesForm(NoticeFormMixin, forms.Form):
    collection_point = "contact_preferences"

    marketing_email = forms.BooleanField(label=_("News and offers by email"), required=False)
    market_research = forms.BooleanField(label=_("Invitations to market research"), required=False)
    product_usage_analytics = forms.BooleanField(
        label=_("Share product usage to improve our products"), required=False
    )


class ErasureForm(NoticeFormMixin, forms.Form):
    collection_point = "erasure"

    confirm = forms.BooleanField(
        label=_("I understand that my account and personal information will be erased."),
        error_messages={"required": _("Tick the box to confirm.")},
    )


class TOTPConfirmForm(forms.Form):
    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class PasswordResetForm(NoticeFormMixin, auth_forms.PasswordResetForm):
    collection_point = "password_reset"

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        """In the account's stored language, else the page's (issue #16)."""
        language = choose_language(
            getattr(context.get("user"), "language", ""), translation.get_language()
        )
        with translation.override(language):
            super().send_mail(
                subject_template_name,
                email_template_name,
                context,
                from_email,
                to_email,
                html_email_template_name,
            )
