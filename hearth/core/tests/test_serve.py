"""``hearth serve`` as an operator runs it (issue #17 item 1): real processes on 127.0.0.1.

The database both this test and the served processes use is the PostgreSQL test database when
DATABASE_URL names one (``transactional_db`` commits for real), else a fresh SQLite file with
every table (``file_db``). Mail goes to a real aiosmtpd server.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.conf import settings as django_settings
from django.db import connection

from bench.journey import parse, walk
from hearth.checkout.tests.conftest import file_db, make_variant  # noqa: F401
from hearth.core import serve
from hearth.core.models import PeriodicRun
from hearth.orders.models import Order
from hearth.privacy.services import load_policies

ROOT = Path(django_settings.BASE_DIR)


# --- The pure decisions.


def test_the_process_set_is_read_from_the_environment() -> None:
    config = serve.config_from_env(
        {
            "BIND": "[::1]:9000",
            "WEB_CONCURRENCY": "4",
            "HEARTH_TASK_WORKERS": "3",
            "HEARTH_SCHEDULER": "0",
            "HEARTH_SHUTDOWN_TIMEOUT": "12",
        },
        worker_command="db_worker --queue-name * --no-reload",
    )
    assert (config.host, config.port, config.web_workers, config.task_workers) == (
        "::1",
        9000,
        4,
        3,
    )
    assert config.scheduler is False
    assert config.shutdown_timeout == 12
    assert config.worker_command == ("db_worker", "--queue-name", "*", "--no-reload")
    specs = serve.child_specs(config, python="py", json_logs=True)
    assert [s.name for s in specs] == ["web", "worker-1", "worker-2", "worker-3"]
    web = specs[0].argv
    assert web[web.index("--workers") + 1] == "4"
    assert web[web.index("--port") + 1] == "9000"
    assert specs[1].argv == ("py", "-m", "hearth", "db_worker", "--queue-name", "*", "--no-reload")


def test_telemetry_consumers_run_when_the_stream_is_configured() -> None:
    command = "db_worker --queue-name * --no-reload"
    assert serve.config_from_env({}, worker_command=command).telemetry_consumers == 0
    on = serve.config_from_env(
        {"HEARTH_TELEMETRY_STREAM": "nats://127.0.0.1:4222", "HEARTH_SCHEDULER": "0"},
        worker_command=command,
    )
    assert on.telemetry_consumers == 1
    two = serve.config_from_env(
        {
            "HEARTH_TELEMETRY_STREAM": "nats://127.0.0.1:4222",
            "HEARTH_TELEMETRY_CONSUMERS": "2",
            "HEARTH_SCHEDULER": "0",
        },
        worker_command=command,
    )
    specs = serve.child_specs(two, python="py", json_logs=False)
    assert [s.name for s in specs] == [
        "web",
        "worker-1",
        "telemetry-consumer-1",
        "telemetry-consumer-2",
    ]
    assert specs[-1].argv == ("py", "-m", "hearth", "telemetry_consumer")


def test_the_task_worker_command_is_pluggable_by_setting_or_environment() -> None:
    by_setting = serve.config_from_env({}, worker_command="rqworker default email")
    assert by_setting.worker_command == ("rqworker", "default", "email")
    assert (by_setting.host, by_setting.port, by_setting.scheduler) == ("127.0.0.1", 8000, True)
    by_env = serve.config_from_env(
        {"HEARTH_TASK_WORKER_COMMAND": "rqworker email", "PORT": "8100"}, worker_command="x"
    )
    assert by_env.worker_command == ("rqworker", "email")
    assert by_env.port == 8100


@pytest.mark.parametrize(
    "env", [{"BIND": "nowhere"}, {"WEB_CONCURRENCY": "0"}, {"HEARTH_TASK_WORKERS": "-1"}]
)
def test_a_wrong_setting_is_refused_before_anything_starts(env: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        serve.config_from_env(env, worker_command="db_worker")


SOCKETS = ("/run/h/web-1.sock", "/run/h/web-2.sock", "/run/h/web-3.sock")


def test_with_a_front_the_web_side_is_a_queue_before_single_worker_servers() -> None:
    config = serve.config_from_env(
        {"HEARTH_FRONT": "HAProxy", "PORT": "9100", "WEB_CONCURRENCY": "3"},
        worker_command="db_worker",
        which=lambda name: f"/usr/sbin/{name}",
    )
    assert config.front == "haproxy"
    specs = serve.child_specs(
        config,
        python="py",
        json_logs=True,
        front_sockets=SOCKETS,
        front_config=Path("/run/h/haproxy.cfg"),
    )
    assert [s.name for s in specs] == ["web-1", "web-2", "web-3", "front", "worker-1", "scheduler"]
    for spec, path in zip(specs[:3], SOCKETS, strict=True):
        argv = spec.argv
        assert argv[argv.index("--uds") + 1] == path
        assert "--host" not in argv and "--port" not in argv  # no port any local user could open
        assert argv[argv.index("--workers") + 1] == "1"
        # The peer on the socket (the front) is believed in X-Forwarded-For.
        assert dict(spec.env) == {"HEARTH_TRUST_UNIX_PEER": "1"}
        assert spec.stale == (path,)  # a killed web process's socket goes before it restarts
    front = specs[3]
    assert front.argv == ("haproxy", "-db", "-f", "/run/h/haproxy.cfg")
    assert (front.stop_signal, front.stop_first) == (signal.SIGUSR1, True)

    text = serve.haproxy_config(config, SOCKETS)
    assert "bind 127.0.0.1:9100" in text
    servers = re.findall(r"server web-(\d) unix@(\S+) maxconn 1 check", text)
    assert servers == [("1", SOCKETS[0]), ("2", SOCKETS[1]), ("3", SOCKETS[2])]
    assert (
        "http-request set-priority-class int(-10) if { path_beg /checkout/review/ "
        "/checkout/confirmation/ /api/v1/checkout/orders }"
    ) in text
    assert "option forwardfor" in text and "timeout queue 30s" in text
    assert "option redispatch" in text  # a starting or restarting web process is skipped
    assert "option http-buffer-request" in text  # a slow client does not hold a worker
    assert "timeout http-request 15s" in text
    assert "bind ipv6@::1:9100" in serve.haproxy_config(
        dataclasses.replace(config, host="::1"), SOCKETS[:1]
    )


def test_the_fronts_sockets_are_in_the_run_directory_or_refused_when_too_long() -> None:
    assert serve.front_sockets("/run/hearth-front-x1", 2) == [
        "/run/hearth-front-x1/web-1.sock",
        "/run/hearth-front-x1/web-2.sock",
    ]
    with pytest.raises(ValueError, match="longer than 107 bytes: set TMPDIR"):
        serve.front_sockets("/" + "d" * 100, 1)


@pytest.mark.parametrize(
    ("env", "which", "says"),
    [
        ({"HEARTH_FRONT": "nginx"}, "/usr/sbin/nginx", "HEARTH_FRONT must be haproxy or empty"),
        ({"HEARTH_FRONT": "haproxy"}, None, "no haproxy on PATH"),
    ],
)
def test_a_front_that_cannot_run_is_refused_before_anything_starts(
    env: dict[str, str], which: str | None, says: str
) -> None:
    with pytest.raises(ValueError, match=says):
        serve.config_from_env(env, worker_command="db_worker", which=lambda _name: which)


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy is not installed")
def test_the_front_configuration_is_one_haproxy_accepts(tmp_path: Path) -> None:
    config = serve.config_from_env(
        {"HEARTH_FRONT": "haproxy", "BIND": "127.0.0.1:9100", "WEB_CONCURRENCY": "2"},
        worker_command="db_worker",
    )
    path = tmp_path / "haproxy.cfg"
    path.write_text(serve.haproxy_config(config, [str(tmp_path / "web-1.sock")] * 2))
    checked = subprocess.run(  # noqa: S603 (fixed arguments)
        ["haproxy", "-c", "-f", str(path)],  # noqa: S607 (the operator's haproxy)
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "ALERT" not in checked.stdout + checked.stderr


def test_a_dying_child_is_restarted_with_a_growing_delay_until_the_set_gives_up() -> None:
    assert [serve.restart_delay(n) for n in (1, 2, 3, 4, 8, 20)] == [0.5, 1, 2, 4, 30, 30]
    deaths = [100.0, 110.0, 120.0, 130.0, 140.0]
    assert not serve.gives_up(deaths, now=140.0, window=60, max_restarts=5)
    assert serve.gives_up([*deaths, 150.0], now=150.0, window=60, max_restarts=5)
    # Deaths long ago do not count against a set that has run well since.
    assert not serve.gives_up([*deaths, 500.0], now=500.0, window=60, max_restarts=5)


# --- Real processes.


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    auth = f"{user}:{db['PASSWORD']}" if db.get("PASSWORD") else user
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}"


def wait_until(what: str, condition: Callable[[], bool], timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-4000:] if log.exists() else ""
            raise AssertionError(f"timed out waiting until {what}\n{tail}")
        time.sleep(0.2)


def answers(url: str, status: int) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == status
    except httpx.HTTPError:
        return False


def base_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hearth.settings",
        "HEARTH_VAR_DIR": str(tmp_path / "var"),
        "DEBUG": "0",
        # This process's key: the served processes open the same encrypted fields (with DEBUG
        # off and no key, each would make its own in its var/).
        "SECRET_KEY": django_settings.SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(extra)
    return env


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 (our own entry point, fixed arguments)
        [sys.executable, "-m", "hearth", *argv],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # a signal for the test runner's group never reaches it
    )


def stop(process: subprocess.Popen[bytes], timeout: float = 45) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    from aiosmtpd.controller import Controller

    port = free_port()
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.mark.serve
def test_a_guest_buys_through_hearth_serve_and_it_stops_cleanly_on_sigterm(
    file_db: str,  # noqa: F811
    smtp: tuple[Inbox, int],
    tmp_path: Path,
) -> None:
    inbox, smtp_port = smtp
    load_policies()
    make_variant("EO-ONE-CHR", price="249.00", stock=50, slug="ember-one", name="Ember One")
    port = free_port()
    env = base_env(
        tmp_path,
        DATABASE_URL=database_url(),
        PORT=str(port),
        WEB_CONCURRENCY="1",
        HEARTH_TASK_WORKERS="1",
        HEARTH_METRICS_TOKEN="serve-test-metrics-token",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
    )
    log = tmp_path / "serve.log"
    base = f"http://127.0.0.1:{port}"
    process = start(["serve"], env, log)
    try:
        wait_until("/readyz answers 200", lambda: answers(base + "/readyz", 200), 90, log)
        home = httpx.get(base + "/", timeout=30)
        product = next(h for h in parse(home.text).links if "ember-one" in h)
        journey = walk(base, 1, product)

        order = Order.objects.get(number=journey.number)
        assert order.email == "buyer1@example.com"

        def confirmation_arrived() -> bool:
            return any(
                m["To"] == "buyer1@example.com" and journey.number in m.get_body().get_content()
                for m in list(inbox.messages)
            )

        wait_until("the worker sends the confirmation email", confirmation_arrived, 60, log)

        traced = httpx.get(base + "/healthz", headers={"X-Request-ID": "lb-probe-0001"})
        assert traced.headers["X-Request-ID"] == "lb-probe-0001"
        scrape = httpx.get(
            base + "/metrics", headers={"Authorization": "Bearer serve-test-metrics-token"}
        )
        assert scrape.status_code == 200
        assert re.search(
            r'hearth_http_request_duration_seconds_count\{method="POST",status="3xx",'
            r'view="checkout:[a-z_]+"\} [1-9]',
            scrape.text,
        ), scrape.text[:3000]
        assert 'hearth_task_queue_depth{queue="email"}' in scrape.text
        assert httpx.get(base + "/metrics").status_code == 403  # no token
    finally:
        code = stop(process)
    assert code == 0, log.read_text(errors="replace")[-4000:]

    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert lines and all({"timestamp", "level", "logger", "message"} <= set(x) for x in lines)
    probe = [x for x in lines if x["request_id"] == "lb-probe-0001"]
    assert probe and probe[0]["logger"] == "hearth.request"
    assert "healthz 200" in probe[0]["message"]
    assert "client=127.0.0.0" in probe[0]["message"]  # the client's address, truncated
    assert not any("127.0.0.1" in x["message"] for x in lines)
    # No part of the card (4242 4242 4242 4242) in any line: its digits run together or apart,
    # or one group on its own. A pid, port or timestamp holding "4242" inside a longer number
    # (pid 14242, .424242 s) is not the card.
    card = re.compile(r"4242[ -]?4242|(?<!\d)4242(?!\d)")
    assert not [x for x in lines if card.search(json.dumps(x))]
    assert lines[-1]["message"] == "stopped"


@pytest.mark.serve
def test_only_one_scheduler_leads_and_a_standby_takes_over_when_the_leader_is_killed(
    file_db: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    env = base_env(tmp_path, DATABASE_URL=database_url())
    argv = ["scheduler", "--interval", "0.3"]
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    first = start(argv, env, first_log)
    second: subprocess.Popen[bytes] | None = None
    try:
        wait_until("the first leads", lambda: "scheduler: leader" in first_log.read_text(), 60,
                   first_log)  # fmt: skip
        wait_until("it enqueues", lambda: PeriodicRun.objects.exists(), 30, first_log)
        second = start(argv, env, second_log)
        wait_until(
            "the second reports standby",
            lambda: "scheduler: standby" in second_log.read_text(),
            60,
            second_log,
        )
        time.sleep(1.0)  # a few rounds of both
        assert "scheduler: leader" not in second_log.read_text()
        assert "enqueued" not in second_log.read_text()

        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        wait_until(
            "the standby takes over",
            lambda: "scheduler: leader" in second_log.read_text(),
            60,
            second_log,
        )
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
        if second is not None:
            assert stop(second) == 0, second_log.read_text()


@pytest.mark.serve
def test_readiness_fails_naming_the_database_when_it_is_down_and_liveness_still_answers(
    tmp_path: Path,
) -> None:
    port = free_port()
    closed = free_port()  # nothing listens there
    env = base_env(
        tmp_path,
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{closed}/hearth_nowhere",
        PORT=str(port),
        WEB_CONCURRENCY="1",
        HEARTH_TASK_WORKERS="0",
        HEARTH_SCHEDULER="0",
    )
    log = tmp_path / "serve.log"
    base = f"http://127.0.0.1:{port}"
    process = start(["serve"], env, log)
    try:
        wait_until("/healthz answers", lambda: answers(base + "/healthz", 200), 90, log)
        ready = httpx.get(base + "/readyz", timeout=30)
        assert ready.status_code == 503
        body = ready.json()
        assert body["status"] == "unavailable"
        assert "database" in body["failing"]
        assert body["checks"]["database"].startswith("failed: ")
        assert str(closed) not in ready.text  # no connection details leak
    finally:
        code = stop(process)
    assert code == 0, log.read_text(errors="replace")[-4000:]


@pytest.mark.serve
def test_a_child_that_keeps_dying_is_restarted_then_the_set_exits_non_zero(
    tmp_path: Path,
) -> None:
    # A "worker" that exits at once (manage.py check): restarted with backoff, until the set
    # gives up after HEARTH_SERVE_MAX_RESTARTS deaths within the window and exits 1.
    env = base_env(
        tmp_path,
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{free_port()}/hearth_nowhere",
        PORT=str(free_port()),
        WEB_CONCURRENCY="1",
        HEARTH_TASK_WORKERS="1",
        HEARTH_TASK_WORKER_COMMAND="check",
        HEARTH_SCHEDULER="0",
        HEARTH_SERVE_MAX_RESTARTS="2",
        HEARTH_SERVE_RESTART_WINDOW="120",
        HEARTH_SHUTDOWN_TIMEOUT="10",
    )
    log = tmp_path / "serve.log"
    process = start(["serve"], env, log)
    try:
        code = process.wait(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise
    lines = [json.loads(x)["message"] for x in log.read_text().splitlines() if x.startswith("{")]
    assert code == 1, "\n".join(lines)
    assert sum(1 for m in lines if m.startswith("started worker-1")) == 3  # first + 2 restarts
    assert any(m.startswith("worker-1 exited with 0; restarting in 0.5 s") for m in lines)
    assert any(m.startswith("worker-1 exited with 0; restarting in 1.0 s") for m in lines)
    assert any("children died 3 times" in m for m in lines)
    assert lines[-1] == "stopped"


def pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited
    except FileNotFoundError:
        return False


@pytest.mark.serve
@pytest.mark.skipif(sys.platform != "linux", reason="the parent-death signal is Linux's")
def test_a_supervisor_killed_outright_leaves_no_orphaned_child(tmp_path: Path) -> None:
    port = free_port()
    env = base_env(
        tmp_path,
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{free_port()}/hearth_nowhere",
        PORT=str(port),
        WEB_CONCURRENCY="1",
        HEARTH_TASK_WORKERS="0",
        HEARTH_SCHEDULER="0",
        # A supervisor killed outright cannot remove a metrics directory it made: give it one.
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
    )
    log = tmp_path / "serve.log"
    process = start(["serve"], env, log)
    try:
        wait_until(
            "/healthz answers", lambda: answers(f"http://127.0.0.1:{port}/healthz", 200), 90, log
        )
        started = re.search(r"started web pid=(\d+)", log.read_text())
        assert started, log.read_text()
        # The operator's metrics directory did not exist: it was made, and the web uses it.
        assert any((tmp_path / "metrics").glob("*.db"))
        web = int(started.group(1))
        assert pid_alive(web)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        wait_until("the web server stops with its supervisor", lambda: not pid_alive(web), 60, log)
        wait_until(
            "the port is free again",
            lambda: not answers(f"http://127.0.0.1:{port}/healthz", 200),
            60,
            log,
        )
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy is not installed")
def test_a_temporary_directory_too_long_for_the_fronts_sockets_is_refused_without_a_trace(
    tmp_path: Path,
) -> None:
    long_tmp = tmp_path / ("d" * 90)
    long_tmp.mkdir()
    env = base_env(tmp_path, HEARTH_FRONT="haproxy", TMPDIR=str(long_tmp), PORT=str(free_port()))
    refused = subprocess.run(
        [sys.executable, "-m", "hearth", "serve"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 1
    assert "CommandError: the front's sockets would be at" in refused.stderr, refused.stderr
    assert "set TMPDIR to a shorter directory" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert list(long_tmp.iterdir()) == []  # its run directory is removed again


def test_a_metrics_directory_that_cannot_be_made_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    env = base_env(tmp_path, PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "a-file" / "metrics"))
    checked = subprocess.run(
        [sys.executable, "-m", "hearth", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode != 0
    assert "ImproperlyConfigured: PROMETHEUS_MULTIPROC_DIR=" in checked.stderr, checked.stderr
    assert "cannot be made: Not a directory" in checked.stderr


@pytest.mark.serve
@pytest.mark.parametrize("front", ["", "haproxy"])
def test_a_request_in_flight_at_sigterm_is_answered_before_the_set_exits(
    transactional_db: Any, tmp_path: Path, front: str
) -> None:
    """Also behind the front: it is stopped first and softly, so the request it holds is
    answered by a web process that is still running."""
    if connection.vendor != "postgresql":
        pytest.skip("holds a PostgreSQL table lock to keep a request in flight")
    if front and shutil.which(front) is None:
        pytest.skip(f"{front} is not installed")
    import psycopg

    from hearth.catalog.models import Product

    make_variant("EO-ONE-CHR", price="249.00", stock=5, slug="ember-one", name="Ember One")
    port = free_port()
    env = base_env(
        tmp_path,
        DATABASE_URL=database_url(),
        PORT=str(port),
        WEB_CONCURRENCY="1",
        HEARTH_TASK_WORKERS="0",
        HEARTH_SCHEDULER="0",
        HEARTH_SHUTDOWN_TIMEOUT="30",
        HEARTH_FRONT=front,
    )
    log = tmp_path / "serve.log"
    base = f"http://127.0.0.1:{port}"
    process = start(["serve"], env, log)
    answer: dict[str, Any] = {}
    try:
        wait_until("/readyz answers 200", lambda: answers(base + "/readyz", 200), 90, log)
        with psycopg.connect(database_url().replace("postgres://", "postgresql://")) as lock:
            # The product page must read this table: its request waits, in flight, on the lock.
            lock.execute(f'LOCK TABLE "{Product._meta.db_table}" IN ACCESS EXCLUSIVE MODE')

            def get_product() -> None:
                try:
                    answer["response"] = httpx.get(base + "/shop/ember-one/", timeout=60)
                except httpx.HTTPError as exc:
                    answer["error"] = exc

            client = threading.Thread(target=get_product)
            client.start()
            wait_until(
                "the request waits on the lock",
                lambda: bool(
                    lock.execute(
                        "SELECT count(*) FROM pg_locks"
                        " WHERE NOT granted AND relation = %s::regclass",
                        [Product._meta.db_table],
                    ).fetchone()[0]  # type: ignore[index]
                ),
                30,
                log,
            )
            process.send_signal(signal.SIGTERM)
            wait_until("the set is stopping", lambda: "stopping" in log.read_text(), 30, log)
            time.sleep(1.0)  # the request is still in flight while the server shuts down
            assert process.poll() is None
            lock.rollback()  # the lock is released: the request can finish
        client.join(timeout=60)
        code = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert "error" not in answer, answer.get("error")
    assert answer["response"].status_code == 200
    assert "Ember One" in answer["response"].text
    assert code == 0, log.read_text(errors="replace")[-4000:]


@pytest.mark.serve
def test_readiness_fails_when_the_database_accepts_but_never_answers(tmp_path: Path) -> None:
    # A socket that listens and never accepts: the TCP handshake completes (the backlog), then
    # nothing. Without a connect timeout the check, and the probe, would wait for ever.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    port = free_port()
    env = base_env(
        tmp_path,
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{silent.getsockname()[1]}/hearth_silent",
        DATABASE_CONNECT_TIMEOUT="2",
        PORT=str(port),
        WEB_CONCURRENCY="1",
        HEARTH_TASK_WORKERS="0",
        HEARTH_SCHEDULER="0",
    )
    log = tmp_path / "serve.log"
    base = f"http://127.0.0.1:{port}"
    process = start(["serve"], env, log)
    try:
        wait_until("/healthz answers", lambda: answers(base + "/healthz", 200), 90, log)
        ready = httpx.get(base + "/readyz", timeout=60)
        assert ready.status_code == 503
        assert "database" in ready.json()["failing"]
    finally:
        code = stop(process)
        silent.close()
    assert code == 0, log.read_text(errors="replace")[-4000:]


def group_alive(pgid: int) -> bool:
    """Whether a process still runs in a child's process group (each child leads its own); a
    killed one waiting to be reaped (a zombie) runs no more."""
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            # "pid (comm) state ppid pgrp ...": comm may hold spaces, so split after it
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                return True
    return False


def _healthy(client: httpx.Client) -> bool:
    try:
        return client.get("/healthz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.serve
@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy is not installed")
def test_a_guest_buys_through_the_front_and_no_client_chooses_its_own_address(
    file_db: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    load_policies()
    make_variant("EO-ONE-CHR", price="249.00", stock=50, slug="ember-one", name="Ember One")
    port = free_port()
    run_parent = Path(tempfile.mkdtemp(prefix="hs-"))  # short: a socket path holds 107 bytes
    env = base_env(
        tmp_path,
        DATABASE_URL=database_url(),
        PORT=str(port),
        HEARTH_FRONT="haproxy",
        WEB_CONCURRENCY="2",
        HEARTH_TASK_WORKERS="0",
        HEARTH_SCHEDULER="0",
        TMPDIR=str(run_parent),
    )
    log = tmp_path / "serve.log"
    base = f"http://127.0.0.1:{port}"
    process = start(["serve"], env, log)
    try:
        wait_until("/readyz answers 200", lambda: answers(base + "/readyz", 200), 90, log)
        started = dict(re.findall(r"started (web-\d|front) pid=(\d+)", log.read_text()))
        assert sorted(started) == ["front", "web-1", "web-2"], log.read_text()[-3000:]
        # The web processes listen on Unix sockets in a directory only this user can open.
        [run_dir] = run_parent.glob("hearth-front-*")
        assert stat.S_IMODE(run_dir.stat().st_mode) == 0o700
        assert sorted(p.name for p in run_dir.glob("*.sock")) == ["web-1.sock", "web-2.sock"]
        # The first page after /readyz, whichever web process takes it, is the page itself
        # (a refused or half-started web process would show here as a 502 or 503).
        home = httpx.get(base + "/", timeout=30)
        assert home.status_code == 200, (home.status_code, home.text, log.read_text()[-3000:])
        assert 'id="welcome-heading"' in home.text, home.text[:3000]
        journey = walk(base, 7, "/shop/ember-one/")
        assert Order.objects.get(number=journey.number).email == "buyer7@example.com"

        # The web processes see the client's address, not the front's (127.0.0.1): the front
        # appends the address it saw to X-Forwarded-For. A client (here 127.0.1.5, not a
        # trusted proxy) that sends its own X-Forwarded-For is not believed.
        with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.1.5")) as client:
            forged = client.get(
                base + "/healthz",
                headers={"X-Forwarded-For": "203.0.113.7", "X-Request-ID": "forged-0001"},
            )
        assert forged.status_code == 200
        # Through the front the peer has no loopback address: /metrics wants its token.
        assert httpx.get(base + "/metrics").status_code == 403

        # A web process killed outright (the OOM killer) leaves its socket file behind, and its
        # granian worker serving on with a database connection. The worker is asked to stop;
        # the other web process answers meanwhile; the process started in its place binds the
        # same path and serves again.
        killed = int(started["web-1"])
        os.kill(killed, signal.SIGKILL)
        wait_until("the killed web's worker has stopped", lambda: not group_alive(killed), 30, log)
        assert "web-1 left processes running in its group" in log.read_text()
        meanwhile = [httpx.get(base + "/healthz").status_code for _ in range(10)]
        assert meanwhile == [200] * 10
        wait_until(
            "web-1 is started again",
            lambda: log.read_text().count("started web-1 pid=") == 2,
            30,
            log,
        )
        again = httpx.HTTPTransport(uds=str(run_dir / "web-1.sock"))
        with httpx.Client(transport=again, base_url="http://127.0.0.1") as web_1:
            wait_until("the new web-1 answers", lambda: _healthy(web_1), 60, log)
        started = dict(re.findall(r"started (web-\d|front) pid=(\d+)", log.read_text()))
    finally:
        code = stop(process)
        shutil.rmtree(run_parent, ignore_errors=True)
    assert code == 0, log.read_text(errors="replace")[-4000:]
    assert "web-1 exited with -9; restarting" in log.read_text()
    assert not any(group_alive(int(pid)) for pid in started.values())
    assert log.read_text().count("started web-1 pid=") == 2  # once killed, once started again
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    [seen] = [x for x in lines if x["request_id"] == "forged-0001"]
    assert "client=127.0.1.0" in seen["message"]  # 127.0.1.5, truncated; not 203.0.113.x
    assert all(not pid_alive(int(pid)) for pid in started.values())
    assert lines[-1]["message"] == "stopped"


@pytest.mark.serve
@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy is not installed")
def test_behind_the_front_a_slow_client_holds_no_worker(tmp_path: Path) -> None:
    """One web process: a client that sends its headers and then only part of its body stays
    in the front's buffer, and another visitor is still answered."""
    port = free_port()
    env = base_env(
        tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path / 'none.sqlite3'}",
        PORT=str(port),
        HEARTH_FRONT="haproxy",
        WEB_CONCURRENCY="1",
        HEARTH_TASK_WORKERS="0",
        HEARTH_SCHEDULER="0",
    )
    log = tmp_path / "serve.log"
    base = f"http://127.0.0.1:{port}"
    process = start(["serve"], env, log)
    try:
        wait_until("/healthz answers", lambda: answers(base + "/healthz", 200), 90, log)
        with socket.create_connection(("127.0.0.1", port)) as slow:
            slow.sendall(
                b"POST /checkout/basket/add/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 400\r\n\r\n"
                b"sku=EO-ONE"
            )
            time.sleep(1.0)  # the front has the headers; the rest of the body never comes
            answered = httpx.get(base + "/healthz", timeout=10)
            assert answered.status_code == 200
    finally:
        code = stop(process)
    assert code == 0, log.read_text(errors="replace")[-4000:]
