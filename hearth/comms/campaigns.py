"""Commercial email campaigns (issue #14 items 5-10; PP-8, PP-9, PP-12; CASL).

- **Compose** (:func:`save_campaign`): subject and a Markdown body, rendered to sanitised HTML
  (markdown-it-py, CommonMark with raw HTML off, then nh3) and plain text (the Markdown itself,
  never HTML-escaped). The sender identification (CASL s.6(2): name, mailing address, a way to
  reach them: ``settings.HEARTH_CASL_SENDER``) and the unsubscribe addresses are fixed on the
  campaign when it is saved, and the footer that shows them is added by the renderer, so no body
  can leave them out. Saving is refused when any of them is missing (the settings were emptied,
  or the unsubscribe page is not https in production): ``campaign_not_compliant``, and a
  database constraint says the same.
- **Audience** (:func:`audience`): customers (accounts, and guests by their order address) in
  the filters (province, language, product owned), decided by the consent ledger at send time in
  one pass (``privacy.selectors.consents_in_bulk``, the derivation of ``may_contact``), minus the
  suppression list; its size and breakdown by consent kind and by reason of exclusion.
- **Send** (:func:`start_sending`, :func:`send_batch`): one ``CampaignSend`` per recipient when
  sending starts, then batches through the task queue at the declared rate; each batch asks
  ``may_contact`` and the suppression list again for each recipient, and queues the email and
  marks the send in one transaction. Figures are aggregate only (sent, bounced, unsubscribed).

Unsubscribe addresses: every campaign message carries a link to ``/unsubscribe/<token>/``
(the token signs the encrypted address and the campaign, valid ``unsubscribe_link_days``), the
same URL as ``List-Unsubscribe`` https with ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``
(RFC 8058), and a ``mailto:`` to the unsubscribe mailbox tagged with the campaign
(``unsubscribe+c<id>-<mac>@``) so its figure counts it.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import hmac
import tomllib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache, lru_cache, partial
from pathlib import Path
from typing import Any

import nh3
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from markdown_it import MarkdownIt

from hearth.comms import rules, services, suppression
from hearth.comms.errors import CommsErrorCode
from hearth.comms.models import (
    Campaign,
    CampaignSend,
    CampaignSendState,
    CampaignStatus,
    OutboundKind,
)
from hearth.core import audit
from hearth.core.audit import Actor
from hearth.core.errors import DomainError
from hearth.privacy import crypto, subjects
from hearth.privacy import selectors as privacy_selectors
from hearth.privacy.rules import Kind

PURPOSE = "marketing_email"

POLICY_FILE = Path(__file__).resolve().parent / "data" / "campaigns.toml"
_SALT = "hearth.comms.unsubscribe"


@dataclass(frozen=True)
class CampaignPolicy:
    unsubscribe_link_days: int
    batch_size: int
    batch_interval_seconds: int


@cache
def policy() -> CampaignPolicy:
    with POLICY_FILE.open("rb") as fh:
        raw = tomllib.load(fh)
    for name in ("unsubscribe_link_days", "batch_size", "batch_interval_seconds"):
        if not isinstance(raw.get(name), int) or raw[name] < 1:
            raise ValueError(f"{POLICY_FILE.name}: {name} must be a positive whole number")
    if raw["unsubscribe_link_days"] < 60:
        raise ValueError(f"{POLICY_FILE.name}: CASL needs an unsubscribe valid 60 days or more")
    return CampaignPolicy(
        unsubscribe_link_days=raw["unsubscribe_link_days"],
        batch_size=raw["batch_size"],
        batch_interval_seconds=raw["batch_interval_seconds"],
    )


# --- Unsubscribe tokens.


@dataclass(frozen=True)
class UnsubscribeToken:
    address: str
    campaign_id: int | None


def unsubscribe_token(*, address: str, campaign_id: int | None) -> str:
    """A signed, timestamped token naming the address (encrypted: a URL lands in logs) and the
    campaign."""
    return signing.dumps(
        {"e": crypto.encrypt(address), "c": campaign_id}, salt=_SALT, compress=True
    )


def read_unsubscribe_token(token: str, *, max_age: dt.timedelta | None = None) -> UnsubscribeToken:
    """The address and campaign a token names. Raises ``signing.BadSignature`` when tampered
    with and ``signing.SignatureExpired`` (a subclass) when older than the link's life."""
    age = max_age or dt.timedelta(days=policy().unsubscribe_link_days)
    data = signing.loads(token, salt=_SALT, max_age=age)
    try:
        address = crypto.decrypt(str(data["e"]))
        campaign = data.get("c")
    except (KeyError, TypeError, crypto.DecryptionError) as exc:
        raise signing.BadSignature("unreadable unsubscribe token") from exc
    return UnsubscribeToken(address=address, campaign_id=int(campaign) if campaign else None)


def _tag_mac(campaign_id: int) -> str:
    key = hashlib.sha256((_SALT + settings.SECRET_KEY).encode("utf-8")).digest()
    return hmac.new(key, str(campaign_id).encode("ascii"), hashlib.sha256).hexdigest()[:10]


def mailbox_tag(campaign_id: int) -> str:
    """The ``+tag`` of the unsubscribe mailbox for one campaign (fits a 64-character local
    part)."""
    return f"c{campaign_id}-{_tag_mac(campaign_id)}"


def campaign_of_mailbox_tag(tag: str) -> int | None:
    """The campaign a mailbox tag names, or None if it is not one of ours."""
    head, _dash, mac = tag.partition("-")
    if not head.startswith("c") or not head[1:].isdigit():
        return None
    campaign_id = int(head[1:])
    return campaign_id if hmac.compare_digest(mac, _tag_mac(campaign_id)) else None


def unsubscribe_mailto(campaign_id: int) -> str:
    """``mailto:`` of the unsubscribe mailbox tagged with the campaign."""
    local, _at, domain = str(settings.HEARTH_UNSUBSCRIBE_MAILBOX).rpartition("@")
    return f"mailto:{local}+{mailbox_tag(campaign_id)}@{domain}?subject=unsubscribe"


def unsubscribe_url(token: str) -> str:
    return f"{settings.HEARTH_SITE_URL}/unsubscribe/{token}/"


# --- Compose.


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False})
_ALLOWED_TAGS = {
    "p", "br", "strong", "em", "a", "ul", "ol", "li", "h1", "h2", "h3", "h4", "blockquote",
    "code", "pre", "hr",
}  # fmt: skip


@lru_cache(maxsize=32)  # rendered once per campaign body, not once per recipient
def body_html(markdown: str) -> str:
    """The body's HTML: CommonMark with raw HTML escaped, then sanitised (links kept, with
    ``rel="noopener noreferrer"``; no script, style, image or tracking pixel)."""
    return nh3.clean(
        _MARKDOWN.render(markdown),
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"https", "http", "mailto"},
        link_rel="noopener noreferrer",
    )


def render(campaign: Campaign, *, address: str, test: bool = False) -> Rendered:
    """One recipient's message: the body, then the footer that identifies the sender and
    carries this recipient's unsubscribe link (CASL s.6(2), s.11)."""
    token = unsubscribe_token(address=address, campaign_id=campaign.pk)
    context = {
        "campaign": campaign,
        "body_html": body_html(campaign.body),
        "body_text": campaign.body.strip(),
        "unsubscribe_url": unsubscribe_url(token),
        "test": test,
    }
    subject = (
        (_("[Test] %(subject)s") % {"subject": campaign.subject}) if test else campaign.subject
    )
    return Rendered(
        subject=subject,
        text=render_to_string("comms/email/campaign.txt", context),
        html=render_to_string("comms/email/campaign.html", context),
    )


def list_headers(campaign: Campaign, *, address: str) -> dict[str, str]:
    """RFC 2369 / RFC 8058 headers: the https one-click address and the mailto."""
    token = unsubscribe_token(address=address, campaign_id=campaign.pk)
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(token)}>, <{unsubscribe_mailto(campaign.pk)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _identification() -> tuple[rules.SenderIdentification, str, str]:
    sender = settings.HEARTH_CASL_SENDER
    identity = rules.SenderIdentification(
        name=str(sender.get("name", "")),
        mailing_address=str(sender.get("mailing_address", "")),
        contact=str(sender.get("contact", "")),
    )
    return (
        identity,
        f"{settings.HEARTH_SITE_URL}/unsubscribe/",
        str(settings.HEARTH_UNSUBSCRIBE_MAILBOX or ""),
    )


def compliance_problems() -> dict[str, str]:
    """What keeps any campaign from being saved now (the settings' sender identification and
    unsubscribe addresses): {field: problem}, empty when all is there."""
    identity, page, mailbox = _identification()
    return rules.casl_problems(
        sender=identity,
        unsubscribe_url=page,
        unsubscribe_mailbox=mailbox,
        require_https=bool(getattr(settings, "PRODUCTION", False)),
    )


def save_campaign(
    *,
    campaign: Campaign | None,
    subject: str,
    body: str,
    language: str = "",
    provinces: Sequence[str] = (),
    product_skus: Sequence[str] = (),
    at: dt.datetime,
    actor: Actor | None,
) -> Campaign:
    """Create or change a draft or scheduled campaign; refused (nothing saved) without sender
    identification or unsubscribe addresses, or once it has started sending."""
    identity, page, mailbox = _identification()
    problems = compliance_problems()
    if problems:
        raise DomainError(
            CommsErrorCode.CAMPAIGN_NOT_COMPLIANT,
            _(
                "A campaign must identify its sender (name, mailing address, contact) and "
                "carry a working unsubscribe; missing: %(what)s."
            )
            % {"what": ", ".join(sorted(problems))},
            fields={name: _("Missing or invalid.") for name in problems},
        )
    if not subject.strip() or not body.strip():
        raise DomainError(
            CommsErrorCode.CAMPAIGN_NOT_COMPLIANT,
            _("A campaign needs a subject and a body."),
            fields={
                **({"subject": _("Required.")} if not subject.strip() else {}),
                **({"body": _("Required.")} if not body.strip() else {}),
            },
        )
    with transaction.atomic():
        if campaign is None:
            campaign = Campaign(created_at=at)
            action = audit.AuditAction.CREATED
        else:
            campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
            if campaign.status not in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED):
                raise DomainError(
                    CommsErrorCode.CAMPAIGN_NOT_EDITABLE,
                    _("A campaign that has started sending cannot be changed."),
                )
            action = audit.AuditAction.CHANGED
        campaign.subject = subject.strip()
        campaign.body = body
        campaign.language = language
        campaign.provinces = sorted(set(provinces))
        campaign.product_skus = sorted(set(product_skus))
        campaign.sender_name = identity.name
        campaign.sender_mailing_address = identity.mailing_address
        campaign.sender_contact = identity.contact
        campaign.unsubscribe_url = page
        campaign.unsubscribe_mailto = mailbox
        campaign.save()
        audit.record(
            actor=actor,
            action=action,
            obj=campaign,
            fields=["subject", "body", "language", "provinces", "product_skus"],
        )
    return campaign


def _move(campaign: Campaign, to: rules.CampaignState, *, actor: Actor | None) -> None:
    if not rules.campaign_may_move(rules.CampaignState(campaign.status), to):
        raise DomainError(
            CommsErrorCode.CAMPAIGN_NOT_EDITABLE,
            _("A %(status)s campaign cannot become %(to)s.")
            % {"status": campaign.get_status_display(), "to": CampaignStatus(to).label},
        )
    campaign.status = to
    audit.record(
        actor=actor, action=audit.AuditAction.STATE_CHANGED, obj=campaign, fields=["status"]
    )


def schedule_campaign(
    *, campaign: Campaign, send_at: dt.datetime, at: dt.datetime, actor: Actor | None
) -> Campaign:
    """Send it at ``send_at`` (in the future): the periodic ``run_campaigns`` starts it."""
    if send_at <= at:
        raise DomainError(
            CommsErrorCode.CAMPAIGN_BAD_SCHEDULE,
            _("Choose a time in the future."),
            field="send_at",
        )
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        _move(locked, rules.CampaignState.SCHEDULED, actor=actor)
        locked.send_at = send_at
        locked.save(update_fields=["status", "send_at"])
    return locked


def cancel_campaign(*, campaign: Campaign, actor: Actor | None) -> Campaign:
    """Stop a scheduled or sending campaign: no further batch queues anything."""
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        _move(locked, rules.CampaignState.CANCELLED, actor=actor)
        locked.save(update_fields=["status"])
    return locked


# --- Audience.


@dataclass(frozen=True)
class Recipient:
    address: str
    customer_id: int | None
    kind: Kind


@dataclass
class Audience:
    """Who gets the campaign now and who does not, and why (figures before sending)."""

    recipients: list[Recipient] = field(default_factory=list)
    by_kind: Counter[str] = field(default_factory=Counter)
    excluded: Counter[str] = field(default_factory=Counter)
    outside_filters: int = 0

    @property
    def size(self) -> int:
        return len(self.recipients)

    def figures(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "express": self.by_kind.get(Kind.EXPRESS, 0),
            "implied": self.by_kind.get(Kind.IMPLIED, 0),
            "excluded": {reason.value: self.excluded.get(reason, 0) for reason in rules.Exclusion},
            "outside_filters": self.outside_filters,
        }


class _Person:
    """One customer while an audience is decided (slots: 100,000 of them)."""

    __slots__ = ("address", "chose", "customer_id", "language", "proven", "provinces", "skus")

    def __init__(
        self, address: str, customer_id: int | None = None, proven: bool = False, language: str = ""
    ):
        self.address = address
        self.customer_id = customer_id
        self.proven = proven
        self.provinces: set[str] = set()
        # Issue #16: the language the customer chose (their account's) wins over their orders'.
        self.language = language
        self.chose = bool(language)
        self.skus: set[str] = set()


def _people() -> dict[str, _Person]:
    """Every customer by normalised address: accounts (not staff), and guests by the address
    of their orders; with the provinces, language (the account's stored choice, else the latest
    order's) and SKUs of their orders. Four queries whatever the number of customers."""
    from hearth.orders.models import Order, OrderLine, OrderStatus

    people: dict[str, _Person] = {}
    by_customer: dict[int, _Person] = {}
    users = (
        get_user_model()
        ._default_manager.filter(is_active=True, is_staff=False)
        .annotate(proven=ExpressionWrapper(Q(email_verified_at__isnull=False), BooleanField()))
        .values_list("pk", "email", "proven", "language")
        .iterator(chunk_size=20_000)
    )
    for pk, email, proven, language in users:
        address = crypto.normalise(email or "")
        if not address:
            continue
        person = _Person(address=address, customer_id=pk, proven=bool(proven), language=language)
        people[address] = person
        by_customer[pk] = person
    orders = (
        Order.objects.exclude(status=OrderStatus.CANCELLED)
        .order_by("placed_at", "pk")  # the latest order's language wins
        .values_list("pk", "customer_id", "email", "province", "language")
        .iterator(chunk_size=20_000)
    )
    by_order: dict[int, _Person] = {}
    for pk, customer_id, email, province, language in orders:
        found = by_customer.get(customer_id) if customer_id is not None else None
        if found is None:
            address = crypto.normalise(email or "")
            if not address:
                continue
            found = people.setdefault(address, _Person(address=address))
        person = found
        person.provinces.add(province)
        if language and not person.chose:
            person.language = language
        by_order[pk] = person
    lines = OrderLine.objects.exclude(order__status=OrderStatus.CANCELLED).values_list(
        "order_id", "sku"
    )
    for order_id, sku in lines.iterator(chunk_size=50_000):
        owner = by_order.get(order_id)
        if owner is not None:
            owner.skus.add(sku)
    return people


def _in_filters(person: _Person, campaign: Campaign) -> bool:
    if campaign.provinces and not (person.provinces & set(campaign.provinces)):
        return False
    if campaign.language and (person.language or settings.LANGUAGE_CODE) != campaign.language:
        return False
    return not (campaign.product_skus and not (person.skus & set(campaign.product_skus)))


def audience(campaign: Campaign, *, at: dt.datetime) -> Audience:
    """The campaign's audience if it were sent at ``at`` (see the module's doc). The garbage
    collector waits meanwhile: hundreds of thousands of short-lived tuples would otherwise set
    off full collections of the whole process for nothing."""
    paused = gc.isenabled()
    gc.disable()
    try:
        return _audience(campaign, at=at)
    finally:
        if paused:
            gc.enable()


def _audience(campaign: Campaign, *, at: dt.datetime) -> Audience:
    people = _people()
    result = Audience()
    inside = [p for p in people.values() if _in_filters(p, campaign)]
    result.outside_filters = len(people) - len(inside)
    digests = crypto.keyed_hashes(p.address for p in inside)
    hashes = {p.address: digest for p, digest in zip(inside, digests, strict=True)}
    wanted = [
        privacy_selectors.Person(
            key=p.address,
            user_id=p.customer_id,
            # An account's address counts only once proven, exactly as may_contact reads it.
            email_hash=digest if p.customer_id is None or p.proven else "",
        )
        for p, digest in zip(inside, digests, strict=True)
    ]
    verdicts = privacy_selectors.consents_in_bulk(purpose=PURPOSE, at=at, people=wanted)
    suppressed = suppression.suppressed_hashes()
    for item in wanted:
        verdict = verdicts[item.key]
        state = verdict.state
        suppressed_at = suppressed.get(hashes[item.key])
        express_since = state.since if state.granted and state.kind == Kind.EXPRESS else None
        reason = rules.exclusion(
            granted=state.granted,
            withdrawn=not state.granted and state.since is not None,
            ever_granted=verdict.ever_granted,
            suppressed=rules.suppressed_now(
                suppressed_at=suppressed_at, express_since=express_since
            ),
        )
        if reason is not None:
            result.excluded[reason] += 1
            continue
        kind = Kind(state.kind) if state.kind else Kind.EXPRESS
        result.by_kind[kind] += 1
        result.recipients.append(Recipient(address=item.key, customer_id=item.user_id, kind=kind))
    return result


# --- Test send.


def send_test(*, campaign: Campaign, to: str, at: dt.datetime, actor: Actor | None) -> None:
    """The campaign as a recipient will see it, marked [Test], to a staff member's own address
    (``to``: the signed-in staff member's email; nobody else)."""
    message = render(campaign, address=to, test=True)
    with transaction.atomic():
        services.queue_email(
            key=f"campaign:{campaign.pk}:test:{crypto.keyed_hash(to)}:{at.timestamp()}",
            to=[to],
            subject=message.subject,
            body=message.text,
            html_body=message.html,
            at=at,
            from_address=settings.HEARTH_CAMPAIGN_FROM_EMAIL,
            kind=OutboundKind.MARKETING,
            headers=list_headers(campaign, address=to),
            actor=actor,
        )
        audit.record(actor=actor, action=CampaignAction.TEST_SENT, obj=campaign, fields=[])


# --- Sending.


def start_sending(*, campaign: Campaign, at: dt.datetime, actor: Actor | None) -> Campaign:
    """Decide the audience now, write one pending send per recipient, record the figures, and
    enqueue the first batch. Safe to repeat: a campaign already sending only gets its next
    batch enqueued again."""
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status == CampaignStatus.SENDING:
            transaction.on_commit(partial(_enqueue_batch, locked.pk))
            return locked
        _move(locked, rules.CampaignState.SENDING, actor=actor)
        decided = audience(locked, at=at)
        CampaignSend.objects.bulk_create(
            [
                CampaignSend(
                    campaign=locked,
                    recipient_hash=crypto.keyed_hash(r.address),
                    address=r.address,
                    customer_id=r.customer_id,
                    at=at,
                )
                for r in decided.recipients
            ],
            batch_size=2_000,
            ignore_conflicts=True,
        )
        locked.audience_figures = decided.figures()
        locked.started_at = at
        locked.save(update_fields=["status", "audience_figures", "started_at"])
        transaction.on_commit(partial(_enqueue_batch, locked.pk))
    return locked


def _enqueue_batch(campaign_id: int, *, run_after: dt.datetime | None = None) -> None:
    from hearth.core.enqueue import enqueue_or_keep

    enqueue_or_keep("hearth.comms.tasks.send_campaign_batch", [campaign_id], run_after)


def _may_still_contact(send: CampaignSend, users: dict[int, Any], at: dt.datetime) -> bool:
    user = users.get(send.customer_id) if send.customer_id is not None else None
    if send.customer_id is not None and user is None:
        return False  # the account is gone or deactivated
    email = send.address if user is None else (subjects.proven_email(user) or None)
    if not privacy_selectors.may_contact(purpose=PURPOSE, at=at, user=user, email=email):
        return False
    return not suppression.is_suppressed(send.address)


def send_batch(*, campaign_id: int, at: dt.datetime) -> int:
    """One batch: for each of the next pending recipients, ask ``may_contact`` and the
    suppression list again, then queue its email (DKIM-signed when delivered) and mark it, all
    in one transaction; the deliveries go after the commit. Enqueues the next batch after the
    declared interval, or marks the campaign sent. Returns the messages queued."""
    size = policy().batch_size
    queued = 0
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if campaign is None or campaign.status != CampaignStatus.SENDING:
            return 0
        batch = list(
            CampaignSend.objects.filter(
                campaign=campaign, state=CampaignSendState.PENDING
            ).order_by("id")[:size]
        )
        ids = {s.customer_id for s in batch if s.customer_id is not None}
        users = {
            u.pk: u for u in get_user_model()._default_manager.filter(pk__in=ids, is_active=True)
        }
        for send in batch:
            if not _may_still_contact(send, users, at):
                send.state = CampaignSendState.SKIPPED
                send.save(update_fields=["state"])
                continue
            message = render(campaign, address=send.address)
            row = services.queue_email(
                key=f"campaign:{campaign.pk}:{send.recipient_hash}",
                to=[send.address],
                subject=message.subject,
                body=message.text,
                html_body=message.html,
                at=at,
                from_address=settings.HEARTH_CAMPAIGN_FROM_EMAIL,
                kind=OutboundKind.MARKETING,
                headers=list_headers(campaign, address=send.address),
            )
            send.state = CampaignSendState.QUEUED
            send.outbound = row
            send.save(update_fields=["state", "outbound"])
            queued += 1
        more = CampaignSend.objects.filter(
            campaign=campaign, state=CampaignSendState.PENDING
        ).exists()
        if more:
            later = at + dt.timedelta(seconds=policy().batch_interval_seconds)
            transaction.on_commit(partial(_enqueue_batch, campaign.pk, run_after=later))
        else:
            campaign.status = CampaignStatus.SENT
            campaign.finished_at = at
            campaign.save(update_fields=["status", "finished_at"])
            audit.record(
                actor=None,
                action=audit.AuditAction.STATE_CHANGED,
                obj=campaign,
                fields=["status"],
            )
    return queued


def run_due(*, at: dt.datetime) -> int:
    """The periodic run: start scheduled campaigns that are due, and enqueue a batch for each
    campaign still sending (its batch task may have been lost). Returns the campaigns touched."""
    touched = 0
    for campaign in Campaign.objects.filter(status=CampaignStatus.SCHEDULED, send_at__lte=at):
        start_sending(campaign=campaign, at=at, actor=None)
        touched += 1
    for pk in Campaign.objects.filter(status=CampaignStatus.SENDING).values_list("pk", flat=True):
        _enqueue_batch(pk)
        touched += 1
    return touched


class CampaignAction(StrEnum):
    TEST_SENT = "test_sent"


def send_unsubscribe_link(*, address: str, at: dt.datetime) -> None:
    """Email a fresh unsubscribe link to ``address`` (a service message, no marketing), at
    most once an hour per address; forgotten once sent."""
    token = unsubscribe_token(address=address, campaign_id=None)
    body = render_to_string(
        "comms/email/unsubscribe_link.txt",
        {"unsubscribe_url": unsubscribe_url(token), "brand": settings.HEARTH_BRAND},
    )
    subject, _sep, text = body.partition("\n")
    with transaction.atomic():
        services.queue_email(
            key=f"unsubscribe-link:{crypto.keyed_hash(address)}:{at:%Y%m%d%H}",
            to=[address],
            subject=subject.strip(),
            body=text.lstrip(),
            at=at,
            forget_once_sent=True,
        )
