import datetime as dt

import pytest
from django.core.management import call_command

from hearth.core import clock
from hearth.core.models import PeriodicRun
from hearth.core.schedule import Periodic, due, parse_schedule

T0 = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
EVERY_5_MIN = Periodic("app.tasks.roll_up", dt.timedelta(minutes=5))
DAILY = Periodic("app.tasks.purge", dt.timedelta(days=1))


@pytest.mark.parametrize(
    ("last_runs", "at", "expected"),
    [
        ({}, T0, ["app.tasks.roll_up", "app.tasks.purge"]),
        ({"app.tasks.roll_up": T0, "app.tasks.purge": T0}, T0, []),
        (
            {"app.tasks.roll_up": T0, "app.tasks.purge": T0},
            T0 + dt.timedelta(minutes=5),
            ["app.tasks.roll_up"],
        ),
        (
            {"app.tasks.roll_up": T0, "app.tasks.purge": T0},
            T0 + dt.timedelta(minutes=4, seconds=59),
            [],
        ),
        (
            {"app.tasks.roll_up": T0, "app.tasks.purge": T0},
            T0 + dt.timedelta(days=1),
            ["app.tasks.roll_up", "app.tasks.purge"],
        ),
    ],
)
def test_a_task_is_due_when_never_run_or_its_period_has_passed(last_runs, at, expected):
    assert due([EVERY_5_MIN, DAILY], last_runs, at) == expected


@pytest.mark.parametrize("raw", [[("nodots", 5)], [("a.b", 0)], [("a.b", "60")]])
def test_a_bad_schedule_is_refused(raw):
    with pytest.raises(ValueError):
        parse_schedule(raw)


@pytest.mark.django_db
def test_scheduler_enqueues_due_tasks_once_per_period(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": []}
    }
    settings.HEARTH_PERIODIC_TASKS = [("hearth.privacy.tasks.purge_retention", 3600)]
    from django_tasks import default_task_backend

    default_task_backend.clear()
    with clock.frozen(T0):
        call_command("scheduler", "--once")
        call_command("scheduler", "--once")
    assert len(default_task_backend.results) == 1
    assert PeriodicRun.objects.get().last_enqueued_at == T0
    with clock.frozen(T0 + dt.timedelta(hours=1)):
        call_command("scheduler", "--once")
    assert len(default_task_backend.results) == 2
