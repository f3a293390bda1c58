"""The telemetry stream in readiness and metrics (issue #17 items 1, 2 and 4).

- Readiness check ``telemetry_stream`` (``/readyz``): when ``HEARTH_TELEMETRY_STREAM`` is set,
  this process is connected to NATS and the stream exists; otherwise the check has nothing to
  check and passes (the direct path needs only the database).
- Gauges read at each scrape (``/metrics``), from the server, so they are the same whichever
  process answers: ``hearth_telemetry_stream_up`` (1 when the server answered),
  ``hearth_telemetry_stream_pending_batches`` (not yet delivered to a consumer: the consumers'
  lag, in batches), ``hearth_telemetry_stream_unacked_batches`` (delivered, not acknowledged)
  and ``hearth_telemetry_stream_dead_letters`` (messages in the dead-letter stream).
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from hearth.devices import stream


def check_stream() -> None:
    """Raises StreamUnavailable when the configured stream cannot take a batch."""
    if not stream.stream_url():
        return
    stream.link().ensure_streams()
    if not stream.link().connected():
        raise stream.StreamUnavailable("not connected")


class StreamCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        if not stream.stream_url():
            return
        up = GaugeMetricFamily(
            "hearth_telemetry_stream_up", "1 when the telemetry stream's server answered."
        )
        try:
            state = stream.link().state()
        except stream.StreamUnavailable:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        for name, doc, value in (
            (
                "hearth_telemetry_stream_pending_batches",
                "Batches in the stream not yet delivered to a consumer (the consumers' lag).",
                state.pending,
            ),
            (
                "hearth_telemetry_stream_unacked_batches",
                "Batches delivered to a consumer and not yet acknowledged.",
                state.unacked,
            ),
            (
                "hearth_telemetry_stream_dead_letters",
                "Messages in the dead-letter stream (malformed or refused by the database).",
                state.dead,
            ),
        ):
            gauge = GaugeMetricFamily(name, doc)
            gauge.add_metric([], value)
            yield gauge


def register() -> None:
    """Called at start-up (DevicesConfig.ready) when the stream is configured."""
    from hearth.core.health import register_check
    from hearth.core.metrics import register_scrape_collector

    register_check("telemetry_stream", check_stream)
    register_scrape_collector("telemetry_stream", StreamCollector())


def unregister() -> None:
    from hearth.core.health import unregister_check
    from hearth.core.metrics import unregister_scrape_collector

    unregister_check("telemetry_stream")
    unregister_scrape_collector("telemetry_stream")
