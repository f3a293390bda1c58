"""Rule engines: calls per second called directly, and requests per second over HTTP.

    python bench/rules.py [--seconds 1] [--http-seconds 5] [--postgres]

Issue #2's aims: >= 20,000 tax quotes/s and >= 50,000 ship-date estimates/s per core when called
directly (each direct loop runs on one core). The HTTP figures are for a gunicorn server with 3
workers on this machine, driven by 4 client processes on the same 2 cores, so they measure the
whole stack, client included.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hearth.settings")

import django

django.setup()

from bench._harness import calls_per_second, load, postgres_url, running_server  # noqa: E402
from hearth.aftersales import rules as aftersales  # noqa: E402
from hearth.fulfilment import address  # noqa: E402
from hearth.fulfilment import rules as fulfilment  # noqa: E402
from hearth.tax import rules as tax  # noqa: E402

EASTERN = dt.timezone(dt.timedelta(hours=-5))
AIMS = {"tax quote": 20_000, "ship-date estimate": 50_000}

TAX_BODY = {
    "date": "2026-03-01",
    "province": "QC",
    "shipping": "15.00",
    "bc_pst_number": None,
    "lines": [{"unit_price": "199.00", "quantity": 2}, {"unit_price": "49.99", "quantity": 1}],
}
ESTIMATE_BODY = {
    "placed_at": "2026-03-06T11:59:59-05:00",
    "payment_confirmed_at": "2026-03-06T11:59:59-05:00",
    "method": "standard",
}
ADDRESS_BODY = {
    "lines": ["123 Box Elder Street", "Apt 4"],
    "city": "Ottawa",
    "province": "ON",
    "postal_code": "k1a0b1",
    "country": "CA",
}
ELIGIBILITY_BODY = {
    "kind": "warranty",
    "shipped_on": "2025-12-01",
    "retail_purchased_on": None,
    "requested_on": "2026-06-01",
    "channel": "web",
}


def direct(seconds: float) -> list[tuple[str, float]]:
    lines = [tax.TaxLine(Decimal("199.00"), 2), tax.TaxLine(Decimal("49.99"), 1)]
    placed = dt.datetime(2026, 3, 6, 11, 59, 59, tzinfo=EASTERN)
    cases = {
        "tax quote": lambda: tax.quote(
            lines=lines, shipping=Decimal("15.00"), province="QC", on=dt.date(2026, 3, 1)
        ),
        "ship-date estimate": lambda: fulfilment.estimate(
            placed_at=placed, payment_confirmed_at=placed
        ),
        "address check": lambda: address.check_address(
            lines=["123 Box Elder Street", "Apt 4"],
            city="Ottawa",
            province="ON",
            postal_code="k1a0b1",
            country="CA",
        ),
        "return/warranty eligibility": lambda: aftersales.eligibility(
            kind="warranty",
            channel="web",
            shipped_on=dt.date(2025, 12, 1),
            requested_on=dt.date(2026, 6, 1),
        ),
    }
    return [(name, calls_per_second(fn, seconds=seconds)) for name, fn in cases.items()]


def over_http(database_url: str | None, seconds: float) -> list[tuple[str, object]]:
    endpoints = [
        ("POST /api/v1/tax/quote", "/api/v1/tax/quote", TAX_BODY),
        ("POST /api/v1/fulfilment/estimate", "/api/v1/fulfilment/estimate", ESTIMATE_BODY),
        ("POST /api/v1/fulfilment/address-check", "/api/v1/fulfilment/address-check", ADDRESS_BODY),
        ("POST /api/v1/aftersales/eligibility", "/api/v1/aftersales/eligibility", ELIGIBILITY_BODY),
    ]
    results = []
    with running_server(database_url) as server:
        for name, path, body in endpoints:
            results.append((name, load(server, "POST", path, body, seconds=seconds)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="per direct run (5 runs)")
    parser.add_argument("--http-seconds", type=float, default=5.0, help="per endpoint")
    parser.add_argument("--postgres", action="store_true", help="also serve from PostgreSQL")
    args = parser.parse_args()

    print("Rule engines called directly (one core, median of 5 runs)")
    for name, rate in direct(args.seconds):
        aim = AIMS.get(name)
        verdict = (
            f"  aim >= {aim:,}/s: {'met' if rate >= aim else 'NOT met'} ({rate / aim:.1f}x)"
            if aim
            else ""
        )
        print(f"  {name:<30} {rate:>12,.0f} calls/s{verdict}")

    databases = [("SQLite", None)]
    if args.postgres and (url := postgres_url("hearth_bench_rules")):
        databases.append(("PostgreSQL", url))
    for label, url in databases:
        print(
            f"\nContract endpoints over HTTP ({label}; gunicorn 3 workers, 4 clients, "
            f"{args.http_seconds:g} s each)"
        )
        for name, result in over_http(url, args.http_seconds):
            print(
                f"  {name:<40} {result.per_second:>8,.0f} req/s  p50 {result.p50_ms:.1f} ms"
                f"  p95 {result.p95_ms:.1f} ms  errors {result.errors}"
            )


if __name__ == "__main__":
    main()
