"""Gunicorn's configuration for Hearth (issue #12 item 6).

    gunicorn hearth.wsgi -c hearth/gunicorn.conf.py

Every value can be overridden from the environment (``WEB_CONCURRENCY``, ``WEB_THREADS``,
``WEB_TIMEOUT``) or the command line (``-w 4``), which gunicorn lets win over this file.

- Sync workers, one thread each by default: the pages are CPU-bound Python, so more processes
  (not threads) use more cores; one thread per worker also means one database connection per
  worker, kept open between requests (``CONN_MAX_AGE`` with health checks, settings.py).
- ``preload_app``: the application is imported once in the master and forked, so workers start
  fast and share the imported code's memory. No database connection is opened at import.
- ``max_requests`` with jitter: a worker is replaced now and then, so a slow leak cannot grow
  forever, and the workers do not all restart at once.
"""

from __future__ import annotations

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", str(multiprocessing.cpu_count() * 2)))
threads = int(os.environ.get("WEB_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
preload_app = True
# A request that takes longer than this is stuck: the worker is killed and replaced.
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
max_requests = 5000
max_requests_jitter = 500
# Behind a proxy (TLS ends there): one request line or header over these is refused.
limit_request_line = 8190
limit_request_fields = 100
