"""A web worker SIGKILLed while guests are buying through ``hearth serve`` (issue #17, "a web
worker killed mid-request"): granian starts a new worker, the requests cut off are answered by
nobody, and nothing is lost or half made. Every order is whole (its lines, and its confirmation
and invoice queued with it, in the one placing transaction); every guest whose page was cut off
can start again and buy; no order exists twice."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest
from django.conf import settings

from bench.journey import parse, walk
from hearth.checkout.tests.conftest import file_db, make_variant  # noqa: F401
from hearth.core.tests.test_serve import (
    answers,
    base_env,
    database_url,
    free_port,
    start,
    stop,
    wait_until,
)
from hearth.orders.models import Order, SentOrderEmail
from hearth.privacy.services import load_policies

BUYERS = 4
JOURNEYS_EACH = 3


def children_of(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc, no extra library)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid:
            found.append(int(entry.name))
    return found


def granian_workers(serve_pid: int) -> list[int]:
    """The web worker processes: the children of granian's main process, itself a child of the
    supervisor (its only child here: no task worker, no scheduler)."""
    return [worker for main in children_of(serve_pid) for worker in children_of(main)]


@pytest.mark.serve
def test_a_web_worker_killed_mid_request_loses_and_doubles_nothing(
    file_db: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    load_policies()
    make_variant("EO-ONE-CHR", price="249.00", stock=500, slug="ember-one", name="Ember One")
    port = free_port()
    env = base_env(
        tmp_path,
        DATABASE_URL=database_url(),
        PORT=str(port),
        WEB_CONCURRENCY="2",
        HEARTH_TASK_WORKERS="0",
        HEARTH_SCHEDULER="0",
        SECRET_KEY=settings.SECRET_KEY,  # the same field keys as this test, to read the orders
    )
    log = tmp_path / "serve.log"
    base = f"http://127.0.0.1:{port}"
    process = start(["serve"], env, log)
    completed: list[str] = []
    cut_off: list[str] = []
    lock = threading.Lock()

    def buyer(n: int, product: str) -> None:
        done = 0
        tries = 0
        while done < JOURNEYS_EACH and tries < JOURNEYS_EACH + 40:
            tries += 1
            try:
                journey = walk(base, n * 100 + tries, product)
            except (httpx.HTTPError, RuntimeError) as exc:  # cut off: start again, as a person
                with lock:
                    cut_off.append(type(exc).__name__)
                time.sleep(1)
                continue
            with lock:
                completed.append(journey.number)
            done += 1

    try:
        wait_until("/readyz answers 200", lambda: answers(base + "/readyz", 200), 90, log)
        product = next(
            h for h in parse(httpx.get(base + "/", timeout=30).text).links if "ember" in h
        )
        threads = [threading.Thread(target=buyer, args=(n, product)) for n in range(1, BUYERS + 1)]
        for thread in threads:
            thread.start()
        wait_until("the first orders are placed", lambda: len(completed) >= 2, 120, log)
        victims = granian_workers(process.pid)
        assert len(victims) == 2, victims
        for victim in victims:  # both, so that requests in flight are surely cut off
            os.kill(victim, signal.SIGKILL)
        for thread in threads:
            thread.join(timeout=300)
        assert not any(t.is_alive() for t in threads)
        wait_until("a new web worker answers", lambda: answers(base + "/readyz", 200), 60, log)
        assert set(granian_workers(process.pid)).isdisjoint(victims)  # granian started others
    finally:
        code = stop(process)
    assert code == 0, log.read_text(errors="replace")[-4000:]

    assert cut_off, "the kill cut off no request"
    assert len(completed) == BUYERS * JOURNEYS_EACH  # every guest bought in the end
    assert len(set(completed)) == len(completed)
    orders = list(Order.objects.prefetch_related("lines"))
    numbers = [o.number for o in orders]
    assert len(numbers) == len(set(numbers))
    assert set(completed) <= set(numbers)  # every confirmed order is there, once
    # An order whose answer was cut off after its commit is whole too (and its guest was told
    # by email); an order cut off before its commit does not exist at all.
    assert len(orders) - len(completed) <= len(cut_off)
    for order in orders:
        assert order.lines.count() == 1
    queued = set(
        SentOrderEmail.objects.filter(kind=SentOrderEmail.Kind.CONFIRMATION).values_list(
            "order__number", flat=True
        )
    )
    assert queued == set(numbers)
