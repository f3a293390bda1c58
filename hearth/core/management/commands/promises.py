"""Print, for every promise of docs/PROMISES.md, the tests that prove it, then what nothing proves.

    manage.py promises              # human-readable report
    manage.py promises --json       # {"ID": ["test id", ...], ...}, every ID present
    manage.py promises --html FILE  # a page with the same facts

It collects the suite with pytest (nothing runs) and reads each test's promise markers. A marker
naming an ID that is not in the register fails the command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.template.loader import render_to_string

from hearth.core.promises import REGISTER, coverage, read_register

ROOT = REGISTER.parents[1]


def collect_proofs() -> dict[str, list[str]]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "proofs.json"
        env = {**os.environ, "HEARTH_PROMISES_OUT": str(out)}
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "--collect-only", "-q"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode not in (0, 5) or not out.exists():  # 5: no tests yet
            tail = (done.stdout + done.stderr).strip().splitlines()[-15:]
            raise CommandError("Collecting the tests failed:\n" + "\n".join(tail))
        return json.loads(out.read_text(encoding="utf-8"))


class Command(BaseCommand):
    help = "Show the tests proving each promise of docs/PROMISES.md, and what nothing proves."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="print JSON {ID: [test ids]}")
        parser.add_argument("--html", metavar="FILE", help="write an HTML report to FILE")

    def handle(self, *args: Any, **options: Any) -> None:
        promises = read_register()
        table = coverage(promises, collect_proofs())
        if options["json"]:
            self.stdout.write(json.dumps(table, indent=2))
        else:
            self._print(promises, table)
        if options["html"]:
            proven = sum(1 for tests in table.values() if tests)
            html = render_to_string(
                "core/promises.html",
                {
                    "rows": [(p.id, p.text, table[p.id]) for p in promises],
                    "proven": proven,
                    "total": len(promises),
                },
            )
            Path(options["html"]).write_text(html, encoding="utf-8")
            self.stderr.write(f"Wrote {options['html']}")

    def _print(self, promises: list[Any], table: dict[str, list[str]]) -> None:
        for promise in promises:
            tests = table[promise.id]
            mark = self.style.SUCCESS("proven") if tests else self.style.WARNING("unproven")
            self.stdout.write(f"{promise.id}  {mark}  ({len(tests)} tests)")
            for test in tests:
                self.stdout.write(f"    {test}")
        unproven = [pid for pid, tests in table.items() if not tests]
        proven = len(table) - len(unproven)
        self.stdout.write("")
        self.stdout.write(f"{proven} of {len(table)} promises proven.")
        self.stdout.write("Unproven: " + (", ".join(unproven) if unproven else "none"))
