"""Schemathesis over the whole OpenAPI document (issue #10, item 23): 0 server errors, 0 schema
violations, and every status an operation answers is listed in the document.

Runs inside the suite on whichever database the run uses (SQLite or PostgreSQL), calling the WSGI
application in-process, so each case sees the test database. One test per operation (the
authorisation matrix lists them all and checks that against the document): the document's own
examples, then positive and negative generated data, bounded by ``MAX_EXAMPLES`` so that the
whole module takes one to two minutes. Calls carry a device token, so that the household
endpoints are reached past authentication.

(Schemathesis' own pytest integration reads a private pytest attribute that pytest 9 no longer
has, so the operations are driven here through its Python API.)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from hearth.core import clock
from hearth.core.tests.test_api_authorisation import BASE, OPERATIONS

pytestmark = [pytest.mark.schemathesis, pytest.mark.django_db]

MAX_EXAMPLES = 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
BOUNDED = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)


@pytest.fixture
def hearth_api(db: Any) -> Iterator[Any]:
    """The document, loaded from the WSGI app; requests stay in the test's transaction."""
    from hearth.wsgi import application

    # As Django's test client does: a request's end must not close the test's connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi(f"{BASE}/openapi.json", application)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def device_token(db: Any) -> str:
    from hearth.devices import services

    _household, token = services.create_household(serials=["EO-SCHEMA-1"], at=clock.now())
    return token


@pytest.mark.parametrize("key", sorted(OPERATIONS), ids=lambda k: f"{k[0]} {k[1]}")
def test_the_operation_answers_as_the_document_says(
    hearth_api: Any, device_token: str, key: tuple[str, str]
) -> None:
    method, path = key
    operation = hearth_api[BASE + path][method]
    headers = {"Authorization": f"Bearer {device_token}"}

    def check(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    examples = operation.get_strategies_from_examples()
    if examples:

        @BOUNDED
        @given(st.one_of(examples))
        def documented_examples(case: Any) -> None:
            check(case)

        documented_examples()

    @BOUNDED
    @given(
        st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )
    )
    def generated(case: Any) -> None:
        check(case)

    generated()
