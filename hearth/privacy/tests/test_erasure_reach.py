"""Erasure reaches every table linked to the person (issue #10 item 12; PP-15, PP-4).

A person who touched every app is erased; then every table of the project (``apps.get_models``,
Django's and the libraries' included) is scanned for anything still holding their user ID, their
email (plain or keyed hash) or one of their household IDs. Only the rows a declared legal duty
holds (a ``RetentionHold``) may still hold them, and the anonymised account row its own ID.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.test import Client

from hearth.accounts.models import Address
from hearth.checkout.models import Basket, BasketLine
from hearth.checkout.services import add_to_basket
from hearth.comms.models import OutboxMessage
from hearth.core import audit
from hearth.devices import rollups
from hearth.devices import services as devices
from hearth.devices.models import (
    DailyRollup,
    DailyRollupHousehold,
    Household,
    HouseholdProduct,
    TelemetryBatch,
    TelemetryEvent,
    Tier,
    WeeklyServiceHouseholds,
)
from hearth.devices.models_reports import DropoutCase
from hearth.fulfilment.models import KnownForwarder
from hearth.orders.models import CancellationReason, Order, OrderStatus
from hearth.orders.services import cancel_order, place_order
from hearth.orders.tests.conftest import APPROVE_VISA, T0, card_token, draft, make_variant
from hearth.privacy import crypto, inventory, rules, services
from hearth.privacy.models import (
    ConsentKind,
    ConsentRecord,
    DataRequest,
    Disclosure,
    PolicyAcknowledgement,
    PolicyDocument,
    Purpose,
    RetentionHold,
)
from hearth.privacy.rules import LinkTarget

pytestmark = pytest.mark.django_db

EMAIL = "Robin.Erasable@Example.com"
OTHER_EMAIL = "sam.bystander@example.com"
PERSON_ID = 7_654_321  # distinctive, so that a stray copy in any column or JSON is found
OUTBOX = "hearth.comms.backends.OutboxBackend"
LATER = T0 + dt.timedelta(days=40)


@pytest.fixture(autouse=True)
def _quick(settings):
    settings.PASSWORD_HASHERS = ["hearth.accounts.tests.conftest.QuickArgon2PasswordHasher"]
    settings.EMAIL_BACKEND = OUTBOX
    services.load_policies()


def _household(email: str, *, serial: str, capture: Any) -> Household:
    """Set up, register (opted in) and confirm a household through the devices services, the
    confirmation link read from the emailed message."""
    hh, _token = devices.create_household(serials=[serial], at=T0)
    with capture(execute=True):
        devices.register_household(
            household=hh,
            email=email,
            postal_code="K1A 0B1",
            country="CA",
            tier=Tier.REGISTERED_OPT_IN,
            at=T0,
        )
    message = OutboxMessage.objects.filter(subject__icontains="confirm").order_by("-id").first()
    assert message is not None
    match = re.search(r"/devices/confirm/([^/\s]+)/", message.body)
    assert match is not None
    return devices.confirm_registration(token=match.group(1), at=T0)


def _dropouts(hh: Household, *, prefix: str) -> None:
    """Five dropouts in a day: telemetry, and (opted in) a proactive care case (PP-19)."""
    events = [
        {
            "client_event_id": f"{prefix}-{n}",
            "device_ts": (T0 + dt.timedelta(hours=n)).isoformat(),
            "type": "playback_error",
            "service": "tunewave",
            "kind": "dropout",
            "count": 1,
        }
        for n in range(5)
    ]
    result = devices.ingest_batch(household=hh, events=events, at=T0 + dt.timedelta(hours=6))
    assert result.rejected == []


def _order(user: Any, email: str, *, key: str, guest: bool, capture: Any) -> Order:
    with capture(execute=True):
        order = place_order(
            draft=draft(customer=None if guest else user, email=email, marketing_opt_in=guest),
            payment_token=card_token(APPROVE_VISA),
            payment_method="card",
            idempotency_key=key,
            channel="web",
            at=T0,
        )
    # Erasure waits for open orders; a cancelled (and refunded) one is closed but kept by law.
    return cancel_order(order=order, reason=CancellationReason.MANIFEST_ERROR, actor=None, at=T0)


def _touch_every_app(email: str, *, pk: int | None, serial: str, capture: Any) -> dict[str, Any]:
    """A person who has an account with an address, a basket, consents, a policy acknowledgement,
    a data request, an account order and a guest order, a registered household with telemetry,
    rollups and a dropout case, mail in the outbox, and two sessions (signed in; a guest checkout
    that remembers the email)."""
    extra = {"id": pk} if pk else {}
    user = get_user_model().objects.create_user(
        email=email,
        password="correct horse battery 9",
        full_name="Robin Example",
        email_verified_at=dt.datetime(
            2026, 1, 5, tzinfo=dt.UTC
        ),  # a proven email: rows found by it are the person's (PP-15)
        **extra,
    )
    Address.objects.create(
        user=user,
        name="Robin Example",
        lines="1 Example St",
        city="Ottawa",
        province="ON",
        postal_code="K1A 0B1",
        phone="613-555-0100",
        created_at=T0,
        updated_at=T0,
    )
    basket = Basket.objects.create(user=user, updated_at=T0)
    add_to_basket(basket=basket, sku="EO-ONE-OAK", quantity=1, at=T0)
    services.record_consent(
        purpose=Purpose.MARKETING_EMAIL,
        granted=True,
        kind=ConsentKind.EXPRESS,
        source="My Stuff",
        at=T0,
        user=user,
        actor=user,
    )
    services.acknowledge_policy(
        user=user,
        document=PolicyDocument.objects.get(kind="privacy", version="2026.2"),
        at=T0,
    )
    with capture(execute=True):
        services.open_data_request(user=user, kind="access", at=T0)
    orders = [
        _order(user, email, key=f"{serial}-account", guest=False, capture=capture),
        _order(user, email.lower(), key=f"{serial}-guest", guest=True, capture=capture),
    ]
    hh = _household(email, serial=serial, capture=capture)
    _dropouts(hh, prefix=serial)
    # Staff corrected the name in the back office: Django's admin history and Hearth's audit log.
    staff = get_user_model().objects.create_user(
        email=f"staff-{serial.lower()}@example.com", password="x" * 12, is_staff=True
    )
    LogEntry.objects.log_actions(
        user_id=staff.pk,
        queryset=get_user_model().objects.filter(pk=user.pk),
        action_flag=CHANGE,
        change_message=[{"changed": {"fields": ["Full name"]}}],
        single_object=True,
    )
    audit.record(actor=staff, action=audit.AuditAction.CHANGED, obj=user, fields=["full_name"])
    audit.record(actor=None, action=audit.AuditAction.CREATED, obj=hh)
    client = Client()
    client.force_login(user)
    guest = SessionStore()
    guest["checkout"] = {"email": email, "name": "Robin Example"}
    guest.create()
    return {"user": user, "household": hh, "orders": orders, "client": client}


def _texts(value: Any) -> str:
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("latin-1").casefold()
    if isinstance(value, dict | list):
        return json.dumps(value, default=str).casefold()
    return str(value).casefold()


def scan(*, person_pk: int, email: str, household_ids: list[int]) -> list[str]:
    """Every column of every table still holding the person's ID, email (plain or keyed hash)
    or a household ID, except in rows a legal hold keeps."""
    user_label = settings.AUTH_USER_MODEL
    held = set(RetentionHold.objects.values_list("model", "object_pk"))
    text_needles = [crypto.normalise(email), crypto.keyed_hash(email), str(person_pk)]
    text_needles += [str(h) for h in household_ids]
    int_needles = {person_pk, *household_ids}
    findings: list[str] = []
    store = SessionStore()
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:  # no table of its own to hold data
            continue
        label = model._meta.label
        fields = model._meta.concrete_fields
        for row in model._base_manager.values_list(*[f.attname for f in fields]):
            pk = row[[f.primary_key for f in fields].index(True)]
            if (label, str(pk)) in held:
                continue
            own_account = label == user_label and pk == person_pk
            for field, value in zip(fields, row, strict=True):
                if value is None:
                    continue
                if model is Session and field.name == "session_data":
                    value = store.decode(value)
                needles = text_needles
                if own_account:  # the anonymised row keeps its ID (held rows point at it)
                    if field.primary_key:
                        continue
                    needles = [n for n in text_needles if n != str(person_pk)]
                if isinstance(value, int) and not isinstance(value, bool):
                    if value in int_needles and not (own_account and field.primary_key):
                        findings.append(f"{label}#{pk}.{field.name} = {value}")
                    continue
                text = _texts(value)
                findings.extend(
                    f"{label}#{pk}.{field.name} holds {needle!r}"
                    for needle in needles
                    if needle and needle in text
                )
    return findings


@pytest.mark.promise("PP-15")
@pytest.mark.promise("PP-4")
def test_erasure_leaves_nothing_linked_to_the_person_outside_legal_holds(
    django_capture_on_commit_callbacks, smtp_server, settings
):
    settings.EMAIL_BACKEND = OUTBOX
    make_variant("EO-ONE-OAK", "199.00", 20)
    person = _touch_every_app(
        EMAIL, pk=PERSON_ID, serial="EO-ONE-P0001", capture=django_capture_on_commit_callbacks
    )
    other = _touch_every_app(
        OTHER_EMAIL, pk=None, serial="EO-ONE-B0001", capture=django_capture_on_commit_callbacks
    )
    rollups.roll_up_events(at=LATER, settle=dt.timedelta(0))
    household_ids = [person["household"].id]
    user = person["user"]

    # The person really did touch every app before erasure: the scan finds them everywhere.
    before = scan(person_pk=user.pk, email=EMAIL, household_ids=household_ids)
    touched = {finding.split("#")[0] for finding in before}
    assert {
        "accounts.Address",
        "admin.LogEntry",
        "checkout.Basket",
        "core.AuditEvent",
        "comms.OutboxMessage",
        "devices.DailyRollupHousehold",
        "devices.DropoutCase",
        "devices.Household",
        "devices.HouseholdProduct",
        "devices.TelemetryBatch",
        "devices.TelemetryEvent",
        "devices.WeeklyServiceHouseholds",
        "orders.Order",
        "privacy.ConsentRecord",
        "privacy.DataRequest",
        "privacy.PolicyAcknowledgement",
        "sessions.Session",
    } <= touched
    other_rows = _rows_of(other)

    # The confirmation goes to a real SMTP server, so that it leaves no outbox copy behind.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        outcome = services.request_erasure(user=user, at=LATER)
    assert outcome.erased, outcome.blockers
    [confirmation] = smtp_server.wait_for(1)
    assert confirmation["To"] == EMAIL.lower()

    assert scan(person_pk=user.pk, email=EMAIL, household_ids=household_ids) == []
    held = sorted(set(RetentionHold.objects.values_list("model", flat=True)))
    assert held == [
        "admin.LogEntry",
        "core.AuditEvent",
        "orders.Order",
        "payments.Payment",
        "payments.PaymentToken",
        "privacy.ConsentRecord",
        "privacy.DataRequest",
        "privacy.Disclosure",
    ]
    # Held admin history no longer spells the email it named the account by.
    [entry] = LogEntry.objects.filter(object_id=str(PERSON_ID))
    assert entry.object_repr == f"accounts.User#{PERSON_ID}"
    # Orders stay as tax records, minimised: the delivery phone goes, the invoice stays.
    for order in person["orders"]:
        order.refresh_from_db()
        assert (order.status, order.phone, order.email) == (OrderStatus.CANCELLED, "", order.email)
        assert order.invoice_number
    assert Order.objects.filter(customer=user).count() == 1
    # Aggregates name no household and stay; nothing of the bystander went.
    assert DailyRollup.objects.exists()
    assert _rows_of(other) == other_rows
    assert other["client"].get("/my-stuff/").status_code == 200
    assert person["client"].get("/my-stuff/").status_code == 302


def _rows_of(who: dict[str, Any]) -> dict[str, int]:
    user, hh = who["user"], who["household"]
    return {
        "addresses": Address.objects.filter(user=user).count(),
        "baskets": BasketLine.objects.filter(basket__user=user).count(),
        "households": Household.objects.filter(customer=user).count(),
        "products": HouseholdProduct.objects.filter(household=hh).count(),
        "events": TelemetryEvent.objects.filter(household_id=hh.id).count(),
        "batches": TelemetryBatch.objects.filter(household_id=hh.id).count(),
        "daily": DailyRollupHousehold.objects.filter(household_id=hh.id).count(),
        "weekly": WeeklyServiceHouseholds.objects.filter(household_id=hh.id).count(),
        "cases": DropoutCase.objects.filter(household_id=hh.id).count(),
        "consents": ConsentRecord.objects.filter(user=user).count(),
        "acks": PolicyAcknowledgement.objects.filter(user=user).count(),
        "requests": DataRequest.objects.filter(user=user).count(),
        "disclosures": Disclosure.objects.filter(subject=user).count(),
        "orders": Order.objects.filter(email__iexact=user.email).count(),
        "outbox": OutboxMessage.objects.filter(to_addresses__icontains=user.email).count(),
        "sessions": sum(
            1 for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(user.pk)
        ),
    }


@pytest.mark.promise("PP-15")
def test_a_link_declared_clear_loses_the_person_but_the_row_stays():
    staff = get_user_model().objects.create_user(email="clerk@example.com", password="x" * 12)
    forwarder = KnownForwarder.objects.create(
        line="2500 Meyerside Dr", postal_code="L5T 1V3", added_by=staff
    )
    services.request_erasure(user=staff, at=LATER)
    forwarder.refresh_from_db()
    assert (forwarder.line, forwarder.added_by_id) == ("2500 Meyerside Dr", None)


# --- The inventory check: a column linking to a person cannot escape erasure (privacy.E003).


@pytest.mark.promise("PP-15")
def test_every_column_linking_to_a_person_is_declared_with_its_erasure():
    assert inventory.undeclared_link_columns() == []
    declared = {(link.model, link.field) for link in inventory.declared_links()}
    assert {
        ("devices.DailyRollupHousehold", "household_id"),
        ("devices.WeeklyServiceHouseholds", "household_id"),
        ("devices.DropoutCase", "household_id"),
        ("devices.TelemetryEvent", "household"),
        ("devices.TelemetryBatch", "household"),
        ("checkout.Basket", "user"),
        ("orders.Order", "customer"),
    } <= declared
    # Proxies share their parent's table: declared once, on the parent.
    assert ("orders.OrderToShip", "customer") not in declared


@pytest.mark.promise("PP-15")
def test_an_undeclared_link_column_fails_the_system_check(monkeypatch):
    real = inventory.load_inventory()
    without = tuple(link for link in real.links if link.model != "devices.DropoutCase")
    monkeypatch.setattr(
        inventory, "load_inventory", lambda: dataclasses.replace(real, links=without)
    )
    errors = [(e.id, e.msg) for e in inventory.check_inventory()]
    assert errors == [
        (
            "privacy.E003",
            "devices.DropoutCase.household_id links rows to a person, but erasure is not told "
            "what to do.",
        )
    ]


@pytest.mark.parametrize(
    ("column", "points_to", "links"),
    [
        ("household_id", None, True),
        ("owner_household_id", None, True),
        ("customer", None, True),
        ("customer_id", None, True),
        ("Customer_ID", None, True),
        ("added_by_id", LinkTarget.USER, True),
        ("hh_id", LinkTarget.HOUSEHOLD, True),
        ("household_count", None, False),
        ("households", None, False),
        ("customers", None, False),
        ("customer_note", None, False),
        ("code_id", None, False),
    ],
)
def test_which_columns_link_to_a_person(column, points_to, links):
    assert rules.links_to_person(column=column, points_to=points_to) is links


@pytest.mark.parametrize(
    ("erasure", "target", "retention", "keeps", "problems"),
    [
        ("delete", "household", None, None, []),
        ("keep", "user", "tax_records", True, []),
        ("keep", "user", None, None, ["erasure = 'keep' needs a retention"]),
        (
            "keep",
            "user",
            "outbox_90_days",
            False,
            ["retention 'outbox_90_days' does not keep rows on erasure"],
        ),
        ("keep", "user", "forever", None, ["unknown retention 'forever'"]),
        (
            "clear",
            "user",
            "tax_records",
            True,
            ["a retention only goes with erasure = 'keep', not 'clear'"],
        ),
        (
            "shred",
            "person",
            None,
            None,
            [
                "unknown target 'person' (use user, household)",
                "unknown erasure 'shred' (use delete, clear, keep, eraser)",
            ],
        ),
    ],
)
def test_link_declarations_are_validated(erasure, target, retention, keeps, problems):
    assert (
        rules.link_problems(
            erasure=erasure, target=target, retention=retention, retention_keeps=keeps
        )
        == problems
    )


@pytest.mark.parametrize(
    ("column", "siblings", "generic"),
    [
        ("object_id", ["id", "object_type", "object_id"], True),
        ("object_id", ["id", "content_type_id", "object_id"], True),
        ("target_object_id", ["object_type"], True),
        ("object_id", ["id", "object_id"], False),
        ("object_pk", ["model", "object_pk"], False),
        ("object_type", ["object_type", "object_id"], False),
    ],
)
def test_which_columns_are_generic_references(column, siblings, generic):
    assert rules.is_generic_reference(column, siblings) is generic
