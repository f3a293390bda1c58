"""Care's writes: open a case, reply, note, assign, close, receive an email, tell the customer
of a delay, and absorb the cases other apps open (dropouts, delivery exceptions).

Each is one function, one transaction, one audit row per change with its real actor; the email
it causes is queued in the same transaction (``hearth.comms``) and sent after the commit. A reply
carries ``Reply-To: care+<token>@<domain>``, so the customer's answer lands on its case by the
token, never by the subject.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import dateformat, translation
from django.utils.translation import gettext as _

from hearth.accounts.roles import has_role
from hearth.care import policy, rules
from hearth.care.errors import CareErrorCode
from hearth.care.models import (
    Case,
    CaseAttachment,
    CaseLink,
    CaseMessage,
    Channel,
    MessageDirection,
    State,
    SupportAttempt,
)
from hearth.comms.services import queue_email
from hearth.core import audit
from hearth.core.audit import Actor, AuditAction
from hearth.core.email_address import valid_email_address
from hearth.core.errors import DomainError
from hearth.core.ids import random_numeric_id
from hearth.core.languages import choose_language
from hearth.privacy.rules import ImpliedFrom
from hearth.privacy.services import record_implied_consent

CARE_ROLES = ("care_agent", "administrator")
MAX_BODY = 20_000

_PROBLEM_CODES = {
    rules.AttachmentProblem.TOO_LARGE: CareErrorCode.ATTACHMENT_TOO_LARGE,
    rules.AttachmentProblem.TOO_MANY: CareErrorCode.TOO_MANY_ATTACHMENTS,
    rules.AttachmentProblem.TYPE_REFUSED: CareErrorCode.ATTACHMENT_TYPE_REFUSED,
    rules.AttachmentProblem.EMPTY: CareErrorCode.ATTACHMENT_EMPTY,
}


@dataclass(frozen=True)
class IncomingFile:
    """A file sent with a customer's message (form upload or email attachment)."""

    filename: str
    content: bytes


def reply_domain() -> str:
    return str(getattr(settings, "HEARTH_CARE_REPLY_DOMAIN", "example.com"))


def care_from_address() -> str:
    return str(getattr(settings, "HEARTH_CARE_FROM_EMAIL", settings.DEFAULT_FROM_EMAIL))


def _attachment_message(problem: rules.AttachmentProblem, filename: str) -> str:
    limits = policy.attachments()
    if problem == rules.AttachmentProblem.TOO_LARGE:
        return _("%(name)s is larger than %(mb)s MB: send a smaller file.") % {
            "name": filename,
            "mb": limits.max_bytes // (1024 * 1024),
        }
    if problem == rules.AttachmentProblem.TOO_MANY:
        return _("Send at most %(n)s files with one message.") % {"n": limits.max_per_message}
    if problem == rules.AttachmentProblem.EMPTY:
        return _("%(name)s is empty.") % {"name": filename}
    return _("%(name)s is not a PDF, PNG, JPEG or plain-text file.") % {"name": filename}


def check_files(files: Sequence[IncomingFile], *, field: str = "attachment") -> list[str]:
    """The checked content type of each file, or a DomainError naming the first one refused."""
    limits = policy.attachments()
    if len(files) > limits.max_per_message:
        many = rules.AttachmentProblem.TOO_MANY
        raise DomainError(_PROBLEM_CODES[many], _attachment_message(many, ""), field=field)
    kinds: list[str] = []
    for item in files:
        name = rules.safe_filename(item.filename)
        kind, problem = rules.check_attachment(
            filename=name, size=len(item.content), head=item.content[:512], policy=limits
        )
        if kind is None:
            refused = problem or rules.AttachmentProblem.TYPE_REFUSED
            raise DomainError(
                _PROBLEM_CODES[refused], _attachment_message(refused, name), field=field
            )
        kinds.append(kind)
    return kinds


def sort_files(
    files: Sequence[IncomingFile],
) -> tuple[list[IncomingFile], list[str], list[str]]:
    """For email, where nobody can be asked to fix a file: the files accepted with their types,
    and one line per file refused (its name and why), so the words still land."""
    limits = policy.attachments()
    accepted: list[IncomingFile] = []
    kinds: list[str] = []
    refused: list[str] = []
    for item in files:
        name = rules.safe_filename(item.filename)
        kind, problem = rules.check_attachment(
            filename=name, size=len(item.content), head=item.content[:512], policy=limits
        )
        if kind is not None and len(accepted) >= limits.max_per_message:
            problem, kind = rules.AttachmentProblem.TOO_MANY, None
        if kind is None:
            refused.append(
                _attachment_message(problem or rules.AttachmentProblem.TYPE_REFUSED, name)
            )
            continue
        accepted.append(item)
        kinds.append(kind)
    return accepted, kinds, refused


def _refused_note(case: Case, refused: list[str], at: dt.datetime) -> None:
    if refused:
        CaseMessage.objects.create(
            case=case,
            direction=MessageDirection.NOTE,
            body=_("Attachments not kept:") + "\n" + "\n".join(f"- {r}" for r in refused),
            at=at,
        )


def _store_files(message: CaseMessage, files: Sequence[IncomingFile], kinds: list[str]) -> None:
    for item, kind in zip(files, kinds, strict=True):
        CaseAttachment.objects.create(
            message=message,
            filename=rules.safe_filename(item.filename),
            content_type=kind,
            size=len(item.content),
            content=base64.b64encode(item.content).decode("ascii"),
        )


def count_support_request(*, client: str, email: str, at: dt.datetime) -> None:
    """Count one question from the public form; refused (429, nothing counted) when the client
    or the address has reached its limit in the window (``data/care.toml`` [throttle])."""
    from hearth.privacy.crypto import keyed_hash

    limits = policy.throttle()
    since = at - dt.timedelta(minutes=limits.window_minutes)
    by_client = keyed_hash(f"client:{client}")
    by_address = keyed_hash(f"address:{email.strip().lower()}")
    with transaction.atomic():
        SupportAttempt.objects.filter(at__lt=since).delete()
        recent = SupportAttempt.objects.filter(at__gte=since)
        if (
            recent.filter(digest=by_client).count() >= limits.per_client
            or recent.filter(digest=by_address).count() >= limits.per_address
        ):
            raise DomainError(
                CareErrorCode.THROTTLED,
                _(
                    "We have received several questions from here or for this address in the "
                    "last hour. Try again later, or call us."
                ),
                status=429,
            )
        SupportAttempt.objects.bulk_create(
            [SupportAttempt(digest=by_client, at=at), SupportAttempt(digest=by_address, at=at)]
        )


def _clean_body(body: str, *, field: str = "body") -> str:
    text = (body or "").replace("\x00", "").strip()
    if not text:
        raise DomainError(CareErrorCode.EMPTY_MESSAGE, _("Write a message."), field=field)
    if len(text) > MAX_BODY:
        raise DomainError(
            CareErrorCode.EMPTY_MESSAGE,
            _("A message may be at most %(n)s characters.") % {"n": MAX_BODY},
            field=field,
        )
    return text


def _local(at: dt.datetime) -> str:
    zone = policy.promise().hours.zone
    return dateformat.format(at.astimezone(zone), "l j F Y, H:i") + " " + _("(Toronto time)")


def _headers(case: Case) -> dict[str, str]:
    return {"Reply-To": rules.reply_address(case.reply_token, reply_domain())}


def _subject(case: Case, text: str) -> str:
    return f"{text} [{case.reference}]"


def _greeting(case: Case) -> str:
    return _("Hello %(name)s,") % {"name": case.name} if case.name else _("Hello,")


def _sign_off() -> str:
    return _("Ember & Oak Audio customer care")


def _send(case: Case, *, key: str, subject: str, body: str, at: dt.datetime) -> None:
    if not case.email:
        return
    queue_email(
        key=key,
        to=[case.email],
        subject=_subject(case, subject),
        body=body,
        at=at,
        from_address=care_from_address(),
        headers=_headers(case),
        language=case.language,
    )


def _received_email(case: Case, at: dt.datetime) -> None:
    with translation.override(case.language):
        _received_email_now(case, at)


def _received_email_now(case: Case, at: dt.datetime) -> None:
    body = "\n\n".join(
        [
            _greeting(case),
            _("We received your question and gave it the reference %(ref)s.")
            % {"ref": case.reference},
            _(
                "We answer within one working day: at the latest by %(due)s. To add anything, "
                "reply to this email."
            )
            % {"due": _local(case.first_response_due)},
            _sign_off(),
        ]
    )
    _send(
        case,
        key=f"care:{case.pk}:received",
        subject=_("We received your question"),
        body=body,
        at=at,
    )


def _new_case(
    *,
    channel: Channel,
    email: str,
    name: str,
    subject: str,
    received_at: dt.datetime,
    customer: Any = None,
    household_id: int | None = None,
    order_number: str = "",
) -> Case:
    limits = rules.deadlines(received_at, policy.promise())
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Case.objects.create(
                    reference=f"C{random_numeric_id(8)}",
                    channel=channel,
                    customer=customer,
                    email=email,
                    name=name.strip()[:200],
                    subject=subject.strip()[:300],
                    received_at=received_at,
                    first_response_due=limits.first_response_due,
                    resolution_target=limits.resolution_target,
                    reply_token=secrets.token_hex(16),
                    # Issue #16: the customer's stored language, else the page's.
                    language=choose_language(
                        getattr(customer, "language", ""), translation.get_language()
                    ),
                    household_id=household_id,
                    order_number=order_number.strip()[:40],
                )
        except IntegrityError:
            continue  # a reference or token drawn twice: draw again
    raise RuntimeError("could not draw a unique case reference")  # pragma: no cover


def open_case(
    *,
    channel: Channel,
    email: str,
    body: str,
    at: dt.datetime,
    actor: Actor | None,
    subject: str = "",
    name: str = "",
    customer: Any = None,
    order_number: str = "",
    household_id: int | None = None,
    files: Sequence[IncomingFile] = (),
    email_message_id: str | None = None,
    link: tuple[str, str] | None = None,
    confirm: bool | None = None,
) -> Case:
    """Open a case for a customer's question: from the support form, an email, a phone call
    (an agent), or another app (``link=("rma", "RMA-12")``; opening twice for the same link
    returns the first case). ``body`` is the question (or, for a case care opens itself, the
    first internal note). A confirmation with the reply address is emailed for the channels
    where the customer wrote (``confirm`` overrides).

    Refused (nothing written): an email address that is not one, an empty question, a refused
    attachment.
    """
    if link is not None:
        found = CaseLink.objects.filter(kind=link[0], ref=link[1]).select_related("case").first()
        if found is not None:
            return found.case
    address = ""
    if email:
        checked = valid_email_address(email)
        if checked is None:
            raise DomainError(
                CareErrorCode.BAD_EMAIL,
                _("Enter a valid email address, such as name@example.com."),
                field="email",
            )
        address = checked.lower()
    elif channel in (Channel.WEB, Channel.EMAIL):
        raise DomainError(
            CareErrorCode.BAD_EMAIL, _("Give the email address we should answer."), field="email"
        )
    text = _clean_body(body)
    kinds = check_files(files)
    customer_side = channel in (Channel.WEB, Channel.EMAIL, Channel.PHONE)
    with transaction.atomic():
        case = _new_case(
            channel=channel,
            email=address,
            name=name,
            subject=subject or text.splitlines()[0][:120],
            received_at=at,
            customer=customer,
            household_id=household_id,
            order_number=order_number,
        )
        message = CaseMessage.objects.create(
            case=case,
            direction=MessageDirection.IN if customer_side else MessageDirection.NOTE,
            body=text,
            # The agent who took a phone call or wrote the note; a customer's own words: nobody.
            author=None if channel in (Channel.WEB, Channel.EMAIL) else _staff(actor),
            at=at,
            email_message_id=email_message_id or None,
        )
        _store_files(message, files, kinds)
        if link is not None:
            CaseLink.objects.create(case=case, kind=link[0], ref=link[1])
        audit.record(
            actor=actor,
            action=AuditAction.CREATED,
            obj=case,
            fields=["channel", "email", "name", "subject", "state"],
        )
        if customer_side and address:
            # CASL: a person's enquiry implies consent to news for 6 months (PP-8). The ledger
            # decides whether it counts: never over a withdrawal, an unsubscribe or a suppression.
            record_implied_consent(
                implied_from=ImpliedFrom.ENQUIRY,
                source=f"care case ({channel})",
                at=at,
                user=customer,
                email=address,
                evidence=f"care case {case.reference} opened",
                actor=actor,
            )
        if confirm if confirm is not None else customer_side:
            _received_email(case, at)
    return case


def _staff(actor: Actor | None) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _locked(case: Case) -> Case:
    return Case.objects.select_for_update().get(pk=case.pk)


def _move(case: Case, to: rules.CaseState) -> None:
    current = rules.CaseState(case.state)
    if not rules.may_move(current, to):
        raise DomainError(
            CareErrorCode.BAD_MOVE,
            _("This case cannot go from %(a)s to %(b)s.") % {"a": current, "b": to},
            status=409,
        )
    case.state = to.value


def reply(
    *, case: Case, body: str, at: dt.datetime, actor: Actor | None, close: bool = False
) -> CaseMessage:
    """Care answers the customer: the reply is emailed (Reply-To the case's address) and is the
    case's first response if none came before (TOS-27). ``close`` closes the case with it."""
    text = _clean_body(body)
    with transaction.atomic():
        locked = _locked(case)
        if not locked.email:
            raise DomainError(
                CareErrorCode.BAD_EMAIL,
                _("This case has no email address to answer: add a note instead."),
                field="body",
            )
        message = CaseMessage.objects.create(
            case=locked, direction=MessageDirection.OUT, body=text, author=_staff(actor), at=at
        )
        changed = ["state"]
        if locked.first_responded_at is None:
            locked.first_responded_at = at
            changed.append("first_responded_at")
        target = rules.state_after(rules.CaseState(locked.state), rules.Direction.OUT)
        if close:
            target = rules.CaseState.CLOSED
            locked.closed_at = at
            changed.append("closed_at")
        if target != rules.CaseState(locked.state):
            _move(locked, target)
        locked.save(update_fields=changed)
        audit.record(actor=actor, action=AuditAction.CREATED, obj=message, fields=["body"])
        audit.record(actor=actor, action=AuditAction.STATE_CHANGED, obj=locked, fields=changed)
        with translation.override(locked.language):
            subject = locked.subject or _("Your question")
        _send(
            locked,
            key=f"care:{locked.pk}:out:{message.pk}",
            subject=subject,
            body=text,
            at=at,
        )
        if close:
            _close_links(locked, at=at, actor=actor)
    case.refresh_from_db()
    return message


def add_note(
    *,
    case: Case,
    body: str,
    at: dt.datetime,
    actor: Actor | None,
    answered_by_phone: bool = False,
) -> CaseMessage:
    """An internal note on the case: seen by staff only, never sent. ``answered_by_phone``: the
    note records an answer given to the customer by phone, which counts as the first response
    (TOS-27) and waits for the customer like an emailed reply."""
    text = _clean_body(body)
    with transaction.atomic():
        locked = _locked(case)
        message = CaseMessage.objects.create(
            case=locked, direction=MessageDirection.NOTE, body=text, author=_staff(actor), at=at
        )
        audit.record(actor=actor, action=AuditAction.CREATED, obj=message, fields=["body"])
        if answered_by_phone and locked.state != State.CLOSED:
            changed = ["state"]
            if locked.first_responded_at is None:
                locked.first_responded_at = at
                changed.append("first_responded_at")
            locked.state = State.WAITING
            locked.save(update_fields=changed)
            audit.record(actor=actor, action=AuditAction.STATE_CHANGED, obj=locked, fields=changed)
    case.refresh_from_db()
    return message


def assign(*, case: Case, to: Any, at: dt.datetime, actor: Actor | None) -> Case:
    """Give the case to a care agent (``to``), or back to the queue (None)."""
    if to is not None and not any(has_role(to, key) for key in CARE_ROLES):
        raise DomainError(
            CareErrorCode.NOT_STAFF,
            _("Only a care agent or an administrator can take a case."),
            field="assigned_to",
        )
    with transaction.atomic():
        locked = _locked(case)
        locked.assigned_to = to
        locked.save(update_fields=["assigned_to"])
        audit.record(actor=actor, action=AuditAction.CHANGED, obj=locked, fields=["assigned_to"])
    case.refresh_from_db()
    return locked


def close(*, case: Case, at: dt.datetime, actor: Actor | None, note: str = "") -> Case:
    """Close the case (the question is resolved). A note, if given, is kept as internal."""
    with transaction.atomic():
        locked = _locked(case)
        _move(locked, rules.CaseState.CLOSED)
        locked.closed_at = at
        locked.save(update_fields=["state", "closed_at"])
        if note.strip():
            CaseMessage.objects.create(
                case=locked,
                direction=MessageDirection.NOTE,
                body=note.strip(),
                author=_staff(actor),
                at=at,
            )
        audit.record(
            actor=actor, action=AuditAction.STATE_CHANGED, obj=locked, fields=["state", "closed_at"]
        )
        _close_links(locked, at=at, actor=actor)
    case.refresh_from_db()
    return locked


def _close_links(case: Case, *, at: dt.datetime, actor: Actor | None) -> None:
    """Close what the case was opened for: its dropout cases, its delivery exception."""
    from hearth.devices import outreach
    from hearth.fulfilment.models import DeliveryExceptionCase
    from hearth.fulfilment.services import resolve_exception_case

    for link in case.links.all():
        if link.kind == CaseLink.Kind.DROPOUT:
            outreach.close_case(case_id=int(link.ref), at=at, actor=actor)
        elif link.kind == CaseLink.Kind.DELIVERY_EXCEPTION:
            exception = DeliveryExceptionCase.objects.filter(
                pk=int(link.ref), state=DeliveryExceptionCase.State.OPEN
            ).first()
            if exception is not None:
                resolve_exception_case(
                    case=exception,
                    note=_("Resolved in care case %(ref)s.") % {"ref": case.reference},
                    actor=actor,
                    at=at,
                )


def record_view(*, case: Case, actor: Actor | None) -> None:
    """A staff member opened the case (its personal data): one audit row per read."""
    audit.record(actor=actor, action=AuditAction.VIEWED, obj=case)


def open_attachment(*, attachment: CaseAttachment, actor: Actor | None) -> bytes:
    """The attachment's bytes, decrypted for a staff member; the read is audited."""
    audit.record(actor=actor, action=AuditAction.VIEWED, obj=attachment, fields=["content"])
    return base64.b64decode(attachment.content)


# --- Email in.


@dataclass(frozen=True)
class InboundEmail:
    """An email that reached care's address, already parsed by comms' inbound side."""

    recipients: Sequence[str]
    sender: str
    subject: str
    text: str
    message_id: str
    files: Sequence[IncomingFile] = ()
    sender_name: str = ""


def receive_email(*, email: InboundEmail, at: dt.datetime, actor: Actor | None = None) -> Case:
    """A customer's email lands on its case by the reply token in the address it was sent to
    (``care+<token>@<domain>``), never by the subject; no token, or one that matches no case,
    opens a new case. The same Message-ID delivered twice lands once. A closed case opens again.
    """
    if email.message_id:
        seen = (
            CaseMessage.objects.filter(email_message_id=email.message_id)
            .select_related("case")
            .first()
        )
        if seen is not None:
            return seen.case
    token = rules.token_from_addresses(email.recipients, reply_domain())
    case = Case.objects.filter(reply_token=token).first() if token else None
    sender = valid_email_address(email.sender) or ""
    files, kinds, refused = sort_files(email.files)
    if case is None:
        with transaction.atomic():
            opened = open_case(
                channel=Channel.EMAIL,
                email=sender,
                name=email.sender_name,
                subject=email.subject,
                body=email.text.strip() or email.subject or _("(no text)"),
                at=at,
                actor=actor,
                files=files,
                email_message_id=email.message_id or None,
            )
            _refused_note(opened, refused, at)
        return opened
    text = _clean_body(email.text.strip() or email.subject or _("(no text)"))
    with transaction.atomic():
        locked = _locked(case)
        message = CaseMessage.objects.create(
            case=locked,
            direction=MessageDirection.IN,
            body=text,
            at=at,
            email_message_id=email.message_id or None,
        )
        _store_files(message, files, kinds)
        _refused_note(locked, refused, at)
        changed = ["state"]
        if locked.state != State.OPEN:
            was_closed = locked.state == State.CLOSED
            _move(locked, rules.CaseState.OPEN)
            if was_closed:
                # A case opened again is a new question: the promise starts again.
                limits = rules.deadlines(at, policy.promise())
                locked.closed_at = None
                locked.first_responded_at = None
                locked.received_at = at
                locked.first_response_due = limits.first_response_due
                locked.resolution_target = limits.resolution_target
                changed += [
                    "closed_at",
                    "first_responded_at",
                    "received_at",
                    "first_response_due",
                    "resolution_target",
                ]
            locked.save(update_fields=changed)
        audit.record(actor=actor, action=AuditAction.CREATED, obj=message, fields=["body"])
    return locked


# --- The promise kept: telling the customer of a delay (TOS-27).


def tell_delay(*, case: Case, at: dt.datetime, actor: Actor | None = None) -> bool:
    """If the case is still waiting for care at its resolution target, email the customer a new
    date and move the target there. True when told. Safe to run twice: the second run finds the new
    target in the future."""
    promise = policy.promise()
    with transaction.atomic():
        locked = _locked(case)
        if not locked.email:
            return False  # nobody to email: the queue shows it late, care calls
        if not rules.needs_delay_notice(
            state=rules.CaseState(locked.state), resolution_target=locked.resolution_target, now=at
        ):
            return False
        locked.resolution_target = rules.extended_target(at, promise)
        locked.delay_notices += 1
        locked.save(update_fields=["resolution_target", "delay_notices"])
        with translation.override(locked.language):
            body = "\n\n".join(
                [
                    _greeting(locked),
                    _(
                        "Resolving your question (%(ref)s) is taking longer than we hoped. We "
                        "are still working on it, and expect to resolve it by %(date)s."
                    )
                    % {"ref": locked.reference, "date": _local(locked.resolution_target)},
                    _("To add anything, reply to this email."),
                    _sign_off(),
                ]
            )
            _send(
                locked,
                key=f"care:{locked.pk}:delay:{locked.delay_notices}",
                subject=_("Your question is taking longer"),
                body=body,
                at=at,
            )
        audit.record(
            actor=actor,
            action=AuditAction.CHANGED,
            obj=locked,
            fields=["resolution_target", "delay_notices"],
        )
    return True


def tell_delayed_cases(*, at: dt.datetime, actor: Actor | None = None) -> int:
    """:func:`tell_delay` for every case waiting for care at its resolution target; how many
    were told."""
    due = Case.objects.filter(state=State.OPEN, resolution_target__lte=at).exclude(email="")
    return sum(tell_delay(case=case, at=at, actor=actor) for case in due.order_by("id"))


#: The declared retention ``care_cases``: closed cases are kept two years after closing.
CLOSED_CASE_RETENTION = dt.timedelta(days=2 * 365)


def purge_closed_cases(*, at: dt.datetime) -> int:
    """Delete cases closed more than two years ago (retention ``care_cases``), with their
    messages and attachments. How many cases were deleted."""
    SupportAttempt.objects.filter(at__lt=at - dt.timedelta(days=1)).delete()  # the form's limit
    old = Case.objects.filter(state=State.CLOSED, closed_at__lt=at - CLOSED_CASE_RETENTION)
    ids = list(old.values_list("id", flat=True))
    if ids:
        Case.objects.filter(id__in=ids).delete()
    return len(ids)
