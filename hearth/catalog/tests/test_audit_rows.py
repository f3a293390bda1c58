"""Catalogue writes leave one audit row each: a back-office price edit names the staff
member and the fields changed, never their values; a new expected ship date likewise
(issue #10 item 7; PP-10)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from hearth.accounts.models import User
from hearth.catalog import services
from hearth.catalog.models import Availability, Variant
from hearth.catalog.tests.conftest import make_product
from hearth.catalog.tests.test_admin import _change_price, _staff
from hearth.core.audit import SystemActor
from hearth.core.models import AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.promise("PP-10")]

AT = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)


def rows() -> list[tuple[str, str, int | None, str, str, str, list[str]]]:
    return [
        (e.action, e.actor_kind, e.actor_id, e.system_actor, e.object_type, e.object_id, e.fields)
        for e in AuditEvent.objects.filter(object_type="catalog.Variant").order_by("id")
    ]


def test_a_price_edit_in_the_back_office_is_one_row_naming_the_administrator(
    demo_catalogue,
):
    variant = Variant.objects.get(sku="EO-ONE-CHR")
    client = _staff("administrator")
    admin = User.objects.get(email="administrator@example.com")
    assert _change_price(client, variant, "239.00") == 302
    assert rows() == [
        (
            "changed",
            "user",
            admin.pk,
            "",
            "catalog.Variant",
            str(variant.pk),
            ["price"],
        )
    ]
    stored = repr(list(AuditEvent.objects.values_list("fields", "object_id", "system_actor")))
    assert "239" not in stored


def test_an_unchanged_save_writes_no_row_and_a_refused_edit_writes_none(demo_catalogue):
    variant = Variant.objects.get(sku="EO-ONE-CHR")
    staff = User.objects.create_user(email="staff@example.com", password=None, is_staff=True)
    services.save_variant(variant=variant, actor=staff, at=AT)
    assert rows() == []
    assert _change_price(_staff("sales_agent"), variant, "1.00") == 403
    assert rows() == []


def test_a_new_variant_saved_by_staff_is_recorded_as_created_with_its_field_names():
    product = make_product("ember-audit")
    staff = User.objects.create_user(email="staff@example.com", password=None, is_staff=True)
    variant = Variant(
        product=product, sku="EA-1", colour="Sand", price=Decimal("99.00"), stock_on_hand=3
    )
    services.save_variant(variant=variant, actor=staff, at=AT)
    [(action, kind, actor_id, _system, _type, object_id, fields)] = rows()
    assert (action, kind, actor_id, object_id) == ("created", "user", staff.pk, str(variant.pk))
    assert {"price", "stock_on_hand", "sku", "availability"} <= set(fields)
    assert "id" not in fields


def test_a_new_expected_ship_date_is_one_row_with_the_actor_and_the_field_name():
    make_product(
        "ember-later",
        variants=(("EL-1", "Sand", "99.00", 0),),
        availability=Availability.PREORDER,
        expected_ship_date=dt.date(2026, 5, 1),
    )
    variant = Variant.objects.get(sku="EL-1")
    actor = SystemActor("supplier feed")
    services.set_expected_ship_date(
        sku="EL-1", expected_ship_date=dt.date(2026, 6, 1), actor=actor, at=AT
    )
    services.set_expected_ship_date(
        sku="EL-1", expected_ship_date=dt.date(2026, 6, 1), actor=actor, at=AT
    )
    assert rows() == [
        (
            "changed",
            "system",
            None,
            "supplier feed",
            "catalog.Variant",
            str(variant.pk),
            ["expected_ship_date"],
        )
    ]
