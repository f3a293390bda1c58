"""Writes of the accounts app: sign-up, sign-in guard, profile, addresses, TOTP, roles.

Each service is one transaction and takes a keyword-only ``actor`` (None for the system).
Time comes in as ``at`` (the caller reads ``hearth.core.clock.now()``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from hearth.accounts import rules
from hearth.accounts.errors import AccountsErrorCode
from hearth.accounts.models import Address, SignInFailure, User
from hearth.accounts.roles import load_roles, role
from hearth.comms.services import queue_email
from hearth.core import audit, client_address, clock
from hearth.core.audit import AuditAction
from hearth.core.errors import DomainError
from hearth.core.languages import choose_language
from hearth.privacy.crypto import keyed_hash
from hearth.privacy.models import ConsentKind, Purpose
from hearth.privacy.services import accept_policies_at_sign_up, record_consent
from hearth.privacy.subjects import link_proven_email


def normalise_email(email: str) -> str:
    return email.strip().lower()


# --- Sign-up -------------------------------------------------------------------------------


@transaction.atomic
def sign_up(
    *,
    email: str,
    password: str,
    adult_attested: bool,
    marketing_email: bool,
    at: dt.datetime,
    full_name: str = "",
    source: str = "signup",
    language: str = "",
    actor: User | None = None,
) -> User:
    """Open a customer account. Stores only what was given (PP-3); no account without the
    18+ attestation (PP-13, TOS-3); the marketing-email choice lands in the ledger (PP-8)."""
    if not adult_attested:
        raise DomainError(
            AccountsErrorCode.ATTESTATION_REQUIRED,
            _("You must confirm that you are 18 or older to open an account."),
            field="adult_attestation",
        )
    email = normalise_email(email)
    if User.objects.filter(email=email).exists():
        raise DomainError(
            AccountsErrorCode.EMAIL_TAKEN,
            _("An account with this email address already exists. Sign in or reset your password."),
            field="email",
            status=409,
        )
    candidate = User(email=email, full_name=full_name.strip())
    _check_password(password, candidate)
    user = User.objects.create_user(
        email=email,
        password=password,
        full_name=full_name.strip(),
        adult_attested_at=at,
        # Issue #16: the language the person signed up in (the page's), unless told otherwise.
        language=choose_language(language, translation.get_language()),
    )
    user.date_joined = at
    user.save(update_fields=["date_joined"])
    audit.record(
        actor=actor if actor is not None else user,  # a visitor opens their own account
        action=AuditAction.CREATED,
        obj=user,
        fields=["email", "full_name", "password", "adult_attested_at", "date_joined", "language"],
    )
    # The sign-up form names the policies in force: opening the account accepts them (PP-21).
    accept_policies_at_sign_up(user=user, at=at)
    # An unticked box is not an opt-out (a new account has no consent to withdraw): it records
    # nothing, so a later purchase's implied consent has effect (PP-5; issue #10 follow-up).
    if marketing_email:
        record_consent(
            purpose=Purpose.MARKETING_EMAIL,
            granted=True,
            kind=ConsentKind.EXPRESS,
            source=source,
            at=at,
            user=user,
            evidence="sign-up form: marketing email box ticked",
            actor=actor,
        )
    return user


# --- Proving the email (PP-15, PP-17): sign-up, email change, password reset -------------
# A sign-up answers the same whether or not the address has an account (no enumeration): a
# new address gets a verification link, an existing one a note to its owner. Nothing found by
# email is linked to an account before its email is proven (privacy.subjects).

EMAIL_LINK_SALT = "hearth.accounts.email-proof"


def _send_on_commit(
    *, to: str, template: str, context: dict[str, Any], reader: User | None = None
) -> None:
    """Render ``accounts/email/<template>.txt`` (first line: subject) and queue it in comms'
    outbound queue: sent once after the commit, retried if the mail server is down. The links are
    one-time, so the sent row keeps neither the address nor the content.

    Written in the ``reader``'s stored language when they have one, else the page's (issue #16).
    """
    brand = settings.HEARTH_BRAND
    language = choose_language(getattr(reader, "language", ""), translation.get_language())
    with translation.override(language):
        body = render_to_string(f"accounts/email/{template}.txt", {**context, "brand": brand})
    subject, _sep, text = body.partition("\n")
    queue_email(
        key=f"accounts:{template}:{uuid4().hex}",
        to=[to],
        subject=subject.strip(),
        body=text.lstrip(),
        at=clock.now(),
        forget_once_sent=True,
        language=language,
    )


def email_proof_token(*, user: User, proving: str, at: dt.datetime) -> str:
    """A signed link token proving ``proving`` for ``user``; see ``rules.email_link_valid``."""
    payload = {"u": user.pk, "p": proving, "f": user.email, "at": at.isoformat()}
    return signing.dumps(payload, salt=EMAIL_LINK_SALT)


def _proof_url(site: str, token: str) -> str:
    return f"{site.rstrip('/')}{reverse('accounts:verify_email', args=[token])}"


def send_email_verification(*, user: User, site: str, at: dt.datetime) -> None:
    """Email the account's address a link that proves it (again, if asked)."""
    if user.email_verified:
        return
    token = email_proof_token(user=user, proving=user.email, at=at)
    _send_on_commit(
        reader=user,
        to=user.email,
        template="verify_email",
        context={"url": _proof_url(site, token), "days": rules.EMAIL_LINK_MAX_AGE.days},
    )


def request_sign_up(
    *,
    email: str,
    password: str,
    adult_attested: bool,
    marketing_email: bool,
    at: dt.datetime,
    site: str,
    full_name: str = "",
    source: str = "signup",
    language: str = "",
    actor: User | None = None,
) -> None:
    """Sign-up as the pages and the API offer it: the same answer whether or not an account
    has this email. A new address gets an account (unverified) and a verification link; an
    address that has an account gets a note to its owner instead, and nothing else changes."""
    if not adult_attested:
        raise DomainError(
            AccountsErrorCode.ATTESTATION_REQUIRED,
            _("You must confirm that you are 18 or older to open an account."),
            field="adult_attestation",
        )
    address = normalise_email(email)
    _check_password(password, User(email=address, full_name=full_name.strip()))
    if not User.objects.filter(email=address).exists():
        try:
            user = sign_up(
                email=address,
                password=password,
                adult_attested=adult_attested,
                marketing_email=marketing_email,
                at=at,
                full_name=full_name,
                source=source,
                language=language,
                actor=actor,
            )
        except (DomainError, IntegrityError) as exc:
            if isinstance(exc, DomainError) and exc.code != AccountsErrorCode.EMAIL_TAKEN:
                raise
        else:
            send_email_verification(user=user, site=site, at=at)
            return
    make_password(password)  # the same hashing work as a new account: no timing difference
    _send_on_commit(
        reader=User.objects.filter(email=address).first(),  # the owner reads their language
        to=address,
        template="sign_up_existing",
        context={
            "sign_in_url": f"{site.rstrip('/')}{reverse('accounts:sign_in')}",
            "reset_url": f"{site.rstrip('/')}{reverse('accounts:password_reset')}",
        },
    )


def _bad_link() -> DomainError:
    return DomainError(
        AccountsErrorCode.BAD_LINK,
        _("This link is not valid any more. Sign in and ask for a new one."),
        status=400,
    )


@transaction.atomic
def verify_email(*, token: str, at: dt.datetime, actor: User | None = None) -> User:
    """Follow an emailed proof link: the account's email (or the new one it asked for) is
    proven, and what was created under it before is linked to the account now. An email change
    tells the old address. Expired, used or tampered links are refused (400)."""
    try:
        data = signing.loads(token, salt=EMAIL_LINK_SALT)
        issued_at = dt.datetime.fromisoformat(str(data["at"]))
        pk, proving, issued_for = int(data["u"]), str(data["p"]), str(data["f"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise _bad_link() from None
    user = User.objects.select_for_update().filter(pk=pk, is_active=True).first()
    if user is None or not rules.email_link_valid(
        issued_at=issued_at,
        now=at,
        issued_for=issued_for,
        current_email=user.email,
        proving=proving,
        current_verified=user.email_verified,
    ):
        raise _bad_link()
    old = user.email
    changing = normalise_email(proving) != normalise_email(old)
    if changing and User.objects.filter(email=normalise_email(proving)).exists():
        raise DomainError(
            AccountsErrorCode.EMAIL_TAKEN,
            _("Another account uses this email address now."),
            field="email",
            status=409,
        )
    user.email = normalise_email(proving)
    user.email_verified_at = at
    user.save(update_fields=["email", "email_verified_at"])
    audit.record(
        actor=actor if actor is not None else user,  # the link proves it is the person
        action=AuditAction.CHANGED,
        obj=user,
        fields=["email", "email_verified_at"] if changing else ["email_verified_at"],
    )
    link_proven_email(user, at)
    if changing:
        _send_on_commit(reader=user, to=old, template="email_changed", context={"at": at})
    return user


@transaction.atomic
def email_proven_by_reset(*, user: User, at: dt.datetime) -> User:
    """A completed password reset proves the mailbox too (the link went to the email)."""
    if not user.email_verified:
        user.email_verified_at = at
        user.save(update_fields=["email_verified_at"])
        audit.record(actor=user, action=AuditAction.CHANGED, obj=user, fields=["email_verified_at"])
        link_proven_email(user, at)
    return user


def request_email_change(
    *, user: User, email: str, at: dt.datetime, site: str, actor: User | None
) -> None:
    """Changing the email needs the new address proven: a link goes there and nothing changes
    until it is followed (then the old address is told). An address another account holds gets
    a note instead, with the same answer here."""
    address = normalise_email(email)
    if address == user.email:
        send_email_verification(user=user, site=site, at=at)
        return
    if (owner := User.objects.filter(email=address).first()) is not None:
        _send_on_commit(reader=owner, to=address, template="change_email_taken", context={})
        return
    token = email_proof_token(user=user, proving=address, at=at)
    _send_on_commit(
        reader=user,
        to=address,
        template="change_email",
        context={"url": _proof_url(site, token), "days": rules.EMAIL_LINK_MAX_AGE.days},
    )


def _check_password(password: str, user: User, field: str = "password") -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError(
            AccountsErrorCode.WEAK_PASSWORD, " ".join(exc.messages), field=field
        ) from None


# --- Sign-in and its throttle ------------------------------------------------------------


def _keys(email: str, client: str) -> list[tuple[str, str]]:
    keys = [(SignInFailure.Kind.EMAIL.value, keyed_hash(normalise_email(email)))]
    if client:
        keys.append((SignInFailure.Kind.CLIENT.value, keyed_hash(client)))
    return keys


def _retry_message(retry_at: dt.datetime) -> str:
    local = timezone.localtime(retry_at)
    return _(
        "Too many failed sign-ins. For your security, signing in is paused until %(time)s. "
        "You can reset your password meanwhile."
    ) % {"time": formats.time_format(local, "TIME_FORMAT")}


def check_sign_in_allowed(*, email: str, client: str, at: dt.datetime) -> None:
    """Raise THROTTLED (429) when the email or the client failed too often recently."""
    since = at - rules.THROTTLE_WINDOW
    for kind, key in _keys(email, client):
        failures = list(
            SignInFailure.objects.filter(kind=kind, key_digest=key, at__gt=since).values_list(
                "at", flat=True
            )
        )
        verdict = rules.throttle_verdict(failures, now=at)
        if verdict.blocked and verdict.retry_at is not None:
            raise DomainError(
                AccountsErrorCode.THROTTLED, _retry_message(verdict.retry_at), status=429
            )


@transaction.atomic
def record_sign_in_failure(*, email: str, client: str, at: dt.datetime) -> None:
    SignInFailure.objects.filter(at__lte=at - rules.THROTTLE_WINDOW).delete()
    SignInFailure.objects.bulk_create(
        [SignInFailure(kind=kind, key_digest=key, at=at) for kind, key in _keys(email, client)]
    )


def clear_sign_in_failures(*, email: str) -> None:
    SignInFailure.objects.filter(
        kind=SignInFailure.Kind.EMAIL, key_digest=keyed_hash(normalise_email(email))
    ).delete()


def client_of(request: HttpRequest) -> str:
    return client_address.client_of(request)


def authenticate_user(
    *, request: HttpRequest | None, email: str, password: str, client: str, at: dt.datetime
) -> User:
    """Check the throttle, then the credentials. A failure counts against email and client."""
    check_sign_in_allowed(email=email, client=client, at=at)
    user = authenticate(request, email=normalise_email(email), password=password)
    if user is None:
        record_sign_in_failure(email=email, client=client, at=at)
        raise DomainError(
            AccountsErrorCode.BAD_CREDENTIALS,
            _("That email address and password do not match an account."),
            status=401,
        )
    clear_sign_in_failures(email=email)
    return user


def verify_password(*, user: User, password: str, client: str, at: dt.datetime) -> None:
    """Re-authentication for sensitive actions; failures count toward the same throttle."""
    check_sign_in_allowed(email=user.email, client=client, at=at)
    if not user.check_password(password):
        record_sign_in_failure(email=user.email, client=client, at=at)
        raise DomainError(
            AccountsErrorCode.BAD_CREDENTIALS, _("That password is not correct."), field="password"
        )


# --- Profile ---------------------------------------------------------------------------------


@transaction.atomic
def set_language(*, user: User, language: str, actor: User | None) -> User:
    """Issue #16: the language the customer reads, from the language switch or My Stuff; every
    later email to them uses it. An unsupported code stores the default language (English)."""
    chosen = choose_language(language)
    if user.language != chosen:
        user.language = chosen
        user.save(update_fields=["language"])
        audit.record(actor=actor, action=AuditAction.CHANGED, obj=user, fields=["language"])
    return user


def update_profile(*, user: User, full_name: str, actor: User | None) -> User:
    user.full_name = full_name.strip()
    user.save(update_fields=["full_name"])
    audit.record(actor=actor, action=AuditAction.CHANGED, obj=user, fields=["full_name"])
    return user


@transaction.atomic
def change_password(*, user: User, password: str, actor: User | None) -> User:
    _check_password(password, user, field="new_password1")
    user.set_password(password)
    user.save(update_fields=["password"])
    audit.record(actor=actor, action=AuditAction.CHANGED, obj=user, fields=["password"])
    return user


# --- Addresses -------------------------------------------------------------------------------

ADDRESS_FIELDS = ("label", "name", "lines", "city", "province", "postal_code", "country", "phone")


@dataclass(frozen=True)
class AddressInput:
    name: str
    lines: str
    city: str
    province: str
    postal_code: str
    country: str = "CA"
    phone: str = ""
    label: str = ""


def _clean_address(data: AddressInput) -> dict[str, str]:
    fields: dict[str, str] = {}
    values = {
        "label": data.label.strip(),
        "name": data.name.strip(),
        "lines": "\n".join(rules.split_lines(data.lines)),
        "city": data.city.strip(),
        "province": data.province.strip().upper(),
        "country": data.country.strip().upper() or "CA",
        "postal_code": rules.normalise_postal_code(data.postal_code),
        "phone": data.phone.strip(),
    }
    for name in ("name", "lines", "city"):
        if not values[name]:
            fields[name] = _("This field is required.")
    if values["country"] != "CA":
        fields["country"] = _(
            "We ship inside Canada only; contact customer care for other countries."
        )
    elif values["province"] not in rules.PROVINCES:
        fields["province"] = _("Choose a Canadian province or territory.")
    if not rules.postal_code_valid(values["postal_code"], values["country"]):
        fields["postal_code"] = _("Enter a Canadian postal code such as K1A 0B1.")
    if fields:
        first = next(iter(fields.values()))
        raise DomainError(AccountsErrorCode.INVALID_ADDRESS, first, fields=fields)
    return values


@transaction.atomic
def add_address(*, user: User, data: AddressInput, at: dt.datetime, actor: User | None) -> Address:
    values = _clean_address(data)
    address = Address.objects.create(user=user, created_at=at, updated_at=at, **values)
    audit.record(actor=actor, action=AuditAction.CREATED, obj=address, fields=["user", *values])
    return address


@transaction.atomic
def change_address(
    *, address: Address, data: AddressInput, at: dt.datetime, actor: User | None
) -> Address:
    changed = []
    for name, value in _clean_address(data).items():
        if getattr(address, name) != value:
            changed.append(name)
        setattr(address, name, value)
    address.updated_at = at
    address.save()
    audit.record(actor=actor, action=AuditAction.CHANGED, obj=address, fields=changed)
    return address


@transaction.atomic
def remove_address(*, address: Address, actor: User | None) -> None:
    audit.record(actor=actor, action=AuditAction.DELETED, obj=address)
    address.delete()


# --- Roles -----------------------------------------------------------------------------------


def _permissions(codes: frozenset[str]) -> list[Permission]:
    found: list[Permission] = []
    missing: list[str] = []
    for code in sorted(codes):
        app_label, codename = code.split(".", 1)
        perm = Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).first()
        if perm is None:
            missing.append(code)
        else:
            found.append(perm)
    if missing:
        raise DomainError(
            AccountsErrorCode.UNKNOWN_ROLE,
            f"roles.toml names permissions that do not exist: {', '.join(missing)}",
        )
    return found


@transaction.atomic
def sync_roles(*, actor: User | None = None) -> dict[str, int]:
    """Make each role's Group hold exactly its permissions. Safe to run again."""
    summary: dict[str, int] = {}
    for r in load_roles().values():
        group, _created = Group.objects.get_or_create(name=r.group_name)
        wanted = _permissions(r.permissions)
        before = set(group.permissions.values_list("pk", flat=True))
        group.permissions.set(wanted)
        if before != {p.pk for p in wanted}:
            audit.record(
                actor=actor, action=AuditAction.ROLE_CHANGED, obj=group, fields=["permissions"]
            )
        summary[r.key] = len(r.permissions)
    return summary


@transaction.atomic
def assign_role(*, user: User, role_key: str, actor: User | None) -> User:
    """Put a staff member in a role (and mark them staff so the back office admits them)."""
    try:
        r = role(role_key)
    except LookupError:
        raise DomainError(
            AccountsErrorCode.UNKNOWN_ROLE, _("Unknown role."), field="role"
        ) from None
    group, _created = Group.objects.get_or_create(name=r.group_name)
    changed = []
    if not user.groups.filter(pk=group.pk).exists():
        user.groups.add(group)
        changed.append("groups")
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        changed.append("is_staff")
    if changed:
        audit.record(actor=actor, action=AuditAction.ROLE_CHANGED, obj=user, fields=changed)
    return user


def address_input(payload: dict[str, Any]) -> AddressInput:
    return AddressInput(**{k: str(payload.get(k) or "") for k in ADDRESS_FIELDS})
