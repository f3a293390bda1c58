"""Fixtures of the devices tests: real NATS servers for the telemetry stream (stream_helpers)."""

from hearth.devices.tests.stream_helpers import machine_nats, stream_on

__all__ = ["machine_nats", "stream_on"]
