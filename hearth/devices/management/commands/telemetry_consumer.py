"""manage.py telemetry_consumer [--batch 200] [--max-wait 0.5] [--ack-wait 30] [--max-seconds S]
[--until-empty]

Drains the telemetry stream (HEARTH_TELEMETRY_STREAM) into the database: the durable pull
consumer of hearth/devices/consumer.py, one insert per round of up to ``--batch`` messages, acks
after the commit. Run as many as you like: they share the durable consumer. SIGTERM or SIGINT
stops it after the round in progress (its messages committed and acked).
"""

from __future__ import annotations

import signal
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from hearth.core import clock
from hearth.devices import stream
from hearth.devices.consumer import Consumer, RoundResult


class Command(BaseCommand):
    help = "Drain the telemetry stream (NATS JetStream) into the database, exactly once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=200, help="messages per round (1-5000)")
        parser.add_argument(
            "--ack-wait", type=float, default=30.0, help="seconds before an unacked redelivery"
        )
        parser.add_argument(
            "--max-wait",
            type=float,
            default=0.5,
            help="seconds a round waits for a full batch (the lag at a low rate; 0.05-10)",
        )
        parser.add_argument("--max-seconds", type=float, default=None, help="stop after this")
        parser.add_argument(
            "--until-empty", action="store_true", help="stop at the first empty round"
        )
        parser.add_argument(
            "--pause-after-commit",
            type=float,
            default=0.0,
            help="crash tests only: sleep this long between a round's commit and its acks",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not stream.stream_url():
            raise CommandError("HEARTH_TELEMETRY_STREAM is not set: there is no stream to drain.")
        if not 1 <= options["batch"] <= 5000:
            raise CommandError("--batch must be between 1 and 5,000")
        if not 0.05 <= options["max_wait"] <= 10:
            raise CommandError("--max-wait must be between 0.05 and 10 seconds")
        stopping = {"flag": False}

        def stop(signum: int, _frame: Any) -> None:
            stopping["flag"] = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        pause = float(options["pause_after_commit"])

        def after_commit(result: RoundResult) -> None:
            if pause > 0:
                self.stdout.write(f"committed {result.events} events, not acked yet")
                self.stdout.flush()
                time.sleep(pause)

        consumer = Consumer(
            batch=options["batch"],
            ack_wait=options["ack_wait"],
            fetch_timeout=options["max_wait"],
            clock=clock.now,
            after_commit=after_commit if pause > 0 else None,
        )
        deadline = time.monotonic() + options["max_seconds"] if options["max_seconds"] else None
        total = RoundResult()
        self.stdout.write(f"draining {consumer.cfg.name} from {consumer.cfg.url}")
        self.stdout.flush()
        try:
            while not stopping["flag"]:
                if deadline is not None and time.monotonic() > deadline:
                    break
                try:
                    result = consumer.drain_once()
                except stream.StreamUnavailable as exc:
                    self.stderr.write(f"stream unavailable: {exc}; retrying")
                    consumer.close()
                    time.sleep(1)
                    continue
                except Exception as exc:
                    self.stderr.write(f"round failed, nothing acked: {exc!r}; retrying")
                    close_old_connections()
                    consumer.close()  # subscribe afresh (after a NATS restart, say)
                    time.sleep(1)
                    continue
                total.messages += result.messages
                total.events += result.events
                total.stored += result.stored
                total.dead += result.dead
                total.redelivered += result.redelivered
                if result.messages:
                    self.stdout.write(
                        f"round: {result.messages} messages, {result.events} events, "
                        f"{result.stored} new, {result.withheld} withheld, "
                        f"{result.dead} dead-lettered, "
                        f"{result.redelivered} redelivered"
                    )
                    self.stdout.flush()
                elif options["until_empty"]:
                    break
        finally:
            consumer.close()
            stream.close_links()
        self.stdout.write(
            f"stopped: {total.messages} messages, {total.events} events, {total.stored} new, "
            f"{total.dead} dead-lettered, {total.redelivered} redelivered"
        )
        sys.stdout.flush()
