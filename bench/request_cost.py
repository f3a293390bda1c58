"""Server CPU per request of the guest journey, page by page, in one process.

The same walker as ``bench/journey.py`` (fresh guest, forms filled by field name) drives the WSGI
application in-process through ``httpx.WSGITransport``; a thin WSGI wrapper reads the process's
CPU time (``time.process_time``) around each request, the response body included, and files it
under the URL pattern's name. It prints the median and p90 CPU per page and the median for the
storefront's GETs and redirects and for placing. ``--profile FILE`` writes a cProfile of the
timed journeys, in CPU time, to FILE (cumulative and own time), and the raw statistics beside it
(FILE with the suffix ``.pstats``, for ``pstats``' callers and callees); ``--profile-page "POST
checkout:review"`` limits it to one page. On PostgreSQL it also prints the database backend's CPU
per page (mean, from ``/proc``: the tick is 10 ms, so only the mean over many requests means
anything). No network, no server: what it
measures is Django's and Hearth's own work, which is what gunicorn's workers spend per request.

    .venv/bin/python bench/request_cost.py [--flows 40] [--postgres] [--profile out.txt]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import postgres_url
from bench.journey import parse, walk


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flows", type=int, default=40)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--profile", type=Path)
    parser.add_argument(
        "--profile-page", help='profile only this page, e.g. "POST checkout:review"'
    )
    parser.add_argument(
        "--queries", type=Path, help="also count SQL per page; write one journey's SQL to FILE"
    )
    args = parser.parse_args()
    var_dir = tempfile.mkdtemp(prefix="hearth-cost-")
    os.environ.update(
        {
            "HEARTH_VAR_DIR": var_dir,
            "DEBUG": "0",
            "ALLOWED_HOSTS": "testserver,127.0.0.1",
            "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            "LOG_LEVEL": "ERROR",
            "HEARTH_THROTTLE_OFF": "1",
            "DJANGO_SETTINGS_MODULE": "hearth.settings",
        }
    )
    os.environ.pop("DATABASE_URL", None)
    if args.postgres:
        url = postgres_url("hearth_bench_request_cost")
        if url is None:
            raise SystemExit("PostgreSQL not available")
        os.environ["DATABASE_URL"] = url

    import django

    django.setup()
    import httpx
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application
    from django.db import connection
    from django.urls import Resolver404, resolve

    call_command("migrate", "--noinput", verbosity=0)
    call_command("load_demo", verbosity=0, stdout=io.StringIO())
    from hearth.catalog.models import Variant

    Variant.objects.update(stock_on_hand=1_000_000)  # as bench/journey.py does
    application = get_wsgi_application()
    costs: dict[str, list[float]] = defaultdict(list)
    counts: dict[str, list[int]] = defaultdict(list)
    timing = {"on": False}
    backend: dict[str, int] = defaultdict(int)
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    statements: list[str] = []

    def counted(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append(sql)
        return execute(sql, params, many, context)

    def backend_ticks() -> int:
        """The PostgreSQL backend's CPU so far, in clock ticks (0 on SQLite)."""
        if connection.vendor != "postgresql" or connection.connection is None:
            return 0
        pid = connection.connection.info.backend_pid
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime

    def timed(environ: dict[str, Any], start_response: Any) -> Any:
        try:  # the bench's, not the server's: outside the timed span
            name = resolve(environ["PATH_INFO"]).view_name
        except Resolver404:
            name = environ["PATH_INFO"]
        key = f"{environ['REQUEST_METHOD']} {name}"
        profiling = profiler is not None and timing["on"] and args.profile_page in (None, key)
        seen = len(statements)
        ticks = backend_ticks()
        if profiling:
            profiler.enable()
        t0 = time.process_time()
        if args.queries:
            with connection.execute_wrapper(counted):
                body = b"".join(application(environ, start_response))
        else:
            body = b"".join(application(environ, start_response))
        spent = time.process_time() - t0
        if profiling:
            profiler.disable()
        if timing["on"]:
            costs[key].append(spent * 1000)
            backend[key] += backend_ticks() - ticks
            counts[key].append(len(statements) - seen)
            if args.queries and not journey_sql_done["done"]:
                journey_sql.append(f"-- {key}")
                journey_sql.extend(statements[seen:])
        return [body]

    transport = httpx.WSGITransport(app=timed)
    base = "http://testserver"
    home = httpx.Client(transport=transport, base_url=base, follow_redirects=True).get("/")
    product = next(h for h in parse(home.text).links if re.match(r"^/(products?|shop)/[^/]+/$", h))
    for n in range(3):  # warm imports, templates and caches
        walk(base, 10_000 + n, product, transport=transport)
    # CPU time, not wall time: on a shared machine the wall clock mostly measures waiting.
    journey_sql: list[str] = []
    journey_sql_done = {"done": False}
    timing["on"] = True
    if args.queries:
        walk(base, 20_000, product, transport=transport)
        journey_sql_done["done"] = True
        costs.clear()
        counts.clear()
    walked = time.process_time()
    journeys = [walk(base, n, product, transport=transport) for n in range(args.flows)]
    walked = time.process_time() - walked
    timing["on"] = False
    if profiler is not None:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs()
        stats.sort_stats("cumulative").print_stats(70)
        stats.sort_stats("tottime").print_stats(40)
        args.profile.write_text(out.getvalue())
        stats.dump_stats(args.profile.with_suffix(".pstats"))  # for pstats' callers/callees
    mean_requests = statistics.mean(j.requests for j in journeys)
    print(f"{args.flows} journeys, {mean_requests:.1f} requests each")
    on_pg = connection.vendor == "postgresql"
    tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
    pg_head = f" {'PG ms':>6}" if on_pg else ""
    print(f"{'request':<44} {'n':>4} {'median ms':>10} {'p90 ms':>8} {'SQL':>4}{pg_head}")
    storefront: list[float] = []
    for name, values in sorted(costs.items()):
        values.sort()
        p90 = values[min(len(values) - 1, int(0.9 * len(values)))]
        sql = f"{statistics.median(counts[name]):>4.0f}" if args.queries else ""
        pg = f" {backend[name] * tick_ms / len(values):>6.2f}" if on_pg else ""
        print(
            f"{name:<44} {len(values):>4} {statistics.median(values):>10.2f} {p90:>8.2f} "
            f"{sql:>4}{pg}"
        )
        if "review" not in name:
            storefront.extend(values)
    place = costs.get("POST checkout:review", [0.0])
    total = sum(sum(v) for v in costs.values()) / max(1, args.flows)
    print(f"storefront GETs, redirects and steps: median {statistics.median(storefront):.2f} ms")
    print(f"placing (POST review): median {statistics.median(place):.2f} ms")
    print(f"CPU per journey: {total:.1f} ms")
    if on_pg:
        pg_total = sum(backend.values()) * tick_ms / max(1, args.flows)
        print(f"PostgreSQL backend CPU per journey: {pg_total:.1f} ms")
    if args.queries:
        per_journey = sum(sum(v) for v in counts.values()) / max(1, args.flows)
        print(f"SQL statements per journey: {per_journey:.1f} (one journey's in {args.queries})")
        args.queries.write_text("\n".join(journey_sql) + "\n")
    # The rest of the walk's CPU is the client's own: httpx, cookies, parsing each page's forms
    # (what journey.py's buyers cost the shared machine besides the server).
    client = walked * 1000 / max(1, args.flows) - total
    print(f"client CPU per journey (walker, httpx, form parsing): {client:.1f} ms")


if __name__ == "__main__":
    main()
