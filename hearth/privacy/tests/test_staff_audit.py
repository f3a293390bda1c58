"""The generic staff-read audit (PP-10): every back-office read of personal data, and every
refused attempt, writes exactly one audit row; the set of audited pages comes from the data
inventory, not from a list kept by hand."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.auth import get_user_model
from django.db import models
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from model_bakery import baker, generators, random_gen

from hearth.accounts.tests.conftest import verified_device_id
from hearth.core import clock
from hearth.core.models import AuditEvent
from hearth.privacy.staff_audit import holds_personal_data, personal_fields

# Encrypted and digest columns hold text; baker needs to be told.
generators.add("hearth.privacy.fields.EncryptedTextField", lambda: random_gen.gen_string(40))
generators.add("hearth.privacy.fields.HashedLookupField", lambda: "")

NOW = dt.datetime(2026, 11, 20, 15, tzinfo=dt.UTC)

# Field values a row needs to pass a constraint or to appear on an admin page that narrows its
# list (a proxy's admin); baker fills in everything else.
VISIBLE_ROW: dict[str, dict[str, Any]] = {
    "orders.OrderToShip": {"status": "released"},
    "privacy.ConsentRecord": {"household_id": 7},
    "discounts.DiscountRedemption": {"code__kind": "fixed"},
    "discounts.DiscountMisuseFlag": {"code__kind": "fixed"},
}


def personal_admin_models() -> list[type[models.Model]]:
    return sorted(
        (m for m in admin.site._registry if holds_personal_data(m)), key=lambda m: m._meta.label
    )


def back_office_client(client: Any, user: Any) -> Any:
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = verified_device_id(user)
    session.save()
    return client


@pytest.fixture(autouse=True)
def frozen_now():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser(
        email="root@example.com", password="root pass phrase 12"
    )


@pytest.fixture
def staff_without_permissions(db):
    return get_user_model().objects.create_user(
        email="temp@example.com", password="temp pass phrase 12", is_staff=True
    )


def url(model: type[models.Model], view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_the_walk_covers_the_pages_the_issue_names():
    labels = {m._meta.label for m in personal_admin_models()}
    assert {
        "accounts.User",
        "accounts.Address",
        "orders.Order",
        "orders.OrderToShip",
        "comms.OutboxMessage",
        "payments.Payment",
        "privacy.DataRequest",
        "privacy.ConsentRecord",
        "privacy.Disclosure",
    } <= labels
    assert "catalog.Product" not in labels  # no personal field, no audit row


@pytest.mark.promise("PP-10")
@pytest.mark.parametrize("model", personal_admin_models(), ids=lambda m: m._meta.label)
def test_one_staff_read_of_a_personal_admin_page_writes_one_audit_row(client, superuser, model):
    baker.seed(20261120)  # the same rows every run: no flaky walk
    row = baker.make(model, **VISIBLE_ROW.get(model._meta.label, {}))
    office = back_office_client(client, superuser)

    before = AuditEvent.objects.count()
    listing = office.get(url(model, "changelist"))
    assert listing.status_code == 200
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    assert (event.action, event.actor_id, event.object_type, event.object_id) == (
        "viewed",
        superuser.pk,
        model._meta.label,
        "",
    )
    assert event.fields == list(personal_fields(model))

    page = office.get(url(model, "change", quote(row.pk)))
    assert page.status_code == 200
    assert AuditEvent.objects.count() == before + 2
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    assert (event.action, event.object_type, event.object_id) == (
        "viewed",
        model._meta.label,
        str(row.pk),
    )


@pytest.mark.promise("PP-10")
@pytest.mark.parametrize("model", personal_admin_models(), ids=lambda m: m._meta.label)
def test_a_refused_staff_read_writes_one_refusal_row(client, staff_without_permissions, model):
    office = back_office_client(client, staff_without_permissions)
    response = office.get(url(model, "changelist"))
    assert response.status_code == 403
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_id, event.object_type, event.object_id) == (
        "view_refused",
        staff_without_permissions.pk,
        model._meta.label,
        "",
    )


@pytest.mark.promise("PP-10")
def test_a_page_without_personal_data_writes_no_audit_row(client, superuser):
    office = back_office_client(client, superuser)
    assert office.get(url(_product(), "changelist")).status_code == 200
    assert AuditEvent.objects.count() == 0


def _product() -> type[models.Model]:
    from hearth.catalog.models import Product

    return Product


@pytest.mark.promise("PP-10")
def test_the_audit_row_names_fields_but_holds_no_personal_values(client, superuser):
    customer = get_user_model().objects.create_user(
        email="ada@example.com", password="ada pass phrase 12", full_name="Ada Lovelace"
    )
    office = back_office_client(client, superuser)
    assert office.get(url(type(customer), "change", customer.pk)).status_code == 200
    event = AuditEvent.objects.get(action="viewed")
    assert event.fields == list(personal_fields(type(customer)))
    assert {"email", "full_name"} <= set(event.fields)
    columns = [f.attname for f in AuditEvent._meta.fields]
    stored = repr(AuditEvent.objects.values_list(*columns).get())
    assert "ada@example.com" not in stored
    assert "Lovelace" not in stored


@pytest.mark.promise("PP-10")
def test_the_staff_request_queue_api_audits_reads_and_refusals(client, superuser, make_user):
    from hearth.privacy import services

    services.open_data_request(user=make_user(), kind="access", at=NOW)
    back_office_client(client, make_user(is_staff=True))
    assert client.get("/api/v1/privacy/requests").status_code == 403
    refused = AuditEvent.objects.get(action="view_refused")
    assert (refused.action, refused.object_type, refused.object_id) == (
        "view_refused",
        "privacy.DataRequest",
        "",
    )
    back_office_client(client, superuser)
    assert client.get("/api/v1/privacy/requests").status_code == 200
    assert AuditEvent.objects.filter(action__in=["viewed", "view_refused"]).count() == 2
    read = AuditEvent.objects.order_by("-id").first()
    assert read is not None
    assert (read.action, read.actor_id, read.object_type) == (
        "viewed",
        superuser.pk,
        "privacy.DataRequest",
    )
