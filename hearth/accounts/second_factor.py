"""The staff second factor, on django-otp (issue #17 item 6).

Each staff member has one TOTP device (RFC 6238: 30-second steps, one step of drift either way,
drift followed as the phone's clock wanders, each code used once, exponential back-off after
wrong codes) and, once it is confirmed, ten single-use backup codes for a lost phone. The back
office and the staff API ask ``request.user.is_verified()`` (django-otp's middleware): the
session passed the second factor with a device the person still has, so an administrator who
removes a device also ends the sessions it opened.

Before issue #17 this was our own model and check, grafted onto the admin's login form per
request; django-otp brings drift, throttling and backup codes we did not have. What we lose: our
model kept the secret encrypted at rest, django-otp keeps it as hex in ``otp_totp_totpdevice``, so
that table is as sensitive as the password hashes (only administrators may view it).
"""

from __future__ import annotations

import base64

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from hearth.accounts.errors import AccountsErrorCode
from hearth.accounts.models import User
from hearth.core import audit
from hearth.core.audit import AuditAction
from hearth.core.errors import DomainError

DEVICE_NAME = "Authenticator"
BACKUP_DEVICE_NAME = "Backup codes"
BACKUP_CODES = 10


def secret_of(device: TOTPDevice) -> str:
    """The secret as an authenticator app takes it typed in (base32, no padding)."""
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def device_from_base32(secret: str) -> str:
    """django-otp's hex key for a base32 secret (the demo logins' shared secret)."""
    padded = secret + "=" * (-len(secret) % 8)
    return base64.b32decode(padded.upper()).hex()


def confirmed(user: User) -> bool:
    return user_has_device(user, confirmed=True)


@transaction.atomic
def start_enrolment(*, user: User, actor: User | None) -> TOTPDevice:
    """Create (or keep) the unconfirmed authenticator. A confirmed one is not replaced here:
    an administrator removes it first (lost phone)."""
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise DomainError(
            AccountsErrorCode.TOTP_ALREADY_ENROLLED,
            _("An authenticator is already set up. Ask an administrator to reset it."),
            status=409,
        )
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
        audit.record(actor=actor, action=AuditAction.CREATED, obj=device, fields=["key"])
    return device


@transaction.atomic
def confirm_enrolment(*, user: User, code: str, actor: User | None) -> list[str]:
    """Turn the authenticator on with a first good code; return the new backup codes (shown
    once: only django-otp's table holds them afterwards)."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None:
        raise DomainError(
            AccountsErrorCode.TOTP_NOT_ENROLLED, _("Start the set-up first."), status=409
        )
    if not device.verify_token("".join(code.split())):
        raise DomainError(
            AccountsErrorCode.TOTP_INVALID,
            _("That code is not valid. Try the current code."),
            field="code",
        )
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit.record(actor=actor, action=AuditAction.CHANGED, obj=device, fields=["confirmed"])
    return new_backup_codes(user=user, actor=actor)


@transaction.atomic
def new_backup_codes(*, user: User, actor: User | None) -> list[str]:
    """Replace the person's backup codes with ten new single-use ones."""
    backup, _created = StaticDevice.objects.get_or_create(
        user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True}
    )
    backup.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=backup, token=code) for code in codes])
    audit.record(actor=actor, action=AuditAction.CHANGED, obj=backup, fields=["token_set"])
    return codes


def verify(*, user: User, code: str) -> Device:
    """The device that accepts ``code`` at sign-in: a 6-digit code goes to the authenticator
    (drift and replay handled by django-otp), anything else to the backup codes (each used
    once). Refused while django-otp's back-off after wrong codes runs."""
    code = "".join(code.split())
    devices: list[Device] = list(TOTPDevice.objects.filter(user=user, confirmed=True))
    if not devices:
        raise DomainError(
            AccountsErrorCode.TOTP_NOT_ENROLLED,
            _("Set up your authenticator first: sign in on the site and open Two-step sign-in."),
            field="otp_code",
        )
    if not code.isdigit():
        devices = list(StaticDevice.objects.filter(user=user, confirmed=True))
    throttled = False
    for device in devices:
        allowed, _why = device.verify_is_allowed()
        if not allowed:
            throttled = True
            continue
        if device.verify_token(code.lower() if not code.isdigit() else code):
            return device
    if throttled:
        raise DomainError(
            AccountsErrorCode.TOTP_INVALID,
            _("Too many wrong codes. Wait a moment, then enter the current code."),
            field="otp_code",
        )
    raise DomainError(
        AccountsErrorCode.TOTP_INVALID,
        _("That authenticator code is not valid."),
        field="otp_code",
    )


def mark_verified(request: HttpRequest, device: Device) -> None:
    """Record in the session that this person passed the second factor with ``device``."""
    otp_login(request, device)


def remove_devices(*, user: User) -> None:
    """Erasure: the authenticator and backup codes go with the account."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
