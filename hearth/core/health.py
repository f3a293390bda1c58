"""Liveness and readiness (issue #17 item 1): ``/healthz`` and ``/readyz``.

- ``/healthz`` answers 200 while the process can answer at all. It touches no database: a
  liveness probe that failed when PostgreSQL is down would have every web process restarted for
  an outage that restarting cannot fix.
- ``/readyz`` runs every registered check and answers 200 when all pass, else 503 with a JSON
  body naming the failing checks (``{"status": "unavailable", "failing": ["database"], ...}``),
  so a load balancer stops sending traffic to a process that cannot serve it.

Checks are a small registry: ``register_check(name, fn)``; ``fn()`` raises when the thing it
checks is not usable. The core registers ``database`` and ``task_queue`` (the database task
backend's table) in ``CoreConfig.ready``; another backend (Redis, the telemetry stream) registers
its own under its own name, or replaces ``task_queue`` when it is the task backend. A failure is
reported by the exception's class name only: the body never carries a host or a password.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import DatabaseError, connections
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

logger = logging.getLogger("hearth.core.health")

Check = Callable[[], object]
_CHECKS: dict[str, Check] = {}


def register_check(name: str, fn: Check) -> None:
    """Add (or replace) the readiness check ``name``."""
    _CHECKS[name] = fn


def unregister_check(name: str) -> None:
    _CHECKS.pop(name, None)


def registered_checks() -> dict[str, Check]:
    return dict(_CHECKS)


@dataclass(frozen=True, slots=True)
class Outcome:
    name: str
    ok: bool
    error: str = ""


def run_checks() -> list[Outcome]:
    outcomes = []
    for name, fn in _CHECKS.items():
        try:
            fn()
        except Exception as exc:  # any failure of any check makes the process not ready
            logger.warning("Readiness check %s failed: %s", name, type(exc).__name__)
            outcomes.append(Outcome(name, ok=False, error=type(exc).__name__))
        else:
            outcomes.append(Outcome(name, ok=True))
    return outcomes


# --- The core's checks.


def check_database() -> None:
    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        connection.close()  # the next request opens a fresh one
        raise


def check_task_queue() -> None:
    """The configured task backend can take work: for the database backend, its table answers."""
    from django_tasks import task_backends

    backend = type(task_backends["default"])  # the backend, not its proxy
    backend_path = f"{backend.__module__}.{backend.__name__}"
    if backend_path.startswith("django_tasks_db."):
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.filter(pk__isnull=True).exists()
    elif backend_path.startswith("django_tasks_rq."):
        from hearth.core.rq import check_redis

        check_redis()  # every queue's Redis answers PING


def register_core_checks() -> None:
    register_check("database", check_database)
    register_check("task_queue", check_task_queue)


# --- Views (routed in hearth/urls.py).


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. No database."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    outcomes = run_checks()
    checks = {o.name: ("ok" if o.ok else f"failed: {o.error}") for o in outcomes}
    failing = [o.name for o in outcomes if not o.ok]
    if failing:
        message = _("Not ready: these checks failed: %(checks)s.") % {"checks": ", ".join(failing)}
        body = {"status": "unavailable", "failing": failing, "checks": checks, "message": message}
        return JsonResponse(body, status=503)
    return JsonResponse({"status": "ready", "checks": checks})
