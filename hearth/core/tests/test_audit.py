"""The audit log (PP-7, PP-10): one append-only row per audited action, names not values."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from hearth.core import clock
from hearth.core.audit import SYSTEM, AuditAction, ObjectRef, SystemActor, record
from hearth.core.models import AuditEvent, PeriodicRun

T0 = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.promise("PP-10")]


def make_staff():
    return get_user_model().objects.create_user(
        email="officer@example.com", password="not used 12345", is_staff=True
    )


def test_record_writes_one_row_with_actor_action_object_and_field_names():
    staff = make_staff()
    run = PeriodicRun.objects.create(task="a.b", last_enqueued_at=T0)
    with clock.frozen(T0):
        event = record(
            actor=staff,
            action=AuditAction.CHANGED,
            obj=run,
            fields=["task", "last_enqueued_at", "task"],
        )
    assert AuditEvent.objects.count() == 1
    event.refresh_from_db()
    assert event.at == T0
    assert event.actor_kind == "user"
    assert event.actor_id == staff.pk
    assert event.system_actor == ""
    assert event.action == "changed"
    assert event.object_type == "core.PeriodicRun"
    assert event.object_id == str(run.pk)
    assert event.fields == ["last_enqueued_at", "task"]


def test_no_actor_means_the_system_and_a_named_system_actor_keeps_its_name():
    run = PeriodicRun.objects.create(task="a.b", last_enqueued_at=T0)
    first = record(actor=None, action=AuditAction.DELETED, obj=run)
    second = record(actor=SystemActor("retention purge"), action=AuditAction.ERASED, obj=run)
    third = record(actor=SYSTEM, action=AuditAction.CREATED, obj=run)
    assert (first.actor_kind, first.actor_id, first.system_actor) == ("system", None, "system")
    assert (second.actor_kind, second.system_actor) == ("system", "retention purge")
    assert third.system_actor == "system"


def test_anonymous_visitor_is_recorded_as_anonymous_without_a_user():
    event = record(
        actor=AnonymousUser(),
        action=AuditAction.VIEW_REFUSED,
        obj=ObjectRef(label="core.PeriodicRun", pk="7"),
    )
    assert (event.actor_kind, event.actor_id, event.object_id) == ("anonymous", None, "7")


def test_a_value_where_a_field_name_belongs_is_refused_and_nothing_is_written():
    run = PeriodicRun.objects.create(task="a.b", last_enqueued_at=T0)
    with pytest.raises(ValueError, match="field names"):
        record(actor=None, action=AuditAction.CHANGED, obj=run, fields=["ada@example.com"])
    with pytest.raises(ValueError, match="no field"):
        record(actor=None, action=AuditAction.CHANGED, obj=run, fields=["secret_value"])
    assert AuditEvent.objects.count() == 0


def test_audit_events_are_append_only():
    event = record(actor=None, action=AuditAction.CREATED, obj=ObjectRef("core.PeriodicRun", "1"))
    event.action = "deleted"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(action="deleted")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get().action == "created"


def test_deleting_the_actor_keeps_the_event_without_any_personal_data():
    staff = make_staff()
    event = record(actor=staff, action=AuditAction.ROLE_CHANGED, obj=staff, fields=["is_staff"])
    staff.delete()
    event.refresh_from_db()
    assert event.actor_id is None
    assert event.object_type == get_user_model()._meta.label
    assert event.fields == ["is_staff"]
    stored = " ".join(
        str(v)
        for v in AuditEvent.objects.values_list(*[f.attname for f in AuditEvent._meta.fields]).get()
    )
    assert "officer@example.com" not in stored


def test_a_batch_writes_its_rows_in_one_insert_in_the_order_recorded(
    django_assert_num_queries,
):
    from hearth.core.audit import batched

    run = PeriodicRun.objects.create(task="a.b", last_enqueued_at=T0)
    with django_assert_num_queries(1), batched():
        record(actor=None, action=AuditAction.CREATED, obj=run, fields=["task"])
        with batched():  # an inner batch joins the outer one
            record(actor=None, action=AuditAction.CHANGED, obj=run, fields=["last_enqueued_at"])
    assert list(AuditEvent.objects.order_by("id").values_list("action", "fields")) == [
        ("created", ["task"]),
        ("changed", ["last_enqueued_at"]),
    ]


def test_a_batch_that_raises_writes_nothing():
    from hearth.core.audit import batched

    run = PeriodicRun.objects.create(task="a.b", last_enqueued_at=T0)
    with pytest.raises(RuntimeError), batched():
        record(actor=None, action=AuditAction.CREATED, obj=run, fields=["task"])
        raise RuntimeError("the change failed")
    assert AuditEvent.objects.count() == 0
