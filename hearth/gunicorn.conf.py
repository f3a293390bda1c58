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

# Logs keep no full IP (PP-2): gunicorn's error and access logs pass through the same filter as
# Django's (hearth/core/log_filters.py: IPv4 /24, IPv6 /48). Retention: privacy/data/retention.toml
# ``server_logs`` (14 days, by the host's log rotation).
# The access log is off unless asked for (GUNICORN_ACCESS_LOG=- for stdout, or a file).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"truncate_ips": {"()": "hearth.core.log_filters.TruncateIPFilter"}},
    "formatters": {
        "generic": {
            "format": "%(asctime)s [%(process)d] [%(levelname)s] %(message)s",
            "datefmt": "[%Y-%m-%d %H:%M:%S %z]",
            "class": "logging.Formatter",
        }
    },
    "handlers": {
        "error_console": {
            "class": "logging.StreamHandler",
            "formatter": "generic",
            "filters": ["truncate_ips"],
            "stream": "ext://sys.stderr",
        },
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "generic",
            "filters": ["truncate_ips"],
            "stream": "ext://sys.stdout",
        },
    },
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
    },
}


def post_worker_init(worker: object) -> None:
    """Each worker flushes its visitor-statistics buffer every few seconds (hearth/stats)."""
    from hearth.stats.services import start_flusher

    start_flusher()


def worker_exit(server: object, worker: object) -> None:
    """A worker that stops writes what its statistics buffer still holds."""
    from hearth.stats.services import flush

    flush()
