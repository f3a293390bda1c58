"""The storefront's rendered HTML per page, in English and in French (issue #16: aim under 60 KB a
page, images and the style sheet not counted).

A signed-in customer, in-process (Django's test client on a fresh SQLite database, DEBUG off),
walks home, shop, product, basket, the one-page checkout details, the sandbox card page, review,
the confirmation, My Stuff and its orders, and the support form; each page's body is measured as
sent (bytes, and gzip-compressed as a browser would receive it). The cookie banner shows, as on a
first visit. Prints a table and fails (exit 1) when a page is over the aim.

    .venv/bin/python bench/html_size.py [--aim-kb 60] [--json out.json]
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

LANGUAGES = {"en": "en", "fr": "fr-CA"}
DETAILS = {
    "email": "",  # per language, below
    "name": "Ada Lovelace",
    "phone": "613-555-0101",
    "lines": "12 Wellington Street",
    "city": "Ottawa",
    "province": "ON",
    "postal_code": "K1A 0B1",
    "country": "CA",
    "shipping_method": "standard",
    "discount_code": "",
    "payment_method": "card",
}


def _setup() -> None:
    var_dir = tempfile.mkdtemp(prefix="hearth-html-size-")
    os.environ.update(
        {
            "HEARTH_VAR_DIR": var_dir,
            "DEBUG": "0",
            "ALLOWED_HOSTS": "testserver",
            "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            "LOG_LEVEL": "ERROR",
            "HEARTH_THROTTLE_OFF": "1",
            "DJANGO_SETTINGS_MODULE": "hearth.settings",
        }
    )
    for name in ("DATABASE_URL", "HEARTH_STATIC"):
        os.environ.pop(name, None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    for command in ("sync_roles", "load_policies", "load_catalogue"):
        call_command(command, stdout=io.StringIO())
    from hearth.catalog.models import Variant

    Variant.objects.update(stock_on_hand=1_000)


def _walk(language: str) -> list[tuple[str, str, int]]:
    """(page, path, status) with the body kept in SIZES; the order a shopper meets them."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from hearth.catalog.models import Variant

    client = Client(headers={"accept-language": LANGUAGES[language]})
    email = f"html-size-{language}@example.com"
    user = get_user_model().objects.create_user(email=email, password=None)  # force_login only
    client.force_login(user)
    variant = Variant.objects.select_related("product").order_by("product__slug", "sku").first()
    assert variant is not None
    product_path = f"/shop/{variant.product.slug}/"
    pages: list[tuple[str, str, int]] = []

    def page(name: str, path: str) -> Any:
        response = client.get(path)
        SIZES[(language, name)] = response.content
        pages.append((name, path, response.status_code))
        return response

    page("home", "/")
    page("shop", "/shop/")
    page("product", product_path)
    client.post("/basket/add/", {"sku": variant.sku, "quantity": "1"})
    page("basket", "/basket/")
    client.post("/checkout/age/", {"adult": "yes"})
    page("checkout details", "/checkout/details/")
    to_provider = client.post("/checkout/details/", DETAILS | {"email": email})
    assert to_provider.status_code == 302, to_provider.content[-2000:]
    card_page = page("card page (provider)", to_provider.url)
    assert card_page.status_code == 200
    session = parse_qs(urlsplit(to_provider.url).query)["session"][0]
    card = {"session": session, "card_number": "4242424242424242", "exp_month": "12"}
    back = client.post(to_provider.url, card | {"exp_year": "2030", "cvc": "123"})
    assert back.status_code == 302
    assert client.get(back.url).status_code == 302
    review = page("review", "/checkout/review/")
    body = review.content.decode()
    token = body.split('name="place_token" value="', 1)[1].split('"', 1)[0]
    version = body.split('name="basket_version" value="', 1)[1].split('"', 1)[0]
    placed = client.post(
        "/checkout/review/",
        {"adult": "on", "end_user": "on", "accurate": "on"}
        | {"place_token": token, "basket_version": version},
    )
    assert placed.status_code == 302 and "/confirmation/" in placed.url, placed.content[-2000:]
    page("confirmation", placed.url)
    page("My Stuff", "/my-stuff/")
    page("My Stuff: orders", "/my-stuff/orders/")
    page("support", "/support/")
    return pages


SIZES: dict[tuple[str, str], bytes] = {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--aim-kb", type=float, default=60.0)
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--postgres", action="store_true", help="ignored: the HTML is the same on both databases"
    )
    args = parser.parse_args()
    started = time.monotonic()
    _setup()
    walked = {language: _walk(language) for language in LANGUAGES}
    rows = []
    print(f"{'page':<22} {'status':>6} {'en KB':>8} {'en gzip':>8} {'fr KB':>8} {'fr gzip':>8}")
    over = []
    for name, _path, status in walked["en"]:
        sizes: dict[str, Any] = {"page": name, "status": status}
        for language in LANGUAGES:
            body = SIZES[(language, name)]
            sizes[f"{language}_bytes"] = len(body)
            sizes[f"{language}_gzip_bytes"] = len(gzip.compress(body, 6))
            if len(body) > args.aim_kb * 1024:
                over.append(f"{name} ({language})")
        rows.append(sizes)
        print(
            f"{name:<22} {status:>6} {sizes['en_bytes'] / 1024:>8.1f}"
            f" {sizes['en_gzip_bytes'] / 1024:>8.1f} {sizes['fr_bytes'] / 1024:>8.1f}"
            f" {sizes['fr_gzip_bytes'] / 1024:>8.1f}"
        )
    largest = max(rows, key=lambda r: max(r["en_bytes"], r["fr_bytes"]))
    most = max(largest["en_bytes"], largest["fr_bytes"]) / 1024
    print(
        f"largest: {largest['page']}, {most:.1f} KB;"
        f" aim {args.aim_kb:.0f} KB a page: {'met' if not over else 'over on ' + ', '.join(over)}"
    )
    print(f"(set-up and walk: {time.monotonic() - started:.1f} s)")
    if args.json:
        args.json.write_text(json.dumps({"aim_kb": args.aim_kb, "pages": rows}, indent=2))
    if over:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
