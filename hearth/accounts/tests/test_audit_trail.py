"""Accounts' writes of personal data and roles each leave one audit row with the real actor and
the changed field names, never the values (PP-10, PP-15)."""

from __future__ import annotations

import pytest

from hearth.accounts import services
from hearth.accounts.models import Address, User
from hearth.core.models import AuditEvent

from .conftest import T0, make_customer

ADDRESS = {
    "label": "Home",
    "name": "Ada Lovelace",
    "lines": "12 Wellington Street",
    "city": "Ottawa",
    "province": "ON",
    "postal_code": "K1A 0B1",
    "country": "CA",
    "phone": "+1 613 555 0100",
}

pytestmark = pytest.mark.django_db


def events() -> list[tuple[str, int | None, str, str, list[str]]]:
    return [
        (e.action, e.actor_id, e.object_type, e.object_id, e.fields)
        for e in AuditEvent.objects.order_by("id")
    ]


def values_stored() -> str:
    columns = [f.attname for f in AuditEvent._meta.fields]
    return repr(list(AuditEvent.objects.values_list(*columns)))


@pytest.mark.promise("PP-15")
def test_sign_up_is_audited_as_the_person_opening_their_account():
    user = make_customer()
    assert events()[0] == (
        "created",
        user.pk,
        "accounts.User",
        str(user.pk),
        ["adult_attested_at", "date_joined", "email", "full_name", "language", "password"],
    )
    assert "ada@example.com" not in values_stored()


@pytest.mark.promise("PP-15")
def test_my_stuff_corrections_are_audited_with_the_customer_as_actor(frozen_now):
    from django.test import Client

    user = make_customer()
    client = Client()
    client.force_login(user)
    start = AuditEvent.objects.count()
    assert client.post("/my-stuff/profile/", {"full_name": "Augusta Ada King"}).status_code == 302
    assert client.post("/my-stuff/addresses/new/", ADDRESS).status_code == 302
    address = Address.objects.get(user=user)
    assert events()[start:] == [
        ("changed", user.pk, "accounts.User", str(user.pk), ["full_name"]),
        (
            "created",
            user.pk,
            "accounts.Address",
            str(address.pk),
            sorted(["user", *ADDRESS]),
        ),
    ]
    assert "Augusta" not in values_stored()
    assert "Wellington" not in values_stored()


@pytest.mark.promise("PP-15")
def test_an_address_change_names_only_the_fields_that_changed_and_removal_is_audited():
    user = make_customer()
    address = services.add_address(
        user=user, data=services.address_input(ADDRESS), at=T0, actor=user
    )
    services.change_address(
        address=address,
        data=services.address_input(
            {**ADDRESS, "city": "Gatineau", "province": "QC", "postal_code": "J8X 1A1"}
        ),
        at=T0,
        actor=user,
    )
    pk = address.pk
    services.remove_address(address=address, actor=user)
    assert events()[-2:] == [
        ("changed", user.pk, "accounts.Address", str(pk), ["city", "postal_code", "province"]),
        ("deleted", user.pk, "accounts.Address", str(pk), []),
    ]


@pytest.mark.promise("PP-10")
def test_giving_a_role_is_audited_once_with_the_administrator_as_actor():
    admin = User.objects.create_superuser(email="root@example.com", password="root pass 12345")
    agent = User.objects.create_user(email="sam@example.com", password="sam pass 123456")
    services.sync_roles(actor=admin)
    groups_synced = AuditEvent.objects.filter(action="role_changed", object_type="auth.Group")
    assert groups_synced.count() >= 1
    assert set(groups_synced.values_list("actor_id", flat=True)) == {admin.pk}
    services.sync_roles(actor=admin)  # nothing changes: nothing recorded
    assert AuditEvent.objects.filter(object_type="auth.Group").count() == groups_synced.count()

    services.assign_role(user=agent, role_key="care_agent", actor=admin)
    services.assign_role(user=agent, role_key="care_agent", actor=admin)  # already: no row
    assert list(
        AuditEvent.objects.filter(object_type="accounts.User", object_id=str(agent.pk)).values_list(
            "action", "actor_id", "fields"
        )
    ) == [("role_changed", admin.pk, ["groups", "is_staff"])]


def test_a_password_change_names_the_field_never_the_hash():
    user = make_customer()
    services.change_password(user=user, password="another long pass phrase 7", actor=user)
    assert events()[-1] == ("changed", user.pk, "accounts.User", str(user.pk), ["password"])
    user.refresh_from_db()
    assert user.password not in values_stored()
