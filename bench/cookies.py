"""Per-request cost of the cookie gate (issue #15): the difference in median latency of one
storefront page with and without it, in one process (no server, no network).

"It" is ``CookiePolicyMiddleware`` (every response's cookies checked against the inventory and
the visitor's choice) and ``GlobalPrivacyControlMiddleware``; the banner's context processor
stays in both, so the page is the same. The visitor has made a choice (refuse all) and has a
session, as most do after their first page. Requests alternate between the two stacks in
batches so that a shared machine's drift falls on both alike. Aim (with visitor statistics,
which add their own half later): under 0.3 ms together.

    .venv/bin/python bench/cookies.py [--requests 3000] [--path /shop/ember-one/]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

GATE = (
    "hearth.privacy.middleware.CookiePolicyMiddleware",
    "hearth.privacy.middleware.GlobalPrivacyControlMiddleware",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--path", default="/shop/ember-one/")
    args = parser.parse_args()
    os.environ.update(
        {
            "HEARTH_VAR_DIR": tempfile.mkdtemp(prefix="hearth-cookies-"),
            "DEBUG": "0",
            "ALLOWED_HOSTS": "testserver",
            "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            "LOG_LEVEL": "ERROR",
            "HEARTH_THROTTLE_OFF": "1",
            "DJANGO_SETTINGS_MODULE": "hearth.settings",
        }
    )
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client, override_settings

    call_command("migrate", "--noinput", verbosity=0)
    call_command("load_demo", verbosity=0, stdout=io.StringIO())
    with_gate = Client()
    without_gate = Client()
    with override_settings(MIDDLEWARE=[m for m in settings.MIDDLEWARE if m not in GATE]):
        without_gate.handler.load_middleware()
    for client in (with_gate, without_gate):
        client.get(args.path)
        client.post("/cookies/", {"action": "refuse_all"})
        assert client.get(args.path).status_code == 200
    timings: dict[str, list[float]] = {"with": [], "without": []}
    batch = 50
    for _ in range(max(1, args.requests // batch)):
        for name, client in (("with", with_gate), ("without", without_gate)):
            for _ in range(batch):
                t0 = time.perf_counter()
                client.get(args.path)
                timings[name].append((time.perf_counter() - t0) * 1000)
    med = {name: statistics.median(values) for name, values in timings.items()}
    print(f"{args.path}: {len(timings['with'])} requests per stack")
    print(f"median with the cookie gate    {med['with']:.3f} ms")
    print(f"median without the cookie gate {med['without']:.3f} ms")
    print(f"cost of the cookie gate        {med['with'] - med['without']:.3f} ms per request")


if __name__ == "__main__":
    main()
