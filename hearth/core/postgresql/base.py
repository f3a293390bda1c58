"""Django's PostgreSQL backend, with a health check that costs no round trip.

With ``CONN_HEALTH_CHECKS`` Django sends ``SELECT 1`` before the first query of every request
on a kept connection: one more round trip per request, thirteen in a guest journey, each one a
wait for the database process to be scheduled on a busy machine (issue #12). Here the check
asks the connection's socket instead, with a zero-timeout poll. Between queries the server sends
nothing, so a socket with something to read means the server has said goodbye (a restart,
``pg_terminate_backend``, an idle timeout: a FATAL message and the end of the stream); a
connection psycopg already knows to be closed or broken fails too. Either way the connection is
closed and the request opens a new one before its first query, as with Django's check.

What no poll can see, a peer gone silent without closing (a dead host), fails the request's
first query, as it would fail any query; Django then checks the connection with a real
``SELECT 1`` at the end of that request (``errors_occurred``) and drops it. A false alarm (an
unsolicited parameter report after a configuration reload) costs one reconnection.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self) -> None:
        if (
            self.pool
            or self.connection is None
            or not self.health_check_enabled  # type: ignore[attr-defined]
            or self.health_check_done  # type: ignore[has-type]
        ):
            return
        if not self.socket_quiet():
            self.close()
        self.health_check_done = True

    def socket_quiet(self) -> bool:
        """Whether the idle connection looks alive: open, and nothing unasked-for to read."""
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        try:
            descriptor = connection.fileno()
            readable, _writable, failed = select.select([descriptor], [], [descriptor], 0)
        except (OSError, ValueError):
            return False
        return not readable and not failed
