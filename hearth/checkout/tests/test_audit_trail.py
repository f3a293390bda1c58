"""Placing an order leaves one audit row naming the buyer (a guest as an anonymous visitor) and
the personal and money fields written, never their values (PP-10)."""

from __future__ import annotations

import pytest

from hearth.checkout import placing
from hearth.checkout.tests.conftest import ADDRESS, AT, card_token, make_variant
from hearth.core import clock
from hearth.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.mark.promise("PP-10")
def test_a_guest_order_is_audited_as_created_by_an_anonymous_visitor():
    make_variant("EO-AUDIT-1")
    with clock.frozen(AT):
        order = placing.place(
            lines=[("EO-AUDIT-1", 1)],
            customer=None,
            contact={"email": "guest@example.com", "name": "Grace Guest"},
            address=ADDRESS,
            attestations={"adult": True, "end_user": True, "accurate": True},
            shipping_method="standard",
            discount_code=None,
            payment_method="card",
            payment_token=card_token(),
            idempotency_key="audit-1",
            at=AT,
        )
    created = AuditEvent.objects.get(action="created", object_type="orders.Order")
    assert (created.actor_kind, created.actor_id, created.object_id) == (
        "anonymous",
        None,
        str(order.pk),
    )
    assert {"email", "contact_name", "address_lines", "grand_total"} <= set(created.fields)
    columns = [f.attname for f in AuditEvent._meta.fields]
    stored = repr(list(AuditEvent.objects.values_list(*columns)))
    assert "guest@example.com" not in stored
    assert "Wellington" not in stored
