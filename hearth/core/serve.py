"""``hearth serve``: the production process set, from the environment (issue #17 item 1).

One supervisor starts and watches:

- the web server: granian (the server ``bench/journey.py`` preferred), ``WEB_CONCURRENCY``
  worker processes, one blocking thread each, on ``BIND`` (``host:port``, default
  ``127.0.0.1:$PORT``, ``PORT`` default 8000);
- ``HEARTH_TASK_WORKERS`` task workers (default 1), each running ``manage.py`` with the words of
  ``settings.HEARTH_TASK_WORKER_COMMAND`` (default ``db_worker --queue-name * --no-reload``; a
  Redis task backend swaps the command by that setting alone);
- one scheduler (``HEARTH_SCHEDULER=0`` for none), which enqueues only while it holds the leader
  lock (``hearth.core.leader``), so several machines each running ``hearth serve`` enqueue every
  periodic task once.

With ``HEARTH_FRONT=haproxy`` the web side is a queue in front of single-worker servers instead:
HAProxy listens on ``BIND`` and holds every request in one queue; ``WEB_CONCURRENCY`` granian
processes, one worker each, listen on loopback ports and take one request at a time
(``maxconn 1``), the free one the next. A customer's last step (placing and its confirmation
page, ``FIRST_PATHS``) goes to the head of the queue. On a saturated machine the journey's other
pages then wait a little longer and placing does not wait behind them: with the same orders per
second, placing's p95 fell from 117-160 ms to 71-102 ms at 8 buyers and from 500-800 ms to
73-89 ms at 32 (``bench/journey.py --front``, docs/scale.md). The front adds the client's address to
``X-Forwarded-For`` and the web processes trust it from loopback (``HEARTH_TRUSTED_PROXIES``
gains ``127.0.0.1``); it is stopped first on shutdown, softly, so that what it holds is answered.

Supervision: a child that exits while the set is running is started again after a backoff
(0.5 s, doubling, at most 30 s; :func:`restart_delay`). When children have died more than
``HEARTH_SERVE_MAX_RESTARTS`` times (default 5) within ``HEARTH_SERVE_RESTART_WINDOW`` seconds
(default 60), the fault is not passing: the supervisor stops the set and exits 1, so that the
service manager above it (systemd, Kubernetes) sees the failure instead of a process that flaps
forever. Granian also respawns its own dead web workers.

Shutdown: SIGTERM or SIGINT is passed to every child as SIGTERM. Granian stops accepting and
finishes the requests in flight; a task worker finishes its current task; the scheduler ends its
round. Whatever still runs after ``HEARTH_SHUTDOWN_TIMEOUT`` seconds (default 30) is killed
(a killed task worker's task runs again elsewhere after the task lease). Then the supervisor
exits 0. On Linux each child also gets SIGTERM if the supervisor itself dies (even by SIGKILL):
no orphan keeps the port or a task.

Logs: every child logs JSON lines (``HEARTH_LOG_FORMAT=json``) with an access line per request
(``HEARTH_ACCESS_LOG=1``), unless the environment says otherwise. Metrics: every child writes to
``PROMETHEUS_MULTIPROC_DIR`` (a fresh temporary directory unless set; emptied at start).

The decisions (configuration, backoff, giving up) are pure functions below; the process
handling is :class:`Supervisor`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

logger = logging.getLogger("hearth.serve")

ROOT = Path(__file__).resolve().parents[2]
GRANIAN_JSON_LOG_CONFIG = ROOT / "hearth" / "granian-logging-json.json"
GRANIAN_TEXT_LOG_CONFIG = ROOT / "hearth" / "granian-logging.json"
DEFAULT_WORKER_COMMAND = "db_worker --queue-name * --no-reload"


# --- Pure decisions.


@dataclass(frozen=True, slots=True)
class ServeConfig:
    host: str
    port: int
    web_workers: int
    task_workers: int
    scheduler: bool
    worker_command: tuple[str, ...]
    shutdown_timeout: float
    max_restarts: int
    restart_window: float
    scheduler_interval: float
    telemetry_consumers: int = 0
    front: str = ""  # "" (granian on BIND) or "haproxy" (a queue on BIND, FIRST_PATHS first)


#: The fronts ``HEARTH_FRONT`` may name ("" is none: granian listens on ``BIND`` itself).
FRONTS = ("", "haproxy")
#: Requests the front's queue hands to a worker before any other: a customer's last step, the
#: placing of an order and the page that confirms it (the web checkout's and the API's).
FIRST_PATHS: tuple[str, ...] = (
    "/checkout/review/",
    "/checkout/confirmation/",
    "/api/v1/checkout/orders",
)


def _positive_int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    value = int(raw)
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, not {value}")
    return value


def parse_bind(bind: str) -> tuple[str, int]:
    """``host:port`` or ``[v6]:port``."""
    host, sep, port = bind.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"BIND must be host:port, not {bind!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def config_from_env(
    env: Mapping[str, str],
    *,
    worker_command: str,
    which: Callable[[str], str | None] = shutil.which,
) -> ServeConfig:
    front = env.get("HEARTH_FRONT", "").strip().lower()
    if front not in FRONTS:
        raise ValueError(f"HEARTH_FRONT must be haproxy or empty, not {front!r}")
    if front and which(front) is None:
        raise ValueError(
            f"HEARTH_FRONT={front}: no {front} on PATH (Debian: apt-get install {front})"
        )
    bind = env.get("BIND", "").strip()
    host, port = parse_bind(bind) if bind else ("127.0.0.1", _positive_int(env, "PORT", 8000, 1))
    command = tuple(shlex.split(env.get("HEARTH_TASK_WORKER_COMMAND", "") or worker_command))
    if not command:
        raise ValueError("HEARTH_TASK_WORKER_COMMAND is empty")
    return ServeConfig(
        host=host,
        port=port,
        web_workers=_positive_int(env, "WEB_CONCURRENCY", 2, 1),
        task_workers=_positive_int(env, "HEARTH_TASK_WORKERS", 1),
        scheduler=env.get("HEARTH_SCHEDULER", "1").strip().lower() not in {"0", "false", "no"},
        worker_command=command,
        shutdown_timeout=float(env.get("HEARTH_SHUTDOWN_TIMEOUT", "30")),
        max_restarts=_positive_int(env, "HEARTH_SERVE_MAX_RESTARTS", 5),
        restart_window=float(env.get("HEARTH_SERVE_RESTART_WINDOW", "60")),
        scheduler_interval=float(env.get("HEARTH_SCHEDULER_INTERVAL", "15")),
        # With the telemetry stream on (HEARTH_TELEMETRY_STREAM), consumers drain it into the
        # database (manage.py telemetry_consumer): one by default, none without a stream.
        telemetry_consumers=_positive_int(
            env,
            "HEARTH_TELEMETRY_CONSUMERS",
            1 if env.get("HEARTH_TELEMETRY_STREAM", "").strip() else 0,
        ),
        front=front,
    )


def restart_delay(consecutive_failures: int) -> float:
    """0.5 s after the first death, doubling, at most 30 s."""
    return float(min(30.0, 0.5 * 2 ** max(0, consecutive_failures - 1)))


def gives_up(deaths: Sequence[float], *, now: float, window: float, max_restarts: int) -> bool:
    """True when more than ``max_restarts`` deaths fall within the last ``window`` seconds."""
    return sum(1 for at in deaths if now - at <= window) > max_restarts


@dataclass(frozen=True, slots=True)
class ChildSpec:
    name: str
    argv: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()  # set for this child on top of the set's environment
    stop_signal: int = signal.SIGTERM
    stop_first: bool = False  # stopped, and waited for, before the others


def haproxy_config(config: ServeConfig, ports: Sequence[int]) -> str:
    """The front's configuration: one queue on ``BIND``, one server per web process (loopback
    ``ports``), each given one request at a time, ``FIRST_PATHS`` to the head of the queue.

    Timeouts: a request waits in the queue at most 30 s (then 503), a worker has 120 s to
    answer, an idle client connection is kept 5 s. A soft stop (SIGUSR1) answers what the front
    holds; ``hard-stop-after`` ends it at the shutdown timeout. The client's address is added to
    ``X-Forwarded-For``; each server is checked by a TCP connect every second (no Host header to get
    wrong), and a request a starting or restarting web process refuses goes to another one."""
    address = f"{config.host}:{config.port}"
    bind = f"ipv6@{address}" if ":" in config.host else address
    first = " ".join(FIRST_PATHS)
    servers = "".join(
        f"    server web-{n} 127.0.0.1:{port} maxconn 1 check\n"
        for n, port in enumerate(ports, start=1)
    )
    return (
        "# Written by hearth serve (hearth/core/serve.py: haproxy_config); not edited by hand.\n"
        "global\n"
        "    maxconn 4096\n"
        f"    hard-stop-after {max(1, round(config.shutdown_timeout))}s\n"
        "defaults\n"
        "    mode http\n"
        "    option http-keep-alive\n"
        "    option forwardfor\n"
        # A request goes to a web process (one request at a time) once its body is in, up to
        # a buffer: a slow client holds a place in the queue, not a worker.
        "    option http-buffer-request\n"
        # A web process starting or restarting refuses connections: try another one.
        "    option redispatch\n"
        "    retries 3\n"
        "    default-server inter 1s fall 2 rise 1\n"
        "    timeout connect 5s\n"
        "    timeout client 60s\n"
        "    timeout http-request 15s\n"
        "    timeout http-keep-alive 5s\n"
        "    timeout queue 30s\n"
        "    timeout server 120s\n"
        "frontend hearth\n"
        f"    bind {bind}\n"
        f"    http-request set-priority-class int(-10) if {{ path_beg {first} }}\n"
        "    default_backend web\n"
        "backend web\n"
        "    balance leastconn\n"
        "    http-reuse safe\n"
        f"{servers}"
    )


def _granian(
    config: ServeConfig, *, python: str, json_logs: bool, host: str, port: int, workers: int
) -> tuple[str, ...]:
    log_config = GRANIAN_JSON_LOG_CONFIG if json_logs else GRANIAN_TEXT_LOG_CONFIG
    return (
        python, "-m", "granian", "--interface", "wsgi",
        "--host", host, "--port", str(port),
        "--workers", str(workers), "--blocking-threads", "1",
        "--no-ws", "--respawn-failed-workers", "--no-access-log",
        "--workers-kill-timeout", str(max(1, round(config.shutdown_timeout))),
        "--log-config", str(log_config),
        "hearth.wsgi:application",
    )  # fmt: skip


def child_specs(
    config: ServeConfig,
    *,
    python: str,
    json_logs: bool,
    front_ports: Sequence[int] = (),
    front_config: Path | None = None,
    trusted_proxies: str = "",
) -> list[ChildSpec]:
    """The children to start. With a front: ``front_ports`` (one loopback port per web
    process), ``front_config`` (the written ``haproxy_config``) and the operator's
    ``HEARTH_TRUSTED_PROXIES`` (the web processes trust loopback on top)."""
    if not config.front:
        specs = [
            ChildSpec(
                "web",
                _granian(
                    config,
                    python=python,
                    json_logs=json_logs,
                    host=config.host,
                    port=config.port,
                    workers=config.web_workers,
                ),
            )
        ]
    else:
        if len(front_ports) != config.web_workers or front_config is None:
            raise ValueError("a front needs one loopback port per web process and its config")
        trusted = ",".join(filter(None, (trusted_proxies.strip(), "127.0.0.1")))
        specs = [
            ChildSpec(
                f"web-{n}",
                _granian(
                    config,
                    python=python,
                    json_logs=json_logs,
                    host="127.0.0.1",
                    port=port,
                    workers=1,
                ),
                env=(("HEARTH_TRUSTED_PROXIES", trusted),),
            )
            for n, port in enumerate(front_ports, start=1)
        ]
        specs.append(
            ChildSpec(
                "front",
                (config.front, "-db", "-f", str(front_config)),
                stop_signal=signal.SIGUSR1,  # soft stop: stop listening, answer what it holds
                stop_first=True,
            )
        )
    for n in range(config.task_workers):
        specs.append(ChildSpec(f"worker-{n + 1}", (python, "-m", "hearth", *config.worker_command)))
    for n in range(config.telemetry_consumers):
        specs.append(
            ChildSpec(f"telemetry-consumer-{n + 1}", (python, "-m", "hearth", "telemetry_consumer"))
        )
    if config.scheduler:
        interval = ("--interval", str(config.scheduler_interval))
        specs.append(ChildSpec("scheduler", (python, "-m", "hearth", "scheduler", *interval)))
    return specs


# --- Processes.


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the child is sent SIGTERM when the supervisor dies, even by SIGKILL, so a killed
    supervisor leaves no orphaned web server or worker holding the port or a task."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return


_PR_SET_PDEATHSIG = 1


@dataclass
class Child:
    spec: ChildSpec
    process: subprocess.Popen[bytes] | None = None
    failures: int = 0
    restart_at: float | None = None
    started_at: float = 0.0


@dataclass
class Supervisor:
    config: ServeConfig
    specs: list[ChildSpec]
    env: dict[str, str]
    children: list[Child] = field(default_factory=list)
    deaths: list[float] = field(default_factory=list)
    stopping: bool = False

    def start(self, child: Child) -> None:
        child.process = subprocess.Popen(  # noqa: S603 (our own commands, fixed arguments)
            child.spec.argv,
            cwd=ROOT,
            env={**self.env, **dict(child.spec.env)} if child.spec.env else self.env,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        child.started_at = time.monotonic()
        child.restart_at = None
        logger.info("started %s pid=%s", child.spec.name, child.process.pid)

    def request_stop(self, signum: int, _frame: object = None) -> None:
        if not self.stopping:
            logger.info("signal %s: stopping", signal.Signals(signum).name)
        self.stopping = True

    def run(self) -> int:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self.request_stop)
        self.children = [Child(spec) for spec in self.specs]
        for child in self.children:
            self.start(child)
        code = 0
        while not self.stopping:
            now = time.monotonic()
            for child in self.children:
                if child.process is not None and child.process.poll() is not None:
                    returncode = child.process.returncode
                    child.process = None
                    if now - child.started_at > self.config.restart_window:
                        child.failures = 0  # it ran well for a while: a fresh fault
                    child.failures += 1
                    self.deaths.append(now)
                    delay = restart_delay(child.failures)
                    logger.warning(
                        "%s exited with %s; restarting in %.1f s",
                        child.spec.name,
                        returncode,
                        delay,
                    )
                    child.restart_at = now + delay
                elif (
                    child.process is None
                    and child.restart_at is not None
                    and now >= child.restart_at
                ):
                    self.start(child)
            if gives_up(
                self.deaths,
                now=now,
                window=self.config.restart_window,
                max_restarts=self.config.max_restarts,
            ):
                logger.error(
                    "children died %s times within %.0f s: stopping the set",
                    len(self.deaths),
                    self.config.restart_window,
                )
                code = 1
                break
            time.sleep(0.2)
        self.shutdown()
        logger.info("stopped")
        return code

    def shutdown(self) -> None:
        """Each child gets its stop signal; the front first, waited for (what it holds is
        answered by the web processes still running), then the rest; whatever still runs at
        the shutdown timeout is killed."""
        deadline = time.monotonic() + self.config.shutdown_timeout
        self._stop([c for c in self.children if c.spec.stop_first], deadline)
        self._stop([c for c in self.children if not c.spec.stop_first], deadline)

    def _stop(self, children: list[Child], deadline: float) -> None:
        running = [(c.process, c.spec) for c in children if c.process is not None]
        for process, spec in running:
            if process.poll() is None:
                process.send_signal(spec.stop_signal)
        for process, _spec in running:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.warning("pid %s did not stop in time: killed", process.pid)
                process.kill()
                process.wait()


def child_environment(base: Mapping[str, str], metrics_dir: str) -> dict[str, str]:
    env = dict(base)
    env.setdefault("HEARTH_LOG_FORMAT", "json")
    env.setdefault("HEARTH_ACCESS_LOG", "1")
    env["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    # The children import this checkout's hearth, whatever the working directory.
    paths = [str(ROOT), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


def fresh_metrics_dir(env: Mapping[str, str]) -> tuple[str, bool]:
    """The multiprocess metrics directory, emptied; and whether we made it (and remove it)."""
    given = env.get("PROMETHEUS_MULTIPROC_DIR", "")
    if not given:
        return tempfile.mkdtemp(prefix="hearth-metrics-"), True
    path = Path(given)
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()
    return str(path), False


class Probe(Protocol):
    """What ``free_loopback_ports`` uses of a socket."""

    def bind(self, address: tuple[str, int], /) -> None: ...
    def getsockname(self) -> tuple[str, int]: ...
    def close(self) -> None: ...


def free_loopback_ports(
    count: int,
    *,
    avoid: Collection[int] = (),
    make_socket: Callable[[], Probe] = socket.socket,
) -> list[int]:
    """``count`` distinct TCP ports free on 127.0.0.1 now (held together while chosen), none of
    them in ``avoid``: the front's own port, which is free until the front binds it, must never
    go to a web process (the front would then send requests to itself)."""
    probes: list[Probe] = []
    chosen: list[int] = []
    try:
        while len(chosen) < count:
            probe = make_socket()
            probes.append(probe)  # an avoided port stays held, so it is not offered again
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
            if port not in avoid:
                chosen.append(port)
        return chosen
    finally:
        for probe in probes:
            probe.close()


def serve(config: ServeConfig, base_env: Mapping[str, str]) -> int:
    metrics_dir, made = fresh_metrics_dir(base_env)
    env = child_environment(base_env, metrics_dir)
    json_logs = env["HEARTH_LOG_FORMAT"] == "json"
    run_dir = tempfile.mkdtemp(prefix="hearth-front-") if config.front else ""
    if config.front:
        ports = free_loopback_ports(config.web_workers, avoid={config.port})
        front_config = Path(run_dir) / "haproxy.cfg"
        front_config.write_text(haproxy_config(config, ports))
        specs = child_specs(
            config,
            python=sys.executable,
            json_logs=json_logs,
            front_ports=ports,
            front_config=front_config,
            trusted_proxies=env.get("HEARTH_TRUSTED_PROXIES", ""),
        )
    else:
        specs = child_specs(config, python=sys.executable, json_logs=json_logs)
    logger.info(
        "serving on http://%s:%s with %s web workers%s, %s task workers%s",
        config.host,
        config.port,
        config.web_workers,
        f" behind {config.front}'s queue" if config.front else "",
        config.task_workers,
        ", one scheduler" if config.scheduler else "",
    )
    try:
        return Supervisor(config, specs, env).run()
    finally:
        if made:
            shutil.rmtree(metrics_dir, ignore_errors=True)
        if run_dir:
            shutil.rmtree(run_dir, ignore_errors=True)
