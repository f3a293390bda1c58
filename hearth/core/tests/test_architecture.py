"""The direction of dependencies (pyproject's import-linter contracts) and deploy settings."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_import_contracts_are_kept():
    done = subprocess.run(  # noqa: S603
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout


def test_deploy_check_is_clean_under_production_settings(tmp_path):
    env = {
        **os.environ,
        "HEARTH_ENV": "production",
        "SECRET_KEY": "a-long-random-production-key-" + "x9Q#" * 10,
        "ALLOWED_HOSTS": "shop.example.com",
        "HEARTH_VAR_DIR": str(tmp_path),
        "HEARTH_FIELD_KEYS": "k1:" + "A" * 43 + "=",
        "HEARTH_HASH_KEY": "B" * 43 + "=",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout
