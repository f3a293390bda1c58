"""The PostgreSQL backend's health check (hearth/core/postgresql/base.py): a kept connection the
server has closed is replaced before the request's first query, with no error; a live one is
kept, and checking it sends nothing."""

from __future__ import annotations

import select
from collections.abc import Iterator

import pytest
from django.db import connection

from hearth.core.postgresql.base import DatabaseWrapper

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="PostgreSQL's backend; SQLite has no socket"
    ),
]


@pytest.fixture
def kept() -> Iterator[DatabaseWrapper]:
    """A second connection to the test database, kept with health checks on, as a server's is."""
    settings = {**connection.settings_dict, "CONN_HEALTH_CHECKS": True, "CONN_MAX_AGE": 600}
    wrapper = DatabaseWrapper(settings, alias="health-check-test")
    wrapper.connect()
    yield wrapper
    wrapper.close()


def backend_pid(wrapper: DatabaseWrapper) -> int:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        row = cursor.fetchone()
        assert row is not None
        return int(row[0])


def next_request(wrapper: DatabaseWrapper) -> None:
    """What Django does between two requests on a kept connection (request_finished)."""
    wrapper.close_if_unusable_or_obsolete()
    assert wrapper.health_check_done is False


def test_a_connection_the_server_closed_is_replaced_before_the_next_requests_first_query(
    kept: DatabaseWrapper,
) -> None:
    first = backend_pid(kept)
    next_request(kept)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [first])
        assert cursor.fetchone()[0] is True
    descriptor = kept.connection.fileno()
    # Wait (at most 10 s) for the server's goodbye to reach the socket, as it would by the time
    # a later request came; the check itself never waits.
    readable, _w, _x = select.select([descriptor], [], [], 10)
    assert readable, "the server's goodbye never arrived"
    second = backend_pid(kept)  # no OperationalError: the check reopened first
    assert second != first


def test_a_live_connection_is_kept_and_checking_it_sends_no_query(
    kept: DatabaseWrapper, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = backend_pid(kept)
    raw = kept.connection
    next_request(kept)
    pings: list[str] = []
    original = type(kept).is_usable

    def counting_is_usable(self: DatabaseWrapper) -> bool:  # Django's check: SELECT 1
        pings.append("SELECT 1")
        return original(self)

    monkeypatch.setattr(type(kept), "is_usable", counting_is_usable)
    assert backend_pid(kept) == first
    assert kept.connection is raw
    assert kept.health_check_done is True
    assert pings == []


def test_the_servers_database_settings_use_this_backend() -> None:
    assert connection.settings_dict["ENGINE"] == "hearth.core.postgresql"
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
