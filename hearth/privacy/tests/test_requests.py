from __future__ import annotations

import datetime as dt

import pytest

from hearth.accounts.models import Address
from hearth.comms.models import OutboxMessage
from hearth.core.errors import DomainError
from hearth.core.models import AuditEvent
from hearth.privacy import erasure, selectors, services
from hearth.privacy.models import (
    ConsentKind,
    ConsentRecord,
    DataRequest,
    DataRequestStatus,
    Disclosure,
    Purpose,
    RetentionHold,
)
from hearth.privacy.rules import Blocker

UTC = dt.UTC
AT = dt.datetime(2026, 11, 2, 15, tzinfo=UTC)


def address_for(user):
    return Address.objects.create(
        user=user,
        name="Robin Example",
        lines="1 Example St",
        city="Ottawa",
        province="ON",
        postal_code="K1A 0B1",
        phone="613-555-0100",
        created_at=AT,
        updated_at=AT,
    )


def test_a_data_request_is_due_in_30_days_and_confirmed_by_email(
    make_user, smtp_server, django_capture_on_commit_callbacks
):
    user = make_user(email="robin@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        request = services.open_data_request(user=user, kind="access", at=AT)
    assert request.deadline == dt.date(2026, 12, 2)
    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == "robin@example.com"
    assert mail["Subject"] == "We received your privacy request"
    assert "December 2, 2026" in mail.get_content()


def test_one_extension_then_no_more(make_user, privacy_officer):
    request = services.open_data_request(user=make_user(), kind="export", at=AT)
    extended = services.extend_data_request(
        request=request, reason="Large archive.", at=AT, actor=privacy_officer
    )
    assert (extended.status, extended.deadline) == (DataRequestStatus.EXTENDED, dt.date(2027, 1, 1))
    with pytest.raises(DomainError) as err:
        services.extend_data_request(request=extended, reason="again", at=AT, actor=privacy_officer)
    assert err.value.code == "already_extended"
    queue = selectors.data_request_queue(at=AT + dt.timedelta(days=10))
    assert [(r.request.pk, r.days_left) for r in queue] == [(request.pk, 50)]


@pytest.mark.promise("PP-7")
def test_a_disclosure_to_a_processor_is_on_record(make_user, policies):
    user = make_user()
    d = services.record_disclosure(
        processor="shipping",
        subject=user,
        kind="handover",
        what="name, address, phone",
        why="deliver order 1001",
        at=AT,
    )
    assert (d.processor.key, d.subject, d.what, d.why, d.at) == (
        "shipping",
        user,
        "name, address, phone",
        "deliver order 1001",
        AT,
    )
    with pytest.raises(DomainError):
        services.record_disclosure(
            processor="nobody", subject=user, kind="handover", what="x", why="y", at=AT
        )


@pytest.mark.promise("PP-7")
def test_a_correction_is_passed_on_to_each_processor_holding_the_field(make_user, policies):
    user = make_user()
    specs = {
        f"{s.model}.{s.field}": s.processors
        for s in __import__("hearth.privacy.inventory", fromlist=["x"]).declared_fields()
    }
    field = "privacy.ConsentRecord.email"
    disclosures = services.notify_processors_of_correction(user=user, fields=[field], at=AT)
    assert sorted(d.processor.key for d in disclosures) == sorted(specs[field])
    assert all(d.kind == "correction" and d.what == field for d in disclosures)
    with pytest.raises(DomainError):
        services.notify_processors_of_correction(
            user=user, fields=["accounts.User.shoe_size"], at=AT
        )


@pytest.mark.promise("PP-7")
@pytest.mark.promise("PP-15")
def test_erasure_erases_holds_what_the_law_keeps_and_tells_processors(
    make_user, policies, smtp_server, django_capture_on_commit_callbacks
):
    user = make_user(email="robin@example.com")
    keep_address = address_for(make_user())
    address_for(user)
    services.record_consent(
        purpose=Purpose.MARKETING_EMAIL,
        granted=True,
        kind=ConsentKind.EXPRESS,
        source="t",
        at=AT,
        user=user,
    )
    OutboxMessage.objects.create(
        to_addresses=["robin@example.com"],
        from_address="x@example.com",
        subject="s",
        body="b",
        raw=b"",
    )
    with django_capture_on_commit_callbacks(execute=True):
        outcome = services.request_erasure(user=user, at=AT)
    assert outcome.erased is True
    assert not Address.objects.filter(user=user).exists()
    assert Address.objects.filter(pk=keep_address.pk).exists()
    assert not OutboxMessage.objects.filter(to_addresses__icontains="robin@").exists()
    # Consent evidence is kept (CASL), withdrawn, and held for purging.
    assert selectors.may_contact(purpose="marketing_email", at=AT, user=user) is False
    holds = RetentionHold.objects.filter(model="privacy.ConsentRecord")
    assert holds.count() == ConsentRecord.objects.filter(user=user).count() == 2
    assert {h.purge_after for h in holds} == {dt.datetime(2029, 11, 2, 15, tzinfo=UTC)}
    # Each processor that held the data is told.
    told = set(
        Disclosure.objects.filter(kind="erasure", subject=user).values_list(
            "processor__key", flat=True
        )
    )
    assert {"hosting", "email", "shipping"} <= told
    assert outcome.request.status == DataRequestStatus.COMPLETED
    [mail] = smtp_server.wait_for(1)
    assert (mail["To"], mail["Subject"]) == ("robin@example.com", "Your data has been erased")


def test_erasure_is_refused_with_reason_and_date_while_a_blocker_objects(
    make_user, policies, smtp_server, django_capture_on_commit_callbacks
):
    user = make_user(email="robin@example.com")
    address = address_for(user)

    def open_order(u, at):
        return (
            [Blocker("open_order", "Order 1001 is still open.", dt.date(2026, 12, 1))]
            if u == user
            else []
        )

    erasure.register_blocker(open_order)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            outcome = services.request_erasure(user=user, at=AT)
    finally:
        erasure.unregister_blocker(open_order)
    assert (outcome.erased, outcome.available_on) == (False, dt.date(2026, 12, 1))
    assert outcome.request.status == DataRequestStatus.REFUSED
    assert outcome.request.outcome == "Order 1001 is still open."
    assert Address.objects.filter(pk=address.pk).exists()
    [mail] = smtp_server.wait_for(1)
    assert mail["Subject"] == "We cannot erase your data yet"
    assert "December 1, 2026" in mail.get_content()


def test_the_retention_task_purges_held_records_when_their_time_is_up(make_user, policies):
    user = make_user()
    services.record_consent(
        purpose=Purpose.MARKETING_EMAIL,
        granted=True,
        kind=ConsentKind.EXPRESS,
        source="t",
        at=AT,
        user=user,
    )
    services.request_erasure(user=user, at=AT)
    # The request's own record, its notices to the two processors holding the email and the
    # audit row of the erasure (security log, 1 year) go first; consent evidence after 3 years.
    assert services.purge_due_holds(at=dt.datetime(2027, 11, 2, 15, tzinfo=UTC)) == 4
    assert not AuditEvent.objects.filter(object_type="accounts.User", object_id=str(user.pk))
    assert not DataRequest.objects.filter(user=user).exists()
    assert not Disclosure.objects.filter(subject=user).exists()
    assert services.purge_due_holds(at=dt.datetime(2029, 11, 2, 14, tzinfo=UTC)) == 0
    assert ConsentRecord.objects.filter(user=user).count() == 2
    assert services.purge_due_holds(at=dt.datetime(2029, 11, 2, 15, tzinfo=UTC)) == 2
    assert ConsentRecord.objects.filter(user=user).count() == 0
    assert services.purge_due_holds(at=dt.datetime(2030, 1, 1, tzinfo=UTC)) == 0  # safe twice
