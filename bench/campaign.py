"""Commercial email: deciding a campaign's audience over 100,000 customers, and DKIM-signed
messages per second delivered to a local SMTP server.

    python bench/campaign.py [--postgres] [--customers 100000] [--messages 1000]

Customers are synthesised straight into the accounts and privacy tables with mixed consent
histories (express; implied by a purchase within 2 years; implied but expired; withdrawn after
an express grant, then a purchase's implied consent that must not count; on the suppression
list; nothing), a third with a proven email whose ledger records are by address. The audience is
decided as a campaign does it (``campaigns.audience``: one pass over the ledger, the suppression
list in one query), timed as the median of 3 runs, and checked against the expected counts.

Messages: each is rendered for its recipient (footer, unsubscribe token, List-Unsubscribe
headers), DKIM-signed (RSA 2048, dkimpy with cryptography's RSA step) and sent to an aiosmtpd
server on 127.0.0.1, all on one SMTP connection (the pipeline's cost), then again one connection
per message as ``services.deliver`` does.

Aims on this 2-core machine: the audience of 100,000 in under 5 s on SQLite and PostgreSQL;
at least 200 DKIM-signed messages a second.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

AIM_AUDIENCE_S = 5.0
AIM_MESSAGES_PER_S = 200
# Share of customers per history, in tenths of a hundred (cycled by customer number).
HISTORIES = (
    ("express", 30),
    ("implied_within", 25),
    ("implied_expired", 15),
    ("withdrawn_then_implied", 10),
    ("suppressed", 5),
    ("none", 15),
)


def _history_of(n: int) -> str:
    slot = n % 100
    for name, share in HISTORIES:
        if slot < share:
            return name
        slot -= share
    return "none"


def _fill(customers: int, now: dt.datetime) -> dict[str, int]:
    from django.db import transaction

    from hearth.accounts.models import User
    from hearth.comms.models import Suppression
    from hearth.privacy.crypto import keyed_hash
    from hearth.privacy.models import ConsentRecord

    day = dt.timedelta(days=1)
    expected = {name: 0 for name, _share in HISTORIES}
    batch = 5000
    with transaction.atomic():
        for first in range(0, customers, batch):
            numbers = range(first, min(first + batch, customers))
            users = [
                User(
                    email=f"customer{n}@example.com",
                    password="!",  # noqa: S106 (an unusable password)
                    email_verified_at=now - 900 * day if n % 3 == 0 else None,
                )
                for n in numbers
            ]
            User.objects.bulk_create(users)
            ids = dict(
                User.objects.filter(email__in=[u.email for u in users]).values_list("email", "pk")
            )
            records: list[ConsentRecord] = []
            suppressed: list[Suppression] = []
            for n in numbers:
                email = f"customer{n}@example.com"
                history = _history_of(n)
                expected[history] += 1
                by_address = n % 3 == 0  # a proven email: recorded by address
                who = {"email": email} if by_address else {"user_id": ids[email]}

                def record(granted: bool, kind: str, at: dt.datetime, **extra: object) -> None:
                    records.append(  # noqa: B023 (used at once)
                        ConsentRecord(
                            purpose="marketing_email",
                            granted=granted,
                            kind=kind,
                            source="bench",
                            policy_version="privacy-1",
                            at=at,
                            **who,  # noqa: B023
                            **extra,  # type: ignore[arg-type]
                        )
                    )

                if history == "express":
                    record(True, "express", now - 100 * day)
                elif history == "implied_within":
                    record(True, "implied", now - 200 * day, implied_from="purchase",
                           expires_at=now + 530 * day)  # fmt: skip
                elif history == "implied_expired":
                    record(True, "implied", now - 800 * day, implied_from="purchase",
                           expires_at=now - 70 * day)  # fmt: skip
                elif history == "withdrawn_then_implied":
                    record(True, "express", now - 400 * day)
                    record(False, "express", now - 300 * day)
                    record(True, "implied", now - 20 * day, implied_from="purchase",
                           expires_at=now + 710 * day)  # fmt: skip
                elif history == "suppressed":
                    record(True, "express", now - 100 * day)
                    suppressed.append(
                        Suppression(
                            address_hash=keyed_hash(email),
                            reason="hard_bounce",
                            at=now - day,
                        )
                    )
            ConsentRecord.objects.bulk_create(records)
            Suppression.objects.bulk_create(suppressed)
    return expected


def audience_benchmark(*, customers: int) -> dict[str, float]:
    from hearth.comms import campaigns
    from hearth.core import clock

    now = clock.now()
    start = time.perf_counter()
    expected = _fill(customers, now)
    filled = time.perf_counter() - start
    print(f"  {customers:,} customers with mixed consent histories in {filled:.1f} s")
    news = campaigns.save_campaign(
        campaign=None, subject="Bench offers", body="Offers.", at=now, actor=None
    )
    times = []
    cpu_times = []
    figures: dict[str, object] = {}
    for _ in range(3):
        start, cpu = time.perf_counter(), time.process_time()
        decided = campaigns.audience(news, at=now)
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu)
        figures = decided.figures()
    median = statistics.median(times)
    cpu_median = statistics.median(cpu_times)
    want_in = expected["express"] + expected["implied_within"]
    ok = figures["size"] == want_in
    excluded = figures["excluded"]
    assert isinstance(excluded, dict)
    ok = ok and excluded["suppressed"] == expected["suppressed"]
    ok = ok and excluded["withdrawn"] == expected["withdrawn_then_implied"]
    ok = ok and excluded["expired"] == expected["implied_expired"]
    print(
        f"  audience of {customers:,}: median {median:.2f} s wall, {cpu_median:.2f} s CPU "
        f"(aim < {AIM_AUDIENCE_S:.0f} s); "
        f"{figures['size']:,} in (express {figures['express']:,}, implied "
        f"{figures['implied']:,}); out: {excluded}; counts as expected: {'yes' if ok else 'NO'}"
    )
    return {"audience_s": median, "audience_cpu_s": cpu_median, "ok": float(ok)}


def messages_benchmark(*, messages: int) -> float:
    import base64

    from aiosmtpd.controller import Controller
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from django.conf import settings
    from django.core import mail

    from bench._harness import free_port
    from hearth.comms import campaigns
    from hearth.comms.dkim import SignedEmailMessage
    from hearth.core import clock

    class Accept:
        count = 0

        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            Accept.count += 1
            return "250 OK"

    port = free_port()
    controller = Controller(Accept(), hostname="127.0.0.1", port=port)
    controller.start()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with tempfile.NamedTemporaryFile(suffix=".pem", delete=False) as fh:
        fh.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
        )
    settings.HEARTH_DKIM_KEY_FILE = fh.name
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = False
    news = campaigns.save_campaign(
        campaign=None,
        subject="Winter offers from Ember & Oak",
        body="# Warm sound\n\n" + "Our **winter** offers, for you. " * 40,
        at=clock.now(),
        actor=None,
    )
    _ = base64  # (the public key is not needed: the test suite verifies signatures)

    def build(n: int) -> SignedEmailMessage:
        address = f"customer{n}@example.com"
        rendered = campaigns.render(news, address=address)
        message = SignedEmailMessage(
            rendered.subject,
            rendered.text,
            settings.HEARTH_CAMPAIGN_FROM_EMAIL,
            [address],
            headers=campaigns.list_headers(news, address=address),
        )
        message.attach_alternative(rendered.html, "text/html")
        return message

    try:
        build(0)  # warm: templates, the key
        start, cpu = time.perf_counter(), time.process_time()
        with mail.get_connection() as connection:
            for first in range(0, messages, 100):
                batch = [build(n) for n in range(first, min(first + 100, messages))]
                connection.send_messages(batch)
        one_connection = messages / (time.perf_counter() - start)
        # The SMTP server runs in this process (a thread): its CPU counts too.
        one_connection_cpu = messages / (time.process_time() - cpu)
        each = min(messages, 300)
        start = time.perf_counter()
        for n in range(each):
            with mail.get_connection() as connection:
                connection.send_messages([build(n)])
        per_message = each / (time.perf_counter() - start)
    finally:
        controller.stop()
        os.unlink(fh.name)
    print(
        f"  DKIM-signed campaign messages to a local SMTP server: {one_connection:.0f}/s on one "
        f"connection ({one_connection_cpu:.0f}/s of CPU, sender and server) (aim >= "
        f"{AIM_MESSAGES_PER_S}); {per_message:.0f}/s one connection per "
        f"message; received {Accept.count}"
    )
    return one_connection


def _child(customers: int, messages: int) -> int:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    call_command("load_policies", verbosity=0)
    result = audience_benchmark(customers=customers)
    if messages:
        messages_benchmark(messages=messages)
    return 0 if result["ok"] else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return _child(args.customers, args.messages)
    from bench._harness import postgres_url

    targets: list[tuple[str, str | None]] = [("SQLite", None)]
    if args.postgres:
        url = postgres_url("hearth_bench_campaign")
        if url:
            targets.append(("PostgreSQL", url))
    for label, url in targets:
        print(f"Campaign ({label})", flush=True)
        with tempfile.TemporaryDirectory(prefix="hearth-bench-campaign-") as var_dir:
            env = {
                **os.environ,
                "HEARTH_VAR_DIR": var_dir,
                "DJANGO_SETTINGS_MODULE": "hearth.settings",
                "ALLOWED_HOSTS": "testserver,127.0.0.1",
            }
            if url:
                env["DATABASE_URL"] = url
            else:
                env.pop("DATABASE_URL", None)
            code = subprocess.call(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    "--customers",
                    str(args.customers),
                    "--messages",
                    str(args.messages if label == "SQLite" else 0),
                ],
                cwd=ROOT,
                env=env,
            )
            if code:
                return code
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
