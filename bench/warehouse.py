"""The warehouse: the pick list over 10,000 open orders, and shipping labels per second.

    python bench/warehouse.py [--postgres] [--orders 10000]

Open orders are synthesised straight into the orders tables (what the pick list reads), each with
one or two lines, ship dates spread over three weeks around today. Then, signed in as the
warehouse role through Django's test client (the whole view: middleware, session, selector,
template), it counts the pick list's queries with 100 and with all orders open (they must be the
same) and times its render (median of repeats). Labels: the sandbox carrier's 4x6 PDF with its
Code 128 barcode, rendered in a loop (labels per second, one core).

Aims on this 2-core machine: the pick list's query count does not grow with the orders, and it
renders in under 250 ms with 10,000 open; a label costs under 10 ms (over 100 labels per second,
far above what one packing bench prints).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

AIM_PICK_LIST_S = 0.25
AIM_LABELS_PER_S = 100
SKUS = ("EO-ONE-CHR", "EO-ONE-BIR", "EO-FIVE-CHR", "OAK-BAR-CHR", "ACC-CABLE-3M")


def _fill(orders: int, today: dt.date, start: int = 0) -> None:
    from django.db import transaction

    from hearth.orders.models import Order, OrderLine

    placed = dt.datetime.combine(today, dt.time(9), tzinfo=dt.UTC)
    batch = 1000
    with transaction.atomic():
        for first in range(start, start + orders, batch):
            rows = [
                Order(
                    number=f"EO-B{n:08d}",
                    status="released",
                    channel="web",
                    email=f"buyer{n}@example.com",
                    contact_name=f"Buyer {n}",
                    phone="+1 416 555 0100",
                    address_lines="100 Queen Street West",
                    city="Toronto",
                    province="ON",
                    postal_code="M5H 2N2",
                    country="CA",
                    subtotal=Decimal("249.00"),
                    total_tax=Decimal("32.37"),
                    grand_total=Decimal("281.37"),
                    payment_method="card",
                    idempotency_key=f"bench-{n}",
                    placed_at=placed - dt.timedelta(minutes=n % 5000),
                    ship_date=today + dt.timedelta(days=(n % 21) - 10),
                )
                for n in range(first, min(first + batch, start + orders))
            ]
            Order.objects.bulk_create(rows)
            numbers = [o.number for o in rows]
            ids = dict(Order.objects.filter(number__in=numbers).values_list("number", "pk"))
            lines = []
            for i, number in enumerate(numbers):
                for k in range(1 + i % 2):
                    sku = SKUS[(i + k) % len(SKUS)]
                    lines.append(
                        OrderLine(
                            order_id=ids[number],
                            sku=sku,
                            name="Ember One",
                            colour="Charcoal",
                            unit_price=Decimal("249.00"),
                            quantity=1 + k,
                            availability="in_stock",
                        )
                    )
            OrderLine.objects.bulk_create(lines)


def _warehouse_client():  # type: ignore[no-untyped-def]
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from hearth.accounts import services as accounts_services
    from hearth.accounts.models import User

    accounts_services.sync_roles()
    user = User.objects.create_user(email="bench-packer@example.com", password=None)
    accounts_services.assign_role(user=user, role_key="warehouse", actor=None)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get_or_create(
        user=user, name="Authenticator", defaults={"confirmed": True}
    )[0].persistent_id
    session.save()
    return client


def _render(client, repeats: int) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get("/back-office/warehouse/pick/")  # warm
    times = []
    queries = 0
    for _ in range(repeats):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get("/back-office/warehouse/pick/")
            times.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
        queries = len(captured)
    return statistics.median(times), queries


def warehouse_benchmark(*, orders: int, repeats: int = 9) -> dict[str, float]:
    from hearth.core import clock
    from hearth.fulfilment import carriers

    today = clock.today_eastern()
    client = _warehouse_client()
    _fill(100, today)
    small_s, small_q = _render(client, repeats)
    start = time.perf_counter()
    _fill(orders - 100, today, start=100)
    fill_s = time.perf_counter() - start
    big_s, big_q = _render(client, repeats)
    print(f"  {orders:,} open orders synthesised in {fill_s:.1f} s")
    print(f"  pick list, 100 open: {small_q} queries, median {small_s * 1000:.1f} ms")
    print(
        f"  pick list, {orders:,} open: {big_q} queries, median {big_s * 1000:.1f} ms "
        f"(aim < {AIM_PICK_LIST_S * 1000:.0f} ms; queries constant: "
        f"{'yes' if big_q == small_q else 'NO'})"
    )
    ship_to = carriers.ShipTo(
        name="Ada Lovelace",
        lines=("100 Queen Street West",),
        city="Toronto",
        province="ON",
        postal_code="M5H 2N2",
        country="CA",
        phone="+1 416 555 0100",
    )
    sandbox = carriers.carrier("sandbox")
    counter = iter(range(10**9))

    def one_label() -> bytes:
        return sandbox.create_label(
            ship_to=ship_to,
            parcel=carriers.Parcel(weight_grams=2500, reference=f"EO-{next(counter):08d}"),
            service="standard",
            ship_date=today,
        ).pdf

    from bench._harness import calls_per_second

    labels = calls_per_second(one_label, seconds=1.0, repeats=5)
    print(f"  labels (PDF + Code 128): {labels:.0f} per second (aim > {AIM_LABELS_PER_S})")
    return {
        "pick_list_small_s": small_s,
        "pick_list_big_s": big_s,
        "queries_small": small_q,
        "queries_big": big_q,
        "labels_per_s": labels,
    }


def _child(orders: int) -> int:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    result = warehouse_benchmark(orders=orders)
    return 0 if result["queries_big"] == result["queries_small"] else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return _child(args.orders)
    from bench._harness import postgres_url

    targets: list[tuple[str, str | None]] = [("SQLite", None)]
    if args.postgres:
        url = postgres_url("hearth_bench_warehouse")
        if url:
            targets.append(("PostgreSQL", url))
    for label, url in targets:
        print(f"Warehouse ({label})", flush=True)
        with tempfile.TemporaryDirectory(prefix="hearth-bench-warehouse-") as var_dir:
            env = {
                **os.environ,
                "HEARTH_VAR_DIR": var_dir,
                "DJANGO_SETTINGS_MODULE": "hearth.settings",
                "ALLOWED_HOSTS": "testserver,127.0.0.1",
            }
            if url:
                env["DATABASE_URL"] = url
            else:
                env.pop("DATABASE_URL", None)
            code = subprocess.call(
                [sys.executable, __file__, "--child", "--orders", str(args.orders)],
                cwd=ROOT,
                env=env,
            )
            if code:
                return code
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
