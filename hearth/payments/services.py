"""Payments' writes: hosted sessions (card page, agent card page, PayPal approval), tokenising a
card on the provider's page, and the idempotent authorise / capture / refund / void.

Every operation takes the caller's ``idempotency_key`` (unique across all operations): a replay
with the same key returns the stored result of the first call and changes nothing; the same key
for a different operation, payment or amount is refused (``idempotency_key_reused``).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Collection
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http.request import validate_host
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from hearth.core import audit, clock
from hearth.core.audit import Actor, AuditAction
from hearth.core.errors import DomainError
from hearth.core.money import round_cents
from hearth.payments import cardtables, rules
from hearth.payments.errors import PaymentsErrorCode
from hearth.payments.models import (
    HostedSession,
    Method,
    Payment,
    PaymentOperation,
    PaymentToken,
)
from hearth.payments.providers import get_provider
from hearth.payments.results import Authorisation, PaymentStatus, Refund
from hearth.payments.rules import Behaviour, PaymentState

__all__ = [
    "Authorisation",
    "PaymentStatus",
    "Refund",
    "approve_paypal",
    "authorise",
    "cancel_session",
    "capture",
    "refund",
    "start_agent_card_session",
    "start_card_session",
    "start_paypal",
    "tokenise_card",
    "void",
]

_MAX_AMOUNT = Decimal("99999999.99")


def _new_id(prefix: str) -> str:
    return prefix + secrets.token_hex(12)


def _amount(value: Any, *, field: str = "amount", allow_zero: bool = False) -> Decimal:
    try:
        amount = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        amount = Decimal("NaN")
    exponent = amount.as_tuple().exponent if amount.is_finite() else None
    if (
        not amount.is_finite()
        or not isinstance(exponent, int)
        or exponent < -2
        or amount < 0
        or (amount == 0 and not allow_zero)
        or amount > _MAX_AMOUNT
    ):
        raise DomainError(
            PaymentsErrorCode.INVALID_AMOUNT,
            _("The amount must be a positive amount in dollars and cents."),
            field=field,
        )
    return round_cents(amount)  # already at most two places: only the exponent is normalised


# --- Hosted pages: the provider's own card entry and PayPal approval.


def _safe_url(url: str, field: str) -> str:
    """A page of this site: a path, or an http(s) URL whose host (any port) ALLOWED_HOSTS admits."""
    parts = urlsplit(url or "")
    local = url_has_allowed_host_and_scheme(url, allowed_hosts=set(), require_https=False)
    on_this_site = (
        parts.scheme in ("http", "https")
        and parts.hostname is not None
        and parts.hostname != ""
        and validate_host(parts.hostname, list(settings.ALLOWED_HOSTS))
        and url_has_allowed_host_and_scheme(url, allowed_hosts={parts.netloc}, require_https=False)
    )
    if not url or not (local or on_this_site):
        raise DomainError(
            PaymentsErrorCode.INVALID_RETURN_URL,
            _("The return address must be a page of this site."),
            field=field,
        )
    return url


def _start(
    kind: HostedSession.Kind,
    *,
    amount: Decimal,
    reference: str,
    return_url: str,
    cancel_url: str,
) -> HostedSession:
    return HostedSession.objects.create(
        session_id=_new_id("cs_" if kind != HostedSession.Kind.PAYPAL else "ppa_"),
        kind=kind,
        amount=_amount(amount, allow_zero=True),  # shown on the page; authorise decides
        reference=str(reference)[:64],
        return_url=_safe_url(return_url, "return_url"),
        cancel_url=_safe_url(cancel_url, "cancel_url"),
        created_at=clock.now(),
    )


def start_card_session(*, amount: Decimal, reference: str, return_url: str, cancel_url: str) -> str:
    """The URL of the sandbox card page for this payment. After a card is entered the page
    redirects to ``return_url`` with ``?payment_token=tok_...``; "Cancel" goes to ``cancel_url``."""
    session = _start(
        HostedSession.Kind.CARD,
        amount=amount,
        reference=reference,
        return_url=return_url,
        cancel_url=cancel_url,
    )
    return f"{reverse('payments:sandbox_card')}?{urlencode({'session': session.session_id})}"


def start_agent_card_session(
    *, amount: Decimal, reference: str, return_url: str, cancel_url: str
) -> str:
    """As :func:`start_card_session`, for a sales agent keying a card read out on the phone."""
    session = _start(
        HostedSession.Kind.AGENT_CARD,
        amount=amount,
        reference=reference,
        return_url=return_url,
        cancel_url=cancel_url,
    )
    url = reverse("payments:sandbox_agent_card")
    return f"{url}?{urlencode({'session': session.session_id})}"


def start_paypal(*, amount: Decimal, reference: str, return_url: str, cancel_url: str) -> str:
    """The URL of the sandbox PayPal approval page (Approve / Cancel). Approve redirects to
    ``return_url`` with ``?payment_token=pp_...``; Cancel to ``cancel_url``."""
    session = _start(
        HostedSession.Kind.PAYPAL,
        amount=amount,
        reference=reference,
        return_url=return_url,
        cancel_url=cancel_url,
    )
    return reverse("payments:sandbox_paypal", args=[session.session_id])


def with_query(url: str, **params: str) -> str:
    """``url`` with ``params`` added to its query string."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def open_session(session_id: str, kind: HostedSession.Kind) -> HostedSession:
    """The open hosted session, locked; DomainError if unknown, of another kind, or closed."""
    session = (
        HostedSession.objects.select_for_update().filter(session_id=session_id, kind=kind).first()
    )
    if session is None:
        raise DomainError(
            PaymentsErrorCode.UNKNOWN_SESSION,
            _("This payment page has expired. Please go back to the shop and try again."),
            status=404,
        )
    if session.state != HostedSession.State.OPEN:
        raise DomainError(
            PaymentsErrorCode.SESSION_CLOSED,
            _("This payment page was already used. Please go back to the shop."),
            status=409,
        )
    return session


@sensitive_variables("number", "cvc", "check")
def tokenise_card(
    *,
    session_id: str,
    kind: HostedSession.Kind,
    number: str,
    exp_month: int,
    exp_year: int,
    cvc: str,
    at: dt.datetime,
) -> str:
    """Check a card typed on the provider's page and keep only a token of it (brand, last four
    digits, expiry, sandbox behaviour: never the number or the CVC). Returns the return URL with
    ``payment_token``. Raises DomainError (code of the first problem, field) for a refused card."""
    with transaction.atomic():
        session = open_session(session_id, kind)
        check = rules.check_card(
            number=number,
            exp_month=exp_month,
            exp_year=rules.full_year(exp_year),
            cvc=cvc,
            today=at.astimezone(clock.EASTERN).date(),
            brands=cardtables.brands(),
        )
        if not check.ok or check.brand is None:
            problem = check.problems[0]
            raise DomainError(
                problem.code, gettext(problem.message) % dict(problem.params), field=problem.field
            )
        token = PaymentToken.objects.create(
            token=_new_id("tok_"),
            method=Method.CARD,
            brand=check.brand.key,
            last4=check.last4,
            exp_month=exp_month,
            exp_year=rules.full_year(exp_year),
            behaviour=cardtables.behaviour_of(check.digits).value,
            entered_by_agent=kind == HostedSession.Kind.AGENT_CARD,
            created_at=at,
        )
        session.state = HostedSession.State.COMPLETED
        session.token = token.token
        session.closed_at = at
        session.save(update_fields=["state", "token", "closed_at"])
        return with_query(session.return_url, payment_token=token.token)


def approve_paypal(*, session_id: str, at: dt.datetime) -> str:
    """The buyer approved on the PayPal sandbox page: a ``pp_`` token; returns the return URL."""
    with transaction.atomic():
        session = open_session(session_id, HostedSession.Kind.PAYPAL)
        token = PaymentToken.objects.create(
            token=_new_id("pp_"),
            method=Method.PAYPAL,
            brand="paypal",
            last4="",
            behaviour=Behaviour.APPROVE.value,
            created_at=at,
        )
        session.state = HostedSession.State.COMPLETED
        session.token = token.token
        session.closed_at = at
        session.save(update_fields=["state", "token", "closed_at"])
        return with_query(session.return_url, payment_token=token.token)


def cancel_session(*, session_id: str, kind: HostedSession.Kind, at: dt.datetime) -> str:
    """The person cancelled on a provider page; returns the cancel URL. Nothing is kept."""
    with transaction.atomic():
        session = open_session(session_id, kind)
        session.state = HostedSession.State.CANCELLED
        session.closed_at = at
        session.save(update_fields=["state", "closed_at"])
        return session.cancel_url


# --- Idempotent operations.


def _key_reused() -> DomainError:
    return DomainError(
        PaymentsErrorCode.IDEMPOTENCY_KEY_REUSED,
        _("This idempotency key was already used for a different payment operation."),
        field="idempotency_key",
        status=409,
    )


def _previous(key: str, kind: PaymentOperation.Kind, **expected: Any) -> PaymentOperation | None:
    if not key or len(key) > 200:
        raise DomainError(
            PaymentsErrorCode.IDEMPOTENCY_KEY_REUSED,
            _("An idempotency key of 1 to 200 characters is required."),
            field="idempotency_key",
        )
    op = PaymentOperation.objects.filter(idempotency_key=key).first()
    if op is None:
        return None
    if op.kind != kind or any(op.result.get(k) != v for k, v in expected.items()):
        raise _key_reused()
    return op


def _record(
    *,
    payment: Payment,
    kind: PaymentOperation.Kind,
    key: str,
    amount: Decimal | None,
    result: dict[str, Any],
    actor: Actor | None,
    at: dt.datetime,
) -> None:
    """The provider operation on record, and its audit row (money moved, with its actor).

    Called inside the operation's own ``transaction.atomic()`` (a savepoint in a caller's
    transaction): a key reused concurrently raises ``idempotency_key_reused`` out of that block,
    which rolls it back, so no savepoint of its own is spent here."""
    try:
        with transaction.atomic(savepoint=False):
            PaymentOperation.objects.create(
                payment=payment,
                kind=kind,
                idempotency_key=key,
                amount=amount,
                result=result,
                actor_id=audit.user_pk(actor),
                at=at,
            )
    except IntegrityError:
        raise _key_reused() from None
    audit.record(
        actor=actor, action=AuditAction.MONEY_MOVED, obj=payment, fields=_MOVED_FIELDS[kind]
    )


# What each provider operation changes on the payment (names only, for the audit log).
_MOVED_FIELDS: dict[str, list[str]] = {
    PaymentOperation.Kind.AUTHORISE: ["amount", "status"],
    PaymentOperation.Kind.CAPTURE: ["captured_amount", "status"],
    PaymentOperation.Kind.REFUND: ["refunded_amount", "status"],
    PaymentOperation.Kind.VOID: ["status"],
}


def _authorisation(result: dict[str, Any]) -> Authorisation:
    return Authorisation(
        payment_id=result["payment_id"],
        status=result["status"],
        decline_code=result["decline_code"],
        fraud_suspected=result["fraud_suspected"],
        message=gettext(rules.outcome_message(result["status"], result["decline_code"])),
        brand=result["brand"],
        last4=result["last4"],
        method=result["method"],
        amount=Decimal(result["amount"]),
    )


def authorise(
    *,
    token: str,
    amount: Decimal,
    reference: str,
    idempotency_key: str,
    payer_email: str = "",
    actor: Actor | None = None,
    savepoint: bool = True,
) -> Authorisation:
    """Hold ``amount`` on the card/PayPal account behind ``token`` (TOS-8: captured later).

    A declined authorisation is a result, not an error (status ``declined``, ``decline_code``,
    customer-readable ``message``: TOS-9); the payment row records it. ``payer_email`` (optional)
    is kept only as a keyed hash, so the person's export finds their payments (PP-15).

    Inside the caller's transaction it runs in a savepoint, so that a refusal (``token_used``,
    ``unknown_token``, ...) leaves the transaction usable; a caller that lets every refusal
    roll its whole transaction back (placing an order) passes ``savepoint=False`` and saves
    the savepoint's two round trips.
    """
    amount = _amount(amount)
    at = clock.now()
    with transaction.atomic(savepoint=savepoint):
        # Serialise callers of the same token (and so of the same key) before looking for a replay;
        # the locked row's key is the payment's token below (no second read of the token).
        rows = PaymentToken.objects.select_for_update().filter(token=token)
        locked = list(rows.values_list("pk", flat=True))
        previous = _previous(
            idempotency_key, PaymentOperation.Kind.AUTHORISE, token=token, amount=str(amount)
        )
        if previous is not None:
            if previous.payment.status == PaymentState.VOIDED:
                # Voided since (the order it paid for was not placed): never reused.
                raise DomainError(
                    PaymentsErrorCode.TOKEN_USED,
                    _("This payment was already used. Please enter your payment again."),
                    field="payment_token",
                )
            return _authorisation(previous.result)
        provided = get_provider().authorise(token=token, amount=amount, reference=reference, at=at)
        state = {
            rules.AuthorisationStatus.APPROVED: PaymentState.AUTHORISED,
            rules.AuthorisationStatus.REVIEW: PaymentState.REVIEW,
            rules.AuthorisationStatus.DECLINED: PaymentState.DECLINED,
        }[rules.AuthorisationStatus(provided.status)]
        payment = Payment.objects.create(
            payment_id=_new_id("pay_"),
            token_id=locked[0] if locked else PaymentToken.objects.get(token=token).pk,
            method=provided.method,
            amount=amount,
            status=state.value,
            decline_code=provided.decline_code or "",
            fraud_suspected=provided.fraud_suspected,
            brand=provided.brand,
            last4=provided.last4,
            reference=str(reference)[:64],
            payer_email_hash=_email_hash(payer_email),
            created_at=at,
            updated_at=at,
        )
        result = {
            "payment_id": payment.payment_id,
            "token": token,
            "amount": str(amount),
            "status": provided.status,
            "decline_code": provided.decline_code,
            "fraud_suspected": provided.fraud_suspected,
            "brand": provided.brand,
            "last4": provided.last4,
            "method": provided.method,
        }
        _record(
            payment=payment,
            kind=PaymentOperation.Kind.AUTHORISE,
            key=idempotency_key,
            amount=amount,
            result=result,
            actor=actor,
            at=at,
        )
        return _authorisation(result)


def _email_hash(email: str) -> str:
    if not email:
        return ""
    from hearth.privacy.crypto import keyed_hash

    return keyed_hash(email)


def _require_state(
    payment: Payment, allowed: Collection[str], code: PaymentsErrorCode, message: object
) -> None:
    """Refuse an operation the payment's state does not allow (409, naming ``payment_id``);
    ``message`` has a ``%(status)s`` placeholder."""
    if payment.status not in allowed:
        text = str(message) % {"status": payment.status}
        raise DomainError(code, text, field="payment_id", status=409)


def _locked_payment(payment_id: str) -> Payment:
    payment = Payment.objects.select_for_update().filter(payment_id=payment_id).first()
    if payment is None:
        raise DomainError(
            PaymentsErrorCode.UNKNOWN_PAYMENT,
            _("No such payment."),
            field="payment_id",
            status=404,
        )
    return payment


def status_of(payment: Payment) -> PaymentStatus:
    return PaymentStatus(
        payment_id=payment.payment_id,
        status=payment.status,
        method=payment.method,
        amount=payment.amount,
        captured_amount=payment.captured_amount,
        refunded_amount=payment.refunded_amount,
        refundable=_balance(payment),
        decline_code=payment.decline_code or None,
        fraud_suspected=payment.fraud_suspected,
        brand=payment.brand,
        last4=payment.last4,
        reference=payment.reference,
    )


def _balance(payment: Payment) -> Decimal:
    if payment.status not in rules.REFUNDABLE:
        return Decimal("0.00")
    return rules.refundable_balance(
        authorised=payment.amount,
        captured=payment.captured_amount,
        refunded=payment.refunded_amount,
    )


def _status_json(status: PaymentStatus) -> dict[str, Any]:
    return {
        "payment_id": status.payment_id,
        "status": status.status,
        "method": status.method,
        "amount": str(status.amount),
        "captured_amount": None if status.captured_amount is None else str(status.captured_amount),
        "refunded_amount": str(status.refunded_amount),
        "refundable": str(status.refundable),
        "decline_code": status.decline_code,
        "fraud_suspected": status.fraud_suspected,
        "brand": status.brand,
        "last4": status.last4,
        "reference": status.reference,
    }


def _status_from_json(data: dict[str, Any]) -> PaymentStatus:
    return PaymentStatus(
        payment_id=data["payment_id"],
        status=data["status"],
        method=data["method"],
        amount=Decimal(data["amount"]),
        captured_amount=(
            None if data["captured_amount"] is None else Decimal(data["captured_amount"])
        ),
        refunded_amount=Decimal(data["refunded_amount"]),
        refundable=Decimal(data["refundable"]),
        decline_code=data["decline_code"],
        fraud_suspected=data["fraud_suspected"],
        brand=data["brand"],
        last4=data["last4"],
        reference=data["reference"],
    )


def capture(*, payment_id: str, idempotency_key: str, actor: Actor | None = None) -> PaymentStatus:
    """Take the whole authorised amount (TOS-8: when the order is released to fulfilment)."""
    at = clock.now()
    with transaction.atomic():
        payment = _locked_payment(payment_id)
        previous = _previous(idempotency_key, PaymentOperation.Kind.CAPTURE, payment_id=payment_id)
        if previous is not None:
            return _status_from_json(previous.result)
        _require_state(
            payment,
            rules.CAPTURABLE,
            PaymentsErrorCode.NOT_CAPTURABLE,
            _("This payment cannot be captured: it is %(status)s."),
        )
        if rules.authorisation_expired(
            method=payment.method, authorised_at=payment.created_at, at=at
        ):
            raise DomainError(
                PaymentsErrorCode.AUTHORISATION_EXPIRED,
                _("This authorisation has expired: authorise again before capturing."),
                field="payment_id",
                status=409,
            )
        get_provider().capture(
            token=payment.token.token, amount=payment.amount, reference=payment.reference
        )
        payment.captured_amount = payment.amount
        payment.status = PaymentState.CAPTURED.value
        payment.updated_at = at
        payment.save(update_fields=["captured_amount", "status", "updated_at"])
        status = status_of(payment)
        _record(
            payment=payment,
            kind=PaymentOperation.Kind.CAPTURE,
            key=idempotency_key,
            amount=payment.amount,
            result=_status_json(status),
            actor=actor,
            at=at,
        )
        return status


def authorisation_expired(*, payment_id: str, at: dt.datetime) -> bool:
    """Whether the payment's authorisation has lapsed (a capture would be refused)."""
    payment = Payment.objects.filter(payment_id=payment_id).first()
    if payment is None or payment.status not in rules.CAPTURABLE:
        return False
    return rules.authorisation_expired(
        method=payment.method, authorised_at=payment.created_at, at=at
    )


def reauthorise(
    *, payment_id: str, idempotency_key: str, actor: Actor | None = None
) -> Authorisation:
    """Authorise the same amount again on the same stored credential, as a new payment, and
    release the lapsed hold (voided). A decline is a result (status ``declined``), as for
    :func:`authorise`; the lapsed payment is voided either way."""
    at = clock.now()
    with transaction.atomic():
        old = _locked_payment(payment_id)
        previous = _previous(
            idempotency_key, PaymentOperation.Kind.AUTHORISE, reauthorises=payment_id
        )
        if previous is not None:
            return _authorisation(previous.result)
        _require_state(
            old,
            rules.CAPTURABLE,
            PaymentsErrorCode.NOT_CAPTURABLE,
            _("This payment cannot be authorised again: it is %(status)s."),
        )
        provided = get_provider().reauthorise(
            token=old.token.token, amount=old.amount, reference=old.reference, at=at
        )
        state = {
            rules.AuthorisationStatus.APPROVED: PaymentState.AUTHORISED,
            rules.AuthorisationStatus.REVIEW: PaymentState.REVIEW,
            rules.AuthorisationStatus.DECLINED: PaymentState.DECLINED,
        }[rules.AuthorisationStatus(provided.status)]
        payment = Payment.objects.create(
            payment_id=_new_id("pay_"),
            token=old.token,
            method=provided.method,
            amount=old.amount,
            status=state.value,
            decline_code=provided.decline_code or "",
            fraud_suspected=provided.fraud_suspected,
            brand=provided.brand,
            last4=provided.last4,
            reference=old.reference,
            payer_email_hash=old.payer_email_hash,
            created_at=at,
            updated_at=at,
        )
        get_provider().void(token=old.token.token, reference=old.reference)
        old.status = PaymentState.VOIDED.value
        old.updated_at = at
        old.save(update_fields=["status", "updated_at"])
        _record(
            payment=old,
            kind=PaymentOperation.Kind.VOID,
            key=f"{idempotency_key}:lapsed",
            amount=None,
            result=_status_json(status_of(old)),
            actor=actor,
            at=at,
        )
        result = {
            "payment_id": payment.payment_id,
            "token": old.token.token,
            "reauthorises": payment_id,
            "amount": str(old.amount),
            "status": provided.status,
            "decline_code": provided.decline_code,
            "fraud_suspected": provided.fraud_suspected,
            "brand": provided.brand,
            "last4": provided.last4,
            "method": provided.method,
        }
        _record(
            payment=payment,
            kind=PaymentOperation.Kind.AUTHORISE,
            key=idempotency_key,
            amount=old.amount,
            result=result,
            actor=actor,
            at=at,
        )
        return _authorisation(result)


def refund(
    *, payment_id: str, amount: Decimal, idempotency_key: str, actor: Actor | None = None
) -> Refund:
    """Give back ``amount`` (whole or part) of a payment: never more than was captured (or, before
    capture, authorised) less what was already refunded."""
    amount = _amount(amount)
    at = clock.now()
    with transaction.atomic():
        payment = _locked_payment(payment_id)
        previous = _previous(
            idempotency_key,
            PaymentOperation.Kind.REFUND,
            payment_id=payment_id,
            amount=str(amount),
        )
        if previous is not None:
            r = previous.result
            return Refund(
                payment_id=r["payment_id"],
                amount=Decimal(r["amount"]),
                refunded_total=Decimal(r["refunded_total"]),
                remaining=Decimal(r["remaining"]),
                status=r["status"],
            )
        _require_state(
            payment,
            rules.REFUNDABLE,
            PaymentsErrorCode.NOT_REFUNDABLE,
            _("This payment cannot be refunded: it is %(status)s."),
        )
        balance = _balance(payment)
        if amount > balance:
            raise DomainError(
                PaymentsErrorCode.REFUND_EXCEEDS_BALANCE,
                _("At most %(balance)s can be refunded on this payment.")
                % {"balance": f"{balance:.2f}"},
                field="amount",
            )
        get_provider().refund(token=payment.token.token, amount=amount, reference=payment.reference)
        payment.refunded_amount = payment.refunded_amount + amount
        payment.status = rules.status_after_refund(balance_before=balance, amount=amount).value
        payment.updated_at = at
        payment.save(update_fields=["refunded_amount", "status", "updated_at"])
        result = {
            "payment_id": payment.payment_id,
            "amount": str(amount),
            "refunded_total": str(payment.refunded_amount),
            "remaining": str(balance - amount),
            "status": payment.status,
        }
        _record(
            payment=payment,
            kind=PaymentOperation.Kind.REFUND,
            key=idempotency_key,
            amount=amount,
            result=result,
            actor=actor,
            at=at,
        )
        return Refund(
            payment_id=payment.payment_id,
            amount=amount,
            refunded_total=payment.refunded_amount,
            remaining=balance - amount,
            status=payment.status,
        )


def void(*, payment_id: str, idempotency_key: str, actor: Actor | None = None) -> PaymentStatus:
    """Release an authorisation that will not be captured (nothing was taken)."""
    at = clock.now()
    with transaction.atomic():
        payment = _locked_payment(payment_id)
        previous = _previous(idempotency_key, PaymentOperation.Kind.VOID, payment_id=payment_id)
        if previous is not None:
            return _status_from_json(previous.result)
        _require_state(
            payment,
            rules.VOIDABLE,
            PaymentsErrorCode.NOT_VOIDABLE,
            _("This payment cannot be voided: it is %(status)s."),
        )
        get_provider().void(token=payment.token.token, reference=payment.reference)
        payment.status = PaymentState.VOIDED.value
        payment.updated_at = at
        payment.save(update_fields=["status", "updated_at"])
        status = status_of(payment)
        _record(
            payment=payment,
            kind=PaymentOperation.Kind.VOID,
            key=idempotency_key,
            amount=None,
            result=_status_json(status),
            actor=actor,
            at=at,
        )
        return status
