"""Prometheus metrics at ``/metrics`` (issue #17 item 2), with the client library.

What is exported:

- ``hearth_http_request_duration_seconds{view,method,status}``: a histogram of request latency by
  the URL pattern's view name (``catalog:product``), never the raw path: ids and tokens in paths
  would make one series per customer. Unrouted requests are ``<unmatched>``.
- ``hearth_task_queue_depth{queue}`` and ``hearth_task_queue_oldest_age_seconds{queue}``: tasks
  waiting and the age of the oldest, read from the task backend at scrape time (one grouped query
  on the database backend; another backend registers its reader with
  :func:`register_queue_reader`).
- ``hearth_telemetry_events_accepted_total``, ``hearth_telemetry_events_rejected_total{code}`` and
  ``hearth_telemetry_batches_refused_total``: counted by the devices API's telemetry view.
- Apps add gauges read at scrape time with :func:`register_scrape_collector` (the telemetry
  stream's consumer lag and dead letters: hearth/devices/stream_health.py).

Several web processes (granian's workers) share one view of the counters through the client's
multiprocess mode: ``hearth serve`` sets ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory for
all its children, each process writes its own memory-mapped file there, and a scrape merges them.
Without that variable (runserver, tests) each process reports its own counters.

Access: with ``HEARTH_METRICS_TOKEN`` set, a scrape must send ``Authorization: Bearer <token>``;
without it, only a direct connection from the loopback address (no ``X-Forwarded-For``) is
answered. Anything else is a 403.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Min
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from hearth.core import clock

REQUEST_LATENCY = Histogram(
    "hearth_http_request_duration_seconds",
    "Time to answer a request, by view name (the URL pattern, never the raw path).",
    ["view", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
TASKS_UNSENT = Counter(
    "hearth_tasks_unsent",
    "Tasks the backend refused after their transaction committed (kept and enqueued again).",
    ["task"],
)
TELEMETRY_ACCEPTED = Counter(
    "hearth_telemetry_events_accepted",
    "Telemetry events accepted by the HTTP edge.",
)
TELEMETRY_REJECTED = Counter(
    "hearth_telemetry_events_rejected",
    "Telemetry events rejected one by one, by reason code.",
    ["code"],
)
TELEMETRY_BATCHES_REFUSED = Counter(
    "hearth_telemetry_batches_refused",
    "Telemetry batches refused whole (malformed, too large, wrong encoding).",
)

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def observe_request(view: str, method: str, status: int, seconds: float) -> None:
    REQUEST_LATENCY.labels(
        view=view,
        method=method if method in _METHODS else "other",
        status=f"{status // 100}xx",
    ).observe(seconds)


def count_telemetry(*, accepted: int, rejected_codes: Iterable[str]) -> None:
    if accepted:
        TELEMETRY_ACCEPTED.inc(accepted)
    for code in rejected_codes:
        TELEMETRY_REJECTED.labels(code=code).inc()


def count_refused_batch() -> None:
    TELEMETRY_BATCHES_REFUSED.inc()


# --- Task queues, read at scrape time.


@dataclass(frozen=True, slots=True)
class QueueStat:
    queue: str
    depth: int
    oldest_age_seconds: float


QueueReader = Callable[[], list[QueueStat]]
_QUEUE_READERS: dict[str, QueueReader] = {}


def register_queue_reader(backend_prefix: str, reader: QueueReader) -> None:
    """``reader`` reports the queues when the task backend's class path starts with the prefix."""
    _QUEUE_READERS[backend_prefix] = reader


def read_database_queues() -> list[QueueStat]:
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = clock.now()
    rows = (
        DBTaskResult.objects.filter(status=TaskResultStatus.READY)
        .values("queue_name")
        .annotate(depth=Count("id"), oldest=Min("enqueued_at"))
    )
    return [
        QueueStat(row["queue_name"], row["depth"], max(0.0, (now - row["oldest"]).total_seconds()))
        for row in rows
    ]


register_queue_reader("django_tasks_db.", read_database_queues)


def read_rq_queues() -> list[QueueStat]:
    from hearth.core.rq import read_rq_queues as read

    return read()


register_queue_reader("django_tasks_rq.", read_rq_queues)


def queue_stats() -> list[QueueStat]:
    """Every configured queue, empty ones at zero, from the reader of the configured backend."""
    from django_tasks import task_backends

    backend = type(task_backends["default"])  # the backend, not its proxy
    path = f"{backend.__module__}.{backend.__name__}"
    reader = next((r for prefix, r in _QUEUE_READERS.items() if path.startswith(prefix)), None)
    found = {s.queue: s for s in (reader() if reader else [])}
    for name in getattr(task_backends["default"], "queues", ()) or ():
        found.setdefault(name, QueueStat(name, 0, 0.0))
    return sorted(found.values(), key=lambda s: s.queue)


class QueueCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily(
            "hearth_task_queue_depth", "Tasks waiting to run, per queue.", labels=["queue"]
        )
        age = GaugeMetricFamily(
            "hearth_task_queue_oldest_age_seconds",
            "Age of the oldest task waiting to run, per queue (0 when none waits).",
            labels=["queue"],
        )
        for stat in queue_stats():
            depth.add_metric([stat.queue], stat.depth)
            age.add_metric([stat.queue], stat.oldest_age_seconds)
        yield depth
        yield age


# --- The endpoint.


def _allowed(request: HttpRequest) -> bool:
    token = getattr(settings, "HEARTH_METRICS_TOKEN", "")
    if token:
        sent = request.headers.get("Authorization", "")
        return hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())
    if "X-Forwarded-For" in request.headers:
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


_SCRAPE_COLLECTORS: dict[str, Collector] = {}


def register_scrape_collector(name: str, collector: Collector) -> None:
    """Add (or replace) a collector read at each scrape, beside the task queues' (an app's
    gauges that ask a server, e.g. the telemetry stream's consumer lag). Its failures are its
    own: a collector should report a server it cannot reach as a gauge, not raise."""
    _SCRAPE_COLLECTORS[name] = collector


def unregister_scrape_collector(name: str) -> None:
    _SCRAPE_COLLECTORS.pop(name, None)


def exposition() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(merged)
        processes = generate_latest(merged)
    else:
        processes = generate_latest(REGISTRY)
    queues = CollectorRegistry()
    queues.register(QueueCollector())
    for collector in _SCRAPE_COLLECTORS.values():
        queues.register(collector)
    return processes + generate_latest(queues)


@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        return HttpResponse(
            _("Metrics are only shown to the monitoring system."),
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
