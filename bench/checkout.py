"""Checkout: simulated shoppers over HTTP, and SQL queries per page at 10 and 1,000 products.

    python bench/checkout.py [--seconds 15] [--clients 4] [--postgres]

1. Shoppers (bounded: at most ``--seconds`` of load per database, at most ``--orders`` orders):
   ``--clients`` processes, each a sequence of shoppers against a gunicorn server (3 workers)
   with the demo catalogue: browse the catalogue, open a product, add it to the basket
   (``POST /api/v1/checkout/basket/lines``), check out (``POST .../quote`` with the province),
   then place the order with a test Visa (``POST .../orders`` with an ``Idempotency-Key``).
   Card tokens come from the sandbox provider's service (what its card page does after the
   shopper types 4242 4242 4242 4242), made before the clock starts. Figures: orders per second
   and the p50/p95 latency of the placing request alone.
2. SQL queries per request for the catalogue, product and basket pages, through Django's test
   client in this process with ``CaptureQueriesContext``, on a scratch SQLite database holding
   10 products and then 1,000 synthetic products.

Aims (issue #4): >= 50 orders/s on PostgreSQL on this machine, p95 placing <= 100 ms, and the
same query count at 10 and at 1,000 products.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._harness import PYTHON, postgres_url, running_server  # noqa: E402

AIM_ORDERS_PER_SECOND = 50
AIM_P95_MS = 100.0

SETUP = """
import json, os
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit
from hearth.catalog.models import Variant
from hearth.payments.models import HostedSession
from hearth.payments.services import start_card_session, tokenise_card
from hearth.core import clock
in_stock = Variant.objects.filter(availability="in_stock").select_related("product")
variant = in_stock.order_by("sku").first()
Variant.objects.filter(pk=variant.pk).update(stock_on_hand=1_000_000)
tokens = []
for _ in range(int(os.environ["BENCH_TOKENS"])):
    url = start_card_session(
        amount=Decimal("1.00"), reference="bench", return_url="/basket/", cancel_url="/basket/"
    )
    session = parse_qs(urlsplit(url).query)["session"][0]
    back = tokenise_card(
        session_id=session, kind=HostedSession.Kind.CARD, number="4242424242424242",
        exp_month=12, exp_year=2035, cvc="123", at=clock.now(),
    )
    tokens.append(parse_qs(urlsplit(back).query)["payment_token"][0])
print(json.dumps({"sku": variant.sku, "slug": variant.product.slug, "tokens": tokens}))
"""


# --- Shoppers over HTTP.


class Shopper:
    """One browser-less shopper: keeps its cookies, speaks JSON to the API."""

    def __init__(self, host: str, port: int) -> None:
        self.conn = http.client.HTTPConnection(host, port, timeout=30)
        self.cookies: dict[str, str] = {}

    def call(
        self, method: str, path: str, body: object = None, **headers: str
    ) -> tuple[int, bytes]:
        head = {"Content-Type": "application/json", **headers}
        if self.cookies:
            head["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = json.dumps(body).encode() if body is not None else None
        self.conn.request(method, path, body=data, headers=head)
        response = self.conn.getresponse()
        payload = response.read()
        for value in response.msg.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, payload

    def close(self) -> None:
        self.conn.close()


def _shop(args: tuple[str, str, str, list[str], float, bool]) -> tuple[int, int, list[float]]:
    """One client process: shoppers one after another until the tokens or the time run out.

    ``journey``: browse, product, add to basket, quote, then place from the basket; otherwise
    only the placing request, with the lines in its body (the placing phase)."""
    address, sku, slug, tokens, seconds, journey = args
    host, port = address.rsplit(":", 1)
    errors = 0
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    for token in tokens:
        if time.monotonic() >= deadline:
            break
        shopper = Shopper(host, int(port))
        try:
            steps = [
                ("GET", "/shop/", None),
                ("GET", f"/shop/{slug}/", None),
                ("POST", "/api/v1/checkout/basket/lines", {"sku": sku, "quantity": 1}),
                ("POST", "/api/v1/checkout/quote", {"province": "ON"}),
            ]
            if not journey:
                steps = []
            ok = True
            for method, path, body in steps:
                status, _ = shopper.call(method, path, body)
                if status >= 400:
                    ok = False
                    break
            if not ok:
                errors += 1
                continue
            order = {
                "email": "shopper@example.com",
                "name": "Bench Shopper",
                "shipping_address": {
                    "lines": ["12 Wellington Street"],
                    "city": "Ottawa",
                    "province": "ON",
                    "postal_code": "K1A 0B1",
                    "country": "CA",
                },
                "attestations": {"adult": True, "end_user": True, "accurate": True},
                "payment_method": "card",
                "payment_token": token,
            }
            if not journey:
                order["lines"] = [{"sku": sku, "quantity": 1}]
            start = time.perf_counter()
            status, _ = shopper.call(
                "POST", "/api/v1/checkout/orders", order, **{"Idempotency-Key": uuid.uuid4().hex}
            )
            elapsed = (time.perf_counter() - start) * 1000
            if status == 201:
                latencies.append(elapsed)
            else:
                errors += 1
        except OSError:
            errors += 1
        finally:
            shopper.close()
    return len(latencies), errors, latencies


def _run(
    address: str,
    info: dict[str, object],
    tokens: list[str],
    *,
    seconds: float,
    clients: int,
    journey: bool,
) -> dict[str, float]:
    shares = [tokens[i::clients] for i in range(clients)]
    start = time.monotonic()
    with mp.get_context("spawn").Pool(clients) as pool:
        results = pool.map(
            _shop,
            [(address, info["sku"], info["slug"], share, seconds, journey) for share in shares],
        )
    elapsed = time.monotonic() - start
    placed = sum(r[0] for r in results)
    errors = sum(r[1] for r in results)
    latencies = sorted(lat for r in results for lat in r[2])
    if not latencies:
        return {"orders": 0, "errors": errors, "seconds": elapsed, "p50": 0.0, "p95": 0.0}
    return {
        "orders": placed,
        "errors": errors,
        "seconds": elapsed,
        "p50": latencies[len(latencies) // 2],
        "p95": latencies[max(0, int(len(latencies) * 0.95) - 1)],
    }


def shoppers(
    database_url: str, *, seconds: float, clients: int, orders: int
) -> dict[str, dict[str, float]]:
    """Half the time whole journeys, half the time the placing request alone."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "ERROR",
        "BENCH_TOKENS": str(orders),
    }
    with running_server(database_url) as address:
        setup = subprocess.run(
            [PYTHON, "manage.py", "shell", "-c", SETUP],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        info = json.loads(setup.stdout.strip().splitlines()[-1])
        tokens: list[str] = info["tokens"]
        half = len(tokens) // 2
        return {
            "journey": _run(
                address, info, tokens[:half], seconds=seconds / 2, clients=clients, journey=True
            ),
            "placing": _run(
                address, info, tokens[half:], seconds=seconds / 2, clients=clients, journey=False
            ),
        }


# --- Queries per page, in process.


def query_counts() -> list[tuple[str, int, int]]:
    """(page, queries at 10 products, queries at 1,000 products) on a scratch SQLite database."""
    scratch = tempfile.mkdtemp(prefix="hearth-bench-queries-")
    os.environ["HEARTH_VAR_DIR"] = scratch
    os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/queries.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hearth.settings")
    import django

    django.setup()
    from decimal import Decimal

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from hearth.catalog.models import Product, Variant

    call_command("migrate", "--noinput", verbosity=0)

    def add_products(start: int, stop: int) -> None:
        products = Product.objects.bulk_create(
            [
                Product(
                    slug=f"bench-{i:04d}",
                    name=f"Bench Speaker {i:04d}",
                    category="speakers",
                    summary="A synthetic product.",
                    image="catalog/img/ember-one.svg",
                )
                for i in range(start, stop)
            ]
        )
        Variant.objects.bulk_create(
            [
                Variant(
                    product=p,
                    sku=f"B{p.slug[-4:]}-{code}",
                    colour=colour,
                    price=Decimal("199.00") + n,
                    stock_on_hand=50,
                )
                for p in products
                for n, (code, colour) in enumerate(
                    [("CHR", "Charcoal"), ("OAK", "Oak"), ("CLK", "Chalk")]
                )
            ]
        )

    client = Client()

    def measure() -> dict[str, int]:
        counts = {}
        for name, path in [
            ("catalogue /shop/", "/shop/"),
            ("catalogue, filtered", "/shop/?category=speakers&colour=Oak&in_stock=on"),
            ("product /shop/<slug>/", "/shop/bench-0003/"),
            ("basket /basket/ (3 lines)", "/basket/"),
        ]:
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            counts[name] = len(ctx.captured_queries)
        return counts

    add_products(0, 10)
    for sku in ("B0000-CHR", "B0001-OAK", "B0002-CLK"):
        client.post("/basket/add/", {"sku": sku, "quantity": "1"})
    at_10 = measure()
    add_products(10, 1000)
    at_1000 = measure()
    return [(name, at_10[name], at_1000[name]) for name in at_10]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="load per database (<= 30)")
    parser.add_argument("--clients", type=int, default=4, help="shopper processes")
    parser.add_argument("--orders", type=int, default=2000, help="most orders per database")
    parser.add_argument("--postgres", action="store_true", help="also serve from PostgreSQL")
    args = parser.parse_args()
    seconds = min(args.seconds, 30.0)

    scratch = tempfile.mkdtemp(prefix="hearth-bench-checkout-")
    databases = [("SQLite", f"sqlite:///{scratch}/bench.sqlite3")]
    if args.postgres and (url := postgres_url("hearth_bench_checkout")):
        databases.append(("PostgreSQL", url))
    for label, url in databases:
        results = shoppers(url, seconds=seconds, clients=args.clients, orders=args.orders)
        print(
            f"Shoppers over HTTP ({label}; gunicorn 3 workers, {args.clients} shopper processes "
            f"on the same 2 cores, {seconds / 2:g} s per phase)"
        )
        for phase, title in [
            ("journey", "whole journeys (browse, product, add, quote, place from the basket)"),
            ("placing", "placing phase (POST /api/v1/checkout/orders only, lines in the body)"),
        ]:
            result = results[phase]
            rate = result["orders"] / result["seconds"] if result["seconds"] else 0.0
            aim = f"aim >= {AIM_ORDERS_PER_SECOND}/s on PostgreSQL"
            if label == "PostgreSQL":
                aim += f": {'met' if rate >= AIM_ORDERS_PER_SECOND else 'NOT met'}"
            verdict = "met" if 0 < result["p95"] <= AIM_P95_MS else "NOT met"
            print(f"  {title}")
            print(
                f"    {result['orders']:.0f} orders in {result['seconds']:.1f} s, "
                f"errors {result['errors']:.0f}: {rate:.1f} orders/s ({aim})"
            )
            print(
                f"    placing p50 {result['p50']:.1f} ms  p95 {result['p95']:.1f} ms "
                f"(aim p95 <= {AIM_P95_MS:g} ms: {verdict})"
            )
        print()

    print("SQL queries per request (Django test client, scratch SQLite database)")
    print(f"  {'page':<30} {'10 products':>12} {'1,000 products':>15}")
    same = True
    for name, small, large in query_counts():
        same &= small == large
        print(f"  {name:<30} {small:>12} {large:>15}")
    print(f"  aim: the same count at 10 and 1,000 products: {'met' if same else 'NOT met'}")


if __name__ == "__main__":
    main()
