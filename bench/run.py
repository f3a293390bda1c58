"""Run every benchmark in bench/ and print its figures. Not part of the test suite.

python bench/run.py [--postgres]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = [
    "rules.py",
    "checkout.py",
    "journey.py",
    "serve.py",
    "telemetry.py",
    "telemetry_stream.py",
    "warehouse.py",
    "campaign.py",
    "stats.py",
    "html_size.py",
    "search.py",
]


def main() -> int:
    extra = sys.argv[1:]
    failed = 0
    for name in BENCHMARKS:
        script = HERE / name
        if not script.exists():
            continue
        print(f"=== bench/{name}", flush=True)
        failed |= subprocess.call([sys.executable, str(script), *extra])
        print(flush=True)
    return failed


if __name__ == "__main__":
    raise SystemExit(main())
