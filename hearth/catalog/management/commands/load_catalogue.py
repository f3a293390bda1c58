"""``manage.py load_catalogue``: the demo catalogue of data/catalogue.toml, idempotently."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from hearth.catalog import demo, services
from hearth.core import clock


class Command(BaseCommand):
    help = "Load the Ember & Oak Audio demo catalogue (creates what is missing; safe to rerun)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Also put existing products and variants back to the data (prices, stock, dates).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = services.load_catalogue(
            entries=demo.load_catalogue_file(),
            today=clock.today_eastern(),
            reset=options["reset"],
        )
        self.stdout.write(
            f"catalogue: {result.products_created} products and {result.variants_created} "
            f"variants created, {result.products_updated} and {result.variants_updated} reset"
        )
