"""The whole guest journey through the HTML pages, as a browser walks it, under load.

Each simulated buyer is a fresh cookie jar (a new guest). It opens the product page, posts the
add-to-basket form (which lands it on the basket page), follows that page's own checkout link
and then fills and posts whatever form
the page in front of it shows (contact, address, delivery, payment choice, the provider's hosted
card page, review) until it lands on the confirmation page. Every CSRF token and hidden field is
read from the form it posts, and every redirect is followed and counted as a request. The walker
knows field names, not page order, so a shorter checkout (one page) is measured the same way.

It runs 1, 8 and 32 buyers against granian (or gunicorn: ``JOURNEY_SERVER``) with the same
worker count as the django-oscar peer (4 workers), checks every order number the buyers saw
against the database, and prints orders/s, the placing request's p50 and p95, the server's CPU
per journey and per request, and the client's own CPU per journey (it shares the cores with the
server).
With ``--with-oscar`` it runs ``../shared/peers/oscar/bench.py`` in the same run and prints the
ratio per database and level.

    .venv/bin/python bench/journey.py [--postgres] [--with-oscar] [--flows 200] [--levels 1,8,32]
        [--task-worker] [--front [--front-workers 3]]

``--front`` also runs Hearth behind ``hearth serve``'s front (``HEARTH_FRONT=haproxy``: HAProxy's
one queue with the configuration ``hearth.core.serve.haproxy_config`` writes, placing and its
confirmation first, before ``--front-workers`` granian processes of one worker each; Debian's
``haproxy`` must be installed) and prints it beside the direct server, with its own oscar ratio.

``--task-worker`` also runs Hearth's task worker while the buyers shop (it renders and sends the
confirmation and invoice emails and the invoice PDF that placing queues), so its CPU is taken
from the same cores; without it the queue waits until the run ends.

The load is bounded: ``--flows`` journeys per level and ``--timeout`` seconds per level at most;
the server listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import json
import os
import re
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import PYTHON, ROOT, free_port, postgres_url

OSCAR_BENCH = ROOT.parent / "shared" / "peers" / "oscar" / "bench.py"

# What a guest types. Field names, not page order, decide what goes where.
GUEST = {
    "email": "buyer{n}@example.com",
    "name": "Alex Tremblay",
    "phone": "416-555-0123",
    "lines": "100 Queen Street West",
    "city": "Toronto",
    "postal_code": "M5H 2N2",
    "card_number": "4242 4242 4242 4242",
    "cvc": "123",
    "exp_year": "2030",
    "exp_month": "12",
}
# Choices: first match wins for radios and selects.
CHOICES = {
    "province": "ON",
    "country": "CA",
    "shipping_method": "standard",
    "payment_method": "card",
    "exp_month": "12",
}
# Boxes a buyer ticks (attestations); every other box (marketing) stays unticked.
TICK = re.compile(r"adult|end_user|accurate|attest|terms|age", re.I)
# Forms of the site's chrome that are never the page's main form.
CHROME = re.compile(r"/i18n/|setlang|logout|sign-?out|/cookies|/notice|acknowledge|search", re.I)
STOCK_UP = (
    "from hearth.catalog.models import Variant;Variant.objects.update(stock_on_hand=1_000_000)"
)
# The basket page's link into the checkout (the start, or the first step it needs).
CHECKOUT_LINK = re.compile(r"^/checkout/")
CONFIRMATION = re.compile(r"/checkout/confirmation/([^/]+)/")


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str, str, bool]] = field(default_factory=list)  # name,type,value,on
    options: dict[str, list[str]] = field(default_factory=dict)
    submits: list[tuple[str, str]] = field(default_factory=list)
    in_main: bool = False


# The client's share of the 2 shared cores counts against the shop (the peer's client costs
# 20-25 ms per checkout): the pages' tags that matter are picked out by one regular expression
# instead of html.parser's walk over every tag and text node. Attribute values are unescaped as
# a browser (and html.parser) does; comments are skipped.
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_TAG = re.compile(
    r"<(/?)(main|form|input|button|select|option|textarea|a)\b((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>",
    re.I,
)
_ATTR = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?""")


def _attrs(text: str) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for match in _ATTR.finditer(text):
        name, double, single, bare = match.groups()
        value = double if double is not None else single if single is not None else bare
        out.append((name.lower(), None if value is None else html.unescape(value)))
    return out


class FormParser:
    def __init__(self) -> None:
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._textarea: str | None = None
        self._main = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "main":
            self._main += 1
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = Form(
                a.get("action", ""), a.get("method", "get").lower(), in_main=self._main > 0
            )
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            name = a.get("name", "")
            if kind in ("submit", "image"):
                self._form.submits.append((name, a.get("value", "")))
            elif name:
                default = "on" if kind in ("checkbox", "radio") else ""
                self._form.fields.append((name, kind, a.get("value", default), "checked" in a))
        elif tag == "button" and a.get("type", "submit").lower() == "submit":
            self._form.submits.append((a.get("name", ""), a.get("value", "")))
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self._form.fields.append((a["name"], "select", "", False))
            self._form.options[a["name"]] = []
        elif tag == "option" and self._select:
            self._form.options[self._select].append(a.get("value", ""))
            if "selected" in a:
                self._form.options[self._select].insert(0, "@" + a.get("value", ""))
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._form.fields.append((a["name"], "textarea", "", False))

    def feed(self, page: str) -> None:
        for match in _TAG.finditer(_COMMENT.sub("", page)):
            closing, tag, rest = match.groups()
            if closing:
                self.handle_endtag(tag.lower())
            else:
                self.handle_starttag(tag.lower(), _attrs(rest))

    def handle_endtag(self, tag: str) -> None:
        if tag == "main":
            self._main -= 1
        elif tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def parse(html: str) -> FormParser:
    parser = FormParser()
    parser.feed(html)
    return parser


def main_form(page: FormParser, url: str) -> Form | None:
    candidates = [
        f
        for f in page.forms
        if f.method == "post" and not CHROME.search(f.action or "") and f.fields
    ]
    inside = [f for f in candidates if f.in_main] or candidates
    return max(inside, key=lambda f: len(f.fields), default=None)


def checkout_link(page: FormParser, url: str) -> str:
    """The basket page's own way into the checkout: its link, or a GET form's action."""
    for href in page.links:
        if CHECKOUT_LINK.search(urlsplit(urljoin(url, href)).path):
            return href
    for form in page.forms:
        if form.method == "get" and CHECKOUT_LINK.search(urlsplit(urljoin(url, form.action)).path):
            return form.action
    raise JourneyError(f"no checkout link on {url}")


def fill(form: Form, n: int) -> dict[str, str | list[str]]:
    data: dict[str, str | list[str]] = {}
    for name, kind, value, _checked in form.fields:
        if kind == "hidden":
            data[name] = value
        elif kind == "checkbox":
            if TICK.search(name):
                data[name] = value
        elif kind == "radio":
            if name not in data or CHOICES.get(name) == value:
                data[name] = value
        elif kind == "select":
            options = [o for o in form.options.get(name, []) if not o.startswith("@")]
            wanted = CHOICES.get(name)
            preselected = [o[1:] for o in form.options.get(name, []) if o.startswith("@")]
            data[name] = wanted if wanted in options else (preselected or options or [""])[0]
        else:
            template = GUEST.get(name)
            data[name] = template.format(n=n) if template is not None else value
    named = [s for s in form.submits if s[0]]
    if named:  # the "place order" / "continue" button, never "cancel"
        chosen = next((s for s in named if not re.search(r"cancel|back", s[0] + s[1], re.I)), None)
        if chosen:
            data[chosen[0]] = chosen[1]
    return data


class JourneyError(RuntimeError):
    pass


@dataclass
class Journey:
    number: str
    requests: int
    place_ms: float
    seconds: float


_TLS: ssl.SSLContext | None = None


def _tls() -> ssl.SSLContext:
    """One TLS context for every buyer: httpx builds (and loads the CA bundle into) a new one
    for each client otherwise, about 30 ms of client CPU per journey, even over plain HTTP.
    Verification is unchanged: this is the default context httpx would build."""
    global _TLS
    if _TLS is None:
        _TLS = ssl.create_default_context()
    return _TLS


def walk(base: str, n: int, product_path: str, transport: object = None) -> Journey:
    """One guest's journey; ``transport`` (an ``httpx.WSGITransport``) walks it in-process, as
    ``bench/request_cost.py`` does to time and profile each request."""
    import httpx

    started = time.perf_counter()
    requests = 0
    place_ms = 0.0
    with httpx.Client(
        base_url=base,
        follow_redirects=True,
        timeout=60,
        transport=transport,  # type: ignore[arg-type]
        verify=_tls(),
    ) as client:

        def go(
            method: str, url: str, data: dict | None = None, referer: str = ""
        ) -> httpx.Response:
            nonlocal requests
            headers = {"Referer": referer} if referer else {}
            response = client.request(method, url, data=data, headers=headers)
            requests += 1 + len(response.history)
            if response.status_code >= 400:
                raise JourneyError(f"{method} {url} answered {response.status_code}")
            return response

        page = go("GET", product_path)
        add = next(
            (f for f in parse(page.text).forms if "basket/add" in f.action and f.method == "post"),
            None,
        )
        if add is None:
            raise JourneyError("no add-to-basket form on the product page")
        url = str(page.url)
        # The POST redirects to the basket page: the buyer is on it, and follows its own
        # checkout link (or button), wherever it points.
        page = go("POST", urljoin(url, add.action), fill(add, n), referer=url)
        url = str(page.url)
        page = go("GET", urljoin(url, checkout_link(parse(page.text), url)), referer=url)
        for _ in range(12):
            url = str(page.url)
            match = CONFIRMATION.search(urlsplit(url).path)
            if match:
                return Journey(match.group(1), requests, place_ms, time.perf_counter() - started)
            form = main_form(parse(page.text), url)
            if os.environ.get("JOURNEY_DEBUG"):
                print(
                    url, [(r.status_code, str(r.url)) for r in page.history], form and form.action
                )
            if form is None:
                raise JourneyError(f"no form to post on {url}")
            placing = any(name == "place_token" for name, *_ in form.fields)
            t0 = time.perf_counter()
            page = go("POST", urljoin(url, form.action or url), fill(form, n), referer=url)
            if placing:
                place_ms = (time.perf_counter() - t0) * 1000
            if str(page.url) == url:
                raise JourneyError(f"the form on {url} was refused: it came back")
    raise JourneyError("no confirmation after 12 forms")


# --- The server and its CPU.


def _proc_cpu_ms(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            parts = fh.read().rsplit(")", 1)[1].split()
        ticks = int(parts[11]) + int(parts[12])  # utime + stime
        return ticks * 1000.0 / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _children(pid: int) -> list[int]:
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                        kids.append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    return kids


def server_cpu_ms(pid: int) -> float:
    return _proc_cpu_ms(pid) + sum(_proc_cpu_ms(kid) for kid in _children(pid))


@dataclass
class Server:
    base: str
    pid: int
    env: dict[str, str]
    others: tuple[int, ...] = ()  # behind the front: the web processes (pid is the front's)

    def cpu_ms(self) -> float:
        """The CPU of the server's processes and their children so far."""
        return sum(server_cpu_ms(pid) for pid in (self.pid, *self.others))


#: Which HTTP server runs the WSGI application (JOURNEY_SERVER): ``granian`` (Rust HTTP, one
#: blocking thread per worker, keep-alive), which this bench preferred, or ``gunicorn`` (sync
#: workers, the peer's server). One run, 8 buyers, 40 journeys, SQLite, load 4-6 on 2 cores:
#: granian 6.46 and 9.63 orders/s (server 97 and 91 ms CPU per journey, client 18), gunicorn
#: 3.77 and 3.88 (110 and 115 ms, client 21.5): gunicorn's sync workers parse HTTP in Python
#: and close the connection after every request.
SERVER = os.environ.get("JOURNEY_SERVER", "granian")
TASK_WORKER = {"on": False}  # --task-worker


def server_command(port: int, workers: int) -> list[str]:
    if SERVER == "granian":
        return [
            PYTHON, "-m", "granian", "--interface", "wsgi", "--host", "127.0.0.1",
            "--port", str(port), "--workers", str(workers), "--blocking-threads", "1",
            "--log-level", "warning", "--no-ws", "hearth.wsgi:application",
        ]  # fmt: skip
    command = [PYTHON, "-m", "gunicorn", "hearth.wsgi", "-b", f"127.0.0.1:{port}"]
    config = ROOT / "hearth" / "gunicorn.conf.py"
    if config.exists():
        command += ["-c", str(config)]
    return [*command, "-w", str(workers), "--log-level", "warning"]


def _front(
    port: int, workers: int, var_dir: str, env: dict[str, str]
) -> tuple[subprocess.Popen[bytes], list[subprocess.Popen[bytes]], list[str]]:
    """``hearth serve``'s front (HEARTH_FRONT=haproxy), as it runs it: the web processes and the
    front that ``hearth.core.serve.child_specs`` names (their commands and environment), with the
    configuration ``haproxy_config`` writes; HAProxy on ``port`` before ``workers`` granian
    processes of one worker each on Unix sockets in ``var_dir``."""
    from hearth.core import serve as production

    config = production.config_from_env(
        {"HEARTH_FRONT": "haproxy", "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers)},
        worker_command="db_worker",
    )
    sockets = production.front_sockets(var_dir, workers)
    path = Path(var_dir) / "haproxy.cfg"
    path.write_text(production.haproxy_config(config, sockets))
    specs = {
        spec.name: spec
        for spec in production.child_specs(
            config, python=PYTHON, json_logs=False, front_sockets=sockets, front_config=path
        )
    }
    web = [
        subprocess.Popen(spec.argv, cwd=ROOT, env={**env, **dict(spec.env)})
        for name, spec in specs.items()
        if name.startswith("web-")
    ]
    front = subprocess.Popen(
        specs["front"].argv,
        stderr=subprocess.DEVNULL,  # its "server is UP" notices
    )
    return front, web, sockets


@contextlib.contextmanager
def serve(database_url: str | None, workers: int, front: bool = False) -> Iterator[Server]:
    with tempfile.TemporaryDirectory(prefix="hearth-journey-") as var_dir:
        env = {
            **os.environ,
            "HEARTH_VAR_DIR": var_dir,
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            "LOG_LEVEL": "ERROR",
            "HEARTH_THROTTLE_OFF": "1",
        }
        if database_url:
            env["DATABASE_URL"] = database_url
        else:
            env.pop("DATABASE_URL", None)
        run = {"cwd": ROOT, "env": env, "check": True, "stdout": subprocess.DEVNULL}
        subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], **run)  # type: ignore[call-overload]
        subprocess.run([PYTHON, "manage.py", "load_demo", "-v0"], **run)  # type: ignore[call-overload]
        # The demo catalogue holds 8 to 40 of each variant: enough for a demo, not for hundreds
        # of journeys (they ran out after ~25 orders and then every buyer stopped at the basket).
        subprocess.run([PYTHON, "manage.py", "shell", "-c", STOCK_UP], **run)  # type: ignore[call-overload]
        port = free_port()
        web: list[subprocess.Popen[bytes]] = []
        sockets: list[str] = []
        if front:
            server, web, sockets = _front(port, workers, var_dir, env)
        else:
            server = subprocess.Popen(server_command(port, workers), cwd=ROOT, env=env)
        # --task-worker: the task worker drains the queue (confirmation and invoice emails, the
        # invoice PDF, releasing paid orders) while the buyers shop, on the same 2 cores.
        worker = (
            subprocess.Popen(
                [PYTHON, "manage.py", "db_worker", "--queue-name", "*", "--no-reload"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if TASK_WORKER["on"]
            else None
        )
        try:
            import httpx

            deadline = time.monotonic() + 60
            # Behind the front, every web process is up too (each asked on its own socket).
            for way in [None, *sockets]:
                while time.monotonic() < deadline:
                    try:
                        with httpx.Client(transport=httpx.HTTPTransport(uds=way)) as client:
                            answer = client.get(f"http://127.0.0.1:{port}/healthz")
                        if answer.status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    time.sleep(0.2)
                else:
                    raise RuntimeError("the server did not start within 60 s")
            yield Server(f"http://127.0.0.1:{port}", server.pid, env, tuple(w.pid for w in web))
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=20)
            for process in (server, *web):
                process.terminate()
            for process in (server, *web):
                process.wait(timeout=20)


def first_product_path(server: Server) -> str:
    import httpx

    home = httpx.get(server.base + "/", timeout=30, follow_redirects=True)
    links = [h for h in parse(home.text).links if re.match(r"^/(products?|shop)/[^/]+/$", h)]
    if not links:
        raise RuntimeError("no product link on the home page")
    return links[0]


def orders_in_database(server: Server) -> set[str]:
    code = (
        "from hearth.orders.models import Order;"
        "print('\\n'.join(Order.objects.values_list('number', flat=True)))"
    )
    out = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=server.env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {line.strip() for line in out.splitlines() if line.strip()}


@dataclass
class Level:
    buyers: int
    orders: int
    errors: int
    seconds: float
    orders_per_s: float
    place_p50_ms: float
    place_p95_ms: float
    flow_p50_ms: float
    requests_per_flow: float
    cpu_ms_per_journey: float
    cpu_ms_per_request: float
    client_cpu_ms_per_journey: float  # this process's CPU (the buyers' threads): httpx, parsing
    verified: bool


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def run_level(
    server: Server, product: str, buyers: int, flows: int, timeout: float, offset: int
) -> Level:
    journeys: list[Journey] = []
    errors: list[str] = []
    lock = threading.Lock()
    counter = iter(range(offset, offset + flows))
    deadline = time.monotonic() + timeout

    def buyer() -> None:
        while time.monotonic() < deadline:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            try:
                journey = walk(server.base, n, product)
            except Exception as exc:  # a failed journey is counted and shown, never hidden
                with lock:
                    errors.append(repr(exc))
                continue
            with lock:
                journeys.append(journey)

    before = set(orders_in_database(server))
    cpu0 = server.cpu_ms()
    client0 = time.process_time()
    start = time.monotonic()
    threads = [threading.Thread(target=buyer) for _ in range(buyers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
    client_cpu = (time.process_time() - client0) * 1000
    cpu = server.cpu_ms() - cpu0
    after = orders_in_database(server)
    seen = {j.number for j in journeys}
    verified = seen == (after - before) and len(seen) == len(journeys)
    if errors:
        print(f"    {len(errors)} failed journeys, first: {errors[0]}")
    total_requests = sum(j.requests for j in journeys) or 1
    return Level(
        buyers=buyers,
        orders=len(journeys),
        errors=len(errors),
        seconds=elapsed,
        orders_per_s=len(journeys) / elapsed if elapsed else 0.0,
        place_p50_ms=percentile([j.place_ms for j in journeys], 0.50),
        place_p95_ms=percentile([j.place_ms for j in journeys], 0.95),
        flow_p50_ms=percentile([j.seconds * 1000 for j in journeys], 0.50),
        requests_per_flow=total_requests / max(1, len(journeys)),
        cpu_ms_per_journey=cpu / max(1, len(journeys)),
        cpu_ms_per_request=cpu / total_requests,
        client_cpu_ms_per_journey=client_cpu / max(1, len(journeys)),
        verified=verified,
    )


def bench_database(
    label: str,
    url: str | None,
    levels: list[int],
    flows: int,
    workers: int,
    timeout: float,
    front: bool = False,
) -> list[Level]:
    extra = ", with the task worker draining the queue" if TASK_WORKER["on"] else ""
    how = (
        f"behind hearth serve's front (HAProxy's queue, placing first), {workers} granian "
        "processes of 1 worker"
        if front
        else f"{SERVER} {workers} workers"
    )
    print(f"\n== Hearth guest journey on {label}, {how}{extra}")
    results = []
    with serve(url, workers, front=front) as server:
        product = first_product_path(server)
        walk(server.base, 0, product)  # warm every worker's imports and caches once
        for _ in range(workers * 2):
            walk(server.base, 0, product)
        offset = 1
        for buyers in levels:
            level = run_level(server, product, buyers, flows, timeout, offset)
            offset += flows
            results.append(level)
            print(
                f"  {buyers:>3} buyers: {level.orders_per_s:6.2f} orders/s  "
                f"place p50/p95 {level.place_p50_ms:5.0f}/{level.place_p95_ms:5.0f} ms  "
                f"flow p50 {level.flow_p50_ms:6.0f} ms  {level.requests_per_flow:4.1f} req/flow  "
                f"server CPU {level.cpu_ms_per_journey:6.1f} ms/journey "
                f"{level.cpu_ms_per_request:5.2f} ms/request  "
                f"client CPU {level.client_cpu_ms_per_journey:5.1f} ms/journey  "
                f"{level.orders} orders, {level.errors} errors, "
                f"{'verified' if level.verified else 'NOT VERIFIED against the database'}"
            )
    return results


def run_oscar(databases: list[str], levels: list[int], flows: int, workers: int) -> dict:
    if not OSCAR_BENCH.exists():
        print(f"(oscar peer not found at {OSCAR_BENCH})")
        return {}
    out = Path(tempfile.mkstemp(prefix="oscar-", suffix=".json")[1])
    results: dict = {}
    for db in databases:
        print(f"\n== django-oscar peer on {db}")
        command = [
            "python3",
            str(OSCAR_BENCH),
            "--db",
            db,
            "--concurrency",
            ",".join(map(str, levels)),
            "--flows",
            str(flows),
            "--workers",
            str(workers),
            "--json",
            str(out),
        ]
        done = subprocess.run(command, cwd=OSCAR_BENCH.parent, check=False)
        if done.returncode != 0 or not out.exists() or not out.read_text():
            print("  (oscar's bench failed; run its setup.sh first)")
            continue
        data = json.loads(out.read_text())
        for database in data.get("databases", []):
            name = database.get("db") or database.get("database") or db
            results[db] = {lvl["concurrency"]: lvl for lvl in database.get("levels", [])}
            del name
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", action="store_true", help="also PostgreSQL")
    parser.add_argument("--only-postgres", action="store_true")
    parser.add_argument("--with-oscar", action="store_true", help="run the oscar peer too")
    parser.add_argument("--levels", default="1,8,32")
    parser.add_argument("--flows", type=int, default=200, help="journeys per level")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=240.0, help="seconds per level at most")
    parser.add_argument("--json", type=Path, help="write every figure here")
    parser.add_argument(
        "--front",
        action="store_true",
        help="also run Hearth behind hearth serve's front (HEARTH_FRONT=haproxy: one queue, "
        "single-worker granian processes, placing first) and print it beside the direct server",
    )
    parser.add_argument(
        "--front-workers",
        type=int,
        default=3,
        help="web processes behind the front (default 3: the cores and one more, so that the "
        "cores stay busy while a request waits on the database)",
    )
    parser.add_argument(
        "--task-worker",
        action="store_true",
        help="run Hearth's task worker beside the server (emails, invoice PDFs) during the load",
    )
    args = parser.parse_args()
    TASK_WORKER["on"] = args.task_worker
    levels = [int(x) for x in args.levels.split(",")]
    databases: list[tuple[str, str, str | None]] = []
    if not args.only_postgres:
        databases.append(("SQLite", "sqlite", None))
    if args.postgres or args.only_postgres or args.with_oscar:
        url = postgres_url("hearth_bench_journey")
        if url:
            databases.append(("PostgreSQL", "postgresql", url))
    hearth: dict[str, list[Level]] = {}
    fronted: dict[str, list[Level]] = {}
    for label, key, url in databases:
        hearth[key] = bench_database(label, url, levels, args.flows, args.workers, args.timeout)
        if args.front:
            fronted[key] = bench_database(
                label, url, levels, args.flows, args.front_workers, args.timeout, front=True
            )
    if fronted:
        print("\n== Hearth direct (granian) and behind its front, in the same run")
        print("database    buyers  direct orders/s, place p95   front orders/s, place p95")
        for key, levels_done in hearth.items():
            for level, behind in zip(levels_done, fronted.get(key, []), strict=False):
                print(
                    f"{key:<11} {level.buyers:>6}  {level.orders_per_s:14.2f}, "
                    f"{level.place_p95_ms:5.0f} ms  {behind.orders_per_s:14.2f}, "
                    f"{behind.place_p95_ms:5.0f} ms"
                )
    oscar = (
        run_oscar([k for _, k, _ in databases], levels, args.flows, args.workers)
        if (args.with_oscar)
        else {}
    )
    if oscar:
        print("\n== Hearth / django-oscar, orders per second in the same run")
        print("database    buyers  oscar   Hearth  ratio   place p95 oscar/Hearth", end="")
        print("   behind the front: Hearth  ratio  place p95" if fronted else "")
        for key, levels_done in hearth.items():
            behind_by_level = {x.buyers: x for x in fronted.get(key, [])}
            for level in levels_done:
                peer = oscar.get(key, {}).get(level.buyers)
                if not peer:
                    continue
                ratio = level.orders_per_s / peer["orders_per_s"] if peer["orders_per_s"] else 0
                row = (
                    f"{key:<11} {level.buyers:>6}  {peer['orders_per_s']:5.2f}  "
                    f"{level.orders_per_s:6.2f}  {ratio:5.2f}x  "
                    f"{peer.get('place_order_p95_ms', 0):5.0f} / {level.place_p95_ms:4.0f} ms"
                )
                queued = behind_by_level.get(level.buyers)
                if queued is not None:
                    front_ratio = (
                        queued.orders_per_s / peer["orders_per_s"] if peer["orders_per_s"] else 0
                    )
                    row += (
                        f"   {queued.orders_per_s:23.2f}  {front_ratio:5.2f}x  "
                        f"{queued.place_p95_ms:5.0f} ms"
                    )
                print(row)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "hearth": {k: [vars(x) for x in v] for k, v in hearth.items()},
                    "hearth_behind_front": {k: [vars(x) for x in v] for k, v in fronted.items()},
                    "oscar": oscar,
                    "median_place_p95_ms": statistics.median(
                        [x.place_p95_ms for v in hearth.values() for x in v] or [0]
                    ),
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
