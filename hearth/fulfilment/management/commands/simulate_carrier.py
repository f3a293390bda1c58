"""Drive a parcel's tracking events through the real, signed carrier webhook over HTTP.

manage.py simulate_carrier 1234567890123456 --ending delivered [--url http://127.0.0.1:8000]
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hearth.core import clock
from hearth.fulfilment import carriers, simulator


class Command(BaseCommand):
    help = "Post the sandbox carrier's tracking events for a tracking code to Hearth's webhook."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("tracking_code")
        parser.add_argument("--ending", choices=sorted(simulator.JOURNEYS), default="delivered")
        parser.add_argument("--carrier", default="sandbox")
        parser.add_argument("--url", default=settings.HEARTH_SITE_URL, help="Hearth's base URL.")
        parser.add_argument(
            "--hours-between", type=float, default=6.0, help="Time between two events."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = clock.now()
        chosen = carriers.carrier(options["carrier"])
        events = simulator.journey_events(
            tracking_code=options["tracking_code"],
            ending=options["ending"],
            start=now
            - dt.timedelta(hours=options["hours_between"])
            * len(simulator.JOURNEYS[options["ending"]]),
            step=dt.timedelta(hours=options["hours_between"]),
        )
        answers = simulator.post_events(
            base_url=options["url"],
            carrier_key=chosen.key,
            secret=chosen.webhook_secret,
            events=events,
            now=now,
        )
        self.stdout.write(simulator.summary(answers))
        if any(a.status != 200 for a in answers):
            raise CommandError("The webhook refused an event (see above).")
