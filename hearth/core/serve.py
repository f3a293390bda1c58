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
processes, one worker each, listen on Unix sockets in a directory only the set's user can open
and take one request at a time (``maxconn 1``), the free one the next. A customer's last step
(placing and its confirmation page, ``FIRST_PATHS``) goes to the head of the queue. On a
saturated machine the journey's other pages then wait a little longer and placing does not wait
behind them: with the same orders per second, placing's p95 fell from 117-160 ms to 71-102 ms at
8 buyers and from 500-800 ms to 73-89 ms at 32 (``bench/journey.py --front``, docs/scale.md).
The front adds the client's address to ``X-Forwarded-For`` and the web processes believe the
peer on their socket (``HEARTH_TRUST_UNIX_PEER``): no other user's process on the machine can
reach them past the front, so none can claim a client address (a loopback port would let any
local user do both). The front is stopped first on shutdown, softly, so that what it holds is
answered.

Supervision: a child that exits while the set is running is started again after a backoff
(0.5 s, doubling, at most 30 s; :func:`restart_delay`). When children have died more than
``HEARTH_SERVE_MAX_RESTARTS`` times (default 5) within ``HEARTH_SERVE_RESTART_WINDOW`` seconds
(default 60), the fault is not passing: the supervisor stops the set and exits 1, so that the
service manager above it (systemd, Kubernetes) sees the failure instead of a process that flaps
forever. Granian also respawns its own dead web workers. Each child leads its own process group:
when a child exits, what it left running there (a granian killed outright leaves its worker
serving on) is sent SIGTERM, which lets it finish the requests it holds, and is killed at the
shutdown timeout.

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
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

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
    # Files a child killed outright leaves behind and must not find when it starts again (a web
    # process's Unix socket: granian refuses to bind over one).
    stale: tuple[str, ...] = ()


def haproxy_config(config: ServeConfig, sockets: Sequence[str]) -> str:
    """The front's configuration: one queue on ``BIND``, one server per web process (its Unix
    socket, ``sockets``), each given one request at a time, ``FIRST_PATHS`` to the head of the
    queue.

    Timeouts: a request waits in the queue at most 30 s (then 503), a worker has 120 s to
    answer, an idle client connection is kept 5 s. A soft stop (SIGUSR1) answers what the front
    holds; ``hard-stop-after`` ends it at the shutdown timeout. The client's address is added to
    ``X-Forwarded-For``; each server is checked by a connect every second (no Host header to get
    wrong), and a request a starting or restarting web process refuses goes to another one."""
    address = f"{config.host}:{config.port}"
    bind = f"ipv6@{address}" if ":" in config.host else address
    first = " ".join(FIRST_PATHS)
    servers = "".join(
        f"    server web-{n} unix@{path} maxconn 1 check\n"
        for n, path in enumerate(sockets, start=1)
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
    config: ServeConfig,
    *,
    python: str,
    json_logs: bool,
    listen: tuple[str, ...],
    workers: int,
) -> tuple[str, ...]:
    log_config = GRANIAN_JSON_LOG_CONFIG if json_logs else GRANIAN_TEXT_LOG_CONFIG
    return (
        python, "-m", "granian", "--interface", "wsgi",
        *listen,
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
    front_sockets: Sequence[str] = (),
    front_config: Path | None = None,
) -> list[ChildSpec]:
    """The children to start. With a front: ``front_sockets`` (one Unix socket per web
    process, :func:`front_sockets`) and ``front_config`` (the written ``haproxy_config``). The
    web processes believe the peer on their socket, the front (``HEARTH_TRUST_UNIX_PEER``), on
    top of the operator's ``HEARTH_TRUSTED_PROXIES`` (a balancer in front of the front)."""
    if not config.front:
        specs = [
            ChildSpec(
                "web",
                _granian(
                    config,
                    python=python,
                    json_logs=json_logs,
                    listen=("--host", config.host, "--port", str(config.port)),
                    workers=config.web_workers,
                ),
            )
        ]
    else:
        if len(front_sockets) != config.web_workers or front_config is None:
            raise ValueError("a front needs one Unix socket per web process and its config")
        specs = [
            ChildSpec(
                f"web-{n}",
                _granian(
                    config,
                    python=python,
                    json_logs=json_logs,
                    listen=("--uds", path),
                    workers=1,
                ),
                env=(("HEARTH_TRUST_UNIX_PEER", "1"),),
                stale=(path,),
            )
            for n, path in enumerate(front_sockets, start=1)
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
    # Process groups of children that have exited, with what they left running: name, kill at.
    leftovers: dict[int, tuple[str, float]] = field(default_factory=dict)

    def start(self, child: Child) -> None:
        for path in child.spec.stale:
            Path(path).unlink(missing_ok=True)
        child.process = subprocess.Popen(  # noqa: S603 (our own commands, fixed arguments)
            child.spec.argv,
            cwd=ROOT,
            env={**self.env, **dict(child.spec.env)} if child.spec.env else self.env,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            process_group=0,  # its own group: what it leaves behind when it dies is found
        )
        child.started_at = time.monotonic()
        child.restart_at = None
        logger.info("started %s pid=%s", child.spec.name, child.process.pid)

    def _stop_leftovers(self, name: str, pgid: int, now: float) -> None:
        """A child has exited: what it left running in its group is asked to stop. A granian
        killed outright (SIGKILL, the OOM killer) leaves its worker serving on, holding a
        database connection and, behind the front, the old socket; on SIGTERM the worker
        finishes the requests it holds. Whatever still runs at the shutdown timeout is killed
        (:meth:`_kill_leftovers`)."""
        if _signal_group(pgid, signal.SIGTERM):
            logger.warning("%s left processes running in its group %s: stopping them", name, pgid)
            self.leftovers[pgid] = (name, now + self.config.shutdown_timeout)

    def _kill_leftovers(self, now: float, *, all_now: bool = False) -> None:
        for pgid, (name, kill_at) in list(self.leftovers.items()):
            if not _signal_group(pgid, 0):
                del self.leftovers[pgid]
            elif all_now or now >= kill_at:
                if _signal_group(pgid, signal.SIGKILL):
                    logger.warning("%s's leftovers still ran at the timeout: killed", name)
                del self.leftovers[pgid]

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
                    self._stop_leftovers(child.spec.name, child.process.pid, now)
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
            self._kill_leftovers(now)
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
        # What exited children left running had its SIGTERM when they exited, and the time the
        # others took to stop since.
        self._kill_leftovers(time.monotonic(), all_now=True)

    def _stop(self, children: list[Child], deadline: float) -> None:
        running = [(c.process, c.spec) for c in children if c.process is not None]
        for process, spec in running:
            if process.poll() is None:
                process.send_signal(spec.stop_signal)
        for process, spec in running:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.warning("pid %s did not stop in time: killed", process.pid)
                process.kill()
                process.wait()
            if _signal_group(process.pid, signal.SIGKILL):
                logger.warning("%s left processes running: killed", spec.name)


def _signal_group(pgid: int, signum: int) -> bool:
    """Send ``signum`` (0: none, a probe) to a child's process group; whether any was there."""
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        return False
    return True


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


#: The longest path a Unix socket address holds (``sun_path``, 108 bytes with its final NUL).
UNIX_PATH_MAX = 107


def front_sockets(run_dir: str, count: int) -> list[str]:
    """The web processes' Unix sockets behind the front, ``web-N.sock`` in ``run_dir`` (a
    directory only the set's user can open, made fresh for each run). Raises ``ValueError``
    when ``run_dir`` is too long a path for a socket (a long ``TMPDIR``), naming the limit."""
    paths = [str(Path(run_dir) / f"web-{n}.sock") for n in range(1, count + 1)]
    if any(len(path.encode()) > UNIX_PATH_MAX for path in paths):
        raise ValueError(
            f"the front's sockets would be at {paths[-1]}, longer than {UNIX_PATH_MAX} bytes:"
            " set TMPDIR to a shorter directory"
        )
    return paths


def serve(config: ServeConfig, base_env: Mapping[str, str]) -> int:
    """Run the set until it is stopped. Raises ``ValueError`` before any child starts when the
    front's sockets cannot be placed (:func:`front_sockets`)."""
    metrics_dir, made = fresh_metrics_dir(base_env)
    run_dir = tempfile.mkdtemp(prefix="hearth-front-") if config.front else ""
    try:
        env = child_environment(base_env, metrics_dir)
        json_logs = env["HEARTH_LOG_FORMAT"] == "json"
        if config.front:
            sockets = front_sockets(run_dir, config.web_workers)
            front_config = Path(run_dir) / "haproxy.cfg"
            front_config.write_text(haproxy_config(config, sockets))
            specs = child_specs(
                config,
                python=sys.executable,
                json_logs=json_logs,
                front_sockets=sockets,
                front_config=front_config,
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
        return Supervisor(config, specs, env).run()
    finally:
        if made:
            shutil.rmtree(metrics_dir, ignore_errors=True)
        if run_dir:
            shutil.rmtree(run_dir, ignore_errors=True)
