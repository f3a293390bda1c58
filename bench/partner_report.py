"""A partner report over the rollups of 10 million raw events: aim < 1 s.

    python bench/partner_report.py [--postgres] [--events 10000000]

Reports read only the rollup tables, so the figure depends on the rollups' size, not the raw
events'. The rollups are synthesised directly (that is what reports read), as a fleet of
100,000 opted-in households sending 10 million events over 4 weeks would leave them: each
household uses 1-3 of 6 music services each week (WeeklyServiceHouseholds: ~800,000 rows) and
DailyRollup holds day × service × metric × tier (28 × 7 × 9 × 3 rows). Then it times building
one week's report for one service (the partner API's work), and the back office's 8 weeks of
every service.

Called by bench/telemetry.py as ``report_over_rollups_benchmark()``; runnable on its own.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

AIM_SECONDS = 1.0
SERVICES = ("tunewave", "radiolia", "skyline", "soundhaus", "wavelength", "groove", "local")
METRICS = (
    "service_minutes",
    "local_library_minutes",
    "queue_actions",
    "eq_changes",
    "stereo_pairs_created",
    "line_in_minutes",
    "dock_minutes",
    "dropouts",
    "unavailable_errors",
)
TIERS = ("decline", "registered_opt_out", "registered_opt_in")
FIRST_MONDAY = dt.date(2026, 10, 26)  # 2026-W44 .. W47
WEEKS = 4


def _fill(events: int, seed: int = 2026) -> dict[str, int]:
    from django.db import connection, transaction

    from hearth.devices.models import DailyRollup, WeeklyServiceHouseholds

    rng = random.Random(seed)
    households = max(100, events // 100)  # ~25 events per household per week
    weekly_table = WeeklyServiceHouseholds._meta.db_table
    daily_table = DailyRollup._meta.db_table
    weekly_rows = 0
    sql = f"INSERT INTO {weekly_table} (week_start, service, household_id) VALUES (%s, %s, %s)"  # noqa: S608
    with transaction.atomic(), connection.cursor() as cursor:
        for w in range(WEEKS):
            week = FIRST_MONDAY + dt.timedelta(weeks=w)
            chunk: list[tuple[dt.date, str, int]] = []
            for h in range(households):
                hid = 100_000_000_000 + h * 7919
                for service in rng.sample(SERVICES[:6], rng.randint(1, 3)):
                    chunk.append((week, service, hid))
                if len(chunk) >= 20_000:
                    cursor.executemany(sql, chunk)
                    weekly_rows += len(chunk)
                    chunk = []
            if chunk:
                cursor.executemany(sql, chunk)
                weekly_rows += len(chunk)
        daily = []
        for d in range(WEEKS * 7):
            day = FIRST_MONDAY + dt.timedelta(days=d)
            for service in SERVICES:
                for metric in METRICS:
                    for tier in TIERS:
                        share = households // 3 if tier == "registered_opt_in" else 0
                        daily.append(
                            (day, service, metric, tier, share, share * rng.randint(5, 60))
                        )
        cursor.executemany(
            f"INSERT INTO {daily_table} (day, service, metric, tier, households, value) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s, %s)",
            daily,
        )
    return {"households": households, "weekly_rows": weekly_rows, "daily_rows": len(daily)}


def report_over_rollups_benchmark(
    *, events: int = 10_000_000, repeats: int = 5
) -> dict[str, float]:
    """Fill the rollup tables of the configured database and time the reports (Django must be
    set up, on a throwaway database). Returns the figures; prints them."""
    from hearth.devices import reports

    start = time.perf_counter()
    sizes = _fill(events)
    fill_s = time.perf_counter() - start
    print(
        f"  rollups for {events:,} raw events: {sizes['weekly_rows']:,} weekly household rows, "
        f"{sizes['daily_rows']:,} daily rows (filled in {fill_s:.1f} s)"
    )
    week = FIRST_MONDAY + dt.timedelta(weeks=WEEKS - 1)
    one: list[float] = []
    report = None
    for _ in range(repeats):
        t = time.perf_counter()
        report = reports.service_week_report(service="tunewave", week_start=week)
        one.append(time.perf_counter() - t)
    assert report is not None and report.cells["households"].value, "the report came out empty"
    many: list[float] = []
    for _ in range(repeats):
        t = time.perf_counter()
        reports.service_reports(
            services=None, week_starts=[week - dt.timedelta(weeks=n) for n in range(8)]
        )
        many.append(time.perf_counter() - t)
    one_s, many_s = statistics.median(one), statistics.median(many)
    verdict = "meets" if one_s < AIM_SECONDS else "MISSES"
    print(
        f"  one service, one week (partner API): median {one_s * 1000:.1f} ms, "
        f"max {max(one) * 1000:.1f} ms ({verdict} the aim of < {AIM_SECONDS:.0f} s); "
        f"households {report.cells['households'].value:,}"
    )
    print(f"  every service, 8 weeks (back-office charts): median {many_s * 1000:.1f} ms")
    return {"one_week_one_service_s": one_s, "eight_weeks_all_services_s": many_s}


def _child(events: int) -> int:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    report_over_rollups_benchmark(events=events)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return _child(args.events)
    from bench._harness import postgres_url

    targets: list[tuple[str, str | None]] = [("SQLite", None)]
    if args.postgres:
        url = postgres_url("hearth_bench_partner_report")
        if url:
            targets.append(("PostgreSQL", url))
    for label, url in targets:
        print(f"Partner report over rollups ({label})", flush=True)
        with tempfile.TemporaryDirectory(prefix="hearth-bench-report-") as var_dir:
            env = {
                **os.environ,
                "HEARTH_VAR_DIR": var_dir,
                "DJANGO_SETTINGS_MODULE": "hearth.settings",
            }
            if url:
                env["DATABASE_URL"] = url
            else:
                env.pop("DATABASE_URL", None)
            code = subprocess.call(
                [sys.executable, __file__, "--child", "--events", str(args.events)],
                cwd=ROOT,
                env=env,
            )
            if code:
                return code
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
