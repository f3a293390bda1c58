"""Accounts over HTTP: sign-up, session sign-in/out, the customer's profile and addresses.

Session authentication with Django's CSRF protection (send the ``csrftoken`` cookie's value in
``X-CSRFToken``). Another customer's address answers 404, never 403, so existence does not leak.
"""

from __future__ import annotations

from typing import Annotated, Any

from django.contrib.auth import login, logout
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.security import SessionAuth
from ninja.utils import check_csrf
from pydantic import AfterValidator, Field

from hearth.accounts import selectors, services
from hearth.accounts.models import Address, User
from hearth.core import clock
from hearth.core.email_address import valid_email_address
from hearth.core.errors import CoreErrorCode, DomainError
from hearth.core.schemas import ErrorOut


def _email(value: str) -> str:
    value = value.strip()
    checked = valid_email_address(value)  # email-validator, as every form and placing
    if checked is None:
        raise ValueError(_("Enter a valid email address."))
    return checked


Email = Annotated[str, Field(max_length=254), AfterValidator(_email)]
session_auth = SessionAuth(csrf=True)
router = Router(tags=["accounts"])


def _require_csrf(request: HttpRequest) -> None:
    if check_csrf(request) is not None:
        raise DomainError(
            CoreErrorCode.CSRF_FAILED,
            _("CSRF check failed: send the token from GET /api/v1/csrf in X-CSRFToken."),
            status=403,
        )


class SignUpIn(Schema):
    email: Email
    password: str = Field(min_length=1, max_length=256)
    full_name: str = Field(default="", max_length=200)
    adult_attestation: bool = Field(
        strict=True,
        description="The person attests being 18 or older (PP-13, TOS-3). Required: true.",
    )
    marketing_email: bool = Field(
        default=False,
        strict=True,
        description="Express opt-in to news and offers by email (PP-8).",
    )


class SignInIn(Schema):
    email: Email
    password: str = Field(min_length=1, max_length=256)


class ProfileOut(Schema):
    id: int
    email: str
    full_name: str
    email_verified: bool


class ProfilePatch(Schema):
    full_name: str | None = Field(default=None, max_length=200)


class AccountAddressIn(Schema):
    label: str = Field(default="", max_length=60)
    name: str = Field(max_length=200)
    lines: list[str] = Field(min_length=1, max_length=4)
    city: str = Field(max_length=100)
    province: str = Field(max_length=2)
    postal_code: str = Field(max_length=10)
    country: str = Field(default="CA", max_length=2)
    phone: str = Field(default="", max_length=30)


class AccountAddressPatch(Schema):
    label: str | None = Field(default=None, max_length=60)
    name: str | None = Field(default=None, max_length=200)
    lines: list[str] | None = Field(default=None, min_length=1, max_length=4)
    city: str | None = Field(default=None, max_length=100)
    province: str | None = Field(default=None, max_length=2)
    postal_code: str | None = Field(default=None, max_length=10)
    country: str | None = Field(default=None, max_length=2)
    phone: str | None = Field(default=None, max_length=30)


class AccountAddressOut(Schema):
    id: int
    label: str
    name: str
    lines: list[str]
    city: str
    province: str
    postal_code: str
    country: str
    phone: str


def _profile(user: User) -> dict[str, Any]:
    return {
        "id": user.pk,
        "email": user.email,
        "full_name": user.full_name,
        "email_verified": user.email_verified,
    }


def _address(address: Address) -> dict[str, Any]:
    return {
        "id": address.pk,
        "label": address.label,
        "name": address.name,
        "lines": address.line_list,
        "city": address.city,
        "province": address.province,
        "postal_code": address.postal_code,
        "country": address.country,
        "phone": address.phone,
    }


def _input(values: dict[str, Any]) -> services.AddressInput:
    lines = values.get("lines") or []
    return services.address_input(
        {**values, "lines": "\n".join(lines) if isinstance(lines, list) else lines}
    )


class SignUpOut(Schema):
    detail: str


class VerifyEmailIn(Schema):
    token: str = Field(min_length=1, max_length=1000)


@router.post(
    "signup",
    response={202: SignUpOut},
    summary="Open a customer account (a verification link is emailed)",
    description=(
        "Answers 202 with the same body whether or not the address has an account: a new "
        "address gets a verification link, an existing account's owner a note. No session "
        "is started."
    ),
)
def sign_up(request: HttpRequest, payload: SignUpIn) -> Status[dict[str, Any]]:
    _require_csrf(request)
    services.request_sign_up(
        email=payload.email,
        password=payload.password,
        full_name=payload.full_name,
        adult_attested=payload.adult_attestation,
        marketing_email=payload.marketing_email,
        source="api:signup",
        at=clock.now(),
        site=request.build_absolute_uri("/").rstrip("/"),
    )
    return Status(
        202,
        {"detail": _("Check your email: follow the link we sent to finish.")},
    )


@router.post(
    "verify-email", response=ProfileOut, summary="Prove the email with the emailed link's token"
)
def verify_email(request: HttpRequest, payload: VerifyEmailIn) -> dict[str, Any]:
    _require_csrf(request)
    return _profile(services.verify_email(token=payload.token, at=clock.now()))


@router.post(
    "signin",
    response={200: ProfileOut, 401: ErrorOut, 429: ErrorOut},
    summary="Sign in (starts a session; 429 after repeated failures)",
)
def sign_in(request: HttpRequest, payload: SignInIn) -> dict[str, Any]:
    _require_csrf(request)
    user = services.authenticate_user(
        request=request,
        email=payload.email,
        password=payload.password,
        client=services.client_of(request),
        at=clock.now(),
    )
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    get_token(request)
    return _profile(user)


@router.post("signout", response={204: None}, auth=session_auth, summary="Sign out")
def sign_out(request: HttpRequest) -> Status[None]:
    logout(request)
    return Status(204, None)


@router.get("me", response=ProfileOut, auth=session_auth, summary="My profile")
def me(request: HttpRequest) -> dict[str, Any]:
    return _profile(request.auth)  # type: ignore[attr-defined]


@router.patch("me", response=ProfileOut, auth=session_auth, summary="Correct my profile")
def patch_me(request: HttpRequest, payload: ProfilePatch) -> dict[str, Any]:
    user: User = request.auth  # type: ignore[attr-defined]
    if payload.full_name is not None:
        services.update_profile(user=user, full_name=payload.full_name, actor=user)
    return _profile(user)


@router.get(
    "me/addresses", response=list[AccountAddressOut], auth=session_auth, summary="My addresses"
)
def list_addresses(request: HttpRequest) -> list[dict[str, Any]]:
    return [_address(a) for a in selectors.addresses_for(user=request.auth)]  # type: ignore[attr-defined]


@router.post(
    "me/addresses", response={201: AccountAddressOut}, auth=session_auth, summary="Add an address"
)
def add_address(request: HttpRequest, payload: AccountAddressIn) -> Status[dict[str, Any]]:
    user: User = request.auth  # type: ignore[attr-defined]
    address = services.add_address(
        user=user, data=_input(payload.model_dump()), at=clock.now(), actor=user
    )
    return Status(201, _address(address))


@router.get(
    "me/addresses/{address_id}",
    response=AccountAddressOut,
    auth=session_auth,
    summary="One address",
)
def get_address(request: HttpRequest, address_id: int) -> dict[str, Any]:
    return _address(selectors.address_for(user=request.auth, address_id=address_id))  # type: ignore[attr-defined]


@router.patch(
    "me/addresses/{address_id}",
    response=AccountAddressOut,
    auth=session_auth,
    summary="Change an address",
)
def patch_address(
    request: HttpRequest, address_id: int, payload: AccountAddressPatch
) -> dict[str, Any]:
    user: User = request.auth  # type: ignore[attr-defined]
    address = selectors.address_for(user=user, address_id=address_id)
    current = _address(address)
    changes = payload.model_dump(exclude_unset=True, exclude_none=True)
    address = services.change_address(
        address=address, data=_input({**current, **changes}), at=clock.now(), actor=user
    )
    return _address(address)


@router.delete(
    "me/addresses/{address_id}",
    response={204: None},
    auth=session_auth,
    summary="Remove an address",
)
def delete_address(request: HttpRequest, address_id: int) -> Status[None]:
    user: User = request.auth  # type: ignore[attr-defined]
    services.remove_address(
        address=selectors.address_for(user=user, address_id=address_id), actor=user
    )
    return Status(204, None)
