"""Make the after-sales demo: a customer with delivered orders to return and claim on (never in
production). Idempotent: safe on every start; prints the login, orders and serials."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hearth.aftersales import demo
from hearth.core import clock


class Command(BaseCommand):
    help = "Create the demo customer's delivered orders for returns and warranty claims."

    def handle(self, *args: Any, **options: Any) -> None:
        if getattr(settings, "PRODUCTION", False):
            raise CommandError("The after-sales demo is never created in production.")
        customer, made = demo.load(now=clock.now())
        self.stdout.write(
            f"  Demo customer (My Stuff): {customer.email}, password {demo.DEMO_CUSTOMER_PASSWORD}"
        )
        for item in made:
            serials = ", ".join(f"{serial} ({sku})" for sku, serial in item.serials)
            delivered = item.order.delivered_at.date() if item.order.delivered_at else "-"
            self.stdout.write(
                f"    {item.order.number}, delivered {delivered}: {item.spec.purpose}"
            )
            self.stdout.write(f"      serials {serials}")
        self.stdout.write(
            f"  Dealer unit for care's dealer form: serial {demo.DEALER_SERIAL} (EO-FIVE-BIR)"
        )
