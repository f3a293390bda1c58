"""HTTP for the client: one keep-alive connection per transport, standard library only.

A transport is any callable ``(method, url, body, headers) -> Response`` that raises
:class:`TransportError` when no answer came back; tests pass a fake one for the retry logic.
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Protocol


class TransportError(OSError):
    """No HTTP answer: connection refused or reset, timeout, DNS failure."""


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)  # names in lower case

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body else None


class Transport(Protocol):
    def __call__(
        self, method: str, url: str, body: bytes | None, headers: dict[str, str]
    ) -> Response: ...


class HttpTransport:
    """A keep-alive ``http.client`` connection per scheme/host, reopened after an error.

    Not thread-safe: give each thread (or each client) its own transport.
    """

    def __init__(self, *, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self._conns: dict[tuple[str, str], http.client.HTTPConnection] = {}

    def __call__(
        self, method: str, url: str, body: bytes | None, headers: dict[str, str]
    ) -> Response:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in {"http", "https"}:
            raise TransportError(f"unsupported URL scheme {parts.scheme!r}")
        key = (parts.scheme, parts.netloc)
        path = parts.path or "/"
        if parts.query:
            path = f"{path}?{parts.query}"
        for attempt in (1, 2):  # a kept-alive connection the server closed: reopen once
            conn = self._conns.get(key)
            reused = conn is not None
            if conn is None:
                cls = (
                    http.client.HTTPSConnection
                    if parts.scheme == "https"
                    else http.client.HTTPConnection
                )
                conn = cls(parts.netloc, timeout=self.timeout)
                self._conns[key] = conn
            try:
                conn.request(method, path, body=body, headers=headers)
                answer = conn.getresponse()
                return Response(
                    status=answer.status,
                    body=answer.read(),
                    headers={k.lower(): v for k, v in answer.getheaders()},
                )
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as exc:
                self._drop(key)
                if attempt == 2 or not reused:
                    raise TransportError(str(exc)) from exc
            except (OSError, http.client.HTTPException) as exc:
                self._drop(key)
                raise TransportError(str(exc)) from exc
        raise TransportError("unreachable")  # pragma: no cover

    def _drop(self, key: tuple[str, str]) -> None:
        conn = self._conns.pop(key, None)
        if conn is not None:
            conn.close()

    def close(self) -> None:
        for key in list(self._conns):
            self._drop(key)
