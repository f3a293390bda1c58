"""Probes, metrics and log lines in-process (issue #17): /healthz, /readyz and its registry,
/metrics and who may read it, the request id and what a JSON log line may carry."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils.module_loading import import_string

from hearth.core import health
from hearth.core.logjson import JsonFormatter
from hearth.core.observability import valid_request_id


@pytest.fixture
def failing_check() -> Iterator[None]:
    def broken_stream() -> None:
        raise ConnectionRefusedError("nats://10.0.0.1:4222 refused")

    health.register_check("telemetry_stream", broken_stream)
    try:
        yield
    finally:
        health.unregister_check("telemetry_stream")


def test_liveness_answers_without_touching_the_database(client: Client) -> None:
    # No django_db mark: any query here would raise "Database access not allowed".
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readiness_checks_the_database_and_the_task_queue(client: Client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "task_queue": "ok"},
    }


@pytest.mark.django_db
def test_a_registered_check_that_fails_makes_readiness_503_naming_it(
    client: Client, failing_check: None
) -> None:
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["telemetry_stream"]
    assert body["checks"]["telemetry_stream"] == "failed: ConnectionRefusedError"
    assert body["checks"]["database"] == "ok"
    assert "10.0.0.1" not in response.content.decode()  # the error's text never leaks


@pytest.mark.django_db
def test_readiness_in_french_names_the_failing_check(client: Client, failing_check: None) -> None:
    response = client.get("/readyz", HTTP_ACCEPT_LANGUAGE="fr-CA")
    assert response.status_code == 503
    assert "telemetry_stream" in response.json()["message"]
    assert response.json()["message"].startswith("Pas prêt")


def scrape(client: Client, **headers: str) -> Any:
    return client.get("/metrics", **headers)


@pytest.mark.django_db
def test_metrics_count_request_latency_by_view_name_never_by_raw_path(client: Client) -> None:
    client.get("/healthz")
    client.get("/products/no-such-product-1234/")
    response = scrape(client)
    assert response.status_code == 200
    text = response.content.decode()
    assert 'view="healthz"' in text
    assert "no-such-product-1234" not in text  # the route's name, not the path
    assert 'hearth_task_queue_depth{queue="email"}' in text
    assert "hearth_task_queue_oldest_age_seconds" in text


@pytest.mark.django_db
def test_metrics_are_refused_to_a_proxied_or_remote_caller_without_the_token(
    client: Client, settings: Any
) -> None:
    assert scrape(client, REMOTE_ADDR="203.0.113.9").status_code == 403
    assert scrape(client, HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 403
    settings.HEARTH_METRICS_TOKEN = "s3cret-scrape-token"
    assert scrape(client).status_code == 403  # even from loopback, once a token is set
    assert scrape(client, HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    allowed = scrape(
        client, REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token"
    )
    assert allowed.status_code == 200


def configured_handler(stream: io.StringIO) -> logging.Handler:
    """A handler with the filters settings.LOGGING puts on the console, and the JSON format."""
    config = django_settings.LOGGING
    handler = logging.StreamHandler(stream)
    for name in config["handlers"]["console"]["filters"]:
        handler.addFilter(import_string(config["filters"][name]["()"])())
    handler.setFormatter(JsonFormatter())
    return handler


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = configured_handler(stream)
    loggers = [logging.getLogger("hearth.request"), logging.getLogger("hearth.test")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.removeHandler(handler)
            lg.setLevel(level)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.promise("PP-2")
def test_a_json_log_line_carries_the_request_id_and_only_a_truncated_ip(
    client: Client, json_log: io.StringIO
) -> None:
    response = client.get(
        "/healthz", REMOTE_ADDR="198.51.100.77", HTTP_X_REQUEST_ID="edge-7f3a-0001"
    )
    assert response["X-Request-ID"] == "edge-7f3a-0001"
    [line] = lines(json_log)
    assert set(line) == {"timestamp", "level", "logger", "message", "request_id"}
    assert line["request_id"] == "edge-7f3a-0001"
    assert line["logger"] == "hearth.request"
    assert line["level"] == "INFO"
    assert line["timestamp"].endswith("Z")
    assert "198.51.100.0" in line["message"]
    assert "198.51.100.77" not in json_log.getvalue()


@pytest.mark.parametrize("sent", ["", "has space", "x" * 129, "semi;colon", "new\nline"])
def test_an_implausible_request_id_is_replaced_by_a_fresh_one(client: Client, sent: str) -> None:
    assert valid_request_id(sent) is None
    response = client.get("/healthz", HTTP_X_REQUEST_ID=sent)
    echoed = response["X-Request-ID"]
    assert echoed != sent and valid_request_id(echoed) == echoed and len(echoed) == 32


@pytest.mark.promise("PP-2", "PP-10")
def test_card_numbers_and_personal_values_never_reach_a_json_log_line(
    json_log: io.StringIO,
) -> None:
    log = logging.getLogger("hearth.test")
    log.warning(
        "payment by %s with 4242 4242 4242 4242 from 2001:db8:85a3:8d3:1319:8a2e:370:7348",
        "alex.tremblay@example.com",
        extra={"email": "alex.tremblay@example.com", "phone": "416-555-0123"},
    )
    log.info("task id=88d12345-6789-4abc-ba1e-1ef957979696 order EO-00000042 done")
    first, second = lines(json_log)
    text = json_log.getvalue()
    assert "4242" not in text and "alex.tremblay" not in text
    assert "[card number removed]" in first["message"]
    assert "[email]@example.com" in first["message"]
    assert "2001:db8:85a3::" in first["message"] and "7348" not in text
    # An id that merely holds digits is left readable.
    assert (
        second["message"] == "task id=88d12345-6789-4abc-ba1e-1ef957979696 order EO-00000042 done"
    )


@pytest.mark.promise("PP-10")
def test_a_traceback_in_a_json_log_line_is_filtered_too(json_log: io.StringIO) -> None:
    try:
        raise ValueError("declined 4242424242424242 for bob@example.org at 192.0.2.55")
    except ValueError:
        logging.getLogger("hearth.test").exception("charge failed")
    [line] = lines(json_log)
    assert "ValueError" in line["exception"]
    assert "4242424242424242" not in line["exception"]
    assert "bob@" not in line["exception"]
    assert "192.0.2.55" not in line["exception"] and "192.0.2.0" in line["exception"]
