"""A person's care cases reach export and erasure (PP-15): found by their account or by the
keyed hash of the email they gave as a guest, erased with them; the agent's own link cleared."""

from __future__ import annotations

import pytest

from hearth.care import services
from hearth.care.models import Case, CaseMessage, Channel
from hearth.care.tests.conftest import T0

pytestmark = pytest.mark.usefixtures("care_setup")


@pytest.mark.promise("PP-15")
def test_a_person_s_cases_as_customer_and_as_guest_are_exported_and_erased() -> None:
    from hearth.accounts.models import User
    from hearth.privacy import inventory
    from hearth.privacy.services import request_erasure

    # A proven email finds the guest's cases too (an unproven one finds nothing, PP-15).
    ada = User.objects.create_user(email="ada@example.com", password=None, email_verified_at=T0)
    mine = services.open_case(
        channel=Channel.WEB,
        email="ada@example.com",
        body="As a customer.",
        at=T0,
        actor=None,
        customer=ada,
    )
    as_guest = services.open_case(
        channel=Channel.WEB, email="ADA@example.com", body="As a guest.", at=T0, actor=None
    )
    other = services.open_case(
        channel=Channel.WEB, email="bo@example.com", body="Someone else.", at=T0, actor=None
    )

    exported = inventory.export_subject(ada)["care"]["Case"]
    assert sorted(row["id"] for row in exported) == sorted([mine.pk, as_guest.pk])

    outcome = request_erasure(user=ada, at=T0)

    assert outcome.erased
    assert list(Case.objects.values_list("pk", flat=True)) == [other.pk]
    assert CaseMessage.objects.filter(case_id__in=[mine.pk, as_guest.pk]).count() == 0
