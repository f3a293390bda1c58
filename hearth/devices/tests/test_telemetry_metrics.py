"""The telemetry edge's counters on /metrics (issue #17 item 2): events accepted, events rejected
by reason code, and batches refused whole, counted by the API view."""

from __future__ import annotations

import pytest
from django.test import Client
from prometheus_client import REGISTRY

from hearth.core import clock
from hearth.devices.tests.ingest_helpers import NOW, event, new_household, post_batch, post_json

pytestmark = pytest.mark.django_db


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_accepted_rejected_and_refused_telemetry_is_counted(client: Client) -> None:
    with clock.frozen(NOW):
        _hid, token = new_household(client)
        accepted0 = sample("hearth_telemetry_events_accepted_total")
        refused0 = sample("hearth_telemetry_batches_refused_total")
        before = {
            s.labels["code"]: s.value
            for m in REGISTRY.collect()
            if m.name == "hearth_telemetry_events_rejected"
            for s in m.samples
            if s.name.endswith("_total")
        }
        # A declining household may send product_added, not usage: one in, one out.
        response = post_batch(client, token, [event("product_added", "c-1"), event("usage", "c-2")])
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["accepted"] == 1 and len(body["rejected"]) == 1
        code = body["rejected"][0]["code"]
        assert sample("hearth_telemetry_events_accepted_total") == accepted0 + 1
        assert (
            sample("hearth_telemetry_events_rejected_total", code=code) == before.get(code, 0.0) + 1
        )

        malformed = post_json(client, "/api/v1/telemetry/batches", b"{not json", token)
        assert malformed.status_code == 400
        assert sample("hearth_telemetry_batches_refused_total") == refused0 + 1
        assert sample("hearth_telemetry_events_accepted_total") == accepted0 + 1

    scrape = client.get("/metrics")
    assert scrape.status_code == 200
    assert f'hearth_telemetry_events_rejected_total{{code="{code}"}}' in scrape.content.decode()
