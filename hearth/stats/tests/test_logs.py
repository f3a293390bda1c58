"""Logs keep no full IP (PP-2): Django's and gunicorn's handlers truncate to /24 and /48."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

import hearth
from hearth.core.log_filters import TruncateIPFilter, truncate_ips

pytestmark = pytest.mark.promise("PP-2")


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ("203.0.113.77 - GET / 200", "203.0.113.0 - GET / 200"),
        ("from 10.1.2.3:51234", "from 10.1.2.0:51234"),
        ("2001:db8:85a3:8d3:1319:8a2e:370:7348 GET /", "2001:db8:85a3:: GET /"),
        ("[2001:db8:abcd:12::1]:443", "[2001:db8:abcd::]:443"),
        ("::ffff:198.51.100.9", "::ffff:198.51.100.0"),
        ("at 12:30:45 version 1.2.3", "at 12:30:45 version 1.2.3"),
        ("not an ip 999.1.1.1 or 1.2.3.4.5", "not an ip 999.1.1.1 or 1.2.3.4.5"),
    ],
)
def test_ip_addresses_are_cut_to_their_network(line, kept):
    assert truncate_ips(line) == kept


def test_djangos_log_handlers_truncate_ips():
    assert all(
        "truncate_ips" in h.get("filters", []) for h in settings.LOGGING["handlers"].values()
    )
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(TruncateIPFilter())
    logger = logging.getLogger("hearth.stats.tests.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logger.info("refused %s from %s", "/basket/", "198.51.100.23")
    finally:
        logger.removeHandler(handler)
    assert stream.getvalue() == "refused /basket/ from 198.51.100.0\n"


GUNICORN_LOGGING = """
import logging, logging.config, runpy, sys
conf = runpy.run_path(sys.argv[1])
logging.config.dictConfig(conf["logconfig_dict"])
# As gunicorn's glogging.Logger.access writes it: the format, with its atoms as a dict.
atoms = {"h": "2001:db8:1:2:3:4:5:6", "r": "GET /shop/ HTTP/1.1", "s": "200"}
logging.getLogger("gunicorn.access").info('%(h)s "%(r)s" %(s)s', atoms)
logging.getLogger("gunicorn.error").info("Connection from 203.0.113.99 closed")
"""


def test_gunicorns_access_and_error_logs_truncate_ips():
    # In a child process: dictConfig replaces the logging set-up of whoever calls it.
    conf = Path(hearth.__file__).parent / "gunicorn.conf.py"
    done = subprocess.run(  # noqa: S603 (our interpreter, our script)
        [sys.executable, "-c", GUNICORN_LOGGING, str(conf)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=Path(hearth.__file__).parent.parent,
    )
    assert done.stdout.endswith('2001:db8:1:: "GET /shop/ HTTP/1.1" 200\n')
    assert done.stderr.endswith("Connection from 203.0.113.0 closed\n")
    assert "2001:db8:1:2" not in done.stdout and "203.0.113.99" not in done.stderr


GRANIAN_LOGGING = """
import json, sys
from granian.log import LogLevels, access_logger, configure_logging, logger
with open(sys.argv[1]) as fh:
    configure_logging(LogLevels.info, json.load(fh))
# As granian's log_request writes it: the format, with its atoms as a dict.
atoms = {"addr": "198.51.100.200", "method": "GET", "path": "/"}
access_logger.info('%(addr)s - "%(method)s %(path)s"', atoms)
logger.info("peer 2001:db8:aa:bb::1 went away")
"""


def test_granians_access_and_server_logs_truncate_ips():
    conf = Path(hearth.__file__).parent / "granian-logging.json"
    done = subprocess.run(  # noqa: S603 (our interpreter, our script)
        [sys.executable, "-c", GRANIAN_LOGGING, str(conf)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=Path(hearth.__file__).parent.parent,
    )
    assert done.stdout.splitlines() == [
        '198.51.100.0 - "GET /"',
        "[INFO] peer 2001:db8:aa:: went away",
    ]
