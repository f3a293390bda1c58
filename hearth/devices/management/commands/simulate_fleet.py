"""manage.py simulate_fleet --households N --seconds S --base-url URL [--batch 500]

Creates N virtual households over the real API (a mix of tiers, some registered) and drives
telemetry through the device client, bounded in count and time, with a progress bar; prints the
accepted events per second at the end.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from hearth.devices.client import ApiError, TransportError
from hearth.devices.simulator import run_fleet


class Command(BaseCommand):
    help = "Drive N virtual households against a running Hearth (bounded in count and time)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--households", type=int, required=True)
        parser.add_argument("--seconds", type=float, required=True)
        parser.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:8000")
        parser.add_argument("--batch", type=int, default=500, help="events per batch (<= 1000)")
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--max-events", type=int, default=None)
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["households"] < 1 or options["households"] > 1_000_000:
            raise CommandError("--households must be between 1 and 1,000,000")
        if not 0 < options["seconds"] <= 3600:
            raise CommandError("--seconds must be between 0 and 3,600")
        if not 1 <= options["batch"] <= 1000:
            raise CommandError("--batch must be between 1 and 1,000")
        bar = tqdm(
            total=options["max_events"],
            unit="ev",
            desc="accepted",
            disable=options["no_progress"],
            file=self.stderr._out,
        )
        try:
            result = run_fleet(
                base_url=options["base_url"],
                households=options["households"],
                seconds=options["seconds"],
                batch=options["batch"],
                threads=options["threads"],
                max_events=options["max_events"],
                seed=options["seed"],
                progress=bar.update,
            )
        except (ApiError, TransportError) as exc:
            raise CommandError(f"Hearth at {options['base_url']} refused the fleet: {exc}") from exc
        finally:
            bar.close()
        tiers = ", ".join(f"{tier}: {n}" for tier, n in sorted(result.households.items()))
        self.stdout.write(
            f"households: {sum(result.households.values())} ({tiers}); "
            f"set-up {result.setup_seconds:.1f} s"
        )
        self.stdout.write(
            f"batches: {result.batches}, accepted events: {result.accepted}, "
            f"rejected: {result.rejected}, failed sends: {result.failed_batches}, "
            f"in {result.seconds:.2f} s"
        )
        self.stdout.write(f"accepted events/s: {result.events_per_second:,.0f}")
